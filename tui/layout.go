package tui

// Layout math: where the header, the start-up panel, the columns, the failure panel and the
// footer go for a terminal size. Pure functions of their arguments, so tests check them
// directly.

// minColumnWidth is the narrowest a column's text may get side by side; below it the view
// shows one column at a time with tabs.
const minColumnWidth = 18

type layoutMode int

const (
	modeColumns layoutMode = iota // every column side by side
	modeTabs                      // one column, full width, with a tab row (narrow or zoomed)
)

// column is one column's place: x of its left border, width of its text.
type column struct{ x, w int }

// layout is the screen's division. Rows: header at 0; then the start-up panel; in tabs mode
// a tab row; the box of columns (top border with titles, content rows, bottom border); the
// failure panel; the footer on the last row.
type layout struct {
	mode          layoutMode
	width, height int

	panelTopY, panelTopH int // start-up panel
	tabsY                int // tab row, -1 without
	boxY                 int // top border of the columns
	contentY, contentH   int // log rows
	panelBotY, panelBotH int // failure panel
	footerY              int

	cols []column
}

// computeLayout divides a width×height screen for n columns. top and bottom are the rows
// the start-up and failure panels would like; they shrink to leave the columns at least
// three rows of logs.
func computeLayout(width, height, n int, zoom bool, top, bottom int) layout {
	l := layout{width: width, height: height, tabsY: -1}
	mode := modeColumns
	if n > 1 && (zoom || (width-(n+1))/n < minColumnWidth) {
		mode = modeTabs
	}
	l.mode = mode

	const header, footer, box, minContent = 1, 1, 2, 3
	fixed := header + footer + box
	if mode == modeTabs {
		fixed++
	}
	room := height - fixed - minContent
	if room < 0 {
		room = 0
	}
	top = min(top, room)
	bottom = min(bottom, room-top)

	y := header
	l.panelTopY, l.panelTopH = y, top
	y += top
	if mode == modeTabs {
		l.tabsY = y
		y++
	}
	l.boxY = y
	l.contentY = y + 1
	l.contentH = max(0, height-fixed-top-bottom)
	y = l.contentY + l.contentH + 1
	l.panelBotY, l.panelBotH = y, bottom
	l.footerY = height - 1

	if mode == modeTabs || n <= 1 {
		l.cols = []column{{x: 0, w: max(0, width-2)}}
		return l
	}
	x := 0
	for _, w := range columnWidths(width, n) {
		l.cols = append(l.cols, column{x: x, w: w})
		x += w + 1
	}
	return l
}

// columnWidths shares width among n columns with n+1 borders between and around them; the
// first columns take the remainder.
func columnWidths(width, n int) []int {
	inner := width - (n + 1)
	if inner < n {
		inner = n
	}
	base, extra := inner/n, inner%n
	out := make([]int, n)
	for i := range out {
		out[i] = base
		if i < extra {
			out[i]++
		}
	}
	return out
}

// columnAt returns the index of the column under screen column x, or -1 on a border.
func (l *layout) columnAt(x int) int {
	for i, c := range l.cols {
		if x > c.x && x <= c.x+c.w {
			return i
		}
	}
	return -1
}
