package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// keyMap is every key of the view, with its help text: the one place keys are defined. The
// help screen (?) lists all of them from here, the footer the main ones.
type keyMap struct {
	// Columns
	Next, Prev, Number, Zoom, NextPod, PrevPod, Inits key.Binding
	// Scrolling
	Up, Down, PageUp, PageDown, Top, Bottom, Follow, FollowAll, Wrap, Time key.Binding
	// Search and focus
	Search, NextMatch, PrevMatch, Filter, Mute, Solo, UnmuteAll key.Binding
	// Control
	Restart, StopStart, Shell key.Binding
	// Time: the timeline, aligned columns, the merged stream
	Timeline, Align, Merge, TimeEarlier, TimeLater, ZoomIn, ZoomOut, FitAll, TimeRows key.Binding
	// The view
	Help, Warnings, Escape, Quit, Force key.Binding
	// StopStack is the attached view's (Options.Attached), whose q only leaves; unset
	// otherwise.
	StopStack key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Next:    b([]string{"tab", "right", "l"}, "tab →", "focus the next column"),
		Prev:    b([]string{"shift+tab", "left", "h"}, "shift+tab ←", "focus the previous column"),
		Number:  b([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "1-9", "focus column N"),
		Zoom:    b([]string{"z"}, "z", "zoom the focused column to full width"),
		NextPod: b([]string{"p"}, "p", "show the next pod"),
		PrevPod: b([]string{"P"}, "P", "show the previous pod"),
		Inits:   b([]string{"i"}, "i", "show or hide completed init containers"),

		Up:        b([]string{"up", "k"}, "↑ k", "scroll up a line"),
		Down:      b([]string{"down", "j"}, "↓ j", "scroll down a line"),
		PageUp:    b([]string{"pgup", "ctrl+b", "b"}, "pgup b", "scroll up a page"),
		PageDown:  b([]string{"pgdown", "ctrl+f", "space"}, "pgdn space", "scroll down a page"),
		Top:       b([]string{"home", "g"}, "home g", "go to the oldest line"),
		Bottom:    b([]string{"end", "G"}, "end G", "go to the newest line and follow"),
		Follow:    b([]string{"f"}, "f", "follow new lines, or stop following"),
		FollowAll: b([]string{"F"}, "F", "every column follows new lines"),
		Wrap:      b([]string{"w"}, "w", "wrap long lines, or cut them"),
		Time:      b([]string{"t"}, "t", "show or hide timestamps"),

		Search:    b([]string{"/"}, "/", "search every column (enter: jump)"),
		NextMatch: b([]string{"n"}, "n", "jump to the match before (older)"),
		PrevMatch: b([]string{"N"}, "N", "jump to the match after (newer)"),
		Filter:    b([]string{"&"}, "&", "filter the focused column (empty: all)"),
		Mute:      b([]string{"m"}, "m", "mute the focused container"),
		Solo:      b([]string{"o"}, "o", "solo: mute all others (again: undo)"),
		UnmuteAll: b([]string{"M"}, "M", "unmute every container"),

		Restart:   b([]string{"r"}, "r", "restart the focused container"),
		StopStart: b([]string{"s"}, "s", "stop the focused container, or start it"),
		Shell:     b([]string{"e"}, "e", "open a shell in the focused container"),

		Timeline:    b([]string{"L"}, "L", "lifecycle timeline of the pod, or back to the logs"),
		Align:       b([]string{"a"}, "a", "align columns by time: the others follow the focused one"),
		Merge:       b([]string{"c"}, "c", "combine every column into one stream by time, or back"),
		TimeEarlier: b([]string{"left", "h"}, "← h", "timeline: earlier"),
		TimeLater:   b([]string{"right", "l"}, "→ l", "timeline: later"),
		ZoomIn:      b([]string{"+", "="}, "+", "timeline: zoom in"),
		ZoomOut:     b([]string{"-"}, "-", "timeline: zoom out"),
		FitAll:      b([]string{"0"}, "0", "timeline: everything from the first event (home end: first, now)"),
		// The timeline scrolls its rows with the scrolling keys (Up, Down, PageUp, PageDown);
		// this binding only lists them in the help.
		TimeRows: b([]string{"up", "down", "pgup", "pgdown"}, "↑↓ pgup/dn", "timeline: more containers"),

		Help:     b([]string{"?"}, "?", "show or hide this help"),
		Warnings: b([]string{"W"}, "W", "show or hide the recipe's warnings (the header counts them)"),
		Escape:   b([]string{"esc"}, "esc", "close help, clear search, unzoom"),
		Quit:     b([]string{"q"}, "q", "stop the stack and quit (again: force)"),
		Force:    b([]string{"ctrl+c"}, "ctrl+c", "interrupt: stop, exit 130 (again: force)"),
	}
}

// helpGroups are the keys the help screen lists, by group.
func (k keyMap) helpGroups() []helpGroup {
	return []helpGroup{
		{"Columns", []key.Binding{k.Next, k.Prev, k.Number, k.Zoom, k.NextPod, k.PrevPod, k.Inits}},
		{"Scrolling", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Follow, k.FollowAll, k.Wrap, k.Time}},
		{"Search and focus", []key.Binding{k.Search, k.NextMatch, k.PrevMatch, k.Filter, k.Mute, k.Solo, k.UnmuteAll}},
		{"Containers", []key.Binding{k.Restart, k.StopStart, k.Shell}},
		{"Time", []key.Binding{k.Timeline, k.Align, k.Merge, k.TimeEarlier, k.TimeLater, k.ZoomIn, k.ZoomOut, k.FitAll, k.TimeRows}},
		{"View", k.viewKeys()},
	}
}

type helpGroup struct {
	title string
	keys  []key.Binding
}

// footerKeys are the main keys, in the order the footer shows them (as many as fit).
func (k keyMap) footerKeys() []footerKey {
	return []footerKey{
		{"tab", "focus"}, {"z", "zoom"}, {"/", "search"}, {"f", "follow"}, {"t", "time"},
		{"m", "mute"}, {"r", "restart"}, {"s", "stop"}, {"e", "shell"}, {"L", "timeline"}, {"c", "merge"}, {"a", "align"},
		k.quitKey(),
	}
}

type footerKey struct{ key, desc string }

// key routes a key press: to the open prompt, to the help while it is open, then to the
// view's own keys, the search's, the columns' and the control keys.
func (m *model) key(k tea.KeyPressMsg) tea.Cmd {
	ks := m.keys
	if m.prompt != promptNone {
		if k.String() == "ctrl+c" {
			m.search.closePrompt()
			return m.interrupt()
		}
		return m.search.Update(k)
	}
	if m.ended {
		// After the end only reading is left; any of the quit keys leaves.
		if key.Matches(k, ks.Quit, ks.Force) {
			m.quitting = true
			return tea.Quit
		}
	}
	if m.helpScreen.open {
		if key.Matches(k, ks.Force) {
			return m.interrupt()
		}
		return m.helpScreen.Update(k)
	}
	if m.warnings.open {
		if key.Matches(k, ks.Force) {
			return m.interrupt()
		}
		return m.warnings.Update(k)
	}
	m.notice = ""
	switch {
	case key.Matches(k, ks.Quit) && ks.attached():
		return m.detach()
	case key.Matches(k, ks.Quit, ks.StopStack):
		return m.quit()
	case key.Matches(k, ks.Force):
		return m.interrupt()
	case key.Matches(k, ks.Help):
		m.helpScreen.show()
		return nil
	case key.Matches(k, ks.Warnings):
		m.warnings.toggle()
		return nil
	case key.Matches(k, ks.Timeline):
		m.tl.toggle()
		return nil
	case key.Matches(k, ks.Escape):
		switch {
		case m.tl.open:
			m.tl.toggle()
		case !m.search.clear():
			m.columns.unzoom()
		}
		return nil
	}
	if m.tl.open {
		if key.Matches(k, ks.NextPod, ks.PrevPod) {
			_, cmd := m.columns.key(k)
			return cmd
		}
		return m.tl.Update(k)
	}
	if m.search.key(k) {
		return nil
	}
	if ok, cmd := m.columns.key(k); ok {
		return cmd
	}
	return m.control(k)
}

// control handles the keys that act on the focused container.
func (m *model) control(k tea.KeyPressMsg) tea.Cmd {
	p := m.focused()
	if p == nil {
		return nil
	}
	ks := m.keys
	if p == m.merged && key.Matches(k, ks.Restart, ks.StopStart, ks.Shell) {
		m.setNotice(kindWarn, "the merged stream is every container's: c goes back to the columns to act on one")
		return nil
	}
	switch {
	case key.Matches(k, ks.Restart):
		return m.command("restart", p)
	case key.Matches(k, ks.StopStart):
		if c := m.container(p.pod, p.name); c != nil && c.State == orchestrator.CStateStopped {
			return m.command("start", p)
		}
		return m.command("stop", p)
	case key.Matches(k, ks.Shell):
		return m.shell(p)
	}
	return nil
}
