package tui

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
)

// tabWidth is how many spaces a tab in a log line becomes.
const tabWidth = 4

var tabSpaces = strings.Repeat(" ", tabWidth)

// sanitize makes a container's line safe and measurable for the screen: the project's
// whitelist sanitiser in plain-text mode (colour is dropped too: a column's styling is the
// view's), with tabs made spaces so that one rune is one or two cells, and with every
// character whose width terminals disagree on made one they agree on (unambiguous). ascii
// tells whether the
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
	clean = unambiguous(clean)
	ascii, upper = scanASCII(clean)
	return clean, ascii, upper
}

// unambiguous returns s without the characters terminals draw in widths of their own, so
// that a line never moves a column's border. A terminal without Unicode core mode (DEC mode
// 2027: xterm, tmux, most others) advances its cursor per code point (wcwidth), and so does
// bubbletea's renderer then, and the columns measure what they draw the way the renderer
// does (renderOpts.method). But some sequences are drawn differently again: tmux joins a
// ZWJ sequence into one wide cell (👨‍👩‍👧: 6 cells by code point, 2 in tmux), or conjoining
// Hangul jamo into a syllable; terminals differ on a flag (🇫🇷), on an emoji presentation
// selector (❤️) and on a skin tone (👍🏽). So s is composed (NFC: the jamo become their
// syllable, a letter and its accent the accented letter where there is one), the joiners,
// variation selectors, skin-tone modifiers and tag characters are dropped (👨👩👧, ❤, 👍),
// and a flag's regional indicators become its two letters (FR).
func unambiguous(s string) string {
	simple := true
	for _, r := range s {
		if r >= 0x300 {
			simple = false
			break
		}
	}
	if simple {
		return s // Latin: one cell per code point everywhere
	}
	if strings.ContainsFunc(s, func(r rune) bool { return dropped(r) || isRegional(r) }) {
		var b strings.Builder
		b.Grow(len(s))
		for _, r := range s {
			switch {
			case dropped(r):
			case isRegional(r):
				b.WriteRune('A' + r - 0x1f1e6)
			default:
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	// Composed after: what was dropped may have stood between a letter and its accent.
	return norm.NFC.String(s)
}

// dropped are the code points unambiguous leaves out: the zero-width joiner, variation
// selectors, emoji skin-tone modifiers and tag characters.
func dropped(r rune) bool {
	return r == 0x200d || (r >= 0xfe00 && r <= 0xfe0f) || (r >= 0xe0100 && r <= 0xe01ef) ||
		(r >= 0x1f3fb && r <= 0x1f3ff) || (r >= 0xe0020 && r <= 0xe007f)
}

// isRegional tells whether r is a regional indicator (two make a flag).
func isRegional(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

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
