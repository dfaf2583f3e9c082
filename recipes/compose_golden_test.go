package recipes

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The importers' golden tests: every testdata/<kind>/*.yaml is imported and the result —
// problems, warnings and the stack as JSON — is compared with the .golden file next to it.
// Run `go test ./recipes -run Golden -update` to rewrite the goldens, then read every diff.

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func goldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// importFixture imports one fixture file the way the CLI would, with a fixed environment.
type importFunc func(f File, opts Options, pos *Positions) (*Stack, []Warning, error)

// renderImport renders the outcome of an import as golden text.
func renderImport(t *testing.T, st *Stack, warnings []Warning, err error) string {
	t.Helper()
	var b strings.Builder
	if err != nil {
		b.WriteString("# problems\n")
		var ps Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				b.WriteString(p.String() + "\n")
			}
		} else {
			b.WriteString("(not Problems) " + err.Error() + "\n")
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("error does not match ErrInvalid: %v", err)
		}
	}
	if len(warnings) > 0 {
		b.WriteString("# warnings\n")
		for _, w := range warnings {
			b.WriteString(w.String() + "\n")
		}
	}
	if st != nil {
		b.WriteString("# stack\n")
		j, jerr := json.MarshalIndent(st, "", "  ")
		if jerr != nil {
			t.Fatalf("marshal stack: %v", jerr)
		}
		b.Write(j)
		b.WriteString("\n")
	}
	return b.String()
}

// runGoldens imports every fixture of testdata/<kind>/ with load and compares the outcome.
func runGoldens(t *testing.T, kind string, load importFunc) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", kind, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s", kind)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			display := filepath.ToSlash(filepath.Join("testdata", kind, filepath.Base(path)))
			opts := Options{
				Dir:    filepath.Dir(path),
				Env:    map[string]string{"HOME": "/home/dev", "TAG": "dev", "WEB_PORT": "8080"},
				DotEnv: true,
			}
			st, warnings, err := load(File{Name: display, Content: content}, opts, NewPositions(display))
			got := renderImport(t, st, warnings, err)
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if goldenUpdate() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", display, golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

// loadThroughPipeline imports through Load, so goldens show the normalised, validated stack.
func loadThroughPipeline(f File, opts Options, _ *Positions) (*Stack, []Warning, error) {
	return Load(f, opts)
}

func TestComposeGolden(t *testing.T) {
	runGoldens(t, "compose", loadThroughPipeline)
}

func TestKubeGolden(t *testing.T) {
	runGoldens(t, "kube", loadThroughPipeline)
}
