package orchestrator_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// command runs CommandContainers with wait, moving the fake clock meanwhile.
func (h *harness) command(cmd orchestrator.Command, names ...string) error {
	h.t.Helper()
	refs, err := h.o.ResolveContainers(names, false)
	if err != nil {
		return err
	}
	h.await("the command to return", func() { err = h.o.CommandContainers(context.Background(), cmd, refs, true) })
	return err
}

func TestResolveContainers(t *testing.T) {
	h := startDaily(t)
	refs, err := h.o.ResolveContainers(nil, false)
	if err != nil || len(refs) != 3 || refs[0].Container != "proxy" || refs[2].Container != "web" {
		t.Errorf("every container: %v, %v", refs, err)
	}
	if _, err := h.o.ResolveContainers([]string{"nope"}, false); !errors.Is(err, orchestrator.ErrUnknownContainer) ||
		!strings.Contains(err.Error(), "it has proxy, shipper, web") {
		t.Errorf("unknown: %v", err)
	}
	if _, err := h.o.ResolveContainers([]string{"setup"}, false); !errors.Is(err, orchestrator.ErrNotSupported) {
		t.Errorf("init: %v", err)
	}
	if refs, err := h.o.ResolveContainers([]string{"demo/web", "web"}, true); err != nil || len(refs) != 1 {
		t.Errorf("pod/name: %v, %v", refs, err)
	}
	h.shutdownLeavesNothing()
}

// A pod is named by its aliases too, as a compose service renamed to a DNS label
// (debug_tool → pod and container debug-tool) keeps its name as one: debug_tool is
// debug-tool/debug-tool, debug_tool/sh its container sh; a pod without a container of its
// name is named for its main. A name several pods have is ambiguous.
func TestResolveContainersByPodAlias(t *testing.T) {
	dbg := pod("debug-tool", ctr("debug-tool"), sidecars(ctr("sh")))
	dbg.Aliases = []string{"debug_tool"}
	db := pod("db", ctr("pg"), sidecars(ctr("sh")))
	db.Aliases = []string{"database"}
	web := pod("web", ctr("web"), sidecars(ctr("envoy")))
	o := orchestrator.New(fake.New(testingclock.NewFakeClock(time.Now())), stack("rn", web, dbg, db), orchestrator.Options{})
	for _, tc := range []struct{ names, want string }{
		{"debug_tool", "debug-tool/debug-tool"},
		{"debug-tool", "debug-tool/debug-tool"},
		{"debug_tool/sh", "debug-tool/sh"},
		{"database", "db/pg"},
		{"database/sh", "db/sh"},
		{"db/pg web", "db/pg web/web"},
		{"envoy", "web/envoy"},
	} {
		refs, err := o.ResolveContainers(strings.Fields(tc.names), false)
		var got []string
		for _, r := range refs {
			got = append(got, r.String())
		}
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, %v; want %s", tc.names, got, err, tc.want)
		}
	}
	_, err := o.ResolveContainers([]string{"sh"}, false)
	if !errors.Is(err, orchestrator.ErrUnknownContainer) || !strings.Contains(err.Error(), `"sh" is in several pods of stack rn: name one of debug-tool/sh, db/sh`) {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := o.ResolveContainers([]string{"debug_tool/pg"}, false); !errors.Is(err, orchestrator.ErrUnknownContainer) {
		t.Errorf("an alias's pod without that container: %v", err)
	}
}

// Stopping a sidecar keeps it stopped (no back-off restart) until it is started; restarting
// main touches neither the sidecars nor the infra container.
func TestCommandContainers(t *testing.T) {
	h := startDaily(t)
	if err := h.command(orchestrator.CmdStop, "shipper"); err != nil {
		t.Fatal(err)
	}
	if h.state("demo", "shipper") != orchestrator.CStateStopped {
		t.Fatalf("shipper: %s", h.describe())
	}
	h.clock.Step(5 * time.Minute)
	if c, _ := h.rt.Container("demo-shipper"); c.Starts != 1 || c.Info.Status == orchestrator.StatusRunning {
		t.Errorf("a stopped sidecar came back")
	}
	if err := h.command(orchestrator.CmdStart, "shipper"); err != nil {
		t.Fatal(err)
	}
	if c, _ := h.rt.Container("demo-shipper"); c.Starts != 2 || c.Info.Status != orchestrator.StatusRunning {
		t.Errorf("shipper not started again")
	}

	proxy, _ := h.rt.Container("demo-proxy")
	infra, _ := h.rt.Container("demo-infra")
	if err := h.command(orchestrator.CmdRestart, "web"); err != nil {
		t.Fatal(err)
	}
	if web, _ := h.rt.Container("demo-web"); web.Starts != 2 || h.state("demo", "web") != orchestrator.CStateRunning {
		t.Errorf("web not restarted: %s", h.describe())
	}
	p2, _ := h.rt.Container("demo-proxy")
	i2, _ := h.rt.Container("demo-infra")
	if p2.Info.ID != proxy.Info.ID || p2.Starts != 1 || !p2.Info.StartedAt.Equal(proxy.Info.StartedAt) || i2.Starts != infra.Starts {
		t.Errorf("restarting main touched the proxy or the infra container")
	}

	// The whole stack: stopped main first, sidecars in reverse; started sidecars in order, main last.
	cut := len(h.rt.HistoryOf())
	if err := h.command(orchestrator.CmdRestart); err != nil {
		t.Fatal(err)
	}
	hist := h.rt.HistoryOf()[cut:]
	before(t, hist, "kill demo-web SIGTERM", "kill demo-shipper SIGTERM")
	before(t, hist, "kill demo-shipper SIGTERM", "kill demo-proxy SIGTERM")
	before(t, hist, "kill demo-proxy SIGTERM", "start demo-proxy")
	before(t, hist, "start demo-proxy", "start demo-shipper")
	before(t, hist, "start demo-shipper", "start demo-web")
	if h.o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Errorf("stack after restart: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}

// A container that exits right after the command started it: the command says so.
func TestCommandStartThatCrashes(t *testing.T) {
	h := startDaily(t)
	if err := h.command(orchestrator.CmdStop, "shipper"); err != nil {
		t.Fatal(err)
	}
	h.rt.ExitOnStart("demo-shipper", 4)
	// The engine reports the start and the exit one after the other: start returns the exit
	// when it sees it before it saw shipper running (nearly always, for an exit at once), or
	// returns once shipper ran; back-off takes over either way.
	err := h.command(orchestrator.CmdStart, "shipper")
	if err != nil && !strings.Contains(err.Error(), "shipper exited with code 4 after it was started") {
		t.Errorf("start: %v", err)
	}
	h.until("shipper in back-off", 0, h.stateIs("demo", "shipper", orchestrator.CStateBackoff))
	h.shutdownLeavesNothing()
}

// Starting several containers goes by the rule of the first start (each sidecar's gate): the
// next waits for a sidecar's post-start hook, and for its readiness only when its gate is
// ready — a never-ready sidecar with gate started does not hold the command, nor main.
func TestCommandStartHonoursTheGate(t *testing.T) {
	st := stack("p", pod("p", ctr("app"),
		sidecars(ctr("hooked", postStart(execHook("/warm"))), ctr("side", readyProbe, gateStarted), ctr("db", readyProbe))))
	h := newHarness(t, st, orchestrator.Options{})
	var hookRuns atomic.Int32
	release := make(chan struct{})
	h.rt.SetHookFunc("p-hooked", func(ctx context.Context, _ recipes.Hook) error {
		if hookRuns.Add(1) == 1 {
			return nil // the first start's
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	h.rt.SetProbe("p-side", errors.New("http probe failed: connection refused"))
	h.start()
	h.until("main running", time.Second, h.running("p-app"))

	refs, err := h.o.ResolveContainers(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	h.rt.SetProbe("p-db", errors.New("connection refused"))
	done := make(chan error, 1)
	go func() { done <- h.o.CommandContainers(context.Background(), orchestrator.CmdRestart, refs, true) }()
	starts := func(name string) int { c, _ := h.rt.Container(name); return c.Starts }

	h.until("hooked's post-start hook running again", 0, func() bool { return hookRuns.Load() == 2 })
	h.clock.Step(time.Minute)
	if starts("p-side") != 1 {
		t.Errorf("side was started before hooked's post-start hook passed")
	}
	close(release)

	h.until("db running again, not ready", time.Second, func() bool {
		return starts("p-db") == 2 && h.view("p", "db").Health == orchestrator.HealthNotReady
	})
	if starts("p-app") != 1 {
		t.Errorf("main was started before db, whose gate is ready, was ready")
	}
	// side runs, never ready: whether its first probe has run yet (not ready) or not (unknown)
	// depends on the order of the two probers, and either way it held nothing.
	if v := h.view("p", "side"); v.State != orchestrator.CStateRunning || v.Health == orchestrator.HealthReady {
		t.Errorf("side: %s %s", v.State, v.Health)
	}
	h.rt.SetProbe("p-db", nil)
	var cmdErr error
	h.until("the command to return", time.Second, func() bool {
		select {
		case cmdErr = <-done:
			return true
		default:
			return false
		}
	})
	if cmdErr != nil {
		t.Fatal(cmdErr)
	}
	if starts("p-app") != 2 || h.state("p", "app") != orchestrator.CStateRunning {
		t.Errorf("main not started again: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}

// A restart says who made it: the stop of a user's (sidecar restart) is a requested restart,
// not a user's stop; one the watch makes says so and why; a user's stop stays "stopped by
// user".
func TestCommandReasons(t *testing.T) {
	h := startDaily(t)
	refs, err := h.o.ResolveContainers([]string{"proxy"}, false)
	if err != nil {
		t.Fatal(err)
	}
	stopping := func(from int) string {
		for _, e := range h.all()[from:] {
			if c, ok := e.(orchestrator.ContainerEvent); ok && c.Name == "proxy" && c.State == orchestrator.CStateStopping {
				return c.Reason
			}
		}
		return ""
	}
	for _, tc := range []struct{ why, want string }{
		{"", "restart requested by user"},
		{"restarted by watch: conf/proxy.conf changed", "restarted by watch: conf/proxy.conf changed"},
	} {
		from := len(h.all())
		h.await("the restart", func() {
			err = h.o.CommandContainersFor(context.Background(), orchestrator.CmdRestart, refs, true, tc.why)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := stopping(from); got != tc.want {
			t.Errorf("restart for %q: proxy stopping for %q, want %q", tc.why, got, tc.want)
		}
	}
	from := len(h.all())
	if err := h.command(orchestrator.CmdStop, "proxy"); err != nil {
		t.Fatal(err)
	}
	if got := stopping(from); got != "stopped by user" {
		t.Errorf("a user's stop: proxy stopping for %q", got)
	}
	if v := h.view("demo", "proxy"); v.Reason != "stopped by user" {
		t.Errorf("proxy stopped: %q", v.Reason)
	}
	h.shutdownLeavesNothing()
}
