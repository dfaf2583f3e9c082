package recipes

// Pod planning for compose files: which services form a pod, which is main, which are sidecars
// and init containers, in which order. Pure (names, namespace links, depends_on, x-sidecar
// roles), so its rules are tested on their own; docs/import.md documents them: keep in step.

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
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
	NS   string       // the service whose network namespace it joins (network_mode), or ""
	Deps []composeDep // depends_on in file order
	Role string       // the x-sidecar role, or "" when the planner decides
	// Infra marks a pause-style namespace holder (x-sidecar role infra, or a pause image): the
	// pod's own infra container replaces it.
	Infra bool
	Pod   string // the x-sidecar pod name, or ""
	// Proxy marks a well-known proxy, VPN or agent image (isKnownSidecar): main is another
	// service of the pod when there is one.
	Proxy   bool
	Job     *bool // x-sidecar job (nil: the planner decides)
	OneShot bool  // restart: "no"
}

type composeDep struct {
	On        string
	Condition string
	Required  bool
	// Across marks a dependency that only orders pods (volumes_from's): dropped when On is in
	// the same pod, where it says nothing about roles or order.
	Across bool
	// X is the condition x-sidecar on the entry gives (the export's), which wins over
	// Condition for the pod dependency; nil when none.
	X *DepCondition
}

type composePod struct {
	Name      string
	Owner     string // the service that owns the pod's network namespace
	Infra     bool   // Owner is a pause-style container, not imported
	Main      string
	Sidecars  []string        // start order
	Init      []string        // run order
	DependsOn []composePodDep // the pods this one waits for, sorted
	Job       bool            // the pod runs to completion without ending the stack (see job)
}

// composePodDep is a pod dependency and where it came from.
type composePodDep struct {
	Pod string
	Svc string // the service whose depends_on names a service of Pod
	On  string // that depends_on entry
	// Condition is what the pod waits for: the strictest of its services' depends_on entries
	// on services of Pod. service_completed_successfully is completed for the main of a job
	// pod, else ready.
	Condition DepCondition
}

// composeNote is a problem or a warning about one service, placed under services.<Svc>.
type composeNote struct {
	Svc     string
	Field   []string // path below services.<Svc>, e.g. ["depends_on", "db"]
	Message string
	Hint    string
	Problem bool
}

type composePlanner struct {
	svcs   []composeSvc
	byName map[string]*composeSvc
	notes  []composeNote
}

func (p *composePlanner) note(svc string, field []string, problem bool, hint, format string, args ...any) {
	p.notes = append(p.notes, composeNote{Svc: svc, Field: field, Message: fmt.Sprintf(format, args...), Hint: hint, Problem: problem})
}

// composePlan groups services into pods and decides every service's role and order.
func composePlan(svcs []composeSvc) ([]composePod, []composeNote) {
	p := &composePlanner{svcs: svcs, byName: map[string]*composeSvc{}}
	for i := range svcs {
		p.byName[svcs[i].Name] = &svcs[i]
	}

	// Namespace links: unknown targets and loops are problems; such services plan alone.
	groups := map[string][]string{} // namespace owner → the services that share its namespace
	for i, s := range svcs {
		if s.NS != "" && p.byName[s.NS] == nil {
			p.note(s.Name, []string{"network_mode"}, true,
				"name a service of this file, or remove network_mode",
				"network_mode joins the namespace of %q, which is not a service of this file", s.NS)
		}
		chain, at := p.nsChain(s.Name)
		owner := chain[len(chain)-1]
		if at >= 0 {
			owner = s.Name
			// A loop is reported once, on its first service in file order.
			if at == 0 && !slices.ContainsFunc(svcs[:i], func(o composeSvc) bool { return slices.Contains(chain, o.Name) }) {
				p.note(s.Name, []string{"network_mode"}, true,
					"one service of the group must own the namespace (no network_mode)",
					"network_mode links form a loop: %s", strings.Join(append(chain, s.Name), " → "))
			}
		}
		groups[owner] = append(groups[owner], s.Name)
	}
	for _, members := range groups {
		for _, m := range members {
			s := p.byName[m]
			s.Deps = slices.DeleteFunc(s.Deps, func(d composeDep) bool { return d.Across && slices.Contains(members, d.On) })
		}
	}

	var pods []composePod
	podOf := map[string]string{} // service → pod name, for services that are imported
	for _, s := range svcs {
		if groups[s.Name] == nil {
			continue
		}
		pod, ok := p.planGroup(s.Name, groups[s.Name])
		if !ok {
			continue
		}
		for _, m := range groups[s.Name] {
			podOf[m] = pod.Name
		}
		pods = append(pods, pod)
	}

	// Jobs first: what a pod dependency waits for depends on whether that pod is one.
	byPod := map[string]*composePod{}
	for i := range pods {
		p.job(&pods[i], groups[pods[i].Owner], podOf)
		byPod[pods[i].Name] = &pods[i]
	}
	// Dependencies between pods (and depends_on entries naming unknown services).
	for i := range pods {
		pod := &pods[i]
		deps := map[string]composePodDep{}
		for _, m := range groups[pod.Owner] {
			for _, d := range p.byName[m].Deps {
				other, imported := podOf[d.On]
				switch {
				case p.byName[d.On] == nil && d.Required:
					p.note(m, []string{"depends_on", d.On}, true,
						"declare that service, or mark the dependency required: false",
						"depends_on names %q, which is not a service of this file", d.On)
				case !imported || slices.Contains(groups[pod.Owner], d.On):
					// not imported (reported where it is), or inside the pod (planGroup's)
				case deps[other].Pod == "":
					deps[other] = composePodDep{Pod: other, Svc: m, On: d.On}
				}
			}
		}
		pod.DependsOn = slices.SortedFunc(maps.Values(deps), func(a, b composePodDep) int { return strings.Compare(a.Pod, b.Pod) })
		for j := range pod.DependsOn {
			pd := &pod.DependsOn[j]
			other := byPod[pd.Pod]
			pd.Condition = DepStarted
			for _, m := range groups[pod.Owner] {
				for _, d := range p.byName[m].Deps {
					if podOf[d.On] != pd.Pod {
						continue
					}
					c := DepReady
					switch {
					case d.X != nil:
						c = *d.X
					case d.Condition == composeStarted:
						c = DepStarted
					case d.Condition == composeCompleted && other.Job && d.On == other.Main:
						c = DepCompleted
					}
					pd.Condition = stricterDep(pd.Condition, c)
				}
			}
		}
	}
	return pods, p.notes
}

// stricterDep is the condition of a and b that waits longer (started < ready < completed).
func stricterDep(a, b DepCondition) DepCondition {
	rank := map[DepCondition]int{DepStarted: 0, DepReady: 1, DepCompleted: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// nsChain follows namespace links from service name to the service that owns the namespace
// (an unknown target ends it); loop is the index of the service it runs back into, or -1.
func (p *composePlanner) nsChain(name string) (chain []string, loop int) {
	for cur := name; p.byName[cur] != nil; cur = p.byName[cur].NS {
		if i := slices.Index(chain, cur); i >= 0 {
			return chain, i
		}
		chain = append(chain, cur)
	}
	return chain, -1
}

// restates reports whether m's dependency d only restates network_mode (compose adds it by
// itself): a plain service_started dependency on a service whose namespace m joins.
func (p *composePlanner) restates(m string, d composeDep) bool {
	chain, _ := p.nsChain(m)
	return d.Condition == composeStarted && slices.Contains(chain[1:], d.On)
}

// job decides whether pod (of the services group) runs to completion, its dependents starting
// once it has: when x-sidecar job says so; else when other pods wait for its main with
// service_completed_successfully, or its main says restart: "no", and no other pod waits for
// it to start or be healthy (they would wait for its completion).
func (p *composePlanner) job(pod *composePod, group []string, podOf map[string]string) {
	completed, started := "", "" // the first service of another pod that waits for either
	for _, s := range p.svcs {
		for _, d := range s.Deps {
			switch {
			case podOf[d.On] != pod.Name || podOf[s.Name] == pod.Name:
			case d.Condition == composeCompleted && d.On == pod.Main:
				completed = cmp.Or(completed, s.Name)
			case d.Condition == composeCompleted:
				// Only a pod's main can be waited for to complete: d.On joins the namespace
				// of pod's main, so it is one of its sidecars or init containers.
				p.note(s.Name, []string{"depends_on", d.On}, false, "",
					"%s waits for %s to complete, but %s shares the namespaces of pod %s, whose main is %s, so %s waits for pod %s to be ready instead: to run %s to completion first, let it reach %s by name rather than through network_mode: service:, and it becomes a pod of its own, run as a job",
					s.Name, d.On, d.On, pod.Name, pod.Main, s.Name, pod.Name, d.On, pod.Owner)
			case d.Condition != composeCompleted:
				started = cmp.Or(started, s.Name)
			}
		}
	}
	pod.Job = (completed != "" || p.byName[pod.Main].OneShot) && started == ""
	for _, m := range group {
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

// planGroup plans the services that share owner's namespace; ok is false for no pod.
func (p *composePlanner) planGroup(owner string, group []string) (composePod, bool) {
	pod := composePod{Name: owner, Owner: owner, Infra: p.byName[owner].Infra}
	var members []string
	for _, m := range group {
		switch {
		case m != owner && p.byName[m].Infra:
			p.note(m, []string{"x-sidecar", "role"}, true,
				"only the service that owns the namespace (the one the others name in network_mode) can be the infra container",
				"service %s joins the namespace of %s, so it cannot be the pod's infra container", m, owner)
		case m != owner || !pod.Infra:
			members = append(members, m)
		}
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
		switch s := p.byName[m]; {
		case s.Pod == "":
		case pod.Name != owner && pod.Name != s.Pod:
			p.note(m, []string{"x-sidecar", "pod"}, true, "give every service of the pod the same x-sidecar pod name, or set it on one only",
				"x-sidecar pod %q disagrees with %q set on another service of the same pod", s.Pod, pod.Name)
		default:
			pod.Name = s.Pod
		}
	}

	// inPod lists the services of the pod that n's depends_on names.
	inPod := func(n string) (on []string) {
		for _, d := range p.byName[n].Deps {
			if slices.Contains(members, d.On) {
				on = append(on, d.On)
			}
		}
		return on
	}
	// A dependency loop inside the pod makes any order wrong: report it and stop here.
	var loop []string
	cycles(members, inPod, func(c []string) bool { loop = c; return true })
	if loop != nil {
		p.note(loop[0], []string{"depends_on", loop[1]}, true, "remove one of these depends_on entries",
			"depends_on forms a loop: %s", strings.Join(loop, " → "))
		return pod, false
	}

	// Roles: x-sidecar's; else init for what a member waits on with service_completed_successfully.
	role := map[string]string{}
	for _, m := range members {
		role[m] = cmp.Or(p.byName[m].Role, role[m])
		for _, d := range p.byName[m].Deps {
			if slices.Contains(members, d.On) && d.Condition == composeCompleted && p.byName[d.On].Role == "" {
				role[d.On] = composeRoleInit
			}
		}
	}
	withRole := func(r string) []string {
		return slices.DeleteFunc(slices.Clone(members), func(m string) bool { return role[m] != r })
	}
	// Main: the one marked main; else the only leaf of depends_on among the candidates; else
	// the namespace owner when it is one of the leaves; else the first leaf, with a warning.
	mains := withRole(composeRoleMain)
	for _, extra := range mains[min(1, len(mains)):] {
		p.note(extra, []string{"x-sidecar"}, true, "mark only one service of the pod as main",
			"services %s and %s of pod %s are both marked main", mains[0], extra, pod.Name)
	}
	if len(mains) > 0 {
		pod.Main = mains[0]
	} else {
		pod.Main = p.chooseMain(pod.Name, owner, withRole(""))
		if pod.Main == "" {
			p.note(owner, nil, true, "mark the main service with x-sidecar: {role: main}",
				"pod %s has no service that can be main: every service of it is an init container or a sidecar", pod.Name)
			return pod, false
		}
		role[pod.Main] = composeRoleMain
	}
	for _, m := range members {
		if role[m] == "" {
			role[m] = composeRoleSidecar
		}
	}
	// Each after those it depends on, else in file order.
	identity := func(n string) string { return n }
	pod.Sidecars = depOrder(withRole(composeRoleSidecar), identity, inPod)
	pod.Init = depOrder(withRole(composeRoleInit), identity, inPod)
	p.checkDeps(pod, members, role)
	return pod, true
}

func (p *composePlanner) chooseMain(pod, owner string, cands []string) string {
	// A well-known proxy, VPN or agent is a sidecar when another service can be main.
	if apps := slices.DeleteFunc(slices.Clone(cands), func(m string) bool { return p.byName[m].Proxy }); len(apps) > 0 {
		cands = apps
	}
	// A dependency that only restates network_mode does not make d.On support m.
	supported := map[string]bool{}
	for _, m := range cands {
		for _, d := range p.byName[m].Deps {
			if d.On != m && slices.Contains(cands, d.On) && !p.restates(m, d) {
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
func (p *composePlanner) checkDeps(pod composePod, members []string, role map[string]string) {
	roleWord := map[string]string{composeRoleMain: "the main container", composeRoleSidecar: "a sidecar"}
	for _, m := range members {
		for _, d := range p.byName[m].Deps {
			if !slices.Contains(members, d.On) || d.On == m {
				continue
			}
			field := []string{"depends_on", d.On}
			switch {
			case d.Condition == composeCompleted && role[d.On] != composeRoleInit:
				p.note(m, field, false, "",
					"%s is %s of pod %s, not an init container, so nothing waits for it to complete; the dependency is ignored", d.On, roleWord[role[d.On]], pod.Name)
			case p.restates(m, d):
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
