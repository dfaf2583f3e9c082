package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/sidecar-dev/sidecar/runtime"
)

// A running `sidecar up` (foreground, or the supervisor of `up -d`) owns its stack on its
// engine: it holds an exclusive lock on <dir>/<stack>.lock for its whole life (the kernel
// releases it however the process ends) and serves the control API (package control) on the
// unix socket <dir>/<stack>.sock, where dir is the engine's directory (engineDir) in the
// user's runtime directory (controlDir). `ps` reads the
// live state there, `attach` and `logs` the event stream, `restart|stop|start` act there,
// `down` asks for a shutdown there, and a second `up` of the same stack finds the lock taken
// and converges the running stack instead of removing its containers as leftovers.
//
// A socket whose lock is free is stale (its `up` was killed): whoever finds it removes it,
// with its lock file. A lock file is removed only by whoever holds its lock, and whoever takes
// a lock checks afterwards that the path still names the file it locked (else it was removed
// meanwhile and the lock is worth nothing: it starts again), so that removing lock files
// never lets two processes hold one stack.

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
// closed to others, since whoever can reach a socket there can stop the stack. An
// XDG_RUNTIME_DIR that is not the user's own, or that others may write to (they could put
// their own directory in place of ours), is not used: the temp dir scheme is.
func controlDir(getenv func(string) string) (string, error) {
	var dir string
	if rd := getenv("XDG_RUNTIME_DIR"); rd != "" && filepath.IsAbs(rd) && privateParent(rd) {
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

// controlDirOf is the directory of the control sockets of the engine the command talks to:
// under dir, a command's ControlDir (tests give one of their own), or when it is "" the
// user's (controlDir), the engine's own directory (engineDir). A stack is known by its name
// on one engine: `ps`, `down`, `up` and the rest see only the stacks of the engine
// DOCKER_HOST (or the Docker context) points at, as docker compose does, and the same stack
// may run on two engines.
func (f *Factory) controlDirOf(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = controlDir(f.getenv()); err != nil {
			return "", err
		}
	}
	return engineDir(dir, f.engineHost())
}

// engineHost is the address of the engine the command talks to, as connectEngine resolves
// it (DOCKER_HOST, the Docker context, the default socket). An address that cannot be
// resolved (a context that does not exist) names no engine that runs anything: connecting
// fails and says why.
func (f *Factory) engineHost() string {
	host, _, err := runtime.ResolveHost(runtime.ConnectOptions{Getenv: f.getenv()})
	if err != nil {
		return "unresolved engine"
	}
	return host
}

// engineKey names the engine at host in file names: a short hash of its address, the same
// for every spelling of one socket (see sameEngine).
func engineKey(host string) string {
	sum := sha256.Sum256([]byte(canonicalHost(host)))
	return hex.EncodeToString(sum[:6])
}

// canonicalHost is host with a unix socket's path resolved through symbolic links:
// /var/run/docker.sock and /run/docker.sock are one engine on most Linux systems (/var/run
// links to /run), and an up -d through one must see the stack an up through the other runs.
func canonicalHost(host string) string {
	if p, ok := strings.CutPrefix(host, "unix://"); ok && p != "" {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return "unix://" + real
		}
	}
	return host
}

// sameEngine reports whether a and b are addresses of one engine, as far as their spelling
// tells.
func sameEngine(a, b string) bool { return canonicalHost(a) == canonicalHost(b) }

// engineDir is the directory, under dir, of the stacks of the engine at host: a short hash
// of the address (an address may be long and hold any character). It is made only by an up
// that holds a stack there (holdStack, nameEngine) and removed with the last stack it held
// (release), so that a command that never runs a stack — ps of an engine that does not
// answer, an up that cannot reach its engine — leaves nothing behind; when it is there it
// must be private.
func engineDir(dir, host string) (string, error) {
	sub := filepath.Join(dir, engineKey(host))
	if err := checkPrivate(sub); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return sub, nil
}

// engineFile names, in an engine's directory, the engine's address for whoever looks.
const engineFile = "engine"

// nameEngine writes the address of the engine into its directory dir, held by this process.
func nameEngine(dir, host string) {
	name := filepath.Join(dir, engineFile)
	if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
		_ = os.WriteFile(name, []byte(host+"\n"), 0o600)
	}
}

// maxDirRaces bounds how many times in a row holdStack makes an engine's directory again that
// the last up of the engine removed meanwhile.
const maxDirRaces = 100

// makeEngineDir creates an engine's directory dir, private.
func makeEngineDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the control directory %s: %w (set XDG_RUNTIME_DIR to a directory you own)", dir, err)
	}
	return checkPrivate(dir)
}

// removeUnusedEngineDir removes an engine's directory dir when it holds no stack's files,
// nothing but the file naming the engine. Another up that makes it again meanwhile finds it
// gone when it creates its lock, and makes it again (holdStack).
func removeUnusedEngineDir(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() != engineFile {
			return
		}
	}
	_ = os.Remove(filepath.Join(dir, engineFile))
	_ = os.Remove(dir) // fails when a lock appeared meanwhile: then it is in use
}

// privateParent reports whether dir (XDG_RUNTIME_DIR) is a directory of the user's that
// nobody else may write to, as the XDG base directory specification requires of it.
func privateParent(dir string) bool {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() || info.Mode().Perm()&0o022 != 0 {
		return false
	}
	uid, ok := ownerUID(info)
	return !ok || uid == os.Getuid()
}

// stackFiles are the lock and socket paths of a stack.
func stackFiles(dir, stack string) (lock, sock string) {
	return filepath.Join(dir, stack+".lock"), filepath.Join(dir, stack+".sock")
}

// stackHold is the exclusive hold of a stack by one `up`.
type stackHold struct {
	stack    string
	lock     *os.File
	lockPath string
	sock     string
	ln       net.Listener
}

// holdStack takes the stack for this process: the lock, then the socket (a stale one is
// removed). A live owner makes it fail with ErrStackRunning, saying who.
func holdStack(dir, stack string) (*stackHold, error) {
	lockPath, sock := stackFiles(dir, stack)
	if len(sock) > maxSocketPath {
		return nil, fmt.Errorf("the control socket path %s is too long for a unix socket (%d bytes, at most %d): set XDG_RUNTIME_DIR to a shorter directory", sock, len(sock), maxSocketPath)
	}
	var f *os.File
	for try := 0; ; try++ {
		err := makeEngineDir(dir)
		if err == nil {
			f, err = lockFile(lockPath, true)
		}
		// The last up of this engine removed the directory meanwhile: while the lock was
		// taken (not exist), or between MkdirAll's mkdir and its look at what stood there
		// (exists, but not as a directory by then).
		if (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist)) && try < maxDirRaces {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if f == nil {
		return nil, runningError(dir, stack)
	}
	fail := func(err error) (*stackHold, error) {
		_ = os.Remove(lockPath)
		unlock(f)
		f.Close()
		removeUnusedEngineDir(dir)
		return nil, err
	}
	// Ours now: the socket, if any, is a killed up's.
	if err := os.Remove(sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("remove the stale control socket %s: %w", sock, err))
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return fail(fmt.Errorf("listen on the control socket %s: %w", sock, err))
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		return fail(fmt.Errorf("restrict the control socket %s: %w", sock, err))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &stackHold{stack: stack, lock: f, lockPath: lockPath, sock: sock, ln: ln}, nil
}

// lockFile opens the lock file at path (creating it when create is set) and takes its lock
// without waiting. It returns nil, nil when another process holds it (or, without create,
// when there is no lock file). A lock is good only while path names the locked file: a holder
// removes the file before it unlocks, so a lock taken on a file opened just before is checked
// and, when the path no longer names it, taken again on the new one.
func lockFile(path string, create bool) (*os.File, error) {
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	for {
		f, err := os.OpenFile(path, flags, 0o600)
		if err != nil {
			if !create && errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, fmt.Errorf("open the stack lock %s: %w", path, err)
		}
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !ok {
			f.Close()
			return nil, nil
		}
		held, err := f.Stat()
		if err != nil {
			unlock(f)
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		now, err := os.Stat(path)
		if err == nil && os.SameFile(held, now) {
			return f, nil
		}
		unlock(f)
		f.Close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !create && err != nil {
			return nil, nil // removed by its last holder: nothing is left to clean
		}
	}
}

// runningError says that a live up owns the stack, and how to reach it.
func runningError(dir, stack string) error {
	who := "another sidecar up"
	if c, ok := dialControl(dir, stack); ok {
		ctx, cancel := context.WithTimeout(context.Background(), controlDialWait)
		defer cancel()
		if st, err := c.State(ctx); err == nil {
			who = fmt.Sprintf("sidecar up (pid %d", st.PID)
			if st.Detached {
				who = fmt.Sprintf("sidecar up -d (supervisor pid %d", st.PID)
			}
			if st.Recipe != "" {
				who += ", from " + st.Recipe
			}
			who += ")"
		}
	}
	return fmt.Errorf("%w: stack %s is run by %s; stop it with `sidecar down --stack %s` (or Ctrl-C where it runs), see it with `sidecar ps --stack %s`",
		ErrStackRunning, stack, who, stack, stack)
}

// release gives the stack up: the socket goes, then the lock file, removed while it is still
// locked (see lockFile), then the lock, and the engine's directory when no other stack of the
// engine is there.
func (h *stackHold) release() {
	h.ln.Close() // removes the socket file too
	_ = os.Remove(h.sock)
	_ = os.Remove(h.lockPath)
	unlock(h.lock)
	h.lock.Close()
	removeUnusedEngineDir(filepath.Dir(h.lockPath))
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

// removeStale removes a socket left by a killed up, and its lock file, when its lock is free.
func removeStale(lockPath, sock string) {
	// Without a lock file the socket is left alone: an up that has just created the file and
	// is about to listen may own it (an up removes a stale socket itself once it holds the
	// lock).
	f, err := lockFile(lockPath, false)
	if err != nil || f == nil {
		return
	}
	_ = os.Remove(sock)
	_ = os.Remove(lockPath)
	unlock(f)
	f.Close()
}

// liveStacks lists the stacks whose socket in dir has a live up, sorted.
func liveStacks(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	socks := map[string]bool{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".sock")
		if !ok || e.Type()&fs.ModeSocket == 0 {
			continue
		}
		socks[name] = true
		if _, live := dialControl(dir, name); live {
			out = append(out, name)
		}
	}
	// A lock file without a socket is a killed up's too (killed between the two).
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".lock"); ok && !socks[name] {
			removeStale(stackFiles(dir, name))
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

// stacksRunFromHere are the stacks that a live sidecar up (in the control directory dir, ""
// for the user's) runs from a recipe in the working directory, by name.
func stacksRunFromHere(f *Factory, dir string) []struct{ name, recipe string } {
	var out []struct{ name, recipe string }
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	if dir, err = f.controlDirOf(dir); err != nil {
		return nil
	}
	for _, name := range liveStacks(dir) { // each dialled already: live
		_, sock := stackFiles(dir, name)
		c := control.NewClient(sock)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := c.State(ctx)
		cancel()
		if err != nil || s.Recipe == "" {
			continue
		}
		if first := filepath.SplitList(s.Recipe)[0]; filepath.IsAbs(first) && sameFile(filepath.Dir(first), wd) {
			out = append(out, struct{ name, recipe string }{name, filepath.Base(first)})
		}
	}
	return out
}
