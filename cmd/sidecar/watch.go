package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// WatchOptions are the inputs of `sidecar watch`.
type WatchOptions struct {
	ownerOptions // its viewOptions are the printed lines': Output, Timestamps, NoColor

	// Signals delivers Ctrl-C, SIGTERM and SIGHUP; nil: the process's own.
	Signals <-chan os.Signal
}

var watchHelp = help{
	Use:   "watch [-f FILE | --stack NAME]",
	Short: "Act on a running stack's watch rules: rebuild, sync or restart a container when its files change",
	Long: `
Watch the files that the watch rules of a running stack's containers name —
the stack started with sidecar up -d, or by sidecar up in another terminal — and
act on the container whose files changed, alone:

  rebuild        build its image again (the engine's cache makes it quick) and
                 replace the container; a build that fails keeps the old one
                 running and prints the error
  sync           copy the changed files into the running container (no restart)
  sync+restart   copy them, then restart the container
  restart        restart the container

The process that runs the stack watches while this command runs; it prints what
changed and what was done, with the containers' lifecycle, until Ctrl-C (the stack
keeps running, exit 0) or the stack ends (its exit status). Container output is
not printed: sidecar attach or sidecar logs -f show it.

The rules are those of the recipe the stack runs: after an edit of them,
sidecar up -d applies them (re-creating no container for that).

The stack is the recipe's (-f, default ./sidecar.yaml), or the one named with
--stack.`,
	Example: `
  sidecar up -d && sidecar watch
  sidecar watch --stack demo --timestamps`,
}

func newWatchCmd(f *Factory, runF func(*WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{ownerOptions: ownerOptions{IO: f.IO, Factory: f}}
	cmd := watchHelp.command(noArgs, runE(f, opts, runF, watchRun, onStack(f, &opts.File, &opts.Stack, opts.readOutput)))
	cmd.Flags().String("stack", "", "name of the stack (instead of reading -f)")
	addOutputFlags(cmd)
	completeOutput(cmd, "text", "json")
	return cmd
}

func watchRun(ctx context.Context, opts *WatchOptions) error {
	name, c, up, err := opts.owner(ctx, "sidecar watch --stack NAME")
	if err != nil {
		return err
	}
	show := up.eventPrinter()
	fw := &finalWatch{}

	sigs, release := interrupts(opts.Signals)
	defer release()
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-wctx.Done():
		}
	}()
	err = c.Watch(wctx, control.WatchOptions{Events: func(ev orchestrator.Event) {
		fw.note([]orchestrator.Event{ev})
		show(ev)
	}})
	switch {
	case err != nil:
		return watchError(name, err)
	case wctx.Err() != nil:
		fmt.Fprintf(opts.IO.ErrOut, "sidecar: stopped watching: stack %s keeps running\n", name)
		return nil
	}
	return fw.exit()
}
