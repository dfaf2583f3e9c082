package modroot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	root, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Find() = %s, which holds no go.mod: %v", root, err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "modroot", "modroot.go")); err != nil {
		t.Fatalf("Find() = %s, not this module's root: %v", root, err)
	}

	t.Chdir(t.TempDir())
	if got, err := Find(); err == nil {
		t.Errorf("outside any module: Find() = %s, want an error", got)
	}
}
