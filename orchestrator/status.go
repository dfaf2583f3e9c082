package orchestrator

import (
	"errors"
	"fmt"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// This file holds what a pod's supervisor has observed, and the transition functions that
// fold observations into it: engine events, relists, results of executed actions, probe
// results and user commands. Transitions record facts; they decide nothing. Deciding is the
// planner's job (planner.go).

// EngineState is what the supervisor knows of a container's engine state.
type EngineState int

const (
	StateNone     EngineState = iota // no engine container
	StateCreated                     // created, never started in this pod incarnation
	StateStarting                    // start sent, not yet seen running
	StateRunning                     // running
	StateExited                      // exited (ExitCode)
)

var engineStateNames = enum[EngineState]{names: []string{"none", "created", "starting", "running", "exited"}}

func (s EngineState) String() string { return engineStateNames.name(s) }

// Ops is a set of operations in flight on one container or volume.
type Ops uint8

const (
	OpCreate Ops = 1 << iota
	OpStart
	OpStop
	OpRemove
	OpCollect
	OpPreStop // the pre-stop hook runs: the stop signal follows it
)

// Has reports whether any of o are in flight.
func (p Ops) Has(o Ops) bool { return p&o != 0 }

// ContainerStatus is the observed state of one container of a pod (the infra container too).
type ContainerStatus struct {
	Name string
	Role recipes.Role
	ID   string
	// State is driven by engine events, relists and post-operation inspects, in that
	// container's own order.
	State   EngineState
	Pending Ops
	// CreatedEpoch is the relist epoch at which the container was known created: a relist
	// that began before it cannot have seen it.
	CreatedEpoch uint64

	StartedAt  time.Time // engine time the current or last run started
	FinishedAt time.Time // engine time the last run ended
	ExitedAt   time.Time // supervisor clock when the last exit was seen: back-off counts from here
	ExitCode   int
	OOMKilled  bool
	oomSeen    bool // an oom event arrived; the next die is an OOM kill

	// Runs counts starts in this incarnation of the pod; Attempt counts every start ever
	// (it names a run for probe workers and log followers); Restarts counts starts after
	// the first, over the stack's life.
	Runs     int
	Attempt  int
	Restarts int
	// RunSeen is the Attempt whose run was seen started: its output can be read.
	RunSeen int
	// CrashCount is the number of consecutive exits that came after runs shorter than the
	// back-off reset: the next restart waits Backoff.Initial doubled CrashCount-1 times.
	CrashCount int

	// PostStart is the state of the current run's post-start hook (HookNone without one,
	// or before it was sent); PostStartErr says why it failed. PreStopDone: the current
	// run's pre-stop hook has run (or was abandoned), its stop signal may follow.
	PostStart    HookPhase
	PostStartErr string
	PreStopDone  bool

	// Networks are the infra container's addresses, from inspects of its current run.
	Networks []NetworkAddress

	Ready      bool // latest readiness result (with a ready probe)
	ReadyKnown bool
	LiveFailed bool // the liveness probe failed in the current run
	// StartupPassed: the startup probe passed in the current run (ready and live probes run
	// from then on); StartupFailed: it failed its retries: the container is restarted.
	StartupPassed bool
	StartupFailed bool
	// ProbeDetail is the last failure of the current run's startup or ready probe (what the
	// check said), "" once it passed.
	ProbeDetail string

	// EngineHealth is the engine's verdict on the current run's HEALTHCHECK, from health
	// events and inspects; healthAt orders them (the time of the event, or of the last check
	// an inspect saw). Shown, never acted on.
	EngineHealth EngineHealth
	healthAt     time.Time

	Held             bool   // stopped by the user: not restarted until started again
	RestartRequested bool   // the user asked for a restart while it ran
	StartNow         bool   // start without back-off (user command)
	StartReason      string // why StartNow was set
	// CommandWhy is who gave the last command and why, when not a user ("restarted by
	// watch: conf/proxy.conf changed"): the reason of the stop and start it makes.
	CommandWhy string

	StopStarted time.Time
	StopGrace   time.Duration
	StopReason  string
	StopFailed  bool // the stop call failed: removal will kill it
	Killed      bool // the last stop needed SIGKILL
	Removed     bool // removed during teardown

	Err error // a create or start that failed

	Lines          []string // last log lines, collected when the container failed the pod
	LinesCollected bool

	// What the container was created from (see converge.go): its config hash (the label),
	// the recipe of an app container, the create spec and the pod volumes of the infra
	// container, the image ID.
	Hash           string
	Recipe         *recipes.Container
	CreatedSpec    *ContainerSpec
	CreatedVolumes []*recipes.Volume
	ImageID        string
	// Retired: the container is no longer in the recipe; it is stopped and removed.
	// Replacing: it is being stopped and removed to be created again from the recipe, for
	// Why. FreshRun is the Attempt of the first run of a container created by Apply (a
	// replaced or an added one): until that run is started, later replacements wait.
	// FreshWhy is why that run is a new container, for the marker in its log.
	Retired   bool
	Replacing bool
	Why       string
	FreshRun  int
	FreshWhy  string

	// ExitUnchecked: the last run ended on its own (no stop of ours, no teardown). An engine
	// that stops kills its containers before it stops answering, so nothing is decided on
	// such an exit until the engine was checked (checkGen: the check it waits for) — or, when
	// the engine turned out gone, until it is back: the exit was then the engine's doing.
	ExitUnchecked bool
	checkGen      uint64

	prevState    EngineState
	prevRestarts int
}

// VolumeStatus is the observed state of one engine volume of a pod.
type VolumeStatus struct {
	Created bool
	Removed bool
	Pending bool
	Err     error
	// Refill: the volume has (or is to have) files in it, so a re-created pod gets it
	// afresh: removed once no container mounts it, then created and filled again.
	Refill bool
	// Filled: a tmpfs volume's files were copied into it through the running infra
	// container (see PodSpec.FillLater).
	Filled bool
}

// PodStatus is everything one pod's supervisor has observed.
type PodStatus struct {
	Infra      *ContainerStatus
	Containers map[string]*ContainerStatus
	Volumes    map[string]*VolumeStatus

	// MainStarted is set once main was started in this incarnation: from then on sidecars
	// no longer gate anything.
	MainStarted bool
	// MainSettled: main had started when an Apply gave the pod a new spec. Converging then
	// waits for main to be ready only when it creates it anew (fresh), not for the readiness
	// of a main it left alone — a main whose probe fails would hold the Apply for ever.
	MainSettled bool

	Terminating    bool
	Force          bool
	TerminateStart time.Time

	// Recreating is set when the infra container was lost: every member is removed, then
	// the pod starts again from its infra container.
	Recreating  bool
	InfraLost   string
	Incarnation int
	// RecreateStart is when the first stop of a pod re-created on purpose was sent: its
	// members stop within one pod budget counted from then, as in a teardown (zero until
	// then, and again once its infra container is gone or a container starts).
	RecreateStart time.Time
	// StopHold and StartHold order an Apply that re-creates, or replaces the main of, pods
	// that depend on each other (the stack runner sets and releases them): while StopHold is
	// set the stops of the re-create or of main's replacement wait (the pods that depend on
	// this one stop first); while StartHold is set the re-created pod's infra container, or
	// its new main, is not started (the pods it depends on are not as its conditions say yet).
	// Each is the reason the views show.
	StopHold, StartHold string

	// Failure, once reported, is kept for the pod's final phase.
	Failure *PodError

	// EngineDown is set while the engine is unreachable (engine.go): nothing is planned
	// until a relist shows what the engine holds again. Abandoned: the user stopped the
	// stack while it was: the pod ends at once, leaving what it could not remove.
	EngineDown bool
	Abandoned  bool
	// Orphans are containers of the pod that a relist found and the pod does not know, by
	// ID, with their container names: made by a create whose answer the engine's loss cut
	// off, or left by an earlier incarnation. They are removed before anything of that name
	// is created again.
	Orphans map[string]*Orphan

	// UID is the pod incarnation's metadata.uid (the supervisor draws a new one for each).
	UID string
	// JobDone is set when the main of a job pod completed (exited 0, not to be restarted):
	// the pod has done its work; it is not run again (a restart, a crash, an engine lost)
	// unless an Apply changes its recipe. JobDoneAt is when it was seen.
	JobDone   bool
	JobDoneAt time.Time
	// Rerun says why a completed job runs again (its recipe changed: Apply, see RerunJob),
	// until it starts over once nothing of its completed run runs.
	Rerun string
}

// Orphan is a container of the pod that no status holds.
type Orphan struct {
	Name    string
	Pending bool
}

// NewPodStatus is the status of a pod nothing was created for yet.
func NewPodStatus(pod *recipes.Pod) *PodStatus {
	st := &PodStatus{
		Infra:      &ContainerStatus{Name: InfraName, Role: recipes.RoleInfra},
		Containers: map[string]*ContainerStatus{},
		Volumes:    map[string]*VolumeStatus{},
		Orphans:    map[string]*Orphan{},
	}
	for _, c := range pod.Containers() {
		st.Containers[c.Name] = &ContainerStatus{Name: c.Name, Role: c.Role}
	}
	for _, v := range pod.Volumes {
		st.Volumes[v.Name] = &VolumeStatus{Refill: len(v.Files) > 0}
	}
	return st
}

// C returns the status of the named container (InfraName for the infra container).
func (st *PodStatus) C(name string) *ContainerStatus {
	if name == InfraName {
		return st.Infra
	}
	return st.Containers[name]
}

func (st *PodStatus) byID(id string) *ContainerStatus {
	if id == "" {
		return nil
	}
	if st.Infra.ID == id {
		return st.Infra
	}
	for _, c := range st.Containers {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// targetContainer is the container of the pod that action a is about. For an action about a
// pod volume (volume actions) or an orphan (its removal) it sets their Pending to pending and
// returns nil, as it does for what the pod does not know.
func (st *PodStatus) targetContainer(a Action, pending bool) *ContainerStatus {
	switch {
	case a.Kind == ActCreateVolume || a.Kind == ActRemoveVolume || a.Kind == ActFillVolume:
		if v := st.Volumes[a.Target]; v != nil {
			v.Pending = pending
		}
		return nil
	case a.Kind == ActRemove && st.Orphans[a.ID] != nil:
		st.Orphans[a.ID].Pending = pending
		return nil
	}
	return st.C(a.Target)
}

// Dispatched records that the supervisor handed a to the executor.
func (st *PodStatus) Dispatched(spec *PodSpec, a Action, now time.Time) {
	c := st.targetContainer(a, true)
	if c == nil {
		return
	}
	if a.Replace {
		c.Replacing, c.Why = true, a.Reason
	}
	switch {
	case a.PodBudget && st.RecreateStart.IsZero():
		st.RecreateStart = now
	case a.Kind == ActStart:
		st.RecreateStart = time.Time{} // the pod is not going down
	}
	switch a.Kind {
	case ActCreate:
		c.Pending |= OpCreate
		c.Err = nil
		c.noteCreate(spec, a)
	case ActStart:
		c.Pending |= OpStart
		c.prevState, c.prevRestarts = c.State, c.Restarts
		c.State = StateStarting
		if !c.StartedAt.IsZero() {
			c.Restarts++
		}
		c.Runs++
		c.Attempt++
		c.Ready, c.ReadyKnown, c.LiveFailed = false, false, false
		c.StartupPassed, c.StartupFailed, c.ProbeDetail = false, false, ""
		c.StartNow, c.StartReason, c.Why = false, "", ""
		c.Killed, c.StopFailed = false, false
		c.StopStarted, c.StopGrace, c.StopReason = time.Time{}, 0, ""
		c.PostStart, c.PostStartErr, c.PreStopDone = HookNone, "", false
		c.Networks = nil
		if c.Role == recipes.RoleMain {
			st.MainStarted = true
		}
	case ActPostStart:
		c.PostStart = HookRunning
	case ActPreStop:
		c.Pending |= OpPreStop
		c.StopStarted, c.StopGrace, c.StopReason = now, a.Grace, a.Reason
	case ActStop:
		c.Pending |= OpStop
		c.StopStarted, c.StopGrace, c.StopReason = now, a.Grace, a.Reason
	case ActRemove:
		c.Pending |= OpRemove
	case ActCollectLogs:
		c.Pending |= OpCollect
	}
}

// ActionResult is what the executor reports after carrying out one action.
type ActionResult struct {
	Action Action
	ID     string         // created container
	Info   *ContainerInfo // the container inspected after a start or stop
	Stop   StopResult
	Lines  []string // collected log lines
	Epoch  uint64   // relist epoch read after a create completed
	// Took is how long a hook ran (post-start, pre-stop); Err then says why it failed.
	Took time.Duration
	Err  error
	// NotSent: a create or start that was not sent to the engine, because the pod's teardown
	// was asked after it was planned (see supervisor.stopAsked). Nothing was done.
	NotSent bool
}

// ApplyResult folds an executed action's result into the status.
func (st *PodStatus) ApplyResult(spec *PodSpec, r ActionResult, now time.Time) {
	a := r.Action
	if r.NotSent {
		if c := st.targetContainer(a, false); c != nil {
			st.notDone(c, r)
		}
		return
	}
	switch a.Kind {
	case ActCreateVolume, ActRemoveVolume, ActFillVolume:
		v := st.Volumes[a.Target]
		if v == nil {
			return
		}
		v.Pending = false
		if a.Kind == ActFillVolume {
			v.Filled, v.Err = r.Err == nil, r.Err
			return
		}
		if a.Kind == ActCreateVolume {
			if r.Err != nil {
				v.Err = r.Err
				return
			}
			v.Created, v.Removed, v.Filled = true, false, false
			if rv := spec.Pod.Volume(a.Target); rv != nil {
				v.Refill = len(rv.Files) > 0
			}
			return
		}
		// A volume that could not be removed is reported and given up on: teardown goes on.
		v.Created, v.Removed = false, true
		st.finishRecreate(now)
		return
	}
	if o := st.Orphans[a.ID]; o != nil && a.Kind == ActRemove {
		delete(st.Orphans, a.ID) // removed, or reported and given up on
		return
	}
	c := st.C(a.Target)
	if c == nil {
		return
	}
	switch a.Kind {
	case ActCreate:
		c.Pending &^= OpCreate
		if r.ID != "" {
			c.ID, c.State, c.CreatedEpoch = r.ID, StateCreated, r.Epoch
			c.Removed = false
		}
		if r.Err != nil {
			c.Err = r.Err
		}
	case ActStart:
		c.Pending &^= OpStart
		if r.Err != nil {
			if c.State == StateStarting {
				c.State = c.prevState
			}
			c.Err = r.Err
			return
		}
		if r.Info != nil {
			st.syncInfo(spec, c, *r.Info, now, true)
		}
	case ActStop:
		c.Pending &^= OpStop
		if r.Err != nil {
			c.StopFailed = true
			return
		}
		c.Killed = r.Stop.Killed
		if r.Info != nil {
			st.syncInfo(spec, c, *r.Info, now, true)
		}
	case ActRemove:
		c.Pending &^= OpRemove
		if a.ID != "" && c.ID != "" && c.ID != a.ID {
			break // its destroy event came first, and a new container has its name already
		}
		// Removal errors other than "already gone" are reported by the supervisor; the
		// container is given up on either way so that teardown goes on.
		st.gone(spec, c, now)
		c.Removed = true
	case ActCollectLogs:
		c.Pending &^= OpCollect
		c.Lines, c.LinesCollected = r.Lines, true
	case ActPostStart:
		// Only the run it was sent for, still running, is judged by it: a hook cut short
		// by the end of the run (an exit, a stop) says nothing about the container.
		if c.Attempt != a.Attempt || c.State != StateRunning || c.PostStart != HookRunning {
			break
		}
		c.PostStart = HookPassed
		if r.Err != nil {
			c.PostStart, c.PostStartErr = HookFailed, r.Err.Error()
		}
	case ActPreStop:
		c.Pending &^= OpPreStop
		if c.Attempt == a.Attempt {
			c.PreStopDone = true
		}
	}
	st.finishRecreate(now)
}

// AwaitChecks gives every exit not yet checked the engine check it waits for (next: the
// number of the next check to begin); it reports whether there was any.
func (st *PodStatus) AwaitChecks(next uint64) bool {
	any := false
	for _, c := range append([]*ContainerStatus{st.Infra}, st.containerList()...) {
		if c.ExitUnchecked && c.checkGen == 0 {
			c.checkGen, any = next, true
		}
	}
	return any
}

// ApplyEngineChecked: check gen found the engine there, so the exits that waited for it (or
// an earlier check) were the containers' own.
func (st *PodStatus) ApplyEngineChecked(gen uint64) {
	for _, c := range append([]*ContainerStatus{st.Infra}, st.containerList()...) {
		if c.ExitUnchecked && c.checkGen != 0 && c.checkGen <= gen {
			c.ExitUnchecked, c.checkGen = false, 0
		}
	}
}

// CheckingEngine reports whether an exit waits for the engine to be checked.
func (st *PodStatus) CheckingEngine() bool {
	for _, c := range append([]*ContainerStatus{st.Infra}, st.containerList()...) {
		if c.ExitUnchecked {
			return true
		}
	}
	return false
}

// stoppedByEngine settles the exits that came while the engine was being lost: the engine
// stopped those containers, they did not end. They start again at once, without a crash
// counted or their restart policy asked (main's `never` included); an init container runs
// again; a lost infra container recreates the pod as always.
func (st *PodStatus) stoppedByEngine() {
	for _, c := range append([]*ContainerStatus{st.Infra}, st.containerList()...) {
		if !c.ExitUnchecked {
			continue
		}
		c.ExitUnchecked, c.checkGen = false, 0
		if c.CrashCount > 0 {
			c.CrashCount--
		}
		switch c.Role {
		case recipes.RoleInfra:
		case recipes.RoleInit:
			c.Runs, c.ExitCode = 0, 0
		case recipes.RoleMain:
			st.JobDone = false // a job's main stopped by the engine has not completed
			c.StartNow, c.StartReason = true, "the engine stopped it as it stopped"
		default:
			c.StartNow, c.StartReason = true, "the engine stopped it as it stopped"
		}
	}
}

func (st *PodStatus) containerList() []*ContainerStatus {
	out := make([]*ContainerStatus, 0, len(st.Containers))
	for _, c := range st.Containers {
		out = append(out, c)
	}
	return out
}

// ApplyUnreachable folds in the result of an action that failed because the engine was
// gone: the action is taken as not done (the container keeps its ID and state, a start is
// not counted, nothing fails), and the pod waits for the engine (EngineDown) until a relist
// says what it holds.
func (st *PodStatus) ApplyUnreachable(r ActionResult) {
	st.EngineDown = true
	a := r.Action
	c := st.targetContainer(a, false)
	if c == nil {
		return
	}
	switch a.Kind {
	case ActCreate:
		st.notDone(c, r)
		if r.ID != "" { // created, but its files could not be copied in: made again
			st.Orphans[r.ID] = &Orphan{Name: c.Name}
		}
	case ActStart:
		st.notDone(c, r)
	case ActStop:
		c.Pending &^= OpStop
	case ActRemove:
		c.Pending &^= OpRemove
	case ActCollectLogs:
		c.Pending &^= OpCollect
	case ActPostStart:
		if c.Attempt == a.Attempt && c.PostStart == HookRunning {
			c.PostStart = HookNone // run again once the engine is back, if the run survived
		}
	case ActPreStop:
		c.Pending &^= OpPreStop
	}
}

// notDone takes a create or a start of c as not done: a create is pending no more, a start
// is not counted (the container keeps its state and restarts).
func (st *PodStatus) notDone(c *ContainerStatus, r ActionResult) {
	switch r.Action.Kind {
	case ActCreate:
		c.Pending &^= OpCreate
	case ActStart:
		c.Pending &^= OpStart
		if c.State == StateStarting {
			c.State = c.prevState
		}
		c.Runs--
		c.Attempt--
		c.Restarts = c.prevRestarts
		if c.Role == recipes.RoleMain && c.Runs == 0 {
			st.MainStarted = false
		}
	}
}

// ApplyEvent folds one engine event into the status. Events of containers the pod does not
// know (leftovers, earlier incarnations) and stale duplicates (replays after a reconnect)
// change nothing.
func (st *PodStatus) ApplyEvent(spec *PodSpec, ev EngineEvent, now time.Time) {
	c := st.byID(ev.ID)
	if c == nil {
		return
	}
	switch ev.Action {
	case ActionStart:
		st.startSeen(c, ev.Time)
	case ActionOOM:
		c.oomSeen = true
	case ActionDie:
		if c.State != StateRunning || ev.Time.Before(c.StartedAt) {
			return
		}
		st.exit(spec, c, ev.ExitCode, false, ev.Time, now)
	case ActionDestroy:
		st.gone(spec, c, now)
	case ActionHealth:
		if c.State == StateRunning && !ev.Time.Before(c.StartedAt) {
			c.setHealth(ev.Health, ev.Time)
			imageReadiness(spec, c)
		}
	}
	st.finishRecreate(now)
}

// setHealth records the engine's health verdict as of at, unless a newer one is known.
func (c *ContainerStatus) setHealth(h EngineHealth, at time.Time) {
	if at.Before(c.healthAt) {
		return
	}
	c.EngineHealth, c.healthAt = h, at
}

// gatesOnImageHealth reports whether c's ready probe is the engine's verdict on its image's
// HEALTHCHECK (recipes.ProbeImage).
func gatesOnImageHealth(spec *PodSpec, c *ContainerStatus) bool {
	rc := spec.Pod.Container(c.Name)
	return rc != nil && rc.Ready != nil && rc.Ready.Kind() == recipes.ProbeImage
}

// imageReadiness makes the engine's verdict on c's HEALTHCHECK its readiness, as a ready
// probe's report would, when its ready probe is the image's: healthy is ready, unhealthy is
// not ready, no verdict yet (starting) leaves readiness unknown.
func imageReadiness(spec *PodSpec, c *ContainerStatus) {
	if c.State != StateRunning || !gatesOnImageHealth(spec, c) {
		return
	}
	switch c.EngineHealth {
	case EngineHealthHealthy:
		c.Ready, c.ReadyKnown, c.ProbeDetail = true, true, ""
	case EngineHealthUnhealthy:
		c.Ready, c.ReadyKnown = false, true
		c.ProbeDetail = "the engine says its image's HEALTHCHECK is unhealthy (docker inspect shows the checks' output under State.Health)"
	case EngineHealthStarting:
		c.ProbeDetail = "its image's HEALTHCHECK has no verdict yet"
	}
}

// noHealthcheck is the failure of a container whose readiness is its image's HEALTHCHECK
// when the image has none: nothing would ever make it ready, so what waits for it would
// wait for ever (docker compose fails the same way: "container … has no healthcheck
// configured").
func noHealthcheck(spec *PodSpec, c *ContainerStatus, info ContainerInfo) error {
	image := info.Image
	if rc := spec.Pod.Container(c.Name); rc != nil && rc.Image != "" {
		image = rc.Image
	}
	return fmt.Errorf("container %s is to be ready when its image's HEALTHCHECK passes (ready: {image: true}, what compose's service_healthy means on a service without a healthcheck), and image %s %w: add one (a healthcheck test on the compose service, HEALTHCHECK in its Dockerfile), give %s a ready probe of its own, or wait for it to start only (condition: service_started)",
		c.Name, image, ErrNoHealthcheck, c.Name)
}

// ApplyRelist folds a fresh listing of the pod's containers (inspected) into the status.
// epoch is the relist epoch taken before the listing started.
//
// A relist is the engine answering: a pod that waited for it (EngineDown) reconciles from
// what it holds. Containers of the pod that no status knows become Orphans, unless a create
// of that name is in flight (its answer names it).
func (st *PodStatus) ApplyRelist(spec *PodSpec, infos []ContainerInfo, epoch uint64, now time.Time) {
	wasDown := st.EngineDown
	defer func() {
		if wasDown {
			st.stoppedByEngine()
		}
	}()
	st.EngineDown = false
	seen := map[string]ContainerInfo{}
	for _, info := range infos {
		seen[info.ID] = info
	}
	all := append([]*ContainerStatus{st.Infra}, st.sorted(spec)...)
	for _, info := range infos {
		if st.byID(info.ID) != nil || st.Orphans[info.ID] != nil {
			continue
		}
		l, _ := DecodeLabels(info.Labels)
		name := l.Container
		if c := st.C(name); c == nil || !c.Pending.Has(OpCreate) {
			st.Orphans[info.ID] = &Orphan{Name: name}
		}
	}
	for id, o := range st.Orphans {
		if _, ok := seen[id]; !ok && !o.Pending {
			delete(st.Orphans, id) // gone meanwhile
		}
	}
	for _, c := range all {
		if c.ID == "" {
			continue
		}
		info, ok := seen[c.ID]
		if !ok {
			if c.CreatedEpoch < epoch && !c.Pending.Has(OpCreate|OpRemove) {
				st.gone(spec, c, now)
			}
			continue
		}
		if c.Pending.Has(OpStart) {
			continue // the start's own inspect settles it
		}
		st.syncInfo(spec, c, info, now, false)
	}
	st.finishRecreate(now)
}

// syncInfo brings c in line with an inspect of its container. fromOp is set when the inspect
// was made right after our own start or stop returned, so it is newer than that operation.
func (st *PodStatus) syncInfo(spec *PodSpec, c *ContainerStatus, info ContainerInfo, now time.Time, fromOp bool) {
	switch info.Status {
	case StatusRunning, StatusPaused, StatusRestarting:
		st.startSeen(c, info.StartedAt)
		// The inspect is of the current run when that run began after the last exit seen
		// (its start time may differ slightly from the start event's).
		if c.State == StateRunning && info.StartedAt.After(c.FinishedAt) {
			c.setHealth(info.Health, info.HealthAt)
			if gatesOnImageHealth(spec, c) && !info.Healthcheck && c.Err == nil {
				c.Err = noHealthcheck(spec, c, info)
			}
			imageReadiness(spec, c)
			if len(info.Networks) > 0 {
				c.Networks = info.Networks
			}
		}
	case StatusExited, StatusDead:
		switch c.State {
		case StateRunning:
			if !info.FinishedAt.Before(c.StartedAt) {
				st.exit(spec, c, info.ExitCode, info.OOMKilled, info.FinishedAt, now)
			}
		case StateStarting:
			if fromOp && !info.StartedAt.IsZero() && info.StartedAt.After(c.FinishedAt) {
				st.running(c, info.StartedAt)
				st.exit(spec, c, info.ExitCode, info.OOMKilled, info.FinishedAt, now)
			}
		}
	}
}

func (st *PodStatus) running(c *ContainerStatus, startedAt time.Time) {
	c.State = StateRunning
	c.StartedAt = startedAt
	c.RunSeen = c.Attempt
	c.EngineHealth, c.healthAt = EngineHealthNone, time.Time{} // a new run has no verdict yet
}

// startSeen records a start of c that the engine reports at startedAt (its start event, or
// an inspect of it running): a later start time for the run it knows of, a new run for a
// container created or being started, or for one that exited before startedAt.
func (st *PodStatus) startSeen(c *ContainerStatus, startedAt time.Time) {
	switch c.State {
	case StateRunning:
		if startedAt.After(c.StartedAt) {
			c.StartedAt = startedAt
		}
	case StateExited:
		if startedAt.After(c.FinishedAt) {
			st.running(c, startedAt)
		}
	case StateStarting, StateCreated:
		st.running(c, startedAt)
	}
}

// exit records the end of c's current run.
func (st *PodStatus) exit(spec *PodSpec, c *ContainerStatus, code int, oom bool, finishedAt, now time.Time) {
	c.State = StateExited
	c.ExitCode = code
	c.OOMKilled = oom || c.oomSeen
	c.oomSeen = false
	c.FinishedAt = finishedAt
	c.ExitedAt = now
	c.Ready, c.ReadyKnown = false, false
	c.EngineHealth = EngineHealthNone
	c.ExitUnchecked = !st.Terminating && !st.Recreating && c.StopReason == "" && !c.Held && !c.RestartRequested && !c.Replacing
	c.checkGen = 0
	c.Networks = nil
	if spec.Pod.Job && c.Role == recipes.RoleMain && code == 0 && c.PostStart != HookFailed && !c.Held &&
		!c.RestartRequested && !c.LiveFailed && !c.Replacing && !spec.Pod.Main.Restart.Restarts(0) && !st.Terminating && !st.Recreating {
		st.JobDone, st.JobDoneAt = true, now
	}
	switch {
	case st.Terminating, c.Replacing:
	case c.RestartRequested:
		c.RestartRequested = false
		c.StartNow, c.StartReason = true, c.commandWhy(CmdRestart)
	case c.Held:
	default:
		if !c.StartedAt.IsZero() && finishedAt.Sub(c.StartedAt) >= spec.Stack.Backoff.Reset.D() {
			c.CrashCount = 1
		} else {
			c.CrashCount++
		}
	}
	if c.Role == recipes.RoleInfra && !c.Replacing {
		st.loseInfra(fmtExit(c.ExitCode, c.OOMKilled), now)
	}
}

// gone records that c's engine container no longer exists.
func (st *PodStatus) gone(spec *PodSpec, c *ContainerStatus, now time.Time) {
	if c.State == StateRunning {
		// Removed while running and the die was missed: it was killed.
		st.exit(spec, c, 137, false, now, now)
	}
	c.ID = ""
	c.State = StateNone
	c.Pending &^= OpStart | OpStop
	if c.Replacing {
		st.replaced(c, now)
		return
	}
	if c.Role == recipes.RoleInfra {
		st.loseInfra("removed", now)
	}
}

// loseInfra starts the recreation of the whole pod when its infra container died or
// disappeared on its own.
func (st *PodStatus) loseInfra(how string, now time.Time) {
	// A job pod that has completed is not run again: its infra container is not needed.
	if st.Terminating || st.Recreating || st.JobDone || st.Infra.Pending.Has(OpRemove) {
		return
	}
	st.Recreating = true
	st.InfraLost = "infra container " + how
	if st.Infra.ExitedAt.IsZero() {
		st.Infra.ExitedAt = now
	}
}

// finishRecreate resets the pod to a fresh incarnation once every member of a lost pod is
// gone: the planner then starts it again from its infra container (after back-off).
func (st *PodStatus) finishRecreate(now time.Time) {
	if !st.Recreating || st.Terminating {
		return
	}
	if st.Infra.ID != "" || st.Infra.Pending != 0 {
		return
	}
	for _, c := range st.Containers {
		if c.ID != "" || c.Pending != 0 {
			return
		}
	}
	for _, v := range st.Volumes {
		if v.Refill && (v.Created || v.Pending) {
			return // removed first, to be filled afresh (see planLifecycle)
		}
	}
	st.Recreating = false
	st.Incarnation++
	st.MainStarted = false
	st.Infra.State = StateNone
	for _, c := range st.Containers {
		c.State = StateNone
		c.Runs = 0
		c.CrashCount = 0
		c.Err = nil // a start that failed as the pod went down (its namespaces gone) fails nothing
		c.Ready, c.ReadyKnown, c.LiveFailed = false, false, false
		// The user's stop holds across the pod's recreation (an engine restart, an infra
		// container lost): what they stopped stays stopped until they start it.
		c.RestartRequested, c.StartNow, c.StartReason = false, false, ""
		c.PostStart, c.PostStartErr, c.PreStopDone = HookNone, "", false
		c.Removed = false
	}
}

// ProbeKind is which of a container's probes a report is about.
type ProbeKind int

const (
	ProbeReady   ProbeKind = iota // gates the next container; reported on each change
	ProbeLive                     // a failure restarts the container; reported once
	ProbeStartup                  // gates the other two; passes once, or fails and restarts
)

var probeKindNames = enum[ProbeKind]{"probe", []string{"ready", "live", "startup"}}

func (k ProbeKind) String() string                { return probeKindNames.name(k) }
func (k ProbeKind) MarshalText() ([]byte, error)  { return probeKindNames.text(k) }
func (k *ProbeKind) UnmarshalText(b []byte) error { return probeKindNames.unmarshal(k, b) }

// ProbeReport is a change of a probe's verdict for one run of a container, or, with Note, the
// text of its latest failure (no verdict: failures not yet counted, or not enough of them).
type ProbeReport struct {
	Container string
	Attempt   int
	Kind      ProbeKind
	Ready     bool // ready: the new verdict; startup: passed (else failed its retries)
	Note      bool
	Detail    string
	Took      time.Duration // startup, passed: from the probe's first attempt to its success
}

// ApplyProbe folds a probe report into the status; reports of an earlier run are ignored.
// It reports whether the report was about the current run.
func (st *PodStatus) ApplyProbe(r ProbeReport) bool {
	c := st.Containers[r.Container]
	if c == nil || c.Attempt != r.Attempt || c.State != StateRunning {
		return false
	}
	if r.Kind != ProbeLive && (r.Detail != "" || r.Ready) {
		c.ProbeDetail = r.Detail
	}
	switch {
	case r.Note:
	case r.Kind == ProbeLive:
		c.LiveFailed = true
	case r.Kind == ProbeStartup && r.Ready:
		c.StartupPassed = true
	case r.Kind == ProbeStartup:
		c.StartupFailed = true
	default:
		c.Ready, c.ReadyKnown = r.Ready, true
	}
	return true
}

// Command is a user command on one container.
type Command int

const (
	CmdStop Command = iota + 1
	CmdStart
	CmdRestart
)

// ApplyCommand folds a user command into the status.
func (st *PodStatus) ApplyCommand(name string, cmd Command) { st.ApplyCommandFor(name, cmd, "") }

// ApplyCommandFor folds a command into the status; why says who gave it and why when it
// was not a user ("restarted by watch: conf/proxy.conf changed"), the reason of the stop
// and the start it makes ("": a user's command).
func (st *PodStatus) ApplyCommandFor(name string, cmd Command, why string) {
	c := st.Containers[name]
	if c == nil || st.Terminating || st.JobDone {
		return
	}
	c.CommandWhy = why
	switch cmd {
	case CmdStop:
		c.Held, c.StartNow, c.RestartRequested = true, false, false
	case CmdStart:
		c.Held = false
		if c.State != StateRunning && c.State != StateStarting {
			c.StartNow, c.StartReason = true, c.commandWhy(CmdStart)
		}
	case CmdRestart:
		c.Held = false
		if c.State == StateRunning || c.State == StateStarting {
			c.RestartRequested = true
		} else {
			c.StartNow, c.StartReason = true, c.commandWhy(CmdRestart)
		}
	}
}

// commandWhy is the reason of what the last command (cmd) makes the container do: who gave
// it and why, a user by default.
func (c *ContainerStatus) commandWhy(cmd Command) string {
	switch {
	case c.CommandWhy != "":
		return c.CommandWhy
	case cmd == CmdStop:
		return "stopped by user"
	case cmd == CmdStart:
		return "started by user"
	}
	return "restart requested by user"
}

// Terminate records that the pod is to be torn down: gracefully within its stop budget,
// counted from now, or at once (force). A forced termination may follow a graceful one.
func (st *PodStatus) Terminate(force bool, now time.Time) {
	if !st.Terminating {
		st.Terminating = true
		st.TerminateStart = now
	}
	if force {
		st.Force = true
	}
}

// sorted is the pod's containers in start order, then those no longer in the recipe.
func (st *PodStatus) sorted(spec *PodSpec) []*ContainerStatus {
	out := make([]*ContainerStatus, 0, len(st.Containers))
	for _, c := range spec.Pod.Containers() {
		out = append(out, st.Containers[c.Name])
	}
	return append(out, st.retired()...)
}

// isNotFound reports whether err says the object is already gone.
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// RerunJob records that a completed job pod's recipe changed (why): it runs again, as
// docker compose's `up` re-creates a changed one-shot and runs it. What of its completed run
// still stops (its sidecars, its infra container) stops first; then the pod is re-created
// from its infra container (startRerun).
func (st *PodStatus) RerunJob(why string) {
	if st.JobDone {
		st.Rerun = why
	}
}

// startRerun starts the pod over for its new run once nothing of its completed run runs or
// has a call in flight: every container removed, the pod created again at once (no
// back-off: it was not lost), every container of it new (restarts from 0), and waited for as
// Apply waits for a container it created.
func (st *PodStatus) startRerun(now time.Time) {
	if !st.JobDone || st.Rerun == "" || st.Terminating {
		return
	}
	for _, c := range append([]*ContainerStatus{st.Infra}, st.containerList()...) {
		if c.Pending != 0 || (c.State == StateRunning || c.State == StateStarting) && !c.StopFailed {
			return
		}
	}
	why := st.Rerun
	st.JobDone, st.JobDoneAt, st.Rerun = false, time.Time{}, ""
	st.Recreating, st.InfraLost, st.RecreateStart = true, why, time.Time{}
	st.MainSettled = false
	inf := st.Infra
	inf.CrashCount, inf.ExitedAt, inf.Restarts, inf.StartedAt = 0, now, 0, time.Time{}
	for _, m := range st.Containers {
		m.Restarts, m.StartedAt, m.FreshRun, m.FreshWhy = 0, time.Time{}, m.Attempt+1, why
	}
	st.finishRecreate(now) // nothing of it may be left on the engine already
}
