package tui

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

func TestScrolling(t *testing.T) {
	m := snapshotModel(t, 40, 10, 1) // one column, 38 wide, 6 rows
	var evs []orchestrator.Event
	for i := 0; i < 20; i++ {
		evs = append(evs, orchestrator.LogEvent{EventMeta: meta(0), Pod: "shop", Container: "web", Text: "line " + itoa(i)})
	}
	m.events(evs...)
	p := m.focused()
	first := func() string { return strings.TrimSpace(p.render(m.renderOpts())[0]) }
	if p.height != 6 || first() != "line 14" {
		t.Fatalf("height %d, first row %q; want 6, line 14", p.height, first())
	}
	steps := []struct {
		keys   []string
		first  string
		follow bool
	}{
		{[]string{"up"}, "line 13", false},
		{[]string{"pgup"}, "line 8", false},
		{[]string{"home"}, "line 0", false},
		{[]string{"down", "down"}, "line 2", false},
		{[]string{"pgdown", "pgdown", "pgdown"}, "line 14", true}, // the bottom follows again
		{[]string{"f"}, "line 14", false},
		{[]string{"G"}, "line 14", true},
	}
	for _, s := range steps {
		m.press(s.keys...)
		if first() != s.first || p.follow != s.follow {
			t.Fatalf("after %v: first row %q, follow %v; want %q, %v", s.keys, first(), p.follow, s.first, s.follow)
		}
	}
	// Scrolled up, new lines do not move the view; the bottom border counts them.
	m.press("pgup")
	m.events(orchestrator.LogEvent{EventMeta: meta(0), Pod: "shop", Container: "web", Text: "line 20"})
	if first() != "line 9" || !strings.Contains(m.status(p, m.renderOpts(), 0), "paused, 6 below") {
		t.Errorf("first row %q, status %q; want line 9, paused, 6 below", first(), m.status(p, m.renderOpts(), 0))
	}
	// The mouse wheel scrolls the column under the pointer.
	m.Update(tea.MouseWheelMsg{X: 5, Y: m.lay.contentY + 1, Button: tea.MouseWheelUp})
	if first() != "line 6" {
		t.Errorf("after the wheel: first row %q, want line 6", first())
	}
}

func TestWrapRows(t *testing.T) {
	o := &renderOpts{wrap: true, loc: time.UTC, styles: newStyles()}
	p := newPane("shop", "web", 10)
	p.setSize(10, 5)
	tests := []struct {
		text string
		kind lineKind
		ts   bool
		rows []string
	}{
		{"short", kindOut, false, []string{"short"}},
		{"exactly10!", kindOut, false, []string{"exactly10!"}},
		{"abcdefghijklmnopqrstu", kindOut, false, []string{"abcdefghij", "klmnopqrst", "u"}},
		{"stderr line", kindErr, false, []string{"stderr li", "ne"}},
		{"日本語のログ行です", kindOut, false, []string{"日本語のロ", "グ行です"}},
		{"with ts", kindOut, true, []string{"w", "i", "t", "h", " ", "t", "s"}},
	}
	for _, tt := range tests {
		o.timestamps = tt.ts
		l := newLine(1, base, tt.kind, tt.text)
		n := p.rows(&l, o)
		var got []string
		for r := 0; r < n; r++ {
			got = append(got, p.rowText(&l, r, o))
		}
		if strings.Join(got, "|") != strings.Join(tt.rows, "|") {
			t.Errorf("%q wraps as %q, want %q", tt.text, got, tt.rows)
		}
	}
	o.wrap, o.timestamps = false, false
	l := newLine(1, base, kindOut, "abcdefghijklmnop")
	if got := p.rowText(&l, 0, o); got != "abcdefghi…" {
		t.Errorf("cut line %q", got)
	}
}

// A column's storage grows with its lines up to Options.LogLines (--log-lines), keeping their
// order across each growth, then keeps the newest.
func TestRingGrowsToItsSize(t *testing.T) {
	const size = 3*ringStart + 5
	p := newPane("shop", "web", size)
	if len(p.lines.buf) != ringStart {
		t.Fatalf("a new column holds room for %d lines, want %d", len(p.lines.buf), ringStart)
	}
	for i := 0; i < 2*size; i++ {
		p.push(newLine(uint64(i), base, kindOut, "line "+itoa(i)))
		if i == ringStart {
			if len(p.lines.buf) != 2*ringStart {
				t.Fatalf("after %d lines: room for %d", i+1, len(p.lines.buf))
			}
		}
	}
	if len(p.lines.buf) != size || p.lines.next-p.lines.first != size {
		t.Fatalf("room for %d, %d lines kept; want %d", len(p.lines.buf), p.lines.next-p.lines.first, size)
	}
	for i := p.lines.first; i < p.lines.next; i++ {
		if got, want := p.lines.at(i).text, "line "+itoa(int(i)); got != want {
			t.Fatalf("line %d is %q", i, got)
		}
	}
}

// The log pipeline's restart marker comes after the view saw the container start again (it
// is written once the previous run's last lines are read): the column shows the previous
// run's lines, the marker, then the new run's lifecycle lines and output.
func TestRestartMarkerBeforeTheStart(t *testing.T) {
	m, _ := runningScene(t, 2, 120, 40)
	web := m.pane("shop", "web")
	web.setFilter("r") // the filter follows the lines that move
	c := *m.container("shop", "web")
	at := func(d time.Duration) orchestrator.EventMeta { return meta(time.Minute + d) }
	crash, back := c, c
	crash.State, crash.ExitCode, crash.RestartIn = orchestrator.CStateBackoff, intp(1), recipes.Duration(time.Second)
	back.State, back.Restarts, back.Health = orchestrator.CStateRunning, 1, orchestrator.HealthReady
	m.events(
		orchestrator.LogEvent{EventMeta: at(0), Pod: "shop", Container: "web", Text: "run 1 working"},
		orchestrator.ContainerEvent{EventMeta: at(time.Second), ContainerView: crash},
		orchestrator.ContainerEvent{EventMeta: at(2 * time.Second), ContainerView: back},
		// run 1's last lines, read late
		orchestrator.LogEvent{EventMeta: at(500 * time.Millisecond), Pod: "shop", Container: "web", Text: "run 1 last words", Stream: orchestrator.Stderr},
		orchestrator.LogEvent{EventMeta: at(2 * time.Second), Pod: "shop", Container: "web", Marker: true,
			Text: "--- web restarted (restart 1, after exit code 1) ---"},
		orchestrator.LogEvent{EventMeta: at(3 * time.Second), Pod: "shop", Container: "web", Text: "run 2 hello"},
	)
	// The next restart's marker comes before its start line: it stays there.
	crash.Restarts, back.Restarts = 1, 2
	m.events(
		orchestrator.ContainerEvent{EventMeta: at(4 * time.Second), ContainerView: crash},
		orchestrator.LogEvent{EventMeta: at(5 * time.Second), Pod: "shop", Container: "web", Marker: true,
			Text: "--- web restarted (restart 2, after exit code 1) ---"},
		orchestrator.ContainerEvent{EventMeta: at(5 * time.Second), ContainerView: back},
	)
	want := []string{
		"run 1 working",
		"run 1 last words",
		"◷ exited with code 1, restarting in 1s",
		"--- web restarted (restart 1, after exit code 1) ---",
		"▶ started (restart 1)",
		"✓ ready",
		"run 2 hello",
		"◷ exited with code 1, restarting in 1s",
		"--- web restarted (restart 2, after exit code 1) ---",
		"▶ started (restart 2)",
		"✓ ready",
	}
	var got []string
	for i := web.lines.next - uint64(len(want)); i < web.lines.next; i++ {
		got = append(got, web.lines.at(i).text)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the column reads\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	lo, hi := web.bounds()
	var filtered []string
	for i := hi - uint64(len(want)); i < hi && i >= lo; i++ {
		filtered = append(filtered, web.lineAt(i).text)
	}
	if strings.Join(filtered, "\n") != strings.Join(want, "\n") {
		t.Errorf("filtered on \"r\":\n  %s", strings.Join(filtered, "\n  "))
	}
}

func TestRingKeepsNewest(t *testing.T) {
	p := newPane("shop", "web", 5)
	p.setFilter("odd")
	for i := 0; i < 12; i++ {
		text := "even"
		if i%2 == 1 {
			text = "odd"
		}
		p.push(newLine(uint64(i), base, kindOut, text+" "+itoa(i)))
	}
	if p.lines.first != 7 || p.lines.next != 12 {
		t.Fatalf("ring keeps [%d, %d), want [7, 12)", p.lines.first, p.lines.next)
	}
	lo, hi := p.bounds()
	var got []string
	for i := lo; i < hi; i++ {
		got = append(got, p.lineAt(i).text)
	}
	if strings.Join(got, ",") != "odd 7,odd 9,odd 11" {
		t.Errorf("filtered lines %q", got)
	}
}

func TestLifecycleLines(t *testing.T) {
	running := orchestrator.ContainerView{Name: "web", Role: recipes.RoleMain, State: orchestrator.CStateRunning}
	with := func(f func(c *orchestrator.ContainerView)) orchestrator.ContainerView {
		c := running
		f(&c)
		return c
	}
	tests := []struct {
		name     string
		old, now orchestrator.ContainerView
		want     string
	}{
		{"started", with(func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateStarting }), running, "▶ started"},
		{"restarted", with(func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateBackoff }),
			with(func(c *orchestrator.ContainerView) { c.Restarts = 2 }), "▶ started (restart 2)"},
		{"ready", running, with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthReady }), "✓ ready"},
		{"not ready", with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthReady }),
			with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthNotReady }), "✗ not ready"},
		{"image healthcheck passes", with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthStarting }),
			with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthHealthy }), "✓ healthy (image HEALTHCHECK)"},
		{"image healthcheck fails", with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthHealthy }),
			with(func(c *orchestrator.ContainerView) { c.Health = orchestrator.HealthUnhealthy }), "✗ unhealthy (image HEALTHCHECK; gates nothing)"},
		{"crash", running, with(func(c *orchestrator.ContainerView) {
			c.State, c.ExitCode, c.RestartIn = orchestrator.CStateBackoff, intp(1), recipes.Duration(4*time.Second)
		}), "◷ exited with code 1, restarting in 4s"},
		{"oom", running, with(func(c *orchestrator.ContainerView) {
			c.State, c.ExitCode, c.OOMKilled = orchestrator.CStateExited, intp(137), true
		}), "■ exited: killed for lack of memory (OOM)"},
		{"stopping", running, with(func(c *orchestrator.ContainerView) {
			c.State, c.StopGrace = orchestrator.CStateStopping, recipes.Duration(10*time.Second)
		}), "■ stopping (SIGKILL after 10s)"},
		{"killed", with(func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateStopping }),
			with(func(c *orchestrator.ContainerView) { c.State, c.Killed = orchestrator.CStateStopped, true }),
			"■ stopped: killed (SIGKILL) after its grace period"},
		{"reason", running, with(func(c *orchestrator.ContainerView) {
			c.State, c.ExitCode, c.Reason = orchestrator.CStateExited, intp(1), "liveness probe failed"
		}), "■ exited with code 1: liveness probe failed"},
		{"no change", running, running, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range lifecycleLines(&tt.old, tt.now) {
				got = append(got, l.text)
			}
			if strings.Join(got, " | ") != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if lifecycleLines(nil, running) != nil {
		t.Errorf("the snapshot's state made lines")
	}
}

func TestEventsReachColumns(t *testing.T) {
	m, _ := runningScene(t, 3, 120, 40)
	web := m.pane("shop", "web")
	last := func(p *pane) *line { return p.lines.at(p.lines.next - 1) }
	m.events(orchestrator.MessageEvent{EventMeta: meta(time.Minute), Level: orchestrator.LevelWarning, Pod: "shop", Container: "web",
		Text: "web was killed (SIGKILL)", Hint: "set init: true"})
	if l := last(web); l.kind != kindWarn || l.text != "⚠ web was killed (SIGKILL) — set init: true" {
		t.Errorf("message line %q (%v)", l.text, l.kind)
	}
	m.events(orchestrator.LogsDroppedEvent{EventMeta: meta(time.Minute), Pod: "shop", Container: "web", Count: 1234})
	if l := last(web); !strings.Contains(l.text, "1234 lines skipped") {
		t.Errorf("dropped line %q", l.text)
	}
	m.events(orchestrator.LogEvent{EventMeta: meta(time.Minute), Pod: "shop", Container: "web", Text: "--- web restarted ---", Marker: true})
	if l := last(web); l.kind != kindMarker {
		t.Errorf("marker line kind %v", l.kind)
	}
	m.events(orchestrator.MessageEvent{EventMeta: meta(time.Minute), Level: orchestrator.LevelWarning, Text: "remove network shop-net: busy"})
	if !strings.Contains(m.notice, "remove network shop-net") {
		t.Errorf("stack message not in the footer: %q", m.notice)
	}
	m.events(orchestrator.LeftoversEvent{EventMeta: meta(0), Containers: []string{"a", "b"}, Networks: []string{"n"}})
	if m.notice != "removed what an earlier run left behind: 2 containers, 1 network" {
		t.Errorf("leftovers notice %q", m.notice)
	}
	// Stats show in the title while the container runs.
	if title := m.title(web, false, 100); title != "web · main ✓ 0.4% 12MB" {
		t.Errorf("title %q", title)
	}
}

func TestShell(t *testing.T) {
	m, _ := runningScene(t, 6, 200, 50)
	m.press("6", "e") // auth exited
	if !strings.Contains(m.notice, "auth is not running") {
		t.Errorf("shell in an exited container: notice %q", m.notice)
	}
	if got := strings.Join(shellArgs("docker", "sh", "abc123"), " "); got != "docker exec -it abc123 sh" {
		t.Errorf("shell command %q", got)
	}
	if got := strings.Join(probeArgs("docker", "sh", "abc123"), " "); got != "docker exec abc123 sh -c :" {
		t.Errorf("shell check %q", got)
	}
	exitErr := func(code int) error {
		err := exec.Command("sh", "-c", "exit "+itoa(code)).Run()
		if err == nil {
			t.Fatal("exit did not fail")
		}
		return err
	}
	tests := []struct {
		msg  shellDoneMsg
		want string
	}{
		{shellDoneMsg{ctr: "web", err: exitErr(126), stderr: `OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown`},
			"web has no shell: its image has no sh"},
		{shellDoneMsg{ctr: "web", err: &exec.Error{Name: "docker", Err: exec.ErrNotFound}}, "the docker CLI is not installed or not in PATH"},
		{shellDoneMsg{ctr: "web", err: exitErr(3)}, "back from the shell in web (exit status 3)"},
		{shellDoneMsg{ctr: "web", err: exitErr(1), stderr: "Error response from daemon: container abc is not running"}, "web stopped before the shell could start"},
		{shellDoneMsg{ctr: "web", err: exitErr(126), probe: true}, "web has no shell"},
		{shellDoneMsg{ctr: "web", err: exitErr(126)}, "back from the shell in web (exit status 126)"},
	}
	for _, tt := range tests {
		if got := shellError("docker", "sh", tt.msg); !strings.Contains(got, tt.want) {
			t.Errorf("shellError(%q) = %q, want it to say %q", tt.msg.stderr, got, tt.want)
		}
	}
	m.Update(shellDoneMsg{ctr: "web"})
	if m.notice != "back from the shell in web" {
		t.Errorf("notice after a shell: %q", m.notice)
	}
}

// scripted is a subscription with batches queued up front.
type scripted struct {
	batches [][]orchestrator.Event
}

func (s *scripted) Next(ctx context.Context) ([]orchestrator.Event, error) {
	if len(s.batches) == 0 {
		return nil, io.EOF
	}
	b := s.batches[0]
	s.batches = s.batches[1:]
	return b, nil
}

func (s *scripted) TryNext() []orchestrator.Event {
	if len(s.batches) == 0 {
		return nil
	}
	return must(s.Next(context.Background()))
}

func must[T any](v T, _ error) T { return v }

func (s *scripted) Close() {}

func TestFeedCoalescesIntoOneBatch(t *testing.T) {
	seq = 0
	sub := &scripted{}
	for i := 0; i < 5; i++ {
		sub.batches = append(sub.batches, []orchestrator.Event{
			orchestrator.LogEvent{EventMeta: meta(0), Pod: "shop", Container: "web", Text: "\x1b[31mred\x1b[0m line " + itoa(i)},
			orchestrator.StatsEvent{EventMeta: meta(0), Pod: "shop", Container: "web"},
		})
	}
	f := &feed{sub: sub, frame: time.Second / 60}
	msg := f.next(context.Background())()
	b, ok := msg.(batchMsg)
	if !ok || len(b.items) != 10 {
		t.Fatalf("first batch: %T with %d items, want every one of the 10 queued", msg, len(b.items))
	}
	if b.items[0].line.text != "red line 0" || b.items[1].ev == nil {
		t.Errorf("items not prepared in order: %+v", b.items[:2])
	}
	if msg := f.next(context.Background())(); msg != (feedEndMsg{err: io.EOF}) {
		t.Errorf("after the last batch: %v", msg)
	}
}

// TestLateLinesGoBeforeLifecycleLines: a container that exits at once has its output read
// after its exit was seen; its lines go before the exit line, filtered or not.
func TestLateLinesGoBeforeLifecycleLines(t *testing.T) {
	for _, filter := range []string{"", "o"} {
		p := newPane("shop", "migrate", 100)
		p.setFilter(filter)
		p.push(newLine(1, base.Add(time.Second), kindOut, "early"))
		started := newLine(5, base.Add(5*time.Second), kindEvent, "▶ started")
		started.start = true
		p.push(started)
		p.push(newLine(5, base.Add(4*time.Second), kindOut, "printed before the start was seen"))
		p.push(newLine(6, base.Add(6*time.Second), kindError, "■ exited with code 1"))
		p.push(newLine(7, base.Add(2*time.Second), kindOut, "migrating"))
		p.push(newLine(8, base.Add(3*time.Second), kindErr, "ERROR: boom"))
		p.push(newLine(9, base.Add(7*time.Second), kindOut, "after the exit line"))
		var got []string
		lo, hi := p.bounds()
		for i := lo; i < hi; i++ {
			got = append(got, p.lineAt(i).text)
		}
		want := "early|▶ started|printed before the start was seen|migrating|ERROR: boom|■ exited with code 1|after the exit line"
		if filter != "" {
			want = "printed before the start was seen|ERROR: boom|■ exited with code 1"
		}
		if strings.Join(got, "|") != want {
			t.Errorf("filter %q: lines %q, want %q", filter, got, want)
		}
	}
}

func TestImageProgress(t *testing.T) {
	m, _ := testModel(t, 80, 24)
	ev := func(action orchestrator.ImageAction, step, msg string, cur, total int64) orchestrator.Event {
		return orchestrator.ImageEvent{EventMeta: meta(0), Ref: "x:1", Action: action, Step: step, Message: msg, Current: cur, Total: total}
	}
	steps := []struct {
		ev   orchestrator.Event
		want float64
		ok   bool
	}{
		{ev(orchestrator.ImagePull, "", "pulling", 0, 0), 0, false},
		{ev(orchestrator.ImagePull, "a", "Downloading", 10, 40), 0.25, true},
		{ev(orchestrator.ImagePull, "b", "Downloading", 0, 60), 0.1, true},
		{ev(orchestrator.ImagePull, "a", "Download complete", 0, 0), 0.4, true},
		{ev(orchestrator.ImagePull, "a", "Extracting", 5, 40), 0.4, true}, // extraction does not count
		{ev(orchestrator.ImagePull, "b", "Pull complete", 0, 0), 1, true},
	}
	for i, s := range steps {
		m.events(s.ev)
		if got, ok := m.images[0].progress(); ok != s.ok || got != s.want {
			t.Errorf("after event %d: progress %v, %v; want %v, %v", i, got, ok, s.want, s.ok)
		}
	}
	build := func(step, msg string) orchestrator.Event {
		return orchestrator.ImageEvent{EventMeta: meta(0), Ref: "y:1", Action: orchestrator.ImageBuild, Step: step, Message: msg}
	}
	m.events(build("2/4", "Step 2/4 : RUN make"), build("2/4", "compiling"))
	if got, ok := m.images[1].progress(); !ok || got != 0.25 {
		t.Errorf("build at step 2/4: progress %v, %v; want 0.25", got, ok)
	}
}

// emojiLines are lines whose width terminals and the renderer count in different ways:
// per grapheme cluster, per code point (wcwidth), or as tmux does.
var emojiLines = []string{
	"B skin 👍🏽 end", "C flag 🇫🇷 end", "D zwj 👨\u200d👩\u200d👧 end", "E accent e\u0301 end",
	"F heart ❤️ end", "G check ✔️ end", "H cjk 漢字 end", "L hangul jamo \u1100\u1161 end",
	"N devanagari स्ते end", "O keycap 1️⃣ end", "P tag flag 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f end",
}

// A container's line never moves a column's border: every row of the box is the screen's
// width and ends with the border as the renderer counts cells (per code point, unless the
// terminal reports Unicode core mode), and lines that are counted differently by a
// terminal of the other kind or by tmux are made ones that every terminal counts alike.
func TestWideCharactersKeepTheBorders(t *testing.T) {
	for _, core := range []bool{false, true} {
		for _, wrap := range []bool{true, false} {
			m, _ := runningScene(t, 2, 80, 24)
			method := ansi.WcWidth
			if core {
				m.Update(tea.ModeReportMsg{Mode: ansi.ModeUnicodeCore, Value: ansi.ModeReset})
				method = ansi.GraphemeWidth
			}
			if !wrap {
				m.press("w")
			}
			var evs []orchestrator.Event
			for i, s := range emojiLines {
				// Long enough to be cut or wrapped in a column of 38 cells.
				evs = append(evs, orchestrator.LogEvent{EventMeta: meta(time.Minute + time.Duration(i)*time.Millisecond),
					Pod: "shop", Container: "envoy", Text: s + " " + strings.Repeat(s, 3)})
			}
			m.events(evs...)
			rows := strings.Split(m.render(), "\n")
			for i := m.lay.boxY; i <= m.lay.contentY+m.lay.contentH; i++ {
				r := ansi.Strip(rows[i])
				if w := method.StringWidth(r); w != 80 || !strings.HasSuffix(r, "│") && !strings.HasSuffix(r, "┘") && !strings.HasSuffix(r, "┐") {
					t.Errorf("core %v, wrap %v: row %d is %d cells (want 80, ending with the border): %q", core, wrap, i, w, r)
				}
				if strings.Contains(r, " end") && !strings.Contains(r, "स्ते") && ansi.StringWidth(r) != ansi.StringWidthWc(r) {
					t.Errorf("core %v, wrap %v: row %d is %d cells per cluster, %d per code point: %q", core, wrap, i, ansi.StringWidth(r), ansi.StringWidthWc(r), r)
				}
			}
		}
	}
}

// What is made of the sequences that terminals draw in widths of their own.
func TestUnambiguous(t *testing.T) {
	for in, want := range map[string]string{
		"B skin 👍🏽 end":                  "B skin 👍 end",
		"C flag 🇫🇷 end":                  "C flag FR end",
		"D zwj 👨\u200d👩\u200d👧 end":      "D zwj 👨👩👧 end",
		"E accent e\u0301 end":           "E accent \u00e9 end",
		"F heart ❤️ end":                 "F heart \u2764 end",
		"L hangul jamo \u1100\u1161 end": "L hangul jamo \uac00 end",
		"q\u0301 has no composed form":   "q\u0301 has no composed form",
		"schéma → 日本 ✓":                  "schéma → 日本 ✓",
	} {
		if got := unambiguous(in); got != want {
			t.Errorf("unambiguous(%q) = %q, want %q", in, got, want)
		}
	}
}

// w and t keep each column's place: one scrolled up shows the same first line and stays
// paused, one that follows still follows.
func TestWrapAndTimeKeepScroll(t *testing.T) {
	m := snapshotModel(t, 80, 10, 2) // two columns, 38 wide, 6 rows
	var evs []orchestrator.Event
	for i := 0; i < 40; i++ {
		for _, ctr := range []string{"web", "envoy"} {
			text := ctr + " line " + itoa(i)
			if i%3 == 0 {
				text += " " + strings.Repeat("long ", 12) // wraps: 2 rows
			}
			evs = append(evs, orchestrator.LogEvent{EventMeta: meta(time.Duration(i) * time.Second), Pod: "shop", Container: ctr, Text: text})
		}
	}
	m.events(evs...)
	web, envoy := m.s.pane("shop", "web"), m.s.pane("shop", "envoy")
	first := func(p *pane) string { // the line of the first row shown
		return p.lineAt(p.visible(m.renderOpts())[0].pos).text
	}
	m.press("pgup", "pgup", "up")
	want := first(web)
	if web.follow || !envoy.follow {
		t.Fatalf("web follows %v, envoy %v; want false, true", web.follow, envoy.follow)
	}
	for _, k := range []string{"t", "w", "t", "w"} {
		m.press(k)
		if web.follow || first(web) != want || !envoy.follow || first(envoy) == want {
			t.Errorf("after %s: web follows %v from %q, envoy follows %v; want paused at %q, envoy following",
				k, web.follow, first(web), envoy.follow, want)
		}
		if !strings.Contains(m.status(web, m.renderOpts(), 0), "paused") {
			t.Errorf("after %s: web's border says %q", k, m.status(web, m.renderOpts(), 0))
		}
	}
}
