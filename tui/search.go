package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// search is the search and filter component: the prompt (/ searches every column, &
// filters the focused one), the query and the match n/N jumped to. View is the footer row
// while the prompt is open or a search is set.
type search struct {
	*common
	cols *columns

	width int

	prompt promptKind // an open prompt (search, filter)
	input  textinput.Model
	query  string // lower-case search
	match  matchPos
	count  string // "3 of 17" after a jump
}

type promptKind int

const (
	promptNone promptKind = iota
	promptSearch
	promptFilter
)

type matchPos struct {
	ctr string
	seq uint64
}

func newSearch(c *common, cols *columns) search {
	in := textinput.New()
	in.SetVirtualCursor(false)
	in.Prompt = ""
	return search{common: c, cols: cols, input: in}
}

func (s *search) SetSize(width, _ int) { s.width = width }

// Update takes the keys of an open prompt, the search keys (/ n N &), and what the text
// input needs while the prompt is open (its cursor's blink).
func (s *search) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if s.prompt != promptNone {
			return s.promptKey(k)
		}
		s.key(k)
		return nil
	}
	if s.prompt != promptNone {
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	return nil
}

// key handles the search keys; it tells whether k was one.
func (s *search) key(k tea.KeyPressMsg) bool {
	ks := s.keys
	switch {
	case key.Matches(k, ks.Search):
		s.openPrompt(promptSearch, "")
	case key.Matches(k, ks.NextMatch):
		s.jump(-1)
	case key.Matches(k, ks.PrevMatch):
		s.jump(1)
	case key.Matches(k, ks.Filter):
		if p := s.cols.focused(); p != nil {
			s.openPrompt(promptFilter, p.filter)
		}
	default:
		return false
	}
	return true
}

// clear forgets the search; it tells whether there was one.
func (s *search) clear() bool {
	had := s.query != ""
	s.query, s.match, s.count = "", matchPos{}, ""
	return had
}

// View is the footer row of the search: the prompt being typed, or the query set.
func (s *search) View() []string {
	switch {
	case s.prompt != promptNone:
		return []string{s.promptLabel() + s.input.Value()}
	case s.query != "":
		t := fmt.Sprintf(" /%s", s.query)
		if s.count != "" {
			t += "  " + s.count
		}
		return []string{t + s.st.dim.Render(" · n older · N newer · esc clear")}
	}
	return nil
}

func (s *search) promptLabel() string {
	if s.prompt == promptFilter {
		if p := s.cols.focused(); p != nil {
			return " filter " + p.name + ": "
		}
		return " filter: "
	}
	return " /"
}

func (s *search) openPrompt(kind promptKind, value string) {
	s.prompt = kind
	s.input.SetValue(value)
	s.input.CursorEnd()
	s.input.Focus()
}

func (s *search) closePrompt() {
	s.prompt = promptNone
	s.input.Blur()
}

func (s *search) promptKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		s.closePrompt()
		return nil
	case "enter":
		kind, value := s.prompt, strings.ToLower(strings.TrimSpace(s.input.Value()))
		s.closePrompt()
		switch kind {
		case promptSearch:
			s.search(value)
		case promptFilter:
			if p := s.cols.focused(); p != nil {
				p.setFilter(value)
				if value != "" {
					_, hi := p.bounds()
					s.notes.setNotice(kindInfo, fmt.Sprintf("%s: %d lines match %q (& then enter on empty: all lines)", p.name, hi-p.fbase, value))
				}
			}
		}
		return nil
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(k)
	return cmd
}

// search sets the query and jumps to the newest match.
func (s *search) search(q string) {
	s.query, s.match, s.count = q, matchPos{}, ""
	if q == "" {
		return
	}
	s.jump(-1)
}

// match is one line matching the search: in which pane, at which view position.
type match struct {
	p   *pane
	pos uint64
	seq uint64
}

// matches returns every match in the columns shown, oldest first.
func (s *search) matches() []match {
	var out []match
	for _, p := range s.cols.searchable() { // muted columns are left out
		for _, pos := range p.find(s.query) {
			out = append(out, match{p: p, pos: pos, seq: p.lineAt(pos).seq})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// jump moves to the match before the current one in time (dir < 0: n) or after it (dir >
// 0: N), wrapping around; with no current match, to the newest.
func (s *search) jump(dir int) {
	if s.query == "" {
		s.notes.setNotice(kindInfo, "no search: / to search")
		return
	}
	all := s.matches()
	if len(all) == 0 {
		s.match, s.count = matchPos{}, ""
		s.notes.setNotice(kindWarn, fmt.Sprintf("no line matches %q", s.query))
		return
	}
	cur := -1
	for i, x := range all {
		if x.p.name == s.match.ctr && x.seq == s.match.seq {
			cur = i
		}
	}
	var i int
	wrapped := false
	switch {
	case cur < 0 && s.match.seq == 0:
		i = len(all) - 1
	case cur < 0: // the current match scrolled out of the buffer or out of view: by time
		i = sort.Search(len(all), func(i int) bool { return all[i].seq >= s.match.seq })
		if dir < 0 {
			i--
		}
	default:
		i = cur + dir
	}
	if i < 0 {
		i, wrapped = len(all)-1, true
	} else if i >= len(all) {
		i, wrapped = 0, true
	}
	x := all[i]
	s.match = matchPos{ctr: x.p.name, seq: x.seq}
	s.count = fmt.Sprintf("%d of %d", i+1, len(all))
	if x.p.muted {
		x.p.muted = false
	}
	if x.p != s.cols.merged {
		s.cols.focus = x.p.name
	}
	s.cols.relayout()
	x.p.show(x.pos, s.cols.renderOpts())
	if wrapped {
		s.notes.setNotice(kindInfo, "search wrapped around")
	}
}
