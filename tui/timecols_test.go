package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// TestMergedOrder: a batch brings one container's lines of a stretch of time, then
// another's of the same stretch; the merged stream interleaves them by engine time, with
// the lines that came before the stream was shown, and the ones that come after.
func TestMergedOrder(t *testing.T) {
	m := twoColumns(t)
	m.events(logAt("web", 10, "a"), logAt("web", 30, "c"), logAt("envoy", 20, "b"), logAt("envoy", 40, "d"))
	m.press("c")
	// The next batch: envoy's line before web's last, then web's.
	m.events(logAt("envoy", 35, "c2"), logAt("web", 50, "e"), logAt("envoy", 45, "d2"))
	var got []string
	p := m.merged
	lo, hi := p.bounds()
	for i := lo; i < hi; i++ {
		l := p.lineAt(i)
		got = append(got, []string{"", "web", "envoy"}[l.src]+":"+l.text)
	}
	if want := "web:a envoy:b web:c envoy:c2 envoy:d envoy:d2 web:e"; strings.Join(got, " ") != want {
		t.Errorf("merged stream %q, want %q", strings.Join(got, " "), want)
	}
	frame := m.frame()
	if !strings.Contains(frame, "web   │ a") || !strings.Contains(frame, "envoy │ b") {
		t.Errorf("the lines are not under their containers' names:\n%s", frame)
	}
	m.press("r")
	if !strings.Contains(m.notice, "c goes back to the columns") {
		t.Errorf("r in the merged stream: notice %q", m.notice)
	}
	m.press("c")
	if m.merged != nil || m.pane("shop", "web").tee != nil || len(m.shownPanes()) != 2 {
		t.Errorf("c did not go back to the columns")
	}
}

// TestMergeOffTheUpdateLoop: c copies the columns' lines and returns the command that
// orders them; the stream shows when its message comes back, with the lines that came
// meanwhile in their place. c again before that gives up on it, and its late message
// changes nothing.
func TestMergeOffTheUpdateLoop(t *testing.T) {
	m := twoColumns(t)
	m.events(logAt("web", 10, "a"), logAt("envoy", 20, "b"), logAt("web", 30, "c"))
	_, cmd := m.Update(keyMsg("c"))
	if cmd == nil || m.merged != nil || len(m.shownPanes()) != 2 || !strings.Contains(m.notice, "ordering 3 lines of 2 columns") {
		t.Fatalf("c: command %v, merged %v, %d columns, notice %q; want the columns until the command is done", cmd != nil, m.merged != nil, len(m.shownPanes()), m.notice)
	}
	m.events(logAt("envoy", 25, "b2"), logAt("web", 40, "d")) // while the command runs
	m.Update(cmd())
	var got []string
	if m.merged != nil {
		lo, hi := m.merged.bounds()
		for i := lo; i < hi; i++ {
			got = append(got, m.merged.lineAt(i).text)
		}
	}
	if want := "a b b2 c d"; strings.Join(got, " ") != want {
		t.Errorf("merged stream %q, want %q", strings.Join(got, " "), want)
	}

	m.press("c") // the columns again
	_, cmd = m.Update(keyMsg("c"))
	m.press("c") // given up on before its command is done
	m.Update(cmd())
	if m.merged != nil || m.merging != nil || m.pane("shop", "web").tee != nil || len(m.shownPanes()) != 2 {
		t.Errorf("a merge given up on was shown: merged %v, merging %v", m.merged != nil, m.merging != nil)
	}
}

// twoColumns is a running stack of two containers, web and envoy, at 100×30.
func twoColumns(t *testing.T) *model {
	m, _ := testModel(t, 100, 30)
	seq = 0
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(2)},
		orchestrator.StackEvent{EventMeta: meta(0), Stack: "shop", Phase: orchestrator.PhaseRunning})
	return m
}

// logAt is a line of ctr at ms milliseconds after base, numbered by its time.
func logAt(ctr string, ms int, text string) orchestrator.Event {
	return orchestrator.LogEvent{EventMeta: orchestrator.EventMeta{Seq: uint64(1000 + ms), Time: base.Add(time.Duration(ms) * time.Millisecond)},
		Pod: "shop", Container: ctr, Text: text}
}

// TestSkippedCounted: a column's bottom border counts the lines the view skipped.
func TestSkippedCounted(t *testing.T) {
	m, _ := runningScene(t, 2, 120, 30)
	m.events(orchestrator.LogsDroppedEvent{EventMeta: meta(time.Minute), Pod: "shop", Container: "envoy", Count: 1200},
		orchestrator.LogsDroppedEvent{EventMeta: meta(time.Minute), Pod: "shop", Container: "envoy", Count: 34})
	frame := m.frame()
	if !strings.Contains(frame, "1234 skipped") || !strings.Contains(frame, "… 34 lines skipped") {
		t.Errorf("envoy's skipped lines are not counted:\n%s", frame)
	}
}

// In a narrow column the aligned border keeps the aligned time, the most useful part: the
// other parts get shorter, then go, before it is cut.
func TestAlignedBorderKeepsTheTime(t *testing.T) {
	m, _ := runningScene(t, 3, 80, 24)
	m.press("a", "tab", "pgup")
	p := m.focused()
	full := m.status(p, m.renderOpts(), 0)
	if !strings.HasPrefix(full, "paused, ") || !strings.Contains(full, " · aligned at ") {
		t.Fatalf("the focused column's status: %q", full)
	}
	at := full[strings.LastIndex(full, " ")+1:] // 12:00:29.000
	for w, want := range map[int]string{
		len(full): full,
		31:        "↓" + strings.Fields(full)[1] + " · aligned at " + at,
		18:        "↓" + strings.Fields(full)[1] + " · " + at,
		15:        "↓" + strings.Fields(full)[1] + " · " + at[:8],
		12:        at,
		9:         at[:8],
	} {
		if got := m.status(p, m.renderOpts(), w); got != want {
			t.Errorf("in %d cells: %q, want %q", w, got, want)
		}
	}
	// On screen: a 33-column terminal's border shows the time.
	m.Update(tea.WindowSizeMsg{Width: 33, Height: 24})
	if f := m.frame(); !strings.Contains(f, at) {
		t.Errorf("at 33 columns the border lacks %s:\n%s", at, f)
	}
}
