package orchestrator

import (
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// createdFrom records that every container with an ID was created from spec, as the
// transitions do when the creates are dispatched.
func createdFrom(spec *PodSpec) mut {
	return func(st *PodStatus) {
		is := spec.InfraSpec()
		st.Infra.noteCreate(spec, Action{Kind: ActCreate, Target: InfraName, Spec: &is})
		for _, c := range spec.Pod.Containers() {
			cs := spec.createSpec(c, st.Infra.ID, spec.Facts(st))
			st.Containers[c.Name].noteCreate(spec, Action{Kind: ActCreate, Target: c.Name, Spec: &cs})
		}
	}
}

// edited returns a copy of spec's pod with edit applied to a deep copy of its containers.
func edited(spec *PodSpec, edit func(p *recipes.Pod)) *PodSpec {
	pod := *spec.Pod
	copyC := func(c *recipes.Container) *recipes.Container {
		cp := *c
		cp.Env = map[string]string{}
		for k, v := range c.Env {
			cp.Env[k] = v
		}
		return &cp
	}
	pod.Main = copyC(pod.Main)
	pod.Sidecars = nil
	for _, c := range spec.Pod.Sidecars {
		pod.Sidecars = append(pod.Sidecars, copyC(c))
	}
	pod.Init = nil
	for _, c := range spec.Pod.Init {
		pod.Init = append(pod.Init, copyC(c))
	}
	edit(&pod)
	out := *spec
	out.Pod, out.hashes = &pod, nil
	return &out
}

func TestPlanConverge(t *testing.T) {
	base := testSpec()
	base.ImageIDs = map[string]string{"shop/web": "sha256:aaaaaaaaaaaaaaaa", "envoy": "sha256:e1", "fluent": "sha256:f1", "shop/migrate": "sha256:m1"}
	up := func(extra ...mut) *PodStatus {
		st := NewPodStatus(base.Pod)
		all(append([]mut{podUp, createdFrom(base)}, extra...)...)(st)
		return st
	}
	tests := []struct {
		name    string
		spec    *PodSpec
		st      *PodStatus
		phase   Phase
		changes string // PlanConverge
		plan    string // PlanPod
		done    bool   // Converged
		failure string
	}{
		{
			name: "nothing changed: nothing to do", spec: base, st: up(), phase: PhaseRunning,
			changes: ``, plan: ``, done: true,
		},
		{
			name: "the env of one sidecar: only it is stopped, with its own grace",
			spec: edited(base, func(p *recipes.Pod) { p.Sidecars[1].Env["LEVEL"] = "debug" }), st: up(), phase: PhaseRunning,
			changes: `replace shipper: env changed`,
			plan:    `stop shipper: replace: env changed (grace 5s)`,
		},
		{
			name: "two changed: the first in start order goes first, the other waits its turn",
			spec: edited(base, func(p *recipes.Pod) {
				p.Sidecars[0].Command = []string{"envoy", "-c", "new.yaml"}
				p.Main.Env["X"] = "1"
			}), st: up(), phase: PhaseRunning,
			changes: "replace envoy: command changed\nreplace web: env changed",
			plan:    `stop envoy: replace: command changed (grace 30s)`,
		},
		{
			name: "a replaced sidecar with a ready probe, running but not ready yet: main waits for it",
			spec: edited(base, func(p *recipes.Pod) {
				p.Sidecars[0].Command = []string{"envoy", "-c", "new.yaml"}
				p.Main.Env["X"] = "1"
			}),
			st: up(func(st *PodStatus) {
				c := st.Containers["envoy"]
				c.FreshRun, c.Attempt, c.Ready, c.Hash = c.Attempt+1, c.Attempt+1, false, ""
			}),
			phase:   PhaseRunning,
			changes: `replace web: env changed`,
			plan:    `wait web: re-created once envoy is started`,
		},
		{
			name: "a replaced container stopped: it is removed",
			spec: edited(base, func(p *recipes.Pod) { p.Sidecars[1].Env["LEVEL"] = "debug" }),
			st: up(func(st *PodStatus) {
				c := st.Containers["shipper"]
				c.Replacing, c.Why = true, "replace: env changed"
				exited("shipper", 0, t0, 0)(st)
			}), phase: PhaseRunning,
			changes: `replace shipper: env changed`,
			plan:    `remove shipper: replace: env changed`,
		},
		{
			name: "an image rebuilt under its tag: the container is replaced, saying so",
			spec: func() *PodSpec {
				s := edited(base, func(*recipes.Pod) {})
				s.ImageIDs = map[string]string{"shop/web": "sha256:bbbbbbbbbbbbbbbb", "envoy": "sha256:e1", "fluent": "sha256:f1", "shop/migrate": "sha256:m1"}
				return s
			}(), st: up(), phase: PhaseRunning,
			changes: `replace web: image shop/web was rebuilt (aaaaaaaaaaaa → bbbbbbbbbbbb)`,
			plan:    `stop web: replace: image shop/web was rebuilt (aaaaaaaaaaaa → bbbbbbbbbbbb) (grace 30s)`,
		},
		{
			name: "the ports: the pod is re-created, main stopped first",
			spec: edited(base, func(p *recipes.Pod) {
				p.Main.Ports = []recipes.Port{{HostPort: 8080, ContainerPort: 8080, Protocol: recipes.ProtoTCP}}
			}), st: up(), phase: PhaseRecreating,
			changes: `re-create pod shop: ports changed`,
			plan:    `stop web: re-create the pod: ports changed (grace 30s)`,
		},
		{
			name: "an init container: the pod is re-created",
			spec: edited(base, func(p *recipes.Pod) { p.Init[0].Command = []string{"migrate", "up"} }), st: up(), phase: PhaseRecreating,
			changes: `re-create pod shop: init container migrate: command changed`,
			plan:    `stop web: re-create the pod: init container migrate: command changed (grace 30s)`,
		},
		{
			name: "pod re-created, members stopped: every member removed, then the infra container",
			spec: edited(base, func(p *recipes.Pod) { p.Init[0].Command = []string{"migrate", "up"} }),
			st:   up(exited("web", 0, t0, 0), exited("envoy", 0, t0, 0), exited("shipper", 0, t0, 0)), phase: PhaseRecreating,
			changes: `re-create pod shop: init container migrate: command changed`,
			plan: `
remove migrate: re-create the pod: init container migrate: command changed
remove envoy: re-create the pod: init container migrate: command changed
remove shipper: re-create the pod: init container migrate: command changed
remove web: re-create the pod: init container migrate: command changed`,
		},
		{
			name: "a sidecar dropped, one added: the dropped one stopped, the new one created",
			spec: edited(base, func(p *recipes.Pod) {
				p.Sidecars = []*recipes.Container{p.Sidecars[0], {Name: "otel", Role: recipes.RoleSidecar, Image: "otel", Restart: recipes.RestartAlways}}
			}),
			st: func() *PodStatus {
				st := up()
				st.Reconcile(edited(base, func(p *recipes.Pod) {
					p.Sidecars = []*recipes.Container{p.Sidecars[0], {Name: "otel", Role: recipes.RoleSidecar, Image: "otel", Restart: recipes.RestartAlways}}
				}).Pod)
				return st
			}(), phase: PhaseRunning,
			changes: "remove shipper: no longer in the recipe\nadd otel: new in the recipe",
			plan: `
stop shipper: no longer in the recipe (grace 5s)
create otel: new in the recipe`,
		},
		{
			name: "a replaced sidecar whose first run ended: converging is over, and says so",
			spec: base,
			st: up(func(st *PodStatus) {
				c := st.Containers["shipper"]
				c.FreshRun = c.Attempt
				exited("shipper", 3, t0, 1)(st)
			}), phase: PhaseRunning,
			plan:    `wait shipper: back-off 1s after exit code 3, restarting in 1s`,
			done:    true,
			failure: "shipper exited with code 3 after it was created anew",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Hashes()
			if got := strings.TrimSpace(PlanConverge(tt.spec, tt.st).String()); got != strings.TrimSpace(tt.changes) {
				t.Errorf("PlanConverge:\n%s\nwant:\n%s", got, strings.TrimSpace(tt.changes))
			}
			p := PlanPod(tt.spec, tt.st, t0)
			if got := strings.TrimSpace(p.String()); got != strings.TrimSpace(tt.plan) {
				t.Errorf("PlanPod:\n%s\nwant:\n%s", got, strings.TrimSpace(tt.plan))
			}
			if p.Phase != tt.phase {
				t.Errorf("phase %s, want %s", p.Phase, tt.phase)
			}
			done, failure := Converged(tt.spec, tt.st)
			if done != tt.done || !strings.HasPrefix(failure, tt.failure) || (tt.failure == "") != (failure == "") {
				t.Errorf("Converged = %v, %q; want %v, %q…", done, failure, tt.done, tt.failure)
			}
		})
	}
}

// TestReplacedContainerIsNotACrash: the exit and removal of a container being replaced are
// not taken for a crash (no back-off, no restart count) nor, for the infra container, for a
// lost pod; the new container starts at once.
func TestReplacedContainerIsNotACrash(t *testing.T) {
	spec := testSpec()
	st := statusOf(spec, podUp, createdFrom(spec))
	now := t0.Add(time.Minute)
	stop := Action{Kind: ActStop, Target: "shipper", ID: "id-shipper", Replace: true, Reason: "replace: env changed"}
	st.Dispatched(spec, stop, now)
	st.ApplyEvent(spec, EngineEvent{Time: now, Action: ActionDie, ID: "id-shipper", ExitCode: 0}, now)
	st.ApplyResult(spec, ActionResult{Action: stop}, now)
	c := st.Containers["shipper"]
	if c.CrashCount != 0 || !c.Replacing {
		t.Fatalf("after the stop: crashes %d, replacing %v", c.CrashCount, c.Replacing)
	}
	rm := Action{Kind: ActRemove, Target: "shipper", ID: "id-shipper", Replace: true, Reason: "replace: env changed"}
	st.Dispatched(spec, rm, now)
	st.ApplyResult(spec, ActionResult{Action: rm}, now)
	if c.ID != "" || c.Replacing || !c.StartNow || c.Restarts != 0 || c.FreshRun != c.Attempt+1 {
		t.Fatalf("after the removal: %+v", *c)
	}
	if got := PlanPod(spec, st, now).String(); got != "create shipper: replace: env changed\n" {
		t.Errorf("plan after the removal:\n%s", got)
	}

	// The infra container: removed for the recipe, the pod starts over at once.
	inf := Action{Kind: ActRemove, Target: InfraName, ID: "id-infra", Replace: true, Reason: "re-create the pod: ports changed"}
	for _, n := range []string{"migrate", "envoy", "web"} {
		st.Containers[n].ID, st.Containers[n].State = "", StateNone
	}
	st.Dispatched(spec, inf, now)
	st.ApplyResult(spec, ActionResult{Action: inf}, now)
	// The volume with files goes first, to be filled afresh.
	rmv := PlanPod(spec, st, now)
	if got := rmv.String(); got != "remove volume conf: ports changed: the pod is re-created\n" {
		t.Fatalf("plan after the infra removal:\n%s", got)
	}
	st.Dispatched(spec, rmv.Actions[0], now)
	st.ApplyResult(spec, ActionResult{Action: rmv.Actions[0]}, now)
	if st.Recreating || st.Incarnation != 1 || st.MainStarted {
		t.Fatalf("after the infra removal: recreating %v, incarnation %d, main started %v", st.Recreating, st.Incarnation, st.MainStarted)
	}
	if got := PlanPod(spec, st, now).String(); got != "create volume conf: pod volume\n" {
		t.Errorf("plan after the volume's removal:\n%s", got)
	}
	st.Volumes["conf"].Created = true
	if got := PlanPod(spec, st, now).String(); !strings.HasPrefix(got, "create infra: re-creating the pod, ports changed") {
		t.Errorf("plan after the volume is created again:\n%s", got)
	}
}

// TestDestroySeenBeforeTheRemovalReturns: the engine sends a replaced container's destroy
// event before its removal call returns. The new container is not created while the removal
// is pending (the name is still taken), and the removal's result does not take the new
// container's ID for the old one's.
func TestDestroySeenBeforeTheRemovalReturns(t *testing.T) {
	spec := testSpec()
	st := statusOf(spec, podUp, createdFrom(spec))
	now := t0.Add(time.Minute)
	c := st.Containers["shipper"]
	c.State = StateExited
	rm := Action{Kind: ActRemove, Target: "shipper", ID: "id-shipper", Replace: true, Reason: "replace: env changed"}
	st.Dispatched(spec, rm, now)
	st.ApplyEvent(spec, EngineEvent{Time: now, Action: ActionDestroy, ID: "id-shipper"}, now)
	if got := PlanPod(spec, st, now).String(); strings.Contains(got, "create shipper") {
		t.Fatalf("shipper created while its removal is pending:\n%s", got)
	}
	st.ApplyResult(spec, ActionResult{Action: rm}, now)
	if got := PlanPod(spec, st, now).String(); got != "create shipper: replace: env changed\n" {
		t.Fatalf("plan after the removal returned:\n%s", got)
	}
	create := Action{Kind: ActCreate, Target: "shipper", Reason: "replace: env changed"}
	st.Dispatched(spec, create, now)
	st.ApplyResult(spec, ActionResult{Action: create, ID: "id-shipper-2"}, now)
	// A removal result that comes after the new container's creation (as it can when the
	// planner ran between the event and the result) leaves the new one be.
	st.ApplyResult(spec, ActionResult{Action: rm}, now)
	if c.ID != "id-shipper-2" || c.State != StateCreated {
		t.Errorf("after a late removal result: id %q, state %v", c.ID, c.State)
	}
}

// TestTeardownWaitsForTheRemovalCalls: the destroy events of a pod's containers can come
// before the removal calls return; the pod is done when the calls returned, and each
// container is then shown as removed.
func TestTeardownWaitsForTheRemovalCalls(t *testing.T) {
	spec := testSpec()
	st := statusOf(spec, allCreated)
	st.Terminating, st.Force = true, true
	now := t0.Add(time.Minute)
	removals := PlanPod(spec, st, now).Actions
	if len(removals) == 0 {
		t.Fatal("nothing removed")
	}
	for _, a := range removals {
		st.Dispatched(spec, a, now)
		st.ApplyEvent(spec, EngineEvent{Time: now, Action: ActionDestroy, ID: a.ID}, now)
	}
	if p := PlanPod(spec, st, now); p.Done || len(p.Actions) > 0 {
		t.Fatalf("the pod goes on with %d removals pending:\n%s", len(removals), p)
	}
	for _, a := range removals {
		st.ApplyResult(spec, ActionResult{Action: a}, now)
	}
	for _, a := range PlanPod(spec, st, now).Actions { // the volumes
		st.Dispatched(spec, a, now)
		st.ApplyResult(spec, ActionResult{Action: a}, now)
	}
	if p := PlanPod(spec, st, now); !p.Done {
		t.Fatalf("not done after the removals returned:\n%s", p)
	}
	for name, c := range st.Containers {
		if !c.Removed {
			t.Errorf("%s not marked removed", name)
		}
	}
}

// TestOutdatedInTheInputsTerms: a change of a container's command or arguments is said as
// the file the stack came from names them: a manifest's command and args are a recipe's (and
// a compose file's) entrypoint and command.
func TestOutdatedInTheInputsTerms(t *testing.T) {
	for _, tc := range []struct {
		kind             recipes.SourceKind
		entrypoint, args string
	}{
		{recipes.SourceRecipe, "entrypoint changed", "command changed"},
		{recipes.SourceCompose, "entrypoint changed", "command changed"},
		{recipes.SourceKube, "command changed", "args changed"},
	} {
		base := testSpec()
		stack := *base.Stack
		stack.Source.Kind = tc.kind
		base.Stack = &stack
		st := statusOf(base, podUp, createdFrom(base))
		ep := edited(base, func(p *recipes.Pod) { p.Sidecars[1].Entrypoint = []string{"/bin/sh", "-c"} })
		if got := outdated(ep, ep.Pod.Sidecars[1], st.Containers["shipper"]); got != tc.entrypoint {
			t.Errorf("%v: entrypoint edited: %q, want %q", tc.kind, got, tc.entrypoint)
		}
		cmd := edited(base, func(p *recipes.Pod) { p.Sidecars[1].Command = []string{"-v"} })
		if got := outdated(cmd, cmd.Pod.Sidecars[1], st.Containers["shipper"]); got != tc.args {
			t.Errorf("%v: command edited: %q, want %q", tc.kind, got, tc.args)
		}
	}
}
