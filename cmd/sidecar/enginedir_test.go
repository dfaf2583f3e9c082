package main

import (
	"context"
	"os"
	"testing"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/runtime"
)

// An engine's directory of control files (DIR/ENGINE) is made by the up that runs a stack
// there and goes with the last one: the commands of an engine that does not answer leave
// nothing behind, nor does a stack once it is down.
func TestUnreachableEngineLeavesNoDirectory(t *testing.T) {
	dir := controlTestDir(t)
	host := "tcp://127.0.0.1:1"
	unreachable := &runtime.UnreachableError{Host: host, Reason: "refused"}
	c := testCLI(t, newFake("app:1"), dir)
	c.f.Environ = func() []string { return []string{"DOCKER_HOST=" + host} }
	file := recipe(t, jobRecipe)
	down := func(context.Context) (engine, error) { return nil, unreachable }
	empty := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s of an unreachable engine succeeded", what)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("%s of an unreachable engine (%v) left %s", what, err, left[0].Name())
		}
	}
	ps := c.psOptions("", "text")
	ps.Connect = down
	empty("ps", psRun(context.Background(), ps))
	empty("down", downRun(context.Background(), &DownOptions{IO: c.f.IO, Factory: c.f, Stack: "job", Connect: down, ControlDir: dir}))
	empty("logs", logsRun(context.Background(), &LogsOptions{IO: c.f.IO, Factory: c.f, Stack: "job", Tail: -1, ControlDir: dir,
		Connect: func(context.Context) (logEngine, error) { return nil, unreachable }}))
	empty("exec", execRun(context.Background(), &ExecOptions{IO: c.f.IO, Factory: c.f, Stack: "job", Container: "work", Command: []string{"true"}, ControlDir: dir,
		Connect: func(context.Context) (execEngine, error) { return nil, unreachable }}))
	empty("restart", containersRun(context.Background(), &ContainersOptions{IO: c.f.IO, Factory: c.f, Verb: control.VerbRestart, Stack: "job", ControlDir: dir, Connect: down}))
	empty("up", c.up(file, func(o *UpOptions) { o.Connect = down })())

	// A stack that ran on an engine that answers leaves nothing either once it is down.
	wait := c.up(file)
	c.until("the stack running", c.running("job-work"))
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("the running stack's directory: %v", left)
	}
	if err := c.down("job", 0); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("up: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("a stack that is down left %s", left[0].Name())
	}
}
