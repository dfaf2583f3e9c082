package main

import (
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime/fake"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

func TestUpChoosesItsView(t *testing.T) {
	tests := []struct {
		name   string
		tty    bool // stdout
		in     bool // stdin
		plain  bool
		output string
		want   string
	}{
		{"terminal", true, true, false, "text", "*main.tuiView"},
		{"terminal, --plain", true, true, true, "text", "*plain.Printer"},
		{"terminal, --output json", true, true, false, "json", "*plain.JSON"},
		{"not a terminal", false, false, false, "text", "*plain.Printer"},
		{"stdout not a terminal (>/dev/null, | tee)", false, true, false, "text", "*plain.Printer"},
		{"stdin not a terminal (</dev/null, nohup)", true, false, false, "text", "*plain.Printer"},
	}
	rt := newFake("app:1")
	c := testCLI(t, rt, controlTestDir(t))
	st, _, err := loadStack(c.f, recipeFiles{recipe(t, jobRecipe)})
	if err != nil {
		t.Fatal(err)
	}
	o := orchestrator.New(rt, st, orchestrator.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.f.IO.IsTTY, c.f.IO.InIsTTY = tt.tty, tt.in
			opts := c.upOptions("sidecar.yaml", func(o *UpOptions) { o.Plain, o.Output = tt.plain, tt.output })
			if got := typeName(opts.newView(o)); got != tt.want {
				t.Errorf("view %s, want %s", got, tt.want)
			}
		})
	}
}

func typeName(v upView) string {
	switch v.(type) {
	case *tuiView:
		return "*main.tuiView"
	case *plain.Printer:
		return "*plain.Printer"
	case *plain.JSON:
		return "*plain.JSON"
	}
	return "unknown"
}

// upInTUI runs up on a "terminal" whose keyboard is keys.
func upInTUI(t *testing.T, rt *fake.Runtime) (*cli, *io.PipeWriter, func() error) {
	t.Helper()
	c := testCLI(t, rt, controlTestDir(t))
	keysR, keys := io.Pipe()
	t.Cleanup(func() { keys.Close() })
	c.f.IO.In, c.f.IO.IsTTY, c.f.IO.InIsTTY = keysR, true, true
	return c, keys, c.up(recipe(t, jobRecipe))
}

func TestUpWithTheTUIQuitsOnQ(t *testing.T) {
	rt := newFake("app:1")
	c, keys, wait := upInTUI(t, rt)
	c.until("the stack running", c.running("job-work", "job-helper"))
	if _, err := keys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("up after q: %v\nstderr: %s", err, c.errOut)
	}
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if c.errOut.String() != "" {
		t.Errorf("up wrote to stderr under the view: %q", c.errOut)
	}
}

func TestUpWithTheTUIInterruptThenForce(t *testing.T) {
	rt := newFake("app:1")
	rt.IgnoreSIGTERM("job-work")
	c, _, wait := upInTUI(t, rt)
	c.until("the stack running", c.running("job-work", "job-helper"))
	c.signals <- syscall.SIGTERM
	c.until("main's stop signal", func() bool {
		return strings.Contains(strings.Join(rt.HistoryOf("job-work"), ","), "kill job-work SIGTERM")
	})
	c.signals <- syscall.SIGINT // main ignores SIGTERM and has 30s: force
	if code := exitOf(wait()); code != exitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	if left := rt.Containers(); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	if strings.Contains(c.errOut.String(), "press Ctrl-C again") {
		t.Errorf("up's own interrupt watch ran under the view: %q", c.errOut)
	}
}

// up's --timestamps, --no-color and --log-lines reach the interactive view.
func TestUpTUIOptions(t *testing.T) {
	c := testCLI(t, newFake("app:1"), controlTestDir(t))
	c.f.Environ = func() []string { return []string{"NO_COLOR=1"} }
	for _, on := range []bool{false, true} {
		opts := c.upOptions("sidecar.yaml", func(o *UpOptions) { o.Timestamps, o.NoColor, o.LogLines = on, on, 77 })
		got := opts.newTUIView(nil).opts
		if got.Timestamps != on || got.NoColor != on || got.LogLines != 77 {
			t.Errorf("--timestamps=%v --no-color=%v --log-lines 77: the view's options %+v", on, on, got)
		}
		if strings.Join(got.Environ, " ") != "NO_COLOR=1" {
			t.Errorf("the view's environment %q, want the process's (NO_COLOR)", got.Environ)
		}
	}
}

// warnedCompose is a compose file whose stdin_open the loader warns about.
const warnedCompose = "name: warned\nservices:\n  web: {image: app:1, stdin_open: true}\n"

const warnedText = "warning: services.web.stdin_open: containers do not get a stdin; ignored"

// The loader's warnings reach the interactive view, which counts them in its header; they
// are not printed while it has the screen (they would vanish with it), and are printed
// once, after it has ended.
func TestUpTUIShowsTheWarnings(t *testing.T) {
	rt := newFake("app:1")
	c := testCLI(t, rt, controlTestDir(t))
	keysR, keys := io.Pipe()
	t.Cleanup(func() { keys.Close() })
	c.f.IO.In, c.f.IO.IsTTY, c.f.IO.InIsTTY = keysR, true, true
	path := filepath.Join(t.TempDir(), "compose.yaml")
	writeFile(t, path, warnedCompose)
	var opts *UpOptions
	wait := c.up(path, func(o *UpOptions) { opts = o })
	c.until("the stack running", c.running("warned-web-web"))
	if s := c.errOut.String(); s != "" {
		t.Errorf("up wrote to stderr under the view: %q", s)
	}
	if _, err := keys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("up after q: %v\nstderr: %s", err, c.errOut)
	}
	if s := c.errOut.String(); strings.Count(s, warnedText) != 1 {
		t.Errorf("after the view, stderr should hold the warning once: %q", s)
	}
	if w := opts.newTUIView(nil).opts.Warnings; len(w) != 1 || !strings.Contains(w[0], warnedText) {
		t.Errorf("the view's warnings: %q", w)
	}
}

// Off a terminal the warnings are printed once, before the stack's lines.
func TestUpPlainPrintsTheWarningsOnce(t *testing.T) {
	rt := newFake("app:1")
	rt.ExitOnStart("warned-web-web", 0)
	c := testCLI(t, rt, controlTestDir(t))
	path := filepath.Join(t.TempDir(), "compose.yaml")
	writeFile(t, path, warnedCompose)
	if err := c.up(path)(); err != nil {
		t.Fatalf("up: %v\n%s", err, c.errOut)
	}
	if s := c.errOut.String(); strings.Count(s, warnedText) != 1 {
		t.Errorf("stderr should hold the warning once: %q", s)
	}
}
