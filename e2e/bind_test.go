package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A bind mount source that does not exist is created, an empty directory, when the container
// is (the engine creates it, on its host), as docker compose does for immich's ./library at
// the first up; down leaves it, as compose does.
func TestComposeBindSourceCreated(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "bind-create")
	file := s.manifest("compose.yaml")
	dir := filepath.Dir(file)
	sources := []string{filepath.Join(dir, "library"), filepath.Join(dir, "postgres", "data")}
	for _, src := range sources {
		if _, err := os.Stat(src); !os.IsNotExist(err) {
			t.Fatalf("%s exists before up (%v)", src, err)
		}
	}
	up := s.start("up", "-f", file, "--plain")
	s.eventually("app running", up, startDeadline, s.running("app"))
	if !strings.Contains(up.stderr.String(), "bind mount source ./library does not exist: it is created") {
		t.Errorf("up does not say that ./library is created:\n%s", up.output())
	}
	for _, src := range sources {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			t.Errorf("%s after up: %v, want a directory", src, err)
		}
	}
	up.tearDown(syscall.SIGTERM)
	s.nothingLeft()
	for _, src := range sources {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			t.Errorf("%s after down: %v, want it left", src, err)
		}
	}
}
