package tui

import "charm.land/bubbles/v2/key"

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
	// The view
	Help, Escape, Quit, Force key.Binding
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

		Help:   b([]string{"?"}, "?", "show or hide this help"),
		Escape: b([]string{"esc"}, "esc", "close help, clear search, unzoom"),
		Quit:   b([]string{"q"}, "q", "stop the stack and quit (again: force)"),
		Force:  b([]string{"ctrl+c"}, "ctrl+c", "interrupt: stop, exit 130 (again: force)"),
	}
}

// helpGroups are the keys the help screen lists, by group.
func (k keyMap) helpGroups() []helpGroup {
	return []helpGroup{
		{"Columns", []key.Binding{k.Next, k.Prev, k.Number, k.Zoom, k.NextPod, k.PrevPod, k.Inits}},
		{"Scrolling", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Follow, k.FollowAll, k.Wrap, k.Time}},
		{"Search and focus", []key.Binding{k.Search, k.NextMatch, k.PrevMatch, k.Filter, k.Mute, k.Solo, k.UnmuteAll}},
		{"Containers", []key.Binding{k.Restart, k.StopStart, k.Shell}},
		{"View", []key.Binding{k.Help, k.Escape, k.Quit, k.Force}},
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
		{"m", "mute"}, {"r", "restart"}, {"s", "stop"}, {"e", "shell"}, {"q", "quit"},
	}
}

type footerKey struct{ key, desc string }
