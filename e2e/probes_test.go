package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
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

// compose's service_healthy on a service whose file has no healthcheck waits for its image's
// HEALTHCHECK, as docker compose does: the app starts once the engine says the VPN is
// healthy, not before; an image with no HEALTHCHECK fails up at once with the fix.
func TestServiceHealthyWaitsForTheImageHealthcheck(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "image-healthcheck")
	hc := testenv.AppsImageWithHealthcheck(t, `--interval=1s --timeout=2s --retries=3 CMD ["/peek", "-get", "http://127.0.0.1:8080/healthz"]`)
	s.env = append(s.env, "SIDECAR_TEST_HC_IMAGE="+hc)
	up := s.start("up", "-f", s.recipe("compose.yaml"), "--output", "json")
	s.eventually("the app running", up, startDeadline, s.running("app"))
	vpn, app := s.container("vpn"), s.container("app")
	if vpn.Health != orchestrator.EngineHealthHealthy {
		t.Errorf("app runs while the engine says vpn is %s", vpn.Health)
	}
	if d := app.StartedAt.Sub(vpn.StartedAt); d < 3*time.Second {
		t.Errorf("app started %s after vpn, before its HEALTHCHECK could pass (3s)", d)
	}
	var order []string
	for _, ev := range events(t, up.stdout.String()) {
		if c, ok := ev.(orchestrator.ContainerEvent); ok && c.Pod == "vpn" {
			if c.Name == "vpn" && c.Health == orchestrator.HealthReady || c.Name == "app" && c.State == orchestrator.CStateRunning {
				order = append(order, c.Name)
			}
		}
	}
	if len(order) < 2 || order[0] != "vpn" {
		t.Errorf("the views saw %v: vpn ready first, then app running", order)
	}
	up.signal(syscall.SIGINT)
	if code := up.wait(); code != 130 {
		t.Errorf("up exited %d after Ctrl-C, want 130\n%s", code, up.output())
	}
	s.nothingLeft()

	_, stderr, code := s.run("up", "-f", s.recipe("no-healthcheck.yaml"), "--plain")
	if code != 1 || !strings.Contains(stderr, "container vpn is to be ready when its image's HEALTHCHECK passes") ||
		!strings.Contains(stderr, "has no HEALTHCHECK: add one") {
		t.Errorf("up of an image without HEALTHCHECK: exit %d\n%s", code, stderr)
	}
	s.nothingLeft()
}
