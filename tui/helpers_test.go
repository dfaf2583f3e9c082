package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui/internal/fakestack"
)

// base is the fixed time of test scenes: event times count from it.
var base = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeCtl records the commands the view sends.
type fakeCtl struct {
	mu    sync.Mutex
	calls []string
	err   error // returned by container commands
}

func (f *fakeCtl) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeCtl) RestartContainer(pod, c string) error {
	f.record("restart " + pod + "/" + c)
	return f.err
}
func (f *fakeCtl) StopContainer(pod, c string) error {
	f.record("stop " + pod + "/" + c)
	return f.err
}
func (f *fakeCtl) StartContainer(pod, c string) error {
	f.record("start " + pod + "/" + c)
	return f.err
}
func (f *fakeCtl) Shutdown()  { f.record("shutdown") }
func (f *fakeCtl) Interrupt() { f.record("interrupt") }
func (f *fakeCtl) Kill()      { f.record("kill") }

func (f *fakeCtl) got() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ", ")
}

// testModel is a model of size w×h with a fixed clock (base + 2m13s) in UTC; events are
// given to it directly, not through a subscription.
func testModel(t testing.TB, w, h int) (*model, *fakeCtl) {
	t.Helper()
	return newTestModel(w, h, false)
}

// attachedTestModel is testModel's attached view (Options.Attached, sidecar attach).
func attachedTestModel(t testing.TB, w, h int) (*model, *fakeCtl) {
	t.Helper()
	return newTestModel(w, h, true)
}

func newTestModel(w, h int, attached bool) (*model, *fakeCtl) {
	ctl := &fakeCtl{}
	opts := Options{Now: func() time.Time { return base.Add(2*time.Minute + 13*time.Second) }, Location: time.UTC, Attached: attached}.withDefaults()
	m := newModel(context.Background(), nil, ctl, opts)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, ctl
}

// frame is the model's view as plain text (its styling stripped).
func (m *model) frame() string { return ansi.Strip(m.render()) }

// events gives the model events as one batch, preparing log lines as the feed does.
func (m *model) events(evs ...orchestrator.Event) {
	m.Update(batchMsg{items: prepare(evs)})
}

// press sends keys to the model and runs the commands they return (once), feeding their
// messages back, except the feed's and the clock's.
func (m *model) press(keys ...string) tea.Msg {
	var last tea.Msg
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		last = m.run(cmd)
	}
	return last
}

func (m *model) run(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	switch msg := msg.(type) {
	case cmdDoneMsg, shellDoneMsg, mergedMsg:
		m.Update(msg)
	case tea.BatchMsg:
		for _, c := range msg {
			m.run(c)
		}
	}
	return msg
}

// namedKeys are the keys tests press by name, a key press's String ("tab", "ctrl+c"); the
// others are one character.
var namedKeys = []tea.KeyPressMsg{
	{Code: tea.KeyTab}, {Code: tea.KeyTab, Mod: tea.ModShift}, {Code: tea.KeyEnter}, {Code: tea.KeyEscape},
	{Code: tea.KeyUp}, {Code: tea.KeyDown}, {Code: tea.KeyPgUp}, {Code: tea.KeyPgDown},
	{Code: tea.KeyHome}, {Code: tea.KeyEnd}, {Code: tea.KeyBackspace}, {Code: 'c', Mod: tea.ModCtrl},
}

// keyMsg is the key press whose String is k.
func keyMsg(k string) tea.KeyPressMsg {
	for _, named := range namedKeys {
		if named.String() == k {
			return named
		}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("keyMsg: unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// typeText types text into the model, one key per character.
func (m *model) typeText(s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// ---- scenes ----

var seq uint64

func meta(at time.Duration) orchestrator.EventMeta {
	seq++
	return orchestrator.EventMeta{Seq: seq, Time: base.Add(at)}
}

func intp(i int) *int { return &i }

// stackView is a running one-pod stack "shop" with n app containers (fakestack.Names:
// main web, then sidecars), all running, plus the infra container.
func stackView(n int) orchestrator.StackView {
	p := orchestrator.PodView{Name: "shop", Phase: orchestrator.PhaseRunning}
	p.Containers = append(p.Containers, orchestrator.ContainerView{Pod: "shop", Name: orchestrator.InfraName,
		Role: recipes.RoleInfra, State: orchestrator.CStateRunning, ID: "infra0"})
	for i, name := range fakestack.Names[:n] {
		role := recipes.RoleSidecar
		if i == 0 {
			role = recipes.RoleMain
		}
		p.Containers = append(p.Containers, orchestrator.ContainerView{Pod: "shop", Name: name, Role: role,
			Image: "shop/" + name + ":dev", ID: fmt.Sprintf("%012x", i+1), State: orchestrator.CStateRunning,
			StartedAt: base})
	}
	return orchestrator.StackView{Name: "shop", Phase: orchestrator.PhaseRunning, Pods: []orchestrator.PodView{p}}
}

// snapshotModel is testModel given the snapshot of stackView(n), the event sequence
// restarted.
func snapshotModel(t testing.TB, w, h, n int) *model {
	t.Helper()
	m, _ := testModel(t, w, h)
	seq = 0
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(n)})
	return m
}

// runningScene is a model showing a running stack of n containers with varied states and
// a page of log lines in each.
func runningScene(t testing.TB, n, w, h int) (*model, *fakeCtl) {
	t.Helper()
	m, ctl := testModel(t, w, h)
	seq = 0
	view := stackView(n)
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: view},
		orchestrator.StackEvent{EventMeta: meta(0), Stack: "shop", Phase: orchestrator.PhaseRunning})
	states := func(name string) *orchestrator.ContainerView {
		c := *view.Pod("shop").Container(name)
		return &c
	}
	var evs []orchestrator.Event
	for i := 0; i < 30; i++ {
		for j, name := range fakestack.Names[:n] {
			evs = append(evs, logLine(name, time.Duration(i)*time.Second, i, j))
		}
	}
	// Varied states: web ready, envoy restarted twice, shipper in back-off, redis not
	// ready, metrics stopped by the user, auth exited with an error.
	change := func(name string, at time.Duration, f func(c *orchestrator.ContainerView)) {
		if view.Pod("shop").Container(name) == nil {
			return
		}
		c := states(name)
		f(c)
		evs = append(evs, orchestrator.ContainerEvent{EventMeta: meta(at), ContainerView: *c})
		*view.Pod("shop").Container(name) = *c
	}
	change("web", 31*time.Second, func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthReady })
	change("envoy", 32*time.Second, func(c *orchestrator.ContainerView) { c.Restarts = 2 })
	change("shipper", 33*time.Second, func(c *orchestrator.ContainerView) {
		c.State, c.ExitCode, c.Restarts = orchestrator.CStateBackoff, intp(1), 3
		c.RestartIn = recipes.Duration(8 * time.Second)
		c.RestartAt = base.Add(2*time.Minute + 17*time.Second)
	})
	change("redis", 34*time.Second, func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthNotReady })
	change("metrics", 35*time.Second, func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateStopped })
	change("auth", 36*time.Second, func(c *orchestrator.ContainerView) {
		c.State, c.ExitCode = orchestrator.CStateExited, intp(2)
	})
	for j, name := range fakestack.Names[:n] {
		if name == "web" || name == "envoy" || name == "redis" {
			evs = append(evs, orchestrator.StatsEvent{EventMeta: meta(40 * time.Second), Pod: "shop", Container: name,
				CPUPercent: float64(j*7) + 0.4, MemoryBytes: uint64(12+j*9) << 20})
		}
	}
	m.events(evs...)
	return m, ctl
}

var sampleText = []string{
	"GET /healthz 200 0.4ms",
	"POST /api/orders 201 12ms user=42 items=3",
	"upstream connected to 127.0.0.1:8080 after 1 attempt",
	"flushed 3 records to /var/log/web/access.log (812 bytes)",
	"cache miss for key session:7f3a9c; loading from the database, which takes a while on a cold start",
	"GET /api/users/7 404 1.1ms",
}

// logLine is line i of container j: mostly stdout, every seventh on stderr.
func logLine(ctr string, at time.Duration, i, j int) orchestrator.LogEvent {
	stream := orchestrator.Stdout
	text := sampleText[(i+j)%len(sampleText)]
	if (i+j)%7 == 3 {
		stream, text = orchestrator.Stderr, "warn: slow request took 1.2s"
	}
	return orchestrator.LogEvent{EventMeta: meta(at), Pod: "shop", Container: ctr, Stream: stream,
		Text: fmt.Sprintf("%s #%d %s", ctr, i, text)}
}
