package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

// unsafeAt returns where out holds something that could act on a terminal — a C0 control
// other than newline and tab, DEL, ESC, a C1 control, a bidi control — or -1.
func unsafeAt(out string) int {
	for i, r := range out {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			return i
		case r == 0x61c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			return i
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"):
			return i // invalid UTF-8
		}
	}
	return -1
}

// hostileRun runs `sidecar args…` (ps, logs or down) against rt, with stderr made safe as
// execute does, and returns what it printed.
func hostileRun(t *testing.T, rt *fake.Runtime, args ...string) (code int, out, errOut string) {
	t.Helper()
	return hostileRunEnv(t, rt, nil, args...)
}

// hostileRunEnv is hostileRun with env as sidecar's environment (nil: the test factory's).
func hostileRunEnv(t *testing.T, rt *fake.Runtime, env []string, args ...string) (code int, out, errOut string) {
	t.Helper()
	f, o, e := testFactory(t)
	if env != nil {
		f.Environ = func() []string { return env }
	}
	f.IO.ErrOut = termsafe.Writer(f.IO.ErrOut, termsafe.Color)
	dir := t.TempDir()
	eng := func(context.Context) (engine, error) { return fakeEngine{rt}, nil }
	root := newRootCmd(f,
		newPsCmd(f, func(o *PsOptions) error { o.Connect, o.ControlDir = eng, dir; return psRun(context.Background(), o) }),
		newLogsCmd(f, func(o *LogsOptions) error {
			o.Connect = func(context.Context) (logEngine, error) { return fakeEngine{rt}, nil }
			return logsRun(context.Background(), o)
		}),
		newDownCmd(f, func(o *DownOptions) error {
			o.Connect, o.ControlDir = eng, dir
			return downRun(context.Background(), o)
		}),
	)
	root.SetArgs(args)
	code = exitCode(root.ExecuteContext(context.Background()), f.IO.ErrOut, root)
	return code, o.String(), e.String()
}

// hostileStack puts on rt one running container of stack "fz" whose other labels, image and
// output are the given strings, and makes its removal fail with errText.
func hostileStack(t *testing.T, pod, container, role, version, image, line, errText string) *fake.Runtime {
	t.Helper()
	rt := fake.New(clock.RealClock{})
	rt.AddImage(image)
	labels := orchestrator.Labels{Stack: "fz", Pod: "p", Container: "c", Role: recipes.RoleMain, Version: "v", Recipe: "/r"}.Encode()
	fuzzed := orchestrator.Labels{Pod: pod, Container: container, Version: version}.Encode()
	for k, v := range fuzzed {
		labels[k] = v
	}
	roleKey := orchestrator.Labels{Role: recipes.RoleMain}.Encode()
	for k := range roleKey {
		labels[k] = role
	}
	ctx := context.Background()
	id, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "fz-c", Image: image, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := rt.Print("fz-c", orchestrator.Stderr, line); err != nil {
		t.Fatal(err)
	}
	rt.Fail("RemoveContainer", "", errors.New(errText))
	return rt
}

// Engine strings, hostile: nothing of them reaches the terminal raw through ps, logs or down.
func TestEngineStringsAreMadeSafe(t *testing.T) {
	const title, clip, clear = "x\x1b]0;TITLE\a", "\x1b]52;c;aGFja2Vk\a", "\x1b[2J\x1b[H"
	rt := hostileStack(t, title, clip, "main"+clear, clip, "img"+clear, "line "+title+"\u202eevil", "remove failed "+clip+"\x9b2J")
	for _, args := range [][]string{{"ps"}, {"ps", "--stack", "fz"}, {"logs", "--stack", "fz"}, {"down", "--stack", "fz", "--timeout", "1ms"}} {
		code, out, errOut := hostileRun(t, rt, args...)
		if i := unsafeAt(out + errOut); i >= 0 {
			t.Errorf("sidecar %s: exit %d, unsafe output at byte %d: %q", strings.Join(args, " "), code, i, out+errOut)
		}
		if args[0] != "down" && !strings.Contains(errOut, `is left out, its labels are not sidecar's: label dev.sidecar.pod is "x\x1b]0;TITLE\a"`) {
			t.Errorf("sidecar %s: %q does not say what was left out", strings.Join(args, " "), errOut)
		}
		if args[0] == "down" && (code != 1 || !strings.Contains(errOut, "remove failed")) {
			t.Errorf("sidecar down: exit %d, %q", code, errOut)
		}
	}
}

// --stack takes a stack's name, or it is a usage error that quotes what was given.
func TestStackFlagIsAName(t *testing.T) {
	rt := fake.New(clock.RealClock{})
	for _, cmd := range []string{"ps", "logs", "down"} {
		for _, bad := range []string{"x\x1b]0;TITLE\a", "Shop", "a_b", strings.Repeat("x", 64)} {
			code, out, errOut := hostileRun(t, rt, cmd, "--stack", bad)
			if code != 2 || !strings.Contains(errOut, "is not a valid name") || unsafeAt(out+errOut) >= 0 {
				t.Errorf("%s --stack %q: exit %d, stdout %q, stderr %q", cmd, bad, code, out, errOut)
			}
		}
	}
}

// A message that quotes something hostile (here a file name given on the command line) is
// made safe on its way to stderr.
func TestStderrIsMadeSafe(t *testing.T) {
	f, _, errOut := testFactory(t)
	code := execute(context.Background(), f, []string{"validate", "-f", t.TempDir() + "/x\x1b]0;TITLE\a.yaml"})
	if code != 2 || unsafeAt(errOut.String()) >= 0 || !strings.Contains(errOut.String(), "/x.yaml: no such file") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// FuzzEngineStrings: whatever the engine says — labels, image name, a container's output,
// an error — ps, logs and down print nothing that acts on a terminal.
func FuzzEngineStrings(f *testing.F) {
	f.Add("web", "envoy", "sidecar", "v1", "img:1", "hello", "boom")
	f.Add("x\x1b]0;TITLE\a", "\x1b]52;c;aGFja2Vk\a", "main\x1b[2J", "\x9b31m", "i\u202e", "a\x1bP+q\x1b\\b", "e\r\x08\x07")
	f.Fuzz(func(t *testing.T, pod, container, role, version, image, line, errText string) {
		if image == "" {
			image = "img"
		}
		rt := hostileStack(t, pod, container, role, version, image, line, errText)
		for _, args := range [][]string{{"ps"}, {"logs", "--stack", "fz"}, {"down", "--stack", "fz", "--timeout", "1ms"}} {
			_, out, errOut := hostileRun(t, rt, args...)
			if i := unsafeAt(out + errOut); i >= 0 {
				t.Fatalf("sidecar %s: unsafe output at byte %d: %q", strings.Join(args, " "), i, out+errOut)
			}
		}
	})
}

// A stack that is gone, but whose last `up -d` left its log, is said to be gone with where
// that log is, by ps and logs: how it ended (main's exit code, say) is at its end.
func TestGoneStackPointsAtItsLog(t *testing.T) {
	state := t.TempDir()
	if err := os.MkdirAll(filepath.Join(state, "sidecar"), 0o700); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(state, "sidecar", "gone.log")
	if err := os.WriteFile(log, []byte("main * exited 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Its time says which run it is of: a foreground up may have run the stack since.
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	if err := os.Chtimes(log, at, at); err != nil {
		t.Fatal(err)
	}
	rt := fake.New(clock.RealClock{})
	for _, args := range [][]string{{"ps", "--stack", "gone"}, {"logs", "--stack", "gone"}} {
		code, out, errOut := hostileRunEnv(t, rt, []string{"XDG_STATE_HOME=" + state}, args...)
		if !strings.Contains(out+errOut, "how its last `sidecar up -d` ended (2026-03-04 05:06:07) is at the end of "+log) {
			t.Errorf("sidecar %s: exit %d, %q %q", strings.Join(args, " "), code, out, errOut)
		}
	}
}
