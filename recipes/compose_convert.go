package recipes

// From compose-go's services to pods and containers.

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	"k8s.io/utils/ptr"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v3"
)

// composePodGrace is the grace budget docker compose gives pod's running containers: each its
// stop_grace_period, else the engine's default stop timeout, 10s.
func composePodGrace(pod *Pod) Duration {
	var total time.Duration
	for _, ct := range pod.Containers()[len(pod.Init):] { // init containers have ended by then
		total += cmp.Or(ct.StopGrace.D(), 10*time.Second)
	}
	return Duration(total)
}

type composeConv struct {
	*composeImport
	project  *types.Project
	xs       map[string]*composeX
	xNodes   map[string]*yaml.Node
	names    map[string]string   // service → container name
	renamed  map[string]string   // service whose name is not a DNS label → the label
	podNames map[string]string   // planned pod name → pod name
	podOfSvc map[string]string   // service → pod name
	volPods  map[string][]string // named compose volume → pods that use it
	// volX, cfgX: the x-sidecar of top-level volumes and configs (nil: none), read once; cfgs: each config's file
	volX      map[string]*composeTopX[composeXVolume]
	cfgX      map[string]*composeTopX[composeXConfig]
	cfgs      map[string]*composeCfg
	xPort     map[*Container][]placed[Port] // ports a container's x-sidecar lists, where written
	healthyBy map[string]string             // service → the first that waits for it with service_healthy
}

// composeTopX is the x-sidecar of a top-level volume or config, with its node for positions.
type composeTopX[T any] struct {
	x    T
	node *yaml.Node
}

// appendAt appends v to *list, recording at as the position of its entry under key.
func appendAt[T any](pos *Positions, key string, list *[]T, v T, at Position) {
	pos.Set(Field(key, len(*list)), at)
	*list = append(*list, v)
}

func (c *composeImport) svcNode(svc string) *yaml.Node {
	parts := c.hookParts([]string{"services", svc})
	if n, ok := yamlpos.Walk(c.rootOf(parts), parts...); ok {
		return n
	}
	return nil
}

// serviceOrder lists the project's services in file order; services that come from
// elsewhere (include, extends of another file) follow, sorted by name.
func (c *composeImport) serviceOrder(project *types.Project) []string {
	return composeWritten(yamlpos.Value(c.root, "services"), project.Services)
}

// composeWritten lists the keys of m in the order node n names them (its keys, or its scalar
// items), then those it does not name, sorted.
func composeWritten[V any](n *yaml.Node, m map[string]V) []string {
	var names, out []string
	for _, p := range yamlpos.Pairs(n) {
		names = append(names, p.Key.Value)
	}
	for _, item := range yamlpos.Items(n) {
		if v, ok := yamlpos.Scalar(item); ok {
			names = append(names, v)
		}
	}
	for _, name := range append(names, sortedKeys(m)...) {
		if _, ok := m[name]; ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// active is the set of services `docker compose up` would start: those without profiles or
// with an active one (Options.Profiles, else COMPOSE_PROFILES), those named (Options.Services),
// and what they need (depends_on, namespaces), transitively — but for a service scaled to 0,
// which compose never starts (only docker compose run does) and its dependents do not wait for.
func (c *composeImport) active(project *types.Project, order []string) map[string]bool {
	list := c.opts.Profiles
	if list == nil {
		list = strings.Split(c.env["COMPOSE_PROFILES"], ",")
	}
	on := func(p string) bool {
		return p != "" && slices.ContainsFunc(list, func(l string) bool { return strings.TrimSpace(l) == p })
	}
	named := func(name string) bool {
		x, _ := c.serviceX(name)
		return slices.ContainsFunc(c.opts.Services, func(n string) bool {
			return n != "" && (n == name || n == DNSLabel(name) || x != nil && n == x.Pod)
		})
	}
	active := map[string]bool{}
	var need func(string)
	need = func(name string) {
		s, ok := project.Services[name]
		if !ok || active[name] || composeScaledToZero(s) {
			return
		}
		active[name] = true
		for dep := range s.DependsOn {
			need(dep)
		}
		for _, src := range composeVolumesFrom(s) {
			need(src)
		}
		for _, mode := range []string{s.NetworkMode, s.Ipc, s.Pid} {
			if t, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
				need(t)
			}
		}
	}
	for _, name := range order {
		ps := project.Services[name].Profiles
		if len(ps) == 0 || on("*") || slices.ContainsFunc(ps, on) || named(name) {
			need(name)
		}
	}
	for _, name := range order {
		switch s := project.Services[name]; {
		case active[name]:
		case composeScaledToZero(s):
			field := "scale"
			if s.Deploy != nil && s.Deploy.Replicas != nil && *s.Deploy.Replicas == 0 {
				field = "deploy.replicas"
			}
			c.warnAt(fmt.Sprintf("%s is scaled to 0, and docker compose up does not start it (docker compose run does); it is not imported, and the services that depend on it do not wait for it",
				name), append([]string{"services", name}, strings.Split(field, ".")...)...)
		default:
			ps := s.Profiles
			c.warnAt(fmt.Sprintf("%s only runs with profile %s, which is not active; it is not imported: activate it with --profile %s or COMPOSE_PROFILES=%s, or name it: sidecar up %s",
				name, strings.Join(ps, " or "), ps[0], ps[0], DNSLabel(name)), "services", name, "profiles")
		}
	}
	c.imported = active
	return active
}

// composeScaledToZero reports whether service s is scaled to 0 replicas.
func composeScaledToZero(s types.ServiceConfig) bool {
	return s.Scale != nil && *s.Scale == 0 || s.Deploy != nil && s.Deploy.Replicas != nil && *s.Deploy.Replicas == 0
}

func (c *composeImport) convert(project *types.Project, name string) *Stack {
	st := &Stack{Name: name, Dir: c.dir, Source: Source{File: c.file, Kind: SourceCompose}}
	cv := &composeConv{composeImport: c, project: project, xs: map[string]*composeX{}, xNodes: map[string]*yaml.Node{},
		names: map[string]string{}, renamed: map[string]string{}, podNames: map[string]string{}, podOfSvc: map[string]string{},
		volPods: map[string][]string{}, cfgs: map[string]*composeCfg{}, xPort: map[*Container][]placed[Port]{},
		healthyBy: map[string]string{}}
	order := c.serviceOrder(project)
	active := c.active(project, order)
	var svcs []composeSvc
	for _, n := range order {
		if !active[n] {
			continue
		}
		x, xn := c.serviceX(n)
		cv.xs[n], cv.xNodes[n] = x, xn
		svcs = append(svcs, cv.planInput(project.Services[n], x))
		if x != nil && x.Name != "" {
			cv.names[n] = x.Name
		} else {
			cv.names[n] = cv.label(n)
		}
	}
	cv.volX, cv.cfgX = topLevelX(c, "volumes", composeXVolumeFields), topLevelX(c, "configs", composeXConfigFields)
	pods, notes := composePlan(svcs)
	for _, n := range notes {
		parts := append([]string{"services", n.Svc}, n.Field...)
		if n.Problem {
			c.problem(c.keyAt(parts...), n.Message, n.Hint)
			continue
		}
		c.warnAt(n.Message, parts...)
	}
	for _, p := range pods {
		name := p.Name
		if name == p.Owner {
			name = cv.label(p.Owner)
		}
		cv.podNames[p.Name] = name
		for _, m := range composeMembers(p) {
			cv.podOfSvc[m] = name
		}
	}
	for _, p := range pods {
		st.Pods = append(st.Pods, cv.pod(p))
	}
	cv.podAliases(st, pods)
	cv.sayRenamed()
	for _, s := range svcs {
		if _, ok := cv.podOfSvc[s.Name]; !ok && !s.Infra {
			c.lost = true // its pod could not be planned (reported)
		}
	}
	cv.checkXPods(st)
	cv.stackVolumes(st)
	cv.markRejected()
	return st
}

// composeMembers lists the services of pod p: its owner, main, sidecars and init containers.
func composeMembers(p composePod) []string {
	return append(append([]string{p.Owner, p.Main}, p.Sidecars...), p.Init...)
}

// markRejected marks the model fields made from nodes left out (reported) as wrong, so that
// validation does not report them missing: a service left out whole, or its x-sidecar,
// network_mode or extends, marks its container; image and build mark the image.
func (cv *composeConv) markRejected() {
	for _, parts := range cv.rejected {
		if len(parts) < 2 || parts[0] != "services" {
			continue
		}
		pod, ok := cv.podOfSvc[parts[1]]
		if !ok {
			continue
		}
		ck := ContainerKey(pod, cv.names[parts[1]])
		switch {
		case len(parts) == 2 || slices.Contains([]string{"x-sidecar", "network_mode", "extends"}, parts[2]):
			cv.bad[ck] = true
		case parts[2] == "depends_on":
			cv.bad[Field(PodKey(pod), "depends_on")] = true
		case parts[2] == "build":
			cv.bad[Field(ck, "build")] = true
			fallthrough
		case parts[2] == "image":
			cv.bad[Field(ck, "image")] = true
		}
	}
}

// label is service svc's name made a DNS label (renamed notes it, for renames).
func (cv *composeConv) label(svc string) string {
	n := DNSLabel(svc)
	if n == "" || n == svc {
		return svc
	}
	cv.renamed[svc] = n
	return n
}

// sayRenamed warns about each service whose name is not a DNS label, once: a pod it names
// keeps the service's name as an alias (see podAliases), so only the container is renamed.
func (cv *composeConv) sayRenamed() {
	for _, svc := range sortedKeys(cv.renamed) {
		n := cv.renamed[svc]
		msg := fmt.Sprintf("named %s in sidecar, because container names are DNS labels", n)
		switch {
		case cv.podOfSvc[svc] == n && strings.EqualFold(svc, n):
			msg = fmt.Sprintf("named %s in sidecar, because pod and container names are DNS labels; other pods still reach it as %s (DNS ignores case)", n, svc)
		case cv.podOfSvc[svc] == n:
			msg = fmt.Sprintf("named %s in sidecar, because pod and container names are DNS labels; other pods reach it as %s and as %s", n, svc, n)
		}
		cv.warnAt(msg, "services", svc)
	}
}

// podAliases gives each pod the other names docker compose resolves on the project network:
// its namespace owner's service name, its services' container_name and network aliases, and
// the aliases of links to them (db:database). Validation warns about a name two pods have.
func (cv *composeConv) podAliases(st *Stack, pods []composePod) {
	add := func(pod *Pod, name string, at Position) {
		if name == "" || strings.EqualFold(name, pod.Name) || slices.ContainsFunc(pod.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return
		}
		appendAt(cv.pos, Field(PodKey(pod.Name), "aliases"), &pod.Aliases, name, at)
	}
	for _, p := range pods {
		pod := st.Pod(cv.podNames[p.Name])
		if pod == nil {
			continue
		}
		if !p.Infra { // an infra service's name is the export's <pod>-infra: no one dials it
			add(pod, p.Owner, cv.keyAt("services", p.Owner))
		}
		for _, m := range composeMembers(p) { // the owner first
			s := cv.project.Services[m]
			if s.ContainerName != "" {
				if m == p.Owner {
					add(pod, s.ContainerName, cv.at("services", m, "container_name"))
				} else if !cv.said["container_name "+m] {
					cv.said["container_name "+m] = true
					cv.warnAt("sidecar names containers <stack>-<pod>-<container>, and "+m+" joins the namespace of "+p.Owner+", so compose does not resolve it by this name either; ignored", "services", m, "container_name")
				}
			}
			for _, n := range sortedKeys(s.Networks) {
				if cfg := s.Networks[n]; cfg != nil {
					for i, a := range cfg.Aliases {
						add(pod, a, cv.keyAt("services", m, "networks", n, "aliases", strconv.Itoa(i)))
					}
				}
			}
		}
	}
	for _, svc := range cv.serviceOrder(cv.project) {
		if _, ok := cv.podOfSvc[svc]; !ok {
			continue
		}
		links := cv.project.Services[svc].Links
		for i, l := range links {
			target, alias, _ := strings.Cut(l, ":")
			at := cv.itemAt(svc, i, len(links), "links")
			switch pod := st.Pod(cv.podOfSvc[target]); {
			case pod == nil:
				cv.warn(at, "services."+svc+".links", fmt.Sprintf("%s is not a service sidecar imports; the link is ignored", target))
			case alias != "":
				add(pod, alias, at)
			}
		}
	}
}

// planInput is what the planner needs to know about service s.
func (cv *composeConv) planInput(s types.ServiceConfig, x *composeX) composeSvc {
	in := composeSvc{Name: s.Name, Role: x.role(), Proxy: isKnownSidecar(s.Name, s.Image), OneShot: s.Restart == "no"}
	if x != nil {
		in.Pod, in.Job = x.Pod, x.Job
	}
	in.Infra = in.Role == composeRoleInfra || in.Role == "" && composeIsPause(s.Image) // a role written wins
	switch nm := s.NetworkMode; {
	case strings.HasPrefix(nm, types.ServicePrefix):
		in.NS = strings.TrimPrefix(nm, types.ServicePrefix)
	case strings.HasPrefix(nm, types.ContainerPrefix):
		target, order := strings.TrimPrefix(nm, types.ContainerPrefix), cv.serviceOrder(cv.project)
		runs := func(o string) bool { return cmp.Or(cv.project.Services[o].ContainerName, o) == target }
		if i := slices.IndexFunc(order, runs); i >= 0 {
			in.NS = order[i]
		} else {
			cv.problem(cv.at("services", s.Name, "network_mode"),
				fmt.Sprintf("network_mode joins container %q, which no service of this file runs", target),
				"sidecar only joins the namespaces of services it runs: write service:NAME")
		}
	case nm == "" || nm == "bridge" || nm == "default":
	case nm == "host":
		cv.warnAt("the host's network is not joined: the service runs in its pod's own namespace on the stack network", "services", s.Name, "network_mode")
	case nm == "none":
		cv.warnAt("the pod's namespace is on the stack network; none is not honoured", "services", s.Name, "network_mode")
	default:
		cv.warnAt(fmt.Sprintf("%s is not honoured: the service runs in its pod's own namespace on the stack network", nm), "services", s.Name, "network_mode")
	}
	// depends_on in the order written, then the entries that come from elsewhere, sorted.
	for _, n := range composeWritten(yamlpos.Value(cv.svcNode(s.Name), "depends_on"), s.DependsOn) {
		d := s.DependsOn[n]
		if t, ok := cv.project.Services[n]; ok && composeScaledToZero(t) {
			continue // not imported, and compose does not wait for it (said at it)
		}
		dep := composeDep{On: n, Condition: d.Condition, Required: d.Required}
		if x := cv.dependsX(s.Name, n); x != nil {
			dep.X = x.Condition
		}
		in.Deps = append(in.Deps, dep)
		if d.Condition == composeHealthy && cv.healthyBy[n] == "" {
			cv.healthyBy[n] = s.Name
		}
		if d.Restart {
			cv.warnAt("a restart of "+n+" does not restart "+s.Name+"; ignored", "services", s.Name, "depends_on", n, "restart")
		}
		switch d.Condition {
		case composeStarted, composeHealthy, composeCompleted:
		default:
			cv.problem(cv.at("services", s.Name, "depends_on", n, "condition"),
				fmt.Sprintf("unknown depends_on condition %q", d.Condition),
				"use service_started, service_healthy or service_completed_successfully")
		}
	}
	// volumes_from SERVICE: compose starts SERVICE first (a depends_on its normalisation adds);
	// a dependency of the pod when SERVICE is in another (inside one, the pod has the volumes).
	for _, n := range composeVolumesFrom(s) {
		if t, ok := cv.project.Services[n]; ok && !composeScaledToZero(t) && !slices.ContainsFunc(in.Deps, func(d composeDep) bool { return d.On == n }) {
			in.Deps = append(in.Deps, composeDep{On: n, Condition: composeStarted, Required: true, Across: true})
		}
	}
	return in
}

// composeIsPause reports whether image is a pause-style namespace holder, like the
// Kubernetes pause image: its name (no registry, path or tag) is pause, pause-ARCH or
// VENDOR-pause — not any name that holds the word (pausebot).
func composeIsPause(image string) bool {
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	return name == "pause" || strings.HasPrefix(name, "pause-") || strings.HasSuffix(name, "-pause")
}

func (cv *composeConv) pod(p composePod) *Pod {
	pod := &Pod{Name: cv.podNames[p.Name], Job: p.Job}
	pk := PodKey(pod.Name)
	cv.pos.Set(pk, cv.keyAt("services", p.Owner))
	b := &composePodBuild{pod: pod, vols: map[string]*Volume{}, from: map[string]string{}, files: map[string]map[string]string{}, set: map[string]string{}}
	for _, n := range p.Init {
		pod.Init = append(pod.Init, cv.container(b, n, RoleInit))
	}
	for _, n := range p.Sidecars {
		pod.Sidecars = append(pod.Sidecars, cv.container(b, n, RoleSidecar))
	}
	pod.Main = cv.container(b, p.Main, RoleMain)
	// pre_start hooks run before their service: an init container's before it, the others'
	// after the init containers, the sidecars' in their order, then main's.
	var inits []*Container
	for i, n := range p.Init {
		inits = append(append(inits, cv.preStart(b, n)...), pod.Init[i])
	}
	for _, n := range append(slices.Clone(p.Sidecars), p.Main) {
		inits = append(inits, cv.preStart(b, n)...)
	}
	pod.Init = inits
	for _, m := range composeMembers(p) {
		if x := cv.xs[m]; x != nil {
			pod.Namespace, pod.ServiceAccount = cmp.Or(x.Namespace, pod.Namespace), cmp.Or(x.ServiceAccount, pod.ServiceAccount)
			if x.Labels != nil {
				pod.Labels = x.Labels
			}
			if x.Annotations != nil {
				pod.Annotations = x.Annotations
			}
		}
	}
	if p.Infra {
		cv.infra(b, p.Owner)
	} else {
		for _, c := range pod.Containers() { // x-sidecar ports, which no infra service publishes
			if xp := cv.xPort[c]; len(xp) > 0 {
				cv.problem(xp[0].at, fmt.Sprintf("x-sidecar ports lists ports of %s that a pod's infra service publishes, but pod %s has no infra service", c.Name, pod.Name),
					"publish them with ports: on the service that owns the pod's namespace")
			}
		}
	}
	cv.podVolumesFromX(b)
	for _, d := range p.DependsOn {
		at := cv.keyAt("services", d.Svc, "depends_on", d.On)
		appendAt(cv.pos, Field(pk, "depends_on"), &pod.DependsOn, PodDep{Pod: cv.podNames[d.Pod], Condition: d.Condition}, at)
	}
	pod.Volumes = slices.SortedFunc(maps.Values(b.vols), func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
	// The pod's grace budget: x-sidecar stop_grace on its infra service; else what docker
	// compose gives its containers: each its stop_grace_period, else docker's 10s.
	if x := cv.xs[p.Owner]; p.Infra && x != nil && x.StopGrace != nil {
		pod.StopGrace = *x.StopGrace
		cv.recordTree(Field(pk, "stop_grace"), yamlpos.Value(cv.xNodes[p.Owner], "stop_grace"))
	} else {
		pod.StopGrace = composePodGrace(pod)
	}
	return pod
}

// composePodBuild collects a pod's volumes while its containers are converted.
type composePodBuild struct {
	pod   *Pod
	vols  map[string]*Volume
	from  map[string]string            // what made each pod volume (addVolume tells clashes by it)
	files map[string]map[string]string // per pod volume and file, the config it came from
	set   map[string]string            // per setting of the network namespace (hostname, dns…), who gave it
}

// addVolume adds pod volume name, made from what from says, for the mount or declaration at
// `at`, placed there when it is new (isNew); ok is false for a clash with another's (a problem).
func (cv *composeConv) addVolume(b *composePodBuild, name, from string, at Position) (isNew, ok bool) {
	if _, made := b.vols[name]; !made {
		b.vols[name] = &Volume{Name: name}
		b.from[name] = from
		cv.pos.Set(VolumeKey(b.pod.Name, name), at)
		return true, true
	}
	if clash := b.from[name]; clash != from {
		cv.problem(at, fmt.Sprintf("pod %s gets two volumes named %s, from %s and from %s", b.pod.Name, name, clash, from),
			"give one of them another name (x-sidecar: {name: …} on a top-level volume, x-sidecar: {volume: …} on a config)")
		return false, false
	}
	return false, true
}

// container converts service svc into a container of role in the pod being built.
func (cv *composeConv) container(b *composePodBuild, svc string, role Role) *Container {
	s, x := cv.project.Services[svc], cv.xs[svc]
	ct := &Container{Name: cv.names[svc], Role: role, Image: s.Image, Command: s.Command, Entrypoint: s.Entrypoint,
		WorkingDir: s.WorkingDir, User: s.User, Init: ptr.Deref(s.Init, false), TTY: s.Tty}
	if ct.Image == "" && s.Build != nil {
		ct.Image = cv.builtImage(svc)
	}
	ck := ContainerKey(b.pod.Name, ct.Name)
	cv.pos.Set(ck, cv.keyAt("services", svc))
	record := func(field string, path ...string) {
		parts := cv.hookParts(append([]string{"services", svc}, path...))
		if yamlpos.Find(cv.rootOf(parts), parts...) != nil { // an included service's in its file
			cv.pos.Set(Field(ck, field), cv.at(parts...))
		}
	}
	for field, key := range map[string]string{"image": "image", "command": "command", "entrypoint": "entrypoint",
		"workdir": "working_dir", "user": "user", "restart": "restart"} {
		record(field, key)
	}
	if s.Build != nil {
		ct.Build = &Build{Context: cmp.Or(s.Build.Context, "."), Dockerfile: s.Build.Dockerfile,
			DockerfileInline: s.Build.DockerfileInline, Target: s.Build.Target,
			Args: cv.resolve(s.Build.Args)}
		record("build", "build")
		record("build/context", "build", "context")
	}
	if s.StopGracePeriod != nil {
		ct.StopGrace = Duration(*s.StopGracePeriod)
		record("stop_grace", "stop_grace_period")
	}
	ct.Env, ct.EnvFile = cv.environment(svc, s, ck)
	for _, p := range cv.portsAt(svc, s.Ports) {
		appendAt(cv.pos, Field(ck, "ports"), &ct.Ports, p.v, p.at)
	}
	if x != nil {
		cv.xPorts(svc, ct, ck, x)
	}
	expose, xExpose := s.Expose, x != nil && len(x.Expose) > 0
	if xExpose { // in an infra service's pod, the container's own declared ports
		expose = x.Expose
	}
	for _, p := range cv.exposeAt(svc, expose, xExpose) {
		appendAt(cv.pos, Field(ck, "expose"), &ct.Expose, p.v, p.at)
	}
	cv.mounts(b, svc, s, ct, ck)
	cv.configMounts(b, svc, s, ct, ck)
	cv.volumesFrom(b, svc, s, ct, ck)
	cv.engineFields(b, svc, s, ct, ck)
	cv.podFields(b, svc, s)
	switch ct.Ready = cv.healthcheck(svc, s.HealthCheck); {
	case ct.Ready != nil && role == RoleInit:
		if s.HealthCheck != nil {
			cv.warnAt(svc+" is an init container, which runs to completion without a ready probe; the healthcheck is not used", "services", svc, "healthcheck")
		}
		ct.Ready = nil
	case ct.Ready != nil:
		record("ready", "healthcheck")
		record("ready/exec/command", "healthcheck", "test")
	}
	ct.Restart = cv.restart(svc, s.Restart, role, x != nil && x.Restart != RestartDefault)
	if s.Scale != nil && *s.Scale != 1 {
		cv.warnAt(fmt.Sprintf("%d replicas run as one container locally", *s.Scale), "services", svc, "scale")
	}
	switch s.PullPolicy {
	case "", types.PullPolicyMissing, types.PullPolicyIfNotPresent, types.PullPolicyBuild:
	default:
		cv.warnAt("images present locally are used as they are, and missing ones are built or pulled; "+s.PullPolicy+" is not honoured", "services", svc, "pull_policy")
	}
	cv.namespaces(b, svc, s)
	cv.networks(svc, s)
	if x != nil {
		// What x-sidecar sets replaces what compose's fields made, but for hooks: compose's
		// post_start and pre_stop are exec hooks, x-sidecar's the others.
		ct.Ready, ct.Restart = cmp.Or(x.Ready, ct.Ready), cmp.Or(x.Restart, ct.Restart)
		ct.Live, ct.Startup, ct.Gate = x.Live, x.Startup, x.Gate
		ct.PostStart, ct.PreStop = cmp.Or(ct.PostStart, x.PostStart), cmp.Or(ct.PreStop, x.PreStop)
		ct.StopGrace = ptr.Deref(x.StopGrace, ct.StopGrace)
		for key, set := range map[string]bool{"name": x.Name != "", "ready": x.Ready != nil, "live": x.Live != nil,
			"restart": x.Restart != RestartDefault, "stop_grace": x.StopGrace != nil, "startup": true, "gate": true, "post_start": true,
			"pre_stop": true} {
			if set {
				cv.recordTree(Field(ck, key), yamlpos.Value(cv.xNodes[svc], key))
			}
		}
		ct.EnvRefs, ct.ExpandRefs = x.EnvRefs, x.ExpandRefs
		for _, r := range x.EnvRefs {
			cv.pos.Set(Field(ck, "env", r.Name), cv.keyAt("services", svc, "x-sidecar", "env_refs"))
		}
	}
	return ct
}

// builtImage is the image docker compose v2 builds for service svc without image: (PROJECT-SERVICE,
// tag latest), so that what `docker compose build` made is used here, and the other way round.
func (cv *composeConv) builtImage(svc string) string {
	return strings.ToLower(cv.project.Name + "-" + svc)
}

// preStart converts the pre_start hooks of service svc into init containers, named
// <container>-pre-start-<N>, N the hook's index: each is converted as a service (named
// app.pre_start[N] while it is) of the hook's container specification, which compose-go
// completes with the service's but for volumes, and mounts the service's volumes, as compose
// gives the hook the service's through volumes_from; it runs once: a failure fails the pod.
// What is said about a field the hook inherits was said at the service, and is not repeated.
func (cv *composeConv) preStart(b *composePodBuild, svc string) []*Container {
	s := cv.project.Services[svc]
	var out []*Container
	for i, h := range s.PreStart {
		name := fmt.Sprintf("%s.pre_start[%d]", svc, i)
		hs := types.ServiceConfig{Name: name, ContainerSpec: composeInherit(h.ContainerSpec, s.ContainerSpec)}
		hs.VolumesFrom, hs.Networks, hs.NetworkMode = append(slices.Clone(hs.VolumesFrom), svc), nil, ""
		if hs.Image == "" && s.Build != nil {
			hs.Image = cv.builtImage(svc)
		}
		if cv.hooks == nil {
			cv.hooks = map[string][]string{}
		}
		cv.project.Services[name], cv.hooks[name] = hs, []string{svc, "pre_start", strconv.Itoa(i)}
		cv.names[name] = DNSLabel(fmt.Sprintf("%s-pre-start-%d", cv.names[svc], i))
		warns, probs := len(cv.warnings), len(cv.problems)
		ct := cv.container(b, name, RoleInit)
		delete(cv.project.Services, name)
		ct.Restart = RestartNever
		cv.warnings = dropSaid(cv.warnings, warns, func(w Warning) Position { return w.Pos })
		cv.problems = dropSaid(cv.problems, probs, func(p Problem) Position { return p.Pos })
		out = append(out, ct)
	}
	return out
}

// dropSaid drops from list[from:] what is placed where something of list[:from] is already.
func dropSaid[T any](list []T, from int, pos func(T) Position) []T {
	return slices.Concat(list[:from], slices.DeleteFunc(list[from:], func(v T) bool {
		return slices.ContainsFunc(list[:from], func(o T) bool { return pos(o) == pos(v) })
	}))
}

// composeInherit completes a pre_start hook's container specification with its service's, by
// the compose specification's rules for pre_start (compose-go does it when it normalises, which
// the importer does not ask for): what the hook sets wins, a mapping takes the service's
// entries it does not set, a list (not a command) is the service's entries then its own
// others; volumes are not inherited (preStart mounts the service's).
func composeInherit(hook, svc types.ContainerSpec) types.ContainerSpec {
	h, s := reflect.ValueOf(&hook).Elem(), reflect.ValueOf(svc)
	for i := range h.NumField() {
		own, from := h.Field(i), s.Field(i)
		switch {
		case h.Type().Field(i).Name == "Volumes" || from.IsZero():
		case own.IsZero():
			own.Set(from)
		case own.Kind() == reflect.Map:
			m := reflect.MakeMap(own.Type())
			for _, src := range []reflect.Value{from, own} {
				for it := src.MapRange(); it.Next(); {
					m.SetMapIndex(it.Key(), it.Value())
				}
			}
			own.Set(m)
		case own.Kind() == reflect.Slice && own.Type() != reflect.TypeFor[types.ShellCommand]():
			list := reflect.AppendSlice(reflect.MakeSlice(own.Type(), 0, from.Len()+own.Len()), from)
		items:
			for j := range own.Len() {
				for k := range from.Len() {
					if reflect.DeepEqual(own.Index(j).Interface(), from.Index(k).Interface()) {
						continue items // written in both: once
					}
				}
				list = reflect.Append(list, own.Index(j))
			}
			own.Set(list)
		}
	}
	return hook
}

// resolve turns a compose mapping with equals into values: an entry without a value takes
// the variable of that name, and is left out when it is not set (as compose does).
func (cv *composeConv) resolve(m types.MappingWithEquals) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		} else if val, ok := cv.env[k]; ok {
			out[k] = val
		}
	}
	return out
}

// environment is a service's environment: its env_file entries in order, overridden by its
// environment entries; and, to keep as env_file, the env files the normaliser reads the same.
func (cv *composeConv) environment(svc string, s types.ServiceConfig, ck string) (Env, []string) {
	explicit := cv.resolve(s.Environment)
	out := Env{}
	var files []string
	efNode := yamlpos.Value(cv.svcNode(svc), "env_file")
	for i, ef := range s.EnvFiles {
		at := cv.itemAt(svc, i, len(s.EnvFiles), "env_file")
		if efNode != nil && efNode.Kind == yaml.ScalarNode {
			at = cv.posOf(efNode) // env_file: FILE
		}
		path := inDir(cv.dir, ef.Path)
		if cv.opts.brokenEnv.is(path) {
			continue // the .env that does not parse: said once, at its line
		}
		vars, err := readEnvFile(cv.opts, path, ef.Format, lookupIn(cv.env, explicit))
		var bad envFileError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if ef.Required {
				cv.problem(at, fmt.Sprintf("env file %s does not exist", ef.Path), "create it, or mark it required: false")
			}
			continue
		case errors.As(err, &bad):
			cv.problem(at, fmt.Sprintf("invalid env file %s: %v", ef.Path, bad.err), "write one NAME=value per line")
			continue
		case err != nil:
			cv.problem(at, fmt.Sprintf("cannot read env file %s: %v", ef.Path, err), "check the path (relative to the compose file's directory) and the file's permissions")
			continue
		}
		for k, v := range vars {
			out[k] = v
			cv.pos.Set(Field(ck, "env", k), at)
		}
		// Kept when it parses with only the interpolation variables, as the normaliser reads it.
		if ef.Format == "" || ef.Format == dotenv.DotEnv {
			if _, err := readEnvFile(cv.opts, path, "", lookupIn(cv.env)); err == nil {
				appendAt(cv.pos, Field(ck, "env_file"), &files, ef.Path, at)
			}
		}
	}
	en := yamlpos.Value(cv.svcNode(svc), "environment")
	for k, v := range explicit {
		out[k] = v
		if n := composeEnvNode(en, k); n != nil {
			cv.pos.Set(Field(ck, "env", k), cv.posOf(n))
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, files
}

// composeEnvNode finds variable k in an environment node (a mapping or a list of NAME=value).
func composeEnvNode(en *yaml.Node, k string) *yaml.Node {
	if key, v := yamlpos.Lookup(en, k); key != nil { // a mapping
		if !yamlpos.IsNull(v) {
			return v
		}
		return key
	}
	items := yamlpos.Items(en)
	for i := len(items) - 1; i >= 0; i-- { // the last one written wins
		if s, ok := yamlpos.Scalar(items[i]); ok && (s == k || strings.HasPrefix(s, k+"=")) {
			return items[i]
		}
	}
	return nil
}

// composeExposeHint says how a compose service's expose entry is written.
const composeExposeHint = `write the container port only ("3306" or "3306/tcp"); publish it with ports: to reach it from the host`

// exposeAt converts declared ports ("8080", "53/udp", a range "9000-9002"), each with the
// entry it came from; an entry that is not one is a problem.
func (cv *composeConv) exposeAt(svc string, specs []string, x bool) []placed[Port] {
	path := []string{"expose"}
	if x {
		path = []string{"x-sidecar", "expose"}
	}
	var out []placed[Port]
	for i, spec := range specs {
		at := cv.itemAt(svc, i, len(specs), path...)
		ps, ferr := parsePortSpec(spec)
		if ferr == nil && strings.Contains(spec, ":") {
			ferr = &formError{msg: fmt.Sprintf("expose lists %q, which publishes a port on the host", spec), hint: exposeHint}
		}
		if ferr != nil {
			if !x && (ferr.hint == exposeHint || ferr.hint == portFormHint) {
				ferr.hint = composeExposeHint // in the compose file's own terms
			}
			cv.problem(at, ferr.msg, ferr.hint)
			continue
		}
		for _, p := range ps {
			if !slices.ContainsFunc(out, func(q placed[Port]) bool { return q.v == p }) {
				out = append(out, placed[Port]{v: p, at: at})
			}
		}
	}
	return out
}

// portsAt converts published ports, each with the entry it came from.
func (cv *composeConv) portsAt(svc string, ps []types.ServicePortConfig) []placed[Port] {
	// One short-syntax entry can expand into several ports (ranges): find each port's entry.
	var from []*yaml.Node
	for _, item := range yamlpos.Items(yamlpos.Value(cv.svcNode(svc), "ports")) {
		n := 1
		if v, ok := yamlpos.Scalar(item); ok {
			if parsed, err := types.ParsePortConfig(v); err == nil && len(parsed) > 0 {
				n = len(parsed)
			}
		}
		for range n {
			from = append(from, item)
		}
	}
	var out []placed[Port]
	for i, p := range ps {
		at := cv.keyAt("services", svc, "ports")
		if len(from) == len(ps) {
			at = cv.posOf(from[i])
		}
		port := Port{HostIP: p.HostIP, ContainerPort: int(p.Target)}
		if err := port.Protocol.UnmarshalText([]byte(cmp.Or(p.Protocol, "tcp"))); err != nil {
			cv.problem(at, err.Error(), "use tcp, udp or sctp")
		}
		if p.Published != "" {
			lo, hi, isRange := strings.Cut(p.Published, "-")
			n, err := strconv.Atoi(lo)
			if err != nil {
				cv.problem(at, fmt.Sprintf("published port %q is not a number", p.Published), "write a port number like 8080, or a range like 8080-8090")
			} else {
				port.HostPort = n
			}
			if isRange && hi != lo {
				cv.warn(at, "services."+svc+".ports", fmt.Sprintf("host port range %s: sidecar publishes container port %d on host port %d, the first of the range", p.Published, p.Target, n))
			}
		}
		out = append(out, placed[Port]{v: port, at: at})
	}
	return out
}

// itemAt is where item i of the n items of service svc's list at path is written: the list,
// when the items written are not those n (from an extends, or merged by compose-go).
func (cv *composeConv) itemAt(svc string, i, n int, path ...string) Position {
	list := cv.svcNode(svc)
	for _, k := range path {
		list = yamlpos.Value(list, k)
	}
	if items := yamlpos.Items(list); len(items) == n && i < n {
		return cv.posOf(items[i])
	}
	return cv.keyAt(append([]string{"services", svc}, path...)...)
}

// mounts converts volumes and tmpfs into mounts, adding the pod volumes they need.
func (cv *composeConv) mounts(b *composePodBuild, svc string, s types.ServiceConfig, ct *Container, ck string) {
	for i, v := range s.Volumes {
		at := cv.itemAt(svc, i, len(s.Volumes), "volumes")
		m := Mount{Type: MountVolume, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
		if v.Volume != nil && v.Type == types.VolumeTypeVolume {
			m.SubPath = v.Volume.Subpath
		}
		switch _, declared := cv.project.Volumes[v.Source]; {
		case v.Type == types.VolumeTypeVolume && v.Source == "":
			m.Source = DNSLabel(fmt.Sprintf("%s-anon-%d", cv.names[svc], i))
			if _, ok := cv.addVolume(b, m.Source, "an anonymous volume of service "+svc, at); !ok {
				continue
			}
		case v.Type == types.VolumeTypeVolume && !declared:
			cv.problem(at, fmt.Sprintf("volume %q is not declared", v.Source), "declare it under the top-level volumes: key")
			continue
		case v.Type == types.VolumeTypeVolume:
			m.Source = cv.volumeName(v.Source)
			if !cv.namedVolume(b, v.Source, at) {
				continue
			}
		case v.Type == types.VolumeTypeBind:
			m.Type, m.Source = MountBind, cv.expandHome(v.Source)
			// A missing source is created, as compose creates it, unless bind.create_host_path
			// says false (compose-go makes it true for the short syntax and a bind: written
			// without it; a long-syntax bind without bind: is created too).
			m.MustExist = v.Bind != nil && !bool(v.Bind.CreateHostPath)
		case v.Type == types.VolumeTypeTmpfs:
			m.Source = DNSLabel(fmt.Sprintf("%s-tmpfs-%d", cv.names[svc], i))
			if _, ok := cv.addVolume(b, m.Source, "a tmpfs of service "+svc, at); !ok {
				continue
			}
			b.vols[m.Source].Medium = MediumMemory
			if v.Tmpfs != nil {
				b.vols[m.Source].SizeLimit = ByteSize(v.Tmpfs.Size)
			}
		default:
			cv.warn(at, fmt.Sprintf("services.%s.volumes[%d]", svc, i), fmt.Sprintf("volumes of type %s are not supported; the mount is skipped", v.Type))
			continue
		}
		appendAt(cv.pos, Field(ck, "volumes"), &ct.Volumes, m, at)
	}
	for i, t := range s.Tmpfs {
		at := cv.itemAt(svc, i, len(s.Tmpfs), "tmpfs")
		target, opts, _ := strings.Cut(t, ":")
		name := DNSLabel(fmt.Sprintf("%s-tmpfs-%d", cv.names[svc], len(s.Volumes)+i))
		if _, ok := cv.addVolume(b, name, "a tmpfs of service "+svc, at); ok {
			b.vols[name].Medium = MediumMemory
			b.vols[name].SizeLimit = cv.tmpfsOptions(opts, at, fmt.Sprintf("services.%s.tmpfs[%d]", svc, i))
			appendAt(cv.pos, Field(ck, "volumes"), &ct.Volumes, Mount{Type: MountVolume, Source: name, Target: target}, at)
		}
	}
}

// expandHome expands a leading ~ with HOME from the interpolation environment.
func (cv *composeConv) expandHome(p string) string {
	if home := cv.env["HOME"]; home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return home + p[1:]
	}
	return p
}

// healthcheck converts a compose healthcheck into a ready probe, or nil. Without a test the
// image's HEALTHCHECK runs, with its own timings; it is the ready probe ({image: true}) when
// another service waits for it to be healthy, as docker compose waits for the engine's status.
func (cv *composeConv) healthcheck(svc string, h *types.HealthCheckConfig) *Probe {
	waiter := cv.healthyBy[svc]
	if h != nil && (h.Disable || len(h.Test) > 0 && h.Test[0] == "NONE") {
		if waiter != "" {
			cv.problem(cv.at("services", svc, "healthcheck"),
				fmt.Sprintf("%s waits for %s to be healthy (depends_on with condition: service_healthy), but the healthcheck of %s is disabled: docker compose fails with \"container … has no healthcheck configured\"", waiter, svc, svc),
				"give "+svc+" a healthcheck test, or make "+waiter+" wait with condition: service_started")
		}
		return nil
	}
	if h == nil || len(h.Test) == 0 {
		if h != nil && (h.Interval != nil || h.Timeout != nil || h.Retries != nil || h.StartPeriod != nil || h.StartInterval != nil) {
			cv.warnAt("without a test, the image's HEALTHCHECK runs with the image's own timings: interval, timeout, retries and start period are not passed to the engine (give the healthcheck a test to set them)", "services", svc, "healthcheck")
		}
		if waiter == "" {
			return nil // the engine runs the image's HEALTHCHECK, if any; its verdict is shown
		}
		return &Probe{Image: true}
	}
	cmd := h.Test[1:]
	switch h.Test[0] {
	case "CMD":
	case "CMD-SHELL":
		cmd = []string{"/bin/sh", "-c", strings.Join(h.Test[1:], " ")}
	default:
		cv.problem(cv.at("services", svc, "healthcheck", "test"),
			fmt.Sprintf("healthcheck test starts with %q", h.Test[0]),
			`start it with "CMD" (a command and its arguments), "CMD-SHELL" (a shell command) or "NONE"`)
		return nil
	}
	if len(cmd) == 0 {
		cv.problem(cv.at("services", svc, "healthcheck", "test"), "healthcheck test has no command", "add the command after "+h.Test[0])
		return nil
	}
	return &Probe{Exec: &ExecProbe{Command: slices.Clone(cmd)}, Period: Duration(ptr.Deref(h.Interval, 0)),
		Timeout: Duration(ptr.Deref(h.Timeout, 0)), Retries: int(min(ptr.Deref(h.Retries, 0), 1<<20)),
		StartPeriod: Duration(ptr.Deref(h.StartPeriod, 0))}
}

// restart maps compose's restart for a container of role. When x-sidecar sets the restart
// policy (overridden), what compose's value cannot do for the role is not warned about.
func (cv *composeConv) restart(svc, v string, role Role, overridden bool) RestartPolicy {
	rp, known := map[string]RestartPolicy{"no": RestartNever, "always": RestartAlways,
		"unless-stopped": RestartAlways, "on-failure": RestartOnFailure}[v]
	limit, limited := strings.CutPrefix(v, "on-failure:")
	switch {
	case v == "":
		return RestartDefault
	case limited:
		rp = RestartOnFailure
	case !known:
		cv.problem(cv.at("services", svc, "restart"), fmt.Sprintf("unknown restart policy %q", v), "use no, always, unless-stopped or on-failure[:N]")
		return RestartDefault
	}
	who := map[Role]string{RoleMain: "main", RoleInit: "the init container"}[role]
	switch {
	case overridden:
	case limited && who != "":
		cv.warnAt("the limit of "+limit+" restarts is not honoured: "+who+" restarts on failure with backoff, without a limit", "services", svc, "restart")
	case role == RoleSidecar && rp != RestartAlways:
		cv.warnAt(svc+" is a sidecar, and sidecars are restarted whenever they exit, as in Kubernetes; "+v+" is not honoured", "services", svc, "restart")
	case role == RoleInit && rp == RestartAlways:
		cv.warnAt(svc+" is an init container, which runs to completion: it is restarted when it fails, not after it succeeded; "+v+" is not honoured", "services", svc, "restart")
	}
	switch {
	case role == RoleInit && rp != RestartNever:
		return RestartOnFailure
	case role == RoleInit || role == RoleSidecar:
		return RestartDefault
	}
	return rp
}

// namespaces honours pid and ipc sharing inside the pod.
func (cv *composeConv) namespaces(b *composePodBuild, svc string, s types.ServiceConfig) {
	check := func(key, v string, share *bool) {
		target, isSvc := strings.CutPrefix(v, types.ServicePrefix)
		if !isSvc {
			target, isSvc = strings.CutPrefix(v, types.ContainerPrefix)
		}
		switch {
		case v == "" || v == "private" || v == "shareable":
		case isSvc && cv.podOfSvc[target] == b.pod.Name:
			*share = true
		case isSvc:
			cv.warnAt(target+" is not in pod "+b.pod.Name+", and namespaces are only shared inside a pod; ignored", "services", svc, key)
		default:
			cv.warnAt(v+" is not honoured: containers share namespaces only with their pod; ignored", "services", svc, key)
		}
	}
	check("pid", s.Pid, &b.pod.SharePID)
	check("ipc", s.Ipc, &b.pod.ShareIPC)
}

// infra takes what matters from an infra-style namespace owner, whose job sidecar's own infra
// container does: its ports go to the containers whose x-sidecar ports name them, the others
// to main (stop_grace and aliases: see pod, podAliases). Anything else it sets is warned about.
func (cv *composeConv) infra(b *composePodBuild, owner string) {
	s, pod := cv.project.Services[owner], b.pod
	ports := cv.portsAt(owner, s.Ports)
	for _, c := range pod.Containers() {
		for _, xp := range cv.xPort[c] {
			if i := slices.IndexFunc(ports, func(p placed[Port]) bool { return p.v == xp.v }); i >= 0 {
				ports = slices.Delete(ports, i, i+1) // taken
				continue
			}
			cv.problem(xp.at, fmt.Sprintf("x-sidecar ports of %s lists %s, which the pod's infra service %s does not publish", c.Name, xp.v, owner),
				fmt.Sprintf("add it to the ports of %s (docker compose publishes only those), or remove it here", owner))
		}
	}
	for _, p := range ports {
		appendAt(cv.pos, Field(ContainerKey(pod.Name, pod.Main.Name), "ports"), &pod.Main.Ports, p.v, p.at)
	}
	// Its declared ports likewise: main's, but those a container's x-sidecar expose claims.
	for _, p := range cv.exposeAt(owner, s.Expose, false) {
		if !slices.ContainsFunc(pod.Containers(), func(c *Container) bool { return slices.Contains(c.Expose, p.v) }) {
			appendAt(cv.pos, Field(ContainerKey(pod.Name, pod.Main.Name), "expose"), &pod.Main.Expose, p.v, p.at)
		}
	}
	cv.networks(owner, s)
	for _, p := range yamlpos.Pairs(cv.xNodes[owner]) {
		if k := p.Key.Value; !slices.Contains(composeXInfraFields, k) && k != "main" {
			cv.warn(cv.posOf(p.Key), "services."+owner+".x-sidecar."+k,
				owner+" is the pod's infra container, which runs no app; "+k+" is not used")
		}
	}
	cv.podFields(b, owner, s)
	ignored := []string{"image", "ports", "expose", "x-sidecar", "restart", "networks", "ipc", "pid", "init",
		"stop_grace_period", "depends_on", "container_name", "links", "hostname", "domainname", "sysctls", "dns", "dns_search", "dns_opt", "extra_hosts"}
	for _, p := range yamlpos.Pairs(cv.svcNode(owner)) {
		k := p.Key.Value
		if slices.Contains(ignored, k) || !slices.Contains(composeHonoured, tree.Path("services.*."+k)) {
			continue
		}
		cv.warn(cv.posOf(p.Key), "services."+owner+"."+k,
			owner+" holds the pod's namespace, a job sidecar's own infra container does; "+k+" is not used")
	}
}

// networks warns about the networks of service svc other than the default one, a warning
// each that groupServiceWarnings makes one per network, naming every service that joins it
// (their aliases are the pod's on the stack network: see podAliases).
func (cv *composeConv) networks(svc string, s types.ServiceConfig) {
	for _, n := range sortedKeys(s.Networks) {
		if n != "default" {
			cv.warnAt("all pods share one stack network and reach each other by pod name; network "+n+" is not created", "services", svc, "networks", n)
		}
	}
}

// xPorts adds the ports x-sidecar lists to a container, remembering them for infra.
func (cv *composeConv) xPorts(svc string, ct *Container, ck string, x *composeX) {
	for i, spec := range x.Ports {
		at := cv.itemAt(svc, i, len(x.Ports), "x-sidecar", "ports")
		ps, ferr := parsePortSpec(spec)
		if ferr != nil {
			cv.problem(at, ferr.msg, ferr.hint)
			continue
		}
		for _, p := range ps {
			appendAt(cv.pos, Field(ck, "ports"), &ct.Ports, p, at)
			cv.xPort[ct] = append(cv.xPort[ct], placed[Port]{v: p, at: at})
		}
	}
}

// stackVolumes makes each named volume that services of several pods mount a stack volume,
// which they share, as compose shares a project's volume between its services.
func (cv *composeConv) stackVolumes(st *Stack) {
	for _, src := range sortedKeys(cv.volPods) {
		pods := cv.volPods[src]
		if len(pods) < 2 {
			continue
		}
		name := cv.volumeName(src)
		var shared *Volume
		for _, p := range st.Pods {
			if slices.Contains(pods, p.Name) {
				i := slices.IndexFunc(p.Volumes, func(v *Volume) bool { return v.Name == name })
				shared = p.Volumes[i]
				p.Volumes = slices.Delete(p.Volumes, i, i+1)
			}
		}
		st.Volumes = append(st.Volumes, shared)
		cv.pos.Set(StackVolumeKey(name), cv.keyAt("volumes", src))
	}
}
