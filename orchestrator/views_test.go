package orchestrator_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// A container killed at the end of its grace is never shown as stopped without being marked
// killed: the engine's die can arrive before the stop call returns its verdict, and the
// container stays "stopping" until then.
func TestKilledContainerIsShownKilled(t *testing.T) {
	s := stack("b", pod("b", ctr("app"), podGrace(2*time.Second)))
	h := newHarness(t, s, orchestrator.Options{})
	h.rt.IgnoreSIGTERM("b-app")
	h.startRunning("b-app")
	h.o.Shutdown()
	h.until("app signalled", 0, func() bool { return slices.Contains(h.rt.HistoryOf("b-app"), "kill b-app SIGTERM") })
	if _, err := h.finish(time.Second); err != nil {
		t.Fatal(err)
	}
	stopped := 0
	for _, e := range h.containerEvents("b", "app") {
		if e.State == orchestrator.CStateStopped {
			stopped++
			if !e.Killed {
				t.Errorf("app shown stopped, not killed: %+v", e.ContainerView)
			}
		}
	}
	if stopped == 0 {
		t.Errorf("app never shown stopped")
	}
}

// Teardown is published in the order it happens: each container is shown stopped before the
// next one in teardown order is shown stopping.
func TestTeardownIsPublishedInOrder(t *testing.T) {
	s := stack("b", pod("b", ctr("app"), sidecars(ctr("first"), ctr("second"))))
	h := newHarness(t, s, orchestrator.Options{})
	h.startRunning("b-app", "b-first", "b-second")
	h.o.Shutdown()
	if _, err := h.finish(time.Second); err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range h.all() {
		if c, ok := e.(orchestrator.ContainerEvent); ok && (c.State == orchestrator.CStateStopping || c.State == orchestrator.CStateStopped) {
			seen = append(seen, c.Name+" "+c.State.String())
		}
	}
	want := []string{"app stopping", "app stopped", "second stopping", "second stopped", "first stopping", "first stopped", "infra stopping", "infra stopped"}
	if !slices.Equal(slices.Compact(seen), want) {
		t.Errorf("teardown published as %v, want %v", seen, want)
	}
}
