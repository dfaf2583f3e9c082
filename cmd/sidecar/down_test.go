package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// killedUp leaves on a fake engine of its own what an up of the recipe (text) leaves when it
// is SIGKILLed with everything running, using the orchestrator's own container specs (and so
// its labels). It returns a cli on that engine, with a control directory of its own, and the
// recipe's path.
func killedUp(t *testing.T, text string) (c *cli, file string) {
	t.Helper()
	c = testCLI(t, newFake("app:1"), controlTestDir(t))
	file = recipe(t, text)
	st, _, err := loadStack(c.f, recipeFiles{file})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.rt.AddImage("sidecar-infra:fake")
	for _, p := range st.Pods {
		spec := &orchestrator.PodSpec{Stack: st, Pod: p, Version: "v1", InfraImage: "sidecar-infra:fake"}
		infra, err := c.rt.CreateContainer(ctx, spec.InfraSpec())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.rt.StartContainer(ctx, infra); err != nil {
			t.Fatal(err)
		}
		for _, ctr := range p.Containers() {
			id, err := c.rt.CreateContainer(ctx, spec.ContainerSpec(ctr, infra))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.rt.StartContainer(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c, file
}

// psStacks runs `sidecar ps -o json` (of stack; "": of every stack) on c's engine and control
// directory and decodes what it prints.
func (c *cli) psStacks(stack string) []psStack {
	c.t.Helper()
	before := len(c.out.String())
	if err := psRun(context.Background(), c.psOptions(stack, "json")); err != nil {
		c.t.Fatal(err)
	}
	var doc struct {
		Stacks []psStack `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(c.out.String()[before:]), &doc); err != nil {
		c.t.Fatalf("ps: %v\n%s", err, c.out)
	}
	return doc.Stacks
}

func (c *cli) psOptions(stack, output string) *PsOptions {
	return &PsOptions{IO: c.f.IO, Factory: c.f, Output: output, Stack: stack, Connect: c.connect, ControlDir: c.dir, Now: time.Now}
}

// down runs `sidecar down --stack stack` on c's engine and control directory; timeout 0: as
// down's default.
func (c *cli) down(stack string, timeout time.Duration) error {
	return downRun(context.Background(), &DownOptions{IO: c.f.IO, Factory: c.f, Stack: stack, Timeout: timeout, Connect: c.connect, ControlDir: c.dir})
}

func TestDownWithoutUp(t *testing.T) {
	c, file := killedUp(t, jobRecipe)
	rt, dir := c.rt, c.dir
	rt.IgnoreSIGTERM("job-helper")

	ps := testCLI(t, rt, dir)
	stacks := ps.psStacks("")
	if len(stacks) != 1 {
		t.Fatalf("ps: %s", ps.out)
	}
	if s := stacks[0]; s.Name != "job" || s.Source != "engine" || len(s.Pods) != 1 || len(s.Pods[0].Containers) != 3 {
		t.Errorf("ps of a stack without its up: %+v", s)
	}
	if r := stacks[0].Pods[0].Containers[0]; r.Role != "infra" || r.State != "running" || r.Uptime == "" || r.Restarts != nil || r.Health != "" {
		t.Errorf("infra as the engine shows it: %+v", r)
	}

	err := downRun(context.Background(), &DownOptions{IO: c.f.IO, Factory: c.f, File: recipeFiles{file}, Timeout: time.Millisecond, Connect: c.connect, ControlDir: dir})
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	out := c.out.String()
	for _, want := range []string{"work   * stopping", "helper * killed", "Removed stack job: 3 containers (job/helper needed SIGKILL)."} {
		if !strings.Contains(out, want) {
			t.Errorf("down's output misses %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "started") { // they were running already: down reports what it does to them
		t.Errorf("down announces containers that were running as started:\n%s", out)
	}
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}

	again := testCLI(t, rt, dir)
	if err := again.down("job", 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.out.String(), "Nothing of stack job is on the engine: nothing to do.") {
		t.Errorf("second down: %s", again.out)
	}
}

func TestDownAndPsFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"down", "-f", "x.yaml", "--stack", "x"}, 2, "give either -f FILE or --stack NAME, not both"},
		{[]string{"down", "--timeout", "-1s", "--stack", "x"}, 2, "--timeout must not be negative"},
		{[]string{"down", "-f", "nope/sidecar.yaml"}, 2, "sidecar down --stack NAME"},
		{[]string{"ps", "-o", "yaml"}, 2, `unknown output format "yaml"`},
		{[]string{"up", "--output", "xml", "-f", "x.yaml"}, 2, `unknown output format "xml"`},
		{[]string{"up", "-f", "nope.yaml"}, 2, "cannot read nope.yaml"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, errOut := testFactory(t)
			if code := runCLI(t, f, tt.args...); code != tt.code || !strings.Contains(errOut.String(), tt.err) {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
		})
	}
}

// ps of a stack found only on the engine lists a pod's containers in start order, from the
// order label, as a live ps does: not alphabetically.
func TestPsFromEngineUsesStartOrder(t *testing.T) {
	c, _ := killedUp(t, `
name: ord
main: {name: app, image: app:1}
init:
  - {name: setup, image: app:1}
sidecars:
  - {name: zeta, image: app:1}
  - {name: alpha, image: app:1}
  - {name: mid, image: app:1}
`)
	stacks := c.psStacks("ord")
	if len(stacks) != 1 {
		t.Fatalf("ps: %s", c.out)
	}
	var names []string
	for _, ctr := range stacks[0].Pods[0].Containers {
		names = append(names, ctr.Name)
	}
	if got, want := strings.Join(names, " "), "infra setup zeta alpha mid app"; got != want {
		t.Errorf("ps order %q, want the start order %q", got, want)
	}
	if err := c.down("ord", time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// A job pod whose main finished is "completed" in ps from the engine too (the infra
// container's job label), in JSON and in text.
func TestPsFromEngineShowsACompletedJob(t *testing.T) {
	c, _ := killedUp(t, `
name: jobs
pods:
  seed: {job: true, main: {name: seed, image: app:1}}
  app: {main: {name: web, image: app:1}, depends_on: [seed]}
`)
	if err := c.rt.Exit("jobs-seed-seed", 0); err != nil {
		t.Fatal(err)
	}
	stacks := c.psStacks("jobs")
	if len(stacks) != 1 {
		t.Fatalf("ps: %s", c.out)
	}
	phases := map[string]string{}
	for _, p := range stacks[0].Pods {
		phases[p.Name] = p.Phase
	}
	if phases["seed"] != "completed" || phases["app"] != "" {
		t.Errorf("pod phases %v, want seed completed and app without one", phases)
	}
	before := len(c.out.String())
	if err := psRun(context.Background(), c.psOptions("jobs", "text")); err != nil {
		t.Fatal(err)
	}
	if text := c.out.String()[before:]; !strings.Contains(text, "seed (completed)") || strings.Contains(text, "app (completed)") {
		t.Errorf("ps text does not mark the completed job:\n%s", text)
	}
	if err := c.down("jobs", time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// down -v, docker compose's habit, is taken: the stack's volumes always go with it.
func TestDownTakesComposesVolumesFlag(t *testing.T) {
	for _, args := range [][]string{{"down", "-v", "--stack", "x"}, {"down", "--volumes", "--stack", "x"}} {
		f, _, errOut := testFactory(t)
		if opts, code := parsed(t, f, newDownCmd, args...); code != 0 || opts == nil || opts.Stack != "x" {
			t.Errorf("%v: exit %d, options %+v\n%s", args, code, opts, errOut)
		}
	}
}

// down of a stack that a supervisor runs says it is done and stopped, not with an exit code:
// the end is down's doing, and up's status (0, or 130 had up been interrupted) says nothing
// of the stack. A stack that was ending already when down came (its up interrupted) ended
// on its own: down says its exit code.
func TestDownOfASupervisedStackSaysNoExitCode(t *testing.T) {
	for _, ending := range []bool{false, true} {
		t.Run(fmt.Sprintf("ending=%v", ending), func(t *testing.T) {
			rt := newFake("app:1")
			dir := controlTestDir(t)
			sup := testCLI(t, rt, dir)
			wait := sup.up(recipe(t, jobRecipe), func(o *UpOptions) {
				o.supervise = &superviseOptions{log: filepath.Join(t.TempDir(), "job.log")}
			})
			sup.until("the stack running", sup.running("job-work", "job-helper"))
			want := "job    * done\n"
			if ending {
				rt.IgnoreSIGTERM("job-work")
				sup.signals <- syscall.SIGINT
				sup.until("main's stop signal", func() bool {
					return strings.Contains(strings.Join(rt.HistoryOf("job-work"), ","), "kill job-work SIGTERM")
				})
				want = "job    * done (exit code 130)\n"
			}
			down := testCLI(t, rt, dir)
			if err := down.down("job", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			_ = wait()
			out := down.out.String()
			if !strings.Contains(out, want) || !strings.Contains(out, "Stopped stack job") {
				t.Errorf("down says:\n%s\nwant %q", out, want)
			}
			if !ending && strings.Contains(out, "exit code") {
				t.Errorf("down of a running stack names an exit code:\n%s", out)
			}
		})
	}
}
