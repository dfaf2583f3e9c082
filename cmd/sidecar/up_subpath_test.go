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
