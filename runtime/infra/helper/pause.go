package main

import (
	"os"
	"os/signal"
	"syscall"
)

// pause blocks until SIGTERM or SIGINT and then returns 0 at once. Meanwhile it reaps every
// child that exits: when the pod shares its PID namespace this process is PID 1 of it, so
// orphans of every container are re-parented here and would otherwise stay zombies.
func pause() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
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
