package runtime

import (
	"archive/tar"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/mount"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

func tarNames(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d, want 0:0", h.Name, h.Uid, h.Gid)
		}
	}
}

func TestBuildContextHonoursDockerignore(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":        "FROM scratch\n",
		".dockerignore":     "*.secret\nnode_modules\nDockerfile\nbuild/\n!build/keep\n",
		"app.go":            "package main",
		"key.secret":        "no",
		"node_modules/x.js": "no",
		"build/out":         "no",
		"build/keep":        "yes",
		"sub/a.txt":         "yes",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	bc, err := buildContext(dir, "Dockerfile", "")
	if err != nil {
		t.Fatal(err)
	}
	got := tarNames(t, bc.tar)
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	// The Dockerfile is ignored, so it travels under a generated name the shipped
	// .dockerignore excludes from COPY.
	if !strings.HasPrefix(bc.dockerfile, ".sidecar-dockerfile-") || got[bc.dockerfile] != "FROM scratch\n" {
		t.Errorf("dockerfile %q: %q", bc.dockerfile, got[bc.dockerfile])
	}
	if !strings.Contains(got[".dockerignore"], bc.dockerfile) {
		t.Errorf("the shipped .dockerignore does not exclude %s: %q", bc.dockerfile, got[".dockerignore"])
	}
	for _, want := range []string{"app.go", "sub/", "sub/a.txt", "build/keep"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%s missing from the context %v", want, names)
		}
	}
	for _, no := range []string{"key.secret", "node_modules/x.js", "build/out", "Dockerfile"} {
		if _, ok := got[no]; ok {
			t.Errorf("%s is in the context despite .dockerignore", no)
		}
	}

	// A Dockerfile outside the context is added too.
	outside := filepath.Join(t.TempDir(), "Other.Dockerfile")
	os.WriteFile(outside, []byte("FROM scratch\nCOPY app.go /\n"), 0o644)
	bc, err = buildContext(dir, outside, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := tarNames(t, bc.tar); got[bc.dockerfile] != "FROM scratch\nCOPY app.go /\n" {
		t.Errorf("outside dockerfile not shipped as %s", bc.dockerfile)
	}
	if _, err := buildContext(dir, "Missing", ""); err == nil {
		t.Error("missing dockerfile accepted")
	}
}

// An inline Dockerfile travels under the generated name, beside the context's own Dockerfile
// (a file like any other then), which is not read; COPY . cannot take the inline one.
func TestBuildContextInlineDockerfile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"Dockerfile": "FROM busybox\n", "x": "x"} {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	const inline = "FROM scratch\nCOPY x /x\n"
	bc, err := buildContext(dir, "Missing", inline)
	if err != nil {
		t.Fatal(err)
	}
	got := tarNames(t, bc.tar)
	if !strings.HasPrefix(bc.dockerfile, ".sidecar-dockerfile-") || got[bc.dockerfile] != inline {
		t.Errorf("dockerfile %q: %q", bc.dockerfile, got[bc.dockerfile])
	}
	if got["Dockerfile"] != "FROM busybox\n" || got["x"] != "x" {
		t.Errorf("the context's files are not sent as they are: %q", got)
	}
	if ig := got[".dockerignore"]; !strings.Contains(ig, bc.dockerfile) {
		t.Errorf("the shipped .dockerignore does not exclude %s: %q", bc.dockerfile, ig)
	}
}

func TestDecodeBuildError(t *testing.T) {
	stream := `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e \n"}
{"stream":"Step 2/2 : COPY nope /\n"}
{"errorDetail":{"message":"COPY failed: file not found in build context"},"error":"COPY failed: file not found in build context"}
`
	var progress []orchestrator.Progress
	err := decodeBuild(strings.NewReader(stream), "shop/web:dev", func(p orchestrator.Progress) { progress = append(progress, p) }, func() error { return nil })
	if err == nil || !strings.Contains(err.Error(), "build shop/web:dev failed at step 2/2 (COPY nope /): COPY failed") {
		t.Errorf("error %v", err)
	}
	if len(progress) < 2 || progress[0].ID != "1/2" {
		t.Errorf("progress %v", progress)
	}
}

func TestStatsFormulas(t *testing.T) {
	var s container.StatsResponse
	s.CPUStats.CPUUsage.TotalUsage = 300
	s.PreCPUStats.CPUUsage.TotalUsage = 100
	s.CPUStats.SystemUsage = 2000
	s.PreCPUStats.SystemUsage = 1000
	s.CPUStats.OnlineCPUs = 2
	if got := cpuPercent(s); got != 40 {
		t.Errorf("cpu %% = %v, want 40 (200/1000 × 2 CPUs × 100)", got)
	}
	v1 := container.MemoryStats{Usage: 1000, Stats: map[string]uint64{"total_inactive_file": 300}}
	v2 := container.MemoryStats{Usage: 1000, Stats: map[string]uint64{"inactive_file": 100}}
	if memoryUsage(v1) != 700 || memoryUsage(v2) != 900 {
		t.Errorf("memory usage %d (cgroup v1), %d (v2); want 700, 900", memoryUsage(v1), memoryUsage(v2))
	}
}

func TestEngineEventMapping(t *testing.T) {
	attrs := orchestrator.Labels{Pod: "web"}.Encode()
	attrs["exitCode"], attrs["image"] = "137", "x"
	m := events.Message{Type: events.ContainerEventType, Action: events.ActionDie, TimeNano: 1e9 + 5,
		Actor: events.Actor{ID: "abc", Attributes: attrs}}
	ev, ok := engineEvent(m)
	if !ok || ev.Action != orchestrator.ActionDie || ev.ExitCode != 137 || ev.ID != "abc" || ev.Time.UnixNano() != 1e9+5 {
		t.Errorf("die event: %+v", ev)
	}
	if l, err := orchestrator.DecodeLabels(ev.Labels); len(ev.Labels) != 1 || l.Pod != "web" || err != nil {
		t.Errorf("labels %v, want only ours", ev.Labels)
	}
	if _, ok := engineEvent(events.Message{Type: events.ContainerEventType, Action: "exec_start: /x"}); ok {
		t.Error("exec events must be dropped")
	}
	for action, want := range map[events.Action]orchestrator.EngineHealth{
		events.ActionHealthStatusHealthy:   orchestrator.EngineHealthHealthy,
		events.ActionHealthStatusUnhealthy: orchestrator.EngineHealthUnhealthy,
	} {
		ev, ok := engineEvent(events.Message{Type: events.ContainerEventType, Action: action, Actor: events.Actor{ID: "abc"}})
		if !ok || ev.Action != orchestrator.ActionHealth || ev.Health != want {
			t.Errorf("%s: %+v, %v; want a health event, %s", action, ev, ok, want)
		}
	}
	for _, action := range []events.Action{events.ActionHealthStatusRunning, "health_status: some check output", events.ActionHealthStatus} {
		if ev, ok := engineEvent(events.Message{Type: events.ContainerEventType, Action: action}); ok {
			t.Errorf("%q gives no verdict, yet was kept: %+v", action, ev)
		}
	}
}

func TestMountSubPath(t *testing.T) {
	old := &Docker{apiVersion: "1.41"}
	_, err := old.mount(orchestrator.MountSpec{Type: recipes.MountVolume, Source: "data", Target: "/data", SubPath: "app"})
	if err == nil || !strings.Contains(err.Error(), "1.45") || !strings.Contains(err.Error(), "1.41") {
		t.Errorf("volume sub path on API 1.41: %v, want a clear error", err)
	}
	m, err := old.mount(orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv/conf", Target: "/etc/app", SubPath: "app/", ReadOnly: true})
	if err != nil || m.Source != "/srv/conf/app" || !m.ReadOnly {
		t.Errorf("bind sub path: %+v, %v", m, err)
	}
	if _, err := old.mount(orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv", Target: "/x", SubPath: "../etc"}); err == nil {
		t.Error("a sub path escaping the source was accepted")
	}
	current := &Docker{apiVersion: "1.51"}
	m, err = current.mount(orchestrator.MountSpec{Type: recipes.MountVolume, Source: "data", Target: "/data", SubPath: "app"})
	if err != nil || m.VolumeOptions == nil || m.VolumeOptions.Subpath != "app" || !m.VolumeOptions.NoCopy {
		t.Errorf("volume sub path on API 1.51: %+v, %v", m, err)
	}
	// A pod volume starts empty: the engine must not copy the image's files into it.
	m, err = old.mount(orchestrator.MountSpec{Type: recipes.MountVolume, Source: "logs", Target: "/var/log/nginx"})
	if err != nil || m.VolumeOptions == nil || !m.VolumeOptions.NoCopy {
		t.Errorf("pod volume mount: %+v, %v, want NoCopy", m, err)
	}
}

func TestCreateOptions(t *testing.T) {
	d := &Docker{apiVersion: "1.41"}
	infraOpts, err := d.createOptions(orchestrator.ContainerSpec{Name: "s-p-infra", Image: "i", Network: "s", Aliases: []string{"p"}, Hostname: "p",
		Ports: []recipes.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80}, {ContainerPort: 53, Protocol: recipes.ProtoUDP}}, StopGrace: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hc := infraOpts.HostConfig
	if hc.IpcMode != "shareable" || string(hc.NetworkMode) != "s" || infraOpts.Config.Hostname != "p" || *infraOpts.Config.StopTimeout != 2 {
		t.Errorf("infra options: ipc %q net %q host %q stop %d", hc.IpcMode, hc.NetworkMode, infraOpts.Config.Hostname, *infraOpts.Config.StopTimeout)
	}
	if got := infraOpts.NetworkingConfig.EndpointsConfig["s"].Aliases; len(got) != 1 || got[0] != "p" {
		t.Errorf("aliases %v", got)
	}
	if len(hc.PortBindings) != 2 || len(infraOpts.Config.ExposedPorts) != 2 {
		t.Errorf("ports %v exposed %v", hc.PortBindings, infraOpts.Config.ExposedPorts)
	}
	app, err := d.createOptions(orchestrator.ContainerSpec{Name: "s-p-web", Image: "i", NamespaceOwner: "abc", SharePID: true, ShareIPC: true, Init: true})
	if err != nil {
		t.Fatal(err)
	}
	if app.HostConfig.NetworkMode != "container:abc" || app.HostConfig.PidMode != "container:abc" || app.HostConfig.IpcMode != "container:abc" || !*app.HostConfig.Init {
		t.Errorf("app options: %+v", app.HostConfig)
	}
	if _, err := d.createOptions(orchestrator.ContainerSpec{Name: "x", Image: "i", NamespaceOwner: "abc", Ports: []recipes.Port{{ContainerPort: 80}}}); err == nil {
		t.Error("ports on a member container accepted")
	}
	for _, member := range []orchestrator.ContainerSpec{
		{Name: "x", Image: "i", NamespaceOwner: "abc", ExtraHosts: []recipes.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"db"}}}},
		{Name: "x", Image: "i", NamespaceOwner: "abc", DNS: &recipes.DNSConfig{Nameservers: []string{"1.1.1.1"}}},
		{Name: "x", Image: "i", NamespaceOwner: "abc", Domainname: "web"},
	} {
		if _, err := d.createOptions(member); err == nil {
			t.Errorf("what the infra container owns accepted on a member: %+v", member)
		}
	}
}

// The container's resources, security and kernel settings reach the engine's create request;
// what the infra container owns (domain name, extra hosts, resolver) reaches its own.
func TestCreateOptionsCarryTheModel(t *testing.T) {
	d := &Docker{apiVersion: "1.41"}
	app, err := d.createOptions(orchestrator.ContainerSpec{Name: "s-web", Image: "i", NamespaceOwner: "abc",
		CPU: 1500, CPUShares: 256, Memory: 512 << 20, MemoryReservation: 256 << 20,
		CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"MKNOD"}, Privileged: true, ReadOnly: true,
		Devices: []recipes.Device{{HostPath: "/dev/net/tun"}, {HostPath: "/dev/fuse", ContainerPath: "/dev/f", Permissions: "rw"}},
		User:    "1000", Groups: []string{"video", "44"}, StopSignal: "SIGQUIT", ShmSize: 64 << 20,
		Ulimits: []recipes.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}, Sysctls: map[string]string{"kernel.msgmax": "65536"}})
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg := app.HostConfig, app.Config
	if hc.NanoCPUs != 1_500_000_000 || hc.CPUShares != 256 || hc.Memory != 512<<20 || hc.MemoryReservation != 256<<20 {
		t.Errorf("resources: nano %d shares %d memory %d reservation %d", hc.NanoCPUs, hc.CPUShares, hc.Memory, hc.MemoryReservation)
	}
	if !slices.Equal(hc.CapAdd, []string{"NET_ADMIN"}) || !slices.Equal(hc.CapDrop, []string{"MKNOD"}) || !hc.Privileged || !hc.ReadonlyRootfs {
		t.Errorf("security: add %v drop %v privileged %v read-only %v", hc.CapAdd, hc.CapDrop, hc.Privileged, hc.ReadonlyRootfs)
	}
	wantDevices := []container.DeviceMapping{{PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm"},
		{PathOnHost: "/dev/fuse", PathInContainer: "/dev/f", CgroupPermissions: "rw"}}
	if !slices.Equal(hc.Devices, wantDevices) {
		t.Errorf("devices %+v", hc.Devices)
	}
	if cfg.User != "1000" || !slices.Equal(hc.GroupAdd, []string{"video", "44"}) || cfg.StopSignal != "SIGQUIT" || hc.ShmSize != 64<<20 {
		t.Errorf("user %q groups %v stop signal %q shm %d", cfg.User, hc.GroupAdd, cfg.StopSignal, hc.ShmSize)
	}
	if len(hc.Ulimits) != 1 || *hc.Ulimits[0] != (container.Ulimit{Name: "nofile", Soft: 1024, Hard: 4096}) || hc.Sysctls["kernel.msgmax"] != "65536" {
		t.Errorf("ulimits %v sysctls %v", hc.Ulimits, hc.Sysctls)
	}

	infra, err := d.createOptions(orchestrator.ContainerSpec{Name: "s-infra", Image: "i", Network: "s-net", Aliases: []string{"web-0", "web-0.web"},
		Hostname: "web-0", Domainname: "web", ExtraHosts: []recipes.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db.internal", "db"}}},
		DNS:     &recipes.DNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"svc.local"}, Options: []string{"ndots:2"}},
		Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}, ShmSize: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	hc, cfg = infra.HostConfig, infra.Config
	if cfg.Hostname != "web-0" || cfg.Domainname != "web" || !slices.Equal(hc.ExtraHosts, []string{"db.internal:10.1.2.3", "db:10.1.2.3"}) {
		t.Errorf("hostname %q domain %q extra hosts %v", cfg.Hostname, cfg.Domainname, hc.ExtraHosts)
	}
	if len(hc.DNS) != 1 || hc.DNS[0].String() != "1.1.1.1" || !slices.Equal(hc.DNSSearch, []string{"svc.local"}) || !slices.Equal(hc.DNSOptions, []string{"ndots:2"}) {
		t.Errorf("dns %v search %v options %v", hc.DNS, hc.DNSSearch, hc.DNSOptions)
	}
	if hc.Sysctls["net.ipv4.ip_forward"] != "1" || hc.ShmSize != 256<<20 || hc.IpcMode != "shareable" {
		t.Errorf("sysctls %v shm %d ipc %q", hc.Sysctls, hc.ShmSize, hc.IpcMode)
	}
	if !slices.Equal(infra.NetworkingConfig.EndpointsConfig["s-net"].Aliases, []string{"web-0", "web-0.web"}) {
		t.Errorf("aliases %v", infra.NetworkingConfig.EndpointsConfig["s-net"].Aliases)
	}
	if _, err := d.createOptions(orchestrator.ContainerSpec{Name: "s-infra", Image: "i", DNS: &recipes.DNSConfig{Nameservers: []string{"dns.example"}}}); err == nil ||
		!strings.Contains(err.Error(), `bad DNS nameserver "dns.example"`) {
		t.Errorf("a nameserver that is not an IP: %v", err)
	}
}

func TestTakenPortMessages(t *testing.T) {
	for msg, want := range map[string]string{
		"driver failed programming external connectivity on endpoint x (abc): Bind for 0.0.0.0:8080 failed: port is already allocated":                                                                      "8080",
		"driver failed programming external connectivity on endpoint x (abc): Error starting userland proxy: listen tcp4 0.0.0.0:15001: bind: address already in use":                                       "15001",
		"failed to set up container networking: driver failed programming external connectivity on endpoint x (abc): failed to bind host port for 0.0.0.0:9901:172.17.0.2:9901/tcp: address already in use": "9901",
		"Ports are not available: exposing port TCP 127.0.0.1:5432 -> 0.0.0.0:0: listen tcp 127.0.0.1:5432: bind: address already in use":                                                                   "5432",
		"Bind for [::]:8443 failed: port is already allocated": "8443",
	} {
		if !portTaken.MatchString(msg) {
			t.Errorf("not recognised as a taken port: %s", msg)
			continue
		}
		if m := takenPort.FindStringSubmatch(msg); m == nil || m[2] != want {
			t.Errorf("port from %q: %v, want %s", msg, m, want)
		}
	}
}

// A taken port is said once, with who holds it when the engine says, and the fix.
func TestPortInUseMessage(t *testing.T) {
	for _, tt := range []struct{ engine, want string }{
		{"driver failed programming external connectivity on endpoint s-infra (3ce4): Error starting userland proxy: listen tcp4 127.0.0.1:38411: bind: address already in use",
			"start container s-infra: host port 38411 on 127.0.0.1 is already in use: free it (stop what listens there; `ss -ltnp 'sport = :38411'` shows it) or change the recipe's ports to publish on another host port"},
		{"driver failed programming external connectivity on endpoint s-infra (3ce4): Bind for 0.0.0.0:8080 failed: port is already allocated",
			"start container s-infra: host port 8080 is already published by another container: stop that container (`docker ps --filter publish=8080` shows it) or change the recipe's ports to publish on another host port"},
		{"Ports are not available: something new",
			"start container s-infra: a published host port is already in use (Ports are not available: something new): free it (stop what listens there; `ss -ltnp 'sport = :PORT'` shows it) or change the recipe's ports to publish on another host port"},
	} {
		cause := errors.New(tt.engine)
		err := portInUseError("container s-infra", cause)
		if err.Error() != tt.want || !errors.Is(err, orchestrator.ErrPortInUse) || !errors.Is(err, cause) {
			t.Errorf("got  %v\nwant %s", err, tt.want)
		}
	}
}

// A connection the engine drops under a request (it is stopping: its API goes first) is the
// engine's absence, as a refused one is, not an answer about the object.
func TestEngineGoneIsUnreachable(t *testing.T) {
	for _, cause := range []error{
		&url.Error{Op: "Post", URL: "http://docker/v1.41/containers/x/stop", Err: io.EOF},
		&url.Error{Op: "Get", URL: "http://docker/v1.41/events", Err: io.ErrUnexpectedEOF},
		&net.OpError{Op: "read", Net: "unix", Err: os.NewSyscallError("read", syscall.ECONNRESET)},
		&net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
	} {
		if err := engineError("stop container x", cause); !errors.Is(err, orchestrator.ErrEngineUnreachable) {
			t.Errorf("engineError(%v) = %v, want ErrEngineUnreachable", cause, err)
		}
	}
	if err := engineError("stop container x", errors.New("Error response from daemon: conflict")); errors.Is(err, orchestrator.ErrEngineUnreachable) {
		t.Errorf("an answer of the engine was taken for its absence: %v", err)
	}
}

// A bind mount whose missing source is to be created goes in HostConfig.Binds, which
// creates it on the engine's host on every API version (HostConfig.Mounts refuses it); one
// that must exist stays a mount, and so does a path Binds cannot spell.
func TestBindMountCreatesSource(t *testing.T) {
	for _, tc := range []struct {
		api    string
		spec   orchestrator.MountSpec
		binds  []string
		mount  bool // a mount of type bind; create: with CreateMountpoint
		create bool
	}{
		{"1.41", orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv/data", Target: "/data"}, []string{"/srv/data:/data"}, false, false},
		{"1.41", orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv/conf", Target: "/etc/app", ReadOnly: true, SubPath: "app"}, []string{"/srv/conf/app:/etc/app:ro"}, false, false},
		{"1.41", orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv/data", Target: "/data", MustExist: true}, nil, true, false},
		{"1.41", orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv/a:b", Target: "/data"}, nil, true, false},
		{"1.43", orchestrator.MountSpec{Type: recipes.MountBind, Source: "/srv/a:b", Target: "/data"}, nil, true, true},
	} {
		d := &Docker{apiVersion: tc.api}
		opts, err := d.createOptions(orchestrator.ContainerSpec{Name: "x", Image: "i", Mounts: []orchestrator.MountSpec{tc.spec}})
		if err != nil {
			t.Fatal(err)
		}
		hc := opts.HostConfig
		if !slices.Equal(hc.Binds, tc.binds) {
			t.Errorf("API %s, %+v: binds %q, want %q", tc.api, tc.spec, hc.Binds, tc.binds)
		}
		if got := len(hc.Mounts) == 1 && hc.Mounts[0].Type == mount.TypeBind; got != tc.mount {
			t.Errorf("API %s, %+v: mounts %+v, want a bind mount: %v", tc.api, tc.spec, hc.Mounts, tc.mount)
		} else if got {
			bo := hc.Mounts[0].BindOptions
			if create := bo != nil && bo.CreateMountpoint; create != tc.create {
				t.Errorf("API %s, %+v: CreateMountpoint %v, want %v", tc.api, tc.spec, create, tc.create)
			}
		}
	}
}
