package e2e

import (
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

// TestFilesVolumes: a pod volume with files is an engine volume of the pod, mounted by the
// containers that mount it, as in Kubernetes: mounted at /etc/app it hides what the image has
// there; mounted read-only it cannot be written; what an init container writes into it the
// main sees; a changed file reaches the containers when `up -d` re-creates the pod, with the
// volume filled afresh; `down` leaves no volume. Scenario testdata/e2e/files-volumes.
func TestFilesVolumes(t *testing.T) {
	s := newScenario(t, "files-volumes")
	s.env = append(s.env, "XDG_STATE_HOME="+t.TempDir())
	t.Cleanup(func() { // should the test stop midway
		if len(s.containers()) > 0 {
			s.run("down", "--stack", s.stack)
		}
	})
	s.env = append(s.env, "FILES_TEST_IMAGE="+testenv.AppsImageWith(t, "COPY bin/peek /etc/app/default.conf\n"))
	file := s.recipe("sidecar.yaml")
	if out, errOut, code := s.run("up", "-d", "-f", file); code != 0 {
		t.Fatalf("up -d exited %d\n%s\n%s", code, out, errOut)
	}
	s.eventually("main running", nil, startDeadline, s.running("main"))
	main := s.container("main").ID
	exec := func(cmd ...string) orchestrator.ExecResult {
		t.Helper()
		res, err := s.d.Exec(s.ctx, main, cmd)
		if err != nil {
			t.Fatalf("exec %v: %v", cmd, err)
		}
		return res
	}

	// Masking: the volume hides the image's /etc/app.
	if res := exec("/peek", "-cat", "/etc/app/app.conf", "-cat", "/etc/app/conf.d/extra.conf"); res.ExitCode != 0 || res.Output != "first\nextra\n" {
		t.Errorf("main's /etc/app: exit %d, %q; want the volume's files", res.ExitCode, res.Output)
	}
	if res := exec("/peek", "-cat", "/etc/app/default.conf"); res.ExitCode == 0 || !strings.Contains(res.Output, "no such file") {
		t.Errorf("the image's /etc/app/default.conf shows through the volume: exit %d, %.80q", res.ExitCode, res.Output)
	}
	// Read-only: the engine refuses the write.
	if res := exec("/peek", "-append", "/etc/app/app.conf", "-line", "hacked"); res.ExitCode == 0 || !strings.Contains(res.Output, "read-only file system") {
		t.Errorf("main wrote into its read-only mount: exit %d, %q", res.ExitCode, res.Output)
	}
	// Sharing: what init wrote into the volume, main sees, next to the recipe's file.
	if res := exec("/peek", "-cat", "/shared/new.txt", "-cat", "/shared/seed.txt"); res.ExitCode != 0 || res.Output != "from init\nfrom the recipe\n" {
		t.Errorf("main's /shared: exit %d, %q; want init's line and the recipe's file", res.ExitCode, res.Output)
	}
	// One file mounted alone (sub_path) is a copy, read-only by its mode.
	if res := exec("/peek", "-cat", "/etc/one.conf"); res.ExitCode != 0 || res.Output != "first\n" {
		t.Errorf("main's /etc/one.conf: exit %d, %q", res.ExitCode, res.Output)
	}
	if st, err := s.d.Client().ContainerStatPath(s.ctx, main, client.ContainerStatPathOptions{Path: "/etc/one.conf"}); err != nil || st.Stat.Mode.Perm() != 0o444 {
		t.Errorf("/etc/one.conf: %v, %v; want mode 0444", st.Stat.Mode, err)
	}
	// A tmpfs keeps only what is written while it is mounted: it is filled through the
	// running infra container.
	if res := exec("/peek", "-cat", "/mem/m.txt"); res.ExitCode != 0 || res.Output != "in memory\n" {
		t.Errorf("main's /mem/m.txt (a tmpfs volume with files): exit %d, %q", res.ExitCode, res.Output)
	}
	vols, err := s.d.ListVolumes(s.ctx, s.filter)
	if err != nil || len(vols) != 3 {
		t.Errorf("the stack's volumes: %v, %v; want cfg, mem and shared", vols, err)
	}

	// A changed file: up -d re-creates the pod, with its volumes filled afresh (init's line
	// is there once: the volume is new, not the old one written again).
	s.env = append(s.env, "FILES_APP_CONF=second")
	if out, errOut, code := s.run("up", "-d", "-f", file); code != 0 || !strings.Contains(out, "re-create pod") || !strings.Contains(out, "the files of volume cfg changed") {
		t.Fatalf("up -d after the edit: exit %d\n%s\n%s", code, out, errOut)
	}
	s.eventually("main running again", nil, startDeadline, s.running("main"))
	main = s.container("main").ID
	for path, want := range map[string]string{"/etc/app/app.conf": "second\n", "/etc/one.conf": "second\n", "/shared/new.txt": "from init\n", "/mem/m.txt": "in memory\n"} {
		if res := exec("/peek", "-cat", path); res.Output != want {
			t.Errorf("after the edit, main's %s: %q, want %q", path, res.Output, want)
		}
	}

	if out, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Fatalf("down exited %d\n%s\n%s", code, out, errOut)
	}
	if vols, err := s.d.ListVolumes(s.ctx, s.filter); err != nil || len(vols) != 0 {
		t.Errorf("volumes after down: %v, %v", vols, err)
	}
	s.nothingLeft()
}
