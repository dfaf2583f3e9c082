package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

// DownOptions are the inputs of `sidecar down`.
type DownOptions struct {
	IO      *IOStreams
	Factory *Factory

	File    recipeFiles
	Stack   string        // from --stack; else the recipe's name
	Timeout time.Duration // 0: not given

	Connect    func(context.Context) (engine, error)
	ControlDir string
}

var downHelp = help{
	Use:   "down [-f FILE | --stack NAME] [--timeout D]",
	Short: "Stop a stack and remove everything it created",
	Long: `
Stop a stack and remove everything it created: its containers, pod volumes and
network. The stack is the recipe's (-f, default ./sidecar.yaml), or the one named
with --stack.

When a sidecar up is running the stack, down asks it to shut down and waits until
it has: up stops main first, then the sidecars in reverse order, removes
everything and exits 0. Otherwise (up was killed, or the machine restarted) down
finds the stack's containers on the engine by their labels and tears them down the
same way, in lifecycle order. Only objects labelled with the stack's name are
touched. A stack with nothing left is not an error.

--timeout D is how long containers get to stop before they are killed: the stop
budget of each pod when down tears the stack down itself (default: the one the
pod was created with, 30s unless its recipe said otherwise); with a running up,
how long down waits before asking up to remove everything at once.`,
	Example: `
  sidecar down                         # the stack of ./sidecar.yaml
  sidecar down --stack demo
  sidecar down -f sidecar.yaml.example --timeout 5s`,
}

func newDownCmd(f *Factory, runF func(*DownOptions) error) *cobra.Command {
	opts := &DownOptions{IO: f.IO, Factory: f}
	parse := func(cmd *cobra.Command, v *viper.Viper, _ []string) error {
		opts.Timeout = v.GetDuration("timeout")
		if opts.Timeout < 0 {
			return usageErrorf(cmd, "--timeout must not be negative, got %s", opts.Timeout)
		}
		if opts.Connect == nil {
			opts.Connect = func(ctx context.Context) (engine, error) { return connectEngine(ctx, f) }
		}
		return nil
	}
	cmd := downHelp.command(noArgs, runE(f, opts, runF, downRun, onStack(f, &opts.File, &opts.Stack, parse)))
	cmd.Flags().String("stack", "", "name of the stack to stop (instead of reading -f)")
	cmd.Flags().Duration("timeout", 0, "how long containers get to stop before they are killed (e.g. 10s)")
	// docker compose keeps named volumes unless told -v; sidecar's volumes are the stack's
	// own and always go with it, so the habit is accepted and changes nothing.
	cmd.Flags().BoolP("volumes", "v", false, "accepted, as docker compose down takes it: down always removes the stack's volumes")
	return cmd
}

func downRun(ctx context.Context, opts *DownOptions) error {
	name, _, err := stackOf(opts.Factory, opts.IO, opts.ControlDir, opts.Stack, opts.File,
		"To stop a stack without its recipe, name it: sidecar down --stack NAME (sidecar ps lists the stacks)")
	if err != nil {
		return err
	}
	dir, err := opts.Factory.controlDirOf(opts.ControlDir)
	if err != nil {
		return err
	}
	printer := plain.New(opts.IO.Out, plain.Options{
		Color: plain.ColorEnabled(opts.IO.IsTTY, false, opts.Factory.getenv()),
	})
	show := func(ev orchestrator.Event) { _ = printer.Print([]orchestrator.Event{ev}) }

	if c, live := dialControl(dir, name); live {
		done, err := downLive(ctx, opts, c, name, show)
		if done || err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "sidecar: the up running stack %s went away before it finished: removing what is left\n", name)
	}

	rt, err := opts.Connect(ctx)
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	defer rt.Close()
	res, err := orchestrator.Down(ctx, rt, name, orchestrator.DownOptions{Grace: opts.Timeout, Events: show})
	if err != nil {
		return fmt.Errorf("tear down stack %s: %w", name, err)
	}
	if res.Empty() {
		fmt.Fprintf(opts.IO.Out, "Nothing of stack %s is on the engine: nothing to do.\n", name)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "Removed stack %s: %s.\n", name, removedSummary(res))
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	return nil
}

// downLive asks the up running the stack to shut down and follows it until the stack is
// released. done is false when that up went away before it finished.
func downLive(ctx context.Context, opts *DownOptions, c *control.Client, name string, show func(orchestrator.Event)) (done bool, err error) {
	who, _ := ownerOf(ctx, c)
	fmt.Fprintf(opts.IO.ErrOut, "sidecar: stack %s is run by %s: asking it to stop\n", name, who)
	kill := func() {
		kctx, cancel := context.WithTimeout(context.Background(), controlDialWait)
		defer cancel()
		_ = c.Kill(kctx)
	}
	forced := make(chan struct{})
	var timeout <-chan time.Time
	if opts.Timeout > 0 {
		t := time.NewTimer(opts.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		select {
		case <-ctx.Done():
			fmt.Fprintln(opts.IO.ErrOut, "sidecar: interrupted: removing everything now")
		case <-timeout:
			fmt.Fprintf(opts.IO.ErrOut, "sidecar: not stopped after %s: removing everything now\n", opts.Timeout)
		case <-watchDone:
			return
		}
		close(forced)
		kill()
	}()
	final, err := c.Shutdown(context.WithoutCancel(ctx), downProgress(show))
	if err != nil {
		return false, &ExitError{Code: exitFailure, Err: err}
	}
	if final == nil {
		return false, nil
	}
	if ctx.Err() != nil {
		return true, ErrInterrupted
	}
	if len(final.Left) > 0 { // the engine was unreachable: that up had to leave them
		return true, &ExitError{Code: exitFailure, Err: fmt.Errorf("stack %s was stopped, not removed: the engine did not answer, and %s are left on it; run `sidecar down --stack %s` again once it answers",
			name, strings.Join(final.Left, ", "), name)}
	}
	select {
	case <-forced:
		fmt.Fprintf(opts.IO.Out, "Stopped stack %s (forced).\n", name)
	default:
		fmt.Fprintf(opts.IO.Out, "Stopped stack %s.\n", name)
	}
	return true, nil
}

// downProgress shows the teardown that down asked of the up running the stack. The stack's
// end is down's doing then, and its exit code — up's, 0 or 130 by how up was asked to stop —
// says nothing of the stack: its line says only that it is done, as "Stopped stack" follows.
// A stack that was ending already when down asked (main had exited, or up was interrupted)
// ended on its own: its exit code is said.
func downProgress(show func(orchestrator.Event)) func(orchestrator.Event) {
	ending := false
	return func(ev orchestrator.Event) {
		switch e := ev.(type) {
		case orchestrator.SnapshotEvent:
			switch e.Stack.Phase {
			case orchestrator.PhaseStopping, orchestrator.PhaseDone, orchestrator.PhaseFailed:
				ending = true
			}
		case orchestrator.StackEvent:
			if e.Phase == orchestrator.PhaseDone && !ending {
				e.ExitCode = nil
				ev = e
			}
		}
		show(ev)
	}
}

func removedSummary(r orchestrator.DownResult) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, plural(n, what))
		}
	}
	add(len(r.Containers), "container")
	add(len(r.Volumes), "volume")
	add(len(r.Networks), "network")
	s := strings.Join(parts, ", ")
	if len(r.Killed) > 0 {
		s += fmt.Sprintf(" (%s needed SIGKILL)", strings.Join(r.Killed, ", "))
	}
	return s
}
