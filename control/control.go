// Package control is the protocol between a running stack and the commands that talk to it:
// a small HTTP API on a unix socket, served by whoever runs the stack (a foreground `sidecar
// up` or the supervisor of `up -d`) over its *orchestrator.Orchestrator, and a client for
// it. Every command of the working day goes through it: `ps` reads the state, `attach` and
// `logs -f` read the event stream (Subscription, which with Controller satisfies the TUI's
// Controller), `restart|stop|start` act on containers in lifecycle order, `up` of a running
// stack converges it (Apply), and `down` shuts it down.
//
// The socket, its directory and the lock that makes one process own a stack are the CLI's
// (cmd/sidecar/control.go); this package only speaks over a listener and a socket path.
//
//	GET  /v1/state            the live state (State), as JSON
//	GET  /v1/events           the event stream as NDJSON: a snapshot, the log buffers' history,
//	                          then live (query: logs, state, follow, tail, container)
//	POST /v1/shutdown         graceful teardown; streams its state events until the stack is
//	                          released (?follow=0: answers at once)
//	POST /v1/interrupt        graceful teardown as after Ctrl-C (exit 130); answers at once
//	POST /v1/kill             remove everything at once
//	POST /v1/containers/VERB  restart, stop or start containers in lifecycle order (Command)
//	POST /v1/apply            converge the stack onto a new recipe (ApplyRequest)
//	POST /v1/watch            watch the stack's files while the request lasts, streaming its
//	                          state events (query: events=0 none; persist=1 for the stack's life)
//
// Streamed answers are NDJSON: orchestrator events (orchestrator.DecodeEvent reads them),
// then one final line of type "result" (Result) or, for the event stream, "end".
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// API is the path prefix of every request.
const API = "/v1"

// Info says who runs the stack; the server adds the live state to it.
type Info struct {
	PID       int       `json:"pid"`
	Stack     string    `json:"stack"`
	Recipe    string    `json:"recipe,omitempty"`
	Version   string    `json:"version,omitempty"`
	StartedAt time.Time `json:"started_at"`
	// Engine is the address of the engine the stack runs on, as the CLI resolved it
	// (DOCKER_HOST, the Docker context, the default socket).
	Engine string `json:"engine,omitempty"`
	// Detached is set for the supervisor of `up -d`; Log is the file its output goes to.
	Detached bool   `json:"detached,omitempty"`
	Log      string `json:"log,omitempty"`
}

// State is what GET /v1/state returns.
type State struct {
	Info
	State orchestrator.StackView `json:"state"`
	// Watching: the stack's files are watched (up --watch, sidecar watch).
	Watching bool `json:"watching,omitempty"`
	// Ports are the host ports each pod publishes, as the engine bound them.
	Ports map[string][]string `json:"ports,omitempty"`
}

// Verbs of POST /v1/containers/VERB.
const (
	VerbRestart = "restart"
	VerbStop    = "stop"
	VerbStart   = "start"
)

// CommandRequest is the body of POST /v1/containers/VERB.
type CommandRequest struct {
	// Containers are named as on the command line: "name", or "pod/name" (needed when
	// several pods have a container of that name). None: every app container of the stack.
	Containers []string `json:"containers,omitempty"`
	// Wait makes the answer stream the containers' state events until the command is done
	// (stopped, or started and ready); without it the answer comes once the command is
	// handed to the pods.
	Wait bool `json:"wait,omitempty"`
}

// ApplyRequest is the body of POST /v1/apply: the normalised stack (its JSON form leaves out
// where it was read from, which comes alongside) and the pods named on the command line.
type ApplyRequest struct {
	Stack  *recipes.Stack `json:"stack"`
	Dir    string         `json:"dir"`
	Source recipes.Source `json:"source"`
	Pods   []string       `json:"pods,omitempty"`
	// Recipe names the recipe's files as Info.Recipe does: once the apply succeeded, the
	// state names them ("" leaves the state's as it was).
	Recipe string `json:"recipe,omitempty"`
}

// NewApplyRequest packs a loaded stack for Apply.
func NewApplyRequest(st *recipes.Stack, pods []string) ApplyRequest {
	return ApplyRequest{Stack: st, Dir: st.Dir, Source: st.Source, Pods: pods}
}

// Unpack returns the stack as it was loaded.
func (r ApplyRequest) Unpack() (*recipes.Stack, error) {
	if r.Stack == nil {
		return nil, errors.New("apply: no stack in the request")
	}
	st := *r.Stack
	st.Dir, st.Source = r.Dir, r.Source
	return &st, nil
}

// Result ends a streamed answer: the outcome of the command or apply, and for an apply the
// changes it made ("replace proxy: env changed"; none: the stack was up to date).
type Result struct {
	Type    string   `json:"type"` // "result"
	Error   string   `json:"error,omitempty"`
	Code    int      `json:"code,omitempty"` // the exit status the error calls for (2: bad names)
	Changes []string `json:"changes,omitempty"`
	// Taken ends the report of a supervisor of `up -d` that found the stack taken by another
	// sidecar up as it started (two up -d at once): its up -d converges that one instead.
	Taken bool `json:"taken,omitempty"`
}

// Err is the result's error, or nil.
func (r Result) Err() error {
	if r.Error == "" {
		return nil
	}
	return &Error{Msg: r.Error, Code: r.Code}
}

// Error is a failure the stack's owner reported.
type Error struct {
	Msg  string
	Code int // the exit status it calls for: 2 for names that do not exist, else 1
}

func (e *Error) Error() string { return e.Msg }

// ExitCode is the exit status the error calls for.
func (e *Error) ExitCode() int {
	if e.Code == 0 {
		return 1
	}
	return e.Code
}

// codeOf is the exit status an orchestrator error calls for.
func codeOf(err error) int {
	if errors.Is(err, orchestrator.ErrUnknownContainer) || errors.Is(err, orchestrator.ErrUnknownPod) ||
		errors.Is(err, orchestrator.ErrNotSupported) {
		return 2
	}
	return 1
}

// NewResult is the Result line of a command that ended with err (nil: it went well); code
// is the exit status it calls for.
func NewResult(code int, err string) Result { return Result{Type: "result", Code: code, Error: err} }

func resultOf(err error, changes []string) Result {
	r := Result{Type: "result", Changes: changes}
	if err != nil {
		r.Error, r.Code = err.Error(), codeOf(err)
	}
	return r
}

// endLine is the event stream's last line when the stack has ended (not when the server
// went away).
const endLine = `{"type":"end"}`

// decodeLine reads one line of a streamed answer: an event, a Result (ev nil), or neither
// (a kind this build does not know: both nil).
func decodeLine(b []byte) (ev orchestrator.Event, res *Result, end bool, err error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, nil, false, fmt.Errorf("decode %q: %w", b, err)
	}
	switch head.Type {
	case "result":
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, nil, false, err
		}
		return nil, &r, false, nil
	case "end":
		return nil, nil, true, nil
	}
	ev, err = orchestrator.DecodeEvent(b)
	if err != nil {
		return nil, nil, false, nil // a newer kind of event: skipped
	}
	return ev, nil, false, nil
}
