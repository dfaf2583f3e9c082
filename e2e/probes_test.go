package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// A sidecar whose readiness never passes does not hold the stack in silence: every
// BlockedNoteEvery up says that main waits for it, for how long, and what its probe last
// answered; the views show main waiting and why; Ctrl-C still tears down.
func TestSidecarNeverReadyIsTold(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "never-ready")
	up := s.start("up", "-f", s.recipe("sidecar.yaml"), "--output", "json")
	var note orchestrator.MessageEvent
	s.eventually("up saying main waits for the sidecar", up, startDeadline, func() error {
		for _, ev := range events(t, up.stdout.String()) {
			if m, ok := ev.(orchestrator.MessageEvent); ok && strings.HasPrefix(m.Text, "main web waits for sidecar gate to be ready: ") {
				note = m
				return nil
			}
		}
		return fmt.Errorf("no such message yet")
	})
	if !strings.Contains(note.Text, "15s so far; last probe: http probe") || note.Container != "gate" {
		t.Errorf("the note: %+v", note)
	}
	if _, ok := s.containers()["web"]; !ok {
		t.Fatalf("main was not created")
	}
	if c := s.container("web"); c.Status != orchestrator.StatusCreated {
		t.Errorf("main is %s while its sidecar is not ready", c.Status)
	}
	// What the views show of main and of the sidecar (the TUI's header and columns).
	var mainReason, gateReason string
	for _, ev := range events(t, up.stdout.String()) {
		if c, ok := ev.(orchestrator.ContainerEvent); ok && c.Name == "web" {
			mainReason = c.State.String() + ": " + c.Reason
		} else if ok && c.Name == "gate" {
			gateReason = c.Health.String() + ": " + c.Reason
		}
	}
	if mainReason != "created: waiting for sidecar gate to be ready" {
		t.Errorf("the views show main as %q", mainReason)
	}
	if !strings.HasPrefix(gateReason, "not-ready: not ready: http probe") {
		t.Errorf("the views show the sidecar as %q", gateReason)
	}
	up.tearDown(syscall.SIGINT)
	s.nothingLeft()
}
