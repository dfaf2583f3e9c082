package tui

import (
	"fmt"
	"strings"
	"testing"
)

// TestFlowAligned: with the columns aligned (a), scrolling the focused column up scrolls
// the others so that each ends with what it had printed by the time of the focused one's
// last row: web's line i shares its row with envoy's line i-1, printed just before it.
func TestFlowAligned(t *testing.T) {
	f := startFlow(t, 2, 120, 24)
	for i := 0; i < 40; i++ {
		f.print("web", fmt.Sprintf("web-line-%02d", i))
		f.print("envoy", fmt.Sprintf("envoy-line-%02d", i))
	}
	f.waitScreen("both columns' last lines", func(s string) bool {
		return strings.Contains(s, "web-line-39") && strings.Contains(s, "envoy-line-39")
	})
	f.key("a")
	f.waitScreen("the aligned notice", func(s string) bool { return strings.Contains(s, "columns aligned by time") })
	for i := 0; i < 10; i++ {
		f.key("up")
	}
	screen := f.waitScreen("web scrolled up ten lines, aligned", func(s string) bool {
		return strings.Contains(s, "aligned at") && !strings.Contains(s, "web-line-39")
	})
	// The last row of web's column and what shares it.
	var last string
	for _, r := range strings.Split(screen, "\n") {
		if strings.Contains(r, "web-line-") {
			last = r
		}
	}
	i := strings.Index(last, "web-line-")
	var n int
	if _, err := fmt.Sscanf(last[i:], "web-line-%d", &n); err != nil {
		t.Fatalf("no line number in %q", last)
	}
	if want := fmt.Sprintf("envoy-line-%02d", n-1); !strings.Contains(last, want) {
		t.Errorf("web's last row %q does not show %s beside it:\n%s", last, want, screen)
	}
	if strings.Contains(screen, "envoy-line-39") {
		t.Errorf("envoy still shows its newest line:\n%s", screen)
	}
	// Following again in web makes every column follow.
	f.key("G")
	f.waitScreen("every column following again", func(s string) bool {
		return strings.Contains(s, "web-line-39") && strings.Contains(s, "envoy-line-39") && strings.Contains(s, "aligned, following")
	})
	f.key("a")
	f.waitScreen("free columns again", func(s string) bool { return !strings.Contains(s, "aligned") })
}

// TestFlowMerged: c shows every column's lines in one stream, in the order they were
// printed across containers, each after its container's name; lines printed meanwhile
// join it in order; c again shows the columns.
func TestFlowMerged(t *testing.T) {
	f := startFlow(t, 3, 100, 30)
	names := []string{"web", "envoy", "shipper"}
	for i := 0; i < 9; i++ {
		f.print(names[i%3], fmt.Sprintf("turn-%02d of %s", i, names[i%3]))
	}
	f.waitScreen("the last line", func(s string) bool { return strings.Contains(s, "turn-08 of shipper") })
	f.key("c")
	inOrder := func(s string, from, to int) bool {
		at := -1
		for i := from; i < to; i++ {
			r := row(s, fmt.Sprintf("turn-%02d of", i))
			name := names[i%3]
			if r == "" || !strings.Contains(r, name+strings.Repeat(" ", 7-len(name))+" │ turn-") {
				return false
			}
			j := strings.Index(s, fmt.Sprintf("turn-%02d of", i))
			if j < at {
				return false
			}
			at = j
		}
		return true
	}
	screen := f.waitScreen("one stream in the order printed", func(s string) bool {
		return strings.Contains(s, "merged: web envoy shipper") && inOrder(s, 0, 9)
	})
	if strings.Contains(screen, "┬") {
		t.Errorf("the merged stream is not one column:\n%s", screen)
	}
	for i := 9; i < 15; i++ {
		f.print(names[i%3], fmt.Sprintf("turn-%02d of %s", i, names[i%3]))
	}
	f.waitScreen("the new lines in order", func(s string) bool { return inOrder(s, 0, 15) })
	f.key("c")
	f.waitScreen("the columns again", func(s string) bool {
		return strings.Contains(s, "┬ envoy · sidecar") && !strings.Contains(s, "merged:")
	})
}
