package main

import (
	"context"
	"slices"
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

// namedService is a compose service as a command line names it: by its compose name, which
// is not its container's.
type namedService struct {
	compose, stack string
	name           string // the service's compose name
	ctr, ref       string // its container: engine name, and pod/container
	other          string // the engine name of a container the commands leave alone
}

var (
	// debug_tool is pod (and container) debug-tool, which keeps debug_tool as an alias.
	renamedService = namedService{compose: renamedCompose, stack: "rtr-nm", name: "debug_tool",
		ctr: debugTool, ref: "debug-tool/debug-tool", other: "rtr-nm-web-web"}
	// web_envoy joins web's namespace: it is container web-envoy of pod web, and no pod's
	// alias.
	joinedService = namedService{compose: joinedCompose, stack: "rtr-jn", name: "web_envoy",
		ctr: "rtr-jn-web-web-envoy", ref: "web/web-envoy", other: "rtr-jn-web-web"}
)

// joinedCompose has services that join another's namespace (network_mode: service:X), each
// a container of X's pod named as a DNS label.
const joinedCompose = `name: rtr-jn
services:
  consul: {image: app:1}
  web: {image: app:1, restart: "no"}
  web_envoy: {image: app:1, network_mode: "service:web"}
  currency: {image: app:1}
`

// A docker compose user names a service by its compose name: logs, restart|stop|start and
// exec of debug_tool act on pod debug-tool's container, as up debug_tool does, whether a
// running up answers or the engine's labels do.
func TestCommandsNameARenamedServiceByItsComposeName(t *testing.T) {
	commandsNameAService(t, renamedService)
}

// So do they of web_envoy, container web-envoy of pod web (network_mode: service:web).
func TestCommandsNameAJoinedServiceByItsComposeName(t *testing.T) {
	commandsNameAService(t, joinedService)
}

// commandsNameAService runs s's stack and checks that logs, stop, start, restart and exec
// of s.name act on s's container alone.
func commandsNameAService(t *testing.T, s namedService) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	c := testCLI(t, rt, dir)
	file := recipe(t, s.compose)
	wait := c.up(file)
	c.until("the stack running", c.running(s.other, s.ctr))
	if err := rt.Print(s.ctr, orchestrator.Stdout, "debugging"); err != nil {
		t.Fatal(err)
	}

	var logs *cli
	c.until("the line in the up's buffer", func() bool {
		logs = testCLI(t, rt, dir)
		return logs.logs(file, s.name) == nil && strings.Contains(logs.out.String(), "debugging")
	})
	if out := logs.out.String(); !onlyLine(out, s.ref) {
		t.Errorf("logs %s:\n%s", s.name, out)
	}

	for _, verb := range []string{control.VerbStop, control.VerbStart, control.VerbRestart} {
		cmd := testCLI(t, rt, dir)
		err := containersRun(context.Background(), &ContainersOptions{IO: cmd.f.IO, Factory: cmd.f, Verb: verb, File: recipeFiles{file},
			Containers: []string{s.name}, ControlDir: dir, Connect: cmd.connect})
		if err != nil {
			t.Fatalf("%s %s: exit %d: %v\n%s", verb, s.name, exitOf(err), err, cmd.errOut)
		}
	}
	if ctr, _ := rt.Container(s.ctr); ctr.Starts != 3 {
		t.Errorf("%s started %d times after stop, start and restart; want 3", s.ctr, ctr.Starts)
	}
	if other, _ := rt.Container(s.other); other.Starts != 1 {
		t.Errorf("%s started %d times; want 1 (untouched)", s.other, other.Starts)
	}

	ex := testCLI(t, rt, dir)
	ctr, _ := rt.Container(s.ctr)
	if id, err := ex.exec(file, s.name); err != nil || id != ctr.Info.ID {
		t.Errorf("exec %s ran in %q (%v); want %s's %q", s.name, id, err, s.ctr, ctr.Info.ID)
	}

	if err := testCLI(t, rt, dir).down(s.stack, 0); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("up: %v", err)
	}
}

// Without a running up, logs and exec read the engine's labels, and the pods' aliases from
// the recipe.
func TestEngineCommandsNameARenamedServiceByItsComposeName(t *testing.T) {
	engineCommandsNameAService(t, renamedService)
}

func TestEngineCommandsNameAJoinedServiceByItsComposeName(t *testing.T) {
	engineCommandsNameAService(t, joinedService)
}

// onlyLine reports whether logs out is the line "debugging" of ref alone (its label padded
// to the widest of the stack's).
func onlyLine(out, ref string) bool {
	return strings.Count(out, "\n") == 1 && slices.Equal(strings.Fields(out), []string{ref, "|", "debugging"})
}

func engineCommandsNameAService(t *testing.T, s namedService) {
	c, file := killedUp(t, s.compose)
	if err := c.rt.Print(s.ctr, orchestrator.Stdout, "debugging"); err != nil {
		t.Fatal(err)
	}
	if err := c.logs(file, s.name); err != nil || !onlyLine(c.out.String(), s.ref) {
		t.Errorf("logs %s: %v\n%s", s.name, err, c.out)
	}
	ctr, _ := c.rt.Container(s.ctr)
	if id, err := c.exec(file, s.name); err != nil || id != ctr.Info.ID {
		t.Errorf("exec %s ran in %q (%v); want %s's %q", s.name, id, err, s.ctr, ctr.Info.ID)
	}
	if err := c.down(s.stack, 0); err != nil {
		t.Fatal(err)
	}
}
