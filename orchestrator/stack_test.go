package orchestrator_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

func TestLeftoversRemovedFirst(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	ctx := context.Background()
	// What a SIGKILLed `up` of the same stack left behind, and something of another stack.
	labels := orchestrator.StackFilter("s")
	h.rt.AddImage("old:1")
	if _, err := h.rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "s-app", Image: "old:1", Labels: labels}); err != nil {
		t.Fatal(err)
	}
	if err := h.rt.CreateVolume(ctx, "s-old", labels); err != nil {
		t.Fatal(err)
	}
	if _, err := h.rt.CreateNetwork(ctx, "s-net", labels); err != nil {
		t.Fatal(err)
	}
	if _, err := h.rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "other-app", Image: "old:1", Labels: orchestrator.StackFilter("other")}); err != nil {
		t.Fatal(err)
	}
	h.startRunning("s-app", "s-side")
	var left *orchestrator.LeftoversEvent
	h.until("the leftovers event", 0, func() bool {
		for _, e := range h.all() {
			if l, ok := e.(orchestrator.LeftoversEvent); ok {
				left = &l
			}
		}
		return left != nil
	})
	if left == nil || !slices.Equal(left.Containers, []string{"s-app"}) || !slices.Equal(left.Volumes, []string{"s-old"}) || !slices.Equal(left.Networks, []string{"s-net"}) {
		t.Fatalf("leftovers event %+v", left)
	}
	hist := h.rt.HistoryOf()
	before(t, hist, "destroy s-app", "create s-infra")
	if _, ok := h.rt.Container("other-app"); !ok {
		t.Error("another stack's container was removed")
	}
	h.o.Shutdown()
	h.finish(time.Second)
	if got := h.rt.Containers(); !slices.Equal(got, []string{"other-app"}) || len(h.rt.Volumes())+len(h.rt.Networks()) > 0 {
		t.Errorf("left: %v %v %v", got, h.rt.Volumes(), h.rt.Networks())
	}
}

// multi is db ← api ← web, and worker on its own; db's main has a ready probe.
func multi() *recipes.Stack {
	return stack("m",
		pod("db", ctr("postgres", readyProbe)),
		pod("worker", ctr("worker")),
		pod("api", ctr("api"), sidecars(ctr("envoy")), dependsOn("db")),
		pod("web", ctr("web"), dependsOn("api")),
	)
}

func TestMultiPodDependsOnOrder(t *testing.T) {
	h := newHarness(t, multi(), orchestrator.Options{})
	h.rt.SetProbe("m-db-postgres", errors.New("not yet"))
	h.start()
	// db and worker start at once; api waits for db's main to be ready.
	h.until("db and worker running", 0, h.running("m-db-postgres", "m-worker-worker"))
	h.clock.Step(5 * time.Second)
	if _, ok := h.rt.Container("m-api-infra"); ok {
		t.Fatal("api was created before db's main was ready")
	}
	if got := h.podPhase("api"); got != orchestrator.PhasePending {
		t.Errorf("api phase %s, want pending", got)
	}
	h.rt.SetProbe("m-db-postgres", nil)
	h.until("everything running", time.Second, h.running("m-api-api", "m-api-envoy", "m-web-web"))
	h.until("stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	if got := h.rt.Networks(); !slices.Equal(got, []string{"m-net"}) {
		t.Errorf("networks %v, want m-net", got)
	}
	infra, _ := h.rt.Container("m-api-infra")
	if infra.Spec.Network != "m-net" || !slices.Equal(infra.Spec.Aliases, []string{"api"}) || infra.Spec.Hostname != "api" {
		t.Errorf("api infra network %q aliases %v hostname %q", infra.Spec.Network, infra.Spec.Aliases, infra.Spec.Hostname)
	}
	hist := h.rt.HistoryOf()
	before(t, hist, "start m-worker-worker", "start m-api-infra") // independent pods do not wait
	before(t, hist, "start m-db-postgres", "create m-api-infra")
	before(t, hist, "start m-api-api", "create m-web-infra")

	// The first main to end ends the stack; teardown in reverse dependency order.
	if err := h.rt.Exit("m-worker-worker", 4); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 4 || res.Pod != "worker" {
		t.Fatalf("Run = %+v, %v; want worker's 4", res, err)
	}
	hist = h.rt.HistoryOf()
	before(t, hist, "destroy m-web-infra", "kill m-api-api SIGTERM")
	before(t, hist, "destroy m-api-infra", "kill m-db-postgres SIGTERM")
	h.leftNothing()
}

func TestSelectedPodsAndTheirDependencies(t *testing.T) {
	h := newHarness(t, multi(), orchestrator.Options{Pods: []string{"api"}})
	h.start()
	h.until("api running", time.Second, h.running("m-db-postgres", "m-api-api"))
	for _, n := range h.rt.Containers() {
		if strings.HasPrefix(n, "m-web") || strings.HasPrefix(n, "m-worker") {
			t.Errorf("%s runs, but only api and db were selected", n)
		}
	}
	if snap := h.o.Snapshot(); len(snap.Pods) != 2 {
		t.Errorf("snapshot pods %+v", snap.Pods)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()

	bad := newHarness(t, multi(), orchestrator.Options{Pods: []string{"nope"}})
	res, err := bad.o.Run(context.Background())
	close(bad.done)
	if !errors.Is(err, orchestrator.ErrUnknownPod) || res.ExitCode != orchestrator.ExitUsage || !strings.Contains(err.Error(), "db, worker, api, web") {
		t.Errorf("Run = %+v, %v", res, err)
	}
}

func TestRelistRecoversMissedDie(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	h.until("subscribed", 0, func() bool { return h.rt.CallCount("Events") == 1 })
	h.rt.DropEvents()
	if err := h.rt.Exit("s-side", 1); err != nil { // happens while no one listens, not replayed
		t.Fatal(err)
	}
	h.until("warning about the stream", 0, func() bool {
		for _, m := range h.messages() {
			if strings.Contains(m.Text, "event stream") {
				return true
			}
		}
		return false
	})
	h.rt.ResumeEvents()
	h.until("side restarted after the relist, and subscribed again", 500*time.Millisecond, func() bool {
		c, _ := h.rt.Container("s-side")
		return c.Starts == 2 && h.state("s", "side") == orchestrator.CStateRunning && h.rt.Subscribers() == 1 && relistedSinceSubscribed(h)
	})
	// Events work again after the reconnection: a later crash is seen without a relist.
	calls := h.rt.CallCount("ListContainers")
	if err := h.rt.Exit("s-side", 1); err != nil {
		t.Fatal(err)
	}
	h.until("side restarted again", 500*time.Millisecond, func() bool { c, _ := h.rt.Container("s-side"); return c.Starts == 3 })
	if got := h.rt.CallCount("ListContainers"); got != calls {
		t.Errorf("relisted again (%d → %d) though the stream was back", calls, got)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

// relistedSinceSubscribed: the last event subscription was followed by a relist.
func relistedSinceSubscribed(h *harness) bool {
	lastEvents, lastList := -1, -1
	for i, c := range h.rt.Calls() {
		switch c.Method {
		case "Events":
			lastEvents = i
		case "ListContainers":
			lastList = i
		}
	}
	return lastList > lastEvents
}

func TestImages(t *testing.T) {
	s := stack("i",
		pod("a", ctr("app", func(c *recipes.Container) { c.Image, c.Build = "i/app:dev", &recipes.Build{Context: "./app"} }),
			sidecars(ctr("pulled", func(c *recipes.Container) { c.Image = "registry/pulled:1" }))),
		pod("b", ctr("app", func(c *recipes.Container) { c.Image, c.Build = "i/app:dev", &recipes.Build{Context: "./app"} })),
	)
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.RemoveImages("registry/pulled:1")
	h.rt.AllowPull("registry/pulled:1")
	h.start()
	h.until("running", time.Second, h.running("i-a-app", "i-a-pulled", "i-b-app"))
	if n := h.rt.Builds("i/app:dev"); n != 1 {
		t.Errorf("i/app:dev built %d times, want once", n)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	var actions []string
	for _, e := range h.all() {
		if im, ok := e.(orchestrator.ImageEvent); ok && im.Done {
			actions = append(actions, im.Action.String()+" "+im.Ref)
		}
	}
	slices.Sort(actions)
	want := []string{"build i/app:dev", "infra sidecar-infra:fake", "pull registry/pulled:1"}
	if !slices.Equal(actions, want) {
		t.Errorf("image events %v, want %v", actions, want)
	}
	h.leftNothing()
}

func TestMissingImageFailsAndLeavesNothing(t *testing.T) {
	s := stack("x", pod("x", ctr("app", func(c *recipes.Container) { c.Image = "nowhere/app:1" }), sidecars(ctr("side", func(c *recipes.Container) { c.Image = "nowhere/side:1" }))))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.RemoveImages("nowhere/app:1", "nowhere/side:1")
	h.start()
	res, err := h.finish(0)
	if !errors.Is(err, orchestrator.ErrImageUnavailable) || res.ExitCode != 1 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	for _, ref := range []string{"nowhere/app:1", "nowhere/side:1"} {
		if !strings.Contains(err.Error(), ref) {
			t.Errorf("error does not name %s: %v", ref, err)
		}
	}
	h.leftNothing()
	if got := h.o.Snapshot().Phase; got != orchestrator.PhaseFailed {
		t.Errorf("stack phase %s", got)
	}
}

func TestFailedStartLeavesNothing(t *testing.T) {
	h := newHarness(t, shop(), orchestrator.Options{})
	h.rt.ExitOnStart("shop-migrate", 0)
	h.rt.Fail("StartContainer", "shop-shipper", errors.New("exec format error"))
	h.start()
	res, err := h.finish(time.Second)
	if err == nil || res.ExitCode != 1 || res.Container != "shipper" || !strings.Contains(err.Error(), "exec format error") {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h.leftNothing()

	h2 := newHarness(t, shop(), orchestrator.Options{})
	h2.rt.Fail("CreateContainer", "shop-web", orchestrator.ErrConflict)
	h2.start()
	res, err = h2.finish(time.Second)
	if !errors.Is(err, orchestrator.ErrConflict) || res.ExitCode != 1 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h2.leftNothing()
}

func TestShutdownBeforeAnythingStarted(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.o.Interrupt()
	h.start()
	res, err := h.finish(0)
	if err != nil || res.ExitCode != 130 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
	if _, err := h.o.Run(context.Background()); !errors.Is(err, orchestrator.ErrAlreadyRun) {
		t.Errorf("second Run: %v", err)
	}
}

func TestCancelledContextKills(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.rt.IgnoreSIGTERM("s-app")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(h.done)
		h.res, h.err = h.o.Run(ctx)
	}()
	h.until("pod running", 0, h.running("s-app", "s-side"))
	cancel()
	res, err := h.finish(0)
	if err != nil || res.ExitCode != 130 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
}

func TestPortInUseFailsTheRun(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.rt.Fail("StartContainer", "s-infra", orchestrator.ErrPortInUse)
	h.start()
	res, err := h.finish(0)
	if !errors.Is(err, orchestrator.ErrPortInUse) || res.ExitCode != 1 || res.Container != "infra" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	h.leftNothing()
}

func TestOOMKilledSidecar(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	if err := h.rt.OOM("s-side"); err != nil {
		t.Fatal(err)
	}
	h.until("side in back-off", 0, h.stateIs("s", "side", orchestrator.CStateBackoff))
	if v := h.view("s", "side"); !v.OOMKilled || v.Reason != "OOM-killed (exit code 137)" || v.RestartIn.D() != time.Second {
		t.Errorf("side view %+v", v)
	}
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

// The recipe label holds the recipe's absolute path, whatever path the stack was loaded
// with (`cd / && sidecar up -f tmp/x/sidecar.yaml`), and the caller's stack is not changed.
func TestRecipeLabelIsAbsolute(t *testing.T) {
	s := simple()
	s.Source.File = filepath.Join("tmp", "x", "sidecar.yaml")
	want, err := filepath.Abs(s.Source.File)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s, orchestrator.Options{})
	h.startRunning("s-app", "s-side")
	for _, name := range []string{"s-infra", "s-app", "s-side"} {
		c, _ := h.rt.Container(name)
		if l, _ := orchestrator.DecodeLabels(c.Info.Labels); l.Recipe != want {
			got := l.Recipe
			t.Errorf("%s: recipe label %q, want %q", name, got, want)
		}
	}
	if s.Source.File != filepath.Join("tmp", "x", "sidecar.yaml") {
		t.Errorf("the caller's stack was changed: %q", s.Source.File)
	}
	h.o.Shutdown()
	if _, err := h.finish(time.Second); err != nil {
		t.Fatal(err)
	}
	h.leftNothing()
}

// An image HEALTHCHECK's verdict, as the engine reports it, is the health of a container
// without a ready probe of its own; it gates and restarts nothing, a ready probe wins over
// it, and a relist after a reconnection recovers a verdict sent while the stream was down.
func TestImageHealthcheckIsShownNotActedOn(t *testing.T) {
	s := stack("h", pod("h", ctr("app", readyProbe), sidecars(ctr("side"), ctr("next"))))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.Healthcheck("h-side")
	h.rt.Healthcheck("h-app")
	h.start()
	// side has no verdict yet ("starting"), and still gates nothing: next and app start.
	h.until("pod running", 0, h.running("h-side", "h-next", "h-app"))
	h.until("app ready", 0, func() bool { return h.view("h", "app").Health == orchestrator.HealthReady })
	health := func(name string) orchestrator.Health { return h.view("h", name).Health }
	if got := health("side"); got != orchestrator.HealthStarting {
		t.Errorf("side health %s, want starting", got)
	}
	if got := health("next"); got != orchestrator.HealthNone {
		t.Errorf("next (no HEALTHCHECK) health %s, want none", got)
	}
	if err := h.rt.SetHealth("h-side", orchestrator.EngineHealthHealthy); err != nil {
		t.Fatal(err)
	}
	h.until("side healthy", 0, func() bool { return health("side") == orchestrator.HealthHealthy })

	// Unhealthy: shown, nothing restarted; app's own ready probe wins over its HEALTHCHECK.
	if err := h.rt.SetHealth("h-app", orchestrator.EngineHealthUnhealthy); err != nil {
		t.Fatal(err)
	}
	h.until("subscribed", 0, func() bool { return h.rt.CallCount("Events") == 1 })
	h.rt.DropEvents()
	if err := h.rt.SetHealth("h-side", orchestrator.EngineHealthUnhealthy); err != nil { // not replayed
		t.Fatal(err)
	}
	h.rt.ResumeEvents()
	h.until("side unhealthy after the relist", 500*time.Millisecond, func() bool {
		return health("side") == orchestrator.HealthUnhealthy && relistedSinceSubscribed(h)
	})
	if got := health("app"); got != orchestrator.HealthReady {
		t.Errorf("app health %s, want its ready probe's verdict, ready", got)
	}
	h.clock.Step(time.Minute)
	for _, name := range []string{"h-side", "h-app"} {
		if c, _ := h.rt.Container(name); c.Starts != 1 {
			t.Errorf("%s started %d times: an unhealthy HEALTHCHECK must not restart it", name, c.Starts)
		}
	}
	if p := h.podPhase("h"); p != orchestrator.PhaseRunning {
		t.Errorf("pod phase %s, want running", p)
	}

	// A restart is a new run: no verdict until the engine gives one.
	if err := h.rt.Exit("h-side", 1); err != nil {
		t.Fatal(err)
	}
	h.until("side restarted", time.Second, func() bool { c, _ := h.rt.Container("h-side"); return c.Starts == 2 })
	h.until("side running again, no verdict yet", 0, func() bool {
		v := h.view("h", "side")
		return v.State == orchestrator.CStateRunning && v.Health == orchestrator.HealthStarting
	})
	h.o.Shutdown()
	h.finish(time.Second)
	h.leftNothing()
}

// A stack volume is created before any pod, shared by the pods that mount it (one engine
// volume, <stack>-<volume>), and removed after the last pod is gone.
func TestStackVolumeSharedByPods(t *testing.T) {
	s := stack("v",
		pod("seed", ctr("seed", mount("data", "/data", ""))),
		pod("app", ctr("app", mount("data", "/srv/data", ""), mount("tmp", "/tmp", "")), volumes(&recipes.Volume{Name: "tmp"})),
	)
	s.Volumes = []*recipes.Volume{{Name: "data", Medium: recipes.MediumMemory, SizeLimit: 64 << 20}, {Name: "unused"}}
	s.Pods[0].Job = true
	h := newHarness(t, s, orchestrator.Options{})
	h.start()
	h.until("both pods running", time.Second, h.running("v-seed-seed", "v-app-app"))
	if got := h.rt.Volumes(); !slices.Equal(got, []string{"v-app-tmp", "v-data"}) {
		t.Errorf("volumes %v, want v-app-tmp and the stack's v-data (not the unused one)", got)
	}
	if infra, _ := h.rt.Container("v-seed-infra"); infra.Spec.Labels["dev.sidecar.job"] != "true" {
		t.Errorf("the job pod's infra container has no job label: %v", infra.Spec.Labels)
	}
	if size, ok := h.rt.MemoryVolume("v-data"); !ok || size != 64<<20 {
		t.Errorf("v-data is not a 64Mi tmpfs: %d %v", size, ok)
	}
	for _, name := range []string{"v-seed-seed", "v-app-app"} {
		c, _ := h.rt.Container(name)
		if !slices.ContainsFunc(c.Spec.Mounts, func(m orchestrator.MountSpec) bool { return m.Source == "v-data" }) {
			t.Errorf("%s does not mount v-data: %+v", name, c.Spec.Mounts)
		}
	}
	h.o.Shutdown()
	h.finish(time.Second)
	var calls []string
	for _, c := range h.rt.Calls() {
		calls = append(calls, c.Method+" "+c.Target)
	}
	before(t, calls, "CreateVolume v-data", "CreateContainer v-seed-infra")
	before(t, calls, "RemoveContainer v-app-infra", "RemoveVolume v-data")
	h.leftNothing()
}

// A pod's aliases are its names on the stack network besides its own: a lone pod with
// aliases gets the network, and an alias that another pod has is the first pod's only.
func TestPodAliasesOnTheStackNetwork(t *testing.T) {
	for _, tc := range []struct {
		name string
		pods []*recipes.Pod
		want map[string][]string // infra container → its aliases
	}{
		{name: "lone pod", pods: []*recipes.Pod{pod("db", ctr("db"), func(p *recipes.Pod) {
			p.Aliases = []string{"plausible_db", "db", "Plausible_DB", "db.example.com"}
		})}, want: map[string][]string{"a-db-infra": {"db", "plausible_db", "db.example.com"}}},
		{name: "clashes", pods: []*recipes.Pod{
			pod("db", ctr("db"), func(p *recipes.Pod) { p.Aliases = []string{"database"} }),
			pod("app", ctr("app"), func(p *recipes.Pod) { p.Aliases = []string{"database", "db", "www"} }),
		}, want: map[string][]string{"a-db-infra": {"db", "database"}, "a-app-infra": {"app", "www"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, stack("a", tc.pods...), orchestrator.Options{})
			h.start()
			var mains []string
			for _, p := range tc.pods {
				mains = append(mains, "a-"+p.Name+"-"+p.Main.Name)
			}
			h.until("mains running", 0, h.running(mains...))
			if !slices.Equal(h.rt.Networks(), []string{"a-net"}) {
				t.Errorf("networks %v, want the stack network", h.rt.Networks())
			}
			for infra, want := range tc.want {
				c, _ := h.rt.Container(infra)
				if !slices.Equal(c.Spec.Aliases, want) || c.Spec.Network != "a-net" {
					t.Errorf("%s: aliases %q on %q, want %q on a-net", infra, c.Spec.Aliases, c.Spec.Network, want)
				}
			}
			h.o.Shutdown()
			h.finish(time.Second)
			h.leftNothing()
		})
	}
}

// heldAttach is the fake engine with a log attach (as the Docker adapter has) that, for one
// container, waits until the test lets it go: the round trip between a start's planning and
// the start call, widened.
type heldAttach struct {
	*fake.Runtime
	name    string        // the engine name of the container whose attach is held
	entered chan struct{} // closed once that attach waits
	release chan struct{}
	once    sync.Once
}

func (e *heldAttach) AttachLogs(ctx context.Context, id string) (orchestrator.LogStream, error) {
	if c, ok := e.Runtime.Container(e.name); ok && c.Info.ID == id {
		e.once.Do(func() { close(e.entered) })
		select {
		case <-e.release:
		case <-ctx.Done():
		}
	}
	return nil, errors.New("no attach: the reader follows the engine's log")
}

// A pod whose main's start was planned when another pod ended the stack, and reached the
// engine only after that pod's teardown was asked, is not started: its main is removed as
// created, without a stop (and so without a wait for its grace).
func TestNothingStartsOnceTheStackStops(t *testing.T) {
	st := stack("t", pod("bad", ctr("bad")), pod("graf", ctr("graf")))
	var eng *heldAttach
	h := newHarnessOn(t, st, orchestrator.Options{}, func(rt *fake.Runtime) orchestrator.Runtime {
		eng = &heldAttach{Runtime: rt, name: "t-graf-graf", entered: make(chan struct{}), release: make(chan struct{})}
		return eng
	})
	h.start()
	h.until("graf's main about to start, bad running", 0, func() bool {
		select {
		case <-eng.entered:
			return h.running("t-bad-bad")()
		default:
			return false
		}
	})
	if err := h.rt.Exit("t-bad-bad", 1); err != nil {
		t.Fatal(err)
	}
	h.until("graf stopping", 0, func() bool { return h.podPhase("graf") == orchestrator.PhaseStopping })
	close(eng.release)
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 1 || res.Pod != "bad" {
		t.Fatalf("Run = %+v, %v; want bad's exit 1", res, err)
	}
	hist := h.rt.HistoryOf()
	if index(hist, "start t-graf-graf") >= 0 {
		t.Errorf("graf's main was started after the teardown was asked: %v", hist)
	}
	if index(hist, "destroy t-graf-graf") < 0 {
		t.Errorf("graf's main was not removed: %v", hist)
	}
	for _, c := range h.rt.Calls() {
		if c.Method == "StopContainer" && c.Target == "t-graf-graf" {
			t.Errorf("graf's main, never started, was stopped")
		}
	}
	for _, e := range h.containerEvents("graf", "graf") {
		if e.State == orchestrator.CStateRunning {
			t.Errorf("graf's main shown running: %+v", e.ContainerView)
		}
	}
	h.leftNothing()
}

// A pod that waits for another pod's main to be ready is not silent: every BlockedNoteEvery
// a warning about the awaited main says who waits, for how long and what its probe last
// said; the waiting pod's view says what it waits for.
func TestPodWaitIsToldRepeatedly(t *testing.T) {
	st := stack("m", pod("db", ctr("postgres", slowProbe)), pod("api", ctr("api"), dependsOn("db")))
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("m-db-postgres", errors.New("exec probe failed: exit code 2: no response"))
	h.start()
	h.until("db running", 0, h.running("m-db-postgres"))
	h.toldTwice("waits for pod db", "pod api waits for pod db to be ready: %s so far; last probe: exec probe failed: exit code 2: no response",
		func(m orchestrator.MessageEvent) bool {
			return m.Pod == "db" && m.Container == "postgres" && strings.Contains(m.Hint, "`ready:` probe of postgres")
		})
	snap := h.o.Snapshot()
	if p := snap.Pod("api"); p.Phase != orchestrator.PhasePending || p.Reason != "waiting for pod db to be ready" || !slices.Equal(p.WaitsFor, []string{"db"}) {
		t.Errorf("api's view: %s %q %v", p.Phase, p.Reason, p.WaitsFor)
	}
	h.rt.SetProbe("m-db-postgres", nil)
	h.until("api running", time.Second, h.running("m-api-api"))
	snap = h.o.Snapshot()
	if p := snap.Pod("api"); p.WaitsFor != nil {
		t.Errorf("api's view still waits for %v", p.WaitsFor)
	}
	h.shutdownLeavesNothing()
}

// A pod that waits for another's main to start (condition started) is told so: "to start",
// not "to be ready", and while that main has not started, the note says so.
func TestPodWaitForAStartIsToldSo(t *testing.T) {
	st := stack("m", pod("db", ctr("postgres"), sidecars(ctr("proxy", readyProbe))),
		pod("api", ctr("api"), dependsOnWhen("db", recipes.DepStarted)))
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("m-db-proxy", errors.New("tcp probe failed: connection refused"))
	h.start()
	h.until("proxy running", 0, h.running("m-db-proxy"))
	h.until("a note", time.Second, func() bool { return strings.Contains(h.describe(), "pod api waits for pod db to start") })
	snap := h.o.Snapshot()
	if p := snap.Pod("api"); p.Reason != "waiting for pod db to start" {
		t.Errorf("api's view: %s %q", p.Phase, p.Reason)
	}
	h.rt.SetProbe("m-db-proxy", nil)
	h.until("api running", time.Second, h.running("m-api-api"))
	h.shutdownLeavesNothing()
}
