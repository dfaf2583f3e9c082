package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The root model (model.go) is made of components, each owning one concern in the manner of
// soft-serve's pkg/ui/common: the stack's state folded from events (stack.go), the columns
// and their layout (columns.go), search and filter (search.go), the help screen (help.go)
// and the recipe's warnings (warnings.go), both pagers over the columns (pager.go), and the
// footer's notices (common.go). The root sizes them, routes each message to the
// ones it concerns (keys.go routes key presses), and places the rows they draw.

// common is what every component shares: the context, the orchestrator's commands, the
// options, the one keymap, the styles, the footer's notices, and how the terminal counts
// the cells of a container's text.
type common struct {
	ctx   context.Context
	ctl   Commands
	opts  Options
	keys  keyMap
	st    *styles
	notes *notices
	// method measures a container's text the way bubbletea's renderer, and so the
	// terminal, counts its cells: per code point (wcwidth, the zero value) unless the
	// terminal reports Unicode core mode (2027), which the renderer then turns on.
	method ansi.Method
}

// component is a part of the screen. SetSize gives it its room; Update takes a message
// that concerns it and returns what to run; View draws it as rows, which the root places
// where the layout says (joining rows to split them again would cost the hot path).
type component interface {
	SetSize(width, height int)
	Update(msg tea.Msg) tea.Cmd
	View() []string
}

var (
	_ component = (*columns)(nil)
	_ component = (*search)(nil)
	_ component = (*helpScreen)(nil)
	_ component = (*warningsScreen)(nil)
)

// notices are the footer's passing messages ("envoy muted", a command's outcome) and the
// container command whose notice waits for the container to show the result.
type notices struct {
	notice     string
	noticeKind lineKind
	noticeGen  uint64      // counts notices: a noticeExpiredMsg clears only its own
	pending    *pendingCmd // the container command under way
	later      []tea.Cmd   // commands that events asked for, run after the batch
}

func (n *notices) setNotice(kind lineKind, text string) {
	n.notice, n.noticeKind = text, kind
	n.noticeGen++
}

// expired clears the notice numbered gen if it is still shown, and gives up on a pending
// command whose notice it is.
func (n *notices) expired(gen uint64) {
	if gen == n.noticeGen {
		n.notice = ""
	}
	if n.pending != nil && n.pending.gen == gen {
		n.pending = nil
	}
}

// pendingCmd is a restart, stop or start of a container that the orchestrator took but the
// container has not shown done yet: its notice ("restart web…") stays until it has.
type pendingCmd struct {
	pod, ctr, verb string
	gen            uint64 // its notice
}

// noticeExpiredMsg clears the notice numbered gen if it is still shown, and gives up on a
// pending command whose notice it is.
type noticeExpiredMsg struct{ gen uint64 }

// unicodeCore tells whether msg is the terminal's report that makes bubbletea's renderer
// count cells per grapheme cluster (it turns the mode on when the terminal has it).
func unicodeCore(msg tea.ModeReportMsg) bool {
	return msg.Mode == ansi.ModeUnicodeCore &&
		(msg.Value == ansi.ModeReset || msg.Value == ansi.ModeSet || msg.Value == ansi.ModePermanentlySet)
}

func expireNotice(after time.Duration, gen uint64) tea.Cmd {
	return tea.Tick(after, func(time.Time) tea.Msg { return noticeExpiredMsg{gen: gen} })
}
