package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setEnv replaces (or adds) one variable of the environment the scenario runs sidecar with.
func (s *scenario) setEnv(key, value string) {
	for i, kv := range s.env {
		if strings.HasPrefix(kv, key+"=") {
			s.env[i] = key + "=" + value
			return
		}
	}
	s.env = append(s.env, key+"="+value)
}

// An XDG_RUNTIME_DIR that others may write to is not where up puts its control socket: it
// uses <TMPDIR>/sidecar-<uid>, ps and down find it there, and once up has ended no lock file
// or socket of the stack is left (lock files used to stay forever).
func TestControlFilesStayPrivateAndGo(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "terminal")
	open, tmp := t.TempDir(), t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	s.setEnv("XDG_RUNTIME_DIR", open)
	s.setEnv("TMPDIR", tmp)
	dir := filepath.Join(tmp, fmt.Sprintf("sidecar-%d", os.Getuid()))

	up := s.up("the stack running", s.running("web", "helper"))
	if _, err := os.Stat(filepath.Join(open, "sidecar")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("up made its control directory in an XDG_RUNTIME_DIR of mode 0777: %v", err)
	}
	// The engine's own directory in it (docs/cli.md, the control socket).
	if socks, _ := filepath.Glob(filepath.Join(dir, "*", s.stack+".sock")); len(socks) != 1 {
		t.Errorf("no control socket in an engine directory of %s: %v", dir, socks)
	}
	if st := s.psJSON().Stacks; len(st) != 1 || st[0].Source != "live" {
		t.Errorf("ps does not find the live up: %+v", st)
	}
	if out, errOut, code := s.run("down", "--stack", s.stack); code != 0 || !strings.Contains(out, "Stopped stack "+s.stack) {
		t.Fatalf("down exited %d\n%s\n%s", code, out, errOut)
	}
	if code := up.wait(); code != 0 {
		t.Errorf("up, stopped by down, exited %d\n%s", code, up.output())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		// An engine's directory stays, naming its engine, and nothing else.
		inside, _ := os.ReadDir(filepath.Join(dir, e.Name()))
		if !e.IsDir() || len(inside) != 1 || inside[0].Name() != "engine" {
			t.Errorf("left in the control directory after up ended: %s %v", e.Name(), inside)
		}
	}
	s.nothingLeft()
}
