package tui

import (
	"context"
	"errors"
	"io"
	"strings"
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
	clk := testingclock.NewFakeClock(base)
	rt := fake.New(clk)
	for _, c := range st.Pods[0].Containers() {
		rt.AddImage(c.Image)
	}
	names := orchestrator.Names{Stack: "life"}
	engine := func(c string) string { return names.Container("life", c) }
	rt.ExitOnStart(engine("migrate"), 0)
	rt.SetProbe(engine("envoy"), nil)
	o := orchestrator.New(rt, st, orchestrator.Options{Clock: clk})
	sub := o.SubscribeWith(subscribeOptions)
	defer sub.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = o.Run(context.Background())
	}()
	t.Cleanup(func() {
		o.Kill()
		<-done
	})

	m, _ := testModel(t, 200, 50)
	m.opts.Now = clk.Now
	ended := false
	// until feeds the model what the stream has, moving the fake clock by 100ms whenever
	// nothing happens for a moment (back-off, probe periods), until cond holds.
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			evs, err := sub.Next(ctx)
			cancel()
			switch {
			case errors.Is(err, io.EOF):
				ended = true
			case len(evs) > 0:
				m.events(evs...)
			default:
				clk.Step(100 * time.Millisecond)
			}
			if ended && !cond() || time.Now().After(deadline) {
				t.Fatalf("waiting for %s: the stream ended or 15s passed\n%s", what, ansi.Strip(m.render()))
			}
		}
	}
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
	until("the end of the stream", func() bool { return ended })

	marks := func(name string) string {
		var out []string
		for _, mk := range m.lives[paneKey{"life", name}].marks {
			out = append(out, markInfo[mk.kind].legend)
		}
		return strings.Join(out, ", ")
	}
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
	frame := ansi.Strip(m.render())
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
	clk := testingclock.NewFakeClock(base)
	rt := fake.New(clk)
	for _, c := range st.Pods[0].Containers() {
		rt.AddImage(c.Image)
	}
	o := orchestrator.New(rt, st, orchestrator.Options{Clock: clk})
	sub := o.SubscribeWith(subscribeOptions)
	defer sub.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = o.Run(context.Background())
	}()
	t.Cleanup(func() {
		o.Kill()
		<-done
	})
	m, _ := testModel(t, 200, 50)
	m.opts.Now = clk.Now
	shut := false
	for deadline := time.Now().Add(15 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		evs, err := sub.Next(ctx)
		cancel()
		if errors.Is(err, io.EOF) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stack did not end within 15s\n%s", ansi.Strip(m.render()))
		}
		m.events(evs...)
		if c := m.container("hooks", "web"); !shut && c != nil && c.State == orchestrator.CStateRunning {
			shut = true
			o.Shutdown()
		}
		if len(evs) == 0 {
			clk.Step(100 * time.Millisecond) // the pre-stop hook sleeps on the fake clock
		}
	}
	marks := func(name string) string {
		var out []string
		for _, mk := range m.lives[paneKey{"hooks", name}].marks {
			out = append(out, markInfo[mk.kind].legend)
		}
		return strings.Join(out, ", ")
	}
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
	if frame := ansi.Strip(m.render()); !strings.Contains(frame, "◇ hook") {
		t.Errorf("the timeline's legend has no hook:\n%s", frame)
	}
}
