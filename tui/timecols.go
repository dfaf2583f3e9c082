package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// Columns by time: the aligned mode (a), in which every column scrolls with the focused one
// so that each ends with what its container had written by the time of the focused
// column's last row; and the merged stream (c), every shown column's lines in one column in
// the order of their engine timestamps, each under its container's coloured name.

// ---- aligned ----

func (c *columns) toggleAlign() {
	c.aligned = !c.aligned
	if c.aligned {
		c.notes.setNotice(kindInfo, "columns aligned by time: the others follow the focused one (a again: free)")
		return
	}
	c.notes.setNotice(kindInfo, "columns scroll on their own again")
}

// alignAt is the time the columns are aligned at: that of the focused column's last row
// (ok false when it follows, or shows nothing).
func (c *columns) alignAt() (time.Time, bool) {
	f := c.focused()
	if f == nil || f.follow || f == c.merged {
		return time.Time{}, false
	}
	rows := f.visible(c.renderOpts())
	if len(rows) == 0 {
		return time.Time{}, false
	}
	return f.lineAt(rows[len(rows)-1].pos).at, true
}

// align scrolls every other column to the focused one's time: each ends with its last line
// written at or before it. When the focused column follows, they all follow.
func (c *columns) align() {
	f := c.focused()
	if !c.aligned || f == nil || f == c.merged {
		return
	}
	at, ok := c.alignAt()
	o := c.renderOpts()
	for _, p := range c.visible() {
		switch {
		case p == f:
		case !ok:
			p.end()
		default:
			p.showUntil(at, o)
		}
	}
}

// showUntil scrolls so that the last line shown is the last one written at or before t (the
// oldest lines when every line is later).
func (p *pane) showUntil(t time.Time, o *renderOpts) {
	lo, hi := p.bounds()
	if hi == lo || p.height <= 0 {
		return
	}
	n := sort.Search(int(hi-lo), func(i int) bool { return p.lineAt(lo + uint64(i)).at.After(t) })
	if n == 0 {
		p.home()
		return
	}
	pos := lo + uint64(n) - 1
	p.follow, p.top, p.topRow = false, pos, p.rows(p.lineAt(pos), o)-1
	p.scroll(-(p.height - 1), o)
}

// ---- merged ----

// merger gathers what the merged columns push while the merged stream is shown; the model
// hands it over to the stream after each batch.
type merger struct {
	src     map[*pane]uint8
	pending []line
}

func (g *merger) take(p *pane, l line) {
	l.src = g.src[p]
	g.pending = append(g.pending, l)
}

// mergeLabels are the merged stream's line prefixes: each column's name, padded, coloured.
type mergeLabels struct {
	width  int      // cells, the separator included
	labels []string // by src - 1, ready to write
	blank  string
}

// labelColors are the SGR colours of the merged stream's names, in turn (the renderer
// drops them for a terminal without colour).
var labelColors = []string{"36", "32", "33", "35", "34", "31", "96", "92", "93"}

func newMergeLabels(names []string) *mergeLabels {
	w := 0
	for _, n := range names {
		w = max(w, ansi.StringWidth(n))
	}
	ml := &mergeLabels{width: w + 3, blank: strings.Repeat(" ", w+3)}
	for i, n := range names {
		pad := strings.Repeat(" ", w-ansi.StringWidth(n))
		ml.labels = append(ml.labels, "\x1b["+labelColors[i%len(labelColors)]+"m"+n+pad+" │"+ansi.ResetStyle+" ")
	}
	return ml
}

func (ml *mergeLabels) write(b *strings.Builder, src uint8) {
	if src == 0 || int(src) > len(ml.labels) {
		b.WriteString(ml.blank)
		return
	}
	b.WriteString(ml.labels[src-1])
}

// toggleMerge shows the merged stream of the columns shown, or the columns again. Ordering
// every line the columns hold (up to 10 000 each) is not work for the update loop: the
// lines are copied here and ordered by the command it returns, and the stream is shown when
// its mergedMsg comes back (mergeDone); what the columns get meanwhile is gathered for it.
// Pressed again before that, it gives up on the merge.
func (c *columns) toggleMerge() tea.Cmd {
	if c.merged != nil || c.merging != nil {
		of := c.mergedOf
		if c.merging != nil {
			of = c.merging.of
		}
		for _, p := range of {
			p.tee = nil
		}
		c.merged, c.mergedOf, c.labels, c.tee, c.merging = nil, nil, nil, nil, nil
		c.notes.setNotice(kindInfo, "columns again")
		return nil
	}
	vis := c.visible()
	if len(vis) == 0 {
		return nil
	}
	g := &merger{src: map[*pane]uint8{}}
	var names []string
	n := 0
	for _, p := range vis {
		lo, hi := p.bounds()
		n += int(hi - lo)
	}
	all := make([]line, 0, n)
	for i, p := range vis {
		g.src[p] = uint8(i + 1)
		names = append(names, p.name)
		lo, hi := p.bounds()
		for j := lo; j < hi; j++ {
			l := *p.lineAt(j)
			l.src = uint8(i + 1)
			all = append(all, l)
		}
		p.tee = g
	}
	c.mergeGen++
	c.merging = &mergeJob{gen: c.mergeGen, of: vis, names: names, g: g}
	c.notes.setNotice(kindInfo, fmt.Sprintf("ordering %d lines of %d columns by engine time…", n, len(vis)))
	gen, pod, size := c.mergeGen, c.pod, c.s.logLines
	title := "merged: " + strings.Join(names, " ") + " · by engine time"
	return func() tea.Msg {
		sort.SliceStable(all, func(i, j int) bool { return lineBefore(&all[i], &all[j]) })
		m := newPane(pod, title, size)
		m.plain = true
		for _, l := range all {
			m.push(l)
		}
		return mergedMsg{gen: gen, p: m}
	}
}

// mergeJob is a merged stream being made: the columns it merges, their names, and what they
// got since their lines were copied.
type mergeJob struct {
	gen   uint64
	of    []*pane
	names []string
	g     *merger
}

// mergedMsg brings the merged stream asked for by merge number gen, its lines in order.
type mergedMsg struct {
	gen uint64
	p   *pane
}

// mergeDone shows the merged stream made for the merge still asked for (not one given up
// on), with what the columns got meanwhile.
func (c *columns) mergeDone(msg mergedMsg) {
	j := c.merging
	if j == nil || j.gen != msg.gen {
		return
	}
	c.merging = nil
	c.merged, c.mergedOf, c.labels, c.tee = msg.p, j.of, newMergeLabels(j.names), j.g
	c.mergeIn(j.g)
	c.notes.setNotice(kindInfo, fmt.Sprintf("%d columns in one stream by engine time (c again: columns)", len(j.of)))
}

// flushMerged adds what the merged columns got since the last batch to the stream.
func (c *columns) flushMerged() {
	if c.merged != nil && len(c.tee.pending) > 0 {
		c.mergeIn(c.tee)
	}
}

// mergeIn puts the lines gathered into the stream in time order: they are sorted, then
// merged with the stream's newest lines that are later than the earliest of them (lines
// of one container arrive in order, but a batch brings each container's lines of the same
// stretch of time one after the other).
func (c *columns) mergeIn(g *merger) {
	in := g.pending
	g.pending = nil
	if len(in) == 0 {
		return
	}
	sort.SliceStable(in, func(i, j int) bool { return lineBefore(&in[i], &in[j]) })
	m := c.merged
	r := &m.lines
	cut := r.next
	for cut > r.first && lineBefore(&in[0], r.at(cut-1)) {
		cut--
	}
	tail := make([]line, 0, r.next-cut)
	for i := cut; i < r.next; i++ {
		tail = append(tail, *r.at(i))
	}
	r.next = cut
	if m.filter != "" {
		for len(m.fidx) > 0 && m.fidx[len(m.fidx)-1] >= cut {
			m.fidx = m.fidx[:len(m.fidx)-1]
		}
	}
	i, j := 0, 0
	for i < len(tail) || j < len(in) {
		if j == len(in) || (i < len(tail) && !lineBefore(&in[j], &tail[i])) {
			m.push(tail[i])
			i++
		} else {
			m.push(in[j])
			j++
		}
	}
}

// lineBefore orders lines by engine time, then by the order the stream gave them.
func lineBefore(a, b *line) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

// searchable are the panes search looks in: the merged stream, or the columns shown.
func (c *columns) searchable() []*pane {
	if c.merged != nil {
		return []*pane{c.merged}
	}
	return c.visible()
}
