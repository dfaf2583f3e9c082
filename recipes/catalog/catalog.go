// Package catalog holds sidecar's built-in recipes: complete, documented sidecar patterns
// (Envoy, Fluent Bit, the OpenTelemetry Collector, Vault Agent, ...) that `sidecar init
// --recipe NAME` writes out, and the starter sidecar.yaml it writes without a recipe.
//
// Each recipe is a directory under library/ holding a sidecar.yaml and the configuration
// files it bind-mounts. The first line of each sidecar.yaml is a comment with the recipe's
// one-line description; the comment block under it says what the pattern is, how to try it
// and what to look at. Everything is embedded in the binary.
package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"
)

//go:embed library starter.yaml
var embedded embed.FS

const (
	libraryDir = "library"
	// RecipeFile is the name of a recipe's stack file.
	RecipeFile = "sidecar.yaml"
)

// ErrUnknown is matched (errors.Is) by the error for a recipe name the catalog does not have.
var ErrUnknown = errors.New("unknown recipe")

// Entry is one recipe of the catalog.
type Entry struct {
	Name string `json:"name"`
	// Description is the recipe's one-line summary: the first comment line of its sidecar.yaml.
	Description string `json:"description"`
}

// UnknownError is returned for a recipe name the catalog does not have. It names the closest
// known recipe, if one is close, and lists them all.
type UnknownError struct {
	Name       string
	Suggestion string
	Known      []string
}

func (e *UnknownError) Error() string {
	msg := fmt.Sprintf("unknown recipe %q", e.Name)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(": did you mean %q?", e.Suggestion)
	}
	return msg + " (recipes: " + strings.Join(e.Known, ", ") + "; `sidecar recipes` describes them)"
}

func (e *UnknownError) Is(target error) bool { return target == ErrUnknown }

// List returns every recipe, sorted by name.
func List() []Entry {
	dirs, err := fs.ReadDir(embedded, libraryDir)
	if err != nil {
		// The library is embedded at build time; a binary without it cannot have been built.
		return nil
	}
	out := make([]Entry, 0, len(dirs))
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		b, err := fs.ReadFile(embedded, path.Join(libraryDir, d.Name(), RecipeFile))
		if err != nil {
			continue
		}
		out = append(out, Entry{Name: d.Name(), Description: Description(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the name of every recipe, sorted.
func Names() []string {
	var out []string
	for _, e := range List() {
		out = append(out, e.Name)
	}
	return out
}

// Lookup returns the named recipe's entry, or an *UnknownError.
func Lookup(name string) (Entry, error) {
	for _, e := range List() {
		if e.Name == name {
			return e, nil
		}
	}
	known := Names()
	return Entry{}, &UnknownError{Name: name, Suggestion: closestName(name, known), Known: known}
}

// Files returns the named recipe's files: slash-separated paths relative to the recipe's
// directory (sidecar.yaml among them) mapped to their content. An unknown name gives an
// *UnknownError.
func Files(name string) (map[string][]byte, error) {
	if _, err := Lookup(name); err != nil {
		return nil, err
	}
	root := path.Join(libraryDir, name)
	out := map[string][]byte{}
	err := fs.WalkDir(embedded, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, root+"/")] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading recipe %s from the embedded catalog: %w", name, err)
	}
	return out, nil
}

// Starter returns the files `sidecar init` writes when no recipe is named: a commented
// sidecar.yaml with a main container and one sidecar.
func Starter() map[string][]byte {
	b, err := embedded.ReadFile("starter.yaml")
	if err != nil {
		return nil
	}
	return map[string][]byte{RecipeFile: b}
}

// Description returns the one-line description of a recipe file: the text of its first line
// when that line is a comment, else "".
func Description(recipe []byte) string {
	first, _, _ := strings.Cut(string(recipe), "\n")
	first = strings.TrimSpace(first)
	if !strings.HasPrefix(first, "#") {
		return ""
	}
	return strings.TrimSpace(strings.TrimLeft(first, "#"))
}

// closestName returns the known name closest to name, or "" when none is close enough to be a
// likely typo or abbreviation.
func closestName(name string, known []string) string {
	for _, k := range known {
		if len(name) >= 3 && strings.Contains(k, name) {
			return k
		}
	}
	return suggest.Closest(name, known)
}
