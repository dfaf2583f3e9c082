package orchestrator

import (
	"context"
	"io"
	"sort"
	"sync"
	"sync/atomic"

	"k8s.io/utils/clock"
)

// stream publishes state events to subscribers and keeps the state they describe. Publishing
// never blocks: each subscriber has an unbounded queue of state events (they are few), and
// log lines are read from the LogHub's bounded buffers.
type stream struct {
	clock clock.PassiveClock
	seq   *atomic.Uint64
	logs  *LogHub

	mu     sync.Mutex
	view   StackView
	subs   map[*Subscription]struct{}
	closed bool
}

func newStream(clk clock.PassiveClock, view StackView, logLines int) *stream {
	seq := new(atomic.Uint64)
	return &stream{clock: clk, seq: seq, logs: NewLogHub(logLines, seq), view: view, subs: map[*Subscription]struct{}{}}
}

// publish stamps ev, folds it into the state and queues it for every subscriber.
func (s *stream) publish(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	ev = plainEvent(ev).withMeta(EventMeta{Seq: s.seq.Add(1), Time: s.clock.Now()})
	s.view.Apply(ev)
	for sub := range s.subs {
		if sub.opts.NoState {
			continue
		}
		sub.queue = append(sub.queue, ev)
		sub.wake()
	}
}

// reshape changes the stack's shape (pods and containers added or dropped by Apply) and
// sends every subscriber a new SnapshotEvent of it: views rebuild their columns from it.
func (s *stream) reshape(change func(*StackView)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	change(&s.view)
	snap := SnapshotEvent{Stack: s.view.clone()}
	ev := snap.withMeta(EventMeta{Seq: s.seq.Add(1), Time: s.clock.Now()})
	for sub := range s.subs {
		sub.queue = append(sub.queue, ev)
		sub.wake()
	}
}

// close ends the stream: subscribers read what is queued, then io.EOF.
func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for sub := range s.subs {
		sub.wake()
	}
}

func (s *stream) snapshot() StackView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view.clone()
}

// SubscribeOptions tune a subscription.
type SubscribeOptions struct {
	// NoLogs leaves log lines out: the subscriber reads state events only.
	NoLogs bool
	// MaxLogLines bounds the log lines one Next returns (default 1000), so that a
	// subscriber far behind catches up in bounded steps.
	MaxLogLines int
	// NoState leaves the state events out but for the snapshots: a view of the logs alone.
	NoState bool
	// Containers keeps only the log lines of these containers (none: every container's).
	Containers []ContainerRef
	// Tail is how many of each container's buffered lines come first (0: every one the
	// buffer keeps); NoHistory leaves them all out: only lines written from now on.
	Tail      int
	NoHistory bool
}

// ContainerRef names a container of a stack.
type ContainerRef struct {
	Pod       string `json:"pod"`
	Container string `json:"container"`
}

func (r ContainerRef) String() string { return r.Pod + "/" + r.Container }

// Subscription is one subscriber's view of the stream: a SnapshotEvent first, then every
// state event in order, with log lines merged in by sequence number.
type Subscription struct {
	s      *stream
	opts   SubscribeOptions
	logs   *LogReader
	ready  chan struct{}
	queue  []Event // guarded by s.mu
	closed bool    // guarded by s.mu
}

func (s *stream) subscribe(opts SubscribeOptions) *Subscription {
	if opts.MaxLogLines <= 0 {
		opts.MaxLogLines = 1000
	}
	sub := &Subscription{s: s, opts: opts, ready: make(chan struct{}, 1)}
	if !opts.NoLogs {
		ro := ReaderOptions{Tail: opts.Tail, NoHistory: opts.NoHistory}
		if len(opts.Containers) > 0 {
			want := map[ContainerRef]bool{}
			for _, c := range opts.Containers {
				want[c] = true
			}
			ro.Keep = func(pod, container string) bool { return want[ContainerRef{pod, container}] }
		}
		sub.logs = s.logs.NewReaderWith(ro)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := SnapshotEvent{Stack: s.view.clone()}
	sub.queue = []Event{snap.withMeta(EventMeta{Seq: s.seq.Load(), Time: s.clock.Now()})}
	s.subs[sub] = struct{}{}
	sub.wake()
	return sub
}

func (sub *Subscription) wake() {
	select {
	case sub.ready <- struct{}{}:
	default:
	}
}

// Next blocks until events are available and returns them in order, or returns io.EOF once
// the stack has finished and everything was read, or ctx's error.
func (sub *Subscription) Next(ctx context.Context) ([]Event, error) {
	var logWake <-chan struct{}
	if sub.logs != nil {
		logWake = sub.logs.Notify()
	}
	for {
		evs, ended := sub.take()
		if len(evs) > 0 {
			return evs, nil
		}
		if ended {
			return nil, io.EOF
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sub.ready:
		case <-logWake:
		}
	}
}

// TryNext returns what is available now, without blocking.
func (sub *Subscription) TryNext() []Event {
	evs, _ := sub.take()
	return evs
}

// Ready receives a value when Next may have something; for select loops.
func (sub *Subscription) Ready() <-chan struct{} { return sub.ready }

// LogsReady receives a value when log lines may have arrived (nil with NoLogs).
func (sub *Subscription) LogsReady() <-chan struct{} {
	if sub.logs == nil {
		return nil
	}
	return sub.logs.Notify()
}

// Close ends the subscription.
func (sub *Subscription) Close() {
	sub.s.mu.Lock()
	delete(sub.s.subs, sub)
	sub.closed = true
	sub.queue = nil
	sub.s.mu.Unlock()
	if sub.logs != nil {
		sub.logs.Close()
	}
}

// take returns queued state events and log lines merged by sequence number. When the log
// lines were cut at MaxLogLines, state events after the last line returned stay queued, so
// the order holds across calls. ended is set when the stream is closed and nothing is left.
func (sub *Subscription) take() (out []Event, ended bool) {
	var lines []Event
	more := false
	if sub.logs != nil {
		lines, more = sub.logs.Read(sub.opts.MaxLogLines)
	}
	s := sub.s
	s.mu.Lock()
	if sub.closed {
		s.mu.Unlock()
		return nil, true
	}
	evs := sub.queue
	if more && len(lines) > 0 {
		cut := lines[len(lines)-1].Meta().Seq
		i := sort.Search(len(evs), func(i int) bool { return evs[i].Meta().Seq > cut })
		sub.queue = append([]Event(nil), evs[i:]...)
		evs = evs[:i]
	} else {
		sub.queue = nil
	}
	closed, rest := s.closed, len(sub.queue)
	s.mu.Unlock()
	if more {
		sub.wake()
	}
	// The snapshot comes first, before the history of log lines it already accounts for.
	var head []Event
	if len(evs) > 0 {
		if _, ok := evs[0].(SnapshotEvent); ok {
			head, evs = evs[:1], evs[1:]
		}
	}
	out = append(head, mergeBySeq(evs, lines)...)
	return out, closed && len(out) == 0 && !more && rest == 0
}

func mergeBySeq(a, b []Event) []Event {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]Event, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i].Meta().Seq <= b[j].Meta().Seq {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
