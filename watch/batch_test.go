package watch

import (
	"fmt"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func testRule(ref orchestrator.ContainerRef, action recipes.WatchAction) *rule {
	return &rule{ref: ref, action: action, root: "/src"}
}

var (
	web   = orchestrator.ContainerRef{Pod: "demo", Container: "web"}
	proxy = orchestrator.ContainerRef{Pod: "demo", Container: "proxy"}
)

// A burst of 50 saves, 10 ms apart, is one batch, due a quiet window after the last save.
func TestBurstIsOneBatch(t *testing.T) {
	bt := newBatcher(150*time.Millisecond, 2*time.Second)
	r := testRule(web, recipes.WatchRebuild)
	now := t0
	for i := range 50 {
		bt.add(now, fmt.Sprintf("/src/f%d.html", i%3), false, r)
		if got := bt.due(now); len(got) != 0 {
			t.Fatalf("a batch was due during the burst, at save %d", i)
		}
		now = now.Add(10 * time.Millisecond)
	}
	last := now.Add(-10 * time.Millisecond)
	if at, ok := bt.next(); !ok || !at.Equal(last.Add(150*time.Millisecond)) {
		t.Errorf("next due at %v (%v), want %v", at, ok, last.Add(150*time.Millisecond))
	}
	if got := bt.due(last.Add(149 * time.Millisecond)); len(got) != 0 {
		t.Errorf("due before the quiet window passed")
	}
	got := bt.due(last.Add(150 * time.Millisecond))
	if len(got) != 1 || len(got[0].paths) != 3 || got[0].ref != web {
		t.Fatalf("due: %+v, want one batch of web with 3 paths", got)
	}
	if _, ok := bt.next(); ok {
		t.Errorf("a batch is still open")
	}
}

// Changes that never stop are acted on at the latest MaxDelay after the first.
func TestEndlessChangesWaitAtMostMaxDelay(t *testing.T) {
	bt := newBatcher(150*time.Millisecond, 2*time.Second)
	r := testRule(web, recipes.WatchSync)
	for now := t0; now.Before(t0.Add(2 * time.Second)); now = now.Add(100 * time.Millisecond) {
		bt.add(now, "/src/log", false, r)
		if got := bt.due(now); len(got) != 0 {
			t.Fatalf("due at %v, before MaxDelay", now.Sub(t0))
		}
	}
	if got := bt.due(t0.Add(2 * time.Second)); len(got) != 1 {
		t.Errorf("not due at MaxDelay: %v", got)
	}
}

// Each container has its batch; a path keeps whether its first event in the batch was its
// creation.
func TestBatchesArePerContainer(t *testing.T) {
	bt := newBatcher(100*time.Millisecond, time.Second)
	bt.add(t0, "/src/a", true, testRule(web, recipes.WatchSync))
	bt.add(t0.Add(50*time.Millisecond), "/src/a", false, testRule(web, recipes.WatchSync))
	bt.add(t0.Add(80*time.Millisecond), "/src/b", false, testRule(proxy, recipes.WatchRestart))
	got := bt.due(t0.Add(150 * time.Millisecond))
	if len(got) != 1 || got[0].ref != web || !got[0].paths["/src/a"].created || len(got[0].paths["/src/a"].rules) != 2 {
		t.Fatalf("due at 150ms: %+v", got)
	}
	if got := bt.due(t0.Add(180 * time.Millisecond)); len(got) != 1 || got[0].ref != proxy {
		t.Fatalf("due at 180ms: %+v", got)
	}
}

// While a container's action runs, what settles waits, merged: fifty batches during a
// rebuild are one more rebuild.
func TestChangesDuringAnActionQueueOneMore(t *testing.T) {
	q := newQueue()
	r := testRule(web, recipes.WatchRebuild)
	first := newBatch(web, t0)
	first.add(t0, "/src/index.html", false, r)
	if !q.offer(first) {
		t.Fatal("the first batch did not start")
	}
	for i := range 50 {
		b := newBatch(web, t0.Add(time.Duration(i)*time.Second))
		b.add(b.first, fmt.Sprintf("/src/%d.html", i), true, r)
		if q.offer(b) {
			t.Fatalf("batch %d started while the rebuild ran", i)
		}
	}
	other := newBatch(proxy, t0)
	if !q.offer(other) {
		t.Error("another container's batch waited for web's")
	}
	next := q.done(web)
	if next == nil || len(next.paths) != 50 {
		t.Fatalf("after the rebuild: %v, want one batch of the 50 changes", next)
	}
	if q.done(web) != nil {
		t.Error("a third action followed")
	}
	if q.offer(newBatch(web, t0)) != true {
		t.Error("web is still taken as busy")
	}
}
