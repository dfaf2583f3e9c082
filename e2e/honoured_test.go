package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

// Scenarios of stacks built in Go and run by the orchestrator on the real engine: the fields
// of the model that no decoder reads yet (resources, capabilities, hosts, tmpfs volumes,
// lifecycle hooks, the downward API, StatefulSet identity, job pods), checked with the
// engine's own inspect and from inside the containers.

// goStack is a stack run by the orchestrator in the test process.
type goStack struct {
	t     *testing.T
	d     *runtime.Docker
	ctx   context.Context
	stack *recipes.Stack
	o     *orchestrator.Orchestrator
	names orchestrator.Names

	events *testenv.Recorder
	done   chan struct{}
	res    orchestrator.Result
	err    error
}

// newGoStack normalises pods as the loader would (roles, restart policies, stop budgets) into
// a stack of a unique name, and registers the check that nothing of it is left.
func newGoStack(t *testing.T, pods ...*recipes.Pod) *goStack {
	t.Helper()
	d := testenv.Engine(t)
	name := testenv.UniqueName(t, "e2e")
	testenv.CheckNoLeaks(t, orchestrator.StackFilter(name))
	for _, p := range pods {
		if p.StopGrace == 0 {
			p.StopGrace = recipes.Duration(10 * time.Second)
		}
		p.SetRoles()
	}
	st := &recipes.Stack{Name: name, Dir: t.TempDir(), Pods: pods,
		Backoff: recipes.Backoff{Initial: recipes.Duration(time.Second), Max: recipes.Duration(30 * time.Second), Reset: recipes.Duration(time.Minute)}}
	return &goStack{t: t, d: d, ctx: testenv.Context(t, 5*time.Minute), stack: st, names: orchestrator.Names{Stack: name}, done: make(chan struct{})}
}

// run starts the stack in the background, recording its events; the test's end tears it
// down if it still runs.
func (g *goStack) run() {
	g.o = orchestrator.New(g.d, g.stack, orchestrator.Options{Version: "e2e"})
	sub := g.o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	g.events = testenv.Record(sub)
	go func() {
		defer close(g.done)
		g.res, g.err = g.o.Run(g.ctx)
	}()
	g.t.Cleanup(func() {
		g.o.Shutdown()
		<-g.done
		sub.Close()
	})
}

// stop shuts the stack down and returns how Run ended.
func (g *goStack) stop() (orchestrator.Result, error) {
	g.o.Shutdown()
	select {
	case <-g.done:
	case <-time.After(endDeadline):
		g.t.Fatal("the stack did not stop")
	}
	return g.res, g.err
}

func (g *goStack) name(pod, c string) string { return g.names.Container(pod, c) }

// inspect is the engine's own view of a container of the stack.
func (g *goStack) inspect(pod, c string) container.InspectResponse {
	g.t.Helper()
	res, err := g.d.Client().ContainerInspect(g.ctx, g.name(pod, c), client.ContainerInspectOptions{})
	if err != nil {
		g.t.Fatalf("inspect %s: %v", g.name(pod, c), err)
	}
	return res.Container
}

// exec runs cmd in a running container of the stack and returns its output.
func (g *goStack) exec(pod, c string, cmd ...string) string {
	g.t.Helper()
	res, err := g.d.Exec(g.ctx, g.name(pod, c), cmd)
	if err != nil || res.ExitCode != 0 {
		g.t.Fatalf("exec %q in %s: exit %d, %v\n%s", cmd, g.name(pod, c), res.ExitCode, err, res.Output)
	}
	return res.Output
}

// running waits until the named containers run (pod/container).
func (g *goStack) running(what ...string) {
	g.t.Helper()
	testenv.Eventually(g.t, startDeadline, func() error {
		select {
		case <-g.done:
			g.t.Fatalf("the stack ended (%+v, %v) while waiting for %v", g.res, g.err, what)
		default:
		}
		for _, w := range what {
			pod, c, _ := strings.Cut(w, "/")
			info, err := g.d.InspectContainer(g.ctx, g.name(pod, c))
			if err != nil {
				return err
			}
			if info.Status != orchestrator.StatusRunning {
				return fmt.Errorf("%s is %s", w, info.Status)
			}
		}
		return nil
	})
}

// resolve waits until container client of pod client resolves each of names to the address
// pod has on the stack network.
func (g *goStack) resolve(pod string, names ...string) {
	g.t.Helper()
	ip := g.inspect(pod, "infra").NetworkSettings.Networks[g.names.Network()].IPAddress.String()
	cmd, want := []string{"/peek"}, ""
	for _, n := range names {
		cmd = append(cmd, "-resolve", n)
		want += n + " " + ip + "\n"
	}
	testenv.Eventually(g.t, 30*time.Second, func() error {
		res, err := g.d.Exec(g.ctx, g.name("client", "client"), cmd)
		if err != nil {
			return err
		}
		if res.Output != want {
			return fmt.Errorf("client resolves %q, want %q", res.Output, want)
		}
		return nil
	})
}

func (g *goStack) hookEvents() []orchestrator.HookEvent {
	return testenv.EventsOf[orchestrator.HookEvent](g.events)
}

func image(t *testing.T, name string, cmd ...string) *recipes.Container {
	return &recipes.Container{Name: name, Image: testenv.AppsImage(t), Command: cmd}
}

func appendHook(path, line string) *recipes.Hook {
	return &recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"/peek", "-append", path, "-line", line}}}
}

// One pod with what Docker can honour, as a Kubernetes pod or a compose service asks for it:
// cpu and memory limits, NET_ADMIN, a host alias, a network sysctl, an in-memory volume, its
// IP and name through the downward API (in the environment and, expanded, in the command),
// post-start and pre-stop hooks in lifecycle order; and a job pod it depends on, which
// completes first while the app keeps running.
func TestHonouredFieldsOnTheEngine(t *testing.T) {
	t.Parallel()
	hooks := filepath.Join(t.TempDir(), "hooks")
	if err := os.Mkdir(hooks, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(hooks, 0o777); err != nil { // whatever the umask: the proxy writes as nobody
		t.Fatal(err)
	}
	log := "/hooks/order"
	bind := recipes.Mount{Type: recipes.MountBind, Source: hooks, Target: "/hooks"}

	web := image(t, "web")
	web.Command = []string{"/crasher", "-forever", "-message", "ip=$(POD_IP) name=$(POD_NAME) kept=$$(POD_IP)"}
	web.ExpandRefs = true
	web.Resources = &recipes.Resources{Limits: recipes.ResourceList{CPU: 500, Memory: 64 << 20}, Requests: recipes.ResourceList{CPU: 250}}
	web.CapAdd = []string{"NET_ADMIN"}
	web.StopSignal = "SIGINT"
	web.Ulimits = []recipes.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
	web.ShmSize = 128 << 20
	web.Devices = []recipes.Device{{HostPath: "/dev/net/tun"}}
	web.EnvRefs = []recipes.EnvRef{
		{Name: "POD_IP", Field: "status.podIP"}, {Name: "HOST_IP", Field: "status.hostIP"},
		{Name: "POD_NAME", Field: "metadata.name"}, {Name: "POD_UID", Field: "metadata.uid"},
		{Name: "NODE", Field: "spec.nodeName"}, {Name: "MEM_MI", Resource: "limits.memory", Divisor: "1Mi"},
		{Name: "CPU_M", Resource: "requests.cpu", Divisor: "1m"},
	}
	web.Volumes = []recipes.Mount{{Type: recipes.MountVolume, Source: "scratch", Target: "/scratch"}, bind}
	web.PostStart, web.PreStop = appendHook(log, "web post-start"), appendHook(log, "web pre-stop")

	proxy := image(t, "proxy", "/crasher", "-forever")
	proxy.User, proxy.Groups = "65534", []string{"1234"}
	proxy.ReadOnly, proxy.Privileged = true, true
	proxy.Volumes = []recipes.Mount{{Type: recipes.MountVolume, Source: "scratch", Target: "/scratch"}, bind}
	proxy.PostStart, proxy.PreStop = appendHook(log, "proxy post-start"), appendHook(log, "proxy pre-stop")

	app := &recipes.Pod{Name: "app", Main: web, Sidecars: []*recipes.Container{proxy}, ShareIPC: true,
		DependsOn:  recipes.DepsOf("seed"),
		ExtraHosts: []recipes.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db.internal"}}},
		Sysctls:    map[string]string{"net.ipv4.ip_forward": "1"},
		Volumes:    []*recipes.Volume{{Name: "scratch", Medium: recipes.MediumMemory, SizeLimit: 16 << 20}},
	}
	seed := &recipes.Pod{Name: "seed", Job: true,
		Main:     image(t, "seed", "/crasher", "-after", "1s", "-exit-code", "0", "-message", "seeding"),
		Sidecars: []*recipes.Container{image(t, "helper", "/crasher", "-forever")}}
	g := newGoStack(t, seed, app)
	g.run()
	g.running("app/web", "app/proxy")

	// The job completed before the app was created; its containers stay, exited, while the
	// app runs; its pod shows as completed.
	seedMain, appInfra := g.inspect("seed", "seed"), g.inspect("app", "infra")
	if seedMain.State.Running || seedMain.State.ExitCode != 0 {
		t.Errorf("seed's main: running %v, exit %d", seedMain.State.Running, seedMain.State.ExitCode)
	}
	finished, _ := time.Parse(time.RFC3339Nano, seedMain.State.FinishedAt)
	created, _ := time.Parse(time.RFC3339Nano, appInfra.Created)
	if !created.After(finished) {
		t.Errorf("app's infra container created at %s, before the job finished at %s", created, finished)
	}
	testenv.Eventually(t, startDeadline, func() error {
		snap := g.o.Snapshot()
		if p := snap.Pod("seed"); p.Phase != orchestrator.PhaseCompleted {
			return fmt.Errorf("seed is %s", p.Phase)
		}
		if helper := g.inspect("seed", "helper"); helper.State.Running || helper.State.ExitCode != 0 {
			return fmt.Errorf("seed's sidecar: running %v, exit %d", helper.State.Running, helper.State.ExitCode)
		}
		if infra := g.inspect("seed", "infra"); infra.State.Running {
			return fmt.Errorf("seed's infra container still runs")
		}
		return nil
	})

	// The engine's own view of main.
	w := g.inspect("app", "web")
	hc := w.HostConfig
	if hc.NanoCPUs != 500_000_000 || hc.CPUShares != 256 || hc.Memory != 64<<20 || hc.MemoryReservation != 64<<20 {
		t.Errorf("resources: NanoCpus %d CpuShares %d Memory %d MemoryReservation %d", hc.NanoCPUs, hc.CPUShares, hc.Memory, hc.MemoryReservation)
	}
	// The engine writes capabilities with the CAP_ prefix (20.10) or as given.
	if !(slices.Contains(hc.CapAdd, "NET_ADMIN") || slices.Contains(hc.CapAdd, "CAP_NET_ADMIN")) || w.Config.StopSignal != "SIGINT" {
		t.Errorf("CapAdd %v, StopSignal %q", hc.CapAdd, w.Config.StopSignal)
	}
	if len(hc.Ulimits) != 1 || hc.Ulimits[0].Name != "nofile" || hc.Ulimits[0].Soft != 1024 || hc.Ulimits[0].Hard != 2048 {
		t.Errorf("Ulimits %+v", hc.Ulimits)
	}
	if len(hc.Devices) != 1 || hc.Devices[0].PathOnHost != "/dev/net/tun" {
		t.Errorf("Devices %+v", hc.Devices)
	}
	p := g.inspect("app", "proxy")
	if !p.HostConfig.ReadonlyRootfs || !p.HostConfig.Privileged || p.Config.User != "65534" || !slices.Equal(p.HostConfig.GroupAdd, []string{"1234"}) {
		t.Errorf("proxy: ReadonlyRootfs %v Privileged %v User %q GroupAdd %v", p.HostConfig.ReadonlyRootfs, p.HostConfig.Privileged, p.Config.User, p.HostConfig.GroupAdd)
	}
	ihc := appInfra.HostConfig
	if !slices.Contains(ihc.ExtraHosts, "db.internal:10.1.2.3") || ihc.Sysctls["net.ipv4.ip_forward"] != "1" ||
		ihc.IpcMode != "shareable" || ihc.ShmSize != 128<<20 {
		t.Errorf("infra: ExtraHosts %v Sysctls %v IpcMode %q ShmSize %d", ihc.ExtraHosts, ihc.Sysctls, ihc.IpcMode, ihc.ShmSize)
	}

	// From inside main.
	status := g.exec("app", "web", "/peek", "-cat", "/proc/self/status", "-grep", "CapEff")
	if caps, ok := strings.CutPrefix(strings.TrimSpace(status), "CapEff:"); !ok || !hasCap(t, caps, 12) {
		t.Errorf("main's effective capabilities %q lack NET_ADMIN (12)", status)
	}
	if hosts := g.exec("app", "web", "/peek", "-cat", "/etc/hosts", "-grep", "db.internal"); !strings.Contains(hosts, "10.1.2.3") {
		t.Errorf("/etc/hosts has no db.internal alias: %q", hosts)
	}
	if fwd := g.exec("app", "web", "/peek", "-cat", "/proc/sys/net/ipv4/ip_forward"); strings.TrimSpace(fwd) != "1" {
		t.Errorf("net.ipv4.ip_forward is %q in the pod", fwd)
	}
	mounts := g.exec("app", "web", "/peek", "-cat", "/proc/mounts", "-grep", "tmpfs")
	if !strings.Contains(mounts, " /scratch tmpfs ") || !strings.Contains(mounts, "size=16384k") || !regexpShm(mounts, "size=131072k") {
		t.Errorf("/proc/mounts: want /scratch a tmpfs of 16Mi and /dev/shm of 128Mi:\n%s", mounts)
	}
	// The in-memory volume is the pod's: what main writes, the sidecar reads.
	g.exec("app", "web", "/peek", "-append", "/scratch/note", "-line", "shared")
	if got := g.exec("app", "proxy", "/peek", "-cat", "/scratch/note"); strings.TrimSpace(got) != "shared" {
		t.Errorf("the sidecar reads %q from the pod's in-memory volume", got)
	}

	// The downward API.
	env := map[string]string{}
	for _, l := range strings.Split(g.exec("app", "web", "/peek", "-env"), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	net := appInfra.NetworkSettings.Networks[g.names.Network()]
	if net == nil {
		t.Fatalf("the app's infra container is not on %s: %v", g.names.Network(), appInfra.NetworkSettings.Networks)
	}
	info, err := g.d.Client().Info(g.ctx, client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"POD_IP": net.IPAddress.String(), "HOST_IP": net.Gateway.String(), "POD_NAME": "app",
		"NODE": info.Info.Name, "MEM_MI": "64", "CPU_M": "250"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s=%q, want %q", k, env[k], v)
		}
	}
	if len(env["POD_UID"]) != 36 {
		t.Errorf("POD_UID %q is not a UUID", env["POD_UID"])
	}
	if cmd := w.Args; !slices.Contains(cmd, fmt.Sprintf("ip=%s name=app kept=$(POD_IP)", net.IPAddress)) {
		t.Errorf("main's command %q: want $(POD_IP) and $(POD_NAME) expanded, $$ kept as $", cmd)
	}

	res, err := g.stop()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	order, err := os.ReadFile(filepath.Join(hooks, "order"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(strings.ReplaceAll(string(order), " ", "_")),
		[]string{"proxy_post-start", "web_post-start", "web_pre-stop", "proxy_pre-stop"}; !slices.Equal(got, want) {
		t.Errorf("hooks ran in the order %v, want %v", got, want)
	}
	var seen []string
	for _, h := range g.hookEvents() {
		seen = append(seen, fmt.Sprintf("%s %s %s", h.Container, h.Hook, h.Phase))
	}
	wantEvents := []string{"proxy post-start running", "proxy post-start passed", "web post-start running", "web post-start passed",
		"web pre-stop running", "web pre-stop passed", "proxy pre-stop running", "proxy pre-stop passed"}
	if !slices.Equal(seen, wantEvents) {
		t.Errorf("hook events:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(wantEvents, "\n"))
	}
}

// hasCap reports whether the hexadecimal capability set has capability bit n.
func hasCap(t *testing.T, hex string, n uint) bool {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
	if err != nil {
		t.Fatalf("capability set %q: %v", hex, err)
	}
	return v&(1<<n) != 0
}

// regexpShm reports whether /dev/shm's line of /proc/mounts has opt.
func regexpShm(mounts, opt string) bool {
	for _, l := range strings.Split(mounts, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[1] == "/dev/shm" {
			return strings.Contains(f[3], opt)
		}
	}
	return false
}

// A StatefulSet pod: web-0 of service web has that hostname, and another pod of the stack
// reaches it as web-0.web.
func TestStatefulSetIdentity(t *testing.T) {
	t.Parallel()
	web0 := &recipes.Pod{Name: "web-0", Hostname: "web-0", Subdomain: "web", Main: image(t, "web", "/crasher", "-forever")}
	resolvedByAClient(t, web0, "web-0.web", "web-0")
}

// The names compose makes resolvable are a pod's aliases on the stack network: another pod
// reaches web-service as web_service (a service name with '_'), as a container_name or a
// network alias (xmpp.meet.jitsi), in any case, as DNS ignores case; and the engine takes a
// hostname with '_'.
func TestPodAliasesResolve(t *testing.T) {
	t.Parallel()
	web := &recipes.Pod{Name: "web-service", Hostname: "echo_service", Aliases: []string{"web_service", "xmpp.meet.jitsi"},
		Main: image(t, "web", "/crasher", "-forever")}
	resolvedByAClient(t, web, "web_service", "xmpp.meet.jitsi", "Web_Service")
}

// resolvedByAClient runs pod, whose main is web, with a pod client beside it: web's
// hostname is the pod's, client resolves each of names to the pod's address, and the stack
// stops cleanly.
func resolvedByAClient(t *testing.T, pod *recipes.Pod, names ...string) {
	t.Helper()
	other := &recipes.Pod{Name: "client", Main: image(t, "client", "/crasher", "-forever")}
	g := newGoStack(t, pod, other)
	g.run()
	g.running(pod.Name+"/web", "client/client")
	if h := strings.TrimSpace(g.exec(pod.Name, "web", "/peek", "-hostname")); h != pod.Hostname {
		t.Errorf("hostname in %s is %q, want %s", pod.Name, h, pod.Hostname)
	}
	g.resolve(pod.Name, names...)
	if res, err := g.stop(); err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
}
