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

// styles are the lipgloss styles of the chrome (header, titles, footer, panels) and the
// raw SGR sequences of log rows, which are drawn on the hot path without lipgloss.
type styles struct {
	stack     lipgloss.Style
	dim       lipgloss.Style
	bold      lipgloss.Style
	good      lipgloss.Style
	warn      lipgloss.Style
	bad       lipgloss.Style
	info      lipgloss.Style
	focused   lipgloss.Style // the focused column's title, the selected tab or pod
	keyName   lipgloss.Style
	border    lipgloss.Style
	panelHead lipgloss.Style

	// SGR sequences for log rows: the style of each kind of line, and of search matches.
	sgr [numKinds]string
	// sgrTime styles a row's timestamp; sgrMatch a search match; sgrCurrent the match n/N
	// jumped to.
	sgrTime, sgrMatch, sgrCurrent string
}

func newStyles() *styles {
	s := &styles{
		stack:     lipgloss.NewStyle().Bold(true),
		dim:       lipgloss.NewStyle().Foreground(colGray),
		bold:      lipgloss.NewStyle().Bold(true),
		good:      lipgloss.NewStyle().Foreground(colGreen),
		warn:      lipgloss.NewStyle().Foreground(colYellow),
		bad:       lipgloss.NewStyle().Foreground(colRed),
		info:      lipgloss.NewStyle().Foreground(colCyan),
		focused:   lipgloss.NewStyle().Reverse(true).Bold(true),
		keyName:   lipgloss.NewStyle().Bold(true),
		border:    lipgloss.NewStyle().Foreground(colGray),
		panelHead: lipgloss.NewStyle().Bold(true),
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
func (s *styles) glyph(c *orchestrator.ContainerView) lipgloss.Style {
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
