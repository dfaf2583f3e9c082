package tui

import "strings"

// A pane is one container's column of log lines: a bounded store of the lines the view has
// received (the container's own, its lifecycle events, the tool's messages about it) and the
// column's view state: follow or a scroll position, an optional filter. It renders only the
// rows it shows, so its cost per frame is bounded by its height, however many lines it
// holds.

// pane is one container's column.
type pane struct {
	pod, name string
	lines     ring

	// The view space is the sequence of lines the pane shows: every line, or with a filter
	// only the matching ones. Positions in it are stable numbers: [lo, hi).
	filter string   // lower-case; "" for none
	fidx   []uint64 // line numbers of the matching lines
	fbase  uint64   // view position of fidx[0]

	follow bool
	top    uint64 // first line shown (view position) when not following
	topRow int    // rows of that line scrolled out above
	width  int
	height int
	muted  bool
	// plain keeps lines in the order pushed (the merged stream orders them itself);
	// tee, while the merged stream is shown, collects what is pushed for it.
	plain bool
	tee   *merger
	// skipped counts the lines the view fell behind on and never got (LogsDroppedEvent).
	skipped uint64

	// The rows drawn last, and what they were drawn from (pane_render.go).
	drawn    []string
	drawnKey drawKey
}

func newPane(pod, name string, size int) *pane {
	return &pane{pod: pod, name: name, lines: newRing(size), follow: true}
}

// maxReorder is how many of the view's own lines a late log line may move ahead of.
const maxReorder = 8

// maxMarkerLookback is how far back a restart marker looks for its run's start line.
const maxMarkerLookback = 256

// push adds a line. A container's line that was written before the lifecycle lines last
// added (a container that exited at once has its output read after its exit was seen) goes
// before them, so the column reads in the order things happened. A restart marker goes
// before the start line of its run (see placeMarker).
func (p *pane) push(l line) {
	if p.tee != nil {
		p.tee.take(p, l)
	}
	p.lines.push(l)
	from := p.lines.next - 1 // the first line that changed
	switch {
	case p.plain:
	case l.kind == kindMarker:
		from = p.placeMarker()
	case l.kind < kindMarker:
		from = p.sink()
	}
	for len(p.fidx) > 0 && p.fidx[0] < p.lines.first {
		p.fidx = p.fidx[1:]
		p.fbase++
	}
	if p.filter != "" {
		// The lines from the first one moved on are matched again.
		for len(p.fidx) > 0 && p.fidx[len(p.fidx)-1] >= from {
			p.fidx = p.fidx[:len(p.fidx)-1]
		}
		for i := from; i < p.lines.next; i++ {
			if strings.Contains(p.lines.at(i).lower, p.filter) {
				p.fidx = append(p.fidx, i)
			}
		}
	}
	if !p.follow {
		lo, _ := p.bounds()
		if p.top < lo {
			p.top, p.topRow = lo, 0
		}
	}
}

// placeMarker moves the restart marker just pushed before the start line of its run. The
// log pipeline writes the marker when the previous run's output has all been read, which is
// after the view saw the container start again: so the column had "▶ started (restart 1)",
// then the previous run's last lines, then the marker. It reads best as the previous run's
// lines, the marker, then the new run's lifecycle lines ("▶ started", "✓ ready") and output.
// It returns how many lines moved (from the end).
func (p *pane) placeMarker() uint64 {
	last := p.lines.next - 1
	s := last
	for i := last; i > p.lines.first && last-i < maxMarkerLookback; {
		i--
		if l := p.lines.at(i); l.start {
			s = i
			break
		} else if l.kind == kindMarker || l.end {
			// The previous run's end, or an earlier marker, comes first: the marker came
			// before its run's start line, which is fine as it is.
			break
		}
	}
	if s == last {
		return last
	}
	// The previous run's lines go first (each before the lifecycle lines written after it,
	// as push does), then the marker, then the new run's lifecycle lines.
	var out, life []line
	for i := s; i < last; i++ {
		if l := *p.lines.at(i); l.kind < kindMarker {
			out = append(out, l)
		} else {
			life = append(life, l)
		}
	}
	marker := *p.lines.at(last)
	p.lines.next = s
	from := s
	for _, l := range out {
		p.lines.push(l)
		from = min(from, p.sink())
	}
	p.lines.push(marker)
	for _, l := range life {
		p.lines.push(l)
	}
	return from
}

// sink moves the container's line last added before the lifecycle lines added after it was
// written (at most maxReorder, never before a start line), and returns where it went.
func (p *pane) sink() uint64 {
	i := p.lines.next - 1
	l := *p.lines.at(i)
	for ; i > p.lines.first && p.lines.next-1-i < maxReorder; i-- {
		prev := p.lines.at(i - 1)
		if prev.kind <= kindMarker || prev.start || !prev.at.After(l.at) {
			break // a run's output never goes before the run's start
		}
		*p.lines.at(i), *prev = *prev, *p.lines.at(i)
	}
	return i
}

// bounds is the view space: positions [lo, hi).
func (p *pane) bounds() (lo, hi uint64) {
	if p.filter == "" {
		return p.lines.first, p.lines.next
	}
	return p.fbase, p.fbase + uint64(len(p.fidx))
}

// lineAt returns the line at view position i.
func (p *pane) lineAt(i uint64) *line {
	if p.filter == "" {
		return p.lines.at(i)
	}
	return p.lines.at(p.fidx[i-p.fbase])
}

// setFilter shows only lines containing q (lower-case); "" shows every line. The view
// follows again: the old scroll position means nothing in the new view space.
func (p *pane) setFilter(q string) {
	p.filter, p.fidx, p.fbase = q, nil, 0
	if q != "" {
		for i := p.lines.first; i < p.lines.next; i++ {
			if strings.Contains(p.lines.at(i).lower, q) {
				p.fidx = append(p.fidx, i)
			}
		}
	}
	p.follow, p.top, p.topRow = true, 0, 0
}

func (p *pane) setSize(w, h int) {
	if w != p.width && !p.follow {
		p.topRow = 0 // row offsets within a line change with the width
	}
	p.width, p.height = w, h
}

// visibleRow is one screen row of a pane: row r of the line at view position pos.
type visibleRow struct {
	pos uint64
	r   int
}

// visible returns the rows the pane shows, top to bottom (fewer than its height when it
// has fewer lines).
func (p *pane) visible(o *renderOpts) []visibleRow {
	h := p.height
	if h <= 0 {
		return nil
	}
	lo, hi := p.bounds()
	if p.follow {
		// Walk back from the newest line until the height is filled.
		out := make([]visibleRow, 0, h)
		for i := hi; i > lo && len(out) < h; i-- {
			n := p.rows(p.lineAt(i-1), o)
			for r := n - 1; r >= 0 && len(out) < h; r-- {
				out = append(out, visibleRow{pos: i - 1, r: r})
			}
		}
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
		return out
	}
	out := make([]visibleRow, 0, h)
	for i := max(p.top, lo); i < hi && len(out) < h; i++ {
		n := p.rows(p.lineAt(i), o)
		r := 0
		if i == p.top {
			r = min(p.topRow, n-1)
		}
		for ; r < n && len(out) < h; r++ {
			out = append(out, visibleRow{pos: i, r: r})
		}
	}
	return out
}

// below is the number of lines after the last one shown (new lines while scrolled up).
func (p *pane) below(o *renderOpts) uint64 {
	if p.follow {
		return 0
	}
	_, hi := p.bounds()
	rows := p.visible(o)
	if len(rows) == 0 {
		return hi - max(p.top, p.lines.first)
	}
	return hi - rows[len(rows)-1].pos - 1
}

// scroll moves the view by n rows (n < 0: up, toward older lines). Reaching the bottom
// follows again.
func (p *pane) scroll(n int, o *renderOpts) {
	lo, hi := p.bounds()
	if hi == lo {
		return
	}
	if p.follow {
		if n >= 0 {
			return
		}
		p.freeze(o)
		if p.follow {
			return
		}
	}
	if p.top < lo {
		p.top, p.topRow = lo, 0
	}
	p.topRow += n
	for p.topRow < 0 {
		if p.top == lo {
			p.topRow = 0
			break
		}
		p.top--
		p.topRow += p.rows(p.lineAt(p.top), o)
	}
	for p.top < hi && p.topRow >= p.rows(p.lineAt(p.top), o) {
		p.topRow -= p.rows(p.lineAt(p.top), o)
		p.top++
	}
	if p.atBottom(o) {
		p.follow = true
	}
}

// atBottom reports whether the rows from the scroll position to the newest line fit.
func (p *pane) atBottom(o *renderOpts) bool {
	_, hi := p.bounds()
	rows := -p.topRow
	for i := p.top; i < hi; i++ {
		rows += p.rows(p.lineAt(i), o)
		if rows > p.height {
			return false
		}
	}
	return true
}

// freeze stops following, keeping the rows shown now.
func (p *pane) freeze(o *renderOpts) {
	if !p.follow {
		return
	}
	rows := p.visible(o)
	if len(rows) == 0 {
		return
	}
	p.follow, p.top, p.topRow = false, rows[0].pos, rows[0].r
}

// home scrolls to the oldest line.
func (p *pane) home() {
	lo, hi := p.bounds()
	if hi == lo {
		return
	}
	p.follow, p.top, p.topRow = false, lo, 0
}

// end follows the newest lines again.
func (p *pane) end() { p.follow, p.topRow = true, 0 }

// show scrolls so that the line at view position pos is in view, a third of the way down.
func (p *pane) show(pos uint64, o *renderOpts) {
	p.follow, p.top, p.topRow = false, pos, 0
	p.scroll(-p.height/3, o) // near the end this follows again, which shows the line too
}

// find returns the view positions of the lines containing q (lower-case), oldest first.
func (p *pane) find(q string) []uint64 {
	var out []uint64
	lo, hi := p.bounds()
	for i := lo; i < hi; i++ {
		if strings.Contains(p.lineAt(i).lower, q) {
			out = append(out, i)
		}
	}
	return out
}
