package orchestrator

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// How a container's output gets into its buffer. With a runtime that can attach (LogAttacher,
// the Docker adapter), the executor connects to the container's output just before each
// start, so the stream carries the run from its first byte at the speed the container writes;
// the run's reader then takes that stream. Without one, or when attaching failed, the reader
// follows the engine's log from the run's start instead (Logs with Since and Follow), which
// loses nothing either but is slower. Either way the sink appends to a ring buffer and never
// blocks, so neither the container nor the supervisor waits on the views. See docs/logs.md.

// attachments holds the streams attached before starts, until the run's reader takes them.
// It is shared by the executor (which attaches) and the supervisors (whose readers take).
type attachments struct {
	rt LogAttacher // nil: the runtime cannot attach

	mu      sync.Mutex
	streams map[string]LogStream // by container ID
}

func newAttachments(rt Runtime) *attachments {
	a := &attachments{streams: map[string]LogStream{}}
	a.rt, _ = rt.(LogAttacher)
	return a
}

// attach connects to the output of container id before it starts. A failure is not an
// error: the run's reader then follows the engine's log.
func (a *attachments) attach(ctx context.Context, id string) {
	if a == nil || a.rt == nil {
		return
	}
	st, err := a.rt.AttachLogs(ctx, id)
	if err != nil {
		return
	}
	a.mu.Lock()
	old := a.streams[id]
	a.streams[id] = st
	a.mu.Unlock()
	if old != nil {
		old.Close() // a run that was never seen started
	}
}

// drop closes the stream attached to id (its start failed).
func (a *attachments) drop(id string) {
	if st := a.take(id); st != nil {
		st.Close()
	}
}

// take returns the stream attached to id, if any, and forgets it.
func (a *attachments) take(id string) LogStream {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.streams[id]
	delete(a.streams, id)
	return st
}

// closeAll closes the streams no reader took.
func (a *attachments) closeAll() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, st := range a.streams {
		st.Close()
		delete(a.streams, id)
	}
}

// follow reads one run of a container's output into its buffer: from the stream attached
// before the run started, or else from the engine's log since the run's start (so no line
// written before we attached is lost), until the run ends or ctx ends. It first waits for the
// previous run's reader to drain, so lines stay in order across a restart, and a restart adds
// a marker line.
func (s *supervisor) follow(ctx context.Context, prev <-chan struct{}, done chan<- struct{}, lines *atomic.Uint64, buf *LogBuffer, id string, since time.Time, marker string) {
	defer close(done)
	st := s.exec.logs.take(id)
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			return
		}
	}
	if marker != "" {
		buf.Mark(since, marker)
	}
	last := since
	sink := func(l LogLine) {
		buf.Append(l)
		lines.Add(1)
		if l.Time.After(last) {
			last = l.Time
		}
	}
	for {
		outages := s.engine.outageCount()
		var err error
		if st != nil {
			err = st.Read(ctx, sink)
			st.Close()
			st = nil
		} else {
			err = s.rt.Logs(ctx, id, LogOptions{Follow: true, Since: since, Tail: -1}, sink)
		}
		if ctx.Err() != nil {
			return
		}
		// A stream the engine's loss cut: once it is back, read on from the last line (what
		// a container that survived wrote meanwhile, or a killed one's last lines).
		if s.engine.lostEngine(err) || s.engine.outageCount() != outages {
			if !s.engine.await(ctx) {
				return
			}
			since = last.Add(time.Nanosecond)
			continue
		}
		if err != nil && !isNotFound(err) {
			s.out.publish(MessageEvent{Level: LevelWarning, Pod: s.spec.Pod.Name, Container: buf.Container(),
				Text: fmt.Sprintf("reading the logs of %s stopped: %v", buf.Container(), err)})
		}
		return
	}
}
