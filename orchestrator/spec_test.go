package orchestrator

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/sidecar-dev/sidecar/recipes"
)

// What the infra container owns: hostname and domain, aliases, /etc/hosts, resolver, the
// network sysctls, and /dev/shm with the IPC sysctls where the pod shares IPC.
func TestInfraSpecOwnsThePodsNamespaces(t *testing.T) {
	spec := testSpec()
	pod := spec.Pod
	spec.Network = "shop-net"
	pod.Name, pod.Hostname, pod.Subdomain = "web-0", "web-0", "web"
	pod.ExtraHosts = []recipes.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db.internal", "db"}}}
	pod.DNS = &recipes.DNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"svc.local"}, Options: []string{"ndots:2"}}
	pod.Sysctls = map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "68719476736", "fs.mqueue.msg_max": "20"}
	pod.Main.ShmSize = 64 << 20
	pod.Sidecars[0].ShmSize = 256 << 20

	for _, shareIPC := range []bool{false, true} {
		pod.ShareIPC = shareIPC
		infra := spec.InfraSpec()
		if infra.Hostname != "web-0" || infra.Domainname != "web" {
			t.Errorf("hostname %q, domain %q; want web-0, web", infra.Hostname, infra.Domainname)
		}
		if !slices.Equal(infra.Aliases, []string{"web-0", "web-0.web"}) || infra.Network != "shop-net" {
			t.Errorf("aliases %q on %q; want the pod's name and HOSTNAME.SUBDOMAIN on the stack network", infra.Aliases, infra.Network)
		}
		if !reflect.DeepEqual(infra.ExtraHosts, pod.ExtraHosts) || infra.DNS != pod.DNS {
			t.Errorf("extra hosts %v, dns %v", infra.ExtraHosts, infra.DNS)
		}
		app := spec.ContainerSpec(pod.Main, "id-infra")
		wantInfra := map[string]string{"net.ipv4.ip_forward": "1"}
		var wantApp map[string]string
		wantInfraShm, wantAppShm := int64(0), int64(64<<20)
		if shareIPC {
			wantInfra["kernel.shmmax"], wantInfra["fs.mqueue.msg_max"] = "68719476736", "20"
			wantInfraShm, wantAppShm = 256<<20, 0 // the pod's largest, on the /dev/shm they share
		} else {
			wantApp = map[string]string{"kernel.shmmax": "68719476736", "fs.mqueue.msg_max": "20"}
		}
		if !maps.Equal(infra.Sysctls, wantInfra) || !maps.Equal(app.Sysctls, wantApp) {
			t.Errorf("share IPC %v: sysctls infra %v app %v; want %v and %v", shareIPC, infra.Sysctls, app.Sysctls, wantInfra, wantApp)
		}
		if infra.ShmSize != wantInfraShm || app.ShmSize != wantAppShm {
			t.Errorf("share IPC %v: shm infra %d app %d; want %d and %d", shareIPC, infra.ShmSize, app.ShmSize, wantInfraShm, wantAppShm)
		}
	}

	// Without a subdomain the pod's hostname is its name.
	plain := testSpec()
	if h := plain.InfraSpec().Hostname; h != "shop" {
		t.Errorf("default hostname %q, want the pod's name", h)
	}
}

func TestContainerSpecCarriesTheContainersSettings(t *testing.T) {
	spec := testSpec()
	web := spec.Pod.Main
	web.Resources = &recipes.Resources{Limits: recipes.ResourceList{CPU: 1500, Memory: 512 << 20}, Requests: recipes.ResourceList{CPU: 250}}
	web.CapAdd, web.CapDrop = []string{"NET_ADMIN"}, []string{"MKNOD"}
	web.Privileged, web.ReadOnly = true, true
	web.Devices = []recipes.Device{{HostPath: "/dev/net/tun"}}
	web.User, web.Groups = "1000:1000", []string{"video"}
	web.StopSignal = "SIGQUIT"
	web.Ulimits = []recipes.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}}
	got := spec.ContainerSpec(web, "id-infra")
	want := ContainerSpec{CPU: 1500, CPUShares: 256, Memory: 512 << 20, MemoryReservation: 512 << 20,
		CapAdd: web.CapAdd, CapDrop: web.CapDrop, Privileged: true, ReadOnly: true, Devices: web.Devices,
		User: "1000:1000", Groups: web.Groups, StopSignal: "SIGQUIT", Ulimits: web.Ulimits}
	if got.CPU != want.CPU || got.CPUShares != want.CPUShares || got.Memory != want.Memory || got.MemoryReservation != want.MemoryReservation {
		t.Errorf("resources: cpu %v shares %d memory %d reservation %d; want %v %d %d %d (a request not set is the limit)",
			got.CPU, got.CPUShares, got.Memory, got.MemoryReservation, want.CPU, want.CPUShares, want.Memory, want.MemoryReservation)
	}
	if !slices.Equal(got.CapAdd, want.CapAdd) || !slices.Equal(got.CapDrop, want.CapDrop) || got.Privileged != want.Privileged ||
		got.ReadOnly != want.ReadOnly || !slices.Equal(got.Devices, want.Devices) || got.User != want.User ||
		!slices.Equal(got.Groups, want.Groups) || got.StopSignal != want.StopSignal || !slices.Equal(got.Ulimits, want.Ulimits) {
		t.Errorf("settings: %+v", got)
	}
	for request, shares := range map[recipes.MilliCPU]int64{0: 0, 1: 2, 250: 256, 1000: 1024, 500000: 262144} {
		if s := cpuShares(request); s != shares {
			t.Errorf("cpuShares(%s) = %d, want %d", request, s, shares)
		}
	}
}

// A config hash changes exactly when the container would be created differently.
func TestConfigHashes(t *testing.T) {
	infraHash := func(s *PodSpec) string { return s.InfraSpec().Labels[keyConfigHash] }
	webHash := func(s *PodSpec) string { return s.ContainerSpec(s.Pod.Main, "id-infra").Labels[keyConfigHash] }
	changes := []struct {
		what        string
		before      func(*PodSpec) // applied to both sides
		change      func(*PodSpec)
		infra, main bool // which hash changes
	}{
		{"nothing", nil, func(*PodSpec) {}, false, false},
		{"an extra host", nil, func(s *PodSpec) { s.Pod.ExtraHosts = []recipes.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"db"}}} }, true, false},
		{"a network sysctl", nil, func(s *PodSpec) { s.Pod.Sysctls = map[string]string{"net.core.somaxconn": "1024"} }, true, false},
		{"an IPC sysctl, IPC not shared", nil, func(s *PodSpec) { s.Pod.Sysctls = map[string]string{"kernel.msgmax": "65536"} }, false, true},
		{"the hostname", nil, func(s *PodSpec) { s.Pod.Hostname = "shop-0" }, true, false},
		{"the resolver", nil, func(s *PodSpec) { s.Pod.DNS = &recipes.DNSConfig{Nameservers: []string{"9.9.9.9"}} }, true, false},
		{"a volume in memory", nil, func(s *PodSpec) { s.Pod.Volumes[1].Medium = recipes.MediumMemory }, true, true},
		{"shared IPC", nil, func(s *PodSpec) { s.Pod.ShareIPC = true }, true, true},
		{"main's memory limit", nil, func(s *PodSpec) {
			s.Pod.Main.Resources = &recipes.Resources{Limits: recipes.ResourceList{Memory: 1 << 30}}
		}, false, true},
		{"main's capabilities", nil, func(s *PodSpec) { s.Pod.Main.CapAdd = []string{"NET_ADMIN"} }, false, true},
		{"main's pre-stop hook", nil, func(s *PodSpec) { s.Pod.Main.PreStop = execHook("/drain") }, false, true},
		{"the pod's labels, read by no one", nil, func(s *PodSpec) { s.Pod.Labels = map[string]string{"app": "x"} }, false, false},
		{"the pod's labels, read by main", func(s *PodSpec) {
			s.Pod.Main.EnvRefs = []recipes.EnvRef{{Name: "APP", Field: "metadata.labels['app']"}}
		}, func(s *PodSpec) { s.Pod.Labels = map[string]string{"app": "x"} }, false, true},
		{"a sidecar's limit read by main", func(s *PodSpec) {
			s.Pod.Main.EnvRefs = []recipes.EnvRef{{Name: "C", Resource: "limits.cpu", Container: "envoy"}}
		}, func(s *PodSpec) {
			s.Pod.Sidecars[0].Resources = &recipes.Resources{Limits: recipes.ResourceList{CPU: 100}}
		}, false, true},
	}
	for _, c := range changes {
		base, s := testSpec(), testSpec()
		if c.before != nil {
			c.before(base)
			c.before(s)
		}
		c.change(s)
		if got := infraHash(s) != infraHash(base); got != c.infra {
			t.Errorf("%s: infra hash changed %v, want %v", c.what, got, c.infra)
		}
		if got := webHash(s) != webHash(base); got != c.main {
			t.Errorf("%s: main's hash changed %v, want %v", c.what, got, c.main)
		}
	}
}

// What only the exports use — a container's declared ports, whether a volume is a secret
// one — is no part of a container's config hash: editing it re-creates nothing.
func TestExportOnlyFieldsAreNotHashed(t *testing.T) {
	spec := testSpec()
	pod := spec.Pod
	pod.Volumes = append(pod.Volumes, &recipes.Volume{Name: "creds", Files: map[string]string{"token": "abc"}})
	pod.Main.Volumes = append(pod.Main.Volumes, recipes.Mount{Type: recipes.MountVolume, Source: "creds", Target: "/creds", ReadOnly: true})
	before := spec.ContainerSpec(pod.Main, "id-infra").Labels
	pod.Volume("creds").Secret = true
	pod.Main.Expose = []recipes.Port{{ContainerPort: 9000, Protocol: recipes.ProtoTCP}}
	if after := spec.ContainerSpec(pod.Main, "id-infra").Labels; !maps.Equal(before, after) {
		t.Errorf("labels changed: %v → %v", before, after)
	}
}

// A sub_path of a volume with files is a copy: of the one file it names, or of the files
// under the directory it names (Kubernetes mounts a ConfigMap's items directory so).
func TestFileCopiesOfASubPath(t *testing.T) {
	spec := testSpec()
	pod := spec.Pod
	pod.Volumes = []*recipes.Volume{{Name: "cfg", Files: map[string]string{"app.conf": "a", "conf.d/x.conf": "x", "conf.d/y.conf": "y", "other/z": "z"}}}
	pod.Main.Volumes = []recipes.Mount{
		{Type: recipes.MountVolume, Source: "cfg", Target: "/etc/app/app.conf", SubPath: "app.conf", ReadOnly: true},
		{Type: recipes.MountVolume, Source: "cfg", Target: "/etc/app/conf.d", SubPath: "conf.d/"},
	}
	got := spec.FileCopies(pod.Main)
	want := []FileCopy{
		{Dir: "/etc/app", Files: map[string][]byte{"app.conf": []byte("a")}, ReadOnly: true},
		{Dir: "/etc/app/conf.d", Files: map[string][]byte{"x.conf": []byte("x"), "y.conf": []byte("y")}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("file copies %+v, want %+v", got, want)
	}
}

// A stack of one pod has no stack network: the pod's name, when its hostname is another, and
// its aliases resolve through /etc/hosts to the pod itself (compose's service name does).
func TestInfraSpecNamesThePodWithoutANetwork(t *testing.T) {
	spec := testSpec()
	spec.Pod.Hostname = "myhost"
	spec.Pod.ExtraHosts = []recipes.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db"}}}
	infra := spec.InfraSpec()
	want := []recipes.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db"}}, {IP: "127.0.0.1", Hostnames: []string{"shop"}}}
	if !reflect.DeepEqual(infra.ExtraHosts, want) || len(infra.Aliases) != 0 {
		t.Errorf("extra hosts %v, aliases %v; want %v and none", infra.ExtraHosts, infra.Aliases, want)
	}
	if len(spec.Pod.ExtraHosts) != 1 {
		t.Errorf("the pod's own extra hosts were changed: %v", spec.Pod.ExtraHosts)
	}
	// With its own name as hostname the engine names it already.
	spec.Pod.Hostname = ""
	if h := spec.InfraSpec().ExtraHosts; !reflect.DeepEqual(h, spec.Pod.ExtraHosts) {
		t.Errorf("hostname = name: extra hosts %v, want the pod's only", h)
	}
}

// A container's own labels are on its engine container with sidecar's, which win: a label in
// sidecar's namespace (validation refuses one, so this is a stack built in code) is left out,
// and the codec reads the container back as sidecar wrote it. The infra container gets none.
// The labels are part of the config hash: changing them is a change.
func TestContainerSpecCarriesTheContainersLabels(t *testing.T) {
	spec := testSpec()
	web := spec.Pod.Main
	before := spec.ContainerSpec(web, "id-infra").Labels[keyConfigHash]
	web.Labels = map[string]string{"traefik.enable": "true", "com.example.team": "shop",
		keyPod: "other", labelPrefix + "made-up": "x"}
	app := spec.ContainerSpec(web, "id-infra")
	for k, v := range map[string]string{"traefik.enable": "true", "com.example.team": "shop", keyStack: "shop", keyPod: "shop",
		keyContainer: "web", keyRole: "main"} {
		if app.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, app.Labels[k], v, app.Labels)
		}
	}
	if _, ok := app.Labels[labelPrefix+"made-up"]; ok {
		t.Errorf("a user label in sidecar's namespace reached the engine: %v", app.Labels)
	}
	if l, err := DecodeLabels(app.Labels); err != nil || l.Pod != "shop" || l.Container != "web" || l.Role != recipes.RoleMain {
		t.Errorf("decoded %+v, %v", l, err)
	}
	if app.Labels[keyConfigHash] == before {
		t.Errorf("the config hash did not change with the labels")
	}
	for k := range spec.InfraSpec().Labels {
		if !IsLabelKey(k) {
			t.Errorf("the infra container has label %s", k)
		}
	}
}
