package runtime_test

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/runtime/infra"
)

func lookPath(name string) (string, error) { return exec.LookPath(name) }

// env is one end-to-end test's engine, labels and context.
type env struct {
	t      *testing.T
	d      *runtime.Docker
	labels map[string]string
	ctx    context.Context
}

// newEnv runs the test in parallel with the others, connects, registers the leak check first
// (so it runs last) and returns the test's environment.
func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	d := testenv.Engine(t)
	labels := testenv.Labels(t)
	testenv.CheckNoLeaks(t, labels)
	return &env{t: t, d: d, labels: labels, ctx: testenv.Context(t, 3*time.Minute)}
}

// create creates a container and registers its removal.
func (e *env) create(spec orchestrator.ContainerSpec) string {
	e.t.Helper()
	if spec.Name == "" {
		spec.Name = testenv.UniqueName(e.t, "sct")
	}
	if spec.Labels == nil {
		spec.Labels = e.labels
	}
	id, err := e.d.CreateContainer(e.ctx, spec)
	if err != nil {
		e.t.Fatalf("create %s: %v", spec.Name, err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := e.d.RemoveContainer(ctx, id); err != nil {
			e.t.Errorf("remove %s: %v", spec.Name, err)
		}
	})
	return id
}

// run creates and starts a container.
func (e *env) run(spec orchestrator.ContainerSpec) string {
	e.t.Helper()
	id := e.create(spec)
	if err := e.d.StartContainer(e.ctx, id); err != nil {
		e.t.Fatalf("start %s: %v", spec.Name, err)
	}
	return id
}

// infra starts an infra container from the tool's own image.
func (e *env) infra(ports ...int) string {
	e.t.Helper()
	img, err := e.d.InfraImage(e.ctx)
	if err != nil {
		e.t.Fatalf("infra image: %v", err)
	}
	id := e.run(orchestrator.ContainerSpec{Image: img, Labels: testenv.WithLabels(e.labels, orchestrator.Labels{Role: recipes.RoleInfra})})
	e.waitPauseReady(id)
	return id
}

// app starts a test program joined to the infra container's namespaces.
func (e *env) app(infraID string, cmd ...string) string {
	e.t.Helper()
	return e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(e.t), Cmd: cmd, NamespaceOwner: infraID})
}

// waitRunning waits until the container runs.
func (e *env) waitRunning(id string) {
	e.t.Helper()
	e.waitStatus(id, orchestrator.StatusRunning, 30*time.Second)
}

// waitPauseReady waits until the infra container's helper says on stdout that SIGTERM is its
// own (infra.PauseReady): from then on a stop ends it with status 0. /proc cannot tell this:
// the Go runtime catches every signal (SigCgt) before the helper's signal.Notify, and a
// SIGTERM in between ends the helper with status 2.
func (e *env) waitPauseReady(id string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	ready := false
	err := e.d.Logs(ctx, id, orchestrator.LogOptions{Follow: true, Tail: -1}, func(l orchestrator.LogLine) {
		if l.Stream == orchestrator.Stdout && l.Text == infra.PauseReady {
			ready = true
			cancel()
		}
	})
	if !ready {
		e.t.Fatalf("infra container %s never wrote %q: %v", id, infra.PauseReady, err)
	}
}

// waitExited waits until the container has exited.
func (e *env) waitExited(id string) {
	e.t.Helper()
	e.waitStatus(id, orchestrator.StatusExited, time.Minute)
}

func (e *env) waitStatus(id string, want orchestrator.Status, timeout time.Duration) {
	e.t.Helper()
	testenv.Eventually(e.t, timeout, func() error {
		info, err := e.d.InspectContainer(e.ctx, id)
		if err != nil {
			return err
		}
		if info.Status != want {
			return fmt.Errorf("status %s", info.Status)
		}
		return nil
	})
}

// volume creates a volume with the test's labels, named uniquely, and registers its removal
// (cleanups run last-registered first: containers e.create registers later are removed
// before it).
func (e *env) volume() string {
	e.t.Helper()
	vol := testenv.UniqueName(e.t, "sct-vol")
	if err := e.d.CreateVolume(e.ctx, vol, e.labels); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if err := e.d.RemoveVolume(context.Background(), vol); err != nil {
			e.t.Errorf("remove volume %s: %v", vol, err)
		}
	})
	return vol
}

// attachAndStart attaches to the created container's output, closing the stream when the
// test ends, and then starts it.
func (e *env) attachAndStart(id string) orchestrator.LogStream {
	e.t.Helper()
	st, err := e.d.AttachLogs(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	if err := e.d.StartContainer(e.ctx, id); err != nil {
		e.t.Fatal(err)
	}
	return st
}

// lines collects log lines safely.
type lines struct {
	mu  sync.Mutex
	all []orchestrator.LogLine
}

func (l *lines) add(line orchestrator.LogLine) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, line)
}

func (l *lines) texts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	texts := make([]string, len(l.all))
	for i, x := range l.all {
		texts[i] = x.Text
	}
	return texts
}

func (l *lines) find(text string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.all {
		if strings.Contains(x.Text, text) {
			return true
		}
	}
	return false
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, x := range l.all {
		fmt.Fprintf(&b, "%s %s\n", x.Stream, x.Text)
	}
	return b.String()
}

func clientStatPath(p string) client.ContainerStatPathOptions {
	return client.ContainerStatPathOptions{Path: p}
}

func contextWithCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}

// derivedImage builds an image FROM the test programs' image with the given Dockerfile lines
// and files (path in the build context → content), tagged uniquely for this test, and removes
// it when the test ends.
func (e *env) derivedImage(lines []string, files map[string]string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	dockerfile := "FROM " + testenv.AppsImage(e.t) + "\n" + strings.Join(lines, "\n") + "\n"
	files = maps.Clone(files)
	if files == nil {
		files = map[string]string{}
	}
	files["Dockerfile"] = dockerfile
	for name, content := range files {
		testenv.WriteFile(e.t, filepath.Join(dir, filepath.FromSlash(name)), content, 0o644)
	}
	ref := "sidecar-test/derived:" + strings.TrimPrefix(testenv.UniqueName(e.t, "x"), "x-")
	if err := e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: ref, Context: dir,
		Labels: testenv.With(nil, testenv.OwnerLabel, testenv.Owner(e.labels))}, nil); err != nil {
		e.t.Fatalf("build %s: %v", ref, err)
	}
	testenv.RemoveImage(e.t, e.d, ref)
	return ref
}
