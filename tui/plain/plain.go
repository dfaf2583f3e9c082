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
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
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
	said       []string                      // failure texts printed
	failedPods map[string]bool               // pods whose failure was printed
	stackPhase map[string]orchestrator.Phase // stack label → its phase last printed or passed over
}

// New returns a Printer writing to w.
func New(w io.Writer, opts Options) *Printer {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Printer{w: bufio.NewWriterSize(w, 64<<10), opts: opts, colors: map[string]string{}, images: map[string]bool{}, stackPhase: map[string]orchestrator.Phase{},
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
	case orchestrator.ProbeEvent:
		p.probe(e)
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
