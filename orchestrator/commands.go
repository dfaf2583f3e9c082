package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes"
)

// Stack-wide commands (`sidecar restart|stop|start [container…]`): several containers at
// once, in lifecycle order, each one done before the next. Stopping goes main first, then
// the sidecars in reverse order (pods in reverse start order); starting goes the sidecars in
// order, then main (pods in start order), the next one once the one before may be followed
// by the rule of the first start (gatesOpen: started — running, its post-start hook and
// startup probe passed — and ready when it has a ready probe, as a sidecar's gate says);
// restarting stops them all in stopping order, then starts them in starting order. A stopped container stays stopped (no back-off restart, and a
// stopped main does not end the stack) until it is started.

// ResolveContainers reads container names as the command line gives them (MatchContainers):
// "name" (the pod is found when only one pod has a container of that name) or "pod/name",
// a pod named by its name or an alias. Without names it returns every sidecar and main of
// the stack in start order (withInit: nil, every container). Init containers are named only
// withInit (for logs): commands do not apply to them (ErrNotSupported). An unknown name is
// ErrUnknownContainer, with the names there are.
func (o *Orchestrator) ResolveContainers(names []string, withInit bool) ([]ContainerRef, error) {
	o.podsMu.RLock()
	defer o.podsMu.RUnlock()
	if len(names) == 0 {
		if withInit {
			return nil, nil
		}
		var out []ContainerRef
		for _, p := range o.selected {
			for _, c := range append(append([]*recipes.Container(nil), p.Sidecars...), p.Main) {
				out = append(out, ContainerRef{Pod: p.Name, Container: c.Name})
			}
		}
		return out, nil
	}
	multi := len(o.selected) > 1
	var cs []NamedContainer
	var all []string
	for _, p := range o.selected {
		aliases := o.stack.PodAliases(p)
		for _, c := range p.Containers() {
			cs = append(cs, NamedContainer{Pod: p.Name, PodAliases: aliases, Name: c.Name, Role: c.Role})
			if withInit || c.Role != recipes.RoleInit {
				all = append(all, refName(multi, p.Name, c.Name))
			}
		}
	}
	var out []ContainerRef
	seen := map[ContainerRef]bool{}
	for _, n := range names {
		found := MatchContainers(cs, n)
		switch {
		case len(found) == 0:
			return nil, fmt.Errorf("%w %q in stack %s: it has %s", ErrUnknownContainer, n, o.names.Stack, strings.Join(all, ", "))
		case len(found) > 1:
			var which []string
			for _, f := range found {
				which = append(which, f.Ref().String())
			}
			return nil, errorOf(ErrUnknownContainer, "%q is in several pods of stack %s: name one of %s", n, o.names.Stack, strings.Join(which, ", "))
		case found[0].Role == recipes.RoleInit && !withInit:
			return nil, initRunsOnce(n)
		}
		if r := found[0].Ref(); !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}

func refName(multi bool, pod, name string) string {
	if multi {
		return pod + "/" + name
	}
	return name
}

// lifecycleOrder sorts refs in start order (pods in start order, each pod's sidecars in
// order, then main), or in stop order (the reverse) with reverse set.
func (o *Orchestrator) lifecycleOrder(refs []ContainerRef, reverse bool) []ContainerRef {
	o.podsMu.RLock()
	pos := map[ContainerRef]int{}
	n := 0
	for _, p := range o.selected {
		for _, c := range p.Containers() {
			pos[ContainerRef{Pod: p.Name, Container: c.Name}] = n
			n++
		}
	}
	o.podsMu.RUnlock()
	out := append([]ContainerRef(nil), refs...)
	sort.SliceStable(out, func(i, j int) bool {
		if reverse {
			return pos[out[i]] > pos[out[j]]
		}
		return pos[out[i]] < pos[out[j]]
	})
	return out
}

// CommandContainers restarts, stops or starts refs in lifecycle order (see above). Without
// wait it hands the commands to the pods and returns; with wait it returns once each is done
// — stopped; or started as the next start waits for it (ContainerView.GateOpen) — or with
// the first that failed: a container that exited after it was started (it is restarted with
// back-off).
func (o *Orchestrator) CommandContainers(ctx context.Context, cmd Command, refs []ContainerRef, wait bool) error {
	return o.CommandContainersFor(ctx, cmd, refs, wait, "")
}

// CommandContainersFor is CommandContainers for a command that is not a user's: why says who
// gives it and why ("restarted by watch: conf/proxy.conf changed"), the reason of every stop
// and start it makes, where a user's says "stopped by user".
func (o *Orchestrator) CommandContainersFor(ctx context.Context, cmd Command, refs []ContainerRef, wait bool, why string) error {
	if !wait {
		order := o.lifecycleOrder(refs, cmd == CmdStop)
		for _, r := range order {
			if err := o.commandFor(r.Pod, r.Container, cmd, why); err != nil {
				return err
			}
		}
		return nil
	}
	if cmd == CmdRestart && why == "" {
		why = "restart requested by user" // its stop, then its start: not a user's stop
	}
	sub := o.SubscribeWith(SubscribeOptions{NoLogs: true})
	defer sub.Close()
	w := &commandWait{o: o, sub: sub, why: why}
	if cmd == CmdStop || cmd == CmdRestart {
		for _, r := range o.lifecycleOrder(refs, true) {
			if err := w.stop(ctx, r); err != nil {
				return err
			}
		}
	}
	if cmd == CmdStart || cmd == CmdRestart {
		for _, r := range o.lifecycleOrder(refs, false) {
			if err := w.start(ctx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// commandWait follows the stack's view while commands take effect.
type commandWait struct {
	o    *Orchestrator
	sub  *Subscription
	view StackView
	why  string // who gives the commands and why ("": a user)
}

func (w *commandWait) container(r ContainerRef) (ContainerView, bool) {
	if p := w.view.Pod(r.Pod); p != nil {
		if c := p.Container(r.Container); c != nil {
			return *c, true
		}
	}
	return ContainerView{}, false
}

// until reads the stream until cond holds of r's view.
func (w *commandWait) until(ctx context.Context, r ContainerRef, cond func(ContainerView) (bool, error)) error {
	for {
		for _, ev := range w.sub.TryNext() {
			w.view.Apply(ev)
		}
		if c, ok := w.container(r); ok {
			if done, err := cond(c); done || err != nil {
				return err
			}
		}
		evs, err := w.sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("stack %s ended before %s was done", w.o.names.Stack, r.Container)
		}
		if err != nil {
			return err
		}
		for _, ev := range evs {
			w.view.Apply(ev)
		}
	}
}

func (w *commandWait) stop(ctx context.Context, r ContainerRef) error {
	if err := w.o.commandFor(r.Pod, r.Container, CmdStop, w.why); err != nil {
		return err
	}
	return w.until(ctx, r, func(c ContainerView) (bool, error) {
		switch c.State {
		case CStateRunning, CStateStarting, CStateStopping, CStateBackoff:
			return false, nil
		}
		return true, nil
	})
}

func (w *commandWait) start(ctx context.Context, r ContainerRef) error {
	for _, ev := range w.sub.TryNext() {
		w.view.Apply(ev)
	}
	before, _ := w.container(r)
	if err := w.o.commandFor(r.Pod, r.Container, CmdStart, w.why); err != nil {
		return err
	}
	return w.until(ctx, r, func(c ContainerView) (bool, error) {
		switch {
		case c.State == CStateRunning:
			return c.GateOpen, nil
		case (c.State == CStateExited || c.State == CStateBackoff) && c.StartedAt.After(before.StartedAt):
			code := 0
			if c.ExitCode != nil {
				code = *c.ExitCode
			}
			return true, fmt.Errorf("%s %s after it was started: it is restarted with back-off (sidecar logs %s says why)",
				c.Name, fmtExitVerb(code, c.OOMKilled), c.Name)
		}
		return false, nil
	})
}
