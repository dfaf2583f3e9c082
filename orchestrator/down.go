package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/recipes"
)

// DownOptions tune Down.
type DownOptions struct {
	// Clock drives the stop budgets (nil: the real clock).
	Clock clock.Clock
	// Grace, when set, is every pod's stop budget instead of the one recorded on its infra
	// container (its stop-grace label; the default 30s when absent).
	Grace time.Duration
	// Parallel bounds the removals of the final sweep (default 4).
	Parallel int
	// Events, when set, receives the teardown's events as they happen (container states,
	// warnings such as a container that needed SIGKILL), from one goroutine, in order. Down
	// returns after the last one.
	Events func(Event)
}

// DownResult is what Down found and removed.
type DownResult struct {
	Containers []string // engine names, sorted
	Networks   []string
	Volumes    []string
	// Killed are the containers (pod/container) that needed SIGKILL.
	Killed []string
}

// Empty reports whether Down found nothing of the stack.
func (r DownResult) Empty() bool {
	return len(r.Containers)+len(r.Networks)+len(r.Volumes) == 0
}

// Down tears down everything the engine holds of a stack (every container, network and volume
// labelled with the stack, and nothing else), for when the `up` that ran it is gone (it was
// SIGKILLed) and its recipe may be too. The pods are read back from the labels (roles, start
// order, stop budgets, dependencies) and torn down as a run would be: pods in reverse
// dependency order, and within a pod main first, then the sidecars in reverse order, then any
// init container still running, each with SIGTERM then SIGKILL within the pod's budget; then
// the pod's containers, its infra container and its volumes are removed. What is left after
// that (networks, objects without a pod) is removed last.
//
// Cancelling ctx makes the teardown forced: everything is removed at once, without grace.
// A failure to remove an object is returned (all of them), after everything else was done.
func Down(ctx context.Context, rt Runtime, stack string, opts DownOptions) (DownResult, error) {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	opCtx := context.WithoutCancel(ctx)
	filter := StackFilter(stack)
	cs, err := rt.ListContainers(opCtx, filter)
	if err != nil {
		return DownResult{}, fmt.Errorf("list the containers of stack %s: %w", stack, err)
	}
	vols, err := rt.ListVolumes(opCtx, filter)
	if err != nil {
		return DownResult{}, fmt.Errorf("list the volumes of stack %s: %w", stack, err)
	}
	nets, err := rt.ListNetworks(opCtx, filter)
	if err != nil {
		return DownResult{}, fmt.Errorf("list the networks of stack %s: %w", stack, err)
	}
	var found DownResult
	for _, c := range cs {
		found.Containers = append(found.Containers, c.Name)
	}
	for _, n := range nets {
		found.Networks = append(found.Networks, n.Name)
	}
	for _, v := range vols {
		found.Volumes = append(found.Volumes, v.Name)
	}
	if found.Empty() {
		return found, nil
	}

	st, observed := adoptStack(stack, cs, vols, opts.Grace)
	o := New(rt, st, Options{Clock: opts.Clock, Parallel: opts.Parallel})
	// Each pod starts from what the engine says of its containers, and its views say so
	// before anyone subscribes: the teardown then reports changes from the observed state
	// (running → stopping → stopped), never a container that ran already as started.
	for _, pr := range o.pods {
		pr.sup.st.adopt(pr.spec, observed[pr.spec.Pod.Name])
		pr.sup.seed()
	}
	var watched chan struct{}
	if opts.Events != nil {
		sub := o.SubscribeWith(SubscribeOptions{NoLogs: true})
		watched = make(chan struct{})
		go func() {
			defer close(watched)
			defer sub.Close()
			for {
				evs, err := sub.Next(opCtx)
				if err != nil {
					return // io.EOF: the teardown is over
				}
				for _, ev := range evs {
					opts.Events(ev)
				}
			}
		}()
	}
	killed := o.teardown(ctx)
	errs := o.sweep(opCtx, filter)
	o.out.publish(StackEvent{Stack: stack, Phase: PhaseDone, Reason: "torn down"})
	o.out.close()
	if watched != nil {
		<-watched
	}
	found.Killed = killed
	sort.Strings(found.Containers)
	sort.Strings(found.Networks)
	sort.Strings(found.Volumes)
	return found, errors.Join(errs...)
}

// adoptStack rebuilds the pods of a stack from its engine objects' labels, and what was
// observed of each container, by pod and container name.
func adoptStack(name string, cs []ContainerInfo, vols []Resource, grace time.Duration) (*recipes.Stack, map[string]map[string]ContainerInfo) {
	type member struct {
		c     *recipes.Container
		order int
	}
	pods := map[string]*recipes.Pod{}
	members := map[string][]member{}
	observed := map[string]map[string]ContainerInfo{}
	names := Names{Stack: name}
	podOf := func(pn string) *recipes.Pod {
		if p := pods[pn]; p != nil {
			return p
		}
		p := &recipes.Pod{Name: pn, StopGrace: recipes.Duration(recipes.DefaultPodStopGrace)}
		pods[pn] = p
		observed[pn] = map[string]ContainerInfo{}
		return p
	}
	for _, c := range cs {
		l, err := DecodeLabels(c.Labels)
		pn, cn, role := l.Pod, l.Container, l.Role
		if err != nil || pn == "" || cn == "" || role == recipes.RoleUnknown {
			continue // not a pod's, or labels sidecar did not write: the sweep removes it
		}
		p := podOf(pn)
		if _, dup := observed[pn][cn]; dup {
			continue
		}
		observed[pn][cn] = c
		if role == recipes.RoleInfra {
			if l.StopGrace > 0 {
				p.StopGrace = recipes.Duration(l.StopGrace)
			}
			// The label keeps the names only: the teardown's order needs no more.
			p.DependsOn, p.Job = recipes.DepsOf(l.DependsOn...), l.Job
			continue
		}
		ctr := &recipes.Container{Name: cn, Role: role, Image: c.Image, StopGrace: recipes.Duration(l.StopGrace)}
		order := l.Order
		if !l.HasOrder {
			order = 1 << 20 // made before the label existed: after the labelled ones
		}
		members[pn] = append(members[pn], member{c: ctr, order: order})
	}
	for pn, ms := range members {
		sort.SliceStable(ms, func(i, j int) bool {
			if ms[i].order != ms[j].order {
				return ms[i].order < ms[j].order
			}
			return ms[i].c.Name < ms[j].c.Name
		})
		p := pods[pn]
		for _, m := range ms {
			switch {
			case m.c.Role == recipes.RoleInit:
				p.Init = append(p.Init, m.c)
			case m.c.Role == recipes.RoleMain && p.Main == nil:
				p.Main = m.c
			default:
				m.c.Role = recipes.RoleSidecar
				p.Sidecars = append(p.Sidecars, m.c)
			}
		}
	}
	for _, v := range vols {
		l, _ := DecodeLabels(v.Labels)
		p := pods[l.Pod]
		if p == nil {
			continue // a pod with no container left: the sweep removes its volumes
		}
		prefix := names.prefix(l.Pod)
		if !strings.HasPrefix(v.Name, prefix) {
			continue
		}
		p.Volumes = append(p.Volumes, &recipes.Volume{Name: strings.TrimPrefix(v.Name, prefix)})
	}
	st := &recipes.Stack{Name: name}
	for _, p := range pods {
		if grace > 0 {
			p.StopGrace = recipes.Duration(grace)
		}
		if p.Main == nil {
			// Main was never created: a stand-in that holds no container, so that the pod
			// has the shape the planner expects.
			p.Main = &recipes.Container{Name: "(main)", Role: recipes.RoleMain}
		}
		var deps []recipes.PodDep
		for _, d := range p.DependsOn {
			if pods[d.Pod] != nil {
				deps = append(deps, d)
			}
		}
		p.DependsOn = deps
		sort.Slice(p.Volumes, func(i, j int) bool { return p.Volumes[i].Name < p.Volumes[j].Name })
		st.Pods = append(st.Pods, p)
	}
	sort.Slice(st.Pods, func(i, j int) bool { return st.Pods[i].Name < st.Pods[j].Name })
	return st, observed
}

// teardown tears down adopted pods: each pod's supervisor starts from what was observed,
// already terminating, once every pod depending on it is done. It returns the containers
// that needed SIGKILL.
func (o *Orchestrator) teardown(ctx context.Context) []string {
	opCtx := context.WithoutCancel(ctx)
	force := false
	pending := len(o.pods)
	start := func(pr *podRun) {
		pr.started, pr.terminated = true, true
		now := o.clock.Now()
		pr.sup.opCtx = opCtx
		pr.sup.st.Terminate(force, now)
		go pr.sup.run()
	}
	blocked := func(pr *podRun) bool {
		for _, other := range o.pods {
			if !other.done && other != pr && other.spec.Pod.DependsOnPod(pr.spec.Pod.Name) {
				return true
			}
		}
		return false
	}
	startReady := func() {
		for _, p := range o.selected {
			pr := o.pods[p.Name]
			if !pr.started && (force || !blocked(pr)) {
				start(pr)
			}
		}
	}
	o.stackPhase(PhaseStopping, "tearing down what the engine holds of the stack")
	startReady()
	ctxDone := ctx.Done()
	for pending > 0 {
		select {
		case <-o.reports.Ready():
			for _, m := range o.reports.Take() {
				if r := m.(podReport); r.kind == reportDone {
					o.pods[r.pod].done = true
					pending--
				}
			}
			startReady()
		case <-ctxDone:
			ctxDone = nil
			force = true
			for _, pr := range o.pods {
				if pr.started && !pr.done {
					pr.sup.terminate(true)
				}
			}
			startReady()
		}
	}
	var killed []string
	for _, pv := range o.out.snapshot().Pods {
		for _, c := range pv.Containers {
			if c.Killed {
				killed = append(killed, pv.Name+"/"+c.Name)
			}
		}
	}
	sort.Strings(killed)
	return killed
}

// adopt sets the status of a pod's containers from what the engine says of them.
func (st *PodStatus) adopt(spec *PodSpec, infos map[string]ContainerInfo) {
	set := func(c *ContainerStatus, info ContainerInfo) {
		c.ID = info.ID
		c.StartedAt, c.FinishedAt = info.StartedAt, info.FinishedAt
		switch info.Status {
		case StatusRunning, StatusPaused, StatusRestarting:
			c.State = StateRunning
		case StatusExited, StatusDead:
			c.State, c.ExitCode, c.OOMKilled = StateExited, info.ExitCode, info.OOMKilled
		default:
			c.State = StateCreated
		}
		if !c.StartedAt.IsZero() {
			c.Runs = 1
		}
	}
	for name, info := range infos {
		if c := st.C(name); c != nil {
			set(c, info)
		}
	}
	for _, v := range spec.EngineVolumes() {
		st.Volumes[v.Name].Created = true
	}
}

// sweep removes whatever is still labelled with the stack: containers, then networks, then
// volumes.
func (o *Orchestrator) sweep(ctx context.Context, filter map[string]string) []error {
	var errs []error
	cs, err := o.rt.ListContainers(ctx, filter)
	errs = removeAll(errs, o.stack.Name, "what is left", err, cs, "container", "docker rm -f",
		func(c ContainerInfo) (string, error) { return c.Name, o.rt.RemoveContainer(ctx, c.ID) })
	nets, err := o.rt.ListNetworks(ctx, filter)
	errs = removeAll(errs, o.stack.Name, "the networks", err, nets, "network", "docker network rm",
		func(n Resource) (string, error) { return n.Name, o.rt.RemoveNetwork(ctx, n.Name) })
	vols, err := o.rt.ListVolumes(ctx, filter)
	return removeAll(errs, o.stack.Name, "the volumes", err, vols, "volume", "docker volume rm",
		func(v Resource) (string, error) { return v.Name, o.rt.RemoveVolume(ctx, v.Name) })
}

// removeAll removes each object of one kind that the sweep listed (unless listing them
// failed: listErr), adding to errs every failure but that of an object already gone, each
// with the command that removes the object by hand.
func removeAll[T any](errs []error, stack, listed string, listErr error, objs []T, kind, rm string, remove func(T) (name string, err error)) []error {
	if listErr != nil {
		return append(errs, fmt.Errorf("list %s of stack %s: %w", listed, stack, listErr))
	}
	for _, obj := range objs {
		if name, err := remove(obj); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("remove %s %s: %w (remove it with: %s %s)", kind, name, err, rm, name))
		}
	}
	return errs
}
