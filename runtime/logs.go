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
	if err != nil {
		return next, fmt.Errorf("read logs of container %s: %w", shortID(id), err)
	}
	return next, nil
}

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
		err = readRawEntries(rc, onEntry)
	} else {
		err = readMuxEntries(rc, onEntry)
	}
	if res != nil {
		res.end(deliver)
	}
	return err
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
// chunk ends its line: the run ended there (a TTY stream shows no entry ends but \n and the
// chunk size, so there the line goes on until one of those).
func (a *assemblers) entry(e logEntry) {
	l := a.of(e.stream)
	l.add(e.ts, e.content)
	if !l.tty && len(e.content) > 0 && len(e.content) < engineLogChunk && e.content[len(e.content)-1] != '\n' {
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
// back. An entry ends after its \n, or after engineLogChunk bytes of text when the engine
// split a long line.
func readRawEntries(r io.Reader, fn func(logEntry)) error {
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
		// The text: up to its \n, at most engineLogChunk bytes; wait for more only while
		// neither is in sight.
		for {
			buf, _ := br.Peek(br.Buffered())
			limit := min(len(buf), engineLogChunk)
			if i := bytes.IndexByte(buf[:limit], '\n'); i >= 0 {
				fn(logEntry{ts: ts, content: buf[:i+1]})
				br.Discard(i + 1)
				break
			}
			if limit == engineLogChunk {
				fn(logEntry{ts: ts, content: buf[:limit]})
				br.Discard(limit)
				break
			}
			if _, err := br.Peek(len(buf) + 1); err != nil {
				buf, _ = br.Peek(br.Buffered()) // the failed Peek may have moved the data
				if len(buf) > 0 {
					fn(logEntry{ts: ts, content: buf})
					br.Discard(len(buf))
				}
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}
}
