// Package modroot finds the module's root directory, for the tests, generators and
// benchmarks that read the repository's files (testdata, the infra helper's source, the
// test programs) wherever `go test` or `go run` was started.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
)

// Find returns the directory holding go.mod, from the working directory upwards.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from inside the repository")
		}
		dir = parent
	}
}
