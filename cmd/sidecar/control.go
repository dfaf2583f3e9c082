package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/control"
)

// A running `sidecar up` (foreground, or the supervisor of `up -d`) owns its stack: it holds
// an exclusive lock on <dir>/<stack>.lock for its whole life (the kernel releases it however
// the process ends) and serves the control API (package control) on the unix socket
// <dir>/<stack>.sock, where dir is the user's runtime directory (controlDir). `ps` reads the
// live state there, `attach` and `logs` the event stream, `restart|stop|start` act there,
// `down` asks for a shutdown there, and a second `up` of the same stack finds the lock taken
// and converges the running stack instead of removing its containers as leftovers.
//
// A socket whose lock is free is stale (its `up` was killed): whoever finds it removes it.
// Lock files are never removed: a lock file removed while held would let two processes
// believe they hold the stack.

// ErrStackRunning: a live `up` owns the stack.
var ErrStackRunning = errors.New("stack already running")

const (
	controlAPI      = "/v1"
	controlDialWait = 2 * time.Second
	// maxSocketPath is the longest unix socket path every platform accepts (macOS: 104
	// bytes with the terminating NUL; Linux: 108).
	maxSocketPath = 103
)

// controlDir returns the directory of the control sockets: $XDG_RUNTIME_DIR/sidecar, else
// <temp dir>/sidecar-<uid>. It is created with mode 0700 and must belong to the user and be
// closed to others, since whoever can reach a socket there can stop the stack.
func controlDir(getenv func(string) string) (string, error) {
	var dir string
	if rd := getenv("XDG_RUNTIME_DIR"); rd != "" && filepath.IsAbs(rd) {
		dir = filepath.Join(rd, "sidecar")
	} else {
		tmp := getenv("TMPDIR")
		if tmp == "" || !filepath.IsAbs(tmp) {
			tmp = os.TempDir()
		}
		dir = filepath.Join(tmp, fmt.Sprintf("sidecar-%d", os.Getuid()))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the control directory %s: %w (set XDG_RUNTIME_DIR to a directory you own)", dir, err)
	}
	if err := checkPrivate(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// stackFiles are the lock and socket paths of a stack.
func stackFiles(dir, stack string) (lock, sock string) {
	return filepath.Join(dir, stack+".lock"), filepath.Join(dir, stack+".sock")
}

// stackHold is the exclusive hold of a stack by one `up`.
type stackHold struct {
	stack string
	lock  *os.File
	sock  string
	ln    net.Listener
}

// holdStack takes the stack for this process: the lock, then the socket (a stale one is
// removed). A live owner makes it fail with ErrStackRunning, saying who.
func holdStack(dir, stack string) (*stackHold, error) {
	lockPath, sock := stackFiles(dir, stack)
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("the control socket path %s is too long for a unix socket (%d bytes, at most %d): set XDG_RUNTIME_DIR to a shorter directory", sock, len(sock), maxSocketPath)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the stack lock %s: %w", lockPath, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	if !ok {
		f.Close()
		return nil, runningError(dir, stack)
	}
	// Ours now: the socket, if any, is a killed up's.
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("remove the stale control socket %s: %w", sock, err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("listen on the control socket %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("restrict the control socket %s: %w", sock, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &stackHold{stack: stack, lock: f, sock: sock, ln: ln}, nil
}

// runningError says that a live up owns the stack, and how to reach it.
func runningError(dir, stack string) error {
	who := "another sidecar up"
	if c, ok := dialControl(dir, stack); ok {
		ctx, cancel := context.WithTimeout(context.Background(), controlDialWait)
		defer cancel()
		if st, err := c.State(ctx); err == nil {
			who = fmt.Sprintf("sidecar up (pid %d", st.PID)
			if st.Recipe != "" {
				who += ", from " + st.Recipe
			}
			who += ")"
		}
	}
	return fmt.Errorf("%w: stack %s is run by %s; stop it with `sidecar down --stack %s` (or Ctrl-C where it runs), see it with `sidecar ps --stack %s`",
		ErrStackRunning, stack, who, stack, stack)
}

// release gives the stack up: the socket goes, then the lock.
func (h *stackHold) release() {
	h.ln.Close() // removes the socket file too
	_ = os.Remove(h.sock)
	unlock(h.lock)
	h.lock.Close()
}

// dialControl reports whether a live up serves the stack's socket, and a client for it. A
// socket nobody listens on, whose lock is free, is stale and removed.
func dialControl(dir, stack string) (*control.Client, bool) {
	lockPath, sock := stackFiles(dir, stack)
	conn, err := net.DialTimeout("unix", sock, controlDialWait)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			removeStale(lockPath, sock)
		}
		return nil, false
	}
	conn.Close()
	return control.NewClient(sock), true
}

// removeStale removes a socket left by a killed up, when its lock is free.
func removeStale(lockPath, sock string) {
	f, err := os.OpenFile(lockPath, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(sock) // no lock at all: nobody can own it
		}
		return
	}
	defer f.Close()
	if ok, err := tryLock(f); err == nil && ok {
		_ = os.Remove(sock)
		unlock(f)
	}
}

// liveStacks lists the stacks whose socket in dir has a live up, sorted.
func liveStacks(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".sock")
		if !ok || e.Type()&fs.ModeSocket == 0 {
			continue
		}
		if _, live := dialControl(dir, name); live {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// checkPrivate refuses a control directory that is not a directory of the user's, closed to
// everyone else.
func checkPrivate(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check the control directory %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("the control directory %s is not a directory: remove it, or set XDG_RUNTIME_DIR to a directory you own", dir)
	}
	if uid, ok := ownerUID(info); ok && uid != os.Getuid() {
		return fmt.Errorf("the control directory %s belongs to another user (uid %d): remove it, or set XDG_RUNTIME_DIR to a directory you own", dir, uid)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the control directory %s is open to other users (mode %s): run chmod 700 %s", dir, info.Mode().Perm(), dir)
	}
	return nil
}
