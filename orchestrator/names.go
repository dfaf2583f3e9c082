package orchestrator

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes"
)

// InfraName is the container name of every pod's infra container, in labels and engine names.
const InfraName = "infra"

// Names computes the engine names of one stack's objects. Engine names are
// "<stack>-<pod>-<object>", shortened to "<stack>-<object>" when the pod is named like the
// stack (the flat, one-pod form of a recipe).
type Names struct {
	Stack string
}

func (n Names) prefix(pod string) string {
	if pod == n.Stack {
		return n.Stack + "-"
	}
	return n.Stack + "-" + pod + "-"
}

// Container is the engine name of a container of a pod ("infra" for its infra container).
func (n Names) Container(pod, container string) string { return n.prefix(pod) + container }

// Volume is the engine name of a pod volume.
func (n Names) Volume(pod, volume string) string { return n.prefix(pod) + volume }

// StackVolume is the engine name of a stack volume, shared by the stack's pods.
func (n Names) StackVolume(volume string) string { return n.Stack + "-" + volume }

// Network is the engine name of the stack network, created when the stack runs several pods.
func (n Names) Network() string { return n.Stack + "-net" }

// StackLabels are the labels every engine object of the stack carries.
func StackLabels(stack *recipes.Stack, version string) Labels {
	return Labels{Stack: stack.Name, Version: version, Recipe: stack.Source.List()}
}

// ConfigHash is a stable hash of a normalised container spec and the image it resolved to: it
// changes exactly when the container would be created differently.
func ConfigHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// The model marshals by construction; a failure here is a programming error that
		// must not crash a running stack, so hash its text instead.
		b = []byte(err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// NamedContainer is a container of a stack as a command line names it (see MatchContainers).
type NamedContainer struct {
	Pod        string
	PodAliases []string // the pod's other names (recipes.Stack.PodAliases), when known
	Name       string
	Role       recipes.Role
}

// Ref is the container's reference.
func (c NamedContainer) Ref() ContainerRef { return ContainerRef{Pod: c.Pod, Container: c.Name} }

func (c NamedContainer) podNamed(name string) bool {
	return name == c.Pod || slices.Contains(c.PodAliases, name)
}

// MatchContainers returns the containers of cs that name n names, in cs's order: every
// command that names a container (logs, restart, stop, start, exec) reads its names here.
// n is "container", or "pod/container" where the pod goes by its name or one of its aliases
// (a compose service whose name is not a DNS label, debug_tool, makes pod debug-tool with
// the alias debug_tool; container_name and network aliases are aliases too). A bare name
// that no container has but that names a pod (by name or alias) names that pod's container
// of the pod's own name (a compose service's), else the pod's main: debug_tool names
// debug-tool/debug-tool. A name that matches nothing so is read again as a DNS label, the
// way a compose service's name becomes its container's (recipes.DNSLabel): web_envoy, which joins
// pod web (network_mode: service:web), names web/web-envoy. Several matches are for the
// caller to call ambiguous.
func MatchContainers(cs []NamedContainer, n string) []NamedContainer {
	if out := matchContainers(cs, n); len(out) > 0 {
		return out
	}
	if l := dnsLabelName(n); l != n {
		return matchContainers(cs, l)
	}
	return nil
}

// matchContainers is MatchContainers of n as written.
func matchContainers(cs []NamedContainer, n string) []NamedContainer {
	pod, name, qualified := strings.Cut(n, "/")
	if !qualified {
		name = n
	}
	var out []NamedContainer
	for _, c := range cs {
		if c.Name == name && (!qualified || c.podNamed(pod)) {
			out = append(out, c)
		}
	}
	if len(out) > 0 || qualified {
		return out
	}
	pick := map[string]NamedContainer{} // pod named n → its container of its name, else its main
	var pods []string
	for _, c := range cs {
		if !c.podNamed(n) || c.Name != c.Pod && c.Role != recipes.RoleMain {
			continue
		}
		had, ok := pick[c.Pod]
		if !ok {
			pods = append(pods, c.Pod)
		}
		if !ok || c.Name == c.Pod && had.Name != had.Pod {
			pick[c.Pod] = c
		}
	}
	for _, p := range pods {
		out = append(out, pick[p])
	}
	return out
}

// dnsLabelName is n, "name" or "pod/name", with each part made a DNS label (recipes.DNSLabel),
// a part with nothing left kept as written.
func dnsLabelName(n string) string {
	parts := strings.Split(n, "/")
	for i, p := range parts {
		parts[i] = cmp.Or(recipes.DNSLabel(p), p)
	}
	return strings.Join(parts, "/")
}

// PodAliasesOf maps each pod of st to its aliases (recipes.Stack.PodAliases); nil st: none.
func PodAliasesOf(st *recipes.Stack) map[string][]string {
	if st == nil {
		return nil
	}
	out := map[string][]string{}
	for _, p := range st.Pods {
		if a := st.PodAliases(p); len(a) > 0 {
			out[p.Name] = a
		}
	}
	return out
}
