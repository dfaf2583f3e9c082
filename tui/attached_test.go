package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The attached view: q and Ctrl-C leave without a word to the stack; Q stops it (a second Q
// forces); the footer and the help say so.
func TestAttachedView(t *testing.T) {
	attached := func(t *testing.T) (*model, *fakeCtl) {
		m, _ := runningScene(t, 3, 200, 60)
		a, ctl := attachedTestModel(t, 200, 60)
		a.stackState = m.stackState
		a.columns.selectPod()
		return a, ctl
	}
	m, ctl := attached(t)
	if footer := ansi.Strip(m.footer(200)); !strings.Contains(footer, "q detach · Q stop stack") {
		t.Errorf("footer %q", footer)
	}
	m.press("?")
	if help := m.frame(); !strings.Contains(help, "stop the stack (again: force)") || !strings.Contains(help, "detach: leave the view") {
		t.Errorf("help lacks the attached keys:\n%s", help)
	}
	m.press("esc")
	if msg := m.press("q"); msg != tea.Quit() || ctl.got() != "" {
		t.Errorf("q: %v, calls %q; want to quit with no call", msg, ctl.got())
	}

	m, ctl = attached(t)
	_, cmd := m.Update(interruptMsg{})
	if cmd == nil || cmd() != tea.Quit() || ctl.got() != "" {
		t.Errorf("Ctrl-C: calls %q; want to quit with no call", ctl.got())
	}

	m, ctl = attached(t)
	m.press("Q")
	m.press("Q")
	if got := ctl.got(); got != "shutdown, kill" {
		t.Errorf("Q Q: calls %q, want shutdown, kill", got)
	}
}
