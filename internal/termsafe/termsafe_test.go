package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/testdata/images/spewer/hostile"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		name, in    string
		text, color string
	}{
		{"plain", "hello world", "hello world", "hello world"},
		{"tab kept", "a\tb", "a\tb", "a\tb"},
		{"colour", "\x1b[31mred\x1b[0m ok", "red ok", "\x1b[31mred\x1b[0m ok"},
		{"colour left on gets a reset", "\x1b[1;38;2;255;0;0mbold", "bold", "\x1b[1;38;2;255;0;0mbold\x1b[0m"},
		{"bare reset", "a\x1b[mb", "ab", "a\x1b[mb"},
		{"sub-parameters", "\x1b[4:3mcurly\x1b[0m", "curly", "\x1b[4:3mcurly\x1b[0m"},
		{"clear screen and home", "\x1b[2J\x1b[Hafter", "after", "after"},
		{"cursor position", "a\x1b[5;10Hb", "ab", "ab"},
		{"private mode", "a\x1b[?1049hb\x1b[?25l", "ab", "ab"},
		{"private SGR-like", "a\x1b[>4;2mb", "ab", "ab"},
		{"SGR with intermediate", "a\x1b[1 mb", "ab", "ab"},
		{"title with BEL", "\x1b]0;pwned title\x07text", "text", "text"},
		{"title with ST", "\x1b]2;pwned\x1b\\text", "text", "text"},
		{"clipboard OSC 52", "x\x1b]52;c;aGFja2Vk\x07y", "xy", "xy"},
		{"hyperlink OSC 8", "\x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\", "link", "link"},
		{"DCS query", "\x1bP+q544e\x1b\\after", "after", "after"},
		{"APC, PM, SOS", "a\x1b_apc\x1b\\b\x1b^pm\x07c\x1bXsos\x1b\\d", "abcd", "abcd"},
		{"unterminated OSC eats the line", "keep\x1b]0;title and more", "keep", "keep"},
		{"OSC cut by another escape", "\x1b]0;t\x1b[32mgreen", "green", "\x1b[32mgreen\x1b[0m"},
		{"carriage return", "over\rwrite", "overwrite", "overwrite"},
		{"backspace", "back\b\bspace", "backspace", "backspace"},
		{"bell", "bell\a", "bell", "bell"},
		{"C0 and DEL", "a\x00b\x01c\x7fd\x0b\x0ce", "abcde", "abcde"},
		{"newline inside", "a\nb", "ab", "ab"},
		// The 8-bit (C1) introducers remove their whole sequence, as the 7-bit forms do; an
		// unterminated string runs to the end of the line. Other C1 controls go alone.
		{"C1 CSI as UTF-8", "a\u009b31mb\u0085c", "abc", "abc"},
		{"C1 OSC ended by C1 ST", "a\u009d0;title\u009cb", "ab", "ab"},
		{"C1 DCS ended by ESC \\", "a\u0090+q544e\x1b\\b", "ab", "ab"},
		{"C1 OSC unterminated", "a\u009d0;t\u0085c", "a", "a"},
		{"8-bit CSI byte", "a\x9b2Jb", "a\uFFFD2Jb", "a\uFFFD2Jb"},
		{"bidi override", "\u202edesrever\u202c", "desrever", "desrever"},
		{"bidi isolates and marks", "a\u2066b\u2067c\u2068d\u2069e\u200ef\u200fg\u061ch", "abcdefgh", "abcdefgh"},
		{"line and paragraph separators", "a\u2028b\u2029c", "abc", "abc"},
		{"zero-width space", "a\u200bb\ufeffc", "abc", "abc"},
		{"joiners kept", "👩\u200d💻 \u0646\u200c\u0645", "👩\u200d💻 \u0646\u200c\u0645", "👩\u200d💻 \u0646\u200c\u0645"},
		{"unicode text", "héllo 世界 ✓", "héllo 世界 ✓", "héllo 世界 ✓"},
		{"invalid UTF-8", "a\xffb\xe2\x80c", "a\uFFFDb\uFFFD\uFFFDc", "a\uFFFDb\uFFFD\uFFFDc"},
		{"charset designation", "a\x1b(0lqk\x1b(Bb", "alqkb", "alqkb"},
		{"DECALN", "a\x1b#8b", "ab", "ab"},
		{"full reset", "a\x1bcb", "ab", "ab"},
		{"save and restore cursor", "a\x1b7b\x1b8c", "abc", "abc"},
		{"lone ESC at the end", "abc\x1b", "abc", "abc"},
		{"ESC before a control", "a\x1b\x07b", "ab", "ab"},
		{"incomplete CSI at the end", "abc\x1b[31", "abc", "abc"},
		{"CSI cut by a control", "a\x1b[3\n1mb", "a1mb", "a1mb"},
		{"CSI cut by non-ASCII", "a\x1b[3éb", "aéb", "aéb"},
		{"too long SGR", "a\x1b[" + strings.Repeat("1;", 100) + "mb", "ab", "ab"},
		{"scroll region and erase", "\x1b[1;5r\x1b[K\x1b[2Kx", "x", "x"},
		{"device status report", "\x1b[6n\x1b[c\x1b[>cx", "x", "x"},
		{"window ops", "\x1b[21t\x1b[8;1;1tx", "x", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sanitize(tc.in, Text); got != tc.text {
				t.Errorf("Text: %q → %q, want %q", tc.in, got, tc.text)
			}
			if got := Sanitize(tc.in, Color); got != tc.color {
				t.Errorf("Color: %q → %q, want %q", tc.in, got, tc.color)
			}
			if got := string(Append([]byte("pre:"), tc.in, Color)); got != "pre:"+tc.color {
				t.Errorf("Append: %q → %q, want %q", tc.in, got, "pre:"+tc.color)
			}
			checkProperties(t, tc.in)
		})
	}
}

// The fragments the test programs' spewer prints with -hostile, each after visible text.
func TestSpewerHostile(t *testing.T) {
	for _, f := range hostile.Fragments {
		in := "line 000001 " + f.Raw + " end"
		if got := Sanitize(in, Text); got != "line 000001 "+f.Text+" end" {
			t.Errorf("%q → %q", in, got)
		}
	}
}

func TestUnchangedIsNotCopied(t *testing.T) {
	s := strings.Repeat("plain text\t", 10)
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s, Color) }); n != 0 {
		t.Errorf("Sanitize of safe text allocates %.0f times", n)
	}
}

// checkProperties asserts what must hold for any input: the output of each mode contains
// nothing forbidden (checked here and by x/ansi's parser, independently of the sanitiser's own
// code), sanitising is idempotent, and Text of Color output is Text of the input.
func checkProperties(t *testing.T, in string) {
	t.Helper()
	text, color := Sanitize(in, Text), Sanitize(in, Color)
	if problem := forbidden(text, Text); problem != "" {
		t.Fatalf("Text output of %q is %q: %s", in, text, problem)
	}
	if problem := forbidden(color, Color); problem != "" {
		t.Fatalf("Color output of %q is %q: %s", in, color, problem)
	}
	if again := Sanitize(text, Text); again != text {
		t.Fatalf("not idempotent (Text): %q → %q → %q", in, text, again)
	}
	if again := Sanitize(color, Color); again != color {
		t.Fatalf("not idempotent (Color): %q → %q → %q", in, color, again)
	}
	if plain := Plain(color); plain != text {
		t.Fatalf("Plain(Color) %q differs from Text %q (input %q)", plain, text, in)
	}
	for _, m := range []Mode{Text, Color} {
		out, noEscape := SanitizeNoEscape(in, m)
		if want := Sanitize(in, m); out != want {
			t.Fatalf("SanitizeNoEscape(%q, %s) = %q, Sanitize %q", in, m, out, want)
		}
		if noEscape != !strings.ContainsRune(out, 0x1b) || (noEscape && Plain(out) != out) {
			t.Fatalf("SanitizeNoEscape(%q, %s) = %q, no escape: %v", in, m, out, noEscape)
		}
	}
}

// TestPrintableASCII: the word-at-a-time scan agrees with a byte-at-a-time one at every byte
// value in every position of two words and a tail.
func TestPrintableASCII(t *testing.T) {
	naive := func(s string) int {
		i := 0
		for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
			i++
		}
		return i
	}
	base := []byte("abcdefghijklmnopqrstu")
	for c := 0; c < 256; c++ {
		for pos := 0; pos < len(base); pos++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			if got, want := printableASCII(string(b)), naive(string(b)); got != want {
				t.Fatalf("printableASCII(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

// forbidden says what is wrong with out for mode m, or "" when nothing is.
func forbidden(out string, m Mode) string {
	if !utf8.ValidString(out) {
		return "invalid UTF-8"
	}
	for i := 0; i < len(out); {
		if out[i] == 0x1b {
			if m != Color {
				return "an escape sequence in Text mode"
			}
			j := i + 2
			if j > len(out) || out[i+1] != '[' {
				return "an escape that is not CSI"
			}
			for j < len(out) && (out[j] >= '0' && out[j] <= '9' || out[j] == ';' || out[j] == ':') {
				j++
			}
			if j == len(out) || out[j] != 'm' {
				return "a CSI sequence that is not SGR"
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(out[i:])
		switch {
		case r < 0x20 && r != '\t', r == 0x7f:
			return "a C0 control or DEL"
		case r >= 0x80 && r <= 0x9f:
			return "a C1 control"
		case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return "a bidi control"
		case r == 0x2028 || r == 0x2029:
			return "a line or paragraph separator"
		}
		i += size
	}
	// Independently, x/ansi's parser (the one the TUI's rendering uses) must find nothing but
	// SGR sequences and printable graphemes (and tabs).
	var state byte
	p := ansi.NewParser()
	for rest := out; len(rest) > 0; {
		seq, _, n, next := ansi.DecodeSequence(rest, state, p)
		state = next
		if n == 0 {
			return "x/ansi made no progress"
		}
		switch {
		case seq == "\t":
		case seq[0] == 0x1b || seq[0] < 0x20 || seq[0] == 0x7f:
			if m != Color || !ansi.HasCsiPrefix(seq) || ansi.Cmd(p.Command()).Final() != 'm' ||
				ansi.Cmd(p.Command()).Prefix() != 0 || ansi.Cmd(p.Command()).Intermediate() != 0 {
				return "x/ansi found the sequence " + strings.ReplaceAll(seq, "\x1b", "ESC")
			}
		}
		rest = rest[n:]
	}
	if state != ansi.NormalState {
		return "x/ansi is left inside a sequence"
	}
	return ""
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"", "plain", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07", "\x1b]52;c;aGk=\x1b\\", "\x1bP+q\x1b\\",
		"a\rb\bc\ad", "\u202ex\u202c", "\u2066\u2069", "\x9b31m", "\u009b31m", "\xff\xfe",
		"\x1b[", "\x1b", "\x1b[1;2;3", "\x1b(0", "\x1b#8", "\x1b[?1049h", "\x1b[>4m", "\x1b[4:3m",
		"\x1b]8;;http://x\x1b\\l\x1b]8;;\x1b\\", "\x1b[3\x1b[31m", "\x1b]0;\x1b[1m", "👩\u200d💻",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkProperties(t, in)
	})
}

func BenchmarkSanitize(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"ascii", "2026-01-02T03:04:05Z INFO request served path=/api/v1/items status=200 took=1.2ms"},
		{"color", "\x1b[32mINFO\x1b[0m request served path=/api/v1/items status=200 took=1.2ms"},
		{"unicode", "INFO requête servie chemin=/api/v1/éléments statut=200 durée=1,2ms ✓ 完成"},
		{"hostile", "line 000007 \x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\ over\rwrite \u202edesrever\u202c"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			for b.Loop() {
				_ = Sanitize(bc.line, Color)
			}
		})
		b.Run(bc.name+"-noescape", func(b *testing.B) {
			b.SetBytes(int64(len(bc.line)))
			for b.Loop() {
				_, _ = SanitizeNoEscape(bc.line, Color)
			}
		})
	}
}

// The property checker must itself catch what it is there to catch.
func TestForbiddenCatches(t *testing.T) {
	for _, tc := range []struct {
		out string
		m   Mode
	}{
		{"\x1b[31mred", Text}, {"\x1b[2J", Color}, {"\x1b]0;x\x07", Color}, {"a\rb", Color},
		{"a\bb", Text}, {"\a", Text}, {"\u202e", Text}, {"\u2067", Color}, {"\u0085", Text},
		{"\xff", Text}, {"\x1b[?25l", Color}, {"\x1b[>4m", Color}, {"\x1bc", Color}, {"a\u2028b", Text},
	} {
		if forbidden(tc.out, tc.m) == "" {
			t.Errorf("forbidden(%q, %s) finds nothing wrong", tc.out, tc.m)
		}
	}
}
