package e2e

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// These scenarios stop and restart an engine under a running up. The engine is a daemon of
// the test's own (testenv.StartDaemon: its own socket, data root, exec root, network
// namespace), never the machine's.

// saysEngine is a condition: up's JSON output has an engine event with reachable = want.
func saysEngine(s *scenario, p *proc, reachable bool) func() error {
	return func() error {
		for _, ev := range events(s.t, p.stdout.String()) {
			if e, ok := ev.(orchestrator.EngineStateEvent); ok && e.Reachable == reachable {
				return nil
			}
		}
		return fmt.Errorf("no engine event with reachable=%v yet", reachable)
	}
}

// webReady is a condition: up's JSON output has web ready.
func webReady(s *scenario, p *proc) func() error {
	return func() error {
		for _, ev := range events(s.t, p.stdout.String()) {
			if c, ok := ev.(orchestrator.ContainerEvent); ok && c.Name == "web" && c.Health == orchestrator.HealthReady {
				return nil
			}
		}
		return fmt.Errorf("web not ready yet")
	}
}

// saidWhatIsLeft checks that up, ended while the engine did not answer, said (on stderr,
// errOut) what it left on the engine and how to remove it.
func saidWhatIsLeft(s *scenario, errOut string) {
	s.t.Helper()
	if !strings.Contains(errOut, "left on the engine (as last seen): ") || !strings.Contains(errOut, "sidecar down --stack "+s.stack) {
		s.t.Errorf("up did not say what it left and how to remove it:\n%s", errOut)
	}
}

// downRemovesAll runs `sidecar down` of the stack and checks that it removed all of it.
func (s *scenario) downRemovesAll() {
	s.t.Helper()
	out, errOut, code := s.run("down", "--stack", s.stack)
	if code != 0 || !strings.Contains(out, "Removed stack "+s.stack) {
		s.t.Errorf("down exited %d\n%s\n%s", code, out, errOut)
	}
	s.nothingLeft()
}

// upOnADaemon starts a daemon of the test's own and `up --output json` of the engine-restart
// scenario on it, and waits for the stack to run.
func upOnADaemon(t *testing.T) (*testenv.Daemon, *scenario, *proc) {
	t.Helper()
	daemon := testenv.StartDaemon(t)
	s := newScenarioOn(t, "engine-restart", daemon)
	up := s.upJSON("sidecar.yaml", "infra", "web", "helper")
	return daemon, s, up
}

// ids are the stack's container IDs by container name.
func (s *scenario) ids() map[string]string {
	out := map[string]string{}
	for n, c := range s.containers() {
		out[n] = c.ID
	}
	return out
}

// The engine stops (as `systemctl restart docker` stops it: its API first, then every
// container) and comes back while up runs: up says it waits, does not take the stops for
// crashes, and once the engine answers recreates the pod the restart killed; the stack runs
// on and Ctrl-C leaves nothing. It used to exit 1 on its own leftovers, leaving containers.
func TestEngineRestartWhileUp(t *testing.T) {
	t.Parallel()
	daemon, s, up := upOnADaemon(t)
	s.eventually("web ready", up, startDeadline, webReady(s, up))
	before := s.ids()

	daemon.Stop()
	s.eventually("up saying it waits for the engine", up, endDeadline, saysEngine(s, up, false))
	if out := up.stdout.String(); !strings.Contains(out, orchestrator.EngineWaitText) {
		t.Errorf("no %q message:\n%s", orchestrator.EngineWaitText, out)
	}

	daemon.Start()
	s.eventually("the pod recreated and running", up, startDeadline, func() error {
		now := s.ids()
		for _, n := range []string{"infra", "web", "helper"} {
			if now[n] == "" || now[n] == before[n] {
				return fmt.Errorf("%s not recreated yet (%v)", n, now)
			}
		}
		return s.running("infra", "web", "helper")()
	})
	if err := saysEngine(s, up, true)(); err != nil {
		t.Errorf("up did not say the engine is back: %v", err)
	}

	up.tearDown(syscall.SIGINT)
	s.nothingLeft()
}

// Ctrl-C while the engine is gone: up stops waiting at once, exits 130 and names what it
// had to leave; once the engine is back, everything of the stack it holds was named, and
// `sidecar down` removes it.
func TestGiveUpWhileTheEngineIsGone(t *testing.T) {
	t.Parallel()
	daemon, s, up := upOnADaemon(t)

	daemon.Stop()
	s.eventually("up saying it waits for the engine", up, endDeadline, saysEngine(s, up, false))
	up.tearDown(syscall.SIGINT)
	errOut := up.stderr.String()
	saidWhatIsLeft(s, errOut)

	daemon.Start()
	var left []string
	for _, c := range s.containers() {
		left = append(left, "container "+c.Name)
	}
	vols, err := s.d.ListVolumes(s.ctx, s.filter)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vols {
		left = append(left, "volume "+v.Name)
	}
	if len(left) == 0 {
		t.Errorf("the engine holds nothing of the stack: the test no longer shows anything left")
	}
	for _, what := range left {
		if !strings.Contains(errOut, what) {
			t.Errorf("%s is left on the engine and up did not say so:\n%s", what, errOut)
		}
	}
	s.downRemovesAll()
}

// The engine hangs (dockerd SIGSTOPped: it takes connections and answers nothing) under a
// running up: up finds it out (web's probe times out, a ping with a deadline is not
// answered), says it waits for the engine without counting the probe's failures, and Ctrl-C
// ends the wait at once, naming what is left; once the engine goes on, `sidecar down`
// removes it.
func TestHungEngineWhileUp(t *testing.T) {
	t.Parallel()
	daemon, s, up := upOnADaemon(t)
	s.eventually("web ready", up, startDeadline, webReady(s, up))

	daemon.Pause()
	s.eventually("up saying it waits for the engine", up, endDeadline, saysEngine(s, up, false))
	for _, ev := range events(t, up.stdout.String()) {
		if c, ok := ev.(orchestrator.ContainerEvent); ok && c.Name == "web" && c.Health == orchestrator.HealthNotReady {
			t.Errorf("web's probe failures on a hung engine were counted: %+v", c)
		}
	}
	up.tearDown(syscall.SIGINT)
	saidWhatIsLeft(s, up.stderr.String())

	daemon.Resume()
	s.downRemovesAll()
}

// up is killed (SIGKILL) and the engine restarts meanwhile: the next up removes what the
// restart left of the stack, says so, and runs.
func TestUpAfterTheEngineRestarted(t *testing.T) {
	t.Parallel()
	daemon := testenv.StartDaemon(t)
	s := newScenarioOn(t, "engine-restart", daemon)
	first := s.up("the stack running", s.running("infra", "web", "helper"))
	first.signal(syscall.SIGKILL)
	first.wait()
	daemon.Stop()
	daemon.Start()

	second := s.start("up", "-f", s.recipe("sidecar.yaml"), "--output", "json")
	s.eventually("the stack running again", second, startDeadline, s.running("infra", "web", "helper"))
	var left *orchestrator.LeftoversEvent
	for _, ev := range events(t, second.stdout.String()) {
		if l, ok := ev.(orchestrator.LeftoversEvent); ok {
			left = &l
		}
	}
	if left == nil || len(left.Containers) != 3 || len(left.Volumes) != 1 {
		t.Errorf("the second up did not say it removed the 3 containers and the volume left: %+v", left)
	}
	if out, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d\n%s\n%s", code, out, errOut)
	}
	if code := second.wait(); code != 0 {
		t.Errorf("the second up, stopped by down, exited %d\n%s", code, second.output())
	}
	s.nothingLeft()
}

// A stack is known by its name on one engine, as a compose project is: with the same stack
// name and control directory, `up -d` on the machine's engine and commands for a daemon of
// the test's own (DOCKER_HOST) never see or act on each other's stack, ps of an engine that
// does not answer lists none of it, and the same stack runs on both engines at once.
func TestSameStackOnTwoEngines(t *testing.T) {
	t.Parallel()
	daemon := testenv.StartDaemon(t)
	m := newScenario(t, "engine-restart")
	d := newScenarioOn(t, "engine-restart", daemon)
	d.stack, d.filter = m.stack, orchestrator.StackFilter(m.stack)
	d.setEnv("SIDECAR_TEST_STACK", m.stack)
	for _, kv := range m.env {
		if v, ok := strings.CutPrefix(kv, "XDG_RUNTIME_DIR="); ok {
			d.setEnv("XDG_RUNTIME_DIR", v)
		}
	}
	m.runExit(0, "up", "-d", "-f", m.recipe("sidecar.yaml"))
	defer m.runExit(0, "down", "--stack", m.stack)
	m.eventually("the stack running on the machine's engine", nil, startDeadline, m.running("infra", "web", "helper"))

	if st := d.psJSON().Stacks; len(st) != 0 {
		t.Errorf("ps for the other engine shows the machine engine's stack: %+v", st)
	}
	gone := *d
	gone.env = slices.Clone(d.env)
	gone.setEnv("DOCKER_HOST", "unix://"+t.TempDir()+"/none.sock")
	if out, errOut, code := gone.run("ps"); code != 1 || strings.Contains(out, m.stack) {
		t.Errorf("ps of an unreachable engine exited %d:\n%s%s", code, out, errOut)
	}
	d.run("down", "--stack", d.stack)
	if err := m.running("infra", "web", "helper")(); err != nil {
		t.Fatalf("down for the other engine touched the machine engine's stack: %v", err)
	}

	_, errOut := d.runExit(0, "up", "-d", "-f", d.recipe("sidecar.yaml"))
	if strings.Contains(errOut, "is running, run by") {
		t.Errorf("up -d on the other engine took the machine engine's stack for its own:\n%s", errOut)
	}
	d.eventually("the stack running on the other engine too", nil, startDeadline, d.running("infra", "web", "helper"))
	d.runExit(0, "down", "--stack", d.stack)
	d.nothingLeft()
	if err := m.running("infra", "web", "helper")(); err != nil {
		t.Errorf("the other engine's down touched the machine engine's stack: %v", err)
	}
}
