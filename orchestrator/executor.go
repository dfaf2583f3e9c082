package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/recipes"
)

// executor carries out actions against the runtime and reports what happened; it decides
// nothing. Every error names the operation and the engine object: the Runtime's errors do
// already (see the Runtime's errors), so they are passed on as they are rather than wrapped
// in the same words again ("create container x: create container x: …").
type executor struct {
	rt Runtime
	// clock times hooks: a sleep action, a pre-stop hook's grace, how long one took.
	clock clock.Clock
	// epoch is the relist epoch: read after a create so a relist that began before it does
	// not take the new container for a vanished one.
	epoch *atomic.Uint64
	// tail is how many last lines ActCollectLogs reads.
	tail int
	// logs: app containers' output is attached just before each start (see logcapture.go).
	logs *attachments
}

// execute carries out a. Once stopping is set (the pod's teardown was asked: see
// supervisor.stopAsked), a create or a start that has not reached the engine yet is not sent
// (NotSent): it was planned before the teardown, and what the teardown has to stop and remove
// would only grow. A call already sent finishes; the teardown removes what it made.
func (e *executor) execute(ctx context.Context, a Action, stopping *atomic.Bool) ActionResult {
	r := ActionResult{Action: a}
	halted := func() bool {
		r.NotSent = stopping != nil && stopping.Load()
		return r.NotSent
	}
	switch a.Kind {
	case ActCreateVolume:
		if a.Memory {
			r.Err = e.rt.CreateMemoryVolume(ctx, a.Volume, a.Labels, a.Size)
		} else {
			r.Err = e.rt.CreateVolume(ctx, a.Volume, a.Labels)
		}
	case ActRemoveVolume:
		if err := e.rt.RemoveVolume(ctx, a.Volume); err != nil && !isNotFound(err) {
			r.Err = err
		}
	case ActCreate:
		if halted() {
			return r
		}
		id, err := e.rt.CreateContainer(ctx, *a.Spec)
		r.ID, r.Epoch = id, e.epoch.Load()
		if err != nil {
			r.Err = err
			return r
		}
		for _, fc := range a.Files {
			if err := e.rt.CopyFiles(ctx, id, fc.Dir, fc.Files, fc.ReadOnly); err != nil {
				if fc.Volume != "" {
					err = fmt.Errorf("fill pod volume %s with its files: %w", fc.Volume, err)
				}
				r.Err = err
				return r
			}
		}
	case ActFillVolume:
		for _, fc := range a.Files {
			if err := e.rt.CopyFiles(ctx, a.ID, fc.Dir, fc.Files, fc.ReadOnly); err != nil {
				r.Err = fmt.Errorf("fill pod volume %s with its files: %w", fc.Volume, err)
				return r
			}
		}
	case ActStart:
		if halted() {
			return r
		}
		if a.Role != recipes.RoleInfra {
			e.logs.attach(ctx, a.ID)
		}
		// Attaching takes a round trip to the engine: the teardown may have been asked
		// meanwhile.
		if halted() {
			e.logs.drop(a.ID)
			return r
		}
		if err := e.rt.StartContainer(ctx, a.ID); err != nil {
			e.logs.drop(a.ID)
			r.Err = err
			return r
		}
		r.Info = e.inspect(ctx, a.ID)
	case ActStop:
		res, err := e.rt.StopContainer(ctx, a.ID, a.Grace)
		if err != nil {
			r.Err = err
			return r
		}
		r.Stop = res
		r.Info = e.inspect(ctx, a.ID)
	case ActRemove:
		if err := e.rt.RemoveContainer(ctx, a.ID); err != nil && !isNotFound(err) {
			r.Err = err
		}
	case ActCollectLogs:
		last := newLastLines(e.tail)
		err := e.rt.Logs(ctx, a.ID, LogOptions{Tail: failureWindow}, last.add)
		if err != nil {
			r.Err = fmt.Errorf("read the logs of %s: %w", a.Target, err)
		}
		r.Lines = last.lines()
	case ActPostStart, ActPreStop:
		start := e.clock.Now()
		r.Err = e.hook(ctx, a)
		r.Took = e.clock.Since(start)
	}
	return r
}

// errAbandoned says a hook was given up on.
var errAbandoned = errors.New("abandoned")

// hook runs a's hook until it ends, ctx ends (the container's run ended, the pod is killed)
// or, for a pre-stop hook, its grace runs out: then it is abandoned, and the stop proceeds.
func (e *executor) hook(ctx context.Context, a Action) error {
	if a.Kind == ActPreStop && a.Grace <= 0 {
		return fmt.Errorf("%w: no time was left of the pod's stop budget", errAbandoned)
	}
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.runHook(hctx, a) }()
	var expired <-chan time.Time
	if a.Kind == ActPreStop {
		t := e.clock.NewTimer(a.Grace)
		defer t.Stop()
		expired = t.C()
	}
	select {
	case err := <-done:
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("%w: the container's run ended first", errAbandoned)
		}
		return err
	case <-expired:
		cancel()
		<-done
		return fmt.Errorf("%w: it did not finish within the grace of %s", errAbandoned, RoundDuration(a.Grace))
	}
}

// runHook runs a hook's action: a sleep on the clock, else exec or http through the runtime.
func (e *executor) runHook(ctx context.Context, a Action) error {
	h := *a.Hook
	if h.Exec == nil && h.HTTP == nil {
		if h.Sleep <= 0 {
			return nil
		}
		t := e.clock.NewTimer(h.Sleep.D())
		defer t.Stop()
		select {
		case <-t.C():
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return e.rt.RunHook(ctx, a.Infra, a.ID, h)
}

// HookAction describes what a hook does, for people: "exec /drain --wait", "http GET
// :8080/shutdown", "sleep 5s".
func HookAction(h *recipes.Hook) string {
	switch {
	case h == nil:
		return ""
	case h.Exec != nil:
		return "exec " + strings.Join(h.Exec.Command, " ")
	case h.HTTP != nil:
		path := h.HTTP.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		return fmt.Sprintf("http GET %s:%d%s", h.HTTP.Host, h.HTTP.Port, path)
	}
	return "sleep " + h.Sleep.String()
}

// inspect returns the container's state right after an operation, or nil when it cannot be
// read (events and relists will tell).
func (e *executor) inspect(ctx context.Context, id string) *ContainerInfo {
	info, err := e.rt.InspectContainer(ctx, id)
	if err != nil {
		return nil
	}
	return &info
}

// The last lines of a container that failed its pod, as its failure shows them. The engine
// cannot order stdout and stderr against each other: it copies each stream from the
// container's pipe in a goroutine of its own and stamps a line when it copies it, so a
// program that prints many lines on stdout and then its error on stderr often has that error
// stamped (and kept) before the stdout lines still in the pipe (measured: for 5 000 stdout
// lines, in 6 of 10 runs among the first 20 of 5 001). A window of the last lines taken across
// both streams then ends on stdout without the decisive line (issue 12.7). So the window is
// taken per stream, and stderr — where a failing program says why — comes last: the last
// lines of stdout, then the last lines of stderr, each in the engine's order. Stderr gets at
// least half of the lines when it has that many (more when stdout has fewer), stdout the rest.

// failureWindow is how many of a failed container's last lines are read to find the last
// lines of each stream: far more than the engine's pipes can hold in flight of one stream
// while the other's line goes ahead (64 KiB of pipe plus the copier's buffer: about 8 000
// lines of 12 bytes).
const failureWindow = 20000

// lastLines keeps the last n lines of each stream, made terminal-safe.
type lastLines struct {
	n        int
	out, err []string
}

func newLastLines(n int) *lastLines { return &lastLines{n: n} }

func (t *lastLines) add(l LogLine) {
	keep := &t.out
	if l.Stream == Stderr {
		keep = &t.err
	}
	if len(*keep) == 2*t.n { // drop the older half at once: amortised O(1) a line
		*keep = append((*keep)[:0], (*keep)[t.n:]...)
	}
	*keep = append(*keep, termsafe.Sanitize(l.Text, termsafe.Color))
}

// lines returns the last lines of stdout, then those of stderr, n in all.
func (t *lastLines) lines() []string {
	k := min(len(t.err), max((t.n+1)/2, t.n-len(t.out))) // stderr's share
	m := min(len(t.out), t.n-k)
	out := append([]string(nil), t.out[len(t.out)-m:]...)
	return append(out, t.err[len(t.err)-k:]...)
}
