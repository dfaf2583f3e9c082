package main

import (
	"os"
	"os/signal"
	"syscall"
)

// The signals of the process: which stop a command, how a command catches them, and the one
// up catches so as to outlive a closed output.

// hangupIgnored is whether the process started with SIGHUP ignored, as nohup starts it: read
// before anything asks for the signal, which would undo that.
var hangupIgnored = signal.Ignored(syscall.SIGHUP)

// stopSignals are the signals that stop a command: Ctrl-C, SIGTERM and SIGHUP — but not
// SIGHUP under nohup, so that `nohup sidecar up &` outlives its terminal.
func stopSignals() []os.Signal {
	if hangupIgnored {
		return []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
}

// interrupts is given (a test's), or the process's Ctrl-C, SIGTERM and SIGHUP, and the
// function that stops catching them.
func interrupts(given <-chan os.Signal) (<-chan os.Signal, func()) {
	if given != nil {
		return given, func() {}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, stopSignals()...)
	return ch, func() { signal.Stop(ch) }
}

// surviveClosedOutput makes a write to a closed pipe or socket an error (EPIPE) for the
// writer to handle rather than a SIGPIPE that ends the process before it tears the stack
// down: Go's default for fd 1 and 2 (`sidecar up | head -1`, `| tee log` in a closed
// terminal). The signal is caught, not ignored, so that programs up starts (the TUI's shell)
// get the default back. It returns a function that restores the default.
func surviveClosedOutput() (restore func()) {
	ch := make(chan os.Signal, 1) // never read: a caught SIGPIPE is dropped
	signal.Notify(ch, syscall.SIGPIPE)
	return func() { signal.Stop(ch) }
}
