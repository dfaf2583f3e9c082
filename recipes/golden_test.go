package recipes

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/recipes")

// testEnv is the only environment the corpus tests pass to the loader.
func testEnv() map[string]string {
	return map[string]string{"TAG": "dev", "EMPTY": "", "FROM_ENV": "from-env"}
}

// loadCorpusFile loads testdata/recipes/<kind>/<base> the way the CLI would from the
// repository root: messages name the file by that path.
func loadCorpusFile(t *testing.T, path string) (*Stack, []Warning, error) {
	t.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.ToSlash(strings.TrimPrefix(path, "../"))
	return Load(File{Name: name, Content: content}, Options{Env: testEnv(), Dir: filepath.Dir(path)})
}

// corpus lists the files pattern matches, and fails when there are fewer than min.
func corpus(t *testing.T, pattern string, min int) []string {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) < min {
		t.Fatalf("found only %d files matching %s, want at least %d", len(files), pattern, min)
	}
	return files
}

func warningText(ws []Warning) []byte {
	var b bytes.Buffer
	for _, w := range ws {
		b.WriteString(w.String() + "\n")
	}
	return b.Bytes()
}

func TestGoodRecipes(t *testing.T) {
	for _, f := range corpus(t, "../testdata/recipes/good/*.yaml", 5) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			st, warns, err := loadCorpusFile(t, f)
			if err != nil {
				t.Fatalf("a good recipe failed to load:\n%v", err)
			}
			out, err := json.MarshalIndent(st, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(f, ".yaml")
			golden.Check(t, base+".json", append(out, '\n'))
			wpath := base + ".warnings"
			if len(warns) == 0 {
				if _, err := os.Stat(wpath); err == nil && !*update {
					t.Errorf("%s exists but the recipe gives no warnings", wpath)
				} else if *update {
					os.Remove(wpath)
				}
				return
			}
			golden.Check(t, wpath, warningText(warns))
		})
	}
}

func TestBadRecipes(t *testing.T) {
	for _, f := range corpus(t, "../testdata/recipes/bad/*.yaml", 25) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			st, _, err := loadCorpusFile(t, f)
			if err == nil {
				t.Fatalf("a bad recipe loaded without error: %+v", st)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not match ErrInvalid: %v", err)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error is %T, not Problems", err)
			}
			name := strings.TrimPrefix(filepath.ToSlash(f), "../")
			for _, p := range ps {
				if p.Pos.File != name || p.Pos.Line < 1 || p.Pos.Col < 1 {
					t.Errorf("problem is not placed at %s:line:col: %s", name, p)
				}
				if p.Hint == "" {
					t.Errorf("problem says no fix: %s", p)
				}
			}
			golden.Check(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}
