package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// twoCheckouts writes one recipe into <tmp>/p1/app and another into <tmp>/p2/app: neither
// has name:, so both are stack app.
func twoCheckouts(t *testing.T) (p1, p2 string) {
	t.Helper()
	root := t.TempDir()
	p1, p2 = filepath.Join(root, "p1", "app", "sidecar.yaml"), filepath.Join(root, "p2", "app", "sidecar.yaml")
	for path, main := range map[string]string{p1: "one", p2: "two"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, fmt.Sprintf("main: {name: %s, image: app:1}\n", main))
	}
	return p1, p2
}

// up of a running stack of the same name from a recipe in another directory refuses, naming
// both files and the fixes, and touches nothing; from the same directory (another path to
// it, another file of it) it converges.
func TestUpRefusesAStackRunFromAnotherRecipe(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	p1, p2 := twoCheckouts(t)
	first := testCLI(t, rt, dir)
	wait := first.up(p1)
	first.until("the stack running", first.running("app-one"))
	ids := rt.Containers()

	for _, detach := range []bool{true, false} {
		second := testCLI(t, rt, dir)
		err := second.up(p2, func(o *UpOptions) { o.Detach = detach })()
		msg := fmt.Sprint(err)
		if exitOf(err) != exitBadInput {
			t.Fatalf("up (-d %v) from another recipe: exit %d (%v), want 2\n%s", detach, exitOf(err), err, second.errOut)
		}
		for _, want := range []string{
			fmt.Sprintf("stack app is running from a recipe in another directory: sidecar up (pid %d) runs it from %s, and this is %s", os.Getpid(), p1, p2),
			"name: at the top of " + p2, "sidecar down --stack app",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("the refusal misses %q:\n%s", want, msg)
			}
		}
		if now := rt.Containers(); strings.Join(now, ",") != strings.Join(ids, ",") {
			t.Errorf("the refused up touched the stack: %v → %v", ids, now)
		}
	}

	// The same recipe through a link to its directory is the same recipe.
	link := filepath.Join(t.TempDir(), "app")
	if err := os.Symlink(filepath.Dir(p1), link); err != nil {
		t.Fatal(err)
	}
	same := testCLI(t, rt, dir)
	if err := same.up(filepath.Join(link, "sidecar.yaml"), func(o *UpOptions) { o.Detach = true })(); err != nil ||
		!strings.Contains(same.out.String(), "Stack app is up to date.") {
		t.Fatalf("up -d of the same recipe: %v\n%s%s", err, same.out, same.errOut)
	}

	// Another file of the same directory is the same project, edited: it converges, and ps
	// names the recipe applied.
	other := filepath.Join(filepath.Dir(p1), "other.yaml")
	writeFile(t, other, "name: app\nmain: {name: one, image: app:1}\n")
	edit := testCLI(t, rt, dir)
	if err := edit.up(other, func(o *UpOptions) { o.Detach = true })(); err != nil {
		t.Fatalf("up -d of another file of the same directory: %v\n%s%s", err, edit.out, edit.errOut)
	}
	if stacks := edit.psStacks("app"); len(stacks) != 1 || stacks[0].Recipe != other {
		t.Errorf("ps after up -d -f %s: %+v", other, stacks)
	}

	downAsksItsOwner(t, rt, dir, "app", fmt.Sprintf("sidecar up (pid %d)", os.Getpid()), wait)
}

// downAsksItsOwner runs down of stack, which owner runs (as down names it: "sidecar up (pid
// N)"), and checks that down says it asks the owner to stop, and that the owner, whose end
// wait waits for, ends well.
func downAsksItsOwner(t *testing.T, rt *fake.Runtime, dir, stack, owner string, wait func() error) {
	t.Helper()
	down := testCLI(t, rt, dir)
	if err := down.down(stack, 0); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sidecar: stack %s is run by %s: asking it to stop", stack, owner); !strings.Contains(down.errOut.String(), want) {
		t.Errorf("down says:\n%s\nwant %q", down.errOut, want)
	}
	if err := wait(); err != nil {
		t.Errorf("%s: %v", owner, err)
	}
}

// down of a stack run by the supervisor of up -d names it as ps does, and so does an up that
// finds the stack taken.
func TestDownNamesTheSupervisor(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	file := recipe(t, jobRecipe)
	sup := testCLI(t, rt, dir)
	wait := sup.up(file, func(o *UpOptions) {
		o.supervise = &superviseOptions{log: filepath.Join(t.TempDir(), "job.log")}
	})
	sup.until("the stack running", sup.running("job-work"))
	engineDir, err := sup.f.controlDirOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if msg, want := runningError(engineDir, "job").Error(), fmt.Sprintf("stack job is run by sidecar up -d (supervisor pid %d, from %s)", os.Getpid(), file); !strings.Contains(msg, want) {
		t.Errorf("the stack taken says %q, want %q", msg, want)
	}
	downAsksItsOwner(t, rt, dir, "job", fmt.Sprintf("sidecar up -d (supervisor pid %d)", os.Getpid()), wait)
}

// execFake is the fake engine as exec uses it (exec itself is the engine's: e2e).
type execFake struct{ fakeEngine }

func (execFake) ExecInteractive(context.Context, string, []string, runtime.ExecStreams) (int, error) {
	return 0, errors.New("not in the fake")
}

// restart|stop|start, attach and watch of a stack whose up was killed say so, what the engine
// still has and what to do; exec of one of its stopped containers too.
func TestCommandsOfAStackWhoseUpWasKilled(t *testing.T) {
	c, _ := killedUp(t, jobRecipe)
	for _, verb := range []string{control.VerbRestart, control.VerbStop, control.VerbStart} {
		err := containersRun(context.Background(), &ContainersOptions{IO: c.f.IO, Factory: c.f, Verb: verb, Stack: "job", ControlDir: c.dir, Connect: c.connect})
		msg := fmt.Sprint(err)
		if exitOf(err) != exitFailure || !errors.Is(err, ErrNoSupervisor) {
			t.Errorf("%s: exit %d (%v), want 1", verb, exitOf(err), err)
		}
		for _, want := range []string{"stack job is not run by any sidecar up", "was its up killed?", "3 containers of it are still on the engine",
			"`sidecar up -d` takes the stack over (removes what is left and starts it again)", "`sidecar down --stack job` removes it"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s says %q, which misses %q", verb, msg, want)
			}
		}
	}
	err := attachRun(context.Background(), &AttachOptions{ownerOptions{IO: c.f.IO, Factory: c.f, Stack: "job", ControlDir: c.dir, Connect: c.connect}})
	if !strings.Contains(fmt.Sprint(err), "3 containers of it are still on the engine") {
		t.Errorf("attach: %v", err)
	}

	if err := c.rt.Exit("job-work", 1); err != nil {
		t.Fatal(err)
	}
	ex := &ExecOptions{IO: c.f.IO, Factory: c.f, Stack: "job", Container: "work", ControlDir: c.dir}
	_, err = ex.findContainer(context.Background(), execFake{fakeEngine{c.rt}}, "job", nil)
	if msg := fmt.Sprint(err); !strings.Contains(msg, "work is not running (exited), and no sidecar up runs stack job (was its up killed?): `sidecar up -d` takes the stack over") ||
		!strings.Contains(msg, "`sidecar down --stack job` removes it") {
		t.Errorf("exec of a stopped container of it: %v", err)
	}

	if err := c.down("job", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	err = containersRun(context.Background(), &ContainersOptions{IO: c.f.IO, Factory: c.f, Verb: control.VerbRestart, Stack: "job", ControlDir: c.dir, Connect: c.connect})
	if msg := fmt.Sprint(err); !strings.Contains(msg, "stack job is not running (no sidecar up runs it, and the engine has none of its containers): start it with `sidecar up -d`") {
		t.Errorf("restart of a stack with nothing left: %v", err)
	}
}

// up -d -f job.yaml, then down (or logs, exec, attach…) in the same directory without -f:
// there is no sidecar.yaml there, and the stack that runs from job.yaml is the one meant.
// Two such stacks are named in the error instead.
func TestCommandsFindTheStackRunFromHere(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	here := t.TempDir()
	file := filepath.Join(here, "job.yaml")
	writeFile(t, file, jobRecipe)
	sup := testCLI(t, rt, dir)
	wait := sup.up(file)
	sup.until("the stack running", sup.running("job-work"))
	t.Chdir(here)

	other := filepath.Join(here, "other.yaml")
	writeFile(t, other, "name: other\nmain: {name: main, image: app:1}\n")
	second := testCLI(t, rt, dir)
	waitOther := second.up(other)
	second.until("the other stack running", second.running("other-main"))
	two := testCLI(t, rt, dir)
	err := downRun(context.Background(), &DownOptions{IO: two.f.IO, Factory: two.f, File: recipeFiles{defaultFile}, Connect: two.connect, ControlDir: dir})
	if msg := fmt.Sprint(err); exitOf(err) != exitBadInput || !strings.Contains(msg, "Stacks run from recipes of this directory: job (job.yaml), other (other.yaml)") {
		t.Errorf("down with two stacks run from here: exit %d, %s", exitOf(err), msg)
	}
	downAsksItsOwner(t, rt, dir, "other", fmt.Sprintf("sidecar up (pid %d)", os.Getpid()), waitOther)

	down := testCLI(t, rt, dir)
	if err := downRun(context.Background(), &DownOptions{IO: down.f.IO, Factory: down.f, File: recipeFiles{defaultFile}, Connect: down.connect, ControlDir: dir}); err != nil {
		t.Fatalf("down: %v\n%s", err, down.errOut)
	}
	if want := "sidecar: no sidecar.yaml here: using stack job, which runs from job.yaml"; !strings.Contains(down.errOut.String(), want) {
		t.Errorf("down says:\n%s\nwant %q", down.errOut, want)
	}
	if err := wait(); err != nil {
		t.Errorf("up: %v", err)
	}
}
