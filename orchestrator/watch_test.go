package orchestrator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// What a watch asks of a running stack, on the fake engine: a rebuild replaces the
// containers of the rebuilt image alone, a failed build changes nothing, a sync writes into
// the container as it runs, watch rules are not part of a container's config.

func built(c *recipes.Container) { c.Build = &recipes.Build{Context: "web"} }

func startBuilt(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, daily(func(p *recipes.Pod) { built(p.Main) }), orchestrator.Options{})
	h.rt.ExitOnStart("demo-setup", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	return h
}

// rebuild runs Rebuild, then ReplaceRebuilt when the build went well.
func (h *harness) rebuild(ref orchestrator.ContainerRef) (res orchestrator.RebuildResult, rep orchestrator.ReplaceResult, err error) {
	h.t.Helper()
	h.await("Rebuild to return", func() {
		if res, err = h.o.Rebuild(context.Background(), ref); err == nil {
			rep, err = h.o.ReplaceRebuilt(context.Background(), res)
		}
	})
	return res, rep, err
}

var webRef = orchestrator.ContainerRef{Pod: "demo", Container: "web"}

func TestRebuildReplacesItsContainerAlone(t *testing.T) {
	h := startBuilt(t)
	before := h.ids()
	oldImage, _ := h.rt.ImageID(context.Background(), "test/web:1")
	res, rep, err := h.rebuild(webRef)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if res.Unchanged || res.ImageID == oldImage || res.Old != oldImage || h.rt.Builds("test/web:1") != 2 {
		t.Errorf("result %+v, builds %d: want a new image", res, h.rt.Builds("test/web:1"))
	}
	if got := changed(before, h.ids()); !slices.Equal(got, []string{"demo-web"}) {
		t.Errorf("re-created %v, want demo-web alone", got)
	}
	if len(rep.Changes) != 1 || !strings.Contains(rep.Changes[0], "replace web: image test/web:1 was rebuilt") {
		t.Errorf("changes %q", rep.Changes)
	}
	if v := h.view("demo", "web"); v.State != orchestrator.CStateRunning || v.Health != orchestrator.HealthReady {
		t.Errorf("web after the rebuild: %s %s", v.State, v.Health)
	}
	if !rep.Pruned || !slices.Equal(h.rt.Pruned(), []string{oldImage}) {
		t.Errorf("pruned %v (%v), want the replaced image %s", h.rt.Pruned(), rep.Pruned, oldImage)
	}
	// The build's progress went out as image events, the last one done.
	var last orchestrator.ImageEvent
	for _, e := range h.all() {
		if ie, ok := e.(orchestrator.ImageEvent); ok && ie.Ref == "test/web:1" {
			last = ie
		}
	}
	if !last.Done || last.Error != "" || last.Action != orchestrator.ImageBuild {
		t.Errorf("last image event %+v", last)
	}
}

func TestRebuildThatFailsKeepsTheContainer(t *testing.T) {
	h := startBuilt(t)
	before := h.ids()
	h.rt.Fail("BuildImage", "test/web:1", errors.New("step 2/2: COPY failed: no such file"))
	_, _, err := h.rebuild(webRef)
	if err == nil || !strings.Contains(err.Error(), "COPY failed") {
		t.Fatalf("Rebuild: %v, want the build's error", err)
	}
	if got := changed(before, h.ids()); len(got) != 0 {
		t.Errorf("re-created %v after a failed build", got)
	}
	if h.state("demo", "web") != orchestrator.CStateRunning {
		t.Errorf("web: %s", h.state("demo", "web"))
	}
}

func TestRebuildOfTheSameImageReplacesNothing(t *testing.T) {
	h := startBuilt(t)
	before := h.ids()
	h.rt.SameBuilds("test/web:1")
	res, rep, err := h.rebuild(webRef)
	if err != nil || !res.Unchanged || len(rep.Changes) != 0 {
		t.Fatalf("Rebuild: %+v, %v; want unchanged", res, err)
	}
	if got := changed(before, h.ids()); len(got) != 0 {
		t.Errorf("re-created %v", got)
	}
}

func TestRebuildNeedsABuildSection(t *testing.T) {
	h := startBuilt(t)
	_, _, err := h.rebuild(orchestrator.ContainerRef{Pod: "demo", Container: "proxy"})
	if !errors.Is(err, orchestrator.ErrNotSupported) || !strings.Contains(err.Error(), "no build section") {
		t.Errorf("Rebuild of proxy: %v", err)
	}
}

func TestSyncFilesWritesIntoTheRunningContainer(t *testing.T) {
	h := startBuilt(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := h.ids()
	c, _ := h.rt.Container("demo-web")
	starts := c.Starts
	res, err := h.o.SyncFiles(context.Background(), webRef, []orchestrator.SyncFile{
		{Source: write("index.html", "<h1>new</h1>"), Target: "/www/index.html"},
		{Source: write("a.css", "b{}"), Target: "/www/css/a.css"},
		{Source: filepath.Join(dir, "gone-already"), Target: "/www/gone-already"},
	})
	if err != nil || res.Files != 2 || res.Bytes != 15 {
		t.Fatalf("SyncFiles: %+v, %v", res, err)
	}
	c, _ = h.rt.Container("demo-web")
	if string(c.Files["/www/index.html"]) != "<h1>new</h1>" || string(c.Files["/www/css/a.css"]) != "b{}" {
		t.Errorf("the container's files: %v", c.Files)
	}
	// A deletion runs rm in the container.
	res, err = h.o.SyncFiles(context.Background(), webRef, []orchestrator.SyncFile{{Target: "/www/css"}})
	if err != nil || res.Deleted != 1 || res.NotDeleted != 0 {
		t.Fatalf("SyncFiles of a deletion: %+v, %v", res, err)
	}
	c, _ = h.rt.Container("demo-web")
	if _, ok := c.Files["/www/css/a.css"]; ok {
		t.Errorf("/www/css/a.css is still there: %v", c.Files)
	}
	if got := changed(before, h.ids()); len(got) != 0 || c.Starts != starts {
		t.Errorf("a sync re-created %v or restarted web", got)
	}
	// An image without rm keeps what was deleted, and says so.
	h.rt.Fail("Exec", "demo-web", errors.New(`exec "rm": executable file not found in $PATH`))
	res, err = h.o.SyncFiles(context.Background(), webRef, []orchestrator.SyncFile{{Target: "/www/index.html"}})
	if err != nil || res.NotDeleted != 1 || !strings.Contains(res.DeleteError, "deleted on the host, still in the container: /www/index.html (") {
		t.Errorf("SyncFiles of a deletion without rm: %+v, %v", res, err)
	}
}

// Editing only a container's watch rules re-creates nothing: they say what a watch does with
// the container, not how it is made.
func TestWatchRulesAreNotPartOfTheConfig(t *testing.T) {
	h := startBuilt(t)
	before := h.ids()
	edited := daily(func(p *recipes.Pod) {
		built(p.Main)
		p.Main.Watch = []recipes.WatchRule{{Path: "web", Action: recipes.WatchRebuild}}
		p.Sidecars[0].Watch = []recipes.WatchRule{{Path: "proxy.conf", Action: recipes.WatchRestart}}
	})
	res, err := h.apply(edited, orchestrator.ApplyOptions{})
	if err != nil || !res.UpToDate() {
		t.Fatalf("apply of new watch rules: %+v, %v", res, err)
	}
	if got := changed(before, h.ids()); len(got) != 0 {
		t.Errorf("re-created %v", got)
	}
	if got := h.o.Stack().Pod("demo").Main.Watch; len(got) != 1 {
		t.Errorf("the stack's rules after the apply: %+v", got)
	}
}

// Editing only a container's declared ports (expose), or whether a volume is a secret one,
// re-creates nothing either: locally they change nothing, and only the exports use them.
func TestDeclaredPortsAreNotPartOfTheConfig(t *testing.T) {
	h := startBuilt(t)
	before := h.ids()
	edited := daily(func(p *recipes.Pod) {
		built(p.Main)
		p.Main.Expose = []recipes.Port{{ContainerPort: 9000, Protocol: recipes.ProtoTCP}}
		for _, c := range p.Sidecars {
			c.Gate = recipes.GateStarted // when the next container starts: nothing of this one
		}
		for _, v := range p.Volumes {
			v.Secret = true
		}
	})
	res, err := h.apply(edited, orchestrator.ApplyOptions{})
	if err != nil || !res.UpToDate() {
		t.Fatalf("apply of new declared ports: %+v, %v", res, err)
	}
	if got := changed(before, h.ids()); len(got) != 0 {
		t.Errorf("re-created %v", got)
	}
}

func TestWatchEventText(t *testing.T) {
	for _, tc := range []struct {
		ev   orchestrator.WatchEvent
		want string
	}{
		{orchestrator.WatchEvent{Phase: orchestrator.WatchWatching, Rules: []recipes.WatchRule{
			{Path: "web", Action: recipes.WatchRebuild}, {Path: "web/static", Action: recipes.WatchSync, Target: "/www"}}},
			"watching web (rebuild), web/static (sync to /www)"},
		{orchestrator.WatchEvent{Phase: orchestrator.WatchChanged, Action: recipes.WatchSync, Paths: []string{"a", "b"}, More: 3, Queued: true},
			"changed: a, b (+3 more) → sync, after the one under way"},
		{orchestrator.WatchEvent{Phase: orchestrator.WatchSynced, Files: 2, Bytes: 1300, Deleted: 1, Duration: recipes.Duration(35 * time.Millisecond)},
			"synced 2 files (1.3 KiB), deleted 1 in 35ms"},
		{orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilt, Image: "web:dev", Duration: recipes.Duration(1234 * time.Millisecond), Unchanged: true},
			"rebuilt image web:dev in 1.2s: unchanged, nothing to replace"},
		{orchestrator.WatchEvent{Phase: orchestrator.WatchReplaced, ID: "3c4d5e6f7a8b9c0d", Duration: recipes.Duration(2100 * time.Millisecond)},
			"replaced 2.1s after the change (new container 3c4d5e6f7a8b)"},
		{orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Action: recipes.WatchRebuild, Error: "build failed"},
			"rebuild failed: build failed"},
	} {
		if got := tc.ev.Text(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.ev.Phase, got, tc.want)
		}
	}
}

func TestWatchEventJSON(t *testing.T) {
	ev := orchestrator.WatchEvent{Pod: "demo", Container: "web", Phase: orchestrator.WatchChanged,
		Action: recipes.WatchSyncRestart, Paths: []string{"conf/a.yaml"}}
	b, err := ev.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"type":"watch",`) || !strings.Contains(string(b), `"action":"sync+restart"`) {
		t.Errorf("JSON %s", b)
	}
	back, err := orchestrator.DecodeEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := back.(orchestrator.WatchEvent); !ok || got.Phase != ev.Phase || got.Action != ev.Action || !slices.Equal(got.Paths, ev.Paths) {
		t.Errorf("decoded %#v", back)
	}
}
