package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
// (each with its own timestamp). Frames of the multiplexed stream show the split; in the raw
// stream of a TTY container only this size does.
const engineLogChunk = 16 * 1024

// Logs reads the container's output from the engine's logs endpoint, with the engine's
// timestamps, and calls sink once per line, in order. stdout and stderr are demultiplexed (a
// TTY container has one stream, delivered as stdout, with the terminal's \r\n line ends
// trimmed to the text). Lines are split on \n only, of any length up to MaxLogLine; the engine's
// 16 KiB split of long lines is undone; a last line without \n is delivered when the stream
// ends. Without Follow it returns after the last line; with Follow when the container stops
// (nil) or ctx ends (ctx.Err()).
func (d *Docker) Logs(ctx context.Context, id string, opts orchestrator.LogOptions, sink func(orchestrator.LogLine)) error {
	c, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return engineError("read logs of container "+shortID(id), err)
	}
	tty := c.Container.Config != nil && c.Container.Config.Tty
	lo := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: opts.Follow, Tail: "all"}
	if opts.Tail >= 0 {
		lo.Tail = strconv.Itoa(opts.Tail)
	}
	if !opts.Since.IsZero() {
		lo.Since = fmt.Sprintf("%d.%09d", opts.Since.Unix(), opts.Since.Nanosecond())
	}
	rc, err := d.cli.ContainerLogs(ctx, id, lo)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return engineError("read logs of container "+shortID(id), err)
	}
	defer rc.Close()
	if tty {
		err = readRawLog(rc, sink)
	} else {
		err = readMuxLog(rc, sink)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("read logs of container %s: %w", shortID(id), err)
	}
	return nil
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
		a.buf = append(a.buf, content[:i]...)
		content = content[i+1:]
		a.emit()
	}
}

func (a *lineAssembler) emit() {
	text := a.buf
	if a.tty {
		text = bytes.TrimSuffix(text, []byte{'\r'})
	}
	a.sink(orchestrator.LogLine{Time: a.ts, Stream: a.stream, Text: string(text)})
	if cap(a.buf) > 1<<20 {
		a.buf = nil // do not hold on to a huge buffer
	} else {
		a.buf = a.buf[:0]
	}
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

// readMuxLog reads the multiplexed stream (8-byte frame header: stream, 0, 0, 0, size). Each
// frame is one log entry with its own timestamp, so frames are read one by one (stdcopy's
// StdCopy would hide their boundaries, and with them where timestamps start).
func readMuxLog(r io.Reader, sink func(orchestrator.LogLine)) error {
	out := &lineAssembler{stream: orchestrator.Stdout, sink: sink}
	errs := &lineAssembler{stream: orchestrator.Stderr, sink: sink}
	br := bufio.NewReaderSize(r, 64*1024)
	var hdr [8]byte
	var frame []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			out.flush()
			errs.flush()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return errors.New("the log stream ended inside a frame header")
			}
			return err
		}
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if cap(frame) < size {
			frame = make([]byte, size)
		}
		frame = frame[:size]
		if _, err := io.ReadFull(br, frame); err != nil {
			out.flush()
			errs.flush()
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return errors.New("the log stream ended inside a frame")
			}
			return err
		}
		var a *lineAssembler
		switch stdcopy.StdType(hdr[0]) {
		case stdcopy.Stdin, stdcopy.Stdout:
			a = out
		case stdcopy.Stderr:
			a = errs
		case stdcopy.Systemerr:
			out.flush()
			errs.flush()
			return fmt.Errorf("the engine reported: %s", strings.TrimSpace(string(frame)))
		default:
			return fmt.Errorf("the log stream is corrupt (frame type %d)", hdr[0])
		}
		ts, content, _ := splitTimestamp(frame)
		a.add(ts, content)
	}
}

// readRawLog reads a TTY container's log: one stream, entries "<timestamp> <text>" back to
// back. An entry ends after its \n, or after engineLogChunk bytes of text when the engine
// split a long line.
func readRawLog(r io.Reader, sink func(orchestrator.LogLine)) error {
	a := &lineAssembler{stream: orchestrator.Stdout, tty: true, sink: sink}
	br := bufio.NewReaderSize(r, 64*1024)
	atStart, inEntry := true, 0
	var ts time.Time
	for {
		if atStart {
			// Look at the entry's first bytes (up to a timestamp's length) without waiting
			// for more than the entry has: in follow mode the next entry may be far off.
			var head []byte
			for n := 1; ; {
				h, err := br.Peek(n)
				if len(h) < n {
					if len(h) == 0 {
						a.flush()
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
			if t, rest, ok := splitTimestamp(head); ok {
				ts = t
				br.Discard(len(head) - len(rest))
			}
			atStart, inEntry = false, 0
		}
		chunk, _ := br.Peek(min(engineLogChunk-inEntry, br.Buffered()))
		if len(chunk) == 0 {
			if _, err := br.Peek(1); err != nil {
				a.flush()
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			continue
		}
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			a.add(ts, chunk[:i+1])
			br.Discard(i + 1)
			atStart = true
			continue
		}
		a.add(ts, chunk)
		br.Discard(len(chunk))
		inEntry += len(chunk)
		if inEntry >= engineLogChunk {
			atStart = true
		}
	}
}
