package orchestrator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// ordered is the tester's compose shape (found/repro-recreate-order): web depends on db
// (cond), db's main has a ready probe (its healthcheck, slow to give up), both publish a port from base on;
// edit changes the pods before they are built.
func ordered(cond recipes.DepCondition, base int, edit ...func(db, web *recipes.Pod)) *recipes.Stack {
	port := func(p *recipes.Pod, host int) {
		p.Main.Ports = []recipes.Port{{HostPort: host, ContainerPort: 80, Protocol: recipes.ProtoTCP}}
	}
	db := pod("db", ctr("db", readyProbe))
	db.Main.Ready.Retries = 1000 // not ready for a while, never unhealthy
	web := pod("web", ctr("web", grace(5*time.Second)), dependsOnWhen("db", cond))
	port(db, base)
	port(web, base+1)
	for _, e := range edit {
		e(db, web)
	}
	return stack("order", db, web)
}

// startOrdered runs st; with slow, web's main takes its grace to stop (it ignores SIGTERM),
// so that stops that are not ordered show.
func startOrdered(t *testing.T, st *recipes.Stack, slow bool) *harness {
	t.Helper()
	h := newHarness(t, st, orchestrator.Options{})
	if slow {
		h.rt.IgnoreSIGTERM("order-web-web")
	}
	h.start()
	h.until("the stack running", 0, func() bool { return h.o.Snapshot().Phase == orchestrator.PhaseRunning })
	return h
}

// applyInBackground runs Apply; the returned channel is closed when it returned.
func (h *harness) applyInBackground(st *recipes.Stack) (done chan struct{}, err *error) {
	done, err = make(chan struct{}), new(error)
	go func() {
		defer close(done)
		_, *err = h.o.Apply(context.Background(), st, orchestrator.ApplyOptions{})
	}()
	return done, err
}

// nth is the position of the n-th (from 1) event text in history, or -1.
func nth(history []string, text string, n int) int {
	for i, e := range history {
		if e == text {
			if n--; n == 0 {
				return i
			}
		}
	}
	return -1
}

// from is history from the n-th (from 1) event text on; it fails the test when there is none.
func from(t *testing.T, history []string, text string, n int) []string {
	t.Helper()
	i := nth(history, text, n)
	if i < 0 {
		t.Fatalf("no %q number %d in %v", text, n, history)
	}
	return history[i:]
}

// said reports whether a message of exactly text was published.
func (h *harness) said(text string) bool {
	for _, m := range h.messages() {
		if m.Text == text {
			return true
		}
	}
	return false
}

func count(history []string, text string) int {
	n := 0
	for _, e := range history {
		if e == text {
			n++
		}
	}
	return n
}

// An apply that re-creates two pods that depend on each other orders them as a teardown and
// a first start do: web (depends on db being ready) is stopped, all of it, before db's first
// stop; db is re-created and ready before web starts over — the tester's repro: web was
// started 3.7s before db was there again, and both stopped at once.
func TestApplyRecreatesDependentPodsInDependencyOrder(t *testing.T) {
	// slow: web's stop takes its grace (what the stops do shows); quick: it stops at once
	// (what the starts do shows).
	for _, slow := range []bool{true, false} {
		t.Run(map[bool]string{true: "slow", false: "quick"}[slow], func(t *testing.T) {
			h := startOrdered(t, ordered(recipes.DepReady, 18881), slow)
			h.rt.SetProbe("order-db-db", errors.New("connection refused")) // the new db is not ready yet
			done, err := h.applyInBackground(ordered(recipes.DepReady, 28881))
			h.until("db created anew, started and not ready", 100*time.Millisecond, func() bool {
				return count(h.rt.HistoryOf(), "start order-db-db") == 2 && h.view("db", "db").Reason == "not ready: connection refused"
			})
			hist := h.rt.HistoryOf()
			if n := count(hist, "start order-web-infra"); n != 1 {
				t.Errorf("web was started over (%d starts of its infra container) before db, which it waits for to be ready, was ready: %v", n, hist)
			}
			if w, d := index(hist, "stop order-web-infra"), index(hist, "kill order-db-db SIGTERM"); w < 0 || d < 0 || w > d {
				t.Errorf("db's first stop (at %d) came before web, which depends on it, was stopped (at %d): %v", d, w, hist)
			}
			snap := h.o.Snapshot()
			if pv := snap.Pod("web"); pv.Phase != orchestrator.PhasePending || pv.Reason != "waiting for pod db to be ready" {
				t.Errorf("pod web is %s (%s), want pending: waiting for pod db to be ready", pv.Phase, pv.Reason)
			}
			h.rt.SetProbe("order-db-db", nil)
			h.untilClosed("Apply to return", done)
			if *err != nil {
				t.Fatal(*err)
			}
			hist = h.rt.HistoryOf()
			before(t, from(t, hist, "start order-db-db", 2), "start order-db-db", "start order-web-infra")
			h.until("web running again", time.Second, h.running("order-web-web", "order-db-db"))
			for _, want := range []string{"apply: pod db is stopped after pod web, which depends on it",
				"apply: pod web is waiting for pod db to be ready before it starts again"} {
				if !h.said(want) {
					t.Errorf("not said: %q\n%s", want, h.describe())
				}
			}
			h.shutdownLeavesNothing()
		})
	}
}

// The same for an apply that replaces the mains of both: web's main is stopped before db's,
// and its new one starts once db's new main is started (web waits for it to start only:
// db's readiness holds nothing back).
func TestApplyReplacesDependentMainsInDependencyOrder(t *testing.T) {
	env := func(v string) func(db, web *recipes.Pod) {
		return func(db, web *recipes.Pod) {
			db.Main.Env = recipes.Env{"V": v}
			web.Main.Env = recipes.Env{"V": v}
		}
	}
	h := startOrdered(t, ordered(recipes.DepStarted, 18881, env("1")), true)
	h.rt.SetProbe("order-db-db", errors.New("connection refused"))
	done, err := h.applyInBackground(ordered(recipes.DepStarted, 18881, env("2")))
	h.until("web's main created anew and started while db's is not ready", 100*time.Millisecond, func() bool {
		return count(h.rt.HistoryOf(), "start order-web-web") == 2
	})
	hist := h.rt.HistoryOf()
	if w, d := index(hist, "stop order-web-web"), index(hist, "kill order-db-db SIGTERM"); w < 0 || d < 0 || w > d {
		t.Errorf("db's main was stopped (at %d) before web's, which depends on it, had stopped (at %d): %v", d, w, hist)
	}
	before(t, from(t, hist, "start order-db-db", 2), "start order-db-db", "start order-web-web")
	if count(hist, "start order-web-infra") != 1 || count(hist, "start order-db-infra") != 1 {
		t.Errorf("a pod was re-created: %v", hist)
	}
	h.rt.SetProbe("order-db-db", nil)
	h.untilClosed("Apply to return", done)
	if *err != nil {
		t.Fatal(*err)
	}
	h.shutdownLeavesNothing()
}

// A dependency the apply leaves alone, that was ready, holds nothing back: web is re-created
// at once though db's probe fails now (as a main that is not touched is not waited for).
func TestApplyRecreateDoesNotWaitForAnUntouchedDependency(t *testing.T) {
	quick := func(db, web *recipes.Pod) { db.Main.Ready.Retries = 1 } // not ready at its first failure
	h := startOrdered(t, ordered(recipes.DepReady, 18881, quick), false)
	h.rt.SetProbe("order-db-db", errors.New("connection refused"))
	h.until("db not ready", 100*time.Millisecond, func() bool { return h.view("db", "db").Health == orchestrator.HealthNotReady })
	h.applyChanges(ordered(recipes.DepReady, 18881, quick, func(db, web *recipes.Pod) { web.Main.Ports[0].HostPort = 28882 }),
		"re-create pod web: ports changed")
	if hist := h.rt.HistoryOf(); count(hist, "start order-web-infra") != 2 || count(hist, "start order-db-db") != 1 {
		t.Errorf("want web re-created and db untouched: %v", hist)
	}
	if h.said("apply: pod web is waiting for pod db to be ready before it starts again") {
		t.Errorf("web said it waits for db, which the apply did not touch")
	}
	h.shutdownLeavesNothing()
}

// A re-created db whose new main turns unhealthy (its ready probe fails its threshold before
// it is ever ready) fails the Apply, as db unhealthy fails the first start and docker
// compose's up -d ("dependency failed to start"): the tester's repro waited for ever. The
// stack runs on; web, held, is not started again.
func TestApplyRecreateFailsOnAnUnhealthyDependency(t *testing.T) {
	unhealthyDB := func(db, _ *recipes.Pod) { db.Main.Ready.Retries = 2 }
	h := startOrdered(t, ordered(recipes.DepReady, 18881), false)
	h.rt.SetProbe("order-db-db", errors.New("connection refused"))
	_, err := h.apply(ordered(recipes.DepReady, 28881, unhealthyDB), orchestrator.ApplyOptions{})
	if !errors.Is(err, orchestrator.ErrDependencyUnhealthy) {
		t.Fatalf("Apply = %v, want pod db is unhealthy", err)
	}
	if want := "pod web cannot start: pod db is unhealthy: its ready probe failed 2 times in a row (last: connection refused); " +
		"fix the `ready:` probe of db in the recipe, or have web wait for it to start only (depends_on: condition: started)"; err.Error() != want {
		t.Errorf("Apply says %q\nwant %q", err, want)
	}
	if n := count(h.rt.HistoryOf(), "start order-web-web"); n != 1 {
		t.Errorf("web was started again (%d starts) while db is unhealthy", n)
	}
	if h.returned() || h.o.Snapshot().Phase == orchestrator.PhaseStopping {
		t.Fatalf("the stack did not run on: %s", h.describe())
	}
	h.shutdownLeavesNothing()
}
