package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/internal/syncbuf"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

// `sidecar logs` on a stack that runs on the engine: the history of every container,
// interleaved by time and sanitised; then -f follows a sidecar across its restarts.
func TestLogsCommandOnRunningStack(t *testing.T) {
	t.Parallel()
	d := testenv.Engine(t)
	img := testenv.AppsImage(t)
	name := testenv.UniqueName(t, "sct-logs-cli")
	testenv.CheckNoLeaks(t, orchestrator.StackFilter(name))
	st, _, err := recipes.Load(recipes.File{Name: "/tmp/" + name + "/sidecar.yaml", Content: []byte(`
backoff: {initial: 400ms, max: 500ms}
sidecars:
  - name: flaky
    image: ${IMAGE}
    command: ["/spewer", "-lines", "3", "-rate", "20", "-stderr-every", "3", "-exit-code", "1"]
main:
  name: app
  image: ${IMAGE}
  command: ["/spewer", "-lines", "0", "-rate", "20", "-hostile"]
`)}, recipes.Options{Env: map[string]string{"IMAGE": img}, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	o := orchestrator.New(d, st, orchestrator.Options{})
	ctx := testenv.Context(t, 4*time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Run(ctx)
	}()
	t.Cleanup(func() {
		o.Shutdown()
		<-done
	})
	app := o.Logs().Buffer(st.Pods[0].Name, "app")
	testenv.Eventually(t, 2*time.Minute, func() error {
		if _, n := app.Bounds(); n < 12 {
			return fmt.Errorf("app printed %d lines so far", n)
		}
		// flaky's history holds an earlier run: it has restarted and is running again.
		for _, p := range o.Snapshot().Pods {
			for _, c := range p.Containers {
				if c.Name == "flaky" && (c.Restarts < 1 || c.State != orchestrator.CStateRunning) {
					return fmt.Errorf("flaky: %d restarts, %s", c.Restarts, c.State)
				}
			}
		}
		return nil
	})

	cli := func(ctx context.Context, out *syncbuf.Buffer, args ...string) int {
		f, _, errOut := testFactory(t)
		f.Environ = func() []string { return nil }
		f.IO.Out = out
		code := execute(ctx, f, args)
		if code != 0 && code != exitInterrupted {
			t.Errorf("sidecar %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		return code
	}

	var out syncbuf.Buffer
	cli(ctx, &out, "logs", "--stack", name, "--timestamps")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var last time.Time
	seen := map[string]int{}
	for _, l := range lines {
		ts, rest, _ := strings.Cut(l, " ")
		at, err := time.Parse(plain.TimeFormat, ts)
		if err != nil {
			t.Fatalf("line %q has no timestamp: %v", l, err)
		}
		if at.Before(last.Add(-time.Millisecond)) { // the format keeps milliseconds
			t.Errorf("line %q is older than the one before it (%s)", l, last.Format(plain.TimeFormat))
		}
		last = at
		if rest == "flaky * restarted" {
			seen["flaky restarted"]++
			continue
		}
		label, text, ok := strings.Cut(rest, " | ")
		if !ok {
			t.Fatalf("line %q is not `name | text`", l)
		}
		seen[strings.TrimSpace(label)]++
		if strings.ContainsAny(text, "\x1b\r\b\a\u202e") {
			t.Errorf("unsafe text in %q", l)
		}
		if strings.TrimSpace(label) == "app" && label != "app  " { // padded to flaky's width
			t.Errorf("label %q is not padded to flaky's width", label)
		}
	}
	if seen["app"] < 12 || seen["flaky"] < 3 {
		t.Errorf("lines per container %v, want app's and flaky's\n%s", seen, out.String())
	}
	if !strings.Contains(out.String(), "app   | line 000005 link\n") && !strings.Contains(out.String(), "| line 000005 link\n") {
		t.Errorf("the hostile line 5 is not there, sanitised:\n%s", out.String())
	}
	// flaky has restarted by now: its latest run comes after a note, and is one run. (Its
	// back-off, longer than the 250ms by which a run's first line may be stamped before the
	// run's start, keeps the runs apart by their timestamps: with 200ms the last line of the
	// run before could be taken as the latest run's.)
	if seen["flaky restarted"] != 1 {
		t.Errorf("%d restart notes of flaky in its history, want 1 (before its latest run):\n%s", seen["flaky restarted"], out.String())
	} else {
		_, latest, _ := strings.Cut(out.String(), " flaky * restarted\n")
		var run []string
		for _, l := range strings.Split(latest, "\n") {
			if _, text, ok := strings.Cut(l, " flaky | "); ok {
				run = append(run, text)
			}
		}
		// That run may have printed nothing yet: it may have started just now.
		if len(run) > 3 || len(run) > 0 && run[0] != "line 000001" {
			t.Errorf("flaky's latest run after the note: %q", run)
		}
	}

	// -f: flaky restarts twice more while followed; its runs show, each after a note.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var fout syncbuf.Buffer
	fdone := make(chan int, 1)
	go func() { fdone <- cli(fctx, &fout, "logs", "-f", "--stack", name, "flaky") }()
	testenv.Eventually(t, 2*time.Minute, func() error {
		if n := strings.Count(fout.String(), "flaky * restarted\n"); n < 2 {
			return fmt.Errorf("%d restarts followed so far", n)
		}
		return nil
	})
	cancel()
	if code := <-fdone; code != exitInterrupted {
		t.Errorf("logs -f ended with %d after Ctrl-C, want %d", code, exitInterrupted)
	}
	runs := strings.Split(fout.String(), "flaky * restarted\n")
	for i, run := range runs[1 : len(runs)-1] { // whole runs between two restarts
		var out, errs []string
		for _, l := range strings.Split(strings.TrimSuffix(run, "\n"), "\n") {
			_, text, _ := strings.Cut(l, " | ")
			if text == "line 000003" {
				errs = append(errs, text)
			} else {
				out = append(out, text)
			}
		}
		if strings.Join(out, ",") != "line 000001,line 000002" || len(errs) != 1 {
			t.Errorf("followed run %d: %q", i+1, run)
		}
	}
	if strings.Contains(fout.String(), "app") {
		t.Errorf("logs -f flaky shows app:\n%s", fout.String())
	}
}
