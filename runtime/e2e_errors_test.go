package runtime_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

func TestPortInUse(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("tcp", ":0") // all interfaces, as the engine publishes
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	img, err := e.d.InfraImage(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := e.create(orchestrator.ContainerSpec{Image: img, Ports: []recipes.Port{{HostPort: port, ContainerPort: 8080}}})
	err = e.d.StartContainer(e.ctx, id)
	if !errors.Is(err, orchestrator.ErrPortInUse) {
		t.Fatalf("start with a taken host port: %v, want ErrPortInUse", err)
	}
	if !strings.Contains(err.Error(), "host port "+strconv.Itoa(port)) || !strings.Contains(err.Error(), "change the recipe's ports") {
		t.Errorf("error %q should name port %d and say how to fix it", err, port)
	}

	// With the port free, the same container starts and reports the binding.
	l.Close()
	if err := e.d.StartContainer(e.ctx, id); err != nil {
		t.Fatalf("start once the port is free: %v", err)
	}
	info, err := e.d.InspectContainer(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Ports) == 0 || info.Ports[0].HostPort != port || info.Ports[0].ContainerPort != 8080 {
		t.Errorf("ports %v, want %d:8080", info.Ports, port)
	}
}

func TestNameConflict(t *testing.T) {
	e := newEnv(t)
	img := testenv.AppsImage(t)
	ours := testenv.UniqueName(t, "sct-ours")
	e.create(orchestrator.ContainerSpec{Name: ours, Image: img, Cmd: []string{"/crasher"}})
	_, err := e.d.CreateContainer(e.ctx, orchestrator.ContainerSpec{Name: ours, Image: img, Cmd: []string{"/crasher"}, Labels: e.labels})
	if !errors.Is(err, orchestrator.ErrConflict) || !strings.Contains(err.Error(), "leftover of sidecar stack") || !strings.Contains(err.Error(), "sidecar down --stack") {
		t.Errorf("name held by our leftover: %v", err)
	}

	theirs := testenv.UniqueName(t, "sct-theirs")
	e.create(orchestrator.ContainerSpec{Name: theirs, Image: img, Cmd: []string{"/crasher"},
		Labels: map[string]string{testenv.OwnerLabel: testenv.Owner(e.labels)}}) // no stack label: not ours
	_, err = e.d.CreateContainer(e.ctx, orchestrator.ContainerSpec{Name: theirs, Image: img, Cmd: []string{"/crasher"}, Labels: e.labels})
	if !errors.Is(err, orchestrator.ErrConflict) || !strings.Contains(err.Error(), "did not create") || !strings.Contains(err.Error(), "rename the stack") {
		t.Errorf("name held by someone else's container: %v", err)
	}
}

func TestImageUnavailable(t *testing.T) {
	e := newEnv(t)
	ref := testenv.UniqueName(t, "sidecar-test-missing") + ":latest"
	if ok, err := e.d.ImagePresent(e.ctx, ref); err != nil || ok {
		t.Fatalf("ImagePresent(%s) = %v, %v", ref, ok, err)
	}
	var progress int
	err := e.d.PullImage(e.ctx, ref, func(orchestrator.Progress) { progress++ })
	if !errors.Is(err, orchestrator.ErrImageUnavailable) {
		t.Fatalf("pull: %v, want ErrImageUnavailable", err)
	}
	for _, want := range []string{ref, "docker build -t " + ref, "docker load", "build:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	_, err = e.d.CreateContainer(e.ctx, orchestrator.ContainerSpec{Name: testenv.UniqueName(t, "sct"), Image: ref, Labels: e.labels})
	if !errors.Is(err, orchestrator.ErrImageUnavailable) {
		t.Errorf("create from a missing image: %v, want ErrImageUnavailable", err)
	}

	// A digest reference: `docker build -t name@sha256:…` is refused by docker itself (the
	// hint used to suggest it); the fix is a tag of one's own.
	name := testenv.UniqueName(t, "sidecar-test-missing")
	digested := name + "@sha256:" + strings.Repeat("0", 64)
	err = e.d.PullImage(e.ctx, digested, nil)
	if !errors.Is(err, orchestrator.ErrImageUnavailable) {
		t.Fatalf("pull %s: %v, want ErrImageUnavailable", digested, err)
	}
	for _, want := range []string{digested, "docker build -t " + name + ":local", "image: " + name + ":local", "docker tag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "-t "+digested) {
		t.Errorf("error %q suggests building a digest reference", err)
	}
	// The suggested build works: the engine takes the tag (and refuses the digest).
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+testenv.AppsImage(t)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	labels := testenv.With(nil, testenv.OwnerLabel, testenv.Owner(e.labels))
	if err := e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: digested, Context: dir, Labels: labels}, nil); err == nil {
		t.Errorf("the engine built %s: a digest reference was expected to be refused", digested)
	}
	local := name + ":local"
	if err := e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: local, Context: dir, Labels: labels}, nil); err != nil {
		t.Fatalf("build %s as the hint says: %v", local, err)
	}
	testenv.RemoveImage(t, e.d, local)
	if ok, err := e.d.ImagePresent(e.ctx, local); err != nil || !ok {
		t.Errorf("ImagePresent(%s) after the build = %v, %v", local, ok, err)
	}
}

func TestNetworksAndVolumes(t *testing.T) {
	e := newEnv(t)
	net1 := testenv.UniqueName(t, "sct-net")
	if _, err := e.d.CreateNetwork(e.ctx, net1, e.labels); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.d.RemoveNetwork(e.ctx, net1) })
	_, err := e.d.CreateNetwork(e.ctx, net1, e.labels)
	if !errors.Is(err, orchestrator.ErrConflict) || !strings.Contains(err.Error(), "leftover") {
		t.Errorf("second network with the same name: %v, want ErrConflict", err)
	}
	nets, err := e.d.ListNetworks(e.ctx, e.labels)
	if err != nil || len(nets) != 1 || nets[0].Name != net1 {
		t.Errorf("ListNetworks = %v, %v; want exactly %s (no duplicate left)", nets, err, net1)
	}

	vol := e.volume()
	vols, err := e.d.ListVolumes(e.ctx, e.labels)
	if err != nil || len(vols) != 1 || vols[0].Name != vol {
		t.Errorf("ListVolumes = %v, %v", vols, err)
	}
	other := testenv.WithLabels(e.labels, orchestrator.Labels{Stack: "another-stack"})
	if err := e.d.CreateVolume(e.ctx, vol, other); !errors.Is(err, orchestrator.ErrConflict) {
		t.Errorf("volume name held by another stack: %v, want ErrConflict", err)
	}

	// A pod on the network: the infra container carries the alias, and a member mounts the
	// volume read-only while another writes it.
	img, err := e.d.InfraImage(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	infraID := e.run(orchestrator.ContainerSpec{Image: img, Network: net1, Aliases: []string{"web"}, Hostname: "webpod"})
	apps := testenv.AppsImage(t)
	e.run(orchestrator.ContainerSpec{Image: apps, NamespaceOwner: infraID, Cmd: []string{"/httpserver", "-log-file", "/logs/web.log"},
		Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: vol, Target: "/logs"}}})
	tail := e.run(orchestrator.ContainerSpec{Image: apps, NamespaceOwner: infraID, Cmd: []string{"/logtail", "-path", "/shipped/web.log"},
		Mounts: []orchestrator.MountSpec{{Type: recipes.MountVolume, Source: vol, Target: "/shipped", ReadOnly: true}}})
	var got lines
	go e.d.Logs(e.ctx, tail, orchestrator.LogOptions{Follow: true, Tail: -1}, got.add)
	testenv.Eventually(t, 30*time.Second, func() error {
		if got.find("shipped: httpserver httpserver listening") {
			return nil
		}
		return errors.New("the shipper has not seen the server's log line:\n" + got.String())
	})
	// Another container on the network reaches the pod by its alias, and sees the hostname.
	probe := e.run(orchestrator.ContainerSpec{Image: img, Network: net1})
	testenv.Eventually(t, 30*time.Second, func() error {
		return e.d.Probe(e.ctx, probe, "", httpProbeHost("web", 8080, "/"))
	})

	if err := e.d.RemoveNetwork(e.ctx, testenv.UniqueName(t, "sct-none")); err != nil {
		t.Errorf("remove a missing network: %v, want nil", err)
	}
	if err := e.d.RemoveVolume(e.ctx, testenv.UniqueName(t, "sct-none")); err != nil {
		t.Errorf("remove a missing volume: %v, want nil", err)
	}
	if err := e.d.RemoveContainer(e.ctx, testenv.UniqueName(t, "sct-none")); err != nil {
		t.Errorf("remove a missing container: %v, want nil", err)
	}
	if _, err := e.d.InspectContainer(e.ctx, testenv.UniqueName(t, "sct-none")); !errors.Is(err, orchestrator.ErrNotFound) {
		t.Errorf("inspect a missing container: %v, want ErrNotFound", err)
	}
}

func httpProbeHost(host string, port int, path string) recipes.Probe {
	p := httpProbe(port, path)
	p.HTTP.Host = host
	return p
}
