package main

import (
	"context"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/tui"
)

// tuiView is the interactive view (package tui, docs/tui.md): up shows the stack with it
// when stdout is a terminal, --plain is not given and the output is text. It drives the
// orchestrator with the user's commands, and handles Ctrl-C, SIGTERM and SIGHUP itself
// while it runs (up's own watch would write over the screen), showing the teardown.
type tuiView struct {
	o    tui.Commands
	opts tui.Options
}

func (opts *UpOptions) newTUIView(o *orchestrator.Orchestrator) *tuiView {
	return &tuiView{o: o, opts: tui.Options{
		Input:      opts.IO.In,
		Output:     opts.IO.Out,
		Environ:    opts.Factory.Environ(),
		Signals:    opts.Signals,
		LogLines:   opts.LogLines,
		Timestamps: opts.Timestamps,
		NoColor:    opts.NoColor, // and NO_COLOR: the view reads it from Environ
		Warnings:   opts.warnings,
	}}
}

func (v *tuiView) Run(ctx context.Context, sub *orchestrator.Subscription) error {
	return tui.Show(ctx, sub, v.o, v.opts)
}

// handlesSignals tells up not to watch interrupts itself.
func (v *tuiView) handlesSignals() bool { return true }
