package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// View draws the columns: in tabs mode the tab row, then the box (top border with titles,
// log rows, bottom border with status), each row the screen's width.
func (c *columns) View() []string {
	l := &c.lay
	var rows []string
	if l.tabsY >= 0 {
		rows = append(rows, c.tabs())
	}
	return append(rows, c.box()...)
}

// title is a column's title bar text: name, role, state, restarts, CPU, memory, in at
// most w cells (dropping the role, then memory, then CPU when they do not fit); with
// styled, its state glyph in colour (the focused title is styled as a whole instead).
func (c *columns) title(p *pane, styled bool, w int) string {
	ct := c.s.container(p.pod, p.name)
	if ct == nil {
		return p.name
	}
	glyph, word, short := stateWord(ct, c.opts.Now())
	state, compact := glyph, glyph
	if styled {
		state = c.st.glyph(ct).Render(glyph)
		compact = state
	}
	plainlyUp := ct.State == orchestrator.CStateRunning && ct.Reason == "" &&
		(ct.Health == orchestrator.HealthNone || ct.Health == orchestrator.HealthReady || ct.Health == orchestrator.HealthHealthy)
	if !plainlyUp {
		state += " " + word
		compact += " " + short
	}
	restarts, cpu, mem := "", "", ""
	if ct.Restarts > 0 {
		restarts = fmt.Sprintf("↻%d", ct.Restarts)
	}
	if s, ok := c.s.stats[paneKey{p.pod, p.name}]; ok && ct.State == orchestrator.CStateRunning {
		cpu, mem = fmtCPU(s.CPUPercent), fmtBytes(s.MemoryBytes)
	}
	join := func(parts ...string) string {
		var out []string
		for _, x := range parts {
			if x != "" {
				out = append(out, x)
			}
		}
		return strings.Join(out, " ")
	}
	role := p.name + " · " + ct.Role.String()
	for _, t := range []string{
		join(role, state, restarts, cpu, mem),
		join(p.name, state, restarts, cpu, mem),
		join(p.name, state, restarts, cpu),
		join(p.name, state, restarts),
		join(p.name, compact, restarts),
		join(p.name, compact),
	} {
		if ansi.StringWidth(t) <= w {
			return t
		}
	}
	return join(p.name, compact)
}

// status is what a column's bottom border says: lines skipped, filter, paused and new
// lines, aligned; in at most w cells (0: any), see fitStatus.
func (c *columns) status(p *pane, o *renderOpts, w int) string {
	// Each part's forms, longest first, least useful part first.
	var parts [][]string
	if p.skipped > 0 {
		parts = append(parts, []string{fmt.Sprintf("%d skipped", p.skipped)})
	}
	if p.filter != "" {
		_, hi := p.bounds()
		n := hi - p.fbase
		parts = append(parts, []string{fmt.Sprintf("& %q %d", p.filter, n), fmt.Sprintf("& %d", n)})
	}
	if !p.follow {
		n := p.below(o)
		parts = append(parts, []string{fmt.Sprintf("paused, %d below", n), fmt.Sprintf("%d below", n), fmt.Sprintf("↓%d", n)})
	}
	if c.aligned && c.merged == nil {
		switch at, ok := c.alignAt(); {
		case p != c.focused():
			parts = append(parts, []string{"aligned"})
		case ok:
			t := at.In(c.opts.Location)
			parts = append(parts, []string{"aligned at " + t.Format("15:04:05.000"), "at " + t.Format("15:04:05.000"),
				t.Format("15:04:05.000"), t.Format("15:04:05")})
		default:
			parts = append(parts, []string{"aligned, following", "aligned"})
		}
	}
	return fitStatus(parts, w)
}

// fitStatus joins the parts (each its forms, longest first; the least useful part first)
// in at most w cells (0: any): while too wide it takes the next shorter form of the least
// useful part that has one; when every part is at its shortest, it leaves out the least
// useful one and tries the others' longer forms again. What is kept longest is the most
// useful (the aligned time).
func fitStatus(parts [][]string, w int) string {
	form := make([]int, len(parts))
	join := func() string {
		var out []string
		for i, p := range parts {
			if form[i] >= 0 {
				out = append(out, p[form[i]])
			}
		}
		return strings.Join(out, " · ")
	}
	for {
		s := join()
		if w <= 0 || ansi.StringWidth(s) <= w {
			return s
		}
		shorter, kept := -1, -1
		for i, p := range parts {
			if form[i] >= 0 {
				if kept < 0 {
					kept = i
				}
				if shorter < 0 && form[i] < len(p)-1 {
					shorter = i
				}
			}
		}
		switch {
		case shorter >= 0:
			form[shorter]++
		case countKept(form) > 1:
			// Left out; the others start again from their longest forms.
			form[kept] = -1
			for i := kept + 1; i < len(form); i++ {
				if form[i] > 0 {
					form[i] = 0
				}
			}
		default:
			return s // one part left, at its shortest: the border cuts it
		}
	}
}

// countKept is how many parts fitStatus still shows.
func countKept(form []int) int {
	n := 0
	for _, f := range form {
		if f >= 0 {
			n++
		}
	}
	return n
}

// box is the columns' rows: top border with titles, log rows, bottom border with status.
func (c *columns) box() []string {
	l := &c.lay
	shown := c.shownPanes()
	o := c.renderOpts()
	bs := c.st.border
	focused := c.focused()
	var top, bottom strings.Builder
	top.WriteString(bs.Render("┌"))
	bottom.WriteString(bs.Render("└"))
	cells := make([][]string, len(l.cols))
	for i, col := range l.cols {
		var p *pane
		if i < len(shown) {
			p = shown[i]
		}
		end, endB := "┬", "┴"
		if i == len(l.cols)-1 {
			end, endB = "┐", "┘"
		}
		if p == nil {
			top.WriteString(bs.Render(strings.Repeat("─", col.w) + end))
			bottom.WriteString(bs.Render(strings.Repeat("─", col.w) + endB))
			cells[i] = nil
			continue
		}
		title := c.title(p, true, col.w-2)
		style := c.st.plain
		if p == focused && len(shown) > 1 {
			title, style = c.title(p, false, col.w-2), c.st.focused
		}
		top.WriteString(borderLabel(title, col.w, style, bs, false))
		top.WriteString(bs.Render(end))
		bottom.WriteString(borderLabel(c.status(p, o, col.w-2), col.w, c.st.warn, bs, true))
		bottom.WriteString(bs.Render(endB))
		cells[i] = p.render(o)
	}
	rows := make([]string, 0, l.contentH+2)
	rows = append(rows, top.String())
	bar := bs.Render("│")
	// One string for every content row, sliced: one allocation, not a few per row.
	size := 0
	for i := range l.cols {
		if cells[i] != nil {
			for _, c := range cells[i] {
				size += len(c)
			}
		}
	}
	var b strings.Builder
	b.Grow(size + l.contentH*(len(l.cols)+1)*len(bar) + l.contentH*l.width)
	ends := make([]int, l.contentH)
	for r := 0; r < l.contentH; r++ {
		b.WriteString(bar)
		for i, col := range l.cols {
			if cells[i] != nil && r < len(cells[i]) {
				b.WriteString(cells[i][r])
			} else {
				writeSpaces(&b, col.w)
			}
			b.WriteString(bar)
		}
		ends[r] = b.Len()
	}
	all, from := b.String(), 0
	for _, end := range ends {
		rows, from = append(rows, all[from:end]), end
	}
	return append(rows, bottom.String())
}

// borderLabel is a width-wide stretch of border with a label in it (left, or right-aligned).
func borderLabel(label string, w int, style, border *pen, right bool) string {
	if label == "" || w < 5 {
		return border.Render(strings.Repeat("─", w))
	}
	label = ansi.Truncate(label, w-2, "…")
	lw := ansi.StringWidth(label)
	fill := w - lw - 2
	if right && fill > 0 {
		return border.Render(strings.Repeat("─", fill-1)) + " " + style.Render(label) + " " + border.Render("─")
	}
	return " " + style.Render(label) + " " + border.Render(strings.Repeat("─", fill))
}

// tabs is the tab row of tabs mode: every column's name and state, the focused one marked.
func (c *columns) tabs() string {
	focused := c.focused()
	var parts []string
	for i, p := range c.visible() {
		ct := c.s.container(p.pod, p.name)
		s := fmt.Sprintf("%d %s", i+1, p.name)
		if ct != nil {
			glyph, _, _ := stateWord(ct, c.opts.Now())
			s += " " + glyph
		}
		if p == focused {
			s = c.st.focused.Render(" " + s + " ")
		} else {
			s = " " + s + " "
		}
		parts = append(parts, s)
	}
	hint := "tab: next"
	if c.zoom {
		hint = "z: all columns"
	}
	return strings.Join(parts, c.st.dim.Render("│")) + "  " + c.st.dim.Render(hint)
}
