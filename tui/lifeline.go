package tui

import (
	"fmt"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// A lifeline is one container's history as the events told it, for the timeline (L): the
// states it went through with the time each began, and marks — starts, restarts, probe
// results, exits, kills — at the time they happened. It is bounded: the oldest changes go
// first.

// markKind is what a mark on a lifeline says. A new kind of event becomes a new kind here,
// with its glyph, its legend and its rank.
type markKind uint8

const (
	markStart     markKind = iota // started
	markRestart                   // started again after a restart
	markReady                     // the ready probe (or the HEALTHCHECK) passed
	markProbeFail                 // the ready probe (or the HEALTHCHECK) failed
	markStop                      // the stop signal was sent
	markExit                      // exited with code 0, or stopped
	markExitFail                  // exited with another code
	markOOM                       // killed for lack of memory
	markKill                      // killed with SIGKILL after its grace
	markHook                      // a lifecycle hook was sent (post-start, pre-stop)
	markHookFail                  // a lifecycle hook failed
	markStartup                   // the startup probe passed
	numMarks
)

// markInfo is how a mark is drawn: its glyph, the legend's words, and its rank when two
// marks fall on one cell (the higher is drawn).
var markInfo = [numMarks]struct {
	glyph, legend string
	rank          int
}{
	markStart:     {"▶", "started", 2},
	markRestart:   {"↻", "restarted", 3},
	markReady:     {"✓", "ready", 1},
	markProbeFail: {"✗", "probe failed", 4},
	markStop:      {"◼", "stop sent", 2},
	markExit:      {"■", "exited", 3},
	markExitFail:  {"■", "exit code", 5},
	markOOM:       {"!", "OOM-killed", 6},
	markKill:      {"†", "SIGKILL", 6},
	markHook:      {"◇", "hook", 1},
	markHookFail:  {"◆", "hook failed", 4},
	markStartup:   {"✓", "startup probe passed", 1},
}

// isHook tells the marks of hook runs: they fall where another mark is more often than not
// (a post-start hook is sent as its container starts, a pre-stop one as its stop begins),
// and are then drawn in the next cell.
func (k markKind) isHook() bool { return k == markHook || k == markHookFail }

// lifeMark is one mark: its kind, when, and a word drawn after it when there is room
// ("exit 1").
type lifeMark struct {
	at   time.Time
	kind markKind
	text string
}

// lifeSpan is a state from a time on.
type lifeSpan struct {
	at time.Time
	c  orchestrator.ContainerView
}

type lifeline struct {
	pod, name string
	role      recipes.Role
	spans     []lifeSpan
	marks     []lifeMark
}

// lifeKeep is how many state changes and marks a lifeline keeps.
const lifeKeep = 512

// add records the container's state c from at on; old is its state before (nil for the
// snapshot's, which has no marks: it tells where things are, not what happened).
func (l *lifeline) add(at time.Time, old *orchestrator.ContainerView, c orchestrator.ContainerView) {
	l.role = c.Role
	l.spans = keepLast(append(l.spans, lifeSpan{at: at, c: c}), lifeKeep)
	if old == nil {
		return
	}
	mark := func(k markKind, text string) {
		l.marks = keepLast(append(l.marks, lifeMark{at: at, kind: k, text: text}), lifeKeep)
	}
	if old.State != c.State {
		switch c.State {
		case orchestrator.CStateRunning:
			if c.Restarts > 0 { // as the column's "▶ started (restart N)"
				mark(markRestart, "")
			} else {
				mark(markStart, "")
			}
		case orchestrator.CStateExited, orchestrator.CStateBackoff:
			if old.State == orchestrator.CStateCreated || old.State == orchestrator.CStateStarting {
				mark(markStart, "") // it ran, too briefly to be seen running
			}
			switch {
			case c.OOMKilled:
				mark(markOOM, "OOM")
			case c.ExitCode != nil && *c.ExitCode != 0:
				mark(markExitFail, fmt.Sprintf("exit %d", *c.ExitCode))
			default:
				mark(markExit, "exit 0")
			}
		case orchestrator.CStateStopping:
			mark(markStop, "")
		case orchestrator.CStateStopped:
			if c.Killed {
				mark(markKill, "SIGKILL")
			} else {
				mark(markExit, "")
			}
		}
	}
	if c.State == orchestrator.CStateRunning && old.Health != c.Health {
		switch c.Health {
		case orchestrator.HealthReady, orchestrator.HealthHealthy:
			mark(markReady, "")
		case orchestrator.HealthNotReady, orchestrator.HealthUnhealthy:
			mark(markProbeFail, "")
		}
	}
}

// hook records a hook event: a mark where the hook was sent, and one where it failed.
func (l *lifeline) hook(e orchestrator.HookEvent) {
	switch e.Phase {
	case orchestrator.HookRunning:
		l.marks = keepLast(append(l.marks, lifeMark{at: e.Time, kind: markHook, text: e.Hook.String()}), lifeKeep)
	case orchestrator.HookFailed:
		l.marks = keepLast(append(l.marks, lifeMark{at: e.Time, kind: markHookFail, text: e.Hook.String() + " failed"}), lifeKeep)
	}
}

// probe records a probe event: a mark where the startup probe passed.
func (l *lifeline) probe(e orchestrator.ProbeEvent) {
	if e.Probe == orchestrator.ProbeStartup {
		l.marks = keepLast(append(l.marks, lifeMark{at: e.Time, kind: markStartup, text: "startup"}), lifeKeep)
	}
}

// at is the container's state at time t (ok false before the first one known).
func (l *lifeline) at(t time.Time) (orchestrator.ContainerView, bool) {
	i := len(l.spans)
	for i > 0 && l.spans[i-1].at.After(t) {
		i--
	}
	if i == 0 {
		return orchestrator.ContainerView{}, false
	}
	return l.spans[i-1].c, true
}

func keepLast[T any](s []T, n int) []T {
	if len(s) > n {
		return append(s[:0], s[len(s)-n:]...)
	}
	return s
}

// phaseAt is a pod's phase from a time on.
type phaseAt struct {
	at    time.Time
	phase orchestrator.Phase
}
