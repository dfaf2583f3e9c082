// Package orchestrator runs a stack of sidecar pods on a container engine with Kubernetes'
// native-sidecar lifecycle: per pod, an infra container that owns the network namespace,
// init containers to completion, sidecars in order each gating the next, then main;
// restarts with back-off; teardown in reverse within one grace budget.
//
// The core is a pure planner (PlanPod: desired pod + observed status + time → Plan), an
// executor that carries out plans against the Runtime and decides nothing, and one
// supervisor goroutine per pod that folds engine events, probe results, timers and commands
// into the pod's status and plans again after each. Everything the orchestrator has to say
// goes out as typed events (Subscribe); log lines go through bounded per-container buffers.
// See docs/lifecycle.md.
package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/mailbox"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Errors of the orchestrator's own API, matched with errors.Is.
var (
	ErrUnknownPod       = errors.New("unknown pod")
	ErrUnknownContainer = errors.New("unknown container")
	ErrNotRunning       = errors.New("not running")
	ErrNotSupported     = errors.New("not supported")
	ErrAlreadyRun       = errors.New("already run")
)

// kindError is an error of one of the kinds above whose message says it all: errors.Is
// matches the kind, which its text leaves out.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorOf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// initRunsOnce says why a user's command cannot act on init container name.
func initRunsOnce(name string) error {
	return errorOf(ErrNotSupported, "%s is an init container: it runs to completion before the sidecars (again after back-off when it fails with restart: on-failure) and is not started, stopped or restarted on its own; to run it again, run the stack again (sidecar down, then sidecar up)", name)
}

// Exit codes of a stack (DESIGN §7): main's own code when main ended the stack.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// Options tune a run. The zero value works: real clock, every pod, default buffers.
type Options struct {
	// Clock drives back-off, probe periods and stop budgets (nil: the real clock). Tests
	// pass k8s.io/utils/clock/testing's FakeClock.
	Clock clock.Clock
	// Version is the tool's version, written in the labels of everything created.
	Version string
	// Pods selects what to run (`up [pods…]`): these pods and every pod they depend on.
	// Empty: every pod.
	Pods []string
	// LogLines is how many lines each container's log buffer keeps (default 10 000).
	LogLines int
	// LogBytes is how many bytes of text each container's log buffer keeps (default
	// DefaultLogBytes, 32 MiB, used only while a view lags); the newest line is kept whatever
	// its size.
	LogBytes int
	// Parallel bounds the engine operations the stack runner makes at once (image
	// resolution, leftover removal). Default 4.
	Parallel int
	// FailureLines is how many last log lines a failing container's report carries
	// (default 20).
	FailureLines int
}

// Result is how a run ended.
type Result struct {
	// ExitCode per DESIGN §7: main's code when main ended the stack, 0 after Shutdown, 130
	// after Interrupt or Kill, 1 for a runtime failure (e.g. a failing init container).
	ExitCode int
	// Reason says what ended the stack, in words.
	Reason string
	// Pod and Container name the container that ended or failed the stack, if one did.
	Pod       string
	Container string
	// Lines are the failing container's last log lines.
	Lines []string
	// Left names what a run stopped while the engine was unreachable had to leave on it
	// (see LeftBehindError).
	Left []string
}

// Orchestrator runs one stack once.
type Orchestrator struct {
	rt     Runtime
	stack  *recipes.Stack
	opts   Options
	clock  clock.Clock
	names  Names
	out    *stream
	exec   *executor
	epoch  atomic.Uint64
	engine *engineWatch

	// selected, pods and stack change only in the stack runner's goroutine (Apply hands it
	// the changes); others read them under podsMu.
	podsMu   sync.RWMutex
	selected []*recipes.Pod // in start order
	selErr   error
	pods     map[string]*podRun
	reports  *mailbox.Box[any] // from the supervisors to the stack runner

	ran       atomic.Bool
	abandoned bool // the user stopped the run while the engine was unreachable
	reqMu     sync.Mutex
	req       stopRequests
	reqWake   chan struct{}

	// Set by the stack runner before the pods start (see apply.go): what a pod spec made
	// later needs, the applies it takes, and their waits.
	opCtx      context.Context
	infraImage string
	node       NodeInfo
	network    string
	applyCh    chan *applyReq
	applyMu    sync.Mutex    // one Apply at a time
	loopDone   chan struct{} // closed when the stack runner takes no more applies
	waits      []*applyWait
}

type stopRequests struct {
	shutdown, interrupt, kill bool
	kills                     int // Kill calls: one after the stack was forced gives up on it
}

type podRun struct {
	spec       *PodSpec
	sup        *supervisor
	gen        int  // the generation of spec (Apply)
	removing   bool // no longer in the recipe (Apply): torn down, then forgotten
	started    bool
	terminated bool // graceful termination sent
	killed     bool // forced termination sent
	abandoned  bool // given up on: the engine was unreachable when the stack was stopped
	left       []string
	mainReady  bool
	mainUp     bool // main started (recipes.DepStarted)
	running    bool
	completed  bool // a job pod whose main completed
	done       bool
	// applied: an Apply (a converging up) added it to the running stack; startErr: why it
	// cannot start, once that is known — it then fails alone, with that Apply, and the
	// stack runs on (compose's `up -d vote` of a running project).
	applied  bool
	startErr error
	// An Apply that re-creates the pod, or replaces its main: stopping until its report
	// that it stopped (reportStopped); its stops (holdStops), or its start again
	// (holdStart), held until released (releaseHolds); readyGen is the spec generation from
	// which its main's start and readiness count (an earlier report is of the main before).
	stopping             bool
	holdStops, holdStart bool
	saidStops, saidStart bool // the hold was told (releaseHolds)
	holdFailed           bool // the Apply failed on the held start: a dependency is unhealthy (failHeld)
	readyGen             int

	// While it waits for the pods it depends on (not started yet): which of them, since
	// when, and the last BlockedNoteEvery mark of the wait told (noteWaits).
	waitFor   []string
	waitSince time.Time
	waitNoted time.Time
}

// met reports whether what a pod depending on this one waits for (cond) has come: main
// started, main ready (for a job: completed, or main ready when it has a ready probe), or a
// job completed (a pod that is not a job never completes: its main ready, as validation
// warns).
func (pr *podRun) met(cond recipes.DepCondition) bool {
	switch {
	case cond == recipes.DepStarted:
		return pr.mainUp || pr.mainReady
	case cond == recipes.DepCompleted && pr.spec.Pod.Job:
		return pr.completed
	}
	return pr.mainReady
}

// New prepares a run of stack on rt. stack must be normalised and valid.
func New(rt Runtime, stack *recipes.Stack, opts Options) *Orchestrator {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.FailureLines <= 0 {
		opts.FailureLines = 20
	}
	stack = withAbsoluteRecipe(stack)
	o := &Orchestrator{
		rt: rt, stack: stack, opts: opts, clock: opts.Clock, names: Names{Stack: stack.Name},
		pods: map[string]*podRun{}, reqWake: make(chan struct{}, 1), engine: newEngineWatch(),
		applyCh: make(chan *applyReq), loopDone: make(chan struct{}),
	}
	o.exec = &executor{rt: rt, clock: o.clock, epoch: &o.epoch, tail: opts.FailureLines, logs: newAttachments(rt)}
	o.selected, o.selErr = selectPods(stack, opts.Pods)
	view := StackView{Name: stack.Name, Phase: PhasePending}
	for _, p := range o.selected {
		pv := PodView{Name: p.Name, Phase: PhasePending}
		pv.Containers = append(pv.Containers, ContainerView{Pod: p.Name, Name: InfraName, Role: recipes.RoleInfra})
		for _, c := range p.Containers() {
			pv.Containers = append(pv.Containers, ContainerView{Pod: p.Name, Name: c.Name, Role: c.Role, Image: c.Image})
		}
		view.Pods = append(view.Pods, pv)
	}
	o.out = newStream(o.clock, view, opts.LogLines)
	o.out.logs.setByteLimit(opts.LogBytes)
	o.reports = mailbox.New[any]()
	for _, p := range o.selected {
		for _, c := range p.Containers() {
			o.out.logs.Buffer(p.Name, c.Name)
		}
		o.pods[p.Name] = o.newPodRun(&PodSpec{Stack: stack, Pod: p, Version: opts.Version})
	}
	return o
}

// withAbsoluteRecipe returns stack, or a shallow copy of it whose Source.File (and
// Source.Overrides) are absolute: the recipe label must name the recipe wherever `ps` or
// `down` run later, and the loader keeps the paths as typed (relative to the working
// directory now) for its messages. A name in angle brackets (<stdin>) names no file: it stays.
func withAbsoluteRecipe(stack *recipes.Stack) *recipes.Stack {
	files := stack.Source.Files()
	noFile := func(f string) bool { return strings.HasPrefix(f, "<") && strings.HasSuffix(f, ">") }
	if len(files) == 0 || !slices.ContainsFunc(files, func(f string) bool { return !filepath.IsAbs(f) && !noFile(f) }) {
		return stack
	}
	abs := make([]string, len(files))
	for i, f := range files {
		if noFile(f) {
			abs[i] = f
			continue
		}
		a, err := filepath.Abs(f)
		if err != nil {
			return stack
		}
		abs[i] = a
	}
	cp := *stack
	cp.Source.File, cp.Source.Overrides = abs[0], abs[1:]
	if len(cp.Source.Overrides) == 0 {
		cp.Source.Overrides = nil
	}
	return &cp
}

// selectPods returns the pods named and every pod they depend on, in the stack's order.
func selectPods(stack *recipes.Stack, names []string) ([]*recipes.Pod, error) {
	if len(names) == 0 {
		return stack.Pods, nil
	}
	want := map[string]bool{}
	var add func(name string) error
	add = func(name string) error {
		if want[name] {
			return nil
		}
		p := stack.Pod(name)
		if p == nil {
			var all []string
			for _, p := range stack.Pods {
				all = append(all, p.Name)
			}
			return fmt.Errorf("%w %q: stack %s has pods %s", ErrUnknownPod, name, stack.Name, strings.Join(all, ", "))
		}
		want[name] = true
		for _, d := range p.DependsOn {
			if err := add(d.Pod); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	var out []*recipes.Pod
	for _, p := range stack.Pods {
		if want[p.Name] {
			out = append(out, p)
		}
	}
	return out, nil
}

// Subscribe returns a subscription to the event stream: a snapshot first, then every state
// event, with log lines merged in.
func (o *Orchestrator) Subscribe() *Subscription { return o.out.subscribe(SubscribeOptions{}) }

// SubscribeWith is Subscribe with options.
func (o *Orchestrator) SubscribeWith(opts SubscribeOptions) *Subscription {
	return o.out.subscribe(opts)
}

// Snapshot returns the whole stack's current state.
func (o *Orchestrator) Snapshot() StackView { return o.out.snapshot() }

// Logs returns the stack's log buffers, one per app container.
func (o *Orchestrator) Logs() *LogHub { return o.out.logs }

// Shutdown asks for a graceful teardown, as the user would (exit 0 unless main had already
// ended). It does not wait; Run returns when everything is removed.
func (o *Orchestrator) Shutdown() { o.request(func(r *stopRequests) { r.shutdown = true }) }

// Interrupt asks for a graceful teardown after an interrupt (exit 130).
func (o *Orchestrator) Interrupt() { o.request(func(r *stopRequests) { r.interrupt = true }) }

// Kill removes everything at once, without grace (a second interrupt).
// A further Kill (a third Ctrl-C) ends the run at once, leaving what the engine has not
// removed yet, named (LeftBehindError).
func (o *Orchestrator) Kill() { o.request(func(r *stopRequests) { r.kill = true; r.kills++ }) }

func (o *Orchestrator) request(set func(*stopRequests)) {
	o.reqMu.Lock()
	set(&o.req)
	o.reqMu.Unlock()
	select {
	case o.reqWake <- struct{}{}:
	default:
	}
}

func (o *Orchestrator) requests() stopRequests {
	o.reqMu.Lock()
	defer o.reqMu.Unlock()
	return o.req
}

// RestartContainer restarts a running app container (or starts an exited one) at once,
// without back-off. Its pod's other containers and network are not touched.
func (o *Orchestrator) RestartContainer(pod, name string) error {
	return o.command(pod, name, CmdRestart)
}

// StopContainer stops an app container and keeps it stopped until StartContainer.
func (o *Orchestrator) StopContainer(pod, name string) error { return o.command(pod, name, CmdStop) }

// StartContainer starts a stopped app container at once.
func (o *Orchestrator) StartContainer(pod, name string) error { return o.command(pod, name, CmdStart) }

func (o *Orchestrator) command(pod, name string, cmd Command) error {
	return o.commandFor(pod, name, cmd, "")
}

// commandFor hands cmd to the pod's supervisor; why says who gave it and why when it was not
// a user (see PodStatus.ApplyCommandFor).
func (o *Orchestrator) commandFor(pod, name string, cmd Command, why string) error {
	o.podsMu.RLock()
	defer o.podsMu.RUnlock()
	pr := o.pods[pod]
	if pr == nil {
		return fmt.Errorf("%w %q: this run has pods %s", ErrUnknownPod, pod, strings.Join(o.podNames(), ", "))
	}
	c := pr.spec.Pod.Container(name)
	if c == nil {
		var names []string
		for _, c := range pr.spec.Pod.Containers() {
			names = append(names, c.Name)
		}
		return fmt.Errorf("%w %q in pod %s: it has %s", ErrUnknownContainer, name, pod, strings.Join(names, ", "))
	}
	if c.Role == recipes.RoleInit {
		return initRunsOnce(fmt.Sprintf("container %s of pod %s", name, pod))
	}
	sup := pr.sup
	if sup == nil || !sup.active.Load() {
		return fmt.Errorf("pod %s is %w", pod, ErrNotRunning)
	}
	if sup.completed.Load() {
		return errorOf(ErrNotSupported, "pod %s is a job that has completed: it runs once; to run it again, run the stack again (sidecar down, then sidecar up)", pod)
	}
	if o.engine.isDown() {
		// Refused, not queued: the engine's return reconciles the stack from what it holds,
		// and a command taken now would act on what was last seen, not on that.
		return fmt.Errorf("%w: refused, nothing is started or stopped until the engine answers again (the stack is then reconciled from what it holds): give the command again then", ErrEngineUnreachable)
	}
	sup.box.Put(msgCommand{name: name, cmd: cmd, why: why})
	return nil
}

func (o *Orchestrator) podNames() []string {
	var out []string
	for _, p := range o.selected {
		out = append(out, p.Name)
	}
	return out
}

// Run runs the stack until its first pod's main ends for good, a pod fails, or Shutdown,
// Interrupt or Kill; then tears everything down and returns how it ended. A failure to
// start tears down what was created: nothing is left behind. Cancelling ctx is a Kill.
// Run may be called once.
func (o *Orchestrator) Run(ctx context.Context) (Result, error) {
	if !o.ran.CompareAndSwap(false, true) {
		return Result{ExitCode: ExitFailure, Reason: "Run called twice"}, fmt.Errorf("orchestrator for stack %s: %w", o.names.Stack, ErrAlreadyRun)
	}
	defer o.out.close()
	defer o.exec.logs.closeAll()
	res, err := o.run(ctx)
	code := res.ExitCode
	phase := PhaseDone
	if err != nil {
		phase = PhaseFailed
	}
	o.out.publish(StackEvent{Stack: o.names.Stack, Phase: phase, Reason: res.Reason, ExitCode: &code, Left: res.Left})
	return res, err
}

func (o *Orchestrator) stackPhase(p Phase, reason string) {
	o.out.publish(StackEvent{Stack: o.names.Stack, Phase: p, Reason: reason})
}

func (o *Orchestrator) run(ctx context.Context) (Result, error) {
	if o.selErr != nil {
		return Result{ExitCode: ExitUsage, Reason: o.selErr.Error()}, o.selErr
	}
	if err := checkDownward(o.selected); err != nil {
		return Result{ExitCode: ExitUsage, Reason: err.Error()}, err
	}
	opCtx := context.WithoutCancel(ctx)
	// startCtx ends with any stop request: image pulls and builds are abandoned then.
	startCtx, cancelStart := context.WithCancel(ctx)
	defer cancelStart()
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		select {
		case <-o.reqWake:
			o.request(func(*stopRequests) {}) // keep the wake-up for the pods loop
			cancelStart()
		case <-watchDone:
		}
	}()

	o.stackPhase(PhaseCreating, "removing leftovers of earlier runs")
	if err := o.removeLeftovers(opCtx); err != nil {
		return failed(err), err
	}
	if r, stopped := o.stoppedBeforeStart(ctx); stopped {
		return r, nil
	}

	o.stackPhase(PhasePulling, "")
	infraImage, imageIDs, err := o.resolveImages(startCtx, o.stack, o.selected, true)
	if r, stopped := o.stoppedBeforeStart(ctx); stopped {
		return r, nil
	}
	if err != nil {
		return failed(err), err
	}

	var node NodeInfo
	if needsNode(o.selected) {
		if node, err = o.rt.NodeInfo(opCtx); err != nil {
			err = fmt.Errorf("read the engine's name and resources for the downward API: %w", err)
			return failed(err), err
		}
	}

	o.stackPhase(PhaseCreating, "")
	defer func() {
		if network := o.network; network != "" {
			if o.abandoned {
				return // left, and said so (runPods)
			}
			if err := o.rt.RemoveNetwork(opCtx, network); err != nil && !isNotFound(err) {
				o.out.publish(MessageEvent{Level: LevelWarning, Text: fmt.Sprintf("remove network %s: %v", network, err),
					Hint: "remove it with: docker network rm " + network})
			}
		}
	}()
	if err := o.ensureNetwork(opCtx, o.selected); err != nil {
		return failed(err), err
	}
	if err := o.stackVolumes(opCtx); err != nil {
		return failed(err), err
	}
	defer o.removeStackVolumes(opCtx)
	o.opCtx, o.infraImage, o.node = opCtx, infraImage, node
	for _, pr := range o.pods {
		pr.spec.InfraImage, pr.spec.Network, pr.spec.Node, pr.spec.ImageIDs = infraImage, o.network, node, imageIDs
		pr.spec.Hashes()
		pr.sup.opCtx = opCtx
	}

	pumpCtx, stopPump := context.WithCancel(opCtx)
	var pumpWG sync.WaitGroup
	pumpWG.Add(1)
	go func() {
		defer pumpWG.Done()
		o.pump(pumpCtx)
	}()
	defer func() {
		stopPump()
		pumpWG.Wait()
	}()
	return o.runPods(ctx)
}

// stoppedBeforeStart reports the result of a stop request (or a cancelled ctx) that came
// before any pod was created.
func (o *Orchestrator) stoppedBeforeStart(ctx context.Context) (Result, bool) {
	req := o.requests()
	switch {
	case req.interrupt || req.kill || ctx.Err() != nil:
		return Result{ExitCode: ExitInterrupted, Reason: "interrupted"}, true
	case req.shutdown:
		return Result{ExitCode: ExitOK, Reason: "shut down by user"}, true
	}
	return Result{}, false
}

func failed(err error) Result {
	r := Result{ExitCode: ExitFailure, Reason: err.Error()}
	var pe *PodError
	if errors.As(err, &pe) {
		r.Pod, r.Container, r.Lines = pe.Pod, pe.Container, pe.Lines
		if errors.Is(pe, ErrJobFailed) && pe.ExitCode > 0 {
			r.ExitCode = pe.ExitCode // a failed job ends the stack with its code
		}
	}
	return r
}

// checkDownward checks every downward-API variable of the pods before anything is created:
// a recipe that names an unknown field, container or unit is bad input.
func checkDownward(pods []*recipes.Pod) error {
	var errs []error
	for _, p := range pods {
		for _, c := range p.Containers() {
			for _, r := range c.EnvRefs {
				if err := recipes.CheckEnvRef(p, c, r); err != nil {
					errs = append(errs, fmt.Errorf("pod %s, container %s: env %w", p.Name, c.Name, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// needsNode reports whether a container's downward-API variables may read the node: its
// name, or its resources (what a limit that is not set reads as).
func needsNode(pods []*recipes.Pod) bool {
	for _, p := range pods {
		for _, c := range p.Containers() {
			for _, r := range c.EnvRefs {
				if r.Field == recipes.FieldNodeName || r.Resource != "" {
					return true
				}
			}
		}
	}
	return false
}

// hasSubdomain reports whether a pod is to be reachable as HOSTNAME.SUBDOMAIN, or by an
// alias, which needs the stack network even for a single pod.
func hasSubdomain(pods []*recipes.Pod) bool {
	for _, p := range pods {
		if p.Subdomain != "" || len(p.Aliases) > 0 {
			return true
		}
	}
	return false
}

// ending is the first thing that ended the stack.
type ending struct {
	res Result
	err error
}

// runPods starts the pods in dependency order, waits for the end, and tears the pods down in
// reverse dependency order.
func (o *Orchestrator) runPods(ctx context.Context) (Result, error) {
	reports := o.reports
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(o.loopDone)

	var end *ending
	stopping, force := false, false
	setEnd := func(res Result, err error) {
		if end == nil {
			end = &ending{res: res, err: err}
		}
	}
	startReady := func() {
		for _, p := range o.selected {
			pr := o.pods[p.Name]
			if pr.started || pr.startErr != nil {
				continue
			}
			ready := true
			var waitFor []string
			for _, d := range p.DependsOn {
				dp := o.pods[d.Pod]
				if dp == nil || dp.met(d.Condition) {
					continue
				}
				ready = false
				waitFor = append(waitFor, d.Pod)
				err, why := o.unhealthy(pr, dp, d.Condition), "pod "+d.Pod+" is unhealthy"
				if err == nil && dp.startErr != nil {
					err, why = fmt.Errorf("pod %s cannot start: pod %s did not start: %w", p.Name, d.Pod, dp.startErr), "pod "+d.Pod+" did not start"
				}
				switch {
				case err == nil || end != nil:
				case pr.applied:
					// Added to the running stack: it fails alone, with the Apply that added
					// it, as docker compose's `up -d vote` does; the stack runs on.
					o.failStart(pr, err, why)
				default:
					// It will never start: the stack fails, as docker compose's up does.
					pr.waitFor = nil
					o.out.publish(PodEvent{Pod: p.Name, Phase: PhasePending, Reason: "not started: " + why})
					setEnd(failed(err), err)
				}
				if pr.startErr != nil {
					break
				}
			}
			if end != nil || pr.startErr != nil {
				continue
			}
			o.waiting(pr, waitFor)
			if ready {
				pr.started = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					pr.sup.run()
				}()
			}
		}
	}
	o.stackPhase(PhaseStarting, "")
	startReady()

	ctxDone := ctx.Done()
	kills := 0 // the Kill calls seen
	var noteTimer clock.Timer
	defer func() {
		if noteTimer != nil {
			noteTimer.Stop()
		}
	}()
	for {
		if stopping && o.abandoned {
			o.abandonPods()
		} else if stopping {
			o.terminatePods(force)
		}
		if o.allDone() {
			break
		}
		// A pod that waits for others is told about every BlockedNoteEvery.
		if noteTimer != nil {
			noteTimer.Stop()
			noteTimer = nil
		}
		var noteC <-chan time.Time
		if !stopping {
			now := o.clock.Now()
			if next := o.noteWaits(now); !next.IsZero() {
				noteTimer = o.clock.NewTimer(next.Sub(now))
				noteC = noteTimer.C()
			}
		}
		select {
		case <-noteC:
		case <-reports.Ready():
			for _, m := range reports.Take() {
				r := m.(podReport)
				pr := o.pods[r.pod]
				if pr == nil {
					continue // a pod Apply removed
				}
				switch r.kind {
				case reportMainUnhealthy:
					if !stopping {
						startReady()     // the pods waiting for it to be ready fail
						o.releaseHolds() // and the Apply of those re-created, held for it
					}
				case reportMainReady, reportMainStarted:
					if r.gen < pr.readyGen {
						continue // of the main an Apply is re-creating
					}
					pr.mainReady = pr.mainReady || r.kind == reportMainReady
					pr.mainUp = true
					if !stopping {
						startReady()
						o.releaseHolds()
					}
				case reportStopped:
					if r.gen >= pr.readyGen {
						pr.stopping = false
					}
					if !stopping {
						o.releaseHolds()
					}
				case reportRunning:
					pr.running = true
					if !stopping && o.allRunning() {
						o.stackPhase(PhaseRunning, "")
					}
				case reportMainEnded:
					main := pr.spec.Pod.Main.Name
					setEnd(Result{ExitCode: r.code, Pod: r.pod, Container: main,
						Reason: fmt.Sprintf("main %s of pod %s exited with code %d", main, r.pod, r.code)}, nil)
				case reportCompleted:
					// A job pod that completed lets its dependents start, and the stack goes
					// on; a stack of jobs only ends when the last one has completed.
					pr.completed, pr.running = true, true
					if !stopping {
						startReady() // the pods waiting for it to complete (recipes.DepCompleted)
						o.releaseHolds()
					}
					switch {
					case o.allCompleted():
						// A stack of jobs was never running as a whole: it is done.
						setEnd(Result{ExitCode: ExitOK, Reason: "every job completed"}, nil)
					case !stopping && o.allRunning():
						o.stackPhase(PhaseRunning, "")
					}
				case reportFailed:
					setEnd(failed(r.err), r.err)
				case reportDone:
					pr.done, pr.left = true, r.left
					// A pod given up on (its forced teardown unanswered): the run names what
					// is left, and gives up on the others.
					o.abandoned = o.abandoned || r.gaveUp
					o.podGone(r.pod)
					if !stopping {
						o.releaseHolds()
					}
				case reportConverged:
					o.podConverged(r)
				}
			}
		case req := <-o.applyCh:
			o.install(req, stopping, startReady)
		case <-o.reqWake:
			req := o.requests()
			if req.interrupt {
				setEnd(Result{ExitCode: ExitInterrupted, Reason: "interrupted"}, nil)
			}
			if req.shutdown {
				setEnd(Result{ExitCode: ExitOK, Reason: "shut down by user"}, nil)
			}
			if req.kill {
				setEnd(Result{ExitCode: ExitInterrupted, Reason: "killed"}, nil)
				if req.kills > kills {
					// Asked again once forced: the user will not wait for the engine.
					o.abandoned = o.abandoned || force || req.kills-kills > 1
					kills = req.kills
				}
				force = true
			}
			// Stopping cannot wait for an engine that does not answer: the user gives up.
			o.abandoned = o.abandoned || o.engine.isDown()
		case <-ctxDone:
			ctxDone = nil
			setEnd(Result{ExitCode: ExitInterrupted, Reason: "cancelled: " + context.Cause(ctx).Error()}, nil)
			force = true
			o.abandoned = o.abandoned || o.engine.isDown()
		}
		if end != nil && !stopping {
			stopping = true
			o.stackPhase(PhaseStopping, end.res.Reason)
			for _, p := range o.selected {
				if pr := o.pods[p.Name]; pr != nil && !pr.started && pr.waitFor != nil {
					// It will not start: it waits for nothing any more.
					pr.waitFor = nil
					o.out.publish(PodEvent{Pod: p.Name, Phase: PhasePending, Reason: "not started: the stack is stopping"})
				}
			}
			o.abandonWaits("the stack is stopping: " + end.res.Reason)
		}
	}
	if o.abandoned {
		return o.leftBehind(end.res)
	}
	return end.res, end.err
}

// waiting records that pod pr waits for the pods named in waitFor (none: it starts), and
// says so in its view (PodView.WaitsFor and Reason) when that changed.
func (o *Orchestrator) waiting(pr *podRun, waitFor []string) {
	if len(waitFor) == 0 {
		pr.waitFor = nil
		return
	}
	if pr.waitSince.IsZero() {
		pr.waitSince = o.clock.Now()
	}
	if slices.Equal(pr.waitFor, waitFor) {
		return
	}
	pr.waitFor = waitFor
	var what []string
	for _, d := range waitFor {
		what = append(what, o.awaited(pr, d))
	}
	o.out.publish(PodEvent{Pod: pr.spec.Pod.Name, Phase: PhasePending, Reason: "waiting for " + joinAnd(what), WaitsFor: waitFor})
}

// awaited says what pod pr, which depends on pod name, waits for it to do: as the
// dependency's condition says (podRun.met).
func (o *Orchestrator) awaited(pr *podRun, name string) string {
	cond := recipes.DepReady
	for _, d := range pr.spec.Pod.DependsOn {
		if d.Pod == name {
			cond = d.Condition
		}
	}
	return o.awaitedOn(recipes.PodDep{Pod: name, Condition: cond})
}

// awaitedOn says what a pod waits for its dependency d to do.
func (o *Orchestrator) awaitedOn(d recipes.PodDep) string {
	name, cond := d.Pod, d.Condition
	dp := o.pods[name]
	switch {
	case cond == recipes.DepStarted:
		return "pod " + name + " to start"
	case dp != nil && dp.spec.Pod.Job && (cond == recipes.DepCompleted || dp.spec.Pod.Main.Ready == nil):
		return "pod " + name + " to complete"
	}
	return "pod " + name + " to be ready"
}

// awaitsReadiness reports whether a pod depending on dp with condition cond waits for dp's
// main to be ready (not for it to start, nor for a job to complete).
func awaitsReadiness(dp *podRun, cond recipes.DepCondition) bool {
	switch {
	case cond == recipes.DepStarted:
		return false
	case dp.spec.Pod.Job && (cond == recipes.DepCompleted || dp.spec.Pod.Main.Ready == nil):
		return false
	}
	return dp.spec.Pod.Main.Ready != nil
}

// unhealthy is the failure of pod pr, which waits for pod dp to be ready, when dp's main
// never was and its ready probe gave up (its failure threshold reached: compose's
// "container … is unhealthy", after which docker compose's up fails too): nothing would make
// pr start. nil while pr may still start (a slow dependency: its start period, or failures
// below the threshold).
func (o *Orchestrator) unhealthy(pr *podRun, dp *podRun, cond recipes.DepCondition) error {
	if !awaitsReadiness(dp, cond) || !dp.started || dp.sup == nil {
		return nil
	}
	w := dp.sup.mainProbe.Load()
	if w == nil || !w.Unhealthy {
		return nil
	}
	return unhealthyError(dp.spec, pr.spec.Pod.Name, w.Detail)
}

// unhealthyError says that pod waiter cannot start as the main of dep's pod is unhealthy,
// why, and what to do, in the terms of the file the stack came from.
func unhealthyError(dep *PodSpec, waiter, last string) error {
	main, name := dep.Pod.Main, dep.Pod.Name
	image := main.Ready.Kind() == recipes.ProbeImage
	times := fmt.Sprintf("%d times in a row", main.Ready.Retries)
	if main.Ready.Retries == 1 {
		times = "once"
	}
	var why, fix string
	switch kind := sourceKind(dep.Stack); {
	case image:
		why = "the engine's verdict on its image's HEALTHCHECK is unhealthy"
		fix = fmt.Sprintf("fix the HEALTHCHECK of %s's image", main.Name)
	case kind == recipes.SourceCompose:
		why = "its healthcheck failed " + times
		fix = fmt.Sprintf("fix the healthcheck of service %s in the compose file (or its x-sidecar ready: probe)", main.Name)
	case kind == recipes.SourceKube:
		why = "its readinessProbe failed " + times + " (its failureThreshold)"
		fix = fmt.Sprintf("fix the readinessProbe of %s in the manifest", main.Name)
	default:
		why = "its ready probe failed " + times
		fix = fmt.Sprintf("fix the `ready:` probe of %s in the recipe", main.Name)
	}
	if last != "" && !image {
		why += " (last: " + last + ")"
	}
	switch sourceKind(dep.Stack) {
	case recipes.SourceCompose:
		fix += fmt.Sprintf(", or have %s wait for it to start only (condition: service_started)", waiter)
	case recipes.SourceKube:
		fix += fmt.Sprintf(", or have %s wait for it to start only (sidecar.dev/depends-on: %s:started)", waiter, name)
	default:
		fix += fmt.Sprintf(", or have %s wait for it to start only (depends_on: condition: started)", waiter)
	}
	return fmt.Errorf("pod %s cannot start: pod %s %w: %s; %s", waiter, name, ErrDependencyUnhealthy, why, fix)
}

// noteWaits tells the views, at every BlockedNoteEvery of the wait of a pod for the pods it
// depends on, which pod waits for which, for how long, and what the awaited main's probe
// last said — one warning per awaited pod, about its main, as a sidecar's wait is told
// (supervisor.noteBlocked). It returns when the next note is due (zero: no pod waits).
func (o *Orchestrator) noteWaits(now time.Time) (next time.Time) {
	for _, p := range o.selected {
		pr := o.pods[p.Name]
		if pr == nil || pr.started || len(pr.waitFor) == 0 {
			continue
		}
		mark, due := noteMarks(pr.waitSince, now)
		if !mark.IsZero() && mark.After(pr.waitNoted) {
			pr.waitNoted = mark
			for _, d := range pr.waitFor {
				o.noteWait(pr, d, now.Sub(pr.waitSince))
			}
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next
}

// noteWait tells that pod pr has waited for pod name for waited.
func (o *Orchestrator) noteWait(pr *podRun, name string, waited time.Duration) {
	text := fmt.Sprintf("pod %s waits for %s: %s so far", pr.spec.Pod.Name, o.awaited(pr, name), RoundDuration(waited.Truncate(time.Second)))
	msg := MessageEvent{Level: LevelWarning, Pod: name, Text: text}
	dp := o.pods[name]
	if dp == nil {
		o.out.publish(msg)
		return
	}
	main := dp.spec.Pod.Main
	msg.Container = main.Name
	var w *probeWord
	if dp.started && dp.sup != nil {
		w = dp.sup.mainProbe.Load()
	}
	switch {
	case !dp.started:
		msg.Text += fmt.Sprintf("; pod %s has not started yet", name)
	case w != nil && !w.Running && !w.Ran:
		msg.Text += fmt.Sprintf("; its main %s has not started yet", main.Name)
	case w != nil && !w.Running:
		msg.Text += fmt.Sprintf("; its main %s is not running", main.Name)
	case w != nil && (main.Ready != nil || w.Startup):
		last := w.Detail
		if last == "" {
			last = "no answer yet"
		}
		msg.Text += "; last probe: " + last
		msg.Hint = probeHint(dp.spec, main, w.Startup)
	}
	o.out.publish(msg)
}

// joinAnd joins words as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if n := len(words); n > 1 {
		return strings.Join(words[:n-1], ", ") + " and " + words[n-1]
	}
	return strings.Join(words, "")
}

// abandonPods ends every started pod at once, and every wait for the engine.
func (o *Orchestrator) abandonPods() {
	o.engine.giveUp()
	for _, pr := range o.pods {
		if pr.started && !pr.done && !pr.abandoned {
			pr.abandoned = true
			pr.sup.box.Put(msgAbandon{})
		}
	}
}

// leftBehind is the end of a run given up on while the engine was unreachable: what each
// pod left, and the stack network, said in a message and in the error.
func (o *Orchestrator) leftBehind(res Result) (Result, error) {
	var left []string
	for _, p := range o.selected {
		left = append(left, o.pods[p.Name].left...)
	}
	if len(o.selected) > 1 {
		left = append(left, "network "+o.names.Network())
	}
	err := &LeftBehindError{Stack: o.stack.Name, Left: left, Unanswered: !o.engine.isDown()}
	o.out.publish(MessageEvent{Level: LevelError, Text: err.Error()})
	res.Left, res.Reason = left, err.Error()
	if res.ExitCode == ExitOK {
		res.ExitCode = ExitFailure
	}
	return res, err
}

// terminatePods sends termination to every started pod that no started, unfinished pod
// depends on (reverse dependency order), or to every pod at once when forced.
func (o *Orchestrator) terminatePods(force bool) {
	for _, pr := range o.pods {
		if !pr.started || pr.done {
			continue
		}
		if force {
			if !pr.killed {
				pr.killed = true
				pr.sup.terminate(true)
			}
			continue
		}
		if pr.terminated {
			continue
		}
		blocked := false
		for _, other := range o.pods {
			if other.started && !other.done && other.spec.Pod.DependsOnPod(pr.spec.Pod.Name) {
				blocked = true
			}
		}
		if !blocked {
			pr.terminated = true
			pr.sup.terminate(false)
		}
	}
}

func (o *Orchestrator) allDone() bool {
	for _, pr := range o.pods {
		if pr.started && !pr.done {
			return false
		}
	}
	return true
}

// allCompleted reports whether every pod of the run is a job that completed.
func (o *Orchestrator) allCompleted() bool {
	for _, pr := range o.pods {
		if !pr.completed {
			return false
		}
	}
	return true
}

func (o *Orchestrator) allRunning() bool {
	for _, pr := range o.pods {
		if !pr.running {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sortedNames returns the names of infos, sorted.
func sortedNames(names []string) []string {
	sort.Strings(names)
	return names
}
