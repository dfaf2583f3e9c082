package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// A running `sidecar up` owns its stack: it holds an exclusive lock on <dir>/<stack>.lock for
// its whole life (the kernel releases it however the process ends) and serves a small HTTP
// API on the unix socket <dir>/<stack>.sock, where dir is the user's runtime directory
// (controlDir). `ps` reads the live state there, `down` asks for a shutdown there, and a
// second `up` of the same stack finds the lock taken and refuses to start instead of
// removing the first one's containers as leftovers.
//
//	GET  /v1/state     the live state (controlState), as JSON
//	POST /v1/shutdown  start a graceful teardown; the response streams the teardown's state
//	                   events, one JSON object per line, and ends once everything is removed
//	                   and the stack is released
//	POST /v1/kill      remove everything at once (a second Ctrl-C)
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
	f, err := lockFile(lockPath, true)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, runningError(dir, stack)
	}
	fail := func(err error) (*stackHold, error) {
		_ = os.Remove(lockPath)
		unlock(f)
		f.Close()
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
// locked (see lockFile), then the lock.
func (h *stackHold) release() {
	h.ln.Close() // removes the socket file too
	_ = os.Remove(h.sock)
	_ = os.Remove(h.lockPath)
	unlock(h.lock)
	h.lock.Close()
}

// controlState is what GET /v1/state returns.
type controlState struct {
	PID       int                    `json:"pid"`
	Stack     string                 `json:"stack"`
	Recipe    string                 `json:"recipe,omitempty"`
	Version   string                 `json:"version,omitempty"`
	StartedAt time.Time              `json:"started_at"`
	State     orchestrator.StackView `json:"state"`
	// Ports are the host ports each pod publishes, as the engine bound them.
	Ports map[string][]string `json:"ports,omitempty"`
}

// controlServer serves one up's stack on its socket.
type controlServer struct {
	o        *orchestrator.Orchestrator
	rt       orchestrator.Runtime
	info     controlState
	srv      *http.Server
	released chan struct{} // closed once the stack is given up
	served   chan struct{}
}

// serveControl starts serving h's socket for o until close.
func serveControl(h *stackHold, o *orchestrator.Orchestrator, rt orchestrator.Runtime, info controlState) *controlServer {
	s := &controlServer{o: o, rt: rt, info: info, released: make(chan struct{}), served: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+controlAPI+"/state", s.state)
	mux.HandleFunc("POST "+controlAPI+"/shutdown", s.shutdown)
	mux.HandleFunc("POST "+controlAPI+"/kill", s.kill)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(h.ln) // ends with close
	}()
	return s
}

func (s *controlServer) state(w http.ResponseWriter, r *http.Request) {
	st := s.info
	st.State = s.o.Snapshot()
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if ports, err := publishedPorts(ctx, s.rt, st.Stack); err == nil {
		st.Ports = ports
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// shutdown asks for a graceful teardown and streams its state events until the stack is
// released: when the response ends, nothing of the stack is left and a new up may start.
func (s *controlServer) shutdown(w http.ResponseWriter, r *http.Request) {
	sub := s.o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	defer sub.Close()
	s.o.Shutdown()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	flush()
	enc := json.NewEncoder(w)
	for {
		evs, err := sub.Next(r.Context())
		if err != nil {
			break // io.EOF: the run is over; or the client went away
		}
		for _, ev := range evs {
			if err := enc.Encode(ev); err != nil {
				return
			}
		}
		flush()
	}
	select {
	case <-s.released:
	case <-r.Context().Done():
	}
}

func (s *controlServer) kill(w http.ResponseWriter, r *http.Request) {
	s.o.Kill()
	w.WriteHeader(http.StatusAccepted)
}

// close stops serving once the stack was released: running shutdown streams end then.
func (s *controlServer) close() {
	close(s.released)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.served
}

// controlClient talks to a live up's socket.
type controlClient struct {
	sock string
	http *http.Client
}

// dialControl reports whether a live up serves the stack's socket, and a client for it. A
// socket nobody listens on, whose lock is free, is stale and removed.
func dialControl(dir, stack string) (*controlClient, bool) {
	lockPath, sock := stackFiles(dir, stack)
	conn, err := net.DialTimeout("unix", sock, controlDialWait)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			removeStale(lockPath, sock)
		}
		return nil, false
	}
	conn.Close()
	c := &controlClient{sock: sock, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}}
	return c, true
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

func (c *controlClient) url(path string) string { return "http://sidecar" + controlAPI + path }

// State reads the live state.
func (c *controlClient) State(ctx context.Context) (controlState, error) {
	var st controlState
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/state"), nil)
	if err != nil {
		return st, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return st, fmt.Errorf("ask the running up for its state (%s): %w", c.sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("ask the running up for its state (%s): %s", c.sock, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("read the running up's state (%s): %w", c.sock, err)
	}
	return st, nil
}

// Shutdown asks the up to tear the stack down and follows the teardown, passing each event
// to progress, until the stack is released. ended reports whether the up said it finished
// (a final stack event); without it, the up went away in the middle.
func (c *controlClient) Shutdown(ctx context.Context, progress func(orchestrator.Event)) (final *orchestrator.StackEvent, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/shutdown"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ask the running up to shut down (%s): %w", c.sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ask the running up to shut down (%s): %s", c.sock, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		ev, err := orchestrator.DecodeEvent(sc.Bytes())
		if err != nil {
			continue // a kind of event this build does not know
		}
		if se, ok := ev.(orchestrator.StackEvent); ok && (se.Phase == orchestrator.PhaseDone || se.Phase == orchestrator.PhaseFailed) {
			final = &se
		}
		if progress != nil {
			progress(ev)
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return final, fmt.Errorf("follow the shutdown of the running up (%s): %w", c.sock, err)
	}
	return final, nil
}

// Kill asks the up to remove everything at once.
func (c *controlClient) Kill(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/kill"), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("ask the running up to kill the stack (%s): %w", c.sock, err)
	}
	resp.Body.Close()
	return nil
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
