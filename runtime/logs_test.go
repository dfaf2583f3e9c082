package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

const ts1, ts2 = "2026-01-02T03:04:05.000000001Z", "2026-01-02T03:04:06.5Z"

func frame(stream byte, payload string) []byte {
	hdr := make([]byte, 8)
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	return append(hdr, payload...)
}

// readMuxLog and readRawLog read a whole logs-endpoint stream into lines.
func readMuxLog(r io.Reader, sink func(orchestrator.LogLine)) error {
	asm := newAssemblers(false, sink)
	defer asm.flush()
	return readMuxEntries(r, asm.entry)
}

func readRawLog(r io.Reader, sink func(orchestrator.LogLine)) error {
	return readRawLogChecked(r, nil, sink)
}

func readRawLogChecked(r io.Reader, isEntry func(time.Time, []byte) bool, sink func(orchestrator.LogLine)) error {
	asm := newAssemblers(true, sink)
	defer asm.flush()
	return readRawEntries(r, asm.entry, isEntry)
}

func collect(read func(func(orchestrator.LogLine)) error) ([]orchestrator.LogLine, error) {
	var got []orchestrator.LogLine
	err := read(func(l orchestrator.LogLine) { got = append(got, l) })
	return got, err
}

func TestReadMuxLog(t *testing.T) {
	long := strings.Repeat("x", 40000)
	errLong := strings.Repeat("e", 16384) + "rest"
	var in bytes.Buffer
	in.Write(frame(1, ts1+" hello\n"))
	in.Write(frame(2, ts1+" oops\n"))
	// A long line split by the engine into 16 KiB entries, each with the first one's
	// timestamp, with a piece of a long stderr line in between.
	in.Write(frame(1, ts1+" "+long[:16384]))
	in.Write(frame(2, ts2+" "+errLong[:16384]))
	in.Write(frame(1, ts1+" "+long[16384:32768]))
	in.Write(frame(1, ts1+" "+long[32768:]+"\n"))
	in.Write(frame(2, ts2+" rest\n"))
	// A run that ended without \n, then the next run's line: two lines.
	in.Write(frame(1, ts2+" unfinished"))
	in.Write(frame(1, ts2+" next run\n"))
	in.Write(frame(1, ts2+" no newline"))
	// Read one byte at a time to prove frames are reassembled across reads.
	got, err := collect(func(s func(orchestrator.LogLine)) error { return readMuxLog(iotest.OneByteReader(&in), s) })
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := time.Parse(time.RFC3339Nano, ts1)
	t2, _ := time.Parse(time.RFC3339Nano, ts2)
	want := []orchestrator.LogLine{
		{Time: t1, Stream: orchestrator.Stdout, Text: "hello"},
		{Time: t1, Stream: orchestrator.Stderr, Text: "oops"},
		{Time: t1, Stream: orchestrator.Stdout, Text: long},
		{Time: t2, Stream: orchestrator.Stderr, Text: errLong},
		{Time: t2, Stream: orchestrator.Stdout, Text: "unfinished"},
		{Time: t2, Stream: orchestrator.Stdout, Text: "next run"},
		{Time: t2, Stream: orchestrator.Stdout, Text: "no newline"},
	}
	checkLines(t, got, want)

	if _, err := collect(func(s func(orchestrator.LogLine)) error {
		return readMuxLog(bytes.NewReader(frame(3, "boom")), s)
	}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("system error frame: %v", err)
	}
	if _, err := collect(func(s func(orchestrator.LogLine)) error {
		return readMuxLog(bytes.NewReader(frame(1, ts1+" x\n")[:12]), s)
	}); err == nil {
		t.Error("a truncated frame is not an error")
	}
}

func checkLines(t *testing.T, got, want []orchestrator.LogLine) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d: %.200v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Stream != want[i].Stream || got[i].Text != want[i].Text {
			t.Errorf("line %d: %v %s %.30q (%d bytes), want %v %s %.30q (%d bytes)", i, got[i].Time, got[i].Stream, got[i].Text, len(got[i].Text),
				want[i].Time, want[i].Stream, want[i].Text, len(want[i].Text))
		}
	}
}

func TestReadRawLog(t *testing.T) {
	long := strings.Repeat("y", 20000)
	in := ts1 + " short\r\n" +
		ts1 + " " + long[:16384] + ts1 + " " + long[16384:] + "\r\n" +
		ts2 + " 2026-is-not-a-timestamp-here\r\n" +
		ts2 + " last"
	got, err := collect(func(s func(orchestrator.LogLine)) error {
		return readRawLog(iotest.HalfReader(strings.NewReader(in)), s)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"short", long, "2026-is-not-a-timestamp-here", "last"}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Text != w || got[i].Stream != orchestrator.Stdout {
			t.Errorf("line %d: %.40q, want %.40q", i, got[i].Text, w)
		}
	}
	t2, _ := time.Parse(time.RFC3339Nano, ts2)
	if !got[3].Time.Equal(t2) {
		t.Errorf("last line time %v, want %v", got[3].Time, t2)
	}
}

// A TTY container's log has no frames: a run that ended with an unfinished line runs straight
// into the next run's first entry, whose timestamp must still be taken off, short or split.
func TestReadRawLogRunEnds(t *testing.T) {
	const (
		tsA = "2026-12-03T04:03:54.100000000Z"
		tsB = "2026-12-03T04:03:54.200000000Z" // the first run's unfinished end
		tsC = "2026-12-03T04:03:55.409462972Z" // the next run: a 70 000-byte line
		tsD = "2026-12-03T04:03:55.500000000Z"
		tsE = "2026-12-03T04:03:56.000000000Z" // the next run, after a short unfinished end
		tsF = "2026-12-03T05:03:57.000000000+01:00"
		tsG = "2026-12-03T05:03:56.500000000+01:00" // printed by the container
	)
	long := "line 000001 " + strings.Repeat("x", 70000-len("line 000001 "))
	in := tsA + " line 000002\r\n" + tsB + " ttytail"
	for rest := long + "\r\n"; rest != ""; {
		n := min(len(rest), engineLogChunk)
		in += tsC + " " + rest[:n]
		rest = rest[n:]
	}
	in += tsD + " bye" + tsE + " hi\r\n" +
		// Timestamps a container printed stay text: one older than the line, one that the
		// engine says is no entry of the log.
		tsE + " at " + tsA + " done\r\n" +
		tsE + " until " + tsG + " ok\r\n" +
		tsF + " end"
	entries := map[string]string{tsC: "line 000001 ", tsE: "hi\r\n", tsF: "end"} // what the engine has at each time
	var asked []string
	isEntry := func(ts time.Time, text []byte) bool {
		asked = append(asked, ts.Format(time.RFC3339Nano))
		for at, want := range entries {
			if t, _ := time.Parse(time.RFC3339Nano, at); t.Equal(ts) {
				return strings.HasPrefix(string(text), want) || strings.HasPrefix(want, string(text))
			}
		}
		return false
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := []orchestrator.LogLine{
		{Time: at(tsA), Text: "line 000002"},
		{Time: at(tsB), Text: "ttytail"},
		{Time: at(tsC), Text: long},
		{Time: at(tsD), Text: "bye"},
		{Time: at(tsE), Text: "hi"},
		{Time: at(tsE), Text: "at " + tsA + " done"},
		{Time: at(tsE), Text: "until " + tsG + " ok"},
		{Time: at(tsF), Text: "end"},
	}
	for name, r := range map[string]func() io.Reader{
		"whole":         func() io.Reader { return strings.NewReader(in) },
		"a byte a time": func() io.Reader { return iotest.OneByteReader(strings.NewReader(in)) },
	} {
		t.Run(name, func(t *testing.T) {
			asked = nil
			got, err := collect(func(s func(orchestrator.LogLine)) error { return readRawLogChecked(r(), isEntry, s) })
			if err != nil {
				t.Fatal(err)
			}
			checkLines(t, got, want)
			// The engine is asked only about timestamps not older than their line's.
			if strings.Join(asked, " ") != "2026-12-03T04:03:55.409462972Z 2026-12-03T04:03:56Z 2026-12-03T05:03:56.5+01:00" {
				t.Errorf("asked the engine about %q", asked)
			}
		})
	}
	// Without the engine to ask, a timestamp not older than the line starts an entry.
	got, err := collect(func(s func(orchestrator.LogLine)) error {
		return readRawLog(strings.NewReader(tsA+" tail"+tsB+" next\r\n"+tsB+" at "+tsA+" kept\r\n"), s)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, got, []orchestrator.LogLine{{Time: at(tsA), Text: "tail"}, {Time: at(tsB), Text: "next"}, {Time: at(tsB), Text: "at " + tsA + " kept"}})
}

func TestLineCap(t *testing.T) {
	var got []orchestrator.LogLine
	a := &lineAssembler{sink: func(l orchestrator.LogLine) { got = append(got, l) }}
	chunk := bytes.Repeat([]byte("z"), 1<<20)
	for i := 0; i < 17; i++ {
		a.add(time.Time{}, chunk)
	}
	a.flush()
	if len(got) != 2 || len(got[0].Text) != MaxLogLine || len(got[1].Text) != 1<<20 {
		t.Errorf("a 17 MiB line came out as %d pieces", len(got))
	}
}

// resumeRead reads file as the logs endpoint would serve it to a read resumed after pos:
// entries since the oldest remembered timestamp, in file order.
func resumeRead(pos *LogPosition, file []logEntry) []logEntry {
	var out []logEntry
	deliver := func(e logEntry) {
		pos.record(pos.key(e.ts, e.stream, e.content))
		out = append(out, e)
	}
	res := newResumer(pos.last())
	for _, e := range file {
		if e.ts.UnixNano() >= res.since {
			res.offer(pos, e, deliver)
		}
	}
	res.end(deliver)
	return out
}

func TestResumeAfterPosition(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var file []logEntry
	for i := 0; i < 300; i++ {
		ts := base.Add(time.Duration(i) * time.Microsecond)
		stream := orchestrator.Stdout
		if i%7 == 0 {
			// stderr entries stamped a little earlier than the stdout entries around them:
			// the engine's two copiers race.
			stream, ts = orchestrator.Stderr, ts.Add(-5*time.Microsecond)
		}
		content := fmt.Sprintf("line %d\n", i)
		if i >= 100 && i < 110 {
			// pieces of one long line share the first piece's timestamp
			ts, content = base.Add(100*time.Microsecond), strings.Repeat(fmt.Sprint(i%10), engineLogChunk)
		}
		file = append(file, logEntry{stream: stream, ts: ts, content: []byte(content)})
	}
	for _, cut := range []int{1, 5, 63, 64, 65, 103, 110, 150, 299, 300} {
		pos := &LogPosition{seed: maphash.MakeSeed()}
		for _, e := range file[:cut] {
			pos.record(pos.key(e.ts, e.stream, e.content))
		}
		got := resumeRead(pos, file)
		if len(got) != len(file)-cut {
			t.Errorf("resumed after %d entries: got %d entries, want %d", cut, len(got), len(file)-cut)
			continue
		}
		for i, e := range got {
			if string(e.content) != string(file[cut+i].content) {
				t.Errorf("resumed after %d: entry %d is %.20q, want %.20q", cut, i, e.content, file[cut+i].content)
				break
			}
		}
		// And again from the new position: nothing more.
		if more := resumeRead(pos, file); len(more) != 0 {
			t.Errorf("a second resume after %d delivered %d entries again", cut, len(more))
		}
	}

	// The remembered entries were rotated away: what is newer than all of them arrives.
	pos := &LogPosition{seed: maphash.MakeSeed()}
	for _, e := range file[:200] {
		pos.record(pos.key(e.ts, e.stream, e.content))
	}
	got := resumeRead(pos, file[250:])
	if len(got) != 50 || string(got[0].content) != "line 250\n" {
		t.Errorf("after a rotation: %d entries from %q, want 50 from line 250", len(got), got[0].content)
	}
}

func TestReadAttachMux(t *testing.T) {
	var in bytes.Buffer
	in.Write(frame(1, "one\ntw"))
	in.Write(frame(2, "err one\n"))
	in.Write(frame(1, "o\nthree "))
	in.Write(frame(2, "err two"))
	in.Write(frame(1, strings.Repeat("y", 70000)+"\n"))
	in.Write(frame(1, "last"))
	var got []orchestrator.LogLine
	asm := newAssemblers(false, func(l orchestrator.LogLine) { got = append(got, l) })
	if err := readAttachMux(iotest.HalfReader(&in), asm, nil); err != nil {
		t.Fatal(err)
	}
	asm.flush()
	var texts []string
	for _, l := range got {
		texts = append(texts, fmt.Sprintf("%s:%.12s:%d", l.Stream, l.Text, len(l.Text)))
		if l.Time.IsZero() {
			t.Errorf("line %q has no time", l.Text)
		}
	}
	want := "stdout:one:3 stderr:err one:7 stdout:two:3 stdout:three yyyyyy:70006 stdout:last:4 stderr:err two:7"
	if strings.Join(texts, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(texts, " "), want)
	}
	if err := readAttachMux(bytes.NewReader(frame(1, "cut short")[:12]), newAssemblers(false, func(orchestrator.LogLine) {}), nil); err == nil {
		t.Error("a truncated frame is not an error")
	}
}

func TestReadAttachRaw(t *testing.T) {
	var got []string
	a := &lineAssembler{tty: true, sink: func(l orchestrator.LogLine) { got = append(got, l.Text) }}
	if err := readAttachRaw(iotest.OneByteReader(strings.NewReader("a\r\nbb\r\n\r\ncc")), a, nil); err != nil {
		t.Fatal(err)
	}
	a.flush()
	if strings.Join(got, "|") != "a|bb||cc" {
		t.Errorf("TTY lines %q", got)
	}
}
