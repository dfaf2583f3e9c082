package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// A compose file and its override file, merged as docker compose merges them: what the stack
// runs has both, the override winning; the containers' recipe label names both files.
func TestComposeOverrideFile(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "compose-override")
	base, override := s.recipe("compose.yaml"), s.recipe("compose.override.yaml")
	up := s.start("up", "-f", base, "-f", override, "--plain")
	s.eventually("web answering as the override says, on the port it publishes", up, startDeadline, s.answers("hello from override"))
	if env := s.exec("web", "/peek", "-env"); !strings.Contains(env, "MODE=override") || !strings.Contains(env, "KEEP=kept") {
		t.Errorf("web's environment, want MODE=override and KEEP=kept:\n%s", env)
	}
	l, err := orchestrator.DecodeLabels(s.container("web").Labels)
	if want := base + string(os.PathListSeparator) + override; err != nil || l.Recipe != want {
		t.Errorf("recipe label %q (%v), want %q", l.Recipe, err, want)
	}
	up.tearDown(syscall.SIGTERM)
	s.nothingLeft()
}
