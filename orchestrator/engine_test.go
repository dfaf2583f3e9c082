package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// hasMessage: some message event says text.
func (h *harness) hasMessage(text string) func() bool {
	return func() bool {
		for _, m := range h.messages() {
			if strings.Contains(m.Text, text) {
				return true
			}
		}
		return false
	}
}

// shutdownLeavesNothing shuts the stack down: Run ends with 0 and the engine holds nothing.
func (h *harness) shutdownLeavesNothing() {
	h.t.Helper()
	h.o.Shutdown()
	if res, err := h.finish(time.Second); err != nil || res.ExitCode != 0 {
		h.t.Errorf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
}

// shopRunning: shop()'s pod runs, as the engine and the views see it.
func (h *harness) shopRunning() bool {
	return h.running("shop-web", "shop-envoy", "shop-shipper")() && h.podPhase("shop") == orchestrator.PhaseRunning
}

// recreated is a condition: every container of shop()'s pod runs again, none of them one of
// old's, and the views say the pod runs.
func (h *harness) recreated(old map[string]string) func() bool {
	return func() bool {
		now := h.ids()
		for _, n := range []string{"shop-infra", "shop-web", "shop-envoy", "shop-shipper"} {
			c, _ := h.rt.Container(n)
			if now[n] == "" || now[n] == old[n] || c.Info.Status != orchestrator.StatusRunning {
				return false
			}
		}
		return h.podPhase("shop") == orchestrator.PhaseRunning
	}
}

// ids are the fake engine's container IDs by name.
func (h *harness) ids() map[string]string {
	out := map[string]string{}
	for _, n := range h.rt.Containers() {
		c, _ := h.rt.Container(n)
		out[n] = c.Info.ID
	}
	return out
}

// waitsForEngine reports whether the pod's reason is that the stack waits for the engine.
func (h *harness) waitsForEngine(pod string) func() bool {
	return func() bool { snap := h.o.Snapshot(); return snap.Pod(pod).Reason == orchestrator.EngineWaitText }
}

// An engine restart is not a crash: while the engine is gone, every view says so and nothing
// is acted on (no start, stop, create or removal is even tried, whatever time passes); once it
// answers, the relist shows what the restart killed (all of it, infra included) and the pod is
// recreated — main too, though its policy is never — and the stack runs on; a later stop
// leaves nothing.
func TestEngineRestartRecreatesWhatItKilled(t *testing.T) {
	h := startShop(t)
	old := h.ids()

	h.rt.StopEngine()
	h.until("the views told", 0, func() bool {
		snap := h.o.Snapshot()
		return h.hasMessage(orchestrator.EngineWaitText)() && !snap.EngineLostAt.IsZero() && snap.Pod("shop").Reason == orchestrator.EngineWaitText
	})
	calls := map[string]int{}
	for _, m := range []string{"CreateContainer", "StartContainer", "StopContainer", "RemoveContainer"} {
		calls[m] = h.rt.CallCount(m)
	}
	h.clock.Step(2 * time.Minute) // back-offs, probes, retries: nothing may act
	h.until("the wait goes on, said again", time.Second, h.hasMessage("engine still unreachable after"))
	for m, n := range calls {
		if got := h.rt.CallCount(m); got != n {
			t.Errorf("%s called %d times while the engine was gone", m, got-n)
		}
	}
	if phase := h.podPhase("shop"); phase != orchestrator.PhaseRunning {
		t.Errorf("pod phase %s while waiting, want it kept (running)", phase)
	}
	if snap := h.o.Snapshot(); snap.Pod("shop").Reason != orchestrator.EngineWaitText {
		t.Errorf("pod reason %q while waiting", snap.Pod("shop").Reason)
	}

	h.rt.StartEngine(false) // the restart killed everything
	h.until("the pod running again, all new", 200*time.Millisecond, h.recreated(old))
	if !h.hasMessage("engine reachable again after")() || !h.o.Snapshot().EngineLostAt.IsZero() {
		t.Errorf("the views were not told the engine is back:\n%s", h.describe())
	}
	if h.returned() {
		t.Fatalf("Run returned after the engine came back: %+v, %v", h.res, h.err)
	}
	h.shutdownLeavesNothing()
}

// A live-restore engine keeps the containers running across its restart: they are kept,
// nothing is recreated or restarted.
func TestEngineRestartKeepsWhatSurvived(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	old := h.ids()
	creates, starts := h.rt.CallCount("CreateContainer"), h.rt.CallCount("StartContainer")

	h.rt.StopEngine()
	h.until("waiting for the engine", 0, h.hasMessage(orchestrator.EngineWaitText))
	h.rt.StartEngine(true)
	h.until("the engine back and the stack re-listed", 200*time.Millisecond, h.hasMessage("engine reachable again"))
	h.until("the pods reconciled", 0, func() bool { snap := h.o.Snapshot(); return snap.Pod("s").Reason == "" })
	h.clock.Step(time.Minute)
	if now := h.ids(); !maps2Equal(now, old) {
		t.Errorf("containers changed across a live restore: %v → %v", old, now)
	}
	if c, s := h.rt.CallCount("CreateContainer"), h.rt.CallCount("StartContainer"); c != creates || s != starts {
		t.Errorf("%d creates and %d starts after a live restore, want none", c-creates, s-starts)
	}
	h.shutdownLeavesNothing()
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Ctrl-C while the engine is unreachable ends the wait: Run returns at once with what it had
// to leave, named, and how to remove it.
func TestInterruptWhileTheEngineIsGone(t *testing.T) {
	h := startShop(t)
	h.rt.StopEngine()
	h.until("waiting for the engine", 0, h.hasMessage(orchestrator.EngineWaitText))

	h.o.Interrupt()
	res, err := h.finish(0)
	var left *orchestrator.LeftBehindError
	if !errors.As(err, &left) || !errors.Is(err, orchestrator.ErrEngineUnreachable) {
		t.Fatalf("Run = %+v, %v; want a LeftBehindError", res, err)
	}
	want := []string{"container shop-infra", "container shop-migrate", "container shop-envoy",
		"container shop-shipper", "container shop-web", "volume shop-conf", "volume shop-logs"}
	if !slices.Equal(left.Left, want) || !slices.Equal(res.Left, want) {
		t.Errorf("left %v (result %v), want %v", left.Left, res.Left, want)
	}
	if res.ExitCode != orchestrator.ExitInterrupted {
		t.Errorf("exit code %d, want 130", res.ExitCode)
	}
	for _, w := range []string{"left on the engine (as last seen): container shop-infra", "sidecar down --stack shop"} {
		if !strings.Contains(err.Error(), w) || !h.hasMessage(w)() {
			t.Errorf("the error and the views do not say %q: %v", w, err)
		}
	}
	// Indeed left: the engine, back, still has them.
	h.rt.StartEngine(false)
	if got := len(h.rt.Containers()); got != 5 {
		t.Errorf("%d containers on the engine, want the 5 named", got)
	}
}

// A stop begun before the engine went away waits for it, and goes on once it is back:
// nothing is given up on, nothing left.
func TestTeardownWaitsForTheEngine(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.rt.IgnoreSIGTERM("s-app") // the stop takes its grace: the engine goes meanwhile
	h.startRunning("s-app", "s-side")
	h.o.Shutdown()
	h.until("main stopping", 0, h.stateIs("s", "app", orchestrator.CStateStopping))
	h.rt.StopEngine()
	h.until("waiting for the engine", 0, h.hasMessage(orchestrator.EngineWaitText))
	h.clock.Step(time.Minute)
	h.rt.StartEngine(false)
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 {
		t.Errorf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
}

// A container of the pod that the pod does not know (a create whose answer was lost, a
// leftover of an earlier incarnation) is removed once a relist shows it.
func TestOrphanRemovedAtRelist(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	app, _ := h.rt.Container("s-app")
	orphan, err := h.rt.CreateContainer(t.Context(), orchestrator.ContainerSpec{Name: "s-s-stray", Image: app.Spec.Image, Labels: app.Info.Labels})
	if err != nil {
		t.Fatal(err)
	}
	h.until("subscribed", 0, func() bool { return h.rt.CallCount("Events") == 1 })
	h.rt.DropEvents()
	h.rt.ResumeEvents()
	h.until("the orphan removed", 200*time.Millisecond, func() bool {
		for _, n := range h.rt.Containers() {
			if c, _ := h.rt.Container(n); c.Info.ID == orphan {
				return false
			}
		}
		return true
	})
	if !h.running("s-app", "s-side")() {
		t.Errorf("the pod's own containers were touched: running %v", h.rt.Running())
	}
	h.shutdownLeavesNothing()
}

// An engine that stops as dockerd does — its listener closed, then every container stopped,
// their deaths still reaching the event stream — does not end the stack: main's exit (its
// policy is never) is not taken for main's end, the infra container's not for a loss to act
// on at once; the engine is checked, found gone, waited for; once it is back the pod is
// recreated and the stack runs on.
func TestEngineShutdownIsNotTheContainersEnd(t *testing.T) {
	h := startShop(t)
	old := h.ids()

	h.rt.ShutDownEngine()
	h.until("a death seen, the engine checked and found stopping", 0, h.waitsForEngine("shop"))
	h.rt.StopEngine()
	h.clock.Step(10 * time.Second)
	if h.returned() {
		t.Fatalf("Run ended when the engine stopped: %+v, %v", h.res, h.err)
	}
	if snap := h.o.Snapshot(); snap.Phase != orchestrator.PhaseRunning {
		t.Errorf("stack phase %s while the engine is gone, want running", snap.Phase)
	}

	h.rt.StartEngine(false)
	h.until("the pod running again, all new", 200*time.Millisecond, h.recreated(old))
	h.shutdownLeavesNothing()
}

// A container's own exit still counts, once the engine answers the check: a job's main that
// exits ends the stack with its code.
func TestOwnExitCountsOnceTheEngineIsChecked(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	checks := h.rt.CallCount("CheckEngine")
	if err := h.rt.Exit("s-app", 3); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 3 {
		t.Errorf("Run = %+v, %v; want main's 3", res, err)
	}
	if h.rt.CallCount("CheckEngine") == checks {
		t.Errorf("main's exit was acted on without checking the engine")
	}
	h.leftNothing()
}

// The user's stop holds across an engine restart: the pod the restart killed is recreated
// without the stopped container started again. A command given while the engine is gone is
// refused, saying why, and changes nothing.
func TestUsersStopHoldsAcrossAnEngineRestart(t *testing.T) {
	h := startShop(t)
	if err := h.o.StopContainer("shop", "shipper"); err != nil {
		t.Fatal(err)
	}
	h.until("shipper stopped", 0, h.stateIs("shop", "shipper", orchestrator.CStateStopped))
	old := h.ids()

	h.rt.StopEngine()
	h.until("waiting for the engine", 0, h.hasMessage(orchestrator.EngineWaitText))
	for _, cmd := range []func(string, string) error{h.o.StopContainer, h.o.StartContainer, h.o.RestartContainer} {
		if err := cmd("shop", "envoy"); !errors.Is(err, orchestrator.ErrEngineUnreachable) || !strings.Contains(err.Error(), "engine") {
			t.Errorf("a command while the engine is gone: %v, want it refused as ErrEngineUnreachable", err)
		}
	}
	h.rt.StartEngine(false) // the restart killed everything
	h.until("the pod running again, all new, shipper still stopped", 200*time.Millisecond, func() bool {
		now := h.ids()
		for _, n := range []string{"shop-infra", "shop-web", "shop-envoy"} {
			if c, _ := h.rt.Container(n); now[n] == old[n] || c.Info.Status != orchestrator.StatusRunning {
				return false
			}
		}
		return h.podPhase("shop") == orchestrator.PhaseRunning
	})
	h.clock.Step(2 * time.Minute)
	if c, _ := h.rt.Container("shop-shipper"); c.Info.Status == orchestrator.StatusRunning {
		t.Errorf("shipper, stopped by the user, was started again after the engine restart")
	}
	if v := h.view("shop", "shipper"); v.Reason != "stopped by user" {
		t.Errorf("shipper's view after the restart: %+v", v)
	}
	if v := h.view("shop", "envoy"); v.State != orchestrator.CStateRunning {
		t.Errorf("envoy after commands refused while the engine was gone: %+v", v)
	}
	h.shutdownLeavesNothing()
}

// hungEngine is the fake engine as a SIGSTOPped dockerd is: while hung, it takes every call
// and answers none (each waits until its context ends), its event stream stays open and
// silent, and a ping with a deadline — CheckEngine — finds it unreachable.
type hungEngine struct {
	*fake.Runtime
	mu     sync.Mutex
	resume chan struct{} // nil: answering
}

func (e *hungEngine) hang() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.resume == nil {
		e.resume = make(chan struct{})
	}
}

func (e *hungEngine) wait(ctx context.Context) error {
	e.mu.Lock()
	resume := e.resume
	e.mu.Unlock()
	if resume == nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("hung engine: %w", ctx.Err())
	case <-resume:
		return nil
	}
}

func (e *hungEngine) CheckEngine(ctx context.Context) error {
	e.mu.Lock()
	hung := e.resume != nil
	e.mu.Unlock()
	if hung {
		return fmt.Errorf("check the engine: ping: context deadline exceeded: %w", orchestrator.ErrEngineUnreachable)
	}
	return e.Runtime.CheckEngine(ctx)
}

func (e *hungEngine) StartContainer(ctx context.Context, id string) error {
	if err := e.wait(ctx); err != nil {
		return err
	}
	return e.Runtime.StartContainer(ctx, id)
}

func (e *hungEngine) StopContainer(ctx context.Context, id string, grace time.Duration) (orchestrator.StopResult, error) {
	if err := e.wait(ctx); err != nil {
		return orchestrator.StopResult{}, err
	}
	return e.Runtime.StopContainer(ctx, id, grace)
}

func (e *hungEngine) KillContainer(ctx context.Context, id, signal string) error {
	if err := e.wait(ctx); err != nil {
		return err
	}
	return e.Runtime.KillContainer(ctx, id, signal)
}

func (e *hungEngine) RemoveContainer(ctx context.Context, id string) error {
	if err := e.wait(ctx); err != nil {
		return err
	}
	return e.Runtime.RemoveContainer(ctx, id)
}

func (e *hungEngine) ListContainers(ctx context.Context, filter map[string]string) ([]orchestrator.ContainerInfo, error) {
	if err := e.wait(ctx); err != nil {
		return nil, err
	}
	return e.Runtime.ListContainers(ctx, filter)
}

func (e *hungEngine) Probe(ctx context.Context, infraID, containerID string, p recipes.Probe) error {
	if err := e.wait(ctx); err != nil {
		return err
	}
	return e.Runtime.Probe(ctx, infraID, containerID, p)
}

func newHungHarness(t *testing.T, s *recipes.Stack) (*harness, *hungEngine) {
	var eng *hungEngine
	h := newHarnessOn(t, s, orchestrator.Options{}, func(rt *fake.Runtime) orchestrator.Runtime {
		eng = &hungEngine{Runtime: rt}
		return eng
	})
	return h, eng
}

// hungWhileRunning is the simple stack running on an engine that then hangs.
func hungWhileRunning(t *testing.T) *harness {
	h, eng := newHungHarness(t, simple())
	h.startRunning("s-app", "s-side")
	eng.hang()
	return h
}

// quickProbe is a ready probe whose attempts time out at once on a hung engine, and whose
// first counted failure would make the container not ready.
func quickProbe(c *recipes.Container) {
	c.Ready = &recipes.Probe{TCP: &recipes.TCPProbe{Port: 8080}, Period: recipes.Duration(time.Second),
		Timeout: recipes.Duration(10 * time.Millisecond), Retries: 1}
}

// A hung engine (SIGSTOPped: it takes connections and answers nothing, its event stream
// stays open) is a lost engine: a probe that times out has the engine checked, the views say
// it is unreachable, the probe's failure is not counted; Ctrl-C then ends the run at once,
// naming what is left.
func TestHungEngineIsLost(t *testing.T) {
	h, eng := newHungHarness(t, stack("s", pod("s", ctr("app"), sidecars(ctr("side", quickProbe)))))
	h.startRunning("s-app", "s-side")
	h.until("side ready", time.Second, func() bool { return h.view("s", "side").Health == orchestrator.HealthReady })

	eng.hang()
	h.until("the views told", time.Second, func() bool {
		return h.hasMessage(orchestrator.EngineWaitText)() && !h.o.Snapshot().EngineLostAt.IsZero()
	})
	if v := h.view("s", "side"); v.Health != orchestrator.HealthReady {
		t.Errorf("side's probe failures on a hung engine counted: %+v", v)
	}
	h.o.Interrupt()
	res, err := h.finish(0)
	var left *orchestrator.LeftBehindError
	if !errors.As(err, &left) || res.ExitCode != orchestrator.ExitInterrupted || !slices.Contains(left.Left, "container s-app") {
		t.Fatalf("Run = %+v, %v; want 130 and a LeftBehindError naming s-app", res, err)
	}
}

// A forced teardown is bounded: an engine that hangs under it (not yet known lost) has
// forceBudget to answer; then the run ends with what is left named and how to remove it.
func TestForcedTeardownOnAHungEngineIsBounded(t *testing.T) {
	h := hungWhileRunning(t)
	h.o.Interrupt()
	h.o.Kill()
	res, err := h.finish(time.Second) // the clock moves: the budget runs out
	var left *orchestrator.LeftBehindError
	if !errors.As(err, &left) || res.ExitCode != orchestrator.ExitInterrupted || len(left.Left) == 0 ||
		!strings.Contains(err.Error(), "sidecar down --stack s") {
		t.Fatalf("Run = %+v, %v; want 130 and a LeftBehindError naming what is left", res, err)
	}
}

// A further Kill once forced (a third Ctrl-C) ends the run at once, whatever the engine does.
func TestFurtherKillEndsAtOnce(t *testing.T) {
	h := hungWhileRunning(t)
	h.o.Kill()
	h.until("the teardown forced", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseStopping })
	h.o.Kill()
	res, err := h.finish(0) // the clock stands still: only the second Kill can end it
	var left *orchestrator.LeftBehindError
	if !errors.As(err, &left) || !left.Unanswered || !slices.Contains(left.Left, "container s-infra") {
		t.Fatalf("Run = %+v, %v; want a LeftBehindError naming s-infra", res, err)
	}
}
