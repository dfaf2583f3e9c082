package testenv

import (
	"context"
	"sync"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Recorder keeps the events of an orchestrator subscription.
type Recorder struct {
	mu     sync.Mutex
	events []orchestrator.Event
}

// Record reads sub's events into a new Recorder, in a goroutine that ends when sub is
// closed.
func Record(sub *orchestrator.Subscription) *Recorder {
	r := &Recorder{}
	go func() {
		for {
			evs, err := sub.Next(context.Background())
			if err != nil {
				return
			}
			r.mu.Lock()
			r.events = append(r.events, evs...)
			r.mu.Unlock()
		}
	}()
	return r
}

// EventsOf returns the events of type E that r has recorded so far, in order.
func EventsOf[E orchestrator.Event](r *Recorder) []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []E
	for _, ev := range r.events {
		if e, ok := ev.(E); ok {
			out = append(out, e)
		}
	}
	return out
}
