package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const watchRecipe = `
name: wt
main:
  name: app
  image: app:1
  watch:
    - {path: ./conf.yaml, action: restart}
sidecars:
  - {name: helper, image: app:1}
`

func saveFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+"~", []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+"~", path); err != nil {
		t.Fatal(err)
	}
}

// up --watch on the fake engine: once the stack runs, a change of a restart rule's file
// restarts that container, said on its lines.
func TestUpWatchActsOnChanges(t *testing.T) {
	c := testCLI(t, newFake("app:1"), controlTestDir(t))
	file := recipe(t, watchRecipe)
	conf := filepath.Join(filepath.Dir(file), "conf.yaml")
	saveFile(t, conf, "a: 1")
	wait := c.up(file, func(o *UpOptions) { o.Watch = true })
	c.until("the watch", func() bool { return strings.Contains(c.out.String(), "app    * watching conf.yaml (restart)") })
	saveFile(t, conf, "a: 2")
	c.until("the restart", func() bool { return strings.Contains(c.out.String(), "app    * restarted in ") })
	if s, _ := c.rt.Container("wt-helper"); s.Starts != 1 {
		t.Errorf("helper started %d times", s.Starts)
	}
	c.signals <- syscall.SIGINT
	if err := wait(); exitOf(err) != 130 {
		t.Errorf("up --watch after Ctrl-C: %v", err)
	}
}

// Rules that cannot be followed are bad input: nothing starts.
func TestUpWatchBadRulesStartNothing(t *testing.T) {
	c := testCLI(t, newFake("app:1"), controlTestDir(t))
	file := recipe(t, watchRecipe) // conf.yaml does not exist
	err := c.up(file, func(o *UpOptions) { o.Watch = true })()
	if exitOf(err) != 2 || !strings.Contains(err.Error(), "conf.yaml: no such file or directory") {
		t.Errorf("up --watch with a missing path: %v", err)
	}
	if got := c.rt.Containers(); len(got) != 0 {
		t.Errorf("containers created: %v", got)
	}
}

// sidecar watch of a stack another up runs: it watches until Ctrl-C, which leaves the
// stack running; of a stack without rules, exit 2; of a stack nobody runs, exit 1.
func TestWatchCommand(t *testing.T) {
	c := testCLI(t, newFake("app:1"), controlTestDir(t))
	file := recipe(t, watchRecipe)
	conf := filepath.Join(filepath.Dir(file), "conf.yaml")
	saveFile(t, conf, "a: 1")
	wait := c.up(file)
	c.until("the stack running", c.running("wt-app", "wt-helper"))

	w := testCLI(t, c.rt, c.dir)
	opts := &WatchOptions{ownerOptions: ownerOptions{IO: w.f.IO, Factory: w.f, Stack: "wt", viewOptions: viewOptions{Output: "text"}, ControlDir: c.dir}, Signals: w.signals}
	done := make(chan error, 1)
	go func() { done <- watchRun(context.Background(), opts) }()
	w.until("the watch", func() bool { return strings.Contains(w.out.String(), "app    * watching conf.yaml (restart)") })
	saveFile(t, conf, "a: 2")
	w.until("the restart", func() bool { return strings.Contains(w.out.String(), "app    * restarted in ") })
	w.signals <- syscall.SIGINT
	select {
	case err := <-done:
		if err != nil || !strings.Contains(w.errOut.String(), "stopped watching: stack wt keeps running") {
			t.Errorf("watch after Ctrl-C: %v\n%s", err, w.errOut)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not return after Ctrl-C")
	}
	if !c.running("wt-app", "wt-helper")() {
		t.Error("the stack stopped with the watch")
	}
	c.signals <- syscall.SIGINT
	if err := wait(); exitOf(err) != 130 {
		t.Errorf("up: %v", err)
	}

	nobody := testCLI(t, newFake(), controlTestDir(t))
	err := watchRun(context.Background(), &WatchOptions{ownerOptions: ownerOptions{IO: nobody.f.IO, Factory: nobody.f, Stack: "wt", viewOptions: viewOptions{Output: "text"}, ControlDir: nobody.dir, Connect: nobody.connect}})
	if exitOf(err) != 1 || !strings.Contains(err.Error(), "stack wt is not running") {
		t.Errorf("watch of a stack nobody runs: %v", err)
	}
}

func TestWatchOfAStackWithoutRules(t *testing.T) {
	c := testCLI(t, newFake("app:1"), controlTestDir(t))
	wait := c.up(recipe(t, jobRecipe))
	c.until("the stack running", c.running("job-work", "job-helper"))
	w := testCLI(t, c.rt, c.dir)
	err := watchRun(context.Background(), &WatchOptions{ownerOptions: ownerOptions{IO: w.f.IO, Factory: w.f, Stack: "job", viewOptions: viewOptions{Output: "text"}, ControlDir: c.dir}, Signals: w.signals})
	if exitOf(err) != 2 || !strings.Contains(err.Error(), "no watch rules") {
		t.Errorf("watch of a stack without rules: %v", err)
	}
	c.signals <- syscall.SIGINT
	_ = wait()
}
