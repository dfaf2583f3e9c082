// Package testenv helps end-to-end tests that run against the real Docker Engine: it connects
// (failing under CI=true, skipping with a reason otherwise), builds the image of the project's
// test programs once, names test objects uniquely, and checks that a test leaves nothing behind.
//
// Tests on the same engine run in parallel with other engineers' tests: every object a test
// creates carries Labels(t) (or at least its OwnerLabel), and cleanup only ever touches
// objects with the test's own owner value.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// OwnerLabel marks every engine object a test creates with that test's unique owner value.
// Objects that play "someone else's" (no stack label) carry it too, so that the
// leak check finds them.
const OwnerLabel = "dev.sidecar-test.owner"

// InCI reports whether the tests run in CI (CI=true), where a missing engine is a failure.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// Connect connects with opts; an unreachable engine fails the test under CI=true and skips
// it, saying why, otherwise.
func Connect(t testing.TB, opts runtime.ConnectOptions) *runtime.Docker {
	t.Helper()
	if opts.ToolVersion == "" {
		opts.ToolVersion = "test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := runtime.Connect(ctx, opts)
	if err != nil {
		if InCI() {
			t.Fatalf("CI=true and the Docker engine is unreachable: %v", err)
		}
		t.Skipf("skipping: this end-to-end test needs a Docker engine (%v); with CI=true this is a failure", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// RemoveImage removes image ref, which the test made on d, when the test ends: forced, with
// the untagged parents only it used. One already gone is fine; any other failure to remove
// it fails the test.
func RemoveImage(t testing.TB, d *runtime.Docker, ref string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := d.Client().ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove image %s: %v", ref, err)
		}
	})
}

// Engine connects to the engine named by the environment (DOCKER_HOST, the Docker context,
// or the local socket).
func Engine(t testing.TB) *runtime.Docker {
	t.Helper()
	return Connect(t, runtime.ConnectOptions{})
}

// UniqueName returns prefix-<8 random hex digits>: a valid, unique container, network,
// volume or stack name.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Labels returns labels unique to this test: OwnerLabel and sidecar's stack label, both set
// to a fresh unique name. Put them (plus any others) on everything the test creates and pass
// them to CheckNoLeaks.
func Labels(t testing.TB) map[string]string {
	t.Helper()
	id := UniqueName(t, "sct")
	return WithLabels(map[string]string{OwnerLabel: id}, orchestrator.Labels{Stack: id})
}

// With returns a copy of labels with extra pairs added.
func With(labels map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(labels)+len(kv)/2)
	for k, v := range labels {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// WithLabels returns a copy of labels with sidecar's labels l added (they replace any that
// are set in labels).
func WithLabels(labels map[string]string, l orchestrator.Labels) map[string]string {
	out := With(labels)
	for k, v := range l.Encode() {
		out[k] = v
	}
	return out
}

// FreePort returns a TCP port of the loopback interface that nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WriteFile writes content to path with mode, creating its missing parent directories.
func WriteFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// Context returns a context for one test, cancelled when the test ends, with a deadline.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Eventually waits until cond returns nil, checking every 20ms, and fails the test with cond's
// last error if that has not happened within timeout.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := Poll(timeout, 20*time.Millisecond, cond); err != nil {
		t.Fatalf("condition not met within %s: %v", timeout, err)
	}
}

// Poll calls cond every interval until it returns nil, and then returns nil; once timeout has
// passed it returns cond's last error.
func Poll(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		<-tick.C
	}
}
