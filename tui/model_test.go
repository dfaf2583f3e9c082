package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

func names(ps []*pane) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.name)
	}
	return strings.Join(out, " ")
}

func TestFocusKeys(t *testing.T) {
	tests := []struct {
		keys []string
		want string
	}{
		{nil, "web"},
		{[]string{"tab"}, "envoy"},
		{[]string{"tab", "tab", "tab"}, "web"},
		{[]string{"shift+tab"}, "shipper"},
		{[]string{"l", "l", "h"}, "envoy"},
		{[]string{"3"}, "shipper"},
		{[]string{"9"}, "web"}, // no ninth column: nothing changes
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			m, _ := runningScene(t, 3, 120, 40)
			m.press(tt.keys...)
			if got := m.focused().name; got != tt.want {
				t.Errorf("focus %s, want %s", got, tt.want)
			}
		})
	}
}

func TestZoomAndTabs(t *testing.T) {
	m, _ := runningScene(t, 3, 120, 40)
	if m.lay.mode != modeColumns || len(m.shownPanes()) != 3 {
		t.Fatalf("mode %v with %d columns, want 3 side by side", m.lay.mode, len(m.shownPanes()))
	}
	m.press("tab", "z")
	if m.lay.mode != modeTabs || names(m.shownPanes()) != "envoy" || m.focused().width != 118 {
		t.Fatalf("zoomed: mode %v, shown %q, width %d; want tabs, envoy, 118", m.lay.mode, names(m.shownPanes()), m.focused().width)
	}
	m.press("tab") // tabs move focus within the zoom
	if names(m.shownPanes()) != "shipper" {
		t.Errorf("after tab in zoom: shown %q, want shipper", names(m.shownPanes()))
	}
	m.press("esc")
	if m.zoom || m.lay.mode != modeColumns {
		t.Errorf("esc did not unzoom")
	}
	// A resize re-lays out at once: 6 columns do not fit 80 wide, they do 200 wide.
	m, _ = runningScene(t, 6, 200, 50)
	if m.lay.mode != modeColumns {
		t.Fatalf("6 columns at 200: mode %v, want columns", m.lay.mode)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if m.lay.mode != modeTabs || m.focused().width != 78 || m.focused().height != 19 {
		t.Errorf("6 columns at 80x24: mode %v, pane %dx%d; want tabs, 78x19", m.lay.mode, m.focused().width, m.focused().height)
	}
}

func TestColumnWidths(t *testing.T) {
	tests := []struct {
		width, n int
		want     []int
	}{
		{80, 1, []int{78}},
		{80, 3, []int{26, 25, 25}},
		{120, 6, []int{19, 19, 19, 19, 19, 18}},
		{200, 6, []int{33, 32, 32, 32, 32, 32}},
	}
	for _, tt := range tests {
		got := columnWidths(tt.width, tt.n)
		sum := tt.n + 1
		for _, w := range got {
			sum += w
		}
		if sum != tt.width || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("columnWidths(%d, %d) = %v (total %d), want %v", tt.width, tt.n, got, sum, tt.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestComputeLayout(t *testing.T) {
	tests := []struct {
		name             string
		w, h, n          int
		zoom             bool
		top, bottom      int
		mode             layoutMode
		contentH, panelT int
		panelB           int
	}{
		{"one column", 80, 24, 1, false, 0, 0, modeColumns, 20, 0, 0},
		{"three fit at 80", 80, 24, 3, false, 0, 0, modeColumns, 20, 0, 0},
		{"four fit at 80", 80, 24, 4, false, 0, 0, modeColumns, 20, 0, 0},
		{"five do not fit at 80", 80, 24, 5, false, 0, 0, modeTabs, 19, 0, 0},
		{"zoom", 200, 50, 3, true, 0, 0, modeTabs, 45, 0, 0},
		{"panels", 80, 24, 3, false, 3, 6, modeColumns, 11, 3, 6},
		{"panels shrink for three log rows", 80, 12, 3, false, 5, 6, modeColumns, 3, 5, 0},
		{"tiny", 20, 5, 3, false, 2, 2, modeTabs, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := computeLayout(tt.w, tt.h, tt.n, tt.zoom, tt.top, tt.bottom)
			if l.mode != tt.mode || l.contentH != tt.contentH || l.panelTopH != tt.panelT || l.panelBotH != tt.panelB {
				t.Errorf("mode %v contentH %d panels %d/%d; want %v %d %d/%d", l.mode, l.contentH, l.panelTopH, l.panelBotH,
					tt.mode, tt.contentH, tt.panelT, tt.panelB)
			}
			if tt.contentH > 0 && l.contentY+l.contentH+1+l.panelBotH != l.footerY {
				t.Errorf("rows do not add up: content %d+%d, bottom border, panel %d, footer at %d", l.contentY, l.contentH, l.panelBotH, l.footerY)
			}
		})
	}
}

func TestMuteAndSolo(t *testing.T) {
	m, _ := runningScene(t, 3, 120, 40)
	m.press("tab", "m") // mute envoy
	if got := names(m.visible()); got != "web shipper" {
		t.Fatalf("after muting envoy: %q", got)
	}
	if m.focused().name != "shipper" {
		t.Errorf("focus %s after muting envoy, want shipper (the next)", m.focused().name)
	}
	if !strings.Contains(ansi.Strip(m.header(120)), "envoy ● muted") {
		t.Errorf("header does not show envoy muted: %q", m.header(120))
	}
	m.press("o") // solo shipper
	if got := names(m.visible()); got != "shipper" {
		t.Fatalf("after solo shipper: %q", got)
	}
	m.press("m")
	if got := names(m.visible()); got != "shipper" || !strings.Contains(m.notice, "cannot be muted") {
		t.Errorf("muting the last column: visible %q, notice %q", got, m.notice)
	}
	m.press("o") // undo the solo
	if got := names(m.visible()); got != "web envoy shipper" {
		t.Errorf("after the second o: %q", got)
	}
	m.press("1", "m", "2", "m")
	m.press("M")
	if got := names(m.visible()); got != "web envoy shipper" {
		t.Errorf("after M: %q", got)
	}
}

func TestSearchAcrossColumns(t *testing.T) {
	m, _ := testModel(t, 120, 40)
	seq = 0
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(3)})
	lines := []struct{ ctr, text string }{
		{"web", "request id=1 ok"}, {"envoy", "upstream Timeout after 5s"}, {"shipper", "flushed"},
		{"web", "request id=2 timeout"}, {"envoy", "upstream ok"}, {"shipper", "TIMEOUT talking to es"},
	}
	var evs []orchestrator.Event
	for i, l := range lines {
		evs = append(evs, orchestrator.LogEvent{EventMeta: meta(time.Duration(i) * time.Second), Pod: "shop", Container: l.ctr, Text: l.text})
	}
	m.events(evs...)
	m.press("/")
	m.typeText("timeout")
	m.press("enter")
	// Enter jumps to the newest match; n goes back in time, N forward; both wrap.
	want := []struct{ key, ctr, count string }{
		{"", "shipper", "3 of 3"},
		{"n", "web", "2 of 3"},
		{"n", "envoy", "1 of 3"},
		{"n", "shipper", "3 of 3"},
		{"N", "envoy", "1 of 3"},
		{"N", "web", "2 of 3"},
	}
	for _, w := range want {
		if w.key != "" {
			m.press(w.key)
		}
		if m.match.ctr != w.ctr || m.count != w.count || m.focused().name != w.ctr {
			t.Fatalf("after %q: match in %s (%s), focus %s; want %s (%s)", w.key, m.match.ctr, m.count, m.focused().name, w.ctr, w.count)
		}
	}
	// The match is highlighted where it is drawn.
	rows := strings.Join(m.focused().render(m.renderOpts()), "\n")
	if !strings.Contains(rows, m.st.sgrCurrent+"timeout") {
		t.Errorf("current match not highlighted in %q", rows)
	}
	// A muted column is left out of the search.
	m.press("2", "m", "/")
	m.typeText("upstream")
	m.press("enter")
	if m.count != "" || !strings.Contains(m.notice, "no line matches") {
		t.Errorf("search in muted envoy: count %q, notice %q", m.count, m.notice)
	}
	m.press("esc")
	if m.query != "" {
		t.Errorf("esc did not clear the search")
	}
}

func TestFilter(t *testing.T) {
	m, _ := runningScene(t, 3, 120, 40)
	m.press("&")
	m.typeText("GET")
	m.press("enter")
	p := m.focused()
	lo, hi := p.bounds()
	if hi-lo == 0 {
		t.Fatal("no line matches the filter")
	}
	for i := lo; i < hi; i++ {
		if !strings.Contains(p.lineAt(i).text, "GET") {
			t.Errorf("filtered view shows %q", p.lineAt(i).text)
		}
	}
	// New lines are filtered as they come.
	m.events(orchestrator.LogEvent{EventMeta: meta(time.Minute), Pod: "shop", Container: "web", Text: "GET /y"},
		orchestrator.LogEvent{EventMeta: meta(time.Minute), Pod: "shop", Container: "web", Text: "POST /x"})
	if _, hi2 := p.bounds(); hi2 != hi+1 {
		t.Errorf("after a GET and a POST line: %d lines in the filter, want %d", hi2-lo, hi-lo+1)
	}
	// An empty filter shows every line again.
	m.press("&")
	for range "GET" {
		m.press("backspace")
	}
	m.press("enter")
	if p.filter != "" {
		t.Errorf("filter %q after clearing it", p.filter)
	}
}

func TestControlKeys(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		setup func(m *model)
		want  string
	}{
		{"restart", []string{"r"}, nil, "restart shop/web"},
		{"stop", []string{"2", "s"}, nil, "stop shop/envoy"},
		{"start when stopped", []string{"5", "s"}, nil, "start shop/metrics"},
		{"quit, then force", []string{"q", "q"}, nil, "shutdown, kill"},
		{"ctrl+c, then force", []string{"ctrl+c", "ctrl+c"}, nil, "interrupt, kill"},
		{"q then ctrl+c forces", []string{"q", "ctrl+c"}, nil, "shutdown, kill"},
		{"no commands while stopping", []string{"q", "r", "s"}, nil, "shutdown"},
		{"init containers take no commands", []string{"r"}, func(m *model) {
			m.showInits = true
			c := orchestrator.ContainerView{Pod: "shop", Name: "migrate", Role: recipes.RoleInit, State: orchestrator.CStateRunning}
			m.view.Pods[0].Containers = append(m.view.Pods[0].Containers, c)
			m.focus = "migrate"
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ctl := runningScene(t, 6, 200, 50)
			if tt.setup != nil {
				tt.setup(m)
			}
			m.press(tt.keys...)
			if got := ctl.got(); got != tt.want {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCommandErrorShown(t *testing.T) {
	m, ctl := runningScene(t, 3, 120, 40)
	ctl.err = errors.New("pod shop is not running")
	m.press("r")
	if !strings.Contains(m.notice, "restart web: pod shop is not running") || m.noticeKind != kindError {
		t.Errorf("notice %q (%v)", m.notice, m.noticeKind)
	}
}

// The footer's "restart web…" stays while the command is under way, says the result once the
// container shows it, and goes a moment later (or, if the container never shows it, after its
// stop grace and pendingTimeout), bringing back the key hints.
func TestCommandNotice(t *testing.T) {
	m, _ := runningScene(t, 3, 120, 40)
	hints := m.keysText(120)
	container := func(name string, f func(c *orchestrator.ContainerView)) orchestrator.ContainerEvent {
		c := *m.container("shop", name)
		f(&c)
		return orchestrator.ContainerEvent{EventMeta: meta(time.Minute), ContainerView: c}
	}
	footer := func() string { return ansi.Strip(m.footer(120)) }

	m.press("r") // web; the orchestrator takes the command at once
	if footer() != " restart web…" || m.pending == nil {
		t.Fatalf("after r: footer %q, pending %v", footer(), m.pending)
	}
	m.events(container("web", func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateStopping }))
	if footer() != " restart web…" {
		t.Errorf("while web stops: footer %q", footer())
	}
	m.events(container("web", func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateExited; c.ExitCode = intp(143) }))
	m.events(container("web", func(c *orchestrator.ContainerView) { c.State, c.Restarts = orchestrator.CStateRunning, 1 }))
	if footer() != " restarted web" || m.noticeKind != kindInfo || m.pending != nil {
		t.Fatalf("web running again: footer %q (%v), pending %v", footer(), m.noticeKind, m.pending)
	}
	m.Update(noticeExpiredMsg{gen: m.noticeGen})
	if m.footer(120) != hints {
		t.Errorf("after the result's time: footer %q, want the key hints", footer())
	}

	m.press("2", "s") // stop envoy
	m.events(container("envoy", func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateStopping }),
		container("envoy", func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateStopped }))
	if footer() != " stopped envoy" {
		t.Errorf("envoy stopped: footer %q", footer())
	}
	old := m.noticeGen
	m.press("s") // and start it again
	m.Update(noticeExpiredMsg{gen: old})
	if footer() != " start envoy…" {
		t.Errorf("an older notice's expiry cleared a newer one: footer %q", footer())
	}
	m.events(container("envoy", func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateRunning }))
	if footer() != " started envoy" {
		t.Errorf("envoy started: footer %q", footer())
	}

	// A command whose container never shows the result: its notice goes after the timeout.
	m.press("1", "r")
	if footer() != " restart web…" {
		t.Fatalf("footer %q", footer())
	}
	m.Update(noticeExpiredMsg{gen: m.pending.gen})
	if m.footer(120) != hints || m.pending != nil {
		t.Errorf("after the timeout: footer %q, pending %v", footer(), m.pending)
	}
	// A later start of web does not bring back a notice nobody waits for.
	m.events(container("web", func(c *orchestrator.ContainerView) { c.State = orchestrator.CStateExited }),
		container("web", func(c *orchestrator.ContainerView) { c.State, c.Restarts = orchestrator.CStateRunning, 2 }))
	if m.footer(120) != hints {
		t.Errorf("footer %q, want the key hints", footer())
	}
}

func TestInterrupts(t *testing.T) {
	// SIGINT and SIGTERM reach the model as interruptMsg: the first stops the stack
	// gracefully, the next forces it; after the end they leave.
	m, ctl := runningScene(t, 3, 120, 40)
	for range 2 {
		_, cmd := m.Update(interruptMsg{})
		m.run(cmd)
	}
	if ctl.got() != "interrupt, kill" {
		t.Errorf("sent %q, want interrupt, kill", ctl.got())
	}
	m.Update(feedEndMsg{err: io.EOF})
	if _, cmd := m.Update(interruptMsg{}); cmd == nil || cmd() != tea.Quit() {
		t.Errorf("an interrupt after the end does not quit")
	}
}

func TestInitContainersHiddenWhenDone(t *testing.T) {
	m, _ := runningScene(t, 2, 120, 40)
	migrate := orchestrator.ContainerView{Pod: "shop", Name: "migrate", Role: recipes.RoleInit, State: orchestrator.CStateRunning}
	m.view.Pods[0].Containers = append(m.view.Pods[0].Containers, migrate)
	if got := names(m.visible()); got != "web envoy migrate" {
		t.Fatalf("while migrate runs: %q", got)
	}
	migrate.State, migrate.ExitCode = orchestrator.CStateExited, intp(0)
	m.events(orchestrator.ContainerEvent{EventMeta: meta(time.Minute), ContainerView: migrate})
	if got := names(m.visible()); got != "web envoy" {
		t.Errorf("after migrate completed: %q", got)
	}
	migrate.State, migrate.ExitCode = orchestrator.CStateRemoved, nil // teardown
	m.events(orchestrator.ContainerEvent{EventMeta: meta(time.Minute), ContainerView: migrate})
	if got := names(m.visible()); got != "web envoy" {
		t.Errorf("after migrate completed and was removed: %q", got)
	}
	m.press("i")
	if got := names(m.visible()); got != "web envoy migrate" {
		t.Errorf("after i: %q", got)
	}
	migrate.State = orchestrator.CStateExited
	m.press("i")
	migrate.ExitCode = intp(1)
	m.events(orchestrator.ContainerEvent{EventMeta: meta(time.Minute), ContainerView: migrate})
	if got := names(m.visible()); got != "web envoy migrate" {
		t.Errorf("a failed init container is hidden: %q", got)
	}
}

// TestHelpListsEveryKey: every binding of the keymap is on the help screen.
func TestHelpListsEveryKey(t *testing.T) {
	km := newKeyMap()
	listed := map[string]bool{}
	for _, g := range km.helpGroups() {
		for _, k := range g.keys {
			listed[strings.Join(k.Keys(), " ")] = true
		}
	}
	v := reflect.ValueOf(km)
	for i := 0; i < v.NumField(); i++ {
		b := v.Field(i).Interface().(key.Binding)
		if !listed[strings.Join(b.Keys(), " ")] {
			t.Errorf("key %s (%v) is not on the help screen", v.Type().Field(i).Name, b.Keys())
		}
	}
	m, _ := runningScene(t, 3, 200, 60)
	m.press("?")
	frame := ansi.Strip(m.render())
	for _, g := range km.helpGroups() {
		for _, k := range g.keys {
			if !strings.Contains(frame, k.Help().Desc) {
				t.Errorf("help at 200x60 lacks %q", k.Help().Desc)
			}
		}
	}
}

func TestEndOfStream(t *testing.T) {
	// A stack that ended as asked for: the view quits with it.
	m, _ := runningScene(t, 3, 120, 40)
	m.press("q")
	m.events(orchestrator.StackEvent{EventMeta: meta(time.Minute), Stack: "shop", Phase: orchestrator.PhaseDone, ExitCode: intp(0)})
	_, cmd := m.Update(feedEndMsg{err: io.EOF})
	if cmd == nil || cmd() != tea.Quit() || !m.quitting {
		t.Fatalf("the view did not quit at the end of the stream")
	}
	// Main failed the stack: the view stays until the user has read why.
	m, _ = runningScene(t, 3, 120, 40)
	web := *m.view.Pod("shop").Container("web")
	web.State, web.ExitCode = orchestrator.CStateExited, intp(3)
	m.events(orchestrator.ContainerEvent{EventMeta: meta(time.Minute), ContainerView: web},
		orchestrator.StackEvent{EventMeta: meta(time.Minute), Stack: "shop", Phase: orchestrator.PhaseDone,
			Reason: "main web of pod shop exited with code 3", ExitCode: intp(3)})
	if _, cmd := m.Update(feedEndMsg{err: io.EOF}); cmd != nil {
		t.Fatalf("the view quit after a failure")
	}
	frame := m.render()
	for _, want := range []string{"main web of pod shop exited with code 3", "last lines of web:", "the stack has stopped (exit code 3)"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q", want)
		}
	}
	if msg := m.press("q"); msg != tea.Quit() {
		t.Errorf("q after the end: %v, want quit", msg)
	}
	// The feed failed: the view says so and quits.
	m, _ = runningScene(t, 3, 120, 40)
	if _, cmd := m.Update(feedEndMsg{err: errors.New("boom")}); cmd == nil || m.endErr == nil {
		t.Errorf("a failed feed: cmd %v, endErr %v", cmd, m.endErr)
	}
}

func TestScrolling(t *testing.T) {
	m, _ := testModel(t, 40, 10) // one column, 38 wide, 6 rows
	seq = 0
	m.events(orchestrator.SnapshotEvent{EventMeta: meta(0), Stack: stackView(1)})
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
	if first() != "line 9" || !strings.Contains(m.status(p, m.renderOpts()), "paused, 6 below") {
		t.Errorf("first row %q, status %q; want line 9, paused, 6 below", first(), m.status(p, m.renderOpts()))
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

// TestRenderAnySize: at any size, every state draws exactly the screen's rows, none wider
// than the screen.
func TestRenderAnySize(t *testing.T) {
	scenes := map[string]func(w, h int) *model{
		"running": func(w, h int) *model { m, _ := runningScene(t, 6, w, h); return m },
		"help": func(w, h int) *model {
			m, _ := runningScene(t, 3, w, h)
			m.press("?", "pgdown")
			return m
		},
		"search": func(w, h int) *model {
			m, _ := runningScene(t, 3, w, h)
			m.press("t", "/")
			m.typeText("GET")
			m.press("enter")
			return m
		},
		"startup": func(w, h int) *model {
			m := startupScene(t)
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			return m
		},
		"init failed": func(w, h int) *model {
			m := initFailedScene(t)
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			return m
		},
	}
	for name, scene := range scenes {
		for _, w := range []int{1, 2, 5, 9, 17, 33, 80, 131} {
			for _, h := range []int{1, 2, 3, 6, 11, 24} {
				m := scene(w, h)
				rows := strings.Split(m.render(), "\n")
				if len(rows) != h {
					t.Errorf("%s at %dx%d: %d rows", name, w, h, len(rows))
				}
				for i, r := range rows {
					if got := ansi.StringWidth(r); got > w {
						t.Errorf("%s at %dx%d: row %d is %d wide: %q", name, w, h, i, got, ansi.Strip(r))
					}
				}
			}
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
