package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// The failure panel and the footer.

// failureLines say why the stack failed (or main failed it) and show the failing
// container's last lines.
func (m *model) failureLines(w int) []string {
	if !m.linger && m.view.Phase != orchestrator.PhaseFailed {
		return nil
	}
	st := m.st
	reason := m.view.Reason
	if reason == "" {
		reason = "the stack failed"
	}
	out := []string{st.bad.Render("✗ " + reason)}
	for _, msg := range m.messages {
		if msg.Level == orchestrator.LevelError {
			out = append(out, st.bad.Render("  "+msg.Text))
		}
	}
	if p := m.failedPane(); p != nil {
		var last []*line
		for i := p.lines.next; i > p.lines.first && len(last) < 8; i-- {
			l := p.lines.at(i - 1)
			if l.kind == kindOut || l.kind == kindErr || l.kind == kindMarker {
				last = append(last, l)
			}
		}
		if len(last) > 0 {
			out = append(out, st.bold.Render(fmt.Sprintf("last lines of %s:", p.name)))
			for i := len(last) - 1; i >= 0; i-- {
				prefix := "  "
				if last[i].kind == kindErr {
					prefix = st.bad.Render(" ▌")
				}
				out = append(out, prefix+m.method.Truncate(last[i].text, w-2, "…"))
			}
		} else {
			out = append(out, st.dim.Render(fmt.Sprintf("%s wrote nothing", p.name)))
		}
	}
	return out
}

func (m *model) footer(w int) string {
	st := m.st
	switch {
	case m.prompt != promptNone:
		return m.search.View()[0]
	case m.ended && m.endErr != nil:
		return st.bad.Render(" ✗ "+m.endErr.Error()) + st.dim.Render(" · q: quit")
	case m.ended:
		code := ""
		if m.view.ExitCode != nil {
			code = fmt.Sprintf(" (exit code %d)", *m.view.ExitCode)
		}
		return st.bold.Render(" the stack has stopped"+code) + st.dim.Render(" · everything is removed · q: quit")
	case m.stop == stopForced:
		return st.bad.Render(" killing every container…") + st.dim.Render(" removing what is left · Ctrl-C: stop waiting for the engine")
	case m.stop == stopGivenUp:
		return st.bad.Render(" not waiting for the engine any longer…") + st.dim.Render(" what may be left is named as it ends; sidecar down removes it")
	case m.stop == stopGraceful || m.view.Phase == orchestrator.PhaseStopping:
		return m.stoppingText()
	case m.notice != "":
		sgr := m.st.sgr[m.noticeKind]
		return " " + sgr + m.notice + ansi.ResetStyle
	case m.tl.open:
		return m.st.dim.Render(" LIFECYCLE ") + m.st.keyName.Render("← →") + m.st.dim.Render(" scroll · ") +
			m.st.keyName.Render("+ -") + m.st.dim.Render(" zoom · ") + m.st.keyName.Render("0") + m.st.dim.Render(" fit · ") +
			m.st.keyName.Render("home end") + m.st.dim.Render(" first, now · ") + m.st.keyName.Render("L") +
			m.st.dim.Render(" logs · ") + m.st.keyName.Render("q") + m.st.dim.Render(" quit")
	case m.query != "":
		return m.search.View()[0]
	}
	return m.keysText(w)
}

// stoppingText shows the teardown: which containers are stopping and the grace they have
// left.
func (m *model) stoppingText() string {
	st := m.st
	var parts []string
	now := m.opts.Now()
	for _, p := range m.view.Pods {
		for _, c := range p.Containers {
			if c.State != orchestrator.CStateStopping {
				continue
			}
			s := c.Name
			if len(m.view.Pods) > 1 {
				s = p.Name + "/" + c.Name
			}
			if !c.StopDeadline.IsZero() {
				s += fmt.Sprintf(" (SIGKILL in %s)", fmtDuration(c.StopDeadline.Sub(now)))
			}
			parts = append(parts, s)
		}
	}
	text := " stopping the stack…"
	if len(parts) > 0 {
		text = " stopping " + strings.Join(parts, ", ")
	}
	return st.warn.Render(text) + st.dim.Render(" · q or ctrl+c: force")
}

// keysText is the main keys, as many as fit, always ending with quit.
func (m *model) keysText(w int) string {
	st := m.st
	keys := m.keys.footerKeys()
	last := keys[len(keys)-1]
	render := func(k footerKey) string { return st.keyName.Render(k.key) + " " + st.dim.Render(k.desc) }
	sep := st.dim.Render(" · ")
	out := " "
	used := 1 + ansi.StringWidth(last.key+" "+last.desc)
	var parts []string
	for _, k := range keys[:len(keys)-1] {
		kw := ansi.StringWidth(k.key+" "+k.desc) + 3
		if used+kw > w {
			break
		}
		used += kw
		parts = append(parts, render(k))
	}
	parts = append(parts, render(last))
	return out + strings.Join(parts, sep)
}
