package tui

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// View draws the whole screen from the model; it changes nothing.
func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "sidecar " + m.view.Name
	if m.prompt != promptNone && m.height > 0 {
		if c := m.input.Cursor(); c != nil {
			c.Position.X += ansi.StringWidth(m.promptLabel())
			c.Position.Y = m.height - 1
			v.Cursor = c
		}
	}
	return v
}

// render is the screen as text, one line per row.
func (m *model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	w, l := m.width, &m.lay // laid out at the end of Update
	if w < minWidth || m.height < minHeight {
		return m.tooSmall()
	}
	rows := make([]string, m.height)
	rows[0] = m.header(w)
	if m.help {
		rows[1] = m.st.bold.Render(" KEYS") + m.st.dim.Render("  ? or esc: close · ↑↓ pgup pgdn: scroll")
		body := m.helpLines(w, m.height-3)
		top := max(0, min(m.helpTop, len(body)-(m.height-3)))
		for i := 2; i < m.height-1; i++ {
			if j := top + i - 2; j < len(body) {
				rows[i] = body[j]
			}
		}
	} else {
		for i, s := range m.startupLines(w) {
			if i < l.panelTopH {
				rows[l.panelTopY+i] = s
			}
		}
		if l.tabsY >= 0 {
			rows[l.tabsY] = m.tabs(w)
		}
		m.box(rows)
		for i, s := range m.failureLines(w) {
			if i < l.panelBotH {
				rows[l.panelBotY+i] = s
			}
		}
	}
	rows[m.height-1] = m.footer(w)
	for i, r := range rows {
		// The columns' rows are exactly w wide by construction: measuring them again would
		// cost more than drawing them.
		if m.help || i < m.lay.boxY || i > m.lay.contentY+m.lay.contentH {
			rows[i] = fit(r, w)
		}
	}
	return strings.Join(rows, "\n")
}

// The smallest screen the view draws; below it, it says so.
const minWidth, minHeight = 20, 6

// tooSmall is the screen of a terminal too small for the view: the stack's state on the
// first row and what to do on the last.
func (m *model) tooSmall() string {
	rows := make([]string, m.height)
	rows[0] = fit(" "+m.view.Name+" "+ansi.Strip(m.phaseText()), m.width)
	rows[m.height-1] = fit(fmt.Sprintf(" %dx%d is too small: enlarge the terminal (q quits)", m.width, m.height), m.width)
	return strings.Join(rows, "\n")
}

// fit cuts a styled line to width cells.
func fit(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// ---- header ----

func (m *model) header(w int) string {
	st := m.st
	left := " " + st.stack.Render(m.view.Name) + "  " + m.phaseText()
	if len(m.view.Pods) > 1 {
		var pods []string
		for _, p := range m.view.Pods {
			s := p.Name + " " + phaseGlyph(p.Phase)
			if p.Name == m.pod {
				s = st.focused.Render(s)
			}
			pods = append(pods, s)
		}
		left += "   pods " + strings.Join(pods, " ")
	}
	var chips []string
	for _, p := range m.podPanes() {
		c := m.container(p.pod, p.name)
		if c == nil {
			continue
		}
		glyph, word, _ := stateWord(c, m.opts.Now())
		chip := p.name + " " + m.glyphStyle(c).Render(glyph)
		switch {
		case p.muted:
			chip += st.dim.Render(" muted")
		case c.Role == recipes.RoleMain && c.State == orchestrator.CStateRunning:
			chip += " " + word
		}
		chips = append(chips, chip)
	}
	right := st.dim.Render("? help ")
	mid := "   " + strings.Join(chips, "   ")
	room := w - ansi.StringWidth(left) - ansi.StringWidth(right) - 1
	if room < ansi.StringWidth(mid) {
		mid = ansi.Truncate(mid, max(0, room), "…")
	}
	pad := w - ansi.StringWidth(left) - ansi.StringWidth(mid) - ansi.StringWidth(right)
	return left + mid + strings.Repeat(" ", max(1, pad)) + right
}

// phaseText is the stack's phase, with its uptime when running.
func (m *model) phaseText() string {
	st := m.st
	ph := m.view.Phase
	glyph := phaseGlyph(ph)
	switch ph {
	case orchestrator.PhaseRunning:
		up := ""
		if !m.since.IsZero() {
			up = " " + fmtDuration(m.opts.Now().Sub(m.since))
		}
		return st.good.Render(glyph) + " running" + up
	case orchestrator.PhaseFailed:
		return st.bad.Render(glyph + " failed")
	case orchestrator.PhaseDone:
		if m.view.ExitCode != nil {
			return glyph + fmt.Sprintf(" done, exit code %d", *m.view.ExitCode)
		}
		return glyph + " done"
	case orchestrator.PhaseStopping:
		return st.warn.Render(glyph) + " stopping"
	case orchestrator.PhasePulling:
		return st.info.Render(glyph) + " getting images"
	}
	return st.info.Render(glyph) + " " + ph.String()
}

func (m *model) glyphStyle(c *orchestrator.ContainerView) lipgloss.Style {
	switch c.State {
	case orchestrator.CStateRunning:
		switch c.Health {
		case orchestrator.HealthNotReady, orchestrator.HealthUnhealthy:
			return m.st.bad
		case orchestrator.HealthUnknown, orchestrator.HealthStarting:
			return m.st.warn
		}
		return m.st.good
	case orchestrator.CStateExited:
		if exitFailed(*c) {
			return m.st.bad
		}
		return m.st.good
	case orchestrator.CStateBackoff, orchestrator.CStateStopping:
		return m.st.warn
	}
	return m.st.dim
}

// ---- columns ----

// title is a column's title bar text: name, role, state, restarts, CPU, memory, in at
// most w cells (dropping the role, then memory, then CPU when they do not fit); with
// styled, its state glyph in colour (the focused title is styled as a whole instead).
func (m *model) title(p *pane, styled bool, w int) string {
	c := m.container(p.pod, p.name)
	if c == nil {
		return p.name
	}
	glyph, word, short := stateWord(c, m.opts.Now())
	state, compact := glyph, glyph
	if styled {
		state = m.glyphStyle(c).Render(glyph)
		compact = state
	}
	if !(c.State == orchestrator.CStateRunning && (c.Health == orchestrator.HealthNone || c.Health == orchestrator.HealthReady || c.Health == orchestrator.HealthHealthy)) {
		state += " " + word
		compact += " " + short
	}
	restarts, cpu, mem := "", "", ""
	if c.Restarts > 0 {
		restarts = fmt.Sprintf("↻%d", c.Restarts)
	}
	if s, ok := m.stats[paneKey{p.pod, p.name}]; ok && c.State == orchestrator.CStateRunning {
		cpu, mem = fmtCPU(s.CPUPercent), fmtBytes(s.MemoryBytes)
	}
	join := func(parts ...string) string {
		var out []string
		for _, x := range parts {
			if x != "" {
				out = append(out, x)
			}
		}
		return strings.Join(out, " ")
	}
	role := p.name + " · " + c.Role.String()
	for _, t := range []string{
		join(role, state, restarts, cpu, mem),
		join(p.name, state, restarts, cpu, mem),
		join(p.name, state, restarts, cpu),
		join(p.name, state, restarts),
		join(p.name, compact, restarts),
		join(p.name, compact),
	} {
		if ansi.StringWidth(t) <= w {
			return t
		}
	}
	return join(p.name, compact)
}

// status is what a column's bottom border says: paused, new lines, filter.
func (m *model) status(p *pane, o *renderOpts) string {
	var parts []string
	if p.filter != "" {
		_, hi := p.bounds()
		parts = append(parts, fmt.Sprintf("& %q %d", p.filter, hi-p.fbase))
	}
	if !p.follow {
		parts = append(parts, fmt.Sprintf("paused, %d below", p.below(o)))
	}
	return strings.Join(parts, " · ")
}

// box draws the columns: top border with titles, log rows, bottom border with status.
func (m *model) box(rows []string) {
	l := &m.lay
	shown := m.shownPanes()
	o := m.renderOpts()
	bs := m.st.border
	focused := m.focused()
	var top, bottom strings.Builder
	top.WriteString(bs.Render("┌"))
	bottom.WriteString(bs.Render("└"))
	cells := make([][]string, len(l.cols))
	for i, col := range l.cols {
		var p *pane
		if i < len(shown) {
			p = shown[i]
		}
		end, endB := "┬", "┴"
		if i == len(l.cols)-1 {
			end, endB = "┐", "┘"
		}
		if p == nil {
			top.WriteString(bs.Render(strings.Repeat("─", col.w) + end))
			bottom.WriteString(bs.Render(strings.Repeat("─", col.w) + endB))
			cells[i] = nil
			continue
		}
		title := m.title(p, true, col.w-2)
		style := lipgloss.NewStyle()
		if p == focused && len(shown) > 1 {
			title, style = m.title(p, false, col.w-2), m.st.focused
		}
		top.WriteString(borderLabel(title, col.w, style, bs, false))
		top.WriteString(bs.Render(end))
		bottom.WriteString(borderLabel(m.status(p, o), col.w, m.st.warn, bs, true))
		bottom.WriteString(bs.Render(endB))
		cells[i] = p.render(o)
	}
	rows[l.boxY] = top.String()
	bar := bs.Render("│")
	for r := 0; r < l.contentH; r++ {
		var b strings.Builder
		b.WriteString(bar)
		for i, col := range l.cols {
			if cells[i] != nil && r < len(cells[i]) {
				b.WriteString(cells[i][r])
			} else {
				b.WriteString(strings.Repeat(" ", col.w))
			}
			b.WriteString(bar)
		}
		rows[l.contentY+r] = b.String()
	}
	rows[l.contentY+l.contentH] = bottom.String()
}

// borderLabel is a width-wide stretch of border with a label in it (left, or right-aligned).
func borderLabel(label string, w int, style, border lipgloss.Style, right bool) string {
	if label == "" || w < 5 {
		return border.Render(strings.Repeat("─", w))
	}
	label = ansi.Truncate(label, w-2, "…")
	lw := ansi.StringWidth(label)
	fill := w - lw - 2
	if right && fill > 0 {
		return border.Render(strings.Repeat("─", fill-1)) + " " + style.Render(label) + " " + border.Render("─")
	}
	return " " + style.Render(label) + " " + border.Render(strings.Repeat("─", fill))
}

// tabs is the tab row of tabs mode: every column's name and state, the focused one marked.
func (m *model) tabs(w int) string {
	focused := m.focused()
	var parts []string
	for i, p := range m.visible() {
		c := m.container(p.pod, p.name)
		s := fmt.Sprintf("%d %s", i+1, p.name)
		if c != nil {
			glyph, _, _ := stateWord(c, m.opts.Now())
			s += " " + glyph
		}
		if p == focused {
			s = m.st.focused.Render(" " + s + " ")
		} else {
			s = " " + s + " "
		}
		parts = append(parts, s)
	}
	hint := "tab: next"
	if m.zoom {
		hint = "z: all columns"
	}
	return strings.Join(parts, m.st.dim.Render("│")) + "  " + m.st.dim.Render(hint)
}

// ---- start-up ----

var buildStep = regexp.MustCompile(`(?i)step (\d+)/(\d+)`)

// startupLines show image pulls and builds with progress, and each pod's way through its
// phases, while the stack starts (and while a pod is recreated).
func (m *model) startupLines(w int) []string {
	if !m.snapshot || !m.starting() {
		return nil
	}
	st := m.st
	var out []string
	for _, im := range m.images {
		if im.action == orchestrator.ImagePresent || (im.action == orchestrator.ImageInfra && im.err == "") {
			continue
		}
		verb := map[orchestrator.ImageAction]string{orchestrator.ImageBuild: "build", orchestrator.ImagePull: "pull",
			orchestrator.ImageInfra: "infra image"}[im.action]
		head := fmt.Sprintf("  %s %s ", verb, im.ref)
		switch {
		case im.err != "":
			out = append(out, st.bad.Render("  ✗ "+verb+" "+im.ref+": "+im.err))
			continue
		case im.done:
			out = append(out, st.good.Render("  ✓")+" "+verb+" "+im.ref)
			continue
		}
		frac, known := im.progress()
		barW := min(30, w-ansi.StringWidth(head)-20)
		line := head
		if known && barW >= 10 {
			bar := progress.New(progress.WithWidth(barW), progress.WithColors(colBlue), progress.WithFillCharacters('█', '░'))
			line += bar.ViewAs(frac) + " "
		}
		msg := im.message
		if im.step != "" && !buildStep.MatchString(msg) {
			msg = "step " + im.step + ": " + msg
		}
		line += st.dim.Render(msg)
		out = append(out, line)
	}
	for _, p := range m.view.Pods {
		out = append(out, m.podSteps(&p))
	}
	return out
}

// starting reports whether the start-up panel is due: the stack has not run yet, or a pod is
// on its way up again.
func (m *model) starting() bool {
	if m.since.IsZero() {
		return true
	}
	for _, p := range m.view.Pods {
		switch p.Phase {
		case orchestrator.PhaseCreating, orchestrator.PhaseInit, orchestrator.PhaseSidecars,
			orchestrator.PhaseStartingMain, orchestrator.PhaseRecreating:
			return true
		}
	}
	return false
}

// progress is how far an image is, when the events tell.
func (im *imageState) progress() (float64, bool) {
	var cur, total int64
	for _, s := range im.steps {
		cur += s[0]
		total += s[1]
	}
	if total > 0 {
		return min(1, float64(cur)/float64(total)), true
	}
	if mm := buildStep.FindStringSubmatch("Step " + im.step); mm != nil {
		i, _ := strconv.Atoi(mm[1])
		n, _ := strconv.Atoi(mm[2])
		if n > 0 {
			return float64(i-1) / float64(n), true
		}
	}
	return 0, false
}

// podSteps is one pod's line of start-up steps: images › infra › init › sidecars › main.
func (m *model) podSteps(p *orchestrator.PodView) string {
	st := m.st
	var init, sidecars []orchestrator.ContainerView
	for _, c := range p.Containers {
		switch c.Role {
		case recipes.RoleInit:
			init = append(init, c)
		case recipes.RoleSidecar:
			sidecars = append(sidecars, c)
		}
	}
	type step struct {
		name   string
		state  int // 0 pending, 1 active, 2 done, 3 failed
		detail string
	}
	reached := m.reached[p.Name]
	failed := p.Phase == orchestrator.PhaseFailed || m.view.Phase == orchestrator.PhaseFailed
	imagesFailed := false
	for _, im := range m.images {
		imagesFailed = imagesFailed || im.err != ""
	}
	steps := []step{{name: "images"}}
	switch {
	case imagesFailed:
		steps[0].state = 3
	case m.pulled:
		steps[0].state = 2
	case m.view.Phase == orchestrator.PhasePulling:
		steps[0].state = 1
	}
	phaseStep := func(name string, ph orchestrator.Phase, detail string) step {
		s := step{name: name, detail: detail}
		switch {
		case reached == ph:
			s.state = 1
		case reached > ph && reached <= orchestrator.PhaseRunning:
			s.state = 2
		}
		return s
	}
	steps = append(steps, phaseStep("infra", orchestrator.PhaseCreating, ""))
	if p.Phase == orchestrator.PhaseRecreating {
		steps[len(steps)-1].detail = "(recreating the pod)"
	}
	if len(init) > 0 {
		steps = append(steps, phaseStep("init", orchestrator.PhaseInit, firstNot(init, func(c orchestrator.ContainerView) bool {
			return c.State == orchestrator.CStateExited && !exitFailed(c)
		})))
	}
	if len(sidecars) > 0 {
		steps = append(steps, phaseStep("sidecars", orchestrator.PhaseSidecars, firstNot(sidecars, func(c orchestrator.ContainerView) bool {
			return c.State == orchestrator.CStateRunning && c.Health != orchestrator.HealthUnknown && c.Health != orchestrator.HealthNotReady
		})))
	}
	steps = append(steps, phaseStep("main", orchestrator.PhaseStartingMain, ""))
	if reached == orchestrator.PhaseRunning {
		steps[len(steps)-1].state = 2
	}
	if failed {
		// The step that was under way failed.
		marked := false
		for i := range steps {
			if steps[i].state == 3 {
				marked = true
			}
		}
		for i := len(steps) - 1; i >= 0 && !marked; i-- {
			if steps[i].state == 1 || (i > 0 && steps[i].state == 0 && steps[i-1].state == 2) {
				steps[i].state, marked = 3, true
			}
		}
	}
	var parts []string
	for _, s := range steps {
		text := s.name
		if s.detail != "" && s.state == 1 {
			text += " " + s.detail
		}
		switch s.state {
		case 0:
			parts = append(parts, st.dim.Render("○ "+text))
		case 1:
			parts = append(parts, st.info.Render("◌")+" "+st.bold.Render(text))
		case 2:
			parts = append(parts, st.good.Render("✓")+" "+text)
		case 3:
			parts = append(parts, st.bad.Render("✗ "+text))
		}
	}
	return "  " + st.bold.Render(p.Name) + "  " + strings.Join(parts, st.dim.Render(" › "))
}

func firstNot(cs []orchestrator.ContainerView, ok func(orchestrator.ContainerView) bool) string {
	for _, c := range cs {
		if !ok(c) {
			return c.Name
		}
	}
	return ""
}

// ---- failure ----

// failureLines say why the stack failed (or main failed it) and show the failing
// container's last lines.
func (m *model) failureLines(w int) []string {
	if !m.linger && m.view.Phase != orchestrator.PhaseFailed {
		return nil
	}
	st := m.st
	reason := m.view.Reason
	if reason == "" {
		reason = "the stack failed"
	}
	out := []string{st.bad.Render("✗ " + reason)}
	for _, msg := range m.messages {
		if msg.Level == orchestrator.LevelError {
			out = append(out, st.bad.Render("  "+msg.Text))
		}
	}
	if p := m.failedPane(); p != nil {
		var last []*line
		for i := p.lines.next; i > p.lines.first && len(last) < 8; i-- {
			l := p.lines.at(i - 1)
			if l.kind == kindOut || l.kind == kindErr || l.kind == kindMarker {
				last = append(last, l)
			}
		}
		if len(last) > 0 {
			out = append(out, st.bold.Render(fmt.Sprintf("last lines of %s:", p.name)))
			for i := len(last) - 1; i >= 0; i-- {
				prefix := "  "
				if last[i].kind == kindErr {
					prefix = st.bad.Render(" ▌")
				}
				out = append(out, prefix+ansi.Truncate(last[i].text, w-2, "…"))
			}
		} else {
			out = append(out, st.dim.Render(fmt.Sprintf("%s wrote nothing", p.name)))
		}
	}
	return out
}

// failedPane is the container whose failure ended the stack: a failed init container, or
// main when it ended the stack with a failure, else the last container that failed.
func (m *model) failedPane() *pane {
	if m.failed.ctr == "" {
		return nil
	}
	return m.pane(m.failed.pod, m.failed.ctr)
}

// ---- footer ----

func (m *model) promptLabel() string {
	if m.prompt == promptFilter {
		if p := m.focused(); p != nil {
			return " filter " + p.name + ": "
		}
		return " filter: "
	}
	return " /"
}

func (m *model) footer(w int) string {
	st := m.st
	switch {
	case m.prompt != promptNone:
		return m.promptLabel() + m.input.Value()
	case m.ended && m.endErr != nil:
		return st.bad.Render(" ✗ "+m.endErr.Error()) + st.dim.Render(" · q: quit")
	case m.ended:
		code := ""
		if m.view.ExitCode != nil {
			code = fmt.Sprintf(" (exit code %d)", *m.view.ExitCode)
		}
		return st.bold.Render(" the stack has stopped"+code) + st.dim.Render(" · everything is removed · q: quit")
	case m.stop == stopForced:
		return st.bad.Render(" killing every container…") + st.dim.Render(" removing what is left")
	case m.stop == stopGraceful || m.view.Phase == orchestrator.PhaseStopping:
		return m.stoppingText()
	case m.notice != "":
		sgr := m.st.sgr[m.noticeKind]
		return " " + sgr + m.notice + ansi.ResetStyle
	case m.query != "":
		s := fmt.Sprintf(" /%s", m.query)
		if m.count != "" {
			s += "  " + m.count
		}
		return s + st.dim.Render(" · n older · N newer · esc clear")
	}
	return m.keysText(w)
}

// stoppingText shows the teardown: which containers are stopping and the grace they have
// left.
func (m *model) stoppingText() string {
	st := m.st
	var parts []string
	now := m.opts.Now()
	for _, p := range m.view.Pods {
		for _, c := range p.Containers {
			if c.State != orchestrator.CStateStopping {
				continue
			}
			s := c.Name
			if len(m.view.Pods) > 1 {
				s = p.Name + "/" + c.Name
			}
			if !c.StopDeadline.IsZero() {
				s += fmt.Sprintf(" (SIGKILL in %s)", fmtDuration(c.StopDeadline.Sub(now)))
			}
			parts = append(parts, s)
		}
	}
	text := " stopping the stack…"
	if len(parts) > 0 {
		text = " stopping " + strings.Join(parts, ", ")
	}
	return st.warn.Render(text) + st.dim.Render(" · q or ctrl+c: force")
}

// keysText is the main keys, as many as fit, always ending with quit.
func (m *model) keysText(w int) string {
	st := m.st
	keys := m.keys.footerKeys()
	last := keys[len(keys)-1]
	render := func(k footerKey) string { return st.keyName.Render(k.key) + " " + st.dim.Render(k.desc) }
	sep := st.dim.Render(" · ")
	out := " "
	used := 1 + ansi.StringWidth(last.key+" "+last.desc)
	var parts []string
	for _, k := range keys[:len(keys)-1] {
		kw := ansi.StringWidth(k.key+" "+k.desc) + 3
		if used+kw > w {
			break
		}
		used += kw
		parts = append(parts, render(k))
	}
	parts = append(parts, render(last))
	return out + strings.Join(parts, sep)
}

// ---- help ----

// helpLines are every key with its help, grouped: in two columns when the width allows and
// one column does not fit the height. The view scrolls them (helpTop) when they do not fit.
func (m *model) helpLines(w, h int) []string {
	st := m.st
	keyW := 0
	for _, g := range m.keys.helpGroups() {
		for _, k := range g.keys {
			keyW = max(keyW, ansi.StringWidth(k.Help().Key))
		}
	}
	var groups [][]string
	total, widest := 0, 0
	for _, g := range m.keys.helpGroups() {
		lines := []string{st.panelHead.Render(g.title)}
		for _, k := range g.keys {
			hk := k.Help()
			line := "  " + st.keyName.Render(hk.Key) + strings.Repeat(" ", keyW-ansi.StringWidth(hk.Key)+2) + hk.Desc
			widest = max(widest, ansi.StringWidth(line))
			lines = append(lines, line)
		}
		lines = append(lines, "")
		groups = append(groups, lines)
		total += len(lines)
	}
	var out []string
	if total <= h || 2*(widest+3) > w {
		for _, g := range groups {
			for _, l := range g {
				out = append(out, " "+l)
			}
		}
		return out
	}
	// Two columns, split between groups.
	var left, right []string
	for _, g := range groups {
		if len(left) < total/2 {
			left = append(left, g...)
		} else {
			right = append(right, g...)
		}
	}
	colW := widest + 3
	for i := 0; i < max(len(left), len(right)); i++ {
		row := ""
		if i < len(left) {
			row = " " + left[i]
		}
		row += strings.Repeat(" ", max(0, colW-ansi.StringWidth(row)))
		if i < len(right) {
			row += right[i]
		}
		out = append(out, row)
	}
	return out
}
