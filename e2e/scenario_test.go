package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/internal/modroot"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// Deadlines are generous: the engine is shared with other tests and the machine is small.
const (
	startDeadline = 2 * time.Minute // a stack to come up
	endDeadline   = 2 * time.Minute // a command to finish
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// binary is the sidecar binary under test, built once per test process.
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

func sidecarBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		root, err := modroot.Find()
		if err != nil {
			binary.err = err
			return
		}
		if binary.dir, err = os.MkdirTemp("", "sidecar-e2e-bin-"); err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(binary.dir, "sidecar")
		cmd := exec.Command("go", "build", "-o", binary.path, "./cmd/sidecar")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/sidecar: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// scenario is one end-to-end scenario: its recipe folder, a stack name of its own, the
// engine, and the environment the sidecar binary runs with.
type scenario struct {
	t      *testing.T
	d      *runtime.Docker
	dir    string // testdata/e2e/<name>
	stack  string
	port   int // a free host port, ${SIDECAR_TEST_PORT}
	image  string
	env    []string
	bin    string
	ctx    context.Context
	filter map[string]string
}

// newScenario prepares scenario name: it connects to the engine (skipping without one,
// failing under CI=true), builds the test image and the binary, and registers the check that
// nothing of the stack is left when the test ends.
func newScenario(t *testing.T, name string) *scenario {
	t.Helper()
	return newScenarioOn(t, name, nil)
}

// newScenarioOn is newScenario on a daemon of the test's own (nil: the machine's engine):
// the engine checks, the test image and DOCKER_HOST are that daemon's.
func newScenarioOn(t *testing.T, name string, daemon *testenv.Daemon) *scenario {
	t.Helper()
	d := testenv.Engine(t)
	if daemon != nil {
		d = daemon.Connect(t)
	}
	s := &scenario{t: t, d: d, stack: testenv.UniqueName(t, "e2e"), ctx: testenv.Context(t, 10*time.Minute)}
	s.filter = orchestrator.StackFilter(s.stack)
	if daemon == nil {
		testenv.CheckNoLeaks(t, s.filter) // first: its cleanup runs after every other
	}
	root, err := modroot.Find()
	if err != nil {
		t.Fatal(err)
	}
	s.dir = filepath.Join(root, "testdata", "e2e", name)
	if _, err := os.Stat(s.dir); err != nil {
		t.Fatalf("scenario folder: %v", err)
	}
	if daemon == nil {
		s.image = testenv.AppsImage(t)
	} else {
		s.image = testenv.AppsImageOn(t, d)
	}
	s.bin = sidecarBinary(t)
	s.port = testenv.FreePort(t)
	// Control sockets in a directory of the scenario's own: a short path (unix sockets are
	// limited to about 100 bytes) that no other run shares.
	xdg, err := os.MkdirTemp("", "sce")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(xdg) })
	s.env = append(os.Environ(),
		"SIDECAR_TEST_IMAGE="+s.image,
		"SIDECAR_TEST_STACK="+s.stack,
		"SIDECAR_TEST_PORT="+strconv.Itoa(s.port),
		"XDG_RUNTIME_DIR="+xdg,
		"NO_COLOR=1",
	)
	if daemon != nil {
		s.env = append(s.env, "DOCKER_HOST="+daemon.Host)
	}
	return s
}

// recipe is the path of a file of the scenario's folder.
func (s *scenario) recipe(name string) string { return filepath.Join(s.dir, name) }

// manifest copies the scenario's Kubernetes manifest name into a directory named like the
// stack (a manifest's stack is named after its directory) and returns the copy's path. A
// manifest has no variables: the copy has ${SIDECAR_TEST_IMAGE} replaced by the test image,
// and each further old, new pair of vars replaced likewise.
func (s *scenario) manifest(name string, vars ...string) string {
	s.t.Helper()
	b, err := os.ReadFile(s.recipe(name))
	if err != nil {
		s.t.Fatal(err)
	}
	dir := filepath.Join(s.t.TempDir(), s.stack)
	if err := os.Mkdir(dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	text := strings.NewReplacer(append([]string{"${SIDECAR_TEST_IMAGE}", s.image}, vars...)...).Replace(string(b))
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return file
}

// proc is a sidecar process the scenario started.
type proc struct {
	t      *testing.T
	args   []string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
	code   int
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs `sidecar args...` in the background. If it still runs when the test ends, it is
// killed and the stack torn down.
func (s *scenario) start(args ...string) *proc {
	s.t.Helper()
	p := &proc{t: s.t, args: args, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(s.bin, args...)
	p.cmd.Env = s.env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.code = 128 + int(ws.Signal())
			}
		default:
			p.code = -1
		}
	}()
	s.t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		s.t.Errorf("sidecar %s still ran at the end of the test: killing it\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.stdout, p.stderr)
		_ = p.cmd.Process.Kill()
		<-p.done
		s.run("down", "--stack", s.stack)
	})
	return p
}

// up starts `sidecar up -f sidecar.yaml` of the scenario's folder in the background (see
// start) and waits, as eventually does, until cond (what) holds.
func (s *scenario) up(what string, cond func() error) *proc {
	s.t.Helper()
	p := s.start("up", "-f", s.recipe("sidecar.yaml"))
	s.eventually(what, p, startDeadline, cond)
	return p
}

// setFreePorts sets each variable to a port free on the host now (a recipe's ${PORT}).
func (s *scenario) setFreePorts(keys ...string) {
	for _, k := range keys {
		s.setEnv(k, strconv.Itoa(testenv.FreePort(s.t)))
	}
}

// upJSON is up of the scenario's file (sidecar.yaml, compose.yaml…) with --output json, once
// its containers run.
func (s *scenario) upJSON(file string, containers ...string) *proc {
	s.t.Helper()
	p := s.start("up", "-f", s.recipe(file), "--output", "json")
	s.eventually(strings.Join(containers, ", ")+" running", p, startDeadline, s.running(containers...))
	return p
}

// wait waits for the process to end and returns its exit status.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(endDeadline):
		p.t.Fatalf("sidecar %s did not end within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.args, " "), endDeadline, p.stdout, p.stderr)
		return -1
	}
}

func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// tearDown sends sig (SIGINT as Ctrl-C does, or SIGTERM) and checks that the process then
// exits 130, as up does once it has torn the stack down.
func (p *proc) tearDown(sig syscall.Signal) {
	p.t.Helper()
	p.signal(sig)
	if code := p.wait(); code != 130 {
		p.t.Errorf("sidecar %s exited %d after %v, want 130\n%s", strings.Join(p.args, " "), code, sig, p.output())
	}
}

func (p *proc) output() string {
	return fmt.Sprintf("stdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
}

// run runs `sidecar args...` to its end.
func (s *scenario) run(args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	p := s.start(args...)
	code = p.wait()
	return p.stdout.String(), p.stderr.String(), code
}

// runExit runs `sidecar args...` to its end and fails the test unless it exits with code.
func (s *scenario) runExit(code int, args ...string) (stdout, stderr string) {
	s.t.Helper()
	stdout, stderr, got := s.run(args...)
	if got != code {
		s.t.Fatalf("sidecar %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, stdout, stderr)
	}
	return stdout, stderr
}

// eventually waits until cond returns nil, failing the test with its last error at the
// deadline; while waiting it fails at once if p (when given) ended.
func (s *scenario) eventually(what string, p *proc, timeout time.Duration, cond func() error) {
	s.t.Helper()
	err := testenv.Poll(timeout, 50*time.Millisecond, func() error {
		s.t.Helper()
		err := cond()
		if err != nil && p != nil {
			select {
			case <-p.done:
				s.t.Fatalf("%s: sidecar %s ended (exit %d) first: %v\n%s", what, strings.Join(p.args, " "), p.code, err, p.output())
			default:
			}
		}
		return err
	})
	if err != nil {
		msg := ""
		if p != nil {
			msg = p.output()
		}
		s.t.Fatalf("%s: not within %s: %v\n%s", what, timeout, err, msg)
	}
}

// containers lists the stack's containers on the engine, by container name (its container label;
// "pod/name" when pod is given for several pods).
func (s *scenario) containers() map[string]orchestrator.ContainerInfo {
	s.t.Helper()
	infos, err := s.d.ListContainers(s.ctx, s.filter)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]orchestrator.ContainerInfo{}
	for _, info := range infos {
		l, _ := orchestrator.DecodeLabels(info.Labels)
		out[l.Container] = info
	}
	return out
}

// container returns the stack's container called name, which must exist.
func (s *scenario) container(name string) orchestrator.ContainerInfo {
	s.t.Helper()
	c, ok := s.containers()[name]
	if !ok {
		s.t.Fatalf("no container %s in stack %s", name, s.stack)
	}
	return c
}

// running is a condition: the named containers exist and run.
func (s *scenario) running(names ...string) func() error {
	return func() error {
		cs := s.containers()
		for _, n := range names {
			c, ok := cs[n]
			if !ok {
				return fmt.Errorf("%s does not exist yet", n)
			}
			if c.Status != orchestrator.StatusRunning {
				return fmt.Errorf("%s is %s", n, c.Status)
			}
		}
		return nil
	}
}

// nothingLeft checks that the engine holds nothing of the stack.
func (s *scenario) nothingLeft() {
	s.t.Helper()
	objs, err := testenv.Objects(s.ctx, s.d, s.filter)
	if err != nil {
		s.t.Fatal(err)
	}
	if len(objs) > 0 {
		s.t.Errorf("left behind: %v", objs)
	}
}

// get fetches http://127.0.0.1:<port>/path.
func (s *scenario) get(path string) (string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d%s", s.port, path))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return string(b), nil
}

// answers is a condition: GET / through the published port answers with want in the body.
func (s *scenario) answers(want string) func() error {
	return func() error {
		body, err := s.get("/")
		if err != nil {
			return err
		}
		if !strings.Contains(body, want) {
			return fmt.Errorf("GET / answered %q, want %q in it", body, want)
		}
		return nil
	}
}

// events decodes `up --output json` output.
func events(t *testing.T, out string) []orchestrator.Event {
	t.Helper()
	var evs []orchestrator.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		ev, err := orchestrator.DecodeEvent([]byte(line))
		if err != nil {
			t.Fatalf("not an event: %v\n%s", err, line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// psJSON runs `sidecar ps -o json --stack` and decodes it.
func (s *scenario) psJSON() psDoc {
	s.t.Helper()
	out, errOut, code := s.run("ps", "-o", "json", "--stack", s.stack)
	if code != 0 {
		s.t.Fatalf("ps exited %d\n%s", code, errOut)
	}
	var doc psDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		s.t.Fatalf("ps -o json: %v\n%s", err, out)
	}
	return doc
}

type psDoc struct {
	Stacks []struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		PID    int    `json:"pid"`
		Phase  string `json:"phase"`
		Pods   []struct {
			Name       string   `json:"name"`
			Ports      []string `json:"ports"`
			Containers []struct {
				Name     string `json:"name"`
				Role     string `json:"role"`
				State    string `json:"state"`
				Health   string `json:"health"`
				Restarts *int   `json:"restarts"`
			} `json:"containers"`
		} `json:"pods"`
	} `json:"stacks"`
}
