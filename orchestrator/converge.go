package orchestrator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// Converging a running pod onto a changed recipe (`up` of a running stack, Apply).
//
// Every container carries its config hash (Labels.ConfigHash): for an app container a hash of
// its create spec's hash and of the ID of the image it was created from, so that an image
// rebuilt under the same tag is a change; for the infra container the hash of what it owns
// (ports, hostname, network, namespaces, …). The pod's status records the hash each container
// was created with; the desired hash is the spec's. The planner compares the two:
//
//   - an infra container or an init container whose hash changed makes the whole pod be
//     re-created: members stopped in teardown order within one pod budget, everything removed,
//     then the pod starts again from its infra container (init containers run before the
//     sidecars, so running one again means starting the pod over);
//   - a sidecar or main whose hash changed is replaced — stopped, removed, created from the
//     new recipe and started — one at a time in start order: a replaced sidecar is started
//     (and ready, when it has a ready probe) before the next replacement begins, and main
//     comes last. The other containers, the infra container and the network are not touched;
//   - a container no longer in the recipe is stopped and removed; a new one is created and
//     started.
//
// The decision is the planner's (planRecreatePod, planReplace), from the spec and the status
// alone; PlanConverge says it in words for the user. Actions that replace carry Replace, so
// that the transitions take the container's exit and removal for what they are: not a crash
// to restart after back-off, not a lost infra container.

// Hashes returns the desired config hashes of the pod's containers (InfraName for the infra
// container), computed once.
func (s *PodSpec) Hashes() map[string]string {
	if s.hashes != nil {
		return s.hashes
	}
	h := map[string]string{InfraName: s.InfraSpec().Labels[keyConfigHash]}
	for _, c := range s.Pod.Containers() {
		h[c.Name] = s.desiredAppHash(c)
	}
	s.hashes = h
	return h
}

// Hash is the desired config hash of one container of the pod.
func (s *PodSpec) Hash(name string) string {
	if s.hashes != nil {
		return s.hashes[name]
	}
	if name == InfraName {
		return s.InfraSpec().Labels[keyConfigHash]
	}
	if c := s.Pod.Container(name); c != nil {
		return s.desiredAppHash(c)
	}
	return ""
}

// desiredAppHash is an app container's config hash: its create spec's, with the image's ID.
func (s *PodSpec) desiredAppHash(c *recipes.Container) string {
	h := s.ContainerSpec(c, "").Labels[keyConfigHash]
	if id := s.ImageIDs[c.Image]; id != "" {
		h = ConfigHash([2]string{h, id})
	}
	return h
}

// createSpec is the create spec of app container c, labelled with its desired hash.
func (s *PodSpec) createSpec(c *recipes.Container, infraID string, facts recipes.DownwardFacts) ContainerSpec {
	spec := s.ContainerSpecFor(c, infraID, facts)
	spec.Labels[keyConfigHash] = s.Hash(c.Name)
	return spec
}

// noteCreate records what the container is created from.
func (c *ContainerStatus) noteCreate(spec *PodSpec, a Action) {
	if a.Spec == nil {
		return
	}
	c.Hash, c.CreatedSpec = a.Spec.Labels[keyConfigHash], a.Spec
	if a.Role == recipes.RoleInfra {
		c.CreatedVolumes = spec.EngineVolumes()
	}
	if rc := spec.Pod.Container(a.Target); rc != nil {
		c.Recipe, c.ImageID = rc, spec.ImageIDs[rc.Image]
	}
}

// Reconcile brings the status in line with a pod's new recipe (Apply): containers it adds get
// a status (FreshRun: their first run gates later replacements), those it drops are retired,
// new pod volumes get a status.
func (st *PodStatus) Reconcile(pod *recipes.Pod) {
	for _, c := range pod.Containers() {
		cs := st.Containers[c.Name]
		if cs == nil {
			st.Containers[c.Name] = &ContainerStatus{Name: c.Name, Role: c.Role, FreshRun: 1, Why: "new in the recipe"}
			continue
		}
		cs.Retired, cs.Role = false, c.Role
	}
	for name, cs := range st.Containers {
		if pod.Container(name) == nil {
			cs.Retired = true
		}
	}
	for _, v := range pod.Volumes {
		if st.Volumes[v.Name] == nil {
			st.Volumes[v.Name] = &VolumeStatus{}
		}
		if len(v.Files) > 0 {
			st.Volumes[v.Name].Refill = true // once re-created it is filled with them
		}
	}
}

// retired returns the containers no longer in the recipe in the order they stop in, as a
// pod's teardown has it: a main first, then the sidecars in reverse of their start order,
// then init containers (by name where the order is not known: a container adopted from the
// engine).
func (st *PodStatus) retired() []*ContainerStatus {
	var out []*ContainerStatus
	for _, c := range st.Containers {
		if c.Retired {
			out = append(out, c)
		}
	}
	rank := func(r recipes.Role) int {
		switch r {
		case recipes.RoleMain:
			return 0
		case recipes.RoleSidecar:
			return 1
		}
		return 2
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rank(a.Role), rank(b.Role); ra != rb {
			return ra < rb
		}
		if oa, ob := a.startOrder(), b.startOrder(); oa != ob {
			return oa > ob
		}
		return a.Name < b.Name
	})
	return out
}

// startOrder is the container's position in its pod's start order when it was created (its
// order label), -1 when unknown.
func (c *ContainerStatus) startOrder() int {
	if c.CreatedSpec == nil {
		return -1
	}
	n, err := strconv.Atoi(c.CreatedSpec.Labels[keyOrder])
	if err != nil {
		return -1
	}
	return n
}

// replaced records that a container stopped and removed for Replace is gone: an app container
// is created again as a new one (restarts from 0) and started at once unless the user holds
// it; a removed infra container starts the pod over (at once: it was not lost).
func (st *PodStatus) replaced(c *ContainerStatus, now time.Time) {
	c.Replacing = false
	if c.Role == recipes.RoleInfra {
		st.Recreating, st.InfraLost, st.RecreateStart = true, strings.TrimPrefix(c.Why, recreatePrefix), time.Time{}
		if st.InfraLost == "" {
			st.InfraLost = "its recipe changed"
		}
		// Re-created on purpose, not lost: its restarts start from 0, as its members' do.
		c.CrashCount, c.ExitedAt, c.Restarts, c.StartedAt = 0, now, 0, time.Time{}
		for _, m := range st.Containers {
			m.Restarts, m.StartedAt, m.FreshRun, m.FreshWhy = 0, time.Time{}, m.Attempt+1, "its pod was re-created: "+st.InfraLost
		}
		return
	}
	c.Runs, c.CrashCount, c.Restarts, c.StartedAt = 0, 0, 0, time.Time{}
	c.FreshRun, c.FreshWhy = c.Attempt+1, strings.TrimPrefix(c.Why, "replace: ")
	if !c.Held && !c.Retired {
		c.StartNow, c.StartReason = true, "re-created: "+strings.TrimPrefix(c.Why, "replace: ")
	}
}

// fresh reports whether c is a container Apply created (or is creating) whose first run has
// not been started yet: running, and ready when it has a ready probe (a sidecar as its
// gate says, see gatesOpen). A first run that ended, or a container the
// user holds, no longer counts.
func fresh(c *recipes.Container, cs *ContainerStatus) bool {
	if cs.FreshRun == 0 || cs.Held || cs.Attempt > cs.FreshRun {
		return false
	}
	if cs.Attempt < cs.FreshRun {
		return true
	}
	return (cs.State == StateRunning || cs.State == StateStarting) && !gatesOpen(c, cs)
}

// outdated says why container c no longer runs its recipe ("" when it does): the fields of
// the recipe that changed, or its image when only the image was rebuilt.
func outdated(spec *PodSpec, c *recipes.Container, cs *ContainerStatus) string {
	if cs.ID == "" || cs.Hash == "" || cs.Hash == spec.Hash(c.Name) {
		return ""
	}
	if fields := changedFields(creationRecipe(cs.Recipe), creationRecipe(c)); len(fields) > 0 {
		return strings.Join(inputTerms(spec.Stack, fields), ", ") + " changed"
	}
	if id := spec.ImageIDs[c.Image]; cs.ImageID != "" && id != cs.ImageID {
		return fmt.Sprintf("image %s was rebuilt (%s → %s)", c.Image, shortImageID(cs.ImageID), shortImageID(id))
	}
	return "its configuration changed"
}

// inputTerms names the recipe's fields as the file the stack came from names them: a
// Kubernetes manifest's command is the recipe's entrypoint, its args the recipe's command
// (a compose file and a recipe name them alike).
func inputTerms(st *recipes.Stack, fields []string) []string {
	if sourceKind(st) != recipes.SourceKube {
		return fields
	}
	kube := map[string]string{"entrypoint": "command", "command": "args"}
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f
		if k, ok := kube[f]; ok {
			out[i] = k
		}
	}
	sort.Strings(out)
	return out
}

// podOutdated says why the pod must be re-created ("" when it need not): what its infra
// container owns changed, or an init container changed.
func podOutdated(spec *PodSpec, st *PodStatus) string {
	if inf := st.Infra; inf.ID != "" && inf.Hash != "" && inf.Hash != spec.Hash(InfraName) {
		what := "what the infra container owns changed"
		if inf.CreatedSpec != nil {
			if fields := changedFields(infraShape(*inf.CreatedSpec), infraShape(spec.InfraSpec())); len(fields) > 0 {
				what = strings.Join(fields, ", ") + " changed"
			} else if vols := changedFiles(inf.CreatedVolumes, spec.EngineVolumes()); len(vols) > 0 {
				what = "the files of volume " + strings.Join(vols, ", ") + " changed"
			}
		}
		return what
	}
	for _, c := range spec.Pod.Init {
		if why := outdated(spec, c, st.Containers[c.Name]); why != "" {
			return "init container " + c.Name + ": " + why
		}
	}
	return ""
}

// infraShape is what of an infra container's create spec a user changes, named as they know
// it (the labels and mounts follow from the rest).
func infraShape(s ContainerSpec) any {
	return struct {
		Image    string         `json:"infra image"`
		Hostname string         `json:"hostname"`
		Ports    []recipes.Port `json:"ports"`
		Network  string         `json:"network"`
		Mounts   []MountSpec    `json:"volumes"`
	}{s.Image, s.Hostname, s.Ports, s.Network, s.Mounts}
}

// changedFiles names the volumes of both lists whose files differ.
func changedFiles(was, now []*recipes.Volume) []string {
	var out []string
	for _, v := range now {
		for _, w := range was {
			if w.Name == v.Name && !maps.Equal(w.Files, v.Files) {
				out = append(out, v.Name)
			}
		}
	}
	return out
}

// changedFields lists the fields of a and b's JSON forms that differ, by name (nil when
// either is unknown).
func changedFields(a, b any) []string {
	if a == nil || b == nil {
		return nil
	}
	fields := func(v any) map[string]json.RawMessage {
		raw, err := json.Marshal(v)
		m := map[string]json.RawMessage{}
		if err == nil {
			_ = json.Unmarshal(raw, &m)
		}
		return m
	}
	fa, fb := fields(a), fields(b)
	var out []string
	for k, v := range fa {
		if !bytes.Equal(v, fb[k]) {
			out = append(out, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func shortImageID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// planRecreatePod re-creates the pod when what its infra container owns, or an init
// container, changed: the members are stopped in teardown order (main, then the sidecars in
// reverse; those no longer in the recipe with them, see stopOrder), each as any stop is
// (its pre-stop hook, then its stop signal) within what is left of one pod budget counted
// from the first stop (RecreateStart), as a teardown stops them, then removed; then the infra container is stopped and
// removed and the pod starts over from it. It reports whether it planned for the pod.
func planRecreatePod(spec *PodSpec, st *PodStatus, now time.Time, p *Plan) bool {
	why := podOutdated(spec, st)
	if why == "" {
		return false
	}
	// The pod's phase says it (re-creating pod NAME: WHY), once and the same all through.
	p.Phase, p.Reason = PhaseRecreating, why
	if st.StopHold != "" {
		// The pods that depend on this one stop first (see PodStatus.StopHold).
		p.wait(spec.Pod.Main.Name, time.Time{}, st.StopHold)
		return true
	}
	reason := recreatePrefix + why
	// One stop budget for the whole pod, as a teardown has: counted from the first stop.
	deadline := now.Add(spec.Pod.StopGrace.D())
	if !st.RecreateStart.IsZero() {
		deadline = st.RecreateStart.Add(spec.Pod.StopGrace.D())
	}
	for _, c := range stopOrder(spec, st) {
		cs := st.Containers[c.Name]
		if cs.Pending.Has(OpCreate | OpStart | OpStop | OpPreStop) {
			return true
		}
		if cs.State == StateRunning || cs.State == StateStarting {
			if cs.Retired {
				reason = "no longer in the recipe; " + reason
			}
			n := len(p.Actions)
			planConvergeStop(st, c, stopGrace(c, deadline.Sub(now)), deadline, now, reason, p)
			for i := n; i < len(p.Actions); i++ {
				p.Actions[i].PodBudget = true
			}
			return true
		}
	}
	left := false
	for _, cs := range st.sorted(spec) {
		if cs.ID == "" && cs.Pending == 0 {
			continue
		}
		left = true
		if cs.ID != "" && cs.Pending == 0 {
			p.act(Action{Kind: ActRemove, Target: cs.Name, Role: cs.Role, ID: cs.ID, Reason: reason, Replace: true})
		}
	}
	switch inf := st.Infra; {
	case left || inf.Pending != 0:
	case inf.State == StateRunning || inf.State == StateStarting:
		// Stopped first, as a member is: it exits on SIGTERM, and its exit is then a stop,
		// not a crash.
		// What is left of the budget, but never so little that its exit becomes a SIGKILL.
		grace := max(deadline.Sub(now), minInfraGrace)
		p.act(Action{Kind: ActStop, Target: InfraName, Role: recipes.RoleInfra, ID: inf.ID, Grace: grace, Reason: reason, Replace: true})
	default:
		p.act(Action{Kind: ActRemove, Target: InfraName, Role: recipes.RoleInfra, ID: inf.ID, Reason: reason, Replace: true})
	}
	return true
}

// recreatePrefix starts the reason of the actions that re-create a pod; the reason the pod's
// phase keeps after its infra container is gone is what follows it.
const recreatePrefix = "re-create the pod: "

// minInfraGrace is the least grace the infra container of a re-created pod is stopped
// with: it exits on SIGTERM at once, and its exit stays a stop (not exited 137) when its
// members used the whole budget.
const minInfraGrace = time.Second

// stopOrder is the order a pod's members stop in when it is re-created or torn down:
// teardownOrder, with the containers no longer in the recipe (by their own recipe) where
// their role puts them — a main with main, sidecars before the recipe's sidecars, init
// containers last.
func stopOrder(spec *PodSpec, st *PodStatus) []*recipes.Container {
	var mains, sides, inits []*recipes.Container
	for _, cs := range st.retired() {
		c := retiredRecipe(cs)
		switch cs.Role {
		case recipes.RoleMain:
			mains = append(mains, c)
		case recipes.RoleInit:
			inits = append(inits, c)
		default:
			sides = append(sides, c)
		}
	}
	order := teardownOrder(spec.Pod)
	out := append([]*recipes.Container{stopRecipe(order[0], st)}, mains...)
	out = append(out, sides...)
	for _, c := range order[1:] {
		out = append(out, stopRecipe(c, st))
	}
	return append(out, inits...)
}

// stopRecipe is the recipe a running container c is stopped by: the one it was created from
// (its pre-stop hook, its grace), when known.
func stopRecipe(c *recipes.Container, st *PodStatus) *recipes.Container {
	if cs := st.Containers[c.Name]; cs != nil && cs.Recipe != nil && cs.Recipe.Name == c.Name {
		return cs.Recipe
	}
	return c
}

// retiredRecipe is the recipe of a container no longer in the recipe: the one it was created
// from, or (a container adopted from the engine) its name and role alone.
func retiredRecipe(cs *ContainerStatus) *recipes.Container {
	if cs.Recipe != nil && cs.Recipe.Name == cs.Name {
		return cs.Recipe
	}
	return &recipes.Container{Name: cs.Name, Role: cs.Role}
}

// planConvergeStop stops c for converging as any stop is (planStop: its pre-stop hook first,
// then its stop signal within its own grace), with Replace set on what it plans.
func planConvergeStop(st *PodStatus, c *recipes.Container, grace time.Duration, deadline, now time.Time, reason string, p *Plan) {
	n := len(p.Actions)
	planStop(st, c, grace, deadline, now, reason, p)
	for i := n; i < len(p.Actions); i++ {
		p.Actions[i].Replace = true
	}
}

// planReplace replaces the sidecars and main whose recipe changed, one at a time in start order: the next waits until
// the one before, once created again, is started as the first start has it (gatesOpen: its
// gate says whether its readiness, or its startup probe, counts).
// A container that is re-created is started by the start-up rules (StartNow).
func planReplace(spec *PodSpec, st *PodStatus, now time.Time, p *Plan) {
	pod := spec.Pod
	waitFor := ""
	for _, c := range append(append([]*recipes.Container(nil), pod.Sidecars...), pod.Main) {
		cs := st.Containers[c.Name]
		why := outdated(spec, c, cs)
		if why == "" && !cs.Replacing {
			if waitFor == "" && fresh(c, cs) {
				waitFor = c.Name
			}
			continue
		}
		if waitFor != "" {
			p.wait(c.Name, time.Time{}, "re-created once "+waitFor+" is started")
			return
		}
		if c == pod.Main && st.StopHold != "" && why != "" && !cs.Replacing {
			p.wait(c.Name, time.Time{}, st.StopHold) // the pods that depend on this one stop first
			return
		}
		reason := cs.Why
		if why != "" {
			reason = "replace: " + why
		}
		switch {
		case cs.Pending != 0 || p.acts(c.Name):
		case cs.State == StateRunning || cs.State == StateStarting:
			old := stopRecipe(c, st)
			planConvergeStop(st, old, ownGrace(old, pod), time.Time{}, now, reason, p)
		case cs.ID != "":
			p.act(Action{Kind: ActRemove, Target: c.Name, Role: c.Role, ID: cs.ID, Reason: reason, Replace: true})
		}
		return
	}
}

// planRetire stops and removes the containers no longer in the recipe, each as any stop is
// (its pre-stop hook, its own grace), in teardown order (retired): one stop at a time, the
// next once the one before has stopped, as a pod's teardown stops them. One whose stop call
// failed is removed, which kills it.
func planRetire(spec *PodSpec, st *PodStatus, now time.Time, p *Plan) {
	stopping := false // a stop is under way (or a start to be stopped): the next stop waits
	for _, cs := range st.retired() {
		running := cs.State == StateRunning || cs.State == StateStarting
		switch {
		case cs.Pending.Has(OpCreate | OpStart | OpStop | OpPreStop):
			stopping = true
		case cs.Pending != 0 || p.acts(cs.Name):
			stopping = stopping || running
		case running && !cs.StopFailed:
			if !stopping {
				c := retiredRecipe(cs)
				planConvergeStop(st, c, ownGrace(c, spec.Pod), time.Time{}, now, "no longer in the recipe", p)
			}
			stopping = true
		case cs.ID != "":
			p.act(Action{Kind: ActRemove, Target: cs.Name, Role: cs.Role, ID: cs.ID, Reason: "no longer in the recipe", Replace: true})
		}
	}
}

// planNewMain starts a main that Apply added while the pod runs (the recipe renamed its
// main) once the main it replaces, retired, no longer runs: one main at a time.
func planNewMain(st *PodStatus, main *recipes.Container, cs *ContainerStatus, p *Plan) {
	for _, old := range st.retired() {
		if old.Role == recipes.RoleMain && (old.State == StateRunning || old.State == StateStarting || old.Pending.Has(OpStop|OpPreStop)) {
			p.wait(main.Name, time.Time{}, "started once main "+old.Name+" is stopped")
			return
		}
	}
	p.act(startAction(main, cs, "new in the recipe"))
}

// acts reports whether the plan has an action on target already.
func (p *Plan) acts(target string) bool {
	for _, a := range p.Actions {
		if a.Target == target {
			return true
		}
	}
	return false
}

// ChangeKind is what Apply does to a container or a pod.
type ChangeKind int

const (
	ChangeReplace  ChangeKind = iota + 1 // a container is created again from its new recipe
	ChangeAdd                            // a container or pod is new in the recipe
	ChangeRemove                         // a container or pod is no longer in the recipe
	ChangeRecreate                       // the whole pod is created again
)

var changeKindNames = enum[ChangeKind]{names: []string{"", "replace", "add", "remove", "re-create pod"}}

func (k ChangeKind) String() string { return changeKindNames.name(k) }

// Change is one thing Apply does, and why.
type Change struct {
	Kind   ChangeKind
	Pod    string
	Target string // the container ("" for the pod)
	Reason string
}

// String is the change as one line: "replace proxy: env changed".
func (c Change) String() string {
	s := c.Kind.String() + " "
	switch {
	case c.Kind == ChangeRecreate:
		s += c.Pod
	case c.Target == "":
		s = c.Kind.String() + " pod " + c.Pod
	default:
		s += c.Target
	}
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	return s
}

// line is the change as the user reads it: with multi (several pods), a container is named
// pod/container.
func (c Change) line(multi bool) string {
	if multi && c.Target != "" {
		c.Target = c.Pod + "/" + c.Target
	}
	return c.String()
}

// ConvergePlan is what converging a pod onto its spec changes, in the order it happens.
type ConvergePlan struct {
	Pod     string
	Changes []Change
	renews  renewKind // what it takes down and starts again (the supervisor's install says)
	// Rerun: the pod is a job that completed, and its recipe changed: it runs again (its
	// dependents waiting for it wait for the new run). Changes says why, in one change.
	Rerun bool
}

// String is the plan, one change a line; "" when the pod is up to date.
func (cp ConvergePlan) String() string {
	var b strings.Builder
	for _, c := range cp.Changes {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}

// PlanConverge says what converging the pod onto spec changes, from the status: the same
// decisions the planner acts on (planRecreatePod, planReplace), in words. A job pod that
// completed and whose recipe changed in any of these ways runs again, from a new pod: one
// change says it, with what changed ("re-create pod migrate: the job runs again (replace
// migrate: command changed)").
func PlanConverge(spec *PodSpec, st *PodStatus) ConvergePlan {
	cp := planConverge(spec, st)
	if !st.JobDone || len(cp.Changes) == 0 {
		return cp
	}
	whys := make([]string, 0, len(cp.Changes))
	for _, c := range cp.Changes {
		whys = append(whys, c.String())
	}
	return ConvergePlan{Pod: cp.Pod, Rerun: true, Changes: []Change{{Kind: ChangeRecreate, Pod: cp.Pod,
		Reason: "the job runs again (" + strings.Join(whys, "; ") + ")"}}}
}

func planConverge(spec *PodSpec, st *PodStatus) ConvergePlan {
	cp := ConvergePlan{Pod: spec.Pod.Name}
	add := func(kind ChangeKind, target, reason string) {
		cp.Changes = append(cp.Changes, Change{Kind: kind, Pod: spec.Pod.Name, Target: target, Reason: reason})
	}
	recreate := podOutdated(spec, st)
	if recreate != "" {
		add(ChangeRecreate, "", recreate)
	}
	for _, cs := range st.retired() {
		if cs.ID != "" || cs.Pending != 0 {
			add(ChangeRemove, cs.Name, "no longer in the recipe")
		}
	}
	if recreate != "" {
		return cp
	}
	for _, c := range append(append([]*recipes.Container(nil), spec.Pod.Sidecars...), spec.Pod.Main) {
		cs := st.Containers[c.Name]
		switch why := outdated(spec, c, cs); {
		case why != "":
			add(ChangeReplace, c.Name, why)
		case cs.FreshRun == 1 && cs.Attempt == 0 && cs.ID == "" && cs.Pending == 0:
			add(ChangeAdd, c.Name, "new in the recipe")
		}
	}
	return cp
}

// Converged says whether the pod runs its spec: nothing to re-create, replace or remove, the
// containers Apply created started, main started (or held by the user; ready too when it has
// a ready probe and the pod is new, or main is created anew). failure says why a
// container Apply created ended its first run before it was started: converging is over, and
// it did not go well (the container is restarted with back-off as any other). A job pod
// that completed counts as converged, unless it is to run again (its recipe changed).
func Converged(spec *PodSpec, st *PodStatus) (done bool, failure string) {
	if st.JobDone {
		return st.Rerun == "", ""
	}
	if st.Terminating || st.Recreating || podOutdated(spec, st) != "" || len(st.retired()) > 0 {
		return false, ""
	}
	var failed []string
	for _, c := range append(append([]*recipes.Container(nil), spec.Pod.Sidecars...), spec.Pod.Main) {
		cs := st.Containers[c.Name]
		if cs.Replacing || outdated(spec, c, cs) != "" || fresh(c, cs) {
			return false, ""
		}
		if cs.FreshRun > 0 && cs.Attempt == cs.FreshRun && cs.State == StateExited && !cs.Held {
			failed = append(failed, fmt.Sprintf("%s %s after it was created anew (it is restarted with back-off; sidecar logs %s says why)",
				c.Name, fmtExitVerb(cs.ExitCode, cs.OOMKilled), c.Name))
		}
	}
	if len(failed) > 0 {
		return true, strings.Join(failed, "; ")
	}
	main := st.Containers[spec.Pod.Main.Name]
	return st.MainStarted && (main.Held || st.MainSettled || isStarted(spec.Pod.Main, main)), ""
}
