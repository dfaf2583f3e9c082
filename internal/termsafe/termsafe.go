// Package termsafe makes untrusted text — a container's output — safe to show on a terminal.
//
// It is a whitelist, not a stripper: the output holds printable characters, spaces and tabs,
// and (in Color mode) SGR sequences (colours, bold, underline, …), and nothing else. Every other
// escape sequence is removed whole — cursor movement, screen and line clearing, scrolling
// regions, window titles and other OSC strings (clipboard writes with OSC 52, hyperlinks with
// OSC 8), DCS device queries, SOS/PM/APC strings, charset designations, resets, mode changes —
// as are C0 controls other than tab (CR, BS, BEL, …), DEL, C1 controls (U+0080–U+009F), the
// Unicode format characters that reorder or hide text (bidi overrides and isolates
// U+202A–U+202E and U+2066–U+2069, bidi marks, zero-width spaces, …) and the line and
// paragraph separators U+2028/U+2029. Invalid UTF-8 becomes U+FFFD. The text around whatever
// is removed is kept.
//
// The input is one line: a sequence cannot carry over into the next line, so each line is
// safe on its own. In Color mode a line that leaves attributes set ends with a reset
// ("\x1b[0m"), so that colour never bleeds into what is printed after it.
//
// Sanitize is idempotent, and Sanitize(Sanitize(s, Color), Text) == Sanitize(s, Text): text
// sanitised once for a terminal is made plain for a file or a pipe by sanitising it again in
// Text mode (Plain does that).
package termsafe

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mode says what may pass besides printable text.
type Mode uint8

const (
	// Text lets through printable characters, spaces and tabs only: for output that is not a
	// terminal (files, pipes, JSON).
	Text Mode = iota
	// Color also lets through SGR sequences (ESC [ params m): for a terminal.
	Color
)

// String names the mode.
func (m Mode) String() string {
	if m == Color {
		return "color"
	}
	return "text"
}

const (
	esc = 0x1b
	// maxSGR bounds the parameters of an SGR sequence that is kept; a longer one is removed.
	// Real ones are short ("38;2;255;128;0;48;2;0;0;0;1;4" is 30 bytes).
	maxSGR = 128
	reset  = "\x1b[0m"
)

// Sanitize returns s made safe in mode m. It returns s itself, without allocating, when there
// is nothing to change.
func Sanitize(s string, m Mode) string {
	i := firstUnsafe(s)
	if i == len(s) {
		return s
	}
	out := make([]byte, 0, len(s)+len(reset))
	out = append(out, s[:i]...)
	return string(appendFrom(out, s, i, m))
}

// Plain returns s with every escape sequence and control removed: Sanitize(s, Text). Use it to
// show text sanitised in Color mode where colour may not go.
func Plain(s string) string { return Sanitize(s, Text) }

// SanitizeNoEscape is Sanitize, which also reports whether the result holds no escape
// sequence (in Color mode: no SGR was kept). Such text is the same in every mode — Plain
// returns it as it is — so a view that is no terminal, or draws without the text's colours,
// has nothing more to do with it. The common line, with nothing to change, is read once.
func SanitizeNoEscape(s string, m Mode) (out string, noEscape bool) {
	i := firstUnsafe(s)
	if i == len(s) {
		return s, true // an ESC is unsafe: there is none
	}
	out = string(appendFrom(append(make([]byte, 0, len(s)+len(reset)), s[:i]...), s, i, m))
	return out, m == Text || strings.IndexByte(out, esc) < 0
}

// Lines is Sanitize for text of several lines: each line made safe in mode m, the newlines
// between them kept. An escape sequence cannot span lines: each line's is removed within it.
func Lines(s string, m Mode) string {
	if firstUnsafe(s) == len(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Sanitize(l, m)
	}
	return strings.Join(lines, "\n")
}

// Writer returns a writer that passes what is written to w made safe in mode m, line by line
// (Lines): for a stream of messages such as stderr. Each Write is made safe on its own, so
// nothing unsafe gets through however the text is cut into writes.
func Writer(w io.Writer, m Mode) io.Writer { return &writer{w: w, m: m} }

type writer struct {
	w io.Writer
	m Mode
}

func (w *writer) Write(p []byte) (int, error) {
	s := string(p)
	if _, err := io.WriteString(w.w, Lines(s, w.m)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Append appends s, made safe in mode m, to dst and returns the extended slice.
func Append(dst []byte, s string, m Mode) []byte {
	i := firstUnsafe(s)
	dst = append(dst, s[:i]...)
	if i == len(s) {
		return dst
	}
	return appendFrom(dst, s, i, m)
}

// firstUnsafe returns the index of the first byte that does not start a printable character or
// a tab (len(s) when there is none): everything before it is copied as is. Printable ASCII,
// most of what containers write, is skipped eight bytes at a time.
func firstUnsafe(s string) int {
	for i := printableASCII(s); i < len(s); {
		if c := s[i]; c < 0x80 {
			if (c < 0x20 && c != '\t') || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !printable(r) {
			return i
		}
		i += size
	}
	return len(s)
}

// SWAR constants: each byte of a word at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// printableASCII returns the length of the longest prefix of s that is printable ASCII
// (0x20–0x7E), reading eight bytes at a time.
func printableASCII(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// The high bit of a byte is set in below when it is under 0x20, in above when it is
		// 0x7F or more (a borrow or carry only ever follows such a byte, in the same word).
		below := (x - ones*0x20) &^ x
		above := (x + ones) | x
		if (below|above)&highs != 0 {
			break
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	return i
}

// appendFrom sanitises s[i:] onto dst; s[:i] is known safe and already in dst.
func appendFrom(dst []byte, s string, i int, m Mode) []byte {
	open := false // an SGR that sets attributes was kept, and no reset after it
	for i < len(s) {
		c := s[i]
		switch {
		case (c >= 0x20 && c < 0x7f) || c == '\t':
			j := i + 1
			for j < len(s) && ((s[j] >= 0x20 && s[j] < 0x7f) || s[j] == '\t') {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
		case c == esc:
			var keep string
			keep, i = escape(s, i)
			if keep != "" && m == Color {
				dst = append(dst, keep...)
				open = !isReset(keep[2 : len(keep)-1])
			}
		case c < 0x80:
			i++ // C0 control or DEL
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, "\uFFFD"...)
			case r >= 0x80 && r < 0xa0:
				i = c1Sequence(s, i, size, r)
				continue
			case printable(r):
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	if open {
		dst = append(dst, reset...)
	}
	return dst
}

// escape reads the escape sequence that starts at s[i] (an ESC) and returns the index after it,
// and the sequence itself when it is an SGR sequence fit to keep. Whatever else it read is
// dropped. A sequence cut short by a byte that cannot continue it ends before that byte, which
// is then read as text (or as the start of the next sequence).
func escape(s string, i int) (sgr string, next int) {
	j := i + 1
	if j == len(s) {
		return "", j
	}
	switch c := s[j]; {
	case c == '[': // CSI
		params, sgr, next := csi(s, j+1)
		if sgr && len(params) <= maxSGR && sgrParams(params) {
			return s[i:next], next
		}
		return "", next
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_': // OSC, DCS, SOS, PM, APC
		return "", controlString(s, j+1)
	case c >= 0x20 && c <= 0x2f: // ESC, intermediates, final 0x30–0x7E (charsets, DECALN, …)
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
			j++
		}
		if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e {
			return "", j + 1
		}
		return "", j
	case c >= 0x30 && c <= 0x7e: // two-byte sequences: ESC 7, ESC c (reset), ESC M, …
		return "", j + 1
	}
	return "", j // ESC before a control or non-ASCII: the ESC alone goes
}

// csi reads a control sequence's body from s[j] (just after ESC [ or the 8-bit CSI):
// parameters 0x30–0x3F, intermediates 0x20–0x2F, a final byte 0x40–0x7E. It returns the
// parameters, whether the sequence is a complete SGR (final 'm', no intermediates), and the
// index after it. A sequence cut short ends before the byte that cannot continue it.
func csi(s string, j int) (params string, sgr bool, next int) {
	p := j
	for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f {
		j++
	}
	params = s[p:j]
	q := j
	for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
		j++
	}
	if j == len(s) || s[j] < 0x40 || s[j] > 0x7e {
		return params, false, j // not a complete sequence
	}
	return params, s[j] == 'm' && q == j, j + 1
}

// controlString returns the index after the body of an OSC, DCS, SOS, PM or APC string that
// starts at s[j]: it runs up to BEL or ST (ESC \ or the 8-bit U+009C). Another ESC, CAN or SUB
// also ends it (a terminal aborts the string there); the ESC then starts the next sequence.
// Unterminated: the rest of the line.
func controlString(s string, j int) int {
	for ; j < len(s); j++ {
		switch s[j] {
		case 0x07, 0x18, 0x1a:
			return j + 1
		case esc:
			if j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
			return j
		case 0xc2:
			if j+1 < len(s) && s[j+1] == 0x9c {
				return j + 2
			}
		}
	}
	return j
}

// c1Sequence returns the index after a sequence introduced by the 8-bit (C1) form of CSI,
// OSC, DCS, SOS, PM or APC — r, of size bytes at s[i] — so that it is removed whole, as its
// 7-bit form is; any other C1 control is removed alone. Nothing introduced this way is kept,
// SGR included.
func c1Sequence(s string, i, size int, r rune) int {
	switch r {
	case 0x9b:
		_, _, next := csi(s, i+size)
		return next
	case 0x9d, 0x90, 0x98, 0x9e, 0x9f:
		return controlString(s, i+size)
	}
	return i + size
}

// sgrParams reports whether p holds only what SGR parameters are made of: digits and the
// separators ';' and ':' (no private markers '<', '=', '>', '?').
func sgrParams(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}

// isReset reports whether SGR parameters p only reset (empty, or zeros and ';').
func isReset(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '0' && p[i] != ';' {
			return false
		}
	}
	return true
}

// printable reports whether a non-ASCII rune may be shown: letters, marks, numbers,
// punctuation, symbols, spaces, private-use and not yet assigned characters, and the zero-width
// (non-)joiners that scripts and emoji need. Controls (C1), format characters (bidi controls,
// zero-width spaces, …), surrogates and the line/paragraph separators may not.
func printable(r rune) bool {
	switch {
	case r < 0xa0:
		return false // C1 controls (ASCII never gets here)
	case r == 0x200c || r == 0x200d:
		return true
	}
	return !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Zl, unicode.Zp)
}
