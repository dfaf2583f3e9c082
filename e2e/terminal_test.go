package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
)

// These scenarios run up as a user's shell would, without a terminal or losing it: stdout on
// /dev/null, stdin on /dev/null (nohup), a pipe whose reader ends, the terminal window of
// `sidecar up --plain | cat` closed (SIGHUP to the whole pipeline). Each time the stack runs,
// is torn down, and nothing is left (docs/guarantees.md).

// tmux is a tmux server of the test's own (its own socket): the test's panes are pseudo
// terminals that the test closes as a user closes a window.
type tmux struct {
	t    *testing.T
	sock string
}

func newTmux(t *testing.T) *tmux {
	t.Helper()
	if out, err := exec.Command("tmux", "-V").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("this end-to-end test needs tmux (%v: %s): install it (apt-get install -y tmux)", err, bytes.TrimSpace(out))
		if testenv.InCI() {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	m := &tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	t.Cleanup(func() { _ = m.cmd("kill-server").Run() })
	return m
}

func (m *tmux) cmd(args ...string) *exec.Cmd {
	return exec.Command("tmux", append([]string{"-S", m.sock}, args...)...)
}

func (m *tmux) run(args ...string) string {
	m.t.Helper()
	out, err := m.cmd(args...).CombinedOutput()
	if err != nil {
		m.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs script (sh) in a new 120×30 window of session name.
func (m *tmux) start(name, script string) {
	m.t.Helper()
	m.run("new-session", "-d", "-s", name, "-x", "120", "-y", "30", "sh", script)
}

func (m *tmux) screen(name string) string {
	out, _ := m.cmd("capture-pane", "-p", "-t", name).Output()
	return string(out)
}

// script writes a shell script that runs line with the scenario's environment.
func (s *scenario) script(line string) string {
	s.t.Helper()
	var b strings.Builder
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SIDECAR_") || k == "XDG_RUNTIME_DIR" || k == "NO_COLOR" || k == "DOCKER_HOST" || k == "PATH" || k == "HOME" {
			fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
		}
	}
	b.WriteString(line + "\n")
	path := filepath.Join(s.t.TempDir(), "run.sh")
	if err := os.WriteFile(path, []byte(b.String()), 0o755); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// upInTmux runs the terminal scenario's up in a tmux window, by the shell line that format
// makes of the sidecar binary, the recipe and a file of the test's own (for the line to
// write to), and waits for the stack to run. It returns the scenario, the tmux server, the
// file's path and up's pid.
func upInTmux(t *testing.T, format string) (s *scenario, m *tmux, file string, pid int) {
	t.Helper()
	s = newScenario(t, "terminal")
	m = newTmux(t)
	file = filepath.Join(t.TempDir(), "out")
	m.start("up", s.script(fmt.Sprintf(format, s.bin, s.recipe("sidecar.yaml"), file)))
	return s, m, file, s.runningUp()
}

// runningUp waits for the terminal scenario's stack to run and returns the pid of its up (not
// a child of the test: tmux runs it), killed and its stack removed if it outlives the test.
func (s *scenario) runningUp() int {
	s.t.Helper()
	s.eventually("the stack running", nil, startDeadline, s.running("web", "helper"))
	pid := s.livePID()
	s.t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); s.run("down", "--stack", s.stack) })
	return pid
}

// livePID is the pid of the up that runs the stack, from `sidecar ps`.
func (s *scenario) livePID() int {
	s.t.Helper()
	for _, st := range s.psJSON().Stacks {
		if st.Name == s.stack && st.Source == "live" {
			return st.PID
		}
	}
	s.t.Fatalf("no live up of stack %s in sidecar ps", s.stack)
	return 0
}

// gone is a condition: process pid has ended and the engine holds nothing of the stack.
func (s *scenario) gone(pid int) func() error {
	return func() error {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("sidecar up (pid %d) still runs", pid)
		}
		if cs := s.containers(); len(cs) > 0 {
			var names []string
			for n, c := range cs {
				names = append(names, n+" "+c.Status.String())
			}
			return fmt.Errorf("the stack's containers are still there: %s", strings.Join(names, ", "))
		}
		return nil
	}
}

// Closing the terminal window of `sidecar up --plain | cat` sends SIGHUP to both: up tears
// the stack down as for SIGTERM (it used to die at once, exit 129, leaving the stack running)
// although its stdout reader is gone too.
func TestHangupOfAPipedUpTearsDown(t *testing.T) {
	t.Parallel()
	s, m, errLog, pid := upInTmux(t, "%s up --plain -f %s 2>%s | cat")

	m.run("kill-session", "-t", "up") // the window closes: SIGHUP to the pane's processes
	s.eventually("up gone and the stack torn down", nil, endDeadline, s.gone(pid))
	if b, _ := os.ReadFile(errLog); !strings.Contains(string(b), "stopping") {
		t.Errorf("up did not say it was stopping:\n%s", b)
	}
	s.nothingLeft()
}

// `nohup sidecar up &` outlives its terminal: the hang-up stays ignored, as nohup asked, so
// the stack runs on — a restart through it still works after the window closed — until
// SIGTERM tears it down. It used to take the hang-up for an interrupt (exit 130).
func TestNohupUpOutlivesItsTerminal(t *testing.T) {
	t.Parallel()
	s, m, out, pid := upInTmux(t, "nohup %s up -f %s >%s 2>&1 & wait")

	m.run("kill-session", "-t", "up") // the window closes: SIGHUP to the pane's processes
	if _, errOut, code := s.run("restart", "--stack", s.stack, "web"); code != 0 {
		b, _ := os.ReadFile(out)
		t.Fatalf("restart after the hang-up exited %d: %s\nup's output:\n%s", code, errOut, b)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("up (pid %d) ended with its terminal: %v", pid, err)
	}
	if err := s.running("web", "helper")(); err != nil {
		t.Fatalf("after the hang-up: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.eventually("up gone and the stack torn down", nil, endDeadline, s.gone(pid))
	s.nothingLeft()
}

// stdout on /dev/null (a script, nohup): up runs in plain mode, is not fooled by a character
// device, and SIGTERM tears down (exit 130). It used to take /dev/null for a terminal, start
// the interactive view and fail in milliseconds.
func TestUpWithoutATerminalRunsPlain(t *testing.T) {
	t.Parallel()
	t.Run("stdout /dev/null", func(t *testing.T) {
		t.Parallel()
		s := newScenario(t, "terminal")
		devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer devnull.Close()
		var stderr lockedBuffer
		cmd := exec.Command(s.bin, "up", "-f", s.recipe("sidecar.yaml"))
		cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = s.env, devnull, devnull, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-done
			s.run("down", "--stack", s.stack)
		})
		s.eventually("the stack running", nil, startDeadline, func() error {
			select {
			case err := <-done:
				done <- err
				return fmt.Errorf("up ended (%v) first:\n%s", err, stderr.String())
			default:
			}
			return s.running("web", "helper")()
		})
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		var code int
		select {
		case err := <-done:
			done <- err
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
		case <-time.After(endDeadline):
			t.Fatalf("up did not end after SIGTERM:\n%s", stderr.String())
		}
		if code != 130 {
			t.Errorf("up exited %d after SIGTERM, want 130\n%s", code, stderr.String())
		}
		s.nothingLeft()
	})

	// stdin on /dev/null, stdout the terminal (`sidecar up </dev/null`, what nohup does to
	// stdin): no keyboard, so no interactive view; plain lines on the terminal.
	t.Run("stdin /dev/null", func(t *testing.T) {
		t.Parallel()
		s, m, exit, pid := upInTmux(t, "%s up -f %s </dev/null; echo $? >%s; sleep 600")
		s.eventually("plain lines on the terminal", nil, startDeadline, func() error {
			if sc := m.screen("up"); !strings.Contains(squash(sc), "helper | helper up") {
				return fmt.Errorf("the screen:\n%s", sc)
			}
			return nil
		})
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		s.eventually("up gone and the stack torn down", nil, endDeadline, s.gone(pid))
		if b, _ := os.ReadFile(exit); strings.TrimSpace(string(b)) != "130" {
			t.Errorf("up exited %q after SIGTERM, want 130\n%s", b, m.screen("up"))
		}
		s.nothingLeft()
	})
}

// `sidecar up --output json | head -1`: the reader takes one line and goes; up's next write
// fails (EPIPE, not a SIGPIPE that kills it), and it tears the stack down as for an interrupt.
func TestUpIntoAClosedPipe(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "terminal")
	m := newTmux(t)
	dir := t.TempDir()
	errLog, pidFile := filepath.Join(dir, "stderr"), filepath.Join(dir, "pid")
	// head leaves after one line; up's next writes fail. The window stays open.
	up := fmt.Sprintf("echo $$ >%s; exec %s up --output json -f %s 2>%s", pidFile, s.bin, s.recipe("sidecar.yaml"), errLog)
	m.start("up", s.script(fmt.Sprintf("sh -c '%s' | head -1 >/dev/null; sleep 600", up)))
	var pid int
	s.eventually("up started", nil, startDeadline, func() error {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return err
		}
		_, err = fmt.Sscan(string(b), &pid)
		return err
	})
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); s.run("down", "--stack", s.stack) })
	s.eventually("up gone and the stack torn down", nil, endDeadline, s.gone(pid))
	if b, _ := os.ReadFile(errLog); !strings.Contains(string(b), "stopping the stack") {
		t.Errorf("up did not say why it stopped:\n%s", b)
	}
	s.nothingLeft()
}
