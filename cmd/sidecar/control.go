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
