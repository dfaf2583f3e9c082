package orchestrator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// world drives one pod the way its supervisor does, without goroutines or an engine: plan,
// record the plan's actions as dispatched, then fold in what the engine answers and reports
// (results, events, probe reports, a termination) through the transition functions. Each
// step's plan is asserted as text.
type world struct {
	spec    *PodSpec
	st      *PodStatus
	now     time.Time
	last    Plan
	created int
	checks  uint64
	// hooks are the hook actions sent and not answered yet: hook() answers them.
	hooks map[string]Action
	// specs are the container specs of the last creates, by container.
	specs map[string]ContainerSpec
}

// plan plans at the current time and dispatches the plan's actions.
func (w *world) plan() Plan {
	p := PlanPod(w.spec, w.st, w.now)
	for _, a := range p.Actions {
		w.st.Dispatched(w.spec, a, w.now)
	}
	w.last = p
	return p
}

// answer: the engine carries out every action of the last plan successfully; a hook is
// only sent (hook answers it).
func (w *world) answer() {
	for _, a := range w.last.Actions {
		r := ActionResult{Action: a}
		c := w.st.C(a.Target)
		switch a.Kind {
		case ActPostStart, ActPreStop:
			if w.hooks == nil {
				w.hooks = map[string]Action{}
			}
			w.hooks[a.Target] = a
			continue
		case ActCreate:
			w.created++
			r.ID = fmt.Sprintf("id-%s-%d", a.Target, w.created)
			if w.specs == nil {
				w.specs = map[string]ContainerSpec{}
			}
			w.specs[a.Target] = *a.Spec
		case ActStart:
			r.Info = &ContainerInfo{ID: a.ID, Status: StatusRunning, StartedAt: w.now}
			if a.Target == InfraName {
				r.Info.Networks = []NetworkAddress{{Network: "bridge", IP: "172.17.0.5", Gateway: "172.17.0.1"}}
			}
		case ActStop:
			r.Info = &ContainerInfo{ID: a.ID, Status: StatusExited, ExitCode: 143, StartedAt: c.StartedAt, FinishedAt: w.now}
			r.Stop = StopResult{ExitCode: 143}
		case ActCollectLogs:
			r.Lines = []string{"last words"}
		}
		w.st.ApplyResult(w.spec, r, w.now)
	}
	w.last = Plan{}
}

// hook: the hook sent to the named container ends, with err.
func (w *world) hook(name string, err error) {
	a, ok := w.hooks[name]
	if !ok {
		panic("no hook sent to " + name)
	}
	delete(w.hooks, name)
	w.st.ApplyResult(w.spec, ActionResult{Action: a, Err: err}, w.now)
}

// die: the engine reports that the named container exited with code (and, checked, is still
// there: the exit was the container's own).
func (w *world) die(name string, code int) {
	w.st.ApplyEvent(w.spec, EngineEvent{Time: w.now, Action: ActionDie, ID: w.st.C(name).ID, ExitCode: code}, w.now)
	w.engineChecked()
}

// destroyed: the engine reports that the named container was removed.
func (w *world) destroyed(names ...string) {
	for _, name := range names {
		w.st.ApplyEvent(w.spec, EngineEvent{Time: w.now, Action: ActionDestroy, ID: w.st.C(name).ID}, w.now)
	}
	w.engineChecked()
}

// engineChecked: the engine check that exits on their own wait for finds it there.
func (w *world) engineChecked() {
	w.checks++
	w.st.AwaitChecks(w.checks)
	w.st.ApplyEngineChecked(w.checks)
}

// ready: the named container's ready probe passed.
func (w *world) ready(name string) {
	c := w.st.C(name)
	w.st.ApplyProbe(ProbeReport{Container: name, Attempt: c.Attempt, Kind: ProbeReady, Ready: true})
}

type seqStep struct {
	do   func(w *world)
	want string // the plan after do, trimmed
}

func answer(w *world) { w.answer() }

func after(d time.Duration) func(*world) { return func(w *world) { w.now = w.now.Add(d) } }

func die(name string, code int) func(*world) { return func(w *world) { w.die(name, code) } }

func probeReady(name string) func(*world) { return func(w *world) { w.ready(name) } }

func terminate(w *world) { w.answer(); w.st.Terminate(false, w.now) }

func then(fs ...func(*world)) func(*world) {
	return func(w *world) {
		for _, f := range fs {
			f(w)
		}
	}
}

// upTo brings the test pod (init migrate; sidecars envoy with a ready probe, shipper; main
// web) to running, from nothing, checking every plan on the way: the start-up order and
// the gating of each sidecar.
var upTo = []seqStep{
	{nil, `
create volume conf: pod volume
create volume logs: pod volume`},
	{answer, `create infra: holds the pod's network namespace (then fills volume conf with its files)`},
	{answer, `start infra: holds the pod's network namespace
create migrate: app containers are created up front
create envoy: app containers are created up front
create shipper: app containers are created up front
create web: app containers are created up front`},
	{answer, `start migrate: init container 1/1`},
	{answer, `wait migrate: init container 1/1 running`},
	{die("migrate", 0), `start envoy: sidecar 1/2`},
	{answer, `wait envoy: sidecar 1/2 not ready yet`},
	{probeReady("envoy"), `start shipper: sidecar 2/2`},
	{answer, `start web: all sidecars started`},
	{answer, ``},
}

// TestPodSequences drives the planner through whole stories, one observation at a time:
// start-up order and gating, back-off, main's restart keeping the sidecars, a Job-style
// completion with its teardown order, and the loss of the infra container.
func TestPodSequences(t *testing.T) {
	tests := []struct {
		name  string
		spec  func(*PodSpec)
		steps []seqStep
	}{
		{name: "start-up: infra, every container up front, init, sidecars gated in order, main", steps: upTo},
		{
			name: "a crashing sidecar backs off 1s, 2s, 4s, and main keeps running",
			steps: append(append([]seqStep{}, upTo...),
				seqStep{then(after(time.Second), die("shipper", 1)), `wait shipper: back-off 1s after exit code 1, restarting in 1s`},
				seqStep{after(time.Second), `start shipper: restart after back-off 1s (exit code 1)`},
				seqStep{then(answer, after(time.Second), die("shipper", 1)), `wait shipper: back-off 2s after exit code 1, restarting in 2s`},
				seqStep{after(2 * time.Second), `start shipper: restart after back-off 2s (exit code 1)`},
				seqStep{then(answer, after(500*time.Millisecond), die("shipper", 1)), `wait shipper: back-off 4s after exit code 1, restarting in 4s`},
				seqStep{after(4 * time.Second), `start shipper: restart after back-off 4s (exit code 1)`},
				seqStep{then(answer, after(2*time.Minute), die("shipper", 1)), `wait shipper: back-off 1s after exit code 1, restarting in 1s`},
			),
		},
		{
			name: "main's restart keeps the sidecars and the infra container",
			spec: func(s *PodSpec) { s.Pod.Main.Restart = recipes.RestartOnFailure },
			steps: append(append([]seqStep{}, upTo...),
				seqStep{then(after(time.Second), die("web", 2)), `wait web: back-off 1s after exit code 2, restarting in 1s`},
				seqStep{after(time.Second), `start web: restart after back-off 1s (exit code 2)`},
				seqStep{answer, ``},
				// on-failure: a clean exit ends main for good.
				seqStep{then(after(time.Second), die("web", 0)), `main ended: exit code 0`},
			),
		},
		{
			name: "Job-style completion: main exits 0, the sidecars are stopped in reverse, everything is removed",
			steps: append(append([]seqStep{}, upTo...),
				seqStep{die("web", 0), `main ended: exit code 0`},
				seqStep{terminate, `stop shipper: pod stopping, sidecars in reverse order (grace 5s)`},
				seqStep{then(after(time.Second), answer), `stop envoy: pod stopping, sidecars in reverse order (grace 29s)`},
				seqStep{answer, `
remove migrate: pod stopping
remove envoy: pod stopping
remove shipper: pod stopping
remove web: pod stopping`},
				seqStep{answer, `stop infra: pod stopping, app containers removed (grace 29s)`},
				seqStep{answer, `remove infra: app containers removed`},
				seqStep{answer, `
remove volume conf: pod stopping
remove volume logs: pod stopping`},
				seqStep{answer, `pod done`},
			),
		},
		{
			name: "infra lost: every member removed, the pod re-created after back-off, init runs again",
			steps: append(append([]seqStep{}, upTo...),
				seqStep{die(InfraName, 137), `
remove migrate: infra container exit code 137: the pod is re-created
remove envoy: infra container exit code 137: the pod is re-created
remove shipper: infra container exit code 137: the pod is re-created
remove web: infra container exit code 137: the pod is re-created
remove infra: infra container exit code 137: the pod is re-created`},
				// The volume with files is filled afresh: removed, created again after the
				// back-off, filled by the new infra container.
				seqStep{then(after(300*time.Millisecond), answer), `remove volume conf: infra container exit code 137: the pod is re-created`},
				seqStep{answer, `wait infra: back-off 1s after the infra container was lost, re-creating the pod in 700ms`},
				seqStep{after(700 * time.Millisecond), `create volume conf: pod volume`},
				seqStep{answer, `create infra: re-creating the pod, infra container exit code 137 (then fills volume conf with its files)`},
				seqStep{answer, `start infra: holds the pod's network namespace
create migrate: app containers are created up front
create envoy: app containers are created up front
create shipper: app containers are created up front
create web: app containers are created up front`},
				seqStep{answer, `start migrate: init container 1/1`},
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSequence(t, tt.spec, tt.steps) })
	}
}

// runSequence drives the test pod (changed by change, when set) through steps from nothing,
// checking the plan after each.
func runSequence(t *testing.T, change func(*PodSpec), steps []seqStep) {
	t.Helper()
	spec := testSpec()
	if change != nil {
		change(spec)
	}
	w := &world{spec: spec, st: NewPodStatus(spec.Pod), now: t0}
	for i, s := range steps {
		if s.do != nil {
			s.do(w)
		}
		got := strings.TrimSpace(w.plan().String())
		if want := strings.TrimSpace(s.want); got != want {
			t.Fatalf("step %d: plan:\n%s\nwant:\n%s", i+1, got, want)
		}
	}
}
