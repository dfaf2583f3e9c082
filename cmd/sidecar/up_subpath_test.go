package main

import (
	"context"
	"strings"
	"testing"
)

// oldEngine is the fake engine speaking API 1.41, which mounts no sub path of a volume.
type oldEngine struct{ fakeEngine }

func (oldEngine) APIVersion() string   { return "1.41" }
func (oldEngine) VolumeSubpaths() bool { return false }

// On an engine before API 1.45, a sub path of a volume the engine mounts is refused before up
// creates anything, naming the mount and the fix; one of a volume with files (copied in) is
// not.
func TestUpVolumeSubpathNeedsAPI145(t *testing.T) {
	rt := newFake("app:1")
	c := testCLI(t, rt, controlTestDir(t))
	connect := func(o *UpOptions) {
		o.Connect = func(context.Context) (engine, error) { return oldEngine{fakeEngine{rt}}, nil }
	}
	err := c.up(recipe(t, `
name: sub
main:
  name: web
  image: app:1
  volumes:
    - {type: volume, source: data, target: /data, sub_path: web}
volumes:
  data: {}
`), connect)()
	if code := exitOf(err); code != exitFailure {
		t.Fatalf("exit %d (%v), want %d", code, err, exitFailure)
	}
	for _, want := range []string{"API 1.41", "need API 1.45", "sub/web mounts volume data from sub path web", "nothing was created"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if h := rt.HistoryOf(); len(h) > 0 {
		t.Errorf("the engine was asked to do something: %v", h)
	}

	rt.ExitOnStart("files-web", 0)
	err = c.up(recipe(t, `
name: files
main:
  name: web
  image: app:1
  volumes:
    - {type: volume, source: conf, target: /etc/web.conf, sub_path: web.conf}
volumes:
  conf: {files: {web.conf: "x = 1"}}
`), connect)()
	if err != nil {
		t.Fatalf("a sub path of a volume with files needs no engine support, got %v\n%s", err, c.errOut)
	}
}

// An up that converges a running stack onto a recipe that adds a sub path of a volume, on an
// engine before API 1.45, is refused as the first up would be, before the running stack's
// owner gets the recipe: the same message, exit 1, and the stack runs on untouched.
func TestConvergeVolumeSubpathNeedsAPI145(t *testing.T) {
	rt := newFake("app:1")
	dir := controlTestDir(t)
	connect := func(o *UpOptions) {
		o.Connect = func(context.Context) (engine, error) { return oldEngine{fakeEngine{rt}}, nil }
	}
	const before = `
name: sub
main:
  name: web
  image: app:1
  volumes:
    - {type: volume, source: data, target: /data}
volumes:
  data: {}
`
	file := recipe(t, before)
	first := testCLI(t, rt, dir)
	wait := first.up(file, connect)
	first.until("the stack running", first.running("sub-web"))
	history := len(rt.History())

	writeFile(t, file, strings.Replace(before, "target: /data}", "target: /data, sub_path: web}", 1))
	for _, detach := range []bool{true, false} {
		second := testCLI(t, rt, dir)
		err := second.up(file, connect, func(o *UpOptions) { o.Detach = detach })()
		if code := exitOf(err); code != exitFailure {
			t.Fatalf("up (detach %v) onto a sub path: exit %d (%v), want %d\n%s", detach, code, err, exitFailure, second.errOut)
		}
		for _, want := range []string{"API 1.41", "need API 1.45", "sub/web mounts volume data from sub path web", "nothing was created"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	if h := rt.History(); len(h) != history || len(rt.Running()) != 2 {
		t.Errorf("the running stack was touched: %v (running %v)", h[history:], rt.Running())
	}

	if err := testCLI(t, rt, dir).down("sub", 0); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("the first up: %v", err)
	}
}
