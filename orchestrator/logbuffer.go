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
// A buffer is bounded in lines and in bytes: it keeps the newest lines that fit both limits
// (and always the newest line, however long). Text is made terminal-safe as it goes in
// (termsafe.Color: SGR colour and attributes kept, every other escape sequence and control
// removed), so every view gets safe text; a view that is not a terminal shows
// LogEvent.PlainText instead.

// DefaultLogLines is the number of lines a container's buffer keeps.
const DefaultLogLines = 10000

// DefaultLogBytes is the number of bytes of text a container's buffer keeps: 10 000 lines of
// up to 800 bytes fit; a flood of 1 MiB lines keeps the last 8.
const DefaultLogBytes = 8 << 20

// LogHub holds the log buffers of a stack's containers and wakes readers when lines arrive.
type LogHub struct {
	size     int
	maxBytes int
	seq      *atomic.Uint64

	mu       sync.RWMutex
	buffers  []*LogBuffer
	byName   map[[2]string]*LogBuffer
	watchers map[chan struct{}]struct{}
}

// NewLogHub returns a hub whose buffers keep size lines each (DefaultLogLines when size <= 0).
// seq numbers lines; share it with the state events to order both in one stream (nil: own).
func NewLogHub(size int, seq *atomic.Uint64) *LogHub {
	if size <= 0 {
		size = DefaultLogLines
	}
	if seq == nil {
		seq = new(atomic.Uint64)
	}
	return &LogHub{size: size, maxBytes: DefaultLogBytes, seq: seq, byName: map[[2]string]*LogBuffer{}, watchers: map[chan struct{}]struct{}{}}
}

// NewLogHubLimits is NewLogHub with a limit on the bytes of text each buffer keeps too
// (DefaultLogBytes when maxBytes <= 0).
func NewLogHubLimits(lines, maxBytes int, seq *atomic.Uint64) *LogHub {
	h := NewLogHub(lines, seq)
	h.setByteLimit(maxBytes)
	return h
}

// setByteLimit sets the byte limit of buffers made from now on.
func (h *LogHub) setByteLimit(maxBytes int) {
	if maxBytes <= 0 {
		maxBytes = DefaultLogBytes
	}
	h.mu.Lock()
	h.maxBytes = maxBytes
	h.mu.Unlock()
}

// Limits returns how many lines and bytes of text each buffer keeps.
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
		b = &LogBuffer{pod: pod, container: container, hub: h, ring: make([]LogEvent, h.size), maxBytes: h.maxBytes}
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
	h.watchers[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

// Unwatch stops notifications on ch.
func (h *LogHub) Unwatch(ch chan struct{}) {
	h.mu.Lock()
	delete(h.watchers, ch)
	h.mu.Unlock()
}

func (h *LogHub) notify() {
	h.mu.RLock()
	for ch := range h.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	h.mu.RUnlock()
}

// LogBuffer is one container's last lines. Lines are numbered from 0 for the life of the
// buffer; it keeps the newest ones that fit its line and byte limits.
type LogBuffer struct {
	pod, container string
	hub            *LogHub
	maxBytes       int

	mu          sync.Mutex
	ring        []LogEvent
	first, next uint64 // lines [first, next) are kept
	bytes       int    // text bytes of the lines kept
}

// Pod is the pod of the buffer's container.
func (b *LogBuffer) Pod() string { return b.pod }

// Container is the buffer's container.
func (b *LogBuffer) Container() string { return b.container }

// Append adds one line the container wrote, made terminal-safe. It never blocks on readers.
func (b *LogBuffer) Append(l LogLine) {
	b.add(l.Time, l.Stream, termsafe.Sanitize(l.Text, termsafe.Color), false)
}

// Mark adds a line of the tool's own (a restart marker).
func (b *LogBuffer) Mark(at time.Time, text string) {
	b.add(at, Stdout, termsafe.Sanitize(text, termsafe.Color), true)
}

func (b *LogBuffer) add(at time.Time, stream Stream, text string, marker bool) {
	b.mu.Lock()
	n := uint64(len(b.ring))
	// Make room: the oldest lines go while the ring is full or the text would not fit (the
	// new line is kept whatever its size).
	for b.next > b.first && (b.next-b.first >= n || b.bytes+len(text) > b.maxBytes) {
		old := &b.ring[b.first%n]
		b.bytes -= len(old.Text)
		old.Text = "" // let go of it now, not when the slot is reused
		b.first++
	}
	b.ring[b.next%n] = LogEvent{
		EventMeta: EventMeta{Seq: b.hub.seq.Add(1), Time: at},
		Pod:       b.pod, Container: b.container, Stream: stream, Text: text, Marker: marker,
	}
	b.next++
	b.bytes += len(text)
	b.mu.Unlock()
	b.hub.notify()
}

// Size returns the number of lines kept and their bytes of text.
func (b *LogBuffer) Size() (lines int, bytes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.next - b.first), b.bytes
}

// PlainText is the line's text without its colours and attributes: for views that are not a
// terminal (files, pipes, JSON). Text itself is safe for a terminal.
func (e LogEvent) PlainText() string { return termsafe.Plain(e.Text) }

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
// the first line of buffers made later), so what it misses after that is counted.
type LogReader struct {
	hub     *LogHub
	cursors map[*LogBuffer]uint64
	notify  chan struct{}
}

// NewReader returns a reader over the hub's buffers, woken through Notify.
func (h *LogHub) NewReader() *LogReader {
	r := &LogReader{hub: h, cursors: map[*LogBuffer]uint64{}, notify: h.Watch()}
	for _, b := range h.Buffers() {
		r.cursors[b], _ = b.Bounds()
	}
	return r
}

// Notify receives a value when lines may have arrived.
func (r *LogReader) Notify() <-chan struct{} { return r.notify }

// Close stops the reader's notifications.
func (r *LogReader) Close() { r.hub.Unwatch(r.notify) }

// Read returns up to max lines (max <= 0: all), merged across containers in sequence order;
// a LogsDroppedEvent precedes the first line read after a gap. more tells whether lines are
// left to read.
func (r *LogReader) Read(max int) (out []Event, more bool) {
	type src struct {
		b      *LogBuffer
		lines  []LogEvent
		next   uint64
		missed uint64
		taken  int
	}
	var srcs []*src
	for _, b := range r.hub.Buffers() {
		from := r.cursors[b]
		lines, next, missed := b.Read(from, max)
		r.cursors[b] = from
		if len(lines) > 0 {
			srcs = append(srcs, &src{b: b, lines: lines, next: next, missed: missed})
		}
	}
	for max <= 0 || len(out) < max {
		var best *src
		for _, s := range srcs {
			if s.taken < len(s.lines) && (best == nil || s.lines[s.taken].Seq < best.lines[best.taken].Seq) {
				best = s
			}
		}
		if best == nil {
			break
		}
		line := best.lines[best.taken]
		if best.taken == 0 && best.missed > 0 {
			out = append(out, LogsDroppedEvent{EventMeta: line.EventMeta, Pod: line.Pod, Container: line.Container, Count: best.missed})
		}
		out = append(out, line)
		best.taken++
	}
	for _, s := range srcs {
		if s.taken == 0 {
			continue // nothing of it read: its gap is reported when it is
		}
		if s.taken < len(s.lines) {
			more = true
		}
		first := s.next - uint64(len(s.lines))
		r.cursors[s.b] = first + uint64(s.taken)
		if _, n := s.b.Bounds(); n > r.cursors[s.b] {
			more = true
		}
	}
	for _, s := range srcs {
		if s.taken == 0 {
			more = true
		}
	}
	return out, more
}
