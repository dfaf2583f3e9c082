package orchestrator

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// The orchestrator's output is one stream of typed events (state, progress, messages and log
// lines). A plain printer, a JSON printer and the TUI are interchangeable subscribers: each
// event has a stable JSON form, one object with a "type" field, so `--output json` writes
// one per line, and DecodeEvent reads them back.

// Event is one event of the stream. The concrete types are SnapshotEvent, StackEvent,
// PodEvent, ContainerEvent, HookEvent, ProbeEvent, ImageEvent, LeftoversEvent, MessageEvent,
// LogEvent, LogsDroppedEvent, StatsEvent, EngineStateEvent and WatchEvent.
type Event interface {
	// Type is the event's "type" in its JSON form.
	Type() string
	// Meta is the event's sequence number and time.
	Meta() EventMeta
	withMeta(EventMeta) Event
}

// EventMeta orders events: Seq grows by one per event (state events and log lines share
// it), so a subscriber can merge what it reads in order.
type EventMeta struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
}

// Meta returns m; it makes every event type that embeds EventMeta satisfy Event.Meta.
func (m EventMeta) Meta() EventMeta { return m }

// SnapshotEvent is the first event every subscriber gets: the whole stack's state at the
// moment it subscribed. Events after it are changes to that state.
type SnapshotEvent struct {
	EventMeta
	Stack StackView `json:"stack"`
}

// StackEvent is a change of the stack's phase. ExitCode is set once the stack is done; Left
// then names what a run stopped while the engine was unreachable left on it (Result.Left).
type StackEvent struct {
	EventMeta
	Stack    string   `json:"stack"`
	Phase    Phase    `json:"phase"`
	Reason   string   `json:"reason,omitempty"`
	ExitCode *int     `json:"exit_code,omitempty"`
	Left     []string `json:"left,omitempty"`
}

// PodEvent is a change of a pod's phase. WaitsFor names the pods a pending pod waits for
// (its depends_on not met yet).
type PodEvent struct {
	EventMeta
	Pod      string   `json:"pod"`
	Phase    Phase    `json:"phase"`
	Reason   string   `json:"reason,omitempty"`
	WaitsFor []string `json:"waits_for,omitempty"`
}

// ContainerEvent is the new state of one container (the infra container too).
type ContainerEvent struct {
	EventMeta
	ContainerView
}

// HookEvent is a lifecycle hook of one run of a container: sent (running), then how it went
// (passed or failed, with how long it took). A post-start hook runs right after the start,
// and the container counts as started only once it passed; a pre-stop hook runs before the
// stop signal, within the stop's grace (failed, "abandoned", when that runs out). Hooks are
// not part of StackView: ContainerView.Reason says "post-start hook running" meanwhile.
type HookEvent struct {
	EventMeta
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Hook      HookKind  `json:"hook"`
	Phase     HookPhase `json:"phase"`
	// Action says what the hook does: "exec /drain --wait", "http GET :8080/shutdown",
	// "sleep 5s".
	Action string `json:"action,omitempty"`
	// Error says why it failed.
	Error string `json:"error,omitempty"`
	// Duration is how long it ran (passed, failed).
	Duration recipes.Duration `json:"duration,omitzero"`
}

// ProbeEvent says that the startup probe of one run of a container passed, after Duration
// of probing: the container counts as started from then on (what waits for it may start) and
// its ready and live probes run. It is said as a post-start hook's passing is (HookEvent);
// the probe's failures are in the container's view (Reason) and, when it fails its retries,
// a MessageEvent. Probes are not part of StackView beyond the view's Health and Reason.
type ProbeEvent struct {
	EventMeta
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Probe     ProbeKind `json:"probe"` // startup
	// Duration is how long the probe ran before it passed: from its first attempt (once the
	// post-start hook passed) to its first success.
	Duration recipes.Duration `json:"duration,omitzero"`
}

// ImageEvent is the progress of making one image available.
type ImageEvent struct {
	EventMeta
	Ref    string      `json:"ref"`
	Action ImageAction `json:"action"`
	// Step is the layer or build step a progress line is about.
	Step    string `json:"step,omitempty"`
	Message string `json:"message,omitempty"`
	Current int64  `json:"current,omitempty"`
	Total   int64  `json:"total,omitempty"`
	Done    bool   `json:"done,omitempty"`
	Error   string `json:"error,omitempty"`
}

// LeftoversEvent says what was left of an earlier run of the same stack and was removed
// before this one started.
type LeftoversEvent struct {
	EventMeta
	Containers []string `json:"containers,omitempty"`
	Networks   []string `json:"networks,omitempty"`
	Volumes    []string `json:"volumes,omitempty"`
}

// MessageEvent is a warning or an error worth a line of its own, about the stack, a pod or
// a container. Hint says how to fix it, when there is something to do.
type MessageEvent struct {
	EventMeta
	Level     Level  `json:"level"`
	Pod       string `json:"pod,omitempty"`
	Container string `json:"container,omitempty"`
	Text      string `json:"text"`
	Hint      string `json:"hint,omitempty"`
}

// LogEvent is one line a container wrote. Time is the engine's timestamp. A Marker line is
// the tool's own (a restart), not the container's.
//
// Plain says that Text holds no escape sequence: it is the same for a terminal and for a
// file (PlainText returns it as is), and a view that draws without the line's colours need
// not sanitise it again. Only the log buffer that made Text safe sets it; a LogEvent made
// or decoded anywhere else has it false, and is sanitised by the view as any text.
type LogEvent struct {
	EventMeta
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Stream    Stream `json:"stream"`
	Text      string `json:"text"`
	Plain     bool   `json:"-"`
	Marker    bool   `json:"marker,omitempty"`
}

// LogsDroppedEvent says a subscriber fell behind a container's log buffer and missed Count
// lines of it just before this point.
type LogsDroppedEvent struct {
	EventMeta
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Count     uint64 `json:"count"`
}

// StatsEvent is a resource-usage sample of a running app container. The orchestrator
// publishes one about once a second per running container when its Runtime is also a
// StatsSource; views show the latest. Stats are not part of StackView.
type StatsEvent struct {
	EventMeta
	Pod         string  `json:"pod"`
	Container   string  `json:"container"`
	CPUPercent  float64 `json:"cpu_percent"`
	MemoryBytes uint64  `json:"memory_bytes"`
	MemoryLimit uint64  `json:"memory_limit,omitempty"`
}

// EngineStateEvent is a change of the engine's reachability: it stopped answering (the
// stack's pods wait for it, nothing is acted on; Error is why it seemed gone), or it answers
// again (the stack is re-listed and reconciled). A MessageEvent says the same in words.
type EngineStateEvent struct {
	EventMeta
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

func (EngineStateEvent) Type() string                 { return "engine" }
func (e EngineStateEvent) withMeta(m EventMeta) Event { e.EventMeta = m; return e }

func (e EngineStateEvent) MarshalJSON() ([]byte, error) {
	type plain EngineStateEvent
	return typedJSON(e.Type(), plain(e))
}

func (SnapshotEvent) Type() string    { return "snapshot" }
func (StackEvent) Type() string       { return "stack" }
func (PodEvent) Type() string         { return "pod" }
func (ContainerEvent) Type() string   { return "container" }
func (HookEvent) Type() string        { return "hook" }
func (ProbeEvent) Type() string       { return "probe" }
func (ImageEvent) Type() string       { return "image" }
func (LeftoversEvent) Type() string   { return "leftovers" }
func (MessageEvent) Type() string     { return "message" }
func (LogEvent) Type() string         { return "log" }
func (LogsDroppedEvent) Type() string { return "logs_dropped" }
func (StatsEvent) Type() string       { return "stats" }

func (e SnapshotEvent) withMeta(m EventMeta) Event    { e.EventMeta = m; return e }
func (e StackEvent) withMeta(m EventMeta) Event       { e.EventMeta = m; return e }
func (e PodEvent) withMeta(m EventMeta) Event         { e.EventMeta = m; return e }
func (e ContainerEvent) withMeta(m EventMeta) Event   { e.EventMeta = m; return e }
func (e HookEvent) withMeta(m EventMeta) Event        { e.EventMeta = m; return e }
func (e ProbeEvent) withMeta(m EventMeta) Event       { e.EventMeta = m; return e }
func (e ImageEvent) withMeta(m EventMeta) Event       { e.EventMeta = m; return e }
func (e LeftoversEvent) withMeta(m EventMeta) Event   { e.EventMeta = m; return e }
func (e MessageEvent) withMeta(m EventMeta) Event     { e.EventMeta = m; return e }
func (e LogEvent) withMeta(m EventMeta) Event         { e.EventMeta = m; return e }
func (e LogsDroppedEvent) withMeta(m EventMeta) Event { e.EventMeta = m; return e }
func (e StatsEvent) withMeta(m EventMeta) Event       { e.EventMeta = m; return e }

// The JSON form of each event is its fields, flattened, with "type" first.

func (e SnapshotEvent) MarshalJSON() ([]byte, error) {
	type plain SnapshotEvent
	return typedJSON(e.Type(), plain(e))
}

func (e StackEvent) MarshalJSON() ([]byte, error) {
	type plain StackEvent
	return typedJSON(e.Type(), plain(e))
}

func (e PodEvent) MarshalJSON() ([]byte, error) {
	type plain PodEvent
	return typedJSON(e.Type(), plain(e))
}

func (e ContainerEvent) MarshalJSON() ([]byte, error) {
	type plain ContainerEvent
	return typedJSON(e.Type(), plain(e))
}

func (e HookEvent) MarshalJSON() ([]byte, error) {
	type plain HookEvent
	return typedJSON(e.Type(), plain(e))
}

func (e ProbeEvent) MarshalJSON() ([]byte, error) {
	type plain ProbeEvent
	return typedJSON(e.Type(), plain(e))
}

func (e ImageEvent) MarshalJSON() ([]byte, error) {
	type plain ImageEvent
	return typedJSON(e.Type(), plain(e))
}

func (e LeftoversEvent) MarshalJSON() ([]byte, error) {
	type plain LeftoversEvent
	return typedJSON(e.Type(), plain(e))
}

func (e MessageEvent) MarshalJSON() ([]byte, error) {
	type plain MessageEvent
	return typedJSON(e.Type(), plain(e))
}

func (e LogEvent) MarshalJSON() ([]byte, error) {
	type plain LogEvent
	return typedJSON(e.Type(), plain(e))
}

func (e LogsDroppedEvent) MarshalJSON() ([]byte, error) {
	type plain LogsDroppedEvent
	return typedJSON(e.Type(), plain(e))
}

func (e StatsEvent) MarshalJSON() ([]byte, error) {
	type plain StatsEvent
	return typedJSON(e.Type(), plain(e))
}

// DecodeEvent reads one event from its JSON form.
func DecodeEvent(b []byte) (Event, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	decode := eventDecoders[head.Type]
	if decode == nil {
		return nil, fmt.Errorf("decode event: unknown type %q", head.Type)
	}
	ev, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode %s event: %w", head.Type, err)
	}
	return ev, nil
}

// eventDecoders read each event type's JSON form, by its "type".
var eventDecoders = map[string]func([]byte) (Event, error){
	"snapshot":     decodeAs[SnapshotEvent],
	"stack":        decodeAs[StackEvent],
	"pod":          decodeAs[PodEvent],
	"container":    decodeAs[ContainerEvent],
	"hook":         decodeAs[HookEvent],
	"probe":        decodeAs[ProbeEvent],
	"image":        decodeAs[ImageEvent],
	"leftovers":    decodeAs[LeftoversEvent],
	"message":      decodeAs[MessageEvent],
	"log":          decodeAs[LogEvent],
	"logs_dropped": decodeAs[LogsDroppedEvent],
	"stats":        decodeAs[StatsEvent],
	"watch":        decodeAs[WatchEvent],
	"engine":       decodeAs[EngineStateEvent],
}

func decodeAs[E Event](b []byte) (Event, error) {
	var e E
	err := json.Unmarshal(b, &e)
	return e, err
}

// typedJSON is an event's JSON form: the fields of plain (the event as a type without its
// MarshalJSON), with "type" first.
func typedJSON(typ string, plain any) ([]byte, error) {
	fields, err := json.Marshal(plain)
	if err != nil {
		return nil, err
	}
	name, err := json.Marshal(typ)
	if err != nil {
		return nil, err
	}
	b := append([]byte(`{"type":`), name...)
	if len(fields) > len("{}") {
		b = append(b, ',')
	}
	return append(b, fields[1:]...), nil
}

// ImageAction is how an image is made available.
type ImageAction int

const (
	ImagePresent ImageAction = iota // found locally
	ImageBuild
	ImagePull
	ImageInfra // the tool's own infra image
)

var imageActionNames = enum[ImageAction]{"image action", []string{"present", "build", "pull", "infra"}}

func (a ImageAction) String() string                { return imageActionNames.name(a) }
func (a ImageAction) MarshalText() ([]byte, error)  { return imageActionNames.text(a) }
func (a *ImageAction) UnmarshalText(b []byte) error { return imageActionNames.unmarshal(a, b) }

// HookKind is which lifecycle hook a HookEvent is about.
type HookKind int

const (
	HookPostStart HookKind = iota
	HookPreStop
)

var hookKindNames = enum[HookKind]{"hook", []string{"post-start", "pre-stop"}}

func (k HookKind) String() string                { return hookKindNames.name(k) }
func (k HookKind) MarshalText() ([]byte, error)  { return hookKindNames.text(k) }
func (k *HookKind) UnmarshalText(b []byte) error { return hookKindNames.unmarshal(k, b) }

// HookPhase is where a hook of one run of a container is.
type HookPhase int

const (
	HookNone    HookPhase = iota // not sent (or none)
	HookRunning                  // sent, not finished
	HookPassed                   // the action succeeded
	HookFailed                   // the action failed, or was abandoned
)

var hookPhaseNames = enum[HookPhase]{"hook phase", []string{"none", "running", "passed", "failed"}}

func (h HookPhase) String() string                { return hookPhaseNames.name(h) }
func (h HookPhase) MarshalText() ([]byte, error)  { return hookPhaseNames.text(h) }
func (h *HookPhase) UnmarshalText(b []byte) error { return hookPhaseNames.unmarshal(h, b) }

// Level is a message's severity.
type Level int

const (
	LevelInfo Level = iota
	LevelWarning
	LevelError
)

var levelNames = enum[Level]{"level", []string{"info", "warning", "error"}}

func (l Level) String() string                { return levelNames.name(l) }
func (l Level) MarshalText() ([]byte, error)  { return levelNames.text(l) }
func (l *Level) UnmarshalText(b []byte) error { return levelNames.unmarshal(l, b) }

// MarshalText writes a stream as "stdout" or "stderr".
func (s Stream) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "stdout" or "stderr".
func (s *Stream) UnmarshalText(b []byte) error {
	switch string(b) {
	case "stdout":
		*s = Stdout
	case "stderr":
		*s = Stderr
	default:
		return fmt.Errorf("unknown stream %q: use stdout or stderr", string(b))
	}
	return nil
}

// ContainerState is a container's state as the views show it.
type ContainerState int

const (
	CStateWaiting  ContainerState = iota // not created yet
	CStateCreated                        // created, not started
	CStateStarting                       // start sent
	CStateRunning                        // running (see Health for readiness)
	CStateExited                         // exited with ExitCode, not to be restarted
	CStateBackoff                        // exited, restarting at RestartAt (after RestartIn)
	CStateStopping                       // stop signal sent, SIGKILL at StopDeadline
	CStateStopped                        // stopped by the tool or the user (Killed: SIGKILL was needed)
	CStateRemoved                        // removed
)

var containerStateNames = enum[ContainerState]{"container state", []string{"waiting", "created", "starting", "running", "exited", "backoff", "stopping", "stopped", "removed"}}

func (s ContainerState) String() string                { return containerStateNames.name(s) }
func (s ContainerState) MarshalText() ([]byte, error)  { return containerStateNames.text(s) }
func (s *ContainerState) UnmarshalText(b []byte) error { return containerStateNames.unmarshal(s, b) }

// Health is a running container's health: its readiness when it has a ready probe; else,
// when its image has a HEALTHCHECK, the engine's verdict on it (starting, healthy,
// unhealthy), shown as `docker ps` and compose show it but gating nothing, as in Kubernetes.
type Health int

const (
	HealthNone      Health = iota // no ready probe and no HEALTHCHECK, or not running
	HealthUnknown                 // ready probe not passed yet
	HealthReady                   // ready probe passed
	HealthNotReady                // ready probe failed
	HealthStarting                // no ready probe; the image's HEALTHCHECK has no verdict yet
	HealthHealthy                 // no ready probe; the image's HEALTHCHECK passes
	HealthUnhealthy               // no ready probe; the image's HEALTHCHECK fails
)

var healthNames = enum[Health]{"health", []string{"none", "unknown", "ready", "not-ready", "starting", "healthy", "unhealthy"}}

func (h Health) String() string                { return healthNames.name(h) }
func (h Health) MarshalText() ([]byte, error)  { return healthNames.text(h) }
func (h *Health) UnmarshalText(b []byte) error { return healthNames.unmarshal(h, b) }

// ContainerView is what the views show of one container.
type ContainerView struct {
	Pod       string         `json:"pod"`
	Name      string         `json:"container"`
	Role      recipes.Role   `json:"role"`
	Image     string         `json:"image,omitempty"`
	ID        string         `json:"id,omitempty"`
	State     ContainerState `json:"state"`
	Health    Health         `json:"health"`
	ExitCode  *int           `json:"exit_code,omitempty"`
	OOMKilled bool           `json:"oom_killed,omitempty"`
	Restarts  int            `json:"restarts"`
	StartedAt time.Time      `json:"started_at,omitzero"`
	// RestartAt and RestartIn: state backoff.
	RestartAt time.Time        `json:"restart_at,omitzero"`
	RestartIn recipes.Duration `json:"restart_in,omitzero"`
	// StopDeadline and StopGrace: state stopping.
	StopDeadline time.Time        `json:"stop_deadline,omitzero"`
	StopGrace    recipes.Duration `json:"stop_grace,omitzero"`
	// Killed: the last stop needed SIGKILL.
	Killed bool `json:"killed,omitempty"`
	// Reason says why the container is in its state, when the tool knows.
	Reason string `json:"reason,omitempty"`
	// GateOpen: the container is running and the one after it in start order may start —
	// it has started (its post-start hook and startup probe passed, when it has them) and
	// it is ready when it has a ready probe, as far as a sidecar's gate asks for them.
	// The same rule as the first start's and converging's (gatesOpen), for the commands
	// that start several containers in order (CommandContainers). Not in the JSON: its
	// readers have state and health.
	GateOpen bool `json:"-"`
}

// PodView is what the views show of one pod: its phase and its containers, infra first.
type PodView struct {
	Name   string `json:"name"`
	Phase  Phase  `json:"phase"`
	Reason string `json:"reason,omitempty"`
	// WaitsFor: a pending pod's dependencies that are not met yet (Reason says what it
	// waits for them to do).
	WaitsFor   []string        `json:"waits_for,omitempty"`
	Containers []ContainerView `json:"containers"`
}

// StackView is the whole stack's state, for `ps` and the TUI.
type StackView struct {
	Name     string `json:"name"`
	Phase    Phase  `json:"phase"`
	Reason   string `json:"reason,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	// EngineLostAt is set while the engine is unreachable: since when the stack waits for it
	// (EngineWaitText).
	EngineLostAt time.Time `json:"engine_lost_at,omitzero"`
	Pods         []PodView `json:"pods"`
}

// Pod returns the named pod's view, or nil.
func (v *StackView) Pod(name string) *PodView {
	for i := range v.Pods {
		if v.Pods[i].Name == name {
			return &v.Pods[i]
		}
	}
	return nil
}

// Container returns the named container's view, or nil.
func (v *PodView) Container(name string) *ContainerView {
	for i := range v.Containers {
		if v.Containers[i].Name == name {
			return &v.Containers[i]
		}
	}
	return nil
}

// Apply folds one event into the view: a subscriber that starts from a SnapshotEvent and
// applies every later event holds the same state as Snapshot().
func (v *StackView) Apply(ev Event) {
	switch e := ev.(type) {
	case SnapshotEvent:
		*v = e.Stack.clone()
	case StackEvent:
		v.Phase, v.Reason, v.ExitCode = e.Phase, e.Reason, e.ExitCode
	case EngineStateEvent:
		switch {
		case e.Reachable:
			v.EngineLostAt = time.Time{}
		case v.EngineLostAt.IsZero():
			v.EngineLostAt = e.Time
		}
	case PodEvent:
		if p := v.Pod(e.Pod); p != nil {
			p.Phase, p.Reason, p.WaitsFor = e.Phase, e.Reason, e.WaitsFor
		}
	case ContainerEvent:
		if p := v.Pod(e.Pod); p != nil {
			if c := p.Container(e.Name); c != nil {
				*c = e.ContainerView
			} else {
				p.Containers = append(p.Containers, e.ContainerView)
			}
		}
	}
}

func (v StackView) clone() StackView {
	out := v
	out.Pods = make([]PodView, len(v.Pods))
	for i, p := range v.Pods {
		p.Containers = append([]ContainerView(nil), p.Containers...)
		out.Pods[i] = p
	}
	return out
}
