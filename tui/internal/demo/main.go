// Command demo runs the TUI on a stack of the in-memory engine, without Docker: a
// development harness. Each container prints lines at a rate; -fail-init makes the init
// container fail, -crash makes a sidecar crash now and then.
//
//	go run ./tui/internal/demo -n 3 -rate 20
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/tui"
	"github.com/sidecar-dev/sidecar/tui/internal/fakestack"
)

func main() {
	n := flag.Int("n", 3, "number of app containers (1 main + sidecars)")
	rate := flag.Int("rate", 10, "lines a second per container")
	withInit := flag.Bool("init", true, "add an init container")
	failInit := flag.Bool("fail-init", false, "make the init container fail")
	crash := flag.Duration("crash", 0, "make the second container crash this often (0: never)")
	slowStop := flag.Bool("slow-stop", false, "main ignores SIGTERM: stopping it takes the pod's grace of 8s")
	flag.Parse()
	if err := run(*n, *rate, *withInit, *failInit, *slowStop, *crash); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(n, rate int, withInit, failInit, slowStop bool, crash time.Duration) error {
	spec := fakestack.Spec{Name: "demo", N: n, Init: withInit}
	if slowStop {
		spec.StopGrace = "8s"
	}
	st, err := fakestack.Load(fakestack.Recipe(spec))
	if err != nil {
		return err
	}
	s := fakestack.New(st, orchestrator.Options{})
	if slowStop {
		s.Engine.IgnoreSIGTERM(s.EngineName("demo", "web"))
	}
	if withInit {
		s.Engine.PrintOnStart(s.EngineName("demo", "migrate"), "migrating schema v1 → v2", "applied 3 migrations")
		if failInit {
			s.Engine.PrintOnStart(s.EngineName("demo", "migrate"), "migrating schema v1 → v2", "ERROR: relation \"users\" already exists")
			s.Engine.ExitOnStart(s.EngineName("demo", "migrate"), 1)
		} else {
			s.Engine.ExitOnStart(s.EngineName("demo", "migrate"), 0)
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGHUP)
	defer cancel()
	s.Start(context.WithoutCancel(ctx))

	var wg sync.WaitGroup
	defer wg.Wait()
	spewCtx, stopSpew := context.WithCancel(ctx)
	defer stopSpew()
	names := fakestack.Names[:min(n, len(fakestack.Names))]
	for _, c := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for spewCtx.Err() == nil {
				if err := s.Running(spewCtx, "demo", c); err != nil {
					return
				}
				s.Spew(spewCtx, "demo", c, rate, func(i int) (orchestrator.Stream, string) {
					return demoLine(c, i)
				})
			}
		}()
	}
	if crash > 0 && len(names) > 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(crash)
			defer t.Stop()
			for {
				select {
				case <-spewCtx.Done():
					return
				case <-t.C:
					_ = s.Engine.Exit(s.EngineName("demo", names[1]), 1)
				}
			}
		}()
	}
	err = tui.Run(ctx, s.Orch, tui.Options{})
	stopSpew()
	res, runErr := s.Wait()
	fmt.Printf("stack ended: %s (exit code %d)\n", res.Reason, res.ExitCode)
	if err != nil {
		return err
	}
	return runErr
}

var words = strings.Fields("GET POST /healthz /api/users /api/orders 200 201 404 500 upstream connected flushed records cache hit miss latency")

func demoLine(ctr string, i int) (orchestrator.Stream, string) {
	r := rand.New(rand.NewPCG(uint64(i), uint64(len(ctr))))
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] #%d", ctr, i)
	for k := 0; k < 3+r.IntN(12); k++ {
		b.WriteString(" " + words[r.IntN(len(words))])
	}
	if i%17 == 5 {
		return orchestrator.Stderr, "warning: " + b.String()
	}
	return orchestrator.Stdout, b.String()
}
