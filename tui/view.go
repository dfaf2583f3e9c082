package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// View draws the whole screen from the model; it changes nothing.
func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "sidecar " + m.view.Name
	if m.prompt != promptNone && m.height > 0 {
		if c := m.input.Cursor(); c != nil {
			c.Position.X += ansi.StringWidth(m.promptLabel())
			c.Position.Y = m.height - 1
			v.Cursor = c
		}
	}
	return v
}

// render is the screen as text, one line per row: the header, then the help or the
// start-up panel, the columns and the failure panel where the layout puts them, then the
// footer.
func (m *model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	w, l := m.width, &m.lay // laid out at the end of Update
	if w < minWidth || m.height < minHeight {
		return m.tooSmall()
	}
	rows := make([]string, m.height)
	rows[0] = m.header(w)
	switch {
	case m.helpScreen.open:
		copy(rows[1:], m.helpScreen.View())
	case m.warnings.open:
		copy(rows[1:], m.warnings.View())
	case m.tl.open:
		copy(rows[1:], m.tl.View())
	default:
		for i, s := range m.startupLines(w) {
			if i < l.panelTopH {
				rows[l.panelTopY+i] = s
			}
		}
		y := l.boxY
		if l.tabsY >= 0 {
			y = l.tabsY
		}
		copy(rows[y:], m.columns.View())
		for i, s := range m.failureLines(w) {
			if i < l.panelBotH {
				rows[l.panelBotY+i] = s
			}
		}
	}
	rows[m.height-1] = m.footer(w)
	for i, r := range rows {
		// The columns' rows are exactly w wide by construction: measuring them again would
		// cost more than drawing them.
		if m.helpScreen.open || m.warnings.open || m.tl.open || i < l.boxY || i > l.contentY+l.contentH {
			rows[i] = fit(r, w)
		}
	}
	return strings.Join(rows, "\n")
}

// The smallest screen the view draws; below it, it says so.
const minWidth, minHeight = 20, 6

// tooSmall is the screen of a terminal too small for the view: the stack's state on the
// first row and what to do on the last.
func (m *model) tooSmall() string {
	rows := make([]string, m.height)
	rows[0] = fit(" "+m.view.Name+" "+ansi.Strip(m.phaseText()), m.width)
	rows[m.height-1] = fit(fmt.Sprintf(" %dx%d is too small: enlarge the terminal (q quits)", m.width, m.height), m.width)
	return strings.Join(rows, "\n")
}

// fit cuts a styled line to width cells.
func fit(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}
