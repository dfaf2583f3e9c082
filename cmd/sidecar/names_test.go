package main

import (
	"context"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// renamedCompose has a service whose name is not a DNS label: it is imported as pod (and
// container) debug-tool, which keeps debug_tool as an alias.
const renamedCompose = "name: rtr-nm\nservices:\n  web: {image: app:1}\n  debug_tool: {image: app:1}\n"

const debugTool = "rtr-nm-debug-tool-debug-tool"

// execRecorder is the fake engine as exec uses it, recording the container it runs in.
type execRecorder struct {
	fakeEngine
	id *string
}

func (e execRecorder) ExecInteractive(_ context.Context, id string, _ []string, _ runtime.ExecStreams) (int, error) {
	*e.id = id
	return 0, nil
}

// exec runs `sidecar exec CONTAINER -- true` on the recipe file and returns the engine ID of
// the container it ran in.
func (c *cli) exec(file, container string) (string, error) {
	var id string
	err := execRun(context.Background(), &ExecOptions{IO: c.f.IO, Factory: c.f, File: recipeFiles{file}, Container: container,
		Command: []string{"true"}, ControlDir: c.dir,
		Connect: func(context.Context) (execEngine, error) { return execRecorder{fakeEngine{c.rt}, &id}, nil }})
	return id, err
}

func (c *cli) logs(file string, containers ...string) error {
	return logsRun(context.Background(), &LogsOptions{IO: c.f.IO, Factory: c.f, File: recipeFiles{file}, Tail: -1, Containers: containers,
		ControlDir: c.dir, Connect: func(context.Context) (logEngine, error) { return fakeEngine{c.rt}, nil }})
}

// A docker compose user names a service by its compose name: logs, restart|stop|start and
// exec of debug_tool act on pod debug-tool's container, as up debug_tool does, whether a
// running up answers or the engine's labels do.
func TestCommandsNameARenamedServiceByItsComposeName(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	c := testCLI(t, rt, dir)
	file := recipe(t, renamedCompose)
	wait := c.up(file)
	c.until("the stack running", c.running("rtr-nm-web-web", debugTool))
	if err := rt.Print(debugTool, orchestrator.Stdout, "debugging"); err != nil {
		t.Fatal(err)
	}

	var logs *cli
	c.until("the line in the up's buffer", func() bool {
		logs = testCLI(t, rt, dir)
		return logs.logs(file, "debug_tool") == nil && strings.Contains(logs.out.String(), "debugging")
	})
	if out := logs.out.String(); !strings.Contains(out, "debug-tool/debug-tool | debugging") || strings.Contains(out, "web/web") {
		t.Errorf("logs debug_tool:\n%s", out)
	}

	for _, verb := range []string{control.VerbStop, control.VerbStart, control.VerbRestart} {
		cmd := testCLI(t, rt, dir)
		err := containersRun(context.Background(), &ContainersOptions{IO: cmd.f.IO, Factory: cmd.f, Verb: verb, File: recipeFiles{file},
			Containers: []string{"debug_tool"}, ControlDir: dir, Connect: cmd.connect})
		if err != nil {
			t.Fatalf("%s debug_tool: exit %d: %v\n%s", verb, exitOf(err), err, cmd.errOut)
		}
	}
	if dbg, _ := rt.Container(debugTool); dbg.Starts != 3 {
		t.Errorf("debug-tool started %d times after stop, start and restart; want 3", dbg.Starts)
	}
	if web, _ := rt.Container("rtr-nm-web-web"); web.Starts != 1 {
		t.Errorf("web started %d times; want 1 (untouched)", web.Starts)
	}

	ex := testCLI(t, rt, dir)
	dbg, _ := rt.Container(debugTool)
	if id, err := ex.exec(file, "debug_tool"); err != nil || id != dbg.Info.ID {
		t.Errorf("exec debug_tool ran in %q (%v); want %s's %q", id, err, debugTool, dbg.Info.ID)
	}

	if err := testCLI(t, rt, dir).down("rtr-nm", 0); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("up: %v", err)
	}
}

// Without a running up, logs and exec read the engine's labels, and the pods' aliases from
// the recipe.
func TestEngineCommandsNameARenamedServiceByItsComposeName(t *testing.T) {
	c, file := killedUp(t, renamedCompose)
	if err := c.rt.Print(debugTool, orchestrator.Stdout, "debugging"); err != nil {
		t.Fatal(err)
	}
	if err := c.logs(file, "debug_tool"); err != nil || c.out.String() != "debug-tool/debug-tool | debugging\n" {
		t.Errorf("logs debug_tool: %v\n%s", err, c.out)
	}
	dbg, _ := c.rt.Container(debugTool)
	if id, err := c.exec(file, "debug_tool"); err != nil || id != dbg.Info.ID {
		t.Errorf("exec debug_tool ran in %q (%v); want %s's %q", id, err, debugTool, dbg.Info.ID)
	}
	if err := c.down("rtr-nm", 0); err != nil {
		t.Fatal(err)
	}
}
