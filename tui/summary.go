package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// summary is what the view leaves on the terminal when it leaves the alternate screen: how
// the stack ended and why, how long it ran, and each app container's end — exit code,
// restarts, OOM kills, lines the view skipped — so that the terminal is not left blank.
// Plain text: it goes to the normal screen, into the scrollback.
func (m *model) summary() string {
	if !m.snapshot {
		return ""
	}
	var b strings.Builder
	v := &m.view
	how := v.Phase.String()
	switch {
	case v.Phase == orchestrator.PhaseDone && v.ExitCode != nil:
		how = fmt.Sprintf("done, exit code %d", *v.ExitCode)
	case v.Phase == orchestrator.PhaseFailed:
		how = "failed"
		if v.ExitCode != nil {
			how += fmt.Sprintf(", exit code %d", *v.ExitCode)
		}
	case v.Phase != orchestrator.PhaseDone:
		how = "left while " + how // the view ended before the stack (its terminal went away)
	}
	fmt.Fprintf(&b, "sidecar: stack %s %s", ansi.Strip(v.Name), how)
	if v.Reason != "" {
		fmt.Fprintf(&b, ": %s", v.Reason)
	}
	if !m.since.IsZero() && m.last.After(m.since) {
		fmt.Fprintf(&b, " (ran %s)", fmtDuration(m.last.Sub(m.since)))
	}
	b.WriteByte('\n')
	for _, p := range v.Pods {
		var rows [][4]string
		for _, role := range []recipes.Role{recipes.RoleInit, recipes.RoleSidecar, recipes.RoleMain} {
			for _, c := range p.Containers {
				if c.Role == role {
					rows = append(rows, m.summaryRow(c))
				}
			}
		}
		if len(v.Pods) > 1 {
			fmt.Fprintf(&b, "  pod %s: %s\n", p.Name, p.Phase)
		}
		var w [3]int
		for _, r := range rows {
			for i := range w {
				w[i] = max(w[i], ansi.StringWidth(r[i]))
			}
		}
		for _, r := range rows {
			line := "  "
			for i := range w {
				line += r[i] + strings.Repeat(" ", w[i]-ansi.StringWidth(r[i])+2)
			}
			b.WriteString(strings.TrimRight(line+r[3], " ") + "\n")
		}
	}
	return b.String()
}

// summaryRow is a container's name, role, end and notes.
func (m *model) summaryRow(c orchestrator.ContainerView) [4]string {
	if l := m.lives[paneKey{c.Pod, c.Name}]; l != nil {
		// Removed at the teardown (the view says waiting or removed then): how it ended
		// before.
		for i := len(l.spans) - 1; i >= 0 && !ran(c.State); i-- {
			if s := l.spans[i].c; ran(s.State) {
				c.State, c.ExitCode, c.OOMKilled, c.Killed = s.State, s.ExitCode, s.OOMKilled, s.Killed
			}
		}
	}
	end := c.State.String()
	code := ""
	if c.ExitCode != nil {
		code = fmt.Sprintf("exit code %d", *c.ExitCode)
	}
	switch c.State {
	case orchestrator.CStateExited:
		end = "exited, " + code
		if c.Role == recipes.RoleInit && !exitFailed(c) {
			end = "completed, " + code
		}
		if c.ExitCode == nil {
			end = "exited"
		}
	case orchestrator.CStateStopped, orchestrator.CStateRemoved:
		end = "stopped"
		if c.Killed {
			end = "killed (SIGKILL after its grace)"
		}
		if code != "" {
			end += ", " + code
		}
	case orchestrator.CStateWaiting, orchestrator.CStateCreated:
		end = "never started"
	}
	if c.OOMKilled {
		end += " (OOM-killed)"
	}
	var notes []string
	switch {
	case c.Restarts == 1:
		notes = append(notes, "restarted once")
	case c.Restarts > 1:
		notes = append(notes, fmt.Sprintf("restarted %d times", c.Restarts))
	}
	if l := m.lives[paneKey{c.Pod, c.Name}]; l != nil {
		ooms := 0
		for _, mk := range l.marks {
			if mk.kind == markOOM {
				ooms++
			}
		}
		switch {
		case ooms == 1 && !c.OOMKilled:
			notes = append(notes, "OOM-killed once")
		case ooms > 1:
			notes = append(notes, fmt.Sprintf("OOM-killed %d times", ooms))
		}
	}
	if p := m.panes[paneKey{c.Pod, c.Name}]; p != nil && p.skipped > 0 {
		notes = append(notes, fmt.Sprintf("%d lines not shown (the view fell behind)", p.skipped))
	}
	return [4]string{ansi.Strip(c.Name), c.Role.String(), end, strings.Join(notes, ", ")}
}

// ran tells whether a state is one a container has once it ran.
func ran(s orchestrator.ContainerState) bool {
	switch s {
	case orchestrator.CStateRunning, orchestrator.CStateExited, orchestrator.CStateBackoff,
		orchestrator.CStateStopping, orchestrator.CStateStopped:
		return true
	}
	return false
}
