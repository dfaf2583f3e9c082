package watch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Hub is the watch of one running stack, shared by whoever asks for it — `up --watch`, the
// supervisor of `up -d --watch`, each `sidecar watch` — through the process that runs the
// stack: it watches while at least one holds it. It begins once the stack runs, follows the
// recipe the stack runs (an `up -d` that changed the watch rules changes what is watched,
// re-creating no container), and ends with the stack.
type Hub struct {
	o    *orchestrator.Orchestrator
	opts Options

	mu      sync.Mutex
	holders int
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewHub returns the hub of o's stack; nothing is watched until Hold.
func NewHub(o *orchestrator.Orchestrator, opts Options) *Hub { return &Hub{o: o, opts: opts} }

// Hold makes the stack watched until release is called (release is idempotent). It fails,
// watching nothing, when the recipe the stack runs has no rules or rules that cannot be
// followed (ErrNoRules, ErrBadRule).
func (h *Hub) Hold() (release func(), err error) {
	if _, err := compile(h.o.Stack()); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holders++
	if h.holders == 1 {
		if h.done != nil {
			<-h.done // the last watch is still stopping
		}
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel, h.done = cancel, make(chan struct{})
		go func(done chan struct{}) {
			defer close(done)
			h.follow(ctx)
		}(h.done)
	}
	var once sync.Once
	return func() { once.Do(h.release) }, nil
}

func (h *Hub) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holders--
	if h.holders == 0 {
		h.cancel()
	}
}

// Watching reports whether the stack is watched.
func (h *Hub) Watching() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.holders > 0
}

// Wait waits for the watch to have stopped after its last release.
func (h *Hub) Wait() {
	h.mu.Lock()
	done := h.done
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}

// follow watches the stack from when it runs until ctx ends or the stack does, watching
// again whenever an apply changed the rules.
func (h *Hub) follow(ctx context.Context) {
	sub := h.o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	defer sub.Close()
	var (
		view    orchestrator.StackView
		stack   *recipes.Stack
		sign    string
		stop    = func() {}
		cur     *Watcher
		running bool
	)
	defer func() { stop() }()
	for {
		evs, err := sub.Next(ctx)
		if err != nil {
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				h.o.PublishWatch(orchestrator.WatchEvent{Phase: orchestrator.WatchStopped, Error: err.Error()})
			}
			return
		}
		for _, ev := range evs {
			view.Apply(ev)
		}
		running = running || view.Phase == orchestrator.PhaseRunning
		switch view.Phase {
		case orchestrator.PhaseStopping, orchestrator.PhaseDone, orchestrator.PhaseFailed:
			return // the stack is going: nothing more to do to it
		}
		if !running {
			continue
		}
		now := h.o.Stack()
		if now == stack {
			continue
		}
		stack = now
		s := signature(now)
		if s == sign {
			continue // an apply that left the rules as they were
		}
		w, err := New(h.o, now, h.opts)
		if err != nil {
			// The recipe applied has rules that cannot be followed: say so, keep the old watch.
			h.o.PublishWatch(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Error: "the recipe's watch rules: " + err.Error()})
			continue
		}
		if cur != nil {
			cur.replaced.Store(true)
		}
		stop()
		sign, cur = s, w
		stop = h.start(ctx, w)
	}
}

// start runs w until the returned function is called (it returns once w has ended).
func (h *Hub) start(ctx context.Context, w *Watcher) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			h.o.PublishWatch(orchestrator.WatchEvent{Phase: orchestrator.WatchStopped, Error: err.Error()})
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// signature is what of a recipe a watch follows: every container's rules and build, and
// the directory paths are relative to.
func signature(st *recipes.Stack) string {
	type entry struct {
		Pod, Container string
		Watch          []recipes.WatchRule
		Build          *recipes.Build
	}
	var es []entry
	for _, p := range st.Pods {
		for _, c := range p.Containers() {
			if len(c.Watch) > 0 {
				es = append(es, entry{p.Name, c.Name, c.Watch, c.Build})
			}
		}
	}
	b, _ := json.Marshal(struct {
		Dir     string
		Entries []entry
	}{st.Dir, es})
	return string(b)
}
