package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

// End-to-end tests of log capture: stacks run by the orchestrator on the real engine, their
// containers' output read into the log buffers.

// countingDocker is the Docker adapter, counting the streams attached before starts.
type countingDocker struct {
	*runtime.Docker
	attached atomic.Int32
}

func (d *countingDocker) AttachLogs(ctx context.Context, id string) (orchestrator.LogStream, error) {
	d.attached.Add(1)
	return d.Docker.AttachLogs(ctx, id)
}

// e2eStack loads a recipe whose containers run the test programs' image (${IMAGE}) under a
// unique stack name, and registers the leak check.
func e2eStack(t *testing.T, recipe string) *recipes.Stack {
	t.Helper()
	img := testenv.AppsImage(t)
	name := testenv.UniqueName(t, "sct-logs")
	testenv.CheckNoLeaks(t, orchestrator.StackFilter(name))
	st, _, err := recipes.Load(recipes.File{Name: "/tmp/" + name + "/sidecar.yaml", Content: []byte(recipe)},
		recipes.Options{Env: map[string]string{"IMAGE": img}, Name: name})
	if err != nil {
		t.Fatalf("recipe: %v", err)
	}
	return st
}

// runE2E runs st on the engine until it ends (during may stop it), and returns the
// orchestrator to read its buffers.
func runE2E(t *testing.T, st *recipes.Stack, opts orchestrator.Options, during func(o *orchestrator.Orchestrator)) (*orchestrator.Orchestrator, *countingDocker) {
	t.Helper()
	d := &countingDocker{Docker: testenv.Engine(t)}
	o := orchestrator.New(d, st, opts)
	ctx := testenv.Context(t, 4*time.Minute)
	done := make(chan struct{})
	var res orchestrator.Result
	var err error
	go func() {
		defer close(done)
		res, err = o.Run(ctx)
	}()
	if during != nil {
		during(o)
	}
	<-done
	if err != nil {
		t.Fatalf("run: %v (%+v)", err, res)
	}
	return o, d
}

func bufferTexts(b *orchestrator.LogBuffer) (texts []string, streams []orchestrator.Stream, markers []bool) {
	lines, _, missed := b.Read(0, 0)
	if missed > 0 {
		panic(fmt.Sprintf("buffer %s dropped %d lines", b.Container(), missed))
	}
	for _, l := range lines {
		texts, streams, markers = append(texts, l.Text), append(streams, l.Stream), append(markers, l.Marker)
	}
	return texts, streams, markers
}

// 200 000 lines (every thousandth on stderr) from a main that prints them as fast as it
// can and exits: every line arrives, each stream in order, the unfinished last line too.
func TestCaptureEveryLine(t *testing.T) {
	t.Parallel()
	st := e2eStack(t, `
main:
  name: spew
  image: ${IMAGE}
  command: ["/spewer", "-lines", "200000", "-stderr-every", "1000", "-final", "unfinished"]
`)
	o, d := runE2E(t, st, orchestrator.Options{LogLines: 250000, LogBytes: 64 << 20}, nil)
	if d.attached.Load() == 0 {
		t.Error("the main's output was not attached before its start")
	}
	texts, streams, _ := bufferTexts(o.Logs().Buffer(st.Pods[0].Name, "spew"))
	var out, errs []string
	for i, text := range texts {
		if streams[i] == orchestrator.Stderr {
			errs = append(errs, text)
		} else {
			out = append(out, text)
		}
	}
	if len(out) == 0 || out[len(out)-1] != "unfinished" {
		t.Fatalf("stdout does not end with the unfinished line (%d lines)", len(out))
	}
	out = out[:len(out)-1]
	if len(out) != 199800 || len(errs) != 200 {
		t.Fatalf("%d stdout and %d stderr lines, want 199800 and 200", len(out), len(errs))
	}
	testenv.CheckSpewed(t, "capture", testenv.Interleave(out, errs, 1000), 200000, 0)
}

// A container printing terminal attacks comes out sanitised (colour kept for terminals,
// nothing else), and an init container's 1.5 MiB lines arrive whole.
func TestCaptureHostileAndLong(t *testing.T) {
	t.Parallel()
	const long = 1536 * 1024
	st := e2eStack(t, fmt.Sprintf(`
init:
  - name: big
    image: ${IMAGE}
    command: ["/spewer", "-lines", "2", "-size", "%d"]
main:
  name: evil
  image: ${IMAGE}
  command: ["/spewer", "-lines", "22", "-hostile"]
`, long))
	o, _ := runE2E(t, st, orchestrator.Options{}, nil)
	pod := st.Pods[0].Name

	big, _, _ := bufferTexts(o.Logs().Buffer(pod, "big"))
	testenv.CheckSpewed(t, "init container", big, 2, long)

	evil, _, _ := bufferTexts(o.Logs().Buffer(pod, "evil"))
	if len(evil) != 22 {
		t.Fatalf("%d lines from the hostile container, want 22: %q", len(evil), evil)
	}
	want := map[int]string{ // line number → its text, plain
		1:  "line 000001 ",
		2:  "line 000002 ",
		3:  "line 000003 ",
		4:  "line 000004 ",
		5:  "line 000005 link",
		6:  "line 000006 ",
		7:  "line 000007 overwrite",
		8:  "line 000008 backspace",
		9:  "line 000009 bell",
		10: "line 000010 desrever",
		11: "line 000011 \x1b[31mred\x1b[0m",
	}
	for n, w := range want {
		if evil[n-1] != w {
			t.Errorf("line %d is %q, want %q", n, evil[n-1], w)
		}
	}
	for i, text := range evil {
		if termsafe.Sanitize(text, termsafe.Color) != text {
			t.Errorf("line %d is not terminal-safe: %q", i+1, text)
		}
		plain := orchestrator.LogEvent{Text: text}.PlainText()
		if strings.ContainsAny(plain, "\x1b\r\b\a\u202e\u202c") || !strings.HasPrefix(plain, fmt.Sprintf("line %06d ", i+1)) {
			t.Errorf("line %d in plain text: %q", i+1, plain)
		}
	}
}

// A sidecar that prints three lines and crashes is restarted: each run's lines arrive, in
// order, with a marker line before every restart.
func TestCaptureAcrossRestarts(t *testing.T) {
	t.Parallel()
	st := e2eStack(t, `
backoff: {initial: 100ms, max: 200ms}
sidecars:
  - name: flaky
    image: ${IMAGE}
    command: ["/spewer", "-lines", "3", "-stderr-every", "3", "-exit-code", "1"]
main:
  name: app
  image: ${IMAGE}
  command: ["/crasher", "-forever", "-message", "app up"]
`)
	pod := st.Pods[0].Name
	o, _ := runE2E(t, st, orchestrator.Options{}, func(o *orchestrator.Orchestrator) {
		buf := o.Logs().Buffer(pod, "flaky")
		testenv.Eventually(t, 2*time.Minute, func() error {
			texts, _, markers := bufferTexts(buf)
			n := 0
			for _, m := range markers {
				if m {
					n++
				}
			}
			if n < 2 || !strings.HasPrefix(texts[len(texts)-1], "line 000003") {
				return fmt.Errorf("%d restarts seen so far", n)
			}
			return nil
		})
		o.Shutdown()
	})
	texts, streams, markers := bufferTexts(o.Logs().Buffer(pod, "flaky"))
	// Runs: three lines each (the third on stderr: the engine keeps the order within each
	// stream, not across the two), a marker between runs; the last run may have been cut
	// short by the shutdown.
	var out, errs []string
	restarts := 0
	check := func(last bool) {
		if (strings.Join(out, ",") == "line 000001,line 000002" && strings.Join(errs, ",") == "line 000003") ||
			(last && len(out)+len(errs) < 3) {
			return
		}
		t.Errorf("run %d: stdout %q, stderr %q", restarts+1, out, errs)
	}
	for i, text := range texts {
		if markers[i] {
			check(false)
			restarts++
			if want := fmt.Sprintf("--- flaky restarted (restart %d, after exit code 1) ---", restarts); text != want {
				t.Errorf("marker %q, want %q", text, want)
			}
			out, errs = nil, nil
			continue
		}
		if streams[i] == orchestrator.Stderr {
			errs = append(errs, text)
		} else {
			out = append(out, text)
		}
	}
	check(true)
	if restarts < 2 {
		t.Errorf("%d restarts in the buffer, want at least 2: %q", restarts, texts)
	}
	app, _, _ := bufferTexts(o.Logs().Buffer(pod, "app"))
	if len(app) == 0 || app[0] != "app up" {
		t.Errorf("main's lines: %q", app)
	}
}

// An init container that prints 5 000 lines on stdout, then its decisive error on stderr, and
// fails: the failure's last lines end with that error. The engine cannot order stdout and
// stderr against each other — it stamps a line when it copies it from the container's pipe,
// one copier per stream, and the stderr line often comes first, by file order and timestamp
// alike (measured: in 6 of 10 runs it was among the first 20 of the 5 001 lines) — so the
// window of the last lines must not be taken across the two streams.
func TestFailedInitShowsItsLastStderrLine(t *testing.T) {
	t.Parallel()
	st := e2eStack(t, `
init:
  - name: migrate
    image: ${IMAGE}
    command: ["/spewer", "-lines", "5001", "-stderr-every", "5001", "-exit-code", "1"]
main:
  name: app
  image: ${IMAGE}
  command: ["/spewer", "-lines", "1"]
`)
	d := testenv.Engine(t)
	res, err := orchestrator.New(d, st, orchestrator.Options{}).Run(testenv.Context(t, 4*time.Minute))
	if !errors.Is(err, orchestrator.ErrInitFailed) || res.Container != "migrate" {
		t.Fatalf("Run = %+v, %v; want migrate to fail the pod", res, err)
	}
	if n := len(res.Lines); n != 20 || res.Lines[n-1] != "line 005001" || res.Lines[n-2] != "line 005000" {
		t.Errorf("the failure's last lines (%d) do not end with stdout's last line, then the stderr line:\n%s", n, strings.Join(res.Lines, "\n"))
	}
}
