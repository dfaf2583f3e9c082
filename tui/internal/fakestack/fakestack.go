// Package fakestack runs a stack on the in-memory engine (runtime/fake) with the real clock,
// for the TUI's tests, its benchmark and its development harness: a real orchestrator and a
// real event stream, no Docker. Containers print when told to, at a rate, and report made-up
// resource usage.
package fakestack

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// Names of the containers a generated stack uses, main first, then sidecars.
var Names = []string{"web", "envoy", "shipper", "redis", "metrics", "auth", "cache", "proxy", "audit"}

// Spec describes a generated one-pod stack: main "web" and N-1 sidecars (Names), an init
// container "migrate" with Init, and the pod's stop_grace (e.g. "5s") when set.
type Spec struct {
	Name      string
	N         int
	Init      bool
	StopGrace string
}

// Recipe is the sidecar.yaml of spec.
func Recipe(spec Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nmain:\n  name: web\n  image: demo/web:dev\n", spec.Name)
	if spec.N > 1 {
		b.WriteString("sidecars:\n")
		for _, s := range Names[1:min(spec.N, len(Names))] {
			fmt.Fprintf(&b, "  - name: %s\n    image: demo/%s:dev\n", s, s)
		}
	}
	if spec.Init {
		b.WriteString("init:\n  - name: migrate\n    image: demo/migrate:dev\n")
	}
	if spec.StopGrace != "" {
		fmt.Fprintf(&b, "stop_grace: %s\n", spec.StopGrace)
	}
	return b.String()
}

// Load loads a recipe the way the CLI would.
func Load(recipe string) (*recipes.Stack, error) {
	st, _, err := recipes.Load(recipes.File{Name: "/tmp/fakestack/sidecar.yaml", Content: []byte(recipe)}, recipes.Options{})
	return st, err
}

// Engine is the fake engine with resource usage: every running container reports a sample
// a second, made up from its name.
type Engine struct {
	*fake.Runtime
	// StatsEvery is the sample period (default 1s; 0 keeps the default).
	StatsEvery time.Duration
}

// Stats implements orchestrator.StatsSource.
func (e *Engine) Stats(ctx context.Context, id string, sink func(orchestrator.Stats)) error {
	every := e.StatsEvery
	if every <= 0 {
		every = time.Second
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	seed := h.Sum32()
	t := time.NewTicker(every)
	defer t.Stop()
	for i := uint32(0); ; i++ {
		sink(orchestrator.Stats{Time: time.Now(), CPUPercent: float64((seed+i*7)%250) / 10,
			MemoryBytes: uint64(8+(seed+i)%40) << 20, MemoryLimit: 8 << 30})
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Stack is a stack running on the fake engine.
type Stack struct {
	Engine *Engine
	Orch   *orchestrator.Orchestrator
	Stack  *recipes.Stack
	names  orchestrator.Names

	done chan struct{}
	mu   sync.Mutex
	res  orchestrator.Result
	err  error
}

// New prepares stack on a fresh fake engine with every image present.
func New(stack *recipes.Stack, opts orchestrator.Options) *Stack {
	rt := fake.New(clock.RealClock{})
	for _, p := range stack.Pods {
		for _, c := range p.Containers() {
			if c.Build == nil {
				rt.AddImage(c.Image)
			}
		}
	}
	e := &Engine{Runtime: rt}
	return &Stack{Engine: e, Orch: orchestrator.New(e, stack, opts), Stack: stack,
		names: orchestrator.Names{Stack: stack.Name}, done: make(chan struct{})}
}

// Start runs the stack in the background; Wait returns how it ended.
func (s *Stack) Start(ctx context.Context) {
	go func() {
		defer close(s.done)
		res, err := s.Orch.Run(ctx)
		s.mu.Lock()
		s.res, s.err = res, err
		s.mu.Unlock()
	}()
}

// Done is closed when Run has returned.
func (s *Stack) Done() <-chan struct{} { return s.done }

// Wait waits for Run to return.
func (s *Stack) Wait() (orchestrator.Result, error) {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res, s.err
}

// EngineName is the engine name of a container of a pod.
func (s *Stack) EngineName(pod, ctr string) string { return s.names.Container(pod, ctr) }

// Running waits until every named container of pod runs on the engine, or ctx ends.
func (s *Stack) Running(ctx context.Context, pod string, ctrs ...string) error {
	for {
		ch := s.Engine.Changed()
		all := true
		for _, c := range ctrs {
			found := false
			for _, r := range s.Engine.Running() {
				found = found || r == s.EngineName(pod, c)
			}
			all = all && found
		}
		if all {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("containers %v of pod %s not running: %w", ctrs, pod, ctx.Err())
		}
	}
}

// Print writes lines to a container's output.
func (s *Stack) Print(pod, ctr string, stream orchestrator.Stream, lines ...string) error {
	for _, l := range lines {
		if err := s.Engine.Print(s.EngineName(pod, ctr), stream, l); err != nil {
			return err
		}
	}
	return nil
}

// Spew makes a container print rate lines a second (in bursts every 10ms) until ctx ends or
// the container is gone; line(i) makes line i. It returns the number of lines printed.
func (s *Stack) Spew(ctx context.Context, pod, ctr string, rate int, line func(i int) (orchestrator.Stream, string)) int {
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	n := 0
	name := s.EngineName(pod, ctr)
	for {
		select {
		case <-ctx.Done():
			return n
		case now := <-t.C:
			due := int(now.Sub(start).Seconds() * float64(rate))
			for ; n < due; n++ {
				stream, text := line(n)
				if err := s.Engine.Print(name, stream, text); err != nil {
					return n
				}
			}
		}
	}
}
