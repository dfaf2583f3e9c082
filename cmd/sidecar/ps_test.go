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
