// Package golden compares what a test made with a golden file. The test binary defines the
// -update flag (a test package's own flag.Bool, or a library's); with -update true the
// golden files are written instead, to be read before committing.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

// Update reports whether the test binary runs with -update.
func Update() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Check compares got with the golden file at path, and fails the test with a diff when they
// differ. With -update it writes got to path (making its directory) instead.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run '%s' -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run '%s' -update rewrites it; read the diff before committing):\n%s",
			path, t.Name(), udiff.Unified("golden", "got", escape(string(want)), escape(string(got))))
	}
}

// escape quotes the lines that hold escape sequences or other controls, so that a diff shows
// them instead of the terminal obeying them.
func escape(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.ContainsFunc(l, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			q := strconv.Quote(l)
			lines[i] = q[1 : len(q)-1]
		}
	}
	return strings.Join(lines, "\n")
}
