package orchestrator_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Startup probes on the real engine (the recipe loader does not read `startup:` yet: the
// probe is set on the loaded stack, as the Kubernetes importer will).

const startupRecipe = `
name: startup
stop_grace: 5s
main:
  name: web
  image: ${IMAGE}
  command: ["/crasher", "-forever", "-message", "web up"]
sidecars:
  - name: slow
    image: ${IMAGE}
    command: ["/httpserver", "-listen", ":9000", "-ready-after", "${READY_AFTER}"]
`

func withStartup(t *testing.T, readyAfter string, retries int) *recipes.Stack {
	t.Helper()
	st := e2eStack(t, strings.ReplaceAll(startupRecipe, "${READY_AFTER}", readyAfter))
	st.Pods[0].Sidecars[0].Startup = &recipes.Probe{HTTP: &recipes.HTTPProbe{Port: 9000, Path: "/healthz"},
		Period: recipes.Duration(time.Second), Timeout: recipes.Duration(time.Second), Retries: retries}
	return st
}

// waitView waits until cond holds of the snapshot's view of one container.
func waitView(t *testing.T, o *orchestrator.Orchestrator, name, what string, cond func(orchestrator.ContainerView) bool) {
	t.Helper()
	testenv.Eventually(t, 2*time.Minute, func() error {
		snap := o.Snapshot()
		if p := snap.Pod(snap.Pods[0].Name); p != nil {
			if c := p.Container(name); c != nil && cond(*c) {
				return nil
			}
		}
		return fmt.Errorf("%s: not yet", what)
	})
}

// A sidecar that never passes its startup probe is killed after retries × period and
// restarted with back-off, again and again; main never starts; the stack still stops clean.
func TestStartupProbeFailsOnTheEngine(t *testing.T) {
	t.Parallel()
	st := withStartup(t, "1h", 2)
	runE2E(t, st, orchestrator.Options{}, func(o *orchestrator.Orchestrator) {
		waitView(t, o, "slow", "slow restarted twice", func(v orchestrator.ContainerView) bool { return v.Restarts >= 2 })
		waitView(t, o, "web", "main still waiting", func(v orchestrator.ContainerView) bool {
			return v.State == orchestrator.CStateCreated && v.Reason == "waiting for sidecar slow to pass its startup probe"
		})
		o.Shutdown()
	})
}

// A startup probe that passes after a while (within its budget) lets main start then.
func TestStartupProbePassesOnTheEngine(t *testing.T) {
	t.Parallel()
	st := withStartup(t, "2s", 30)
	runE2E(t, st, orchestrator.Options{}, func(o *orchestrator.Orchestrator) {
		waitView(t, o, "web", "main running", func(v orchestrator.ContainerView) bool { return v.State == orchestrator.CStateRunning })
		snap := o.Snapshot()
		if slow := snap.Pods[0].Container("slow"); slow.Restarts != 0 || slow.StartedAt.IsZero() {
			t.Errorf("slow: %+v", *slow)
		}
		if web := snap.Pods[0].Container("web"); !web.StartedAt.After(snap.Pods[0].Container("slow").StartedAt.Add(2 * time.Second)) {
			t.Errorf("main started at %s, before the sidecar's startup probe could pass (it started %s)", web.StartedAt, snap.Pods[0].Container("slow").StartedAt)
		}
		o.Shutdown()
	})
}
