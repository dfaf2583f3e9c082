package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// up --watch on the real engine, from a recipe file: an edit of main's build context
// replaces main alone (the probe sidecar and the infra container keep their container and
// their run), a file of the sync rule is served by the same main, a Dockerfile that fails
// leaves the old main serving and prints the build's error; Ctrl-C leaves nothing, and the
// image each rebuild replaced is gone.
func TestUpWatch(t *testing.T) {
	t.Parallel()
	s, w := newWatchScenario(t)
	p := s.start("up", "--watch", "--plain", "-f", w.recipe)
	s.eventually("the stack up and watched", p, startDeadline, func() error {
		if err := s.answers("v1")(); err != nil {
			return err
		}
		return outputHas(p, "web   * watching web (rebuild), web/static (sync to /www/static)")
	})
	first := w.imageID()

	before := s.containers()
	w.save("web/index.html", "v2 of "+s.stack)
	s.eventually("the new content served", p, endDeadline, s.answers("v2"))
	s.eventually("the replacement said", p, endDeadline, func() error { return outputHas(p, "* replaced") })
	after := s.containers()
	if after["web"].ID == before["web"].ID {
		t.Error("web was not replaced")
	}
	s.unchanged(before, "after the rebuild", "infra", "probe")
	for _, line := range []string{"web   * changed: web/index.html → rebuild", "web   * rebuilding image " + w.image, "web   * build: Step 3/3 : COPY index.html /www/", "web   * rebuilt image " + w.image} {
		if err := outputHas(p, line); err != nil {
			t.Error(err)
		}
	}

	before = s.containers()
	w.save("web/static/app.css", "s2")
	s.eventually("the synced file served", p, endDeadline, func() error { return w.serves("/static/app.css", "s2") })
	s.eventually("the sync said", p, endDeadline, func() error { return outputHas(p, "web   * synced 1 file (2 B) in ") })
	s.unchanged(before, "after the sync", "web", "infra", "probe")

	before = s.containers()
	w.save("web/Dockerfile", "ARG BASE\nFROM ${BASE}\nCOPY missing.txt /www/\n")
	s.eventually("the failed rebuild said", p, endDeadline, func() error {
		return outputHas(p, "web   * rebuild failed: ", "COPY missing.txt /www/", "web keeps running as it was")
	})
	if err := s.answers("v2")(); err != nil {
		t.Errorf("after the failed rebuild: %v", err)
	}
	s.unchanged(before, "after the failed rebuild", "web", "infra", "probe")

	p.tearDown(syscall.SIGINT)
	s.nothingLeft()
	w.pruned(first)
}

// sidecar watch for a stack up -d runs: it watches while it runs (ps says so), Ctrl-C stops
// the watch and leaves the stack running.
func TestWatchARunningStack(t *testing.T) {
	t.Parallel()
	s, w := newWatchScenario(t)
	s.env = append(s.env, "XDG_STATE_HOME="+t.TempDir())
	t.Cleanup(func() {
		if len(s.containers()) > 0 {
			s.run("down", "--stack", s.stack)
		}
	})
	if out, errOut, code := s.run("up", "-d", "-f", w.recipe); code != 0 {
		t.Fatalf("up -d exited %d\n%s\n%s", code, out, errOut)
	}
	first := w.imageID()
	p := s.start("watch", "--stack", s.stack)
	s.eventually("the watch", p, endDeadline, func() error { return outputHas(p, "web   * watching web (rebuild)") })
	if out, _, _ := s.run("ps", "--stack", s.stack); !strings.Contains(out, "watching its files") {
		t.Errorf("ps does not say the stack is watched:\n%s", out)
	}
	before := s.containers()
	w.save("web/index.html", "v2 of "+s.stack)
	s.eventually("the new content served", p, endDeadline, s.answers("v2"))
	s.eventually("the replacement said", p, endDeadline, func() error { return outputHas(p, "web   * replaced") })
	s.unchanged(before, "after the rebuild", "infra", "probe")

	p.signal(syscall.SIGINT)
	if code := p.wait(); code != 0 || !strings.Contains(p.stderr.String(), "stopped watching: stack "+s.stack+" keeps running") {
		t.Errorf("watch after Ctrl-C exited %d\n%s", code, p.output())
	}
	s.eventually("the stack no longer watched", nil, endDeadline, func() error {
		if out, _, _ := s.run("ps", "--stack", s.stack); strings.Contains(out, "watching") {
			return errors.New("ps still says watching")
		}
		return nil
	})
	if err := s.running("web", "probe", "infra")(); err != nil {
		t.Errorf("after the watch ended: %v", err)
	}
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
	w.pruned(first)
}

// watchScenario is the copy of testdata/e2e/watch a test edits.
type watchScenario struct {
	s      *scenario
	dir    string
	recipe string
	image  string
}

func newWatchScenario(t *testing.T) (*scenario, *watchScenario) {
	t.Helper()
	s := newScenario(t, "watch")
	w := &watchScenario{s: s, dir: t.TempDir(), image: s.stack + "-web:dev"}
	err := filepath.WalkDir(s.dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.dir, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(w.dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(w.dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	w.recipe = filepath.Join(w.dir, "sidecar.yaml")
	// Content of the test's own: another test's identical build would give the same image.
	if err := os.WriteFile(filepath.Join(w.dir, "web/index.html"), []byte("v1 of "+s.stack), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.RemoveImage(t, s.d, w.image)
	return s, w
}

// save writes content to a temporary file and renames it over rel, as editors save.
func (w *watchScenario) save(rel, content string) {
	w.s.t.Helper()
	p := filepath.Join(w.dir, rel)
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp~")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		w.s.t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		w.s.t.Fatal(err)
	}
}

func (w *watchScenario) serves(path, want string) error {
	body, err := w.s.get(path)
	if err != nil {
		return err
	}
	if body != want {
		return fmt.Errorf("GET %s answered %q, want %q", path, body, want)
	}
	return nil
}

// imageID is the ID the web image's tag names now; it is removed when the test ends, should
// a failure leave it untagged.
func (w *watchScenario) imageID() string {
	w.s.t.Helper()
	id, err := w.s.d.ImageID(w.s.ctx, w.image)
	if err != nil {
		w.s.t.Fatal(err)
	}
	w.s.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = w.s.d.PruneImage(ctx, id) // only when nothing names it
	})
	return id
}

// pruned checks that the image a rebuild replaced is gone.
func (w *watchScenario) pruned(old string) {
	w.s.t.Helper()
	if _, err := w.s.d.ImageID(w.s.ctx, old); !errors.Is(err, orchestrator.ErrNotFound) {
		w.s.t.Errorf("the image the rebuild replaced (%.19s) is still there: %v", old, err)
	}
}

// outputHas checks that one line of p's stdout contains every text.
func outputHas(p *proc, texts ...string) error {
	for _, line := range strings.Split(p.stdout.String(), "\n") {
		all := true
		for _, t := range texts {
			all = all && strings.Contains(line, t)
		}
		if all {
			return nil
		}
	}
	return fmt.Errorf("no line of the output has %q", texts)
}
