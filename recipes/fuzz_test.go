package recipes

import (
	"os"
	"testing"
)

// FuzzLoad feeds arbitrary content to the loader. Whatever the input, Load must return
// either a stack or Problems (never panic, never another error for a recipe), every problem
// must be placed in the file, and a stack it returns must load again from its own YAML.
func FuzzLoad(f *testing.F) {
	addFuzzSeeds(f, "../testdata/recipes/*/*.yaml")
	if ex, err := os.ReadFile("../sidecar.yaml.example"); err == nil {
		f.Add(ex)
	}
	f.Add([]byte("main: &a {image: x, sidecars: *a}\n"))
	f.Add([]byte("a: &a [*a, *a]\nmain: {image: x}\n"))
	f.Add([]byte("main: {image: x, ports: [\"1-1000:1-1000\"]}\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		opts := fuzzOptions()
		if Detect(content) != SourceRecipe {
			return // the importers have their own fuzzing
		}
		st, ws, err := Load(File{Name: "fuzz.yaml", Content: content}, opts)
		checkImport(t, content, st, ws, err)
		if err != nil {
			return
		}
		if len(st.Pods) == 0 {
			t.Fatal("no error and no pods")
		}
		out, err := EncodeYAML(st)
		if err != nil {
			t.Fatalf("cannot encode a loaded stack: %v", err)
		}
		if _, _, err := Load(File{Name: "again.yaml", Content: out}, opts); err != nil {
			t.Fatalf("a loaded stack does not load again:\n%v\n--- encoded:\n%s", err, out)
		}
	})
}
