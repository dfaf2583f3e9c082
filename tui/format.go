package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Words and glyphs for states, durations and sizes.

type textLine struct {
	kind  lineKind
	text  string
	start bool // the container started
	end   bool // the container's run ended or is ending
}

// lifecycleLines are the lines a container's change of state adds to its column.
func lifecycleLines(old *orchestrator.ContainerView, c orchestrator.ContainerView) []textLine {
	if old == nil {
		return nil // the snapshot's state is not an event: only what changes after it is
	}
	var out []textLine
	add := func(kind lineKind, format string, args ...any) {
		out = append(out, textLine{kind: kind, text: fmt.Sprintf(format, args...)})
	}
	was := *old
	if was.State != c.State {
		switch c.State {
		case orchestrator.CStateRunning:
			if c.Restarts > 0 {
				add(kindEvent, "▶ started (restart %d)", c.Restarts)
			} else {
				add(kindEvent, "▶ started")
			}
			out[len(out)-1].start = true
		case orchestrator.CStateExited:
			kind := kindEvent
			if exitFailed(c) {
				kind = kindError
			}
			add(kind, "■ %s", exitText(c))
		case orchestrator.CStateBackoff:
			add(kindWarn, "◷ %s, restarting in %s", exitText(c), fmtDuration(c.RestartIn.D()))
		case orchestrator.CStateStopping:
			if c.StopGrace > 0 {
				add(kindEvent, "■ stopping (SIGKILL after %s)", fmtDuration(c.StopGrace.D()))
			} else {
				add(kindEvent, "■ stopping")
			}
		case orchestrator.CStateStopped:
			if c.Killed {
				add(kindWarn, "■ stopped: killed (SIGKILL) after its grace period")
			} else {
				add(kindEvent, "■ stopped")
			}
		}
		switch c.State {
		case orchestrator.CStateExited, orchestrator.CStateBackoff, orchestrator.CStateStopping, orchestrator.CStateStopped:
			out[len(out)-1].end = true
		}
	}
	if c.State == orchestrator.CStateRunning && (was.Health != c.Health || was.State != c.State) {
		switch c.Health {
		case orchestrator.HealthReady:
			add(kindEvent, "✓ ready")
		case orchestrator.HealthNotReady:
			if was.Health != orchestrator.HealthNotReady {
				add(kindWarn, "✗ not ready")
			}
		case orchestrator.HealthHealthy:
			add(kindEvent, "✓ healthy (image HEALTHCHECK)")
		case orchestrator.HealthUnhealthy:
			add(kindWarn, "✗ unhealthy (image HEALTHCHECK; gates nothing)")
		}
	}
	// The reason adds what the line does not say already (exits say their code).
	exitReason := strings.HasPrefix(c.Reason, "exit code") || strings.HasPrefix(c.Reason, "OOM-killed")
	if c.Reason != "" && !exitReason && len(out) > 0 && !strings.Contains(out[len(out)-1].text, c.Reason) {
		out[len(out)-1].text += ": " + c.Reason
	}
	return out
}

// hookLine is the line a hook event adds to its container's column: a pre-stop hook sent
// (a post-start one is said by the start line: "▶ started: post-start hook running"), a
// hook that passed, one that failed.
func hookLine(e orchestrator.HookEvent) (textLine, bool) {
	action := ""
	if e.Action != "" {
		action = " (" + e.Action + ")"
	}
	switch e.Phase {
	case orchestrator.HookRunning:
		if e.Hook == orchestrator.HookPreStop {
			return textLine{kind: kindEvent, text: "◇ pre-stop hook" + action}, true
		}
	case orchestrator.HookPassed:
		if e.Hook == orchestrator.HookPreStop {
			action = "" // said when it was sent
		}
		return textLine{kind: kindEvent, text: fmt.Sprintf("◇ %s hook passed in %s%s", e.Hook, fmtScale(e.Duration.D()), action)}, true
	case orchestrator.HookFailed:
		return textLine{kind: kindWarn, text: fmt.Sprintf("◆ %s hook failed%s: %s", e.Hook, action, e.Error)}, true
	}
	return textLine{}, false
}

// probeLine is the line a probe event adds to its container's column: a startup probe
// that passed ("✓ startup probe passed in 4.4s"), when what waits for the container starts.
func probeLine(e orchestrator.ProbeEvent) (textLine, bool) {
	if e.Probe != orchestrator.ProbeStartup {
		return textLine{}, false
	}
	return textLine{kind: kindEvent, text: fmt.Sprintf("✓ startup probe passed in %s", fmtScale(e.Duration.D()))}, true
}

func exitFailed(c orchestrator.ContainerView) bool {
	return c.OOMKilled || (c.ExitCode != nil && *c.ExitCode != 0)
}

// exitWords say how a container's last run ended: in a few words for its column's line,
// and shorter for title bars and the header.
func exitWords(c orchestrator.ContainerView) (text, short string) {
	switch {
	case c.OOMKilled:
		return "exited: killed for lack of memory (OOM)", "OOM-killed"
	case c.ExitCode == nil:
		return "exited", "exited"
	}
	return fmt.Sprintf("exited with code %d", *c.ExitCode), fmt.Sprintf("exit %d", *c.ExitCode)
}

func exitText(c orchestrator.ContainerView) string { text, _ := exitWords(c); return text }

func exitShort(c orchestrator.ContainerView) string { _, short := exitWords(c); return short }

// stateText is how a state is said: its glyph, its word for title bars and the header, a
// shorter word for narrow titles (none: the word is short enough).
type stateText struct{ glyph, word, short string }

// said returns the glyph, the word and the short word.
func (t stateText) said() (glyph, word, short string) {
	if t.short == "" {
		return t.glyph, t.word, t.word
	}
	return t.glyph, t.word, t.short
}

// stateTexts say the states that need nothing else said; healthTexts a running container's
// health.
var (
	stateTexts = map[orchestrator.ContainerState]stateText{
		orchestrator.CStateWaiting:  {glyph: "○", word: "waiting"},
		orchestrator.CStateCreated:  {glyph: "○", word: "created"},
		orchestrator.CStateStarting: {glyph: "◌", word: "starting"},
		orchestrator.CStateStopped:  {glyph: "■", word: "stopped"},
		orchestrator.CStateRemoved:  {glyph: "–", word: "removed"},
	}
	healthTexts = map[orchestrator.Health]stateText{
		orchestrator.HealthReady:     {glyph: "✓", word: "ready"},
		orchestrator.HealthNotReady:  {glyph: "✗", word: "not ready"},
		orchestrator.HealthUnknown:   {"●", "running, not ready yet", "starting"},
		orchestrator.HealthStarting:  {"●", "running, health: starting", "running"},
		orchestrator.HealthHealthy:   {glyph: "✓", word: "healthy"},
		orchestrator.HealthUnhealthy: {glyph: "✗", word: "unhealthy"},
	}
)

// stateWord is a container's state in a few characters, with its glyph, for title bars and
// the header, and a shorter word for narrow titles; now counts down back-off and stop grace.
func stateWord(c *orchestrator.ContainerView, now time.Time) (glyph, word, short string) {
	if t, ok := stateTexts[c.State]; ok {
		return t.said()
	}
	switch c.State {
	case orchestrator.CStateRunning:
		if c.Reason != "" && (c.Health == orchestrator.HealthNone || c.Health == orchestrator.HealthUnknown) {
			// Why it is not started yet, in the orchestrator's words: "post-start hook
			// running".
			return "●", c.Reason, "starting"
		}
		if t, ok := healthTexts[c.Health]; ok {
			return t.said()
		}
		return "●", "running", "running"
	case orchestrator.CStateExited:
		if c.Role == recipes.RoleInit && !exitFailed(*c) {
			return "✓", "completed", "done"
		}
		if exitFailed(*c) {
			return "✗", exitShort(*c), exitShort(*c)
		}
		return "■", exitShort(*c), exitShort(*c)
	case orchestrator.CStateBackoff:
		left := fmtDuration(c.RestartAt.Sub(now))
		return "◷", "restart in " + left, "in " + left
	case orchestrator.CStateStopping:
		if !c.StopDeadline.IsZero() {
			left := fmtDuration(c.StopDeadline.Sub(now))
			return "■", "stopping, " + left + " left", "stop " + left
		}
		return "■", "stopping", "stopping"
	}
	return "?", c.State.String(), c.State.String()
}

// phaseGlyphs mark a stack's or pod's phase ("◌" for the others); levelGlyphs a message's
// level ("ℹ" for information).
var (
	phaseGlyphs = map[orchestrator.Phase]string{
		orchestrator.PhaseRunning:   "●",
		orchestrator.PhaseDone:      "■",
		orchestrator.PhaseCompleted: "✓",
		orchestrator.PhaseFailed:    "✗",
		orchestrator.PhaseStopping:  "■",
		orchestrator.PhasePending:   "○",
	}
	levelGlyphs = map[orchestrator.Level]string{
		orchestrator.LevelWarning: "⚠",
		orchestrator.LevelError:   "✗",
	}
)

func phaseGlyph(p orchestrator.Phase) string { return glyphOf(phaseGlyphs, p, "◌") }
func levelGlyph(l orchestrator.Level) string { return glyphOf(levelGlyphs, l, "ℹ") }

// glyphOf is k's glyph in table, or otherwise when it has none.
func glyphOf[K comparable](table map[K]string, k K, otherwise string) string {
	if g, ok := table[k]; ok {
		return g
	}
	return otherwise
}

// fmtDuration writes a duration the way a person reads a countdown or an uptime: 7s, 2m13s,
// 1h04m. Negative durations are 0s.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// fmtBytes writes a memory size in the units docker stats uses, short: 812KB, 12MB, 1.2GB.
func fmtBytes(n uint64) string {
	const k = 1024
	switch {
	case n < k:
		return fmt.Sprintf("%dB", n)
	case n < k*k:
		return fmt.Sprintf("%dKB", n/k)
	case n < 10*k*k*k:
		if n < k*k*k {
			return fmt.Sprintf("%dMB", n/(k*k))
		}
		return fmt.Sprintf("%.1fGB", float64(n)/(k*k*k))
	}
	return fmt.Sprintf("%dGB", n/(k*k*k))
}

// fmtCPU writes a CPU share: 0.4%, 12%, 230%.
func fmtCPU(p float64) string {
	if p < 10 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

func leftoversText(e orchestrator.LeftoversEvent) string {
	var parts []string
	count := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	count(len(e.Containers), "container", "containers")
	count(len(e.Networks), "network", "networks")
	count(len(e.Volumes), "volume", "volumes")
	if len(parts) == 0 {
		return ""
	}
	return "removed what an earlier run left behind: " + strings.Join(parts, ", ")
}
