package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/sirupsen/logrus"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
)

// run is the whole program: it returns the exit status.
func run() int {
	// compose-go warns about unset variables through the global logrus logger in one case
	// our importer cannot intercept (a variable nested in another's default); the importer
	// reports unset variables as its own warnings, so the duplicate is dropped here.
	logrus.SetOutput(io.Discard)
	// SIGHUP (the terminal went away) means what SIGTERM means, for every command: a
	// cancelled context, never the default action that ends the process on the spot —
	// unless it is ignored (nohup), which it stays.
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	defer stop()
	return execute(ctx, systemFactory(), os.Args[1:])
}

// execute runs the command line args and maps the outcome to an exit status.
// Everything written to stderr is made safe for a terminal on the way (termsafe.Writer):
// messages quote the engine — its errors, names, labels — and containers' last lines.
func execute(ctx context.Context, f *Factory, args []string) int {
	f.IO.ErrOut = termsafe.Writer(f.IO.ErrOut, termsafe.Color)
	f.interrupt = ctx.Done()
	root := newRootCmd(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ErrInterrupted) {
		err = fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	return exitCode(err, f.IO.ErrOut, root)
}
