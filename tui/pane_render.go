package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Drawing a pane's rows: how many rows a line takes, which part of it a row shows, and the
// row itself, exactly the pane's width wide, with raw SGR sequences (no lipgloss on the hot
// path).

// renderOpts are the view settings shared by every pane.
type renderOpts struct {
	wrap       bool
	timestamps bool
	loc        *time.Location
	method     ansi.Method // how the terminal counts a container's text's cells (common.method)
	query      string      // lower-case search, "" for none
	currentSeq uint64      // the line n/N jumped to (0: none)
	styles     *styles
	labels     *mergeLabels // the merged stream's: each line's column, coloured
}

const timestampWidth = len("15:04:05 ")

// textWidth is the width left for a line's text after its prefix (timestamp, gutter).
func (o *renderOpts) prefixWidth(l *line) int {
	w := 0
	if o.timestamps {
		w += timestampWidth
	}
	if o.labels != nil {
		w += o.labels.width
	}
	if l.kind == kindErr {
		w++
	}
	return w
}

func (p *pane) textWidth(l *line, o *renderOpts) int {
	tw := p.width - o.prefixWidth(l)
	if tw < 1 {
		tw = 1
	}
	return tw
}

// rows is how many screen rows line l takes.
func (p *pane) rows(l *line, o *renderOpts) int {
	if !o.wrap || p.width <= 0 {
		return 1
	}
	tw := p.textWidth(l, o)
	if l.ascii {
		if len(l.text) <= tw {
			return 1
		}
		return (len(l.text) + tw - 1) / tw
	}
	n := 0
	wrapRows(l.text, tw, o.method, func(string) bool { n++; return true })
	return max(n, 1)
}

// rowText returns the part of l's text shown on its row r.
func (p *pane) rowText(l *line, r int, o *renderOpts) string {
	tw := p.textWidth(l, o)
	if !o.wrap {
		if l.ascii {
			if len(l.text) <= tw {
				return l.text
			}
			return l.text[:tw-1] + "…"
		}
		return o.method.Truncate(l.text, tw, "…")
	}
	if l.ascii {
		from, to := r*tw, (r+1)*tw
		if from >= len(l.text) {
			return ""
		}
		return l.text[from:min(to, len(l.text))]
	}
	out := ""
	wrapRows(l.text, tw, o.method, func(row string) bool {
		if r == 0 {
			out = row
			return false
		}
		r--
		return true
	})
	return out
}

// wrapRows calls row with each row of text (plain, no escape sequence) wrapped at tw cells
// as m counts them, until it returns false. A character never straddles two rows: one
// two cells wide that does not fit at a row's end begins the next (one wider than a row
// has a row of its own, left blank).
func wrapRows(text string, tw int, m ansi.Method, row func(string) bool) {
	start, w := 0, 0
	for i := 0; i < len(text); {
		c, cw := ansi.FirstGraphemeCluster(text[i:], m)
		if w+cw > tw && i > start {
			if !row(text[start:i]) {
				return
			}
			start, w = i, 0
		}
		i += len(c)
		if cw > tw {
			if !row("") {
				return
			}
			start = i
			continue
		}
		w += cw
	}
	if start < len(text) || text == "" {
		row(text[start:])
	}
}

// render draws the pane's rows, each exactly its width wide; rows beyond the content are
// blank. The rows are drawn again only when what they show changed (the lines, the scroll
// position, the size or the settings): a quiet column beside a chatty one costs nothing
// per frame. The rows returned are the pane's: read them, do not change them.
func (p *pane) render(o *renderOpts) []string {
	k := p.renderKey(o)
	if p.drawn != nil && p.drawnKey == k {
		return p.drawn
	}
	rows := p.visible(o)
	out := make([]string, p.height)
	ends := make([]int, p.height)
	var b strings.Builder
	b.Grow(p.height * (p.width + 16))
	for i := range out {
		if i < len(rows) {
			l := p.lineAt(rows[i].pos)
			p.renderRow(&b, l, rows[i].r, o)
		} else {
			writeSpaces(&b, p.width)
		}
		ends[i] = b.Len()
	}
	// One string for all rows, sliced: one allocation a frame, not one a row.
	all, from := b.String(), 0
	for i, end := range ends {
		out[i], from = all[from:end], end
	}
	p.drawn, p.drawnKey = out, k
	return out
}

// drawKey is everything the rows a pane draws depend on.
type drawKey struct {
	first, next, fbase uint64
	nf                 int
	filter             string
	follow             bool
	top                uint64
	topRow             int
	width, height      int
	opts               renderOpts
}

func (p *pane) renderKey(o *renderOpts) drawKey {
	return drawKey{first: p.lines.first, next: p.lines.next, fbase: p.fbase, nf: len(p.fidx), filter: p.filter,
		follow: p.follow, top: p.top, topRow: p.topRow, width: p.width, height: p.height, opts: *o}
}

const spaces = "                                                                                "

// writeSpaces writes n spaces.
func writeSpaces(b *strings.Builder, n int) {
	for n > len(spaces) {
		b.WriteString(spaces)
		n -= len(spaces)
	}
	b.WriteString(spaces[:n])
}

func (p *pane) renderRow(b *strings.Builder, l *line, r int, o *renderOpts) {
	used := 0
	pw := o.prefixWidth(l)
	if pw >= p.width {
		pw = 0 // too narrow for prefixes: text only
	}
	if pw > 0 {
		if r == 0 {
			if o.timestamps {
				b.WriteString(o.styles.sgrTime)
				b.WriteString(l.at.In(o.loc).Format("15:04:05"))
				b.WriteString(ansi.ResetStyle)
				b.WriteByte(' ')
			}
			if o.labels != nil {
				o.labels.write(b, l.src)
			}
			if l.kind == kindErr {
				b.WriteString(o.styles.sgr[kindErr])
				b.WriteString("▌")
				b.WriteString(ansi.ResetStyle)
			}
		} else {
			writeSpaces(b, pw)
		}
		used += pw
	}
	text := p.rowText(l, r, o)
	sgr := o.styles.sgr[l.kind]
	b.WriteString(sgr)
	if o.query != "" && strings.Contains(l.lower, o.query) {
		match := o.styles.sgrMatch
		if l.seq == o.currentSeq {
			match = o.styles.sgrCurrent
		}
		writeHighlighted(b, text, o.query, sgr, match)
	} else {
		b.WriteString(text)
	}
	if sgr != "" {
		b.WriteString(ansi.ResetStyle)
	}
	if l.ascii {
		used += len(text)
	} else {
		used += o.method.StringWidth(text)
	}
	if used < p.width {
		writeSpaces(b, p.width-used)
	}
}

// writeHighlighted writes text with each occurrence of q (lower-case) in match style,
// returning to base after each.
func writeHighlighted(b *strings.Builder, text, q, base, match string) {
	lower := strings.ToLower(text)
	if len(lower) != len(text) { // case folding changed byte offsets: no highlight
		b.WriteString(text)
		return
	}
	for {
		i := strings.Index(lower, q)
		if i < 0 {
			b.WriteString(text)
			return
		}
		b.WriteString(text[:i])
		b.WriteString(match)
		b.WriteString(text[i : i+len(q)])
		b.WriteString(ansi.ResetStyle)
		b.WriteString(base)
		text, lower = text[i+len(q):], lower[i+len(q):]
	}
}
