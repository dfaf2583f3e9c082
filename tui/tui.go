// Package tui is sidecar's interactive terminal view: every container's logs side by side,
// one column per container of a pod, under title bars with each container's state, health,
// restarts, CPU and memory; start-up progress; search, filters, mute and solo; and control
// of the containers and the stack (restart, stop, start, shell, quit).
//
// It is a pure consumer of the orchestrator's event stream: it reads a Subscription and
// sends commands through a Controller, and never calls the container engine itself (the one
// exception is the shell, `e`, which runs the docker CLI in the terminal). See docs/tui.md.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Subscription is the event stream the view reads; *orchestrator.Subscription is one.
type Subscription interface {
	// Next blocks until events are available, and returns io.EOF once the stack is done
	// and everything was read.
	Next(ctx context.Context) ([]orchestrator.Event, error)
	// TryNext returns what is available now, without blocking.
	TryNext() []orchestrator.Event
	Close()
}

// Commands are what the view asks of the orchestrator; *orchestrator.Orchestrator has them.
// They must not block.
type Commands interface {
	RestartContainer(pod, container string) error
	StopContainer(pod, container string) error
	StartContainer(pod, container string) error
	// Shutdown tears the stack down gracefully (q); Interrupt too, as after Ctrl-C (exit
	// 130); Kill at once (a second q or Ctrl-C).
	Shutdown()
	Interrupt()
	Kill()
}

// Controller is the orchestrator as the view uses it: *orchestrator.Orchestrator satisfies
// Controller[*orchestrator.Subscription], so `tui.Run(ctx, orch, opts)` needs no adapter,
// and tests pass a fake.
type Controller[S Subscription] interface {
	Commands
	SubscribeWith(orchestrator.SubscribeOptions) S
}

// Options tune the view. The zero value works on the process's terminal.
type Options struct {
	// Pod is the pod shown first (default: the first).
	Pod string
	// Input and Output are the terminal (default os.Stdin, os.Stdout).
	Input  io.Reader
	Output io.Writer
	// Environ is the environment the terminal's capabilities and colours are detected
	// from (NO_COLOR, TERM, …); default os.Environ().
	Environ []string
	// Docker is the docker CLI the shell key runs (default "docker"); Shell the shell it
	// starts in the container (default "sh").
	Docker, Shell string
	// LogLines is how many lines each column keeps (default orchestrator.DefaultLogLines).
	LogLines int
	// Timestamps starts the view with each line's time shown (t toggles it).
	Timestamps bool
	// NoColor draws without colour (bold, reverse and underline stay), as NO_COLOR set to
	// anything in Environ does.
	NoColor bool
	// FPS is the most frames a second the view draws, and batches of events it takes
	// (default 60).
	FPS int
	// Now and Location are the clock and time zone of uptimes, countdowns and timestamps
	// (default time.Now, time.Local).
	Now      func() time.Time
	Location *time.Location
	// Signals delivers the interrupts the view handles (each one is like Ctrl-C); nil: the
	// process's own SIGINT, SIGTERM and SIGHUP (the terminal went away) while it runs.
	Signals <-chan os.Signal
	// Attached is the view of a stack another process runs (sidecar attach): q, Ctrl-C and
	// the signals leave the view and the stack running; Q stops the stack (see attached.go).
	Attached bool
	// Warnings are what the recipe's loader warned about (an unsupported compose key, a
	// dropped field), one a line: the header counts them and W lists them; the caller
	// prints them again once the view has ended.
	Warnings []string

	// programOptions are extra bubbletea options (tests and benchmarks).
	programOptions []tea.ProgramOption
}

func (o Options) withDefaults() Options {
	if o.Input == nil {
		o.Input = os.Stdin
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.Docker == "" {
		o.Docker = "docker"
	}
	if o.Shell == "" {
		o.Shell = "sh"
	}
	if o.LogLines <= 0 {
		o.LogLines = orchestrator.DefaultLogLines
	}
	if o.FPS <= 0 {
		o.FPS = 60
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	return o
}

// colorless tells whether the view draws without colour: NoColor, or NO_COLOR set to
// anything (https://no-color.org; bubbletea's own detection takes only NO_COLOR=1/true, and
// only on a terminal it recognises).
func (o Options) colorless() bool {
	if o.NoColor {
		return true
	}
	for _, kv := range o.Environ {
		if v, ok := strings.CutPrefix(kv, "NO_COLOR="); ok && v != "" {
			return true
		}
	}
	return false
}

// subscribeOptions are the view's subscription: log lines included, in large steps.
var subscribeOptions = orchestrator.SubscribeOptions{MaxLogLines: 5000}

// Run shows the stack that c runs until the stack is done and its stream has ended (or,
// after a failure, until the user has read it and quits). Start c's Run before or after:
// the subscription begins with a snapshot and every buffered log line. Interrupts
// (SIGINT, SIGTERM, SIGHUP; Options.Signals) are the view's to handle while it runs: they
// stop the stack like Ctrl-C. If the view fails (its terminal goes away), it interrupts
// the stack and returns the error; the caller still waits for the orchestrator's Run to
// return.
func Run[S Subscription](ctx context.Context, c Controller[S], opts Options) error {
	sub := c.SubscribeWith(subscribeOptions)
	defer sub.Close()
	return Show(ctx, sub, c, opts)
}

// Show is Run on a subscription the caller made (and closes): for a caller that chooses
// between views after subscribing. The subscription must carry log lines.
func Show(ctx context.Context, sub Subscription, c Commands, opts Options) error {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	m := newModel(ctx, sub, c, opts)
	popts := []tea.ProgramOption{
		tea.WithContext(ctx),
		tea.WithInput(opts.Input),
		tea.WithOutput(opts.Output),
		tea.WithEnvironment(opts.Environ),
		tea.WithFPS(opts.FPS),
		// The view handles interrupts itself: bubbletea's handler quits at the first one
		// and leaves the second to kill the process.
		tea.WithoutSignalHandler(),
	}
	if opts.colorless() {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	popts = append(popts, opts.programOptions...)
	p := tea.NewProgram(m, popts...)

	// Every SIGINT, SIGTERM or SIGHUP is an interrupt: the first stops the stack
	// gracefully, the next ones force it, as Ctrl-C does.
	sigs := opts.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		if signal.Ignored(syscall.SIGHUP) { // nohup: the view outlives its terminal
			signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		} else {
			signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		}
		defer signal.Stop(ch)
		sigs = ch
	}
	go func() {
		for {
			select {
			case <-sigs:
				p.Send(interruptMsg{})
			case <-ctx.Done():
				return
			}
		}
	}()

	final, err := p.Run()
	fm, _ := final.(*model)
	if fm != nil && fm.endErr != nil && err == nil {
		err = fm.endErr
	}
	if fm != nil && err == nil {
		// Out of the alternate screen: what happened stays on the terminal.
		_, _ = io.WriteString(opts.Output, fm.summary())
	}
	if err != nil {
		c.Interrupt()
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return fmt.Errorf("terminal view: %w", context.Cause(ctx))
		}
		return fmt.Errorf("terminal view: %w", err)
	}
	return nil
}

// interruptMsg is SIGINT or SIGTERM while the view runs.
type interruptMsg struct{}
