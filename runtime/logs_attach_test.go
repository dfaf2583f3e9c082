package runtime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// The pacer's waits for reads of the given size: a trickle waits paceMin, a storm's reads
// make the wait grow to paceMax, a backlog reads on at once without changing the wait, and
// a trickle after a storm waits paceMin again.
func TestPacer(t *testing.T) {
	ms := time.Millisecond
	type read struct {
		bytes, writes int
		want          time.Duration
	}
	for _, tc := range []struct {
		name  string
		reads []read
	}{
		{"a line every 100 ms", []read{{100, 1, 10 * ms}, {100, 1, 10 * ms}, {100, 1, 10 * ms}}},
		{"a burst of a few writes", []read{{2000, paceBusy - 1, 10 * ms}, {80, 1, 10 * ms}}},
		{"a storm, then quiet", []read{
			{5000, 50, 20 * ms}, {10000, 100, 40 * ms}, {20000, 200, 40 * ms}, {20000, 200, 40 * ms},
			{90, 1, 10 * ms}, {5000, 50, 20 * ms},
		}},
		{"a backlog keeps the wait", []read{
			{5000, 50, 20 * ms}, {paceBurst, 600, 0}, {300, 3, 20 * ms}, {300, 3, 10 * ms},
		}},
		{"a rate at which a longer wait would make a backlog", []read{
			{5000, 50, 20 * ms}, {paceBurst / 2, 300, 20 * ms}, {paceBurst/2 - 1, 300, 40 * ms},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p pacer
			for i, r := range tc.reads {
				p.add(r.bytes, r.writes)
				if got := p.next(); got != r.want {
					t.Errorf("read %d (%d bytes, %d writes): wait %v, want %v", i+1, r.bytes, r.writes, got, r.want)
				}
			}
		})
	}
}

// chunks returns one chunk per Read: what the engine had sent by the time of each read.
type chunks struct{ next [][]byte }

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.next) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.next[0])
	if c.next[0] = c.next[0][n:]; len(c.next[0]) == 0 {
		c.next = c.next[1:]
	}
	return n, nil
}

// The attach reader waits only once it has parsed everything read, as long as the pacer
// says, to the next multiple of the wait on the clock; every line arrives, in order.
func TestReadAttachMuxPacing(t *testing.T) {
	storm := func(from, n int) []byte {
		var b bytes.Buffer
		for i := from; i < from+n; i++ {
			b.Write(frame(1, fmt.Sprintf("line %d\n", i)))
		}
		return b.Bytes()
	}
	src := &chunks{next: [][]byte{
		frame(1, "hello\n"), // a trickle
		frame(2, "oops\n"),
		storm(0, 50), // a storm
		storm(50, 100),
		storm(150, 100),
		frame(1, "bye\n"), // quiet again
	}}
	var waits []time.Duration
	clock := time.Unix(1000, 0).Add(3 * time.Millisecond) // 3 ms past a multiple of every wait
	p := &pacer{sleep: func(d time.Duration) { waits = append(waits, d) }, now: func() time.Time { return clock }}
	var got []string
	asm := newAssemblers(false, func(l orchestrator.LogLine) { got = append(got, l.Text) })
	if err := readAttachMux(bufio.NewReaderSize(src, paceBurst), asm, p); err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	want := []time.Duration{7 * ms, 7 * ms, 17 * ms, 37 * ms, 37 * ms, 7 * ms}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	if len(got) != 253 || got[0] != "hello" || got[1] != "oops" || got[2] != "line 0" || got[251] != "line 249" || got[252] != "bye" {
		t.Errorf("%d lines: %q … %q", len(got), got[:min(3, len(got))], got[max(0, len(got)-2):])
	}

	// A TTY stream counts lines for writes.
	waits = nil
	tty := &chunks{next: [][]byte{[]byte("a\r\n"), []byte(strings.Repeat("storm\r\n", 40)), []byte("b\r\n")}}
	a := &lineAssembler{tty: true, sink: func(orchestrator.LogLine) {}}
	if err := readAttachRaw(bufio.NewReaderSize(tty, paceBurst), a, p); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{7 * ms, 17 * ms, 7 * ms}; fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("TTY waits %v, want %v", waits, want)
	}
}
