package watch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/watch"
)

// A watched stack on the real engine: main built from a context FROM the test programs'
// image, serving its files; a probe sidecar in the pod. An edit of main's context replaces
// main alone; a file synced is served by the same main, not restarted; a rebuild that fails
// leaves the old main serving and says why; nothing is left behind.
func TestWatchOnTheEngine(t *testing.T) {
	t.Parallel()
	s := newWatchedStack(t)

	// An edit of index.html, saved as editors do (a temporary file renamed over it):
	// main is replaced, the sidecar and the infra container keep their container and run.
	before := s.containers()
	first := s.imageID()
	s.save("web/index.html", "<h1>v2</h1>")
	s.eventually("the new content served", func() error { return s.serves("/", "<h1>v2</h1>") })
	s.eventually("the replacement told", func() error { return s.saw(orchestrator.WatchReplaced, "") })
	after := s.containers()
	if after["web"].ID == before["web"].ID {
		t.Errorf("web was not replaced")
	}
	s.unchanged(before, after, "probe", "infra")

	// A file of the sync rule is served by the same main: copied in, no restart.
	before = after
	s.save("web/static/app.css", "body{color:red}")
	s.eventually("the synced file served", func() error { return s.serves("/static/app.css", "body{color:red}") })
	s.eventually("the sync told", func() error { return s.saw(orchestrator.WatchSynced, "") })
	s.unchanged(before, s.containers(), "web", "probe", "infra")

	// A Dockerfile that fails: the build error is told, the old main serves on.
	before = s.containers()
	s.save("web/Dockerfile", "FROM "+s.apps+"\nCOPY missing.txt /www/\n")
	s.eventually("the failure told", func() error { return s.saw(orchestrator.WatchFailed, "missing.txt") })
	if err := s.serves("/", "<h1>v2</h1>"); err != nil {
		t.Errorf("after the failed rebuild: %v", err)
	}
	s.unchanged(before, s.containers(), "web", "probe", "infra")

	s.stop()
	s.pruned(first)
	for _, e := range testenv.EventsOf[orchestrator.WatchEvent](s.events) {
		t.Logf("%s * %s", e.Container, e.Text())
	}
}

type watchedStack struct {
	t       *testing.T
	d       interface{ Close() error }
	o       *orchestrator.Orchestrator
	dir     string
	apps    string
	webRef  string
	port    int
	ctx     context.Context
	release func()
	done    chan struct{}
	list    func() map[string]orchestrator.ContainerInfo
	events  *testenv.Recorder
}

func newWatchedStack(t *testing.T) *watchedStack {
	t.Helper()
	d := testenv.Engine(t)
	name := testenv.UniqueName(t, "sct-watch")
	testenv.CheckNoLeaks(t, orchestrator.StackFilter(name))
	s := &watchedStack{t: t, d: d, dir: t.TempDir(), apps: testenv.AppsImage(t), port: testenv.FreePort(t),
		webRef: "sidecar-test/watch-web:" + strings.TrimPrefix(name, "sct-watch-"), ctx: testenv.Context(t, 8*time.Minute), done: make(chan struct{})}
	testenv.RemoveImage(t, d, s.webRef) // after the stack's end (the cleanup below)
	s.write("web/Dockerfile", "FROM "+s.apps+"\nCOPY index.html /www/\n")
	s.write("web/index.html", "<h1>v1</h1>")
	s.write("web/static/.keep", "")
	recipe := fmt.Sprintf(`
stop_grace: 5s
sidecars:
  - name: probe
    image: %s
    command: ["/crasher", "-forever"]
main:
  name: web
  image: %s
  build: ./web
  command: ["/httpserver", "-listen", ":8080", "-www", "/www", "-name", "web"]
  ports: ["127.0.0.1:%d:8080"]
  ready: {http: {port: 8080, path: /healthz}, period: 200ms}
  watch:
    - {path: ./web, action: rebuild, ignore: [static/]}
    - {path: ./web/static, action: sync, target: /www/static}
`, s.apps, s.webRef, s.port)
	st, _, err := recipes.Load(recipes.File{Name: filepath.Join(s.dir, "sidecar.yaml"), Content: []byte(recipe)}, recipes.Options{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	s.o = orchestrator.New(d, st, orchestrator.Options{Version: "test"})
	sub := s.o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	s.events = testenv.Record(sub)
	go func() {
		defer close(s.done)
		defer sub.Close()
		if res, err := s.o.Run(s.ctx); err != nil {
			t.Errorf("run: %v (%+v)", err, res)
		}
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.o.Kill()
			<-s.done
		}
	})
	s.list = func() map[string]orchestrator.ContainerInfo {
		infos, err := d.ListContainers(s.ctx, orchestrator.StackFilter(name))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]orchestrator.ContainerInfo{}
		for _, info := range infos {
			l, _ := orchestrator.DecodeLabels(info.Labels)
			full, err := d.InspectContainer(s.ctx, info.ID)
			if err == nil {
				out[l.Container] = full
			}
		}
		return out
	}
	hub := watch.NewHub(s.o, watch.Options{})
	if s.release, err = hub.Hold(); err != nil {
		t.Fatal(err)
	}
	s.eventually("the stack up and watched", func() error {
		if err := s.serves("/", "<h1>v1</h1>"); err != nil {
			return err
		}
		return s.saw(orchestrator.WatchWatching, "web (rebuild), web/static (sync to /www/static)")
	})
	return s
}

func (s *watchedStack) write(rel, content string) {
	s.t.Helper()
	testenv.WriteFile(s.t, filepath.Join(s.dir, rel), content, 0o644)
}

// save writes a temporary file and renames it over rel.
func (s *watchedStack) save(rel, content string) {
	s.t.Helper()
	s.write(rel+".tmp~", content)
	if err := os.Rename(filepath.Join(s.dir, rel+".tmp~"), filepath.Join(s.dir, rel)); err != nil {
		s.t.Fatal(err)
	}
}

func (s *watchedStack) serves(path, want string) error {
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(s.port) + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != want {
		return fmt.Errorf("GET %s: %s %q, want %q", path, resp.Status, b, want)
	}
	return nil
}

// saw checks that a watch event of phase p whose text contains text was published.
func (s *watchedStack) saw(p orchestrator.WatchPhase, text string) error {
	var all []string
	for _, e := range testenv.EventsOf[orchestrator.WatchEvent](s.events) {
		if e.Phase == p && strings.Contains(e.Text(), text) {
			return nil
		}
		all = append(all, e.Container+": "+e.Text())
	}
	return fmt.Errorf("no %s event saying %q among:\n  %s", p, text, strings.Join(all, "\n  "))
}

func (s *watchedStack) eventually(what string, cond func() error) {
	s.t.Helper()
	s.t.Logf("waiting for %s", what)
	testenv.Eventually(s.t, 3*time.Minute, cond)
}

func (s *watchedStack) containers() map[string]orchestrator.ContainerInfo { return s.list() }

// unchanged checks that the named containers kept their container and their run.
func (s *watchedStack) unchanged(before, after map[string]orchestrator.ContainerInfo, names ...string) {
	s.t.Helper()
	for _, n := range names {
		b, a := before[n], after[n]
		if a.ID == "" || a.ID != b.ID || !a.StartedAt.Equal(b.StartedAt) || a.Status != orchestrator.StatusRunning {
			s.t.Errorf("%s changed: %.12s %s %s → %.12s %s %s", n, b.ID, b.StartedAt.Format(time.RFC3339Nano), b.Status,
				a.ID, a.StartedAt.Format(time.RFC3339Nano), a.Status)
		}
	}
}

func (s *watchedStack) stop() {
	s.t.Helper()
	s.release()
	s.o.Shutdown()
	select {
	case <-s.done:
	case <-time.After(2 * time.Minute):
		s.t.Fatal("the stack did not stop")
	}
}

// imageID is the ID of the image the tag names now; it is removed when the test ends, should
// a failure leave it.
func (s *watchedStack) imageID() string {
	s.t.Helper()
	d := testenv.Engine(s.t)
	id, err := d.ImageID(s.ctx, s.webRef)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = d.PruneImage(ctx, id) // only when nothing names it
	})
	return id
}

// pruned checks that the image a rebuild replaced is gone, and the one the tag names now is
// not.
func (s *watchedStack) pruned(old string) {
	s.t.Helper()
	d := testenv.Engine(s.t)
	if _, err := d.ImageID(s.ctx, old); !errors.Is(err, orchestrator.ErrNotFound) {
		s.t.Errorf("the image the rebuild replaced (%.19s) is still there: %v", old, err)
	}
	if id := s.imageID(); id == old {
		s.t.Errorf("the tag still names the first image")
	}
}
