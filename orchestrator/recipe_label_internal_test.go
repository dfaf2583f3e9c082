package orchestrator

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sidecar-dev/sidecar/recipes"
)

// A stack merged from compose files records them all in its recipe label, absolute,
// separated as in PATH (the form SIDECAR_FILE takes).
func TestRecipeLabelOfMergedFiles(t *testing.T) {
	st := &recipes.Stack{Name: "shop", Source: recipes.Source{File: "compose.yaml", Overrides: []string{"/etc/dev.yaml"}, Kind: recipes.SourceCompose}}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	got := StackLabels(withAbsoluteRecipe(st), "v1").Recipe
	if want := filepath.Join(wd, "compose.yaml") + string(os.PathListSeparator) + "/etc/dev.yaml"; got != want {
		t.Errorf("recipe label %q, want %q", got, want)
	}
	if st.Source.File != "compose.yaml" {
		t.Errorf("the stack given changed: %+v", st.Source)
	}
}
