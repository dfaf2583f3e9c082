package orchestrator_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// ---- normalised stacks, built as the loader would leave them ----

type copt func(*recipes.Container)

func ctr(name string, opts ...copt) *recipes.Container {
	c := &recipes.Container{Name: name, Image: "test/" + name + ":1"}
	for _, o := range opts {
		o(c)
	}
	return c
}

func readyProbe(c *recipes.Container) { c.Ready = tcpProbe(8080) }
func liveProbe(c *recipes.Container)  { c.Live = tcpProbe(8081) }
func restart(p recipes.RestartPolicy) copt {
	return func(c *recipes.Container) { c.Restart = p }
}
func grace(d time.Duration) copt {
	return func(c *recipes.Container) { c.StopGrace = recipes.Duration(d) }
}
func mount(vol, target, sub string) copt {
	return func(c *recipes.Container) {
		c.Volumes = append(c.Volumes, recipes.Mount{Type: recipes.MountVolume, Source: vol, Target: target, SubPath: sub})
	}
}
func bind(src, target string) copt {
	return func(c *recipes.Container) {
		c.Volumes = append(c.Volumes, recipes.Mount{Type: recipes.MountBind, Source: src, Target: target, ReadOnly: true})
	}
}

func tcpProbe(port int) *recipes.Probe {
	return &recipes.Probe{TCP: &recipes.TCPProbe{Port: port}, Period: recipes.Duration(time.Second),
		Timeout: recipes.Duration(time.Second), Retries: 3}
}

type popt func(*recipes.Pod)

func sidecars(cs ...*recipes.Container) popt { return func(p *recipes.Pod) { p.Sidecars = cs } }
func inits(cs ...*recipes.Container) popt    { return func(p *recipes.Pod) { p.Init = cs } }
func dependsOn(names ...string) popt {
	return func(p *recipes.Pod) { p.DependsOn = recipes.DepsOf(names...) }
}

// dependsOnWhen adds a dependency on pod name with condition cond.
func dependsOnWhen(name string, cond recipes.DepCondition) popt {
	return func(p *recipes.Pod) { p.DependsOn = append(p.DependsOn, recipes.PodDep{Pod: name, Condition: cond}) }
}
func volumes(vs ...*recipes.Volume) popt { return func(p *recipes.Pod) { p.Volumes = vs } }
func podGrace(d time.Duration) popt {
	return func(p *recipes.Pod) { p.StopGrace = recipes.Duration(d) }
}

func pod(name string, main *recipes.Container, opts ...popt) *recipes.Pod {
	p := &recipes.Pod{Name: name, Main: main, StopGrace: recipes.Duration(recipes.DefaultPodStopGrace)}
	for _, o := range opts {
		o(p)
	}
	p.SetRoles()
	return p
}

func stack(name string, pods ...*recipes.Pod) *recipes.Stack {
	return &recipes.Stack{
		Name: name, Dir: "/home/dev/" + name, Pods: pods,
		Source: recipes.Source{File: "/home/dev/" + name + "/sidecar.yaml"},
		Backoff: recipes.Backoff{Initial: recipes.Duration(recipes.DefaultBackoffInitial),
			Max: recipes.Duration(recipes.DefaultBackoffMax), Reset: recipes.Duration(recipes.DefaultBackoffReset)},
	}
}

// ---- the harness: an orchestrator on the fake engine, with a recording subscriber ----

type harness struct {
	t     *testing.T
	clock *testingclock.FakeClock
	rt    *fake.Runtime
	o     *orchestrator.Orchestrator
	stack *recipes.Stack

	mu      sync.Mutex
	events  []orchestrator.Event
	changed chan struct{}

	done chan struct{}
	res  orchestrator.Result
	err  error
}

func newHarness(t *testing.T, s *recipes.Stack, opts orchestrator.Options) *harness {
	t.Helper()
	return newHarnessOn(t, s, opts, nil)
}

// newHarnessOn is newHarness with the orchestrator running on wrap(fake engine), for tests
// of optional runtime interfaces (nil wrap: the fake engine itself).
func newHarnessOn(t *testing.T, s *recipes.Stack, opts orchestrator.Options, wrap func(*fake.Runtime) orchestrator.Runtime) *harness {
	t.Helper()
	clk := testingclock.NewFakeClock(epoch)
	rt := fake.New(clk)
	for _, p := range s.Pods {
		for _, c := range p.Containers() {
			if c.Build == nil {
				rt.AddImage(c.Image)
			}
		}
	}
	opts.Clock = clk
	if opts.Version == "" {
		opts.Version = "v0.0.0-test"
	}
	h := &harness{t: t, clock: clk, rt: rt, stack: s, changed: make(chan struct{}), done: make(chan struct{})}
	var engine orchestrator.Runtime = rt
	if wrap != nil {
		engine = wrap(rt)
	}
	h.o = orchestrator.New(engine, s, opts)
	sub := h.o.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for {
			evs, err := sub.Next(ctx)
			if err != nil {
				return
			}
			h.mu.Lock()
			h.events = append(h.events, evs...)
			close(h.changed)
			h.changed = make(chan struct{})
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if !h.returned() {
			h.o.Kill()
			select {
			case <-h.done:
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return after Kill")
			}
		}
		cancel()
		<-collected
		sub.Close()
	})
	return h
}

// start runs the stack in the background.
func (h *harness) start() *harness {
	go func() {
		defer close(h.done)
		h.res, h.err = h.o.Run(context.Background())
	}()
	return h
}

// startRunning runs the stack in the background until the named engine containers run.
func (h *harness) startRunning(names ...string) {
	h.t.Helper()
	h.start()
	h.until("pod running", 0, h.running(names...))
}

// until waits for cond, waking on any change of the fake engine or of the event stream;
// with step > 0 it moves the fake clock by step whenever nothing happens for a moment, so
// timers (back-off, probe periods, grace) run out. It never sleeps for a result: it fails
// after a deadline.
func (h *harness) until(what string, step time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		fakeCh := h.rt.Changed()
		h.mu.Lock()
		evCh := h.changed
		h.mu.Unlock()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s\nengine: %v\nrunning: %v\nstate: %s", what, h.rt.HistoryOf(), h.rt.Running(), h.describe())
		}
		select {
		case <-fakeCh:
		case <-evCh:
		case <-h.done:
			if !cond() {
				h.t.Fatalf("Run returned (%+v, %v) while waiting for %s\nengine: %v", h.res, h.err, what, h.rt.HistoryOf())
			}
			return
		case <-time.After(3 * time.Millisecond):
			if step > 0 {
				h.clock.Step(step)
			}
		}
	}
}

// returned reports whether Run has returned.
func (h *harness) returned() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// finish waits for Run to return, stepping the clock when asked.
func (h *harness) finish(step time.Duration) (orchestrator.Result, error) {
	h.t.Helper()
	h.until("Run to return", step, h.returned)
	// The collector has everything once the stream's last event is in.
	deadline := time.After(15 * time.Second)
	for {
		h.mu.Lock()
		ch := h.changed
		h.mu.Unlock()
		if h.streamEnded() {
			return h.res, h.err
		}
		select {
		case <-ch:
		case <-deadline:
			h.t.Fatalf("the event stream did not end")
		}
	}
}

func (h *harness) streamEnded() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.events {
		if s, ok := e.(orchestrator.StackEvent); ok && (s.Phase == orchestrator.PhaseDone || s.Phase == orchestrator.PhaseFailed) {
			return true
		}
	}
	return false
}

func (h *harness) all() []orchestrator.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]orchestrator.Event(nil), h.events...)
}

func (h *harness) view(pod, name string) orchestrator.ContainerView {
	snap := h.o.Snapshot()
	if p := snap.Pod(pod); p != nil {
		if c := p.Container(name); c != nil {
			return *c
		}
	}
	h.t.Fatalf("no container %s/%s in the snapshot", pod, name)
	return orchestrator.ContainerView{}
}

func (h *harness) state(pod, name string) orchestrator.ContainerState {
	return h.view(pod, name).State
}

func (h *harness) podPhase(pod string) orchestrator.Phase {
	snap := h.o.Snapshot()
	if p := snap.Pod(pod); p != nil {
		return p.Phase
	}
	return -1
}

func (h *harness) running(names ...string) func() bool {
	return func() bool {
		run := h.rt.Running()
		for _, n := range names {
			found := false
			for _, r := range run {
				found = found || r == n
			}
			if !found {
				return false
			}
		}
		return true
	}
}

func (h *harness) stateIs(pod, name string, s orchestrator.ContainerState) func() bool {
	return func() bool { return h.state(pod, name) == s }
}

// eventsOf returns the events of type E so far, in order.
func eventsOf[E orchestrator.Event](h *harness) []E {
	var out []E
	for _, e := range h.all() {
		if ev, ok := e.(E); ok {
			out = append(out, ev)
		}
	}
	return out
}

// containerEvents returns the container events of one container, in order.
func (h *harness) containerEvents(pod, name string) []orchestrator.ContainerEvent {
	var out []orchestrator.ContainerEvent
	for _, c := range eventsOf[orchestrator.ContainerEvent](h) {
		if c.Pod == pod && c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// podPhases returns the phases a pod went through, in order.
func (h *harness) podPhases(pod string) []orchestrator.Phase {
	var out []orchestrator.Phase
	for _, p := range eventsOf[orchestrator.PodEvent](h) {
		if p.Pod == pod {
			out = append(out, p.Phase)
		}
	}
	return out
}

func (h *harness) messages() []orchestrator.MessageEvent {
	return eventsOf[orchestrator.MessageEvent](h)
}

func (h *harness) describe() string {
	var b strings.Builder
	snap := h.o.Snapshot()
	fmt.Fprintf(&b, "stack %s %s (%s)", snap.Name, snap.Phase, snap.Reason)
	for _, p := range snap.Pods {
		fmt.Fprintf(&b, "\n  pod %s %s (%s)", p.Name, p.Phase, p.Reason)
		for _, c := range p.Containers {
			fmt.Fprintf(&b, "\n    %s %s %s %s", c.Name, c.State, c.Health, c.Reason)
		}
	}
	for _, m := range h.messages() {
		fmt.Fprintf(&b, "\n  %s: %s", m.Level, m.Text)
	}
	return b.String()
}

// leftNothing checks that the engine holds nothing.
func (h *harness) leftNothing() {
	h.t.Helper()
	if c, n, v := h.rt.Containers(), h.rt.Networks(), h.rt.Volumes(); len(c)+len(n)+len(v) > 0 {
		h.t.Errorf("left behind: containers %v, networks %v, volumes %v", c, n, v)
	}
}

// index returns the position of the first engine event text in history, or -1.
func index(history []string, text string) int {
	for i, e := range history {
		if e == text {
			return i
		}
	}
	return -1
}

func before(t *testing.T, history []string, a, b string) {
	t.Helper()
	ia, ib := index(history, a), index(history, b)
	if ia < 0 || ib < 0 || ia > ib {
		t.Errorf("want %q before %q in %v", a, b, history)
	}
}
