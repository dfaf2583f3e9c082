package orchestrator

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
)

// Log lines do not travel with state events: each container's lines go into its own bounded
// ring buffer, which never blocks the writer. Readers keep their own cursor per buffer and
// learn how many lines they missed when they fell behind.
//
// A buffer keeps two bounds:
//
//   - history: the newest LogLines lines (default 10 000) stay for views that come later or
//     scroll back;
//   - memory: the lines kept cost at most LogBytes (default 32 MiB), counting each line's text
//     plus LogLineOverhead bytes. The newest line is always kept, however long.
//
// Lines a live reader (a subscription) has not read yet are kept beyond the history bound,
// within the memory bound: a container that writes in bursts (its output backed up while
// this process was not scheduled, then arrives at memory speed) does not make a view that
// reads as fast as it can lose lines. A view that does not keep up loses the oldest lines
// once the memory bound is reached, and is told how many; the writer never waits.
//
// Text is made terminal-safe as it goes in (termsafe.Color: SGR colour and attributes kept,
// every other escape sequence and control removed), so every view gets safe text; a view
// that is not a terminal shows LogEvent.PlainText. That one pass also sets LogEvent.Plain
// when no escape sequence is left (most lines): such text is the same for a terminal, a
// file or a view that drops colour, which then have nothing more to do with it.

// DefaultLogLines is the number of lines a container's buffer keeps as history.
const DefaultLogLines = 10000

// DefaultLogBytes bounds the memory of a container's buffer: 10 000 lines of up to 3 KiB
// fit; lines not yet read stretch the history up to about 240 000 short lines (a view whose
// output stalled for a moment under load lags that far behind a fast writer: with 8 MiB,
// `sidecar up` into a pipe lost lines in 3 of 7 runs of 200 000); a flood of 1 MiB lines
// keeps the last 31. The memory is used only while a view lags: otherwise a buffer holds
// its history.
const DefaultLogBytes = 32 << 20

// LogLineOverhead is what a line costs in a buffer besides its text.
const LogLineOverhead = 128

// LogHub holds the log buffers of a stack's containers and wakes readers when lines arrive.
type LogHub struct {
	size     int
	maxBytes int
	seq      *atomic.Uint64

	mu       sync.RWMutex
	buffers  []*LogBuffer
	byName   map[[2]string]*LogBuffer
	readers  map[*LogReader]struct{}
	watchers atomic.Pointer[[]chan struct{}] // replaced, never changed in place
}

// NewLogHub returns a hub whose buffers keep size lines of history each (DefaultLogLines when
// size <= 0) within DefaultLogBytes. seq numbers lines; share it with the state events to
// order both in one stream (nil: own).
func NewLogHub(size int, seq *atomic.Uint64) *LogHub {
	if size <= 0 {
		size = DefaultLogLines
	}
	if seq == nil {
		seq = new(atomic.Uint64)
	}
	return &LogHub{size: size, maxBytes: DefaultLogBytes, seq: seq, byName: map[[2]string]*LogBuffer{}, readers: map[*LogReader]struct{}{}}
}

// NewLogHubLimits is NewLogHub with a memory bound per buffer too (DefaultLogBytes when
// maxBytes <= 0).
func NewLogHubLimits(lines, maxBytes int, seq *atomic.Uint64) *LogHub {
	h := NewLogHub(lines, seq)
	h.setByteLimit(maxBytes)
	return h
}

// setByteLimit sets the memory bound of buffers made from now on.
func (h *LogHub) setByteLimit(maxBytes int) {
	if maxBytes <= 0 {
		maxBytes = DefaultLogBytes
	}
	h.mu.Lock()
	h.maxBytes = maxBytes
	h.mu.Unlock()
}

// Limits returns each buffer's history (lines) and memory bound (bytes).
func (h *LogHub) Limits() (lines, maxBytes int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.size, h.maxBytes
}

// Buffer returns the buffer of a pod's container, creating it on first use.
func (h *LogHub) Buffer(pod, container string) *LogBuffer {
	key := [2]string{pod, container}
	h.mu.RLock()
	b := h.byName[key]
	h.mu.RUnlock()
	if b != nil {
		return b
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if b = h.byName[key]; b == nil {
		b = &LogBuffer{pod: pod, container: container, hub: h, lines: h.size, maxBytes: h.maxBytes,
			ring: make([]LogEvent, min(h.size, 256)), readers: map[*LogReader]uint64{}}
		for r := range h.readers {
			if r.wants(pod, container) {
				b.readers[r] = 0 // a reader made before the buffer reads it from its first line
			}
		}
		b.recount()
		h.byName[key] = b
		h.buffers = append(h.buffers, b)
	}
	return b
}

// Buffers returns every buffer, in the order they were made.
func (h *LogHub) Buffers() []*LogBuffer {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]*LogBuffer(nil), h.buffers...)
}

// Watch returns a channel that receives a value (dropped if one is pending) whenever a line
// is appended anywhere; stop with Unwatch.
func (h *LogHub) Watch() chan struct{} {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	var list []chan struct{}
	if old := h.watchers.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, ch)
	h.watchers.Store(&list)
	h.mu.Unlock()
	return ch
}

// Unwatch stops notifications on ch.
func (h *LogHub) Unwatch(ch chan struct{}) {
	h.mu.Lock()
	var list []chan struct{}
	if old := h.watchers.Load(); old != nil {
		for _, c := range *old {
			if c != ch {
				list = append(list, c)
			}
		}
	}
	h.watchers.Store(&list)
	h.mu.Unlock()
}

// notify wakes the watchers; it runs once per line appended, so it takes no lock.
func (h *LogHub) notify() {
	list := h.watchers.Load()
	if list == nil {
		return
	}
	for _, ch := range *list {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// LogBuffer is one container's last lines. Lines are numbered from 0 for the life of the
// buffer; it keeps the newest ones within its bounds (see above).
type LogBuffer struct {
	pod, container string
	hub            *LogHub
	lines          int // history
	maxBytes       int // memory

	mu          sync.Mutex
	ring        []LogEvent // line i is at ring[i%len(ring)]; grows and shrinks with what is kept
	first, next uint64     // lines [first, next) are kept
	bytes       int        // cost of the lines kept
	readers     map[*LogReader]uint64
	unread      uint64 // the first line some reader has not read: min of readers (with readers)
}

// Pod is the pod of the buffer's container.
func (b *LogBuffer) Pod() string { return b.pod }

// Container is the buffer's container.
func (b *LogBuffer) Container() string { return b.container }

// Append adds one line the container wrote, made terminal-safe. It never blocks on readers.
func (b *LogBuffer) Append(l LogLine) {
	text, plain := termsafe.SanitizeNoEscape(l.Text, termsafe.Color)
	b.add(l.Time, l.Stream, text, plain, false)
}

// Mark adds a line of the tool's own (a restart marker).
func (b *LogBuffer) Mark(at time.Time, text string) {
	text, plain := termsafe.SanitizeNoEscape(text, termsafe.Color)
	b.add(at, Stdout, text, plain, true)
}

func (b *LogBuffer) add(at time.Time, stream Stream, text string, plain, marker bool) {
	cost := len(text) + LogLineOverhead
	b.mu.Lock()
	// Make room: the oldest line goes while the memory bound would be passed, or while the
	// history is full and every reader has read that line.
	unread := b.oldestUnread()
	for b.next > b.first && (b.bytes+cost > b.maxBytes || (b.next-b.first >= uint64(b.lines) && b.first < unread)) {
		old := &b.ring[b.first%uint64(len(b.ring))]
		b.bytes -= len(old.Text) + LogLineOverhead
		old.Text = "" // let go of it now, not when the slot is reused
		b.first++
	}
	if b.next-b.first == uint64(len(b.ring)) {
		b.resize(2 * len(b.ring))
	} else if len(b.ring) > 256 && b.next-b.first < uint64(len(b.ring)/4) {
		b.resize(len(b.ring) / 2) // a burst was read: give its room back
	}
	b.ring[b.next%uint64(len(b.ring))] = LogEvent{
		EventMeta: EventMeta{Seq: b.hub.seq.Add(1), Time: at},
		Pod:       b.pod, Container: b.container, Stream: stream, Text: text, Plain: plain, Marker: marker,
	}
	b.next++
	b.bytes += cost
	b.mu.Unlock()
	b.hub.notify()
}

// oldestUnread is the first line some reader has not read (next when every reader is up to
// date, or there is none).
func (b *LogBuffer) oldestUnread() uint64 {
	if len(b.readers) == 0 {
		return b.next
	}
	return min(b.unread, b.next)
}

// recount notes the readers' oldest position after one moved, came or went (b.mu held): the
// writer reads it at every line, the readers move once a batch.
func (b *LogBuffer) recount() {
	b.unread = b.next
	for _, at := range b.readers {
		b.unread = min(b.unread, at)
	}
}

// resize moves the lines kept to a ring of n slots.
func (b *LogBuffer) resize(n int) {
	ring := make([]LogEvent, n)
	for i := b.first; i < b.next; i++ {
		ring[i%uint64(n)] = b.ring[i%uint64(len(b.ring))]
	}
	b.ring = ring
}

// Size returns the number of lines kept and what they cost (text plus LogLineOverhead each).
func (b *LogBuffer) Size() (lines int, bytes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.next - b.first), b.bytes
}

// PlainText is the line's text without its colours and attributes: for views that are not a
// terminal (files, pipes, JSON). Text itself is safe for a terminal.
func (e LogEvent) PlainText() string {
	if e.Plain {
		return e.Text
	}
	return termsafe.Plain(e.Text)
}

// Bounds returns the number of the oldest line kept and the number the next line will get.
func (b *LogBuffer) Bounds() (first, next uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.first, b.next
}

// Read returns up to max lines from line number from on, the number to read from next time,
// and how many lines between from and the first returned were already overwritten.
func (b *LogBuffer) Read(from uint64, max int) (lines []LogEvent, next uint64, missed uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from < b.first {
		missed = b.first - from
		from = b.first
	}
	if from > b.next {
		from = b.next
	}
	end := b.next
	if max > 0 && end-from > uint64(max) {
		end = from + uint64(max)
	}
	n := uint64(len(b.ring))
	lines = make([]LogEvent, 0, end-from)
	for i := from; i < end; i++ {
		lines = append(lines, b.ring[i%n])
	}
	return lines, end, missed
}

// LogReader reads every buffer of a hub in one order (by sequence number), keeping a cursor
// per buffer. It starts at the oldest line each buffer keeps when the reader is made (and at
// the first line of buffers made later), so what it misses after that is counted. Until it
// is closed, the buffers keep the lines it has not read beyond their history, within their
// memory bound.
type LogReader struct {
	hub    *LogHub
	notify chan struct{}
	keep   func(pod, container string) bool // nil: every buffer
}

// NewReader returns a reader over the hub's buffers, woken through Notify.
func (h *LogHub) NewReader() *LogReader { return h.NewReaderWith(ReaderOptions{}) }

// ReaderOptions select what a LogReader reads.
type ReaderOptions struct {
	// Keep selects the buffers read (nil: every one); the others keep no line for it.
	Keep func(pod, container string) bool
	// Tail is how many of each buffer's kept lines it reads first (0: all of them);
	// NoHistory makes it read none of them, only lines that come later.
	Tail      int
	NoHistory bool
}

// NewReaderWith returns a reader over the buffers opts selects, starting where opts says.
// Buffers made later are read from their first line.
func (h *LogHub) NewReaderWith(opts ReaderOptions) *LogReader {
	r := &LogReader{hub: h, notify: h.Watch(), keep: opts.Keep}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.readers[r] = struct{}{}
	for _, b := range h.buffers {
		if !r.wants(b.pod, b.container) {
			continue
		}
		b.mu.Lock()
		at := b.first
		switch {
		case opts.NoHistory:
			at = b.next
		case opts.Tail > 0 && b.next-b.first > uint64(opts.Tail):
			at = b.next - uint64(opts.Tail)
		}
		b.readers[r] = at
		b.recount()
		b.mu.Unlock()
	}
	return r
}

func (r *LogReader) wants(pod, container string) bool { return r.keep == nil || r.keep(pod, container) }

// Notify receives a value when lines may have arrived.
func (r *LogReader) Notify() <-chan struct{} { return r.notify }

// Close stops the reader's notifications; the buffers no longer keep lines for it.
func (r *LogReader) Close() {
	h := r.hub
	h.Unwatch(r.notify)
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.readers, r)
	for _, b := range h.buffers {
		b.mu.Lock()
		delete(b.readers, r)
		b.recount()
		b.mu.Unlock()
	}
}

// Read returns up to max lines (max <= 0: all), merged across containers in sequence order;
// a LogsDroppedEvent precedes the first line read after a gap. more tells whether lines are
// left to read.
//
// It holds every buffer's lock while it merges (in the hub's order, the only place that
// takes more than one): a writer waits at most for one batch to be copied.
func (r *LogReader) Read(max int) (out []Event, more bool) {
	bufs := r.hub.Buffers()
	type src struct {
		b      *LogBuffer
		at     uint64 // next line to read
		missed uint64 // lines lost before at, reported with the first line read
	}
	srcs := make([]src, 0, len(bufs))
	total := uint64(0)
	for _, b := range bufs {
		b.mu.Lock()
		at, ok := b.readers[r]
		if !ok { // closed
			at = b.next
		}
		var missed uint64
		if at < b.first {
			missed, at = b.first-at, b.first
		}
		if at > b.next {
			at = b.next
		}
		total += b.next - at
		srcs = append(srcs, src{b: b, at: at, missed: missed})
	}
	n := total
	if max > 0 && n > uint64(max) {
		n, more = uint64(max), true
	}
	out = make([]Event, 0, n)
	for uint64(len(out)) < n {
		best := -1
		var bestSeq uint64
		for i := range srcs {
			s := &srcs[i]
			if s.at == s.b.next {
				continue
			}
			if seq := s.b.ring[s.at%uint64(len(s.b.ring))].Seq; best < 0 || seq < bestSeq {
				best, bestSeq = i, seq
			}
		}
		s := &srcs[best]
		line := s.b.ring[s.at%uint64(len(s.b.ring))]
		if s.missed > 0 {
			out = append(out, LogsDroppedEvent{EventMeta: line.EventMeta, Pod: line.Pod, Container: line.Container, Count: s.missed})
			s.missed = 0
			n++ // the notice does not count against max
		}
		out = append(out, line)
		s.at++
	}
	for _, s := range srcs {
		if _, ok := s.b.readers[r]; ok && s.missed == 0 {
			s.b.readers[r] = s.at
			s.b.recount()
		} // else nothing of it was read: its gap is reported when it is
		s.b.mu.Unlock()
	}
	return out, more
}
