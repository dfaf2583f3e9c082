package orchestrator

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func probe() *recipes.Probe {
	return &recipes.Probe{TCP: &recipes.TCPProbe{Port: 9901}, Period: recipes.Duration(time.Second),
		Timeout: recipes.Duration(time.Second), Retries: 3}
}

// testSpec is a normalised one-pod stack: init migrate; sidecars envoy (ready probe) and
// shipper; main web; a plain volume and a volume with files.
func testSpec() *PodSpec {
	stack := &recipes.Stack{
		Name: "shop", Dir: "/src/shop",
		Backoff: recipes.Backoff{Initial: recipes.Duration(time.Second), Max: recipes.Duration(30 * time.Second), Reset: recipes.Duration(time.Minute)},
	}
	pod := &recipes.Pod{
		Name:      "shop",
		Init:      []*recipes.Container{{Name: "migrate", Role: recipes.RoleInit, Image: "shop/migrate", Restart: recipes.RestartNever}},
		Sidecars:  []*recipes.Container{{Name: "envoy", Role: recipes.RoleSidecar, Image: "envoy", Restart: recipes.RestartAlways, Ready: probe()}, {Name: "shipper", Role: recipes.RoleSidecar, Image: "fluent", Restart: recipes.RestartAlways, StopGrace: recipes.Duration(5 * time.Second)}},
		Main:      &recipes.Container{Name: "web", Role: recipes.RoleMain, Image: "shop/web", Restart: recipes.RestartNever},
		Volumes:   []*recipes.Volume{{Name: "conf", Files: map[string]string{"web.conf": "x"}}, {Name: "logs"}},
		StopGrace: recipes.Duration(30 * time.Second),
	}
	pod.Main.Volumes = []recipes.Mount{{Type: recipes.MountVolume, Source: "logs", Target: "/var/log"}, {Type: recipes.MountVolume, Source: "conf", Target: "/etc/web/web.conf", SubPath: "web.conf"}}
	stack.Pods = []*recipes.Pod{pod}
	return &PodSpec{Stack: stack, Pod: pod, InfraImage: "sidecar-infra:1", Version: "test"}
}

// builder helpers: each puts the status in a state the engine could report.
type mut func(st *PodStatus)

// all applies ms, then the engine check that the exits among them wait for (the engine is
// there: they were the containers' own).
func all(ms ...mut) mut {
	return func(st *PodStatus) {
		for _, m := range ms {
			m(st)
		}
		st.AwaitChecks(1)
		st.ApplyEngineChecked(1)
	}
}

func infraUp(st *PodStatus) {
	st.Infra.ID, st.Infra.State, st.Infra.Runs, st.Infra.StartedAt = "id-infra", StateRunning, 1, t0
	for _, v := range st.Volumes {
		v.Created = true
	}
}

func created(names ...string) mut {
	return func(st *PodStatus) {
		for _, n := range names {
			c := st.C(n)
			c.ID, c.State = "id-"+n, StateCreated
		}
	}
}

func allCreated(st *PodStatus) { infraUp(st); created("migrate", "envoy", "shipper", "web")(st) }

func running(name string, at time.Time) mut {
	return func(st *PodStatus) {
		c := st.C(name)
		c.State, c.StartedAt = StateRunning, at
		c.Runs++
		c.Attempt++
		if c.Role == recipes.RoleMain {
			st.MainStarted = true
		}
	}
}

// starting is a start sent to the engine and not yet answered.
func starting(name string) mut {
	return func(st *PodStatus) {
		c := st.C(name)
		c.State, c.Pending = StateStarting, c.Pending|OpStart
		c.Runs++
		c.Attempt++
		if c.Role == recipes.RoleMain {
			st.MainStarted = true
		}
	}
}

func ready(name string) mut {
	return func(st *PodStatus) { c := st.C(name); c.Ready, c.ReadyKnown = true, true }
}

func exited(name string, code int, at time.Time, crashes int) mut {
	return func(st *PodStatus) {
		c := st.C(name)
		c.State, c.ExitCode, c.FinishedAt, c.ExitedAt, c.CrashCount = StateExited, code, at, at, crashes
	}
}

func initDone(st *PodStatus) {
	running("migrate", t0)(st)
	exited("migrate", 0, t0, 0)(st)
}

func sidecarsUp(st *PodStatus) {
	running("envoy", t0)(st)
	ready("envoy")(st)
	running("shipper", t0)(st)
}

// statusOf is a new status of spec's pod, changed by muts in order.
func statusOf(spec *PodSpec, muts ...mut) *PodStatus {
	st := NewPodStatus(spec.Pod)
	all(muts...)(st)
	return st
}

func podUp(st *PodStatus) { allCreated(st); initDone(st); sidecarsUp(st); running("web", t0)(st) }

// infraLostAllGone: the infra container died (137) and every container of the pod is gone,
// the pod's re-creation begun.
func infraLostAllGone(st *PodStatus) {
	st.exit(testSpec(), st.Infra, 137, false, t0, t0)
	for _, c := range append(st.sorted(testSpec()), st.Infra) {
		st.gone(testSpec(), c, t0)
	}
	st.ApplyResult(testSpec(), ActionResult{Action: Action{Kind: ActRemoveVolume, Target: "conf"}}, t0)
}

// memoryConf makes the test pod's volume with files a tmpfs.
func memoryConf(s *PodSpec) { s.Pod.Volume("conf").Medium = recipes.MediumMemory }

func volumesCreated(st *PodStatus) {
	for _, v := range st.Volumes {
		v.Created = true
	}
}

// appRemoved: the app containers are gone from the engine; allRemoved: the infra container too.
func appRemoved(st *PodStatus) {
	for _, c := range st.Containers {
		c.ID, c.State = "", StateNone
	}
}

func allRemoved(st *PodStatus) {
	appRemoved(st)
	st.Infra.ID, st.Infra.State = "", StateNone
}

func terminating(at time.Time) mut { return func(st *PodStatus) { st.Terminate(false, at) } }

func pending(name string, op Ops) mut { return func(st *PodStatus) { st.C(name).Pending |= op } }

func withMain(policy recipes.RestartPolicy) func(*PodSpec) {
	return func(s *PodSpec) { s.Pod.Main.Restart = policy }
}

func TestPlanPod(t *testing.T) {
	tests := []struct {
		name  string
		spec  func(*PodSpec)
		st    mut
		now   time.Duration // after t0
		phase Phase
		want  string
	}{
		{
			name: "fresh pod: volumes first (the infra container mounts them), those with files too", st: all(), phase: PhaseCreating,
			want: `
create volume conf: pod volume
create volume logs: pod volume`,
		},
		{
			name: "volume being created: wait for it", st: all(func(st *PodStatus) { st.Volumes["logs"].Pending, st.Volumes["conf"].Created = true, true }), phase: PhaseCreating,
			want: ``,
		},
		{
			name: "volumes created: the infra container, which fills the volume with files", st: all(volumesCreated), phase: PhaseCreating,
			want: `
create infra: holds the pod's network namespace (then fills volume conf with its files)`,
		},
		{
			name: "infra created: start it", st: all(created(InfraName)), phase: PhaseCreating,
			want: `
create volume conf: pod volume
create volume logs: pod volume
start infra: holds the pod's network namespace`,
		},
		{
			name: "infra created, volumes ready: start it and create every app container meanwhile",
			st:   all(created(InfraName), volumesCreated), phase: PhaseCreating,
			want: `
start infra: holds the pod's network namespace
create migrate: app containers are created up front
create envoy: app containers are created up front
create shipper: app containers are created up front
create web: app containers are created up front`,
		},
		{
			name: "infra starting, app containers created: nothing starts before it runs",
			st: all(created(InfraName, "migrate", "envoy", "shipper", "web"), pending(InfraName, OpStart), volumesCreated, func(st *PodStatus) {
				st.Infra.State = StateStarting
			}), phase: PhaseCreating,
			want: ``,
		},
		{
			name: "a tmpfs volume with files: the infra container does not fill it (a tmpfs keeps nothing unmounted)",
			spec: memoryConf, st: all(volumesCreated), phase: PhaseCreating,
			want: `create infra: holds the pod's network namespace`,
		},
		{
			name: "a tmpfs volume with files is filled through the running infra container before anything starts",
			spec: memoryConf, st: allCreated, phase: PhaseCreating,
			want: `fill volume conf: a tmpfs holds files only while mounted: filled through the running infra container`,
		},
		{
			name: "a tmpfs volume being filled: nothing starts", spec: memoryConf,
			st: all(allCreated, func(st *PodStatus) { st.Volumes["conf"].Pending = true }), phase: PhaseCreating, want: ``,
		},
		{
			name: "a tmpfs volume filled: the first init container", spec: memoryConf,
			st: all(allCreated, func(st *PodStatus) { st.Volumes["conf"].Filled = true }), phase: PhaseInit,
			want: `start migrate: init container 1/1`,
		},
		{
			name: "infra running: every app container created up front", st: infraUp, phase: PhaseCreating,
			want: `
create migrate: app containers are created up front
create envoy: app containers are created up front
create shipper: app containers are created up front
create web: app containers are created up front`,
		},
		{
			name: "some creates in flight: only the missing ones", st: all(infraUp, created("migrate"), pending("envoy", OpCreate)), phase: PhaseCreating,
			want: `
create shipper: app containers are created up front
create web: app containers are created up front`,
		},
		{
			name: "all created: first init container", st: allCreated, phase: PhaseInit,
			want: `start migrate: init container 1/1`,
		},
		{
			name: "init in progress", st: all(allCreated, running("migrate", t0)), phase: PhaseInit,
			want: `wait migrate: init container 1/1 running`,
		},
		{
			name: "init failed: collect its last lines first", st: all(allCreated, running("migrate", t0), exited("migrate", 1, t0, 1)), phase: PhaseFailed,
			want: `collect logs migrate: init container migrate exited with code 1`,
		},
		{
			name: "init failed, lines collected: the pod failed",
			st: all(allCreated, running("migrate", t0), exited("migrate", 1, t0, 1), func(st *PodStatus) {
				st.C("migrate").LinesCollected, st.C("migrate").Lines = true, []string{"db down"}
			}),
			phase: PhaseFailed,
			want:  `pod failed: init container migrate exited with code 1`,
		},
		{
			name: "init failed, restart on-failure: back-off, nothing after it starts", spec: initRestart(recipes.RestartOnFailure),
			st: all(allCreated, running("migrate", t0), exited("migrate", 3, t0, 1)), now: 300 * time.Millisecond, phase: PhaseInit,
			want: `wait migrate: back-off 1s after exit code 3, restarting in 700ms`,
		},
		{
			name: "init failed, restart on-failure: run again after back-off", spec: initRestart(recipes.RestartOnFailure),
			st: all(allCreated, running("migrate", t0), exited("migrate", 3, t0, 2)), now: 2 * time.Second, phase: PhaseInit,
			want: `start migrate: restart after back-off 2s (exit code 3)`,
		},
		{
			name: "init's post-start hook failed, restart on-failure: it exited 0 and is run again", spec: withSpec(initRestart(recipes.RestartOnFailure), postStartOn("migrate")),
			st: all(allCreated, running("migrate", t0), func(st *PodStatus) { st.C("migrate").PostStart = HookFailed }, exited("migrate", 0, t0, 1)), phase: PhaseInit,
			want: `wait migrate: back-off 1s after exit code 0, restarting in 1s`,
		},
		{
			name: "init's post-start hook failed, restart never: the pod failed", spec: postStartOn("migrate"),
			st: all(allCreated, running("migrate", t0), func(st *PodStatus) {
				c := st.C("migrate")
				c.PostStart, c.PostStartErr, c.LinesCollected = HookFailed, "exit code 1", true
			}, exited("migrate", 0, t0, 1)), phase: PhaseFailed,
			want: `pod failed: the post-start hook of init container migrate failed: exit code 1`,
		},
		{
			name: "init done: first sidecar", st: all(allCreated, initDone), phase: PhaseSidecars,
			want: `start envoy: sidecar 1/2`,
		},
		{
			name: "sidecar running but not ready gates the next", st: all(allCreated, initDone, running("envoy", t0)), phase: PhaseSidecars,
			want: `wait envoy: sidecar 1/2 not ready yet`,
		},
		{
			name: "sidecar ready: the next one starts", st: all(allCreated, initDone, running("envoy", t0), ready("envoy")), phase: PhaseSidecars,
			want: `start shipper: sidecar 2/2`,
		},
		{
			name: "sidecar without probe is started when running: main starts", st: all(allCreated, initDone, sidecarsUp), phase: PhaseStartingMain,
			want: `start web: all sidecars started`,
		},
		{
			name: "gate started: a sidecar running but never ready does not hold the next", spec: gateStarted("envoy"),
			st: all(allCreated, initDone, running("envoy", t0)), now: 10 * time.Minute, phase: PhaseSidecars,
			want: `start shipper: sidecar 2/2`,
		},
		{
			name: "gate started: a never-ready last sidecar does not hold main", spec: withSpec(gateStarted("envoy", "shipper"), readyProbeOn("shipper")),
			st: all(allCreated, initDone, running("envoy", t0), running("shipper", t0)), now: 10 * time.Minute, phase: PhaseStartingMain,
			want: `start web: all sidecars started`,
		},
		{
			name: "gate ready: a never-ready last sidecar holds main", spec: readyProbeOn("shipper"),
			st: all(allCreated, initDone, running("envoy", t0), ready("envoy"), running("shipper", t0)), now: 10 * time.Minute, phase: PhaseSidecars,
			want: `wait shipper: sidecar 2/2 not ready yet`,
		},
		{
			name: "gate started: the startup probe still holds the next", spec: withSpec(gateStarted("envoy"), startupProbeOn("envoy")),
			st: all(allCreated, initDone, running("envoy", t0)), now: 10 * time.Minute, phase: PhaseSidecars,
			want: `wait envoy: sidecar 1/2 startup probe not passed yet`,
		},
		{
			name: "gate started: startup probe passed, not ready: the next starts", spec: withSpec(gateStarted("envoy"), startupProbeOn("envoy")),
			st: all(allCreated, initDone, running("envoy", t0), func(st *PodStatus) { st.C("envoy").StartupPassed = true }), phase: PhaseSidecars,
			want: `start shipper: sidecar 2/2`,
		},
		{
			name: "gate running: neither the startup probe nor readiness holds the next", spec: withSpec(gateRunning("envoy"), startupProbeOn("envoy")),
			st: all(allCreated, initDone, running("envoy", t0)), now: 10 * time.Minute, phase: PhaseSidecars,
			want: `start shipper: sidecar 2/2`,
		},
		{
			name: "gate running: a last sidecar whose startup probe has not passed does not hold main", spec: withSpec(gateRunning("envoy", "shipper"), startupProbeOn("shipper")),
			st: all(allCreated, initDone, running("envoy", t0), running("shipper", t0)), now: 10 * time.Minute, phase: PhaseStartingMain,
			want: `start web: all sidecars started`,
		},
		{
			name: "gate running: the post-start hook still holds the next", spec: withSpec(gateRunning("envoy"), postStartOn("envoy")),
			st: all(allCreated, initDone, running("envoy", t0), func(st *PodStatus) { st.C("envoy").PostStart = HookRunning }), phase: PhaseSidecars,
			want: `wait envoy: sidecar 1/2 post-start hook running`,
		},
		{
			name: "gate started: the post-start hook still holds the next", spec: withSpec(gateStarted("envoy"), postStartOn("envoy")),
			st: all(allCreated, initDone, running("envoy", t0), func(st *PodStatus) { st.C("envoy").PostStart = HookRunning }), phase: PhaseSidecars,
			want: `wait envoy: sidecar 1/2 post-start hook running`,
		},
		{
			name: "sidecar crashed during start-up: back-off, main waits", st: all(allCreated, initDone, running("envoy", t0), exited("envoy", 1, t0, 1)), now: 300 * time.Millisecond, phase: PhaseSidecars,
			want: `wait envoy: back-off 1s after exit code 1, restarting in 700ms`,
		},
		{
			name: "main's first start in flight: still starting main", st: all(allCreated, initDone, sidecarsUp, starting("web")), phase: PhaseStartingMain, want: ``,
		},
		{
			name: "running: nothing to do", st: podUp, phase: PhaseRunning, want: ``,
		},
		{
			name: "main restarting after a crash: the pod stays running", spec: withMain(recipes.RestartAlways), st: all(podUp, exited("web", 1, t0, 1), starting("web")), now: 2 * time.Second, phase: PhaseRunning, want: ``,
		},
		{
			name: "main exited, restart never: main ended", st: all(podUp, exited("web", 3, t0, 1)), phase: PhaseRunning,
			want: `main ended: exit code 3`,
		},
		{
			name: "main exited 0, restart on-failure: main ended", spec: withMain(recipes.RestartOnFailure), st: all(podUp, exited("web", 0, t0, 1)), phase: PhaseRunning,
			want: `main ended: exit code 0`,
		},
		{
			name: "main exited 2, restart on-failure: back-off", spec: withMain(recipes.RestartOnFailure), st: all(podUp, exited("web", 2, t0, 1)), phase: PhaseRunning,
			want: `wait web: back-off 1s after exit code 2, restarting in 1s`,
		},
		{
			name: "main exited 0, restart always: restarted after back-off", spec: withMain(recipes.RestartAlways), st: all(podUp, exited("web", 0, t0, 2)), now: 2 * time.Second, phase: PhaseRunning,
			want: `start web: restart after back-off 2s (exit code 0)`,
		},
		{
			name: "sidecar crash while running: back-off 4s at the third crash", st: all(podUp, exited("shipper", 1, t0, 3)), now: time.Second, phase: PhaseRunning,
			want: `wait shipper: back-off 4s after exit code 1, restarting in 3s`,
		},
		{
			name: "sidecar back-off over: restart", st: all(podUp, exited("shipper", 137, t0, 3)), now: 4 * time.Second, phase: PhaseRunning,
			want: `start shipper: restart after back-off 4s (exit code 137)`,
		},
		{
			name: "sidecar back-off is capped at 30s", st: all(podUp, exited("envoy", 1, t0, 9)), phase: PhaseRunning,
			want: `wait envoy: back-off 30s after exit code 1, restarting in 30s`,
		},
		{
			name: "OOM-killed sidecar", st: all(podUp, exited("envoy", 137, t0, 1), func(st *PodStatus) { st.C("envoy").OOMKilled = true }), phase: PhaseRunning,
			want: `wait envoy: back-off 1s after OOM-killed (exit code 137), restarting in 1s`,
		},
		{
			name: "liveness failure stops that container only", st: all(podUp, func(st *PodStatus) { st.C("envoy").LiveFailed = true }), phase: PhaseRunning,
			want: `stop envoy: liveness probe failed (grace 30s)`,
		},
		{
			name: "main stopped by its liveness probe, on-failure: restarted even after exit 0", spec: withMain(recipes.RestartOnFailure),
			st: all(podUp, func(st *PodStatus) { st.C("web").LiveFailed = true }, exited("web", 0, t0, 1)), now: time.Second, phase: PhaseRunning,
			want: `start web: restart after back-off 1s (exit code 0)`,
		},
		{
			name: "main stopped by its liveness probe, never: main ended",
			st:   all(podUp, func(st *PodStatus) { st.C("web").LiveFailed = true }, exited("web", 143, t0, 1)), phase: PhaseRunning,
			want: `main ended: exit code 143`,
		},
		{
			name: "user stop holds a sidecar down", st: all(podUp, func(st *PodStatus) { st.ApplyCommand("shipper", CmdStop) }), phase: PhaseRunning,
			want: `stop shipper: stopped by user (grace 5s)`,
		},
		{
			name: "held sidecar is not restarted", st: all(podUp, func(st *PodStatus) { st.ApplyCommand("shipper", CmdStop) }, exited("shipper", 0, t0, 0)), phase: PhaseRunning, want: ``,
		},
		{
			name: "user restart of a crashed sidecar skips back-off", st: all(podUp, exited("shipper", 1, t0, 5), func(st *PodStatus) { st.ApplyCommand("shipper", CmdRestart) }), phase: PhaseRunning,
			want: `start shipper: restart requested by user`,
		},
		{
			name: "a container's own exit: nothing is done until the engine was checked",
			st: func(st *PodStatus) {
				all(podUp)(st)
				st.exit(testSpec(), st.C("envoy"), 1, false, t0, t0)
				st.AwaitChecks(1)
			},
			phase: PhaseRunning,
			want:  `wait infra: a container exited: checking that the engine is still there`,
		},
		{
			name: "infra lost: the whole pod is removed", st: all(podUp, func(st *PodStatus) { st.exit(testSpec(), st.Infra, 137, false, t0, t0) }), phase: PhaseRecreating,
			want: `
remove migrate: infra container exit code 137: the pod is re-created
remove envoy: infra container exit code 137: the pod is re-created
remove shipper: infra container exit code 137: the pod is re-created
remove web: infra container exit code 137: the pod is re-created
remove infra: infra container exit code 137: the pod is re-created`,
		},
		{
			name: "infra lost, every container removed: the volume with files goes, to be filled afresh",
			st: all(podUp, func(st *PodStatus) {
				st.exit(testSpec(), st.Infra, 137, false, t0, t0)
				for _, c := range append(st.sorted(testSpec()), st.Infra) {
					st.gone(testSpec(), c, t0)
				}
			}), phase: PhaseRecreating,
			want: `remove volume conf: infra container exit code 137: the pod is re-created`,
		},
		{
			name: "infra lost, all removed: infra re-created after back-off",
			st:   all(podUp, infraLostAllGone),
			now:  400 * time.Millisecond, phase: PhaseCreating,
			want: `wait infra: back-off 1s after the infra container was lost, re-creating the pod in 600ms`,
		},
		{
			name: "infra re-created: init runs again",
			st:   all(podUp, infraLostAllGone, allCreated),
			now:  2 * time.Second, phase: PhaseInit,
			want: `start migrate: init container 1/1`,
		},
		{
			name: "teardown: main first, with the whole budget", st: all(podUp, terminating(t0)), phase: PhaseStopping,
			want: `stop web: pod stopping, main first (grace 30s)`,
		},
		{
			name: "teardown: sidecars in reverse order, own grace capped by the budget", st: all(podUp, terminating(t0), exited("web", 0, t0, 0)), now: 12 * time.Second, phase: PhaseStopping,
			want: `stop shipper: pod stopping, sidecars in reverse order (grace 5s)`,
		},
		{
			name: "teardown: next sidecar gets what remains of the budget", st: all(podUp, terminating(t0), exited("web", 0, t0, 0), exited("shipper", 0, t0, 0)), now: 25 * time.Second, phase: PhaseStopping,
			want: `stop envoy: pod stopping, sidecars in reverse order (grace 5s)`,
		},
		{
			name: "teardown: budget used up, grace 0", st: all(podUp, terminating(t0), exited("web", 0, t0, 0), exited("shipper", 0, t0, 0)), now: 31 * time.Second, phase: PhaseStopping,
			want: `stop envoy: pod stopping, sidecars in reverse order (grace 0s)`,
		},
		{
			name: "teardown: stop in flight, nothing else", st: all(podUp, terminating(t0), pending("web", OpStop)), phase: PhaseStopping, want: ``,
		},
		{
			name: "teardown: all stopped, app containers removed",
			st:   all(podUp, terminating(t0), exited("web", 0, t0, 0), exited("shipper", 0, t0, 0), exited("envoy", 0, t0, 0)), phase: PhaseStopping,
			want: `
remove migrate: pod stopping
remove envoy: pod stopping
remove shipper: pod stopping
remove web: pod stopping`,
		},
		{
			name: "teardown: then infra, stopped with what is left of the budget",
			st:   all(podUp, terminating(t0), appRemoved), now: 10 * time.Second, phase: PhaseStopping,
			want: `stop infra: pod stopping, app containers removed (grace 20s)`,
		},
		{
			name: "teardown: infra stopped, at least 1s when the budget is used up",
			st:   all(podUp, terminating(t0), appRemoved), now: 40 * time.Second, phase: PhaseStopping,
			want: `stop infra: pod stopping, app containers removed (grace 1s)`,
		},
		{
			name: "teardown: infra stopped, then removed",
			st:   all(podUp, terminating(t0), exited(InfraName, 0, t0, 0), appRemoved), phase: PhaseStopping,
			want: `remove infra: app containers removed`,
		},
		{
			name: "teardown: then volumes",
			st:   all(podUp, terminating(t0), allRemoved), phase: PhaseStopping,
			want: `
remove volume conf: pod stopping
remove volume logs: pod stopping`,
		},
		{
			name: "teardown: done",
			st:   all(podUp, terminating(t0), allRemoved, func(st *PodStatus) { st.Volumes["logs"].Created, st.Volumes["conf"].Created = false, false }), phase: PhaseDone,
			want: `pod done`,
		},
		{
			name: "teardown during init: the running init container is stopped", st: all(allCreated, running("migrate", t0), terminating(t0)), phase: PhaseStopping,
			want: `stop migrate: pod stopping (grace 30s)`,
		},
		{
			name: "kill: everything removed at once, even while a stop is in flight",
			st:   all(podUp, terminating(t0), pending("web", OpStop), func(st *PodStatus) { st.Terminate(true, t0) }), phase: PhaseStopping,
			want: `
remove migrate: pod killed
remove envoy: pod killed
remove shipper: pod killed
remove web: pod killed
remove infra: pod killed`,
		},
		{
			name: "kill while a back-off restart is in flight: it and the infra container wait for the engine's answer",
			st:   all(podUp, exited("shipper", 1, t0, 3), starting("shipper"), terminating(t0), func(st *PodStatus) { st.Terminate(true, t0) }), phase: PhaseStopping,
			want: `
remove migrate: pod killed
remove envoy: pod killed
remove web: pod killed`,
		},
		{
			name: "kill, the in-flight restart answered: it and the infra container go",
			st: all(podUp, terminating(t0), func(st *PodStatus) {
				st.Terminate(true, t0)
				for _, n := range []string{"migrate", "envoy", "web"} {
					st.C(n).ID, st.C(n).State = "", StateNone
				}
			}), phase: PhaseStopping,
			want: `
remove shipper: pod killed
remove infra: pod killed`,
		},
		{
			name: "kill while an app container is being created: the infra container waits for it",
			st:   all(infraUp, created("migrate", "envoy"), pending("web", OpCreate), func(st *PodStatus) { st.Terminate(true, t0) }), phase: PhaseStopping,
			want: `
remove migrate: pod killed
remove envoy: pod killed`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec()
			if tt.spec != nil {
				tt.spec(spec)
			}
			st := NewPodStatus(spec.Pod)
			tt.st(st)
			plan := PlanPod(spec, st, t0.Add(tt.now))
			got := strings.TrimSpace(plan.String())
			if want := strings.TrimSpace(tt.want); got != want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, want)
			}
			if plan.Phase != tt.phase {
				t.Errorf("phase %s, want %s", plan.Phase, tt.phase)
			}
		})
	}
}

func TestBackoffDelays(t *testing.T) {
	b := testSpec().Stack.Backoff
	var got []string
	for n := 1; n <= 8; n++ {
		got = append(got, backoffDelay(b, n).String())
	}
	if s := strings.Join(got, " "); s != "1s 2s 4s 8s 16s 30s 30s 30s" {
		t.Errorf("delays %s", s)
	}
}

// The crash count a series of exits leaves: quick exits double the back-off, a run of at least
// Backoff.Reset starts it over.
func TestExitBackoffReset(t *testing.T) {
	spec := testSpec()
	st := statusOf(spec, podUp)
	c := st.C("envoy")
	now := t0
	var delays []string
	for i := 0; i < 7; i++ {
		st.running(c, now)
		st.exit(spec, c, 1, false, now, now)
		delays = append(delays, backoffDelay(spec.Stack.Backoff, c.CrashCount).String())
		now = now.Add(backoffDelay(spec.Stack.Backoff, c.CrashCount))
	}
	st.running(c, now)
	now = now.Add(time.Minute)
	st.exit(spec, c, 1, false, now, now)
	delays = append(delays, backoffDelay(spec.Stack.Backoff, c.CrashCount).String())
	if s := strings.Join(delays, " "); s != "1s 2s 4s 8s 16s 30s 30s 1s" {
		t.Errorf("delays %s", s)
	}
}

// The planner never changes what it is given.
func TestPlanPodIsPure(t *testing.T) {
	spec := testSpec()
	st := statusOf(spec, podUp, exited("envoy", 1, t0, 2))
	before := *st.C("envoy")
	a := PlanPod(spec, st, t0.Add(time.Second)).String()
	b := PlanPod(spec, st, t0.Add(time.Second)).String()
	if a != b || !reflect.DeepEqual(*st.C("envoy"), before) {
		t.Errorf("planning twice differs or changed the status:\n%s\n%s", a, b)
	}
}

func TestRoundDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{2999999709 * time.Nanosecond, "3s"},
		{2930526223 * time.Nanosecond, "2.9s"},
		{450400 * time.Microsecond, "450ms"},
		{90600 * time.Millisecond, "1m31s"},
		{-time.Second, "0s"},
	} {
		if got := RoundDuration(tt.d).String(); got != tt.want {
			t.Errorf("RoundDuration(%s) = %s, want %s", tt.d, got, tt.want)
		}
	}
}

// gateStarted makes the named sidecars gate the next container's start on their start only.
func gateStarted(names ...string) func(*PodSpec) {
	return func(spec *PodSpec) {
		for _, n := range names {
			spec.Pod.Container(n).Gate = recipes.GateStarted
		}
	}
}

// gateRunning makes the named sidecars gate the next container's start on their run only.
func gateRunning(names ...string) func(*PodSpec) {
	return func(spec *PodSpec) {
		for _, n := range names {
			spec.Pod.Container(n).Gate = recipes.GateRunning
		}
	}
}

func initRestart(policy recipes.RestartPolicy) func(*PodSpec) {
	return func(spec *PodSpec) { spec.Pod.Init[0].Restart = policy }
}

func readyProbeOn(name string) func(*PodSpec) {
	return func(spec *PodSpec) { spec.Pod.Container(name).Ready = probe() }
}

func startupProbeOn(name string) func(*PodSpec) {
	return func(spec *PodSpec) { spec.Pod.Container(name).Startup = probe() }
}

func postStartOn(name string) func(*PodSpec) {
	return func(spec *PodSpec) {
		spec.Pod.Container(name).PostStart = &recipes.Hook{Exec: &recipes.ExecProbe{Command: []string{"true"}}}
	}
}

func withSpec(fs ...func(*PodSpec)) func(*PodSpec) {
	return func(spec *PodSpec) {
		for _, f := range fs {
			f(spec)
		}
	}
}
