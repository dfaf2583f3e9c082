package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// lifeScene is a pod's life as the orchestrator tells it, event by event at fixed times: an
// init container, two sidecars (envoy with a ready probe, shipper without), main; shipper
// crashes and is restarted after a back-off, then is OOM-killed and restarted again;
// envoy's probe fails for a while; then the pod is torn down in reverse order. done: the
// teardown is over (shipper needed SIGKILL); else it is under way at the model's clock
// (2m13s), shipper stopping with its grace running out.
func lifeScene(t testing.TB, w, h int, done bool) *model {
	t.Helper()
	return lifeSceneWith(t, w, h, done, false)
}

// lifeSceneWith is lifeScene, with hooks when asked: envoy's post-start hook runs from its
// start at 9s to 11s, main's pre-stop hook for 2s at the teardown, and envoy's pre-stop hook
// fails there.
func lifeSceneWith(t testing.TB, w, h int, done, hooks bool) *model {
	t.Helper()
	m, _ := testModel(t, w, h)
	seq = 0
	view := stackView(3)
	view.Phase = orchestrator.PhasePending
	p := &view.Pods[0]
	p.Phase = orchestrator.PhasePending
	for i := range p.Containers {
		p.Containers[i].State, p.Containers[i].ID, p.Containers[i].StartedAt = orchestrator.CStateWaiting, "", time.Time{}
	}
	p.Containers = append(p.Containers, orchestrator.ContainerView{Pod: "shop", Name: "migrate", Role: recipes.RoleInit})
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: view})
	state := map[string]orchestrator.ContainerView{}
	for _, c := range p.Containers {
		state[c.Name] = c
	}
	var evs []orchestrator.Event
	at := func(d time.Duration) time.Duration { return d }
	ctr := func(d time.Duration, name string, f func(c *orchestrator.ContainerView)) {
		c := state[name]
		f(&c)
		state[name] = c
		evs = append(evs, orchestrator.ContainerEvent{EventMeta: meta(d), ContainerView: c})
	}
	pod := func(d time.Duration, ph orchestrator.Phase) {
		evs = append(evs, orchestrator.PodEvent{EventMeta: meta(d), Pod: "shop", Phase: ph})
	}
	hook := func(d time.Duration, name string, kind orchestrator.HookKind, ph orchestrator.HookPhase, action, err string, took time.Duration) {
		if hooks {
			evs = append(evs, orchestrator.HookEvent{EventMeta: meta(d), Pod: "shop", Container: name, Hook: kind, Phase: ph,
				Action: action, Error: err, Duration: recipes.Duration(took)})
		}
	}
	reason := func(text string) func(c *orchestrator.ContainerView) {
		return func(c *orchestrator.ContainerView) {
			if hooks {
				c.Reason = text
			}
		}
	}
	run := func(c *orchestrator.ContainerView) {
		c.State, c.ExitCode, c.OOMKilled = orchestrator.CStateRunning, nil, false
	}
	const s = time.Second
	evs = append(evs, orchestrator.StackEvent{EventMeta: meta(0), Stack: "shop", Phase: orchestrator.PhaseStarting})
	pod(at(s/2), orchestrator.PhaseCreating)
	for _, n := range []string{orchestrator.InfraName, "migrate", "web", "envoy", "shipper"} {
		ctr(s/2, n, func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateCreated })
	}
	ctr(s, orchestrator.InfraName, run)
	pod(2*s, orchestrator.PhaseInit)
	ctr(2*s, "migrate", run)
	ctr(8*s, "migrate", func(c *orchestrator.ContainerView) { c.State, c.ExitCode = orchestrator.CStateExited, intp(0) })
	pod(9*s, orchestrator.PhaseSidecars)
	hook(9*s, "envoy", orchestrator.HookPostStart, orchestrator.HookRunning, "exec /warm", "", 0)
	ctr(9*s, "envoy", func(c *orchestrator.ContainerView) {
		run(c)
		c.Health = orchestrator.HealthUnknown
		reason("post-start hook running")(c)
	})
	if hooks {
		hook(11*s, "envoy", orchestrator.HookPostStart, orchestrator.HookPassed, "exec /warm", "", 2*s)
		ctr(11*s, "envoy", reason(""))
	}
	ctr(12*s, "envoy", func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthReady })
	ctr(13*s, "shipper", run)
	pod(14*s, orchestrator.PhaseStartingMain)
	ctr(14*s, "web", run)
	pod(15*s, orchestrator.PhaseRunning)
	evs = append(evs, orchestrator.StackEvent{EventMeta: meta(15 * s), Stack: "shop", Phase: orchestrator.PhaseRunning})
	backoff := func(d time.Duration, code int, oom bool, wait time.Duration) {
		ctr(d, "shipper", func(c *orchestrator.ContainerView) {
			c.State, c.ExitCode, c.OOMKilled = orchestrator.CStateBackoff, intp(code), oom
			c.Restarts++
			c.RestartIn, c.RestartAt = recipes.Duration(wait), base.Add(d+wait)
		})
		ctr(d+wait, "shipper", run)
	}
	backoff(40*s, 1, false, 5*s)
	ctr(60*s, "envoy", func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthNotReady })
	ctr(75*s, "envoy", func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthReady })
	backoff(90*s, 137, true, 10*s)
	// Teardown, main first, at 2m05s.
	td := 125 * s
	evs = append(evs, orchestrator.StackEvent{EventMeta: meta(td), Stack: "shop", Phase: orchestrator.PhaseStopping, Reason: "shut down by user"})
	pod(td, orchestrator.PhaseStopping)
	stop := func(d time.Duration, name string, grace time.Duration) {
		ctr(d, name, func(c *orchestrator.ContainerView) {
			c.State, c.StopGrace, c.StopDeadline = orchestrator.CStateStopping, recipes.Duration(grace), base.Add(d+grace)
		})
	}
	stopped := func(d time.Duration, name string, killed bool) {
		ctr(d, name, func(c *orchestrator.ContainerView) {
			c.State, c.Killed, c.StopDeadline = orchestrator.CStateStopped, killed, time.Time{}
		})
	}
	hook(td, "web", orchestrator.HookPreStop, orchestrator.HookRunning, "sleep 2s", "", 0)
	stop(td, "web", 10*s)
	hook(td+2*s, "web", orchestrator.HookPreStop, orchestrator.HookPassed, "sleep 2s", "", 2*s)
	stopped(td+2*s, "web", false)
	stop(td+2*s, "shipper", 10*s) // SIGKILL at 2m17s
	if done {
		stopped(td+12*s, "shipper", true)
		hook(td+12*s, "envoy", orchestrator.HookPreStop, orchestrator.HookRunning, "http GET :9901/drain", "", 0)
		stop(td+12*s, "envoy", 10*s)
		hook(td+13*s, "envoy", orchestrator.HookPreStop, orchestrator.HookFailed, "http GET :9901/drain", "connection refused", s)
		stopped(td+13*s, "envoy", false)
		stop(td+13*s, orchestrator.InfraName, 10*s)
		stopped(td+14*s, orchestrator.InfraName, false)
		pod(td+15*s, orchestrator.PhaseDone)
	}
	m.events(evs...)
	if done {
		m.opts.Now = func() time.Time { return base.Add(td + 20*s) }
	}
	m.press("L")
	return m
}

func TestGoldenTimeline(t *testing.T) {
	for _, sc := range []struct {
		name string
		w, h int
		done bool
		keys []string
	}{
		{"timeline-80x24", 80, 24, false, nil},
		{"timeline-200x50", 200, 50, false, nil},
		{"timeline-200x50-done", 200, 50, true, nil},
		{"timeline-80x24-zoomed", 80, 24, true, []string{"+", "+", "+", "h"}},
		{"timeline-hooks-80x24", 80, 24, true, nil},
		{"timeline-hooks-200x50", 200, 50, true, nil},
	} {
		t.Run(sc.name, func(t *testing.T) {
			m := lifeSceneWith(t, sc.w, sc.h, sc.done, strings.Contains(sc.name, "hooks"))
			m.press(sc.keys...)
			requireGolden(t, "scene-"+sc.name, asciiFrame(t, m))
		})
	}
}

// TestTimelineKeys: L opens and closes it; the time keys scroll and zoom it, and end
// follows now again; the other keys of the columns do nothing meanwhile.
func TestTimelineKeys(t *testing.T) {
	m := lifeScene(t, 120, 40, true)
	if !m.tl.open || !strings.Contains(m.frame(), "LIFECYCLE") {
		t.Fatalf("L did not open the timeline:\n%s", m.frame())
	}
	g := m.tl.geometry()
	t0, sc := m.tl.window(g.strip)
	if !t0.Equal(base) || sc != 2*time.Second {
		t.Errorf("fitted window from %v, cell %v; want from %v, 2s (145s of history in %d cells)", t0, sc, base, g.strip)
	}
	m.press("+")
	if _, sc2 := m.tl.window(g.strip); sc2 != time.Second {
		t.Errorf("zoomed in: cell %v, want 1s", sc2)
	}
	m.press("h")
	if m.tl.end.IsZero() {
		t.Errorf("h did not scroll back in time")
	}
	m.press("end")
	if !m.tl.end.IsZero() {
		t.Errorf("end did not follow now again")
	}
	focus := m.focus
	m.press("tab", "z")
	if m.focus != focus || m.zoom {
		t.Errorf("column keys acted in the timeline: focus %q zoom %v", m.focus, m.zoom)
	}
	m.press("L")
	if m.tl.open || strings.Contains(m.frame(), "LIFECYCLE") {
		t.Errorf("L did not go back to the logs")
	}
	m.press("L", "esc")
	if m.tl.open {
		t.Errorf("esc did not close the timeline")
	}
}

// TestLifelineMarks: the marks a container's changes leave, and its state at a time.
func TestLifelineMarks(t *testing.T) {
	m := lifeScene(t, 120, 40, true)
	got := func(name string) string {
		var out []string
		for _, mk := range m.lives[paneKey{"shop", name}].marks {
			s := markInfo[mk.kind].legend
			if mk.text != "" {
				s += " " + mk.text
			}
			out = append(out, mk.at.Sub(base).String()+" "+s)
		}
		return strings.Join(out, ", ")
	}
	for name, want := range map[string]string{
		"shipper": "13s started, 40s exit code exit 1, 45s restarted, 1m30s OOM-killed OOM, 1m40s restarted, 2m7s stop sent, 2m17s SIGKILL SIGKILL",
		"envoy":   "9s started, 12s ready, 1m0s probe failed, 1m15s ready, 2m17s stop sent, 2m18s exited",
		"migrate": "2s started, 8s exited exit 0",
	} {
		if g := got(name); g != want {
			t.Errorf("%s's marks:\n got %s\nwant %s", name, g, want)
		}
	}
	l := m.lives[paneKey{"shop", "shipper"}]
	for at, want := range map[time.Duration]orchestrator.ContainerState{
		0: orchestrator.CStateWaiting, 20 * time.Second: orchestrator.CStateRunning, 42 * time.Second: orchestrator.CStateBackoff,
		130 * time.Second: orchestrator.CStateStopping, 140 * time.Second: orchestrator.CStateStopped,
	} {
		if c, ok := l.at(base.Add(at)); !ok || c.State != want {
			t.Errorf("shipper at %v: %v (%v), want %v", at, c.State, ok, want)
		}
	}
	if _, ok := l.at(base.Add(-time.Second)); ok {
		t.Errorf("shipper has a state before the first event")
	}
}

// TestExitSummary: what the view leaves on the terminal: the stack's end and reason, how
// long it ran, each container's end with restarts and OOM kills; after a failure, what
// failed.
func TestExitSummary(t *testing.T) {
	m := lifeScene(t, 120, 40, true)
	// Removed at the teardown, as the orchestrator then says: waiting, or removed.
	for name, st := range map[string]orchestrator.ContainerState{"web": orchestrator.CStateWaiting, "migrate": orchestrator.CStateRemoved} {
		c := *m.container("shop", name)
		c.State, c.ExitCode = st, nil
		m.events(orchestrator.ContainerEvent{EventMeta: meta(149 * time.Second), ContainerView: c})
	}
	m.events(orchestrator.StackEvent{EventMeta: meta(150 * time.Second), Stack: "shop", Phase: orchestrator.PhaseDone,
		Reason: "shut down by user", ExitCode: intp(0)},
		orchestrator.LogsDroppedEvent{EventMeta: meta(150 * time.Second), Pod: "shop", Container: "envoy", Count: 812})
	failed := initFailedScene(t)
	requireGolden(t, "summary", m.summary()+"\n"+failed.summary())
}

// TestHookLines: a hook's run in its container's column, as lifecycle lines: the start
// line says a post-start hook runs, then how it went; a pre-stop hook says what it does
// when it is sent, then how it went (a failure with its error); the title says why a
// container is not started yet while its post-start hook runs.
func TestHookLines(t *testing.T) {
	m := lifeSceneWith(t, 200, 50, true, true)
	lines := func(name string) string {
		p := m.pane("shop", name)
		var out []string
		lo, hi := p.bounds()
		for i := lo; i < hi; i++ {
			if l := p.lineAt(i); l.kind >= kindEvent {
				out = append(out, l.text)
			}
		}
		return strings.Join(out, " | ")
	}
	for name, want := range map[string]string{
		"envoy": "▶ started: post-start hook running | ◇ post-start hook passed in 2s (exec /warm) | ✓ ready | ✗ not ready | ✓ ready | " +
			"◇ pre-stop hook (http GET :9901/drain) | ■ stopping (SIGKILL after 10s) | ◆ pre-stop hook failed (http GET :9901/drain): connection refused | ■ stopped",
		"web": "▶ started | ◇ pre-stop hook (sleep 2s) | ■ stopping (SIGKILL after 10s) | ◇ pre-stop hook passed in 2s | ■ stopped",
	} {
		if got := lines(name); got != want {
			t.Errorf("%s's lifecycle lines:\n got %s\nwant %s", name, got, want)
		}
	}
	c := *m.container("shop", "envoy")
	c.State, c.Health, c.Reason = orchestrator.CStateRunning, orchestrator.HealthUnknown, "post-start hook running"
	if _, word, _ := stateWord(&c, m.opts.Now()); word != "post-start hook running" {
		t.Errorf("a container whose post-start hook runs is %q", word)
	}
	m.events(orchestrator.ContainerEvent{EventMeta: meta(150 * time.Second), ContainerView: c})
	m.press("L")
	if frame := m.frame(); !strings.Contains(frame, "envoy · sidecar ● post-start hook running") {
		t.Errorf("the title does not say the post-start hook runs:\n%s", frame)
	}
}

// TestTimelineRowsScroll: a pod with more containers than the timeline has rows scrolls
// them (↑ ↓, pgup pgdn, the wheel) and says which it shows; another pod starts at its first.
func TestTimelineRowsScroll(t *testing.T) {
	m, _ := testModel(t, 80, 24)
	seq = 0
	view := stackView(1)
	p := &view.Pods[0]
	for i := 1; i <= 24; i++ {
		p.Containers = append(p.Containers, orchestrator.ContainerView{Pod: "shop", Name: fmt.Sprintf("side%02d", i),
			Role: recipes.RoleSidecar, State: orchestrator.CStateRunning, StartedAt: base})
	}
	other := orchestrator.PodView{Name: "api", Phase: orchestrator.PhaseCompleted, Containers: []orchestrator.ContainerView{
		{Pod: "api", Name: "seed", Role: recipes.RoleMain, State: orchestrator.CStateExited, ExitCode: intp(0)}}}
	view.Pods = append(view.Pods, other)
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: view},
		orchestrator.StackEvent{EventMeta: meta(0), Stack: "shop", Phase: orchestrator.PhaseRunning})
	m.press("L")
	shown := func() (first, last string, info string) {
		for _, l := range strings.Split(m.frame(), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) > 1 && f[0] == "containers":
				info = l
			case len(f) > 0 && (strings.HasPrefix(f[0], "side") || f[0] == "infra" || f[0] == "web"):
				if first == "" {
					first = f[0]
				}
				last = f[0]
			}
		}
		return first, last, strings.TrimSpace(info)
	}
	room := m.tl.rowRoom() // 24 - header - footer - a row - the 4 rows above the strips
	more := " · ↑↓ pgup pgdn for more"
	if first, last, info := shown(); first != "infra" || last != fmt.Sprintf("side%02d", room-1) || info != fmt.Sprintf("containers 1–%d of 26", room)+more {
		t.Fatalf("first rows: %s … %s, %q\n%s", first, last, info, m.frame())
	}
	m.press("down", "j")
	if first, _, info := shown(); first != "side02" || !strings.HasPrefix(info, "containers 3–") {
		t.Errorf("↓ ↓: from %s, %q", first, info)
	}
	m.press("pgdown", "pgdown")
	if first, last, info := shown(); last != "web" || first != fmt.Sprintf("side%02d", 26-room) || info != fmt.Sprintf("containers %d–26 of 26", 26-room+1)+more {
		t.Errorf("the last rows: %s … %s, %q", first, last, info)
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if first, _, _ := shown(); first != fmt.Sprintf("side%02d", 26-room-3) {
		t.Errorf("the wheel up: from %s", first)
	}
	m.press("k", "pgup", "pgup")
	if first, _, _ := shown(); first != "infra" {
		t.Errorf("back at the top: from %s", first)
	}
	// A job pod that completed: its phase in the header's pods and on the timeline.
	m.press("pgdown", "p")
	frame := m.frame()
	if !strings.Contains(frame, "pods shop ● api ✓") || !strings.Contains(frame, "✓ job completed") || !strings.Contains(frame, "completed──") || strings.Contains(frame, "containers 1–") {
		t.Errorf("pod api (completed):\n%s", frame)
	}
	if m.tl.top != 0 {
		t.Errorf("the other pod does not start at its first row: %d", m.tl.top)
	}
}
