package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
)

// The recipe's warnings (Options.Warnings: what the loader could not take over from a
// compose file or a manifest) are said where the view has room for them: the header counts
// them for as long as the view runs ("⚠ 2 warnings W"), the footer says so until the first
// key, and W opens them over the columns, the way ? opens the help. sidecar up prints them
// again on stderr once the view has left the alternate screen.

// warningsScreen is the list of the recipe's warnings (W), scrolling when it does not fit.
type warningsScreen struct {
	*common
	width, height int
	open          bool
	top           int      // first line shown
	list          []string // the warnings, made safe for the terminal
}

func newWarningsScreen(c *common, warnings []string) warningsScreen {
	w := warningsScreen{common: c}
	for _, s := range warnings {
		w.list = append(w.list, termsafe.Plain(s))
	}
	return w
}

// SetSize gives the list the screen; it keeps the scroll position within its lines.
func (w *warningsScreen) SetSize(width, height int) {
	w.width, w.height = width, height
	if w.open {
		w.top = max(0, min(w.top, len(w.lines())-(height-3)))
	}
}

// toggle opens the list, or closes it; with no warnings it says there are none.
func (w *warningsScreen) toggle() {
	if len(w.list) == 0 {
		w.notes.setNotice(kindInfo, "the recipe was loaded without warnings")
		return
	}
	w.open, w.top = !w.open, 0
}

// Update takes the keys while the list is open: close it or scroll it.
func (w *warningsScreen) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	ks := w.keys
	switch {
	case key.Matches(k, ks.Warnings, ks.Escape, ks.Quit):
		w.open = false
	case key.Matches(k, ks.Up):
		w.top--
	case key.Matches(k, ks.Down):
		w.top++
	case key.Matches(k, ks.PageUp):
		w.top -= w.height / 2
	case key.Matches(k, ks.PageDown):
		w.top += w.height / 2
	case key.Matches(k, ks.Top):
		w.top = 0
	}
	return nil
}

// View is the list's rows between the header and the footer: its title row, then the
// lines that fit from the scroll position.
func (w *warningsScreen) View() []string {
	st := w.st
	rows := make([]string, w.height-2)
	rows[0] = st.bold.Render(fmt.Sprintf(" WARNINGS %d", len(w.list))) +
		st.dim.Render("  what the recipe gave that sidecar does not do · W or esc: close · ↑↓ pgup pgdn: scroll")
	body := w.lines()
	top := max(0, min(w.top, len(body)-(w.height-3)))
	for i := 1; i < len(rows); i++ {
		if j := top + i - 1; j < len(body) {
			rows[i] = body[j]
		}
	}
	return rows
}

// lines are the warnings, each wrapped to the width, its continuation rows indented.
func (w *warningsScreen) lines() []string {
	st := w.st
	var out []string
	for _, s := range w.list {
		for i, l := range strings.Split(ansi.Wrap(s, max(10, w.width-5), ""), "\n") {
			if i == 0 {
				out = append(out, " "+st.warn.Render("⚠")+" "+l)
			} else {
				out = append(out, "   "+l)
			}
		}
	}
	return out
}

// warningsChip is the header's count of the recipe's warnings and the key that lists them;
// "" without warnings.
func (m *model) warningsChip() string {
	n := len(m.warnings.list)
	if n == 0 {
		return ""
	}
	return m.st.warn.Render("⚠ "+countWarnings(n)) + m.st.dim.Render(" W  ")
}

// countWarnings is "1 warning" or "N warnings".
func countWarnings(n int) string {
	if n == 1 {
		return "1 warning"
	}
	return fmt.Sprintf("%d warnings", n)
}
