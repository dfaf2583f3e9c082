package recipes

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// The downward API: what a pod may know of itself (Kubernetes fieldRef and resourceFieldRef),
// resolved in one place for environment variables (EnvRef) and for files alike.

// DownwardFacts are what only a running pod knows: the orchestrator fills them in when it
// creates a container. The importers, which resolve only the static fields, pass the zero
// value.
type DownwardFacts struct {
	UID      string   // metadata.uid: one per incarnation of the pod
	NodeName string   // spec.nodeName: the engine's name
	PodIPs   []string // status.podIP(s): the infra container's addresses on its network
	HostIPs  []string // status.hostIP(s): the host as the pod sees it (the network's gateway)
	// The node's allocatable resources: what a limit that is not set reads as.
	NodeCPU    MilliCPU
	NodeMemory ByteSize
}

// Field paths of the downward API.
const (
	FieldName           = "metadata.name"
	FieldNamespace      = "metadata.namespace"
	FieldUID            = "metadata.uid"
	FieldLabels         = "metadata.labels"
	FieldAnnotations    = "metadata.annotations"
	FieldNodeName       = "spec.nodeName"
	FieldServiceAccount = "spec.serviceAccountName"
	FieldPodIP          = "status.podIP"
	FieldPodIPs         = "status.podIPs"
	FieldHostIP         = "status.hostIP"
	FieldHostIPs        = "status.hostIPs"
)

// DefaultNamespace and DefaultServiceAccount are what metadata.namespace and
// spec.serviceAccountName read when the pod sets none, as in a cluster.
const (
	DefaultNamespace      = "default"
	DefaultServiceAccount = "default"
)

// downwardStatic read the fields the pod has before it runs; downwardLive those only the
// running pod knows. Labels and annotations read as a downwardAPI volume file holds them.
var (
	downwardStatic = map[string]func(*Pod) string{
		FieldName:           func(p *Pod) string { return p.Name },
		FieldNamespace:      func(p *Pod) string { return cmp.Or(p.Namespace, DefaultNamespace) },
		FieldLabels:         func(p *Pod) string { return formatMap(p.Labels) },
		FieldAnnotations:    func(p *Pod) string { return formatMap(p.Annotations) },
		FieldServiceAccount: func(p *Pod) string { return cmp.Or(p.ServiceAccount, DefaultServiceAccount) },
	}
	downwardLive = map[string]func(DownwardFacts) string{
		FieldUID:      func(f DownwardFacts) string { return f.UID },
		FieldNodeName: func(f DownwardFacts) string { return f.NodeName },
		FieldPodIP:    func(f DownwardFacts) string { return firstOf(f.PodIPs) },
		FieldPodIPs:   func(f DownwardFacts) string { return strings.Join(f.PodIPs, ",") },
		FieldHostIP:   func(f DownwardFacts) string { return firstOf(f.HostIPs) },
		FieldHostIPs:  func(f DownwardFacts) string { return strings.Join(f.HostIPs, ",") },
	}
)

// DownwardStatic reports whether ref can be resolved without a running pod (a name, a label,
// a resource amount), as an importer may do; the UID, the node and the addresses cannot, nor
// a value that refers to other variables.
func DownwardStatic(ref EnvRef) bool {
	_, live := downwardLive[ref.Field]
	// A resource whose limit is not set reads as the node's allocatable amount.
	return !live && ref.Resource == "" && ref.Value == ""
}

// NeedsPodIP reports whether ref reads an address the pod only has once its network exists.
func NeedsPodIP(ref EnvRef) bool {
	_, live := downwardLive[ref.Field]
	return live && strings.HasPrefix(ref.Field, "status.")
}

// CheckEnvRef says what is wrong with ref for container c of pod, or nil: exactly one of a
// field path and a resource, a path the downward API knows, a resource of a container of the
// pod, a divisor that reads as an amount of that resource.
func CheckEnvRef(pod *Pod, c *Container, ref EnvRef) error {
	switch {
	case (ref.Field != "") && (ref.Resource != "") || (ref.Field != "" || ref.Resource != "") && ref.Value != "":
		return fmt.Errorf("%s: set one of a field, a resource and a value", ref.Name)
	case ref.Value != "":
		return nil
	case ref.Field != "":
		if _, _, ok := fieldKey(ref.Field); !ok {
			return fmt.Errorf("%s: unknown field %q: use one of %s, %s['KEY'], %s['KEY'], %s, %s, %s, %s, %s, %s, %s, %s",
				ref.Name, ref.Field, FieldName, FieldLabels, FieldAnnotations, FieldNamespace, FieldUID, FieldNodeName,
				FieldServiceAccount, FieldPodIP, FieldPodIPs, FieldHostIP, FieldHostIPs)
		}
		return nil
	case ref.Resource != "":
		_, err := DownwardValue(pod, c, ref, DownwardFacts{})
		return err
	}
	return fmt.Errorf("%s: set a field (metadata.name, status.podIP, ...) or a resource (limits.cpu, ...)", ref.Name)
}

// fieldKey splits a field path into its base and, for labels and annotations, the key
// ("metadata.labels['app']" → metadata.labels, app). ok is false for a path the downward API
// does not know.
func fieldKey(path string) (base, key string, ok bool) {
	if b, rest, found := strings.Cut(path, "['"); found && (b == FieldLabels || b == FieldAnnotations) {
		key, closed := strings.CutSuffix(rest, "']")
		return b, key, closed && key != ""
	}
	_, static := downwardStatic[path]
	_, live := downwardLive[path]
	return path, "", static || live
}

// DownwardValue is the value of ref for container c of pod, as Kubernetes gives it:
//   - fields: the pod's name, namespace (default "default"), UID, one label or annotation
//     (empty when absent) or all of them (`key="value"` lines, sorted, as in a downwardAPI
//     volume), the node's name, the service account (default "default"), the first pod or
//     host address or all of them, comma-separated;
//   - a value: as written (its $(VAR) are the caller's to expand);
//   - resources: limits.cpu, limits.memory, requests.cpu or requests.memory of ref.Container
//     (default c) in units of ref.Divisor (default 1 core, 1 byte), rounded up. A limit that
//     is not set reads as the node's allocatable amount; a request that is not set reads as
//     the limit when there is one (Kubernetes' defaulting), else 0.
func DownwardValue(pod *Pod, c *Container, ref EnvRef, facts DownwardFacts) (string, error) {
	switch {
	case ref.Resource != "":
		return resourceValue(pod, c, ref, facts)
	case ref.Value != "":
		return ref.Value, nil // expanded by the caller, which knows the variables before it
	}
	base, key, ok := fieldKey(ref.Field)
	read, static := downwardStatic[base]
	switch {
	case !ok:
		return "", fmt.Errorf("%s: unknown field %q", ref.Name, ref.Field)
	case key != "" && base == FieldLabels:
		return pod.Labels[key], nil
	case key != "":
		return pod.Annotations[key], nil
	case static:
		return read(pod), nil
	}
	return downwardLive[base](facts), nil
}

// firstOf is the first of list, or "".
func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// formatMap writes labels or annotations as a downwardAPI volume file holds them.
func formatMap(m map[string]string) string {
	var lines []string
	for _, k := range sortedKeys(m) {
		lines = append(lines, k+"="+strconv.Quote(m[k]))
	}
	return strings.Join(lines, "\n")
}

func resourceValue(pod *Pod, c *Container, ref EnvRef, facts DownwardFacts) (string, error) {
	target := c
	if ref.Container != "" {
		if target = pod.Container(ref.Container); target == nil {
			return "", fmt.Errorf("%s: resource %s of container %q: pod %s has no such container", ref.Name, ref.Resource, ref.Container, pod.Name)
		}
	}
	if target == nil {
		return "", fmt.Errorf("%s: resource %s: name the container", ref.Name, ref.Resource)
	}
	limits, requests := EffectiveResources(target)
	which, resource, _ := strings.Cut(ref.Resource, ".")
	var limit, request, node, divisor int64
	var parse func(string) (int64, error)
	var example string
	switch resource {
	case "cpu":
		limit, request, node, divisor = int64(limits.CPU), int64(requests.CPU), int64(facts.NodeCPU), 1000
		parse = func(s string) (int64, error) { v, err := ParseMilliCPU(s); return int64(v), err }
		example = "an amount of CPU such as 1 or 1m"
	case "memory":
		limit, request, node, divisor = int64(limits.Memory), int64(requests.Memory), int64(facts.NodeMemory), 1
		parse = func(s string) (int64, error) { v, err := ParseByteSize(s); return int64(v), err }
		example = "an amount of memory such as 1, 1Ki or 1Mi"
	}
	if parse == nil || (which != "limits" && which != "requests") {
		return "", fmt.Errorf("%s: unknown resource %q: use limits.cpu, limits.memory, requests.cpu or requests.memory", ref.Name, ref.Resource)
	}
	if ref.Divisor != "" {
		d, err := parse(ref.Divisor)
		if err != nil || d <= 0 {
			return "", fmt.Errorf("%s: divisor %q of %s: write %s", ref.Name, ref.Divisor, ref.Resource, example)
		}
		divisor = d
	}
	v := request
	if which == "limits" {
		v = cmp.Or(limit, node) // a limit not set: the node's allocatable amount
	}
	return strconv.FormatInt(ceilDiv(v, divisor), 10), nil
}

// EffectiveResources are c's limits and requests as Kubernetes defaults them: a request that
// is not set is the limit, when there is one.
func EffectiveResources(c *Container) (limits, requests ResourceList) {
	if c.Resources == nil {
		return ResourceList{}, ResourceList{}
	}
	limits, requests = c.Resources.Limits, c.Resources.Requests
	requests.CPU, requests.Memory = cmp.Or(requests.CPU, limits.CPU), cmp.Or(requests.Memory, limits.Memory)
	return limits, requests
}

// ceilDiv is a/b rounded up, for non-negative a and positive b.
func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a-1)/b + 1
}

// ExpandVars expands $(VAR) references in s with Kubernetes' rules (those of a container's
// command, args and env values): $(NAME) becomes lookup(NAME) when it is defined and stays as
// written when it is not; $$ is a literal $ (so $$(NAME) is the text "$(NAME)"); any other $
// is kept; an unterminated "$(" is kept as written.
func ExpandVars(s string, lookup func(name string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch next := s[i+1:]; {
		case s[i] == '$' && strings.HasPrefix(next, "$"):
			b.WriteByte('$')
			i++
		case s[i] == '$' && strings.HasPrefix(next, "(") && strings.Contains(next, ")"):
			name, _, _ := strings.Cut(next[1:], ")")
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += len(name) + 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
