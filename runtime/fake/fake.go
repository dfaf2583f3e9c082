// Package fake is a stateful in-memory container engine implementing orchestrator.Runtime,
// for unit tests: maps of containers, networks, volumes and images; recorded calls; errors
// injectable per method and object; engine events emitted with the real engine's sequences
// (natural exit: die; stop: kill → die → stop; OOM: oom → die; removal: destroy); probe
// results settable per container. Time comes from an injected clock, shared with the code
// under test, so stop grace periods run out when the test steps that clock.
//
// Tests drive it as the world would: a process exits (Exit), is OOM-killed (OOM), ignores
// SIGTERM (IgnoreSIGTERM), prints lines (Print); an image HEALTHCHECK (Healthcheck) changes
// its verdict (SetHealth); a lifecycle hook passes, fails or takes its time (SetHookFunc);
// someone removes a container (Remove); the event stream drops (DropEvents, ResumeEvents);
// the engine restarts (ShutDownEngine, StopEngine, StartEngine). They then assert final
// state (Container, Running, Volumes, Networks) and event history (History), not call
// scripts. A running infra container (one without a namespace owner) has an address on its
// network (10.88.0.N, gateway 10.88.0.1).
package fake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/mailbox"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// ErrStreamDropped is what an event stream reports when DropEvents cuts it.
var ErrStreamDropped = errors.New("fake: event stream dropped")

// ErrEngineStopped is what every call returns between StopEngine and StartEngine. It matches
// orchestrator.ErrEngineUnreachable.
var ErrEngineStopped = fmt.Errorf("fake: the engine is stopped: %w", orchestrator.ErrEngineUnreachable)

// replayWindow is how many past events a new event subscription may replay, like the
// engine's short in-memory replay.
const replayWindow = 256

// Runtime is the in-memory engine.
type Runtime struct {
	clock clock.Clock

	mu         sync.Mutex
	nextID     int
	containers map[string]*container // by ID
	byName     map[string]string     // engine name → ID
	networks   map[string]orchestrator.Resource
	volumes    map[string]orchestrator.Resource
	images     map[string]bool
	imageGen   map[string]int // how many times each image was made: part of its ID
	pullable   map[string]bool
	infraImage string
	builds     map[string]int
	cached     map[string]bool // images whose builds give the same image (SameBuilds)
	pruned     []string        // image IDs PruneImage removed

	behaviours map[string]*behaviour // by engine name, for this and later containers of that name
	probes     map[string]func(recipes.Probe) error
	hooks      map[string]func(context.Context, recipes.Hook) error
	tmpfs      map[string]int64              // memory volumes: name → size
	volFiles   map[string]map[string]volFile // volume → path inside it → file written into it
	node       orchestrator.NodeInfo
	failures   []*failure
	calls      []Call

	history    []Event
	subs       map[*eventSub]struct{}
	eventsDown bool
	engineDown bool
	closing    bool // the engine stops: new connections fail (CheckEngine), the others still work

	stamp   time.Time
	changed chan struct{}
}

// Call is one recorded call: the method and the object it was about (engine name, image
// reference, volume or network name).
type Call struct {
	Method string
	Target string
}

// Event is one engine event as the fake emitted it, with the container's name.
type Event struct {
	Time     time.Time
	Action   orchestrator.EngineAction
	ID       string
	Name     string
	ExitCode int                       // die
	Signal   string                    // kill
	Health   orchestrator.EngineHealth // health
	Replay   bool                      // false when emitted while the event stream was down: never replayed
	labels   map[string]string
}

func (e Event) String() string {
	switch e.Action {
	case orchestrator.ActionDie:
		return fmt.Sprintf("die %s %d", e.Name, e.ExitCode)
	case orchestrator.ActionKill:
		return fmt.Sprintf("kill %s %s", e.Name, e.Signal)
	case orchestrator.ActionHealth:
		return fmt.Sprintf("health %s %s", e.Name, e.Health)
	}
	return e.Action.String() + " " + e.Name
}

type behaviour struct {
	healthcheck bool
	ignoreTerm  bool
	termExit    int
	exitOnStart *int
	onStart     []string
}

type failure struct {
	method, target string
	err            error
	once           bool
}

type container struct {
	info     orchestrator.ContainerInfo
	spec     orchestrator.ContainerSpec
	files    map[string][]byte
	readOnly map[string]bool // files written read-only (CopyFiles)
	logs     []orchestrator.LogLine
	starts   int
	exited   chan struct{} // closed when the current run ends
	wake     chan struct{} // closed on every new line or state change
	removed  bool
}

// New returns an empty engine on clk. It has the infra image "sidecar-infra:fake" once
// InfraImage is called, and no other image.
func New(clk clock.Clock) *Runtime {
	return &Runtime{
		clock:      clk,
		containers: map[string]*container{},
		byName:     map[string]string{},
		networks:   map[string]orchestrator.Resource{},
		volumes:    map[string]orchestrator.Resource{},
		images:     map[string]bool{},
		imageGen:   map[string]int{},
		pullable:   map[string]bool{},
		infraImage: "sidecar-infra:fake",
		builds:     map[string]int{},
		cached:     map[string]bool{},
		behaviours: map[string]*behaviour{},
		probes:     map[string]func(recipes.Probe) error{},
		hooks:      map[string]func(context.Context, recipes.Hook) error{},
		tmpfs:      map[string]int64{},
		volFiles:   map[string]map[string]volFile{},
		node:       orchestrator.NodeInfo{Name: "fake-node", CPUs: 4, Memory: 8 << 30},
		subs:       map[*eventSub]struct{}{},
		changed:    make(chan struct{}),
	}
}

var (
	_ orchestrator.Runtime       = (*Runtime)(nil)
	_ orchestrator.EngineChecker = (*Runtime)(nil)
)

// ---- test controls ----

// AddImage makes refs present locally.
func (r *Runtime) AddImage(refs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ref := range refs {
		r.images[ref] = true
		r.imageGen[ref]++ // a new image under the tag: a rebuild when it was there
	}
	r.changedLocked()
}

// ImageID returns the ID of a present image: a new one each time the image is added, built
// or pulled again (orchestrator.ImageInspector).
func (r *Runtime) ImageID(ctx context.Context, ref string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("ImageID", ref); err != nil {
		return "", err
	}
	if !r.images[ref] {
		return "", fmt.Errorf("fake: inspect image %s: %w", ref, orchestrator.ErrNotFound)
	}
	return fmt.Sprintf("sha256:%s.%d", ref, r.imageGen[ref]), nil
}

// RemoveImages makes refs absent.
func (r *Runtime) RemoveImages(refs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ref := range refs {
		delete(r.images, ref)
	}
	r.changedLocked()
}

// AllowPull makes refs pullable (as if a registry had them).
func (r *Runtime) AllowPull(refs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ref := range refs {
		r.pullable[ref] = true
	}
}

// Fail makes every call of method about target fail with err (target "" matches any).
func (r *Runtime) Fail(method, target string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, &failure{method: method, target: target, err: err})
}

// FailOnce makes the next call of method about target fail with err.
func (r *Runtime) FailOnce(method, target string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, &failure{method: method, target: target, err: err, once: true})
}

// IgnoreSIGTERM makes the process of the container called name (engine name) ignore its
// stop signal, as a PID 1 without a handler does: only SIGKILL ends it.
func (r *Runtime) IgnoreSIGTERM(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviour(name).ignoreTerm = true
}

// ExitOnSIGTERM sets the code the process exits with on its stop signal (default 0).
func (r *Runtime) ExitOnSIGTERM(name string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviour(name).termExit = code
}

// ExitOnStart makes the process exit with code as soon as it starts, every time.
func (r *Runtime) ExitOnStart(name string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviour(name).exitOnStart = &code
}

// PrintOnStart makes the process print lines on stdout as soon as it starts, every time
// (before an ExitOnStart exit).
func (r *Runtime) PrintOnStart(name string, lines ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviour(name).onStart = lines
}

// RunOnStart undoes ExitOnStart: the process runs until told otherwise.
func (r *Runtime) RunOnStart(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviour(name).exitOnStart = nil
}

func (r *Runtime) behaviour(name string) *behaviour {
	b := r.behaviours[name]
	if b == nil {
		b = &behaviour{}
		r.behaviours[name] = b
	}
	return b
}

// Healthcheck gives the container called name an image HEALTHCHECK: each of its runs starts
// with the engine's health "starting", until SetHealth gives a verdict.
func (r *Runtime) Healthcheck(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.behaviour(name).healthcheck = true
}

// SetHealth gives the engine's verdict on the running container's HEALTHCHECK, as the engine
// does when it changes: a health event (none when the verdict stays the same).
func (r *Runtime) SetHealth(name string, h orchestrator.EngineHealth) error {
	return r.onContainer(r.runningByName, name, func(c *container) error {
		c.info.HealthAt = r.stampLocked()
		if c.info.Health != h {
			c.info.Health = h
			r.emitEventLocked(c, Event{Action: orchestrator.ActionHealth, Health: h})
		}
		return nil
	})
}

// SetProbe sets the result of every probe of the container called name: nil passes.
func (r *Runtime) SetProbe(name string, err error) {
	r.SetProbeFunc(name, func(recipes.Probe) error { return err })
}

// SetProbeFunc decides the container's probe results per probe.
func (r *Runtime) SetProbeFunc(name string, fn func(recipes.Probe) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probes[name] = fn
}

// SetHookFunc decides the lifecycle hooks (exec and http) run in the container called name:
// fn is called with the hook's context (cancelled when the orchestrator gives up on it) and
// its result is the hook's. Without one, hooks pass at once.
func (r *Runtime) SetHookFunc(name string, fn func(ctx context.Context, h recipes.Hook) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks[name] = fn
}

// SetNode sets what NodeInfo says of the engine's host.
func (r *Runtime) SetNode(n orchestrator.NodeInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.node = n
}

// MemoryVolume reports whether the volume called name is a tmpfs, and its size.
func (r *Runtime) MemoryVolume(name string) (size int64, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	size, ok = r.tmpfs[name]
	return size, ok
}

// Exit ends the running process of the container called name with code: a die event.
func (r *Runtime) Exit(name string, code int) error { return r.exit(name, code, false) }

// OOM kills the running process of the container called name for lack of memory: oom → die.
func (r *Runtime) OOM(name string) error { return r.exit(name, 137, true) }

func (r *Runtime) exit(name string, code int, oom bool) error {
	return r.onContainer(r.runningByName, name, func(c *container) error {
		r.exitLocked(c, code, oom)
		return nil
	})
}

// Remove removes the container called name from outside (docker rm -f): kill → die when it
// runs, then destroy.
func (r *Runtime) Remove(name string) error {
	return r.onContainer(r.byNameLocked, name, r.removing)
}

// Print writes a line to the container's output, stamped now.
func (r *Runtime) Print(name string, stream orchestrator.Stream, text string) error {
	return r.print(name, orchestrator.LogLine{Stream: stream, Text: text})
}

// PrintAt writes a line stamped at, not now: the engine stamps a line when it reads it and
// records a run's start when it learns of it, so a run's first lines can be stamped a little
// before its StartedAt.
func (r *Runtime) PrintAt(name string, stream orchestrator.Stream, text string, at time.Time) error {
	return r.print(name, orchestrator.LogLine{Time: at, Stream: stream, Text: text})
}

// print appends l to the output of the container called name, stamped now if l.Time is zero.
func (r *Runtime) print(name string, l orchestrator.LogLine) error {
	return r.onContainer(r.byNameLocked, name, func(c *container) error {
		if l.Time.IsZero() {
			l.Time = r.stampLocked()
		}
		c.logs = append(c.logs, l)
		r.wakeLocked(c)
		return nil
	})
}

// DropEvents cuts every event stream with an error. Until ResumeEvents, new subscriptions
// fail at once and events are not kept for replay: only a relist can learn of them.
func (r *Runtime) DropEvents() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eventsDown = true
	for s := range r.subs {
		s.drop()
		delete(r.subs, s)
	}
}

// StopEngine stops the engine as a daemon restart does: every event stream ends, every call
// (and probe) fails with ErrEngineStopped until StartEngine, and log followers end.
// Containers keep their state until StartEngine says what the restart did to them.
func (r *Runtime) StopEngine() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.engineDown, r.eventsDown = true, true
	for s := range r.subs {
		s.drop()
		delete(r.subs, s)
	}
	for _, c := range r.containers {
		r.wakeLocked(c)
	}
	r.changedLocked()
}

// ShutDownEngine begins to stop the engine as dockerd does: its listener closes first
// (CheckEngine fails), then it stops every running container — their kill and die events
// still reach the subscribers, over the connections they have, and calls still work. The
// test then ends it with StopEngine (once the events were seen, say); a restart without
// live-restore is ShutDownEngine, StopEngine, StartEngine(false).
func (r *Runtime) ShutDownEngine() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closing = true
	for _, id := range sortedKeys(r.containers) {
		if c := r.containers[id]; c.info.Status == orchestrator.StatusRunning {
			r.emitLocked(c, orchestrator.ActionKill, 0, "SIGTERM")
			r.exitLocked(c, 143, false)
		}
	}
}

// CheckEngine fails while the engine is stopped or stopping (orchestrator.EngineChecker).
func (r *Runtime) CheckEngine(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{Method: "CheckEngine"})
	if r.engineDown || r.closing {
		return fmt.Errorf("fake: check the engine: %w", ErrEngineStopped)
	}
	return nil
}

// StartEngine brings a stopped engine back. Without liveRestore the restart killed every
// running container (exit 143, their die events lost with the stream, as on a real engine
// whose API closes before it stops the containers); with it they kept running.
func (r *Runtime) StartEngine(liveRestore bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !liveRestore {
		for _, id := range sortedKeys(r.containers) {
			if c := r.containers[id]; c.info.Status == orchestrator.StatusRunning {
				r.exitLocked(c, 143, false)
			}
		}
	}
	r.engineDown, r.eventsDown, r.closing = false, false, false
	r.changedLocked()
}

// ResumeEvents lets event subscriptions succeed again.
func (r *Runtime) ResumeEvents() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eventsDown = false
	r.changedLocked()
}

// ---- inspection ----

// ContainerState is a copy of what the fake holds for one container.
type ContainerState struct {
	Info  orchestrator.ContainerInfo
	Spec  orchestrator.ContainerSpec
	Files map[string][]byte // absolute path → content, written by CopyFiles and CopyIn (a directory: its path and /)
	// ReadOnly are the paths of Files that CopyFiles wrote read-only (mode 0444).
	ReadOnly map[string]bool
	Starts   int
}

// Container returns the container called name (engine name).
func (r *Runtime) Container(name string) (ContainerState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.byName[name]
	if !ok {
		return ContainerState{}, false
	}
	c := r.containers[id]
	return ContainerState{Info: copyInfo(c.info), Spec: c.spec, Files: maps.Clone(c.files), ReadOnly: maps.Clone(c.readOnly), Starts: c.starts}, true
}

// Containers returns the names of every container, sorted.
func (r *Runtime) Containers() []string { return lockedKeys(r, r.byName) }

// Running returns the names of the running containers, sorted.
func (r *Runtime) Running() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name, id := range r.byName {
		if r.containers[id].info.Status == orchestrator.StatusRunning {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Networks returns the names of the networks, sorted.
func (r *Runtime) Networks() []string { return lockedKeys(r, r.networks) }

// Volumes returns the names of the volumes, sorted.
func (r *Runtime) Volumes() []string { return lockedKeys(r, r.volumes) }

// HasImage reports whether ref is present.
func (r *Runtime) HasImage(ref string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.images[ref]
}

// Builds returns how many times ref was built.
func (r *Runtime) Builds(ref string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.builds[ref]
}

// History returns every engine event emitted so far, in order.
func (r *Runtime) History() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.history)
}

// HistoryOf returns the events of the containers whose names are given, as text
// ("die shop-web 3"), in order; with no names, of every container.
func (r *Runtime) HistoryOf(names ...string) []string {
	var out []string
	for _, e := range r.History() {
		if len(names) == 0 || slices.Contains(names, e.Name) {
			out = append(out, e.String())
		}
	}
	return out
}

// Subscribers returns how many event streams are open.
func (r *Runtime) Subscribers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.subs)
}

// Calls returns every recorded call, in order.
func (r *Runtime) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// CallCount returns how many times method was called.
func (r *Runtime) CallCount(method string) int {
	n := 0
	for _, c := range r.Calls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

// Changed returns a channel closed at the next change of the fake's state.
func (r *Runtime) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// ---- orchestrator.Images ----

func (r *Runtime) InfraImage(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("InfraImage", r.infraImage); err != nil {
		return "", err
	}
	r.images[r.infraImage] = true
	return r.infraImage, nil
}

func (r *Runtime) ImagePresent(ctx context.Context, ref string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("ImagePresent", ref); err != nil {
		return false, err
	}
	return r.images[ref], nil
}

func (r *Runtime) BuildImage(ctx context.Context, req orchestrator.BuildRequest, progress orchestrator.ProgressFunc) error {
	r.mu.Lock()
	if err := r.callLocked("BuildImage", req.Ref); err != nil {
		r.mu.Unlock()
		return err
	}
	r.mu.Unlock()
	if progress != nil {
		progress(orchestrator.Progress{Ref: req.Ref, ID: "1/1", Message: "Step 1/1 : FROM scratch"})
	}
	r.mu.Lock()
	if !r.images[req.Ref] || !r.cached[req.Ref] {
		r.imageGen[req.Ref]++
	}
	r.images[req.Ref] = true
	r.builds[req.Ref]++
	r.changedLocked()
	r.mu.Unlock()
	if progress != nil {
		progress(orchestrator.Progress{Ref: req.Ref, Message: "built", Done: true})
	}
	return nil
}

func (r *Runtime) PullImage(ctx context.Context, ref string, progress orchestrator.ProgressFunc) error {
	r.mu.Lock()
	if err := r.callLocked("PullImage", ref); err != nil {
		r.mu.Unlock()
		return err
	}
	ok := r.pullable[ref]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("pull %s: no registry has it: %w", ref, orchestrator.ErrImageUnavailable)
	}
	if progress != nil {
		progress(orchestrator.Progress{Ref: ref, ID: "layer", Message: "Downloading", Current: 1, Total: 2})
	}
	r.mu.Lock()
	r.images[ref] = true
	r.imageGen[ref]++
	r.changedLocked()
	r.mu.Unlock()
	if progress != nil {
		progress(orchestrator.Progress{Ref: ref, Message: "pulled", Done: true})
	}
	return nil
}

// ---- orchestrator.Containers ----

func (r *Runtime) CreateContainer(ctx context.Context, spec orchestrator.ContainerSpec) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("CreateContainer", spec.Name); err != nil {
		return "", err
	}
	if _, taken := r.byName[spec.Name]; taken {
		return "", fmt.Errorf("fake: create container %s: the name is taken: %w", spec.Name, orchestrator.ErrConflict)
	}
	if !r.images[spec.Image] {
		return "", fmt.Errorf("fake: create container %s: no such image %s: %w", spec.Name, spec.Image, orchestrator.ErrNotFound)
	}
	if spec.NamespaceOwner != "" {
		if _, ok := r.containers[spec.NamespaceOwner]; !ok {
			return "", fmt.Errorf("fake: create container %s: namespace owner %s: %w", spec.Name, spec.NamespaceOwner, orchestrator.ErrNotFound)
		}
	}
	r.nextID++
	id := fmt.Sprintf("%012x", r.nextID)
	c := &container{
		info: orchestrator.ContainerInfo{ID: id, Name: spec.Name, Image: spec.Image, Labels: maps.Clone(spec.Labels),
			Status: orchestrator.StatusCreated, Ports: spec.Ports},
		spec:     spec,
		files:    map[string][]byte{},
		readOnly: map[string]bool{},
		exited:   closedChan(),
		wake:     make(chan struct{}),
	}
	r.containers[id] = c
	r.byName[spec.Name] = id
	r.emitLocked(c, orchestrator.ActionCreate, 0, "")
	return id, nil
}

func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	return r.onContainer(r.call("StartContainer"), id, r.startLocked)
}

func (r *Runtime) startLocked(c *container) error {
	if c.info.Status == orchestrator.StatusRunning {
		return nil
	}
	if owner := c.spec.NamespaceOwner; owner != "" {
		o, ok := r.containers[owner]
		if !ok || o.info.Status != orchestrator.StatusRunning {
			return fmt.Errorf("fake: start %s: cannot join the namespaces of a container that is not running", c.info.Name)
		}
	}
	c.info.Status = orchestrator.StatusRunning
	c.info.StartedAt = r.stampLocked()
	if c.spec.NamespaceOwner == "" {
		net := c.spec.Network
		if net == "" {
			net = "bridge"
		}
		c.info.Networks = []orchestrator.NetworkAddress{{Network: net, IP: fmt.Sprintf("10.88.0.%d", 2+r.nextID%250), Gateway: "10.88.0.1"}}
	}
	c.info.ExitCode, c.info.OOMKilled = 0, false
	c.info.Health, c.info.HealthAt = orchestrator.EngineHealthNone, time.Time{}
	if b := r.behaviours[c.info.Name]; b != nil && b.healthcheck {
		c.info.Health, c.info.Healthcheck = orchestrator.EngineHealthStarting, true
	}
	c.starts++
	c.exited = make(chan struct{})
	r.emitLocked(c, orchestrator.ActionStart, 0, "")
	r.wakeLocked(c)
	if b := r.behaviours[c.info.Name]; b != nil {
		for _, text := range b.onStart {
			c.logs = append(c.logs, orchestrator.LogLine{Time: r.stampLocked(), Stream: orchestrator.Stdout, Text: text})
		}
		if b.exitOnStart != nil {
			r.exitLocked(c, *b.exitOnStart, false)
		}
	}
	return nil
}

func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) (orchestrator.StopResult, error) {
	r.mu.Lock()
	c, err := r.getLocked("StopContainer", id)
	if err != nil {
		r.mu.Unlock()
		return orchestrator.StopResult{}, err
	}
	if c.info.Status != orchestrator.StatusRunning {
		res := orchestrator.StopResult{ExitCode: c.info.ExitCode}
		r.mu.Unlock()
		return res, nil
	}
	r.emitLocked(c, orchestrator.ActionKill, 0, "SIGTERM")
	b := r.behaviours[c.info.Name]
	if b == nil || !b.ignoreTerm {
		code := 0
		if b != nil {
			code = b.termExit
		}
		r.exitLocked(c, code, false)
		r.emitLocked(c, orchestrator.ActionStop, 0, "")
		res := orchestrator.StopResult{ExitCode: code}
		r.mu.Unlock()
		return res, nil
	}
	exited := c.exited
	var timeout <-chan time.Time
	if grace > 0 {
		timeout = r.clock.After(grace)
	} else {
		timeout = closedTime()
	}
	r.mu.Unlock()

	killed := false
	select {
	case <-exited:
	case <-timeout:
		r.mu.Lock()
		if c.info.Status == orchestrator.StatusRunning && !c.removed {
			r.emitLocked(c, orchestrator.ActionKill, 0, "SIGKILL")
			r.exitLocked(c, 137, false)
			killed = true
		}
		r.mu.Unlock()
	case <-ctx.Done():
		return orchestrator.StopResult{}, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !c.removed {
		r.emitLocked(c, orchestrator.ActionStop, 0, "")
	}
	return orchestrator.StopResult{Killed: killed, ExitCode: c.info.ExitCode}, nil
}

func (r *Runtime) KillContainer(ctx context.Context, id string, signal string) error {
	return r.onContainer(r.call("KillContainer"), id, func(c *container) error { return r.killLocked(c, signal) })
}

func (r *Runtime) killLocked(c *container, signal string) error {
	if c.info.Status != orchestrator.StatusRunning {
		return fmt.Errorf("fake: kill %s: container is not running", c.info.Name)
	}
	r.emitLocked(c, orchestrator.ActionKill, 0, signal)
	b := r.behaviours[c.info.Name]
	switch {
	case signal == "SIGKILL":
		r.exitLocked(c, 137, false)
	case b == nil || !b.ignoreTerm:
		code := 0
		if b != nil {
			code = b.termExit
		}
		r.exitLocked(c, code, false)
	}
	return nil
}

func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	return r.onContainer(r.call("RemoveContainer"), id, r.removing)
}

func (r *Runtime) removeLocked(c *container) {
	if c.info.Status == orchestrator.StatusRunning {
		r.emitLocked(c, orchestrator.ActionKill, 0, "SIGKILL")
		r.exitLocked(c, 137, false)
	}
	c.removed = true
	r.emitLocked(c, orchestrator.ActionDestroy, 0, "")
	delete(r.containers, c.info.ID)
	delete(r.byName, c.info.Name)
	r.wakeLocked(c)
}

func (r *Runtime) InspectContainer(ctx context.Context, id string) (info orchestrator.ContainerInfo, err error) {
	err = r.onContainer(r.call("InspectContainer"), id, func(c *container) error {
		info = copyInfo(c.info)
		return nil
	})
	return info, err
}

func (r *Runtime) ListContainers(ctx context.Context, filter map[string]string) ([]orchestrator.ContainerInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("ListContainers", ""); err != nil {
		return nil, err
	}
	var out []orchestrator.ContainerInfo
	for _, name := range sortedKeys(r.byName) {
		c := r.containers[r.byName[name]]
		if matches(c.info.Labels, filter) {
			out = append(out, copyInfo(c.info))
		}
	}
	return out, nil
}

// CopyFiles writes the files into the container, or into the volume it has mounted where a
// file goes (see VolumeFiles); ContainerState.ReadOnly records the read-only ones.
func (r *Runtime) CopyFiles(ctx context.Context, id string, dir string, files map[string][]byte, readOnly bool) error {
	return r.onContainer(r.call("CopyFiles"), id, func(c *container) error { return r.copyFilesLocked(c, dir, files, readOnly) })
}

func (r *Runtime) copyFilesLocked(c *container, dir string, files map[string][]byte, readOnly bool) error {
	for rel, content := range files {
		full := path.Join(dir, rel)
		if vol, in, ok := volumeAt(c.spec.Mounts, full); ok {
			if _, exists := r.volumes[vol]; !exists {
				return fmt.Errorf("fake: copy into %s: volume %s: %w", c.info.Name, vol, orchestrator.ErrNotFound)
			}
			if r.volFiles[vol] == nil {
				r.volFiles[vol] = map[string]volFile{}
			}
			r.volFiles[vol][in] = volFile{content: slices.Clone(content), readOnly: readOnly}
			continue
		}
		c.files[full] = slices.Clone(content)
		if readOnly {
			c.readOnly[full] = true
		} else {
			delete(c.readOnly, full)
		}
	}
	return nil
}

// volFile is a file written into a volume.
type volFile struct {
	content  []byte
	readOnly bool
}

// volumeAt finds the volume mounted (whole) where file p is: its name and p inside it.
func volumeAt(mounts []orchestrator.MountSpec, p string) (vol, in string, ok bool) {
	best := -1
	for _, m := range mounts {
		if m.Type != recipes.MountVolume || m.SubPath != "" {
			continue
		}
		dir := strings.TrimSuffix(path.Clean(m.Target), "/") + "/"
		if strings.HasPrefix(p, dir) && len(dir) > best {
			best, vol, in, ok = len(dir), m.Source, strings.TrimPrefix(p, dir), true
		}
	}
	return vol, in, ok
}

// VolumeFiles returns the files written into the volume called name (path inside it →
// content), nil when none.
func (r *Runtime) VolumeFiles(name string) map[string][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out map[string][]byte
	for p, f := range r.volFiles[name] {
		if out == nil {
			out = map[string][]byte{}
		}
		out[p] = slices.Clone(f.content)
	}
	return out
}

func (r *Runtime) Exec(ctx context.Context, id string, cmd []string) (orchestrator.ExecResult, error) {
	return orchestrator.ExecResult{}, r.onContainer(r.call("Exec"), id, func(c *container) error {
		if c.info.Status != orchestrator.StatusRunning {
			return fmt.Errorf("fake: exec in %s: container is not running", c.info.Name)
		}
		if execRM(c, cmd) {
			r.changedLocked()
		}
		return nil
	})
}

// ---- orchestrator.Resources ----

func (r *Runtime) CreateNetwork(ctx context.Context, name string, labels map[string]string) (string, error) {
	var id string
	err := r.addResource("CreateNetwork", "network", r.networks, name, func() orchestrator.Resource {
		r.nextID++
		id = fmt.Sprintf("net%09x", r.nextID)
		return orchestrator.Resource{ID: id, Name: name, Labels: maps.Clone(labels)}
	})
	return id, err
}

func (r *Runtime) RemoveNetwork(ctx context.Context, name string) error {
	return r.removeResource("RemoveNetwork", "network", r.networks, name, func() error {
		for _, c := range r.containers {
			if c.spec.Network == name {
				return fmt.Errorf("fake: network %s has active endpoints (%s)", name, c.info.Name)
			}
		}
		return nil
	})
}

func (r *Runtime) ListNetworks(ctx context.Context, filter map[string]string) ([]orchestrator.Resource, error) {
	return r.list("ListNetworks", r.networks, filter)
}

func (r *Runtime) CreateVolume(ctx context.Context, name string, labels map[string]string) error {
	return r.addResource("CreateVolume", "volume", r.volumes, name, func() orchestrator.Resource {
		return orchestrator.Resource{Name: name, Labels: maps.Clone(labels)}
	})
}

func (r *Runtime) CreateMemoryVolume(ctx context.Context, name string, labels map[string]string, size int64) error {
	if err := r.CreateVolume(ctx, name, labels); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tmpfs[name] = size
	return nil
}

func (r *Runtime) RemoveVolume(ctx context.Context, name string) error {
	return r.removeResource("RemoveVolume", "volume", r.volumes, name, func() error {
		for _, c := range r.containers {
			for _, m := range c.spec.Mounts {
				if m.Type == recipes.MountVolume && m.Source == name {
					return fmt.Errorf("fake: volume %s is in use by %s", name, c.info.Name)
				}
			}
		}
		delete(r.tmpfs, name)
		delete(r.volFiles, name)
		return nil
	})
}

func (r *Runtime) ListVolumes(ctx context.Context, filter map[string]string) ([]orchestrator.Resource, error) {
	return r.list("ListVolumes", r.volumes, filter)
}

// addResource records the call and adds the network or volume that build makes (under the
// lock) to m, unless its name is taken.
func (r *Runtime) addResource(method, kind string, m map[string]orchestrator.Resource, name string, build func() orchestrator.Resource) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked(method, name); err != nil {
		return err
	}
	if _, ok := m[name]; ok {
		return fmt.Errorf("fake: %s %s: %w", kind, name, orchestrator.ErrConflict)
	}
	m[name] = build()
	r.changedLocked()
	return nil
}

// removeResource records the call and removes the named network or volume from m, unless it
// is unknown or release (called under the lock) says it is still in use; else release frees
// what goes with it.
func (r *Runtime) removeResource(method, kind string, m map[string]orchestrator.Resource, name string, release func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked(method, name); err != nil {
		return err
	}
	if _, ok := m[name]; !ok {
		return fmt.Errorf("fake: %s %s: %w", kind, name, orchestrator.ErrNotFound)
	}
	if err := release(); err != nil {
		return err
	}
	delete(m, name)
	r.changedLocked()
	return nil
}

// list records the call and lists the networks or volumes of m that filter selects.
func (r *Runtime) list(method string, m map[string]orchestrator.Resource, filter map[string]string) ([]orchestrator.Resource, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked(method, ""); err != nil {
		return nil, err
	}
	return listResources(m, filter), nil
}

// ---- orchestrator.Events ----

type eventSub struct {
	filter  map[string]string
	queue   *mailbox.Box[orchestrator.EngineEvent]
	dropped chan struct{}
	once    sync.Once
}

func (s *eventSub) drop() { s.once.Do(func() { close(s.dropped) }) }

func (r *Runtime) Events(ctx context.Context, since time.Time, filter map[string]string) (<-chan orchestrator.EngineEvent, <-chan error) {
	evs := make(chan orchestrator.EngineEvent)
	errs := make(chan error, 1)
	r.mu.Lock()
	r.calls = append(r.calls, Call{Method: "Events"})
	if r.eventsDown {
		r.mu.Unlock()
		if r.engineDown {
			errs <- ErrEngineStopped
		} else {
			errs <- ErrStreamDropped
		}
		close(evs)
		close(errs)
		return evs, errs
	}
	s := &eventSub{filter: maps.Clone(filter), queue: mailbox.New[orchestrator.EngineEvent](), dropped: make(chan struct{})}
	start := max(0, len(r.history)-replayWindow)
	for _, e := range r.history[start:] {
		if e.Replay && !e.Time.Before(since) && matches(e.labels, filter) {
			s.queue.Put(engineEvent(e))
		}
	}
	r.subs[s] = struct{}{}
	r.changedLocked()
	r.mu.Unlock()

	go func() {
		defer close(errs)
		defer close(evs)
		defer func() {
			r.mu.Lock()
			delete(r.subs, s)
			r.mu.Unlock()
		}()
		for {
			batch := s.queue.Take()
			for _, ev := range batch {
				select {
				case evs <- ev:
				case <-s.dropped:
					errs <- ErrStreamDropped
					return
				case <-ctx.Done():
					return
				}
			}
			if len(batch) > 0 {
				continue
			}
			select {
			case <-s.queue.Ready():
			case <-s.dropped:
				errs <- ErrStreamDropped
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return evs, errs
}

// ---- orchestrator.Logs ----

func (r *Runtime) Logs(ctx context.Context, id string, opts orchestrator.LogOptions, sink func(orchestrator.LogLine)) error {
	_, err := r.logs(ctx, id, opts, -1, sink)
	return err
}

// ResumeLogs is Logs from where an earlier ResumeLogs of the same container ended
// (orchestrator.LogHistory): its cursor is the number of the container's lines read.
func (r *Runtime) ResumeLogs(ctx context.Context, id string, opts orchestrator.LogOptions, from orchestrator.LogCursor, sink func(orchestrator.LogLine)) (orchestrator.LogCursor, error) {
	start, ok := from.(int)
	if !ok {
		start = -1
	}
	delivered := 0
	pos, err := r.logs(ctx, id, opts, start, func(l orchestrator.LogLine) { delivered++; sink(l) })
	if start < 0 && delivered == 0 {
		// As the engine's: a cursor is a place after a line delivered, so a read that gave
		// none leaves the next one to start where its options say.
		pos = -1
	}
	return pos, err
}

// logs reads a container's lines after line number from (-1: as opts says) and returns the
// number of lines read in all.
func (r *Runtime) logs(ctx context.Context, id string, opts orchestrator.LogOptions, from int, sink func(orchestrator.LogLine)) (int, error) {
	r.mu.Lock()
	c, err := r.getLocked("Logs", id)
	if err != nil {
		r.mu.Unlock()
		return from, err
	}
	var lines []orchestrator.LogLine
	if from >= 0 {
		lines = slices.Clone(c.logs[min(from, len(c.logs)):])
	} else {
		for _, l := range c.logs {
			if opts.Since.IsZero() || !l.Time.Before(opts.Since) {
				lines = append(lines, l)
			}
		}
		if opts.Tail >= 0 && len(lines) > opts.Tail {
			lines = lines[len(lines)-opts.Tail:]
		}
	}
	pos := len(c.logs)
	run := c.info.StartedAt // a follow ends with the run, as the engine's does
	running := c.info.Status == orchestrator.StatusRunning && !c.removed
	wake := c.wake
	r.mu.Unlock()
	for _, l := range lines {
		sink(l)
	}
	if !opts.Follow {
		return pos, nil
	}
	for running {
		select {
		case <-ctx.Done():
			return pos, nil
		case <-wake:
		}
		r.mu.Lock()
		if r.engineDown {
			r.mu.Unlock()
			return pos, fmt.Errorf("fake: follow the logs of %s: %w", c.info.Name, ErrEngineStopped)
		}
		end := len(c.logs)
		running = c.info.Status == orchestrator.StatusRunning && !c.removed && c.info.StartedAt.Equal(run)
		if !c.info.StartedAt.Equal(run) { // restarted meanwhile: the lines of the next run are not this follow's
			for end > pos && !c.logs[end-1].Time.Before(c.info.StartedAt) {
				end--
			}
		}
		lines = slices.Clone(c.logs[pos:end])
		pos = end
		wake = c.wake
		r.mu.Unlock()
		for _, l := range lines {
			sink(l)
		}
	}
	return pos, nil
}

// ---- orchestrator.Prober ----

func (r *Runtime) Probe(ctx context.Context, infraID, containerID string, p recipes.Probe) error {
	r.mu.Lock()
	if r.engineDown {
		r.mu.Unlock()
		return fmt.Errorf("fake: probe: %w", ErrEngineStopped)
	}
	infra, ok := r.containers[infraID]
	if !ok || infra.info.Status != orchestrator.StatusRunning {
		r.mu.Unlock()
		return fmt.Errorf("fake: probe: infra container %s is not running", infraID)
	}
	c, ok := r.containers[containerID]
	if !ok || c.info.Status != orchestrator.StatusRunning {
		r.mu.Unlock()
		return fmt.Errorf("fake: probe: container %s is not running", containerID)
	}
	fn := r.probes[c.info.Name]
	r.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(p)
}

func (r *Runtime) RunHook(ctx context.Context, infraID, containerID string, h recipes.Hook) error {
	r.mu.Lock()
	c, err := r.getLocked("RunHook", containerID)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	if c.info.Status != orchestrator.StatusRunning {
		r.mu.Unlock()
		return fmt.Errorf("fake: hook in %s: container is not running", c.info.Name)
	}
	if h.HTTP != nil {
		if infra, ok := r.containers[infraID]; !ok || infra.info.Status != orchestrator.StatusRunning {
			r.mu.Unlock()
			return fmt.Errorf("fake: http hook: infra container %s is not running", infraID)
		}
	}
	fn := r.hooks[c.info.Name]
	r.changedLocked()
	r.mu.Unlock()
	if fn == nil {
		return nil
	}
	return fn(ctx, h)
}

// ---- orchestrator.Node ----

func (r *Runtime) NodeInfo(ctx context.Context) (orchestrator.NodeInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.callLocked("NodeInfo", ""); err != nil {
		return orchestrator.NodeInfo{}, err
	}
	return r.node, nil
}

// ---- internals ----

func (r *Runtime) callLocked(method, target string) error {
	r.calls = append(r.calls, Call{Method: method, Target: target})
	if r.engineDown {
		return fmt.Errorf("fake: %s %s: %w", method, target, ErrEngineStopped)
	}
	for i, f := range r.failures {
		if f.method == method && (f.target == "" || f.target == target) {
			if f.once {
				r.failures = append(r.failures[:i], r.failures[i+1:]...)
			}
			// As a Runtime must: the error names the operation and the object.
			return fmt.Errorf("fake: %s %s: %w", method, target, f.err)
		}
	}
	return nil
}

func (r *Runtime) getLocked(method, id string) (*container, error) {
	c, ok := r.containers[id]
	target := id
	if ok {
		target = c.info.Name
	}
	if err := r.callLocked(method, target); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("fake: no container %s: %w", id, orchestrator.ErrNotFound)
	}
	return c, nil
}

// onContainer calls fn, under the lock, with the container that find (byNameLocked,
// runningByName, or getLocked through call) gives for key, or returns find's error.
func (r *Runtime) onContainer(find func(key string) (*container, error), key string, fn func(c *container) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := find(key)
	if err != nil {
		return err
	}
	return fn(c)
}

// removing is removeLocked as onContainer's fn.
func (r *Runtime) removing(c *container) error {
	r.removeLocked(c)
	return nil
}

// call is getLocked for the method called, as onContainer's find of a container by ID.
func (r *Runtime) call(method string) func(id string) (*container, error) {
	return func(id string) (*container, error) { return r.getLocked(method, id) }
}

// byNameLocked is the container called name.
func (r *Runtime) byNameLocked(name string) (*container, error) {
	id, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("fake: no container %s: %w", name, orchestrator.ErrNotFound)
	}
	return r.containers[id], nil
}

func (r *Runtime) runningByName(name string) (*container, error) {
	c, err := r.byNameLocked(name)
	if err != nil {
		return nil, err
	}
	if c.info.Status != orchestrator.StatusRunning {
		return nil, fmt.Errorf("fake: container %s is %s, not running", name, c.info.Status)
	}
	return c, nil
}

func (r *Runtime) exitLocked(c *container, code int, oom bool) {
	if oom {
		r.emitLocked(c, orchestrator.ActionOOM, 0, "")
	}
	c.info.Status = orchestrator.StatusExited
	c.info.Networks = nil
	c.info.ExitCode = code
	c.info.OOMKilled = oom
	c.info.Health, c.info.HealthAt = orchestrator.EngineHealthNone, time.Time{}
	c.info.FinishedAt = r.stampLocked()
	r.emitLocked(c, orchestrator.ActionDie, code, "")
	close(c.exited)
	r.wakeLocked(c)
}

func (r *Runtime) emitLocked(c *container, action orchestrator.EngineAction, code int, signal string) {
	r.emitEventLocked(c, Event{Action: action, ExitCode: code, Signal: signal})
}

// emitEventLocked stamps e as an event of c and delivers it.
func (r *Runtime) emitEventLocked(c *container, e Event) {
	e.Time, e.ID, e.Name, e.Replay, e.labels = r.stampLocked(), c.info.ID, c.info.Name, !r.eventsDown, c.info.Labels
	r.history = append(r.history, e)
	if !r.eventsDown {
		for s := range r.subs {
			if matches(c.info.Labels, s.filter) {
				s.queue.Put(engineEvent(e))
			}
		}
	}
	r.changedLocked()
}

func engineEvent(e Event) orchestrator.EngineEvent {
	return orchestrator.EngineEvent{Time: e.Time, Action: e.Action, ID: e.ID, Labels: maps.Clone(e.labels), ExitCode: e.ExitCode, Health: e.Health}
}

// stampLocked is the engine's clock: the injected time, made strictly increasing as the
// engine's nanosecond timestamps are, so events of one instant keep their order.
func (r *Runtime) stampLocked() time.Time {
	now := r.clock.Now()
	if !now.After(r.stamp) {
		now = r.stamp.Add(time.Nanosecond)
	}
	r.stamp = now
	return now
}

func (r *Runtime) wakeLocked(c *container) {
	close(c.wake)
	c.wake = make(chan struct{})
	r.changedLocked()
}

func (r *Runtime) changedLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// matches reports whether labels include filter; as on the engine, a filter value "" matches
// the key with any value.
func matches(labels, filter map[string]string) bool {
	for k, v := range filter {
		got, ok := labels[k]
		if !ok || v != "" && got != v {
			return false
		}
	}
	return true
}

func listResources(m map[string]orchestrator.Resource, filter map[string]string) []orchestrator.Resource {
	var out []orchestrator.Resource
	for _, name := range sortedKeys(m) {
		if res := m[name]; matches(res.Labels, filter) {
			res.Labels = maps.Clone(res.Labels)
			out = append(out, res)
		}
	}
	return out
}

func copyInfo(i orchestrator.ContainerInfo) orchestrator.ContainerInfo {
	i.Labels = maps.Clone(i.Labels)
	i.Ports = slices.Clone(i.Ports)
	i.Networks = slices.Clone(i.Networks)
	return i
}

// lockedKeys is sortedKeys of one of r's maps, read under r's lock.
func lockedKeys[V any](r *Runtime, m map[string]V) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedKeys(m)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

func closedTime() <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}
