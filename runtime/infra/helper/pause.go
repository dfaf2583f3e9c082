package main

import (
	"os"
	"os/signal"
	"syscall"
)

// readyLine is what pause writes on stdout once SIGTERM and SIGINT are its own; it is
// infra.PauseReady (a test checks that the two agree).
const readyLine = "sidecar-infra: pause: ready"

// pause blocks until SIGTERM or SIGINT and then returns 0 at once. Meanwhile it reaps every
// child that exits: when the pod shares its PID namespace this process is PID 1 of it, so
// orphans of every container are re-parented here and would otherwise stay zombies.
//
// Before signal.Notify below, SIGTERM is not the helper's: the Go runtime installs its own
// handler for every signal before any of the helper's code runs (so /proc shows SIGTERM
// caught from the start), and that handler ends the process with status 2 for a SIGTERM
// nobody asked for. No way of waiting for signals avoids this, so pause says on stdout when
// a stop is answered with 0: readyLine, written after Notify. SIGPIPE is ignored first so
// that the write cannot kill PID 1 when nobody reads its output.
func pause() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	signal.Ignore(syscall.SIGPIPE)
	say(readyLine)
	reap()
	for s := range sigs {
		if s == syscall.SIGCHLD {
			reap()
			continue
		}
		return 0
	}
	return 0
}

// reap collects every exited child without blocking. SIGCHLD signals coalesce, so it loops
// until no exited child is left.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
