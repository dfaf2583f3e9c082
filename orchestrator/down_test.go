package orchestrator_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// leave puts on the engine what a run of s leaves when `up` is SIGKILLed once every pod is
// running: infra containers, init containers exited 0, sidecars and mains running, pod
// volumes and, with several pods, the stack network. It uses the orchestrator's own specs,
// so the labels are the ones a run writes.
func leave(t *testing.T, rt *fake.Runtime, s *recipes.Stack) {
	t.Helper()
	ctx := context.Background()
	names := orchestrator.Names{Stack: s.Name}
	network := ""
	if len(s.Pods) > 1 {
		network = names.Network()
		if _, err := rt.CreateNetwork(ctx, network, orchestrator.StackLabels(s, "v1").Encode()); err != nil {
			t.Fatal(err)
		}
	}
	rt.AddImage("sidecar-infra:fake")
	for _, p := range s.Pods {
		spec := &orchestrator.PodSpec{Stack: s, Pod: p, Version: "v1", InfraImage: "sidecar-infra:fake", Network: network}
		for _, v := range spec.EngineVolumes() {
			if err := rt.CreateVolume(ctx, names.Volume(p.Name, v.Name), spec.VolumeLabels()); err != nil {
				t.Fatal(err)
			}
		}
		infra, err := rt.CreateContainer(ctx, spec.InfraSpec())
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.StartContainer(ctx, infra); err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Containers() {
			rt.AddImage(c.Image)
			id, err := rt.CreateContainer(ctx, spec.ContainerSpec(c, infra))
			if err != nil {
				t.Fatal(err)
			}
			if err := rt.StartContainer(ctx, id); err != nil {
				t.Fatal(err)
			}
			if c.Role == recipes.RoleInit {
				if err := rt.Exit(spec.EngineName(c.Name), 0); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// down runs Down, stepping the fake clock while it waits on a grace.
func down(t *testing.T, clk *testingclock.FakeClock, rt *fake.Runtime, stack string, opts orchestrator.DownOptions) (orchestrator.DownResult, error, []orchestrator.Event) {
	t.Helper()
	opts.Clock = clk
	var evs []orchestrator.Event
	opts.Events = func(ev orchestrator.Event) { evs = append(evs, ev) }
	type result struct {
		r   orchestrator.DownResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := orchestrator.Down(context.Background(), rt, stack, opts)
		done <- result{r, err}
	}()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case r := <-done:
			return r.r, r.err, evs
		case <-deadline:
			t.Fatalf("Down did not return; engine: %v", rt.HistoryOf())
		case <-time.After(3 * time.Millisecond):
			if clk.HasWaiters() {
				clk.Step(time.Second)
			}
		}
	}
}

func TestDownAfterUpWasKilled(t *testing.T) {
	clk := testingclock.NewFakeClock(epoch)
	rt := fake.New(clk)
	s := stack("shop",
		pod("api", ctr("server"), sidecars(ctr("db-proxy"))),
		pod("web", ctr("app"),
			sidecars(ctr("envoy"), ctr("shipper"), ctr("agent")),
			inits(ctr("migrate")),
			volumes(&recipes.Volume{Name: "logs"}),
			dependsOn("api")),
	)
	leave(t, rt, s)
	other := stack("other", pod("other", ctr("keep")))
	leave(t, rt, other)
	rt.IgnoreSIGTERM("shop-web-shipper")
	calls := len(rt.HistoryOf())

	res, err, evs := down(t, clk, rt, "shop", orchestrator.DownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantContainers := []string{"shop-api-db-proxy", "shop-api-infra", "shop-api-server", "shop-web-agent", "shop-web-app",
		"shop-web-envoy", "shop-web-infra", "shop-web-migrate", "shop-web-shipper"}
	if !slices.Equal(res.Containers, wantContainers) || !slices.Equal(res.Networks, []string{"shop-net"}) ||
		!slices.Equal(res.Volumes, []string{"shop-web-logs"}) {
		t.Errorf("found %+v", res)
	}
	if !slices.Equal(res.Killed, []string{"web/shipper"}) {
		t.Errorf("killed = %v, want web/shipper", res.Killed)
	}
	// Lifecycle order: the dependent pod first; in a pod main, then sidecars in reverse, then
	// the infra container (SIGTERM, not killed by its removal).
	var stops []string
	for _, e := range rt.HistoryOf()[calls:] {
		if strings.HasPrefix(e, "kill ") && strings.HasSuffix(e, " SIGTERM") {
			stops = append(stops, strings.Fields(e)[1])
		}
	}
	want := []string{"shop-web-app", "shop-web-agent", "shop-web-shipper", "shop-web-envoy", "shop-web-infra", "shop-api-server", "shop-api-db-proxy", "shop-api-infra"}
	if !slices.Equal(stops, want) {
		t.Errorf("stop order %v, want %v", stops, want)
	}
	// Only the stack's objects were touched.
	if c := rt.Containers(); !slices.Equal(c, []string{"other-infra", "other-keep"}) {
		t.Errorf("containers left: %v", c)
	}
	if n, v := rt.Networks(), rt.Volumes(); len(n)+len(v) > 0 {
		t.Errorf("left networks %v, volumes %v", n, v)
	}
	// The SIGKILL is reported with the init: true hint.
	hinted := false
	for _, ev := range evs {
		if m, ok := ev.(orchestrator.MessageEvent); ok && m.Container == "shipper" && strings.Contains(m.Hint, "init: true") {
			hinted = true
		}
	}
	if !hinted {
		t.Errorf("no init: true hint for the killed shipper in %v", evs)
	}
}

// Down reads each pod's stop budget from its infra container; Grace overrides it.
func TestDownStopBudget(t *testing.T) {
	for _, tt := range []struct {
		name  string
		grace time.Duration
		want  string
	}{
		{"recorded budget", 0, "stop stuck: pod stopping, main first (grace 7s)"},
		{"override", 2 * time.Second, "stop stuck: pod stopping, main first (grace 2s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := testingclock.NewFakeClock(epoch)
			rt := fake.New(clk)
			s := stack("job", pod("job", ctr("stuck"), podGrace(7*time.Second)))
			leave(t, rt, s)
			rt.IgnoreSIGTERM("job-stuck")
			res, err, evs := down(t, clk, rt, "job", orchestrator.DownOptions{Grace: tt.grace})
			if err != nil {
				t.Fatal(err)
			}
			var grace time.Duration
			for _, ev := range evs {
				if c, ok := ev.(orchestrator.ContainerEvent); ok && c.Name == "stuck" && c.State == orchestrator.CStateStopping {
					grace = c.StopGrace.D()
				}
			}
			if want := tt.grace; want == 0 && grace != 7*time.Second || want != 0 && grace != want {
				t.Errorf("grace %s (want %s)", grace, tt.want)
			}
			if len(res.Killed) != 1 || len(rt.Containers()) != 0 {
				t.Errorf("result %+v, left %v", res, rt.Containers())
			}
		})
	}
}

func TestDownFindsNothing(t *testing.T) {
	clk := testingclock.NewFakeClock(epoch)
	rt := fake.New(clk)
	leave(t, rt, stack("other", pod("other", ctr("keep"))))
	res, err, _ := down(t, clk, rt, "shop", orchestrator.DownOptions{})
	if err != nil || !res.Empty() {
		t.Errorf("Down of a stack that is not there: %+v, %v", res, err)
	}
	if len(rt.Containers()) != 2 {
		t.Errorf("another stack was touched: %v", rt.Containers())
	}
}

// A cancelled context makes the teardown forced: no grace is waited for.
func TestDownForced(t *testing.T) {
	clk := testingclock.NewFakeClock(epoch)
	rt := fake.New(clk)
	leave(t, rt, stack("job", pod("job", ctr("stuck"), sidecars(ctr("side")))))
	rt.IgnoreSIGTERM("job-stuck")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := orchestrator.Down(ctx, rt, "job", orchestrator.DownOptions{Clock: clk})
	if err != nil || len(res.Containers) != 3 || len(rt.Containers()) != 0 {
		t.Errorf("forced Down: %+v, %v, left %v", res, err, rt.Containers())
	}
}

// Down's events start from what the engine holds: the snapshot shows running containers
// running and a completed init container exited, so that a view reports the teardown
// (running → stopping → stopped), never a container that ran already as started.
func TestDownReportsObservedState(t *testing.T) {
	clk := testingclock.NewFakeClock(epoch)
	rt := fake.New(clk)
	s := stack("shop", pod("shop", ctr("app"), sidecars(ctr("envoy")), inits(ctr("migrate"))))
	leave(t, rt, s)
	_, err, evs := down(t, clk, rt, "shop", orchestrator.DownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	snap, ok := evs[0].(orchestrator.SnapshotEvent)
	if !ok {
		t.Fatalf("first event %T, want the snapshot", evs[0])
	}
	states := map[string]string{}
	for _, c := range snap.Stack.Pods[0].Containers {
		states[c.Name] = c.State.String()
	}
	want := map[string]string{"infra": "running", "migrate": "exited", "envoy": "running", "app": "running"}
	if !maps.Equal(states, want) {
		t.Errorf("snapshot states %v, want what the engine holds %v", states, want)
	}
	var seen []string
	for _, ev := range evs[1:] {
		if c, ok := ev.(orchestrator.ContainerEvent); ok {
			seen = append(seen, c.Name+" "+c.State.String())
		}
	}
	for _, s := range seen {
		if strings.HasSuffix(s, " running") || strings.HasSuffix(s, " starting") || s == "migrate exited" {
			t.Errorf("Down reported %q after the snapshot: it was so already; events: %v", s, seen)
		}
	}
	if !slices.Contains(seen, "app stopping") || !slices.Contains(seen, "envoy stopped") {
		t.Errorf("container events %v, want the teardown", seen)
	}
}
