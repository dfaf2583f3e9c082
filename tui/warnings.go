package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
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
	pager
	list []string // the warnings, made safe for the terminal
}

func newWarningsScreen(c *common, warnings []string) *warningsScreen {
	w := &warningsScreen{pager: pager{common: c, close: func(k keyMap) key.Binding { return k.Warnings }}}
	for _, s := range warnings {
		w.list = append(w.list, termsafe.Plain(s))
	}
	w.title = func() string {
		return c.st.bold.Render(fmt.Sprintf(" WARNINGS %d", len(w.list))) +
			c.st.dim.Render("  what the recipe gave that sidecar does not do · W or esc: close · ↑↓ pgup pgdn: scroll")
	}
	w.pager.lines = w.wrapped
	return w
}

// toggle opens the list, or closes it; with no warnings it says there are none.
func (w *warningsScreen) toggle() {
	if len(w.list) == 0 {
		w.notes.setNotice(kindInfo, "the recipe was loaded without warnings")
		return
	}
	if w.open {
		w.open = false
	} else {
		w.show()
	}
}

// wrapped are the warnings, each wrapped to the width, its continuation rows indented.
func (w *warningsScreen) wrapped(width, _ int) []string {
	st := w.st
	var out []string
	for _, s := range w.list {
		for i, l := range strings.Split(ansi.Wrap(s, max(10, width-5), ""), "\n") {
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
