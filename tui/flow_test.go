package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/tui/internal/fakestack"
)

// Flows run the real program (bubbletea's renderer, the event feed, a real orchestrator on
// the in-memory engine with the real clock) and read its output through a terminal
// emulator, waiting for what the screen shows, never for a time.

type flow struct {
	t     *testing.T
	tm    *teatest.TestModel
	stack *fakestack.Stack
	emu   *vt.Emulator
}

func startFlow(t *testing.T, n, w, h int) *flow {
	t.Helper()
	st, err := fakestack.Load(fakestack.Recipe(fakestack.Spec{Name: "flow", N: n}))
	if err != nil {
		t.Fatal(err)
	}
	s := fakestack.New(st, orchestrator.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{}.withDefaults()
	m := newModel(ctx, s.Orch.SubscribeWith(subscribeOptions), s.Orch, opts)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	s.Start(context.Background())
	emu := vt.NewEmulator(w, h)
	answers := make(chan struct{})
	go func() { // the emulator's answers to the program's queries go nowhere
		defer close(answers)
		_, _ = io.Copy(io.Discard, emu)
	}()
	f := &flow{t: t, tm: tm, stack: s, emu: emu}
	t.Cleanup(func() {
		// Closing the answers' pipe ends the reader (Emulator.Close would race with it).
		if c, ok := emu.InputPipe().(io.Closer); ok {
			_ = c.Close()
			<-answers
		}
		s.Orch.Kill()
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("the stack did not end after Kill")
		}
		tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
		cancel()
	})
	names := fakestack.Names[:n]
	waitCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := s.Running(waitCtx, "flow", names...); err != nil {
		t.Fatal(err)
	}
	return f
}

// waitScreen waits until the screen satisfies cond, failing with the screen after 10s. It
// polls the program's output and replays it into one terminal emulator for the flow.
func (f *flow) waitScreen(what string, cond func(screen string) bool) string {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 64<<10)
	for {
		for {
			n, err := f.tm.Output().Read(buf)
			if n > 0 {
				// Off a terminal the renderer counts on the line discipline's ONLCR (as
				// in cooked mode): a line feed also returns the carriage.
				_, _ = f.emu.Write(bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n")))
			}
			if n == 0 || err != nil {
				break
			}
		}
		screen := f.emu.String()
		if cond(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("waiting for %s: not within 10s; the screen:\n%s", what, screen)
		}
		time.Sleep(5 * time.Millisecond) // poll interval, not a wait for a result
	}
}

func (f *flow) key(k string) { f.tm.Send(keyMsg(k)) }

// row returns the screen row holding s, or "".
func row(screen, s string) string {
	for _, r := range strings.Split(screen, "\n") {
		if strings.Contains(r, s) {
			return r
		}
	}
	return ""
}

func (f *flow) print(ctr string, lines ...string) {
	f.t.Helper()
	if err := f.stack.Print("flow", ctr, orchestrator.Stdout, lines...); err != nil {
		f.t.Fatal(err)
	}
}

func TestFlowSearch(t *testing.T) {
	f := startFlow(t, 3, 120, 30)
	f.print("web", "web says hello", "GET /healthz 200")
	f.print("envoy", "envoy: upstream connected", "envoy: needle in a haystack")
	f.print("shipper", "shipper: 3 records flushed")
	screen := f.waitScreen("every container's lines", func(s string) bool {
		return strings.Contains(s, "web says hello") && strings.Contains(s, "needle in a haystack") && strings.Contains(s, "3 records flushed")
	})
	// Side by side: web's first line and envoy's first line share a row.
	if r := row(screen, "web says hello"); !strings.Contains(r, "envoy: upstream connected") {
		t.Errorf("web's and envoy's lines are not side by side: %q", r)
	}
	f.key("/")
	f.tm.Type("NEEDLE")
	f.key("enter")
	f.waitScreen("the match counted in the footer", func(s string) bool {
		return strings.Contains(s, "/needle  1 of 1")
	})
	f.print("shipper", "shipper: another needle")
	f.waitScreen("shipper's needle", func(s string) bool { return strings.Contains(s, "shipper: another needle") })
	f.key("N") // the match after the current one in time: shipper's
	f.waitScreen("the jump to shipper's newer match", func(s string) bool {
		return strings.Contains(s, "/needle  2 of 2")
	})
	f.key("esc")
	f.waitScreen("the search cleared", func(s string) bool {
		return !strings.Contains(s, "/needle") && strings.Contains(s, "tab focus")
	})
}

func TestFlowZoom(t *testing.T) {
	f := startFlow(t, 3, 100, 24)
	f.print("envoy", "envoy: "+strings.Repeat("wide ", 15)+"end")
	f.waitScreen("three columns with envoy's line", func(s string) bool {
		return strings.Contains(s, "┌ web · main") && strings.Contains(s, "┬ envoy · sidecar") &&
			strings.Contains(s, "┬ shipper · sidecar") && strings.Contains(s, "envoy: wide")
	})
	f.key("2")
	f.key("z")
	screen := f.waitScreen("envoy zoomed with a tab row", func(s string) bool {
		return strings.Contains(s, "z: all columns") && strings.Contains(s, "┌ envoy · sidecar") && !strings.Contains(s, "┬ shipper")
	})
	// Full width: the long line fits on one row.
	if r := row(screen, "envoy: wide"); !strings.Contains(r, "wide end") {
		t.Errorf("the zoomed column does not take the full width: %q\n%s", r, screen)
	}
	f.key("z")
	f.waitScreen("three columns again", func(s string) bool {
		return strings.Contains(s, "┬ shipper · sidecar") && !strings.Contains(s, "z: all columns")
	})
}

func TestFlowRestartAndQuit(t *testing.T) {
	f := startFlow(t, 2, 100, 24)
	f.print("envoy", "envoy: first run")
	f.waitScreen("envoy's first line", func(s string) bool { return strings.Contains(s, "envoy: first run") })
	f.key("tab")
	f.key("r")
	screen := f.waitScreen("envoy restarted", func(s string) bool {
		return strings.Contains(s, "envoy restarted") && strings.Contains(s, "▶ started (restart 1)") && strings.Contains(s, "↻1")
	})
	// The log pipeline's marker separates the runs, then the new run starts.
	if marker, started := strings.Index(screen, "envoy restarted"), strings.Index(screen, "▶ started (restart 1)"); marker > started {
		t.Errorf("the restart marker is below the start line:\n%s", screen)
	}
	// The footer says so, then shows the keys again.
	f.waitScreen("the footer saying envoy restarted", func(s string) bool { return strings.Contains(s, "restarted envoy") })
	f.waitScreen("the key hints back in the footer", func(s string) bool {
		return !strings.Contains(s, "restarted envoy") && strings.Contains(s, "tab focus")
	})
	if c, ok := f.stack.Engine.Container(f.stack.EngineName("flow", "envoy")); !ok || c.Starts != 2 {
		t.Errorf("envoy started %d times on the engine, want 2", c.Starts)
	}
	f.key("q")
	f.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	res, err := f.stack.Wait()
	if err != nil || res.ExitCode != 0 || res.Reason != "shut down by user" {
		t.Errorf("the stack ended with %+v, %v; want a shutdown by the user", res, err)
	}
	if left := f.stack.Engine.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
