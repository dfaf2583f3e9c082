package recipes

// x-sidecar: our own fields inside a compose file, at the top level and per service.

import (
	"reflect"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// composeX is x-sidecar on a service.
type composeX struct {
	// Role forces the service's role in its pod: main, sidecar, init, or infra (a
	// namespace holder that sidecar's own infra container replaces).
	Role Role `yaml:"role"`
	// Main: true is short for role: main.
	Main bool `yaml:"main"`
	// Pod names the pod the service's namespace group becomes (default: the namespace
	// owner's service name).
	Pod string `yaml:"pod"`
	// Ready and Live are probes in sidecar.yaml's syntax; Ready replaces a healthcheck.
	Ready *Probe `yaml:"ready"`
	Live  *Probe `yaml:"live"`
	// Restart replaces the restart the compose restart: field maps to.
	Restart RestartPolicy `yaml:"restart"`
	// StopGrace replaces stop_grace_period. On the pod's infra service it is the pod's stop
	// grace (its whole termination budget).
	StopGrace *Duration `yaml:"stop_grace"`
	// Name is the container's name (default: the service's name, made a DNS label).
	Name string `yaml:"name"`
	// Ports are the container's own published ports, in sidecar.yaml's syntax, in a pod
	// whose infra service publishes them (the infra service's other ports go to main).
	Ports []string `yaml:"ports"`
}

// composeXInfraFields are the x-sidecar fields an infra service uses; the others are warned
// about there.
var composeXInfraFields = []string{"role", "pod", "stop_grace"}

// composeXVolume is x-sidecar on a top-level volume.
type composeXVolume struct {
	// Name is the pod volume's name (default: the compose volume's name, made a DNS label).
	Name string `yaml:"name"`
	// Pod has the volume even when none of its services mounts it.
	Pod string `yaml:"pod"`
}

// composeXConfig is x-sidecar on a top-level config: which file of which pod volume it is.
type composeXConfig struct {
	// Pod has the volume, with this file in it, even when none of its services mounts it.
	Pod string `yaml:"pod"`
	// Volume is the pod volume the file is in (default: the config's name, made a DNS label).
	Volume string `yaml:"volume"`
	// File is the file's name in the volume (default: the config's name).
	File string `yaml:"file"`
}

// composeXConfigRef is x-sidecar on a service's config reference: the mount of the pod
// volume this file is part of. Without it, the file alone is mounted at the reference's
// target (sub_path: the file).
type composeXConfigRef struct {
	// Target and SubPath are the volume mount's: the file lands at Target joined with its
	// name below SubPath, which must be the reference's target.
	Target  string `yaml:"target"`
	SubPath string `yaml:"sub_path"`
	// Index is the mount's place among the container's mounts (default: after the others).
	Index *int `yaml:"index"`
}

// composeXTop is x-sidecar at the top level of a compose file.
type composeXTop struct {
	// Backoff is the crash-restart backoff of the whole stack.
	Backoff *Backoff `yaml:"backoff"`
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

// topX reads the top-level x-sidecar, or nil.
func (c *composeImport) topX() *composeXTop {
	_, n := impLookup(c.root, "x-sidecar")
	if n == nil {
		return nil
	}
	var x composeXTop
	if !c.decodeX(n, &x, "x-sidecar") {
		return nil
	}
	return &x
}

// serviceX reads x-sidecar of service svc, or nil.
func (c *composeImport) serviceX(svc string) (*composeX, *yaml.Node) {
	_, n := impLookup(impValue(impValue(c.root, "services"), svc), "x-sidecar")
	if n == nil {
		return nil, nil
	}
	var x composeX
	if !c.decodeX(n, &x, "services."+svc+".x-sidecar") {
		return nil, nil
	}
	if x.Main && x.Role != RoleUnknown && x.Role != RoleMain {
		_, m := impLookup(n, "main")
		c.problem(impPos(c.file, m), "x-sidecar says both main: true and role: "+x.Role.String(), "keep one of them")
	}
	return &x, impDeref(n)
}

// entryX reads x-sidecar of top-level entry name under section (volumes, configs) into
// out; xn is nil when there is none or it had problems.
func (c *composeImport) entryX(section, name string, out any) (xn *yaml.Node) {
	_, n := impLookup(impValue(impValue(c.root, section), name), "x-sidecar")
	if n == nil || !c.decodeX(n, out, section+"."+name+".x-sidecar") {
		return nil
	}
	return impDeref(n)
}

// decodeX checks n against out's type, placing every unknown field and bad value, then
// decodes it with variables interpolated. ok is false when n had problems.
func (c *composeImport) decodeX(n *yaml.Node, out any, path string) bool {
	n = c.interpolateNode(impDeref(n))
	shape := impShape{file: c.file, tag: "yaml"}
	shape.check(n, reflect.TypeOf(out).Elem(), path)
	if len(shape.problems) > 0 {
		c.problems = append(c.problems, shape.problems...)
		return false
	}
	if err := n.Decode(out); err != nil {
		c.problem(impPos(c.file, n), path+": "+err.Error(), "write x-sidecar's fields as docs/import.md shows them")
		return false
	}
	return true
}

// interpolateNode returns a copy of n with ${VAR} substituted in every scalar; a bad
// template is a problem at its scalar.
func (c *composeImport) interpolateNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	out := *n
	n = &out
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			v, err := c.interpolate(n.Value)
			switch {
			case err != nil:
				c.problem(impPos(c.file, n), "bad variable reference: "+err.Error(), "write $$ for a literal $")
			case v != n.Value:
				n.Value = v
				if n.Style == 0 {
					n.Tag = "" // a plain scalar: its type follows its new value
				}
			}
		}
	case yaml.AliasNode:
		return c.interpolateNode(impDeref(n))
	default:
		content := make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			content[i] = c.interpolateNode(ch)
		}
		n.Content = content
	}
	return n
}

// recordTree records the position of every field below n under key, using the YAML keys
// as the model's field names (x-sidecar uses sidecar.yaml's syntax, so they agree).
func (c *composeImport) recordTree(key string, n *yaml.Node) {
	n = impDeref(n)
	if n == nil {
		return
	}
	c.pos.Set(key, impPos(c.file, n))
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range impPairs(n) {
			c.recordTree(key+"/"+p.Key.Value, p.Value)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			c.recordTree(key+"["+strconv.Itoa(i)+"]", item)
		}
	}
}
