// Package prog is what the test programs share: the usage text of -h and the signals that
// stop them (SIGTERM and SIGINT).
package prog

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Parse parses the command line; -h (or a bad flag) prints "usage: " and usage, the
// paragraph about, then the flags.
func Parse(usage, about string) {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s\n\n%s\n\n", usage, about)
		flag.PrintDefaults()
	}
	flag.Parse()
}

// Signals receives SIGTERM and SIGINT from now on.
func Signals() <-chan os.Signal {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	return sigs
}

// StopContext is a context that ends at SIGTERM or SIGINT.
func StopContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}
