package orchestrator_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// statsEngine is the fake engine with resource usage: every stats stream sends one sample
// with the stream's number as its memory figure, then waits for its context to end, and
// counts the streams open.
type statsEngine struct {
	*fake.Runtime

	mu     sync.Mutex
	opened int
	open   map[string]int // container ID → open streams
}

func (e *statsEngine) Stats(ctx context.Context, id string, sink func(orchestrator.Stats)) error {
	e.mu.Lock()
	e.opened++
	n := e.opened
	e.open[id]++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.open[id]--
		e.mu.Unlock()
	}()
	sink(orchestrator.Stats{CPUPercent: 12.5, MemoryBytes: uint64(n) << 20, MemoryLimit: 1 << 30})
	<-ctx.Done()
	return ctx.Err()
}

func (e *statsEngine) openStreams() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	total := 0
	for _, n := range e.open {
		total += n
	}
	return total
}

func TestStatsPublishedPerRun(t *testing.T) {
	engine := &statsEngine{open: map[string]int{}}
	h := newHarnessOn(t, simple(), orchestrator.Options{}, func(rt *fake.Runtime) orchestrator.Runtime {
		engine.Runtime = rt
		return engine
	})
	h.startRunning("s-app", "s-side")

	stats := func(container string) []orchestrator.StatsEvent {
		var out []orchestrator.StatsEvent
		for _, e := range h.all() {
			if s, ok := e.(orchestrator.StatsEvent); ok && s.Container == container {
				out = append(out, s)
			}
		}
		return out
	}
	h.until("a sample of each container", 0, func() bool { return len(stats("app")) == 1 && len(stats("side")) == 1 })
	s := stats("side")[0]
	if s.Pod != "s" || s.CPUPercent != 12.5 || s.MemoryLimit != 1<<30 {
		t.Errorf("side's sample: %+v", s)
	}
	if n := engine.openStreams(); n != 2 {
		t.Errorf("%d stats streams open, want 2 (app and side; none for infra)", n)
	}

	// A run that ends closes its stream; the next run opens its own.
	if err := h.rt.Exit("s-side", 1); err != nil {
		t.Fatal(err)
	}
	h.until("side restarted", time.Millisecond, func() bool {
		return h.view("s", "side").Restarts == 1 && h.state("s", "side") == orchestrator.CStateRunning
	})
	h.until("a sample of side's second run", 0, func() bool { return len(stats("side")) == 2 })
	h.until("side's first stream closed", 0, func() bool { return engine.openStreams() == 2 })

	// JSON round trip.
	b, err := stats("side")[1].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := orchestrator.DecodeEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := back.(orchestrator.StatsEvent); !ok || got.Container != "side" || got.MemoryBytes != stats("side")[1].MemoryBytes {
		t.Errorf("decoded %s into %#v", b, back)
	}

	h.o.Shutdown()
	if _, err := h.finish(time.Second); err != nil {
		t.Fatal(err)
	}
	if n := engine.openStreams(); n != 0 {
		t.Errorf("%d stats streams still open after the run", n)
	}
	h.leftNothing()
}
