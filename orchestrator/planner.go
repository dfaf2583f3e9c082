package orchestrator

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// PlanPod computes what to do next for one pod from what is desired (spec), what was observed
// (st) and the time. It is pure: it reads its arguments, changes none of them and calls
// nothing outside, so the same inputs always give the same plan.
//
// The rules are Kubernetes' native-sidecar pod lifecycle on a plain engine:
//   - the infra container is created and started first; pod volumes are created; then every
//     app container is created up front, joined to the infra container's namespaces;
//   - init containers run in order, each to a zero exit; a non-zero exit fails the pod, or,
//     with restart on-failure, runs the container again after back-off (nothing after it
//     starts meanwhile);
//   - sidecars start in order, each gating the next until it is started (running, its
//     startup probe passed when it has one, unless its gate is running: a regular container
//     of a Kubernetes pod) and, unless its gate is started (a native sidecar's) or running,
//     ready when it has a ready probe; then main starts (gatesOpen);
//   - once main has started, an exited sidecar is restarted after back-off, main follows its
//     restart policy (with the same back-off), a failed liveness probe stops a container so
//     that it is restarted (main: unless its policy is never, as in Kubernetes, whatever its
//     exit code), and restarting one container never touches the infra container;
//   - a container's post-start hook runs right after its start, and it counts as started
//     (gating the next container) only once the hook passed; a failed hook stops it, to
//     be restarted per its policy (an init container, or a main that is never restarted,
//     fails the pod); a pre-stop hook runs before every stop signal sent to a running
//     container, within the grace of that stop;
//   - a job pod's main exiting 0 completes the pod: its sidecars are stopped in reverse
//     order, nothing is restarted, its containers stay until the stack ends; a job's main
//     failing for good fails the pod;
//   - a lost infra container makes the whole pod be removed and created again;
//   - teardown stops main, then sidecars in reverse order, each within what is left of one
//     pod budget, then removes the app containers, the infra container and the volumes; a
//     forced teardown removes everything at once.
//
// Whatever the engine holds that the pod does not know (Orphans) is removed first. While the
// engine is unreachable, or a container's own exit waits for the engine to be checked (an
// engine that stops kills the containers first), nothing is planned: the plan keeps the pod's
// phase and says it waits; a pod given up on (Abandoned) is done at once.
func PlanPod(spec *PodSpec, st *PodStatus, now time.Time) Plan {
	switch {
	case st.Abandoned:
		p := Plan{Pod: spec.Pod.Name}
		p.done(st)
		return p
	case st.EngineDown:
		p := planPod(spec, st, now)
		return Plan{Pod: p.Pod, Phase: p.Phase, Waits: []Wait{{Target: InfraName, Reason: EngineWaitText}}}
	case st.CheckingEngine() && !st.Force:
		p := planPod(spec, st, now)
		return Plan{Pod: p.Pod, Phase: p.Phase, Waits: []Wait{{Target: InfraName, Reason: "a container exited: checking that the engine is still there"}}}
	}
	return planPod(spec, st, now)
}

func planPod(spec *PodSpec, st *PodStatus, now time.Time) Plan {
	p := planLifecycle(spec, st, now)
	planRemoveOrphans(st, &p)
	return p
}

func planLifecycle(spec *PodSpec, st *PodStatus, now time.Time) Plan {
	p := Plan{Pod: spec.Pod.Name}
	switch {
	case st.Terminating && st.Force:
		p.Phase = PhaseStopping
		if planRemoveAll(spec, st, &p, "pod killed") && planRemoveVolumes(spec, st, &p, false, "pod stopping") {
			p.done(st)
		}
	case st.Terminating:
		planTeardown(spec, st, now, &p)
	case st.Recreating:
		p.Phase = PhaseRecreating
		// The volumes with files are filled afresh for the new incarnation (a file the
		// recipe no longer has, or one a container wrote, is not kept): once no container
		// mounts them they are removed, to be created and filled again.
		if reason := st.InfraLost + ": the pod is re-created"; planRemoveAll(spec, st, &p, reason) {
			planRemoveVolumes(spec, st, &p, true, reason)
		}
	default:
		planRun(spec, st, now, &p)
	}
	return p
}

func (p *Plan) done(st *PodStatus) {
	p.Done = true
	p.Phase = PhaseDone
	if st.Failure != nil {
		p.Phase = PhaseFailed
	}
}

func planRun(spec *PodSpec, st *PodStatus, now time.Time, p *Plan) {
	pod := spec.Pod
	if f := podFailure(spec, st); f != nil {
		p.Phase = PhaseFailed
		if cs := st.Containers[f.Container]; cs != nil && wantsLines(f) && cs.ID != "" && !cs.LinesCollected {
			if !cs.Pending.Has(OpCollect) {
				p.act(Action{Kind: ActCollectLogs, Target: cs.Name, Role: cs.Role, ID: cs.ID, Reason: f.Reason})
			}
			return
		}
		p.Failure = f
		return
	}
	if st.JobDone {
		planJobDone(spec, st, now, p)
		return
	}
	if planRecreatePod(spec, st, now, p) {
		return
	}
	planRetire(spec, st, now, p)

	// The pod's own resources: volumes and the infra container, after the back-off of a
	// lost one (the volumes with files are created afresh for it: see planLifecycle).
	p.Phase = PhaseCreating
	inf := st.Infra
	if st.StartHold != "" && inf.ID == "" && inf.Pending == 0 {
		// Re-created by an Apply: it starts over once the pods it depends on are as its
		// conditions say, as at its first start (see PodStatus.StartHold).
		p.Phase, p.Reason = PhasePending, st.StartHold
		p.wait(InfraName, time.Time{}, st.StartHold)
		return
	}
	if inf.ID == "" && !inf.Pending.Has(OpCreate) && st.Incarnation > 0 {
		delay := backoffDelay(spec.Stack.Backoff, inf.CrashCount)
		if due := inf.ExitedAt.Add(delay); now.Before(due) {
			p.wait(InfraName, due, fmt.Sprintf("back-off %s after the infra container was lost, re-creating the pod in %s", delay, due.Sub(now)))
			return
		}
	}
	volumesReady := true
	for _, v := range spec.EngineVolumes() {
		vs := st.Volumes[v.Name]
		if vs.Created {
			continue
		}
		volumesReady = false
		if !vs.Pending {
			p.act(Action{Kind: ActCreateVolume, Target: v.Name, Volume: spec.Names().Volume(pod.Name, v.Name),
				Labels: spec.VolumeLabels(), Memory: v.Medium == recipes.MediumMemory, Size: int64(v.SizeLimit), Reason: "pod volume"})
		}
	}
	switch {
	case inf.Pending.Has(OpCreate):
		return
	case inf.ID == "" && !volumesReady:
		return // the infra container mounts the pod volumes (see InfraSpec)
	case inf.ID == "":
		reason := "holds the pod's network namespace"
		if st.Incarnation > 0 {
			reason = "re-creating the pod, " + st.InfraLost
		}
		is := spec.InfraSpec()
		p.act(Action{Kind: ActCreate, Target: InfraName, Role: recipes.RoleInfra, Spec: &is, Files: spec.InfraFileCopies(), Reason: reason})
		return
	case inf.State == StateCreated && !inf.Pending.Has(OpStart):
		p.act(Action{Kind: ActStart, Target: InfraName, Role: recipes.RoleInfra, ID: inf.ID, Reason: "holds the pod's network namespace"})
	}
	if !volumesReady {
		return
	}

	// Every app container is created up front, in parallel, and while the infra container
	// starts: joining its namespaces needs it created, not running (only starting a member
	// needs it running). Starting a fresh network namespace is the slow part. A container
	// whose environment reads the pod's address waits for the infra container to run.
	missing := false
	facts := spec.Facts(st)
	for _, c := range pod.Containers() {
		cs := st.Containers[c.Name]
		if cs.ID != "" {
			continue
		}
		missing = true
		// A removal still pending holds the name (the engine sends the destroy event
		// before the removal call returns).
		if cs.Pending.Has(OpCreate | OpRemove) {
			continue
		}
		if NeedsPodIP(c) && len(facts.PodIPs) == 0 {
			p.wait(c.Name, time.Time{}, "created once the pod has its IP address (its environment reads it)")
			continue
		}
		reason := "app containers are created up front"
		switch {
		case cs.Why != "":
			reason = cs.Why
		case cs.Runs > 0:
			reason = "its container was removed"
		case NeedsPodIP(c):
			reason = "the pod has its IP address"
		}
		cspec := spec.createSpec(c, inf.ID, facts)
		p.act(Action{Kind: ActCreate, Target: c.Name, Role: c.Role, Spec: &cspec, Files: spec.FileCopies(c), Reason: reason})
	}
	if missing && st.MainStarted {
		p.Phase = PhaseRunning // a container created anew (Apply) while the pod runs
	}
	if missing || inf.State != StateRunning {
		return
	}
	// A tmpfs volume with files is filled now that the infra container runs (and keeps it
	// mounted), before any other container starts.
	filled := true
	for _, fc := range spec.FillLater() {
		vs := st.Volumes[fc.Volume]
		if vs.Filled {
			continue
		}
		filled = false
		if !vs.Pending {
			p.act(Action{Kind: ActFillVolume, Target: fc.Volume, ID: inf.ID, Files: []FileCopy{fc},
				Reason: "a tmpfs holds files only while mounted: filled through the running infra container"})
		}
	}
	if !filled {
		return
	}

	// A post-start hook runs right after its container's start.
	for _, c := range pod.Containers() {
		cs := st.Containers[c.Name]
		if c.PostStart != nil && cs.State == StateRunning && cs.PostStart == HookNone && !cs.Pending.Has(OpStart|OpStop|OpPreStop) {
			p.act(Action{Kind: ActPostStart, Target: c.Name, Role: c.Role, ID: cs.ID, Infra: inf.ID, Attempt: cs.Attempt,
				Hook: c.PostStart, Reason: "right after its start"})
		}
	}

	// Running containers the user, a liveness probe or a failed post-start hook wants stopped.
	for _, c := range pod.Containers() {
		cs := st.Containers[c.Name]
		if cs.State != StateRunning || cs.Pending.Has(OpStart|OpStop|OpPreStop) {
			continue
		}
		why := ""
		switch {
		case cs.Held:
			why = cs.commandWhy(CmdStop)
		case cs.RestartRequested:
			why = cs.commandWhy(CmdRestart)
		case cs.StartupFailed:
			why = "startup probe failed"
		case cs.LiveFailed:
			why = "liveness probe failed"
		case cs.PostStart == HookFailed:
			why = "post-start hook failed"
		}
		if why != "" {
			planStop(st, c, ownGrace(c, pod), time.Time{}, now, why, p)
		}
	}

	// Containers whose recipe changed are re-created, one at a time in start order.
	planReplace(spec, st, now, p)

	// Init containers, in order, each to completion.
	for i, c := range pod.Init {
		cs := st.Containers[c.Name]
		if initCompleted(cs) {
			continue
		}
		p.Phase = PhaseInit
		what := fmt.Sprintf("init container %d/%d", i+1, len(pod.Init))
		switch {
		case cs.Pending != 0:
		case cs.State == StateRunning || cs.State == StateStarting:
			p.wait(c.Name, time.Time{}, what+" running")
		case cs.Runs == 0:
			p.act(startAction(c, cs, what))
		case restartsInit(c, cs):
			// A failed init container with restart: on-failure is run again after
			// back-off, as a kubelet retries it; nothing after it starts meanwhile.
			planRestart(spec, c, cs, now, p)
		}
		return
	}

	// Start-up: sidecars in order, each gating the next; then main.
	if !st.MainStarted {
		for i, c := range pod.Sidecars {
			cs := st.Containers[c.Name]
			if cs.Held || gatesOpen(c, cs) {
				continue
			}
			p.Phase = PhaseSidecars
			planStart(spec, c, cs, fmt.Sprintf("sidecar %d/%d", i+1, len(pod.Sidecars)), now, p)
			if cs.State == StateRunning && cs.Pending == 0 {
				planBlocked(pod, i, cs, now, p)
			}
			return
		}
		p.Phase = PhaseStartingMain
		cs := st.Containers[pod.Main.Name]
		if cs.Held {
			p.wait(pod.Main.Name, time.Time{}, "stopped by user")
			return
		}
		planStart(spec, pod.Main, cs, "all sidecars started", now, p)
		return
	}

	// Running: keep sidecars up and main per its restart policy. Until the engine has
	// answered main's first start the pod is still starting main (a restart is not).
	p.Phase = PhaseRunning
	if cs := st.Containers[pod.Main.Name]; cs.Runs == 1 && cs.State == StateStarting {
		p.Phase = PhaseStartingMain
	}
	for i, c := range pod.Sidecars {
		cs := st.Containers[c.Name]
		if cs.Held || cs.Pending != 0 || cs.State == StateRunning || cs.State == StateStarting {
			continue
		}
		planStart(spec, c, cs, fmt.Sprintf("sidecar %d/%d", i+1, len(pod.Sidecars)), now, p)
	}
	main, cs := pod.Main, st.Containers[pod.Main.Name]
	switch {
	case cs.Held || cs.Replacing || cs.Pending != 0 || cs.State == StateRunning || cs.State == StateStarting:
	case p.acts(main.Name) || outdated(spec, main, cs) != "":
		// To be replaced (an apply changed its recipe): its exit under the old recipe, read
		// with the new one's restart policy, is not main's end.
	case cs.StartNow && st.StartHold != "":
		p.wait(main.Name, time.Time{}, st.StartHold) // a main created anew: see PodStatus.StartHold
	case cs.StartNow:
		p.act(startAction(main, cs, cs.StartReason))
	case cs.Runs == 0 && cs.FreshRun > 0:
		planNewMain(st, main, cs, p) // a main Apply added (main renamed)
	case restartsMain(main, cs):
		planRestart(spec, main, cs, now, p)
	default:
		p.MainEnded, p.MainExit = true, cs.ExitCode
	}
}

// planRemoveOrphans removes the containers the pod does not know (see PodStatus.Orphans);
// until they are gone nothing is created (a name may be theirs) and the pod is not done.
func planRemoveOrphans(st *PodStatus, p *Plan) {
	if len(st.Orphans) == 0 {
		return
	}
	kept := p.Actions[:0]
	for _, a := range p.Actions {
		if a.Kind != ActCreate {
			kept = append(kept, a)
		}
	}
	p.Actions = kept
	if p.Done {
		p.Done, p.Phase = false, PhaseStopping
	}
	for _, id := range sortedKeysOf(st.Orphans) {
		if o := st.Orphans[id]; !o.Pending {
			p.act(Action{Kind: ActRemove, Target: o.Name, ID: id, Reason: "not the pod's: left by an earlier run or an interrupted create"})
		}
	}
}

func sortedKeysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// restartsInit: an init container that failed — it exited non-zero, or was stopped for a
// failed post-start hook — is run again after back-off when its restart policy is
// on-failure, as a kubelet retries a failed init container unless the pod's restartPolicy
// is Never; with never (the default) it fails the pod.
func restartsInit(c *recipes.Container, cs *ContainerStatus) bool {
	return c.Restart == recipes.RestartOnFailure && (cs.ExitCode != 0 || cs.PostStart == HookFailed)
}

// restartsMain: main's restart policy restarts it after its last exit (as in Kubernetes, a
// container stopped for a failed liveness or startup probe or post-start hook is restarted
// unless the
// policy is never, whatever its exit code).
func restartsMain(main *recipes.Container, cs *ContainerStatus) bool {
	return main.Restart.Restarts(cs.ExitCode) ||
		((cs.LiveFailed || cs.StartupFailed || cs.PostStart == HookFailed) && main.Restart != recipes.RestartNever)
}

// planJobDone finishes a job pod whose main completed: the sidecars still running are
// stopped in reverse order, within the pod's stop budget counted from the completion, then
// the infra container (which frees the pod's address and ports); nothing is restarted, and
// the containers stay (their logs readable) until the stack ends.
func planJobDone(spec *PodSpec, st *PodStatus, now time.Time, p *Plan) {
	p.Phase, p.Completed = PhaseCompleted, true
	deadline := st.JobDoneAt.Add(spec.Pod.StopGrace.D())
	for _, c := range teardownOrder(spec.Pod)[1:] {
		cs := st.Containers[c.Name]
		if cs.Pending.Has(OpCreate | OpStart | OpStop | OpPreStop) {
			return
		}
		if cs.State == StateRunning && !cs.StopFailed {
			planStop(st, c, stopGrace(c, deadline.Sub(now)), deadline, now, "job completed, sidecars in reverse order", p)
			return
		}
	}
	if inf := st.Infra; inf.State == StateRunning && inf.Pending == 0 && !inf.StopFailed {
		p.act(Action{Kind: ActStop, Target: InfraName, Role: recipes.RoleInfra, ID: inf.ID, Grace: max(deadline.Sub(now), 0),
			Reason: "job completed, nothing of it runs"})
	}
}

// planStop stops the running container c within grace: its pre-stop hook first, when it has
// one the run has not run yet, then its stop signal with what the hook left of that grace
// (and of the pod's deadline, when one is set). A hook that overruns the grace is abandoned.
func planStop(st *PodStatus, c *recipes.Container, grace time.Duration, deadline, now time.Time, reason string, p *Plan) {
	cs := st.Containers[c.Name]
	if c.PreStop != nil && !cs.PreStopDone {
		p.act(Action{Kind: ActPreStop, Target: c.Name, Role: c.Role, ID: cs.ID, Infra: st.Infra.ID, Attempt: cs.Attempt,
			Hook: c.PreStop, Grace: grace, Reason: reason})
		return
	}
	if c.PreStop != nil && !cs.StopStarted.IsZero() {
		grace = cs.StopStarted.Add(cs.StopGrace).Sub(now)
		if !deadline.IsZero() {
			grace = min(grace, deadline.Sub(now))
		}
		grace = max(grace, 0)
	}
	p.act(Action{Kind: ActStop, Target: c.Name, Role: c.Role, ID: cs.ID, Grace: grace, Reason: reason})
}

// planStart starts c (or waits for it) when it is next in line: a first start, a user's
// start, or a restart after back-off.
func planStart(spec *PodSpec, c *recipes.Container, cs *ContainerStatus, reason string, now time.Time, p *Plan) {
	switch {
	case cs.Pending != 0 || cs.Replacing || cs.State == StateStarting:
	case cs.State == StateRunning:
		switch {
		case c.PostStart != nil && cs.PostStart == HookFailed:
			// being stopped: it is restarted after that
		case c.PostStart != nil && cs.PostStart != HookPassed:
			p.wait(c.Name, time.Time{}, reason+" post-start hook running")
		case c.Startup != nil && !cs.StartupPassed:
			p.wait(c.Name, time.Time{}, reason+" startup probe not passed yet")
		case c.Ready != nil && !cs.Ready && c.Gate == recipes.GateReady:
			p.wait(c.Name, time.Time{}, reason+" not ready yet")
		}
	case cs.StartNow:
		p.act(startAction(c, cs, cs.StartReason))
	case cs.Runs == 0:
		p.act(startAction(c, cs, reason))
	default:
		planRestart(spec, c, cs, now, p)
	}
}

// BlockedNoteEvery is how often the views are told, while a sidecar's probe holds up the
// containers after it, who waits for what, since when and what the probe last said.
const BlockedNoteEvery = 15 * time.Second

// noteMarks are, for a wait since since, the last BlockedNoteEvery mark it reached by now
// (zero before the first) and the next one: when the views are told, and next to be.
func noteMarks(since, now time.Time) (last, next time.Time) {
	n := now.Sub(since) / BlockedNoteEvery
	if n > 0 {
		last = since.Add(BlockedNoteEvery * n)
	}
	return last, since.Add(BlockedNoteEvery * (n + 1))
}

// Blocked says that containers wait for a running sidecar whose startup or ready probe has
// not passed.
type Blocked struct {
	Container string    // the sidecar
	Waiters   []string  // the containers after it, main last
	Since     time.Time // the sidecar's run began
	Startup   bool      // its startup probe has not passed (else its ready probe)
	Detail    string    // what the probe last said ("" before it said anything)
}

// Text says who waits for what, for how long, and the probe's last word.
func (b *Blocked) Text(now time.Time) string {
	probe := "be ready"
	if b.Startup {
		probe = "pass its startup probe"
	}
	who := joinAnd(b.Waiters)
	verb := "waits"
	if len(b.Waiters) > 1 {
		verb = "wait"
	}
	last := b.Detail
	if last == "" {
		last = "no answer yet"
	}
	return fmt.Sprintf("%s %s for sidecar %s to %s: %s so far; last probe: %s", who, verb, b.Container, probe, RoundDuration(now.Sub(b.Since).Truncate(time.Second)), last)
}

// planBlocked records that the containers after sidecar i wait for its probe, and wakes the
// supervisor when the views are next to be told (every BlockedNoteEvery of the wait).
func planBlocked(pod *recipes.Pod, i int, cs *ContainerStatus, now time.Time, p *Plan) {
	c := pod.Sidecars[i]
	if c.PostStart != nil && cs.PostStart != HookPassed {
		return // its post-start hook holds them, not a probe (the wait says so)
	}
	b := &Blocked{Container: c.Name, Since: cs.StartedAt, Detail: cs.ProbeDetail, Startup: c.Startup != nil && !cs.StartupPassed}
	for _, next := range pod.Sidecars[i+1:] {
		b.Waiters = append(b.Waiters, "sidecar "+next.Name)
	}
	b.Waiters = append(b.Waiters, "main "+pod.Main.Name)
	p.Blocked = b
	_, next := noteMarks(cs.StartedAt, now)
	if p.WakeAt.IsZero() || next.Before(p.WakeAt) {
		p.WakeAt = next
	}
}

// planRestart restarts an exited container once its back-off has passed.
func planRestart(spec *PodSpec, c *recipes.Container, cs *ContainerStatus, now time.Time, p *Plan) {
	delay := backoffDelay(spec.Stack.Backoff, cs.CrashCount)
	due := cs.ExitedAt.Add(delay)
	exit := fmtExit(cs.ExitCode, cs.OOMKilled)
	if now.Before(due) {
		p.wait(c.Name, due, fmt.Sprintf("back-off %s after %s, restarting in %s", delay, exit, due.Sub(now)))
		return
	}
	p.act(startAction(c, cs, fmt.Sprintf("restart after back-off %s (%s)", delay, exit)))
}

func startAction(c *recipes.Container, cs *ContainerStatus, reason string) Action {
	return Action{Kind: ActStart, Target: c.Name, Role: c.Role, ID: cs.ID, Reason: reason}
}

// planTeardown stops main, then the sidecars in reverse order (then any init container still
// running), one at a time within the pod's one stop budget; then removes the app containers,
// the infra container and the pod volumes.
func planTeardown(spec *PodSpec, st *PodStatus, now time.Time, p *Plan) {
	p.Phase = PhaseStopping
	pod := spec.Pod
	deadline := st.TerminateStart.Add(pod.StopGrace.D())
	for _, c := range stopOrder(spec, st) {
		cs := st.Containers[c.Name]
		if cs.Pending.Has(OpCreate | OpStart | OpStop | OpPreStop) {
			return
		}
		if (cs.State == StateRunning || cs.State == StateStarting) && !cs.StopFailed {
			reason := "pod stopping"
			switch c.Role {
			case recipes.RoleMain:
				reason = "pod stopping, main first"
			case recipes.RoleSidecar:
				reason = "pod stopping, sidecars in reverse order"
			}
			planStop(st, c, stopGrace(c, deadline.Sub(now)), deadline, now, reason, p)
			return
		}
	}
	left := false
	for _, cs := range st.sorted(spec) {
		if cs.ID == "" {
			continue
		}
		left = true
		if !cs.Pending.Has(OpRemove) {
			p.act(Action{Kind: ActRemove, Target: cs.Name, Role: cs.Role, ID: cs.ID, Reason: "pod stopping"})
		}
	}
	if left {
		return
	}
	inf := st.Infra
	if inf.Pending.Has(OpCreate | OpStart | OpStop) {
		return
	}
	if (inf.State == StateRunning || inf.State == StateStarting) && !inf.StopFailed {
		// Stopped before it is removed, as a re-created pod's is: it exits on SIGTERM, so
		// its exit is a stop (`stopped`), not a kill by the removal (`exited 137`). What
		// is left of the budget, but never so little that its exit becomes a SIGKILL.
		p.act(Action{Kind: ActStop, Target: InfraName, Role: recipes.RoleInfra, ID: inf.ID,
			Grace: max(deadline.Sub(now), minInfraGrace), Reason: "pod stopping, app containers removed"})
		return
	}
	if inf.ID != "" {
		if !inf.Pending.Has(OpRemove) {
			p.act(Action{Kind: ActRemove, Target: InfraName, Role: recipes.RoleInfra, ID: inf.ID, Reason: "app containers removed"})
		}
		return
	}
	if planRemoveVolumes(spec, st, p, false, "pod stopping") {
		p.done(st)
	}
}

// planRemoveAll removes every container of the pod at once; it reports whether none is left.
//
// A container whose create or start is in flight (a back-off restart sent just before a
// second Ctrl-C) is removed once the engine has answered, and the infra container only once
// no member's create or start is in flight: removing it under a start that joins its
// namespaces would make that start fail ("namespace path: no such file"), an error about
// nothing the user can act on. Waiting costs one start at most.
func planRemoveAll(spec *PodSpec, st *PodStatus, p *Plan, reason string) bool {
	gone, busy := true, false
	remove := func(cs *ContainerStatus) {
		// A removal is done when its call returned, not when the destroy event came
		// (which can be first, and leaves no ID).
		if cs.Pending.Has(OpRemove) {
			gone = false
			return
		}
		if cs.ID == "" {
			return
		}
		gone = false
		p.act(Action{Kind: ActRemove, Target: cs.Name, Role: cs.Role, ID: cs.ID, Reason: reason})
	}
	for _, cs := range st.sorted(spec) {
		if cs.Pending.Has(OpCreate | OpStart) {
			gone, busy = false, true
			continue
		}
		remove(cs)
	}
	if inf := st.Infra; inf.Pending.Has(OpCreate|OpStart) || (busy && inf.ID != "") {
		gone = false
	} else {
		remove(inf)
	}
	return gone
}

// planRemoveVolumes removes the pod's engine volumes (withFiles: only those that have files,
// see VolumeStatus.Refill); it reports whether none is left.
func planRemoveVolumes(spec *PodSpec, st *PodStatus, p *Plan, withFiles bool, reason string) bool {
	gone := true
	for _, v := range spec.EngineVolumes() {
		vs := st.Volumes[v.Name]
		if withFiles && !vs.Refill {
			continue
		}
		if vs.Pending {
			gone = false
			continue
		}
		if vs.Created {
			gone = false
			p.act(Action{Kind: ActRemoveVolume, Target: v.Name, Volume: spec.Names().Volume(spec.Pod.Name, v.Name), Reason: reason})
		}
	}
	return gone
}

// podFailure is the reason the pod failed, or nil: an engine operation that failed while the
// pod came up, or an init container that exited non-zero.
func podFailure(spec *PodSpec, st *PodStatus) *PodError {
	pod := spec.Pod.Name
	for _, v := range spec.EngineVolumes() {
		if err := st.Volumes[v.Name].Err; err != nil {
			return &PodError{Pod: pod, Reason: err.Error(), Err: err}
		}
	}
	if err := st.Infra.Err; err != nil {
		return &PodError{Pod: pod, Container: InfraName, Reason: err.Error(), Err: err}
	}
	for _, cs := range st.sorted(spec) {
		if cs.Err != nil {
			return &PodError{Pod: pod, Container: cs.Name, Reason: cs.Err.Error(), Err: cs.Err}
		}
	}
	ended := func(cs *ContainerStatus) bool {
		return cs.Runs > 0 && cs.State != StateRunning && cs.State != StateStarting && cs.Pending == 0
	}
	for _, c := range spec.Pod.Init {
		cs := st.Containers[c.Name]
		switch {
		case restartsInit(c, cs):
		case ended(cs) && cs.PostStart == HookFailed:
			return &PodError{Pod: pod, Container: c.Name, ExitCode: cs.ExitCode,
				Reason: fmt.Sprintf("the post-start hook of init container %s failed: %s", c.Name, cs.PostStartErr),
				Lines:  cs.Lines, Err: ErrPostStartFailed}
		case cs.Runs > 0 && cs.ExitCode != 0 && cs.State != StateRunning && cs.State != StateStarting:
			return &PodError{
				Pod: pod, Container: c.Name, ExitCode: cs.ExitCode,
				Reason: fmt.Sprintf("init container %s %s", c.Name, fmtExitVerb(cs.ExitCode, cs.OOMKilled)),
				Lines:  cs.Lines, Err: ErrInitFailed,
			}
		}
	}
	main := spec.Pod.Main
	cs := st.Containers[main.Name]
	if !ended(cs) || cs.Held || cs.StartNow || st.JobDone || restartsMain(main, cs) {
		return nil
	}
	switch {
	case cs.PostStart == HookFailed:
		return &PodError{Pod: pod, Container: main.Name, ExitCode: cs.ExitCode,
			Reason: fmt.Sprintf("the post-start hook of main %s failed: %s", main.Name, cs.PostStartErr),
			Lines:  cs.Lines, Err: ErrPostStartFailed}
	case spec.Pod.Job:
		return &PodError{Pod: pod, Container: main.Name, ExitCode: cs.ExitCode,
			Reason: fmt.Sprintf("job %s failed: main %s %s", pod, main.Name, fmtExitVerb(cs.ExitCode, cs.OOMKilled)),
			Lines:  cs.Lines, Err: ErrJobFailed}
	}
	return nil
}

// wantsLines reports whether a pod failure is a container's, whose last log lines belong
// with it.
func wantsLines(f *PodError) bool {
	return errors.Is(f.Err, ErrInitFailed) || errors.Is(f.Err, ErrJobFailed) || errors.Is(f.Err, ErrPostStartFailed)
}

// MainReady reports whether the pods that depend on this one may start: its main is ready
// (running, its post-start hook passed and its ready probe too when it has them) — or, for
// a job pod, its main has completed.
func MainReady(spec *PodSpec, st *PodStatus) bool {
	if spec.Pod.Job {
		// A job's dependents start once it completed — or, when its main has a ready probe,
		// once that passed: a one-shot that others wait for as healthy (compose's
		// service_healthy on a setup service) goes on working after they start.
		if st.Terminating {
			return false
		}
		main := spec.Pod.Main
		return st.JobDone || (main.Ready != nil && isStarted(main, st.Containers[main.Name]))
	}
	return !st.Terminating && isStarted(spec.Pod.Main, st.Containers[spec.Pod.Main.Name])
}

// MainStarted reports whether the pods that wait for this one's main to be started
// (recipes.DepStarted: compose's service_started) may start: its main is running, its
// post-start hook passed and its startup probe too when it has them — its ready probe holds
// nothing back — or, for a job pod, it has completed.
func MainStarted(spec *PodSpec, st *PodStatus) bool {
	if st.Terminating {
		return false
	}
	main := spec.Pod.Main
	return spec.Pod.Job && st.JobDone || hasStarted(main, st.Containers[main.Name])
}

// isStarted: running, its post-start hook passed when it has one, its startup probe passed
// when it has one, and ready when it has a ready probe.
func isStarted(c *recipes.Container, cs *ContainerStatus) bool {
	return hasStarted(c, cs) && (c.Ready == nil || cs.Ready)
}

// hasStarted: running, its post-start hook passed when it has one, its startup probe passed
// when it has one (what the kubelet waits for before it starts the next container).
func hasStarted(c *recipes.Container, cs *ContainerStatus) bool {
	return cs.State == StateRunning && (c.PostStart == nil || cs.PostStart == HookPassed) &&
		(c.Startup == nil || cs.StartupPassed)
}

// gatesOpen reports whether the container after c in start order may start: c has started,
// and is ready too unless it is a sidecar whose gate is started; a sidecar whose gate is
// running only runs, its post-start hook done (a regular container of a Kubernetes pod,
// whose startup probe holds nothing back either). The one rule for the first start,
// converging and the commands that start several containers (ContainerView.GateOpen).
func gatesOpen(c *recipes.Container, cs *ContainerStatus) bool {
	if c.Role == recipes.RoleSidecar {
		switch c.Gate {
		case recipes.GateStarted:
			return hasStarted(c, cs)
		case recipes.GateRunning:
			return cs.State == StateRunning && (c.PostStart == nil || cs.PostStart == HookPassed)
		}
	}
	return isStarted(c, cs)
}

// initCompleted: the init container's run exited 0 (a run stopped for a failed post-start
// hook failed, whatever its exit code).
func initCompleted(cs *ContainerStatus) bool {
	return cs.Runs > 0 && cs.ExitCode == 0 && cs.PostStart != HookFailed && (cs.State == StateExited || cs.State == StateCreated)
}

// teardownOrder is the reverse of the start order: main, sidecars last to first, init.
func teardownOrder(pod *recipes.Pod) []*recipes.Container {
	out := []*recipes.Container{pod.Main}
	for i := len(pod.Sidecars) - 1; i >= 0; i-- {
		out = append(out, pod.Sidecars[i])
	}
	for i := len(pod.Init) - 1; i >= 0; i-- {
		out = append(out, pod.Init[i])
	}
	return out
}

// backoffDelay is the wait before the restart that follows crashes consecutive quick exits:
// Initial, doubled for each further crash, capped at Max.
func backoffDelay(b recipes.Backoff, crashes int) time.Duration {
	if crashes <= 0 {
		return 0
	}
	d, max := b.Initial.D(), b.Max.D()
	for i := 1; i < crashes && d < max; i++ {
		d *= 2
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// ownGrace is the grace of a container stopped on its own (user command, liveness failure):
// its StopGrace, else the pod's.
func ownGrace(c *recipes.Container, pod *recipes.Pod) time.Duration {
	if g := c.StopGrace.D(); g > 0 {
		return g
	}
	return pod.StopGrace.D()
}
