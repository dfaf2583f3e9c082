package tui

import (
	"strings"
	"time"
)

// Lines and the ring that keeps a pane's newest ones.

type lineKind uint8

const (
	kindOut    lineKind = iota // the container's stdout
	kindErr                    // the container's stderr
	kindMarker                 // the tool's own line in the log (a restart marker)
	kindEvent                  // a lifecycle event: started, ready, exited, …
	kindInfo                   // an informational message about the container
	kindWarn                   // a warning about the container
	kindError                  // an error about the container
	numKinds
)

// line is one line of a pane, ready to draw: sanitised, with its lower-case form for search.
type line struct {
	seq   uint64
	at    time.Time
	kind  lineKind
	start bool  // a "started" line: the run's output comes after it
	end   bool  // an "exited", "stopping", "stopped" line: the run ends there
	ascii bool  // text is printable ASCII: one byte per cell
	src   uint8 // in the merged stream: 1 + the index of the column it comes from
	text  string
	lower string
}

func newLine(seq uint64, at time.Time, kind lineKind, raw string) line {
	return makeLine(seq, at, kind, raw, false)
}

// makeLine is newLine for text that may be known to hold no escape sequence already (see
// sanitize).
func makeLine(seq uint64, at time.Time, kind lineKind, raw string, noEscape bool) line {
	text, ascii, upper := sanitize(raw, noEscape)
	lower := text
	if !ascii || upper {
		lower = strings.ToLower(text)
	}
	return line{seq: seq, at: at, kind: kind, ascii: ascii, text: text, lower: lower}
}

// ring keeps the newest size lines; lines are numbered from 0 for the pane's life. Its
// storage grows with the lines it holds, up to size: a large --log-lines costs memory only
// in the columns that fill it.
type ring struct {
	buf         []line
	size        int    // the most lines kept
	first, next uint64 // lines [first, next) are kept
}

// ringStart is the storage a ring starts with.
const ringStart = 1024

func newRing(size int) ring { return ring{buf: make([]line, min(size, ringStart)), size: size} }

func (r *ring) push(l line) {
	if r.next-r.first == uint64(len(r.buf)) && len(r.buf) < r.size {
		r.grow(min(2*len(r.buf), r.size))
	}
	n := uint64(len(r.buf))
	r.buf[r.next%n] = l
	r.next++
	if r.next-r.first > n {
		r.first = r.next - n
	}
}

// grow moves the lines kept to storage for n lines.
func (r *ring) grow(n int) {
	buf := make([]line, n)
	for i := r.first; i < r.next; i++ {
		buf[i%uint64(n)] = *r.at(i)
	}
	r.buf = buf
}

func (r *ring) at(i uint64) *line { return &r.buf[i%uint64(len(r.buf))] }
