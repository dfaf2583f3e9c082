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
	query      string // lower-case search, "" for none
	currentSeq uint64 // the line n/N jumped to (0: none)
	styles     *styles
}

const timestampWidth = len("15:04:05 ")

// textWidth is the width left for a line's text after its prefix (timestamp, gutter).
func (o *renderOpts) prefixWidth(l *line) int {
	w := 0
	if o.timestamps {
		w += timestampWidth
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
	w := len(l.text)
	if !l.ascii {
		w = ansi.StringWidth(l.text)
	}
	if w <= tw {
		return 1
	}
	return (w + tw - 1) / tw
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
		return ansi.Truncate(l.text, tw, "…")
	}
	from, to := r*tw, (r+1)*tw
	if l.ascii {
		if from >= len(l.text) {
			return ""
		}
		return l.text[from:min(to, len(l.text))]
	}
	return ansi.Cut(l.text, from, to)
}

// render draws the pane's rows, each exactly its width wide, into b, one row per call of
// row; rows beyond the content are blank.
func (p *pane) render(o *renderOpts) []string {
	rows := p.visible(o)
	out := make([]string, p.height)
	var b strings.Builder
	for i := range out {
		b.Reset()
		if i < len(rows) {
			l := p.lineAt(rows[i].pos)
			p.renderRow(&b, l, rows[i].r, o)
		} else {
			b.WriteString(strings.Repeat(" ", p.width))
		}
		out[i] = b.String()
	}
	return out
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
			if l.kind == kindErr {
				b.WriteString(o.styles.sgr[kindErr])
				b.WriteString("▌")
				b.WriteString(ansi.ResetStyle)
			}
		} else {
			b.WriteString(strings.Repeat(" ", pw))
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
		used += ansi.StringWidth(text)
	}
	if used < p.width {
		b.WriteString(strings.Repeat(" ", p.width-used))
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
