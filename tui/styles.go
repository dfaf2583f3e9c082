package tui

import (
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// All styling lives here. Colours are the 16 basic ANSI colours, which every terminal maps
// to its own palette; the renderer drops them for terminals without colour and with
// NO_COLOR, so nothing may rely on colour alone: stderr has a gutter mark, lifecycle lines a
// glyph, the focused column reverse video.

var (
	colRed     = ansi.BasicColor(1)
	colGreen   = ansi.BasicColor(2)
	colYellow  = ansi.BasicColor(3)
	colBlue    = ansi.BasicColor(4)
	colMagenta = ansi.BasicColor(5)
	colCyan    = ansi.BasicColor(6)
	colGray    = ansi.BasicColor(8)
)

// styles are the lipgloss styles of the chrome (header, titles, footer, panels), as pens
// that remember what they drew, and the raw SGR sequences of log rows, which are drawn on
// the hot path without lipgloss.
type styles struct {
	plain     *pen
	stack     *pen
	dim       *pen
	bold      *pen
	good      *pen
	warn      *pen
	bad       *pen
	info      *pen
	focused   *pen // the focused column's title, the selected tab or pod
	keyName   *pen
	border    *pen
	panelHead *pen

	// SGR sequences for log rows: the style of each kind of line, and of search matches.
	sgr [numKinds]string
	// sgrTime styles a row's timestamp; sgrMatch a search match; sgrCurrent the match n/N
	// jumped to.
	sgrTime, sgrMatch, sgrCurrent string
}

func newStyles() *styles {
	s := &styles{
		plain:     newPen(lipgloss.NewStyle()),
		stack:     newPen(lipgloss.NewStyle().Bold(true)),
		dim:       newPen(lipgloss.NewStyle().Foreground(colGray)),
		bold:      newPen(lipgloss.NewStyle().Bold(true)),
		good:      newPen(lipgloss.NewStyle().Foreground(colGreen)),
		warn:      newPen(lipgloss.NewStyle().Foreground(colYellow)),
		bad:       newPen(lipgloss.NewStyle().Foreground(colRed)),
		info:      newPen(lipgloss.NewStyle().Foreground(colCyan)),
		focused:   newPen(lipgloss.NewStyle().Reverse(true).Bold(true)),
		keyName:   newPen(lipgloss.NewStyle().Bold(true)),
		border:    newPen(lipgloss.NewStyle().Foreground(colGray)),
		panelHead: newPen(lipgloss.NewStyle().Bold(true)),
	}
	s.sgr[kindOut] = ""
	s.sgr[kindErr] = ansi.Style{}.ForegroundColor(colRed).String()
	s.sgr[kindMarker] = ansi.Style{}.ForegroundColor(colMagenta).String()
	s.sgr[kindEvent] = ansi.Style{}.ForegroundColor(colCyan).String()
	s.sgr[kindInfo] = ansi.Style{}.ForegroundColor(colBlue).String()
	s.sgr[kindWarn] = ansi.Style{}.ForegroundColor(colYellow).String()
	s.sgr[kindError] = ansi.Style{}.Bold().ForegroundColor(colRed).String()
	s.sgrTime = ansi.Style{}.ForegroundColor(colGray).String()
	s.sgrMatch = ansi.Style{}.Reverse(true).String()
	s.sgrCurrent = ansi.Style{}.Reverse(true).Bold().Underline(true).String()
	return s
}

// glyph is the style of a container's state glyph: green when well, yellow on its way or
// waiting, red when failing.
func (s *styles) glyph(c *orchestrator.ContainerView) *pen {
	switch c.State {
	case orchestrator.CStateRunning:
		switch c.Health {
		case orchestrator.HealthNotReady, orchestrator.HealthUnhealthy:
			return s.bad
		case orchestrator.HealthUnknown, orchestrator.HealthStarting:
			return s.warn
		}
		return s.good
	case orchestrator.CStateExited:
		if exitFailed(*c) {
			return s.bad
		}
		return s.good
	case orchestrator.CStateBackoff, orchestrator.CStateStopping:
		return s.warn
	}
	return s.dim
}

// phase is the style of a stack's or pod's phase glyph: green when running or finished well
// (done, a job completed), yellow while stopping, red when failed, cyan on its way up.
func (s *styles) phase(p orchestrator.Phase) *pen {
	switch p {
	case orchestrator.PhaseRunning, orchestrator.PhaseDone, orchestrator.PhaseCompleted:
		return s.good
	case orchestrator.PhaseStopping:
		return s.warn
	case orchestrator.PhaseFailed:
		return s.bad
	}
	return s.info
}

// pen is a chrome style that remembers what it drew. The header, the titles, the borders
// and the footer are mostly the same text from one frame to the next, and lipgloss's Render
// was the costliest part of drawing a frame (60% of BenchmarkRender). The view draws from
// one goroutine.
type pen struct {
	style lipgloss.Style
	memo  map[string]string
}

// penMemo bounds what a pen remembers: it forgets everything when full (an uptime or a
// countdown makes a new text every second).
const penMemo = 256

func newPen(s lipgloss.Style) *pen { return &pen{style: s, memo: map[string]string{}} }

// Render is the style's Render, remembered.
func (p *pen) Render(s string) string {
	if r, ok := p.memo[s]; ok {
		return r
	}
	r := p.style.Render(s)
	if len(p.memo) >= penMemo {
		clear(p.memo)
	}
	p.memo[s] = r
	return r
}
