package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// A container in back-off says, live, when it is restarted: in the text as how long until
// then, in JSON as that time too.
func TestPsBackoffSaysWhenItRestarts(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	code := 2
	st := control.State{State: orchestrator.StackView{Name: "shop", Phase: orchestrator.PhaseRunning, Pods: []orchestrator.PodView{{
		Name: "shop", Phase: orchestrator.PhaseRunning,
		Containers: []orchestrator.ContainerView{
			{Pod: "shop", Name: "crash", Role: recipes.RoleSidecar, State: orchestrator.CStateBackoff, ExitCode: &code,
				Restarts: 1, RestartAt: now.Add(2900 * time.Millisecond)},
			{Pod: "shop", Name: "web", Role: recipes.RoleMain, State: orchestrator.CStateRunning, StartedAt: now.Add(-time.Minute)},
		},
	}}}}
	s := liveStack(st, now)
	c := s.Pods[0].Containers[0]
	if c.RestartIn != "2.9s" || !c.RestartAt.Equal(now.Add(2900*time.Millisecond)) {
		t.Errorf("restart in %q at %v, want 2.9s at %v", c.RestartIn, c.RestartAt, now.Add(2900*time.Millisecond))
	}
	if web := s.Pods[0].Containers[1]; web.RestartIn != "" || !web.RestartAt.IsZero() {
		t.Errorf("a running container has a restart: %+v", web)
	}
	var out bytes.Buffer
	if err := printStacks(&out, []*psStack{s}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "backoff (2), restart in 2.9s") {
		t.Errorf("ps does not say when crash restarts:\n%s", out.String())
	}
}

// While the engine does not answer a running up, ps says so, live: the stack line in text,
// engine_lost_at in JSON, and the containers as last seen (their uptimes stop growing).
func TestPsSaysTheEngineIsLost(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	c := testCLI(t, rt, dir)
	wait := c.up(recipe(t, jobRecipe))
	c.until("the stack running", func() bool { return strings.Contains(c.out.String(), "stack job is running") })

	rt.StopEngine()
	ps := testCLI(t, rt, dir)
	var stacks []psStack
	ps.until("ps says the engine is lost", func() bool {
		stacks = ps.psStacks("job")
		return len(stacks) == 1 && !stacks[0].EngineLostAt.IsZero()
	})
	for _, ctr := range stacks[0].Pods[0].Containers {
		if ctr.Uptime != "" && !ctr.StartedAt.IsZero() && ctr.Uptime != uptime(stacks[0].EngineLostAt, ctr.StartedAt) {
			t.Errorf("%s: uptime %s, want it as of the loss", ctr.Name, ctr.Uptime)
		}
	}
	text := testCLI(t, rt, dir)
	if err := psRun(t.Context(), text.psOptions("job", "text")); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(text.out.String(), "\n"); !strings.Contains(first, "engine unreachable for ") {
		t.Errorf("the stack line does not say the engine is lost:\n%s", text.out)
	}

	rt.StartEngine(false)
	ps.until("ps says the engine is back", func() bool {
		stacks = ps.psStacks("job")
		return len(stacks) == 1 && stacks[0].EngineLostAt.IsZero()
	})
	if err := testCLI(t, rt, dir).down("job", 0); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("up: %v", err)
	}
}

// A pod that waits for the pods it depends on says, live, which: its containers' state in
// the text, waits_for in JSON.
func TestPsSaysWhatAPodWaitsFor(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := control.State{State: orchestrator.StackView{Name: "shop", Phase: orchestrator.PhaseStarting, Pods: []orchestrator.PodView{
		{Name: "db", Phase: orchestrator.PhaseRunning, Containers: []orchestrator.ContainerView{
			{Pod: "db", Name: "db", Role: recipes.RoleMain, State: orchestrator.CStateRunning, Health: orchestrator.HealthNotReady, StartedAt: now.Add(-time.Minute)},
		}},
		{Name: "backend", Phase: orchestrator.PhasePending, Reason: "waiting for pod db to be ready", WaitsFor: []string{"db"},
			Containers: []orchestrator.ContainerView{
				{Pod: "backend", Name: "infra", Role: recipes.RoleInfra, State: orchestrator.CStateWaiting},
				{Pod: "backend", Name: "backend", Role: recipes.RoleMain, State: orchestrator.CStateWaiting},
			}},
	}}}
	s := liveStack(st, now)
	if got := s.Pods[1].WaitsFor; len(got) != 1 || got[0] != "db" {
		t.Errorf("waits_for %v, want [db]", got)
	}
	var out bytes.Buffer
	if err := printStacks(&out, []*psStack{s}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "waiting for db"); n != 2 {
		t.Errorf("ps says %d times that backend waits for db:\n%s", n, out.String())
	}

	// A pod a converging up added that cannot start: it waits for nothing, and says why.
	st.State.Pods[1].Reason, st.State.Pods[1].WaitsFor = "not started: pod db is unhealthy", nil
	s = liveStack(st, now)
	if got := s.Pods[1].NotStarted; got != "pod db is unhealthy" {
		t.Errorf("not_started %q", got)
	}
	out.Reset()
	if err := printStacks(&out, []*psStack{s}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "not started: pod db is unhealthy"); n != 2 || strings.Contains(out.String(), "waiting") {
		t.Errorf("ps does not say twice that backend will not start:\n%s", out.String())
	}
}
