package runtime

import (
	"bytes"
	"encoding/binary"
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

func collect(read func(func(orchestrator.LogLine)) error) ([]orchestrator.LogLine, error) {
	var got []orchestrator.LogLine
	err := read(func(l orchestrator.LogLine) { got = append(got, l) })
	return got, err
}

func TestReadMuxLog(t *testing.T) {
	long := strings.Repeat("x", 40000)
	var in bytes.Buffer
	in.Write(frame(1, ts1+" hello\n"))
	in.Write(frame(2, ts1+" oops\n"))
	// A long line split by the engine into entries, each with its own timestamp.
	in.Write(frame(1, ts1+" "+long[:16384]))
	in.Write(frame(2, ts2+" err part"))
	in.Write(frame(1, ts2+" "+long[16384:32768]))
	in.Write(frame(1, ts2+" "+long[32768:]+"\n"))
	in.Write(frame(2, ts2+" ial\n"))
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
		{Time: t2, Stream: orchestrator.Stderr, Text: "err partial"},
		{Time: t2, Stream: orchestrator.Stdout, Text: "no newline"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) || got[i].Stream != want[i].Stream || got[i].Text != want[i].Text {
			t.Errorf("line %d: %v %s %.30q, want %v %s %.30q", i, got[i].Time, got[i].Stream, got[i].Text, want[i].Time, want[i].Stream, want[i].Text)
		}
	}

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
