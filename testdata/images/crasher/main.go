// Command crasher prints -message, waits -after (or forever), then exits with -exit-code.
// SIGTERM or SIGINT: log a line and exit 0 at once, unless -ignore-sigterm, which ignores
// both (to test stop grace periods and SIGKILL).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sidecar-dev/sidecar/testdata/images/internal/prog"
)

func main() {
	after := flag.Duration("after", 0, "how long to wait before exiting")
	exitCode := flag.Int("exit-code", 1, "exit status")
	message := flag.String("message", "", "line to print at start")
	forever := flag.Bool("forever", false, "never exit on its own")
	ignore := flag.Bool("ignore-sigterm", false, "ignore SIGTERM and SIGINT")
	prog.Parse("crasher [flags]", "Prints a message, waits, exits with a chosen status.")

	// Even when ignoring them, the signals are received (and logged), not left to the default
	// action: as PID 1 in a container an ignored SIGTERM would be dropped anyway, and a
	// program blocked forever with no signal watcher is a deadlock to the Go runtime.
	sigs := prog.Signals()
	if *message != "" {
		fmt.Println(*message)
	}
	var timeout <-chan time.Time
	if !*forever {
		timeout = time.After(*after)
	}
	for {
		select {
		case <-timeout:
			fmt.Printf("crasher: exiting with %d\n", *exitCode)
			os.Exit(*exitCode)
		case s := <-sigs:
			if *ignore {
				fmt.Printf("crasher: %v received and ignored\n", s)
				continue
			}
			fmt.Printf("crasher: %v received, exiting\n", s)
			os.Exit(0)
		}
	}
}
