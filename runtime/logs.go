package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// MaxLogLine bounds one log line in memory: a longer line is delivered in pieces of this
// size. Lines of several MiB are delivered whole.
const MaxLogLine = 16 << 20

// engineLogChunk is the size at which the engine splits a long line into several log entries
// (each with the timestamp of the first). Every piece but the last is exactly this long and has
// no \n; the last ends with \n. An entry without \n that is shorter is a line the container
// left unfinished when its run ended.
const engineLogChunk = 16 * 1024

// Logs reads the container's output from the engine's logs endpoint, with the engine's
// timestamps, and calls sink once per line, in order. stdout and stderr are demultiplexed (a
// TTY container has one stream, delivered as stdout, with the terminal's \r\n line ends
// trimmed to the text). Lines are split on \n only, of any length up to MaxLogLine; the engine's
// 16 KiB split of long lines is undone; a last line without \n is delivered when its run ends.
// Without Follow it returns after the last line; with Follow when the container stops (nil) or
// ctx ends (ctx.Err()).
//
// A follow stream of Engine 20.10 can end before the last line when the json-file log rotated
// while the reader lagged behind (measured: 122 000 of 200 000 lines with max-size=10m): so
// when a follow stream ends, Logs reads again what the engine kept after the last entry it
// delivered (see LogsFrom).
func (d *Docker) Logs(ctx context.Context, id string, opts orchestrator.LogOptions, sink func(orchestrator.LogLine)) error {
	_, err := d.LogsFrom(ctx, id, opts, nil, sink)
	return err
}

// LogPosition marks where a read of a container's log ended: the last entries it delivered.
// LogsFrom resumes right after them, exactly, even though the engine can only be asked for
// entries since a time and stdout and stderr entries are not in time order against each other.
type LogPosition struct {
	seed maphash.Seed
	keys [positionKeys]entryKey // ring of the last entries delivered
	n    int                    // entries recorded, ever
}

// positionKeys is how many of the last entries a LogPosition remembers; resumeSlack bounds how
// many entries a resumed read looks through for them (the pieces of a 64 MiB line fit).
const (
	positionKeys = 64
	resumeSlack  = 4096
)

// entryKey identifies one log entry: its timestamp, stream, size and a hash of its content.
type entryKey struct {
	ts     int64
	stream orchestrator.Stream
	size   int
	hash   uint64
}

func (p *LogPosition) key(ts time.Time, stream orchestrator.Stream, content []byte) entryKey {
	return entryKey{ts: ts.UnixNano(), stream: stream, size: len(content), hash: maphash.Bytes(p.seed, content)}
}

func (p *LogPosition) record(k entryKey) {
	p.keys[p.n%positionKeys] = k
	p.n++
}

// last returns the remembered keys, oldest first.
func (p *LogPosition) last() []entryKey {
	if p == nil {
		return nil
	}
	if p.n <= positionKeys {
		return append([]entryKey(nil), p.keys[:p.n]...)
	}
	i := p.n % positionKeys
	return append(append([]entryKey(nil), p.keys[i:]...), p.keys[:i]...)
}

// Empty reports whether the position has seen no entry (a read from it starts at the start).
func (p *LogPosition) Empty() bool { return p == nil || p.n == 0 }

// LogsFrom is Logs that starts right after pos (from an earlier LogsFrom of the same
// container; nil or empty: where opts says) and returns the position after the last entry it
// delivered. opts.Since and opts.Tail apply only when pos is empty. It serves `sidecar logs
// -f`, which prints the history sorted across containers and then follows each container from
// where its history ended.
func (d *Docker) LogsFrom(ctx context.Context, id string, opts orchestrator.LogOptions, pos *LogPosition, sink func(orchestrator.LogLine)) (*LogPosition, error) {
	c, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return pos, engineError("read logs of container "+shortID(id), err)
	}
	tty := c.Container.Config != nil && c.Container.Config.Tty
	next := &LogPosition{seed: maphash.MakeSeed()}
	if pos != nil {
		*next = *pos
	}
	asm := newAssemblers(tty, sink)
	err = d.readLog(ctx, id, tty, opts, next, asm)
	if opts.Follow && err == nil && ctx.Err() == nil {
		err = d.readLog(ctx, id, tty, orchestrator.LogOptions{Since: opts.Since, Tail: -1}, next, asm)
	}
	asm.flush()
	if ctx.Err() != nil {
		return next, ctx.Err()
	}
	return next, err // readLog's errors name the container
}

// ResumeLogs is LogsFrom for the orchestrator (orchestrator.LogHistory): from is nil or a
// cursor an earlier ResumeLogs of the same container returned.
func (d *Docker) ResumeLogs(ctx context.Context, id string, opts orchestrator.LogOptions, from orchestrator.LogCursor, sink func(orchestrator.LogLine)) (orchestrator.LogCursor, error) {
	pos, _ := from.(*LogPosition)
	next, err := d.LogsFrom(ctx, id, opts, pos, sink)
	if next == nil {
		return nil, err
	}
	return next, err
}

var _ orchestrator.LogSource = (*Docker)(nil)

// readLog makes one request to the logs endpoint: from right after pos when it has entries,
// else from opts.Since / opts.Tail. Every entry delivered is recorded in pos.
func (d *Docker) readLog(ctx context.Context, id string, tty bool, opts orchestrator.LogOptions, pos *LogPosition, asm *assemblers) error {
	lo := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: opts.Follow, Tail: "all"}
	var res *resumer
	if last := pos.last(); len(last) > 0 {
		res = newResumer(last)
		lo.Since = sinceParam(time.Unix(0, res.since))
	} else {
		if opts.Tail >= 0 {
			lo.Tail = strconv.Itoa(opts.Tail)
		}
		if !opts.Since.IsZero() {
			lo.Since = sinceParam(opts.Since)
		}
	}
	rc, err := d.cli.ContainerLogs(ctx, id, lo)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return engineError("read logs of container "+shortID(id), err)
	}
	defer rc.Close()
	deliver := func(e logEntry) {
		pos.record(pos.key(e.ts, e.stream, e.content))
		asm.entry(e)
	}
	onEntry := deliver
	if res != nil {
		onEntry = func(e logEntry) { res.offer(pos, e, deliver) }
	}
	if tty {
		err = readRawEntries(rc, onEntry, d.isLogEntry(ctx, id))
	} else {
		err = readMuxEntries(rc, onEntry)
	}
	if res != nil {
		res.end(deliver)
	}
	if err != nil {
		return fmt.Errorf("read logs of container %s: %w", shortID(id), err)
	}
	return nil
}

// sinceParam formats t as the logs endpoint's since parameter (seconds.nanoseconds).
func sinceParam(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }

// resumer skips the entries of a resumed read up to and including the remembered ones. The
// read asks for entries since the oldest remembered timestamp, so the remembered entries come
// first (after a few older-stamped ones of the other stream, or earlier pieces of a long line).
// If they are not found — the engine no longer keeps them (rotated away) — the entries newer
// than all of them are delivered.
type resumer struct {
	keys    []entryKey
	since   int64
	newest  int64
	matched int
	seen    int
	done    bool
	pending []logEntry // entries newer than every remembered one, seen before a match
}

func newResumer(keys []entryKey) *resumer {
	r := &resumer{keys: keys, since: keys[0].ts, newest: keys[0].ts}
	for _, k := range keys {
		r.since, r.newest = min(r.since, k.ts), max(r.newest, k.ts)
	}
	return r
}

func (r *resumer) offer(pos *LogPosition, e logEntry, deliver func(logEntry)) {
	if r.done {
		deliver(e)
		return
	}
	r.seen++
	k := pos.key(e.ts, e.stream, e.content)
	switch {
	case k == r.keys[r.matched]:
		r.matched++
	case k == r.keys[0]:
		r.matched = 1
	default:
		r.matched = 0
	}
	if r.matched == len(r.keys) {
		r.done, r.pending = true, nil
		return
	}
	if k.ts > r.newest {
		e.content = bytes.Clone(e.content)
		r.pending = append(r.pending, e)
	}
	if r.seen > len(r.keys)+resumeSlack {
		r.end(deliver)
	}
}

// end gives up looking: the pending entries are delivered.
func (r *resumer) end(deliver func(logEntry)) {
	if r.done {
		return
	}
	r.done = true
	for _, e := range r.pending {
		deliver(e)
	}
	r.pending = nil
}

// logEntry is one entry of the logs endpoint: a line, or a 16 KiB piece of a longer one, or
// the unfinished end of a run's output. content is valid until the next entry is read.
type logEntry struct {
	stream  orchestrator.Stream
	ts      time.Time
	content []byte
}

// assemblers join the entries (or the raw chunks) of each stream into lines.
type assemblers struct {
	out, err *lineAssembler
}

func newAssemblers(tty bool, sink func(orchestrator.LogLine)) *assemblers {
	return &assemblers{
		out: &lineAssembler{stream: orchestrator.Stdout, tty: tty, sink: sink},
		err: &lineAssembler{stream: orchestrator.Stderr, tty: tty, sink: sink},
	}
}

func (a *assemblers) of(s orchestrator.Stream) *lineAssembler {
	if s == orchestrator.Stderr {
		return a.err
	}
	return a.out
}

// entry adds one entry of the logs endpoint. An entry without \n shorter than the engine's
// chunk ends its line: the run ended there.
func (a *assemblers) entry(e logEntry) {
	l := a.of(e.stream)
	l.add(e.ts, e.content)
	if len(e.content) > 0 && len(e.content) < engineLogChunk && e.content[len(e.content)-1] != '\n' {
		l.flush()
	}
}

func (a *assemblers) flush() {
	a.out.flush()
	a.err.flush()
}

// lineAssembler joins log entries of one stream into lines.
type lineAssembler struct {
	stream orchestrator.Stream
	tty    bool
	sink   func(orchestrator.LogLine)
	buf    []byte
	ts     time.Time
	open   bool // a line has started (its timestamp is ts)
}

// add appends content written at ts; every \n ends a line.
func (a *lineAssembler) add(ts time.Time, content []byte) {
	for len(content) > 0 {
		if !a.open {
			a.ts, a.open = ts, true
		}
		i := bytes.IndexByte(content, '\n')
		if i < 0 {
			a.buf = append(a.buf, content...)
			if len(a.buf) >= MaxLogLine {
				a.emit()
			}
			return
		}
		if len(a.buf) == 0 {
			a.emitText(content[:i]) // the common case: a whole line in one piece, no copy
		} else {
			a.buf = append(a.buf, content[:i]...)
			a.emit()
		}
		content = content[i+1:]
	}
}

func (a *lineAssembler) emit() {
	a.emitText(a.buf)
	if cap(a.buf) > 1<<20 {
		a.buf = nil // do not hold on to a huge buffer
	} else {
		a.buf = a.buf[:0]
	}
}

func (a *lineAssembler) emitText(text []byte) {
	if a.tty {
		text = bytes.TrimSuffix(text, []byte{'\r'})
	}
	a.sink(orchestrator.LogLine{Time: a.ts, Stream: a.stream, Text: string(text)})
	a.open = false
}

// flush delivers a last line that had no \n.
func (a *lineAssembler) flush() {
	if a.open {
		a.emit()
	}
}

// splitTimestamp parses the engine's "2006-01-02T15:04:05.000000000Z " prefix off an entry.
func splitTimestamp(entry []byte) (time.Time, []byte, bool) {
	i := bytes.IndexByte(entry, ' ')
	if i < 20 || i > 40 {
		return time.Time{}, entry, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(entry[:i]))
	if err != nil {
		return time.Time{}, entry, false
	}
	return ts, entry[i+1:], true
}

// readMuxEntries reads the multiplexed stream (8-byte frame header: stream, 0, 0, 0, size).
// Each frame is one log entry with its own timestamp, so frames are read one by one (stdcopy's
// StdCopy would hide their boundaries, and with them where timestamps start).
func readMuxEntries(r io.Reader, fn func(logEntry)) error {
	br := bufio.NewReaderSize(r, 64*1024)
	var hdr [8]byte
	var frame []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return errors.New("the log stream ended inside a frame header")
			}
			return err
		}
		stream, err := frameStream(hdr[0])
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(frame) < size {
			frame = make([]byte, size)
		}
		frame = frame[:size]
		if _, rerr := io.ReadFull(br, frame); rerr != nil {
			if errors.Is(rerr, io.ErrUnexpectedEOF) || errors.Is(rerr, io.EOF) {
				return errors.New("the log stream ended inside a frame")
			}
			return rerr
		}
		if err != nil {
			if hdr[0] == byte(stdcopy.Systemerr) {
				return fmt.Errorf("the engine reported: %s", strings.TrimSpace(string(frame)))
			}
			return err
		}
		ts, content, _ := splitTimestamp(frame)
		fn(logEntry{stream: stream, ts: ts, content: content})
	}
}

// frameStream maps a frame header's stream byte.
func frameStream(b byte) (orchestrator.Stream, error) {
	switch stdcopy.StdType(b) {
	case stdcopy.Stdin, stdcopy.Stdout:
		return orchestrator.Stdout, nil
	case stdcopy.Stderr:
		return orchestrator.Stderr, nil
	case stdcopy.Systemerr:
		return 0, errors.New("system error")
	}
	return 0, fmt.Errorf("the log stream is corrupt (frame type %d)", b)
}

// readRawEntries reads a TTY container's log: one stream, entries "<timestamp> <text>" back to
// back, nothing between them. An entry ends after its \n; after engineLogChunk bytes of text
// when the engine split a long line; or, when a run ended with an unfinished line, where the
// next run's first entry begins — a timestamp inside what would otherwise be the text. A
// timestamp there counts as the start of an entry only if it is not older than the entry's own
// and isEntry confirms that the log has an entry with that timestamp and that text (nil: every
// such timestamp counts), so a container that prints timestamps keeps its text.
func readRawEntries(r io.Reader, fn func(logEntry), isEntry func(ts time.Time, text []byte) bool) error {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		// Look at the entry's first bytes (up to a timestamp's length) without waiting for
		// more than the entry has: in follow mode the next entry may be far off.
		var head []byte
		for n := 1; ; {
			h, err := br.Peek(n)
			if len(h) < n {
				if len(h) == 0 {
					if err == nil || errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
				head = h
				break
			}
			head = h
			if bytes.IndexByte(h, ' ') >= 0 || n >= 40 {
				break
			}
			n = max(n+1, min(40, br.Buffered()))
		}
		var ts time.Time
		if t, rest, ok := splitTimestamp(head); ok {
			ts = t
			br.Discard(len(head) - len(rest))
		}
		// The text: wait for more only while its end is not in sight.
		scan := rawScan{ts: ts, isEntry: isEntry}
		for {
			buf, _ := br.Peek(br.Buffered())
			if n, ok := scan.end(buf, false); ok {
				fn(logEntry{ts: ts, content: buf[:n]})
				br.Discard(n)
				break
			}
			if _, err := br.Peek(len(buf) + 1); err != nil {
				buf, _ = br.Peek(br.Buffered()) // the failed Peek may have moved the data
				if len(buf) > 0 {
					n, _ := scan.end(buf, true)
					fn(logEntry{ts: ts, content: buf[:n]})
					br.Discard(n)
					if n < len(buf) {
						break // another entry follows
					}
				}
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}
}

// rawScan finds where the text of one entry of a TTY log ends.
type rawScan struct {
	ts      time.Time // the entry's timestamp
	isEntry func(ts time.Time, text []byte) bool
	checked int // offsets of the text before this hold no next entry's timestamp
}

// end returns the length of the entry's text at the start of buf, or false when buf does not
// show it yet (atEOF: no more is coming, the rest of buf is the entry's).
func (s *rawScan) end(buf []byte, atEOF bool) (int, bool) {
	w := buf[:min(len(buf), engineLogChunk)]
	nl := bytes.IndexByte(w, '\n')
	text := w
	if nl >= 0 {
		text = w[:nl]
	}
	// A timestamp inside the text (never at its start: a run's output is not empty) may start
	// the next run's first entry.
	for s.checked = max(s.checked, 1); s.checked < len(text); s.checked++ {
		c := buf[s.checked:]
		if c[0] < '0' || c[0] > '9' {
			continue
		}
		n, complete := timestampPrefix(c)
		if n == 0 {
			continue
		}
		if !complete {
			if atEOF {
				continue
			}
			return 0, false // it may be one: wait for the rest
		}
		t, err := time.Parse(time.RFC3339Nano, string(c[:n-1]))
		if err != nil || t.Before(s.ts) {
			continue
		}
		if s.isEntry != nil && !s.isEntry(t, c[n:]) {
			continue
		}
		return s.checked, true
	}
	switch {
	case nl >= 0:
		return nl + 1, true
	case len(w) == engineLogChunk:
		return engineLogChunk, true
	case atEOF:
		return len(buf), true
	}
	return 0, false
}

// timestampPrefix matches the start of b against the engine's timestamp prefix
// "2006-01-02T15:04:05.000000000Z " (or with an offset, "+01:00 ", instead of Z). It returns
// the prefix's length and true when b starts with a whole one; the length of b and false when
// b is too short to tell but matches so far; 0 when b does not start with one.
func timestampPrefix(b []byte) (int, bool) {
	const layout = "dddd-dd-ddTdd:dd:dd.ddddddddd"
	for i := 0; i < len(layout); i++ {
		if i == len(b) {
			return len(b), false
		}
		if want := layout[i]; want == 'd' {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
		} else if b[i] != want {
			return 0, false
		}
	}
	zone := "Z "
	if len(b) > len(layout) && (b[len(layout)] == '+' || b[len(layout)] == '-') {
		zone = "+dd:dd "
	}
	for i := 0; i < len(zone); i++ {
		j := len(layout) + i
		if j == len(b) {
			return len(b), false
		}
		switch want := zone[i]; {
		case want == 'd':
			if b[j] < '0' || b[j] > '9' {
				return 0, false
			}
		case want == '+':
		case b[j] != want:
			return 0, false
		}
	}
	return len(layout) + len(zone), true
}

// isLogEntry returns the check readRawEntries makes of a timestamp inside a TTY container's
// text: the engine is asked for the container's entries with exactly that timestamp, and the
// first one must start with the text that follows it. When the engine cannot be asked, the
// timestamp counts.
func (d *Docker) isLogEntry(ctx context.Context, id string) func(time.Time, []byte) bool {
	return func(ts time.Time, text []byte) bool {
		at := sinceParam(ts)
		rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Since: at, Until: at})
		if err != nil {
			return true
		}
		defer rc.Close()
		text = text[:min(len(text), 256)]
		head := make([]byte, 40+len(text))
		n, _ := io.ReadFull(rc, head)
		got, content, ok := splitTimestamp(head[:n])
		if !ok || !got.Equal(ts) {
			return false
		}
		m := min(len(content), len(text))
		return bytes.Equal(content[:m], text[:m])
	}
}
