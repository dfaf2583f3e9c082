package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// warnedModel is a running one-pod stack whose recipe gave the warnings.
func warnedModel(t *testing.T, w, h int, warnings ...string) *model {
	t.Helper()
	opts := Options{Now: func() time.Time { return base.Add(2*time.Minute + 13*time.Second) }, Location: time.UTC,
		Warnings: warnings}.withDefaults()
	m := newModel(context.Background(), nil, &fakeCtl{}, opts)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(2)},
		orchestrator.StackEvent{EventMeta: meta(0), Stack: "shop", Phase: orchestrator.PhaseRunning})
	return m
}

// The recipe's warnings are seen while the view runs: the footer says them until the first
// key, the header counts them all along, and W lists them over the columns (esc or W
// closes the list); the help names W.
func TestWarningsAreShown(t *testing.T) {
	warns := []string{
		"compose.yaml:6:5: warning: services.web.stdin_open: containers do not get a stdin; ignored",
		"compose.yaml:7:5: warning: services.web.security_opt: security options are not applied; ignored",
	}
	m := warnedModel(t, 120, 30, warns...)
	rows := strings.Split(m.frame(), "\n")
	if !strings.Contains(rows[0], "⚠ 2 warnings W") {
		t.Errorf("the header does not count the warnings: %q", rows[0])
	}
	if foot := rows[len(rows)-1]; !strings.Contains(foot, "loading the recipe gave 2 warnings: W lists them") {
		t.Errorf("the footer does not say there are warnings: %q", foot)
	}
	m.press("j")
	rows = strings.Split(m.frame(), "\n")
	if foot := rows[len(rows)-1]; strings.Contains(foot, "warnings") || !strings.Contains(rows[0], "⚠ 2 warnings") {
		t.Errorf("after a key the footer should show the keys and the header still count the warnings:\n%s\n%s", rows[0], foot)
	}
	m.press("W")
	f := m.frame()
	if !strings.Contains(f, "WARNINGS 2") || !strings.Contains(f, "⚠ "+warns[0]) || !strings.Contains(f, "⚠ "+warns[1]) {
		t.Errorf("W does not list the warnings:\n%s", f)
	}
	m.press("esc")
	if f := m.frame(); strings.Contains(f, "WARNINGS") || !strings.Contains(f, "web") {
		t.Errorf("esc does not close the list:\n%s", f)
	}
	m.press("W", "W")
	if strings.Contains(m.frame(), "WARNINGS") {
		t.Error("a second W does not close the list")
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 60})
	m.press("?")
	if f := m.frame(); !strings.Contains(f, "show or hide the recipe's warnings") {
		t.Errorf("the help does not name W:\n%s", f)
	}
}

// A long warning wraps in the list at a narrow width; a warning's escape sequences are not
// drawn; a recipe without warnings has no count in the header, and W says there are none.
func TestWarningsNarrowAndNone(t *testing.T) {
	long := "compose.yaml:12:5: warning: services.worker.devices: device requests (GPUs) are not passed to the engine; ignored"
	m := warnedModel(t, 60, 20, long, "bad\x1b]0;title\x07 key")
	m.press("W")
	f := m.frame()
	if !strings.Contains(f, "device requests (GPUs)") || !strings.Contains(f, "ignored") {
		t.Errorf("the long warning is not all there:\n%s", f)
	}
	for _, r := range strings.Split(f, "\n") {
		if ansi.StringWidth(r) > 60 {
			t.Errorf("a row wider than the screen: %q", r)
		}
	}
	if raw := m.render(); strings.Contains(raw, "\x1b]0;") {
		t.Error("a warning's OSC sequence reached the screen")
	}

	m = warnedModel(t, 120, 30)
	if h := m.frame(); strings.Contains(h, "warning") {
		t.Errorf("a view without warnings mentions them:\n%s", h)
	}
	m.press("W")
	rows := strings.Split(m.frame(), "\n")
	if foot := rows[len(rows)-1]; !strings.Contains(foot, "without warnings") {
		t.Errorf("W without warnings: %q", foot)
	}
}
