package runtime_test

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/runtime/infra"
)

// TestInfraImage creates the infra image from nothing — under a tag and tool version unique
// to this test, so that the image content is new to the engine — with two clients racing,
// then checks that a third call reuses it, and that a container of it behaves as PID 1.
func TestInfraImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	opts := runtime.ConnectOptions{
		InfraRepository: testenv.UniqueName(t, "sidecar-test-infra"),
		ToolVersion:     testenv.UniqueName(t, "test"),
	}
	a, b := testenv.Connect(t, opts), testenv.Connect(t, opts)

	var wg sync.WaitGroup
	refs, errs := make([]string, 2), make([]error, 2)
	for i, d := range []*runtime.Docker{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refs[i], errs[i] = d.InfraImage(e.ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("racing InfraImage: %v / %v", errs[0], errs[1])
	}
	ref := refs[0]
	t.Cleanup(func() {
		if _, err := e.d.Client().ImageRemove(e.ctx, ref, client.ImageRemoveOptions{}); err != nil {
			t.Errorf("remove %s: %v", ref, err)
		}
	})
	if refs[1] != ref || !strings.HasPrefix(ref, opts.InfraRepository+":") || len(ref) != len(opts.InfraRepository)+1+12 {
		t.Fatalf("refs %q and %q, want the same %s:<12 hex digits>", refs[0], refs[1], opts.InfraRepository)
	}

	img, err := e.d.Client().ImageInspect(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := infra.LoadManifest()
	art, _ := m.Artifact(e.d.Arch())
	labels, err := orchestrator.DecodeLabels(img.Config.Labels)
	if err != nil || labels.InfraHelper != art.BinarySHA256 || labels.Version != opts.ToolVersion || labels.Role != recipes.RoleInfra ||
		labels.InfraVolumeDirs != orchestrator.InfraVolumeDirs {
		t.Errorf("infra image labels %v (%v)", img.Config.Labels, err)
	}
	if img.Architecture != e.d.Arch() || img.Os != "linux" || strings.Join(img.Config.Entrypoint, " ") != infra.HelperPath {
		t.Errorf("infra image: %s/%s entrypoint %v", img.Os, img.Architecture, img.Config.Entrypoint)
	}

	again, err := a.InfraImage(e.ctx)
	if err != nil || again != ref {
		t.Fatalf("third InfraImage: %q, %v", again, err)
	}
	img2, err := e.d.Client().ImageInspect(e.ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if img2.ID != img.ID || !img2.Metadata.LastTagTime.Equal(img.Metadata.LastTagTime) {
		t.Errorf("the image was loaded again instead of reused (ID %s → %s, tagged %v → %v)", img.ID, img2.ID, img.Metadata.LastTagTime, img2.Metadata.LastTagTime)
	}

	// Its container is a pause process that ends at once, cleanly, on SIGTERM.
	id := e.run(orchestrator.ContainerSpec{Image: ref})
	e.waitRunning(id)
	e.waitCatches(id, syscall.SIGTERM)
	res, err := e.d.StopContainer(e.ctx, id, 30*time.Second)
	if err != nil || res.Killed || res.ExitCode != 0 {
		t.Errorf("stop of the infra container: %+v, %v; want exit 0 without SIGKILL", res, err)
	}
}

// TestSharedNamespaces joins a member to the infra container's PID and IPC namespaces (the
// IPC join fails at start unless the infra container's IPC is shareable). With a shared PID
// namespace the infra helper is the pod's PID 1: when it exits the kernel kills every other
// process of the namespace, which is what this test observes.
func TestSharedNamespaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	infraID := e.infra()
	member := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/crasher", "-forever", "-ignore-sigterm"},
		NamespaceOwner: infraID, SharePID: true, ShareIPC: true})
	e.waitRunning(member)
	if res, err := e.d.StopContainer(e.ctx, infraID, 10*time.Second); err != nil || res.Killed || res.ExitCode != 0 {
		t.Fatalf("stop the infra container: %+v, %v", res, err)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		info, err := e.d.InspectContainer(e.ctx, member)
		if err != nil {
			return err
		}
		if info.Status != orchestrator.StatusExited || info.ExitCode != 137 {
			return fmt.Errorf("member is %s (exit %d), want exited 137: killed with its PID namespace", info.Status, info.ExitCode)
		}
		return nil
	})
}
