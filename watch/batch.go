package watch

import (
	"sort"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Editors save in bursts (a temporary file, a rename, a chmod; a "save all" of many files;
// a git checkout): the changes of one container are gathered into a batch until none came
// for a quiet window, or at the latest a while after the first, and one action follows for
// the whole batch. One action per container runs at a time: what settles meanwhile waits,
// merged into one batch, for the action under way to end — so fifty saves during a rebuild
// make one more rebuild, not fifty. Both are pure: they take the time as an argument.

// change is one path of a batch.
type change struct {
	created bool    // its first event in the batch was its creation: it was not there before
	rules   []*rule // the container's rules it is the business of
}

// batch is the changes of one container.
type batch struct {
	ref         orchestrator.ContainerRef
	first, last time.Time
	paths       map[string]*change // by absolute host path
}

func newBatch(ref orchestrator.ContainerRef, now time.Time) *batch {
	return &batch{ref: ref, first: now, last: now, paths: map[string]*change{}}
}

// add notes that path p changed at now, for rule r.
func (b *batch) add(now time.Time, p string, created bool, r *rule) {
	b.last = now
	c := b.paths[p]
	if c == nil {
		c = &change{created: created}
		b.paths[p] = c
	}
	for _, have := range c.rules {
		if have == r {
			return
		}
	}
	c.rules = append(c.rules, r)
}

// merge adds o's changes to b (o came later).
func (b *batch) merge(o *batch) {
	b.last = o.last
	for p, oc := range o.paths {
		c := b.paths[p]
		if c == nil {
			b.paths[p] = oc
			continue
		}
		for _, r := range oc.rules {
			b.add(o.last, p, false, r)
		}
	}
}

// sortedPaths returns the batch's paths, sorted.
func (b *batch) sortedPaths() []string {
	out := make([]string, 0, len(b.paths))
	for p := range b.paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// batcher gathers the changes of each container until they settle.
type batcher struct {
	quiet time.Duration // a batch is due once no change came for this long
	max   time.Duration // and at the latest this long after its first change
	open  map[orchestrator.ContainerRef]*batch
}

func newBatcher(quiet, max time.Duration) *batcher {
	return &batcher{quiet: quiet, max: max, open: map[orchestrator.ContainerRef]*batch{}}
}

// add notes that path p changed at now, the business of rule r (of r's container).
func (bt *batcher) add(now time.Time, p string, created bool, r *rule) {
	b := bt.open[r.ref]
	if b == nil {
		b = newBatch(r.ref, now)
		bt.open[r.ref] = b
	}
	b.add(now, p, created, r)
}

// dueAt is when batch b is due.
func (bt *batcher) dueAt(b *batch) time.Time {
	at := b.last.Add(bt.quiet)
	if limit := b.first.Add(bt.max); limit.Before(at) {
		return limit
	}
	return at
}

// due takes the batches due at now out, in container order.
func (bt *batcher) due(now time.Time) []*batch {
	var out []*batch
	for ref, b := range bt.open {
		if !now.Before(bt.dueAt(b)) {
			out = append(out, b)
			delete(bt.open, ref)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ref.String() < out[j].ref.String() })
	return out
}

// next is when the next batch is due (ok false: none is open).
func (bt *batcher) next() (at time.Time, ok bool) {
	for _, b := range bt.open {
		if d := bt.dueAt(b); !ok || d.Before(at) {
			at, ok = d, true
		}
	}
	return at, ok
}

// queue runs one action per container at a time.
type queue struct {
	running map[orchestrator.ContainerRef]bool
	waiting map[orchestrator.ContainerRef]*batch
}

func newQueue() *queue {
	return &queue{running: map[orchestrator.ContainerRef]bool{}, waiting: map[orchestrator.ContainerRef]*batch{}}
}

// offer takes a batch that is due: start reports whether its action starts now; otherwise
// it waits, merged with whatever else waits for that container.
func (q *queue) offer(b *batch) (start bool) {
	if !q.running[b.ref] {
		q.running[b.ref] = true
		return true
	}
	if w := q.waiting[b.ref]; w != nil {
		w.merge(b)
	} else {
		q.waiting[b.ref] = b
	}
	return false
}

// done notes that ref's action ended, and returns the batch to act on next (started), if
// one waits.
func (q *queue) done(ref orchestrator.ContainerRef) *batch {
	if w := q.waiting[ref]; w != nil {
		delete(q.waiting, ref)
		return w
	}
	delete(q.running, ref)
	return nil
}
