package tui

import (
	"strings"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
)

// tabWidth is how many spaces a tab in a log line becomes.
const tabWidth = 4

var tabSpaces = strings.Repeat(" ", tabWidth)

// sanitize makes a container's line safe and measurable for the screen: the project's
// whitelist sanitiser in plain-text mode (colour is dropped too: a column's styling is the
// view's), with tabs made spaces so that one rune is one or two cells. ascii tells whether the
// result is printable ASCII only (one byte = one cell), which lets the renderer slice it
// without measuring.
func sanitize(s string) (clean string, ascii bool) {
	if isPrintableASCII(s) {
		return s, true
	}
	clean = termsafe.Plain(s)
	if strings.IndexByte(clean, '\t') >= 0 {
		clean = strings.ReplaceAll(clean, "\t", tabSpaces)
	}
	return clean, isPrintableASCII(clean)
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
