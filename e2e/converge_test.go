package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Converging with up -d on the real engine: a sidecar dropped from the recipe runs its
// pre-stop hook (an exec in the container) as it goes; added back, its http ready probe runs
// from inside the pod again and up -d returns once it passed, and the log of its new run is
// read; the pod re-created (its hostname changed) with the sidecar dropped, then back, reads
// as stops, not crashes; main renamed is the old main stopped and the new one started, the
// stack running on.
func TestConvergeDropAddRename(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "converge")
	s.env = append(s.env, "XDG_STATE_HOME="+t.TempDir())
	t.Cleanup(func() {
		if len(s.containers()) > 0 {
			s.run("down", "--stack", s.stack)
		}
	})
	a, b := s.recipe("a.yaml"), s.recipe("b.yaml")
	upD := func(file string, want ...string) {
		t.Helper()
		out, errOut := s.runExit(0, "up", "-d", "-f", file)
		for _, w := range want {
			if all := out + errOut; !strings.Contains(all, w) {
				t.Errorf("up -d -f %s does not say %q:\n%s", filepath.Base(file), w, all)
			}
		}
	}
	upD(a)

	upD(b, "apply: remove proxy: no longer in the recipe", "pre-stop hook passed")
	if _, ok := s.containers()["proxy"]; ok {
		t.Errorf("proxy is still there")
	}

	upD(a, "apply: add proxy: new in the recipe")
	if c := s.container("proxy"); c.Status != orchestrator.StatusRunning {
		t.Errorf("the proxy added back: %s", c.Status)
	}
	s.eventually("the log of both proxy runs", nil, startDeadline, func() error {
		out, _, _ := s.run("logs", "--stack", s.stack, "proxy")
		if n := strings.Count(out, "proxy listening on"); n != 2 {
			return fmt.Errorf("%d runs in the log, want 2:\n%s", n, out)
		}
		return nil
	})

	// A re-created pod, with the sidecar dropped in the same edit: it is said and stopped
	// (its pre-stop hook first), and so is the infra container — nothing reads as a crash.
	s.setEnv("CV_HOST", "cv2")
	out, errOut := s.runExit(0, "up", "-d", "-f", b)
	all := out + errOut
	for _, w := range []string{"apply: re-create pod", "apply: remove proxy: no longer in the recipe", "pre-stop hook passed"} {
		if !strings.Contains(all, w) {
			t.Errorf("the re-create does not say %q:\n%s", w, all)
		}
	}
	if !regexp.MustCompile(`(?m)^infra\s+\* stopped`).MatchString(all) || strings.Contains(all, "137") {
		t.Errorf("the infra container is not seen stopped, or something was killed:\n%s", all)
	}
	// Back in another re-created pod: the proxy added back gates main with its probe again.
	s.setEnv("CV_HOST", "cv3")
	out, errOut = s.runExit(0, "up", "-d", "-f", a)
	if all := out + errOut; strings.Contains(all, "(restart") || strings.Contains(all, "137") {
		t.Errorf("a re-created pod reads as a crash:\n%s", all)
	}
	if cs := s.containers(); cs["proxy"].Status != orchestrator.StatusRunning || cs["web"].Status != orchestrator.StatusRunning {
		t.Errorf("after the re-create: proxy %s, web %s", cs["proxy"].Status, cs["web"].Status)
	}

	s.setEnv("CV_MAIN", "web2")
	upD(a, "apply: add web2: new in the recipe")
	cs := s.containers()
	if _, ok := cs["web"]; ok || cs["web2"].Status != orchestrator.StatusRunning {
		t.Errorf("after the rename: web there %v, web2 %s", ok, cs["web2"].Status)
	}
	if body, err := s.get("/"); err != nil || !strings.Contains(body, "web") {
		t.Errorf("the renamed main does not answer: %v", err)
	}

	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
}
