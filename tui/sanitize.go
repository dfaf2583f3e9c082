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
// without measuring; upper whether it has upper-case ASCII letters (search needs a
// lower-case copy then). A printable ASCII line, the common case, is read once.
//
// noEscape says s was sanitised already and holds no escape sequence (a log line the
// orchestrator's buffer marked Plain): it is safe as it is, only its tabs are made spaces.
func sanitize(s string, noEscape bool) (clean string, ascii, upper bool) {
	if ascii, upper = scanASCII(s); ascii {
		return s, true, upper
	}
	clean = s
	if !noEscape {
		clean = termsafe.Plain(s)
	}
	if strings.IndexByte(clean, '\t') >= 0 {
		clean = strings.ReplaceAll(clean, "\t", tabSpaces)
	}
	ascii, upper = scanASCII(clean)
	return clean, ascii, upper
}

// SWAR constants: each byte of a word at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// scanASCII tells whether s is printable ASCII only (0x20-0x7e) and whether it has an
// upper-case ASCII letter, eight bytes at a time.
func scanASCII(s string) (printable, upper bool) {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte below 0x20 has its high bit set in below (a borrow only ever follows
		// one); a byte at 0x7f or above in above.
		below := (x - ones*0x20) &^ x
		above := (x + ones*(0x7f-0x7e)) | x
		if (below|above)&highs != 0 {
			return false, false
		}
		// Every byte b is below 0x7f now, so neither sum carries: the high bit of a byte
		// of lt is set when b <= 'Z', of gt when b >= 'A'.
		lt := ones*(0x7f+'Z'+1) - x
		gt := x + ones*(0x7f-('A'-1))
		if lt&gt&highs != 0 {
			upper = true
		}
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false, false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	return true, upper
}
