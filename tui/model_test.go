package tui

import (
	"errors"
	"fmt"
	"io"
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
	m := snapshotModel(t, 120, 40, 3)
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
	// A further one kills again: the run stops waiting for an engine that does not answer,
	// and the footer says what that means.
	_, cmd := m.Update(interruptMsg{})
	m.run(cmd)
	if ctl.got() != "interrupt, kill, kill" || !strings.Contains(m.View().Content, "not waiting for the engine any longer") {
		t.Errorf("a third interrupt: sent %q\n%s", ctl.got(), m.View().Content)
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
		if len(b.Keys()) == 0 {
			continue // a binding of another mode (StopStack: the attached view's)
		}
		if !listed[strings.Join(b.Keys(), " ")] {
			t.Errorf("key %s (%v) is not on the help screen", v.Type().Field(i).Name, b.Keys())
		}
	}
	m, _ := runningScene(t, 3, 200, 60)
	m.press("?")
	frame := m.frame()
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
