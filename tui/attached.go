package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The attached view (Options.Attached, `sidecar attach`) shows a stack another process runs:
// leaving it must not stop the stack. There q, Ctrl-C and the interrupts leave the view (the
// stack keeps running), and stopping the stack is a key of its own, Q, shown in the footer
// and the help; a second Q (or Ctrl-C once the stack is stopping) forces, as q does in the
// view of `sidecar up`.

// forAttached is the keymap of the attached view.
func (k keyMap) forAttached() keyMap {
	k.Quit = key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "detach: leave the view, the stack keeps running"))
	k.StopStack = key.NewBinding(key.WithKeys("Q"), key.WithHelp("Q", "stop the stack (again: force)"))
	k.Force = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "detach (once the stack is stopping: force)"))
	return k
}

// attached tells the attached view's keymap.
func (k keyMap) attached() bool { return len(k.StopStack.Keys()) > 0 }

// quitKey is the footer's last key: how to leave.
func (k keyMap) quitKey() footerKey {
	if k.attached() {
		return footerKey{"q", "detach · Q stop stack"}
	}
	return footerKey{"q", "quit"}
}

// detach leaves the view; the stack keeps running.
func (m *model) detach() tea.Cmd {
	m.quitting = true
	return tea.Quit
}

// viewKeys are the help's keys of the view itself.
func (k keyMap) viewKeys() []key.Binding {
	if k.attached() {
		return []key.Binding{k.Help, k.Warnings, k.Escape, k.Quit, k.StopStack, k.Force}
	}
	return []key.Binding{k.Help, k.Warnings, k.Escape, k.Quit, k.Force}
}
