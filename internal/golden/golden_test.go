package golden

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var _ = flag.Bool("update", false, "rewrite the golden files (none here: the tests set it)")

// recorder is a testing.TB that keeps what the test said instead of failing.
type recorder struct {
	testing.TB
	failed bool
	said   string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.said = formatted(format, args...)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(r) // as Fatalf ends the test
}

func (r *recorder) Fatal(args ...any) { r.Fatalf("%v", args...) }

func (r *recorder) Name() string { return "TestX" }

func formatted(format string, args ...any) string {
	var b strings.Builder
	_, _ = fmt.Fprintf(&b, format, args...)
	return b.String()
}

func check(path string, got string) (r *recorder) {
	r = &recorder{}
	defer func() {
		if p := recover(); p != nil && p != any(r) {
			panic(p)
		}
	}()
	Check(r, path, []byte(got))
	return r
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.golden")
	if r := check(path, "a\n"); !r.failed || !strings.Contains(r.said, "-update writes it") {
		t.Fatalf("a missing golden file: failed %v, %q", r.failed, r.said)
	}
	if err := flag.Set("update", "true"); err != nil {
		t.Fatal(err)
	}
	r := check(path, "a\n\x1b[1mb\x1b[0m\n")
	if err := flag.Set("update", "false"); err != nil {
		t.Fatal(err)
	}
	if r.failed {
		t.Fatalf("-update failed: %q", r.said)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\n\x1b[1mb\x1b[0m\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}
	if r := check(path, "a\n\x1b[1mb\x1b[0m\n"); r.failed {
		t.Errorf("the same text: %q", r.said)
	}
	r = check(path, "a\n\x1b[1mc\x1b[0m\n")
	if !r.failed || !strings.Contains(r.said, `-\x1b[1mb\x1b[0m`) || !strings.Contains(r.said, `+\x1b[1mc\x1b[0m`) || strings.Contains(r.said, "\x1b") {
		t.Errorf("another text: failed %v, %q (want a diff with the escapes quoted)", r.failed, r.said)
	}
}
