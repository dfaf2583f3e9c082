package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// served is a stack run on the fake engine and served on a socket of the test's own.
type served struct {
	t        *testing.T
	rt       *fake.Runtime
	o        *orchestrator.Orchestrator
	c        *Client
	srvWatch *fakeWatch
	done     chan struct{}
}

func serve(t *testing.T) *served {
	t.Helper()
	mk := func(name string, role recipes.Role, restart recipes.RestartPolicy) *recipes.Container {
		return &recipes.Container{Name: name, Image: "img/" + name + ":1", Role: role, Restart: restart}
	}
	pod := &recipes.Pod{Name: "s", Main: mk("app", recipes.RoleMain, recipes.RestartNever),
		Sidecars: []*recipes.Container{mk("side", recipes.RoleSidecar, recipes.RestartAlways)}, StopGrace: recipes.Duration(time.Second)}
	st := &recipes.Stack{Name: "s", Dir: "/tmp", Pods: []*recipes.Pod{pod},
		Backoff: recipes.Backoff{Initial: recipes.Duration(time.Second), Max: recipes.Duration(time.Second), Reset: recipes.Duration(time.Minute)}}
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img/app:1", "img/side:1")
	o := orchestrator.New(rt, st, orchestrator.Options{})
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	fw := &fakeWatch{}
	srv := Serve(ln, o, rt, Info{PID: 1, Stack: "s"}, Options{Watch: fw})
	s := &served{t: t, rt: rt, o: o, c: NewClient(sock), srvWatch: fw, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		o.Run(context.Background())
		ln.Close()
		srv.Close()
	}()
	t.Cleanup(func() {
		o.Kill()
		<-s.done
	})
	return s
}

func (s *served) until(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s", what)
		}
		select {
		case <-s.rt.Changed():
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (s *served) running() bool { return s.o.Snapshot().Phase == orchestrator.PhaseRunning }

// The event stream: a snapshot first, the buffers' history (tail, container filter), then
// live lines, and io.EOF when the stack has ended.
func TestEventStream(t *testing.T) {
	s := serve(t)
	s.until("running", s.running)
	for i := 1; i <= 5; i++ {
		if err := s.rt.Print("s-app", orchestrator.Stdout, fmt.Sprintf("app %d", i)); err != nil {
			t.Fatal(err)
		}
		_ = s.rt.Print("s-side", orchestrator.Stdout, fmt.Sprintf("side %d", i))
	}
	buf := s.o.Logs().Buffer("s", "app")
	s.until("the lines in the buffer", func() bool { _, n := buf.Bounds(); return n >= 5 })

	ctx := context.Background()
	sub, err := s.c.Events(ctx, EventOptions{NoState: true, Tail: 2, Containers: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		evs, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			switch e := ev.(type) {
			case orchestrator.LogEvent:
				got = append(got, e.Text)
			case orchestrator.SnapshotEvent:
				got = append(got, "snapshot")
			default:
				t.Errorf("a state event in a log stream: %T", ev)
			}
		}
	}
	sub.Close()
	if strings.Join(got, ",") != "snapshot,app 4,app 5" {
		t.Errorf("history: %v", got)
	}

	var ce *Error
	if _, err := s.c.Events(ctx, EventOptions{Containers: []string{"nope"}}); !errors.As(err, &ce) || ce.ExitCode() != 2 {
		t.Errorf("unknown container: %v, want an Error with code 2", err)
	}

	live, err := s.c.Events(ctx, EventOptions{Follow: true, Tail: 0})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.rt.Print("s-app", orchestrator.Stdout, "later")
	var sawLater, sawDone bool
	s.o.Shutdown()
	for {
		evs, err := live.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("live: %v", err)
		}
		for _, ev := range evs {
			if l, ok := ev.(orchestrator.LogEvent); ok {
				sawLater = sawLater || l.Text == "later"
				if strings.HasPrefix(l.Text, "app ") {
					t.Errorf("history in a stream with tail 0: %q", l.Text)
				}
			}
			if se, ok := ev.(orchestrator.StackEvent); ok && se.Phase == orchestrator.PhaseDone {
				sawDone = true
			}
		}
	}
	live.Close()
	if !sawLater || !sawDone {
		t.Errorf("live stream: later line %v, done %v", sawLater, sawDone)
	}
}

// Commands through the socket: a stop with wait returns once the container stopped, a name
// the stack has not is an Error with code 2, an apply answers with its changes.
func TestCommandsAndApply(t *testing.T) {
	s := serve(t)
	s.until("running", s.running)
	ctx := context.Background()
	var states []string
	err := s.c.Command(ctx, VerbStop, []string{"side"}, func(ev orchestrator.Event) {
		if c, ok := ev.(orchestrator.ContainerEvent); ok && c.Name == "side" {
			states = append(states, c.State.String())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if snap := s.o.Snapshot(); snap.Pod("s").Container("side").State != orchestrator.CStateStopped || len(states) == 0 {
		t.Errorf("side after stop: %s (events %v)", snap.Pod("s").Container("side").State, states)
	}
	var ce *Error
	if err := s.c.Command(ctx, VerbStart, []string{"ghost"}, nil); !errors.As(err, &ce) || ce.ExitCode() != 2 ||
		!strings.Contains(err.Error(), "it has side, app") {
		t.Errorf("unknown container: %v", err)
	}
	if err := s.c.Command(ctx, VerbStart, []string{"side"}, nil); err != nil {
		t.Fatal(err)
	}

	st, _, err := recipes.Load(recipes.File{Name: "/tmp/sidecar.yaml", Content: []byte(`
name: s
stop_grace: 1s
backoff: {initial: 1s, max: 1s}
sidecars: [{name: side, image: "img/side:1", env: {A: "1"}}]
main: {name: app, image: "img/app:1"}
`)}, recipes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := s.c.Apply(ctx, NewApplyRequest(st, nil), nil)
	if err != nil || strings.Join(changes, ";") != "replace side: env changed" {
		t.Errorf("apply: %q, %v", changes, err)
	}
	state, err := s.c.State(ctx)
	if err != nil || state.Stack != "s" || len(state.State.Pods) != 1 {
		t.Errorf("state: %+v, %v", state, err)
	}
}

// Several views at once (sidecar attach twice, and logs -f): each has its own stream, with
// the history and every new line.
func TestSeveralStreamsAtOnce(t *testing.T) {
	s := serve(t)
	s.until("running", s.running)
	ctx := context.Background()
	ctl := NewController(ctx, s.c)
	subs := []*Subscription{
		ctl.SubscribeWith(orchestrator.SubscribeOptions{}),
		ctl.SubscribeWith(orchestrator.SubscribeOptions{}),
		ctl.SubscribeWith(orchestrator.SubscribeOptions{NoState: true, Containers: []orchestrator.ContainerRef{{Pod: "s", Container: "app"}}}),
	}
	if err := s.rt.Print("s-app", orchestrator.Stdout, "for everyone"); err != nil {
		t.Fatal(err)
	}
	for i, sub := range subs {
		got := false
		deadline, cancel := context.WithTimeout(ctx, 15*time.Second)
		for !got {
			evs, err := sub.Next(deadline)
			if err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
			for _, ev := range evs {
				if l, ok := ev.(orchestrator.LogEvent); ok && l.Text == "for everyone" {
					got = true
				}
			}
		}
		cancel()
		sub.Close()
	}
}

// fakeWatch counts its holders; with err set, Hold fails.
type fakeWatch struct {
	mu      sync.Mutex
	holders int
	err     error
}

func (f *fakeWatch) Hold() (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.holders++
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.holders--
			f.mu.Unlock()
		})
	}, nil
}

func (f *fakeWatch) Watching() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holders > 0
}

// POST /v1/watch holds the watch while the request lasts (streaming the state events), or
// for the stack's life (persist); rules that cannot be watched are exit 2.
func TestWatchIsHeldWhileTheRequestLasts(t *testing.T) {
	s := serve(t)
	s.until("running", s.running)
	fw := s.srvWatch
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan orchestrator.Event, 100)
	done := make(chan error, 1)
	go func() { done <- s.c.Watch(ctx, WatchOptions{Events: func(ev orchestrator.Event) { got <- ev }}) }()
	if _, ok := (<-got).(orchestrator.SnapshotEvent); !ok {
		t.Error("the watch's stream does not start with a snapshot")
	}
	s.until("the watch held", fw.Watching)
	if st, err := s.c.State(ctx); err != nil || !st.Watching {
		t.Errorf("state: watching %v, %v", st.Watching, err)
	}
	s.o.PublishWatch(orchestrator.WatchEvent{Pod: "s", Container: "app", Phase: orchestrator.WatchSynced, Files: 1})
	for ev := range got {
		if we, ok := ev.(orchestrator.WatchEvent); ok && we.Phase == orchestrator.WatchSynced {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch after its context ended: %v", err)
	}
	s.until("the watch released", func() bool { return !fw.Watching() })

	if err := s.c.Watch(context.Background(), WatchOptions{Persist: true}); err != nil {
		t.Fatalf("persist: %v", err)
	}
	if !fw.Watching() {
		t.Error("a persistent watch is not held")
	}

	fw.mu.Lock()
	fw.err = errors.New("web: watch rule 1 (rebuild web): bad watch rule: no build section")
	fw.mu.Unlock()
	err := s.c.Watch(context.Background(), WatchOptions{})
	var ce *Error
	if !errors.As(err, &ce) || ce.ExitCode() != 2 || !strings.Contains(err.Error(), "no build section") {
		t.Errorf("Watch of bad rules: %v", err)
	}
}
