package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// The working day, on the real engine: up -d returns once the stack is up and leaves it to
// its supervisor; an unchanged up -d re-creates nothing; restarting main leaves the sidecar
// untouched; a stopped sidecar stays stopped (no back-off restart) until started; exec
// passes the command's exit code through; an edit of the sidecar's environment re-creates
// it alone; down removes everything.
func TestWorkingDay(t *testing.T) {
	t.Parallel()
	s := newDetachedScenario(t)
	file := s.recipe("sidecar.yaml")

	out, errOut, code := s.run("up", "-d", "-f", file)
	if code != 0 || !strings.Contains(out, "is up, in the background") {
		t.Fatalf("up -d exited %d\n%s\n%s", code, out, errOut)
	}
	// up -d returned once main was ready: it answers at once.
	if body, err := s.get("/"); err != nil || !strings.Contains(body, "web") {
		t.Fatalf("web does not answer after up -d returned: %v", err)
	}
	before := s.containers()

	out, _, code = s.run("up", "-d", "-f", file)
	if code != 0 || !strings.Contains(out, "is up to date") {
		t.Errorf("an unchanged up -d: exit %d\n%s", code, out)
	}
	s.unchanged(before, "after an unchanged up -d", "infra", "ticker", "web")

	// restart web: the sidecar keeps its container and its run.
	if _, errOut, code := s.run("restart", "--stack", s.stack, "web"); code != 0 {
		t.Fatalf("restart web exited %d: %s", code, errOut)
	}
	after := s.containers()
	if !after["web"].StartedAt.After(before["web"].StartedAt) || after["web"].ID != before["web"].ID {
		t.Errorf("web was not restarted in place: %v → %v", before["web"].StartedAt, after["web"].StartedAt)
	}
	s.unchanged(before, "after restart web", "infra", "ticker")

	// stop ticker: it stays stopped past its back-off; start brings it back.
	if _, errOut, code := s.run("stop", "--stack", s.stack, "ticker"); code != 0 {
		t.Fatalf("stop ticker exited %d: %s", code, errOut)
	}
	stopped := s.container("ticker")
	if stopped.Status != orchestrator.StatusExited {
		t.Fatalf("ticker after stop: %s", stopped.Status)
	}
	s.steady("ticker", 3*time.Second) // back-off: 500ms, then 1s
	// up -d leaves a stopped container stopped, and says so.
	if out, _, code := s.run("up", "-d", "-f", file); code != 0 || !strings.Contains(out, "Left stopped (by sidecar stop): ticker") {
		t.Errorf("up -d with ticker stopped: exit %d\n%s", code, out)
	}
	if c := s.container("ticker"); c.Status != orchestrator.StatusExited {
		t.Errorf("ticker after up -d: %s, want it left stopped", c.Status)
	}
	if _, errOut, code := s.run("start", "--stack", s.stack, "ticker"); code != 0 {
		t.Fatalf("start ticker exited %d: %s", code, errOut)
	}
	if c := s.container("ticker"); c.Status != orchestrator.StatusRunning || !c.StartedAt.After(stopped.StartedAt) {
		t.Errorf("ticker after start: %s, started %s", c.Status, c.StartedAt)
	}

	// exec: the command's exit code is sidecar's.
	if out, _, code := s.run("exec", "--stack", s.stack, "web", "--", "/crasher", "-exit-code", "7", "-message", "seven"); code != 7 || !strings.Contains(out, "seven") {
		t.Errorf("exec exited %d (want 7): %q", code, out)
	}
	// -e, -u and -w, as docker exec's: NAME=value, NAME from sidecar's environment.
	s.env = append(s.env, "WD_FROM_HERE=here")
	if out, errOut, code := s.run("exec", "--stack", s.stack, "-e", "WD_SET=one", "-e", "WD_FROM_HERE", "-e", "WD_UNSET_HERE",
		"-u", "1234:5678", "-w", "/dev", "web", "--", "/peek", "-env", "-self"); code != 0 ||
		!strings.Contains(out, "WD_SET=one\n") || !strings.Contains(out, "WD_FROM_HERE=here\n") || strings.Contains(out, "WD_UNSET_HERE") ||
		!strings.Contains(out, "uid=1234 gid=5678 cwd=/dev\n") {
		t.Errorf("exec -e -u -w exited %d: %q %s", code, out, errOut)
	}
	s.env = s.env[:len(s.env)-1]

	// An edit of the sidecar's environment re-creates it alone.
	before = s.containers()
	s.env = append(s.env, "WD_LEVEL=debug")
	out, errOut, code = s.run("up", "-d", "-f", file)
	if code != 0 || !strings.Contains(out, "replace ticker: env changed") {
		t.Fatalf("up -d after the edit: exit %d\n%s\n%s", code, out, errOut)
	}
	after = s.containers()
	if after["ticker"].ID == before["ticker"].ID || after["ticker"].Status != orchestrator.StatusRunning {
		t.Errorf("ticker was not re-created: %s %s", after["ticker"].ID, after["ticker"].Status)
	}
	s.unchanged(before, "after the edit", "infra", "web")

	out, errOut, code = s.run("down", "--stack", s.stack)
	if code != 0 || !strings.Contains(out, "Stopped stack") {
		t.Errorf("down exited %d\n%s\n%s", code, out, errOut)
	}
	s.nothingLeft()
	if _, _, code := s.run("ps", "--stack", s.stack); code != 0 {
		t.Errorf("ps after down exited %d", code)
	}
}

// Converging with up -d on the real engine: a sidecar dropped from the recipe runs its
// pre-stop hook (an exec in the container) as it goes; added back, its http ready probe runs
// from inside the pod again and up -d returns once it passed, and the log of its new run is
// read; the pod re-created (its hostname changed) with the sidecar dropped, then back, reads
// as stops, not crashes; main renamed is the old main stopped and the new one started, the
// stack running on.
func TestConvergeDropAddRename(t *testing.T) {
	t.Parallel()
	s := detachedScenario(t, "converge")
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

// up -d in a terminal that closes while the stack starts (the tmux session is killed): the
// supervisor is not the terminal's, and the stack comes up and stays.
func TestDetachedStackOutlivesItsTerminal(t *testing.T) {
	t.Parallel()
	s := newDetachedScenario(t)
	tm := s.tmux()
	tm.start(s.bin, "up", "-d", "-f", s.recipe("sidecar.yaml"))
	s.eventually("the infra container", nil, startDeadline, func() error {
		if _, ok := s.containers()["infra"]; !ok {
			return fmt.Errorf("not created yet")
		}
		return nil
	})
	tm.kill()
	s.eventually("the stack up without its terminal", nil, startDeadline, s.answers("web"))
	doc := s.psJSON()
	if len(doc.Stacks) != 1 || doc.Stacks[0].Source != "live" {
		t.Fatalf("ps: %+v", doc)
	}
	before := s.containers()
	s.steady("", 2*time.Second) // nothing is stopped for the terminal's going either
	s.ranOnThenDown(before, "after the terminal went")
}

// attach shows two containers' lines side by side; q leaves, and the stack runs on.
func TestAttachLeavesTheStackRunning(t *testing.T) {
	t.Parallel()
	s := newDetachedScenario(t)
	if out, errOut, code := s.run("up", "-d", "-f", s.recipe("sidecar.yaml")); code != 0 {
		t.Fatalf("up -d exited %d\n%s\n%s", code, out, errOut)
	}
	before := s.containers()
	tm := s.tmux()
	tm.start(s.bin, "attach", "--stack", s.stack)
	sideBySide := regexp.MustCompile(`│.*GET /healthz 200.*│.*line 0\d+`)
	tm.wait("web's and ticker's lines on one row", func(p string) bool { return sideBySide.MatchString(p) })
	// The pane may be captured while a frame is half drawn: wait for the footer too.
	tm.wait("the footer to say q detaches", func(p string) bool { return strings.Contains(p, "q detach") })
	tm.keys("q")
	tm.wait("attach to exit", func(p string) bool { return strings.Contains(p, "EXIT=0") })
	s.ranOnThenDown(before, "after q")
}

// up -d of a stack whose main fails once up: the stack is gone, and with it every
// container's logs, so the supervisor's log keeps main's last lines before how it ended.
func TestDetachedMainFailureIsLogged(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "detached-failure")
	state := t.TempDir()
	s.env = append(s.env, "XDG_STATE_HOME="+state)
	if out, errOut, code := s.run("up", "-d", "-f", s.recipe("sidecar.yaml")); code != 0 {
		t.Fatalf("up -d exited %d\n%s\n%s", code, out, errOut)
	}
	logPath := filepath.Join(state, "sidecar", s.stack+".log")
	var log string
	s.eventually("the stack to end", nil, startDeadline, func() error {
		b, err := os.ReadFile(logPath)
		if log = string(b); err != nil || !strings.Contains(log, "done (exit code 3)") {
			return fmt.Errorf("the log does not say it is done: %v", err)
		}
		return nil
	})
	head := strings.Index(log, "the last 2 lines main wrote before it exited with code 3:")
	line := strings.Index(log, "app    | config file /etc/app.toml is missing")
	done := strings.Index(log, "done (exit code 3)")
	if head < 0 || line < head || done < line {
		t.Errorf("the supervisor's log does not end with main's last lines, then how it ended:\n%s", log)
	}
	if strings.Contains(log, "ticker | line") {
		t.Errorf("the supervisor's log holds the sidecar's lines, not only the failed main's:\n%s", log)
	}
	s.nothingLeft()
}

// newDetachedScenario is the workday scenario made ready for up -d (detachedScenario).
func newDetachedScenario(t *testing.T) *scenario { return detachedScenario(t, "workday") }

// detachedScenario is scenario name with a state directory of its own (the supervisor's
// log) and a down at the end should the test stop midway.
func detachedScenario(t *testing.T, name string) *scenario {
	s := newScenario(t, name)
	s.env = append(s.env, "XDG_STATE_HOME="+t.TempDir())
	t.Cleanup(func() {
		if len(s.containers()) > 0 {
			s.run("down", "--stack", s.stack)
		}
	})
	return s
}

// ranOnThenDown checks that the workday stack's containers kept their runs from before
// until when, then takes the stack down and checks that nothing is left.
func (s *scenario) ranOnThenDown(before map[string]orchestrator.ContainerInfo, when string) {
	s.t.Helper()
	s.unchanged(before, when, "infra", "ticker", "web")
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		s.t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
}

// unchanged checks that the named containers kept their container and their run.
func (s *scenario) unchanged(before map[string]orchestrator.ContainerInfo, when string, names ...string) {
	s.t.Helper()
	now := s.containers()
	for _, n := range names {
		b, a := before[n], now[n]
		if a.ID != b.ID || !a.StartedAt.Equal(b.StartedAt) || a.Status != orchestrator.StatusRunning {
			s.t.Errorf("%s: %s changed: %.12s %s %s → %.12s %s %s", when, n, b.ID, b.StartedAt.Format(time.RFC3339Nano), b.Status,
				a.ID, a.StartedAt.Format(time.RFC3339Nano), a.Status)
		}
	}
}

// steady checks, for d, that the named container (every one with "") does not change
// state: a stopped container is not restarted, a running one not stopped.
func (s *scenario) steady(name string, d time.Duration) {
	s.t.Helper()
	first := s.containers()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		for n, c := range s.containers() {
			if (name == "" || n == name) && (c.Status != first[n].Status || !c.StartedAt.Equal(first[n].StartedAt)) {
				s.t.Fatalf("%s went from %s to %s", n, first[n].Status, c.Status)
			}
		}
	}
}

// tmuxSession is a tmux session of the test's own, in which one sidecar command runs; the
// pane ends with EXIT=<status> when it returns.
type tmuxSession struct {
	s    *scenario
	name string
}

func (s *scenario) tmux() *tmuxSession {
	s.t.Helper()
	if out, err := exec.Command("tmux", "-V").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("this end-to-end test needs tmux (%v: %s): install it (apt-get install -y tmux)", err, out)
		if ci := strings.ToLower(os.Getenv("CI")); ci == "true" || ci == "1" {
			s.t.Fatal("CI=true: " + msg)
		}
		s.t.Skip(msg)
	}
	tm := &tmuxSession{s: s, name: "wd-" + s.stack}
	s.t.Cleanup(tm.kill)
	return tm
}

func (tm *tmuxSession) start(args ...string) {
	tm.s.t.Helper()
	script := filepath.Join(tm.s.t.TempDir(), "run.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, kv := range tm.s.env {
		if k, _, _ := strings.Cut(kv, "="); envName.MatchString(k) {
			b.WriteString("export " + shellQuote(kv) + "\n")
		}
	}
	b.WriteString(shellJoin(args) + "\necho EXIT=$?\nsleep 600\n")
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		tm.s.t.Fatal(err)
	}
	cmd := exec.Command("tmux", "new-session", "-d", "-s", tm.name, "-x", "160", "-y", "40", script)
	if out, err := cmd.CombinedOutput(); err != nil {
		tm.s.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
}

func (tm *tmuxSession) kill() { _ = exec.Command("tmux", "kill-session", "-t", tm.name).Run() }

func (tm *tmuxSession) keys(keys ...string) {
	tm.s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", tm.name}, keys...)...).CombinedOutput(); err != nil {
		tm.s.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

// wait waits until the pane satisfies cond, and returns it.
func (tm *tmuxSession) wait(what string, cond func(string) bool) string {
	tm.s.t.Helper()
	var pane string
	tm.s.eventually(what, nil, startDeadline, func() error {
		out, err := exec.Command("tmux", "capture-pane", "-p", "-t", tm.name).Output()
		if err != nil {
			return err
		}
		if pane = string(out); !cond(pane) {
			return fmt.Errorf("the pane:\n%s", pane)
		}
		return nil
	})
	return pane
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// sidecar exec on a terminal ends when its terminal closes, as docker exec does; it used to
// run on forever, its terminal gone, and not even SIGTERM ended it.
func TestExecEndsWithItsTerminal(t *testing.T) {
	t.Parallel()
	s := newDetachedScenario(t)
	if _, errOut, code := s.run("up", "-d", "-f", s.recipe("sidecar.yaml")); code != 0 {
		t.Fatalf("up -d exited %d: %s", code, errOut)
	}
	tm := s.tmux()
	tm.start(s.bin, "exec", "--stack", s.stack, "web", "--", "/crasher", "-forever")
	execs := func() []int { return processesWith("exec", "--stack", s.stack, "web") }
	s.eventually("sidecar exec running", nil, startDeadline, func() error {
		if len(execs()) == 0 {
			return fmt.Errorf("no sidecar exec yet")
		}
		return nil
	})
	tm.kill()
	s.eventually("sidecar exec gone with its terminal", nil, endDeadline, func() error {
		if pids := execs(); len(pids) > 0 {
			return fmt.Errorf("sidecar exec still runs: %v", pids)
		}
		return nil
	})
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
}

// processesWith lists the processes whose command line holds args, in order, as words.
func processesWith(args ...string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), "\x00"+strings.Join(args, "\x00")+"\x00") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// up -d -f -: the recipe comes on the standard input (helm template … | sidecar up -d -f -);
// the supervisor gets a copy next to its log, an up -d -f - of the running stack converges,
// and the copy is gone with the stack.
func TestDetachedRecipeFromStdin(t *testing.T) {
	t.Parallel()
	s := newDetachedScenario(t)
	state := ""
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "XDG_STATE_HOME="); ok {
			state = v
		}
	}
	recipe, err := os.ReadFile(s.recipe("sidecar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	upStdin := func() (string, string, int) {
		var out, errOut strings.Builder
		cmd := exec.Command(s.bin, "up", "-d", "-f", "-")
		cmd.Env, cmd.Dir = s.env, t.TempDir()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(string(recipe)), &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}
	if out, errOut, code := upStdin(); code != 0 || !strings.Contains(out, "is up, in the background") {
		t.Fatalf("up -d -f - exited %d\n%s\n%s", code, out, errOut)
	}
	copyPath := filepath.Join(state, "sidecar", s.stack+".stdin")
	if _, err := os.Stat(copyPath); err != nil {
		t.Errorf("no copy of the recipe for the supervisor: %v", err)
	}
	if out, _, _ := s.run("ps", "--stack", s.stack); !strings.Contains(out, "<stdin>") {
		t.Errorf("ps does not say the stack came from <stdin>:\n%s", out)
	}
	before := s.containers()
	if out, errOut, code := upStdin(); code != 0 || !strings.Contains(out, "is up to date") {
		t.Errorf("a converging up -d -f -: exit %d\n%s\n%s", code, out, errOut)
	}
	s.unchanged(before, "after an unchanged up -d -f -", "infra", "ticker", "web")
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
	s.eventually("the copy removed", nil, startDeadline, func() error {
		if _, err := os.Stat(copyPath); err == nil {
			return fmt.Errorf("%s is still there", copyPath)
		}
		return nil
	})
}

// Three up -d of a fresh stack at the same moment: one starts it, the others wait for it and
// converge it (up to date), every one exit 0; the log is the one supervisor's that runs it.
func TestConcurrentUpDetach(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "workday")
	state := t.TempDir()
	s.env = append(s.env, "XDG_STATE_HOME="+state)
	t.Cleanup(func() {
		if len(s.containers()) > 0 {
			s.run("down", "--stack", s.stack)
		}
	})
	file := s.recipe("sidecar.yaml")
	var ps []*proc
	for range 3 {
		ps = append(ps, s.start("up", "-d", "-f", file))
	}
	started := 0
	for _, p := range ps {
		if code := p.wait(); code != 0 {
			t.Errorf("an up -d of three at once exited %d\n%s", code, p.output())
		}
		if strings.Contains(p.stdout.String(), "is up, in the background") {
			started++
		}
	}
	if started != 1 {
		t.Errorf("%d of the three up -d started the stack, want 1", started)
	}
	log, err := os.ReadFile(filepath.Join(state, "sidecar", s.stack+".log"))
	if err != nil || strings.Contains(string(log), "already running") || strings.Contains(string(log), "\x00") {
		t.Errorf("the supervisor's log (%v):\n%q", err, log)
	}
	s.runExit(0, "down", "--stack", s.stack)
	s.nothingLeft()
}

// down of a stack that up -d runs says each container stopped and the stack done and
// stopped, with no exit code: down ended it, and down exits 0 (it used to say "done (exit
// code N)" of the supervisor's own run).
func TestDetachedDownSaysNoExitCode(t *testing.T) {
	t.Parallel()
	s := newDetachedScenario(t)
	if out, errOut, code := s.run("up", "-d", "-f", s.recipe("sidecar.yaml")); code != 0 {
		t.Fatalf("up -d exited %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code := s.run("down", "--stack", s.stack)
	if code != 0 || !strings.Contains(out, "Stopped stack "+s.stack) {
		t.Fatalf("down exited %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"web    * stopped", "ticker * stopped", "* done\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("down does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "exit code") {
		t.Errorf("down of a running stack names an exit code:\n%s", out)
	}
	s.nothingLeft()
}

// A completed job whose command changed runs again on up -d, as docker compose re-runs a
// changed one-shot: a new container, its new line in the shared volume, the stack up to date
// afterwards; app, which waited for it and runs, is left alone.
func TestConvergeRerunsAChangedJob(t *testing.T) {
	t.Parallel()
	s := detachedScenario(t, "job-converge")
	file := s.recipe("compose.yaml")
	s.runExit(0, "up", "-d", "-f", file)
	s.eventually("migrate completed", nil, startDeadline, func() error {
		if m := s.container("migrate"); m.Status != orchestrator.StatusExited || m.ExitCode != 0 {
			return fmt.Errorf("migrate is %s (exit %d)", m.Status, m.ExitCode)
		}
		return nil
	})
	before := s.containers()
	if out, _ := s.runExit(0, "up", "-d", "-f", file); !strings.Contains(out, "is up to date") {
		t.Errorf("up -d of the same file:\n%s", out)
	}

	s.setEnv("MIGRATION", "v2")
	out, errOut := s.runExit(0, "up", "-d", "-f", file)
	if all := out + errOut; !strings.Contains(all, "apply: re-create pod migrate: the job runs again (replace migrate: command changed)") {
		t.Errorf("up -d of the changed job does not say it runs again:\n%s", all)
	}
	s.eventually("migrate completed again", nil, startDeadline, func() error {
		if m := s.container("migrate"); m.ID == before["migrate"].ID || m.Status != orchestrator.StatusExited || m.ExitCode != 0 {
			return fmt.Errorf("migrate is %.12s, %s (exit %d), was %.12s", m.ID, m.Status, m.ExitCode, before["migrate"].ID)
		}
		return nil
	})
	if got := strings.Fields(s.exec("app", "/peek", "-cat", "/data/migrations")); !slices.Equal(got, []string{"migration", "v1", "migration", "v2"}) {
		t.Errorf("the migrations run: %q, want v1 then v2", got)
	}
	s.unchanged(before, "after the job ran again", "app")
	if out, _ := s.runExit(0, "up", "-d", "-f", file); !strings.Contains(out, "is up to date") {
		t.Errorf("up -d after the job ran again:\n%s", out)
	}
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
}
