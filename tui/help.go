package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpScreen is the help component (?): every key of the keymap with its help text, grouped,
// scrolling when it does not fit.
type helpScreen struct {
	*common
	width, height int
	open          bool
	top           int // first help line shown
}

// SetSize gives the help the screen; it keeps the scroll position within its lines.
func (h *helpScreen) SetSize(width, height int) {
	h.width, h.height = width, height
	if h.open {
		h.top = max(0, min(h.top, len(h.lines(width, height-3))-(height-3)))
	}
}

func (h *helpScreen) show() { h.open, h.top = true, 0 }

// Update takes the keys while the help is open: close it or scroll it.
func (h *helpScreen) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	ks := h.keys
	switch {
	case key.Matches(k, ks.Help, ks.Escape, ks.Quit):
		h.open = false
	case key.Matches(k, ks.Up):
		h.top--
	case key.Matches(k, ks.Down):
		h.top++
	case key.Matches(k, ks.PageUp):
		h.top -= h.height / 2
	case key.Matches(k, ks.PageDown):
		h.top += h.height / 2
	case key.Matches(k, ks.Top):
		h.top = 0
	}
	return nil
}

// View is the help's rows between the header and the footer: its title row, then the
// lines that fit from the scroll position.
func (h *helpScreen) View() []string {
	st := h.st
	rows := make([]string, h.height-2)
	rows[0] = st.bold.Render(" KEYS") + st.dim.Render("  ? or esc: close · ↑↓ pgup pgdn: scroll")
	body := h.lines(h.width, h.height-3)
	top := max(0, min(h.top, len(body)-(h.height-3)))
	for i := 1; i < len(rows); i++ {
		if j := top + i - 1; j < len(body) {
			rows[i] = body[j]
		}
	}
	return rows
}

// lines are every key with its help, grouped: in two columns when the width allows and
// one column does not fit the height.
func (h *helpScreen) lines(w, height int) []string {
	st := h.st
	keyW := 0
	for _, g := range h.keys.helpGroups() {
		for _, k := range g.keys {
			keyW = max(keyW, ansi.StringWidth(k.Help().Key))
		}
	}
	var groups [][]string
	total, widest := 0, 0
	for _, g := range h.keys.helpGroups() {
		lines := []string{st.panelHead.Render(g.title)}
		for _, k := range g.keys {
			hk := k.Help()
			line := "  " + st.keyName.Render(hk.Key) + strings.Repeat(" ", keyW-ansi.StringWidth(hk.Key)+2) + hk.Desc
			widest = max(widest, ansi.StringWidth(line))
			lines = append(lines, line)
		}
		lines = append(lines, "")
		groups = append(groups, lines)
		total += len(lines)
	}
	var out []string
	if total <= height || 2*(widest+3) > w {
		for _, g := range groups {
			for _, l := range g {
				out = append(out, " "+l)
			}
		}
		return out
	}
	// Two columns, split between groups.
	var left, right []string
	for _, g := range groups {
		if len(left) < total/2 {
			left = append(left, g...)
		} else {
			right = append(right, g...)
		}
	}
	colW := widest + 3
	for i := 0; i < max(len(left), len(right)); i++ {
		row := ""
		if i < len(left) {
			row = " " + left[i]
		}
		row += strings.Repeat(" ", max(0, colW-ansi.StringWidth(row)))
		if i < len(right) {
			row += right[i]
		}
		out = append(out, row)
	}
	return out
}
