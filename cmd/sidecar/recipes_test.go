package main

import (
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

func TestRecipesListsEveryRecipe(t *testing.T) {
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "recipes"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "DESCRIPTION") {
		t.Errorf("no header row: %q", lines[0])
	}
	entries := catalog.List()
	if len(lines) != len(entries)+1 {
		t.Fatalf("%d lines for %d recipes:\n%s", len(lines), len(entries), out)
	}
	for i, e := range entries {
		fields := strings.Fields(lines[i+1])
		if fields[0] != e.Name || !strings.HasSuffix(lines[i+1], e.Description) {
			t.Errorf("line %d = %q, want %s and its description", i+1, lines[i+1], e.Name)
		}
	}
	// The description column is aligned.
	col := strings.Index(lines[0], "DESCRIPTION")
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("description not aligned at column %d: %q", col, l)
		}
	}
}

func TestRecipesTakesNoArguments(t *testing.T) {
	f, _, errOut := testFactory(t)
	if code := runCLI(t, f, "recipes", "envoy"); code != 2 {
		t.Errorf("exit %d, want 2: %s", code, errOut)
	}
}
