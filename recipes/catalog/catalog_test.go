package catalog_test

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/recipes/catalog"
	"github.com/sidecar-dev/sidecar/recipes/catalog/catalogtest"
)

// The patterns issue 6 asks the catalog to cover, by recipe name.
var wantRecipes = []string{
	"dapr", "envoy-mesh", "envoy-proxy", "fluent-bit-logs", "nginx-tls",
	"oauth2-proxy", "otel-collector", "tailscale", "vault-agent",
}

func TestListHasEveryPatternWithADescription(t *testing.T) {
	got := catalog.Names()
	for _, want := range wantRecipes {
		if _, err := catalog.Lookup(want); err != nil {
			t.Errorf("recipe %s is missing: %v (have %v)", want, err, got)
		}
	}
	for _, e := range catalog.List() {
		if e.Description == "" {
			t.Errorf("recipe %s: its sidecar.yaml does not start with a # description line", e.Name)
		}
		if strings.Contains(e.Description, "\n") || len(e.Description) > 100 {
			t.Errorf("recipe %s: the description must fit on one line: %q", e.Name, e.Description)
		}
	}
}

// loadedRecipe is a catalog recipe (or the starter) loaded from its files on disk.
type loadedRecipe struct {
	files map[string][]byte
	st    *recipes.Stack
	warns []recipes.Warning
}

// loadRecipes writes every recipe and the starter into a directory of its name, as `sidecar
// init` does, and loads it; one that does not load fails the test.
func loadRecipes(t *testing.T) map[string]loadedRecipe {
	t.Helper()
	dir := t.TempDir()
	out := map[string]loadedRecipe{}
	for name, files := range catalogtest.Recipes(t) {
		root := catalogtest.Write(t, filepath.Join(dir, name), files)
		st, warns, err := recipes.LoadFile(filepath.Join(root, catalog.RecipeFile), recipes.Options{})
		if err != nil {
			t.Fatalf("recipe %s does not load:\n%v", name, err)
		}
		out[name] = loadedRecipe{files: files, st: st, warns: warns}
	}
	return out
}

// Every recipe and the starter load without problems and without warnings: a warning in a
// built-in recipe (an unset variable, a missing bind-mount source) would be a defect.
func TestEveryRecipeValidates(t *testing.T) {
	for name, r := range loadRecipes(t) {
		t.Run(name, func(t *testing.T) {
			for _, w := range r.warns {
				t.Errorf("recipe %s: %s", name, w)
			}
			if r.st.Name != name {
				t.Errorf("stack name = %q, want the directory's name %q", r.st.Name, name)
			}
			for _, p := range r.st.Pods {
				if len(p.Sidecars) == 0 {
					t.Errorf("pod %s has no sidecar", p.Name)
				}
				for _, c := range p.Sidecars {
					if c.Ready == nil && name != "starter" {
						t.Errorf("pod %s: sidecar %s has no ready probe, so nothing gates the next container's start on it", p.Name, c.Name)
					}
				}
			}
		})
	}
}

// Images are pinned to exact versions: a tag with at least major.minor.patch digits, never
// latest or a bare major.
var pinned = regexp.MustCompile(`:v?\d+\.\d+\.\d+(-[a-z0-9.]+)?$`)

func TestImagesArePinned(t *testing.T) {
	for name, r := range loadRecipes(t) {
		for _, p := range r.st.Pods {
			for _, c := range p.Containers() {
				if !pinned.MatchString(c.Image) {
					t.Errorf("%s: container %s: image %q is not pinned to an exact version", name, c.Name, c.Image)
				}
				if c.Build != nil {
					t.Errorf("%s: container %s builds an image: catalog recipes must run from pullable images", name, c.Name)
				}
			}
		}
	}
}

// Every file of a recipe is used: bind-mounted by one of its containers (or the recipe itself).
func TestEveryFileIsMounted(t *testing.T) {
	for name, r := range loadRecipes(t) {
		mounted := map[string]bool{catalog.RecipeFile: true}
		for _, p := range r.st.Pods {
			for _, c := range p.Containers() {
				for _, m := range c.Volumes {
					if m.Type == recipes.MountBind {
						rel, err := filepath.Rel(r.st.Dir, filepath.Join(r.st.Dir, m.Source))
						if err == nil {
							mounted[filepath.ToSlash(rel)] = true
						}
					}
				}
			}
		}
		for rel := range r.files {
			if !mounted[rel] {
				t.Errorf("%s: file %s is not mounted by any container", name, rel)
			}
		}
	}
}

func TestUnknownRecipe(t *testing.T) {
	for _, tc := range []struct{ name, suggestion string }{
		{"envoy-prxy", "envoy-proxy"},
		{"vault", "vault-agent"},
		{"fluentbit-logs", "fluent-bit-logs"},
		{"kafka", ""},
	} {
		_, err := catalog.Files(tc.name)
		if !errors.Is(err, catalog.ErrUnknown) {
			t.Fatalf("Files(%q) = %v, want ErrUnknown", tc.name, err)
		}
		var ue *catalog.UnknownError
		if !errors.As(err, &ue) {
			t.Fatalf("Files(%q) error is %T, want *UnknownError", tc.name, err)
		}
		if ue.Suggestion != tc.suggestion {
			t.Errorf("Files(%q) suggests %q, want %q", tc.name, ue.Suggestion, tc.suggestion)
		}
		if !strings.Contains(err.Error(), "envoy-proxy") {
			t.Errorf("the error should list the recipes: %v", err)
		}
	}
}

func TestDescription(t *testing.T) {
	for in, want := range map[string]string{
		"# Envoy in front\n# more\nmain: {}\n": "Envoy in front",
		"##  spaced  \n":                       "spaced",
		"main: {}\n# not first\n":              "",
		"":                                     "",
	} {
		if got := catalog.Description([]byte(in)); got != want {
			t.Errorf("Description(%q) = %q, want %q", in, got, want)
		}
	}
}
