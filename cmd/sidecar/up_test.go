package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/syncbuf"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// fakeEngine is the in-memory engine as up, down and ps use it.
type fakeEngine struct{ *fake.Runtime }

func (fakeEngine) Close() error { return nil }

// cli is one command's run against the fake engine: its options' dependencies, and its
// output.
type cli struct {
	t       *testing.T
	f       *Factory
	rt      *fake.Runtime
	dir     string // control directory
	out     *syncbuf.Buffer
	errOut  *syncbuf.Buffer
	signals chan os.Signal
}

// testCLI returns the dependencies of up, down and ps on rt, with a control directory of the
// test's own (short: unix socket paths are limited).
func testCLI(t *testing.T, rt *fake.Runtime, dir string) *cli {
	t.Helper()
	f, _, _ := testFactory(t)
	c := &cli{t: t, f: f, rt: rt, dir: dir, out: &syncbuf.Buffer{}, errOut: &syncbuf.Buffer{}, signals: make(chan os.Signal, 2)}
	f.IO = &IOStreams{In: strings.NewReader(""), Out: c.out, ErrOut: c.errOut}
	return c
}

func controlTestDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (c *cli) connect(context.Context) (engine, error) { return fakeEngine{c.rt}, nil }

func (c *cli) upOptions(file string, extra ...func(*UpOptions)) *UpOptions {
	o := &UpOptions{IO: c.f.IO, Factory: c.f, File: recipeFiles{file}, viewOptions: viewOptions{Output: "text"}, Connect: c.connect, Signals: c.signals, ControlDir: c.dir}
	for _, e := range extra {
		e(o)
	}
	return o
}

// up runs `sidecar up` in the background; wait returns its error.
func (c *cli) up(file string, extra ...func(*UpOptions)) (wait func() error) {
	done := make(chan error, 1)
	go func() { done <- upRun(context.Background(), c.upOptions(file, extra...)) }()
	return func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			c.t.Fatalf("up did not return\nstdout:\n%s\nstderr:\n%s\nengine: %v", c.out, c.errOut, c.rt.HistoryOf())
			return nil
		}
	}
}

// until waits for cond, waking on every change of the fake engine; it fails after a deadline.
func (c *cli) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ch := c.rt.Changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Millisecond): // the socket and the output change outside the engine
		case <-deadline:
			c.t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s\nengine: %v", what, c.out, c.errOut, c.rt.HistoryOf())
		}
	}
}

func (c *cli) running(names ...string) func() bool {
	return func() bool {
		run := strings.Join(c.rt.Running(), " ") + " "
		for _, n := range names {
			if !strings.Contains(run, n+" ") {
				return false
			}
		}
		return true
	}
}

// recipe writes a sidecar.yaml into a directory of its own.
func recipe(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	writeFile(t, path, text)
	return path
}

func exitOf(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

func newFake(images ...string) *fake.Runtime {
	rt := fake.New(clock.RealClock{})
	rt.AddImage(images...)
	return rt
}

const jobRecipe = `
name: job
main: {name: work, image: app:1}
sidecars:
  - {name: helper, image: app:1}
`

func TestUpExitsWithMainsCode(t *testing.T) {
	rt := newFake("app:1")
	rt.PrintOnStart("job-work", "working", "done")
	rt.ExitOnStart("job-work", 3)
	c := testCLI(t, rt, controlTestDir(t))
	err := c.up(recipe(t, jobRecipe))()
	if code := exitOf(err); code != 3 {
		t.Fatalf("exit %d (%v), want main's 3\n%s", code, err, c.out)
	}
	for _, want := range []string{"helper * started", "work   | working", "work   * exited 3", "helper * stopped (exit 0)", "done (exit code 3)"} {
		if !strings.Contains(c.out.String(), want) {
			t.Errorf("output misses %q:\n%s", want, c.out)
		}
	}
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	dir, err := c.f.controlDirOf(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "job.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the control socket was not removed: %v", err)
	}
}

func TestUpJSONOutput(t *testing.T) {
	rt := newFake("app:1")
	rt.ExitOnStart("job-work", 0)
	c := testCLI(t, rt, controlTestDir(t))
	err := c.up(recipe(t, jobRecipe), func(o *UpOptions) { o.Output = "json" })()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(c.out.String()), "\n")
	var types []string
	for _, l := range lines {
		ev, err := orchestrator.DecodeEvent([]byte(l))
		if err != nil {
			t.Fatalf("not an event: %v: %s", err, l)
		}
		types = append(types, ev.Type())
	}
	if types[0] != "snapshot" || types[len(types)-1] != "stack" {
		t.Errorf("event types %v: want the snapshot first and the stack's end last", types)
	}
}

func TestUpInterruptThenForce(t *testing.T) {
	rt := newFake("app:1")
	rt.IgnoreSIGTERM("job-work")
	c := testCLI(t, rt, controlTestDir(t))
	wait := c.up(recipe(t, jobRecipe))
	c.until("main running", c.running("job-work"))
	c.signals <- syscall.SIGINT
	c.until("main's stop signal", func() bool {
		return strings.Contains(strings.Join(rt.HistoryOf("job-work"), ","), "kill job-work SIGTERM")
	})
	if !strings.Contains(c.errOut.String(), "stopping… press Ctrl-C again to force") {
		t.Errorf("stderr: %s", c.errOut)
	}
	c.signals <- syscall.SIGINT // main ignores SIGTERM and has 30s: force
	err := wait()
	if code := exitOf(err); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130", code, err)
	}
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestUpInitFailureShowsItsLastLines(t *testing.T) {
	rt := newFake("app:1")
	rt.PrintOnStart("job-migrate", "connecting", "error: no schema")
	rt.ExitOnStart("job-migrate", 2)
	c := testCLI(t, rt, controlTestDir(t))
	err := c.up(recipe(t, jobRecipe+"init:\n  - {name: migrate, image: app:1}\n"))()
	if code := exitOf(err); code != exitFailure {
		t.Fatalf("exit %d (%v), want 1", code, err)
	}
	msg := err.Error()
	for _, want := range []string{"pod job failed: init container migrate exited with code 2", "last lines of job/migrate:", "  | connecting", "  | error: no schema"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error misses %q:\n%s", want, msg)
		}
	}
}

func TestUpUnknownPod(t *testing.T) {
	c := testCLI(t, newFake(), controlTestDir(t))
	err := c.up(recipe(t, jobRecipe), func(o *UpOptions) { o.Pods = []string{"nope"} })()
	if code := exitOf(err); code != exitBadInput || !strings.Contains(err.Error(), `stack job has no pod "nope": its pods are job`) {
		t.Errorf("exit %d: %v", code, err)
	}
}

// sidecar up NAME runs a compose service named on the command line whatever its profiles,
// as docker compose up flower does (airflow's file says so).
func TestUpNamedServiceWithAProfile(t *testing.T) {
	rt := newFake("app:1")
	rt.ExitOnStart("rtc-prof-flower-flower", 0)
	c := upComposeService(t, rt, "name: rtc-prof\nservices:\n  redis: {image: app:1}\n  flower: {image: app:1, profiles: [flower], restart: \"no\"}\n", "flower")
	if strings.Contains(c.errOut.String(), "profiles") {
		t.Errorf("flower, named, is warned about as left out:\n%s", c.errOut)
	}
	if !strings.Contains(c.out.String(), "flower") || len(rt.HistoryOf("rtc-prof-redis-redis")) > 0 {
		t.Errorf("up flower ran:\n%s\nengine: %v", c.out, rt.HistoryOf())
	}
}

// A compose service renamed to a DNS label (debug_tool → pod debug-tool) is named on the
// command line by its compose name too, as docker compose up debug_tool names it.
func TestUpNamesARenamedServiceByItsComposeName(t *testing.T) {
	rt := newFake("app:1")
	rt.ExitOnStart("rtr-pf-debug-tool-debug-tool", 0)
	c := upComposeService(t, rt, "name: rtr-pf\nservices:\n  web: {image: app:1}\n  debug_tool: {image: app:1, profiles: [debug], restart: \"no\"}\n", "debug_tool")
	if len(rt.HistoryOf("rtr-pf-debug-tool-debug-tool")) == 0 || len(rt.HistoryOf("rtr-pf-web-web")) > 0 {
		t.Errorf("up debug_tool ran:\n%s\nengine: %v", c.out, rt.HistoryOf())
	}
}

// A compose service that joins another's namespace (network_mode: service:web) is a
// container of that pod: up web_envoy (or web-envoy, its container's name) runs that pod and
// what it needs, as docker compose up web_envoy starts what that service needs; so does up
// app, which joins ts.
func TestUpNamesAJoinedServiceByItsComposeName(t *testing.T) {
	for _, name := range []string{"web_envoy", "web-envoy", "Web.Envoy"} {
		rt := newFake("app:1")
		rt.ExitOnStart("rtr-jn-web-web", 0)
		c := upComposeService(t, rt, joinedCompose, name)
		if len(rt.HistoryOf("rtr-jn-web-web-envoy")) == 0 || len(rt.HistoryOf("rtr-jn-consul-consul")) > 0 || len(rt.HistoryOf("rtr-jn-currency-currency")) > 0 {
			t.Errorf("up %s ran:\n%s\nengine: %v", name, c.out, rt.HistoryOf())
		}
	}
	rt := newFake("app:1")
	rt.ExitOnStart("crash-ts-app", 0) // app is the pod's main, ts its sidecar
	c := upComposeService(t, rt, "name: crash\nservices:\n  ts: {image: app:1}\n  app: {image: app:1, network_mode: \"service:ts\", restart: \"no\"}\n", "app")
	if len(rt.HistoryOf("crash-ts-app")) == 0 || len(rt.HistoryOf("crash-ts-ts")) == 0 {
		t.Errorf("up app ran:\n%s\nengine: %v", c.out, rt.HistoryOf())
	}
}

// up NAME of a container name several pods have names none of them: it says which pods.
func TestUpContainerOfSeveralPods(t *testing.T) {
	c := testCLI(t, newFake(), controlTestDir(t))
	err := c.up(recipe(t, "name: amb\npods:\n  a: {main: {name: a, image: app:1}, sidecars: [{name: sh, image: app:1}]}\n  b: {main: {name: b, image: app:1}, sidecars: [{name: sh, image: app:1}]}\n"),
		func(o *UpOptions) { o.Pods = []string{"sh"} })()
	if code := exitOf(err); code != exitBadInput || !strings.Contains(err.Error(), `"sh" is in several pods of stack amb: name one of a, b`) {
		t.Errorf("exit %d: %v", code, err)
	}
}

// upComposeService runs up SERVICE of the compose file compose on rt, and checks that it
// exits 0.
func upComposeService(t *testing.T, rt *fake.Runtime, compose, service string) *cli {
	t.Helper()
	c := testCLI(t, rt, controlTestDir(t))
	path := filepath.Join(t.TempDir(), "compose.yaml")
	writeFile(t, path, compose)
	err := c.up(path, func(o *UpOptions) { o.Pods = []string{service} })()
	if code := exitOf(err); code != 0 {
		t.Fatalf("exit %d: %v\n%s", code, err, c.errOut)
	}
	return c
}

func TestUpEngineUnreachable(t *testing.T) {
	c := testCLI(t, newFake(), controlTestDir(t))
	unreachable := &runtime.UnreachableError{Host: "unix:///nope.sock", Reason: "there is no engine socket at /nope.sock", Hint: "is Docker running?"}
	err := c.up(recipe(t, jobRecipe), func(o *UpOptions) {
		o.Connect = func(context.Context) (engine, error) { return nil, unreachable }
	})()
	if code := exitOf(err); code != exitFailure || !strings.Contains(err.Error(), "cannot connect to the Docker engine at unix:///nope.sock") {
		t.Errorf("exit %d: %v", code, err)
	}
	// The stack is free again.
	dir, err := c.f.controlDirOf(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	stackFree(t, dir, "job", "the stack is still held")
}

// stackFree checks that stack is free in control directory dir: an up may take it. what says
// what it means when it is not.
func stackFree(t *testing.T, dir, stack, what string) {
	t.Helper()
	h, err := holdStack(dir, stack)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	h.release()
}

// While an up runs a stack, the stack is its own: a second up refuses (and leaves the first
// one's containers alone), ps shows it live, and down stops it through its socket.
func TestLiveStackOwnedByItsUp(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	file := recipe(t, jobRecipe)
	first := testCLI(t, rt, dir)
	wait := first.up(file)
	first.until("the stack running", func() bool { return strings.Contains(first.out.String(), "stack job is running") })
	ids := rt.Containers()

	// A second up of the same stack converges it: nothing changed, nothing is touched.
	second := testCLI(t, rt, dir)
	err := second.up(file, func(o *UpOptions) { o.Detach = true })()
	if err != nil || !strings.Contains(second.out.String(), "Stack job is up to date.") ||
		!strings.Contains(second.errOut.String(), fmt.Sprintf("stack job is running, run by sidecar up (pid %d)", os.Getpid())) {
		t.Fatalf("second up -d: %v\n%s%s", err, second.out, second.errOut)
	}
	if now := rt.Containers(); strings.Join(now, ",") != strings.Join(ids, ",") || len(rt.Running()) != 3 {
		t.Errorf("the second up touched the first one's containers: %v → %v (running %v)", ids, now, rt.Running())
	}
	// In the foreground it goes on to show the stack, until the stack ends.
	third := testCLI(t, rt, dir)
	waitThird := third.up(file)
	third.until("the third up following", func() bool { return strings.Contains(third.out.String(), "Stack job is up to date.") })

	ps := testCLI(t, rt, dir)
	stacks := ps.psStacks("job")
	if len(stacks) != 1 || stacks[0].Source != "live" || stacks[0].PID != os.Getpid() || stacks[0].Phase != "running" {
		t.Fatalf("ps: %s", ps.out)
	}
	states := map[string]string{}
	for _, ctr := range stacks[0].Pods[0].Containers {
		states[ctr.Name] = ctr.Role + " " + ctr.State
	}
	if states["work"] != "main running" || states["helper"] != "sidecar running" || states["infra"] != "infra running" {
		t.Errorf("ps states: %v", states)
	}

	down := testCLI(t, rt, dir)
	if err := down.down("job", 0); err != nil {
		t.Fatalf("down: %v\n%s", err, down.errOut)
	}
	if !strings.Contains(down.out.String(), "Stopped stack job.") || !strings.Contains(down.out.String(), "work   * stopped (exit 0)") {
		t.Errorf("down's output:\n%s", down.out)
	}
	// down returned once the stack was released: everything is gone, a new up may start.
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind after down: %v", left)
	}
	engineDir, err := down.f.controlDirOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	stackFree(t, engineDir, "job", "the stack is still held after down")
	if err := wait(); err != nil {
		t.Errorf("the first up, stopped by down, exited with %v; want 0", err)
	}
	if err := waitThird(); err != nil || !strings.Contains(third.out.String(), "work   * stopped (exit 0)") {
		t.Errorf("the third up, following the stack down: %v\n%s", err, third.out)
	}
}

// A stack is known by its name on one engine: up, ps and down for another engine
// (DOCKER_HOST) never see or act on it, ps of an unreachable engine lists none of it, and the
// same stack runs on both engines at once.
func TestStacksArePerEngine(t *testing.T) {
	dir := controlTestDir(t)
	file := recipe(t, jobRecipe)
	onEngine := func(rt *fake.Runtime, host string) *cli {
		c := testCLI(t, rt, dir)
		c.f.Environ = func() []string { return []string{"DOCKER_HOST=" + host} }
		return c
	}
	rtA, rtB := newFake("app:1"), newFake("app:1")
	a := onEngine(rtA, "unix:///engine-a/docker.sock")
	waitA := a.up(file)
	a.until("the stack running on engine a", func() bool { return strings.Contains(a.out.String(), "stack job is running") })
	idsA := rtA.Containers()

	// ps of another engine that does not answer lists nothing of engine a's.
	gone := onEngine(rtB, "unix:///engine-b/docker.sock")
	unreachable := &runtime.UnreachableError{Host: "unix:///engine-b/docker.sock", Reason: "no socket"}
	o := gone.psOptions("", "text")
	o.Connect = func(context.Context) (engine, error) { return nil, unreachable }
	if err := psRun(context.Background(), o); exitOf(err) != exitFailure || strings.Contains(gone.out.String(), "job") {
		t.Errorf("ps of an unreachable engine b: %v\n%s", err, gone.out)
	}

	b := onEngine(rtB, "unix:///engine-b/docker.sock")
	if stacks := b.psStacks(""); len(stacks) != 0 {
		t.Errorf("ps of engine b shows engine a's stack: %+v", stacks)
	}
	if err := b.down("job", 0); err != nil {
		t.Fatalf("down on engine b: %v\n%s", err, b.errOut)
	}
	if len(rtA.Running()) != 3 {
		t.Fatalf("down on engine b stopped engine a's stack: running %v", rtA.Running())
	}
	// The same stack, on engine b: its own up, its own containers.
	waitB := b.up(file)
	b.until("the stack running on engine b", func() bool { return strings.Contains(b.out.String(), "stack job is running") })
	if strings.Contains(b.errOut.String(), "run by sidecar up") || len(rtB.Running()) != 3 {
		t.Fatalf("up on engine b: running %v\n%s%s", rtB.Running(), b.out, b.errOut)
	}
	if now := rtA.Containers(); strings.Join(now, ",") != strings.Join(idsA, ",") {
		t.Errorf("up on engine b touched engine a: %v → %v", idsA, now)
	}
	if stacks := a.psStacks("job"); len(stacks) != 1 || stacks[0].Engine != "unix:///engine-a/docker.sock" {
		t.Errorf("ps on engine a: %+v", stacks)
	}

	downA := onEngine(rtA, "unix:///engine-a/docker.sock")
	if err := downA.down("job", 0); err != nil {
		t.Fatalf("down on engine a: %v", err)
	}
	if err := waitA(); err != nil {
		t.Errorf("up on engine a: %v", err)
	}
	if len(rtB.Running()) != 3 {
		t.Errorf("down on engine a stopped engine b's stack: running %v", rtB.Running())
	}
	downB := onEngine(rtB, "unix:///engine-b/docker.sock")
	if err := downB.down("job", 0); err != nil {
		t.Fatalf("down on engine b: %v", err)
	}
	if err := waitB(); err != nil {
		t.Errorf("up on engine b: %v", err)
	}
	if left := append(rtA.Containers(), rtB.Containers()...); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A socket left by a killed up (nobody listens, the lock is free) is stale: it does not count
// as a running stack, and whoever finds it removes it.
func TestStaleSocket(t *testing.T) {
	dir := controlTestDir(t)
	lockPath, sock := stackFiles(dir, "old")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if err := os.WriteFile(lockPath, []byte("123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, live := dialControl(dir, "old"); live {
		t.Fatal("a socket nobody listens on counts as live")
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale socket is still there: %v", err)
	}
	// up takes the stack over as well.
	if _, err := net.Listen("unix", sock); err != nil {
		t.Fatal(err)
	}
	stackFree(t, dir, "old", "up refused a stale socket")
}

func TestControlDir(t *testing.T) {
	rd := controlTestDir(t)
	env := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return rd
		}
		return ""
	}
	dir, err := controlDir(env)
	if err != nil || dir != filepath.Join(rd, "sidecar") {
		t.Fatalf("controlDir = %q, %v", dir, err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("mode: %v %v", info, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := controlDir(env); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("a directory open to others was accepted: %v", err)
	}
	tmp := controlTestDir(t)
	dir, err = controlDir(func(k string) string {
		if k == "TMPDIR" {
			return tmp
		}
		return ""
	})
	if err != nil || dir != filepath.Join(tmp, fmt.Sprintf("sidecar-%d", os.Getuid())) {
		t.Errorf("without XDG_RUNTIME_DIR: %q, %v", dir, err)
	}

	// An XDG_RUNTIME_DIR others may write to, or another user's, is not the sockets' parent:
	// the temp dir scheme is used instead.
	withBoth := func(xdg string) func(string) string {
		return func(k string) string {
			switch k {
			case "XDG_RUNTIME_DIR":
				return xdg
			case "TMPDIR":
				return tmp
			}
			return ""
		}
	}
	open := controlTestDir(t)
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if dir, err := controlDir(withBoth(open)); err != nil || dir != filepath.Join(tmp, fmt.Sprintf("sidecar-%d", os.Getuid())) {
		t.Errorf("XDG_RUNTIME_DIR of mode 0777: %q, %v; want the temp dir scheme", dir, err)
	}
	if _, err := os.Stat(filepath.Join(open, "sidecar")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a directory was made in an XDG_RUNTIME_DIR of mode 0777: %v", err)
	}
	if os.Getuid() == 0 {
		theirs := controlTestDir(t)
		if err := os.Chown(theirs, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		if dir, err := controlDir(withBoth(theirs)); err != nil || dir != filepath.Join(tmp, fmt.Sprintf("sidecar-%d", os.Getuid())) {
			t.Errorf("another user's XDG_RUNTIME_DIR: %q, %v; want the temp dir scheme", dir, err)
		}
	}
}

type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// When up's output goes away (its reader closed the pipe), the stack is stopped as on Ctrl-C
// rather than left running unseen.
func TestUpStopsWhenItsOutputIsGone(t *testing.T) {
	rt := newFake("app:1")
	c := testCLI(t, rt, controlTestDir(t))
	c.f.IO.Out = brokenPipe{}
	err := c.up(recipe(t, jobRecipe))()
	if code := exitOf(err); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130", code, err)
	}
	if !strings.Contains(c.errOut.String(), "broken pipe: stopping the stack") {
		t.Errorf("stderr: %s", c.errOut)
	}
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A failure is said once on stdout, where it happens (with its fix), and once on stderr as
// up's error: not again as a separate error line, a second "pod failed", the stack's
// "stopping:" and "failed:" lines, nor wrapped in its own words again.
func TestUpFailureIsSaidOnce(t *testing.T) {
	portErr := fmt.Errorf("start container job-infra: host port 8080 is already in use: free it or change the recipe's ports: %w", orchestrator.ErrPortInUse)
	for _, tt := range []struct {
		name   string
		recipe string
		setup  func(rt *fake.Runtime)
		once   []string // on stdout once, and in up's error once
		lines  []string // stdout lines, in order
	}{
		{
			name: "port in use", recipe: jobRecipe,
			setup: func(rt *fake.Runtime) { rt.Fail("StartContainer", "job-infra", portErr) },
			once:  []string{"host port 8080 is already in use: free it or change the recipe's ports"},
			lines: []string{"job * pod job failed: fake: StartContainer job-infra: start container job-infra: host port 8080", "job * stopping", "job * failed (exit code 1)"},
		},
		{
			name: "init failure", recipe: jobRecipe + "init:\n  - {name: migrate, image: app:1}\n",
			setup: func(rt *fake.Runtime) {
				rt.PrintOnStart("job-migrate", "error: no schema")
				rt.ExitOnStart("job-migrate", 2)
			},
			once:  []string{"init container migrate exited with code 2"},
			lines: []string{"migrate * exited 2", "job * pod job failed: init container migrate exited with code 2", "job * stopping", "job * failed (exit code 1)"},
		},
		{
			name: "two missing images", recipe: "name: job\nmain: {name: work, image: gone:1}\nsidecars:\n  - {name: helper, image: gone:2}\n",
			once:  []string{"pull gone:1: no registry has it", "pull gone:2: no registry has it"},
			lines: []string{"job * failed (exit code 1)"}, // the images in any order before it
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt := newFake("app:1")
			if tt.setup != nil {
				tt.setup(rt)
			}
			c := testCLI(t, rt, controlTestDir(t))
			err := c.up(recipe(t, tt.recipe))()
			if code := exitOf(err); code != exitFailure {
				t.Fatalf("exit %d (%v), want 1\n%s", code, err, c.out)
			}
			out := c.out.String()
			for _, s := range tt.once {
				if n := strings.Count(out, s); n != 1 {
					t.Errorf("stdout says %q %d times, want once:\n%s", s, n, out)
				}
				if n := strings.Count(err.Error(), s); n != 1 {
					t.Errorf("up's error says %q %d times, want once:\n%s", s, n, err)
				}
			}
			if strings.Contains(out, "* error:") {
				t.Errorf("an error line repeats the pod's failure:\n%s", out)
			}
			rest := strings.Join(strings.Fields(out), " ") // names are padded to one width
			for _, l := range tt.lines {
				i := strings.Index(rest, l)
				if i < 0 {
					t.Fatalf("stdout misses %q (in this order):\n%s", l, out)
				}
				rest = rest[i+len(l):]
			}
			if left := rt.Containers(); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// The supervisor's log of a stack is per engine too: the default socket's keeps its plain
// name, another engine's names it, so that the same stack on two engines has two logs.
func TestSupervisorLogPerEngine(t *testing.T) {
	state := t.TempDir()
	env := func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return ""
	}
	def, err := stateLogPath(env, "demo", runtime.DefaultHost)
	if err != nil {
		t.Fatal(err)
	}
	other, err := stateLogPath(env, "demo", "unix:///tmp/x/docker.sock")
	if err != nil {
		t.Fatal(err)
	}
	if def != filepath.Join(state, "sidecar", "demo.log") || other == def || !strings.HasPrefix(filepath.Base(other), "demo@") {
		t.Errorf("logs: default %s, other engine %s", def, other)
	}
}

// One socket reached through a symbolic link (/var/run links to /run on most systems) is
// one engine: the same control directory, so an up -d through one sees the stack the other
// runs instead of taking it for leftovers.
func TestEngineKeyFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "run")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "docker.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "var-run")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	a, b := "unix://"+filepath.Join(real, "docker.sock"), "unix://"+filepath.Join(link, "docker.sock")
	if engineKey(a) != engineKey(b) || !sameEngine(a, b) {
		t.Errorf("%s and %s are one socket, keyed %s and %s", a, b, engineKey(a), engineKey(b))
	}
	if other := "unix://" + filepath.Join(dir, "other.sock"); engineKey(other) == engineKey(a) || sameEngine(other, a) {
		t.Errorf("another socket has the same key")
	}
}
