// Package catalogtest gives tests the catalog's recipes as files on disk, where they load as
// the recipes `sidecar init` writes out do.
package catalogtest

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

// Recipes are the files of every catalog recipe, by name, and as "starter" those of the
// starter sidecar init writes without --recipe.
func Recipes(t testing.TB) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{"starter": catalog.Starter()}
	for _, name := range catalog.Names() {
		files, err := catalog.Files(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = files
	}
	return out
}

// Write writes files (slash-separated paths) below root and returns root.
func Write(t testing.TB, root string, files map[string][]byte) string {
	t.Helper()
	tree := fstest.MapFS{}
	for rel, content := range files {
		tree[rel] = &fstest.MapFile{Data: content}
	}
	if err := os.CopyFS(root, tree); err != nil {
		t.Fatal(err)
	}
	return root
}
