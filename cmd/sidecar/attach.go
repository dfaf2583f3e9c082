package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// AttachOptions are the inputs of `sidecar attach`.
type AttachOptions struct {
	ownerOptions
}

// ownerOptions are the inputs of a command that shows what the process that runs a stack
// sends (attach, watch).
type ownerOptions struct {
	IO      *IOStreams
	Factory *Factory

	File  recipeFiles
	Stack string // from --stack; else the recipe's name

	viewOptions

	ControlDir string
	// Connect reaches the engine, to say what it has of a stack nobody runs; nil: the
	// environment's.
	Connect func(context.Context) (engine, error)
}

// owner is the stack's name and a client of the process that runs it (stackOwner; byName
// as there), with the UpOptions that show what it sends in the view o asks for.
func (o *ownerOptions) owner(ctx context.Context, byName string) (string, *control.Client, *UpOptions, error) {
	name, c, err := stackOwner(ctx, o.Factory, o.IO, o.ControlDir, o.Stack, o.File, byName, o.Connect)
	if err != nil {
		return "", nil, nil, err
	}
	return name, c, &UpOptions{IO: o.IO, Factory: o.Factory, viewOptions: o.viewOptions}, nil
}

var attachHelp = help{
	Use:   "attach [-f FILE | --stack NAME]",
	Short: "Show a running stack in the interactive view, and leave it running",
	Long: `
Show a stack that runs already — started with sidecar up -d, or by sidecar up in
another terminal — in the interactive view of sidecar up: every container's logs
side by side, from the history the stack keeps (--log-lines of it per
container), then live; state, search, restart/stop/start, a shell.

q (or Ctrl-C) leaves the view and the stack running. Q stops the stack; a second
Q removes everything at once. Several attaches at once are fine.

Off a terminal, or with --plain, it prints the history and then what comes as
"container | line" and lifecycle lines, until Ctrl-C (the stack keeps running) or
the stack ends.

The stack is the recipe's (-f, default ./sidecar.yaml), or the one named with
--stack.`,
	Example: `
  sidecar up -d && sidecar attach
  sidecar attach --stack demo`,
}

func newAttachCmd(f *Factory, runF func(*AttachOptions) error) *cobra.Command {
	opts := &AttachOptions{ownerOptions{IO: f.IO, Factory: f}}
	cmd := attachHelp.command(noArgs, runE(f, opts, runF, attachRun, onStack(f, &opts.File, &opts.Stack, opts.readView)))
	cmd.Flags().String("stack", "", "name of the stack (instead of reading -f)")
	addViewFlags(cmd, "lines of each container's output the view keeps")
	return cmd
}

func attachRun(ctx context.Context, opts *AttachOptions) error {
	_, c, up, err := opts.owner(ctx, "sidecar attach --stack NAME")
	if err != nil {
		return err
	}
	return up.showRemote(ctx, c, true)
}

// stackOf is the stack a command names: --stack, else the recipe's (-f), which it loads (st;
// nil when the stack is named). hint says how to name a stack without its recipe, for the
// message when there is no recipe (nameHint is the usual one).
func stackOf(f *Factory, io *IOStreams, dir, stack string, file recipeFiles, hint string) (name string, st *recipes.Stack, err error) {
	if stack != "" {
		return stack, nil, nil
	}
	st, err = loadReported(f, io.ErrOut, file)
	if errors.Is(err, fs.ErrNotExist) && slices.Equal(file, recipeFiles{defaultFile}) {
		// No recipe found here, none named: the stack a sidecar up runs from a recipe of this
		// directory (up -d -f deployment.yaml, then logs) is the one meant, when it is one.
		switch here := stacksRunFromHere(f, dir); len(here) {
		case 1:
			fmt.Fprintf(io.ErrOut, "sidecar: no %s here: using stack %s, which runs from %s\n", defaultFile, here[0].name, here[0].recipe)
			return here[0].name, nil, nil
		case 0:
		default:
			names := make([]string, len(here))
			for i, h := range here {
				names[i] = h.name + " (" + h.recipe + ")"
			}
			hint = fmt.Sprintf("Stacks run from recipes of this directory: %s; name one with -f FILE or --stack NAME", strings.Join(names, ", "))
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, &ExitError{Code: exitBadInput, Err: fmt.Errorf("%w\n%s", err, hint)}
	}
	if err != nil {
		return "", nil, err
	}
	return st.Name, st, nil
}

// nameHint is stackOf's hint for a command that names its stack as byName does.
func nameHint(byName string) string {
	return "To name a stack without its recipe: " + byName + " (sidecar ps lists the stacks)"
}

// stackOwner is stackOf's stack and a client of the process that runs it (liveOwner).
func stackOwner(ctx context.Context, f *Factory, io *IOStreams, dir, stack string, file recipeFiles, byName string, connect func(context.Context) (engine, error)) (string, *control.Client, error) {
	name, _, err := stackOf(f, io, dir, stack, file, nameHint(byName))
	if err != nil {
		return "", nil, err
	}
	c, err := liveOwner(ctx, f, dir, name, connect)
	return name, c, err
}

// ErrNoSupervisor: no sidecar up runs the stack.
var ErrNoSupervisor = errors.New("no sidecar up runs it")

// liveOwner returns a client of the process that runs the stack, or says there is none, what
// the engine still has of the stack (connect reaches it; nil: the environment's engine), and
// what to do.
func liveOwner(ctx context.Context, f *Factory, dir, stack string, connect func(context.Context) (engine, error)) (*control.Client, error) {
	dir, err := f.controlDirOf(dir)
	if err != nil {
		return nil, &ExitError{Code: exitFailure, Err: err}
	}
	if c, ok := dialControl(dir, stack); ok {
		return c, nil
	}
	if connect == nil {
		connect = func(ctx context.Context) (engine, error) { return connectEngine(ctx, f) }
	}
	return nil, &ExitError{Code: exitFailure, Err: noOwnerError(stack, leftOnEngine(ctx, connect, stack))}
}

// leftOnEngine counts the containers of the stack on the engine connect reaches: -1 when it
// cannot tell (the engine does not answer).
func leftOnEngine[E interface {
	ListContainers(context.Context, map[string]string) ([]orchestrator.ContainerInfo, error)
	Close() error
}](ctx context.Context, connect func(context.Context) (E, error), stack string) int {
	rt, err := connect(ctx)
	if err != nil {
		return -1
	}
	defer rt.Close()
	infos, err := rt.ListContainers(ctx, orchestrator.StackFilter(stack))
	if err != nil {
		return -1
	}
	return len(infos)
}

// noOwnerError says that no sidecar up runs the stack and what to do, by what the engine
// still has of it (left containers; -1: unknown): a stack whose up was killed keeps its
// containers, which only a new up (taking it over) or down act on.
func noOwnerError(stack string, left int) error {
	switch {
	case left > 0:
		return fmt.Errorf("stack %s is not run by any sidecar up (%w: was its up killed?), but %s of it are still on the engine (sidecar ps --stack %s shows them): "+
			"`sidecar up -d` takes the stack over (removes what is left and starts it again), or `sidecar down --stack %s` removes it",
			stack, ErrNoSupervisor, plural(left, "container"), stack, stack)
	case left == 0:
		return fmt.Errorf("stack %s is not running (%w, and the engine has none of its containers): start it with `sidecar up -d`", stack, ErrNoSupervisor)
	}
	return fmt.Errorf("stack %s is not running (%w): start it with `sidecar up -d`; "+
		"containers of it that a killed up left behind are removed with `sidecar down --stack %s`", stack, ErrNoSupervisor, stack)
}
