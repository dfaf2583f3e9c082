package recipes

// x-sidecar: our own fields inside a compose file, at the top level, per service, per
// top-level volume and config, and per config reference. The importer reads them with the
// recipe decoder (they use sidecar.yaml's syntax: a probe is written as in a recipe) and the
// compose export writes the same types.

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	yaml "go.yaml.in/yaml/v3"
)

// composeX is x-sidecar on a service.
type composeX struct {
	// Role forces the service's role in its pod: main, sidecar, init, or infra (a
	// namespace holder that sidecar's own infra container replaces).
	Role Role `yaml:"role,omitempty"`
	// Main: true is short for role: main.
	Main bool `yaml:"main,omitempty"`
	// Pod names the pod the service's namespace group becomes (default: the namespace
	// owner's service name).
	Pod string `yaml:"pod,omitempty"`
	// Name is the container's name (default: the service's name, made a DNS label).
	Name string `yaml:"name,omitempty"`
	// Ports are the container's own published ports, in sidecar.yaml's syntax, in a pod
	// whose infra service publishes them (the infra service's other ports go to main).
	Ports []string `yaml:"ports,omitempty"`
	// Expose are the container's own declared ports, likewise, in a pod whose infra service
	// declares them in expose (the infra service's others go to main).
	Expose []string `yaml:"expose,omitempty"`
	// Ready and Live are probes in sidecar.yaml's syntax; Ready replaces a healthcheck.
	Ready *Probe `yaml:"ready,omitempty"`
	Live  *Probe `yaml:"live,omitempty"`
	// Restart replaces the restart the compose restart: field maps to.
	Restart RestartPolicy `yaml:"restart,omitempty"`
	// Gate is the sidecar's gate (see Container.Gate): started makes the service after it
	// start without waiting for its healthcheck, what a depends_on condition
	// service_started says in docker compose; running, nor for its startup probe.
	Gate Gate `yaml:"gate,omitempty"`
	// StopGrace replaces stop_grace_period. On the pod's infra service it is the pod's stop
	// grace (its whole termination budget).
	StopGrace *Duration `yaml:"stop_grace,omitempty"`
	// What compose has no key for, in sidecar.yaml's syntax: a startup probe, http and sleep
	// hooks (an exec hook is compose's post_start or pre_stop), downward-API variables.
	Startup    *Probe   `yaml:"startup,omitempty"`
	PostStart  *Hook    `yaml:"post_start,omitempty"`
	PreStop    *Hook    `yaml:"pre_stop,omitempty"`
	EnvRefs    []EnvRef `yaml:"env_refs,omitempty"`
	ExpandRefs bool     `yaml:"expand_refs,omitempty"`
	// Of the pod, on any of its services (on the infra service in an export): whether it is
	// a job, and its identity for the downward API.
	Job            *bool             `yaml:"job,omitempty"`
	Namespace      string            `yaml:"namespace,omitempty"`
	Labels         map[string]string `yaml:"labels,omitempty"`
	Annotations    map[string]string `yaml:"annotations,omitempty"`
	ServiceAccount string            `yaml:"service_account,omitempty"`
}

var composeXFields = []field[*composeX]{
	{"role", func(d *decoder, k string, v *yaml.Node, x *composeX) { d.enum(k, v, "role", &x.Role) }},
	{"main", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Main, _ = d.boolean(k, v, "main") }},
	{"pod", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Pod, _ = d.str(k, v, "pod") }},
	{"name", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Name, _ = d.str(k, v, "name") }},
	{"ports", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Ports = d.strList(k, v, "ports") }},
	{"expose", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Expose = d.strList(k, v, "expose") }},
	{"ready", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Ready = d.probe(k, v, "ready") }},
	{"live", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Live = d.probe(k, v, "live") }},
	{"restart", func(d *decoder, k string, v *yaml.Node, x *composeX) { d.enum(k, v, "restart", &x.Restart) }},
	{"gate", func(d *decoder, k string, v *yaml.Node, x *composeX) { d.enum(k, v, "gate", &x.Gate) }},
	{"stop_grace", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		if g, ok := d.duration(k, v, "stop_grace", false); ok {
			x.StopGrace = &g
		}
	}},
	{"startup", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Startup = d.probe(k, v, "startup") }},
	{"post_start", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.PostStart = d.hook(k, v, "post_start") }},
	{"pre_stop", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.PreStop = d.hook(k, v, "pre_stop") }},
	{"env_refs", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		var c Container
		containerField("env_refs").read(d, k, v, &c)
		x.EnvRefs = c.EnvRefs
	}},
	{"expand_refs", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		x.ExpandRefs, _ = d.boolean(k, v, "expand_refs")
	}},
	{"job", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		if j, ok := d.boolean(k, v, "job"); ok {
			x.Job = &j
		}
	}},
	{"namespace", func(d *decoder, k string, v *yaml.Node, x *composeX) { x.Namespace, _ = d.str(k, v, "namespace") }},
	{"labels", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		x.Labels = d.stringMap(k, v, "labels", false, noValue)
	}},
	{"annotations", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		x.Annotations = d.stringMap(k, v, "annotations", false, noValue)
	}},
	{"service_account", func(d *decoder, k string, v *yaml.Node, x *composeX) {
		x.ServiceAccount, _ = d.str(k, v, "service_account")
	}},
}

// composeXDep is x-sidecar on a depends_on entry: what the pod waits for of the pod of the
// service named, when the entry's condition does not say it (the compose export writes it
// where compose cannot: ready for a main whose ready probe is no healthcheck).
type composeXDep struct {
	Condition *DepCondition `yaml:"condition,omitempty"`
}

var composeXDepFields = []field[*composeXDep]{
	{"condition", func(d *decoder, k string, v *yaml.Node, x *composeXDep) {
		var c DepCondition
		if d.enum(k, v, "condition", &c) {
			x.Condition = &c
		}
	}},
}

// dependsX reads x-sidecar on service svc's depends_on entry naming dep; nil when there is
// none (or it has problems, reported).
func (c *composeImport) dependsX(svc, dep string) *composeXDep {
	n := yamlpos.Value(yamlpos.Value(yamlpos.Value(c.svcNode(svc), "depends_on"), dep), "x-sidecar")
	var x composeXDep
	if decodeX(c, n, "services."+svc+".depends_on."+dep+".x-sidecar", composeXDepFields, &x) == nil {
		return nil
	}
	return &x
}

func containerField(key string) field[*Container] {
	return containerFields[slices.IndexFunc(containerFields, func(f field[*Container]) bool { return f.name == key })]
}

// composeXInfraFields are the x-sidecar fields an infra service uses; the others are warned
// about there.
var composeXInfraFields = []string{"role", "pod", "stop_grace", "job", "namespace", "labels", "annotations", "service_account"}

// composeXVolume is x-sidecar on a top-level volume.
type composeXVolume struct {
	// Name is the pod volume's name (default: the compose volume's name, made a DNS label).
	Name string `yaml:"name,omitempty"`
	// Pod has the volume even when none of its services mounts it.
	Pod string `yaml:"pod,omitempty"`
}

var composeXVolumeFields = []field[*composeXVolume]{
	{"name", func(d *decoder, k string, v *yaml.Node, x *composeXVolume) { x.Name, _ = d.str(k, v, "name") }},
	{"pod", func(d *decoder, k string, v *yaml.Node, x *composeXVolume) { x.Pod, _ = d.str(k, v, "pod") }},
}

// composeXConfig is x-sidecar on a top-level config: which file of which pod volume it is.
type composeXConfig struct {
	// Pod has the volume, with this file in it, even when none of its services mounts it.
	Pod string `yaml:"pod"`
	// Volume is the pod volume the file is in (default: the config's name, made a DNS label).
	Volume string `yaml:"volume"`
	// File is the file's name in the volume (default: the config's name).
	File string `yaml:"file"`
	// Secret makes the volume a secret one (see Volume.Secret).
	Secret bool `yaml:"secret,omitempty"`
}

var composeXConfigFields = []field[*composeXConfig]{
	{"pod", func(d *decoder, k string, v *yaml.Node, x *composeXConfig) { x.Pod, _ = d.str(k, v, "pod") }},
	{"volume", func(d *decoder, k string, v *yaml.Node, x *composeXConfig) { x.Volume, _ = d.str(k, v, "volume") }},
	{"file", func(d *decoder, k string, v *yaml.Node, x *composeXConfig) { x.File, _ = d.str(k, v, "file") }},
	{"secret", func(d *decoder, k string, v *yaml.Node, x *composeXConfig) { x.Secret, _ = d.boolean(k, v, "secret") }},
}

// composeXConfigRef is x-sidecar on a service's config reference: the mount of the pod
// volume this file is part of. Without it, the file alone is mounted at the reference's
// target (sub_path: the file).
type composeXConfigRef struct {
	// Target and SubPath are the volume mount's: the file lands at Target joined with its
	// name below SubPath, which must be the reference's target.
	Target  string `yaml:"target"`
	SubPath string `yaml:"sub_path,omitempty"`
	// Index is the mount's place among the container's mounts (default: after the others).
	Index *int `yaml:"index"`
}

var composeXConfigRefFields = []field[*composeXConfigRef]{
	{"target", func(d *decoder, k string, v *yaml.Node, x *composeXConfigRef) { x.Target, _ = d.str(k, v, "target") }},
	{"sub_path", func(d *decoder, k string, v *yaml.Node, x *composeXConfigRef) { x.SubPath, _ = d.str(k, v, "sub_path") }},
	{"index", func(d *decoder, k string, v *yaml.Node, x *composeXConfigRef) {
		if i, ok := d.integer(k, v, "index"); ok {
			x.Index = &i
		}
	}},
}

// composeXTop is x-sidecar at the top level of a compose file.
type composeXTop struct {
	// Backoff is the crash-restart backoff of the whole stack.
	Backoff *Backoff `yaml:"backoff,omitempty"`
}

var composeXTopFields = []field[*composeXTop]{
	{"backoff", func(d *decoder, k string, v *yaml.Node, x *composeXTop) {
		x.Backoff = &Backoff{}
		fields(d, k, v, "backoff", "{initial: 1s, max: 30s, reset: 60s}", backoffFields, x.Backoff)
	}},
}

// role is the role the x-sidecar fields ask for, as the planner spells it.
func (x *composeX) role() string {
	if x == nil {
		return ""
	}
	if x.Main && x.Role == RoleUnknown {
		return composeRoleMain
	}
	return x.Role.String()
}

// serviceX reads x-sidecar of service svc, or nil.
func (c *composeImport) serviceX(svc string) (*composeX, *yaml.Node) {
	var x composeX
	n := decodeX(c, yamlpos.Value(c.svcNode(svc), "x-sidecar"), "services."+svc+".x-sidecar", composeXFields, &x)
	if n == nil {
		return nil, nil
	}
	if x.Main && x.Role != RoleUnknown && x.Role != RoleMain {
		c.problem(c.posOf(yamlpos.Value(n, "main")), "x-sidecar says both main: true and role: "+x.Role.String(), "keep one of them")
	}
	return &x, n
}

// decodeX decodes x-sidecar node n (at path) through table into out: n, or nil when there
// is none or it has problems (each reported, placed).
func decodeX[T any](c *composeImport, n *yaml.Node, path string, table []field[*T], out *T) *yaml.Node {
	if n == nil || c.rejectedNode(n) {
		return nil
	}
	d := newDecoder(c.file, NewPositions(c.file), func(string) (string, bool) { return "", false }, c.interp.failed)
	d.fileOf = c.fileOf
	fields(d, "", n, path, "", table, out)
	for _, p := range d.problems {
		if !strings.Contains(p.Message, path) {
			p.Message = path + ": " + p.Message // which service's x-sidecar
		}
		c.problems = append(c.problems, p)
	}
	if len(d.problems) > 0 {
		return nil
	}
	return n
}

// recordTree records the position of every field below n under key, using the YAML keys
// as the model's field names (x-sidecar uses sidecar.yaml's syntax, so they agree).
func (c *composeImport) recordTree(key string, n *yaml.Node) {
	if n == nil {
		return
	}
	c.pos.Set(key, c.posOf(n))
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range yamlpos.Pairs(n) {
			c.recordTree(key+"/"+p.Key.Value, p.Value)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			c.recordTree(key+"["+strconv.Itoa(i)+"]", item)
		}
	}
}
