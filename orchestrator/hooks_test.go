package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

func postStart(h *recipes.Hook) copt { return func(c *recipes.Container) { c.PostStart = h } }
func preStop(h *recipes.Hook) copt   { return func(c *recipes.Container) { c.PreStop = h } }
func execHook(cmd ...string) *recipes.Hook {
	return &recipes.Hook{Exec: &recipes.ExecProbe{Command: cmd}}
}
func httpHook(port int, path string) *recipes.Hook {
	return &recipes.Hook{HTTP: &recipes.HTTPProbe{Port: port, Path: path}}
}

// hookLines are the hook events so far as "container hook phase" lines.
func (h *harness) hookLines() []string {
	var out []string
	for _, ev := range h.hookEvents() {
		out = append(out, fmt.Sprintf("%s %s %s", ev.Container, ev.Hook, ev.Phase))
	}
	return out
}

func (h *harness) hookEvents() []orchestrator.HookEvent {
	return eventsOf[orchestrator.HookEvent](h)
}

// viewAfterHook is the first view of container name published after the hook event
// "container hook phase" (as hookLines has it), or nil while there is none.
func (h *harness) viewAfterHook(pod, name, hook string) *orchestrator.ContainerView {
	seen := false
	for _, e := range h.all() {
		switch ev := e.(type) {
		case orchestrator.HookEvent:
			seen = seen || fmt.Sprintf("%s %s %s", ev.Container, ev.Hook, ev.Phase) == hook
		case orchestrator.ContainerEvent:
			if seen && ev.Pod == pod && ev.Name == name {
				return &ev.ContainerView
			}
		}
	}
	return nil
}

// holdHooks makes the hooks of container name block until the returned channel is closed
// (or their context ends).
func (h *harness) holdHooks(name string) chan struct{} {
	release := make(chan struct{})
	h.rt.SetHookFunc(name, func(ctx context.Context, hk recipes.Hook) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return release
}

// callOrder returns the recorded calls as "Method target" lines.
func callOrder(rt *fake.Runtime) []string {
	var out []string
	for _, c := range rt.Calls() {
		out = append(out, c.Method+" "+c.Target)
	}
	return out
}

// The sidecar's post-start hook completes before main starts; main's pre-stop hook runs
// before its stop signal, and the sidecar's after main is stopped; every hook is in the
// event stream, running then passed.
func TestHooksRunInLifecycleOrder(t *testing.T) {
	s := stack("h", pod("h",
		ctr("web", postStart(httpHook(8080, "warm")), preStop(execHook("/drain"))),
		sidecars(ctr("proxy", postStart(execHook("/wait-ready")), preStop(&recipes.Hook{Sleep: recipes.Duration(3 * time.Second)})))))
	h := newHarness(t, s, orchestrator.Options{})
	release := h.holdHooks("h-proxy")
	h.start()
	// The hook's event goes out before the views of the same step: the view to judge is
	// proxy's first one after it, not the snapshot at the moment the event is seen.
	h.until("proxy's post-start hook running, and proxy's view after it", 0, func() bool {
		return h.viewAfterHook("h", "proxy", "proxy post-start running") != nil
	})
	if v := h.viewAfterHook("h", "proxy", "proxy post-start running"); v.State != orchestrator.CStateRunning || v.Reason != "post-start hook running" {
		t.Errorf("proxy while its post-start hook runs: %s %q", v.State, v.Reason)
	}
	if _, ok := h.rt.Container("h-web"); ok && index(h.rt.HistoryOf("h-web"), "start h-web") >= 0 {
		t.Fatal("main started before the sidecar's post-start hook completed")
	}
	close(release)
	h.until("web running, its post-start hook passed", 0, func() bool {
		return slices.Contains(h.hookLines(), "web post-start passed")
	})
	calls := callOrder(h.rt)
	before(t, calls, "RunHook h-proxy", "StartContainer h-web")
	before(t, calls, "StartContainer h-web", "RunHook h-web")

	h.o.Shutdown()
	h.until("web's pre-stop hook passed", 0, func() bool { return slices.Contains(h.hookLines(), "web pre-stop passed") })
	// proxy's pre-stop hook is a sleep of 3s on the clock: its stop waits for it.
	h.until("proxy's pre-stop running", 0, func() bool { return slices.Contains(h.hookLines(), "proxy pre-stop running") })
	if slices.Contains(callOrder(h.rt), "StopContainer h-proxy") {
		t.Error("proxy was stopped before its pre-stop sleep ended")
	}
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	want := []string{
		"proxy post-start running", "proxy post-start passed",
		"web post-start running", "web post-start passed",
		"web pre-stop running", "web pre-stop passed",
		"proxy pre-stop running", "proxy pre-stop passed",
	}
	if got := h.hookLines(); !slices.Equal(got, want) {
		t.Errorf("hook events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	calls = callOrder(h.rt)
	before(t, calls, "RunHook h-web", "StopContainer h-web")
	before(t, calls, "StopContainer h-web", "StopContainer h-proxy")
	for _, ev := range h.hookEvents() {
		if ev.Container == "proxy" && ev.Hook == orchestrator.HookPreStop && ev.Phase == orchestrator.HookPassed {
			if ev.Duration.D() < 3*time.Second || ev.Action != "sleep 3s" {
				t.Errorf("proxy's pre-stop event %+v: want the sleep's 3s", ev)
			}
		}
		if ev.Container == "web" && ev.Hook == orchestrator.HookPostStart && ev.Action != "http GET :8080/warm" {
			t.Errorf("web's post-start action %q", ev.Action)
		}
	}
	h.leftNothing()
}

// A pre-stop hook that does not finish within the pod's budget is abandoned (its context
// ends) and the stop proceeds at once.
func TestPreStopAbandonedWhenTheBudgetRunsOut(t *testing.T) {
	s := stack("a", pod("a", ctr("web", preStop(execHook("/drain"))), podGrace(10*time.Second)))
	h := newHarness(t, s, orchestrator.Options{})
	var cancelled atomic.Bool
	h.rt.SetHookFunc("a-web", func(ctx context.Context, hk recipes.Hook) error {
		<-ctx.Done()
		cancelled.Store(true)
		return ctx.Err()
	})
	h.start()
	h.until("web running", 0, h.running("a-web"))
	h.o.Shutdown()
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	if !cancelled.Load() {
		t.Error("the hook's context was not cancelled when it was abandoned")
	}
	evs := h.hookEvents()
	if len(evs) != 2 || evs[1].Phase != orchestrator.HookFailed || !strings.Contains(evs[1].Error, "abandoned: it did not finish within the grace of 10s") {
		t.Errorf("hook events %+v, want running then failed (abandoned)", evs)
	}
	h.leftNothing()
}

// A sidecar whose post-start hook fails is stopped and restarted with back-off; main starts
// once a run's hook passed.
func TestFailedPostStartRestartsTheSidecar(t *testing.T) {
	s := stack("f", pod("f", ctr("web"), sidecars(ctr("proxy", postStart(execHook("/warm"))))))
	h := newHarness(t, s, orchestrator.Options{})
	var runs atomic.Int32
	h.rt.SetHookFunc("f-proxy", func(ctx context.Context, hk recipes.Hook) error {
		if runs.Add(1) == 1 {
			return errors.New("exec \"/warm\" exited 1: not yet \x1b]0;title\a")
		}
		return nil
	})
	h.start()
	h.until("web running", 100*time.Millisecond, h.running("f-web"))
	proxy, _ := h.rt.Container("f-proxy")
	if proxy.Starts != 2 {
		t.Errorf("proxy started %d times, want 2 (its first post-start hook failed)", proxy.Starts)
	}
	if v := h.view("f", "proxy"); v.Restarts != 1 {
		t.Errorf("proxy restarts %d, want 1", v.Restarts)
	}
	web, _ := h.rt.Container("f-web")
	if web.Info.StartedAt.Before(proxy.Info.StartedAt) {
		t.Error("main started before the sidecar's second run")
	}
	var failed []orchestrator.HookEvent
	for _, ev := range h.hookEvents() {
		if ev.Phase == orchestrator.HookFailed {
			failed = append(failed, ev)
		}
	}
	// The hook's output is the container's: it reaches the stream as plain text.
	if len(failed) != 1 || strings.TrimSpace(failed[0].Error) != `exec "/warm" exited 1: not yet` {
		t.Errorf("failed hook events %+v", failed)
	}
	for _, m := range h.messages() {
		if strings.Contains(m.Text, "/warm") {
			t.Errorf("the hook's failure said twice, as a message too: %+v", m)
		}
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

func job(p *recipes.Pod) { p.Job = true }

// A job pod whose main has a ready probe lets its dependents start once ready, before it
// completes (compose's service_healthy on a one-shot); its completion then ends nothing.
func TestReadyJobStartsItsDependents(t *testing.T) {
	s := stack("j",
		pod("setup", ctr("setup", readyProbe), job),
		pod("app", ctr("app"), dependsOn("setup")),
	)
	h := newHarness(t, s, orchestrator.Options{})
	h.start()
	h.until("app running while setup still runs", time.Second, h.running("j-app-app", "j-setup-setup"))
	if err := h.rt.Exit("j-setup-setup", 0); err != nil {
		t.Fatal(err)
	}
	h.until("setup completed", time.Second, func() bool { return h.podPhase("setup") == orchestrator.PhaseCompleted })
	if !h.running("j-app-app")() {
		t.Fatal("the job's completion stopped its dependent")
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

// A job pod: its main completes, its sidecar is stopped, the pod that depends on it starts
// then, and the stack goes on; the completed pod shows as completed and its containers stay
// (exited) until the stack ends.
func TestJobPodCompletesAndTheStackGoesOn(t *testing.T) {
	s := stack("j",
		pod("seed", ctr("seed"), sidecars(ctr("proxy")), job),
		pod("app", ctr("app"), dependsOn("seed")),
	)
	h := newHarness(t, s, orchestrator.Options{})
	h.start()
	h.until("seed running", 0, h.running("j-seed-seed", "j-seed-proxy"))
	if _, ok := h.rt.Container("j-app-infra"); ok {
		t.Fatal("app was created before its job dependency completed")
	}
	if err := h.rt.Exit("j-seed-seed", 0); err != nil {
		t.Fatal(err)
	}
	h.until("app running", time.Second, h.running("j-app-app"))
	h.until("seed completed", time.Second, func() bool { return h.podPhase("seed") == orchestrator.PhaseCompleted })
	h.until("seed's sidecar stopped", time.Second, h.stateIs("seed", "proxy", orchestrator.CStateStopped))
	h.until("seed's infra container stopped", time.Second, h.stateIs("seed", "infra", orchestrator.CStateStopped))
	for _, n := range []string{"j-seed-seed", "j-seed-proxy", "j-seed-infra"} {
		if c, ok := h.rt.Container(n); !ok || c.Info.Status != orchestrator.StatusExited {
			t.Errorf("%s: present %v, %s: a completed job's containers stay, exited, until the stack ends", n, ok, c.Info.Status)
		}
	}
	hist := h.rt.HistoryOf()
	before(t, hist, "die j-seed-seed 0", "create j-app-infra")
	// The views say it in lifecycle order: main exited, then its sidecar stopping.
	var order []string
	h.until("seed's events", 0, func() bool {
		order = nil
		for _, e := range h.all() {
			if c, ok := e.(orchestrator.ContainerEvent); ok && c.Pod == "seed" && (c.State == orchestrator.CStateExited || c.State == orchestrator.CStateStopping) {
				if s := c.Name + " " + c.State.String(); len(order) == 0 || order[len(order)-1] != s {
					order = append(order, s)
				}
			}
		}
		return len(order) >= 3
	})
	if !slices.Equal(order, []string{"seed exited", "proxy stopping", "infra stopping"}) {
		t.Errorf("seed's events %v, want main exited, then its sidecar and infra container stopping", order)
	}
	snap := h.o.Snapshot()
	if p := snap.Pod("seed"); p.Reason != "job completed: main seed exited with code 0" {
		t.Errorf("seed pod %+v", *p)
	}
	if v := h.view("seed", "seed"); v.State != orchestrator.CStateExited || *v.ExitCode != 0 {
		t.Errorf("seed's main view %+v", v)
	}
	if err := h.o.RestartContainer("seed", "seed"); !errors.Is(err, orchestrator.ErrNotSupported) {
		t.Errorf("restart of a completed job: %v, want ErrNotSupported", err)
	}
	h.until("stack running", time.Second, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })

	// The service pod's main ending ends the stack, with its code; the completed job is
	// removed last (reverse dependency order).
	if err := h.rt.Exit("j-app-app", 5); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 5 || res.Pod != "app" {
		t.Fatalf("Run = %+v, %v; want app's 5", res, err)
	}
	before(t, h.rt.HistoryOf(), "destroy j-app-infra", "destroy j-seed-seed")
	h.leftNothing()
}

// A stack of job pods ends when the last one completes, with 0.
func TestStackOfJobsEndsWhenTheLastCompletes(t *testing.T) {
	s := stack("b", pod("one", ctr("one"), job), pod("two", ctr("two"), job))
	h := newHarness(t, s, orchestrator.Options{})
	h.start()
	h.until("both running", 0, h.running("b-one-one", "b-two-two"))
	if err := h.rt.Exit("b-one-one", 0); err != nil {
		t.Fatal(err)
	}
	h.until("one completed", 0, func() bool { return h.podPhase("one") == orchestrator.PhaseCompleted })
	if p := h.o.Snapshot().Phase; p == orchestrator.PhaseStopping || p == orchestrator.PhaseDone {
		t.Fatalf("the stack is %s after its first job completed", p)
	}
	if err := h.rt.Exit("b-two-two", 0); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 || res.Reason != "every job completed" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
}

// A job whose main fails for good fails the stack with its code and last lines.
func TestFailedJobFailsTheStack(t *testing.T) {
	s := stack("x", pod("seed", ctr("seed"), job), pod("app", ctr("app"), dependsOn("seed")))
	h := newHarness(t, s, orchestrator.Options{})
	h.start()
	h.until("seed running", 0, h.running("x-seed-seed"))
	if err := h.rt.Print("x-seed-seed", orchestrator.Stderr, "duplicate key"); err != nil {
		t.Fatal(err)
	}
	if err := h.rt.Exit("x-seed-seed", 4); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if !errors.Is(err, orchestrator.ErrJobFailed) || res.ExitCode != 4 || res.Container != "seed" || !slices.Contains(res.Lines, "duplicate key") {
		t.Fatalf("Run = %+v, %v; want the job's 4 and its lines", res, err)
	}
	if _, ok := h.rt.Container("x-app-infra"); ok || index(h.rt.HistoryOf(), "create x-app-infra") >= 0 {
		t.Error("the pod depending on the failed job was started")
	}
	h.leftNothing()
}

// The downward API on the fake engine: the pod IP and UID of each incarnation, the node's
// name, the pod's name; a memory volume is a tmpfs; a subdomain gets the stack network.
func TestDownwardAPIAndPodSettings(t *testing.T) {
	web := ctr("web", func(c *recipes.Container) {
		c.EnvRefs = []recipes.EnvRef{{Name: "POD_IP", Field: "status.podIP"}, {Name: "UID", Field: "metadata.uid"},
			{Name: "NODE", Field: "spec.nodeName"}, {Name: "NAME", Field: "metadata.name"}}
		c.Volumes = []recipes.Mount{{Type: recipes.MountVolume, Source: "scratch", Target: "/scratch"}}
	})
	p := pod("web-0", web, volumes(&recipes.Volume{Name: "scratch", Medium: recipes.MediumMemory, SizeLimit: 64 << 20}),
		func(p *recipes.Pod) { p.Subdomain = "web" })
	h := newHarness(t, stack("d", p), orchestrator.Options{})
	h.start()
	h.until("web running", 0, h.running("d-web-0-web"))
	env := func() map[string]string {
		c, _ := h.rt.Container("d-web-0-web")
		out := map[string]string{}
		for _, kv := range c.Spec.Env {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
		return out
	}
	infra, _ := h.rt.Container("d-web-0-infra")
	first := env()
	if len(infra.Info.Networks) != 1 || first["POD_IP"] != infra.Info.Networks[0].IP || first["NODE"] != "fake-node" ||
		first["NAME"] != "web-0" || len(first["UID"]) != 36 {
		t.Errorf("env %v; infra %+v", first, infra.Info.Networks)
	}
	if !slices.Equal(h.rt.Networks(), []string{"d-net"}) || !slices.Equal(infra.Spec.Aliases, []string{"web-0", "web-0.web"}) {
		t.Errorf("networks %v, aliases %v: a pod with a subdomain needs the stack network", h.rt.Networks(), infra.Spec.Aliases)
	}
	if size, ok := h.rt.MemoryVolume("d-web-0-scratch"); !ok || size != 64<<20 {
		t.Errorf("scratch volume: tmpfs %v of %d bytes, want 64Mi", ok, size)
	}

	// A new incarnation of the pod has a new UID and address.
	if err := h.rt.Remove("d-web-0-infra"); err != nil {
		t.Fatal(err)
	}
	h.until("web running again", time.Second, func() bool {
		_, ok := h.rt.Container("d-web-0-web")
		return ok && h.running("d-web-0-web")() && env()["UID"] != first["UID"]
	})
	infra, _ = h.rt.Container("d-web-0-infra")
	if second := env(); second["POD_IP"] != infra.Info.Networks[0].IP || second["POD_IP"] == first["POD_IP"] {
		t.Errorf("second incarnation env %v, infra %+v (first %v)", second, infra.Info.Networks, first)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

// A downward-API variable that cannot be resolved is bad input: nothing is created.
func TestBadEnvRefIsBadInput(t *testing.T) {
	web := ctr("web", func(c *recipes.Container) {
		c.EnvRefs = []recipes.EnvRef{{Name: "LIMIT", Resource: "limits.cpu", Container: "db"}}
	})
	h := newHarness(t, stack("e", pod("e", web)), orchestrator.Options{})
	res, err := h.o.Run(context.Background())
	close(h.done)
	if err == nil || res.ExitCode != orchestrator.ExitUsage || !strings.Contains(err.Error(), `pod e, container web: env LIMIT: resource limits.cpu of container "db"`) {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	if n := len(h.rt.Calls()); n != 0 {
		t.Errorf("%d engine calls, want none: %v", n, h.rt.Calls())
	}
}

// elastic's setup through the compose importer: a one-shot that es01 waits for to be
// healthy and that exits afterwards. Marked x-sidecar: {job: true}, it is a job whose
// dependents start once its healthcheck passes, while it still runs, and whose exit then
// ends nothing; unmarked, it is a service pod and its exit ends the stack.
func TestComposeOneShotWaitedForAsHealthy(t *testing.T) {
	compose := func(x string) *recipes.Stack {
		t.Helper()
		src := `name: es
services:
  setup:
    image: elasticsearch:8
    healthcheck: {test: ["CMD-SHELL", "[ -f /certs/es01.crt ]"], interval: 1s, retries: 120}
` + x + `
  es01:
    image: elasticsearch:8
    depends_on: {setup: {condition: service_healthy}}
`
		return loadCompose(t, "es", src)
	}
	st := compose("    x-sidecar: {job: true}")
	if p := st.Pod("setup"); p == nil || !p.Job || p.Main.Ready == nil {
		t.Fatalf("setup imported as %+v: want a job pod whose main has a ready probe", p)
	}
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("es-setup-setup", errors.New("exec probe exited 1"))
	h.start()
	h.until("setup running", 0, h.running("es-setup-setup"))
	h.clock.Step(10 * time.Second)
	if _, ok := h.rt.Container("es-es01-infra"); ok {
		t.Fatal("es01 was created before setup's healthcheck passed")
	}
	h.rt.SetProbe("es-setup-setup", nil)
	h.until("es01 running while setup still runs", time.Second, h.running("es-es01-es01", "es-setup-setup"))
	h.until("the stack running", time.Second, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	if err := h.rt.Exit("es-setup-setup", 0); err != nil {
		t.Fatal(err)
	}
	h.until("setup completed", time.Second, func() bool { return h.podPhase("setup") == orchestrator.PhaseCompleted })
	h.clock.Step(time.Minute)
	if !h.running("es-es01-es01")() || h.o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Fatalf("setup's completion ended es01 or the stack: es01 running %v, stack %s", h.running("es-es01-es01")(), h.o.Snapshot().Phase)
	}
	h.shutdownLeavesNothing()

	// Unmarked: a service pod, as a database waited for as healthy must stay.
	st = compose("")
	if p := st.Pod("setup"); p == nil || p.Job {
		t.Fatalf("setup imported as %+v without x-sidecar: want a service pod", p)
	}
	h = newHarness(t, st, orchestrator.Options{})
	h.start()
	h.until("both running", time.Second, h.running("es-setup-setup", "es-es01-es01"))
	if err := h.rt.Exit("es-setup-setup", 0); err != nil {
		t.Fatal(err)
	}
	if res, err := h.finish(time.Second); err != nil || res.Pod != "setup" || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v; want the stack ended by setup's main", res, err)
	}
	h.leftNothing()
}

// A stack of one job that completes before it was seen running is done, and was never
// running as a whole: no "stack running" after its pod completed.
func TestQuickJobStackIsNeverRunning(t *testing.T) {
	s := stack("q", pod("one", ctr("one"), job))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.ExitOnStart("q-one-one", 0)
	h.start()
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 || res.Reason != "every job completed" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	completed := false
	for _, ev := range h.all() {
		switch e := ev.(type) {
		case orchestrator.PodEvent:
			completed = completed || e.Phase == orchestrator.PhaseCompleted
		case orchestrator.StackEvent:
			if e.Phase == orchestrator.PhaseRunning && completed {
				t.Errorf("the stack is running after its only job completed:\n%s", h.describe())
			}
		}
	}
	h.leftNothing()
}
