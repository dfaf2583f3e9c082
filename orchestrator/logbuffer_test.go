package orchestrator_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// A flood of 1 MiB lines is held within the byte limit (the newest line always kept), and a
// reader that fell behind learns how many lines it missed.
func TestLogBufferByteLimit(t *testing.T) {
	hub := orchestrator.NewLogHubLimits(10000, 3<<20, nil)
	if lines, bytes := hub.Limits(); lines != 10000 || bytes != 3<<20 {
		t.Fatalf("limits %d lines, %d bytes", lines, bytes)
	}
	b := hub.Buffer("p", "flood")
	r := hub.NewReader()
	defer r.Close()
	mib := strings.Repeat("x", 1<<20)
	for i := 0; i < 100; i++ {
		b.Append(orchestrator.LogLine{Text: fmt.Sprintf("%03d", i) + mib[3:]})
		if n, bytes := b.Size(); bytes > 3<<20 || n > 2 {
			t.Fatalf("after %d lines the buffer holds %d lines, %d bytes", i+1, n, bytes)
		}
	}
	evs, _ := r.Read(0)
	if len(evs) != 3 {
		t.Fatalf("read %d events, want a drop notice and 2 lines (2 × (1 MiB + overhead) fit in 3 MiB)", len(evs))
	}
	if d, ok := evs[0].(orchestrator.LogsDroppedEvent); !ok || d.Count != 98 {
		t.Errorf("first event %T %+v, want 98 lines dropped", evs[0], evs[0])
	}
	if l, ok := evs[2].(orchestrator.LogEvent); !ok || !strings.HasPrefix(l.Text, "099") || len(l.Text) != 1<<20 {
		t.Errorf("last event is not the newest line, whole")
	}

	// A line longer than the limit is kept, alone.
	huge := strings.Repeat("y", 5<<20)
	b.Append(orchestrator.LogLine{Text: huge})
	if n, bytes := b.Size(); n != 1 || bytes != len(huge)+orchestrator.LogLineOverhead {
		t.Errorf("after a 5 MiB line: %d lines, %d bytes; want it alone", n, bytes)
	}
	b.Append(orchestrator.LogLine{Text: "small"})
	if n, bytes := b.Size(); n != 1 || bytes != 5+orchestrator.LogLineOverhead {
		t.Errorf("after a small line: %d lines, %d bytes; want only it", n, bytes)
	}
}

// However many lines go through, a buffer holds its limit: memory stays flat.
func TestLogBufferLineLimit(t *testing.T) {
	hub := orchestrator.NewLogHub(100, nil)
	if _, bytes := hub.Limits(); bytes != orchestrator.DefaultLogBytes {
		t.Errorf("default byte limit %d", bytes)
	}
	b := hub.Buffer("p", "c")
	for i := 0; i < 100000; i++ {
		b.Append(orchestrator.LogLine{Text: fmt.Sprintf("line %d", i)})
	}
	n, bytes := b.Size()
	first, next := b.Bounds()
	if n != 100 || first != 99900 || next != 100000 || bytes != 100*(len("line 99999")+orchestrator.LogLineOverhead) {
		t.Errorf("holds %d lines (%d bytes), bounds [%d, %d)", n, bytes, first, next)
	}
}

// What goes into a buffer is safe for a terminal; PlainText is safe anywhere.
func TestLogBufferSanitises(t *testing.T) {
	hub := orchestrator.NewLogHub(10, nil)
	b := hub.Buffer("p", "c")
	b.Append(orchestrator.LogLine{Text: "\x1b]0;title\x07\x1b[1mbold\x1b[0m over\rwrite \u202eevil\x1b[2J"})
	b.Mark(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "--- c restarted \x1b[H ---")
	lines, _, _ := b.Read(0, 0)
	if got := lines[0].Text; got != "\x1b[1mbold\x1b[0m overwrite evil" {
		t.Errorf("text %q", got)
	}
	if got := lines[0].PlainText(); got != "bold overwrite evil" {
		t.Errorf("plain text %q", got)
	}
	if got := lines[1].Text; got != "--- c restarted  ---" || !lines[1].Marker {
		t.Errorf("marker %q", got)
	}
}

func BenchmarkLogBufferAppend(b *testing.B) {
	hub := orchestrator.NewLogHub(orchestrator.DefaultLogLines, nil)
	buf := hub.Buffer("p", "c")
	line := orchestrator.LogLine{Text: "2026-01-02T03:04:05Z INFO request served path=/api/v1/items status=200 took=1.2ms"}
	for b.Loop() {
		buf.Append(line)
	}
}

// BenchmarkLogReader is the cost per line of reading a buffer through a LogReader, as a
// subscription does (in batches of 1000).
func BenchmarkLogReader(b *testing.B) {
	hub := orchestrator.NewLogHub(orchestrator.DefaultLogLines, nil)
	bufs := []*orchestrator.LogBuffer{hub.Buffer("p", "a"), hub.Buffer("p", "b")}
	line := orchestrator.LogLine{Text: "2026-01-02T03:04:05Z INFO request served path=/api/v1/items status=200 took=1.2ms"}
	r := hub.NewReader()
	defer r.Close()
	n := 0
	for b.Loop() {
		if n == 0 {
			b.StopTimer()
			for i := 0; i < orchestrator.DefaultLogLines; i++ {
				bufs[i%2].Append(line)
			}
			n = orchestrator.DefaultLogLines
			b.StartTimer()
		}
		evs, _ := r.Read(1000)
		n -= len(evs)
		if len(evs) == 0 {
			b.Fatal("nothing read")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/line")
}

// Lines a live reader has not read yet stay beyond the history (within the memory bound);
// once read, the buffer shrinks back to its history. Without readers it keeps its history.
func TestLogBufferKeepsUnreadLines(t *testing.T) {
	hub := orchestrator.NewLogHub(10, nil)
	b := hub.Buffer("p", "c")
	r := hub.NewReader()
	for i := 1; i <= 1000; i++ {
		b.Append(orchestrator.LogLine{Text: fmt.Sprintf("line %d", i)})
	}
	if n, _ := b.Size(); n != 1000 {
		t.Fatalf("holds %d lines for a reader that has read none, want 1000", n)
	}
	late := hub.NewReader() // starts at the oldest line kept
	evs, _ := r.Read(0)
	if len(evs) != 1000 || evs[0].(orchestrator.LogEvent).Text != "line 1" {
		t.Fatalf("the reader got %d events", len(evs))
	}
	late.Close()
	b.Append(orchestrator.LogLine{Text: "line 1001"})
	if n, _ := b.Size(); n != 10 {
		t.Errorf("holds %d lines once everything was read, want the history of 10", n)
	}
	r.Close()
	for i := 0; i < 100; i++ {
		b.Append(orchestrator.LogLine{Text: "more"})
	}
	if n, _ := b.Size(); n != 10 {
		t.Errorf("holds %d lines without readers, want 10", n)
	}
	if evs, _ := r.Read(0); len(evs) != 0 {
		t.Errorf("a closed reader read %d events", len(evs))
	}
	// A buffer made after the reader is read from its first line.
	r2 := hub.NewReader()
	defer r2.Close()
	hub.Buffer("p", "new").Append(orchestrator.LogLine{Text: "first"})
	evs, _ = r2.Read(0)
	var texts []string
	for _, e := range evs {
		if l, ok := e.(orchestrator.LogEvent); ok && l.Container == "new" {
			texts = append(texts, l.Text)
		}
	}
	if len(texts) != 1 || texts[0] != "first" {
		t.Errorf("new buffer read as %q", texts)
	}
}

// The buffer's one sanitising pass says which lines hold no escape sequence (Plain): those
// are the same for a terminal and a file, and PlainText returns them as they are.
func TestLogBufferPlain(t *testing.T) {
	hub := orchestrator.NewLogHub(100, nil)
	b := hub.Buffer("p", "c")
	r := hub.NewReader()
	defer r.Close()
	for _, tc := range []struct {
		in, text, plainText string
		plain               bool
	}{
		{"GET /healthz 200", "GET /healthz 200", "GET /healthz 200", true},
		{"schéma ✓ 日本\tok", "schéma ✓ 日本\tok", "schéma ✓ 日本\tok", true},
		{"\x1b[31merror\x1b[0m: bad", "\x1b[31merror\x1b[0m: bad", "error: bad", false},
		{"x\x1b]52;c;aGk=\x07y\rz\u202e", "xyz", "xyz", true},
		{"\x1b[1mbold", "\x1b[1mbold\x1b[0m", "bold", false},
	} {
		b.Append(orchestrator.LogLine{Text: tc.in})
		evs, _ := r.Read(0)
		l, ok := evs[len(evs)-1].(orchestrator.LogEvent)
		if !ok || l.Text != tc.text || l.Plain != tc.plain || l.PlainText() != tc.plainText {
			t.Errorf("%q: %q plain %v, PlainText %q; want %q %v, %q", tc.in, l.Text, l.Plain, l.PlainText(), tc.text, tc.plain, tc.plainText)
		}
	}
}
