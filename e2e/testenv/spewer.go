package testenv

import (
	"fmt"
	"testing"
)

// SpewerLine is line i of the output of the test programs' /spewer run with -size size, without
// its newline: "line 000042", and when size is longer, a space and letters up to size bytes.
func SpewerLine(i, size int) string {
	line := []byte(fmt.Sprintf("line %06d", i))
	if size <= len(line) {
		return string(line)
	}
	pad := make([]byte, size-len(line))
	for j := range pad {
		pad[j] = 'a' + byte(j%26)
	}
	pad[0] = ' '
	return string(append(line, pad...))
}

// CheckSpewed checks that texts are /spewer's lines 1 to n (of -size size), whole and in order,
// none missing: on the first that is not, it says how long it is and how it starts.
func CheckSpewed(t testing.TB, what string, texts []string, n, size int) {
	t.Helper()
	if len(texts) != n {
		t.Errorf("%s: %d lines, want %d", what, len(texts), n)
	}
	for i, text := range texts {
		if want := SpewerLine(i+1, size); text != want {
			t.Errorf("%s: line %d is %d bytes starting %.40q, want %d bytes starting %.40q", what, i+1, len(text), text, len(want), want)
			return
		}
	}
}

// Interleave puts back in order the lines /spewer -stderr-every every wrote to stdout (out)
// and stderr (errs): line k went to stderr when k is a multiple of every. Once one of them
// runs out, the rest of the other follows.
func Interleave(out, errs []string, every int) []string {
	all := make([]string, 0, len(out)+len(errs))
	for len(out) > 0 || len(errs) > 0 {
		if len(errs) > 0 && ((len(all)+1)%every == 0 || len(out) == 0) {
			all, errs = append(all, errs[0]), errs[1:]
		} else {
			all, out = append(all, out[0]), out[1:]
		}
	}
	return all
}
