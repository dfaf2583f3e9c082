package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// Engine loss, as a kubelet handles the loss of its container runtime. The engine stopping
// (a daemon restart, Docker Desktop quitting) is not a crash of the stack's containers: its
// API goes first (the event stream ends, every call fails with ErrEngineUnreachable), then
// it stops the containers, without telling anyone. So when the event stream ends and a
// relist fails as unreachable, the orchestrator says so in every view, freezes every pod's
// planning (nothing is started, stopped, recreated or given up on while the engine cannot
// answer) and keeps asking, with back-off. When the engine answers again, it relists and the
// pods reconcile from what it holds: what the restart killed is recreated (a dead infra
// container means the whole pod, as always; the engine's own restart policy plays no part),
// what survived (a live-restore engine) is kept. A stop request while the engine is gone
// ends the wait: up exits, saying exactly which objects it had to leave and that `sidecar
// down` removes them. See docs/guarantees.md.

// Retries of an unreachable engine: 0.5 s doubling up to 5 s; the views are reminded every
// engineNoteEvery that the wait goes on.
var engineRetry = recipes.Backoff{Initial: recipes.Duration(500 * time.Millisecond), Max: recipes.Duration(5 * time.Second)}

const engineNoteEvery = 30 * time.Second

// A hung engine (SIGSTOPped, wedged) takes connections and answers nothing: its event stream
// stays open, and no call fails. It is lost too: an engine call left unanswered for
// engineStallAfter, or a probe that timed out, makes the engine be checked with a ping that
// has a deadline (EngineChecker), and one that is not answered in time is unreachable.
// A forced teardown (a second Ctrl-C) has forceBudget for the engine to do it: what is left
// by then is given up on and named, as after a stop while the engine is gone.
const (
	engineStallAfter = 10 * time.Second
	forceBudget      = 15 * time.Second
)

// EngineWaitText is what every view says while the engine is unreachable.
const EngineWaitText = "engine unreachable: waiting for it (Ctrl-C to stop)"

// engineWatch is what the orchestrator knows of the engine's reachability. The event pump
// finds out and waits; supervisors read it to tell a failure the engine's absence caused
// from one of their own, and nudge the pump when a call fails as if the engine were gone;
// log readers wait on it to read on after the engine is back.
type engineWatch struct {
	mu      sync.Mutex
	down    bool
	back    chan struct{} // closed when the engine answers again; a new one per outage
	outages uint64

	nudge      chan struct{}
	checks     atomic.Uint64 // checks of the engine begun (see checkEngine)
	gaveUp     chan struct{} // closed when the user stops waiting
	gaveUpOnce sync.Once
}

func newEngineWatch() *engineWatch {
	back := make(chan struct{})
	close(back)
	return &engineWatch{back: back, nudge: make(chan struct{}, 1), gaveUp: make(chan struct{})}
}

func (w *engineWatch) isDown() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.down
}

// outageCount is how many outages began so far: a reader that sees it change knows its
// stream may have ended because of one.
func (w *engineWatch) outageCount() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.outages
}

func (w *engineWatch) setDown() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.down {
		w.down, w.back = true, make(chan struct{})
		w.outages++
	}
}

func (w *engineWatch) setUp() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down {
		w.down = false
		close(w.back)
	}
}

// suspect asks the pump to check the engine now (a call failed as if it were gone).
func (w *engineWatch) suspect() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// giveUp ends every wait for the engine.
func (w *engineWatch) giveUp() { w.gaveUpOnce.Do(func() { close(w.gaveUp) }) }

// await waits until the engine answers; false when ctx ended or the user gave up first.
func (w *engineWatch) await(ctx context.Context) bool {
	w.mu.Lock()
	back := w.back
	w.mu.Unlock()
	select {
	case <-back:
		return true
	case <-ctx.Done():
	case <-w.gaveUp:
	}
	return false
}

// lostEngine tells whether err is the engine's absence rather than a failure of the
// operation: it says so, or the engine is known to be gone.
func (w *engineWatch) lostEngine(err error) bool {
	return err != nil && (errors.Is(err, ErrEngineUnreachable) || w.isDown())
}

// engineGone checks the engine at once (a probe timed out: the engine may be the one that
// does not answer): true when it is unreachable.
func (s *supervisor) engineGone(ctx context.Context) bool {
	c, ok := s.rt.(EngineChecker)
	return ok && errors.Is(c.CheckEngine(ctx), ErrEngineUnreachable)
}

// checkEngine tells whether the engine is there (nil) or gone (an error matching
// ErrEngineUnreachable): with a fresh connection when the Runtime can (EngineChecker), else
// with a listing.
func (o *Orchestrator) checkEngine(ctx context.Context, filter map[string]string) error {
	var err error
	if c, ok := o.rt.(EngineChecker); ok {
		err = c.CheckEngine(ctx)
	} else {
		_, err = o.rt.ListContainers(ctx, filter)
	}
	if errors.Is(err, ErrEngineUnreachable) {
		return err
	}
	return nil
}

// awaitEngine runs while the engine is unreachable: it says so, freezes the pods and asks
// the engine again with back-off until it answers (true), or ctx ends or the user gives up
// (false). cause is the failure that showed the engine gone.
func (o *Orchestrator) awaitEngine(ctx context.Context, filter map[string]string, cause error) bool {
	start := o.clock.Now()
	o.engine.setDown()
	o.out.publish(EngineStateEvent{Reachable: false, Error: cause.Error()})
	o.out.publish(MessageEvent{Level: LevelWarning, Text: EngineWaitText, Hint: cause.Error()})
	for _, pr := range o.pods {
		pr.sup.box.Put(msgEngineDown{})
	}
	note := start.Add(engineNoteEvery)
	for attempt := 1; ; attempt++ {
		t := o.clock.NewTimer(backoffDelay(engineRetry, attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-o.engine.gaveUp:
			t.Stop()
			return false
		case <-t.C():
		}
		// Only a whole answer on a new connection counts: an engine shutting down still
		// answers on the connections it has before its API closes.
		err := o.checkEngine(ctx, filter)
		if err == nil {
			if _, err = o.rt.ListContainers(ctx, filter); err == nil {
				break
			}
		}
		if now := o.clock.Now(); !now.Before(note) {
			o.out.publish(MessageEvent{Level: LevelWarning,
				Text: fmt.Sprintf("engine still unreachable after %s: waiting for it (Ctrl-C to stop)", RoundDuration(now.Sub(start))),
				Hint: err.Error()})
			note = now.Add(engineNoteEvery)
		}
	}
	o.engine.setUp()
	o.out.publish(EngineStateEvent{Reachable: true})
	o.out.publish(MessageEvent{Level: LevelInfo,
		Text: fmt.Sprintf("engine reachable again after %s: re-listing the stack's containers and reconciling", RoundDuration(o.clock.Since(start)))})
	return true
}

// LeftBehindError is the end of a run the user stopped while the engine was unreachable:
// what could not be removed, and how to remove it. It matches ErrEngineUnreachable.
type LeftBehindError struct {
	Stack string
	// Left names each object the run knew of and could not remove: "container shop-web",
	// "volume …", "network …". The engine may have removed some of them itself while it went
	// (it still answers a few requests while it stops); it holds nothing else of the stack.
	Left []string
	// Unanswered: the engine was not known to be gone, but did not answer the forced
	// teardown in time (forceBudget), or the user stopped waiting for it.
	Unanswered bool
}

func (e *LeftBehindError) Error() string {
	what := "stopped while the engine was unreachable"
	if e.Unanswered {
		what = "gave up on the forced teardown: the engine did not answer it"
	}
	if len(e.Left) == 0 {
		return what + "; nothing of stack " + e.Stack + " was left on it"
	}
	return fmt.Sprintf("%s: left on the engine (as last seen): %s; once the engine answers again, `sidecar down --stack %s` removes what is left",
		what, strings.Join(e.Left, ", "), e.Stack)
}

func (e *LeftBehindError) Is(target error) bool { return target == ErrEngineUnreachable }
