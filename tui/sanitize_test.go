package tui

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
		ascii          bool
	}{
		{"plain", "GET /healthz 200", "GET /healthz 200", true},
		{"colour dropped", "\x1b[31merror\x1b[0m: bad", "error: bad", true},
		{"cursor movement", "a\x1b[2J\x1b[Hb\x1b[10;5fc", "abc", true},
		{"title", "x\x1b]0;pwned\x07y", "xy", true},
		{"title ST", "x\x1b]2;pwned\x1b\\y", "xy", true},
		{"clipboard OSC 52", "x\x1b]52;c;aGVsbG8=\x07y", "xy", true},
		{"hyperlink", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click", true},
		{"DCS query", "a\x1bP+q544e\x1b\\b", "ab", true},
		{"carriage return and backspace", "progress 10%\rprogress 20%\b\b", "progress 10%progress 20%", true},
		{"bell and nul", "ding\x07\x00dong", "dingdong", true},
		{"tab", "a\tb", "a    b", true},
		{"bidi override", "user\u202egnp.exe", "usergnp.exe", true},
		{"isolates and marks", "a\u2066b\u2069c\u200fd", "abcd", true},
		{"8-bit CSI", "a\u009b31mb", "ab", true},
		{"8-bit OSC", "a\u009d0;title\u009cb", "ab", true},
		{"C1 control", "a\u0085b", "ab", true},
		{"invalid UTF-8", "a\xffb", "a\ufffdb", false},
		{"unicode kept", "schéma v1 → v2 ✓ 日本", "schéma v1 → v2 ✓ 日本", false},
		{"zero width joiner dropped: terminals draw the sequence in widths of their own", "👩\u200d💻", "👩💻", false},
		{"zero width non-joiner kept", "a\u200cb ü", "a\u200cb ü", false},
		{"skin tone dropped", "👍🏽", "👍", false},
		{"flag as letters", "🇫🇷", "FR", true},
		{"presentation selector dropped", "❤️", "❤", false},
		{"composed", "e\u0301 \u1100\u1161", "\u00e9 \uac00", false},
		{"composed once what stood between is dropped", "e\ufe0f\u0301", "\u00e9", false},
		{"unterminated CSI", "a\x1b[31", "a", true},
		{"lone ESC", "a\x1b", "a", true},
		{"charset designation", "a\x1b(0qqq\x1b(Bb", "aqqqb", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ascii, _ := sanitize(tt.in, false)
			if got != tt.want || ascii != tt.ascii {
				t.Errorf("sanitize(%q) = %q, %v; want %q, %v", tt.in, got, ascii, tt.want, tt.ascii)
			}
			// The same through the orchestrator's buffer, whose pass is the only one for a
			// line it marks Plain.
			if l := captured(tt.in); l.text != tt.want || l.ascii != tt.ascii {
				t.Errorf("captured %q = %q, %v; want %q, %v", tt.in, l.text, l.ascii, tt.want, tt.ascii)
			}
		})
	}
}

// captured is a container's line as the view gets it: appended to an orchestrator's log
// buffer (its one sanitising pass), read back, prepared by the feed.
func captured(raw string) line {
	hub := orchestrator.NewLogHub(10, nil)
	r := hub.NewReader()
	defer r.Close()
	hub.Buffer("p", "c").Append(orchestrator.LogLine{Text: raw})
	evs, _ := r.Read(0)
	return prepare(evs)[0].line
}

// FuzzSanitize: whatever a container writes, what reaches the screen is valid UTF-8 with no
// control character, no escape sequence and no bidi control (the zero-width non-joiner that
// scripts need excepted), none of the characters terminals draw in widths of their own
// (joiners, variation selectors, skin tones, regional indicators: unambiguous), its width is
// what the renderer
// measures, and ascii is only claimed for one-byte-per-cell text — sanitised by the view, and
// through the orchestrator's buffer and the feed, where the buffer's pass is the only one
// for a line without escape sequences.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred\x1b[0m", "\x1b]52;c;x\x07", "a\rb\bc\x07", "\u202eabc", "\xff\xfe", "\u009b2J", "a\x1bP1$r\x1b\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkScreenSafe(t, in, false)
		checkScreenSafe(t, in, true)
	})
}

// checkScreenSafe asserts what FuzzSanitize says of a line, sanitised by the view alone or,
// with capture, through the orchestrator's buffer and the feed (one pass for most lines).
func checkScreenSafe(t *testing.T, in string, capture bool) {
	t.Helper()
	view := func(s string) (string, bool, bool) { return sanitize(s, false) }
	if capture {
		view = func(s string) (string, bool, bool) { l := captured(s); return l.text, l.ascii, l.lower != l.text }
	}
	got, ascii, upper := view(in)
	if !utf8.ValidString(got) {
		t.Fatalf("%q → %q (capture %v): invalid UTF-8", in, got, capture)
	}
	for _, r := range got {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || (unicode.Is(unicode.Cf, r) && r != '\u200c') || dropped(r) || isRegional(r) {
			t.Fatalf("%q → %q (capture %v): keeps %U", in, got, capture, r)
		}
	}
	if strings.ContainsRune(got, '\x1b') {
		t.Fatalf("%q → %q (capture %v): keeps ESC", in, got, capture)
	}
	if ascii && ansi.StringWidth(got) != len(got) {
		t.Fatalf("%q → %q (capture %v): claimed ASCII but %d cells for %d bytes", in, got, capture, ansi.StringWidth(got), len(got))
	}
	if ascii && upper != (strings.ToLower(got) != got) {
		t.Fatalf("%q → %q (capture %v): upper %v", in, got, capture, upper)
	}
	if again, _, _ := view(got); again != got {
		t.Fatalf("not idempotent on %q (capture %v): %q then %q", in, capture, got, again)
	}
}

// TestScanASCII: the word-at-a-time scan agrees with a byte-at-a-time one at every byte
// value in every position of a word, and across a word's end.
func TestScanASCII(t *testing.T) {
	naive := func(s string) (bool, bool) {
		upper := false
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] >= 0x7f {
				return false, false
			}
			upper = upper || ('A' <= s[i] && s[i] <= 'z' && s[i] <= 'Z')
		}
		return true, upper
	}
	base := []byte("abcdefghijklmnopqrstuvw")
	for c := 0; c < 256; c++ {
		for pos := 0; pos < len(base); pos++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			s := string(b)
			p, u := scanASCII(s)
			wp, wu := naive(s)
			if p != wp || u != wu {
				t.Fatalf("scanASCII(%q) = %v, %v; want %v, %v", s, p, u, wp, wu)
			}
		}
	}
}
