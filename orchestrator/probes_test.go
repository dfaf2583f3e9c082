package orchestrator_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// probeCalls counts the probe attempts of one container by port, and answers each with
// what results[port] holds (nil passes).
type probeCalls struct {
	mu      sync.Mutex
	calls   map[int]int
	results map[int]error
}

func newProbeCalls() *probeCalls { return &probeCalls{calls: map[int]int{}, results: map[int]error{}} }

func (p *probeCalls) probe(pr recipes.Probe) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[pr.TCP.Port]++
	return p.results[pr.TCP.Port]
}

func (p *probeCalls) set(port int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.results[port] = err
}

func (p *probeCalls) count(port int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[port]
}

func startupProbe(port, retries int) copt {
	return func(c *recipes.Container) {
		c.Startup = &recipes.Probe{TCP: &recipes.TCPProbe{Port: port}, Period: recipes.Duration(time.Second),
			Timeout: recipes.Duration(time.Second), Retries: retries}
	}
}

// While a sidecar's startup probe has not passed, its ready and live probes do not run and
// the containers after it wait; once it passes, they run (and the startup probe no more),
// and readiness gates as usual.
func TestStartupProbeGatesTheOtherProbes(t *testing.T) {
	st := stack("p", pod("p", ctr("app"), sidecars(ctr("side", startupProbe(9000, 30), readyProbe, liveProbe))))
	h := newHarness(t, st, orchestrator.Options{})
	probes := newProbeCalls()
	probes.set(9000, errors.New("connection refused"))
	h.rt.SetProbeFunc("p-side", probes.probe)
	h.start()
	h.until("startup probed a few times", time.Second, func() bool { return probes.count(9000) >= 5 })
	if n, m := probes.count(8080), probes.count(8081); n+m > 0 {
		t.Errorf("ready probed %d and live %d times before the startup probe passed", n, m)
	}
	if h.rt.Running()[len(h.rt.Running())-1] == "p-app" || h.state("p", "app") != orchestrator.CStateCreated {
		t.Fatalf("main started before the sidecar's startup probe passed: %v", h.rt.Running())
	}
	if v := h.view("p", "side"); v.Health != orchestrator.HealthUnknown || v.Reason != "startup probe not passed: connection refused" {
		t.Errorf("side's view: %s %q", v.Health, v.Reason)
	}

	probes.set(9000, nil)
	h.until("main running once side is started and ready", time.Second, h.running("p-app"))
	startups := probes.count(9000)
	h.until("ready and live probes running", time.Second, func() bool { return probes.count(8080) >= 3 && probes.count(8081) >= 3 })
	if got := probes.count(9000); got != startups {
		t.Errorf("the startup probe ran %d more times after it passed", got-startups)
	}
	// Its passing is said once, with how long it probed, before main's start.
	evs := eventsOf[orchestrator.ProbeEvent](h)
	if len(evs) != 1 || evs[0].Container != "side" || evs[0].Probe != orchestrator.ProbeStartup || evs[0].Duration.D() < 4*time.Second {
		t.Errorf("probe events %+v, want side's startup probe passed after 4s or more", evs)
	}
	for _, e := range h.all() {
		if c, ok := e.(orchestrator.ContainerEvent); ok && c.Name == "app" && c.State == orchestrator.CStateRunning {
			if len(evs) == 1 && c.Seq < evs[0].Seq {
				t.Errorf("app started (seq %d) before side's startup probe passed (seq %d)", c.Seq, evs[0].Seq)
			}
			break
		}
	}
	h.shutdownLeavesNothing()
}

// A startup probe that fails its retries (after its start period) kills the container, which
// is restarted with back-off, each run with a new startup probe, as the kubelet does; main
// waits all along.
func TestStartupProbeFailureRestartsWithBackoff(t *testing.T) {
	st := stack("p", pod("p", ctr("app"), sidecars(ctr("side", startupProbe(9000, 3)))))
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("p-side", errors.New("connection refused"))
	h.start()
	h.until("side restarted twice", time.Second, func() bool { c, _ := h.rt.Container("p-side"); return c.Starts >= 3 })
	hist := strings.Join(h.rt.HistoryOf("p-side"), ", ")
	if !strings.Contains(hist, "kill p-side SIGTERM") {
		t.Errorf("side was not stopped: %s", hist)
	}
	var backoffs []string
	for _, e := range h.containerEvents("p", "side") {
		if e.State == orchestrator.CStateBackoff {
			backoffs = append(backoffs, e.RestartIn.String())
		}
	}
	if len(backoffs) < 2 || backoffs[0] != "1s" || backoffs[1] != "2s" {
		t.Errorf("back-offs %v, want 1s then 2s", backoffs)
	}
	if !h.hasMessage("side failed its startup probe: connection refused: it is restarted")() {
		t.Errorf("no startup failure message:\n%s", h.describe())
	}
	if _, started := h.rt.Container("p-app"); started && h.state("p", "app") != orchestrator.CStateCreated {
		t.Errorf("main started though the sidecar never started: %s", h.state("p", "app"))
	}
	h.shutdownLeavesNothing()
}

// toldTwice waits until the views have told what twice, and checks the first two notes
// that say it: format with the time waited so far (15s, then 30s), each one a warning
// that is as ok says.
func (h *harness) toldTwice(what, format string, ok func(orchestrator.MessageEvent) bool) {
	h.t.Helper()
	h.until("two notes", time.Second, func() bool { return strings.Count(h.describe(), what) >= 2 })
	var notes []string
	for _, m := range h.messages() {
		if strings.Contains(m.Text, what) {
			notes = append(notes, m.Text)
			if m.Level != orchestrator.LevelWarning || !ok(m) {
				h.t.Errorf("note %+v", m)
			}
		}
	}
	for i, so := range []string{"15s", "30s"} {
		if w := fmt.Sprintf(format, so); i >= len(notes) || notes[i] != w {
			h.t.Errorf("note %d: %q, want %q", i, notes, w)
		}
	}
}

// A sidecar whose readiness never passes: the views are told every BlockedNoteEvery who waits
// for it, for how long, and what its probe last said; main's and the sidecar's views say so
// too (what the TUI header shows).
func TestReadinessWaitIsToldRepeatedly(t *testing.T) {
	st := stack("p", pod("p", ctr("app"), sidecars(ctr("side", readyProbe), ctr("agent"))))
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("p-side", errors.New("http probe failed: 503 Service Unavailable"))
	h.start()
	h.until("side running", 0, h.running("p-side"))
	h.toldTwice("to be ready: ", "sidecar agent and main app wait for sidecar side to be ready: %s so far; last probe: http probe failed: 503 Service Unavailable",
		func(m orchestrator.MessageEvent) bool {
			return m.Container == "side" && strings.Contains(m.Hint, "`ready:` probe of side")
		})
	if v := h.view("p", "app"); v.State != orchestrator.CStateCreated || v.Reason != "waiting for sidecar side to be ready" {
		t.Errorf("main's view: %s %q", v.State, v.Reason)
	}
	if v := h.view("p", "side"); v.Health != orchestrator.HealthNotReady || v.Reason != "not ready: http probe failed: 503 Service Unavailable" {
		t.Errorf("side's view: %s %q", v.Health, v.Reason)
	}
	h.rt.SetProbe("p-side", nil)
	h.until("main running", time.Second, h.running("p-app"))
	if v := h.view("p", "side"); v.Reason != "" {
		t.Errorf("side's view still says %q once ready", v.Reason)
	}
	h.shutdownLeavesNothing()
}

func gateStarted(c *recipes.Container) { c.Gate = recipes.GateStarted }

// A sidecar whose gate is started (a Kubernetes container's, whose readinessProbe the
// kubelet never waits on) and whose readiness never passes (it checks main, say) does not
// hold main back: main starts once it runs, nothing is told about a wait, and the sidecar's
// view says it is not ready.
func TestStartedGateDoesNotWaitForReadiness(t *testing.T) {
	st := stack("p", pod("p", ctr("app"), sidecars(ctr("side", readyProbe, gateStarted))))
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("p-side", errors.New("http probe failed: connection refused"))
	h.start()
	h.until("main running", time.Second, h.running("p-app"))
	h.until("side known not ready", time.Second, func() bool { return h.view("p", "side").Health == orchestrator.HealthNotReady })
	h.clock.Step(time.Minute)
	if strings.Contains(h.describe(), "to be ready") {
		t.Errorf("a wait for side's readiness was told:\n%s", h.describe())
	}
	if v := h.view("p", "side"); v.Reason != "not ready: http probe failed: connection refused" {
		t.Errorf("side's view: %s %q", v.Health, v.Reason)
	}
	h.shutdownLeavesNothing()
}

// A wait told for a stack from a Kubernetes manifest names the probe as the manifest does.
func TestBlockedHintNamesTheManifestsProbe(t *testing.T) {
	st := stack("p", pod("p", ctr("app"), sidecars(ctr("side", startupProbe(9000, 1000), gateStarted))))
	st.Source = recipes.Source{File: "/home/dev/p/k8s.yaml", Kind: recipes.SourceKube}
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("p-side", errors.New("connection refused"))
	h.start()
	h.until("side running", 0, h.running("p-side"))
	h.until("the wait is told", time.Second, func() bool { return strings.Contains(h.describe(), "to pass its startup probe: ") })
	for _, m := range h.messages() {
		if strings.Contains(m.Text, "startup probe") && !strings.Contains(m.Hint, "the check is the startupProbe of side in the manifest") {
			t.Errorf("hint %q does not name the manifest's startupProbe", m.Hint)
		}
	}
	h.shutdownLeavesNothing()
}

func imageProbe(c *recipes.Container) { c.Ready = &recipes.Probe{Image: true} }

// A ready probe that is the image's HEALTHCHECK (compose's service_healthy on a service
// without a healthcheck) gates as any ready probe, from the engine's health verdicts: main
// and the pods that depend on this one wait for "healthy"; "unhealthy" makes it not ready
// and restarts nothing. Nothing runs a probe of its own for it.
func TestImageHealthcheckGatesAsAReadyProbe(t *testing.T) {
	st := stack("g",
		pod("vpn", ctr("app", imageProbe), sidecars(ctr("gluetun", imageProbe))),
		pod("web", ctr("web"), dependsOn("vpn")))
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.Healthcheck("g-vpn-gluetun")
	h.rt.Healthcheck("g-vpn-app")
	h.start()
	h.until("gluetun running", 0, h.running("g-vpn-gluetun"))
	h.until("the waits are told", time.Second, func() bool {
		d := h.describe()
		return strings.Contains(d, "sidecar gluetun to be ready: ") && strings.Contains(d, "pod web waits for pod vpn")
	})
	for _, m := range h.messages() {
		if strings.Contains(m.Text, "for sidecar gluetun to be ready") {
			if want := "main app waits for sidecar gluetun to be ready: 15s so far; last probe: its image's HEALTHCHECK has no verdict yet"; m.Text != want {
				t.Errorf("note %q, want %q", m.Text, want)
			}
			if !strings.Contains(m.Hint, "HEALTHCHECK of gluetun's image") {
				t.Errorf("hint %q does not say where the check is", m.Hint)
			}
		}
	}
	// web's wait for vpn is told too, about vpn's main, which has not started.
	found := false
	for _, m := range h.messages() {
		if strings.HasPrefix(m.Text, "pod web waits for pod vpn") {
			found = true
			if want := "pod web waits for pod vpn to be ready: 15s so far; its main app has not started yet"; m.Text != want || m.Pod != "vpn" || m.Container != "app" {
				t.Errorf("note %+v, want %q about vpn/app", m, want)
			}
		}
	}
	if !found {
		t.Errorf("web's wait for vpn was not told:\n%s", h.describe())
	}
	if v := h.view("vpn", "app"); v.State != orchestrator.CStateCreated || v.Reason != "waiting for sidecar gluetun to be ready" {
		t.Errorf("main's view while gluetun has no verdict: %s %q", v.State, v.Reason)
	}
	if v := h.view("vpn", "gluetun"); v.Health != orchestrator.HealthUnknown {
		t.Errorf("gluetun's health %s before a verdict, want unknown (a ready probe not passed yet)", v.Health)
	}
	if err := h.rt.SetHealth("g-vpn-gluetun", orchestrator.EngineHealthHealthy); err != nil {
		t.Fatal(err)
	}
	h.until("main running", 0, h.running("g-vpn-app"))
	if v := h.view("vpn", "gluetun"); v.Health != orchestrator.HealthReady {
		t.Errorf("gluetun's health %s once healthy, want ready", v.Health)
	}
	// The dependent pod waits for main's HEALTHCHECK in turn.
	h.clock.Step(time.Minute)
	if got := h.state("web", "web"); got == orchestrator.CStateRunning {
		t.Fatalf("web started before vpn's main was healthy")
	}
	if err := h.rt.SetHealth("g-vpn-app", orchestrator.EngineHealthHealthy); err != nil {
		t.Fatal(err)
	}
	h.until("web running", 0, h.running("g-web-web"))

	if err := h.rt.SetHealth("g-vpn-gluetun", orchestrator.EngineHealthUnhealthy); err != nil {
		t.Fatal(err)
	}
	h.until("gluetun not ready", 0, func() bool { return h.view("vpn", "gluetun").Health == orchestrator.HealthNotReady })
	h.clock.Step(time.Minute)
	if c, _ := h.rt.Container("g-vpn-gluetun"); c.Starts != 1 {
		t.Errorf("gluetun started %d times: an unhealthy HEALTHCHECK restarts nothing", c.Starts)
	}
	if n := h.rt.CallCount("Probe"); n != 0 {
		t.Errorf("%d probe calls: the engine runs an image's HEALTHCHECK, nothing else should", n)
	}
	h.shutdownLeavesNothing()
}

// A container whose readiness is its image's HEALTHCHECK, when the image has none, fails the
// pod at once with a message that names it and the fix — not a wait for ever.
func TestImageProbeWithoutHealthcheckFails(t *testing.T) {
	st := stack("g", pod("vpn", ctr("app"), sidecars(ctr("gluetun", imageProbe))))
	h := newHarness(t, st, orchestrator.Options{})
	h.start()
	res, err := h.finish(time.Second)
	if !errors.Is(err, orchestrator.ErrNoHealthcheck) || res.ExitCode != 1 {
		t.Fatalf("Run = %+v, %v; want exit code 1 and ErrNoHealthcheck", res, err)
	}
	for _, want := range []string{"pod vpn failed: container gluetun is to be ready when its image's HEALTHCHECK passes", "image test/gluetun:1 has no HEALTHCHECK", "give gluetun a ready probe of its own"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if c, ok := h.rt.Container("g-vpn-app"); ok && c.Starts != 0 {
		t.Errorf("main started although what it waits for can never be ready")
	}
	h.leftNothing()
}

// A pod's regular containers start as the kubelet starts them: the next one once the one
// before runs, whatever its startupProbe (only a native sidecar's holds the next). Imported
// from a manifest, warmup's startup probe that has not passed holds back neither proxy nor
// main; mesh, a native sidecar, holds warmup until its own passed.
func TestRegularContainersStartupProbeHoldsNothing(t *testing.T) {
	st, _, err := recipes.Load(recipes.File{Name: "/tmp/k/k8s.yaml", Content: []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
    - name: mesh
      image: mesh:1
      restartPolicy: Always
      startupProbe: {tcpSocket: {port: 15021}, failureThreshold: 100}
  containers:
    - name: web
      image: web:1
    - name: warmup
      image: warmup:1
      startupProbe: {tcpSocket: {port: 9000}, failureThreshold: 100}
    - name: proxy
      image: proxy:1
`)}, recipes.Options{Dir: "/tmp/k", Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("p-mesh", errors.New("connection refused"))
	h.rt.SetProbe("p-warmup", errors.New("connection refused"))
	h.start()
	h.until("mesh running", 0, h.running("p-mesh"))
	h.until("mesh's startup probe failed once", time.Second, func() bool {
		return strings.HasPrefix(h.view("p", "mesh").Reason, "startup probe not passed")
	})
	if _, ok := h.rt.Container("p-warmup"); ok && index(h.rt.HistoryOf("p-warmup"), "start p-warmup") >= 0 {
		t.Fatal("warmup started before mesh, a native sidecar, passed its startup probe")
	}
	h.rt.SetProbe("p-mesh", nil)
	h.until("main running while warmup has not passed its startup probe", time.Second, h.running("p-warmup", "p-proxy", "p-web"))
	if v := h.view("p", "warmup"); v.State != orchestrator.CStateRunning || v.Health != orchestrator.HealthUnknown {
		t.Errorf("warmup: %s %s %q, want running, its startup probe not passed", v.State, v.Health, v.Reason)
	}
	if strings.Contains(h.describe(), "waiting for sidecar warmup") {
		t.Errorf("a wait for warmup was told:\n%s", h.describe())
	}
	h.shutdownLeavesNothing()
}

// A container's probes start once its post-start hook passed, as a kubelet probes a
// container once its postStart handler completed: none runs while the hook runs, and the
// container is not ready before it passed (seen with an istio-injected manifest: ready at
// .137, its post-start hook passed at .145).
func TestProbesWaitForThePostStartHook(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  []copt
		ports []int
	}{
		{"ready and live", []copt{readyProbe, liveProbe}, []int{8080, 8081}},
		{"startup, ready and live", []copt{startupProbe(9000, 3), readyProbe, liveProbe}, []int{9000, 8080, 8081}},
		{"the image's HEALTHCHECK", []copt{imageProbe}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]copt{postStart(execHook("/wait-ready"))}, tt.opts...)
			st := stack("p", pod("p", ctr("app"), sidecars(ctr("proxy", opts...))))
			h := newHarness(t, st, orchestrator.Options{})
			probes := newProbeCalls()
			h.rt.SetProbeFunc("p-proxy", probes.probe)
			if tt.ports == nil {
				h.rt.Healthcheck("p-proxy")
			}
			release := h.holdHooks("p-proxy")
			h.start()
			h.until("proxy's post-start hook running", 0, func() bool {
				return slices.Contains(h.hookLines(), "proxy post-start running")
			})
			if tt.ports == nil { // the engine runs the check: it passes while the hook runs
				if err := h.rt.SetHealth("p-proxy", orchestrator.EngineHealthHealthy); err != nil {
					t.Fatal(err)
				}
			}
			// Ten probe periods pass on the clock while the hook runs.
			from := h.clock.Now()
			calls := func() int {
				n := 0
				for _, p := range tt.ports {
					n += probes.count(p)
				}
				return n
			}
			h.until("10s with the hook running, or a probe", time.Second, func() bool {
				return calls() > 0 || h.clock.Since(from) >= 10*time.Second
			})
			if n := calls(); n > 0 {
				t.Errorf("%d probe attempts while proxy's post-start hook ran", n)
			}
			if v := h.view("p", "proxy"); v.Health != orchestrator.HealthUnknown {
				t.Errorf("proxy's health %s while its post-start hook runs, want unknown", v.Health)
			}
			close(release)
			h.until("app running", time.Second, h.running("p-app"))
			h.until("proxy ready", time.Second, func() bool { return h.view("p", "proxy").Health == orchestrator.HealthReady })
			for _, p := range tt.ports {
				if probes.count(p) == 0 {
					t.Errorf("probe on port %d never ran", p)
				}
			}
			// Ready is said after the hook passed, never before.
			passed := false
			for _, e := range h.all() {
				switch ev := e.(type) {
				case orchestrator.HookEvent:
					passed = passed || (ev.Container == "proxy" && ev.Phase == orchestrator.HookPassed)
				case orchestrator.ContainerEvent:
					if ev.Name == "proxy" && ev.Health == orchestrator.HealthReady && !passed {
						t.Errorf("proxy ready (seq %d) before its post-start hook passed", ev.Seq)
					}
				}
			}
			h.shutdownLeavesNothing()
		})
	}
}
