package plain

import (
	"fmt"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The lines each kind of event prints.

// container prints what changed in one container's state.
func (p *Printer) container(e orchestrator.ContainerEvent) {
	n := e.ContainerView
	var o orchestrator.ContainerView
	if pod := p.view.Pod(n.Pod); pod != nil {
		if c := pod.Container(n.Name); c != nil {
			o = *c
		}
	}
	label := p.label(n.Pod, n.Name)
	say := func(lvl level, text string) { p.tool(e.Time, label, lvl, text) }
	wasUp := o.State == orchestrator.CStateRunning || o.State == orchestrator.CStateStopping
	started := func() {
		if n.Restarts > 0 {
			say(levelNone, fmt.Sprintf("started (restart %d)", n.Restarts))
		} else {
			say(levelNone, "started")
		}
	}
	// A run that ended before anyone saw it running (a quick init container, a crash at
	// start) was still started: say so before saying how it ended. From back-off to exited
	// (a teardown during the wait) no run began, nor from exited to back-off of one run (the
	// exit was seen before the restart was decided).
	sameRun := !o.StartedAt.IsZero() && n.StartedAt.Equal(o.StartedAt)
	if !wasUp && (n.State == orchestrator.CStateExited || n.State == orchestrator.CStateBackoff) &&
		o.State != n.State && o.State != orchestrator.CStateBackoff && !n.StartedAt.IsZero() && !sameRun {
		started()
	}
	switch n.State {
	case orchestrator.CStateRunning:
		if !wasUp {
			started()
		}
		if n.Health != o.Health {
			switch n.Health {
			case orchestrator.HealthReady:
				say(levelNone, "ready")
			case orchestrator.HealthNotReady:
				say(levelWarning, "not ready")
			case orchestrator.HealthHealthy:
				say(levelNone, "healthy")
			case orchestrator.HealthUnhealthy:
				say(levelWarning, "unhealthy (its image's HEALTHCHECK fails)")
			}
		}
	case orchestrator.CStateExited:
		if n.Role == recipes.RoleInfra && p.stopping() {
			return // removed at the end of a teardown: killed, as it should be
		}
		switch o.State {
		case orchestrator.CStateExited:
		case orchestrator.CStateBackoff:
			// The exit was said with the back-off; a teardown or the user's stop only cancels
			// the restart.
			why := "the pod is stopping"
			if !p.stopping() && n.Reason != "" && !strings.HasPrefix(n.Reason, "pod stopping") {
				why = n.Reason
			}
			say(levelNone, "restart cancelled: "+why)
		default:
			say(exitLevel(n), "exited "+exitText(n))
		}
	case orchestrator.CStateBackoff:
		switch {
		case o.State == orchestrator.CStateExited && sameRun:
			say(levelWarning, "restarting in "+short(n.RestartIn.D())) // its exit is said
		case o.State != orchestrator.CStateBackoff || !o.RestartAt.Equal(n.RestartAt):
			say(levelWarning, fmt.Sprintf("exited %s, restarting in %s", exitText(n), short(n.RestartIn.D())))
		}
	case orchestrator.CStateStopping:
		if o.State != orchestrator.CStateStopping {
			text := fmt.Sprintf("stopping (grace %s)", short(n.StopGrace.D()))
			if n.Reason != "" && !strings.HasPrefix(n.Reason, "pod stopping") {
				text += ": " + n.Reason
			}
			say(levelNone, text)
		}
	case orchestrator.CStateStopped:
		if o.State != orchestrator.CStateStopped {
			switch {
			case n.Killed && o.StopGrace > 0:
				say(levelWarning, fmt.Sprintf("killed (SIGKILL after its grace of %s)", short(o.StopGrace.D())))
			case n.Killed:
				say(levelWarning, "killed (SIGKILL)")
			case n.ExitCode == nil && n.Reason != "":
				say(levelNone, "stopped ("+n.Reason+")") // it has not run: created, held by the user
			default:
				say(levelNone, "stopped ("+exitText(n)+")")
			}
		}
	}
}

// hook prints how a lifecycle hook went: "post-start hook passed in 12ms", "pre-stop hook
// failed: …" (a warning). That one was sent shows in what follows.
func (p *Printer) hook(e orchestrator.HookEvent) {
	label := p.label(e.Pod, e.Container)
	switch e.Phase {
	case orchestrator.HookPassed:
		p.tool(e.Time, label, levelNone, fmt.Sprintf("%s hook passed in %s", e.Hook, short(e.Duration.D())))
	case orchestrator.HookFailed:
		p.tool(e.Time, label, levelWarning, fmt.Sprintf("%s hook failed: %s", e.Hook, e.Error))
	}
}

// probe prints that a container's startup probe passed — "startup probe passed in 4.4s" —
// which is when what waits for it may start.
func (p *Printer) probe(e orchestrator.ProbeEvent) {
	p.tool(e.Time, p.label(e.Pod, e.Container), levelNone, fmt.Sprintf("%s probe passed in %s", e.Probe, short(e.Duration.D())))
}

// stopping reports whether the stack is being torn down.
func (p *Printer) stopping() bool {
	switch p.view.Phase {
	case orchestrator.PhaseStopping, orchestrator.PhaseDone, orchestrator.PhaseFailed:
		return true
	}
	return false
}

func exitText(c orchestrator.ContainerView) string {
	s := "?"
	if c.ExitCode != nil {
		s = fmt.Sprint(*c.ExitCode)
	}
	if c.OOMKilled {
		s += " (OOM-killed)"
	}
	if c.State == orchestrator.CStateStopped {
		return "exit " + s
	}
	return s
}

func exitLevel(c orchestrator.ContainerView) level {
	if c.ExitCode != nil && *c.ExitCode == 0 {
		return levelNone
	}
	return levelWarning
}

// short rounds a duration for reading: 4s, 2.5s, 1m30s.
func short(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// pod prints a pod's failures and re-creations, and with several pods its main phases.
func (p *Printer) pod(e orchestrator.PodEvent) {
	label := e.Pod
	if !p.multi {
		label = p.view.Name
	}
	old := p.view.Pod(e.Pod)
	if old != nil && old.Phase == e.Phase && old.Reason == e.Reason {
		return
	}
	switch e.Phase {
	case orchestrator.PhaseFailed:
		if p.failedPods[e.Pod] {
			return // the pod's final phase, after its teardown: its failure was said
		}
		p.failedPods[e.Pod] = true
		text := withReason("pod "+e.Pod+" failed", e.Reason)
		p.say(text, e.Reason)
		p.tool(e.Time, label, levelError, text)
	case orchestrator.PhaseRecreating:
		p.tool(e.Time, label, levelWarning, withReason("re-creating pod "+e.Pod, e.Reason))
	case orchestrator.PhaseCompleted:
		if old == nil || old.Phase != e.Phase {
			p.tool(e.Time, label, levelNone, withReason("pod "+e.Pod+" completed", strings.TrimPrefix(e.Reason, "job completed: ")))
		}
	case orchestrator.PhaseRunning, orchestrator.PhaseStopping, orchestrator.PhaseDone:
		if p.multi && (old == nil || old.Phase != e.Phase) {
			p.tool(e.Time, label, levelNone, "pod "+e.Pod+" "+e.Phase.String())
		}
	}
}

func withReason(s, reason string) string {
	if reason == "" {
		return s
	}
	return s + ": " + reason
}

// stack prints the stack's phases that matter to a reader: running, stopping (and why),
// done or failed (with the exit code).
func (p *Printer) stack(e orchestrator.StackEvent) {
	label := p.stackLabel(e.Stack)
	was, seen := p.stackPhase[label]
	p.stackPhase[label] = e.Phase
	switch e.Phase {
	case orchestrator.PhaseRunning:
		if seen && was == orchestrator.PhaseRunning {
			return // said already: a pod that completed or was added leaves it running
		}
		p.tool(e.Time, label, levelNone, "stack "+e.Stack+" is running")
	case orchestrator.PhaseStopping:
		reason := p.unsaid(e.Reason)
		p.say(reason)
		p.tool(e.Time, label, levelNone, withReason("stopping", reason))
	case orchestrator.PhaseDone, orchestrator.PhaseFailed:
		text := "done"
		lvl := levelNone
		if e.Phase == orchestrator.PhaseFailed {
			text, lvl = "failed", levelError
			text = withReason(text, p.unsaid(e.Reason))
		}
		if e.ExitCode != nil {
			text += fmt.Sprintf(" (exit code %d)", *e.ExitCode)
		}
		p.tool(e.Time, label, lvl, text)
	}
}

// say records failure texts as printed.
func (p *Printer) say(texts ...string) {
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			p.said = append(p.said, t)
		}
	}
}

// unsaid is what a reason adds to the failures printed already: its lines (errors joined
// with errors.Join are one per line) that contain none of them, joined with "; ".
func (p *Printer) unsaid(reason string) string {
	var out []string
	for _, line := range strings.Split(reason, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		said := false
		for _, t := range p.said {
			said = said || strings.Contains(line, t)
		}
		if !said {
			out = append(out, line)
		}
	}
	return strings.Join(out, "; ")
}

// stackLabel names the stack on its own lines. It does not widen the name column: a long
// stack name would push every container's lines to the right.
func (p *Printer) stackLabel(name string) string {
	if name == "" {
		name = p.view.Name
	}
	return name
}

// image prints one line per image when it is ready (or failed), and one when a build or
// pull starts; the engine's step-by-step progress is left out. A watch's rebuild is told
// on its container's lines instead, with each build step; its start and end are the
// watch's own lines.
func (p *Printer) image(e orchestrator.ImageEvent) {
	if label, step, ok := p.rebuilds.Image(e); ok {
		if step != "" {
			p.tool(e.Time, label, levelNone, "build: "+step)
		}
		return
	}
	label := p.stackLabel(p.view.Name)
	what := "image " + e.Ref
	if e.Action == orchestrator.ImageInfra {
		what = "infra image " + e.Ref
	}
	if !e.Done {
		if !p.images[e.Ref] && (e.Action == orchestrator.ImageBuild || e.Action == orchestrator.ImagePull) {
			p.images[e.Ref] = true
			verb := "building"
			if e.Action == orchestrator.ImagePull {
				verb = "pulling"
			}
			p.tool(e.Time, label, levelNone, verb+" "+what)
		}
		return
	}
	if e.Error != "" {
		text := e.Error
		if !strings.Contains(text, e.Ref) {
			text = what + ": " + text
		}
		p.say(e.Error)
		p.tool(e.Time, label, levelError, text)
		return
	}
	state := map[orchestrator.ImageAction]string{
		orchestrator.ImagePresent: "present",
		orchestrator.ImageBuild:   "built",
		orchestrator.ImagePull:    "pulled",
		orchestrator.ImageInfra:   "ready",
	}[e.Action]
	p.tool(e.Time, label, levelNone, what+": "+state)
}

// watch prints what a watch saw and did, on the lines of the container concerned:
// "web * changed: web/index.html → rebuild", "web * synced 1 file (15 B) in 40ms".
func (p *Printer) watch(e orchestrator.WatchEvent) {
	label := p.stackLabel(p.view.Name)
	if e.Container != "" {
		label = p.label(e.Pod, e.Container)
	}
	p.rebuilds.Watch(e, label)
	lvl := levelNone
	switch e.Level() {
	case orchestrator.LevelWarning:
		lvl = levelWarning
	case orchestrator.LevelError:
		lvl = levelError
		p.say(e.Error)
	}
	p.tool(e.Time, label, lvl, e.Text())
}

func (p *Printer) leftovers(e orchestrator.LeftoversEvent) {
	var parts []string
	add := func(kind string, names []string) {
		if len(names) == 0 {
			return
		}
		if len(names) > 1 {
			kind += "s"
		}
		parts = append(parts, kind+" "+strings.Join(names, ", "))
	}
	add("container", e.Containers)
	add("network", e.Networks)
	add("volume", e.Volumes)
	if len(parts) == 0 {
		return
	}
	p.tool(e.Time, p.stackLabel(p.view.Name), levelWarning,
		"removed what an earlier run of this stack left behind: "+strings.Join(parts, "; "))
}

func (p *Printer) message(e orchestrator.MessageEvent) {
	var label string
	switch {
	case e.Container != "":
		label = p.label(e.Pod, e.Container)
	case e.Pod != "" && p.multi:
		label = e.Pod
	default:
		label = p.stackLabel(p.view.Name)
	}
	lvl, prefix := levelNone, ""
	switch e.Level {
	case orchestrator.LevelWarning:
		lvl, prefix = levelWarning, "warning: "
	case orchestrator.LevelError:
		lvl, prefix = levelError, "error: "
		p.say(e.Text)
	}
	p.tool(e.Time, label, lvl, prefix+e.Text)
	if e.Hint != "" {
		p.tool(e.Time, label, levelNone, "hint: "+e.Hint)
	}
}
