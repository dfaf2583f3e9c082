package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// columns is the layout component: which pod is shown, which columns, which one has the
// focus, zoom and the row settings shared by every column (wrap, timestamps); the layout
// of the screen for its size; and the keys and the mouse wheel that move the focus and
// scroll. View draws the box of columns (columns_view.go).
type columns struct {
	*common
	s *stackState
	q *search // the search, whose matches the rows highlight

	width, height int
	lay           layout
	panelTop      int // rows the panels above and below want (place)
	panelBottom   int

	pod        string // selected pod
	focus      string // focused container of the selected pod
	zoom       bool
	showInits  bool
	wrap       bool
	timestamps bool

	// Columns by time (timecols.go): aligned scrolling, and the merged stream with the
	// columns it merges, their labels and what they push for it.
	aligned  bool
	merged   *pane
	mergedOf []*pane
	labels   *mergeLabels
	tee      *merger
	merging  *mergeJob // the merged stream being made, until it is shown
	mergeGen uint64    // counts the merges asked for
}

func newColumns(c *common, s *stackState, q *search) columns {
	return columns{common: c, s: s, q: q, pod: c.opts.Pod, wrap: true, timestamps: c.opts.Timestamps}
}

// SetSize gives the columns the whole screen; place lays them out in it.
func (c *columns) SetSize(width, height int) { c.width, c.height = width, height }

// place computes the layout for the current size and state, with top and bottom rows of
// panels wanted above and below the columns, and sizes the panes.
func (c *columns) place(top, bottom int) {
	c.panelTop, c.panelBottom = top, bottom
	c.relayout()
}

// relayout lays the columns out again with the panels as they were at the last place: the
// focus or the columns shown changed, the panels did not.
func (c *columns) relayout() {
	if c.width <= 0 || c.height <= 0 {
		return
	}
	top, bottom := c.panelTop, c.panelBottom
	c.focused()
	n := len(c.visible())
	if c.merged != nil {
		n = 1
	}
	c.lay = computeLayout(c.width, c.height, n, c.zoom, top, bottom)
	for i, p := range c.shownPanes() {
		if i < len(c.lay.cols) {
			p.setSize(c.lay.cols[i].w, c.lay.contentH)
		}
	}
}

// Update handles the keys of the columns (focus, zoom, pods, scrolling, mute and solo)
// and the mouse wheel.
func (c *columns) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		_, cmd := c.key(msg)
		return cmd
	case tea.MouseWheelMsg:
		c.wheel(msg.Mouse())
	}
	return nil
}

// key handles k if it is a key of the columns, tells whether it was, and returns what to
// run for it.
func (c *columns) key(k tea.KeyPressMsg) (bool, tea.Cmd) {
	ks := c.keys
	p := c.focused()
	o := c.renderOpts()
	if c.merged != nil && key.Matches(k, ks.Next, ks.Prev, ks.Number, ks.Zoom, ks.Inits, ks.UnmuteAll, ks.Mute, ks.Solo, ks.Align) {
		c.notes.setNotice(kindWarn, "the merged stream is one column: c goes back to the columns")
		return true, nil
	}
	switch {
	case key.Matches(k, ks.Align):
		c.toggleAlign()
	case key.Matches(k, ks.Merge):
		return true, c.toggleMerge()
	case key.Matches(k, ks.Next):
		c.moveFocus(1)
	case key.Matches(k, ks.Prev):
		c.moveFocus(-1)
	case key.Matches(k, ks.Number):
		vis := c.visible()
		if n := int(k.Code - '1'); n >= 0 && n < len(vis) {
			c.focus = vis[n].name
		}
	case key.Matches(k, ks.Zoom):
		c.zoom = !c.zoom
	case key.Matches(k, ks.NextPod):
		c.movePod(1)
	case key.Matches(k, ks.PrevPod):
		c.movePod(-1)
	case key.Matches(k, ks.Inits):
		c.showInits = !c.showInits
	case key.Matches(k, ks.Wrap):
		c.wrap = !c.wrap
		c.keepScroll()
	case key.Matches(k, ks.Time):
		c.timestamps = !c.timestamps
		c.keepScroll()
	case key.Matches(k, ks.FollowAll):
		c.resetScroll()
	case key.Matches(k, ks.UnmuteAll):
		for _, q := range c.podPanes() {
			q.muted = false
		}
	case p == nil:
		return false, nil
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
	case key.Matches(k, ks.Mute):
		if len(c.visible()) <= 1 {
			c.notes.setNotice(kindWarn, "the last column shown cannot be muted (M unmutes all)")
			break
		}
		c.moveFocus(1)
		p.muted = true
		c.notes.setNotice(kindInfo, p.name+" muted (M unmutes all)")
	case key.Matches(k, ks.Solo):
		c.solo(p)
	default:
		return false, nil
	}
	return true, nil
}

// unzoom leaves zoom; it tells whether the view was zoomed.
func (c *columns) unzoom() bool {
	z := c.zoom
	c.zoom = false
	return z
}

func (c *columns) solo(p *pane) {
	others := false
	for _, q := range c.podPanes() {
		if q != p && !q.muted && c.shown(q) {
			others = true
		}
	}
	for _, q := range c.podPanes() {
		q.muted = others && q != p
	}
	if others {
		c.notes.setNotice(kindInfo, p.name+" solo (o again, or M, unmutes)")
	}
}

func (c *columns) moveFocus(d int) {
	vis := c.visible()
	if len(vis) == 0 {
		return
	}
	i := 0
	for j, p := range vis {
		if p.name == c.focus {
			i = j
		}
	}
	c.focus = vis[(i+d+len(vis))%len(vis)].name
}

func (c *columns) movePod(d int) {
	pods := c.s.view.Pods
	n := len(pods)
	if n < 2 {
		c.notes.setNotice(kindInfo, "this stack has one pod")
		return
	}
	i := 0
	for j, p := range pods {
		if p.Name == c.pod {
			i = j
		}
	}
	if c.merged != nil || c.merging != nil {
		c.toggleMerge() // the stream was the other pod's
	}
	c.pod = pods[(i+d+n)%n].Name
	c.focus = ""
}

// keepScroll keeps every pane where it is when the rows its lines take change (wrap,
// timestamps): one scrolled up still shows the same first line (from its first row, as
// after a resize), one that follows still follows.
func (c *columns) keepScroll() {
	for _, p := range c.s.panes {
		p.topRow = 0
	}
	if c.merged != nil {
		c.merged.topRow = 0
	}
}

// resetScroll follows again in every pane (F).
func (c *columns) resetScroll() {
	for _, p := range c.s.panes {
		p.end()
	}
	if c.merged != nil {
		c.merged.end()
	}
}

func (c *columns) wheel(ms tea.Mouse) {
	if ms.Y < c.lay.contentY || ms.Y >= c.lay.contentY+c.lay.contentH {
		return
	}
	vis := c.shownPanes()
	i := c.lay.columnAt(ms.X)
	if i < 0 || i >= len(vis) {
		return
	}
	p := vis[i]
	switch ms.Button {
	case tea.MouseWheelUp:
		p.scroll(-3, c.renderOpts())
	case tea.MouseWheelDown:
		p.scroll(3, c.renderOpts())
	}
}

// selectPod shows pod (the snapshot's first when the one asked for is not in it).
func (c *columns) selectPod() {
	if c.s.view.Pod(c.pod) == nil && len(c.s.view.Pods) > 0 {
		c.pod = c.s.view.Pods[0].Name
	}
}

// podPanes are the selected pod's panes in column order.
func (c *columns) podPanes() []*pane { return c.s.panesOf(c.pod) }

// shown tells whether a pane has a column (muted or not): init containers that completed
// are hidden unless asked for.
func (c *columns) shown(p *pane) bool {
	ct := c.s.container(p.pod, p.name)
	if ct == nil || ct.Role != recipes.RoleInit || c.showInits {
		return true
	}
	done := ct.ExitCode != nil && *ct.ExitCode == 0 && ct.State == orchestrator.CStateExited
	return !done && !c.s.completed[paneKey{p.pod, p.name}] // completed, then removed at teardown: still done
}

// visible are the columns that are shown and not muted.
func (c *columns) visible() []*pane {
	var out []*pane
	for _, p := range c.podPanes() {
		if !p.muted && c.shown(p) {
			out = append(out, p)
		}
	}
	return out
}

// shownPanes are the columns on screen now: all visible ones, or the focused one alone
// in tabs mode.
func (c *columns) shownPanes() []*pane {
	if c.merged != nil {
		return []*pane{c.merged}
	}
	vis := c.visible()
	if c.lay.mode == modeTabs {
		if p := c.focused(); p != nil {
			return []*pane{p}
		}
		return nil
	}
	return vis
}

func (c *columns) focused() *pane {
	if c.merged != nil {
		return c.merged
	}
	vis := c.visible()
	for _, p := range vis {
		if p.name == c.focus {
			return p
		}
	}
	if len(vis) > 0 {
		c.focus = vis[0].name
		return vis[0]
	}
	return nil
}

func (c *columns) renderOpts() *renderOpts {
	return &renderOpts{wrap: c.wrap, timestamps: c.timestamps, loc: c.opts.Location, method: c.method,
		query: c.q.query, currentSeq: c.q.match.seq, styles: c.st, labels: c.labels}
}
