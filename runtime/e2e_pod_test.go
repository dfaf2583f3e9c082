package runtime_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/runtime/infra"
)

func httpProbe(port int, path string) recipes.Probe {
	return recipes.Probe{HTTP: &recipes.HTTPProbe{Port: port, Path: path}, Timeout: recipes.Duration(2 * time.Second)}
}

// TestPodProbes runs an infra container and an HTTP server joined to its namespace, and
// probes the server from inside the pod through the infra helper.
func TestPodProbes(t *testing.T) {
	e := newEnv(t)
	infraID := e.infra()
	web := e.app(infraID, "/httpserver", "-listen", ":8080", "-name", "web")
	slow := e.app(infraID, "/httpserver", "-listen", ":8081", "-ready-after", "1h")

	testenv.Eventually(t, 30*time.Second, func() error {
		return e.d.Probe(e.ctx, infraID, web, httpProbe(8080, "/healthz"))
	})
	if err := e.d.Probe(e.ctx, infraID, web, recipes.Probe{TCP: &recipes.TCPProbe{Port: 8080}, Timeout: recipes.Duration(time.Second)}); err != nil {
		t.Errorf("tcp probe of a listening port: %v", err)
	}

	err := e.d.Probe(e.ctx, infraID, web, recipes.Probe{TCP: &recipes.TCPProbe{Port: 9}, Timeout: recipes.Duration(time.Second)})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("tcp probe of a closed port: got %v, want a refusal", err)
	}
	err = e.d.Probe(e.ctx, infraID, web, httpProbe(9, "/"))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("http probe of a closed port: got %v, want a refusal", err)
	}
	testenv.Eventually(t, 30*time.Second, func() error { // once it listens, it answers 503
		err := e.d.Probe(e.ctx, infraID, slow, httpProbe(8081, "/healthz"))
		if err == nil || !strings.Contains(err.Error(), "status 503 Service Unavailable: not ready") {
			return fmt.Errorf("http probe of a server not yet ready: got %v, want status 503", err)
		}
		return nil
	})
	err = e.d.Probe(e.ctx, infraID, web, httpProbe(8080, "/no-such-page"))
	if err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("http probe of a missing page: got %v, want status 404", err)
	}

	// exec probes run in the app container itself.
	pass := recipes.Probe{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-exit-code", "0"}}, Timeout: recipes.Duration(5 * time.Second)}
	if err := e.d.Probe(e.ctx, infraID, web, pass); err != nil {
		t.Errorf("exec probe exiting 0: %v", err)
	}
	fail := recipes.Probe{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-exit-code", "3", "-message", "not yet"}}, Timeout: recipes.Duration(5 * time.Second)}
	if err := e.d.Probe(e.ctx, infraID, web, fail); err == nil || !strings.Contains(err.Error(), "exited 3") || !strings.Contains(err.Error(), "not yet") {
		t.Errorf("exec probe exiting 3: got %v", err)
	}
	missing := recipes.Probe{Exec: &recipes.ExecProbe{Command: []string{"curl", "-f", "localhost:8080"}}, Timeout: recipes.Duration(5 * time.Second)}
	if err := e.d.Probe(e.ctx, infraID, web, missing); err == nil || !strings.Contains(err.Error(), `"curl" is not in the container's image`) {
		t.Errorf("exec probe of a missing command: got %v", err)
	}
	res, err := e.d.Exec(e.ctx, web, []string{"curl"})
	if !errors.Is(err, runtime.ErrCommandNotFound) {
		t.Errorf("Exec of a missing command: %v (exit %d, %q), want ErrCommandNotFound", err, res.ExitCode, res.Output)
	}
}

// TestExecOutputIsCapped checks that Exec keeps a few KiB and still waits for the command.
func TestExecOutputIsCapped(t *testing.T) {
	e := newEnv(t)
	id := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/crasher", "-forever"}})
	res, err := e.d.Exec(e.ctx, id, []string{"/spewer", "-lines", "20000", "-exit-code", "4"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 4 {
		t.Errorf("exit code %d, want 4", res.ExitCode)
	}
	if len(res.Output) > runtime.ExecOutputLimit+100 || !strings.HasPrefix(res.Output, "line 000001") || !strings.Contains(res.Output, "more bytes]") {
		t.Errorf("output of %d bytes, want the first %d and a note of the rest: %q...", len(res.Output), runtime.ExecOutputLimit, res.Output[:min(80, len(res.Output))])
	}
}

// TestCopyFiles writes files into a created container and reads them back through the
// program that follows one of them.
func TestCopyFiles(t *testing.T) {
	e := newEnv(t)
	id := e.create(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/logtail", "-path", "/srv/conf/app.log", "-prefix", "got: "}})
	files := map[string][]byte{
		"conf/app.log":         []byte("first line\nsecond line\n"),
		"conf/nested/deep.txt": []byte("deep"),
	}
	if err := e.d.CopyFiles(e.ctx, id, "/srv", files, false); err != nil {
		t.Fatal(err)
	}
	if err := e.d.CopyFiles(e.ctx, id, "/srv", map[string][]byte{"../etc/passwd": nil}, false); err == nil {
		t.Error("a path escaping the directory was accepted")
	}
	for path, want := range map[string]string{"/srv": "drwxr-xr-x", "/srv/conf/nested": "drwxr-xr-x", "/srv/conf/nested/deep.txt": "-rw-r--r--"} {
		st, err := e.d.Client().ContainerStatPath(e.ctx, id, clientStatPath(path))
		if err != nil {
			t.Fatalf("stat %s: %v", path, err)
		}
		if got := st.Stat.Mode.String(); got != want {
			t.Errorf("%s: mode %s, want %s", path, got, want)
		}
	}
	if err := e.d.StartContainer(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	var got lines
	go e.d.Logs(e.ctx, id, orchestrator.LogOptions{Follow: true, Tail: -1}, got.add)
	testenv.Eventually(t, 30*time.Second, func() error {
		if got.find("got: first line") && got.find("got: second line") {
			return nil
		}
		return errors.New("logtail has not printed the copied file yet:\n" + got.String())
	})
}

// TestStopReportsKilled: a process that ignores SIGTERM needs SIGKILL; one that handles it
// does not.
func TestStopReportsKilled(t *testing.T) {
	e := newEnv(t)
	img := testenv.AppsImage(t)
	stubborn := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-forever", "-ignore-sigterm", "-message", "started"}})
	polite := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-forever", "-message", "started"}})
	for _, id := range []string{stubborn, polite} {
		id := id
		var l lines
		testenv.Eventually(t, 30*time.Second, func() error { // its signal handling is set up once it prints
			l = lines{}
			e.d.Logs(e.ctx, id, orchestrator.LogOptions{Tail: -1}, l.add)
			if l.find("started") {
				return nil
			}
			return errors.New("not started yet")
		})
	}

	res, err := e.d.StopContainer(e.ctx, stubborn, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Killed || res.ExitCode != 137 {
		t.Errorf("stop of a process ignoring SIGTERM: %+v, want Killed with exit code 137", res)
	}
	res, err = e.d.StopContainer(e.ctx, polite, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Killed || res.ExitCode != 0 {
		t.Errorf("stop of a process handling SIGTERM: %+v, want not Killed, exit code 0", res)
	}
	// Stopping again is harmless and reports the last exit code.
	if res, err := e.d.StopContainer(e.ctx, stubborn, time.Second); err != nil || res.ExitCode != 137 || res.Killed {
		t.Errorf("second stop: %+v, %v", res, err)
	}
	if err := e.d.KillContainer(e.ctx, polite, "SIGKILL"); err != nil {
		t.Errorf("kill of a stopped container: %v, want nil", err)
	}
}

// TestPodVolumeStartsEmpty: a pod volume is an emptyDir. Mounted over a path the image fills,
// it shows none of the image's files, and the engine does not copy them into it either (all
// of a pod's containers are created up front, so a copy would land in the shared volume).
func TestPodVolumeStartsEmpty(t *testing.T) {
	e := newEnv(t)
	img := e.derivedImage([]string{"COPY seed/ /data/"}, map[string]string{"seed/access.log": "from the image\n"})
	vol := e.volume()
	stat := func(id, path string) error {
		_, err := e.d.Client().ContainerStatPath(e.ctx, id, clientStatPath(path))
		return err
	}
	plain := e.create(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-forever"}})
	if err := stat(plain, "/data/access.log"); err != nil {
		t.Fatalf("the image has no /data/access.log to hide: %v", err)
	}
	over := e.create(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-forever"},
		Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: vol, Target: "/data"}}})
	other := e.create(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/crasher", "-forever"},
		Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: vol, Target: "/shared", ReadOnly: true}}})
	if err := stat(over, "/data/access.log"); err == nil {
		t.Error("the pod volume mounted at /data shows the image's /data/access.log: it was copied in")
	}
	if err := stat(other, "/shared/access.log"); err == nil {
		t.Error("another container of the pod finds the image's file in the shared volume")
	}
}

// TestPodVolumeModeIsEmptyDirs: mounted first in the infra container (the seeding mount of
// InfraSpec), a new pod volume gets the mode of a Kubernetes emptyDir, 0777, so that a
// container running as any user can write to it; mounted only by an app container it would be
// the engine's 0755 root-owned directory.
func TestPodVolumeModeIsEmptyDirs(t *testing.T) {
	e := newEnv(t)
	img, err := e.d.InfraImage(e.ctx)
	if err != nil {
		t.Fatalf("infra image: %v", err)
	}
	mode := func(seed bool) os.FileMode {
		vol := e.volume() // removed after the containers e.create registers below
		if seed {
			e.create(orchestrator.ContainerSpec{Image: img, Labels: testenv.WithLabels(e.labels, orchestrator.Labels{Role: recipes.RoleInfra}),
				Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: vol, Target: orchestrator.InfraVolumeDir(0), Seed: true}}})
		}
		app := e.create(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/crasher", "-forever"},
			Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: vol, Target: "/data"}}})
		st, err := e.d.Client().ContainerStatPath(e.ctx, app, clientStatPath("/data"))
		if err != nil {
			t.Fatalf("stat /data: %v", err)
		}
		return st.Stat.Mode
	}
	if got := mode(true).Perm(); got != 0o777 {
		t.Errorf("seeded by the infra container, the pod volume's mode is %o, want 777", got)
	}
	if got := mode(false).Perm(); got != 0o755 {
		t.Logf("without the infra container's mount the volume's mode is %o (the engine's default is 755)", got)
	}
}

// TestRunHook runs lifecycle hooks as a kubelet would: exec in the app container, http from
// inside the pod's network namespace through the infra helper; a failure says why.
func TestRunHook(t *testing.T) {
	e := newEnv(t)
	infraID := e.infra()
	web := e.app(infraID, "/httpserver", "-listen", "127.0.0.1:8080", "-name", "web")
	testenv.Eventually(t, 30*time.Second, func() error {
		return e.d.Probe(e.ctx, infraID, web, httpProbe(8080, "/healthz"))
	})

	if err := e.d.RunHook(e.ctx, infraID, web, recipes.Hook{HTTP: &recipes.HTTPProbe{Port: 8080, Path: "/"}}); err != nil {
		t.Errorf("http hook to main's localhost-only server: %v", err)
	}
	err := e.d.RunHook(e.ctx, infraID, web, recipes.Hook{HTTP: &recipes.HTTPProbe{Port: 8080, Path: "/missing"}})
	if err == nil || !strings.Contains(err.Error(), "GET http://127.0.0.1:8080/missing: ") || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("http hook answered 404: %v", err)
	}
	if err := e.d.RunHook(e.ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-exit-code", "0"}}}); err != nil {
		t.Errorf("exec hook exiting 0: %v", err)
	}
	err = e.d.RunHook(e.ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-exit-code", "2", "-message", "cache unreachable"}}})
	if err == nil || err.Error() != `exec "/crasher -exit-code 2 -message cache unreachable" exited 2: cache unreachable` {
		t.Errorf("exec hook exiting 2: %v", err)
	}
	err = e.d.RunHook(e.ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/bin/sh", "-c", "true"}}})
	if err == nil || !strings.Contains(err.Error(), `"/bin/sh" is not in the container's image`) {
		t.Errorf("exec hook of a missing command: %v", err)
	}
	// A hook has no deadline of its own: its context bounds it.
	ctx, cancel := contextWithCancel(e.ctx)
	cancel()
	if err := e.d.RunHook(ctx, infraID, web, recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/crasher", "-forever"}}}); !errors.Is(err, ctx.Err()) {
		t.Errorf("exec hook with its context cancelled: %v", err)
	}
	if n, err := e.d.NodeInfo(e.ctx); err != nil || n.Name == "" || n.CPUs < 1 || n.Memory <= 0 {
		t.Errorf("NodeInfo = %+v, %v", n, err)
	}
	info, err := e.d.InspectContainer(e.ctx, infraID)
	if err != nil || len(info.Networks) != 1 || info.Networks[0].Network != "bridge" || info.Networks[0].IP == "" || info.Networks[0].Gateway == "" {
		t.Errorf("the infra container's addresses: %+v, %v", info.Networks, err)
	}
}

// TestInfraImage creates the infra image from nothing — under a tag and tool version unique
// to this test, so that the image content is new to the engine — with two clients racing,
// then checks that a third call reuses it, and that a container of it behaves as PID 1.
func TestInfraImage(t *testing.T) {
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
	testenv.RemoveImage(t, e.d, ref)
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
	e.waitPauseReady(id)
	res, err := e.d.StopContainer(e.ctx, id, 30*time.Second)
	if err != nil || res.Killed || res.ExitCode != 0 {
		t.Errorf("stop of the infra container: %+v, %v; want exit 0 without SIGKILL", res, err)
	}
}

// TestInfraStopRightAfterReady stops infra containers the moment their helper says it is
// ready: each must exit 0 without SIGKILL. Waiting for SIGTERM in SigCgt instead (what this
// package's tests did) let a stop land before the helper's signal.Notify, where the Go
// runtime ends the helper with status 2.
func TestInfraStopRightAfterReady(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		id := e.infra()
		res, err := e.d.StopContainer(e.ctx, id, 30*time.Second)
		if err != nil || res.Killed || res.ExitCode != 0 {
			t.Errorf("run %d: stop of the infra container right after it was ready: %+v, %v; want exit 0 without SIGKILL", i, res, err)
		}
	}
}

// TestSharedNamespaces joins a member to the infra container's PID and IPC namespaces (the
// IPC join fails at start unless the infra container's IPC is shareable). With a shared PID
// namespace the infra helper is the pod's PID 1: when it exits the kernel kills every other
// process of the namespace, which is what this test observes.
func TestSharedNamespaces(t *testing.T) {
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
