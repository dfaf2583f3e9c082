package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// helpScreen is the help component (?): every key of the keymap with its help text, grouped,
// scrolling when it does not fit.
type helpScreen struct{ pager }

func newHelpScreen(c *common) helpScreen {
	h := helpScreen{pager{common: c, close: func(k keyMap) key.Binding { return k.Help }}}
	h.title = func() string {
		return c.st.bold.Render(" KEYS") + c.st.dim.Render("  ? or esc: close · ↑↓ pgup pgdn: scroll")
	}
	h.pager.lines = func(w, height int) []string { return helpLines(c, w, height) }
	return h
}

// lines are every key with its help, grouped: in two columns when the width allows and
// one column does not fit the height.
func helpLines(h *common, w, height int) []string {
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
