package recipes

// Pod planning for compose files: which services form a pod, which of them is main, which are
// sidecars and init containers, and in which order. It is pure: it sees only names, namespace
// links, depends_on and x-sidecar roles, so its rules can be tested on their own. The rules are
// documented in docs/import.md; keep the two in step.

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// depends_on conditions.
const (
	composeStarted   = "service_started"
	composeHealthy   = "service_healthy"
	composeCompleted = "service_completed_successfully"
)

// x-sidecar roles.
const (
	composeRoleMain    = "main"
	composeRoleSidecar = "sidecar"
	composeRoleInit    = "init"
	composeRoleInfra   = "infra"
)

// composeSvc is what the planner knows about one service.
type composeSvc struct {
	Name string
	// NS is the service whose network namespace this one joins (network_mode service:NS or
	// container:NS resolved to a service), or "".
	NS string
	// Deps is depends_on in file order.
	Deps []composeDep
	// Role is the x-sidecar role, or "" when the planner decides.
	Role string
	// Infra marks a pause-style namespace holder (x-sidecar role infra, or a pause image): the
	// pod's own infra container replaces it.
	Infra bool
	// Pod is the x-sidecar pod name, or "".
	Pod string
	// Proxy marks a well-known proxy, VPN or agent image (isKnownSidecar): main is another
	// service of the pod when there is one.
	Proxy bool
	// Job is the x-sidecar job setting (nil: the planner decides); OneShot is set when the
	// service says restart: "no".
	Job     *bool
	OneShot bool
}

type composeDep struct {
	On        string
	Condition string
	Required  bool
}

type composePod struct {
	Name string
	// Owner is the service that owns the pod's network namespace.
	Owner string
	// Infra is true when Owner is a pause-style container that is not imported.
	Infra    bool
	Main     string
	Sidecars []string // start order
	Init     []string // run order
	// DependsOn lists the pods this one waits for, sorted, each with the depends_on entry
	// that brought it in.
	DependsOn []composePodDep
	// Job is set when the pod runs to completion without ending the stack (see jobs).
	Job bool
}

// composePodDep is a pod dependency and where it came from.
type composePodDep struct {
	Pod string
	Svc string // the service whose depends_on names a service of Pod
	On  string // that depends_on entry
}

// composeNote is a problem or a warning about one service, placed under services.<Svc>; a
// warning's message follows the field's path.
type composeNote struct {
	Svc     string
	Field   []string // path below services.<Svc>, e.g. ["depends_on", "db"]
	Message string
	Hint    string
	Problem bool
}

// composePlan groups services into pods and decides every service's role and order.
func composePlan(svcs []composeSvc) ([]composePod, []composeNote) {
	p := &composePlanner{byName: map[string]*composeSvc{}, order: map[string]int{}}
	for i := range svcs {
		s := &svcs[i]
		p.byName[s.Name] = s
		p.order[s.Name] = i
	}

	// Namespace links: unknown targets and loops are problems; such services plan alone.
	groups := map[string][]string{}
	var roots []string
	groupOf := map[string]string{}
	for _, s := range svcs {
		if s.NS != "" && p.byName[s.NS] == nil {
			p.note(s.Name, []string{"network_mode"}, true,
				"name a service of this file, or remove network_mode",
				"network_mode joins the namespace of %q, which is not a service of this file", s.NS)
		}
		chain, at := p.nsChain(s.Name)
		r := chain[len(chain)-1]
		if at >= 0 {
			r = s.Name
			if members := p.nsLoop(chain[at:]); members[0] == s.Name {
				p.note(s.Name, []string{"network_mode"}, true,
					"one service of the group must own the namespace (no network_mode)",
					"network_mode links form a loop: %s", strings.Join(append(members, s.Name), " → "))
			}
		}
		if _, seen := groups[r]; !seen {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], s.Name)
		groupOf[s.Name] = r
	}
	sort.SliceStable(roots, func(i, j int) bool { return p.order[roots[i]] < p.order[roots[j]] })

	var pods []composePod
	podOf := map[string]string{} // service → pod name, for services that are imported
	for _, r := range roots {
		pod, ok := p.planGroup(r, groups[r])
		if !ok {
			continue
		}
		for _, m := range groups[r] {
			podOf[m] = pod.Name
		}
		pods = append(pods, pod)
	}

	// Dependencies between pods, and depends_on entries naming unknown services.
	for i := range pods {
		pod := &pods[i]
		deps := map[string]composePodDep{}
		for _, m := range groups[pod.Owner] {
			s := p.byName[m]
			for _, d := range s.Deps {
				target := p.byName[d.On]
				if target == nil {
					if d.Required {
						p.note(m, []string{"depends_on", d.On}, true,
							"declare that service, or mark the dependency required: false",
							"depends_on names %q, which is not a service of this file", d.On)
					}
					continue
				}
				if groupOf[d.On] == pod.Owner {
					continue // inside the pod: handled by planGroup
				}
				other, ok := podOf[d.On]
				if !ok {
					continue // a service that is not imported (reported where it is)
				}
				if _, dup := deps[other]; !dup {
					deps[other] = composePodDep{Pod: other, Svc: m, On: d.On}
				}
			}
		}
		pod.DependsOn = slices.SortedFunc(maps.Values(deps), func(a, b composePodDep) int { return strings.Compare(a.Pod, b.Pod) })
	}
	p.jobs(pods, groups, podOf)
	return pods, p.notes
}

// nsChain follows namespace links from service name: name, the service whose namespace it
// joins, and so on, to the service that owns the namespace. A link to an unknown service
// ends the chain (that link is reported on its own); loop is the index of the service the
// chain runs back into, or -1.
func (p *composePlanner) nsChain(name string) (chain []string, loop int) {
	for cur := name; p.byName[cur] != nil; cur = p.byName[cur].NS {
		if i := slices.Index(chain, cur); i >= 0 {
			return chain, i
		}
		chain = append(chain, cur)
	}
	return chain, -1
}

// nsAncestor reports whether anc (not svc) owns, directly or through other services, the
// namespace that svc joins.
func (p *composePlanner) nsAncestor(svc, anc string) bool {
	chain, _ := p.nsChain(svc)
	return slices.Contains(chain[1:], anc)
}

type composePlanner struct {
	byName map[string]*composeSvc
	order  map[string]int
	notes  []composeNote
}

func (p *composePlanner) note(svc string, field []string, problem bool, hint, format string, args ...any) {
	p.notes = append(p.notes, composeNote{Svc: svc, Field: field, Message: fmt.Sprintf(format, args...), Hint: hint, Problem: problem})
}

// jobs decides which pods are jobs: they run to completion, the pods that depend on them
// start once they have, and the stack goes on. A pod is a job when a service of it says so
// (x-sidecar job); else when services of other pods wait for its main with
// service_completed_successfully, or its main says restart: "no", and no other pod waits
// for it to start or be healthy (they would wait for its completion).
func (p *composePlanner) jobs(pods []composePod, groups map[string][]string, podOf map[string]string) {
	for i := range pods {
		pod := &pods[i]
		completed, started := "", ""
		for _, s := range p.byName {
			for _, d := range s.Deps {
				switch {
				case podOf[d.On] != pod.Name || podOf[s.Name] == pod.Name:
				case d.Condition == composeCompleted && d.On == pod.Main:
					completed = s.Name
				case d.Condition != composeCompleted && (started == "" || p.order[s.Name] < p.order[started]):
					started = s.Name
				}
			}
		}
		pod.Job = (completed != "" || p.byName[pod.Main].OneShot) && started == ""
		for _, m := range groups[pod.Owner] {
			if j := p.byName[m].Job; j != nil {
				pod.Job = *j
			}
		}
		if completed != "" && !pod.Job {
			why := started + " waits for it to start"
			if started == "" {
				why = "its x-sidecar says job: false"
			}
			p.note(completed, []string{"depends_on", pod.Main}, false, "",
				"%s waits for %s to complete, but %s, so pod %s is a service, not a job: %s waits for its main to be ready",
				completed, pod.Main, why, pod.Name, completed)
		}
	}
}

// nsLoop returns the services of a namespace loop starting with the first of them in file
// order.
func (p *composePlanner) nsLoop(loop []string) []string {
	first := 0
	for j, n := range loop {
		if p.order[n] < p.order[loop[first]] {
			first = j
		}
	}
	return append(slices.Clone(loop[first:]), loop[:first]...)
}

// planGroup plans the services that share owner's namespace. ok is false when the group
// produces no pod.
func (p *composePlanner) planGroup(owner string, group []string) (composePod, bool) {
	pod := composePod{Name: owner, Owner: owner, Infra: p.byName[owner].Infra}
	in := map[string]bool{}
	var members []string
	for _, m := range group {
		s := p.byName[m]
		if m != owner && (s.Infra || s.Role == composeRoleInfra) {
			p.note(m, []string{"x-sidecar", "role"}, true,
				"only the service that owns the namespace (the one the others name in network_mode) can be the infra container",
				"service %s joins the namespace of %s, so it cannot be the pod's infra container", m, owner)
			continue
		}
		if m == owner && pod.Infra {
			continue
		}
		in[m] = true
		members = append(members, m)
	}
	if len(members) == 0 {
		if pod.Infra {
			p.note(owner, nil, false, "",
				"%s only holds a network namespace that no service joins; sidecar's own infra container does that job, so it is not imported", owner)
		}
		return pod, false
	}

	// The pod's name: x-sidecar pod on any member (they must agree), else the owner's name.
	for _, m := range group {
		s := p.byName[m]
		if s.Pod == "" {
			continue
		}
		if pod.Name != owner && pod.Name != s.Pod {
			p.note(m, []string{"x-sidecar", "pod"}, true, "give every service of the pod the same x-sidecar pod name, or set it on one only",
				"x-sidecar pod %q disagrees with %q set on another service of the same pod", s.Pod, pod.Name)
			continue
		}
		pod.Name = s.Pod
	}

	// A dependency loop inside the pod makes any order wrong: report it and stop here.
	var loop []string
	cycles(members, func(n string) []string { return p.on(n, in) }, func(c []string) bool { loop = c; return true })
	if loop != nil {
		p.note(loop[0], []string{"depends_on", loop[1]}, true, "remove one of these depends_on entries",
			"depends_on forms a loop: %s", strings.Join(loop, " → "))
		return pod, false
	}

	role := map[string]string{}
	for _, m := range members {
		role[m] = p.byName[m].Role
	}
	// Init containers: explicit ones, and every service another member waits on with
	// service_completed_successfully.
	for _, m := range members {
		for _, d := range p.byName[m].Deps {
			if in[d.On] && d.Condition == composeCompleted && role[d.On] == "" {
				role[d.On] = composeRoleInit
			}
		}
	}
	// Main: the one marked main; else the only leaf of depends_on among the candidates; else
	// the namespace owner when it is one of the leaves; else the first leaf, with a warning.
	mains := slices.DeleteFunc(slices.Clone(members), func(m string) bool { return role[m] != composeRoleMain })
	for _, extra := range mains[min(1, len(mains)):] {
		p.note(extra, []string{"x-sidecar"}, true, "mark only one service of the pod as main",
			"services %s and %s of pod %s are both marked main", mains[0], extra, pod.Name)
	}
	if len(mains) > 0 {
		pod.Main = mains[0]
	} else {
		pod.Main = p.chooseMain(pod.Name, owner, members, role, in)
		if pod.Main == "" {
			p.note(owner, nil, true, "mark the main service with x-sidecar: {role: main}",
				"pod %s has no service that can be main: every service of it is an init container or a sidecar", pod.Name)
			return pod, false
		}
		role[pod.Main] = composeRoleMain
	}
	var sidecars, inits []string
	for _, m := range members {
		switch role[m] {
		case composeRoleMain:
		case composeRoleInit:
			inits = append(inits, m)
		default:
			role[m] = composeRoleSidecar
			sidecars = append(sidecars, m)
		}
	}
	pod.Sidecars = p.topo(sidecars)
	pod.Init = p.topo(inits)
	p.checkDeps(pod, members, in, role)
	return pod, true
}

// supports reports whether m's dependency d says that d.On supports m, for the choice of
// main: a plain service_started dependency on a service whose namespace m joins only
// restates network_mode (compose adds it by itself), so it does not count.
func (p *composePlanner) supports(m string, d composeDep) bool {
	return !(d.Condition == composeStarted && p.nsAncestor(m, d.On))
}

func (p *composePlanner) chooseMain(pod, owner string, members []string, role map[string]string, in map[string]bool) string {
	cand := map[string]bool{}
	var cands []string
	for _, m := range members {
		if role[m] == "" {
			cand[m] = true
			cands = append(cands, m)
		}
	}
	// A well-known proxy, VPN or agent is a sidecar when another service can be main.
	if apps := slices.DeleteFunc(slices.Clone(cands), func(m string) bool { return p.byName[m].Proxy }); len(apps) > 0 && len(apps) < len(cands) {
		for _, m := range cands {
			cand[m] = !p.byName[m].Proxy
		}
		cands = apps
	}
	supported := map[string]bool{}
	for _, m := range cands {
		for _, d := range p.byName[m].Deps {
			if cand[d.On] && d.On != m && p.supports(m, d) {
				supported[d.On] = true
			}
		}
	}
	leaves := slices.DeleteFunc(slices.Clone(cands), func(m string) bool { return supported[m] })
	switch {
	case len(leaves) == 0:
		return ""
	case len(leaves) == 1:
		return leaves[0]
	}
	if slices.Contains(leaves, owner) {
		return owner
	}
	p.note(leaves[0], nil, false, "", "pod %s could have %s as main; %s, the first in the file, was chosen: mark the right one with x-sidecar: {role: main}",
		pod, strings.Join(leaves, ", "), leaves[0])
	return leaves[0]
}

// checkDeps warns about dependencies inside the pod that the pod's fixed order (init, then
// sidecars in order, then main) cannot honour.
func (p *composePlanner) checkDeps(pod composePod, members []string, in map[string]bool, role map[string]string) {
	for _, m := range members {
		for _, d := range p.byName[m].Deps {
			if !in[d.On] || d.On == m {
				continue
			}
			implied := d.Condition == composeStarted && p.nsAncestor(m, d.On)
			field := []string{"depends_on", d.On}
			switch {
			case d.Condition == composeCompleted && role[d.On] != composeRoleInit:
				p.note(m, field, false, "",
					"%s is %s of pod %s, not an init container, so nothing waits for it to complete; the dependency is ignored", d.On, roleWord(role[d.On]), pod.Name)
			case implied:
			case role[m] == composeRoleSidecar && role[d.On] == composeRoleMain:
				p.note(m, field, false, "",
					"%s is main of pod %s, which starts after every sidecar; the dependency is ignored", d.On, pod.Name)
			case role[m] == composeRoleInit && role[d.On] != composeRoleInit:
				p.note(m, field, false, "",
					"init containers run before the sidecars and main of pod %s; the dependency is ignored", pod.Name)
			}
		}
	}
}

func roleWord(role string) string {
	if role == composeRoleMain {
		return "the main container"
	}
	return "a sidecar"
}

// on lists the services n's depends_on names that are in members (all of them, for nil).
func (p *composePlanner) on(n string, members map[string]bool) []string {
	var out []string
	for _, d := range p.byName[n].Deps {
		if members == nil || members[d.On] {
			out = append(out, d.On)
		}
	}
	return out
}

// topo orders names so that every service comes after those it depends on (among names),
// keeping file order where depends_on does not decide.
func (p *composePlanner) topo(names []string) []string {
	return depOrder(names, func(n string) string { return n }, func(n string) []string { return p.on(n, nil) })
}
