package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Escape sequences a label can carry: a window title (OSC 0), a clipboard write (OSC 52), a
// screen clear and cursor home (CSI), a bell.
const (
	evilTitle = "x\x1b]0;TITLE\a"
	evilClip  = "\x1b]52;c;aGFja2Vk\a"
	evilClear = "\x1b[2J\x1b[H"
)

// Anyone with access to the engine (or an image, or a compose file of someone else's) can set
// sidecar's labels on a container. None of their bytes may reach the terminal through any
// command: such a container is left out, and said so with its labels quoted.
func TestHostileLabelsNeverReachTheTerminal(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "hostile-labels")
	keys := orchestrator.Labels{Stack: "x", Pod: "x", Container: "x", Role: recipes.RoleMain, Version: "x", Recipe: "x"}.Encode()
	hostile := func(stack string) map[string]string {
		l := map[string]string{testenv.OwnerLabel: s.stack}
		for k := range keys {
			l[k] = evilClip + evilClear
		}
		for k := range orchestrator.StackFilter("") { // the stack label's key
			l[k] = stack
		}
		return l
	}
	// One whose stack label is hostile (no sidecar command can name it), one of the test's own
	// stack with every other label hostile; both print hostile lines too.
	cmd := []string{"/spewer", "-lines", "20", "-hostile"}
	foreign, err := s.d.CreateContainer(s.ctx, orchestrator.ContainerSpec{Name: testenv.UniqueName(t, "hostile"), Image: s.image, Cmd: cmd, Labels: hostile(evilTitle)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // no sidecar command can name its stack
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.d.RemoveContainer(ctx, foreign)
	})
	ours, err := s.d.CreateContainer(s.ctx, orchestrator.ContainerSpec{Name: s.stack + "-evil", Image: s.image, Cmd: cmd, Labels: hostile(s.stack)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{foreign, ours} {
		if err := s.d.StartContainer(s.ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	clean := func(what, out string) {
		t.Helper()
		if i := strings.IndexAny(out, "\x1b\a\u009b\u009d"); i >= 0 {
			t.Errorf("%s printed a control character at byte %d: %q", what, i, out)
		}
		if strings.Contains(out, "]0;TITLE") && !strings.Contains(out, `\x1b]0;TITLE\a`) {
			t.Errorf("%s shows the hostile stack name other than quoted: %q", what, out)
		}
	}
	for _, args := range [][]string{{"ps"}, {"ps", "--stack", s.stack}, {"ps", "-o", "json"}, {"logs", "--stack", s.stack}} {
		out, errOut, code := s.run(args...)
		clean("sidecar "+strings.Join(args, " "), out+errOut)
		if args[0] == "ps" && code != 0 {
			t.Errorf("sidecar %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		if args[0] == "ps" && !strings.Contains(errOut, "is left out, its labels are not sidecar's") {
			t.Errorf("sidecar %s does not say what it left out: %q", strings.Join(args, " "), errOut)
		}
		if len(args) == 3 && args[1] == "-o" {
			var v struct{ Stacks []struct{ Name string } }
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("ps -o json: %v\n%s", err, out)
			}
			for _, st := range v.Stacks {
				if strings.ContainsAny(st.Name, "\x1b\a") {
					t.Errorf("ps -o json lists the stack %q", st.Name)
				}
			}
		}
	}

	// --stack with such a name: a usage error that quotes it.
	out, errOut, code := s.run("down", "--stack", evilTitle)
	clean("sidecar down --stack <hostile>", out+errOut)
	if code != 2 || !strings.Contains(errOut, "is not a valid name") {
		t.Errorf("down --stack <hostile>: exit %d, want 2 with a message:\n%s%s", code, out, errOut)
	}
	// The test's own stack goes down, hostile labels and all, printing none of them.
	out, errOut, code = s.run("down", "--stack", s.stack, "--timeout", "1s")
	clean("sidecar down --stack "+s.stack, out+errOut)
	if code != 0 {
		t.Errorf("down --stack %s: exit %d\n%s%s", s.stack, code, out, errOut)
	}
	if left := s.containers(); len(left) > 0 {
		t.Errorf("down left %d containers of the stack", len(left))
	}
}
