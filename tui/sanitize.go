package tui

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tabWidth is how many spaces a tab in a log line becomes.
const tabWidth = 4

// sanitize makes a container's line safe and measurable for the screen. It is a whitelist:
// printable characters and spaces are kept; tabs become spaces; escape sequences (CSI, OSC,
// DCS, APC, PM, SOS, and their 8-bit C1 forms) are removed whole; every other control
// character, carriage returns, backspaces, bells and the bidirectional overrides and
// isolates are dropped; invalid UTF-8 becomes U+FFFD. Colour is dropped too: a column's
// styling is the view's. ascii tells whether the result is printable ASCII only (one byte =
// one cell), which lets the renderer slice it without measuring.
func sanitize(s string) (clean string, ascii bool) {
	if isPrintableASCII(s) {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	ascii = true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i+1)
			continue
		case c == '\t':
			b.WriteString(strings.Repeat(" ", tabWidth))
			i++
			continue
		case c < 0x20 || c == 0x7f:
			i++
			continue
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			r = unicode.ReplacementChar
		case r == 0x9b: // CSI
			i = skipCSI(s, i)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // OSC DCS SOS PM APC
			i = skipString(s, i)
			continue
		case r >= 0x80 && r < 0xa0: // other C1 controls
			continue
		case isBidiControl(r):
			continue
		case !unicode.IsPrint(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Me, r) && r != '\u200d':
			// Format and other invisible characters (zero-width joiner kept for emoji).
			continue
		}
		ascii = false
		b.WriteRune(r)
	}
	return b.String(), ascii
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports the characters that reorder text: embeddings, overrides, isolates
// and marks.
func isBidiControl(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e || r == 0x200f || r == 0x061c:
		return true
	}
	return false
}

// skipEscape returns the index after the escape sequence whose ESC was just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// nF sequences: intermediates 0x20–0x2f, then one final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips a control sequence's parameters and intermediates and its final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x7e { // not part of a sequence: it ends there
			return i
		}
	}
	return i
}

// skipString skips a control string (OSC, DCS, SOS, PM, APC) up to and including its
// terminator: BEL, ESC \, or the 8-bit ST.
func skipString(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c == 0x07:
			return i + 1
		case c == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // an unterminated string ends where the next sequence begins
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c: // U+009C ST
			return i + 2
		}
		i++
	}
	return i
}
