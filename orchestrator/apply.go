package orchestrator

import (
	"context"
	"fmt"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes"
)

// Apply: `up` of a stack that runs already converges it onto the recipe as it is now. The
// images are resolved first (a missing one changes nothing); then the stack runner hands
// each pod's supervisor its new spec, and each converges as converge.go says — what changed
// is re-created in lifecycle order, the rest keeps running. Pods new in the recipe start,
// pods no longer in it are torn down. Apply returns once every pod runs its new spec.

// ApplyOptions tune an Apply.
type ApplyOptions struct {
	// Pods limits the apply to these pods and the pods they depend on (`up -d api`); the
	// others are left as they run. Empty: the whole stack, and pods no longer in the recipe
	// are removed.
	Pods []string
}

// ApplyResult says what an Apply changed.
type ApplyResult struct {
	// Changes are the changes made, one line each ("replace proxy: env changed"); none when
	// the stack was up to date.
	Changes []string
}

// UpToDate reports whether nothing had to change.
func (r ApplyResult) UpToDate() bool { return len(r.Changes) == 0 }

type applyReq struct {
	stack   *recipes.Stack
	sel     []*recipes.Pod // the pods to converge, in start order
	partial bool           // ApplyOptions.Pods was given
	ids     map[string]string
	reply   chan applyReply
}

type applyReply struct {
	changes []string
	wait    *applyWait
	err     error
}

// applyWait is an Apply waiting for pods to converge: the spec generation each pod must
// report (0: the pod's removal). Only the stack runner's goroutine touches it.
type applyWait struct {
	pending  map[string]int
	failures []string
	errs     []error // the errors of the failures that have one (failStart)
	done     chan struct{}
	err      error // set before done is closed
}

// Apply converges the running stack onto stack (the same stack name, normalised and
// valid): see the top of this file. It returns the changes made, once every pod runs its
// new spec; an error when it could not be applied (nothing changed then), or when a
// container it created ended its first run before it was started (it is restarted with
// back-off, as any other, and the rest of the stack runs on). Cancelling ctx stops the wait,
// not the apply.
func (o *Orchestrator) Apply(ctx context.Context, stack *recipes.Stack, opts ApplyOptions) (ApplyResult, error) {
	if stack.Name != o.names.Stack {
		return ApplyResult{}, fmt.Errorf("the recipe is of stack %s, not %s: %w", stack.Name, o.names.Stack, ErrUnknownPod)
	}
	if !o.ran.Load() {
		return ApplyResult{}, fmt.Errorf("stack %s is %w", o.names.Stack, ErrNotRunning)
	}
	stack = withAbsoluteRecipe(stack)
	sel, err := selectPods(stack, opts.Pods)
	if err != nil {
		return ApplyResult{}, err
	}
	o.applyMu.Lock()
	defer o.applyMu.Unlock()
	_, ids, err := o.resolveImages(ctx, stack, sel, false)
	if err != nil {
		return ApplyResult{}, err
	}
	return o.submit(ctx, &applyReq{stack: stack, sel: sel, partial: len(opts.Pods) > 0, ids: ids})
}

// submit hands an apply to the stack runner and waits until the pods run their new specs.
// The caller holds applyMu.
func (o *Orchestrator) submit(ctx context.Context, req *applyReq) (ApplyResult, error) {
	req.reply = make(chan applyReply, 1)
	select {
	case o.applyCh <- req:
	case <-o.loopDone:
		return ApplyResult{}, fmt.Errorf("stack %s is %w", o.names.Stack, ErrNotRunning)
	case <-ctx.Done():
		return ApplyResult{}, ctx.Err()
	}
	rep := <-req.reply
	res := ApplyResult{Changes: rep.changes}
	if rep.err != nil {
		return res, rep.err
	}
	select {
	case <-rep.wait.done:
		return res, rep.wait.err
	case <-ctx.Done():
		return res, ctx.Err()
	}
}

// newPodRun prepares a pod's run and its supervisor (not started).
func (o *Orchestrator) newPodRun(spec *PodSpec) *podRun {
	pr := &podRun{spec: spec, gen: 1}
	pr.sup = newSupervisor(spec, o.clock, o.rt, o.exec, o.out, func(r podReport) { o.reports.Put(r) })
	pr.sup.engine = o.engine
	if o.opCtx != nil {
		pr.sup.opCtx = o.opCtx
	}
	return pr
}

// needsNetwork tells whether pods need the stack network: several pods, a subdomain or an
// alias.
func needsNetwork(pods []*recipes.Pod) bool { return len(pods) > 1 || hasSubdomain(pods) }

// ensureNetwork creates the stack network when pods need it and it is not there yet.
func (o *Orchestrator) ensureNetwork(ctx context.Context, pods []*recipes.Pod) error {
	if !needsNetwork(pods) || o.network != "" {
		return nil
	}
	network := o.names.Network()
	if _, err := o.rt.CreateNetwork(ctx, network, StackLabels(o.stack, o.opts.Version).Encode()); err != nil {
		return fmt.Errorf("create network %s: %w", network, err)
	}
	o.network = network
	return nil
}

// install hands an apply's specs to the pods (in the stack runner's goroutine).
func (o *Orchestrator) install(req *applyReq, stopping bool, startReady func()) {
	if stopping {
		req.reply <- applyReply{err: fmt.Errorf("stack %s is stopping: %w", o.names.Stack, ErrNotRunning)}
		return
	}
	inNew := map[string]bool{}
	for _, p := range req.stack.Pods {
		inNew[p.Name] = true
	}
	// The pods after the apply, in start order: the recipe's, then (partial) the others.
	var after []*recipes.Pod
	for _, p := range req.stack.Pods {
		if o.pods[p.Name] != nil || contains(podNames(req.sel), p.Name) {
			after = append(after, p)
		}
	}
	for _, p := range o.selected {
		if !inNew[p.Name] && req.partial {
			after = append(after, p)
		}
	}
	if err := o.ensureNetwork(o.opCtx, after); err != nil {
		req.reply <- applyReply{err: err}
		return
	}
	// Once made, the network stays: a pod dropped does not move the others off it (which
	// would re-create them).
	network := o.network
	if needsNode(req.sel) && o.node.Name == "" {
		node, err := o.rt.NodeInfo(o.opCtx)
		if err != nil {
			req.reply <- applyReply{err: fmt.Errorf("read the engine's name and resources for the downward API: %w", err)}
			return
		}
		o.node = node
	}

	wait := &applyWait{pending: map[string]int{}, done: make(chan struct{})}
	var changes []Change
	runs, specs := map[string]*podRun{}, map[string]*PodSpec{}
	for _, p := range req.sel {
		spec := &PodSpec{Stack: req.stack, Pod: p, Version: o.opts.Version, InfraImage: o.infraImage, Network: network, Node: o.node, ImageIDs: req.ids}
		spec.Hashes()
		for _, c := range p.Containers() {
			o.out.logs.Buffer(p.Name, c.Name)
		}
		pr := o.pods[p.Name]
		switch {
		case pr == nil || !pr.started:
			if pr == nil {
				changes = append(changes, Change{Kind: ChangeAdd, Pod: p.Name, Reason: "new in the recipe"})
			}
			pr = o.newPodRun(spec)
			pr.applied = true
			wait.pending[p.Name] = pr.gen
		case pr.done || pr.removing:
			continue // it ended (or is going): nothing to converge
		default:
			pr.gen++
			reply := make(chan ConvergePlan, 1)
			stopHold, startHold := o.holds(req.stack, p)
			pr.sup.box.Put(msgSpec{spec: spec, gen: pr.gen, multi: len(after) > 1, stopHold: stopHold, startHold: startHold, reply: reply})
			select {
			case cp := <-reply:
				changes = append(changes, cp.Changes...)
				wait.pending[p.Name] = pr.gen
				if cp.renews != renewNone {
					// Its main goes down and comes up again: the pods that depend on it
					// wait for the new one, as at the first start.
					pr.mainReady, pr.mainUp, pr.readyGen = false, false, pr.gen
					pr.stopping, pr.holdStops, pr.holdStart, pr.holdFailed = true, stopHold != "", startHold != "", false
					pr.saidStops, pr.saidStart = false, false
				}
				if cp.Rerun {
					// A completed job runs again: what waits for it waits for the new run.
					pr.completed, pr.mainReady, pr.mainUp = false, false, false
				}
			case <-pr.sup.exited:
				continue
			}
		}
		runs[p.Name], specs[p.Name] = pr, spec
	}
	var removed []*podRun
	if !req.partial {
		for name, pr := range o.pods {
			if !inNew[name] && !pr.done && !pr.removing {
				removed = append(removed, pr)
				changes = append(changes, Change{Kind: ChangeRemove, Pod: name, Reason: "no longer in the recipe"})
			}
		}
	}

	o.podsMu.Lock()
	for name, pr := range runs {
		pr.spec = specs[name]
		o.pods[name] = pr
	}
	for _, pr := range removed {
		pr.removing = true
		if !pr.started {
			delete(o.pods, pr.spec.Pod.Name)
			continue
		}
		wait.pending[pr.spec.Pod.Name] = 0
		pr.terminated = true
		pr.sup.terminate(false)
	}
	o.selected, o.stack = after, req.stack
	o.podsMu.Unlock()

	o.reshapeView(false)
	multi := len(after) > 1
	lines := make([]string, 0, len(changes))
	for _, c := range changes {
		lines = append(lines, c.line(multi))
		if c.Target == "" && c.Kind != ChangeRecreate {
			// A pod's own changes; a supervisor says those of its containers, before it acts.
			o.out.publish(MessageEvent{Level: LevelInfo, Pod: c.Pod, Text: "apply: " + c.line(multi)})
		}
	}
	o.waits = append(o.waits, wait)
	o.releaseHolds()
	startReady() // after the wait is known: a new pod that cannot start fails it (failStart)
	req.reply <- applyReply{changes: lines, wait: wait}
	o.settleWaits()
}

// holds are what the stops and the start again of pod p, running, wait for should the
// apply of stack re-create it or replace its main ("": nothing to wait for): the stops, for
// the running pods that depend on it to stop first (those the apply takes down too:
// releaseHolds); the start, for the pods it depends on to be as its conditions say.
func (o *Orchestrator) holds(stack *recipes.Stack, p *recipes.Pod) (stopHold, startHold string) {
	var dependents []string
	for _, q := range stack.Pods {
		if qr := o.pods[q.Name]; qr != nil && qr.started && !qr.done && !qr.removing && q.DependsOnPod(p.Name) {
			dependents = append(dependents, "pod "+q.Name)
		}
	}
	if len(dependents) > 0 {
		stopHold = "stopped after " + joinAnd(dependents) + ", which " + dependVerb(dependents) + " on it"
	}
	var what []string
	for _, d := range p.DependsOn {
		if o.pods[d.Pod] != nil {
			what = append(what, o.awaitedOn(d))
		}
	}
	if len(what) > 0 {
		startHold = "waiting for " + joinAnd(what)
	}
	return stopHold, startHold
}

// releaseHolds lets go what an Apply holds (podRun.holdStops, holdStart) once it may: a
// pod's stops once no pod that depends on it and that the apply takes down too still runs
// (dependents first, as a teardown has it); its start again once the pods it depends on are
// as its conditions say, as at its first start (one re-created too must be started, or
// ready, again).
func (o *Orchestrator) releaseHolds() {
	for _, pr := range o.pods {
		if pr.done || pr.sup == nil || (!pr.holdStops && !pr.holdStart) {
			continue
		}
		name := pr.spec.Pod.Name
		var first, waits []string
		for _, q := range o.selected {
			if qr := o.pods[q.Name]; qr != nil && qr != pr && qr.stopping && !qr.done && qr.spec.Pod.DependsOnPod(name) {
				first = append(first, "pod "+q.Name)
			}
		}
		for _, d := range pr.spec.Pod.DependsOn {
			if dp := o.pods[d.Pod]; dp != nil && !dp.done && !dp.met(d.Condition) {
				waits = append(waits, o.awaitedOn(d))
				if err := o.unhealthy(pr, dp, d.Condition); err != nil && pr.holdStart && !pr.holdFailed {
					pr.holdFailed = true
					o.failHeld(pr, dp, err, "pod "+d.Pod+" is unhealthy")
				}
			}
		}
		stops, start := pr.holdStops && len(first) == 0, pr.holdStart && len(waits) == 0
		// Said once, when it holds something back: the lines of the stops and starts follow.
		if pr.holdStops && !stops && !pr.saidStops {
			pr.saidStops = true
			o.out.publish(MessageEvent{Level: LevelInfo, Pod: name, Text: fmt.Sprintf("apply: pod %s is stopped after %s, which %s on it", name, joinAnd(first), dependVerb(first))})
		}
		if pr.holdStart && !start && !pr.saidStart {
			pr.saidStart = true
			o.out.publish(MessageEvent{Level: LevelInfo, Pod: name, Text: fmt.Sprintf("apply: pod %s is waiting for %s before it starts again", name, joinAnd(waits))})
		}
		if stops || start {
			pr.holdStops = pr.holdStops && !stops
			pr.holdStart = pr.holdStart && !start
			pr.sup.box.Put(msgRelease{stops: stops, start: start})
		}
	}
}

// failHeld fails the Apply that re-creates pr, held until dp is ready again, as dp's new main
// is unhealthy (err says so, and what to fix), as the first start fails on it and docker
// compose's up -d does ("dependency failed to start"): the Apply ends, with err, instead of
// waiting for ever. The stack runs on, pr held: it starts if dp becomes ready after all.
func (o *Orchestrator) failHeld(pr, dp *podRun, err error, why string) {
	name := pr.spec.Pod.Name
	o.out.publish(MessageEvent{Level: LevelError, Pod: name, Text: "not started again: " + why + "; the up that re-creates it fails"})
	o.failWaits(err, name, dp.spec.Pod.Name)
}

// failWaits fails with err the Applies that wait for any of pods: they wait for them no more.
func (o *Orchestrator) failWaits(err error, pods ...string) {
	for _, w := range o.waits {
		hit := false
		for _, p := range pods {
			if _, ok := w.pending[p]; ok {
				delete(w.pending, p)
				hit = true
			}
		}
		if hit {
			w.failures = append(w.failures, err.Error())
			w.errs = append(w.errs, err)
		}
	}
	o.settleWaits()
}

// dependVerb is "depends" for one pod, "depend" for several.
func dependVerb(pods []string) string {
	if len(pods) > 1 {
		return "depend"
	}
	return "depends"
}

func podNames(pods []*recipes.Pod) []string {
	out := make([]string, 0, len(pods))
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// podConverged notes that a pod runs its spec of generation r.gen.
func (o *Orchestrator) podConverged(r podReport) {
	for _, w := range o.waits {
		if gen, ok := w.pending[r.pod]; ok && gen > 0 && r.gen >= gen {
			delete(w.pending, r.pod)
			if r.failure != "" {
				w.failures = append(w.failures, r.failure)
			}
		}
	}
	o.settleWaits()
}

// failStart notes that pod pr, which an Apply added to the running stack, cannot start (err,
// why in short for its view): it waits for nothing any more, the Applies waiting for it fail
// with err, and the stack runs on. It stays as it is, not started: an Apply of it again
// tries again.
func (o *Orchestrator) failStart(pr *podRun, err error, why string) {
	name := pr.spec.Pod.Name
	pr.startErr, pr.waitFor = err, nil
	o.out.publish(PodEvent{Pod: name, Phase: PhasePending, Reason: "not started: " + why})
	// The up that added it says err in full; the views say that it failed.
	o.out.publish(MessageEvent{Level: LevelError, Pod: name, Text: "not started: " + why + "; the up that added it fails"})
	o.failWaits(err, name)
}

// podGone notes that a pod is torn down; a pod Apply removed is forgotten.
func (o *Orchestrator) podGone(name string) {
	pr := o.pods[name]
	if pr == nil || !pr.removing {
		return
	}
	o.podsMu.Lock()
	delete(o.pods, name)
	o.podsMu.Unlock()
	for _, w := range o.waits {
		if gen, ok := w.pending[name]; ok && gen == 0 {
			delete(w.pending, name)
		}
	}
	o.settleWaits()
}

// settleWaits ends the waits that have nothing pending: the view takes the stack's new
// shape (what was removed is gone from it).
func (o *Orchestrator) settleWaits() {
	kept := o.waits[:0]
	settled := false
	for _, w := range o.waits {
		if len(w.pending) > 0 {
			kept = append(kept, w)
			continue
		}
		if len(w.failures) > 0 {
			w.err = &applyError{msg: strings.Join(w.failures, "; "), errs: w.errs}
		}
		close(w.done)
		settled = true
	}
	o.waits = kept
	if settled {
		o.reshapeView(true)
	}
}

// abandonWaits ends every wait with an error: the stack is going.
func (o *Orchestrator) abandonWaits(why string) {
	for _, w := range o.waits {
		w.err = fmt.Errorf("stack %s: %s", o.names.Stack, why)
		close(w.done)
	}
	o.waits = nil
}

// reshapeView gives the stack's view the shape of the pods' specs: pods in start order, each
// with its infra container and its containers in start order. While an apply is under way
// (final unset), pods and containers on their way out stay, after the others.
func (o *Orchestrator) reshapeView(final bool) {
	o.out.reshape(func(v *StackView) {
		var pods []PodView
		seen := map[string]bool{}
		for _, p := range o.selected {
			seen[p.Name] = true
			pv := PodView{Name: p.Name, Phase: PhasePending}
			old := v.Pod(p.Name)
			if old != nil {
				pv.Phase, pv.Reason = old.Phase, old.Reason
			}
			have := map[string]bool{}
			get := func(name string, role recipes.Role, image string) {
				have[name] = true
				if old != nil {
					if c := old.Container(name); c != nil {
						pv.Containers = append(pv.Containers, *c)
						return
					}
				}
				pv.Containers = append(pv.Containers, ContainerView{Pod: p.Name, Name: name, Role: role, Image: image})
			}
			get(InfraName, recipes.RoleInfra, "")
			for _, c := range p.Containers() {
				get(c.Name, c.Role, c.Image)
			}
			if old != nil && !final {
				for _, c := range old.Containers {
					if !have[c.Name] {
						pv.Containers = append(pv.Containers, c)
					}
				}
			}
			pods = append(pods, pv)
		}
		if !final {
			for _, p := range v.Pods {
				if !seen[p.Name] {
					pods = append(pods, p)
				}
			}
		}
		v.Pods = pods
	})
}

// install takes a pod's new spec (msgSpec): containers no longer in it stop being probed at
// once (their pre-stop hooks still run), the status learns what was added and dropped, and the reply says what converging
// will change.
func (s *supervisor) install(m msgSpec) {
	for name, w := range s.workers {
		if m.spec.Pod.Container(name) == nil {
			w.retireProbes() // its stats and hooks go on until it is stopped
		}
	}
	s.spec, s.gen = m.spec, m.gen
	s.st.MainSettled = s.st.MainStarted
	s.st.Reconcile(m.spec.Pod)
	cp := PlanConverge(s.spec, s.st)
	if cp.renews = renews(s.spec, s.st, cp); cp.renews != renewNone {
		// Its main goes down and comes up again: the pods that depend on it stop first, it
		// starts once the pods it depends on are as its conditions say, and the pods that
		// depend on it wait for the new main (its start and readiness are reported again).
		s.st.StopHold, s.st.StartHold = m.stopHold, m.startHold
		s.renew, s.renewPod, s.awaitStop = true, cp.renews == renewPod, true
		s.sent[reportMainStarted], s.sent[reportMainReady] = false, false
	}
	if cp.Rerun {
		s.rerun(cp.Changes[0].Reason)
	}
	// Said before anything of it is done: the lines of the stops it makes follow.
	for _, c := range cp.Changes {
		s.out.publish(MessageEvent{Level: LevelInfo, Pod: c.Pod, Text: "apply: " + c.line(m.multi)})
	}
	m.reply <- cp
}

// renewKind is what of a pod an Apply takes down and brings up again.
type renewKind int

const (
	renewNone renewKind = iota
	renewMain           // its main is replaced
	renewPod            // the pod is re-created
)

// renews says what of the pod converging onto spec takes down and starts again (cp: what it
// changes): the whole pod when it is re-created, main when it is replaced; nothing for a
// job that completed (it is not run again).
func renews(spec *PodSpec, st *PodStatus, cp ConvergePlan) renewKind {
	if st.JobDone || st.Terminating {
		return renewNone
	}
	out := renewNone
	for _, c := range cp.Changes {
		switch {
		case c.Kind == ChangeRecreate:
			return renewPod
		case c.Kind == ChangeReplace && c.Target == spec.Pod.Main.Name:
			out = renewMain
		}
	}
	return out
}

// mainCurrent reports whether main is the one of the pod's spec: nothing re-creates the pod
// or replaces main any more.
func mainCurrent(spec *PodSpec, st *PodStatus) bool {
	main := st.Containers[spec.Pod.Main.Name]
	return !st.Recreating && !main.Replacing && podOutdated(spec, st) == "" && outdated(spec, spec.Pod.Main, main) == ""
}

// reportStopped tells the stack runner once what an Apply re-creates has stopped: every
// container of the pod (re-created), or its main (replaced).
func (s *supervisor) reportStopped() {
	if !s.awaitStop {
		return
	}
	down := func(cs *ContainerStatus) bool {
		return cs.State != StateRunning && cs.State != StateStarting && !cs.Pending.Has(OpStop|OpPreStop)
	}
	if s.renewPod {
		if !down(s.st.Infra) {
			return
		}
		for _, cs := range s.st.Containers {
			if !down(cs) {
				return
			}
		}
	} else if !down(s.st.Containers[s.spec.Pod.Main.Name]) {
		return
	}
	s.awaitStop = false
	s.report(podReport{pod: s.spec.Pod.Name, kind: reportStopped, gen: s.gen})
}

// rerun runs a completed job again (why: its recipe changed): it is no longer completed —
// its dependents waiting for it wait for the new run, and it reports its main started,
// ready and completed anew.
func (s *supervisor) rerun(why string) {
	s.st.RerunJob(why)
	s.completed.Store(false)
	for _, k := range []reportKind{reportMainStarted, reportMainReady, reportCompleted} {
		delete(s.sent, k)
	}
}

// reportConverged tells the stack runner once the pod runs its current spec.
func (s *supervisor) reportConverged() {
	if s.convergedGen == s.gen {
		return
	}
	done, failure := Converged(s.spec, s.st)
	if !done {
		return
	}
	s.convergedGen = s.gen
	s.report(podReport{pod: s.spec.Pod.Name, kind: reportConverged, gen: s.gen, failure: failure})
}

// dropRetired forgets the containers no longer in the recipe once they are removed, their
// workers with them: a container of that name added back later is a new one, whose runs
// count from 1 again and get probes and a log reader of their own.
func (s *supervisor) dropRetired() {
	for name, c := range s.st.Containers {
		if c.Retired && c.ID == "" && c.Pending == 0 {
			delete(s.st.Containers, name)
			delete(s.views, name)
			if w := s.workers[name]; w != nil && w.stop != nil {
				w.stop()
			}
			delete(s.workers, name)
		}
	}
}

// applyError is an Apply's failures, in one message; errors.Is sees the errors of those that
// have one (ErrDependencyUnhealthy).
type applyError struct {
	msg  string
	errs []error
}

func (e *applyError) Error() string   { return e.msg }
func (e *applyError) Unwrap() []error { return e.errs }
