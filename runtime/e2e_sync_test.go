package runtime_test

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// A watch's sync on the real engine: host files copied into a running FROM-scratch container
// through the archive API — modes, links, new directories, parents created — without a
// restart.
func TestCopyIntoARunningContainer(t *testing.T) {
	e := newEnv(t)
	id := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/crasher", "-forever"}})
	e.waitRunning(id)
	before, err := e.d.InspectContainer(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(src, name)
		testenv.WriteFile(t, p, content, mode)
		return p
	}
	index := write("index.html", "<h1>synced</h1>", 0o644)
	tool := write("bin/tool", "#!/bin/true\n", 0o755)
	link := filepath.Join(src, "current")
	if err := os.Symlink("index.html", link); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(src, "empty")
	if err := os.Mkdir(empty, 0o750); err != nil {
		t.Fatal(err)
	}
	n, bytes, err := e.d.CopyIn(e.ctx, id, []orchestrator.SyncFile{
		{Source: index, Target: "/www/deep/index.html"},
		{Source: tool, Target: "/www/bin/tool"},
		{Source: link, Target: "/www/deep/current"},
		{Source: empty, Target: "/www/empty"},
		{Source: filepath.Join(src, "gone"), Target: "/www/gone"},
	})
	if err != nil || n != 3 || bytes != int64(len("<h1>synced</h1>")+len("#!/bin/true\n")) {
		t.Fatalf("CopyIn: %d files, %d bytes, %v", n, bytes, err)
	}
	got := map[string]*tar.Header{}
	contents := map[string]string{}
	rd, err := e.d.Client().CopyFromContainer(e.ctx, id, client.CopyFromContainerOptions{SourcePath: "/www"})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Content.Close()
	tr := tar.NewReader(rd.Content)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h
		b, _ := io.ReadAll(tr)
		contents[h.Name] = string(b)
	}
	if h := got["www/deep/index.html"]; h == nil || contents["www/deep/index.html"] != "<h1>synced</h1>" || h.Mode&0o777 != 0o644 {
		t.Errorf("index.html: %+v %q", h, contents["www/deep/index.html"])
	}
	if h := got["www/bin/tool"]; h == nil || h.Mode&0o777 != 0o755 {
		t.Errorf("bin/tool: %+v (want mode 0755)", h)
	}
	if h := got["www/deep/current"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "index.html" {
		t.Errorf("current: %+v (want a link to index.html)", h)
	}
	if h := got["www/empty/"]; h == nil || h.Typeflag != tar.TypeDir {
		t.Errorf("empty: %+v (want a directory)", h)
	}
	if _, ok := got["www/gone"]; ok {
		t.Error("a source gone was copied")
	}
	after, err := e.d.InspectContainer(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != orchestrator.StatusRunning || !after.StartedAt.Equal(before.StartedAt) {
		t.Errorf("the container was restarted: %s, started %v then %v", after.Status, before.StartedAt, after.StartedAt)
	}
	// A file replaced by a directory on the host is replaced in the container too.
	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	write("index.html/part", "p", 0o644)
	if _, _, err := e.d.CopyIn(e.ctx, id, []orchestrator.SyncFile{{Source: index, Target: "/www/deep/index.html"},
		{Source: filepath.Join(index, "part"), Target: "/www/deep/index.html/part"}}); err != nil {
		t.Errorf("CopyIn of a directory over a file: %v", err)
	}
}

// The image a rebuild replaced is removed when no tag names it; the one the tag names now,
// and one a container uses, are left alone.
func TestPruneImage(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	ref := "sidecar-test/prune:" + testenv.Owner(e.labels)
	build := func(content string) string {
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+testenv.AppsImage(t)+"\nCOPY f /f\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: ref, Context: dir, Labels: e.labels}, nil); err != nil {
			t.Fatal(err)
		}
		id, err := e.d.ImageID(e.ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := build("one")
	testenv.RemoveImage(t, e.d, old)
	testenv.RemoveImage(t, e.d, ref) // removed first
	current := build("two")
	if old == current {
		t.Fatal("the second build gave the same image")
	}
	if ok, err := e.d.PruneImage(e.ctx, current); ok || err != nil {
		t.Errorf("PruneImage of the tagged image: %v, %v", ok, err)
	}
	user, err := e.d.CreateContainer(e.ctx, orchestrator.ContainerSpec{Name: testenv.UniqueName(t, "sct"), Image: old, Cmd: []string{"/crasher"}, Labels: e.labels})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.d.PruneImage(e.ctx, old); ok || err != nil {
		t.Errorf("PruneImage of an image a container uses: %v, %v", ok, err)
	}
	if err := e.d.RemoveContainer(e.ctx, user); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.d.PruneImage(e.ctx, old); !ok || err != nil {
		t.Errorf("PruneImage of the replaced image: %v, %v", ok, err)
	}
	if _, err := e.d.ImageID(e.ctx, old); !errors.Is(err, orchestrator.ErrNotFound) {
		t.Errorf("the replaced image is still there: %v", err)
	}
	if _, err := e.d.ImageID(e.ctx, ref); err != nil {
		t.Errorf("the current image went: %v", err)
	}
}
