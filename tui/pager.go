package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// pager is a screen opened over the columns (the help, the recipe's warnings): a title row,
// then its lines from the scroll position, scrolled with the arrow and page keys and closed
// with its own key, esc or q.
type pager struct {
	*common
	width, height int
	open          bool
	top           int // first line shown
	close         func(keyMap) key.Binding
	title         func() string
	// lines are the body for a width and the height it has.
	lines func(width, height int) []string
}

// SetSize gives the pager the screen; it keeps the scroll position within its lines.
func (p *pager) SetSize(width, height int) {
	p.width, p.height = width, height
	if p.open {
		p.top = max(0, min(p.top, len(p.lines(width, height-3))-(height-3)))
	}
}

func (p *pager) show() { p.open, p.top = true, 0 }

// Update takes the keys while the pager is open: close it or scroll it.
func (p *pager) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	ks := p.keys
	switch {
	case key.Matches(k, p.close(ks), ks.Escape, ks.Quit):
		p.open = false
	case key.Matches(k, ks.Up):
		p.top--
	case key.Matches(k, ks.Down):
		p.top++
	case key.Matches(k, ks.PageUp):
		p.top -= p.height / 2
	case key.Matches(k, ks.PageDown):
		p.top += p.height / 2
	case key.Matches(k, ks.Top):
		p.top = 0
	}
	return nil
}

// View is the pager's rows between the header and the footer: its title row, then the
// lines that fit from the scroll position.
func (p *pager) View() []string {
	rows := make([]string, p.height-2)
	rows[0] = p.title()
	body := p.lines(p.width, p.height-3)
	top := max(0, min(p.top, len(body)-(p.height-3)))
	for i := 1; i < len(rows); i++ {
		if j := top + i - 1; j < len(body) {
			rows[i] = body[j]
		}
	}
	return rows
}
