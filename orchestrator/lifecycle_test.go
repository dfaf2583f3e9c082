package orchestrator_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// shop is the flat one-pod stack of DESIGN §3: init migrate; sidecars envoy (ready probe)
// and shipper; main web; a scratch volume and a volume with files.
func shop(mainOpts ...copt) *recipes.Stack {
	web := ctr("web", append([]copt{mount("logs", "/var/log/web", ""), mount("conf", "/etc/web/web.conf", "web.conf"), bind("./conf", "/etc/extra")}, mainOpts...)...)
	return stack("shop", pod("shop", web,
		inits(ctr("migrate")),
		sidecars(ctr("envoy", readyProbe), ctr("shipper", mount("logs", "/var/log/web", ""))),
		volumes(&recipes.Volume{Name: "conf", Files: map[string]string{"web.conf": "listen 8080\n", "other": "x"}}, &recipes.Volume{Name: "logs"}),
	))
}

// startShop runs shop(), its init exiting 0 at once, until the pod runs (shopRunning).
func startShop(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, shop(), orchestrator.Options{})
	h.rt.ExitOnStart("shop-migrate", 0)
	h.start()
	h.until("pod running", time.Second, h.shopRunning)
	return h
}

func TestStartOrderAndGracefulShutdown(t *testing.T) {
	h := newHarness(t, shop(), orchestrator.Options{})
	h.rt.ExitOnStart("shop-migrate", 0)
	h.rt.SetProbe("shop-envoy", errors.New("connection refused"))
	h.start()

	// envoy runs but is not ready: shipper must not start, whatever time passes.
	h.until("envoy running", 0, h.running("shop-infra", "shop-envoy"))
	h.until("envoy not ready", time.Second, func() bool { return h.view("shop", "envoy").Health == orchestrator.HealthNotReady })
	if _, ok := h.rt.Container("shop-shipper"); !ok {
		t.Fatal("shipper was not created up front")
	}
	if slices.Contains(h.rt.Running(), "shop-shipper") {
		t.Fatal("shipper started before envoy was ready")
	}
	if got := h.podPhase("shop"); got != orchestrator.PhaseSidecars {
		t.Errorf("pod phase %s, want sidecars", got)
	}
	h.rt.SetProbe("shop-envoy", nil)
	h.until("main running", time.Second, h.running("shop-web"))
	h.until("pod and stack running", 0, func() bool {
		return h.podPhase("shop") == orchestrator.PhaseRunning && h.o.Snapshot().Phase == orchestrator.PhaseRunning
	})

	hist := h.rt.HistoryOf()
	// The app containers are created while the infra container starts (joining its
	// namespaces needs it created); only their starts wait for it to run.
	before(t, hist, "create shop-infra", "create shop-migrate")
	before(t, hist, "start shop-infra", "start shop-migrate")
	for _, c := range []string{"shop-migrate", "shop-envoy", "shop-shipper", "shop-web"} {
		before(t, hist, "create "+c, "start shop-migrate") // every app container created up front
	}
	before(t, hist, "die shop-migrate 0", "start shop-envoy")
	before(t, hist, "start shop-envoy", "start shop-shipper")
	before(t, hist, "start shop-shipper", "start shop-web")

	// What was created: names, labels, namespaces, mounts, files.
	infra, _ := h.rt.Container("shop-infra")
	web, _ := h.rt.Container("shop-web")
	if web.Spec.NamespaceOwner != infra.Info.ID {
		t.Errorf("web joins %q, want the infra container %q", web.Spec.NamespaceOwner, infra.Info.ID)
	}
	wl, err := orchestrator.DecodeLabels(web.Info.Labels)
	il, ierr := orchestrator.DecodeLabels(infra.Info.Labels)
	if err != nil || ierr != nil || wl.Stack != "shop" || wl.Pod != "shop" || wl.Container != "web" || wl.Role != recipes.RoleMain ||
		wl.Version != "v0.0.0-test" || wl.Recipe != "/home/dev/shop/sidecar.yaml" || wl.ConfigHash == "" || !wl.HasOrder ||
		il.Role != recipes.RoleInfra || il.Container != orchestrator.InfraName || il.StopGrace <= 0 {
		t.Errorf("labels: web %v (%v), infra %v (%v)", web.Info.Labels, err, infra.Info.Labels, ierr)
	}
	if got := h.rt.Volumes(); !slices.Equal(got, []string{"shop-conf", "shop-logs"}) {
		t.Errorf("volumes %v, want shop-conf (with files) and shop-logs", got)
	}
	// The volume with files holds them, written through the infra container's mount.
	if got := h.rt.VolumeFiles("shop-conf"); len(got) != 2 || string(got["web.conf"]) != "listen 8080\n" || string(got["other"]) != "x" {
		t.Errorf("files in volume shop-conf: %q", got)
	}
	if got := h.rt.VolumeFiles("shop-logs"); got != nil {
		t.Errorf("files in volume shop-logs: %q", got)
	}
	wantMounts := []orchestrator.MountSpec{
		{Type: recipes.MountVolume, Source: "shop-logs", Target: "/var/log/web"},
		{Type: recipes.MountBind, Source: "/home/dev/shop/conf", Target: "/etc/extra", ReadOnly: true},
	}
	if !slices.Equal(web.Spec.Mounts, wantMounts) {
		t.Errorf("mounts %+v, want %+v", web.Spec.Mounts, wantMounts)
	}
	// A sub_path mount of one file of it is copied in (volume sub paths need API 1.45).
	if got := string(web.Files["/etc/web/web.conf"]); got != "listen 8080\n" || len(web.Files) != 1 {
		t.Errorf("files copied into web: %v", web.Files)
	}

	h.o.Shutdown()
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v; want exit 0", res, err)
	}
	hist = h.rt.HistoryOf()
	before(t, hist, "stop shop-web", "kill shop-shipper SIGTERM")
	before(t, hist, "stop shop-shipper", "kill shop-envoy SIGTERM")
	before(t, hist, "destroy shop-web", "destroy shop-infra")
	before(t, hist, "destroy shop-envoy", "destroy shop-infra")
	if got := h.o.Snapshot(); got.Phase != orchestrator.PhaseDone || *got.ExitCode != 0 || got.Pods[0].Phase != orchestrator.PhaseDone {
		t.Errorf("final snapshot %+v", got)
	}
	h.leftNothing()
}

// Lines of a run that ended before anyone saw it running are still read, from its start.
func TestQuickRunsLogsAreCaptured(t *testing.T) {
	h := newHarness(t, shop(), orchestrator.Options{})
	h.rt.PrintOnStart("shop-migrate", "migrating", "migrated")
	h.rt.ExitOnStart("shop-migrate", 0)
	h.start()
	h.until("main running", time.Second, h.running("shop-web"))
	buf := h.o.Logs().Buffer("shop", "migrate")
	h.until("migrate's lines", 0, func() bool { _, n := buf.Bounds(); return n == 2 })
	lines, _, _ := buf.Read(0, 0)
	if lines[0].Text != "migrating" || lines[1].Text != "migrated" || lines[0].Pod != "shop" || lines[0].Container != "migrate" {
		t.Errorf("migrate's buffer %+v", lines)
	}
	h.o.Shutdown()
	h.finish(time.Second)
}

func TestJobCompletion(t *testing.T) {
	h := startShop(t)
	if err := h.rt.Exit("shop-web", 3); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if err != nil || res.ExitCode != 3 || res.Container != "web" {
		t.Fatalf("Run = %+v, %v; want main's exit code 3", res, err)
	}
	hist := h.rt.HistoryOf("shop-envoy", "shop-shipper")
	before(t, hist, "stop shop-shipper", "stop shop-envoy")
	if v := h.view("shop", "web"); v.State != orchestrator.CStateRemoved {
		t.Errorf("web view %+v", v)
	}
	h.leftNothing()
}

func TestInitFailure(t *testing.T) {
	h := newHarness(t, shop(), orchestrator.Options{FailureLines: 2})
	h.start()
	h.until("migrate running", 0, h.running("shop-migrate"))
	for _, l := range []string{"connecting", "db unreachable", "giving up"} {
		if err := h.rt.Print("shop-migrate", orchestrator.Stderr, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.rt.Exit("shop-migrate", 1); err != nil {
		t.Fatal(err)
	}
	res, err := h.finish(time.Second)
	if !errors.Is(err, orchestrator.ErrInitFailed) || res.ExitCode != 1 || res.Container != "migrate" {
		t.Fatalf("Run = %+v, %v; want exit 1 for migrate", res, err)
	}
	if strings.Join(res.Lines, "|") != "db unreachable|giving up" {
		t.Errorf("lines %q, want the last two", res.Lines)
	}
	for _, n := range []string{"shop-envoy", "shop-shipper", "shop-web"} {
		if index(h.rt.HistoryOf(n), "start "+n) >= 0 {
			t.Errorf("%s started after init failed", n)
		}
	}
	if got := h.podPhase("shop"); got != orchestrator.PhaseFailed {
		t.Errorf("pod phase %s", got)
	}
	h.leftNothing()
}

// An init container with restart: on-failure (what the Kubernetes importer gives one of a pod
// whose restartPolicy is Always or OnFailure) is run again after its back-off until it exits
// 0, as a kubelet retries it; nothing after it starts meanwhile. A job pod's the same.
func TestInitOnFailureIsRetriedWithBackoff(t *testing.T) {
	for _, job := range []bool{false, true} {
		t.Run(map[bool]string{false: "service", true: "job"}[job], func(t *testing.T) {
			s := shop()
			p := s.Pods[0]
			p.Init[0].Restart = recipes.RestartOnFailure
			p.Job = job
			h := newHarness(t, s, orchestrator.Options{})
			h.start()
			var delays []string
			for i, code := range []int{3, 3} {
				h.until("migrate running", 0, func() bool {
					v := h.view("shop", "migrate")
					return v.State == orchestrator.CStateRunning && v.Restarts == i
				})
				if err := h.rt.Exit("shop-migrate", code); err != nil {
					t.Fatal(err)
				}
				h.until("migrate in back-off", 0, h.stateIs("shop", "migrate", orchestrator.CStateBackoff))
				v := h.view("shop", "migrate")
				delays = append(delays, v.RestartIn.String())
				if v.Reason != "exit code 3" {
					t.Errorf("migrate's reason %q", v.Reason)
				}
				if got := h.podPhase("shop"); got != orchestrator.PhaseInit {
					t.Errorf("pod phase %s in migrate's back-off, want init", got)
				}
				// Nothing restarts it before its back-off has passed.
				h.clock.Step(v.RestartIn.D() - time.Millisecond)
				h.until("migrate restarted", time.Millisecond, func() bool {
					return h.view("shop", "migrate").Restarts == i+1
				})
			}
			if got := strings.Join(delays, " "); got != "1s 2s" {
				t.Errorf("back-offs %s, want 1s 2s", got)
			}
			for _, n := range []string{"shop-envoy", "shop-shipper", "shop-web"} {
				if index(h.rt.HistoryOf(n), "start "+n) >= 0 {
					t.Errorf("%s started while init container migrate was failing", n)
				}
			}
			h.until("migrate running", 0, h.stateIs("shop", "migrate", orchestrator.CStateRunning))
			if err := h.rt.Exit("shop-migrate", 0); err != nil {
				t.Fatal(err)
			}
			h.until("main running", time.Second, h.running("shop-envoy", "shop-shipper", "shop-web"))
			hist := h.rt.HistoryOf()
			before(t, hist, "die shop-migrate 0", "start shop-envoy")
			if v := h.view("shop", "migrate"); v.Restarts != 2 || v.State != orchestrator.CStateExited {
				t.Errorf("migrate %+v, want exited after 2 restarts", v)
			}
			h.o.Shutdown()
			if res, err := h.finish(time.Second); err != nil || res.ExitCode != 0 {
				t.Fatalf("Run = %+v, %v; want exit 0", res, err)
			}
			h.leftNothing()
		})
	}
}
