package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// model is the one root model. Its parts: the stack's state folded from events (view,
// stats, images, messages), one pane per app container, and the view's own state (focus,
// zoom, toggles, search, prompts, teardown). Update never blocks and does no I/O: commands
// to the orchestrator, the shell and the event feed run as tea.Cmds.
type model struct {
	ctx  context.Context
	ctl  Commands
	feed *feed
	opts Options
	keys keyMap
	st   *styles

	width, height int
	lay           layout

	// The stack, from events.
	view      orchestrator.StackView
	snapshot  bool // the snapshot arrived
	panes     map[paneKey]*pane
	stats     map[paneKey]orchestrator.StatsEvent
	images    []*imageState
	pulled    bool                          // images are resolved
	reached   map[string]orchestrator.Phase // per pod, the furthest start-up phase reached
	messages  []orchestrator.MessageEvent
	leftovers string
	since     time.Time        // when the stack started running
	failed    paneKey          // the container whose failing exit was seen last (init and main first)
	completed map[paneKey]bool // init containers whose last run exited 0

	// The view's state.
	pod        string // selected pod
	focus      string // focused container of the selected pod
	zoom       bool
	showInits  bool
	wrap       bool
	timestamps bool
	help       bool
	helpTop    int // first help line shown

	prompt promptKind // an open prompt (search, filter)
	input  textinput.Model
	query  string // lower-case search
	match  matchPos
	count  string // "3 of 17" after a jump

	notice     string
	noticeKind lineKind
	noticeGen  uint64      // counts notices: a noticeExpiredMsg clears only its own
	pending    *pendingCmd // the container command under way
	later      []tea.Cmd   // commands that events asked for, run after the batch

	stop     stopState
	ended    bool  // the stream ended
	endErr   error // why, if not the stack's end
	linger   bool  // keep the view after the end: the user reads the failure first
	quitting bool
}

type paneKey struct{ pod, ctr string }

type promptKind int

const (
	promptNone promptKind = iota
	promptSearch
	promptFilter
)

type matchPos struct {
	ctr string
	seq uint64
}

// stopState is how far the user took the teardown.
type stopState int

const (
	stopNone     stopState = iota
	stopGraceful           // q or Ctrl-C: Shutdown or Interrupt sent
	stopForced             // a second q or Ctrl-C: Kill sent
)

// imageState is what the view shows of one image being made available.
type imageState struct {
	ref     string
	action  orchestrator.ImageAction
	message string
	steps   map[string][2]int64 // pulls: layer → bytes downloaded, bytes in all
	step    string              // builds: the step under way, "2/4"
	done    bool
	err     string
}

// tickMsg redraws once a second: uptime and countdowns move.
type tickMsg struct{}

// pendingCmd is a restart, stop or start of a container that the orchestrator took but the
// container has not shown done yet: its notice ("restart web…") stays until it has.
type pendingCmd struct {
	pod, ctr, verb string
	gen            uint64 // its notice
}

// noticeExpiredMsg clears the notice numbered gen if it is still shown, and gives up on a
// pending command whose notice it is.
type noticeExpiredMsg struct{ gen uint64 }

// cmdDoneMsg is the outcome of a command sent to the orchestrator.
type cmdDoneMsg struct {
	what string // "restart web"
	err  error
}

// shellDoneMsg is the outcome of a shell session, or of the check before it (probe).
type shellDoneMsg struct {
	ctr    string
	err    error
	stderr string
	probe  bool
}

func newModel(ctx context.Context, sub Subscription, ctl Commands, opts Options) *model {
	in := textinput.New()
	in.SetVirtualCursor(false)
	in.Prompt = ""
	return &model{
		ctx: ctx, ctl: ctl, opts: opts, keys: newKeyMap(), st: newStyles(),
		feed:  &feed{sub: sub, frame: batchFrames * time.Second / time.Duration(opts.FPS)},
		panes: map[paneKey]*pane{}, stats: map[paneKey]orchestrator.StatsEvent{}, reached: map[string]orchestrator.Phase{},
		completed: map[paneKey]bool{},
		pod:       opts.Pod, wrap: true, timestamps: opts.Timestamps, input: in,
	}
}

func (m *model) Init() tea.Cmd {
	return tea.Batch(m.feed.next(m.ctx), tick())
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case batchMsg:
		m.apply(msg.items)
		cmd = tea.Batch(append(m.later, m.feed.next(m.ctx))...)
		m.later = nil
	case feedEndMsg:
		cmd = m.end(msg.err)
	case tickMsg:
		cmd = tick()
	case cmdDoneMsg:
		cmd = m.cmdDone(msg)
	case noticeExpiredMsg:
		if msg.gen == m.noticeGen {
			m.notice = ""
		}
		if m.pending != nil && m.pending.gen == msg.gen {
			m.pending = nil
		}
	case shellDoneMsg:
		m.shellDone(msg)
	case interruptMsg:
		cmd = m.interrupt()
	case tea.KeyPressMsg:
		cmd = m.key(msg)
	case tea.MouseWheelMsg:
		m.wheel(msg.Mouse())
	default:
		if m.prompt != promptNone {
			m.input, cmd = m.input.Update(msg)
		}
	}
	m.relayout()
	return m, cmd
}

// ---- events ----

// apply folds a batch of events into the model.
func (m *model) apply(items []item) {
	for i := range items {
		it := &items[i]
		if it.ev == nil {
			m.pane(it.pod, it.ctr).push(it.line)
			continue
		}
		m.applyEvent(it.ev)
	}
}

func (m *model) applyEvent(ev orchestrator.Event) {
	switch e := ev.(type) {
	case orchestrator.SnapshotEvent:
		m.view.Apply(e)
		m.snapshot = true
		for _, p := range e.Stack.Pods {
			for _, c := range p.Containers {
				if c.Role != recipes.RoleInfra {
					m.pane(p.Name, c.Name)
				}
			}
		}
		if m.view.Pod(m.pod) == nil && len(m.view.Pods) > 0 {
			m.pod = m.view.Pods[0].Name
		}
		m.stackPhase(e.Stack.Phase, e.Time)
		for _, p := range e.Stack.Pods {
			m.podPhase(p.Name, p.Phase)
		}
	case orchestrator.StackEvent:
		m.view.Apply(e)
		m.stackPhase(e.Phase, e.Time)
		if e.Phase == orchestrator.PhaseFailed || (e.Phase == orchestrator.PhaseDone && e.ExitCode != nil &&
			*e.ExitCode != 0 && *e.ExitCode != orchestrator.ExitInterrupted && m.stop == stopNone) {
			m.linger = true
		}
	case orchestrator.PodEvent:
		m.view.Apply(e)
		m.podPhase(e.Pod, e.Phase)
	case orchestrator.ContainerEvent:
		var old *orchestrator.ContainerView
		if p := m.view.Pod(e.Pod); p != nil {
			if c := p.Container(e.Name); c != nil {
				prev := *c
				old = &prev
			}
		}
		m.view.Apply(e)
		if e.Role == recipes.RoleInfra {
			return
		}
		pn := m.pane(e.Pod, e.Name)
		started := false
		for _, ln := range lifecycleLines(old, e.ContainerView) {
			l := newLine(e.Seq, e.Time, ln.kind, ln.text)
			l.start, l.end = ln.start, ln.end
			started = started || ln.start
			pn.push(l)
		}
		m.commandProgress(e.ContainerView, started)
		if e.Role == recipes.RoleInit {
			switch e.State {
			case orchestrator.CStateExited:
				m.completed[paneKey{e.Pod, e.Name}] = !exitFailed(e.ContainerView)
			case orchestrator.CStateStarting, orchestrator.CStateRunning:
				m.completed[paneKey{e.Pod, e.Name}] = false
			}
		}
		if e.State == orchestrator.CStateExited && exitFailed(e.ContainerView) {
			// What failed the stack, if it fails: an init container or main over others.
			if f := m.container(m.failed.pod, m.failed.ctr); f == nil || f.Role == recipes.RoleSidecar || e.Role != recipes.RoleSidecar {
				m.failed = paneKey{e.Pod, e.Name}
			}
		}
		if e.State != orchestrator.CStateRunning {
			delete(m.stats, paneKey{e.Pod, e.Name})
		}
	case orchestrator.StatsEvent:
		m.stats[paneKey{e.Pod, e.Container}] = e
	case orchestrator.ImageEvent:
		m.image(e)
	case orchestrator.LeftoversEvent:
		m.leftovers = leftoversText(e)
		m.setNotice(kindInfo, m.leftovers)
	case orchestrator.MessageEvent:
		kind := map[orchestrator.Level]lineKind{orchestrator.LevelInfo: kindInfo,
			orchestrator.LevelWarning: kindWarn, orchestrator.LevelError: kindError}[e.Level]
		text := e.Text
		if e.Hint != "" {
			text += " — " + e.Hint
		}
		if e.Container != "" && e.Pod != "" {
			m.pane(e.Pod, e.Container).push(newLine(e.Seq, e.Time, kind, levelGlyph(e.Level)+" "+text))
			return
		}
		m.messages = append(m.messages, e)
		m.setNotice(kind, levelGlyph(e.Level)+" "+text)
	case orchestrator.LogsDroppedEvent:
		m.pane(e.Pod, e.Container).push(newLine(e.Seq, e.Time, kindWarn,
			fmt.Sprintf("… %d lines skipped: the view fell behind", e.Count)))
	}
}

func (m *model) stackPhase(p orchestrator.Phase, at time.Time) {
	switch p {
	case orchestrator.PhasePulling:
		m.pulled = false
	case orchestrator.PhaseCreating:
		for _, im := range m.images {
			if im.done {
				m.pulled = true
			}
		}
	case orchestrator.PhaseStarting, orchestrator.PhaseStopping, orchestrator.PhaseDone:
		m.pulled = true
	case orchestrator.PhaseRunning:
		m.pulled = true
		if m.since.IsZero() {
			m.since = at
		}
	}
}

// podPhase notes how far a pod got on its way up: the start-up panel marks the steps
// before as done and, after a failure, the one under way as failed.
func (m *model) podPhase(pod string, p orchestrator.Phase) {
	if p > orchestrator.PhasePending {
		m.pulled = true
	}
	switch {
	case p == orchestrator.PhaseRecreating:
		m.reached[pod] = orchestrator.PhaseCreating
	case p >= orchestrator.PhaseCreating && p <= orchestrator.PhaseRunning && p > m.reached[pod]:
		m.reached[pod] = p
	}
}

// pane returns the pane of a container, making it on first use.
func (m *model) pane(pod, ctr string) *pane {
	k := paneKey{pod, ctr}
	p := m.panes[k]
	if p == nil {
		p = newPane(pod, ctr, m.opts.LogLines)
		m.panes[k] = p
	}
	return p
}

func (m *model) image(e orchestrator.ImageEvent) {
	var im *imageState
	for _, x := range m.images {
		if x.ref == e.Ref {
			im = x
		}
	}
	if im == nil {
		im = &imageState{ref: e.Ref, steps: map[string][2]int64{}}
		m.images = append(m.images, im)
	}
	im.action = e.Action
	if e.Message != "" {
		im.message = e.Message
	}
	switch {
	case e.Action == orchestrator.ImageBuild:
		if buildStep.MatchString("Step " + e.Step) {
			im.step = e.Step // "2/4"
		}
	case e.Step == "":
	case strings.HasPrefix(e.Message, "Downloading") && e.Total > 0:
		im.steps[e.Step] = [2]int64{e.Current, e.Total}
	case strings.Contains(e.Message, "complete") || strings.HasPrefix(e.Message, "Already exists"):
		// A layer downloaded, extracted or present: all of it.
		if s, ok := im.steps[e.Step]; ok {
			im.steps[e.Step] = [2]int64{s[1], s[1]}
		}
	}
	if e.Done {
		im.done = true
	}
	if e.Error != "" {
		im.err = e.Error
	}
}

// end handles the end of the stream.
func (m *model) end(err error) tea.Cmd {
	m.ended = true
	if err != nil && !errors.Is(err, io.EOF) && m.ctx.Err() == nil {
		m.endErr = fmt.Errorf("reading the stack's events: %w", err)
		m.linger = false
	}
	if m.linger && m.stop == stopNone {
		return nil
	}
	m.quitting = true
	return tea.Quit
}

// ---- keys ----

func (m *model) key(k tea.KeyPressMsg) tea.Cmd {
	if m.prompt != promptNone {
		return m.promptKey(k)
	}
	ks := m.keys
	if m.ended {
		// After the end only reading is left; any of the quit keys leaves.
		if key.Matches(k, ks.Quit, ks.Force) {
			m.quitting = true
			return tea.Quit
		}
	}
	if m.help {
		switch {
		case key.Matches(k, ks.Help, ks.Escape, ks.Quit):
			m.help = false
		case key.Matches(k, ks.Up):
			m.helpTop--
		case key.Matches(k, ks.Down):
			m.helpTop++
		case key.Matches(k, ks.PageUp):
			m.helpTop -= m.height / 2
		case key.Matches(k, ks.PageDown):
			m.helpTop += m.height / 2
		case key.Matches(k, ks.Top):
			m.helpTop = 0
		case key.Matches(k, ks.Force):
			return m.interrupt()
		}
		return nil
	}
	m.notice = ""
	p := m.focused()
	o := m.renderOpts()
	switch {
	case key.Matches(k, ks.Quit):
		return m.quit()
	case key.Matches(k, ks.Force):
		return m.interrupt()
	case key.Matches(k, ks.Help):
		m.help, m.helpTop = true, 0
	case key.Matches(k, ks.Escape):
		switch {
		case m.query != "":
			m.query, m.match, m.count = "", matchPos{}, ""
		case m.zoom:
			m.zoom = false
		}
	case key.Matches(k, ks.Next):
		m.moveFocus(1)
	case key.Matches(k, ks.Prev):
		m.moveFocus(-1)
	case key.Matches(k, ks.Number):
		vis := m.visible()
		if n := int(k.Code - '1'); n >= 0 && n < len(vis) {
			m.focus = vis[n].name
		}
	case key.Matches(k, ks.Zoom):
		m.zoom = !m.zoom
	case key.Matches(k, ks.NextPod):
		m.movePod(1)
	case key.Matches(k, ks.PrevPod):
		m.movePod(-1)
	case key.Matches(k, ks.Inits):
		m.showInits = !m.showInits
	case key.Matches(k, ks.Wrap):
		m.wrap = !m.wrap
		m.resetScroll()
	case key.Matches(k, ks.Time):
		m.timestamps = !m.timestamps
		m.resetScroll()
	case key.Matches(k, ks.FollowAll):
		for _, q := range m.panes {
			q.end()
		}
	case key.Matches(k, ks.Search):
		m.openPrompt(promptSearch, "")
	case key.Matches(k, ks.NextMatch):
		m.jump(-1)
	case key.Matches(k, ks.PrevMatch):
		m.jump(1)
	case key.Matches(k, ks.UnmuteAll):
		for _, q := range m.podPanes() {
			q.muted = false
		}
	}
	if p == nil {
		return nil
	}
	switch {
	case key.Matches(k, ks.Up):
		p.scroll(-1, o)
	case key.Matches(k, ks.Down):
		p.scroll(1, o)
	case key.Matches(k, ks.PageUp):
		p.scroll(-max(1, p.height-1), o)
	case key.Matches(k, ks.PageDown):
		p.scroll(max(1, p.height-1), o)
	case key.Matches(k, ks.Top):
		p.home()
	case key.Matches(k, ks.Bottom):
		p.end()
	case key.Matches(k, ks.Follow):
		if p.follow {
			p.freeze(o)
		} else {
			p.end()
		}
	case key.Matches(k, ks.Filter):
		m.openPrompt(promptFilter, p.filter)
	case key.Matches(k, ks.Mute):
		if len(m.visible()) <= 1 {
			m.setNotice(kindWarn, "the last column shown cannot be muted (M unmutes all)")
			break
		}
		m.moveFocus(1)
		p.muted = true
		m.setNotice(kindInfo, p.name+" muted (M unmutes all)")
	case key.Matches(k, ks.Solo):
		m.solo(p)
	case key.Matches(k, ks.Restart):
		return m.command("restart", p)
	case key.Matches(k, ks.StopStart):
		if c := m.container(p.pod, p.name); c != nil && c.State == orchestrator.CStateStopped {
			return m.command("start", p)
		}
		return m.command("stop", p)
	case key.Matches(k, ks.Shell):
		return m.shell(p)
	}
	return nil
}

// quit stops the stack gracefully, or at once when it is already stopping.
func (m *model) quit() tea.Cmd {
	switch m.stop {
	case stopNone:
		m.stop = stopGraceful
		return send("shut down", func() error { m.ctl.Shutdown(); return nil })
	default:
		m.stop = stopForced
		return send("kill", func() error { m.ctl.Kill(); return nil })
	}
}

// interrupt is Ctrl-C, SIGINT or SIGTERM: a graceful stop with exit 130, or at once when
// already stopping.
func (m *model) interrupt() tea.Cmd {
	if m.ended {
		m.quitting = true
		return tea.Quit
	}
	switch m.stop {
	case stopNone:
		m.stop = stopGraceful
		return send("interrupt", func() error { m.ctl.Interrupt(); return nil })
	default:
		m.stop = stopForced
		return send("kill", func() error { m.ctl.Kill(); return nil })
	}
}

func send(what string, fn func() error) tea.Cmd {
	return func() tea.Msg { return cmdDoneMsg{what: what, err: fn()} }
}

// command sends restart, stop or start for a pane's container.
func (m *model) command(verb string, p *pane) tea.Cmd {
	if m.stop != stopNone || m.ended {
		m.setNotice(kindWarn, "the stack is stopping: containers take no commands")
		return nil
	}
	if c := m.container(p.pod, p.name); c != nil && c.Role == recipes.RoleInit {
		m.setNotice(kindWarn, fmt.Sprintf("%s is an init container: it runs once, before the sidecars", p.name))
		return nil
	}
	pod, name, ctl := p.pod, p.name, m.ctl
	fn := map[string]func(string, string) error{
		"restart": ctl.RestartContainer, "stop": ctl.StopContainer, "start": ctl.StartContainer,
	}[verb]
	m.setNotice(kindInfo, fmt.Sprintf("%s %s…", verb, name))
	m.pending = &pendingCmd{pod: pod, ctr: name, verb: verb, gen: m.noticeGen}
	return send(verb+" "+name, func() error { return fn(pod, name) })
}

// How long a command's result stays in the footer, and how long at most its "restart web…"
// stays beyond the container's stop grace when the container never shows the result (a
// start that fails, a stop of a container that had exited).
const (
	resultNotice   = 3 * time.Second
	pendingTimeout = 10 * time.Second
)

// cmdDone handles the orchestrator's answer to a command: an error replaces the notice; a
// container command taken keeps its notice until the container shows the result
// (commandProgress), for at most its stop grace and pendingTimeout.
func (m *model) cmdDone(msg cmdDoneMsg) tea.Cmd {
	p := m.pending
	mine := p != nil && msg.what == p.verb+" "+p.ctr
	if msg.err != nil {
		if mine {
			m.pending = nil
		}
		m.setNotice(kindError, fmt.Sprintf("%s: %v", msg.what, msg.err))
		return nil
	}
	if !mine {
		return nil
	}
	wait := pendingTimeout
	if c := m.container(p.pod, p.ctr); c != nil {
		wait += c.StopGrace.D()
	}
	return expireNotice(wait, p.gen)
}

// commandProgress ends the pending command when its container shows the result: a restart
// or start when the container has started again, a stop when it has stopped. The footer
// says so briefly, unless another notice came meanwhile.
func (m *model) commandProgress(c orchestrator.ContainerView, started bool) {
	p := m.pending
	if p == nil || p.pod != c.Pod || p.ctr != c.Name {
		return
	}
	var done string
	switch {
	case p.verb == "restart" && started:
		done = "restarted"
	case p.verb == "start" && started:
		done = "started"
	case p.verb == "stop" && c.State == orchestrator.CStateStopped:
		done = "stopped"
	default:
		return
	}
	m.pending = nil
	if m.notice != "" && m.noticeGen != p.gen {
		return
	}
	m.setNotice(kindInfo, done+" "+p.ctr)
	m.later = append(m.later, expireNotice(resultNotice, m.noticeGen))
}

func expireNotice(after time.Duration, gen uint64) tea.Cmd {
	return tea.Tick(after, func(time.Time) tea.Msg { return noticeExpiredMsg{gen: gen} })
}

func (m *model) solo(p *pane) {
	others := false
	for _, q := range m.podPanes() {
		if q != p && !q.muted && m.shown(q) {
			others = true
		}
	}
	for _, q := range m.podPanes() {
		q.muted = others && q != p
	}
	if others {
		m.setNotice(kindInfo, p.name+" solo (o again, or M, unmutes)")
	}
}

func (m *model) moveFocus(d int) {
	vis := m.visible()
	if len(vis) == 0 {
		return
	}
	i := 0
	for j, p := range vis {
		if p.name == m.focus {
			i = j
		}
	}
	m.focus = vis[(i+d+len(vis))%len(vis)].name
}

func (m *model) movePod(d int) {
	n := len(m.view.Pods)
	if n < 2 {
		m.setNotice(kindInfo, "this stack has one pod")
		return
	}
	i := 0
	for j, p := range m.view.Pods {
		if p.Name == m.pod {
			i = j
		}
	}
	m.pod = m.view.Pods[(i+d+n)%n].Name
	m.focus = ""
}

// resetScroll follows again in every pane: row positions change with wrap and timestamps.
func (m *model) resetScroll() {
	for _, p := range m.panes {
		p.end()
	}
}

func (m *model) wheel(ms tea.Mouse) {
	if m.help || ms.Y < m.lay.contentY || ms.Y >= m.lay.contentY+m.lay.contentH {
		return
	}
	vis := m.shownPanes()
	i := m.lay.columnAt(ms.X)
	if i < 0 || i >= len(vis) {
		return
	}
	p := vis[i]
	switch ms.Button {
	case tea.MouseWheelUp:
		p.scroll(-3, m.renderOpts())
	case tea.MouseWheelDown:
		p.scroll(3, m.renderOpts())
	}
}

// ---- prompts: search and filter ----

func (m *model) openPrompt(kind promptKind, value string) {
	m.prompt = kind
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.input.Focus()
}

func (m *model) promptKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.prompt = promptNone
		m.input.Blur()
		return nil
	case "enter":
		kind, value := m.prompt, strings.ToLower(strings.TrimSpace(m.input.Value()))
		m.prompt = promptNone
		m.input.Blur()
		switch kind {
		case promptSearch:
			m.search(value)
		case promptFilter:
			if p := m.focused(); p != nil {
				p.setFilter(value)
				if value != "" {
					_, hi := p.bounds()
					m.setNotice(kindInfo, fmt.Sprintf("%s: %d lines match %q (& then enter on empty: all lines)", p.name, hi-p.fbase, value))
				}
			}
		}
		return nil
	case "ctrl+c":
		m.prompt = promptNone
		m.input.Blur()
		return m.interrupt()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return cmd
}

// search sets the query and jumps to the newest match.
func (m *model) search(q string) {
	m.query, m.match, m.count = q, matchPos{}, ""
	if q == "" {
		return
	}
	m.jump(-1)
}

// match is one line matching the search: in which pane, at which view position.
type match struct {
	p   *pane
	pos uint64
	seq uint64
}

// matches returns every match in the columns shown, oldest first.
func (m *model) matches() []match {
	var out []match
	for _, p := range m.visible() { // muted columns are left out
		for _, pos := range p.find(m.query) {
			out = append(out, match{p: p, pos: pos, seq: p.lineAt(pos).seq})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// jump moves to the match before the current one in time (dir < 0: n) or after it (dir >
// 0: N), wrapping around; with no current match, to the newest.
func (m *model) jump(dir int) {
	if m.query == "" {
		m.setNotice(kindInfo, "no search: / to search")
		return
	}
	all := m.matches()
	if len(all) == 0 {
		m.match, m.count = matchPos{}, ""
		m.setNotice(kindWarn, fmt.Sprintf("no line matches %q", m.query))
		return
	}
	cur := -1
	for i, x := range all {
		if x.p.name == m.match.ctr && x.seq == m.match.seq {
			cur = i
		}
	}
	var i int
	wrapped := false
	switch {
	case cur < 0 && m.match.seq == 0:
		i = len(all) - 1
	case cur < 0: // the current match scrolled out of the buffer or out of view: by time
		i = sort.Search(len(all), func(i int) bool { return all[i].seq >= m.match.seq })
		if dir < 0 {
			i--
		}
	default:
		i = cur + dir
	}
	if i < 0 {
		i, wrapped = len(all)-1, true
	} else if i >= len(all) {
		i, wrapped = 0, true
	}
	x := all[i]
	m.match = matchPos{ctr: x.p.name, seq: x.seq}
	m.count = fmt.Sprintf("%d of %d", i+1, len(all))
	if x.p.muted {
		x.p.muted = false
	}
	m.focus = x.p.name
	m.relayout()
	x.p.show(x.pos, m.renderOpts())
	if wrapped {
		m.setNotice(kindInfo, "search wrapped around")
	}
}

// ---- shell ----

func (m *model) shell(p *pane) tea.Cmd {
	c := m.container(p.pod, p.name)
	if c == nil || c.ID == "" || c.State != orchestrator.CStateRunning {
		m.setNotice(kindWarn, fmt.Sprintf("%s is not running: a shell needs a running container", p.name))
		return nil
	}
	return shellCmd(m.opts.Docker, m.opts.Shell, c.ID, p.name)
}

func (m *model) shellDone(msg shellDoneMsg) {
	if msg.err == nil {
		m.setNotice(kindInfo, "back from the shell in "+msg.ctr)
		return
	}
	m.setNotice(kindError, shellError(m.opts.Docker, m.opts.Shell, msg))
}

func (m *model) setNotice(kind lineKind, text string) {
	m.notice, m.noticeKind = text, kind
	m.noticeGen++
}

// ---- what is shown ----

func (m *model) container(pod, name string) *orchestrator.ContainerView {
	if p := m.view.Pod(pod); p != nil {
		return p.Container(name)
	}
	return nil
}

// podPanes are the selected pod's app containers' panes in column order: main, sidecars
// in their order, then init containers.
func (m *model) podPanes() []*pane {
	p := m.view.Pod(m.pod)
	if p == nil {
		return nil
	}
	var out []*pane
	for _, role := range []recipes.Role{recipes.RoleMain, recipes.RoleSidecar, recipes.RoleInit} {
		for _, c := range p.Containers {
			if c.Role == role {
				out = append(out, m.pane(p.Name, c.Name))
			}
		}
	}
	return out
}

// shown tells whether a pane has a column (muted or not): init containers that completed
// are hidden unless asked for.
func (m *model) shown(p *pane) bool {
	c := m.container(p.pod, p.name)
	if c == nil || c.Role != recipes.RoleInit || m.showInits {
		return true
	}
	done := c.ExitCode != nil && *c.ExitCode == 0 && c.State == orchestrator.CStateExited
	return !done && !m.completed[paneKey{p.pod, p.name}] // completed, then removed at teardown: still done
}

// visible are the columns that are shown and not muted.
func (m *model) visible() []*pane {
	var out []*pane
	for _, p := range m.podPanes() {
		if !p.muted && m.shown(p) {
			out = append(out, p)
		}
	}
	return out
}

// shownPanes are the columns on screen now: all visible ones, or the focused one alone
// in tabs mode.
func (m *model) shownPanes() []*pane {
	vis := m.visible()
	if m.lay.mode == modeTabs {
		if p := m.focused(); p != nil {
			return []*pane{p}
		}
		return nil
	}
	return vis
}

func (m *model) focused() *pane {
	vis := m.visible()
	for _, p := range vis {
		if p.name == m.focus {
			return p
		}
	}
	if len(vis) > 0 {
		m.focus = vis[0].name
		return vis[0]
	}
	return nil
}

func (m *model) renderOpts() *renderOpts {
	q := m.query
	return &renderOpts{wrap: m.wrap, timestamps: m.timestamps, loc: m.opts.Location,
		query: q, currentSeq: m.match.seq, styles: m.st}
}

// relayout computes the layout for the current size and state, and sizes the panes.
func (m *model) relayout() {
	if m.width <= 0 || m.height <= 0 {
		return
	}
	if m.help {
		m.helpTop = max(0, min(m.helpTop, len(m.helpLines(m.width, m.height-3))-(m.height-3)))
	}
	m.focused()
	vis := m.visible()
	m.lay = computeLayout(m.width, m.height, len(vis), m.zoom, len(m.startupLines(m.width)), len(m.failureLines(m.width)))
	shown := m.shownPanes()
	for i, p := range shown {
		if i < len(m.lay.cols) {
			p.setSize(m.lay.cols[i].w, m.lay.contentH)
		}
	}
}
