package recipes

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// This file decodes sidecar.yaml (the flat single-pod form and the pods: form), once
// interpolated, into an un-normalised Stack: each mapping of the syntax (a container, a pod,
// a probe, ...) is a table of fields, which the x-sidecar fields of a compose file reuse.

var containerFields = []field[*Container]{
	{"name", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Name, _ = d.str(k, v, "name") }},
	{"image", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Image, _ = d.str(k, v, "image") }},
	{"build", func(d *decoder, k string, v *yaml.Node, c *Container) {
		switch {
		case yamlpos.IsNull(v):
		case v.Kind == yaml.ScalarNode:
			c.Build = &Build{Context: v.Value}
		default:
			c.Build = &Build{}
			fields(d, k, v, "build", "build: ./dir, or build: {context: ./dir, dockerfile: Dockerfile}", buildFields, c.Build)
		}
	}},
	{"command", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Command, _ = d.words(k, v, "command") }},
	{"entrypoint", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Entrypoint, _ = d.words(k, v, "entrypoint") }},
	{"workdir", func(d *decoder, k string, v *yaml.Node, c *Container) { c.WorkingDir, _ = d.str(k, v, "workdir") }},
	{"user", func(d *decoder, k string, v *yaml.Node, c *Container) { c.User, _ = d.str(k, v, "user") }},
	{"env", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Env, c.EnvRefs = d.env(k, v, c.EnvRefs) }},
	{"env_refs", func(d *decoder, k string, v *yaml.Node, c *Container) {
		for i, e := range d.list(k, v, "env_refs", "env_refs: [{name: POD_IP, field: status.podIP}]") {
			name, _ := yamlpos.Scalar(yamlpos.Value(e, "name"))
			c.EnvRefs = append(c.EnvRefs, d.envRef(Field(k, i), name, e, "name"))
		}
	}},
	{"expand_refs", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.ExpandRefs, _ = d.boolean(k, v, "expand_refs")
	}},
	{"env_file", func(d *decoder, k string, v *yaml.Node, c *Container) { c.EnvFile = d.strList(k, v, "env_file") }},
	{"ports", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Ports = d.ports(k, v) }},
	{"expose", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Expose = d.expose(k, v) }},
	{"volumes", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Volumes = d.mounts(k, v) }},
	{"ready", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Ready = d.probe(k, v, "ready") }},
	{"live", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Live = d.probe(k, v, "live") }},
	{"restart", func(d *decoder, k string, v *yaml.Node, c *Container) { d.enum(k, v, "restart", &c.Restart) }},
	{"stop_grace", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.StopGrace, _ = d.duration(k, v, "stop_grace", false)
	}},
	{"init", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Init, _ = d.boolean(k, v, "init") }},
	{"tty", func(d *decoder, k string, v *yaml.Node, c *Container) { c.TTY, _ = d.boolean(k, v, "tty") }},
	{"startup", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Startup = d.probe(k, v, "startup") }},
	{"gate", func(d *decoder, k string, v *yaml.Node, c *Container) { d.enum(k, v, "gate", &c.Gate) }},
	{"post_start", func(d *decoder, k string, v *yaml.Node, c *Container) { c.PostStart = d.hook(k, v, "post_start") }},
	{"pre_stop", func(d *decoder, k string, v *yaml.Node, c *Container) { c.PreStop = d.hook(k, v, "pre_stop") }},
	{"resources", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.Resources = mapping(d, k, v, "resources", "{limits: {cpu: 500m, memory: 256Mi}}", resourcesFields)
	}},
	{"cap_add", func(d *decoder, k string, v *yaml.Node, c *Container) { c.CapAdd = d.strList(k, v, "cap_add") }},
	{"cap_drop", func(d *decoder, k string, v *yaml.Node, c *Container) { c.CapDrop = d.strList(k, v, "cap_drop") }},
	{"privileged", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.Privileged, _ = d.boolean(k, v, "privileged")
	}},
	{"read_only", func(d *decoder, k string, v *yaml.Node, c *Container) { c.ReadOnly, _ = d.boolean(k, v, "read_only") }},
	{"devices", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.Devices = listOf(d, k, v, "devices", `devices: ["/dev/net/tun"]`, deviceFields, func(s string) Device {
			host, rest, _ := strings.Cut(s, ":")
			ctr, perms, _ := strings.Cut(rest, ":")
			return Device{HostPath: host, ContainerPath: ctr, Permissions: perms}
		})
	}},
	{"groups", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Groups = d.strList(k, v, "groups") }},
	{"stop_signal", func(d *decoder, k string, v *yaml.Node, c *Container) { c.StopSignal, _ = d.str(k, v, "stop_signal") }},
	{"shm_size", func(d *decoder, k string, v *yaml.Node, c *Container) { d.enum(k, v, "shm_size", &c.ShmSize) }},
	{"ulimits", func(d *decoder, k string, v *yaml.Node, c *Container) { c.Ulimits = d.ulimits(k, v) }},
	{"watch", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.Watch = listOf(d, k, v, "watch", "watch: [{path: ./src, action: sync, target: /app/src}]", watchFields, nil)
	}},
	{"labels", func(d *decoder, k string, v *yaml.Node, c *Container) {
		c.Labels = d.stringMap(k, v, "labels", true, noValue)
	}},
}

var resourceListFields = []field[*ResourceList]{
	{"cpu", func(d *decoder, k string, v *yaml.Node, r *ResourceList) { d.enum(k, v, "cpu", &r.CPU) }},
	{"memory", func(d *decoder, k string, v *yaml.Node, r *ResourceList) { d.enum(k, v, "memory", &r.Memory) }},
}

var resourcesFields = []field[*Resources]{
	{"limits", func(d *decoder, k string, v *yaml.Node, r *Resources) {
		fields(d, k, v, "limits", "{cpu: 500m, memory: 256Mi}", resourceListFields, &r.Limits)
	}},
	{"requests", func(d *decoder, k string, v *yaml.Node, r *Resources) {
		fields(d, k, v, "requests", "{cpu: 250m, memory: 128Mi}", resourceListFields, &r.Requests)
	}},
}

var deviceFields = []field[*Device]{
	{"host_path", func(d *decoder, k string, v *yaml.Node, x *Device) { x.HostPath, _ = d.str(k, v, "host_path") }},
	{"container_path", func(d *decoder, k string, v *yaml.Node, x *Device) {
		x.ContainerPath, _ = d.str(k, v, "container_path")
	}},
	{"permissions", func(d *decoder, k string, v *yaml.Node, x *Device) { x.Permissions, _ = d.str(k, v, "permissions") }},
}

var watchFields = []field[*WatchRule]{
	{"path", func(d *decoder, k string, v *yaml.Node, w *WatchRule) { w.Path, _ = d.str(k, v, "watch path") }},
	{"action", func(d *decoder, k string, v *yaml.Node, w *WatchRule) { d.enum(k, v, "watch action", &w.Action) }},
	{"target", func(d *decoder, k string, v *yaml.Node, w *WatchRule) { w.Target, _ = d.str(k, v, "watch target") }},
	{"ignore", func(d *decoder, k string, v *yaml.Node, w *WatchRule) { w.Ignore = d.strList(k, v, "watch ignore") }},
}

var ulimitFields = []field[*Ulimit]{
	{"name", func(d *decoder, k string, v *yaml.Node, u *Ulimit) { u.Name, _ = d.str(k, v, "ulimit name") }},
	{"soft", func(d *decoder, k string, v *yaml.Node, u *Ulimit) { u.Soft = d.int64(k, v, "ulimit soft") }},
	{"hard", func(d *decoder, k string, v *yaml.Node, u *Ulimit) { u.Hard = d.int64(k, v, "ulimit hard") }},
}

// ulimits decodes {NAME: N} or {NAME: {soft, hard}} (compose's form) or a list of
// {name, soft, hard} (the printed form).
func (d *decoder) ulimits(k string, n *yaml.Node) []Ulimit {
	if n.Kind != yaml.MappingNode {
		return listOf(d, k, n, "ulimits", "ulimits: {nofile: {soft: 1024, hard: 4096}}", ulimitFields, nil)
	}
	var out []Ulimit
	pairs := yamlpos.Pairs(n)
	slices.SortStableFunc(pairs, func(a, b yamlpos.Pair) int { return strings.Compare(a.Key.Value, b.Key.Value) })
	for _, p := range pairs {
		u := Ulimit{Name: p.Key.Value}
		fk := Field(k, len(out))
		d.record(fk, p.Value)
		if p.Value.Kind == yaml.MappingNode {
			fields(d, fk, p.Value, "ulimit "+yamlpos.Clip(u.Name), "{soft: 1024, hard: 4096}", ulimitFields[1:], &u)
		} else {
			u.Soft = d.int64(fk, p.Value, "ulimit "+yamlpos.Clip(u.Name))
			u.Hard = u.Soft
		}
		out = append(out, u)
	}
	return out
}

var hookFields = []field[*Hook]{
	{"exec", func(d *decoder, k string, v *yaml.Node, h *Hook) {
		h.Exec = &ExecProbe{}
		if v.Kind == yaml.MappingNode {
			fields(d, k, v, "exec hook", "{command: [\"/drain\"]}", execProbeFields, h.Exec)
		} else {
			h.Exec.Command, _ = d.words(k, v, "exec hook command")
		}
	}},
	{"http", func(d *decoder, k string, v *yaml.Node, h *Hook) {
		h.HTTP = mapping(d, k, v, "http hook", "{port: 8080, path: /drain}", httpProbeFields)
	}},
	{"sleep", func(d *decoder, k string, v *yaml.Node, h *Hook) { h.Sleep, _ = d.duration(k, v, "sleep", true) }},
}

// hook decodes {exec: [...] | http: {port, path} | sleep: 5s}.
func (d *decoder) hook(key string, n *yaml.Node, what string) *Hook {
	return mapping(d, key, n, what, "{exec: [\"/drain\"]}, {http: {port: 8080, path: /drain}} or {sleep: 5s}", hookFields)
}

var envRefFields = []field[*EnvRef]{
	{"field", func(d *decoder, k string, v *yaml.Node, r *EnvRef) { r.Field, _ = d.str(k, v, "field") }},
	{"resource", func(d *decoder, k string, v *yaml.Node, r *EnvRef) { r.Resource, _ = d.str(k, v, "resource") }},
	{"container", func(d *decoder, k string, v *yaml.Node, r *EnvRef) { r.Container, _ = d.str(k, v, "container") }},
	{"divisor", func(d *decoder, k string, v *yaml.Node, r *EnvRef) { r.Divisor, _ = d.str(k, v, "divisor") }},
	{"value", func(d *decoder, k string, v *yaml.Node, r *EnvRef) { r.Value, _ = d.str(k, v, "value") }},
}

// envRef decodes one downward-API variable {field | resource, container, divisor}.
func (d *decoder) envRef(key, name string, n *yaml.Node, skip ...string) EnvRef {
	r := EnvRef{Name: name}
	d.record(key, n)
	fields(d, key, n, fmt.Sprintf("env %q", yamlpos.Clip(name)), "{field: status.podIP} or {resource: limits.memory}", envRefFields, &r, skip...)
	return r
}

// mapping decodes mapping n through table into a new T; nil when n is empty or not a mapping.
func mapping[T any](d *decoder, key string, n *yaml.Node, what, example string, table []field[*T]) *T {
	out := new(T)
	if yamlpos.IsNull(n) || !fields(d, key, n, what, example, table, out) {
		return nil
	}
	return out
}

// listOf decodes a list of mappings through table, or of strings through short (when set).
func listOf[T any](d *decoder, key string, n *yaml.Node, what, example string, table []field[*T], short func(string) T) []T {
	var out []T
	for i, e := range d.list(key, n, what, example) {
		ik := Field(key, i)
		d.record(ik, e)
		var x T
		if s, ok := yamlpos.Scalar(e); ok && short != nil && !yamlpos.IsNull(e) {
			x = short(s)
		} else {
			fields(d, ik, e, "each entry of "+what, example, table, &x)
		}
		out = append(out, x)
	}
	return out
}

// podFields are the fields of a pod; all but depends_on are also the flat form's top level.
var podFields = []field[*Pod]{
	{"main", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.Main = d.container(p.Name, v, RoleMain, "main") }},
	{"sidecars", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.Sidecars = d.containerList(p.Name, v, RoleSidecar, "sidecars")
	}},
	{"init", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.Init = d.containerList(p.Name, v, RoleInit, "init")
	}},
	{"volumes", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.Volumes = d.podVolumes(v, func(vol string) string { return VolumeKey(p.Name, vol) })
	}},
	{"depends_on", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.DependsOn = d.podDeps(k, v) }},
	{"share_pid", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.SharePID, _ = d.boolean(k, v, "share_pid") }},
	{"share_ipc", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.ShareIPC, _ = d.boolean(k, v, "share_ipc") }},
	{"stop_grace", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.StopGrace, _ = d.duration(k, v, "stop_grace", true)
	}},
	{"job", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.Job, _ = d.boolean(k, v, "job") }},
	{"hostname", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.Hostname, _ = d.str(k, v, "hostname") }},
	{"subdomain", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.Subdomain, _ = d.str(k, v, "subdomain") }},
	{"aliases", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.Aliases = d.strList(k, v, "aliases") }},
	{"sysctls", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.Sysctls = d.stringMap(k, v, "sysctls", true, noValue)
	}},
	{"extra_hosts", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.ExtraHosts = listOf(d, k, v, "extra_hosts", `extra_hosts: ["db.local:10.0.0.5"]`, hostAliasFields, func(s string) HostAlias {
			i := strings.IndexAny(s, ":=")
			if i < 0 {
				return HostAlias{Hostnames: []string{s}}
			}
			return HostAlias{IP: strings.Trim(s[i+1:], "[]"), Hostnames: []string{s[:i]}}
		})
	}},
	{"dns", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.DNS = mapping(d, k, v, "dns", "{nameservers: [1.1.1.1], searches: [corp.example], options: [ndots:2]}", dnsFields)
	}},
	{"namespace", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.Namespace, _ = d.str(k, v, "namespace") }},
	{"labels", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.Labels = d.stringMap(k, v, "labels", false, noValue)
	}},
	{"annotations", func(d *decoder, k string, v *yaml.Node, p *Pod) {
		p.Annotations = d.stringMap(k, v, "annotations", false, noValue)
	}},
	{"service_account", func(d *decoder, k string, v *yaml.Node, p *Pod) { p.ServiceAccount, _ = d.str(k, v, "service_account") }},
}

var podDepFields = []field[*PodDep]{
	{"pod", func(d *decoder, k string, v *yaml.Node, p *PodDep) { p.Pod, _ = d.str(k, v, "pod") }},
	{"condition", func(d *decoder, k string, v *yaml.Node, p *PodDep) { d.enum(k, v, "condition", &p.Condition) }},
}

// podDepsExample is how depends_on is written, for the hints.
const podDepsExample = "[db, {pod: cache, condition: started}]"

// podDeps reads a pod's depends_on: a list whose entries are pod names (the pod's main
// ready) or mappings {pod, condition}; a single name is a list of one. Each entry's position
// is recorded under key[I] (a mapping's at its pod), its condition's under key[I]/condition.
func (d *decoder) podDeps(key string, n *yaml.Node) []PodDep {
	if yamlpos.IsNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		d.record(Field(key, 0), n)
		return []PodDep{{Pod: n.Value}}
	}
	var out []PodDep
	for _, e := range d.list(key, n, "depends_on", podDepsExample) {
		ik := Field(key, len(out))
		switch {
		case e.Kind == yaml.ScalarNode && !yamlpos.IsNull(e):
			d.record(ik, e)
			out = append(out, PodDep{Pod: e.Value})
		case e.Kind == yaml.MappingNode:
			var dep PodDep
			d.record(ik, e)
			fields(d, ik, e, "each entry of depends_on", "{pod: cache, condition: started}", podDepFields, &dep)
			if dep.Pod == "" {
				if !d.bad[Field(ik, "pod")] {
					d.problem(e, "name the pod it waits for: {pod: cache, condition: started}", "an entry of depends_on has no pod")
				}
				continue
			}
			// Problems about the entry point at the pod it names.
			d.pos.Set(ik, d.pos.At(Field(ik, "pod")))
			out = append(out, dep)
		default:
			d.fail(key, e, "write each entry as a pod name, or as {pod: NAME, condition: ready|started|completed}",
				"each entry of depends_on must be a pod name or a mapping, found %s", yamlpos.Describe(e))
		}
	}
	return out
}

// noValue takes an entry written without a value as an empty string.
func noValue(string, *yaml.Node) (string, bool) { return "", true }

var hostAliasFields = []field[*HostAlias]{
	{"ip", func(d *decoder, k string, v *yaml.Node, h *HostAlias) { h.IP, _ = d.str(k, v, "ip") }},
	{"hostnames", func(d *decoder, k string, v *yaml.Node, h *HostAlias) { h.Hostnames = d.strList(k, v, "hostnames") }},
}

var dnsFields = []field[*DNSConfig]{
	{"nameservers", func(d *decoder, k string, v *yaml.Node, c *DNSConfig) { c.Nameservers = d.strList(k, v, "nameservers") }},
	{"searches", func(d *decoder, k string, v *yaml.Node, c *DNSConfig) { c.Searches = d.strList(k, v, "searches") }},
	{"options", func(d *decoder, k string, v *yaml.Node, c *DNSConfig) { c.Options = d.strList(k, v, "options") }},
}

func (d *decoder) decodeRecipe(root *yaml.Node, name string) *Stack {
	st := &Stack{Name: name}
	if root.Kind != yaml.MappingNode {
		d.bad[""] = true // nothing else can be said about it
		d.problem(root, "start from sidecar.yaml.example, or write at least: main: {image: app:dev}",
			"a recipe must be a mapping with keys like name, main and sidecars, found %s", yamlpos.Describe(root))
		return st
	}
	_, podsNode := yamlpos.Lookup(root, "pods")
	flat := &Pod{Name: name}
	real := d.pos
	if podsNode == nil {
		d.record(PodKey(name), root)
	} else {
		// The flat keys are wrong next to pods:; still decode them (into positions nobody
		// reads, under a pod name no real pod can have) so that problems inside them are
		// reported too.
		flat.Name = "(top level)"
		d.pos = NewPositions(d.file)
	}
	// The stack's own keys are recorded in the real positions, next to pods: too.
	stackKey := func(read func()) {
		flatPos := d.pos
		d.pos = real
		read()
		d.pos = flatPos
	}
	flatKey := PodKey(flat.Name)
	flatTable := slices.DeleteFunc(slices.Clone(podFields), func(f field[*Pod]) bool { return f.name == "depends_on" })
	for _, p := range yamlpos.Pairs(root) {
		k, v := p.Key, p.Value
		key := k.Value
		if strings.HasPrefix(key, "x-") {
			continue
		}
		i := slices.IndexFunc(flatTable, func(f field[*Pod]) bool { return f.name == key })
		if podsNode != nil && key == "main" {
			d.problem(k, "with pods:, each pod has its own main: move this main into one of the pods",
				"main and pods cannot both be set")
		} else if podsNode != nil && i >= 0 && key != "volumes" {
			d.problem(k, fmt.Sprintf("with pods:, %s belongs inside a pod: move it into one of the pods", key),
				"%s cannot be used at the top level together with pods", key)
		}
		switch {
		case key == "volumes" && podsNode != nil:
			stackKey(func() { st.Volumes = d.podVolumes(v, StackVolumeKey) })
		case key == "name":
			d.str("name", v, "name") // recorded by loadRecipe
		case key == "pods":
			// decoded below, once the flat keys' positions are set aside
		case key == "backoff":
			stackKey(func() {
				d.record("backoff", v)
				fields(d, "backoff", v, "backoff", "{initial: 1s, max: 30s, reset: 60s}", backoffFields, &st.Backoff)
			})
		case key == "depends_on":
			d.problem(k, "depends_on orders pods: use it inside a pod of the pods: form", "depends_on cannot be used at the top level")
		case i < 0:
			d.unknownKey("", k, "the recipe", append([]string{"name"}, append(fieldNames(flatTable), "pods", "backoff")...))
		default:
			d.record(Field(flatKey, key), v)
			flatTable[i].read(d, Field(flatKey, key), v, flat)
		}
	}
	d.pos = real
	if podsNode != nil {
		st.Pods = d.pods(podsNode)
		return st
	}
	if k, _ := yamlpos.Lookup(root, "main"); k == nil {
		d.problem(root, "add a main container, e.g. main: {image: app:dev}, or use pods:", "the recipe has no main container")
		d.bad[Field(flatKey, "main")] = true
	}
	st.Pods = []*Pod{flat}
	return st
}

// pods decodes the pods: form: a mapping of pod name to pod, or a list of pods with a name:
// (the shape `sidecar config -o yaml` prints).
func (d *decoder) pods(n *yaml.Node) []*Pod {
	var out []*Pod
	switch {
	case yamlpos.IsNull(n) || len(n.Content) == 0 && n.Kind != yaml.ScalarNode:
		d.problem(n, "add at least one pod: pods: {web: {main: {image: app:dev}}}", "pods is empty")
	case n.Kind == yaml.MappingNode:
		for _, p := range yamlpos.Pairs(n) {
			out = append(out, d.pod(p.Key.Value, p.Key, p.Value))
		}
	case n.Kind == yaml.SequenceNode:
		for i, e := range n.Content {
			name, nameNode := "", e
			if v := yamlpos.Value(e, "name"); v != nil {
				name, _ = d.str("", v, "pod name")
				nameNode = v
			}
			if name == "" && e.Kind == yaml.MappingNode {
				d.problem(e, "add name: to the pod, or write pods: as a mapping of name to pod", "pod #%d has no name", i+1)
			}
			out = append(out, d.pod(name, nameNode, e, "name"))
		}
	default:
		d.problem(n, "write pods as a mapping, e.g. pods: {web: {main: {image: app:dev}}}", "pods must be a mapping of pod names to pods, found %s", yamlpos.Describe(n))
	}
	return out
}

// pod decodes one pod of the pods: form; the keys in skip are read by pods.
func (d *decoder) pod(name string, at, n *yaml.Node, skip ...string) *Pod {
	pod := &Pod{Name: name}
	key := PodKey(name)
	d.record(key, at)
	if !fields(d, key, n, fmt.Sprintf("pod %q", yamlpos.Clip(name)), "{main: {image: app:dev}}", podFields, pod, skip...) {
		d.bad[Field(key, "main")] = true // the pod itself is broken: do not also say main is missing
	}
	return pod
}

func (d *decoder) containerList(pod string, n *yaml.Node, role Role, what string) []*Container {
	if yamlpos.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		hint := fmt.Sprintf("write %s as a list: %s: [{name: x, image: x:dev}]", what, what)
		if n.Kind == yaml.MappingNode {
			hint = fmt.Sprintf("%s is an ordered list: put a \"- \" before each container", what)
		}
		d.expect(Field(PodKey(pod), what), n, what, "a list of containers", hint)
		return nil
	}
	var out []*Container
	for i, e := range n.Content {
		out = append(out, d.container(pod, e, role, fmt.Sprintf("%s[%d]", what, i)))
	}
	return out
}

// container decodes one container. where names it for messages before its name is known.
func (d *decoder) container(pod string, n *yaml.Node, role Role, where string) *Container {
	c := &Container{Role: role}
	name, _ := yamlpos.Scalar(yamlpos.Value(n, "name"))
	keyName := name
	if keyName == "" && role == RoleMain {
		keyName = DefaultMainName
	}
	ck := ContainerKey(pod, keyName)
	d.record(ck, n)
	what := where
	if name != "" {
		what = fmt.Sprintf("container %q", yamlpos.Clip(name))
	}
	if yamlpos.IsNull(n) {
		d.fail(ck, n, "give it at least an image: {image: app:dev}", "%s is empty", where)
	} else {
		fields(d, ck, n, what, "{name: app, image: app:dev}", containerFields, c)
	}
	return c
}

// env decodes a container's environment; an entry without a value takes the variable from
// the environment sidecar runs in, and is left out (with a warning) when it is not set. An
// entry whose value is a mapping ({field: status.podIP}) is a downward-API variable: it
// goes to refs, in file order.
func (d *decoder) env(key string, n *yaml.Node, refs []EnvRef) (Env, []EnvRef) {
	if n.Kind == yaml.MappingNode {
		plain := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
		for _, p := range yamlpos.Pairs(n) {
			if p.Value.Kind == yaml.MappingNode {
				refs = append(refs, d.envRef(Field(key, p.Key.Value), p.Key.Value, p.Value))
			} else {
				plain.Content = append(plain.Content, p.Key, p.Value)
			}
		}
		n = plain
	}
	return d.stringMap(key, n, "env", true, func(name string, at *yaml.Node) (string, bool) {
		if val, ok := d.lookup(name); ok {
			return val, true
		}
		d.warnings = append(d.warnings, Warning{Pos: d.at(at), Field: name, Message: "env " + name +
			" has no value and is not set in the environment, so it is left out: give it a value or set it"})
		return "", false
	}), refs
}

var buildFields = []field[*Build]{
	{"context", func(d *decoder, k string, v *yaml.Node, b *Build) { b.Context, _ = d.str(k, v, "build context") }},
	{"dockerfile", func(d *decoder, k string, v *yaml.Node, b *Build) { b.Dockerfile, _ = d.str(k, v, "dockerfile") }},
	{"dockerfile_inline", func(d *decoder, k string, v *yaml.Node, b *Build) {
		b.DockerfileInline, _ = d.str(k, v, "dockerfile_inline")
	}},
	{"args", func(d *decoder, k string, v *yaml.Node, b *Build) {
		b.Args = d.stringMap(k, v, "build args", true, d.lookupAt)
	}},
	{"target", func(d *decoder, k string, v *yaml.Node, b *Build) { b.Target, _ = d.str(k, v, "build target") }},
}

func (d *decoder) lookupAt(name string, _ *yaml.Node) (string, bool) { return d.lookup(name) }

// list returns the items of list n, the value of key; nothing (with a problem that says to
// write it as example) when n is not a list.
func (d *decoder) list(key string, n *yaml.Node, what, example string) []*yaml.Node {
	if !yamlpos.IsNull(n) && n.Kind != yaml.SequenceNode {
		d.expect(key, n, what, "a list", "write a list, e.g. "+example)
	}
	return yamlpos.Items(n)
}

// ports decodes a container's ports: short strings (and bare numbers) or long-form mappings.
func (d *decoder) ports(key string, n *yaml.Node) []Port {
	var out []Port
	for _, e := range d.list(key, n, "ports", `ports: ["8080:80"]`) {
		ik := Field(key, len(out))
		var ps []Port
		switch e.Kind {
		case yaml.ScalarNode:
			var err *formError
			if ps, err = parsePortSpec(e.Value); err != nil {
				d.fail(ik, e, err.hint, "%s", err.msg)
				continue
			}
		case yaml.MappingNode:
			ps = d.longPort(ik, e)
		default:
			d.expect(ik, e, "each port", "a string or a mapping", `write "8080:80" or {host_port: 8080, container_port: 80}`)
			continue
		}
		if !d.addPorts(&out, key, e, ps, "publish") {
			return out
		}
	}
	return out
}

// addPorts appends ps, the ports entry e of list key stands for (a range stands for many),
// unless the recipe then has more than 10*maxPortRange ports in all; verb is what the list
// does with them ("publish", "declare"). It reports whether the list may go on.
func (d *decoder) addPorts(out *[]Port, key string, e *yaml.Node, ps []Port, verb string) bool {
	d.portCount += len(ps)
	if d.portCount > 10*maxPortRange {
		d.fail(key, e, verb+" fewer ports", "the recipe "+verb+"s more than %d ports", 10*maxPortRange)
		return false
	}
	for _, p := range ps {
		d.record(Field(key, len(*out)), e)
		*out = append(*out, p)
	}
	return true
}

// exposeHint says how a declared, unpublished port is written.
const exposeHint = `write the port the container listens on: 8080, "53/udp", a range "9000-9002", or {container_port: 8080, protocol: tcp}; publish a port on the host with ports: instead`

// expose decodes a container's declared ports: numbers, "8080/udp", ranges, or
// {container_port, protocol} mappings (what config prints). A host part is a mistake: those
// ports belong under ports.
func (d *decoder) expose(key string, n *yaml.Node) []Port {
	var out []Port
	for i, e := range d.list(key, n, "expose", `expose: [8080]`) {
		ik := Field(key, i) // for problems: the entry as written
		var ps []Port
		switch e.Kind {
		case yaml.ScalarNode:
			if strings.Contains(e.Value, ":") {
				d.fail(ik, e, exposeHint, "expose lists %q, which publishes a port on the host", yamlpos.Clip(e.Value))
				continue
			}
			var err *formError
			if ps, err = parsePortSpec(e.Value); err != nil {
				d.fail(ik, e, exposeHint, "%s", err.msg)
				continue
			}
		case yaml.MappingNode:
			ps = d.mappedPort(ik, e, "exposed port", "{container_port: 8080, protocol: tcp}", exposeFields, exposeHint)
		default:
			d.expect(ik, e, "each exposed port", "a number, a string or a mapping", exposeHint)
			continue
		}
		if !d.addPorts(&out, key, e, ps, "declare") {
			return out
		}
	}
	return out
}

var exposeFields = []field[*portForm]{
	{"host_port", exposePublishes}, {"published", exposePublishes}, {"host_ip", exposePublishes},
	{"container_port", portPart(func(f *portForm, s string, v *yaml.Node) { f.ctr, f.ctrNode = s, v })},
	{"target", portPart(func(f *portForm, s string, v *yaml.Node) { f.ctr, f.ctrNode = s, v })},
	{"protocol", portPart(func(f *portForm, s string, _ *yaml.Node) { f.proto = s })},
}

func exposePublishes(d *decoder, k string, v *yaml.Node, f *portForm) {
	f.bad = true
	d.fail(k, v, "move the port to ports: to publish it, or remove "+k[strings.LastIndex(k, "/")+1:]+" to declare it only",
		"an exposed port is not published on the host, so it has no %s", k[strings.LastIndex(k, "/")+1:])
}

// portForm is a long-form port as written.
type portForm struct {
	ip, host, ctr, proto string
	ctrNode              *yaml.Node
	bad                  bool
}

func portPart(set func(*portForm, string, *yaml.Node)) func(d *decoder, k string, v *yaml.Node, f *portForm) {
	return func(d *decoder, k string, v *yaml.Node, f *portForm) {
		s, ok := d.str(up(k), v, k[strings.LastIndex(k, "/")+1:])
		f.bad = f.bad || !ok
		set(f, s, v)
	}
}

var portFields = []field[*portForm]{
	{"host_ip", portPart(func(f *portForm, s string, _ *yaml.Node) { f.ip = s })},
	{"host_port", portPart(func(f *portForm, s string, _ *yaml.Node) { f.host = s })},
	{"published", portPart(func(f *portForm, s string, _ *yaml.Node) { f.host = s })},
	{"container_port", portPart(func(f *portForm, s string, v *yaml.Node) { f.ctr, f.ctrNode = s, v })},
	{"target", portPart(func(f *portForm, s string, v *yaml.Node) { f.ctr, f.ctrNode = s, v })},
	{"protocol", portPart(func(f *portForm, s string, _ *yaml.Node) { f.proto = s })},
}

// longPort decodes {host_ip, host_port|published, container_port|target, protocol}.
func (d *decoder) longPort(key string, n *yaml.Node) []Port {
	return d.mappedPort(key, n, "port", "{host_port: 8080, container_port: 80}", portFields, "write {host_port: 8080, container_port: 80, protocol: tcp}")
}

// mappedPort decodes a port written as a mapping of fs (what it is and an example of it
// for problems); hint says how to write a port whose parts do not make one. Problems give
// no ports.
func (d *decoder) mappedPort(key string, n *yaml.Node, what, example string, fs []field[*portForm], hint string) []Port {
	f := &portForm{}
	fields(d, key, n, what, example, fs, f)
	if f.bad {
		return nil
	}
	if f.ctr == "" {
		d.fail(key, n, "add container_port: the port the app listens on", "%s has no container_port", what)
		return nil
	}
	spec := f.ctr
	if f.host != "" || f.ip != "" {
		spec = f.host + ":" + spec // "ip::container": the engine picks the host port on that address
	}
	if strings.Contains(f.ip, ":") {
		spec = "[" + f.ip + "]:" + spec
	} else if f.ip != "" {
		spec = f.ip + ":" + spec
	}
	if f.proto != "" {
		spec += "/" + f.proto
	}
	ps, err := parsePortSpec(spec)
	if err != nil {
		d.fail(key, cmp.Or(f.ctrNode, n), hint, "%s", err.msg)
		return nil
	}
	return ps
}

// mounts decodes a container's volumes: short strings or long-form mappings.
func (d *decoder) mounts(key string, n *yaml.Node) []Mount {
	var out []Mount
	for i, e := range d.list(key, n, "volumes", `volumes: ["logs:/var/log"]`) {
		ik := Field(key, i)
		d.record(ik, e)
		m := Mount{Type: MountBind, Source: ".", Target: "/"} // a wrong entry's placeholder keeps indexes aligned
		switch e.Kind {
		case yaml.ScalarNode:
			if parsed, err := parseMountSpec(e.Value); err != nil {
				d.fail(ik, e, err.hint, "%s", err.msg)
			} else {
				m = parsed
			}
		case yaml.MappingNode:
			f := &mountForm{}
			fields(d, ik, e, "volume", "{source: logs, target: /var/log}", mountFields, f)
			m = f.m
			if !f.typed {
				m.Type = mountTypeOf(m.Source)
			}
		default:
			d.expect(ik, e, "each volume", "a string or a mapping", `write "logs:/var/log" or {source: logs, target: /var/log}`)
		}
		out = append(out, m)
	}
	return out
}

// mountForm is a long-form mount as written.
type mountForm struct {
	m     Mount
	typed bool
}

var mountFields = []field[*mountForm]{
	// A part that is wrong marks the whole mount: validation says nothing more about it.
	{"type", func(d *decoder, k string, v *yaml.Node, f *mountForm) {
		f.typed = d.enum(up(k), v, "volume type", &f.m.Type)
	}},
	{"source", func(d *decoder, k string, v *yaml.Node, f *mountForm) { f.m.Source, _ = d.str(up(k), v, "source") }},
	{"target", func(d *decoder, k string, v *yaml.Node, f *mountForm) { f.m.Target, _ = d.str(up(k), v, "target") }},
	{"read_only", func(d *decoder, k string, v *yaml.Node, f *mountForm) {
		f.m.ReadOnly, _ = d.boolean(up(k), v, "read_only")
	}},
	{"sub_path", func(d *decoder, k string, v *yaml.Node, f *mountForm) { f.m.SubPath, _ = d.str(up(k), v, "sub_path") }},
	{"must_exist", func(d *decoder, k string, v *yaml.Node, f *mountForm) {
		f.m.MustExist, _ = d.boolean(up(k), v, "must_exist")
	}},
}

// up is the key of the mapping that holds field key.
func up(key string) string { return key[:max(strings.LastIndex(key, "/"), 0)] }

var volumeFields = []field[*Volume]{
	{"files", func(d *decoder, k string, v *yaml.Node, vol *Volume) {
		vol.Files = d.stringMap(k, v, "files", false, noValue)
	}},
	{"medium", func(d *decoder, k string, v *yaml.Node, vol *Volume) { d.enum(k, v, "volume medium", &vol.Medium) }},
	{"size_limit", func(d *decoder, k string, v *yaml.Node, vol *Volume) { d.enum(k, v, "size_limit", &vol.SizeLimit) }},
	{"secret", func(d *decoder, k string, v *yaml.Node, vol *Volume) { vol.Secret, _ = d.boolean(k, v, "secret") }},
}

// podVolumes decodes a pod's (or the stack's) volumes: a mapping of name to {} or
// {files: {name: content}, medium, size_limit}, or a list of them with a name; keyOf is the
// position key of each.
func (d *decoder) podVolumes(n *yaml.Node, keyOf func(string) string) []*Volume {
	const hint = "write volumes as a mapping, e.g. volumes: {logs: {}}"
	var out []*Volume
	one := func(name string, at, v *yaml.Node, skip ...string) {
		vol := &Volume{Name: name}
		key := keyOf(name)
		d.record(key, at)
		fields(d, key, v, fmt.Sprintf("volume %q", yamlpos.Clip(name)), "{} or {files: {app.conf: \"...\"}}", volumeFields, vol, skip...)
		out = append(out, vol)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range yamlpos.Pairs(n) {
			one(p.Key.Value, p.Key, p.Value)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			switch name, _ := yamlpos.Scalar(yamlpos.Value(e, "name")); {
			case e.Kind != yaml.MappingNode:
				d.problem(e, hint, "each entry of volumes must be a mapping with a name, found %s", yamlpos.Describe(e))
			case name == "":
				d.problem(e, hint, "volume #%d has no name", i+1)
			default:
				one(name, yamlpos.Value(e, "name"), e, "name")
			}
		}
	default:
		if !yamlpos.IsNull(n) {
			d.expect(strings.TrimSuffix(keyOf(""), ":")+"s", n, "volumes", "a mapping of volume names", hint)
		}
	}
	return out
}

// probeFields are a probe's fields; what names the probe in messages (ready, live).
func probeFields(what string) []field[*Probe] {
	return []field[*Probe]{
		{"http", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			p.HTTP = &HTTPProbe{}
			fields(d, k, v, "http probe", "{port: 8080, path: /healthz}", httpProbeFields, p.HTTP)
		}},
		{"tcp", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			p.TCP = &TCPProbe{}
			fields(d, k, v, "tcp probe", "{port: 9901}", tcpProbeFields, p.TCP)
		}},
		{"exec", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			p.Exec = &ExecProbe{}
			fields(d, k, v, "exec probe", "{command: [\"/check\"]}", execProbeFields, p.Exec)
		}},
		{"image", func(d *decoder, k string, v *yaml.Node, p *Probe) { p.Image, _ = d.boolean(k, v, what+" image") }},
		{"period", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			p.Period, _ = d.duration(k, v, what+" period", true)
		}},
		{"timeout", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			p.Timeout, _ = d.duration(k, v, what+" timeout", true)
		}},
		{"retries", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			if r, ok := d.integer(k, v, what+" retries"); ok {
				if r < 1 {
					d.fail(k, v, "write retries: 1 or more", "%s retries must be at least 1, found %d", what, r)
				} else {
					p.Retries = r
				}
			}
		}},
		{"start_period", func(d *decoder, k string, v *yaml.Node, p *Probe) {
			p.StartPeriod, _ = d.duration(k, v, what+" start_period", false)
		}},
	}
}

var httpProbeFields = []field[*HTTPProbe]{
	{"port", func(d *decoder, k string, v *yaml.Node, h *HTTPProbe) { h.Port, _ = d.integer(k, v, "http probe port") }},
	{"path", func(d *decoder, k string, v *yaml.Node, h *HTTPProbe) { h.Path, _ = d.str(k, v, "http probe path") }},
	{"host", func(d *decoder, k string, v *yaml.Node, h *HTTPProbe) { h.Host, _ = d.str(k, v, "http probe host") }},
	{"scheme", func(d *decoder, k string, v *yaml.Node, h *HTTPProbe) { h.Scheme, _ = d.str(k, v, "http probe scheme") }},
	{"headers", func(d *decoder, k string, v *yaml.Node, h *HTTPProbe) {
		h.Headers = d.stringMap(k, v, "http probe headers", false, noValue)
	}},
}

var tcpProbeFields = []field[*TCPProbe]{
	{"port", func(d *decoder, k string, v *yaml.Node, t *TCPProbe) { t.Port, _ = d.integer(k, v, "tcp probe port") }},
	{"host", func(d *decoder, k string, v *yaml.Node, t *TCPProbe) { t.Host, _ = d.str(k, v, "tcp probe host") }},
}

var execProbeFields = []field[*ExecProbe]{
	{"command", func(d *decoder, k string, v *yaml.Node, e *ExecProbe) {
		e.Command, _ = d.words(k, v, "exec probe command")
	}},
}

// probe decodes {http|tcp|exec|image, period, timeout, retries, start_period}; what names it
// (ready, live).
func (d *decoder) probe(key string, n *yaml.Node, what string) *Probe {
	return mapping(d, key, n, what, "{http: {port: 8080, path: /healthz}}", probeFields(what))
}

var backoffFields = []field[*Backoff]{
	{"initial", func(d *decoder, k string, v *yaml.Node, b *Backoff) {
		b.Initial, _ = d.duration(k, v, "backoff initial", true)
	}},
	{"max", func(d *decoder, k string, v *yaml.Node, b *Backoff) { b.Max, _ = d.duration(k, v, "backoff max", true) }},
	{"reset", func(d *decoder, k string, v *yaml.Node, b *Backoff) {
		b.Reset, _ = d.duration(k, v, "backoff reset", true)
	}},
}
