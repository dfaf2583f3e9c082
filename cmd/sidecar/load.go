package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/recipes"
)

// composeNames are the files docker compose reads when it is given no -f, in its order of
// preference; composeOverrides the files it merges into them.
var (
	composeNames     = []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}
	composeOverrides = []string{"compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml"}
)

// recipeFile is the recipe a command reads: -f (or its setting) as given; without one,
// ./sidecar.yaml — or, when there is none, the compose file docker compose would read in this
// directory, so that `sidecar up` next to a compose.yaml runs it. Found several, it uses the
// first and says so, as compose does; an override file next to it is not merged, and it says
// that too.
func recipeFile(v *viper.Viper, errOut io.Writer) string {
	file := v.GetString("file")
	if v.IsSet("file") || file != defaultFile || exists(defaultFile) {
		return file
	}
	var found, overrides []string
	for _, name := range composeNames {
		if exists(name) {
			found = append(found, name)
		}
	}
	if len(found) == 0 {
		return file
	}
	if len(found) > 1 {
		fmt.Fprintf(errOut, "sidecar: warning: found %s here: using %s (name another with -f)\n", strings.Join(found, ", "), found[0])
	}
	for _, name := range composeOverrides {
		if exists(name) {
			overrides = append(overrides, name)
		}
	}
	if len(overrides) > 0 {
		fmt.Fprintf(errOut, "sidecar: warning: %s is not merged into %s, as docker compose would: sidecar reads one file; merge it into %s, or name the file to run with -f\n",
			strings.Join(overrides, ", "), found[0], found[0])
	}
	return found[0]
}

// exists reports whether path names something (a broken or unreadable one counts: reading it
// then says what is wrong).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// loadStack loads the recipe at path the way every command does: ${VAR} from the process
// environment and from .env next to the recipe, the compose profiles of --profile.
func loadStack(f *Factory, path string) (*recipes.Stack, []recipes.Warning, error) {
	return recipes.LoadFile(path, recipes.Options{Env: envMap(f.Environ()), DotEnv: true, Profiles: f.profiles})
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
