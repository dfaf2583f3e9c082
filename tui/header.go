package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The header: the stack's name and phase, the pods, and a chip per container of the
// selected pod.

func (m *model) header(w int) string {
	st := m.st
	left := " " + st.stack.Render(m.view.Name) + "  " + m.phaseText()
	if len(m.view.Pods) > 1 {
		var pods []string
		for _, p := range m.view.Pods {
			s := p.Name + " " + phaseGlyph(p.Phase)
			if p.Name == m.pod {
				s = st.focused.Render(s)
			} else {
				s = p.Name + " " + st.phase(p.Phase).Render(phaseGlyph(p.Phase))
			}
			pods = append(pods, s)
		}
		left += "   pods " + strings.Join(pods, " ")
	}
	var chips []string
	for _, p := range m.podPanes() {
		c := m.container(p.pod, p.name)
		if c == nil {
			continue
		}
		glyph, word, _ := stateWord(c, m.opts.Now())
		chip := p.name + " " + st.glyph(c).Render(glyph)
		switch {
		case p.muted:
			chip += st.dim.Render(" muted")
		case c.Role == recipes.RoleMain && c.State == orchestrator.CStateRunning:
			chip += " " + word
		}
		chips = append(chips, chip)
	}
	right := m.warningsChip() + st.dim.Render("? help ")
	mid := "   " + strings.Join(chips, "   ")
	room := w - ansi.StringWidth(left) - ansi.StringWidth(right) - 1
	if room < ansi.StringWidth(mid) {
		mid = ansi.Truncate(mid, max(0, room), "…")
	}
	pad := w - ansi.StringWidth(left) - ansi.StringWidth(mid) - ansi.StringWidth(right)
	return left + mid + strings.Repeat(" ", max(1, pad)) + right
}

// phaseText is the stack's phase, with its uptime when running.
func (m *model) phaseText() string {
	st := m.st
	ph := m.view.Phase
	glyph := phaseGlyph(ph)
	if lost := m.view.EngineLostAt; !lost.IsZero() && ph != orchestrator.PhaseDone && ph != orchestrator.PhaseFailed {
		ctrlC := "Ctrl-C to stop"
		if m.keys.attached() {
			ctrlC = "Ctrl-C leaves the view, the stack keeps waiting" // attach: Ctrl-C detaches
		}
		return st.bad.Render("⚠ engine unreachable") + " for " + fmtDuration(m.opts.Now().Sub(lost)) + ": waiting for it (" + ctrlC + ")"
	}
	switch ph {
	case orchestrator.PhaseRunning:
		up := ""
		if !m.since.IsZero() {
			up = " " + fmtDuration(m.opts.Now().Sub(m.since))
		}
		return st.good.Render(glyph) + " running" + up
	case orchestrator.PhaseFailed:
		return st.bad.Render(glyph + " failed")
	case orchestrator.PhaseDone:
		if m.view.ExitCode != nil {
			return glyph + fmt.Sprintf(" done, exit code %d", *m.view.ExitCode)
		}
		return glyph + " done"
	case orchestrator.PhaseStopping:
		return st.warn.Render(glyph) + " stopping"
	case orchestrator.PhasePulling:
		return st.info.Render(glyph) + " getting images"
	}
	return st.info.Render(glyph) + " " + ph.String()
}
