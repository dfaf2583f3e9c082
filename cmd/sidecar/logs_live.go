package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// liveOwner returns a client of the sidecar up that runs the stack, if one does.
func (opts *LogsOptions) liveOwner(stack string) (*control.Client, bool) {
	dir, err := opts.Factory.controlDirOf(opts.ControlDir)
	if err != nil {
		return nil, false
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
	return printLogs(ctx, liveFeed{LogFeed: sub, since: opts.Since}, opts)
}

// liveFeed is a running up's log lines as `sidecar logs` prints them: a restart's marker line
// as a note (`web * restarted …`, as the engine's feed says it; the printer leaves markers to
// the lifecycle lines, which a log stream has not), and without the lines written before
// since.
type liveFeed struct {
	orchestrator.LogFeed
	since time.Time
}

func (f liveFeed) Next(ctx context.Context) ([]orchestrator.Event, error) {
	for {
		evs, err := f.LogFeed.Next(ctx)
		if err != nil {
			return nil, err
		}
		kept := evs[:0]
		for _, ev := range evs {
			l, ok := ev.(orchestrator.LogEvent)
			switch {
			case ok && l.Time.Before(f.since):
				continue
			case ok && l.Marker:
				text := strings.TrimSuffix(strings.TrimPrefix(l.PlainText(), "--- "+l.Container+" "), " ---")
				ev = orchestrator.MessageEvent{EventMeta: l.EventMeta, Level: orchestrator.LevelInfo, Pod: l.Pod, Container: l.Container, Text: text}
			}
			kept = append(kept, ev)
		}
		if len(kept) > 0 {
			return kept, nil
		}
	}
}
