package fake_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func setup(t *testing.T) (*fake.Runtime, *testingclock.FakeClock, string, string) {
	t.Helper()
	clk := testingclock.NewFakeClock(t0)
	rt := fake.New(clk)
	ctx := context.Background()
	infraRef, err := rt.InfraImage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rt.AddImage("app:1")
	infra, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "p-infra", Image: infraRef, Labels: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, infra); err != nil {
		t.Fatal(err)
	}
	app, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "p-app", Image: "app:1", NamespaceOwner: infra, Labels: map[string]string{"k": "v"},
		Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: "p-data", Target: "/data"}}})
	if err != nil {
		t.Fatal(err)
	}
	return rt, clk, infra, app
}

func TestEngineEventSequences(t *testing.T) {
	ctx := context.Background()
	rt, clk, _, app := setup(t)
	if err := rt.StartContainer(ctx, app); err != nil {
		t.Fatal(err)
	}
	if err := rt.Exit("p-app", 3); err != nil { // natural exit
		t.Fatal(err)
	}
	_ = rt.StartContainer(ctx, app)
	res, err := rt.StopContainer(ctx, app, 10*time.Second) // stop
	if err != nil || res.Killed || res.ExitCode != 0 {
		t.Fatalf("stop = %+v, %v", res, err)
	}
	_ = rt.StartContainer(ctx, app)
	if err := rt.OOM("p-app"); err != nil {
		t.Fatal(err)
	}
	_ = rt.StartContainer(ctx, app)
	rt.IgnoreSIGTERM("p-app")
	done := make(chan orchestrator.StopResult)
	go func() {
		res, _ := rt.StopContainer(ctx, app, 5*time.Second)
		done <- res
	}()
	// The stop signal is recorded once the grace countdown is armed on the clock.
	for {
		changed := rt.Changed()
		if strings.Count(strings.Join(rt.HistoryOf("p-app"), ","), "kill p-app SIGTERM") == 2 {
			break
		}
		<-changed
	}
	clk.Step(4 * time.Second)
	select {
	case res := <-done:
		t.Fatalf("stopped before the grace ran out: %+v", res)
	default:
	}
	clk.Step(time.Second) // the grace runs out on the shared clock
	if res := <-done; !res.Killed || res.ExitCode != 137 {
		t.Errorf("stop of a process ignoring SIGTERM = %+v", res)
	}
	if err := rt.Remove("p-infra"); err != nil { // removal of a running container
		t.Fatal(err)
	}
	want := []string{
		"create p-app", "start p-app", "die p-app 3",
		"start p-app", "kill p-app SIGTERM", "die p-app 0", "stop p-app",
		"start p-app", "oom p-app", "die p-app 137",
		"start p-app", "kill p-app SIGTERM", "kill p-app SIGKILL", "die p-app 137", "stop p-app",
	}
	if got := rt.HistoryOf("p-app"); !slices.Equal(got, want) {
		t.Errorf("history\n%v\nwant\n%v", got, want)
	}
	if got := rt.HistoryOf("p-infra"); !slices.Equal(got[len(got)-3:], []string{"kill p-infra SIGKILL", "die p-infra 137", "destroy p-infra"}) {
		t.Errorf("infra history %v", got)
	}
	c, _ := rt.Container("p-app")
	if c.Starts != 4 || c.Info.ExitCode != 137 || c.Info.Status != orchestrator.StatusExited {
		t.Errorf("app %+v", c)
	}
}

func TestEventStreamReplayAndDrop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt, _, _, app := setup(t)
	evs, errs := rt.Events(ctx, t0, map[string]string{"k": "v"})
	var got []string
	next := func() {
		ev := <-evs
		got = append(got, ev.Action.String())
	}
	next() // replayed: create p-infra
	next() // start p-infra
	next() // create p-app
	_ = rt.StartContainer(ctx, app)
	next()
	if strings.Join(got, " ") != "create start create start" {
		t.Errorf("events %v", got)
	}
	rt.DropEvents()
	if err := <-errs; !errors.Is(err, fake.ErrStreamDropped) {
		t.Errorf("stream error %v", err)
	}
	_ = rt.Exit("p-app", 1) // while down: not delivered, never replayed
	_, errs2 := rt.Events(ctx, t0, nil)
	if err := <-errs2; !errors.Is(err, fake.ErrStreamDropped) {
		t.Errorf("subscribe while down: %v", err)
	}
	rt.ResumeEvents()
	evs3, _ := rt.Events(ctx, t0, map[string]string{"k": "v"})
	var replay []string
	for i := 0; i < 4; i++ {
		replay = append(replay, (<-evs3).Action.String())
	}
	_ = rt.StartContainer(ctx, app)
	replay = append(replay, (<-evs3).Action.String())
	if strings.Join(replay, " ") != "create start create start start" {
		t.Errorf("replay after the drop %v: the die while down must not be replayed", replay)
	}
}

func TestLogs(t *testing.T) {
	ctx := context.Background()
	rt, clk, _, app := setup(t)
	_ = rt.StartContainer(ctx, app)
	_ = rt.Print("p-app", orchestrator.Stdout, "first run")
	_ = rt.Exit("p-app", 1)
	clk.Step(time.Second)
	_ = rt.StartContainer(ctx, app)
	c, _ := rt.Container("p-app")
	_ = rt.Print("p-app", orchestrator.Stderr, "second run")

	var lines []string
	done := make(chan error)
	go func() {
		done <- rt.Logs(ctx, app, orchestrator.LogOptions{Follow: true, Since: c.Info.StartedAt, Tail: -1}, func(l orchestrator.LogLine) {
			lines = append(lines, l.Stream.String()+":"+l.Text)
		})
	}()
	_ = rt.Print("p-app", orchestrator.Stdout, "more")
	_ = rt.Exit("p-app", 0) // the follow stream ends with the run
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines, ",") != "stderr:second run,stdout:more" {
		t.Errorf("lines %v", lines)
	}
	var tail []string
	_ = rt.Logs(ctx, app, orchestrator.LogOptions{Tail: 2}, func(l orchestrator.LogLine) { tail = append(tail, l.Text) })
	if strings.Join(tail, ",") != "second run,more" {
		t.Errorf("tail %v", tail)
	}
}

func TestResourcesAndFailures(t *testing.T) {
	ctx := context.Background()
	rt, _, infra, app := setup(t)
	if err := rt.CreateVolume(ctx, "p-data", nil); err != nil {
		t.Fatal(err)
	}
	if err := rt.RemoveVolume(ctx, "p-data"); err == nil {
		t.Error("removed a volume in use")
	}
	if _, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "p-app", Image: "app:1"}); !errors.Is(err, orchestrator.ErrConflict) {
		t.Errorf("name conflict: %v", err)
	}
	if _, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "p-x", Image: "nope:1"}); !errors.Is(err, orchestrator.ErrNotFound) {
		t.Errorf("missing image: %v", err)
	}
	if err := rt.PullImage(ctx, "nope:1", nil); !errors.Is(err, orchestrator.ErrImageUnavailable) {
		t.Errorf("pull without registry: %v", err)
	}
	if err := rt.CopyFiles(ctx, app, "/etc/x", map[string][]byte{"a.conf": []byte("a")}, false); err != nil {
		t.Fatal(err)
	}
	if c, _ := rt.Container("p-app"); string(c.Files["/etc/x/a.conf"]) != "a" {
		t.Errorf("files %v", c.Files)
	}
	boom := errors.New("boom")
	rt.FailOnce("StartContainer", "p-app", boom)
	if err := rt.StartContainer(ctx, app); !errors.Is(err, boom) {
		t.Errorf("injected failure: %v", err)
	}
	if err := rt.StartContainer(ctx, app); err != nil {
		t.Errorf("after a one-time failure: %v", err)
	}
	if err := rt.Probe(ctx, infra, app, recipes.Probe{}); err != nil {
		t.Errorf("default probe: %v", err)
	}
	rt.SetProbe("p-app", boom)
	if err := rt.Probe(ctx, infra, app, recipes.Probe{}); !errors.Is(err, boom) {
		t.Errorf("set probe: %v", err)
	}
	if err := rt.RemoveContainer(ctx, infra); err != nil {
		t.Fatal(err)
	}
	if err := rt.Probe(ctx, infra, app, recipes.Probe{}); err == nil {
		t.Error("probe passed without its infra container")
	}
	_ = rt.RemoveContainer(ctx, app)
	if err := rt.RemoveVolume(ctx, "p-data"); err != nil {
		t.Errorf("remove unused volume: %v", err)
	}
	if got := rt.CallCount("StartContainer"); got != 3 {
		t.Errorf("StartContainer calls %d", got)
	}
}

func TestStartNeedsRunningNamespaceOwner(t *testing.T) {
	ctx := context.Background()
	rt, _, _, app := setup(t)
	_ = rt.Exit("p-infra", 137)
	if err := rt.StartContainer(ctx, app); err == nil {
		t.Error("started a container whose namespace owner is not running")
	}
}
