package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

// ContainersOptions are the inputs of `sidecar restart|stop|start`.
type ContainersOptions struct {
	IO      *IOStreams
	Factory *Factory

	Verb       string // control.VerbRestart, VerbStop or VerbStart
	File       recipeFiles
	Stack      string
	Containers []string // as on the command line; none: every app container

	ControlDir string
	// Connect reaches the engine, to say what it has of a stack nobody runs; nil: the
	// environment's.
	Connect func(context.Context) (engine, error)
}

// containerVerbs are the three commands, with their help.
var containerVerbs = []struct {
	verb, short, long, done string
}{
	{control.VerbRestart, "Restart containers of a running stack, in lifecycle order",
		"Restart containers (all of the stack's sidecars and mains when none is named): each is\nstopped — main first, then the sidecars in reverse order — then started again,\nthe sidecars in order, each started (and ready, with a ready probe and gate\nready) before the next, main last. The infra container, the network and the\ncontainers not named are not touched: restarting main keeps the sidecars\nrunning.", "Restarted"},
	{control.VerbStop, "Stop containers of a running stack, and keep them stopped",
		"Stop containers (all of the stack's sidecars and mains when none is named), main\nfirst, then the sidecars in reverse order, each with its stop signal and its\ngrace. A stopped container is not restarted (no back-off) until sidecar start;\na stopped main does not end the stack.", "Stopped"},
	{control.VerbStart, "Start stopped containers of a running stack",
		"Start containers stopped with sidecar stop (all of the stack's sidecars and\nmains when none is named): the sidecars in order, each started (and ready,\nwith a ready probe and gate ready) before the next, main last.", "Started"},
}

func newContainersCmds(f *Factory, runF func(*ContainersOptions) error) []*cobra.Command {
	var out []*cobra.Command
	for _, cv := range containerVerbs {
		out = append(out, newContainersCmd(f, cv.verb, cv.short, cv.long, runF))
	}
	return out
}

func newContainersCmd(f *Factory, verb, short, long string, runF func(*ContainersOptions) error) *cobra.Command {
	opts := &ContainersOptions{IO: f.IO, Factory: f, Verb: verb}
	cmd := &cobra.Command{
		Use:   verb + " [-f FILE | --stack NAME] [container...]",
		Short: short,
		Long: long + `

Containers are named as in the recipe, or pod/container when several pods have a
container of that name; init containers take no commands. The stack must be run by
a sidecar up (detached with up -d, or in another terminal), which does it so that
the lifecycle stays its own; it returns once done, exit 1 if a started container
exited at once (it is restarted with back-off), 2 for a name the stack has not.`,
		Example: fmt.Sprintf("  sidecar %s web\n  sidecar %s --stack demo proxy web\n  sidecar %s                        # the whole stack", verb, verb, verb),
		RunE: runE(f, opts, runF, containersRun, onStack(f, &opts.File, &opts.Stack, func(_ *cobra.Command, _ *viper.Viper, args []string) error {
			opts.Containers = args
			return nil
		})),
	}
	cmd.Flags().String("stack", "", "name of the stack (instead of reading -f)")
	return cmd
}

func containersRun(ctx context.Context, opts *ContainersOptions) error {
	name, c, err := stackOwner(ctx, opts.Factory, opts.IO, opts.ControlDir, opts.Stack, opts.File, "sidecar "+opts.Verb+" --stack NAME", opts.Connect)
	if err != nil {
		return err
	}
	printer := plain.New(opts.IO.Out, plain.Options{Color: plain.ColorEnabled(opts.IO.IsTTY, false, opts.Factory.getenv())})
	err = c.Command(ctx, opts.Verb, opts.Containers, func(ev orchestrator.Event) {
		switch ev.(type) {
		case orchestrator.SnapshotEvent, orchestrator.ContainerEvent, orchestrator.HookEvent, orchestrator.ProbeEvent, orchestrator.MessageEvent:
			_ = printer.Print([]orchestrator.Event{ev})
		}
	})
	var ce *control.Error
	switch {
	case ctx.Err() != nil:
		return ErrInterrupted
	case errors.As(err, &ce):
		return &ExitError{Code: ce.ExitCode(), Err: err}
	case err != nil:
		return &ExitError{Code: exitFailure, Err: err}
	}
	what := "every container"
	if len(opts.Containers) > 0 {
		what = strings.Join(opts.Containers, ", ")
	}
	for _, cv := range containerVerbs {
		if cv.verb == opts.Verb {
			fmt.Fprintf(opts.IO.Out, "%s %s of stack %s.\n", cv.done, what, name)
		}
	}
	return nil
}
