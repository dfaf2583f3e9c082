package orchestrator_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// simple is a one-pod stack: sidecar side, main app.
func simple(mainOpts ...copt) *recipes.Stack {
	return stack("s", pod("s", ctr("app", mainOpts...), sidecars(ctr("side"))))
}

func TestSidecarCrashBackoff(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	app, _ := h.rt.Container("s-app")
	infra, _ := h.rt.Container("s-infra")

	var delays []string
	crash := func(run time.Duration) {
		t.Helper()
		before := len(h.rt.HistoryOf("s-side"))
		h.clock.Step(run)
		if err := h.rt.Exit("s-side", 1); err != nil {
			t.Fatal(err)
		}
		h.until("side in back-off", 0, h.stateIs("s", "side", orchestrator.CStateBackoff))
		v := h.view("s", "side")
		delays = append(delays, v.RestartIn.String())
		// Nothing restarts it before its back-off has passed.
		h.clock.Step(v.RestartIn.D() - time.Millisecond)
		if slices.Contains(h.rt.HistoryOf("s-side")[before:], "start s-side") {
			t.Fatalf("side restarted before its back-off of %s", v.RestartIn)
		}
		h.until("side restarted", time.Millisecond, h.stateIs("s", "side", orchestrator.CStateRunning))
	}
	for i := 0; i < 7; i++ {
		crash(0)
	}
	crash(time.Minute) // a clean minute resets the back-off
	if got := strings.Join(delays, " "); got != "1s 2s 4s 8s 16s 30s 30s 1s" {
		t.Errorf("back-offs %s, want 1s 2s 4s 8s 16s 30s 30s 1s", got)
	}
	if v := h.view("s", "side"); v.Restarts != 8 {
		t.Errorf("side restarts %d, want 8", v.Restarts)
	}
	// Neither main nor the infra container was touched.
	app2, _ := h.rt.Container("s-app")
	infra2, _ := h.rt.Container("s-infra")
	if app2.Starts != 1 || app2.Info.ID != app.Info.ID || infra2.Starts != 1 || infra2.Info.ID != infra.Info.ID {
		t.Errorf("app started %d times, infra %d times; want 1 each", app2.Starts, infra2.Starts)
	}
	// A restart marker in the log buffer, and the restart's lines after it.
	if err := h.rt.Print("s-side", orchestrator.Stdout, "back again"); err != nil {
		t.Fatal(err)
	}
	buf := h.o.Logs().Buffer("s", "side")
	h.until("the line in the buffer", 0, func() bool { _, n := buf.Bounds(); return n >= 9 })
	lines, _, _ := buf.Read(0, 0)
	if !lines[0].Marker || !strings.Contains(lines[0].Text, "restarted") || lines[len(lines)-1].Text != "back again" {
		t.Errorf("log buffer %+v", lines)
	}
	h.o.Shutdown()
	if res, err := h.finish(time.Second); err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
}

func TestMainRestartPolicies(t *testing.T) {
	tests := []struct {
		policy   recipes.RestartPolicy
		exits    []int // main's exits in order; the last one ends the stack
		restarts int
	}{
		{recipes.RestartNever, []int{0}, 0},
		{recipes.RestartNever, []int{2}, 0},
		{recipes.RestartOnFailure, []int{1, 137, 0}, 2},
		{recipes.RestartAlways, []int{0, 1}, -1}, // never ends by itself: shut down after
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			h := newHarness(t, simple(restart(tt.policy)), orchestrator.Options{})
			h.start()
			h.until("pod running", 0, h.running("s-app", "s-side"))
			side, _ := h.rt.Container("s-side")
			for i, code := range tt.exits {
				h.until("app running", time.Second, h.stateIs("s", "app", orchestrator.CStateRunning))
				if err := h.rt.Exit("s-app", code); err != nil {
					t.Fatal(err)
				}
				if i < len(tt.exits)-1 || tt.restarts < 0 {
					h.until("app restarted", time.Second, func() bool {
						v := h.view("s", "app")
						return v.Restarts == i+1 && v.State == orchestrator.CStateRunning
					})
				}
			}
			want := tt.exits[len(tt.exits)-1]
			if tt.restarts < 0 {
				h.o.Shutdown()
				want = 0
			}
			res, err := h.finish(time.Second)
			if err != nil || res.ExitCode != want {
				t.Fatalf("Run = %+v, %v; want exit %d", res, err, want)
			}
			// The sidecar kept running through main's restarts (one start, one stop at the end).
			if got := h.rt.HistoryOf("s-side"); index(got, "start s-side") != slices.Index(got, "start s-side") || strings.Count(strings.Join(got, ","), "start s-side") != 1 {
				t.Errorf("side history %v", got)
			}
			_ = side
			h.leftNothing()
		})
	}
}

func TestLivenessFailureRestartsThatContainerOnly(t *testing.T) {
	s := stack("l", pod("l", ctr("app"), sidecars(ctr("proxy", liveProbe), ctr("other"))))
	h := newHarness(t, s, orchestrator.Options{})
	h.startRunning("l-app", "l-proxy", "l-other")
	h.rt.SetProbe("l-proxy", errors.New("connection refused"))
	h.until("proxy stopped for its liveness", 500*time.Millisecond, func() bool {
		return slices.Contains(h.rt.HistoryOf("l-proxy"), "stop l-proxy")
	})
	h.rt.SetProbe("l-proxy", nil)
	h.until("proxy restarted", 500*time.Millisecond, func() bool {
		return h.view("l", "proxy").Restarts == 1 && h.state("l", "proxy") == orchestrator.CStateRunning
	})
	for _, n := range []string{"l-app", "l-other", "l-infra"} {
		if c, _ := h.rt.Container(n); c.Starts != 1 {
			t.Errorf("%s started %d times", n, c.Starts)
		}
	}
	h.until("a liveness message", 0, func() bool {
		for _, m := range h.messages() {
			if m.Container == "proxy" && strings.Contains(m.Text, "liveness") {
				return true
			}
		}
		return false
	})
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

func TestInfraLostRecreatesThePod(t *testing.T) {
	h := startShop(t)
	oldWeb, _ := h.rt.Container("shop-web")
	if err := h.rt.Exit("shop-infra", 137); err != nil {
		t.Fatal(err)
	}
	h.until("pod recreating", 0, func() bool { return slices.Contains(h.podPhases("shop"), orchestrator.PhaseRecreating) })
	h.until("pod running again", 200*time.Millisecond, func() bool {
		w, ok := h.rt.Container("shop-web")
		return ok && w.Info.ID != oldWeb.Info.ID && w.Info.Status == orchestrator.StatusRunning && h.podPhase("shop") == orchestrator.PhaseRunning
	})
	hist := h.rt.HistoryOf()
	i := index(hist, "die shop-infra 137")
	after := hist[i:]
	for _, want := range []string{"destroy shop-web", "destroy shop-envoy", "destroy shop-infra", "create shop-infra", "start shop-migrate", "start shop-envoy", "start shop-web"} {
		if index(after, want) < 0 {
			t.Errorf("no %q after the infra died: %v", want, after)
		}
	}
	before(t, after, "destroy shop-infra", "create shop-infra")
	before(t, after, "die shop-migrate 0", "start shop-envoy")
	infra, _ := h.rt.Container("shop-infra")
	if web, _ := h.rt.Container("shop-web"); web.Spec.NamespaceOwner != infra.Info.ID {
		t.Errorf("new web joins %s, want the new infra %s", web.Spec.NamespaceOwner, infra.Info.ID)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

func TestTeardownBudgetAndSIGKILLHint(t *testing.T) {
	s := stack("b", pod("b", ctr("app"), sidecars(ctr("first"), ctr("last", grace(3*time.Second))), podGrace(10*time.Second)))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.IgnoreSIGTERM("b-app")
	h.rt.IgnoreSIGTERM("b-last")
	h.startRunning("b-app", "b-first", "b-last")
	stopAt := h.clock.Now()
	h.o.Shutdown()
	h.until("app signalled", 0, func() bool {
		return slices.Contains(h.rt.HistoryOf("b-app"), "kill b-app SIGTERM") && h.state("b", "app") == orchestrator.CStateStopping
	})
	if v := h.view("b", "app"); v.State != orchestrator.CStateStopping || v.StopGrace.D() != 10*time.Second || !v.StopDeadline.Equal(stopAt.Add(10*time.Second)) {
		t.Errorf("app view %+v, want stopping with the whole budget of 10s", v)
	}
	h.clock.Step(9 * time.Second)
	if slices.Contains(h.rt.HistoryOf("b-app"), "kill b-app SIGKILL") || slices.Contains(h.rt.HistoryOf("b-last"), "kill b-last SIGTERM") {
		t.Fatal("app killed before its grace, or a sidecar stopped before main")
	}
	h.clock.Step(time.Second) // budget gone: app killed, last gets nothing left
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	hist := h.rt.HistoryOf("b-app", "b-first", "b-last")
	before(t, hist, "kill b-app SIGKILL", "kill b-last SIGTERM")
	before(t, hist, "stop b-last", "kill b-first SIGTERM")
	var lastGrace []string
	for _, e := range h.containerEvents("b", "last") {
		if e.State == orchestrator.CStateStopping {
			lastGrace = append(lastGrace, e.StopGrace.String())
		}
	}
	if strings.Join(slices.Compact(lastGrace), " ") != "0s" {
		t.Errorf("last stopped with grace %v, want 0s: the budget was used up", lastGrace)
	}
	if v := h.view("b", "app"); !v.Killed {
		t.Errorf("app view not marked killed: %+v", v)
	}
	var hint, budget bool
	for _, m := range h.messages() {
		hint = hint || (m.Container == "app" && strings.Contains(m.Text, "SIGKILL") && strings.Contains(m.Hint, "init: true"))
		budget = budget || (m.Container == "last" && strings.Contains(m.Text, "budget"))
	}
	if !hint || !budget {
		t.Errorf("want the SIGKILL + init: true hint for app and a budget message for last; got %+v", h.messages())
	}
	if now := h.clock.Now(); now.Sub(stopAt) > 12*time.Second {
		t.Errorf("teardown took %s of clock, want the budget of 10s", now.Sub(stopAt))
	}
	h.leftNothing()
}

func TestOwnGraceCappedByBudget(t *testing.T) {
	s := stack("g", pod("g", ctr("app"), sidecars(ctr("side", grace(3*time.Second))), podGrace(20*time.Second)))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.IgnoreSIGTERM("g-side")
	h.startRunning("g-app", "g-side")
	h.o.Shutdown()
	h.until("side stopping", 0, h.stateIs("g", "side", orchestrator.CStateStopping))
	if v := h.view("g", "side"); v.StopGrace.D() != 3*time.Second {
		t.Errorf("side grace %s, want its own 3s", v.StopGrace)
	}
	h.finish(time.Second)
	h.leftNothing()
}

func TestSecondInterruptKillsAtOnce(t *testing.T) {
	s := stack("k", pod("k", ctr("app"), sidecars(ctr("side")), volumes(&recipes.Volume{Name: "data"})))
	s.Pods[0].Main.Volumes = []recipes.Mount{{Type: recipes.MountVolume, Source: "data", Target: "/data"}}
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.IgnoreSIGTERM("k-app")
	h.startRunning("k-app", "k-side")
	h.o.Interrupt()
	h.until("app stopping", 0, h.stateIs("k", "app", orchestrator.CStateStopping))
	h.o.Kill()
	res, err := h.finish(0) // no clock step: nothing waits out a grace
	if err != nil || res.ExitCode != 130 {
		t.Fatalf("Run = %+v, %v; want 130", res, err)
	}
	if slices.Contains(h.rt.HistoryOf("k-side"), "kill k-side SIGTERM") {
		t.Error("side got a graceful stop after Kill")
	}
	for _, m := range h.messages() {
		if strings.Contains(m.Hint, "init: true") {
			t.Errorf("SIGKILL hint after a forced kill: %+v", m)
		}
	}
	h.leftNothing()
}

func TestUserCommands(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	if err := h.o.RestartContainer("s", "side"); !errors.Is(err, orchestrator.ErrNotRunning) {
		t.Errorf("restart before Run: %v, want ErrNotRunning", err)
	}
	h.startRunning("s-app", "s-side")
	if err := h.o.RestartContainer("nope", "side"); !errors.Is(err, orchestrator.ErrUnknownPod) {
		t.Errorf("unknown pod: %v", err)
	}
	if err := h.o.StopContainer("s", "nope"); !errors.Is(err, orchestrator.ErrUnknownContainer) {
		t.Errorf("unknown container: %v", err)
	}

	if err := h.o.RestartContainer("s", "side"); err != nil {
		t.Fatal(err)
	}
	h.until("side restarted", 0, func() bool { c, _ := h.rt.Container("s-side"); return c.Starts == 2 })

	if err := h.o.StopContainer("s", "side"); err != nil {
		t.Fatal(err)
	}
	h.until("side stopped", 0, h.stateIs("s", "side", orchestrator.CStateStopped))
	h.clock.Step(time.Minute)
	if c, _ := h.rt.Container("s-side"); c.Starts != 2 || c.Info.Status == orchestrator.StatusRunning {
		t.Errorf("a stopped container came back: %+v", c)
	}
	if err := h.o.StartContainer("s", "side"); err != nil {
		t.Fatal(err)
	}
	h.until("side started", 0, func() bool {
		c, _ := h.rt.Container("s-side")
		return c.Starts == 3 && h.state("s", "side") == orchestrator.CStateRunning
	})
	if c, _ := h.rt.Container("s-app"); c.Starts != 1 {
		t.Errorf("app started %d times", c.Starts)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

// The SIGKILL warning says the grace as the views do ("stopping (grace 2.9s)"), not the
// clock's 2.93s left of the budget.
func TestSIGKILLWarningRoundsTheGrace(t *testing.T) {
	s := stack("r", pod("r", ctr("app", grace(70*time.Millisecond)), sidecars(ctr("side")), podGrace(3*time.Second)))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.IgnoreSIGTERM("r-app")
	h.rt.IgnoreSIGTERM("r-side")
	h.startRunning("r-app", "r-side")
	h.o.Shutdown()
	h.until("app signalled", 0, func() bool { return slices.Contains(h.rt.HistoryOf("r-app"), "kill r-app SIGTERM") })
	h.clock.Step(70 * time.Millisecond) // app's own grace: killed, side gets what is left
	// The view of side stopping goes out after the signal: wait for it, not for the signal.
	h.until("side stopping", 0, func() bool {
		return slices.Contains(h.rt.HistoryOf("r-side"), "kill r-side SIGTERM") && h.view("r", "side").State == orchestrator.CStateStopping
	})
	if g := h.view("r", "side").StopGrace.D(); g != 2930*time.Millisecond {
		t.Errorf("side's grace %s, want the 2.93s left of the budget", g)
	}
	h.clock.Step(3 * time.Second)
	if _, err := h.finish(time.Second); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range h.messages() {
		if strings.Contains(m.Text, "SIGKILL") {
			texts = append(texts, m.Container+": "+m.Text)
		}
	}
	want := []string{
		"app: app did not exit within 70ms of its stop signal and was killed (SIGKILL)",
		"side: side did not exit within 2.9s of its stop signal and was killed (SIGKILL)",
	}
	if !slices.Equal(texts, want) {
		t.Errorf("SIGKILL warnings:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	h.leftNothing()
}

// gatedStarts holds the starts of one container, once armed, until released: a start the
// engine has not answered yet.
type gatedStarts struct {
	*fake.Runtime
	name    string
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStarts) StartContainer(ctx context.Context, id string) error {
	if info, err := g.InspectContainer(ctx, id); err == nil && info.Name == g.name && g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.Runtime.StartContainer(ctx, id)
}

// A second interrupt while a back-off restart is in flight: the forced teardown removes the
// rest at once, but that container and the infra container only once the start is answered,
// so the start never races the removal of the namespaces it joins, and there is nothing to
// warn about.
func TestKillWaitsForAStartInFlight(t *testing.T) {
	var g *gatedStarts
	h := newHarnessOn(t, simple(), orchestrator.Options{}, func(rt *fake.Runtime) orchestrator.Runtime {
		g = &gatedStarts{Runtime: rt, name: "s-side", entered: make(chan struct{}), release: make(chan struct{})}
		return g
	})
	h.startRunning("s-app", "s-side")
	g.armed.Store(true)
	if err := h.rt.Exit("s-side", 2); err != nil {
		t.Fatal(err)
	}
	h.until("the restart sent", 100*time.Millisecond, func() bool {
		select {
		case <-g.entered:
			return true
		default:
			return false
		}
	})
	h.o.Interrupt()
	h.until("app stopped, the teardown waiting for side's start", 0, func() bool { return !slices.Contains(h.rt.Running(), "s-app") })
	h.o.Kill()
	h.until("app removed", 0, func() bool { return !slices.Contains(h.rt.Containers(), "s-app") })
	if !slices.Contains(h.rt.Containers(), "s-infra") || !slices.Contains(h.rt.Containers(), "s-side") {
		t.Errorf("removed while side's start was in flight: left %v", h.rt.Containers())
	}
	close(g.release)
	res, err := h.finish(0)
	if err != nil || res.ExitCode != 130 {
		t.Fatalf("Run = %+v, %v; want 130", res, err)
	}
	hist := h.rt.HistoryOf("s-side", "s-infra")
	if i := index(hist, "destroy s-infra"); i < 0 || slices.Contains(hist[i:], "start s-side") {
		t.Errorf("the infra container was removed before side's start was answered: %v", hist)
	}
	for _, m := range h.messages() {
		t.Errorf("message during the forced teardown: %s: %s", m.Level, m.Text)
	}
	h.leftNothing()
}

// The SIGKILL hints speak the language of the file the stack came from: a Kubernetes
// manifest has terminationGracePeriodSeconds and no init: true, a compose file
// stop_grace_period and init: true, a recipe stop_grace and init: true.
func TestSIGKILLHintsInTheSourcesTerms(t *testing.T) {
	for _, tc := range []struct {
		kind       recipes.SourceKind
		want, not  []string // in app's hint (killed at its grace), and not in any
		wantBudget string   // in last's hint (the budget used up)
	}{
		{recipes.SourceRecipe, []string{"init: true"}, []string{"terminationGracePeriodSeconds", "stop_grace_period"}, "raise the pod's stop_grace"},
		{recipes.SourceCompose, []string{"init: true", "service app"}, []string{"terminationGracePeriodSeconds", "stop_grace,"}, "stop_grace_period"},
		{recipes.SourceKube, []string{"handle SIGTERM", "terminationGracePeriodSeconds"}, []string{"init: true", "stop_grace"}, "terminationGracePeriodSeconds"},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s := stack("b", pod("b", ctr("app"), sidecars(ctr("last")), podGrace(3*time.Second)))
			s.Source.Kind = tc.kind
			h := newHarness(t, s, orchestrator.Options{})
			h.rt.IgnoreSIGTERM("b-app")
			h.rt.IgnoreSIGTERM("b-last")
			h.startRunning("b-app", "b-last")
			h.o.Shutdown()
			h.finish(time.Second)
			var app, last string
			for _, m := range h.messages() {
				switch {
				case m.Container == "app" && strings.Contains(m.Text, "SIGKILL"):
					app = m.Hint
				case m.Container == "last" && strings.Contains(m.Text, "budget"):
					last = m.Hint
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(app, w) {
					t.Errorf("app's hint %q does not say %q", app, w)
				}
			}
			if !strings.Contains(last, tc.wantBudget) {
				t.Errorf("last's hint %q does not say %q", last, tc.wantBudget)
			}
			for _, n := range tc.not {
				if strings.Contains(app, n) || strings.Contains(last, n) {
					t.Errorf("a hint says %q: %q, %q", n, app, last)
				}
			}
			h.leftNothing()
		})
	}
}
