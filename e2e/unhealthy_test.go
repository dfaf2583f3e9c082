package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// The message up gives when vote, which waits for redis to be healthy, cannot start.
const voteUnhealthy = "pod vote cannot start: pod redis is unhealthy: its healthcheck failed 2 times in a row"

// A compose service_healthy dependency on a service whose healthcheck always fails, on the
// real engine: up fails with exit 1 once redis is unhealthy, as docker compose's does
// ("dependency failed to start: container redis is unhealthy"), says what to fix, never
// starts vote, and leaves nothing behind.
func TestUnhealthyDependencyFailsUp(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "unhealthy-dependency")
	stdout, stderr, code := s.run("up", "-f", s.recipe("compose.yaml"))
	if code != 1 || !strings.Contains(stderr, voteUnhealthy) || !strings.Contains(stderr, "fix the healthcheck of service redis in the compose file") {
		t.Errorf("up exited %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, voteUnhealthy, stdout, stderr)
	}
	if strings.Contains(stdout, "vote up") {
		t.Errorf("vote ran:\n%s", stdout)
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	s.nothingLeft()
}

// The same with up -d: the up -d says why and exits 1, as docker compose up -d does; the
// stack is gone (ps says nothing runs, down has nothing to do) and nothing is left.
func TestUnhealthyDependencyFailsUpDetached(t *testing.T) {
	t.Parallel()
	s := detachedScenario(t, "unhealthy-dependency")
	stdout, stderr, code := s.run("up", "-d", "-f", s.recipe("compose.yaml"))
	if code != 1 || !strings.Contains(stderr, voteUnhealthy) {
		t.Errorf("up -d exited %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, voteUnhealthy, stdout, stderr)
	}
	s.nothingLeft()
	// ps says the stack is gone and where its end is told; the supervisor's log ends with it.
	out, errOut, code := s.run("ps", "--stack", s.stack)
	if code != 0 || !strings.Contains(out, "is not running; how its last `sidecar up -d` ended") {
		t.Errorf("ps exited %d\n%s\n%s", code, out, errOut)
	}
	if log := lastRunLog(t, out); !strings.Contains(log, voteUnhealthy) {
		t.Errorf("the supervisor's log does not say why:\n%s", log)
	}
	if out, errOut, code := s.run("down", "--stack", s.stack); code != 0 || !strings.Contains(out, "nothing to do") {
		t.Errorf("down exited %d\n%s\n%s", code, out, errOut)
	}
	s.nothingLeft()
}

// A running stack whose redis is unhealthy (nothing waits for it), and vote added to the
// file with service_healthy on redis: the converging up -d fails, exit 1, saying why, as
// docker compose's `up -d vote` does; redis and web keep their containers and their runs,
// and the up that owns the stack runs on (Ctrl-C then takes it down, nothing left). An
// up -d of the file without vote (nothing to change) returns at once.
func TestConvergeAddingAPodOnAnUnhealthyDependency(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "unhealthy-dependency")
	up := s.start("up", "-f", s.recipe("running.yaml"))
	s.eventually("redis and web running", up, startDeadline, s.running("redis", "web"))
	s.eventually("redis unhealthy", up, startDeadline, func() error {
		if out := up.stdout.String(); !strings.Contains(out, "redis/redis * not ready") {
			return fmt.Errorf("redis is not said to be not ready")
		}
		return nil
	})
	before := s.containers()

	stdout, stderr, code := s.run("up", "-d", "-f", s.recipe("compose.yaml"))
	if code != 1 || !strings.Contains(stderr, voteUnhealthy) {
		t.Errorf("the converging up -d exited %d, want 1 and %q\nstdout:\n%s\nstderr:\n%s", code, voteUnhealthy, stdout, stderr)
	}
	t.Logf("converging up -d:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	if _, ok := s.containers()["vote"]; ok {
		t.Errorf("vote was created")
	}
	s.unchanged(before, "after the failed converge", "redis", "web")
	if psOut, _, _ := s.run("ps", "--stack", s.stack); strings.Count(psOut, "not started: pod redis is unhealthy") != 2 {
		t.Errorf("ps does not say that vote did not start:\n%s", psOut)
	}
	if doc := s.psJSON(); len(doc.Stacks) != 1 || doc.Stacks[0].Phase != "running" {
		t.Errorf("the stack after the failed converge: %+v", doc)
	}
	select {
	case <-up.done:
		t.Fatalf("the up that owns the stack ended:\n%s", up.output())
	default:
	}

	stdout, stderr, code = s.run("up", "-d", "-f", s.recipe("running.yaml"))
	if code != 0 {
		t.Errorf("an up -d of the running recipe exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	s.unchanged(before, "after an up -d of the running recipe", "redis", "web")

	up.tearDown(syscall.SIGINT)
	s.nothingLeft()
}

// up -d of a stack whose redis is unhealthy, nothing waiting for it: up -d, which returns
// once every main is ready, would wait for ever; as docker compose's up -d --wait, it fails
// with exit 1 once redis is unhealthy, saying so, and leaves the stack running in the
// background (ps shows it; down takes it down, nothing left).
func TestUpDetachedOfAnUnhealthyMainFails(t *testing.T) {
	t.Parallel()
	s := detachedScenario(t, "unhealthy-dependency")
	stdout, stderr, code := s.run("up", "-d", "-f", s.recipe("running.yaml"))
	want := "runs in the background (supervisor pid "
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "but it is not up: main redis of pod redis is unhealthy (not ready: exec probe") {
		t.Errorf("up -d exited %d, want 1 and that redis is unhealthy\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("up -d:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	if doc := s.psJSON(); len(doc.Stacks) != 1 || doc.Stacks[0].Source != "live" {
		t.Errorf("ps: %+v", doc)
	}
	if err := s.running("redis", "web")(); err != nil {
		t.Errorf("the stack does not run on: %v", err)
	}
	if out, errOut, code := s.run("down", "--stack", s.stack); code != 0 || !strings.Contains(out, "Stopped stack") {
		t.Errorf("down exited %d\n%s\n%s", code, out, errOut)
	}
	s.nothingLeft()
}

// lastRunLog reads the supervisor's log that ps's "is at the end of FILE." names.
func lastRunLog(t *testing.T, ps string) string {
	t.Helper()
	_, path, ok := strings.Cut(ps, "is at the end of ")
	if !ok {
		return ""
	}
	b, err := os.ReadFile(strings.TrimSuffix(strings.TrimSpace(path), "."))
	if err != nil {
		t.Errorf("the supervisor's log: %v", err)
	}
	return string(b)
}
