package orchestrator_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// withFiles is a pod whose volume cfg carries files: init seed mounts it writable at /shared,
// main web read-only at /etc/app (a ConfigMap's mount), sidecar side has one file of it
// (sub_path) read-only at /etc/side/a.conf.
func withFiles(files map[string]string) *recipes.Stack {
	ro := func(c *recipes.Container) { c.Volumes[len(c.Volumes)-1].ReadOnly = true }
	web := ctr("web", mount("cfg", "/etc/app", ""), ro)
	return stack("app", pod("app", web,
		inits(ctr("seed", mount("cfg", "/shared", ""))),
		sidecars(ctr("side", mount("cfg", "/etc/side/a.conf", "a.conf"), ro)),
		volumes(&recipes.Volume{Name: "cfg", Files: files}, &recipes.Volume{Name: "scratch"}),
	))
}

func startWithFiles(t *testing.T, files map[string]string) *harness {
	t.Helper()
	h := newHarness(t, withFiles(files), orchestrator.Options{})
	h.rt.ExitOnStart("app-seed", 0)
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	return h
}

func bytesOf(files map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = []byte(v)
	}
	return out
}

// A pod volume with files is an engine volume of the pod like any other, filled through the
// infra container's mount of it before anything starts, and mounted (read-only where the
// mount is) by the containers that mount it whole: they share it, and it hides what the
// image has at the path. Only a sub_path mount of one of its files is a copy.
func TestFilesVolumeIsMounted(t *testing.T) {
	files := map[string]string{"a.conf": "a", "sub/b.conf": "b"}
	h := startWithFiles(t, files)

	if got := h.rt.Volumes(); !slices.Equal(got, []string{"app-cfg", "app-scratch"}) {
		t.Errorf("volumes %v, want app-cfg and app-scratch", got)
	}
	if got := h.rt.VolumeFiles("app-cfg"); !maps.EqualFunc(got, bytesOf(files), func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("files in app-cfg: %q, want %q", got, files)
	}
	infra, _ := h.rt.Container("app-infra")
	if len(infra.Spec.Mounts) == 0 || infra.Spec.Mounts[0] != (orchestrator.MountSpec{Type: recipes.MountVolume, Source: "app-cfg", Target: orchestrator.InfraVolumeDir(0), Seed: true}) {
		t.Errorf("infra mounts %+v, want app-cfg first, at %s", infra.Spec.Mounts, orchestrator.InfraVolumeDir(0))
	}
	if len(infra.Files) != 0 {
		t.Errorf("files copied into the infra container itself: %v", infra.Files)
	}
	for name, want := range map[string][]orchestrator.MountSpec{
		"app-web":  {{Type: recipes.MountVolume, Source: "app-cfg", Target: "/etc/app", ReadOnly: true}},
		"app-seed": {{Type: recipes.MountVolume, Source: "app-cfg", Target: "/shared"}},
		"app-side": nil,
	} {
		c, _ := h.rt.Container(name)
		if !slices.Equal(c.Spec.Mounts, want) {
			t.Errorf("%s mounts %+v, want %+v", name, c.Spec.Mounts, want)
		}
		if name != "app-side" && len(c.Files) != 0 {
			t.Errorf("files copied into %s: %v", name, c.Files)
		}
	}
	side, _ := h.rt.Container("app-side")
	if string(side.Files["/etc/side/a.conf"]) != "a" || len(side.Files) != 1 || !side.ReadOnly["/etc/side/a.conf"] {
		t.Errorf("side: files %q, read-only %v; want a.conf copied read-only", side.Files, side.ReadOnly)
	}
	hist := h.rt.HistoryOf()
	before(t, hist, "create app-infra", "create app-seed")
	before(t, hist, "create app-infra", "create app-web")
	h.shutdownLeavesNothing()
}

// A changed file re-creates the pod (as a pod restart is what brings a changed ConfigMap to
// a sub_path mount in Kubernetes, and what a checksum annotation asks for): the volume is
// removed and filled afresh, so a file the recipe no longer has is gone too.
func TestApplyChangedFilesRecreatesThePod(t *testing.T) {
	h := startWithFiles(t, map[string]string{"a.conf": "a", "sub/b.conf": "b"})
	was := h.ids()
	next := map[string]string{"a.conf": "a2"}
	h.applyChanges(withFiles(next), "re-create pod app: the files of volume cfg changed")
	if got := changed(was, h.ids()); len(got) != 4 {
		t.Errorf("re-created %v, want all four", got)
	}
	h.until("the stack running again", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	if got := h.rt.VolumeFiles("app-cfg"); len(got) != 1 || string(got["a.conf"]) != "a2" {
		t.Errorf("files in app-cfg after the change: %q, want only a.conf = a2", got)
	}
	if side, _ := h.rt.Container("app-side"); string(side.Files["/etc/side/a.conf"]) != "a2" {
		t.Errorf("side's copy after the change: %q", side.Files)
	}
	hist := h.rt.HistoryOf()
	if cut := index(hist, "destroy app-infra"); cut < 0 || index(hist[cut:], "start app-seed") < 0 {
		t.Errorf("the pod was not started again after its infra container's removal: %v", hist)
	}
	h.shutdownLeavesNothing()
}

// When the infra container is lost, the pod is re-created with its volumes with files filled
// afresh; the plain volume is kept.
func TestInfraLossRefillsFilesVolume(t *testing.T) {
	h := startWithFiles(t, map[string]string{"a.conf": "a"})
	seed, _ := h.rt.Container("app-seed")
	if err := h.rt.CopyFiles(t.Context(), seed.Info.ID, "/shared", map[string][]byte{"new.txt": []byte("written")}, false); err != nil {
		t.Fatal(err)
	}
	if got := h.rt.VolumeFiles("app-cfg"); len(got) != 2 {
		t.Fatalf("files in app-cfg: %q", got)
	}
	infra, _ := h.rt.Container("app-infra")
	if err := h.rt.Exit("app-infra", 137); err != nil {
		t.Fatal(err)
	}
	h.until("a new infra container running", 100*time.Millisecond, func() bool {
		c, ok := h.rt.Container("app-infra")
		return ok && c.Info.ID != infra.Info.ID && h.o.Snapshot().Phase == orchestrator.PhaseRunning
	})
	if got := h.rt.VolumeFiles("app-cfg"); len(got) != 1 || string(got["a.conf"]) != "a" {
		t.Errorf("files in app-cfg after the infra loss: %q, want a.conf alone", got)
	}
	h.shutdownLeavesNothing()
}
