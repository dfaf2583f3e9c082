package main

import (
	"context"
	"errors"
	"time"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// liveOwner returns a client of the sidecar up that runs the stack, if one does.
func (opts *LogsOptions) liveOwner(stack string) (*control.Client, bool) {
	dir := opts.ControlDir
	if dir == "" {
		var err error
		if dir, err = controlDir(opts.Factory.getenv()); err != nil {
			return nil, false
		}
	}
	return dialControl(dir, stack)
}

// logsLive prints the logs a running up keeps: its buffers' history (the last --tail of each
// container), then with -f what comes, until the stack ends or Ctrl-C.
func logsLive(ctx context.Context, opts *LogsOptions, c *control.Client) error {
	eo := control.EventOptions{NoState: true, Follow: opts.Follow, Tail: opts.Tail, Containers: opts.Containers}
	if opts.Tail < 0 {
		eo.Tail = control.TailAll
	}
	sub, err := c.Events(ctx, eo)
	var ce *control.Error
	switch {
	case errors.As(err, &ce):
		if r := recipeArg(opts.Containers); r != "" {
			return recipeArgError(r, opts.Follow)
		}
		return &ExitError{Code: ce.ExitCode(), Err: err}
	case err != nil:
		return &ExitError{Code: exitFailure, Err: err}
	}
	defer sub.Close()
	var feed orchestrator.LogFeed = sub
	if !opts.Since.IsZero() {
		feed = sinceFeed{LogFeed: sub, since: opts.Since}
	}
	return printLogs(ctx, feed, opts)
}

// sinceFeed leaves out the lines written before since.
type sinceFeed struct {
	orchestrator.LogFeed
	since time.Time
}

func (f sinceFeed) Next(ctx context.Context) ([]orchestrator.Event, error) {
	for {
		evs, err := f.LogFeed.Next(ctx)
		if err != nil {
			return nil, err
		}
		kept := evs[:0]
		for _, ev := range evs {
			if l, ok := ev.(orchestrator.LogEvent); ok && l.Time.Before(f.since) {
				continue
			}
			kept = append(kept, ev)
		}
		if len(kept) > 0 {
			return kept, nil
		}
	}
}
