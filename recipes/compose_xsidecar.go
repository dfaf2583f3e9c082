package recipes

// x-sidecar: our own fields in a compose file (top level, service, depends_on entry, volume,
// config, config reference), in sidecar.yaml's syntax, read with the recipe decoder; the
// compose export writes the same types.

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	yaml "go.yaml.in/yaml/v3"
)

// composeX is x-sidecar on a service.
type composeX struct {
	// Role forces the service's role in its pod: main, sidecar, init, or infra (a namespace
	// holder that sidecar's own infra container replaces). Main: true is short for role: main.
	Role Role `yaml:"role,omitempty"`
	Main bool `yaml:"main,omitempty"`
	// Pod names the pod of the service's namespace group (default: the owner's service name).
	Pod string `yaml:"pod,omitempty"`
	// Name is the container's name (default: the service's name, made a DNS label).
	Name string `yaml:"name,omitempty"`
	// Ports and Expose are the container's own ports, in a pod whose infra service publishes
	// or declares them (the infra service's others go to main).
	Ports  []string `yaml:"ports,omitempty"`
	Expose []string `yaml:"expose,omitempty"`
	// Ready and Live are probes; Ready replaces a healthcheck.
	Ready *Probe `yaml:"ready,omitempty"`
	Live  *Probe `yaml:"live,omitempty"`
	// Restart replaces what compose's restart: maps to.
	Restart RestartPolicy `yaml:"restart,omitempty"`
	// Gate is the sidecar's gate (Container.Gate): started is docker compose's depends_on
	// condition service_started (no wait for the healthcheck); running, nor the startup probe.
	Gate Gate `yaml:"gate,omitempty"`
	// StopGrace replaces stop_grace_period; on the infra service, the pod's whole budget.
	StopGrace *Duration `yaml:"stop_grace,omitempty"`
	// What compose has no key for: a startup probe, http and sleep hooks (an exec hook is
	// compose's post_start or pre_stop), downward-API variables.
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

var composeXFields = xFields[composeX]()

// composeXDep is x-sidecar on a depends_on entry: what the pod waits for, where compose's
// condition cannot say it (ready, for a main whose ready probe is no healthcheck).
type composeXDep struct {
	Condition *DepCondition `yaml:"condition,omitempty"`
}

var composeXDepFields = xFields[composeXDep]()

// dependsX reads x-sidecar on service svc's depends_on entry naming dep; nil when there is
// none, or it has problems (reported).
func (c *composeImport) dependsX(svc, dep string) *composeXDep {
	n := yamlpos.Value(yamlpos.Value(yamlpos.Value(c.svcNode(svc), "depends_on"), dep), "x-sidecar")
	var x composeXDep
	if decodeX(c, n, "services."+svc+".depends_on."+dep+".x-sidecar", composeXDepFields, &x) == nil {
		return nil
	}
	return &x
}

// xFields is the table of x-sidecar fields of T: a field per field of T, named by its yaml
// tag (the export writes T as it is) and read as sidecar.yaml reads a value of its type.
func xFields[T any]() []field[*T] {
	t := reflect.TypeFor[T]()
	out := make([]field[*T], t.NumField())
	for i := range out {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		out[i] = field[*T]{name, func(d *decoder, k string, v *yaml.Node, x *T) {
			d.xValue(k, v, name, reflect.ValueOf(x).Elem().Field(i).Addr().Interface())
		}}
	}
	return out
}

// xValue reads v, x-sidecar field name, into the field into points to.
func (d *decoder) xValue(k string, v *yaml.Node, name string, into any) {
	switch p := into.(type) {
	case *string:
		*p, _ = d.str(k, v, name)
	case *bool:
		*p, _ = d.boolean(k, v, name)
	case **bool:
		if b, ok := d.boolean(k, v, name); ok {
			*p = &b
		}
	case **int:
		if i, ok := d.integer(k, v, name); ok {
			*p = &i
		}
	case **Duration:
		if g, ok := d.duration(k, v, name, false); ok {
			*p = &g
		}
	case **DepCondition:
		var c DepCondition
		if d.enum(k, v, name, &c) {
			*p = &c
		}
	case *[]string:
		*p = d.strList(k, v, name)
	case *map[string]string:
		*p = d.stringMap(k, v, name, false, noValue)
	case **Probe:
		*p = d.probe(k, v, name)
	case **Hook:
		*p = d.hook(k, v, name)
	case *[]EnvRef:
		var c Container
		containerFields[slices.Index(fieldNames(containerFields), name)].read(d, k, v, &c)
		*p = c.EnvRefs
	case **Backoff:
		*p = &Backoff{}
		fields(d, k, v, name, "{initial: 1s, max: 30s, reset: 60s}", backoffFields, *p)
	case interface{ UnmarshalText([]byte) error }:
		d.enum(k, v, name, p)
	default:
		panic(fmt.Sprintf("x-sidecar field %s: no reader for %T", name, into))
	}
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

var composeXVolumeFields = xFields[composeXVolume]()

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

var composeXConfigFields = xFields[composeXConfig]()

// composeXConfigRef is x-sidecar on a service's config reference: the mount of the pod
// volume the file is of (without it, the file alone is mounted at the reference's target).
type composeXConfigRef struct {
	// Target and SubPath are the mount's: the file lands at Target joined with its name
	// below SubPath, which must be the reference's target.
	Target  string `yaml:"target"`
	SubPath string `yaml:"sub_path,omitempty"`
	// Index is the mount's place among the container's mounts (default: after the others).
	Index *int `yaml:"index"`
}

var composeXConfigRefFields = xFields[composeXConfigRef]()

// composeXTop is x-sidecar at the top level of a compose file.
type composeXTop struct {
	// Backoff is the crash-restart backoff of the whole stack.
	Backoff *Backoff `yaml:"backoff,omitempty"`
}

var composeXTopFields = xFields[composeXTop]()

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

// recordTree records the position of every field below n under key, the YAML keys being the
// model's field names (x-sidecar uses sidecar.yaml's syntax).
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
