// Package watch is `sidecar up --watch` and `sidecar watch`: it watches the host paths that
// each container's watch rules name (fsnotify, directory trees included) and, when files
// change, acts on that container alone — rebuild its image and replace it, sync the files
// into it as it runs, sync then restart it, or restart it — through a running stack's
// orchestrator, whose event stream carries what it does (orchestrator.WatchEvent) to every
// view.
//
// What changes is filtered (the rule's ignore patterns, the build context's .dockerignore,
// editors' temporary files, .git) and gathered per container until it settles (batch.go),
// and one action per container runs at a time. See docs/cli.md (up --watch, watch) and
// docs/lifecycle.md (what a watch replaces, and what never notices).
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Target is what a watch acts through: a running stack's *orchestrator.Orchestrator.
type Target interface {
	Rebuild(ctx context.Context, ref orchestrator.ContainerRef) (orchestrator.RebuildResult, error)
	ReplaceRebuilt(ctx context.Context, rb orchestrator.RebuildResult) (orchestrator.ReplaceResult, error)
	SyncFiles(ctx context.Context, ref orchestrator.ContainerRef, files []orchestrator.SyncFile) (orchestrator.SyncResult, error)
	CommandContainersFor(ctx context.Context, cmd orchestrator.Command, refs []orchestrator.ContainerRef, wait bool, why string) error
	Snapshot() orchestrator.StackView
	PublishWatch(ev orchestrator.WatchEvent)
}

// Defaults of Options.
const (
	// DefaultQuiet is how long no change must come before a container's changes are acted
	// on: longer than the bursts of an editor's save (a few milliseconds), short next to a
	// rebuild. (Compose waits 500 ms.)
	DefaultQuiet = 150 * time.Millisecond
	// DefaultMaxDelay bounds the wait of changes that keep coming (a generator writing into
	// a watched tree).
	DefaultMaxDelay = 2 * time.Second
)

// Options tune a Watcher. The zero value works.
type Options struct {
	Clock    clock.Clock   // nil: the real clock
	Quiet    time.Duration // 0: DefaultQuiet
	MaxDelay time.Duration // 0: DefaultMaxDelay
}

// Watcher watches one recipe's rules for one running stack.
type Watcher struct {
	t     Target
	stack *recipes.Stack
	rules []*rule
	opts  Options
	clock clock.Clock

	// Tests: noted is called with each path noted, idle before the loop waits.
	noted func(path string)
	idle  func()

	// replaced is set when a watch of the new rules takes over: this one ends without
	// saying the watch stopped, since it goes on.
	replaced atomic.Bool
}

// New prepares a watch of stack's rules (the recipe the stack runs) acting through t. An
// error says every rule that cannot be followed (ErrBadRule), or that there is none
// (ErrNoRules).
func New(t Target, stack *recipes.Stack, opts Options) (*Watcher, error) {
	rules, err := compile(stack)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Quiet <= 0 {
		opts.Quiet = DefaultQuiet
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = DefaultMaxDelay
	}
	return &Watcher{t: t, stack: stack, rules: rules, opts: opts, clock: opts.Clock}, nil
}

// done is one action's end.
type done struct{ ref orchestrator.ContainerRef }

// Run watches until ctx ends (then it returns nil, once the action under way ended) or the
// files cannot be watched (an error, before anything was watched).
func (w *Watcher) Run(ctx context.Context) error {
	t, err := newTree(w.rules)
	if err != nil {
		return err
	}
	defer t.close()
	return w.loop(ctx, t.w.Events, t.w.Errors, t.expand)
}

// loop is Run's: events from the file system, expanded into changes, gathered into batches,
// acted on one per container at a time.
func (w *Watcher) loop(ctx context.Context, events <-chan fsnotify.Event, errs <-chan error, expand func(fsnotify.Event) ([]fsChange, error)) error {
	w.announce()
	bt := newBatcher(w.opts.Quiet, w.opts.MaxDelay)
	q := newQueue()
	finished := make(chan done)
	actx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		if !w.replaced.Load() {
			w.t.PublishWatch(orchestrator.WatchEvent{Phase: orchestrator.WatchStopped})
		}
	}()
	start := func(b *batch) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.act(actx, b)
			select {
			case finished <- done{b.ref}:
			case <-actx.Done():
			}
		}()
	}
	timer := w.clock.NewTimer(time.Hour)
	timer.Stop()
	for {
		now := w.clock.Now()
		for _, b := range bt.due(now) {
			w.settled(b, q, start)
		}
		if at, ok := bt.next(); ok {
			timer.Reset(at.Sub(now))
		}
		if w.idle != nil {
			w.idle()
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			changes, err := expand(ev)
			if err != nil {
				w.t.PublishWatch(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Error: "watching files: " + err.Error()})
			}
			now := w.clock.Now()
			for _, c := range changes {
				w.note(bt, now, c)
			}
		case err, ok := <-errs:
			if !ok {
				return nil
			}
			text := err.Error()
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				text = "the system dropped file events (too many at once): save a file again to have it acted on"
			}
			w.t.PublishWatch(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Error: "watching files: " + text})
		case <-timer.C(): // the batches due are taken at the top
		case d := <-finished:
			if next := q.done(d.ref); next != nil {
				start(next)
			}
		}
	}
}

// announce says what is watched: one event per container.
func (w *Watcher) announce() {
	var refs []orchestrator.ContainerRef
	by := map[orchestrator.ContainerRef][]recipes.WatchRule{}
	for _, r := range w.rules {
		if by[r.ref] == nil {
			refs = append(refs, r.ref)
		}
		by[r.ref] = append(by[r.ref], recipes.WatchRule{Path: r.shown, Action: r.action, Target: r.target})
	}
	for _, ref := range refs {
		w.t.PublishWatch(orchestrator.WatchEvent{Pod: ref.Pod, Container: ref.Container, Phase: orchestrator.WatchWatching, Rules: by[ref]})
	}
}

// note gathers one changed path into the batch of each container whose rules it concerns.
// A build context's .dockerignore that changed is read again.
func (w *Watcher) note(bt *batcher, now time.Time, c fsChange) {
	for _, r := range w.rules {
		if bc := r.build; bc != nil && c.path == bc.ignoreFile {
			if err := bc.reload(); err != nil {
				w.t.PublishWatch(orchestrator.WatchEvent{Pod: r.ref.Pod, Container: r.ref.Container, Phase: orchestrator.WatchFailed,
					Action: r.action, Error: err.Error() + " (the patterns it had still apply)"})
			}
		}
		if r.matches(c.path) {
			bt.add(now, c.path, c.created, r)
		}
	}
	if w.noted != nil {
		w.noted(c.path)
	}
}

// settled hands a batch that settled to the queue, saying what changed.
func (w *Watcher) settled(b *batch, q *queue, start func(*batch)) {
	live := w.live(b)
	if len(live) == 0 {
		return // only files that came and went (an editor's temporary files)
	}
	action, _ := decide(b, live)
	paths := make([]string, 0, len(live))
	for _, p := range live {
		paths = append(paths, shown(w.stack.Dir, p))
	}
	ev := orchestrator.WatchEvent{Pod: b.ref.Pod, Container: b.ref.Container, Phase: orchestrator.WatchChanged, Action: action}
	if len(paths) > orchestrator.WatchPathsShown {
		ev.Paths, ev.More = paths[:orchestrator.WatchPathsShown], len(paths)-orchestrator.WatchPathsShown
	} else {
		ev.Paths = paths
	}
	ev.Queued = !q.offer(b)
	w.t.PublishWatch(ev)
	if !ev.Queued {
		start(b)
	}
}

// live are the paths of the batch that matter: all but those created in the batch and gone
// again, sorted.
func (w *Watcher) live(b *batch) []string {
	var out []string
	for _, p := range b.sortedPaths() {
		if c := b.paths[p]; c.created {
			if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// decide is what a batch calls for: a rebuild when any of its paths is a rebuild rule's
// business (the image then has the rest too); else a sync of the paths of sync rules, and a
// restart when a path is a sync+restart or restart rule's.
func decide(b *batch, live []string) (action recipes.WatchAction, restart bool) {
	synced := false
	for _, p := range live {
		for _, r := range b.paths[p].rules {
			switch r.action {
			case recipes.WatchRebuild:
				return recipes.WatchRebuild, false
			case recipes.WatchSync:
				synced = true
			case recipes.WatchSyncRestart:
				synced, restart = true, true
			case recipes.WatchRestart:
				restart = true
			}
		}
	}
	switch {
	case synced && restart:
		return recipes.WatchSyncRestart, true
	case synced:
		return recipes.WatchSync, false
	}
	return recipes.WatchRestart, true
}

// act carries out what a batch calls for and says how it went.
func (w *Watcher) act(ctx context.Context, b *batch) {
	live := w.live(b)
	if len(live) == 0 {
		return
	}
	action, restart := decide(b, live)
	say := func(ev orchestrator.WatchEvent) {
		if ctx.Err() != nil {
			return // the watch is stopping: what was cut short is not a failure to tell
		}
		ev.Pod, ev.Container = b.ref.Pod, b.ref.Container
		w.t.PublishWatch(ev)
	}
	fail := func(a recipes.WatchAction, err error) {
		say(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Action: a, Error: err.Error()})
	}
	if action == recipes.WatchRebuild {
		w.rebuild(ctx, b, say, fail)
		return
	}
	if action != recipes.WatchRestart {
		start := w.clock.Now()
		res, err := w.t.SyncFiles(ctx, b.ref, w.syncFiles(b, live))
		if err != nil {
			fail(action, err)
			return
		}
		say(orchestrator.WatchEvent{Phase: orchestrator.WatchSynced, Action: action, Files: res.Files, Bytes: res.Bytes,
			Deleted: res.Deleted, Duration: recipes.Duration(w.clock.Since(start)), Error: res.DeleteError})
	}
	if restart {
		start := w.clock.Now()
		if err := w.t.CommandContainersFor(ctx, orchestrator.CmdRestart, []orchestrator.ContainerRef{b.ref}, true, w.restartWhy(b, live)); err != nil {
			fail(action, err)
			return
		}
		say(orchestrator.WatchEvent{Phase: orchestrator.WatchRestarted, Action: action, Duration: recipes.Duration(w.clock.Since(start))})
	}
}

// restartWhy is the reason of a restart the watch makes, the stop's and the start's: the
// watch did it, for the paths of restart and sync+restart rules that changed ("restarted by
// watch: conf/proxy.conf changed").
func (w *Watcher) restartWhy(b *batch, live []string) string {
	var paths []string
	for _, p := range live {
		for _, r := range b.paths[p].rules {
			if r.action == recipes.WatchRestart || r.action == recipes.WatchSyncRestart {
				paths = append(paths, shown(w.stack.Dir, p))
				break
			}
		}
	}
	what := strings.Join(paths, ", ")
	if n := len(paths) - orchestrator.WatchPathsShown; n > 0 {
		what = fmt.Sprintf("%s and %d more", strings.Join(paths[:orchestrator.WatchPathsShown], ", "), n)
	}
	return "restarted by watch: " + what + " changed"
}

func (w *Watcher) rebuild(ctx context.Context, b *batch, say func(orchestrator.WatchEvent), fail func(recipes.WatchAction, error)) {
	image := ""
	if p := w.stack.Pod(b.ref.Pod); p != nil {
		if c := p.Container(b.ref.Container); c != nil {
			image = c.Image
		}
	}
	say(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilding, Action: recipes.WatchRebuild, Image: image})
	res, err := w.t.Rebuild(ctx, b.ref)
	if err != nil {
		fail(recipes.WatchRebuild, fmt.Errorf("%w; %s keeps running as it was", err, b.ref.Container))
		return
	}
	say(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilt, Action: recipes.WatchRebuild, Image: res.Image,
		Duration: recipes.Duration(res.Built), Unchanged: res.Unchanged})
	if res.Unchanged {
		return
	}
	if _, err := w.t.ReplaceRebuilt(ctx, res); err != nil {
		fail(recipes.WatchRebuild, err) // the new container did not come up: the apply says why
		return
	}
	id := ""
	v := w.t.Snapshot()
	if p := v.Pod(b.ref.Pod); p != nil {
		if c := p.Container(b.ref.Container); c != nil {
			id = c.ID
		}
	}
	say(orchestrator.WatchEvent{Phase: orchestrator.WatchReplaced, Action: recipes.WatchRebuild, ID: id,
		Duration: recipes.Duration(w.clock.Since(b.first))})
}

// syncFiles is what the batch's sync rules copy and delete: each path that is there is
// copied to its place under the rule's target (a directory with what is in it), each path
// that is gone deleted there. A path of several sync rules goes by the first.
func (w *Watcher) syncFiles(b *batch, live []string) []orchestrator.SyncFile {
	var out []orchestrator.SyncFile
	seen := map[string]bool{}
	add := func(f orchestrator.SyncFile) {
		if !seen[f.Target] {
			seen[f.Target] = true
			out = append(out, f)
		}
	}
	for _, p := range live {
		var r *rule
		for _, cand := range b.paths[p].rules {
			if cand.action == recipes.WatchSync || cand.action == recipes.WatchSyncRestart {
				r = cand
				break
			}
		}
		if r == nil {
			continue
		}
		st, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			add(orchestrator.SyncFile{Target: r.targetOf(p)})
		case err != nil:
			continue
		case st.IsDir():
			_ = filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
				switch {
				case err != nil:
					return nil
				case q != p && e.IsDir() && r.prunes(q):
					return filepath.SkipDir
				case q == p || r.matches(q):
					add(orchestrator.SyncFile{Source: q, Target: r.targetOf(q)})
				}
				return nil
			})
		default:
			add(orchestrator.SyncFile{Source: p, Target: r.targetOf(p)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}
