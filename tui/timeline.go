package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// timeline is the lifecycle view (L): one row per container of the selected pod, the infra
// container first, each a strip of its states on a time axis shared by all, with marks where
// things happened (starts, restarts, probe results, exits, kills), the pod's phases across
// the top, and each container's state now (countdowns included) on the right. It scrolls
// and zooms in time; until the user does, it fits everything from the first event to now.
type timeline struct {
	*common
	s    *stackState
	cols *columns // the selected pod

	width, height int
	open          bool
	scale         time.Duration // one cell; 0: fit from the first event to now
	end           time.Time     // the right edge; zero: now
	top           int           // the first container row shown, when they do not all fit
	topPod        string        // the pod top is of
}

// timeScales are the durations a cell can stand for.
var timeScales = []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}

// tickSteps are the durations between two labels of the time axis.
var tickSteps = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 24 * time.Hour}

func (t *timeline) SetSize(width, height int) { t.width, t.height = width, height }

// toggle opens or closes the timeline; it opens fitted to everything, at the first row.
func (t *timeline) toggle() {
	t.open = !t.open
	t.scale, t.end, t.top = 0, time.Time{}, 0
}

// Update takes the timeline's keys — scroll and zoom in time, scroll the rows — and the
// mouse wheel (the rows).
func (t *timeline) Update(msg tea.Msg) tea.Cmd {
	if w, ok := msg.(tea.MouseWheelMsg); ok {
		switch w.Mouse().Button {
		case tea.MouseWheelUp:
			t.scrollRows(-3)
		case tea.MouseWheelDown:
			t.scrollRows(3)
		}
		return nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	ks := t.keys
	switch {
	case key.Matches(k, ks.Up):
		t.scrollRows(-1)
		return nil
	case key.Matches(k, ks.Down):
		t.scrollRows(1)
		return nil
	case key.Matches(k, ks.PageUp):
		t.scrollRows(-max(1, t.rowRoom()-1))
		return nil
	case key.Matches(k, ks.PageDown):
		t.scrollRows(max(1, t.rowRoom()-1))
		return nil
	}
	sw := t.geometry().strip
	t0, sc := t.window(sw)
	right := t0.Add(time.Duration(sw) * sc)
	now := t.opts.Now()
	switch {
	case key.Matches(k, ks.TimeEarlier):
		t.scale, t.end = sc, right.Add(-time.Duration(max(1, sw/4))*sc)
	case key.Matches(k, ks.TimeLater):
		t.scale, t.end = sc, right.Add(time.Duration(max(1, sw/4))*sc)
	case key.Matches(k, ks.ZoomIn, ks.ZoomOut):
		i := 0
		for i < len(timeScales)-1 && timeScales[i] < sc {
			i++
		}
		if key.Matches(k, ks.ZoomIn) {
			i = max(0, i-1)
		} else {
			i = min(len(timeScales)-1, i+1)
		}
		t.scale = timeScales[i]
		if t.end.IsZero() && right.Before(now) {
			t.end = right
		}
	case key.Matches(k, ks.Top):
		t.scale = sc
		t.end = t.s.first.Add(time.Duration(sw) * sc)
	case key.Matches(k, ks.Bottom):
		t.end = time.Time{}
	case key.Matches(k, ks.FitAll):
		t.scale, t.end = 0, time.Time{}
	default:
		return nil
	}
	if !t.end.IsZero() && !t.end.Before(now) {
		t.end = time.Time{} // at now: follow it
	}
	return nil
}

// tlGeometry is the width of a timeline row's parts: the label, the strip, the state.
type tlGeometry struct{ label, strip, info int }

func (t *timeline) geometry() tlGeometry {
	g := tlGeometry{label: 8, info: 18}
	for _, c := range t.containers() {
		g.label = max(g.label, ansi.StringWidth(c.Name)+2)
	}
	g.label = min(g.label, max(8, t.width/5))
	if t.width >= 120 {
		g.info = 28
	}
	g.strip = max(10, t.width-g.label-g.info-4)
	return g
}

// window is the time of the strip's first cell and the time a cell stands for.
func (t *timeline) window(sw int) (time.Time, time.Duration) {
	now := t.opts.Now()
	first := t.s.first
	if first.IsZero() || first.After(now) {
		first = now
	}
	if t.scale == 0 {
		span := now.Sub(first)
		sc := timeScales[len(timeScales)-1]
		for _, s := range timeScales {
			if time.Duration(sw)*s > span+s {
				sc = s
				break
			}
		}
		return first.Truncate(sc), sc
	}
	right := now
	if !t.end.IsZero() {
		right = t.end
	}
	sc := t.scale
	return right.Truncate(sc).Add(sc - time.Duration(sw)*sc), sc
}

// containers are the selected pod's containers in the order they start: infra, init
// containers, sidecars, main.
func (t *timeline) containers() []orchestrator.ContainerView {
	p := t.s.view.Pod(t.cols.pod)
	if p == nil {
		return nil
	}
	var out []orchestrator.ContainerView
	for _, role := range []recipes.Role{recipes.RoleInfra, recipes.RoleInit, recipes.RoleSidecar, recipes.RoleMain} {
		for _, c := range p.Containers {
			if c.Role == role {
				out = append(out, c)
			}
		}
	}
	return out
}

// tlHead are the rows above the containers' (the title, the axis' two, the pod's phases).
const tlHead = 4

// rowRoom is how many container rows fit (one row is kept below them).
func (t *timeline) rowRoom() int { return max(1, t.height-2-1-tlHead) }

// scrollRows moves the rows shown by d, within the pod's containers.
func (t *timeline) scrollRows(d int) {
	t.top += d
	t.clampRows(len(t.containers()))
}

// clampRows keeps the first row shown such that the rows fill the room (the first row
// again for another pod).
func (t *timeline) clampRows(n int) {
	if t.topPod != t.cols.pod {
		t.top, t.topPod = 0, t.cols.pod
	}
	t.top = max(0, min(t.top, n-t.rowRoom()))
}

// View is the timeline's rows between the header and the footer.
func (t *timeline) View() []string {
	h := t.height - 2
	if h <= 0 {
		return nil
	}
	ctrs := t.containers()
	t.clampRows(len(ctrs))
	rowsInfo := ""
	if len(ctrs) > t.rowRoom() {
		last := min(len(ctrs), t.top+t.rowRoom())
		rowsInfo = fmt.Sprintf(" containers %d–%d of %d · ↑↓ pgup pgdn for more", t.top+1, last, len(ctrs))
		ctrs = ctrs[t.top:last]
	}
	st := t.st
	g := t.geometry()
	t0, sc := t.window(g.strip)
	now := t.opts.Now()
	loc := t.opts.Location
	right := t0.Add(time.Duration(g.strip) * sc)
	rows := make([]string, 0, h)
	follow := "following now"
	if !t.end.IsZero() {
		follow = "end: back to now"
	}
	rows = append(rows, st.bold.Render(" LIFECYCLE ")+st.dim.Render(fmt.Sprintf("pod %s · %s – %s · a cell is %s · %s",
		t.cols.pod, t0.In(loc).Format("15:04:05"), right.In(loc).Format("15:04:05"), fmtScale(sc), follow)))
	pad := strings.Repeat(" ", g.label+2)
	labels, ruler := t.axis(g.strip, t0, sc, now)
	rows = append(rows, pad+st.dim.Render(labels), pad+st.border.Render(ruler))
	rows = append(rows, t.phaseRow(g, t0, sc, now))
	for _, c := range ctrs {
		if len(rows) >= h-1 {
			break
		}
		rows = append(rows, t.row(g, c, t0, sc, now))
	}
	if rowsInfo != "" { // in the row kept below the strips, instead of the legend
		return append(rows, st.dim.Render(fit(rowsInfo, t.width)))
	}
	legend := t.legend(t.width - 2)
	room := h - len(rows) - 1
	if room > 0 && len(legend) > 0 {
		rows = append(rows, "")
		rows = append(rows, legend[:min(room, len(legend))]...)
	}
	return rows
}

func fmtScale(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmtDuration(d)
}
