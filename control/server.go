package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Server serves one running stack on a listener until Close.
type Server struct {
	o      *orchestrator.Orchestrator
	rt     orchestrator.Containers
	infoMu sync.Mutex // guards info.Recipe, which an apply changes
	info   Info
	opts   Options
	srv    *http.Server

	released  chan struct{} // closed once the stack is given up
	closeOnce sync.Once
	served    chan struct{}
}

// Options are what a Server can do besides driving the orchestrator.
type Options struct {
	// Watch is the watch of the stack's files (package watch's Hub), which POST /v1/watch
	// holds; nil: the stack cannot be watched.
	Watch Watcher
}

// Watcher is a stack's file watch, shared by whoever holds it.
type Watcher interface {
	// Hold makes the stack watched until release is called. An error says why its rules
	// cannot be watched (bad input).
	Hold() (release func(), err error)
	// Watching reports whether the stack is watched.
	Watching() bool
}

// Serve starts serving o's stack on ln. rt is asked for the published ports.
func Serve(ln net.Listener, o *orchestrator.Orchestrator, rt orchestrator.Containers, info Info, opts Options) *Server {
	s := &Server{o: o, rt: rt, info: info, opts: opts, released: make(chan struct{}), served: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+API+"/state", s.state)
	mux.HandleFunc("GET "+API+"/events", s.events)
	mux.HandleFunc("POST "+API+"/shutdown", s.shutdown)
	mux.HandleFunc("POST "+API+"/interrupt", s.interrupt)
	mux.HandleFunc("POST "+API+"/kill", s.kill)
	mux.HandleFunc("POST "+API+"/containers/{verb}", s.containers)
	mux.HandleFunc("POST "+API+"/apply", s.apply)
	mux.HandleFunc("POST "+API+"/watch", s.watch)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // ends with Close
	}()
	return s
}

// Close stops serving once the stack was released: answers still streaming end then.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.released) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.served
}

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	s.infoMu.Lock()
	info := s.info
	s.infoMu.Unlock()
	st := State{Info: info, State: s.o.Snapshot(), Watching: s.opts.Watch != nil && s.opts.Watch.Watching()}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if ports, err := PublishedPorts(ctx, s.rt, st.Stack); err == nil {
		st.Ports = ports
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// ndjson writes a streamed answer, one JSON object a line, flushed after each batch.
type ndjson struct {
	w   http.ResponseWriter
	buf *bufio.Writer
	enc *json.Encoder
}

func newNDJSON(w http.ResponseWriter) *ndjson {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	buf := bufio.NewWriterSize(w, 64<<10)
	n := &ndjson{w: w, buf: buf, enc: json.NewEncoder(buf)}
	n.flush()
	return n
}

func (n *ndjson) write(evs []orchestrator.Event) error {
	for _, ev := range evs {
		if err := n.enc.Encode(ev); err != nil {
			return err
		}
	}
	return n.flush()
}

func (n *ndjson) line(v any) error {
	if err := n.enc.Encode(v); err != nil {
		return err
	}
	return n.flush()
}

func (n *ndjson) flush() error {
	if err := n.buf.Flush(); err != nil {
		return err
	}
	if f, ok := n.w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

// events streams the event stream: a snapshot, the history of the log buffers, then live
// events until the stack ends (a final "end" line) or the client goes away.
//
// Query: logs=0 leaves log lines out; state=0 leaves state events out but for snapshots;
// follow=0 ends after what is there now; tail=N starts each container's lines N from the
// end (tail=0: none of the history); container=NAME (repeated) keeps only those
// containers' lines, named as on the command line.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := orchestrator.SubscribeOptions{MaxLogLines: 5000, NoLogs: q.Get("logs") == "0", NoState: q.Get("state") == "0"}
	if t := q.Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			http.Error(w, "tail takes a number of lines or all", http.StatusBadRequest)
			return
		}
		opts.Tail, opts.NoHistory = n, n == 0
	}
	if names := q["container"]; len(names) > 0 {
		refs, err := s.o.ResolveContainers(names, true)
		if err != nil {
			writeError(w, err)
			return
		}
		opts.Containers = refs
	}
	sub := s.o.SubscribeWith(opts)
	defer sub.Close()
	out := newNDJSON(w)
	if q.Get("follow") == "0" {
		for {
			evs := sub.TryNext()
			if len(evs) == 0 {
				_ = out.line(json.RawMessage(endLine))
				return
			}
			if out.write(evs) != nil {
				return
			}
		}
	}
	for {
		evs, err := sub.Next(r.Context())
		if errors.Is(err, io.EOF) {
			_ = out.line(json.RawMessage(endLine))
			return
		}
		if err != nil || out.write(evs) != nil {
			return // the client went away
		}
	}
}

// shutdown asks for a graceful teardown and streams its state events until the stack is
// released: when the answer ends, nothing of the stack is left and a new up may start.
func (s *Server) shutdown(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("follow") == "0" {
		s.o.Shutdown()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	sub := s.o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	defer sub.Close()
	s.o.Shutdown()
	out := newNDJSON(w)
	for {
		evs, err := sub.Next(r.Context())
		if err != nil {
			break // io.EOF: the run is over; or the client went away
		}
		if out.write(evs) != nil {
			return
		}
	}
	select {
	case <-s.released:
	case <-r.Context().Done():
	}
}

func (s *Server) interrupt(w http.ResponseWriter, r *http.Request) {
	s.o.Interrupt()
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) kill(w http.ResponseWriter, r *http.Request) {
	s.o.Kill()
	w.WriteHeader(http.StatusAccepted)
}

// containers runs restart, stop or start on containers (CommandRequest), in lifecycle
// order. With Wait the answer streams the state events until the command is done.
func (s *Server) containers(w http.ResponseWriter, r *http.Request) {
	var verb orchestrator.Command
	switch r.PathValue("verb") {
	case VerbRestart:
		verb = orchestrator.CmdRestart
	case VerbStop:
		verb = orchestrator.CmdStop
	case VerbStart:
		verb = orchestrator.CmdStart
	default:
		http.Error(w, "unknown verb: use restart, stop or start", http.StatusNotFound)
		return
	}
	var req CommandRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		http.Error(w, "decode the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	refs, err := s.o.ResolveContainers(req.Containers, false)
	if err != nil {
		writeError(w, err)
		return
	}
	if !req.Wait {
		err := s.o.CommandContainers(r.Context(), verb, refs, false)
		if err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	streamWhile(w, r, s.o, func(ctx context.Context) ([]string, error) {
		return nil, s.o.CommandContainers(ctx, verb, refs, true)
	})
}

// apply converges the running stack onto the recipe of an ApplyRequest and streams what
// happens meanwhile, then the changes made.
func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	var req ApplyRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&req); err != nil {
		http.Error(w, "decode the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	st, err := req.Unpack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	streamWhile(w, r, s.o, func(ctx context.Context) ([]string, error) {
		res, err := s.o.Apply(ctx, st, orchestrator.ApplyOptions{Pods: req.Pods})
		if err == nil && req.Recipe != "" {
			s.infoMu.Lock()
			s.info.Recipe = req.Recipe
			s.infoMu.Unlock()
		}
		return res.Changes, err
	})
}

// watch holds the stack's file watch while the request lasts, streaming the stack's state
// events meanwhile (events=0: none), and ends with a Result line once the stack has ended.
// persist=1 holds it for the stack's whole life and answers at once.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	if s.opts.Watch == nil {
		writeError(w, fmt.Errorf("the process that runs stack %s cannot watch its files (an older sidecar?): %w", s.info.Stack, orchestrator.ErrNotSupported))
		return
	}
	release, err := s.opts.Watch.Hold()
	if err != nil {
		writeResult(w, http.StatusUnprocessableEntity, Result{Type: "result", Error: err.Error(), Code: 2})
		return
	}
	q := r.URL.Query()
	if q.Get("persist") == "1" {
		w.WriteHeader(http.StatusAccepted) // released when the stack ends
		return
	}
	defer release()
	opts := orchestrator.SubscribeOptions{NoLogs: true}
	quiet := q.Get("events") == "0"
	if quiet {
		opts.NoState = true // snapshots only, not written: the stream only tells the end
	}
	sub := s.o.SubscribeWith(opts)
	defer sub.Close()
	out := newNDJSON(w)
	for {
		evs, err := sub.Next(r.Context())
		if errors.Is(err, io.EOF) {
			_ = out.line(resultOf(nil, nil))
			return
		}
		if err != nil {
			return // the client went away: the watch is released
		}
		if !quiet && out.write(evs) != nil {
			return
		}
	}
}

// streamWhile runs fn and streams the stack's state events meanwhile, then fn's Result.
func streamWhile(w http.ResponseWriter, r *http.Request, o *orchestrator.Orchestrator, fn func(context.Context) ([]string, error)) {
	sub := o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	defer sub.Close()
	type outcome struct {
		changes []string
		err     error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		changes, err := fn(ctx)
		done <- outcome{changes, err}
	}()
	out := newNDJSON(w)
	for {
		select {
		case res := <-done:
			if out.write(sub.TryNext()) != nil {
				return
			}
			_ = out.line(resultOf(res.err, res.changes))
			return
		case <-sub.Ready():
			if out.write(sub.TryNext()) != nil {
				cancel()
				<-done
				return
			}
		case <-r.Context().Done():
			<-done
			return
		}
	}
}

// writeError answers a request that could not be carried out with a Result.
func writeError(w http.ResponseWriter, err error) {
	status := http.StatusConflict
	if codeOf(err) == 2 {
		status = http.StatusNotFound
	}
	writeResult(w, status, resultOf(err, nil))
}

func writeResult(w http.ResponseWriter, status int, res Result) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res)
}

// PublishedPorts returns, per pod, the host ports the stack's infra containers publish, as
// the engine bound them: "127.0.0.1:8081->8080/tcp".
func PublishedPorts(ctx context.Context, rt orchestrator.Containers, stack string) (map[string][]string, error) {
	infos, err := rt.ListContainers(ctx, orchestrator.Labels{Stack: stack, Role: recipes.RoleInfra}.Encode())
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, info := range infos {
		l, err := orchestrator.DecodeLabels(info.Labels)
		if err != nil {
			continue // not one sidecar made
		}
		seen := map[string]bool{}
		for _, p := range info.Ports {
			s := FormatPort(p)
			if !seen[s] { // the engine lists IPv4 and IPv6 bindings of one port alike
				seen[s] = true
				out[l.Pod] = append(out[l.Pod], s)
			}
		}
		sort.Strings(out[l.Pod])
	}
	return out, nil
}

// FormatPort writes a bound port as docker ps does: host_ip:host_port->container_port/proto.
func FormatPort(p recipes.Port) string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Protocol)
}
