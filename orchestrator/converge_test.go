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
)

// daily is the stack of the working-day tests: init setup, sidecars proxy (ready probe) and
// shipper, main web (ready probe); edit changes it before it is built.
func daily(edit ...func(*recipes.Pod)) *recipes.Stack {
	p := pod("demo", ctr("web", readyProbe), sidecars(ctr("proxy", readyProbe), ctr("shipper")), inits(ctr("setup")))
	for _, e := range edit {
		e(p)
	}
	return stack("demo", p)
}

func startDaily(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, daily(), orchestrator.Options{})
	h.rt.ExitOnStart("demo-setup", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	return h
}

// await runs fn in the background and waits for it, moving the fake clock meanwhile.
func (h *harness) await(what string, fn func()) {
	h.t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	h.untilClosed(what, done)
}

// untilClosed waits for done to be closed, moving the fake clock meanwhile.
func (h *harness) untilClosed(what string, done <-chan struct{}) {
	h.t.Helper()
	h.until(what, 100*time.Millisecond, func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
}

// apply runs Apply, moving the fake clock while it waits.
func (h *harness) apply(st *recipes.Stack, opts orchestrator.ApplyOptions) (res orchestrator.ApplyResult, err error) {
	h.t.Helper()
	h.await("Apply to return", func() { res, err = h.o.Apply(context.Background(), st, opts) })
	return res, err
}

// applyChanges runs Apply and checks that it reports the changes want, in order.
func (h *harness) applyChanges(st *recipes.Stack, want ...string) {
	h.t.Helper()
	res, err := h.apply(st, orchestrator.ApplyOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	if !slices.Equal(res.Changes, want) {
		h.t.Errorf("changes %q, want %q", res.Changes, want)
	}
}

func changed(before, after map[string]string) []string {
	var out []string
	for n, id := range before {
		if after[n] != id {
			out = append(out, n)
		}
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			out = append(out, n+" (new)")
		}
	}
	slices.Sort(out)
	return out
}

func TestApplyUpToDate(t *testing.T) {
	h := startDaily(t)
	before := h.ids()
	creates := h.rt.CallCount("CreateContainer")
	res, err := h.apply(daily(), orchestrator.ApplyOptions{})
	if err != nil || !res.UpToDate() {
		t.Fatalf("Apply = %v, %v; want up to date", res.Changes, err)
	}
	if got := changed(before, h.ids()); len(got) > 0 || h.rt.CallCount("CreateContainer") != creates {
		t.Errorf("an unchanged recipe re-created %v", got)
	}
	if c, _ := h.rt.Container("demo-setup"); c.Starts != 1 {
		t.Errorf("setup ran %d times", c.Starts)
	}
	h.shutdownLeavesNothing()
}

func TestApplyReplacesOnlyWhatChanged(t *testing.T) {
	h := startDaily(t)
	before := h.ids()
	webRun, _ := h.rt.Container("demo-web")
	h.applyChanges(daily(func(p *recipes.Pod) { p.Sidecars[1].Env = recipes.Env{"LEVEL": "debug"} }), "replace shipper: env changed")
	if got := changed(before, h.ids()); !slices.Equal(got, []string{"demo-shipper"}) {
		t.Errorf("re-created %v, want only demo-shipper", got)
	}
	sh, _ := h.rt.Container("demo-shipper")
	if sh.Info.Status != orchestrator.StatusRunning || !slices.Contains(sh.Spec.Env, "LEVEL=debug") {
		t.Errorf("the new shipper: %s, env %v", sh.Info.Status, sh.Spec.Env)
	}
	if web, _ := h.rt.Container("demo-web"); web.Starts != 1 || !web.Info.StartedAt.Equal(webRun.Info.StartedAt) {
		t.Errorf("web was touched: %d starts", web.Starts)
	}
	if v := h.view("demo", "shipper"); v.Restarts != 0 || v.State != orchestrator.CStateRunning {
		t.Errorf("shipper's view: %+v", v)
	}
	// The next apply of the same recipe changes nothing.
	res, err := h.apply(daily(func(p *recipes.Pod) { p.Sidecars[1].Env = recipes.Env{"LEVEL": "debug"} }), orchestrator.ApplyOptions{})
	if err != nil || !res.UpToDate() {
		t.Errorf("second Apply = %v, %v", res.Changes, err)
	}
	h.shutdownLeavesNothing()
}

// Editing a container's labels replaces that container, which then carries them.
func TestApplyLabelsChangedReplaces(t *testing.T) {
	h := startDaily(t)
	before := h.ids()
	labelled := func(p *recipes.Pod) { p.Main.Labels = map[string]string{"traefik.enable": "true"} }
	h.applyChanges(daily(labelled), "replace web: labels changed")
	if got := changed(before, h.ids()); !slices.Equal(got, []string{"demo-web"}) {
		t.Errorf("re-created %v, want only demo-web", got)
	}
	web, _ := h.rt.Container("demo-web")
	if l, _ := orchestrator.DecodeLabels(web.Spec.Labels); web.Spec.Labels["traefik.enable"] != "true" || l.Container != "web" || l.Stack != "demo" {
		t.Errorf("the new web's labels: %v", web.Spec.Labels)
	}
	res, err := h.apply(daily(labelled), orchestrator.ApplyOptions{})
	if err != nil || !res.UpToDate() {
		t.Errorf("second Apply = %v, %v", res.Changes, err)
	}
	h.shutdownLeavesNothing()
}

// A replaced sidecar with a ready probe is ready again before main is replaced; the infra
// container is never touched.
func TestApplyReplacesInStartOrder(t *testing.T) {
	h := startDaily(t)
	infra, _ := h.rt.Container("demo-infra")
	h.rt.SetProbe("demo-proxy", errors.New("not yet"))
	edit := func(p *recipes.Pod) {
		p.Sidecars[0].Command = []string{"/proxy", "-v"}
		p.Main.Env = recipes.Env{"GREETING": "hi"}
	}
	done, err := h.applyInBackground(daily(edit))
	h.until("the new proxy running", 0, func() bool {
		c, ok := h.rt.Container("demo-proxy")
		return ok && c.Info.Status == orchestrator.StatusRunning && slices.Equal(c.Spec.Cmd, []string{"/proxy", "-v"})
	})
	h.clock.Step(5 * time.Second) // probe attempts fail: proxy is not ready
	if web, _ := h.rt.Container("demo-web"); web.Info.Status != orchestrator.StatusRunning || web.Starts != 1 {
		t.Fatalf("web was stopped before the new proxy was ready: %s", web.Info.Status)
	}
	h.rt.SetProbe("demo-proxy", nil)
	if h.untilClosed("Apply to return", done); *err != nil {
		t.Fatal(*err)
	}
	web, _ := h.rt.Container("demo-web")
	if !slices.Contains(web.Spec.Env, "GREETING=hi") {
		t.Errorf("web not replaced: env %v", web.Spec.Env)
	}
	if i2, _ := h.rt.Container("demo-infra"); i2.Info.ID != infra.Info.ID || i2.Starts != 1 {
		t.Errorf("the infra container was touched")
	}
	h.shutdownLeavesNothing()
}

// What the infra container owns changing re-creates the pod, in lifecycle order.
func TestApplyPortsRecreateThePod(t *testing.T) {
	h := startDaily(t)
	was := h.ids()
	h.applyChanges(daily(func(p *recipes.Pod) {
		p.Main.Ports = []recipes.Port{{HostPort: 8080, ContainerPort: 8080, Protocol: recipes.ProtoTCP}}
	}), "re-create pod demo: ports changed")
	if got := changed(was, h.ids()); len(got) != 5 {
		t.Errorf("re-created %v, want all five", got)
	}
	hist := h.rt.HistoryOf()
	cut := index(hist, "kill demo-web SIGTERM")
	if cut < 0 {
		t.Fatalf("web was not stopped: %v", hist)
	}
	hist = hist[cut:]
	before2 := func(a, b string) { t.Helper(); before(t, hist, a, b) }
	before2("kill demo-web SIGTERM", "kill demo-shipper SIGTERM")
	before2("kill demo-shipper SIGTERM", "kill demo-proxy SIGTERM")
	before2("destroy demo-web", "destroy demo-infra")
	before2("destroy demo-infra", "start demo-infra")
	before2("start demo-setup", "start demo-proxy")
	before2("start demo-proxy", "start demo-web")
	if p, _ := h.rt.Container("demo-infra"); len(p.Spec.Ports) != 1 {
		t.Errorf("the new infra container publishes %v", p.Spec.Ports)
	}
	h.shutdownLeavesNothing()
}

func TestApplyRebuiltImage(t *testing.T) {
	h := startDaily(t)
	h.rt.AddImage("test/web:1") // built again under its tag
	res, err := h.apply(daily(), orchestrator.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || !strings.HasPrefix(res.Changes[0], "replace web: image test/web:1 was rebuilt") {
		t.Errorf("changes %q", res.Changes)
	}
	// The new container's log starts with a marker that says why it is new.
	buf := h.o.Logs().Buffer("demo", "web")
	h.until("the marker in web's log", 0, func() bool {
		lines, _, _ := buf.Read(0, 0)
		return slices.ContainsFunc(lines, func(l orchestrator.LogEvent) bool { return l.Marker })
	})
	lines, _, _ := buf.Read(0, 0)
	for _, l := range lines {
		if l.Marker && !strings.HasPrefix(l.Text, "--- web created anew: image test/web:1 was rebuilt (") {
			t.Errorf("marker %q", l.Text)
		}
	}
	h.shutdownLeavesNothing()
}

// otelForShipper edits daily's pod: sidecar shipper gives way to a new sidecar otel.
func otelForShipper(p *recipes.Pod) {
	otel := ctr("otel")
	otel.Role, otel.Restart = recipes.RoleSidecar, recipes.RestartAlways
	p.Sidecars = []*recipes.Container{p.Sidecars[0], otel}
}

func TestApplyAddsAndRemovesContainersAndPods(t *testing.T) {
	h := startDaily(t)
	h.rt.AddImage("test/otel:1", "test/api:1")
	next := daily(otelForShipper)
	api := pod("api", ctr("api"))
	next.Pods = append(next.Pods, api)
	h.applyChanges(next, "re-create pod demo: network changed", "remove demo/shipper: no longer in the recipe", "add pod api: new in the recipe")
	if _, ok := h.rt.Container("demo-shipper"); ok {
		t.Errorf("shipper is still there")
	}
	for _, n := range []string{"demo-otel", "demo-api-api", "demo-api-infra"} {
		if c, ok := h.rt.Container(n); !ok || c.Info.Status != orchestrator.StatusRunning {
			t.Errorf("%s does not run", n)
		}
	}
	if nets := h.rt.Networks(); len(nets) != 1 {
		t.Errorf("networks %v", nets)
	}
	snap := h.o.Snapshot()
	if len(snap.Pods) != 2 || snap.Pods[0].Container("shipper") != nil || snap.Pods[0].Container("otel") == nil {
		t.Errorf("view after the apply: %s", h.describe())
	}

	// Back to one pod without otel: api goes, otel goes; demo stays on the network, not
	// re-created for it.
	h.applyChanges(daily(func(p *recipes.Pod) { p.Sidecars = p.Sidecars[:1] }), "remove otel: no longer in the recipe", "remove pod api: no longer in the recipe")
	if c, ok := h.rt.Container("demo-web"); !ok || c.Info.Status != orchestrator.StatusRunning {
		t.Errorf("web does not run")
	}
	if _, ok := h.rt.Container("demo-api-api"); ok {
		t.Errorf("api is still there")
	}
	if snap := h.o.Snapshot(); len(snap.Pods) != 1 {
		t.Errorf("view: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}

func TestApplyOneSidecarAddedAndOneDropped(t *testing.T) {
	h := startDaily(t)
	h.rt.AddImage("test/otel:1")
	h.applyChanges(daily(otelForShipper), "remove shipper: no longer in the recipe", "add otel: new in the recipe")
	if _, ok := h.rt.Container("demo-shipper"); ok {
		t.Errorf("shipper is still there")
	}
	if c, ok := h.rt.Container("demo-otel"); !ok || c.Info.Status != orchestrator.StatusRunning {
		t.Errorf("otel does not run")
	}
	if snap := h.o.Snapshot(); snap.Pod("demo").Container("shipper") != nil || snap.Pod("demo").Container("otel") == nil {
		t.Errorf("view after the apply: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}

// A replaced container that exits at once: Apply says so; the stack runs on and the
// container is restarted with back-off like any other.
func TestApplyReportsAReplacementThatCrashes(t *testing.T) {
	h := startDaily(t)
	// proxy has a ready probe: it is started once ready, and its exit comes first.
	h.rt.ExitOnStart("demo-proxy", 3)
	_, err := h.apply(daily(func(p *recipes.Pod) { p.Sidecars[0].Env = recipes.Env{"BAD": "1"} }), orchestrator.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "proxy exited with code 3 after it was created anew") {
		t.Fatalf("Apply: %v", err)
	}
	if h.o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Errorf("the stack: %s", h.describe())
	}
	h.until("proxy in back-off", 0, h.stateIs("demo", "proxy", orchestrator.CStateBackoff))
	h.shutdownLeavesNothing()
}

// A replacement without a ready probe is started once it runs: the engine reports the start
// and an exit at once one after the other, so Apply reports the exit when it sees it before
// it saw the container running (nearly always), or returns once it ran; back-off takes over
// either way.
func TestApplyReplacementWithoutProbeThatCrashes(t *testing.T) {
	h := startDaily(t)
	h.rt.ExitOnStart("demo-shipper", 3)
	_, err := h.apply(daily(func(p *recipes.Pod) { p.Sidecars[1].Env = recipes.Env{"BAD": "1"} }), orchestrator.ApplyOptions{})
	if err != nil && !strings.Contains(err.Error(), "shipper exited with code 3 after it was created anew") {
		t.Fatalf("Apply: %v", err)
	}
	h.until("shipper in back-off", 0, h.stateIs("demo", "shipper", orchestrator.CStateBackoff))
	if h.o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Errorf("the stack: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}

func TestApplyRefusesAnotherStackAndUnknownPods(t *testing.T) {
	h := startDaily(t)
	if _, err := h.o.Apply(context.Background(), stack("other", pod("other", ctr("x"))), orchestrator.ApplyOptions{}); err == nil {
		t.Errorf("another stack's recipe was applied")
	}
	if _, err := h.o.Apply(context.Background(), daily(), orchestrator.ApplyOptions{Pods: []string{"nope"}}); !errors.Is(err, orchestrator.ErrUnknownPod) {
		t.Errorf("unknown pod: %v", err)
	}
	h.rt.RemoveImages("test/web:1")
	creates := h.rt.CallCount("CreateContainer")
	if _, err := h.o.Apply(context.Background(), daily(func(p *recipes.Pod) { p.Main.Env = recipes.Env{"A": "b"} }), orchestrator.ApplyOptions{}); !errors.Is(err, orchestrator.ErrImageUnavailable) {
		t.Errorf("missing image: %v", err)
	}
	if h.rt.CallCount("CreateContainer") != creates {
		t.Errorf("a failed apply created containers")
	}
	h.shutdownLeavesNothing()
}

// withoutProxy edits daily's pod: sidecar proxy is dropped.
func withoutProxy(p *recipes.Pod) { p.Sidecars = p.Sidecars[1:] }

// withPort edits daily's pod: main publishes a port (what the infra container owns).
func withPort(p *recipes.Pod) {
	p.Main.Ports = []recipes.Port{{HostPort: 8080, ContainerPort: 8080, Protocol: recipes.ProtoTCP}}
}

// bufferHas is a condition: the named container's log buffer holds a line text.
func (h *harness) bufferHas(pod, name, text string) func() bool {
	return func() bool {
		lines, _, _ := h.o.Logs().Buffer(pod, name).Read(0, 0)
		for _, l := range lines {
			if l.Text == text {
				return true
			}
		}
		return false
	}
}

// A container dropped from the recipe and added back later is a new container: its probes
// run (main's start waits for its ready probe, which passes) and its output is read.
func TestApplyContainerRemovedAndAddedBack(t *testing.T) {
	h := startDaily(t)
	h.applyChanges(daily(withoutProxy), "remove proxy: no longer in the recipe")
	h.rt.PrintOnStart("demo-proxy", "proxy is back")
	h.applyChanges(daily(), "add proxy: new in the recipe")
	if v := h.view("demo", "proxy"); v.State != orchestrator.CStateRunning || v.Health != orchestrator.HealthReady {
		t.Errorf("the proxy added back: %+v", v)
	}
	h.until("the new proxy's output", 0, h.bufferHas("demo", "proxy", "proxy is back"))
	h.shutdownLeavesNothing()
}

// The same when the pod is re-created on the way (a port dropped with the sidecar, then
// both back): the new pod's main starts once the sidecar added back is ready, and the views
// hold each container once.
func TestApplyContainerAddedBackInARecreatedPod(t *testing.T) {
	h := newHarness(t, daily(withPort), orchestrator.Options{})
	h.rt.ExitOnStart("demo-setup", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	h.applyChanges(daily(withoutProxy), "re-create pod demo: ports changed", "remove proxy: no longer in the recipe")
	h.rt.PrintOnStart("demo-proxy", "proxy is back")
	h.applyChanges(daily(withPort), "re-create pod demo: ports changed")
	for _, n := range []string{"proxy", "web"} {
		if v := h.view("demo", n); v.State != orchestrator.CStateRunning || v.Health != orchestrator.HealthReady {
			t.Errorf("%s after the apply: %+v", n, v)
		}
	}
	var names []string
	snap := h.o.Snapshot()
	for _, c := range snap.Pod("demo").Containers {
		names = append(names, c.Name)
	}
	if want := []string{"infra", "setup", "proxy", "shipper", "web"}; !slices.Equal(names, want) {
		t.Errorf("the pod's view holds %v, want %v", names, want)
	}
	h.until("the new proxy's output", 0, h.bufferHas("demo", "proxy", "proxy is back"))
	h.shutdownLeavesNothing()
}

// Renaming main is a main removed and a main added: the old one is stopped first, then the
// new one created and started; the stack runs on (as compose does for a renamed service).
func TestApplyRenamedMain(t *testing.T) {
	h := startDaily(t)
	h.applyChanges(daily(func(p *recipes.Pod) { p.Main.Name = "web2" }),
		"remove web: no longer in the recipe", "add web2: new in the recipe")
	if c, ok := h.rt.Container("demo-web2"); !ok || c.Info.Status != orchestrator.StatusRunning {
		t.Fatalf("web2 does not run: %s", h.describe())
	}
	if _, ok := h.rt.Container("demo-web"); ok {
		t.Errorf("the old main is still there")
	}
	before(t, h.rt.HistoryOf(), "die demo-web 0", "start demo-web2")
	if h.returned() || h.o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Errorf("the stack after the rename: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}

// hooked is a stack whose sidecar db has a pre-stop hook, edited by edit.
func hooked(edit ...func(*recipes.Pod)) *recipes.Stack {
	p := pod("hk", ctr("web"), sidecars(ctr("db", preStop(execHook("/flush")))))
	for _, e := range edit {
		e(p)
	}
	return stack("hk", p)
}

// Every stop of a running container that converging makes goes through the one stop: its
// pre-stop hook runs (to the end, not cancelled) before its stop signal, for a replacement,
// a pod re-created, a container dropped from the recipe, and one dropped as the pod is
// re-created — which is announced and stopped, not killed.
func TestApplyStopsRunPreStopHooks(t *testing.T) {
	port := func(p *recipes.Pod) {
		p.Main.Ports = []recipes.Port{{HostPort: 8080, ContainerPort: 8080, Protocol: recipes.ProtoTCP}}
	}
	noDB := func(p *recipes.Pod) { p.Sidecars = nil }
	for _, tc := range []struct {
		name    string
		edit    []func(*recipes.Pod)
		changes []string
	}{
		{"replace", []func(*recipes.Pod){func(p *recipes.Pod) { p.Sidecars[0].Env = recipes.Env{"A": "b"} }}, []string{"replace db: env changed"}},
		{"re-create", []func(*recipes.Pod){port}, []string{"re-create pod hk: ports changed"}},
		{"retire", []func(*recipes.Pod){noDB}, []string{"remove db: no longer in the recipe"}},
		{"retire and re-create", []func(*recipes.Pod){noDB, port}, []string{"re-create pod hk: ports changed", "remove db: no longer in the recipe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, hooked(), orchestrator.Options{})
			var ran, cut atomic.Int32
			h.rt.SetHookFunc("hk-db", func(ctx context.Context, hk recipes.Hook) error {
				if ctx.Err() != nil {
					cut.Add(1)
				}
				ran.Add(1)
				return nil
			})
			h.startRunning("hk-web", "hk-db")
			h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
			h.applyChanges(hooked(tc.edit...), tc.changes...)
			if ran.Load() != 1 || cut.Load() != 0 {
				t.Errorf("db's pre-stop hook ran %d times (%d cancelled), want once", ran.Load(), cut.Load())
			}
			before(t, callOrder(h.rt), "RunHook hk-db", "StopContainer hk-db")
			// The views are told after the engine was: wait for the event, not only the call.
			h.until("db seen stopping", 0, func() bool {
				return slices.ContainsFunc(h.containerEvents("hk", "db"), func(ev orchestrator.ContainerEvent) bool { return ev.State == orchestrator.CStateStopping })
			})
			h.shutdownLeavesNothing()
		})
	}
}

// eventIndex is the position of the first event after from that match says is true, or -1.
func eventIndex(evs []orchestrator.Event, from int, match func(orchestrator.Event) bool) int {
	for i := max(from, 0); i < len(evs); i++ {
		if match(evs[i]) {
			return i
		}
	}
	return -1
}

func isState(name string, s orchestrator.ContainerState) func(orchestrator.Event) bool {
	return func(e orchestrator.Event) bool {
		c, ok := e.(orchestrator.ContainerEvent)
		return ok && c.Name == name && c.State == s
	}
}

func isMessage(text string) func(orchestrator.Event) bool {
	return func(e orchestrator.Event) bool {
		m, ok := e.(orchestrator.MessageEvent)
		return ok && m.Text == text
	}
}

// A pod re-created on purpose reads as what happens: the change said first, then main
// stopped, then the sidecars stopping one after the other, and the infra container stopped —
// not exited 137 — and started again with its restarts from 0, as its members'.
func TestApplyRecreateReadsInOrder(t *testing.T) {
	h := startDaily(t)
	h.applyChanges(daily(withPort), "re-create pod demo: ports changed")
	evs := h.all()
	said := eventIndex(evs, 0, isMessage("apply: re-create pod demo: ports changed"))
	webStopping := eventIndex(evs, 0, isState("web", orchestrator.CStateStopping))
	webStopped := eventIndex(evs, 0, isState("web", orchestrator.CStateStopped))
	shipperStopping := eventIndex(evs, 0, isState("shipper", orchestrator.CStateStopping))
	if said < 0 || said > webStopping || webStopped < 0 || webStopped > shipperStopping {
		t.Errorf("said at %d, web stopping at %d, stopped at %d, shipper stopping at %d", said, webStopping, webStopped, shipperStopping)
	}
	for _, ev := range h.containerEvents("demo", "infra") {
		if ev.State == orchestrator.CStateExited {
			t.Errorf("the infra container seen exited: %+v", ev.ContainerView)
		}
	}
	for _, n := range []string{"infra", "proxy", "web"} {
		if v := h.view("demo", n); v.Restarts != 0 || v.State != orchestrator.CStateRunning {
			t.Errorf("%s after the re-create: %s, %d restarts", n, v.State, v.Restarts)
		}
	}
	h.shutdownLeavesNothing()
}

// A replacement is said before its container is seen stopping.
func TestApplySaysTheChangeFirst(t *testing.T) {
	h := startDaily(t)
	for i := range 5 {
		from := len(h.all())
		env := recipes.Env{"LEVEL": fmt.Sprint(i)}
		h.applyChanges(daily(func(p *recipes.Pod) { p.Sidecars[1].Env = env }), "replace shipper: env changed")
		var said, stopping int
		h.until("the change said and shipper seen stopping", 0, func() bool {
			evs := h.all()
			said = eventIndex(evs, from, isMessage("apply: replace shipper: env changed"))
			stopping = eventIndex(evs, from, isState("shipper", orchestrator.CStateStopping))
			return said >= 0 && stopping >= 0
		})
		if said > stopping {
			t.Fatalf("apply %d: said at %d, shipper stopping at %d", i, said, stopping)
		}
	}
	h.shutdownLeavesNothing()
}

// A main the user stopped that an apply replaces is created from its new recipe and stays
// stopped, and is seen so (not merely created); sidecar start starts the new one.
func TestApplyReplacesAUserStoppedMainStopped(t *testing.T) {
	h := startDaily(t)
	if err := h.command(orchestrator.CmdStop, "web"); err != nil {
		t.Fatal(err)
	}
	h.until("web stopped", 0, h.stateIs("demo", "web", orchestrator.CStateStopped))
	h.applyChanges(daily(func(p *recipes.Pod) { p.Main.Env = recipes.Env{"A": "b"} }), "replace web: env changed")
	// Apply returns once the change is under way: the new web is created after it.
	h.until("the new web created, and seen stopped", 0, func() bool {
		web, ok := h.rt.Container("demo-web")
		return ok && slices.Contains(web.Spec.Env, "A=b") && h.view("demo", "web").State == orchestrator.CStateStopped
	})
	web, _ := h.rt.Container("demo-web")
	if !slices.Contains(web.Spec.Env, "A=b") || web.Starts != 0 {
		t.Fatalf("the new web: env %v, %d starts", web.Spec.Env, web.Starts)
	}
	if v := h.view("demo", "web"); v.State != orchestrator.CStateStopped || v.Reason != "stopped by user" {
		t.Errorf("the new web's view: %s %q", v.State, v.Reason)
	}
	if err := h.command(orchestrator.CmdStart, "web"); err != nil {
		t.Fatal(err)
	}
	h.until("the new web running", 0, h.stateIs("demo", "web", orchestrator.CStateRunning))
	h.shutdownLeavesNothing()
}

// A main waiting out its back-off whose restart policy an apply changes is replaced and
// started under the new recipe: its last exit, read with the new policy, does not end the
// stack.
func TestApplyReplacesAMainInBackoff(t *testing.T) {
	onFailure := func(p *recipes.Pod) { p.Main.Restart = recipes.RestartOnFailure }
	h := newHarness(t, daily(onFailure), orchestrator.Options{})
	h.rt.ExitOnStart("demo-setup", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	if err := h.rt.Exit("demo-web", 3); err != nil {
		t.Fatal(err)
	}
	h.until("web in back-off", 0, h.stateIs("demo", "web", orchestrator.CStateBackoff))
	h.applyChanges(daily(func(p *recipes.Pod) { p.Main.Restart = recipes.RestartNever }), "replace web: restart changed")
	h.until("the new web running", 0, h.stateIs("demo", "web", orchestrator.CStateRunning))
	if h.returned() {
		t.Fatalf("the stack ended: %+v, %v", h.res, h.err)
	}
	h.shutdownLeavesNothing()
}

// The containers an edit drops are stopped as a pod's teardown stops them, whatever the mix:
// a main first, then the sidecars in reverse start order, each stopped (its grace run out:
// they ignore SIGTERM) before the next stop begins; the renamed main's successor starts once
// the old main is stopped.
func TestApplyRetiresInTeardownOrder(t *testing.T) {
	shortGrace := func(p *recipes.Pod) {
		for _, c := range p.Containers() {
			c.StopGrace = recipes.Duration(2 * time.Second)
		}
	}
	rename := func(p *recipes.Pod) { p.Main.Name = "web2" }
	for _, tc := range []struct {
		name    string
		edit    func(*recipes.Pod)
		changes []string
		stops   []string
	}{
		{"main renamed, a sidecar dropped", func(p *recipes.Pod) { rename(p); p.Sidecars = p.Sidecars[:1] },
			[]string{"remove web: no longer in the recipe", "remove shipper: no longer in the recipe", "add web2: new in the recipe"},
			[]string{"demo-web", "demo-shipper"}},
		{"both sidecars dropped", func(p *recipes.Pod) { p.Sidecars = nil },
			[]string{"remove shipper: no longer in the recipe", "remove proxy: no longer in the recipe"},
			[]string{"demo-shipper", "demo-proxy"}},
		{"main renamed, both sidecars dropped", func(p *recipes.Pod) { rename(p); p.Sidecars = nil },
			[]string{"remove web: no longer in the recipe", "remove shipper: no longer in the recipe",
				"remove proxy: no longer in the recipe", "add web2: new in the recipe"},
			[]string{"demo-web", "demo-shipper", "demo-proxy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, daily(shortGrace), orchestrator.Options{})
			h.rt.ExitOnStart("demo-setup", 0)
			h.start()
			h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
			for _, n := range tc.stops {
				h.rt.IgnoreSIGTERM(n)
			}
			from := len(h.rt.HistoryOf())
			h.applyChanges(daily(shortGrace, tc.edit), tc.changes...)
			// Each stop: SIGTERM, SIGKILL after the grace, the exit; the next stop after it.
			var got, want []string
			for _, e := range h.rt.HistoryOf()[from:] {
				if f := strings.Fields(e); (f[0] == "kill" || f[0] == "die") && slices.Contains(tc.stops, f[1]) {
					got = append(got, e)
				}
			}
			for _, n := range tc.stops {
				want = append(want, "kill "+n+" SIGTERM", "kill "+n+" SIGKILL", "die "+n+" 137")
			}
			if !slices.Equal(got, want) {
				t.Errorf("stops\n%q, want\n%q", got, want)
			}
			// The views say it in that order too.
			evs := h.all()
			for i := 1; i < len(tc.stops); i++ {
				prev, next := strings.TrimPrefix(tc.stops[i-1], "demo-"), strings.TrimPrefix(tc.stops[i], "demo-")
				if a, b := eventIndex(evs, 0, isState(prev, orchestrator.CStateStopped)), eventIndex(evs, 0, isState(next, orchestrator.CStateStopping)); a < 0 || b < 0 || a > b {
					t.Errorf("%s stopped at %d, %s stopping at %d", prev, a, next, b)
				}
			}
			h.shutdownLeavesNothing()
		})
	}
}

// A pod re-created on purpose stops within one stop budget for the whole pod, as its
// teardown does (terminationGracePeriodSeconds is the pod's): main, which takes it all, gets
// the pod's grace, the sidecars after it what is left. Its phase says why once, in the
// planner's words, through to the end of the re-creation.
func TestApplyRecreateStopsWithinThePodBudget(t *testing.T) {
	budget := func(p *recipes.Pod) { p.StopGrace = recipes.Duration(10 * time.Second) }
	h := newHarness(t, daily(budget), orchestrator.Options{})
	h.rt.ExitOnStart("demo-setup", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	h.rt.IgnoreSIGTERM("demo-web")
	h.applyChanges(daily(budget, withPort), "re-create pod demo: ports changed")
	graces := map[string][]string{}
	for _, n := range []string{"web", "shipper", "proxy", "infra"} {
		for _, e := range h.containerEvents("demo", n) {
			if e.State == orchestrator.CStateStopping {
				graces[n] = append(graces[n], e.StopGrace.String())
			}
		}
	}
	want := map[string][]string{"web": {"10s"}, "shipper": {"0s"}, "proxy": {"0s"}, "infra": {"1s"}}
	for n, w := range want {
		if !slices.Equal(slices.Compact(graces[n]), w) {
			t.Errorf("%s stopping with grace %v, want %v", n, graces[n], w)
		}
	}
	var reasons []string
	for _, e := range h.all() {
		if p, ok := e.(orchestrator.PodEvent); ok && p.Phase == orchestrator.PhaseRecreating {
			reasons = append(reasons, p.Reason)
		}
	}
	if len(reasons) == 0 || slices.ContainsFunc(reasons, func(r string) bool { return r != "ports changed" }) {
		t.Errorf("the pod's re-creating reasons %q, want only %q", reasons, "ports changed")
	}
	// A single container replaced stops within its own grace (the pod's, here).
	h.rt.IgnoreSIGTERM("demo-shipper")
	from := len(h.all())
	h.applyChanges(daily(budget, withPort, func(p *recipes.Pod) { p.Sidecars[1].Env = recipes.Env{"A": "b"} }), "replace shipper: env changed")
	for _, e := range h.all()[from:] {
		if c, ok := e.(orchestrator.ContainerEvent); ok && c.Name == "shipper" && c.State == orchestrator.CStateStopping && c.StopGrace.D() != 10*time.Second {
			t.Errorf("replaced shipper stopping with grace %s, want its own 10s", c.StopGrace)
		}
	}
	h.shutdownLeavesNothing()
}

// A main whose ready probe fails, in a stack that runs (nothing waits for it): an Apply that
// changes nothing of its pod returns — nothing of it is to converge — rather than wait for
// a readiness no Apply can bring; one that changes its sidecar returns once that one is
// started. A main Apply creates anew is still waited for until it is ready (the other tests).
func TestApplyDoesNotWaitForAnUnchangedMainThatIsNotReady(t *testing.T) {
	st := func(edit ...func(*recipes.Pod)) *recipes.Stack {
		p := pod("db", ctr("postgres", readyProbe), sidecars(ctr("exporter")))
		for _, e := range edit {
			e(p)
		}
		return stack("u", p, pod("web", ctr("web")))
	}
	h := newHarness(t, st(), orchestrator.Options{})
	h.rt.SetProbe("u-db-postgres", errors.New("tcp probe failed: connection refused"))
	h.start()
	h.until("the stack running, postgres not ready", time.Second, func() bool {
		return h.o.Snapshot().Phase == orchestrator.PhaseRunning && h.view("db", "postgres").Health == orchestrator.HealthNotReady
	})
	h.applyChanges(st())
	h.applyChanges(st(func(p *recipes.Pod) { p.Sidecars[0].Env = recipes.Env{"A": "b"} }), "replace db/exporter: env changed")
	if c, ok := h.rt.Container("u-db-exporter"); !ok || c.Info.Status != orchestrator.StatusRunning {
		t.Errorf("the exporter does not run: %v", h.rt.HistoryOf())
	}
	h.shutdownLeavesNothing()
}

// A pod dropped from the recipe is stopped as a teardown stops it: main, then its sidecar,
// then its infra container with SIGTERM (shown stopped), before anything is removed — the
// removal does not kill the infra container (exited 137).
func TestApplyRetiredPodStopsItsInfraContainer(t *testing.T) {
	two := func() *recipes.Stack {
		st := daily()
		st.Pods = append(st.Pods, pod("debugger", ctr("dbg"), sidecars(ctr("agent"))))
		return st
	}
	h := newHarness(t, two(), orchestrator.Options{})
	h.rt.ExitOnStart("demo-setup", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	from, evFrom := len(h.rt.HistoryOf()), len(h.all())
	h.applyChanges(daily(), "remove pod debugger: no longer in the recipe")
	var got []string
	for _, e := range h.rt.HistoryOf()[from:] {
		if f := strings.Fields(e); len(f) > 1 && strings.HasPrefix(f[1], "demo-debugger-") && (f[0] == "kill" || f[0] == "die") {
			got = append(got, e)
		}
	}
	want := []string{"kill demo-debugger-dbg SIGTERM", "die demo-debugger-dbg 0", "kill demo-debugger-agent SIGTERM", "die demo-debugger-agent 0",
		"kill demo-debugger-infra SIGTERM", "die demo-debugger-infra 0"}
	if !slices.Equal(got, want) {
		t.Errorf("the engine saw\n%q, want\n%q", got, want)
	}
	var infra []string
	shown := func() bool {
		infra = nil
		for _, e := range h.all()[evFrom:] {
			if c, ok := e.(orchestrator.ContainerEvent); ok && c.Pod == "debugger" && c.Name == orchestrator.InfraName {
				infra = append(infra, c.State.String())
			}
		}
		return slices.Contains(infra, "removed")
	}
	h.until("the debugger's infra container shown removed", 0, shown)
	if !slices.Contains(infra, "stopped") || slices.Contains(infra, "exited") {
		t.Errorf("the infra container was shown %v, want stopping, stopped (not exited)", infra)
	}
	h.shutdownLeavesNothing()
}

// A completed job whose recipe changed runs again, as docker compose's `up -d` re-creates a
// changed one-shot and runs it: the pod is created anew and its main runs to completion
// again; app, which waited for it and runs, is left alone; the next Apply is up to date. A
// pod added that waits for the job to complete waits for the new run.
func TestApplyRerunsACompletedJobWhoseRecipeChanged(t *testing.T) {
	st := func(cmd string, more ...*recipes.Pod) *recipes.Stack {
		s := stack("j",
			pod("migrate", ctr("migrate", func(c *recipes.Container) { c.Command = []string{cmd} }), sidecars(ctr("agent")), job),
			pod("app", ctr("app"), dependsOnWhen("migrate", recipes.DepCompleted)))
		s.Pods = append(s.Pods, more...)
		return s
	}
	h := newHarness(t, st("v1"), orchestrator.Options{})
	h.rt.ExitOnStart("j-migrate-migrate", 0)
	h.start()
	h.until("app running once migrate completed", 100*time.Millisecond, func() bool {
		return h.running("j-app-app")() && h.podPhase("migrate") == orchestrator.PhaseCompleted
	})
	starts := func(name string) int {
		n := 0
		for _, e := range h.rt.HistoryOf() {
			if e == "start "+name {
				n++
			}
		}
		return n
	}
	app, _ := h.rt.Container("j-app-app")
	h.applyChanges(st("v1"))

	h.applyChanges(st("v2"), "re-create pod migrate: the job runs again (replace migrate: command changed)")
	h.until("migrate completed again", 100*time.Millisecond, func() bool { return h.podPhase("migrate") == orchestrator.PhaseCompleted })
	if n := starts("j-migrate-migrate"); n != 2 {
		t.Errorf("migrate started %d times, want 2:\n%s", n, strings.Join(h.rt.HistoryOf(), "\n"))
	}
	if c, ok := h.rt.Container("j-migrate-migrate"); !ok || !slices.Equal(c.Spec.Cmd, []string{"v2"}) {
		t.Errorf("migrate is not created from its new recipe: %+v", c)
	}
	if now, ok := h.rt.Container("j-app-app"); !ok || now.Info.ID != app.Info.ID || now.Info.Status != orchestrator.StatusRunning {
		t.Errorf("app was touched: %+v, was %+v", now, app)
	}
	// The new run's log starts with a marker that says why, once.
	lines, _, _ := h.o.Logs().Buffer("migrate", "migrate").Read(0, 0)
	for _, l := range lines {
		if l.Marker && l.Text != "--- migrate created anew: the job runs again (replace migrate: command changed) ---" {
			t.Errorf("marker %q", l.Text)
		}
	}
	h.applyChanges(st("v2"))

	// The job runs longer now: a pod added with its next change waits for that run.
	h.rt.RunOnStart("j-migrate-migrate")
	h.rt.AddImage("test/late:1")
	done, applyErr := h.applyInBackground(st("v3", pod("late", ctr("late"), dependsOnWhen("migrate", recipes.DepCompleted))))
	h.until("migrate running its third run", 100*time.Millisecond, func() bool { return starts("j-migrate-migrate") == 3 && h.running("j-migrate-migrate")() })
	h.heldBack("j-late-infra", "late was created before the new run of migrate completed")
	if err := h.rt.Exit("j-migrate-migrate", 0); err != nil {
		t.Fatal(err)
	}
	h.until("late running once the new run completed", 100*time.Millisecond, h.running("j-late-late"))
	if h.untilClosed("Apply to return", done); *applyErr != nil {
		t.Error(*applyErr)
	}
	h.shutdownLeavesNothing()
}

// A job whose recipe changed just as it completed, its sidecar still stopping: what of the
// completed run still runs stops as a completed job's does (the sidecar within its grace,
// then the infra container with SIGTERM), and only then is the pod created anew.
func TestApplyRerunWaitsForTheCompletedRunToStop(t *testing.T) {
	st := func(cmd string) *recipes.Stack {
		return stack("j", pod("migrate", ctr("migrate", func(c *recipes.Container) { c.Command = []string{cmd} }),
			sidecars(ctr("agent", func(c *recipes.Container) { c.StopGrace = recipes.Duration(5 * time.Second) })), job),
			pod("app", ctr("app"), dependsOnWhen("migrate", recipes.DepCompleted)))
	}
	h := newHarness(t, st("v1"), orchestrator.Options{})
	h.rt.IgnoreSIGTERM("j-migrate-agent")
	h.start()
	h.until("migrate running", 100*time.Millisecond, h.running("j-migrate-migrate", "j-migrate-agent"))
	if err := h.rt.Exit("j-migrate-migrate", 0); err != nil {
		t.Fatal(err)
	}
	h.until("agent sent its stop signal", 0, func() bool { return slices.Contains(h.rt.HistoryOf(), "kill j-migrate-agent SIGTERM") })
	from := len(h.rt.HistoryOf())
	h.rt.ExitOnStart("j-migrate-migrate", 0)
	h.applyChanges(st("v2"), "re-create pod migrate: the job runs again (replace migrate: command changed)")
	var got []string
	for _, e := range h.rt.HistoryOf()[from:] {
		if strings.Contains(e, "j-migrate-") && !strings.HasPrefix(e, "start") {
			got = append(got, e)
		}
		if e == "create j-migrate-infra" {
			break
		}
	}
	want := []string{"kill j-migrate-agent SIGKILL", "die j-migrate-agent 137", "stop j-migrate-agent", "kill j-migrate-infra SIGTERM", "die j-migrate-infra 0", "stop j-migrate-infra"}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("the engine saw\n%q, want it to begin with\n%q", got, want)
	}
	h.until("migrate completed again", 100*time.Millisecond, func() bool { return h.podPhase("migrate") == orchestrator.PhaseCompleted })
	h.shutdownLeavesNothing()
}
