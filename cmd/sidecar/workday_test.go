package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// up of a running stack of the same name from another recipe file refuses, naming both files
// and the fixes, and touches nothing; from the same file (another path to it) it converges.
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
			fmt.Sprintf("stack app is running from another recipe: sidecar up (pid %d) runs it from %s, and this is %s", os.Getpid(), p1, p2),
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

	down := testCLI(t, rt, dir)
	if err := down.down("app", 0); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sidecar: stack app is run by sidecar up (pid %d): asking it to stop", os.Getpid()); !strings.Contains(down.errOut.String(), want) {
		t.Errorf("down says:\n%s\nwant %q", down.errOut, want)
	}
	if err := wait(); err != nil {
		t.Errorf("up: %v", err)
	}
}

// down of a stack run by the supervisor of up -d names it as ps does.
func TestDownNamesTheSupervisor(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	file := recipe(t, jobRecipe)
	sup := testCLI(t, rt, dir)
	wait := sup.up(file, func(o *UpOptions) {
		o.supervise = &superviseOptions{log: filepath.Join(t.TempDir(), "job.log")}
	})
	sup.until("the stack running", sup.running("job-work"))
	down := testCLI(t, rt, dir)
	if err := down.down("job", 0); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sidecar: stack job is run by sidecar up -d (supervisor pid %d): asking it to stop", os.Getpid()); !strings.Contains(down.errOut.String(), want) {
		t.Errorf("down says:\n%s\nwant %q", down.errOut, want)
	}
	if err := wait(); err != nil {
		t.Errorf("the supervisor: %v", err)
	}
}
