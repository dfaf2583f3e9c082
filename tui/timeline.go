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

// axis is the time axis: the labels row and the ruler row, a tick every few cells.
func (t *timeline) axis(sw int, t0 time.Time, sc time.Duration, now time.Time) (string, string) {
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if s >= 10*sc {
			step = s
			break
		}
	}
	labels := []byte(strings.Repeat(" ", sw))
	ruler := make([]string, sw)
	for i := range ruler {
		ruler[i] = "─"
	}
	end := t0.Add(time.Duration(sw) * sc)
	for at := t0.Truncate(step); at.Before(end); at = at.Add(step) {
		if at.Before(t0) {
			continue
		}
		i := int(at.Sub(t0) / sc)
		ruler[i] = "┴"
		text := at.In(t.opts.Location).Format("15:04:05")
		if i+len(text) <= sw {
			copy(labels[i:], text)
		}
	}
	if !now.Before(t0) && now.Before(end) {
		ruler[int(now.Sub(t0)/sc)] = "▲"
	}
	return string(labels), strings.Join(ruler, "")
}

// phaseNames are the pod's phases as the timeline's top row calls them.
var phaseNames = map[orchestrator.Phase]string{
	orchestrator.PhasePending: "pending", orchestrator.PhasePulling: "images", orchestrator.PhaseCreating: "infra",
	orchestrator.PhaseStarting: "starting", orchestrator.PhaseInit: "init", orchestrator.PhaseSidecars: "sidecars",
	orchestrator.PhaseStartingMain: "main", orchestrator.PhaseRunning: "running", orchestrator.PhaseRecreating: "recreating",
	orchestrator.PhaseStopping: "terminating", orchestrator.PhaseDone: "done", orchestrator.PhaseFailed: "failed",
	orchestrator.PhaseCompleted: "completed",
}

// phaseRow is the pod's phases on the time axis: each phase's name where it began.
func (t *timeline) phaseRow(g tlGeometry, t0 time.Time, sc time.Duration, now time.Time) string {
	st := t.st
	ph := t.s.phases[t.cols.pod]
	cells := make([]tlCell, g.strip)
	phases := make([]orchestrator.Phase, g.strip)
	for i := range cells {
		cells[i], phases[i] = tlCell{" ", nil}, -1
	}
	for i := range cells {
		at, ok := sampleTime(t0, sc, i, now)
		if !ok {
			break
		}
		j := len(ph)
		for j > 0 && ph[j-1].at.After(at) {
			j--
		}
		if j == 0 {
			continue
		}
		phases[i] = ph[j-1].phase
		cells[i] = tlCell{"─", st.phase(phases[i])}
	}
	// Each phase's name where it began, over the cells it spans; its initial when the
	// name does not fit before the next phase.
	for i := 0; i < len(cells); i++ {
		if phases[i] < 0 || (i > 0 && phases[i-1] == phases[i]) {
			continue
		}
		name := []rune(phaseNames[phases[i]])
		span := 1
		for i+span < len(cells) && phases[i+span] == phases[i] {
			span++
		}
		if len(name) > span {
			name = name[:1]
		}
		for k, r := range name {
			cells[i+k].ch = string(r)
		}
	}
	phase := ""
	if p := t.s.view.Pod(t.cols.pod); p != nil {
		word := p.Phase.String()
		if p.Phase == orchestrator.PhaseCompleted {
			word = "job completed"
		}
		phase = st.phase(p.Phase).Render(phaseGlyph(p.Phase)) + " " + word
	}
	return " " + st.bold.Render(padCut("pod", g.label)) + " " + drawCells(cells) + "  " + fit(phase, g.info)
}

// tlCell is one cell of a strip: its text and pen (nil: none).
type tlCell struct {
	ch  string
	pen *pen
}

// drawCells draws cells, one Render a run of cells of the same pen.
func drawCells(cells []tlCell) string {
	var b strings.Builder
	for i := 0; i < len(cells); {
		j := i
		var run strings.Builder
		for j < len(cells) && cells[j].pen == cells[i].pen {
			run.WriteString(cells[j].ch)
			j++
		}
		if cells[i].pen == nil {
			b.WriteString(run.String())
		} else {
			b.WriteString(cells[i].pen.Render(run.String()))
		}
		i = j
	}
	return b.String()
}

// sampleTime is the time cell i shows: its end, or now in the cell that holds now; ok is
// false for cells after now.
func sampleTime(t0 time.Time, sc time.Duration, i int, now time.Time) (time.Time, bool) {
	from := t0.Add(time.Duration(i) * sc)
	if from.After(now) {
		return time.Time{}, false
	}
	at := from.Add(sc - 1)
	if at.After(now) {
		at = now
	}
	return at, true
}

// padCut is s cut or padded to w cells.
func padCut(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// row is one container's strip.
func (t *timeline) row(g tlGeometry, c orchestrator.ContainerView, t0 time.Time, sc time.Duration, now time.Time) string {
	st := t.st
	life := t.s.lives[paneKey{c.Pod, c.Name}]
	cells := make([]tlCell, g.strip)
	for i := range cells {
		cells[i] = tlCell{" ", nil}
		if life == nil {
			continue
		}
		at, ok := sampleTime(t0, sc, i, now)
		if !ok {
			continue
		}
		if v, ok := life.at(at); ok {
			cells[i] = t.stateCell(v)
		}
	}
	if life != nil {
		t.drawMarks(cells, life.marks, t0, sc, now)
	}
	label := c.Name
	if c.Role == recipes.RoleInfra {
		label = "infra"
	}
	glyph, word, short := stateWord(&c, now)
	restarts := ""
	if c.Restarts > 0 {
		restarts = fmt.Sprintf(" ↻%d", c.Restarts)
	}
	if ansi.StringWidth(glyph+" "+word+restarts) > g.info {
		word = short
	}
	info := st.glyph(&c).Render(glyph) + " " + word + restarts
	return " " + padCut(label, g.label) + " " + drawCells(cells) + "  " + fit(info, g.info)
}

// stateCell is how a state fills a cell.
func (t *timeline) stateCell(c orchestrator.ContainerView) tlCell {
	st := t.st
	switch c.State {
	case orchestrator.CStateCreated:
		return tlCell{"·", st.dim}
	case orchestrator.CStateStarting:
		return tlCell{"›", st.dim}
	case orchestrator.CStateRunning:
		switch c.Health {
		case orchestrator.HealthUnknown, orchestrator.HealthStarting:
			return tlCell{"░", st.warn}
		case orchestrator.HealthNotReady, orchestrator.HealthUnhealthy:
			return tlCell{"▒", st.bad}
		}
		return tlCell{"█", st.good}
	case orchestrator.CStateBackoff:
		return tlCell{"~", st.warn}
	case orchestrator.CStateStopping:
		return tlCell{"╌", st.warn}
	}
	return tlCell{" ", nil}
}

// drawMarks puts the marks that fall in the window over the cells (the higher rank wins a
// cell), then each mark's word after it where the cells are blank. Hook marks come last:
// one whose cell has another mark already goes to the next free one of the two after it.
func (t *timeline) drawMarks(cells []tlCell, marks []lifeMark, t0 time.Time, sc time.Duration, now time.Time) {
	st := t.st
	end := t0.Add(time.Duration(len(cells)) * sc)
	rank := make([]int, len(cells))
	texts := make([]string, len(cells))
	for _, hooks := range []bool{false, true} {
		for _, m := range marks {
			if m.kind.isHook() != hooks || m.at.Before(t0) || !m.at.Before(end) || m.at.After(now) {
				continue
			}
			i := int(m.at.Sub(t0) / sc)
			info := markInfo[m.kind]
			for k := i; hooks && k < min(i+3, len(cells)); k++ {
				if rank[k] == 0 {
					i = k // the first free of its cell and the next two
					break
				}
			}
			if rank[i] > info.rank {
				continue
			}
			pen := st.info
			switch m.kind {
			case markReady:
				pen = st.good
			case markProbeFail, markExitFail, markOOM, markKill, markHookFail:
				pen = st.bad
			case markStop:
				pen = st.warn
			}
			rank[i], texts[i] = info.rank, m.text
			cells[i] = tlCell{info.glyph, pen}
		}
	}
	for i, text := range texts {
		if text == "" {
			continue
		}
		n := len(text) + 1
		if i+n >= len(cells) {
			continue
		}
		blank := true
		for k := i + 1; k <= i+n; k++ {
			blank = blank && cells[k].ch == " " && rank[k] == 0
		}
		if !blank {
			continue
		}
		for k, r := range text {
			cells[i+2+k] = tlCell{string(r), cells[i].pen}
		}
	}
}

// legend says what the strips' cells and marks mean, in rows of at most w cells; the hooks'
// marks only for a pod whose containers have hooks that ran.
func (t *timeline) legend(w int) []string {
	st := t.st
	items := []string{
		st.good.Render("█") + " ready/running", st.warn.Render("░") + " not ready yet", st.bad.Render("▒") + " not ready",
		st.dim.Render("·") + " created", st.warn.Render("~") + " back-off", st.warn.Render("╌") + " stopping",
	}
	hooks := false
	for _, c := range t.containers() {
		if life := t.s.lives[paneKey{c.Pod, c.Name}]; life != nil {
			for _, m := range life.marks {
				hooks = hooks || m.kind.isHook()
			}
		}
	}
	for k := markKind(0); k < numMarks; k++ {
		if k == markExit || (k.isHook() && !hooks) {
			continue // markExit has the glyph of markExitFail
		}
		items = append(items, markInfo[k].glyph+" "+markInfo[k].legend)
	}
	var out []string
	line, used := " ", 1
	for _, it := range items {
		iw := ansi.StringWidth(it) + 3
		if used+iw > w && used > 1 {
			out = append(out, line)
			line, used = " ", 1
		}
		line += it + "   "
		used += iw
	}
	return append(out, line)
}
