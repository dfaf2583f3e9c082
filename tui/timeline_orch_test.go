package tui

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
	"github.com/sidecar-dev/sidecar/tui/internal/fakestack"
)

// TestTimelineFromTheOrchestrator: the timeline of a real orchestrator's pod on the
// in-memory engine with an injected clock — an init container, a crash and back-off
// restart, a ready-probe failure and recovery, an OOM kill, a teardown — built from the
// events the view receives, as up shows them.
func TestTimelineFromTheOrchestrator(t *testing.T) {
	st, err := fakestack.Load(`name: life
main: {name: web, image: demo/web:dev}
init:
  - {name: migrate, image: demo/migrate:dev}
sidecars:
  - name: envoy
    image: demo/envoy:dev
    ready: {tcp: {port: 9901}, period: 1s, retries: 2}
  - {name: shipper, image: demo/shipper:dev}
stop_grace: 10s
`)
	if err != nil {
		t.Fatal(err)
	}
	names := orchestrator.Names{Stack: "life"}
	engine := func(c string) string { return names.Container("life", c) }
	r := runOnFake(t, st, func(rt *fake.Runtime) {
		rt.ExitOnStart(engine("migrate"), 0)
		rt.SetProbe(engine("envoy"), nil)
	})
	rt, o, m, until := r.rt, r.o, r.m, r.until
	state := func(name string) orchestrator.ContainerView {
		if c := m.container("life", name); c != nil {
			return *c
		}
		return orchestrator.ContainerView{}
	}
	until("the pod running, envoy ready", func() bool {
		return state("web").State == orchestrator.CStateRunning && state("envoy").Health == orchestrator.HealthReady
	})
	if err := rt.Exit(engine("shipper"), 1); err != nil {
		t.Fatal(err)
	}
	until("shipper restarted", func() bool {
		return state("shipper").Restarts == 1 && state("shipper").State == orchestrator.CStateRunning
	})
	rt.SetProbe(engine("envoy"), errors.New("connection refused"))
	until("envoy not ready", func() bool { return state("envoy").Health == orchestrator.HealthNotReady })
	rt.SetProbe(engine("envoy"), nil)
	until("envoy ready again", func() bool { return state("envoy").Health == orchestrator.HealthReady })
	if err := rt.OOM(engine("shipper")); err != nil {
		t.Fatal(err)
	}
	until("shipper restarted after its OOM kill", func() bool {
		return state("shipper").Restarts == 2 && state("shipper").State == orchestrator.CStateRunning
	})
	o.Shutdown()
	until("the end of the stream", func() bool { return r.ended })

	marks := func(name string) string { return r.marks("life", name) }
	for name, want := range map[string]string{
		"migrate": "started, exited",
		"envoy":   "started, ready, probe failed, ready, stop sent, exited",
		"shipper": "started, exit code, restarted, OOM-killed, restarted, stop sent, exited",
		"web":     "started, stop sent, exited",
	} {
		if got := marks(name); got != want {
			t.Errorf("%s's marks: %s; want %s", name, got, want)
		}
	}
	var phases []string
	for _, p := range m.phases["life"] {
		phases = append(phases, phaseNames[p.phase])
	}
	if got, want := strings.Join(phases, " "), "pending infra init sidecars main running terminating done"; got != want {
		t.Errorf("the pod's phases: %s; want %s", got, want)
	}
	m.press("L")
	frame := m.frame()
	for name, glyphs := range map[string]string{"shipper": "■~↻!", "envoy": "▶✗▒✓", "infra": "▶█", "web": "▶█", "migrate": "■"} {
		var r string
		for _, l := range strings.Split(frame, "\n") {
			if strings.HasPrefix(l, " "+name+" ") {
				r = l
			}
		}
		for _, g := range glyphs {
			if !strings.ContainsRune(r, g) {
				t.Errorf("%s's strip has no %c: %q\n%s", name, g, r, frame)
			}
		}
	}
}

// TestHooksFromTheOrchestrator: a real orchestrator's hook runs on the in-memory engine —
// a sidecar's post-start hook and main's pre-stop hook — as marks on the timeline and lines
// in the columns.
func TestHooksFromTheOrchestrator(t *testing.T) {
	st, err := fakestack.Load(`name: hooks
main: {name: web, image: demo/web:dev}
sidecars:
  - {name: envoy, image: demo/envoy:dev}
stop_grace: 10s
`)
	if err != nil {
		t.Fatal(err)
	}
	st.Pods[0].Main.PreStop = &recipes.Hook{Sleep: recipes.Duration(2 * time.Second)}
	st.Pods[0].Sidecars[0].PostStart = &recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/warm"}}}
	r := runOnFake(t, st, nil)
	r.until("web running", func() bool {
		c := r.m.container("hooks", "web")
		return c != nil && c.State == orchestrator.CStateRunning
	})
	r.o.Shutdown() // the pre-stop hook sleeps on the fake clock, which until moves
	r.until("the end of the stream", func() bool { return r.ended })
	m := r.m
	marks := func(name string) string { return r.marks("hooks", name) }
	for name, want := range map[string]string{
		"envoy": "hook, started, stop sent, exited",
		"web":   "started, hook, stop sent, exited",
	} {
		if got := marks(name); got != want {
			t.Errorf("%s's marks: %s; want %s", name, got, want)
		}
	}
	text := func(name string) string {
		p := m.pane("hooks", name)
		var out []string
		lo, hi := p.bounds()
		for i := lo; i < hi; i++ {
			out = append(out, p.lineAt(i).text)
		}
		return strings.Join(out, " | ")
	}
	for name, want := range map[string][]string{
		"envoy": {"▶ started: post-start hook running", "◇ post-start hook passed in 0ms (exec /warm)"},
		"web":   {"◇ pre-stop hook (sleep 2s)", "◇ pre-stop hook passed in 2s"},
	} {
		for _, w := range want {
			if !strings.Contains(text(name), w) {
				t.Errorf("%s's column has no %q: %s", name, w, text(name))
			}
		}
	}
	m.press("L")
	if frame := m.frame(); !strings.Contains(frame, "◇ hook") {
		t.Errorf("the timeline's legend has no hook:\n%s", frame)
	}
}

// fakeRun is a real orchestrator running a stack on the in-memory engine with a fake clock
// (from base), and a model fed from its subscription.
type fakeRun struct {
	t     *testing.T
	rt    *fake.Runtime
	o     *orchestrator.Orchestrator
	sub   *orchestrator.Subscription
	clk   *testingclock.FakeClock
	m     *model
	ended bool // the stream ended
}

// runOnFake starts st on the in-memory engine (its images present; prepare, if set, sets
// the engine up before the start); the orchestrator is killed when the test ends.
func runOnFake(t *testing.T, st *recipes.Stack, prepare func(rt *fake.Runtime)) *fakeRun {
	t.Helper()
	r := &fakeRun{t: t, clk: testingclock.NewFakeClock(base)}
	r.rt = fake.New(r.clk)
	for _, c := range st.Pods[0].Containers() {
		r.rt.AddImage(c.Image)
	}
	if prepare != nil {
		prepare(r.rt)
	}
	r.o = orchestrator.New(r.rt, st, orchestrator.Options{Clock: r.clk})
	r.sub = r.o.SubscribeWith(subscribeOptions)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.o.Run(context.Background())
	}()
	t.Cleanup(func() {
		r.o.Kill()
		<-done
		r.sub.Close()
	})
	r.m, _ = testModel(t, 200, 50)
	r.m.opts.Now = r.clk.Now
	return r
}

// until feeds the model what the stream has, moving the fake clock by 100ms whenever
// nothing happens for a moment (back-off, probe periods, a hook's sleep), until cond holds.
func (r *fakeRun) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		evs, err := r.sub.Next(ctx)
		cancel()
		switch {
		case errors.Is(err, io.EOF):
			r.ended = true
		case len(evs) > 0:
			r.m.events(evs...)
		default:
			r.clk.Step(100 * time.Millisecond)
		}
		if r.ended && !cond() || time.Now().After(deadline) {
			r.t.Fatalf("waiting for %s: the stream ended or 15s passed\n%s", what, ansi.Strip(r.m.render()))
		}
	}
}

// marks are the legends of a container's marks, in order.
func (r *fakeRun) marks(pod, name string) string {
	var out []string
	for _, mk := range r.m.lives[paneKey{pod, name}].marks {
		out = append(out, markInfo[mk.kind].legend)
	}
	return strings.Join(out, ", ")
}

// TestStartupProbeFromTheOrchestrator: a real orchestrator's sidecar gated on its startup
// probe (gate started, a native sidecar's) says when the probe passed — the moment main may
// start — in its column and as a mark on its lifeline, with the legend for it.
func TestStartupProbeFromTheOrchestrator(t *testing.T) {
	st, err := fakestack.Load(`name: probes
main: {name: web, image: demo/web:dev}
sidecars:
  - {name: proxy, image: demo/proxy:dev, gate: started}
`)
	if err != nil {
		t.Fatal(err)
	}
	st.Pods[0].Sidecars[0].Startup = &recipes.Probe{TCP: &recipes.TCPProbe{Port: 15021}, Period: recipes.Duration(time.Second),
		Timeout: recipes.Duration(time.Second), Retries: 30}
	var attempts atomic.Int32
	r := runOnFake(t, st, func(rt *fake.Runtime) {
		rt.SetProbeFunc("probes-proxy", func(recipes.Probe) error {
			if attempts.Add(1) < 5 {
				return errors.New("connection refused")
			}
			return nil
		})
	})
	r.until("web running", func() bool {
		c := r.m.container("probes", "web")
		return c != nil && c.State == orchestrator.CStateRunning
	})
	if got, want := r.marks("probes", "proxy"), "started, startup probe passed"; got != want {
		t.Errorf("proxy's marks: %s; want %s", got, want)
	}
	p := r.m.pane("probes", "proxy")
	var lines []string
	lo, hi := p.bounds()
	for i := lo; i < hi; i++ {
		lines = append(lines, p.lineAt(i).text)
	}
	if got := strings.Join(lines, " | "); !strings.Contains(got, "▶ started | ✓ startup probe passed in 4s") {
		t.Errorf("proxy's column: %s", got)
	}
	r.m.press("L")
	if frame := r.m.frame(); !strings.Contains(frame, "✓ startup probe passed") {
		t.Errorf("the timeline's legend has no startup probe:\n%s", frame)
	}
}

// TestInitBackoffFromTheOrchestrator: a real orchestrator's init container with restart:
// on-failure (a Kubernetes pod's) that fails is in back-off, as a sidecar would be, in its
// column — and it is not hidden as a completed init container is.
func TestInitBackoffFromTheOrchestrator(t *testing.T) {
	st, err := fakestack.Load(`name: retry
main: {name: web, image: demo/web:dev}
init:
  - {name: flaky, image: demo/flaky:dev, restart: on-failure}
`)
	if err != nil {
		t.Fatal(err)
	}
	r := runOnFake(t, st, nil)
	r.until("flaky running", func() bool {
		c := r.m.container("retry", "flaky")
		return c != nil && c.State == orchestrator.CStateRunning
	})
	if err := r.rt.Exit("retry-flaky", 3); err != nil {
		t.Fatal(err)
	}
	r.until("flaky in back-off", func() bool {
		c := r.m.container("retry", "flaky")
		return c != nil && c.State == orchestrator.CStateBackoff
	})
	p := r.m.pane("retry", "flaky")
	if !r.m.columns.shown(p) {
		t.Error("flaky's column is hidden while it is in back-off")
	}
	r.until("flaky running again", func() bool {
		c := r.m.container("retry", "flaky")
		return c != nil && c.State == orchestrator.CStateRunning && c.Restarts == 1
	})
	if err := r.rt.Exit("retry-flaky", 0); err != nil {
		t.Fatal(err)
	}
	r.until("web running", func() bool {
		c := r.m.container("retry", "web")
		return c != nil && c.State == orchestrator.CStateRunning
	})
	var lines []string
	lo, hi := p.bounds()
	for i := lo; i < hi; i++ {
		lines = append(lines, p.lineAt(i).text)
	}
	// The restart marker comes with the log feed, the events with the event stream: the
	// marker may land on either side of the new run's start line.
	got := strings.Join(lines, " | ")
	marker := " | --- flaky restarted (restart 1, after exit code 3) ---"
	if !strings.Contains(got, marker) {
		t.Errorf("flaky's column: %s\nwant the restart marker%s", got, marker)
	}
	if want := "▶ started | ◷ exited with code 3, restarting in 1s | ▶ started (restart 1) | ■ exited with code 0"; !strings.Contains(strings.Replace(got, marker, "", 1), want) {
		t.Errorf("flaky's column: %s\nwant it to hold: %s", got, want)
	}
}
