package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Issue 9's acceptance, from files as users write them, run by `sidecar up`: what the engine
// can honour of a Kubernetes Pod and of a compose file is honoured, and the engine says so.

// exec runs cmd in the stack's container name and returns its output.
func (s *scenario) exec(name string, cmd ...string) string {
	s.t.Helper()
	res, err := s.d.Exec(s.ctx, s.container(name).ID, cmd)
	if err != nil || res.ExitCode != 0 {
		s.t.Fatalf("exec %q in %s: exit %d, %v\n%s", cmd, name, res.ExitCode, err, res.Output)
	}
	return res.Output
}

func TestKubernetesFieldsFromAManifest(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "honoured-kube")
	hooks := filepath.Join(t.TempDir(), "hooks")
	if err := os.Mkdir(hooks, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(hooks, 0o777); err != nil {
		t.Fatal(err)
	}
	file := s.manifest("pod.yaml", "${HOOKS_DIR}", hooks)
	up := s.start("up", "-f", file)
	s.eventually("the pod running", up, startDeadline, s.running("web", "proxy"))

	// The engine's own view: main's limits and capability, the infra container's hosts.
	inspect := func(name string) client.ContainerInspectResult {
		res, err := s.d.Client().ContainerInspect(s.ctx, s.container(name).ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	web, infra := inspect("web").Container, inspect("infra").Container
	if hc := web.HostConfig; hc.NanoCPUs != 500_000_000 || hc.Memory != 64<<20 ||
		!(slices.Contains(hc.CapAdd, "NET_ADMIN") || slices.Contains(hc.CapAdd, "CAP_NET_ADMIN")) {
		t.Errorf("web: NanoCpus %d Memory %d CapAdd %v, want 500m, 64Mi, NET_ADMIN", hc.NanoCPUs, hc.Memory, hc.CapAdd)
	}
	if !slices.Contains(infra.HostConfig.ExtraHosts, "db.internal:10.1.2.3") {
		t.Errorf("infra ExtraHosts %v", infra.HostConfig.ExtraHosts)
	}
	// From inside main: the host alias, the tmpfs, the downward API.
	if hosts := s.exec("web", "/peek", "-cat", "/etc/hosts", "-grep", "db.internal"); !strings.Contains(hosts, "10.1.2.3") {
		t.Errorf("/etc/hosts: %q", hosts)
	}
	if m := s.exec("web", "/peek", "-cat", "/proc/mounts", "-grep", " /scratch "); !strings.Contains(m, "tmpfs") || !strings.Contains(m, "size=16384k") {
		t.Errorf("/scratch is not a 16Mi tmpfs: %q", m)
	}
	var ip string
	for _, n := range infra.NetworkSettings.Networks {
		ip = n.IPAddress.String()
	}
	env := s.exec("web", "/peek", "-env")
	if !strings.Contains(env, "POD_IP="+ip+"\n") || !strings.Contains(env, "POD_NAME=shop\n") || ip == "" {
		t.Errorf("the environment has no POD_IP=%s and POD_NAME=shop:\n%s", ip, env)
	}
	if want := fmt.Sprintf("ip=%s name=shop", ip); !slices.Contains(web.Args, want) {
		t.Errorf("main's arguments %q, want %q expanded", web.Args, want)
	}

	up.tearDown(syscall.SIGTERM)
	order, err := os.ReadFile(filepath.Join(hooks, "order"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(order)), []string{"proxy-post-start", "web-post-start", "web-pre-stop", "proxy-pre-stop"}; !slices.Equal(got, want) {
		t.Errorf("hooks ran in the order %v, want %v", got, want)
	}
	s.nothingLeft()
}

func TestComposeSeedingJob(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "compose-seed")
	up := s.upJSON("compose.yaml", "app")
	seed := s.container("seed")
	if seed.Status != orchestrator.StatusExited || seed.ExitCode != 0 {
		t.Errorf("seed is %s (exit %d), want exited 0", seed.Status, seed.ExitCode)
	}
	if app := s.container("app"); !app.StartedAt.After(seed.FinishedAt) {
		t.Errorf("app started (%s) before seed finished (%s)", app.StartedAt, seed.FinishedAt)
	}
	// What seed wrote in the named volume, app reads: one volume, the stack's, shared.
	s.eventually("app printing what seed wrote", up, startDeadline, func() error {
		var lines []string
		err := s.d.Logs(s.ctx, s.container("app").ID, orchestrator.LogOptions{Tail: -1}, func(l orchestrator.LogLine) { lines = append(lines, l.Text) })
		if err != nil || !slices.Contains(lines, "rows seeded") {
			return fmt.Errorf("app printed %q (%v)", lines, err)
		}
		return nil
	})
	vols, err := s.d.ListVolumes(s.ctx, s.filter)
	if err != nil || len(vols) != 1 || vols[0].Name != s.stack+"-data" {
		t.Errorf("the stack's volumes: %+v, %v; want %s-data alone", vols, err, s.stack)
	}
	// The seed pod completed, and the stack goes on.
	s.eventually("seed's pod completed", up, startDeadline, func() error {
		if !strings.Contains(up.stdout.String(), `"completed"`) {
			return fmt.Errorf("no completed pod yet")
		}
		return nil
	})
	if s.container("app").Status != orchestrator.StatusRunning {
		t.Errorf("app stopped when seed completed")
	}
	up.tearDown(syscall.SIGTERM)
	s.nothingLeft()
}

// compose's pre_start steps run in order, each to completion, before their service, in its
// image and with its volumes: app prints what they wrote, in their order.
func TestComposePreStart(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "compose-pre-start")
	up := s.upJSON("compose.yaml", "app")
	first, second, app := s.container("app-pre-start-0"), s.container("app-pre-start-1"), s.container("app")
	for _, c := range []orchestrator.ContainerInfo{first, second} {
		if c.Status != orchestrator.StatusExited || c.ExitCode != 0 {
			t.Errorf("%s is %s (exit %d), want exited 0", c.Name, c.Status, c.ExitCode)
		}
	}
	if !second.StartedAt.After(first.FinishedAt) || !app.StartedAt.After(second.FinishedAt) {
		t.Errorf("started: step 0 %s–%s, step 1 %s–%s, app %s; want one after the other",
			first.StartedAt, first.FinishedAt, second.StartedAt, second.FinishedAt, app.StartedAt)
	}
	s.eventually("app printing what the steps wrote", up, startDeadline, func() error {
		var lines []string
		err := s.d.Logs(s.ctx, s.container("app").ID, orchestrator.LogOptions{Tail: -1}, func(l orchestrator.LogLine) { lines = append(lines, l.Text) })
		if err != nil || !slices.Equal(lines, []string{"migrated", "loaded"}) {
			return fmt.Errorf("app printed %q (%v), want migrated then loaded", lines, err)
		}
		return nil
	})
	up.tearDown(syscall.SIGTERM)
	s.nothingLeft()
}

// A failing pre_start step fails the bring-up of its service: up fails, naming the step's
// container, and neither the next step nor the service is started.
func TestComposePreStartFails(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "compose-pre-start")
	stdout, stderr, code := s.run("up", "-f", s.recipe("compose-fails.yaml"), "--output", "json")
	if code == 0 || !strings.Contains(stderr, "init container app-pre-start-0 exited with code 3") {
		t.Errorf("up exited %d, want non-zero with app-pre-start-0's exit code; stderr:\n%s", code, stderr)
	}
	for _, l := range strings.Split(stdout, "\n") {
		for _, c := range []string{"app-pre-start-1", "app"} {
			if strings.Contains(l, `"container":"`+c+`"`) && strings.Contains(l, `"started_at"`) {
				t.Errorf("%s started after the step before it failed: %s", c, l)
			}
		}
	}
	s.nothingLeft()
}

// A compose file and its override file, merged as docker compose merges them: what the stack
// runs has both, the override winning; the containers' recipe label names both files.
func TestComposeOverrideFile(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "compose-override")
	base, override := s.recipe("compose.yaml"), s.recipe("compose.override.yaml")
	up := s.start("up", "-f", base, "-f", override, "--plain")
	s.eventually("web answering as the override says, on the port it publishes", up, startDeadline, s.answers("hello from override"))
	if env := s.exec("web", "/peek", "-env"); !strings.Contains(env, "MODE=override") || !strings.Contains(env, "KEEP=kept") {
		t.Errorf("web's environment, want MODE=override and KEEP=kept:\n%s", env)
	}
	l, err := orchestrator.DecodeLabels(s.container("web").Labels)
	if want := base + string(os.PathListSeparator) + override; err != nil || l.Recipe != want {
		t.Errorf("recipe label %q (%v), want %q", l.Recipe, err, want)
	}
	up.tearDown(syscall.SIGTERM)
	s.nothingLeft()
}

// A bind mount source that does not exist is created, an empty directory, when the container
// is (the engine creates it, on its host), as docker compose does for immich's ./library at
// the first up; down leaves it, as compose does.
func TestComposeBindSourceCreated(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "bind-create")
	file := s.manifest("compose.yaml")
	dir := filepath.Dir(file)
	sources := []string{filepath.Join(dir, "library"), filepath.Join(dir, "postgres", "data")}
	for _, src := range sources {
		if _, err := os.Stat(src); !os.IsNotExist(err) {
			t.Fatalf("%s exists before up (%v)", src, err)
		}
	}
	up := s.start("up", "-f", file, "--plain")
	s.eventually("app running", up, startDeadline, s.running("app"))
	if !strings.Contains(up.stderr.String(), "bind mount source ./library does not exist: it is created") {
		t.Errorf("up does not say that ./library is created:\n%s", up.output())
	}
	for _, src := range sources {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			t.Errorf("%s after up: %v, want a directory", src, err)
		}
	}
	up.tearDown(syscall.SIGTERM)
	s.nothingLeft()
	for _, src := range sources {
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			t.Errorf("%s after down: %v, want it left", src, err)
		}
	}
}

// A compose service's labels are on its engine container, as docker compose sets them (what
// a traefik container reading the engine routes by), with sidecar's own intact; a label
// edited in the file re-creates that container at the next up, and only that one.
func TestComposeLabelsOnTheEngine(t *testing.T) {
	t.Parallel()
	s := detachedScenario(t, "labels")
	file := s.recipe("compose.yaml")
	inspect := func(name string) map[string]string {
		t.Helper()
		res, err := s.d.Client().ContainerInspect(s.ctx, s.container(name).ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res.Container.Config.Labels
	}
	check := func(name string, want map[string]string) {
		t.Helper()
		labels := inspect(name)
		for k, v := range want {
			if got, ok := labels[k]; !ok || got != v {
				t.Errorf("%s: label %s = %q (set %v), want %q", name, k, got, ok, v)
			}
		}
		l, err := orchestrator.DecodeLabels(labels)
		if err != nil || l.Stack != s.stack || l.Pod != name || l.Container != name || l.Role != recipes.RoleMain || l.ConfigHash == "" {
			t.Errorf("%s: sidecar's own labels %+v (%v), want stack %s, pod and container %s, role main, a config hash", name, l, err, s.stack, name)
		}
	}
	s.runExit(0, "up", "-d", "-f", file)
	check("web", map[string]string{"traefik.enable": "true", "traefik.http.routers.web.rule": "Host(`web.localhost`)", "com.example.rev": "one"})
	check("worker", map[string]string{"com.example.team": "payments"})
	if _, ok := inspect("infra")["traefik.enable"]; ok {
		t.Errorf("the infra container has web's labels")
	}

	before := s.containers()
	s.setEnv("LABEL_REV", "two")
	out, errOut := s.runExit(0, "up", "-d", "-f", file)
	if all := out + errOut; !strings.Contains(all, "replace web") || strings.Contains(all, "replace worker") {
		t.Errorf("up -d with web's label edited does not replace web alone:\n%s", all)
	}
	check("web", map[string]string{"com.example.rev": "two", "traefik.enable": "true"})
	if now := s.containers(); now["web"].ID == before["web"].ID || now["worker"].ID != before["worker"].ID {
		t.Errorf("web %.12s → %.12s, worker %.12s → %.12s: want web re-created, worker kept",
			before["web"].ID, now["web"].ID, before["worker"].ID, now["worker"].ID)
	}
	if _, errOut, code := s.run("down", "--stack", s.stack); code != 0 {
		t.Errorf("down exited %d: %s", code, errOut)
	}
	s.nothingLeft()
}
