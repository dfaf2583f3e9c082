package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Main listens on 127.0.0.1 only; the published port reaches it through the proxy sidecar,
// over the localhost the two share.
func TestMainAndSidecarShareLocalhost(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "shared-localhost")
	up := s.up("main answering through the proxy", s.answers("hello from web"))

	up.tearDown(syscall.SIGINT)
	s.nothingLeft()
}

// The init container completes before the sidecar starts; main starts only once the
// sidecar is ready (it takes a second) — read from the engine's start and finish times.
func TestStartOrder(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "start-order")
	up := s.up("main running", s.running("app"))
	setup, slow, app := s.container("setup"), s.container("slow"), s.container("app")
	if setup.Status != orchestrator.StatusExited || setup.ExitCode != 0 {
		t.Errorf("init container: %s, exit %d", setup.Status, setup.ExitCode)
	}
	if slow.StartedAt.Before(setup.FinishedAt) {
		t.Errorf("the sidecar started at %s, before the init container finished at %s", slow.StartedAt, setup.FinishedAt)
	}
	if app.StartedAt.Before(slow.StartedAt.Add(time.Second)) {
		t.Errorf("main started at %s, before the sidecar could be ready (started %s, ready after 1s)", app.StartedAt, slow.StartedAt)
	}
	up.tearDown(syscall.SIGINT)
	s.nothingLeft()
}

// A job: main runs to completion and exits 3; up exits 3, and the sidecar was stopped
// gracefully after main ended.
func TestJobExitsWithMainsCode(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "job")
	out, _ := s.runExit(3, "up", "-f", s.recipe("sidecar.yaml"), "--output", "json")
	var mainExited, helperStopped bool
	for _, ev := range events(t, out) {
		c, ok := ev.(orchestrator.ContainerEvent)
		if !ok {
			continue
		}
		switch {
		case c.Name == "report" && c.State == orchestrator.CStateExited && c.ExitCode != nil && *c.ExitCode == 3:
			mainExited = true
		case c.Name == "helper" && c.State == orchestrator.CStateStopped:
			if !mainExited {
				t.Errorf("the sidecar was stopped before main ended")
			}
			if c.ExitCode == nil || *c.ExitCode != 0 || c.Killed {
				t.Errorf("the sidecar did not stop gracefully: %+v", c.ContainerView)
			}
			helperStopped = true
		}
	}
	if !mainExited || !helperStopped {
		t.Errorf("main exited 3: %v, sidecar stopped: %v\n%s", mainExited, helperStopped, out)
	}
	s.nothingLeft()
}

// Ctrl-C leaves nothing (a pod volume included) and up exits 130.
func TestInterruptLeavesNothing(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "interrupt")
	up := s.up("main running", s.running("web", "tail"))
	up.tearDown(syscall.SIGINT)
	if !strings.Contains(up.stderr.String(), "press Ctrl-C again to force") {
		t.Errorf("up did not say how to force:\n%s", up.output())
	}
	s.nothingLeft()
}

// up is SIGKILLed: everything stays on the engine, ps shows it from the engine, and down
// removes it all in lifecycle order.
func TestDownAfterUpWasKilled(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "killed-up")
	up := s.up("main running", s.running("web", "first", "second"))
	up.signal(syscall.SIGKILL)
	up.wait()
	if err := s.running("infra", "first", "second", "web")(); err != nil {
		t.Fatalf("after SIGKILL of up: %v", err)
	}

	ps := s.psJSON()
	if len(ps.Stacks) != 1 || ps.Stacks[0].Source != "engine" {
		t.Fatalf("ps of a stack whose up was killed: %+v", ps)
	}
	var order []string
	for _, c := range ps.Stacks[0].Pods[0].Containers {
		order = append(order, c.Name)
	}
	if got := strings.Join(order, " "); got != "infra setup first second web" {
		t.Errorf("ps from the engine lists %q, want the start order", got)
	}

	out, _ := s.runExit(0, "down", "--stack", s.stack)
	if !strings.Contains(out, "Removed stack "+s.stack+": 5 containers, 1 volume.") {
		t.Errorf("down's summary:\n%s", out)
	}
	// What was running is reported stopped, not "started" again.
	if squashed := squash(out); strings.Contains(squashed, "started") || !strings.Contains(squashed, "web * stopping") {
		t.Errorf("down's output should report the running containers being stopped, and no start:\n%s", out)
	}
	s.nothingLeft()
}

// The next up of a stack whose up was SIGKILLed removes what was left, says so, and runs.
func TestUpAfterUpWasKilled(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "killed-up")
	first := s.up("main running", s.running("web"))
	oldWeb := s.container("web")
	first.signal(syscall.SIGKILL)
	first.wait()

	second := s.start("up", "-f", s.recipe("sidecar.yaml"), "--output", "json")
	s.eventually("a new main running", second, startDeadline, func() error {
		web, ok := s.containers()["web"]
		switch {
		case !ok:
			return fmt.Errorf("no main yet")
		case web.ID == oldWeb.ID:
			return fmt.Errorf("main is still the killed up's container")
		case web.Status != orchestrator.StatusRunning:
			return fmt.Errorf("the new main is %s", web.Status)
		}
		return nil
	})
	s.runExit(0, "down", "--stack", s.stack)
	if code := second.wait(); code != 0 {
		t.Errorf("the second up, stopped by down, exited %d\n%s", code, second.output())
	}
	var left *orchestrator.LeftoversEvent
	for _, ev := range events(t, second.stdout.String()) {
		if l, ok := ev.(orchestrator.LeftoversEvent); ok {
			left = &l
		}
	}
	if left == nil || !contains(left.Containers, oldWeb.Name) || len(left.Containers) != 5 || len(left.Volumes) != 1 {
		t.Errorf("the second up did not say it removed the leftovers: %+v", left)
	}
	s.nothingLeft()
}

// A sidecar killed from outside (docker kill) comes back; main keeps running in the same
// container, untouched, and still serves through the pod.
func TestKilledSidecarComesBack(t *testing.T) {
	t.Parallel()
	killedComesBack(t, "proxy", "web")
}

// Main crashes (killed: exit 137) and restarts under restart: on-failure; the sidecar keeps
// running untouched, and reaches the new main over the same localhost.
func TestMainRestartKeepsTheSidecarsNetwork(t *testing.T) {
	t.Parallel()
	killedComesBack(t, "web", "proxy")
}

// killedComesBack kills one container of the restarts scenario (main web, sidecar proxy)
// with SIGKILL and checks that it runs again, that the other keeps its container and its
// run, and that main answers through the proxy again.
func killedComesBack(t *testing.T, killed, kept string) {
	t.Helper()
	s := newScenario(t, "restarts")
	up := s.up("main answering through the proxy", s.answers("hello from web"))
	victim, other := s.container(killed), s.container(kept)

	if err := s.d.KillContainer(s.ctx, victim.ID, "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	s.eventually(killed+" running again", up, startDeadline, func() error {
		c := s.container(killed)
		if c.Status != orchestrator.StatusRunning || !c.StartedAt.After(victim.StartedAt) {
			return fmt.Errorf("%s is %s, started %s", killed, c.Status, c.StartedAt)
		}
		return nil
	})
	s.eventually("main answering through the proxy after "+killed+" restarted", up, startDeadline, s.answers("hello from web"))
	if now := s.container(kept); now.ID != other.ID || !now.StartedAt.Equal(other.StartedAt) || now.Status != orchestrator.StatusRunning {
		t.Errorf("%s was disturbed: %s started %s (%s), was %s started %s", kept, now.ID, now.StartedAt, now.Status, other.ID, other.StartedAt)
	}
	up.signal(syscall.SIGINT)
	up.wait()
	s.nothingLeft()
}

// The Kubernetes documentation's native-sidecar Deployment runs: the log shipper (an init
// container with restartPolicy: Always) starts before the app and ships the lines the app
// writes to the shared emptyDir.
func TestKubernetesNativeSidecarDeployment(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "kube-native-sidecar")
	file := s.manifest("deployment.yaml")
	up := s.start("up", "-f", file)
	s.eventually("the app running", up, startDeadline, s.running("myapp", "logshipper"))
	app, shipper := s.container("myapp"), s.container("logshipper")
	if app.StartedAt.Before(shipper.StartedAt) {
		t.Errorf("the app started (%s) before its native sidecar (%s)", app.StartedAt, shipper.StartedAt)
	}
	s.eventually("the shipper shipping the app's log lines", up, startDeadline, func() error {
		var lines []string
		err := s.d.Logs(s.ctx, shipper.ID, orchestrator.LogOptions{Tail: -1}, func(l orchestrator.LogLine) { lines = append(lines, l.Text) })
		if err != nil {
			return err
		}
		for _, l := range lines {
			if strings.Contains(l, "GET /healthz") {
				return nil
			}
		}
		return fmt.Errorf("the shipper printed %q", lines)
	})
	up.tearDown(syscall.SIGTERM) // SIGTERM tears down like Ctrl-C
	s.nothingLeft()
}

// A sidecar whose PID 1 ignores SIGTERM is killed when its grace is over, and up says so,
// suggesting init: true.
func TestSigtermIgnoredMeansSigkill(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "ignores-sigterm")
	out, _ := s.runExit(0, "up", "-f", s.recipe("sidecar.yaml"))
	out = squash(out) // names are padded to one width
	for _, want := range []string{
		"stubborn * stopping (grace 2s)",
		"stubborn * warning: stubborn did not exit within 2s of its stop signal and was killed (SIGKILL)",
		"set `init: true` on stubborn",
		"stubborn * killed (SIGKILL after its grace of 2s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output misses %q:\n%s", want, out)
		}
	}
	s.nothingLeft()
}

// A host port that is taken: up says which, exits 1, and leaves nothing.
func TestPortInUse(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "port-in-use")
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, errOut := s.runExit(1, "up", "-f", s.recipe("sidecar.yaml"))
	if want := fmt.Sprintf("host port %d on 127.0.0.1 is already in use", s.port); !strings.Contains(errOut, want) {
		t.Errorf("stderr misses %q:\n%s", want, errOut)
	}
	s.nothingLeft()
}

// An image that is not on the engine and cannot be pulled: up names it and says how to
// provide it, exits 1, and creates nothing.
func TestMissingImage(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "missing-image")
	_, errOut := s.runExit(1, "up", "-f", s.recipe("sidecar.yaml"))
	image := "sidecar-test/missing-" + s.stack + ":none"
	for _, want := range []string{s.stack + "/web: image " + image + " is not present on the engine and could not be pulled", "docker build -t " + image} {
		if n := strings.Count(errOut, want); n != 1 {
			t.Errorf("stderr says %q %d times, want once:\n%s", want, n, errOut)
		}
	}
	s.nothingLeft()
}

// While up runs, ps shows the stack live from it, and down --stack asks it to stop: up
// exits 0 and nothing is left.
func TestPsAndDownOfARunningUp(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "live-stack")
	up := s.up("main ready", func() error {
		for _, st := range s.psJSON().Stacks {
			for _, p := range st.Pods {
				for _, c := range p.Containers {
					if c.Name == "web" && c.Health == "ready" {
						return nil
					}
				}
			}
		}
		return fmt.Errorf("web is not ready yet")
	})
	ps := s.psJSON()
	st := ps.Stacks[0]
	if st.Source != "live" || st.PID != up.cmd.Process.Pid || st.Phase != "running" {
		t.Errorf("ps: %+v", st)
	}
	states := map[string]string{}
	for _, c := range st.Pods[0].Containers {
		restarts := "-"
		if c.Restarts != nil {
			restarts = strconv.Itoa(*c.Restarts)
		}
		states[c.Name] = c.Role + " " + c.State + " " + c.Health + " " + restarts
	}
	if states["web"] != "main running ready 0" || states["agent"] != "sidecar running  0" || states["infra"] != "infra running  -" {
		t.Errorf("ps states: %q", states)
	}
	if want := fmt.Sprintf("127.0.0.1:%d->8080/tcp", s.port); len(st.Pods[0].Ports) != 1 || st.Pods[0].Ports[0] != want {
		t.Errorf("ps ports: %v, want %s", st.Pods[0].Ports, want)
	}
	text, _, _ := s.run("ps")
	if !strings.Contains(text, "STACK "+s.stack+"  running, live from sidecar up") {
		t.Errorf("ps (text):\n%s", text)
	}

	out, errOut, code := s.run("down", "--stack", s.stack)
	if code != 0 || !strings.Contains(out, "Stopped stack "+s.stack+".") {
		t.Fatalf("down exited %d\n%s\n%s", code, out, errOut)
	}
	s.nothingLeft() // down returned: the stack is gone already
	if code := up.wait(); code != 0 {
		t.Errorf("up, stopped by down, exited %d\n%s", code, up.output())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// squash collapses runs of spaces, so that text checks do not depend on padding.
func squash(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}

// Escape sequences a label can carry: a window title (OSC 0), a clipboard write (OSC 52), a
// screen clear and cursor home (CSI), a bell.
const (
	evilTitle = "x\x1b]0;TITLE\a"
	evilClip  = "\x1b]52;c;aGFja2Vk\a"
	evilClear = "\x1b[2J\x1b[H"
)

// Anyone with access to the engine (or an image, or a compose file of someone else's) can set
// sidecar's labels on a container. None of their bytes may reach the terminal through any
// command: such a container is left out, and said so with its labels quoted.
func TestHostileLabelsNeverReachTheTerminal(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "hostile-labels")
	keys := orchestrator.Labels{Stack: "x", Pod: "x", Container: "x", Role: recipes.RoleMain, Version: "x", Recipe: "x"}.Encode()
	hostile := func(stack string) map[string]string {
		l := map[string]string{testenv.OwnerLabel: s.stack}
		for k := range keys {
			l[k] = evilClip + evilClear
		}
		for k := range orchestrator.StackFilter("") { // the stack label's key
			l[k] = stack
		}
		return l
	}
	// One whose stack label is hostile (no sidecar command can name it), one of the test's own
	// stack with every other label hostile; both print hostile lines too.
	cmd := []string{"/spewer", "-lines", "20", "-hostile"}
	foreign, err := s.d.CreateContainer(s.ctx, orchestrator.ContainerSpec{Name: testenv.UniqueName(t, "hostile"), Image: s.image, Cmd: cmd, Labels: hostile(evilTitle)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // no sidecar command can name its stack
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.d.RemoveContainer(ctx, foreign)
	})
	ours, err := s.d.CreateContainer(s.ctx, orchestrator.ContainerSpec{Name: s.stack + "-evil", Image: s.image, Cmd: cmd, Labels: hostile(s.stack)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{foreign, ours} {
		if err := s.d.StartContainer(s.ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	clean := func(what, out string) {
		t.Helper()
		if i := strings.IndexAny(out, "\x1b\a\u009b\u009d"); i >= 0 {
			t.Errorf("%s printed a control character at byte %d: %q", what, i, out)
		}
		if strings.Contains(out, "]0;TITLE") && !strings.Contains(out, `\x1b]0;TITLE\a`) {
			t.Errorf("%s shows the hostile stack name other than quoted: %q", what, out)
		}
	}
	for _, args := range [][]string{{"ps"}, {"ps", "--stack", s.stack}, {"ps", "-o", "json"}, {"logs", "--stack", s.stack}} {
		out, errOut, code := s.run(args...)
		clean("sidecar "+strings.Join(args, " "), out+errOut)
		if args[0] == "ps" && code != 0 {
			t.Errorf("sidecar %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		if args[0] == "ps" && !strings.Contains(errOut, "is left out, its labels are not sidecar's") {
			t.Errorf("sidecar %s does not say what it left out: %q", strings.Join(args, " "), errOut)
		}
		if len(args) == 3 && args[1] == "-o" {
			var v struct{ Stacks []struct{ Name string } }
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("ps -o json: %v\n%s", err, out)
			}
			for _, st := range v.Stacks {
				if strings.ContainsAny(st.Name, "\x1b\a") {
					t.Errorf("ps -o json lists the stack %q", st.Name)
				}
			}
		}
	}

	// --stack with such a name: a usage error that quotes it.
	out, errOut, code := s.run("down", "--stack", evilTitle)
	clean("sidecar down --stack <hostile>", out+errOut)
	if code != 2 || !strings.Contains(errOut, "is not a valid name") {
		t.Errorf("down --stack <hostile>: exit %d, want 2 with a message:\n%s%s", code, out, errOut)
	}
	// The test's own stack goes down, hostile labels and all, printing none of them.
	out, errOut, code = s.run("down", "--stack", s.stack, "--timeout", "1s")
	clean("sidecar down --stack "+s.stack, out+errOut)
	if code != 0 {
		t.Errorf("down --stack %s: exit %d\n%s%s", s.stack, code, out, errOut)
	}
	if left := s.containers(); len(left) > 0 {
		t.Errorf("down left %d containers of the stack", len(left))
	}
}

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
	up := s.upJSON("compose.yaml", "app")
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

// On an engine before API 1.45, which mounts no sub path of a volume, up refuses a stack
// with one before it creates anything: it names the mount and the fix, exits 1 and leaves
// nothing (the CI engine is 20.10, API 1.41).
func TestVolumeSubpathOnAnOldEngine(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "volume-subpath")
	if s.d.VolumeSubpaths() {
		t.Skipf("the engine speaks API %s, which mounts volume sub paths", s.d.APIVersion())
	}
	_, errOut := s.runExit(1, "up", "-f", s.recipe("sidecar.yaml"))
	for _, want := range []string{"volume sub paths need API 1.45", s.stack + "/web mounts volume data from sub path web", "nothing was created"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	s.nothingLeft()
}
