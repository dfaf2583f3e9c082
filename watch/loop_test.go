package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The watch loop on the real file system (fsnotify) with a fake clock: nothing is acted on
// until the test moves the clock, so what is one batch does not depend on the machine's
// speed; a fake target records what the watch asks of the stack.

type fakeTarget struct {
	mu       sync.Mutex
	calls    []string                  // "rebuild demo/web", "sync demo/web", "restart demo/web"
	synced   [][]orchestrator.SyncFile // each sync's files
	whys     []string                  // each command's reason
	events   []orchestrator.WatchEvent
	block    chan struct{} // when set, Rebuild waits for a value on it
	changed  chan struct{}
	rebuildE error
}

func newFakeTarget() *fakeTarget { return &fakeTarget{changed: make(chan struct{})} }

func (f *fakeTarget) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeTarget) Rebuild(ctx context.Context, ref orchestrator.ContainerRef) (orchestrator.RebuildResult, error) {
	f.record("rebuild " + ref.String())
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return orchestrator.RebuildResult{}, ctx.Err()
		}
	}
	if f.rebuildE != nil {
		return orchestrator.RebuildResult{Image: "shop/web:dev"}, f.rebuildE
	}
	return orchestrator.RebuildResult{Image: "shop/web:dev", ImageID: "sha256:new", Old: "sha256:old", Built: time.Second}, nil
}

func (f *fakeTarget) ReplaceRebuilt(ctx context.Context, rb orchestrator.RebuildResult) (orchestrator.ReplaceResult, error) {
	f.record("replace " + rb.Image)
	return orchestrator.ReplaceResult{Changes: []string{"replace web: image shop/web:dev was rebuilt"}}, nil
}

func (f *fakeTarget) SyncFiles(ctx context.Context, ref orchestrator.ContainerRef, files []orchestrator.SyncFile) (orchestrator.SyncResult, error) {
	f.mu.Lock()
	f.synced = append(f.synced, files)
	f.mu.Unlock()
	f.record("sync " + ref.String())
	res := orchestrator.SyncResult{}
	for _, sf := range files {
		if sf.Source == "" {
			res.Deleted++
		} else if st, err := os.Stat(sf.Source); err == nil && !st.IsDir() {
			res.Files++
			res.Bytes += st.Size()
		}
	}
	return res, nil
}

func (f *fakeTarget) CommandContainersFor(ctx context.Context, cmd orchestrator.Command, refs []orchestrator.ContainerRef, wait bool, why string) error {
	verb := map[orchestrator.Command]string{orchestrator.CmdRestart: "restart", orchestrator.CmdStop: "stop", orchestrator.CmdStart: "start"}[cmd]
	f.mu.Lock()
	f.whys = append(f.whys, why)
	f.mu.Unlock()
	f.record(verb + " " + refs[0].String())
	return nil
}

func (f *fakeTarget) Snapshot() orchestrator.StackView {
	return orchestrator.StackView{Pods: []orchestrator.PodView{{Name: "shop", Containers: []orchestrator.ContainerView{{Pod: "shop", Name: "web", ID: "newid"}}}}}
}

func (f *fakeTarget) PublishWatch(ev orchestrator.WatchEvent) {
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.mu.Unlock()
	f.record("")
}

func (f *fakeTarget) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeTarget) all() []orchestrator.WatchEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *fakeTarget) phases() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		out = append(out, e.Phase.String())
	}
	return out
}

// loopRun is a watcher running on a temp project with a fake clock.
type loopRun struct {
	t     *testing.T
	dir   string
	clock *testingclock.FakeClock
	tg    *fakeTarget
	w     *Watcher

	mu      sync.Mutex
	noted   map[string]int // path → the sequence number of its last noting
	seq     int            // changes noted
	idleSeq int            // seq when the loop was last about to wait
	wake    chan struct{}
	stop    func()
}

func startLoop(t *testing.T, dir string, st *recipes.Stack) *loopRun {
	t.Helper()
	l := &loopRun{t: t, dir: dir, clock: testingclock.NewFakeClock(t0), tg: newFakeTarget(), noted: map[string]int{},
		wake: make(chan struct{}, 1)}
	w, err := New(l.tg, st, Options{Clock: l.clock})
	if err != nil {
		t.Fatal(err)
	}
	poke := func() {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	w.noted = func(p string) {
		l.mu.Lock()
		l.seq++
		l.noted[p] = l.seq
		l.mu.Unlock()
		poke()
	}
	w.idle = func() {
		l.mu.Lock()
		l.idleSeq = l.seq
		l.mu.Unlock()
		poke()
	}
	l.w = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	l.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		if l.stop != nil {
			l.stop()
		}
	})
	l.waitFor("the watch to start", func() bool { return slices.Contains(l.tg.phases(), "watching") })
	return l
}

// waitFor waits, without sleeping, until cond holds, on any news of the watcher.
func (l *loopRun) waitFor(what string, cond func() bool) {
	l.t.Helper()
	deadline := time.After(20 * time.Second)
	for !cond() {
		l.tg.mu.Lock()
		ch := l.tg.changed
		l.tg.mu.Unlock()
		select {
		case <-ch:
		case <-l.wake:
		case <-deadline:
			l.t.Fatalf("timed out waiting for %s; calls %v, events %v", what, l.tg.Calls(), l.tg.phases())
		}
	}
}

// settle creates a sentinel file, waits until the watcher has seen it (so, in order, every
// change before it), then moves the clock past any batch's due time.
func (l *loopRun) settle(sentinel string) {
	l.t.Helper()
	// Renamed into place (from a name no rule cares about): its creation is its last event.
	p := filepath.Join(l.dir, sentinel)
	l.write(sentinel+"~", "x")
	must(l.t, os.Rename(p+"~", p))
	// Seen, and the loop about to wait since, its timer set for what it saw.
	l.waitFor("the watcher to see "+sentinel, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.noted[p] > 0 && l.idleSeq >= l.noted[p]
	})
	l.clock.Step(DefaultMaxDelay)
}

func (l *loopRun) write(rel, content string) string {
	l.t.Helper()
	p := filepath.Join(l.dir, rel)
	testenv.WriteFile(l.t, p, content, 0o644)
	return p
}

// save saves rel as vim does by default: probe file 4913, the old file renamed to a
// backup, the new one written, the backup removed.
func (l *loopRun) save(rel, content string) {
	l.t.Helper()
	p := filepath.Join(l.dir, rel)
	probe := filepath.Join(filepath.Dir(p), "4913")
	l.write(filepath.Join(filepath.Dir(rel), "4913"), "")
	must(l.t, os.Remove(probe))
	if _, err := os.Stat(p); err == nil {
		must(l.t, os.Rename(p, p+"~"))
	}
	l.write(rel, content)
	if _, err := os.Stat(p + "~"); err == nil {
		must(l.t, os.Remove(p+"~"))
	}
}

// saveByRename saves rel as most editors and tools do: a temporary file, renamed over it.
func (l *loopRun) saveByRename(rel, content string) {
	l.t.Helper()
	p := filepath.Join(l.dir, rel)
	tmp := filepath.Join(filepath.Dir(p), ".tmp-save-"+filepath.Base(p))
	must(l.t, os.WriteFile(tmp, []byte(content), 0o644))
	must(l.t, os.Rename(tmp, p))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func rebuildProject(t *testing.T) (string, *recipes.Stack) {
	dir := project(t, map[string]string{"web/Dockerfile": "FROM scratch\nCOPY index.html /www/\n", "web/index.html": "v1", "web/.dockerignore": "*.log\n"})
	return dir, oneContainer(dir, &recipes.Build{Context: "web"}, recipes.WatchRule{Path: "web", Action: recipes.WatchRebuild})
}

// Fifty saves of index.html, vim's way, are one rebuild.
func TestFiftySavesAreOneRebuild(t *testing.T) {
	dir, st := rebuildProject(t)
	l := startLoop(t, dir, st)
	for i := range 50 {
		l.save("web/index.html", fmt.Sprintf("v%d", i+2))
	}
	l.settle("web/zz-sentinel")
	l.waitFor("the rebuild to be replaced", func() bool { return slices.Contains(l.tg.phases(), "replaced") })
	if got := l.tg.Calls(); !slices.Equal(got, []string{"rebuild shop/web", "replace shop/web:dev"}) {
		t.Errorf("calls %v, want one rebuild", got)
	}
	var changed orchestrator.WatchEvent
	for _, e := range l.tg.all() {
		if e.Phase == orchestrator.WatchChanged {
			changed = e
		}
	}
	if !slices.Equal(changed.Paths, []string{"web/index.html", "web/zz-sentinel"}) || changed.Action != recipes.WatchRebuild {
		t.Errorf("changed event %+v: want index.html and the sentinel (no temporary file)", changed)
	}
	if want := []string{"watching", "changed", "rebuilding", "rebuilt", "replaced"}; !slices.Equal(l.tg.phases(), want) {
		t.Errorf("events %v, want %v", l.tg.phases(), want)
	}
	// A change the build context's .dockerignore leaves out is no change.
	l.write("web/debug.log", "x")
	l.write("web/.index.html.swp", "x")
	l.settle("web/debug2.log")
	l.stop()
	l.stop = nil
	if got := l.tg.Calls(); len(got) != 2 {
		t.Errorf("ignored files were acted on: %v", got)
	}
}

// Changes while a rebuild runs queue one more rebuild (with all of them), not one each.
func TestChangesDuringARebuildQueueOneMore(t *testing.T) {
	dir, st := rebuildProject(t)
	l := startLoop(t, dir, st)
	l.tg.block = make(chan struct{})
	l.saveByRename("web/index.html", "v2")
	l.settle("web/a")
	l.waitFor("the first rebuild", func() bool { return len(l.tg.Calls()) == 1 })
	for i := range 50 {
		l.saveByRename("web/index.html", fmt.Sprintf("v%d", i+3))
		if i%10 == 9 {
			l.settle(fmt.Sprintf("web/b%d", i)) // several batches settle while the rebuild runs
		}
	}
	queued := func() int {
		n := 0
		for _, e := range l.tg.all() {
			if e.Phase == orchestrator.WatchChanged && e.Queued {
				n++
			}
		}
		return n
	}
	l.waitFor("five batches queued", func() bool { return queued() == 5 })
	if got := l.tg.Calls(); len(got) != 1 {
		t.Errorf("calls while the rebuild ran: %v", got)
	}
	l.tg.block <- struct{}{}
	l.waitFor("the second rebuild", func() bool { return len(l.tg.Calls()) == 3 })
	l.tg.block <- struct{}{}
	l.waitFor("the second replacement", func() bool {
		n := 0
		for _, p := range l.tg.phases() {
			if p == "replaced" {
				n++
			}
		}
		return n == 2
	})
	l.stop()
	l.stop = nil
	if got := l.tg.Calls(); !slices.Equal(got, []string{"rebuild shop/web", "replace shop/web:dev", "rebuild shop/web", "replace shop/web:dev"}) {
		t.Errorf("calls %v, want two rebuilds", got)
	}
}

// A failed rebuild says why, and that the container runs on.
func TestFailedRebuildIsTold(t *testing.T) {
	dir, st := rebuildProject(t)
	l := startLoop(t, dir, st)
	l.tg.rebuildE = fmt.Errorf("build shop/web:dev failed at step 2/2 (COPY index.html /www/): no such file")
	l.saveByRename("web/index.html", "v2")
	l.settle("web/a")
	l.waitFor("the failure", func() bool { return slices.Contains(l.tg.phases(), "failed") })
	evs := l.tg.all()
	last := evs[len(evs)-1]
	if last.Phase != orchestrator.WatchFailed || last.Level() != orchestrator.LevelError ||
		!strings.Contains(last.Text(), "rebuild failed: build shop/web:dev failed at step 2/2") || !strings.Contains(last.Text(), "web keeps running as it was") {
		t.Errorf("last event %+v: %s", last, last.Text())
	}
}

// A sync copies what changed to its place under the target, a new directory with what is in
// it, and deletes what was deleted; a temporary file that came and went is nothing; a
// sync+restart rule restarts after its copy.
func TestSyncCopiesAndDeletes(t *testing.T) {
	dir := project(t, map[string]string{"site/index.html": "v1", "site/old.css": "x", "conf/app.yaml": "a: 1"})
	st := oneContainer(dir, nil,
		recipes.WatchRule{Path: "site", Action: recipes.WatchSync, Target: "/www"},
		recipes.WatchRule{Path: "conf/app.yaml", Action: recipes.WatchSyncRestart, Target: "/etc/app.yaml"})
	l := startLoop(t, dir, st)
	l.saveByRename("site/index.html", "v2")
	must(t, os.Remove(filepath.Join(dir, "site/old.css")))
	must(t, os.MkdirAll(filepath.Join(dir, "site/img/icons"), 0o755))
	l.write("site/img/icons/a.png", "png")
	l.write("site/gone.tmp", "x")
	must(t, os.Remove(filepath.Join(dir, "site/gone.tmp")))
	l.settle("site/zz")
	l.waitFor("the sync", func() bool { return slices.Contains(l.tg.phases(), "synced") })
	l.tg.mu.Lock()
	files := l.tg.synced[0]
	l.tg.mu.Unlock()
	var got []string
	for _, f := range files {
		s := f.Target
		if f.Source == "" {
			s += " (deleted)"
		}
		got = append(got, s)
	}
	want := []string{"/www/img", "/www/img/icons", "/www/img/icons/a.png", "/www/index.html", "/www/old.css (deleted)", "/www/zz"}
	if !slices.Equal(got, want) {
		t.Errorf("synced %v\nwant   %v", got, want)
	}
	if calls := l.tg.Calls(); !slices.Equal(calls, []string{"sync shop/web"}) {
		t.Errorf("calls %v", calls)
	}
	l.saveByRename("conf/app.yaml", "a: 2")
	l.settle("site/zz2")
	l.waitFor("the restart", func() bool { return slices.Contains(l.tg.phases(), "restarted") })
	if calls := l.tg.Calls(); !slices.Equal(calls, []string{"sync shop/web", "sync shop/web", "restart shop/web"}) {
		t.Errorf("calls %v: want the sync of both changes, then one restart", calls)
	}
}

// A restart the watch makes says so, and which files made it: its stop is not a user's.
func TestRestartSaysTheWatchDidIt(t *testing.T) {
	dir := project(t, map[string]string{"conf/proxy.conf": "a", "conf/other.conf": "b"})
	st := oneContainer(dir, nil, recipes.WatchRule{Path: "conf", Action: recipes.WatchRestart})
	l := startLoop(t, dir, st)
	l.saveByRename("conf/proxy.conf", "a2")
	l.settle("conf/zz")
	l.waitFor("the restart", func() bool { return slices.Contains(l.tg.phases(), "restarted") })
	l.tg.mu.Lock()
	whys := slices.Clone(l.tg.whys)
	l.tg.mu.Unlock()
	if want := []string{"restarted by watch: conf/proxy.conf, conf/zz changed"}; !slices.Equal(whys, want) {
		t.Errorf("restart reasons %q, want %q", whys, want)
	}
}
