package orchestrator

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/mailbox"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Messages a supervisor receives. Everything that changes a pod's state arrives as one of
// these, in its mailbox, and is folded in by the one goroutine that owns the state.
type (
	msgEvent  struct{ ev EngineEvent }
	msgRelist struct {
		infos []ContainerInfo
		epoch uint64
	}
	msgResult  struct{ r ActionResult }
	msgProbe   struct{ r ProbeReport }
	msgCommand struct {
		name string
		cmd  Command
		why  string // who gave it and why, when not a user (ApplyCommandFor)
	}
	msgTerminate     struct{ force bool }
	msgEngineDown    struct{}             // the engine is unreachable: plan nothing until a relist
	msgEngineChecked struct{ gen uint64 } // check gen found the engine there (see PodStatus.ExitUnchecked)
	msgAbandon       struct{}             // the user stopped the stack while the engine was unreachable
	msgForceDeadline struct{}             // the forced teardown's budget (forceBudget) is used up
	// msgSpec installs a changed recipe (Apply); the reply says what converging changes.
	msgSpec struct {
		spec  *PodSpec
		gen   int
		multi bool // the stack has several pods: a container is named pod/container
		// stopHold, startHold: what the pod's stops, and its start again, wait for when the
		// spec re-creates it or replaces its main (PodStatus.StopHold, StartHold); "": nothing.
		stopHold, startHold string
		reply               chan<- ConvergePlan
	}
	// msgRelease lets the stops (stops) or the start again (start) held by an Apply go on.
	msgRelease struct{ stops, start bool }
)

// podReport is what a supervisor tells the stack runner.
type podReport struct {
	pod  string
	kind reportKind
	code int       // main ended
	err  *PodError // failed
	left []string  // done: what is left of the pod on the engine (see leftovers)
	// gaveUp: done, given up on (Abandoned) rather than torn down: its forced teardown was
	// not answered within forceBudget.
	gaveUp bool
	// converged: the spec generation, and why a container Apply created failed
	gen     int
	failure string
}

type reportKind int

const (
	reportMainReady     reportKind = iota + 1 // main is ready: dependent pods may start
	reportRunning                             // main started: the pod is up
	reportMainEnded                           // main exited for good
	reportCompleted                           // a job pod's main completed
	reportMainStarted                         // main started: dependent pods waiting for that may start
	reportFailed                              // the pod failed
	reportDone                                // the pod is torn down
	reportConverged                           // the pod runs its spec of generation gen (Apply)
	reportMainUnhealthy                       // main's readiness failed its threshold before it was ever ready
	reportStopped                             // what an Apply re-creates (the pod, or its main) has stopped
)

// supervisor owns one pod: its goroutine folds messages into the pod's status, plans,
// hands actions to the executor, runs probe workers and log readers, and publishes what
// changed.
type supervisor struct {
	spec   *PodSpec
	st     *PodStatus
	clock  clock.Clock
	rt     Runtime
	exec   *executor
	out    *stream
	box    *mailbox.Box[any]
	report func(podReport)
	engine *engineWatch // shared with the orchestrator's event pump
	// opCtx carries engine operations: never cancelled by a stop request, so teardown runs.
	opCtx context.Context
	// callCtx (from opCtx) carries the executor's calls; cancelCalls ends the calls still in
	// flight when the pod is given up on (an engine that does not answer them).
	callCtx     context.Context
	cancelCalls context.CancelFunc
	forceArmed  bool // the forced teardown's deadline runs

	// stopAsked is set by whoever asks for the pod's teardown (terminate), before the
	// supervisor's goroutine has read the request: a create or start planned before it and
	// not yet sent to the engine is then not sent (see executor.execute).
	stopAsked atomic.Bool
	active    atomic.Bool // running: it accepts commands
	completed atomic.Bool // a job pod that completed: it takes no more commands
	// newUID draws a pod incarnation's metadata.uid; uidOf is the incarnation it was drawn for.
	newUID func() string
	uidOf  int

	wg      sync.WaitGroup
	workCtx context.Context
	cancel  context.CancelFunc
	workers map[string]*runWorkers

	views     map[string]ContainerView
	phase     Phase
	reason    string
	published bool
	sent      map[reportKind]bool

	// mainProbe is what main's probe last said, for the note of the pods that wait for
	// this one (Orchestrator.noteWaits): set by the supervisor's goroutine, read by the stack
	// runner's.
	mainProbe atomic.Pointer[probeWord]

	blocked     *Blocked  // the last plan's, for the views
	blockedNote time.Time // the wait's last BlockedNoteEvery mark told

	// gen is the generation of the spec (1, then one more per Apply that changes it);
	// convergedGen the last one reported converged.
	gen, convergedGen int
	exited            chan struct{} // closed when run returns

	// renew: an Apply re-creates the pod (renewPod) or its main: main's start and readiness
	// are reported again once the new one has them (sendReports); awaitStop: the stack
	// runner is told once what is re-created has stopped (reportStopped).
	renew, renewPod, awaitStop bool
}

// runWorkers are the probe workers, hooks and log reader of one run of one container.
type runWorkers struct {
	attempt int
	// ctx lives as long as the run (while it is seen running): it carries the run's probe
	// workers, stats reader and hooks; stop ends it.
	ctx      context.Context
	stop     context.CancelFunc
	logDone  chan struct{}
	logLines atomic.Uint64 // lines the log reader has read: its progress

	// The run's probes start once its post-start hook passed (or at once without one), as
	// a kubelet probes a container once its postStart handler completed: the startup probe
	// first, the ready and live probes once it passed (see syncProbes).
	infraID, id    string
	startupStarted bool
	probesStarted  bool
	// probeCtx (from ctx) carries the probe workers alone: retired, they were stopped
	// because the container left the recipe (install), the rest of the run's workers go
	// on until it stops (its pre-stop hook runs in ctx); a recipe that takes it back while it
	// still runs starts them again.
	probeCtx   context.Context
	stopProbes context.CancelFunc
	retired    bool
}

func newSupervisor(spec *PodSpec, clk clock.Clock, rt Runtime, exec *executor, out *stream, report func(podReport)) *supervisor {
	return &supervisor{
		spec: spec, st: NewPodStatus(spec.Pod), clock: clk, rt: rt, exec: exec, out: out,
		box: mailbox.New[any](), report: report, opCtx: context.Background(), newUID: newUID, uidOf: -1, engine: newEngineWatch(),
		workers: map[string]*runWorkers{}, views: map[string]ContainerView{}, sent: map[reportKind]bool{},
		gen: 1, exited: make(chan struct{}),
	}
}

// newUID is a random (version 4) UUID.
func newUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// run supervises the pod until it is torn down.
func (s *supervisor) run() {
	s.workCtx, s.cancel = context.WithCancel(s.opCtx)
	s.callCtx, s.cancelCalls = context.WithCancel(s.opCtx)
	s.active.Store(true)
	defer func() {
		s.active.Store(false)
		close(s.exited)
		s.cancel()
		if s.st.Abandoned {
			s.cancelCalls() // nothing waits for an engine that was given up on
		}
		s.wg.Wait()
		s.cancelCalls()
		s.report(podReport{pod: s.spec.Pod.Name, kind: reportDone, left: s.leftovers(), gaveUp: s.st.Abandoned})
	}()
	var timer clock.Timer
	for {
		now := s.clock.Now()
		s.st.startRerun(now)
		if s.uidOf != s.st.Incarnation {
			s.uidOf, s.st.UID = s.st.Incarnation, s.newUID()
		}
		plan := PlanPod(s.spec, s.st, now)
		var removals, hooks []Action
		for _, a := range plan.Actions {
			s.st.Dispatched(s.spec, a, now)
			switch a.Kind {
			case ActRemove:
				removals = append(removals, a)
			case ActPostStart, ActPreStop:
				hooks = append(hooks, a)
			default:
				s.dispatch(s.callCtx, a, nil)
			}
		}
		s.syncWorkers(now)
		// A container is removed only once its log reader has read its last run to the end:
		// a container that ran briefly (a job's main, a crash at start) would otherwise lose
		// its output. Workers are synced first so that a run seen just now has its reader.
		for _, a := range removals {
			s.dispatch(s.callCtx, a, s.logsDrained(a.Target, a.ID))
		}
		// A hook lives as long as the run it is for (a forced teardown ends it too).
		for _, a := range hooks {
			s.dispatchHook(a)
		}

		// Arm the wake-up before publishing, so that whoever reacts to what is published
		// (a test stepping a fake clock) finds the timer in place.
		if timer != nil {
			timer.Stop()
			timer = nil
		}
		var wake <-chan time.Time
		if !plan.WakeAt.IsZero() {
			if d := plan.WakeAt.Sub(s.clock.Now()); d > 0 {
				timer = s.clock.NewTimer(d)
				wake = timer.C()
			} else {
				due := make(chan time.Time, 1)
				due <- now
				wake = due
			}
		}
		s.publish(plan, now)
		s.noteBlocked(plan, now)
		s.noteMainProbe()
		s.sendReports(plan)
		s.reportStopped()
		s.reportConverged()
		if plan.Done {
			return
		}
		select {
		case <-s.box.Ready():
			for _, m := range s.box.Take() {
				s.apply(m)
			}
			s.dropRetired()
			// A container that died on its own may have been stopped by the engine as it
			// stops: the pump checks before the pod acts on it.
			if s.st.AwaitChecks(s.engine.checks.Load() + 1) {
				s.engine.suspect()
			}
		case <-wake:
		}
	}
}

// dispatch hands a to the executor in a goroutine of its own; with after set, the action
// waits for that log reader first. A call the engine leaves unanswered for engineStallAfter
// makes the pump check the engine (a hung engine is lost too: see engineStallAfter).
func (s *supervisor) dispatch(ctx context.Context, a Action, after *runWorkers) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if after != nil {
			s.awaitLogs(after)
		}
		answered := make(chan struct{})
		stall := s.clock.NewTimer(engineStallAfter)
		go func() {
			select {
			case <-answered:
			case <-stall.C():
				s.engine.suspect()
			}
		}()
		r := s.exec.execute(ctx, a, &s.stopAsked)
		stall.Stop()
		close(answered)
		s.box.Put(msgResult{r})
	}()
}

// terminate asks for the pod's teardown (forced: everything removed at once). From now on
// nothing more is created or started, even what was planned before the supervisor reads this.
func (s *supervisor) terminate(force bool) {
	s.stopAsked.Store(true)
	s.box.Put(msgTerminate{force: force})
}

// armForceDeadline gives the forced teardown forceBudget: what the engine has not done by
// then is given up on (msgForceDeadline), so that an engine that does not answer cannot hold
// the teardown, however it fails.
func (s *supervisor) armForceDeadline() {
	if s.forceArmed {
		return
	}
	s.forceArmed = true
	t := s.clock.NewTimer(forceBudget)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-t.C():
			s.box.Put(msgForceDeadline{})
		case <-s.exited:
			t.Stop()
		}
	}()
}

// dispatchHook runs a post-start or pre-stop hook within the life of the run it is for, and
// says so.
func (s *supervisor) dispatchHook(a Action) {
	ctx := s.opCtx
	if w := s.workers[a.Target]; w != nil && w.attempt == a.Attempt && w.ctx != nil {
		ctx = w.ctx
	} else {
		// The run already ended (its stop arrived with its start): nothing to run it in.
		done, cancel := context.WithCancel(ctx)
		cancel()
		ctx = done
	}
	s.out.publish(HookEvent{Pod: s.spec.Pod.Name, Container: a.Target, Hook: hookKind(a.Kind), Phase: HookRunning, Action: HookAction(a.Hook)})
	s.dispatch(ctx, a, nil)
}

func hookKind(k ActionKind) HookKind {
	if k == ActPreStop {
		return HookPreStop
	}
	return HookPostStart
}

// A removal waits for the log reader of a container that is no longer running (its stream
// ends by itself once the engine has sent the last line) as long as the reader makes
// progress — a reader behind a flood of lines on a loaded machine may need a while — but
// gives up after logDrainLimit without a new line, or logDrainMax in all.
const (
	logDrainLimit = 5 * time.Second
	logDrainMax   = 2 * time.Minute
)

// logsDrained returns the log reader a removal of the named container (engine ID id) waits
// for: the one of a run that has ended, or nil. A running container (a forced teardown, a
// lost pod) is removed at once: its stream ends with the removal; so is an orphan.
func (s *supervisor) logsDrained(name, id string) *runWorkers {
	cs := s.st.C(name)
	w := s.workers[name]
	if cs == nil || cs.ID != id || w == nil || cs.State == StateRunning || cs.State == StateStarting {
		return nil
	}
	return w
}

// awaitLogs waits, on the supervisor's clock, until w's log reader is done, while it makes
// progress (see logDrainLimit).
func (s *supervisor) awaitLogs(w *runWorkers) {
	select {
	case <-w.logDone:
		return
	default:
	}
	start := s.clock.Now()
	for {
		seen := w.logLines.Load()
		t := s.clock.NewTimer(logDrainLimit)
		select {
		case <-w.logDone:
			t.Stop()
			return
		case <-t.C():
		}
		if w.logLines.Load() == seen || s.clock.Since(start) >= logDrainMax {
			return
		}
	}
}

func (s *supervisor) apply(m any) {
	now := s.clock.Now()
	switch m := m.(type) {
	case msgEvent:
		s.st.ApplyEvent(s.spec, m.ev, now)
	case msgRelist:
		s.st.ApplyRelist(s.spec, m.infos, m.epoch, now)
	case msgResult:
		if s.st.Abandoned && m.r.Err != nil {
			return // a call given up on (cancelled): the leftovers say what it left
		}
		if s.engine.lostEngine(m.r.Err) {
			// Not the action's failure: the engine's absence. It is done again once the
			// engine answers; the pump is asked to check (it may not know yet).
			s.st.ApplyUnreachable(m.r)
			s.engine.suspect()
			return
		}
		s.st.ApplyResult(s.spec, m.r, now)
		s.noteResult(m.r)
		s.noteHook(m.r)
	case msgProbe:
		current := s.st.ApplyProbe(m.r)
		switch {
		case m.r.Note:
		case m.r.Kind == ProbeStartup && m.r.Ready && current:
			s.out.publish(ProbeEvent{Pod: s.spec.Pod.Name, Container: m.r.Container, Probe: ProbeStartup, Duration: recipes.Duration(m.r.Took)})
		case m.r.Kind == ProbeLive:
			s.message(LevelWarning, m.r.Container, fmt.Sprintf("%s failed its liveness probe: %s", m.r.Container, m.r.Detail), "")
		case m.r.Kind == ProbeStartup && !m.r.Ready:
			s.message(LevelWarning, m.r.Container, fmt.Sprintf("%s failed its startup probe: %s: it is restarted", m.r.Container, m.r.Detail),
				"give it more time with the startup probe's retries × period (Kubernetes failureThreshold × periodSeconds), or start_period")
		}
	case msgCommand:
		s.st.ApplyCommandFor(m.name, m.cmd, m.why)
	case msgTerminate:
		s.stopAsked.Store(true)
		s.st.Terminate(m.force, now)
		if m.force {
			s.armForceDeadline()
			for _, w := range s.workers { // hooks in flight are given up
				if w.stop != nil {
					w.stop()
				}
			}
		}
	case msgEngineDown:
		s.st.EngineDown = true
	case msgEngineChecked:
		s.st.ApplyEngineChecked(m.gen)
	case msgAbandon:
		s.st.Abandoned = true
		s.cancelCalls()
	case msgForceDeadline:
		if !s.st.Abandoned {
			s.st.Abandoned = true
			s.cancelCalls()
			s.message(LevelWarning, "", fmt.Sprintf("pod %s: the engine did not finish the forced teardown within %s: giving up on what is left", s.spec.Pod.Name, RoundDuration(forceBudget)), "")
		}
	case msgSpec:
		s.install(m)
	case msgRelease:
		if m.stops {
			s.st.StopHold = ""
		}
		if m.start {
			s.st.StartHold = ""
		}
	}
}

// leftovers names what is left of the pod on the engine: containers it holds an ID of, pod
// volumes it created and did not remove. Empty after a complete teardown.
func (s *supervisor) leftovers() []string {
	var out []string
	for _, cs := range append([]*ContainerStatus{s.st.Infra}, s.st.sorted(s.spec)...) {
		if cs.ID != "" {
			out = append(out, "container "+s.spec.EngineName(cs.Name))
		}
	}
	for _, id := range sortedKeysOf(s.st.Orphans) {
		out = append(out, "container "+shortName(id)+" (of "+s.spec.EngineName(s.st.Orphans[id].Name)+")")
	}
	for _, v := range s.spec.EngineVolumes() {
		if vs := s.st.Volumes[v.Name]; vs.Created && !vs.Removed {
			out = append(out, "volume "+s.spec.Names().Volume(s.spec.Pod.Name, v.Name))
		}
	}
	return out
}

// shortName is an engine ID as `docker ps` shows it.
func shortName(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// noteHook publishes how a hook went.
func (s *supervisor) noteHook(r ActionResult) {
	a := r.Action
	if a.Kind != ActPostStart && a.Kind != ActPreStop {
		return
	}
	ev := HookEvent{Pod: s.spec.Pod.Name, Container: a.Target, Hook: hookKind(a.Kind), Phase: HookPassed,
		Action: HookAction(a.Hook), Duration: recipes.Duration(r.Took)}
	if r.Err != nil {
		ev.Phase, ev.Error = HookFailed, r.Err.Error()
	}
	s.out.publish(ev)
}

// noteResult publishes what an action's result says beyond state: failures that are not the
// pod's, and stops that needed SIGKILL.
func (s *supervisor) noteResult(r ActionResult) {
	a := r.Action
	if a.Kind == ActPostStart || a.Kind == ActPreStop {
		return // a hook's failure is its HookEvent's (noteHook)
	}
	if r.Err != nil {
		switch a.Kind {
		case ActCreateVolume, ActCreate, ActStart, ActFillVolume:
			// Outside a teardown, such a failure fails the pod, and the pod's failure says
			// it (once, with the hint the engine's error carries). While the pod is re-created
			// it is expected: its namespaces are gone.
			if !s.st.Terminating {
				return
			}
		}
		hint := ""
		switch a.Kind {
		case ActRemove:
			hint = "remove it with: docker rm -f " + s.spec.EngineName(a.Target)
		case ActRemoveVolume:
			hint = "remove it with: docker volume rm " + a.Volume
		}
		s.message(LevelWarning, a.Target, r.Err.Error(), hint)
		return
	}
	if a.Kind == ActStop && r.Stop.Killed && !s.st.Force {
		if a.Grace > 0 {
			s.message(LevelWarning, a.Target,
				fmt.Sprintf("%s did not exit within %s of its stop signal and was killed (SIGKILL)", a.Target, RoundDuration(a.Grace)),
				killHint(s.spec.Stack, a.Target, false))
		} else {
			s.message(LevelWarning, a.Target,
				fmt.Sprintf("%s was killed (SIGKILL): the pod's stop budget of %s was used up", a.Target, RoundDuration(s.spec.Pod.StopGrace.D())),
				killHint(s.spec.Stack, a.Target, true))
		}
	}
}

// sourceKind is the kind of file st came from; a recipe's where there is no stack.
func sourceKind(st *recipes.Stack) recipes.SourceKind {
	if st == nil {
		return recipes.SourceRecipe
	}
	return st.Source.Kind
}

// killHint says what to do about container c killed at the end of its grace (budget: the
// pod's stop budget was used up), in the terms of the file the stack came from: a Kubernetes
// manifest has terminationGracePeriodSeconds and no init: true, a compose file
// stop_grace_period.
func killHint(st *recipes.Stack, c string, budget bool) string {
	kind := sourceKind(st)
	switch {
	case kind == recipes.SourceKube && budget:
		return "raise the pod's terminationGracePeriodSeconds, or make the containers stopped before it exit sooner (a program that handles SIGTERM)"
	case kind == recipes.SourceKube:
		return fmt.Sprintf("its PID 1 probably ignores SIGTERM: make the program of container %s handle SIGTERM (as PID 1 it gets no default action for it; a shell entrypoint should exec it), or raise the pod's terminationGracePeriodSeconds if it needs longer", c)
	case kind == recipes.SourceCompose && budget:
		return "raise the services' stop_grace_period (the pod's budget covers their sum), or make the containers stopped before it exit sooner (`init: true` helps a PID 1 that ignores SIGTERM)"
	case kind == recipes.SourceCompose:
		return fmt.Sprintf("its PID 1 probably ignores SIGTERM: set `init: true` on service %s so that docker-init runs as PID 1 and forwards the signal, or handle SIGTERM in the program (or raise its stop_grace_period)", c)
	case budget:
		return "raise the pod's stop_grace, or make the containers stopped before it exit sooner (`init: true` helps a PID 1 that ignores SIGTERM)"
	}
	return fmt.Sprintf("its PID 1 probably ignores SIGTERM: set `init: true` on %s so that docker-init runs as PID 1 and forwards the signal, or handle SIGTERM in the program", c)
}

func (s *supervisor) message(level Level, container, text, hint string) {
	s.out.publish(MessageEvent{Level: level, Pod: s.spec.Pod.Name, Container: container, Text: text, Hint: hint})
}

// syncWorkers starts the probe workers and the log reader of every new run, and stops the
// probe workers of runs that ended.
func (s *supervisor) syncWorkers(now time.Time) {
	for _, cs := range s.st.retired() {
		if w := s.workers[cs.Name]; w != nil && w.stop != nil && (cs.State != StateRunning || w.attempt != cs.Attempt) {
			w.stop()
			w.stop = nil
		}
	}
	for _, c := range s.spec.Pod.Containers() {
		cs := s.st.Containers[c.Name]
		w := s.workers[c.Name]
		if w != nil && w.stop != nil && (cs.State != StateRunning || w.attempt != cs.Attempt) {
			w.stop()
			w.stop = nil
		}
		if w != nil && w.retired && w.stop != nil && !cs.Retired {
			w.resumeProbes()
		}
		if w != nil && w.attempt == cs.Attempt {
			s.syncProbes(c, cs, w)
		}
		// A run seen started gets its log reader even when it already ended (a quick
		// init container, a crash at start): its lines are read from its start.
		if cs.RunSeen != cs.Attempt || cs.Attempt == 0 || (w != nil && w.attempt == cs.Attempt) {
			continue
		}
		var prevLogs <-chan struct{}
		if w != nil {
			prevLogs = w.logDone
		}
		nw := &runWorkers{attempt: cs.Attempt, logDone: make(chan struct{})}
		s.workers[c.Name] = nw

		marker := ""
		if cs.FreshRun == cs.Attempt && cs.Attempt > 1 {
			marker = fmt.Sprintf("--- %s created anew: %s ---", c.Name, cmp.Or(cs.FreshWhy, "its recipe changed"))
		} else if cs.Restarts > 0 {
			marker = fmt.Sprintf("--- %s restarted (restart %d, after %s) ---", c.Name, cs.Restarts, fmtExit(cs.ExitCode, cs.OOMKilled))
		}
		buf := s.out.logs.Buffer(s.spec.Pod.Name, c.Name)
		id, since := cs.ID, cs.StartedAt
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.follow(s.workCtx, prevLogs, nw.logDone, &nw.logLines, buf, id, since, marker)
		}()

		if cs.State != StateRunning {
			continue
		}
		// pctx ends with the run: it carries the run's probe workers, stats reader and hooks.
		pctx, stop := context.WithCancel(s.workCtx)
		nw.ctx, nw.stop, nw.infraID, nw.id = pctx, stop, s.st.Infra.ID, id
		nw.probeCtx, nw.stopProbes = context.WithCancel(pctx)
		stats, hasStats := s.rt.(StatsSource)
		if hasStats {
			name := c.Name
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.followStats(pctx, stats, name, id)
			}()
		}
		s.syncProbes(c, cs, nw)
	}
}

// syncProbes starts what of the probes of w's run of c may run now: none before its
// post-start hook passed, then its startup probe, then — once that passed, or at once
// without one — its ready and live probes.
func (s *supervisor) syncProbes(c *recipes.Container, cs *ContainerStatus, w *runWorkers) {
	if w.stop == nil || w.retired || (c.PostStart != nil && cs.PostStart != HookPassed) {
		return
	}
	if c.Startup != nil && !cs.StartupPassed {
		if !w.startupStarted {
			w.startupStarted = true
			s.goProbe(c.Name, w, *c.Startup, ProbeStartup)
		}
		return
	}
	if !w.probesStarted {
		s.startProbes(c, w)
	}
}

// retireProbes stops the probes of w's run: its container left the recipe.
func (w *runWorkers) retireProbes() {
	if w.stop != nil && !w.retired {
		w.stopProbes()
		w.retired = true
	}
}

// resumeProbes lets the probes of w's run start again (syncProbes): the container was
// dropped from the recipe and taken back before it was stopped.
func (w *runWorkers) resumeProbes() {
	w.probeCtx, w.stopProbes = context.WithCancel(w.ctx)
	w.retired, w.startupStarted, w.probesStarted = false, false, false
}

// startProbes starts the ready and live probes of w's run of c.
func (s *supervisor) startProbes(c *recipes.Container, w *runWorkers) {
	w.probesStarted = true
	// An image probe is not run: the engine runs the HEALTHCHECK and its verdict comes with
	// the events (imageReadiness).
	if c.Ready != nil && c.Ready.Kind() != recipes.ProbeImage {
		s.goProbe(c.Name, w, *c.Ready, ProbeReady)
	}
	if c.Live != nil {
		s.goProbe(c.Name, w, *c.Live, ProbeLive)
	}
}

func (s *supervisor) goProbe(name string, w *runWorkers, p recipes.Probe, kind ProbeKind) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.probeLoop(w.probeCtx, name, w.attempt, p, kind, w.infraID, w.id)
	}()
}

// followStats publishes the resource usage of one run of a container until the run ends.
// Stats are for display only: a failure to read them ends the samples silently (the views
// show no figures) rather than warning about something the user cannot act on.
func (s *supervisor) followStats(ctx context.Context, src StatsSource, container, id string) {
	_ = src.Stats(ctx, id, func(st Stats) {
		s.out.publish(StatsEvent{Pod: s.spec.Pod.Name, Container: container,
			CPUPercent: st.CPUPercent, MemoryBytes: st.MemoryBytes, MemoryLimit: st.MemoryLimit})
	})
}

// probeWord is the last word of a container's startup probe (while it has not passed), else
// of its ready probe: Detail is empty when it has not failed.
type probeWord struct {
	Startup bool
	Detail  string
	// Running: the container runs (else its probes say nothing); Ran: it has run before.
	Running, Ran bool
	// Unhealthy: its ready probe gave its verdict, not ready (it failed Retries times in a
	// row after its StartPeriod), in this run, and main was never ready: what waits for it
	// to be ready fails (compose's "container … is unhealthy").
	Unhealthy bool
}

// noteMainProbe keeps what main's probe last said (mainProbe).
func (s *supervisor) noteMainProbe() {
	main := s.spec.Pod.Main
	cs := s.st.Containers[main.Name]
	if cs == nil {
		return
	}
	w := probeWord{Startup: main.Startup != nil && !cs.StartupPassed, Detail: cs.ProbeDetail,
		Running: cs.State == StateRunning, Ran: cs.Runs > 0 && cs.State != StateStarting || cs.Runs > 1}
	w.Unhealthy = w.Running && main.Ready != nil && cs.ReadyKnown && !cs.Ready && !s.sent[reportMainReady]
	old := s.mainProbe.Load()
	if old == nil || *old != w {
		s.mainProbe.Store(&w)
	}
	if w.Unhealthy && (old == nil || !old.Unhealthy) {
		// Not once per kind: a later run may turn unhealthy again while a pod waits.
		s.report(podReport{pod: s.spec.Pod.Name, kind: reportMainUnhealthy})
	}
}

// probeHint says where container c's startup probe (else its ready probe) is written, and
// where its output is to be read.
func probeHint(spec *PodSpec, c *recipes.Container, startup bool) string {
	if !startup && c.Ready != nil && c.Ready.Kind() == recipes.ProbeImage {
		return fmt.Sprintf("the check is the HEALTHCHECK of %s's image, run by the engine; `docker inspect` shows its output under State.Health", c.Name)
	}
	return fmt.Sprintf("the check is %s; its output may say why it does not pass", probeSource(spec.Stack, c.Name, startup))
}

// noteBlocked tells the views, at every BlockedNoteEvery of a wait for a sidecar's probe,
// who waits for which sidecar, for how long, and what its probe last said.
func (s *supervisor) noteBlocked(plan Plan, now time.Time) {
	b := plan.Blocked
	if b == nil {
		return
	}
	mark, _ := noteMarks(b.Since, now)
	if mark.IsZero() || !mark.After(s.blockedNote) {
		return
	}
	s.blockedNote = mark
	hint := fmt.Sprintf("the check is %s; its output may say why it does not pass", probeSource(s.spec.Stack, b.Container, b.Startup))
	if c := s.spec.Pod.Container(b.Container); c != nil {
		hint = probeHint(s.spec, c, b.Startup)
	}
	s.message(LevelWarning, b.Container, b.Text(now), hint)
}

// probeSource names where the startup probe (else the ready probe) of container c is
// written, in the terms of the file the stack came from.
func probeSource(st *recipes.Stack, c string, startup bool) string {
	kind := sourceKind(st)
	switch {
	case kind == recipes.SourceKube && startup:
		return "the startupProbe of " + c + " in the manifest"
	case kind == recipes.SourceKube:
		return "the readinessProbe of " + c + " in the manifest"
	case kind == recipes.SourceCompose && startup:
		return "the x-sidecar startup: probe of " + c + " in the compose file"
	case kind == recipes.SourceCompose:
		return "the healthcheck of " + c + " in the compose file (or its x-sidecar ready: probe)"
	case startup:
		return "the `startup:` probe of " + c + " in the recipe"
	}
	return "the `ready:` probe of " + c + " in the recipe"
}

// publish sends an event for every container whose view changed, then the pod's phase.
func (s *supervisor) publish(plan Plan, now time.Time) {
	if s.st.CheckingEngine() && !s.st.EngineDown {
		return // an exit waits for the engine check: the views hear of it with its outcome
	}
	s.blocked = plan.Blocked
	waits := map[string]Wait{}
	for _, w := range plan.Waits {
		waits[w.Target] = w
	}
	s.publishViews(waits, plan.Phase == PhaseRecreating)
	reason := ""
	switch {
	case s.st.Abandoned:
		reason = "stopped while the engine was unreachable"
	case s.st.EngineDown:
		reason = EngineWaitText
	case plan.Reason != "":
		reason = plan.Reason
	case plan.Failure != nil:
		reason = plan.Failure.Reason
	case s.st.Failure != nil:
		reason = s.st.Failure.Reason
	case plan.Phase == PhaseRecreating:
		reason = s.st.InfraLost
	case plan.MainEnded:
		reason = fmt.Sprintf("main %s exited: %s", s.spec.Pod.Main.Name, fmtExit(plan.MainExit, s.st.Containers[s.spec.Pod.Main.Name].OOMKilled))
	case plan.Completed:
		reason = fmt.Sprintf("job completed: main %s exited with code 0", s.spec.Pod.Main.Name)
	}
	if s.published && plan.Phase == s.phase && reason == s.reason {
		return
	}
	if plan.Phase == PhaseFailed && reason == "" {
		return // the failing container's last lines are being read: the failure, whole, comes next
	}
	s.published, s.phase, s.reason = true, plan.Phase, reason
	s.out.publish(PodEvent{Pod: s.spec.Pod.Name, Phase: plan.Phase, Reason: reason})
}

// seed publishes the containers' views as observed before the supervisor acts (a pod adopted
// from the engine by Down), so that a subscriber's snapshot starts from what the engine holds:
// a container that was running already is not announced as started.
func (s *supervisor) seed() { s.publishViews(nil, false) }

// publishViews sends an event for every container whose view changed; recreating: the pod
// is being re-created.
func (s *supervisor) publishViews(waits map[string]Wait, recreating bool) {
	emit := func(c *recipes.Container, cs *ContainerStatus) {
		v := s.view(c, cs, waits)
		if old, ok := s.views[cs.Name]; ok && reflect.DeepEqual(old, v) {
			return
		}
		s.views[cs.Name] = v
		s.out.publish(ContainerEvent{ContainerView: v})
	}
	// Changes of one batch go out in lifecycle order, so that a reader sees them as they
	// happened: start order while the pod comes up, teardown order while it goes down (main
	// stopped, then the next sidecar stopping; a re-created pod's members too) or a job's
	// sidecars are stopped after its main.
	if s.st.Terminating || s.st.JobDone || s.st.Recreating || recreating {
		for _, c := range stopOrder(s.spec, s.st) {
			if rc := s.spec.Pod.Container(c.Name); rc != nil {
				c = rc
			}
			emit(c, s.st.Containers[c.Name])
		}
		emit(nil, s.st.Infra)
	} else {
		emit(nil, s.st.Infra)
		for _, c := range s.spec.Pod.Containers() {
			emit(c, s.st.Containers[c.Name])
		}
	}
	for _, cs := range s.st.retired() {
		emit(cs.Recipe, cs)
	}
}

// view is what the views show of one container (c is nil for the infra container).
func (s *supervisor) view(c *recipes.Container, cs *ContainerStatus, waits map[string]Wait) ContainerView {
	v := ContainerView{Pod: s.spec.Pod.Name, Name: cs.Name, Role: cs.Role, ID: cs.ID, Restarts: cs.Restarts, Killed: cs.Killed}
	if c != nil {
		v.Image = c.Image
	} else {
		v.Image = s.spec.InfraImage
	}
	switch cs.State {
	case StateNone:
		v.State = CStateWaiting
		if cs.Removed {
			v.State = CStateRemoved
		}
	case StateCreated:
		v.State = CStateCreated
		if cs.Held {
			// Created and held by the user's stop (a stopped container replaced by Apply):
			// it stays stopped until started, as it was.
			v.State = CStateStopped
		}
		if b := s.blocked; b != nil && c != nil && slices.Contains(b.Waiters, c.Role.String()+" "+c.Name) {
			v.Reason = "waiting for sidecar " + b.Container + " to " + map[bool]string{false: "be ready", true: "pass its startup probe"}[b.Startup]
		}
	case StateStarting:
		v.State = CStateStarting
	case StateRunning:
		v.State, v.StartedAt = CStateRunning, cs.StartedAt
		switch {
		case c != nil && (c.Startup != nil || c.Ready != nil) && c.PostStart != nil && cs.PostStart != HookPassed:
			// Its probes start once its post-start hook passed: it is not ready before (an
			// image's HEALTHCHECK, which the engine runs anyway, included).
			v.Health = HealthUnknown
		case c != nil && c.Startup != nil && !cs.StartupPassed:
			v.Health = HealthUnknown
			if cs.ProbeDetail != "" {
				v.Reason = "startup probe not passed: " + cs.ProbeDetail
			}
		case c != nil && c.Ready != nil:
			if !cs.Ready && cs.ProbeDetail != "" {
				v.Reason = "not ready: " + cs.ProbeDetail
			}
			switch {
			case !cs.ReadyKnown:
				v.Health = HealthUnknown
			case cs.Ready:
				v.Health = HealthReady
			default:
				v.Health = HealthNotReady
			}
		default:
			// No ready probe of its own: the image's HEALTHCHECK, as the engine reports it.
			// Shown only; it gates and restarts nothing (see docs/lifecycle.md).
			switch cs.EngineHealth {
			case EngineHealthStarting:
				v.Health = HealthStarting
			case EngineHealthHealthy:
				v.Health = HealthHealthy
			case EngineHealthUnhealthy:
				v.Health = HealthUnhealthy
			}
		}
		if c != nil && c.PostStart != nil && cs.PostStart == HookRunning {
			v.Reason = "post-start hook running"
		}
		if cs.Pending.Has(OpStop | OpPreStop) {
			v.State = CStateStopping
			v.StopGrace = recipes.Duration(cs.StopGrace)
			v.StopDeadline = cs.StopStarted.Add(cs.StopGrace)
			v.Reason = cs.StopReason
		} else {
			v.GateOpen = c != nil && gatesOpen(c, cs)
		}
	case StateExited:
		code := cs.ExitCode
		v.ExitCode, v.OOMKilled = &code, cs.OOMKilled
		v.StartedAt = cs.StartedAt
		w, waiting := waits[cs.Name]
		switch {
		case cs.Pending.Has(OpStop | OpPreStop):
			// The engine said it died, but our stop call has not returned: whether it
			// needed SIGKILL is not known yet, so it is still stopping.
			v.State = CStateStopping
			v.StopGrace = recipes.Duration(cs.StopGrace)
			v.StopDeadline = cs.StopStarted.Add(cs.StopGrace)
			v.Reason = cs.StopReason
		case waiting && !w.Until.IsZero():
			v.State = CStateBackoff
			v.RestartAt = w.Until
			v.RestartIn = recipes.Duration(w.Until.Sub(cs.ExitedAt))
			v.Reason = fmtExit(cs.ExitCode, cs.OOMKilled)
		case cs.StopReason != "":
			v.State, v.Reason = CStateStopped, cs.StopReason
		default:
			v.State, v.Reason = CStateExited, fmtExit(cs.ExitCode, cs.OOMKilled)
		}
	}
	if cs.Held && v.State != CStateStopping {
		v.Reason = cs.commandWhy(CmdStop)
	}
	return v
}

// sendReports tells the stack runner what changed for it, once per kind (main readiness
// may be reported again after a restart, only the first time matters).
func (s *supervisor) sendReports(plan Plan) {
	send := func(kind reportKind, r podReport) {
		if s.sent[kind] {
			return
		}
		s.sent[kind] = true
		r.pod, r.kind = s.spec.Pod.Name, kind
		s.report(r)
	}
	if s.renew && mainCurrent(s.spec, s.st) {
		s.renew = false // the main of before is gone: what is reported now is the new one's
	}
	if MainStarted(s.spec, s.st) && !s.renew {
		send(reportMainStarted, podReport{gen: s.gen})
	}
	if MainReady(s.spec, s.st) && !s.renew {
		send(reportMainReady, podReport{gen: s.gen})
	}
	if plan.Phase == PhaseRunning {
		send(reportRunning, podReport{})
	}
	if plan.MainEnded {
		send(reportMainEnded, podReport{code: plan.MainExit})
	}
	if plan.Completed {
		s.completed.Store(true)
		send(reportCompleted, podReport{})
	}
	if plan.Failure != nil {
		s.st.Failure = plan.Failure
		send(reportFailed, podReport{err: plan.Failure})
	}
}
