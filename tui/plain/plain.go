// Package plain prints a stack's event stream as lines, for `sidecar up` when its output is not
// a terminal (or with --plain): each container's output as `container | line` (`pod/container
// | line` when the stack has several pods), with the names padded to one width, and lifecycle
// events — started, ready, exited, restarting, stopping, stopped, killed, lifecycle hooks,
// a job pod completed, images, leftovers, warnings, what a watch saw and did — as lines of
// their own, `name * what happened`. JSON writes every event as one
// JSON object per line instead, for machines.
//
// Both are plain subscribers of the orchestrator's event stream: they read a Subscription and
// never hold the orchestrator up (state events queue without bound, log lines sit in bounded
// ring buffers; a printer that falls behind is told how many lines it missed, and says so).
//
// Nothing reaches the output that could drive a terminal: a container's text is sanitised
// (termsafe: its colours kept only with Color, every other escape sequence and control removed),
// and so is every text of the tool's own lines, which can quote the engine or a container
// (reasons, errors, hints). The JSON printer writes container text without escape sequences.
package plain

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui/internal/rebuild"
)

// Options configure a Printer.
type Options struct {
	// Color gives every container's name a stable colour of its own (distinct for up to ten
	// containers) and marks warnings and errors. Set it only when the output is a terminal;
	// ColorEnabled decides it as the CLI does.
	Color bool
	// Timestamps starts every line with its time: the engine's timestamp for a container's
	// line, the orchestrator's for a lifecycle line.
	Timestamps bool
	// Location is the time zone of timestamps (nil: the local one).
	Location *time.Location
}

// TimeFormat is the layout of --timestamps: RFC 3339 with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// ColorEnabled reports whether output should be coloured: only on a terminal, unless
// --no-color was given or NO_COLOR is set to anything non-empty (https://no-color.org).
func ColorEnabled(isTTY, noColor bool, getenv func(string) string) bool {
	if !isTTY || noColor {
		return false
	}
	return getenv == nil || getenv("NO_COLOR") == ""
}

// Printer writes events as lines. Print and Run must not be called concurrently.
type Printer struct {
	w    *bufio.Writer
	opts Options

	view     orchestrator.StackView
	started  bool // a snapshot was seen
	multi    bool // several pods: names are pod/container
	width    int
	colors   map[string]string      // label → SGR colour
	images   map[string]bool        // image refs whose start was announced
	rebuilds rebuild.Owners[string] // image refs a watch rebuilds → the label of the container
	prefixes map[[2]string]string   // (label, separator) → the line's start; cleared when the width changes

	// A failure is said once: where it happens (a pod's failure, an image that cannot be
	// had, an error message). The stack's "stopping" and "failed" lines, whose reason
	// repeats those, leave out what was said already.
	said       []string        // failure texts printed
	failedPods map[string]bool // pods whose failure was printed
}

// New returns a Printer writing to w.
func New(w io.Writer, opts Options) *Printer {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Printer{w: bufio.NewWriterSize(w, 64<<10), opts: opts, colors: map[string]string{}, images: map[string]bool{},
		rebuilds: rebuild.Owners[string]{}, prefixes: map[[2]string]string{}, failedPods: map[string]bool{}}
}

// Run prints what sub delivers until the stream ends (then it returns nil) or ctx ends.
// Every batch is written out before the next is read.
func (p *Printer) Run(ctx context.Context, sub *orchestrator.Subscription) error {
	return Each(ctx, sub, p.Print)
}

// Each hands every batch sub delivers to handle, in order, until the stream ends (then it
// returns nil), ctx ends or handle fails (its error). The printers' Run are Each of their
// Print; a subscriber that does more with a batch than print it gives its own handle.
func Each(ctx context.Context, sub *orchestrator.Subscription, handle func([]orchestrator.Event) error) error {
	for {
		evs, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := handle(evs); err != nil {
			return err
		}
	}
}

// Print writes the lines of a batch of events and flushes them.
func (p *Printer) Print(evs []orchestrator.Event) error {
	for _, ev := range evs {
		p.event(ev)
	}
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("write the stack's output: %w", err)
	}
	return nil
}

func (p *Printer) event(ev orchestrator.Event) {
	switch e := ev.(type) {
	case orchestrator.SnapshotEvent:
		p.snapshot(e)
	case orchestrator.LogEvent:
		label := p.label(e.Pod, e.Container)
		if e.Marker {
			return // a restart marker: the container's own lines already say it restarted
		}
		p.line(e.Time, label, " | ", termsafe.Sanitize(e.Text, p.mode()))
	case orchestrator.LogsDroppedEvent:
		p.tool(e.Time, p.label(e.Pod, e.Container), levelWarning,
			fmt.Sprintf("%d lines of %s not shown: the output could not keep up", e.Count, e.Container))
	case orchestrator.ContainerEvent:
		p.container(e)
	case orchestrator.HookEvent:
		p.hook(e)
	case orchestrator.PodEvent:
		p.pod(e)
	case orchestrator.StackEvent:
		p.stack(e)
	case orchestrator.ImageEvent:
		p.image(e)
	case orchestrator.LeftoversEvent:
		p.leftovers(e)
	case orchestrator.MessageEvent:
		p.message(e)
	case orchestrator.WatchEvent:
		p.watch(e)
	}
	// Other event types (resource usage, ...) are for other views.
	p.view.Apply(ev)
}

// snapshot starts the printer: names, widths and colours come from the stack's shape.
func (p *Printer) snapshot(e orchestrator.SnapshotEvent) {
	p.started = true
	p.multi = len(e.Stack.Pods) > 1
	for _, pod := range e.Stack.Pods {
		for _, c := range pod.Containers {
			p.label(pod.Name, c.Name)
		}
	}
}

// label is how a container is named on its lines; the first call for a label gives it its
// colour and widens the name column if needed.
func (p *Printer) label(pod, container string) string {
	l := container
	if p.multi {
		l = pod + "/" + container
	}
	if _, ok := p.colors[l]; !ok {
		p.colors[l] = palette[len(p.colors)%len(palette)]
		if len(l) > p.width {
			p.width = len(l)
			clear(p.prefixes)
		}
	}
	return l
}

// Colours, as SGR parameters: the names' palette, then the tool's own marks.
var palette = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

const (
	sgrReset   = "\x1b[0m"
	sgrTool    = "1"    // bold
	sgrWarning = "1;33" // bold yellow
	sgrError   = "1;31" // bold red
)

type level int

const (
	levelNone level = iota
	levelWarning
	levelError
)

// line writes one line: [time] name<sep>text. text must be safe for the output already.
func (p *Printer) line(at time.Time, label, sep, text string) {
	if p.opts.Timestamps {
		if at.IsZero() {
			p.w.WriteString("- ")
		} else {
			var buf [40]byte
			p.w.Write(at.In(p.opts.Location).AppendFormat(buf[:0], TimeFormat))
			p.w.WriteByte(' ')
		}
	}
	key := [2]string{label, sep}
	prefix, ok := p.prefixes[key]
	if !ok {
		pad := strings.Repeat(" ", max(0, p.width-len(label)))
		label := termsafe.Plain(label) // names are checked where they are read; this is the last line of defence
		if p.opts.Color {
			prefix = "\x1b[" + p.colorOf(label) + "m" + label + sgrReset + pad + sep
		} else {
			prefix = label + pad + sep
		}
		p.prefixes[key] = prefix
	}
	p.w.WriteString(prefix)
	p.w.WriteString(text)
	p.w.WriteByte('\n')
}

// mode is how much of a container's text may pass: its colours only on a colour terminal.
func (p *Printer) mode() termsafe.Mode {
	if p.opts.Color {
		return termsafe.Color
	}
	return termsafe.Text
}

func (p *Printer) colorOf(label string) string {
	if c, ok := p.colors[label]; ok {
		return c
	}
	return sgrTool
}

// tool writes a line of the tool's own: name * text. text may quote the engine or a
// container, so it is made plain text first.
func (p *Printer) tool(at time.Time, label string, lvl level, text string) {
	text = termsafe.Plain(text)
	if p.opts.Color {
		switch lvl {
		case levelWarning:
			text = "\x1b[" + sgrWarning + "m" + text + sgrReset
		case levelError:
			text = "\x1b[" + sgrError + "m" + text + sgrReset
		}
		p.line(at, label, " \x1b["+sgrTool+"m*"+sgrReset+" ", text)
		return
	}
	p.line(at, label, " * ", text)
}

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
	// start) was still started: say so before saying how it ended.
	if !wasUp && (n.State == orchestrator.CStateExited || n.State == orchestrator.CStateBackoff) &&
		o.State != n.State && !n.StartedAt.IsZero() {
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
		if o.State != orchestrator.CStateExited {
			say(exitLevel(n), "exited "+exitText(n))
		}
	case orchestrator.CStateBackoff:
		if o.State != orchestrator.CStateBackoff || !o.RestartAt.Equal(n.RestartAt) {
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
	switch e.Phase {
	case orchestrator.PhaseRunning:
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

// JSON writes every event as one JSON object per line: the orchestrator's own JSON form of
// each event (see orchestrator.DecodeEvent), the snapshot first.
type JSON struct {
	w *bufio.Writer
}

// NewJSON returns a JSON printer writing to w.
func NewJSON(w io.Writer) *JSON { return &JSON{w: bufio.NewWriterSize(w, 64<<10)} }

// Run prints what sub delivers until the stream ends (then it returns nil) or ctx ends.
func (j *JSON) Run(ctx context.Context, sub *orchestrator.Subscription) error {
	return Each(ctx, sub, j.Print)
}

// Print writes a batch of events, one JSON object per line, and flushes them. A container's
// text is written without escape sequences (LogEvent.PlainText): JSON is for machines.
func (j *JSON) Print(evs []orchestrator.Event) error {
	for _, ev := range evs {
		if l, ok := ev.(orchestrator.LogEvent); ok {
			l.Text = l.PlainText()
			ev = l
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode a %s event: %w", ev.Type(), err)
		}
		j.w.Write(b)
		j.w.WriteByte('\n')
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write the stack's events: %w", err)
	}
	return nil
}
