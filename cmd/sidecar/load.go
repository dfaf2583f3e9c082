package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes"
)

// loadStack loads the recipe at path the way every command does: ${VAR} from the process
// environment and from .env next to the recipe.
func loadStack(f *Factory, path string) (*recipes.Stack, []recipes.Warning, error) {
	return recipes.LoadFile(path, recipes.Options{Env: envMap(f.Environ()), DotEnv: true})
}

// loadReported is loadStack with the loader's warnings written to errOut, one per line.
func loadReported(f *Factory, errOut io.Writer, path string) (*recipes.Stack, error) {
	st, warns, err := loadStack(f, path)
	printWarnings(errOut, warns)
	return st, err
}

// envMap turns NAME=value lines into a map.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// printWarnings writes the loader's warnings, one per line.
func printWarnings(w io.Writer, warns []recipes.Warning) {
	for _, x := range warns {
		fmt.Fprintln(w, x.String())
	}
}
