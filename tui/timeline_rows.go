package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The timeline's rows (timeline.go lays them out): the time axis, the pod's phases, each
// container's strip with its marks, and the legend.

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
			case markReady, markStartup:
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
// marks only for a pod whose containers have hooks that ran, the startup probe's only for one
// where one passed.
func (t *timeline) legend(w int) []string {
	st := t.st
	items := []string{
		st.good.Render("█") + " ready/running", st.warn.Render("░") + " not ready yet", st.bad.Render("▒") + " not ready",
		st.dim.Render("·") + " created", st.warn.Render("~") + " back-off", st.warn.Render("╌") + " stopping",
	}
	hooks, startup := false, false
	for _, c := range t.containers() {
		if life := t.s.lives[paneKey{c.Pod, c.Name}]; life != nil {
			for _, m := range life.marks {
				hooks = hooks || m.kind.isHook()
				startup = startup || m.kind == markStartup
			}
		}
	}
	for k := markKind(0); k < numMarks; k++ {
		if k == markExit || (k.isHook() && !hooks) || (k == markStartup && !startup) {
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
