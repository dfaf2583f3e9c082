package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// model is the one root model. It is made of components (common.go), embedded so that
// their state reads as the model's: the stack's state folded from events (stackState), the
// columns and their layout (columns), search and filter (search), the help screen
// (helpScreen), the recipe's warnings (warnings) and the footer's notices (notices). The root routes messages to them
// (keys.go for key presses), reacts to what the stack's events change, sends the user's
// commands (control.go) and composes the screen (view.go). Update never blocks and does no
// I/O: commands to the orchestrator, the shell and the event feed run as tea.Cmds.
type model struct {
	*common
	stackState
	columns
	search
	helpScreen
	notices

	warnings *warningsScreen // the recipe's warnings (W), over the columns when open

	tl            timeline // the lifecycle timeline (L), over the columns when open
	feed          *feed
	width, height int

	stop     stopState
	ended    bool  // the stream ended
	endErr   error // why, if not the stack's end
	linger   bool  // keep the view after the end: the user reads the failure first
	quitting bool
}

// stopState is how far the user took the teardown.
type stopState int

const (
	stopNone     stopState = iota
	stopGraceful           // q or Ctrl-C: Shutdown or Interrupt sent
	stopForced             // a second q or Ctrl-C: Kill sent
	stopGivenUp            // a further one: Kill again, the run ends without waiting for the engine
)

// tickMsg redraws once a second: uptime and countdowns move.
type tickMsg struct{}

func newModel(ctx context.Context, sub Subscription, ctl Commands, opts Options) *model {
	m := &model{feed: &feed{sub: sub, frame: batchFrames * time.Second / time.Duration(opts.FPS)}}
	keys := newKeyMap()
	if opts.Attached {
		keys = keys.forAttached()
	}
	m.common = &common{ctx: ctx, ctl: ctl, opts: opts, keys: keys, st: newStyles(), notes: &m.notices}
	m.stackState = newStackState(opts.LogLines)
	m.search = newSearch(m.common, &m.columns)
	m.columns = newColumns(m.common, &m.stackState, &m.search)
	m.helpScreen = newHelpScreen(m.common)
	m.warnings = newWarningsScreen(m.common, opts.Warnings)
	if n := len(m.warnings.list); n > 0 {
		m.setNotice(kindWarn, "⚠ loading the recipe gave "+countWarnings(n)+": W lists them")
	}
	m.tl = timeline{common: m.common, s: &m.stackState, cols: &m.columns}
	return m
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
		m.columns.flushMerged()
		cmd = tea.Batch(append(m.later, m.feed.next(m.ctx))...)
		m.later = nil
	case feedEndMsg:
		cmd = m.end(msg.err)
	case tickMsg:
		cmd = tick()
	case cmdDoneMsg:
		cmd = m.cmdDone(msg)
	case noticeExpiredMsg:
		m.notices.expired(msg.gen)
	case shellDoneMsg:
		m.shellDone(msg)
	case mergedMsg:
		m.columns.mergeDone(msg)
	case interruptMsg:
		cmd = m.interrupt()
	case tea.ModeReportMsg:
		if unicodeCore(msg) {
			m.common.method = ansi.GraphemeWidth
		}
	case tea.KeyPressMsg:
		cmd = m.key(msg)
	case tea.MouseWheelMsg:
		switch {
		case m.helpScreen.open, m.warnings.open:
		case m.tl.open:
			cmd = m.tl.Update(msg)
		default:
			cmd = m.columns.Update(msg)
		}
	default:
		cmd = m.search.Update(msg)
	}
	m.relayout()
	m.columns.align()
	return m, cmd
}

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

// applyEvent folds an event into the stack's state and reacts to what it changed.
func (m *model) applyEvent(ev orchestrator.Event) {
	ch := m.stackState.Update(ev)
	switch e := ev.(type) {
	case orchestrator.SnapshotEvent:
		m.columns.selectPod()
	case orchestrator.StackEvent:
		if e.Phase == orchestrator.PhaseFailed || (e.Phase == orchestrator.PhaseDone && e.ExitCode != nil &&
			*e.ExitCode != 0 && *e.ExitCode != orchestrator.ExitInterrupted && m.stop == stopNone) {
			m.linger = true
		}
	}
	if ch.hasNotice {
		m.setNotice(ch.noticeKind, ch.notice)
	}
	if ch.container != nil {
		m.commandProgress(*ch.container, ch.started)
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

// relayout sizes the components for the current size and state.
func (m *model) relayout() {
	if m.width <= 0 || m.height <= 0 {
		return
	}
	m.helpScreen.SetSize(m.width, m.height)
	m.warnings.SetSize(m.width, m.height)
	m.search.SetSize(m.width, 1)
	m.tl.SetSize(m.width, m.height)
	m.columns.SetSize(m.width, m.height)
	m.columns.place(len(m.startupLines(m.width)), len(m.failureLines(m.width)))
}
