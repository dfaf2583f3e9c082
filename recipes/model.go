// Package recipes holds the stack model that sidecar runs: a stack of pods, each with an
// infra-owned network namespace, init containers, ordered sidecars and one main container.
//
// Everything that reads a file (sidecar.yaml, a compose file, a Kubernetes manifest) ends in
// the same normalised *Stack; the orchestrator and the exporters only ever see that.
package recipes

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Stack is a normalised recipe: every default filled in, every name checked.
type Stack struct {
	// Name is the stack name: a DNS label, used in engine object names and labels.
	Name string `json:"name" yaml:"name"`
	// Dir is the absolute directory relative paths are written against; not content.
	Dir string `json:"-" yaml:"-"`
	// Source names the file the stack came from and what kind it was.
	Source Source `json:"-" yaml:"-"`
	// Pods in start order: a pod comes after every pod it depends on; ties keep declared order.
	Pods []*Pod `json:"pods" yaml:"pods"`
	// Backoff is the restart backoff for crashed containers of the whole stack.
	Backoff Backoff `json:"backoff" yaml:"backoff"`
	// Volumes are stack-scoped, shared by the pods that mount them (a compose named volume):
	// a mount names one when its pod has no volume of that name. Sorted.
	Volumes []*Volume `json:"volumes,omitempty" yaml:"volumes,omitempty"`
	// Positions places the stack's parts in the files it was loaded from (nil when it was
	// not), for messages after the load (an export's warnings).
	Positions *Positions `json:"-" yaml:"-"`
}

// Volume returns the named stack volume, or nil.
func (s *Stack) Volume(name string) *Volume { return named(s.Volumes, name, volumeName) }

// Source says where a stack was read from.
type Source struct {
	File string `json:"file,omitempty"`
	// Overrides are the compose files merged over File, in order (-f A -f B).
	Overrides []string   `json:"overrides,omitempty"`
	Kind      SourceKind `json:"kind,omitempty"`
}

// Files is File and the Overrides, in order; none when File is not known.
func (s Source) Files() []string {
	if s.File == "" {
		return nil
	}
	return append([]string{s.File}, s.Overrides...)
}

// List is Files as one string, the paths separated as in PATH: the form SIDECAR_FILE
// takes (and docker compose's COMPOSE_FILE), which labels record.
func (s Source) List() string { return strings.Join(s.Files(), string(os.PathListSeparator)) }

// Pod is a group of containers sharing one network namespace, owned by an infra container.
type Pod struct {
	Name string `json:"name" yaml:"name"`
	// Main is the container whose life is the pod's life.
	Main *Container `json:"main" yaml:"main"`
	// Sidecars start in this order (each gating the next) and stop in reverse.
	Sidecars []*Container `json:"sidecars" yaml:"sidecars"`
	// Init containers run to completion, in order, before any sidecar starts.
	Init []*Container `json:"init" yaml:"init"`
	// Volumes are pod-scoped: created on up, removed on down. Sorted by name.
	Volumes []*Volume `json:"volumes,omitempty" yaml:"volumes,omitempty"`
	// DependsOn names the pods this pod starts after and what it waits for. Sorted by pod,
	// each pod once.
	DependsOn []PodDep `json:"depends_on,omitempty" yaml:"depends_on,omitempty"`
	// SharePID and ShareIPC put every container of the pod in the infra container's PID and
	// IPC namespaces (Kubernetes shareProcessNamespace; IPC is shared in a Kubernetes pod).
	SharePID bool `json:"share_pid,omitempty" yaml:"share_pid,omitempty"`
	ShareIPC bool `json:"share_ipc,omitempty" yaml:"share_ipc,omitempty"`
	// StopGrace is the pod's whole stop budget (terminationGracePeriodSeconds). Default 30s.
	StopGrace Duration `json:"stop_grace" yaml:"stop_grace"`

	// Job makes the pod run to completion (a Kubernetes Job; compose's
	// service_completed_successfully): main's exit 0 completes it, a failure fails the
	// stack. See docs/lifecycle.md.
	Job bool `json:"job,omitempty" yaml:"job,omitempty"`

	// Owned by the infra container, which holds the namespaces and /etc/hosts: Hostname
	// (default: the pod's name); with Subdomain the pod is also HOSTNAME.SUBDOMAIN.
	Hostname  string `json:"hostname,omitempty" yaml:"hostname,omitempty"`
	Subdomain string `json:"subdomain,omitempty" yaml:"subdomain,omitempty"`
	// Aliases are more names the pod is reachable by on the stack network (compose's
	// container_name, network and link aliases, a name like plausible_db); see PodAliases.
	Aliases []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
	// Sysctls are set in the pod's namespaces (net.* on the infra container; IPC ones where
	// the pod shares IPC).
	Sysctls map[string]string `json:"sysctls,omitempty" yaml:"sysctls,omitempty"`
	// ExtraHosts are written into the pod's /etc/hosts (hostAliases, extra_hosts).
	ExtraHosts []HostAlias `json:"extra_hosts,omitempty" yaml:"extra_hosts,omitempty"`
	// DNS overrides the pod's resolver configuration (compose dns*, Kubernetes dnsConfig).
	DNS *DNSConfig `json:"dns,omitempty" yaml:"dns,omitempty"`

	// The pod's identity as the downward API gives it (EnvRef.Field); Namespace "" is
	// "default".
	Namespace      string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Labels         map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
	ServiceAccount string            `json:"service_account,omitempty" yaml:"service_account,omitempty"`
}

// PodDep is one entry of a pod's depends_on: the pod waited for, and what for. It is
// written as the pod's name when the condition is ready, else as {pod, condition}.
type PodDep struct {
	Pod       string       `json:"pod" yaml:"pod"`
	Condition DepCondition `json:"condition,omitempty" yaml:"condition,omitempty"`
}

// String is the entry as the Kubernetes annotation writes it: NAME, or NAME:CONDITION.
func (d PodDep) String() string {
	if d.Condition == DepReady {
		return d.Pod
	}
	return d.Pod + ":" + d.Condition.String()
}

// MarshalYAML writes a ready dependency as the pod's name.
func (d PodDep) MarshalYAML() (any, error) {
	if d.Condition == DepReady {
		return d.Pod, nil
	}
	return podDepLong(d), nil
}

// podDepLong is PodDep without its methods: the mapping form.
type podDepLong PodDep

// MarshalJSON writes a ready dependency as the pod's name.
func (d PodDep) MarshalJSON() ([]byte, error) {
	if d.Condition == DepReady {
		return json.Marshal(d.Pod)
	}
	return json.Marshal(podDepLong(d))
}

// UnmarshalJSON reads what MarshalJSON writes: a name, or {pod, condition}.
func (d *PodDep) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &d.Pod); err == nil {
		d.Condition = DepReady
		return nil
	}
	var l podDepLong
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*d = PodDep(l)
	return nil
}

// DependsOnNames is the names of the pods p depends on, in order.
func (p *Pod) DependsOnNames() []string {
	var out []string
	for _, d := range p.DependsOn {
		out = append(out, d.Pod)
	}
	return out
}

// DependsOnPod reports whether p depends on the named pod.
func (p *Pod) DependsOnPod(name string) bool {
	return slices.ContainsFunc(p.DependsOn, func(d PodDep) bool { return d.Pod == name })
}

// DepsOf makes ready dependencies on the named pods.
func DepsOf(names ...string) []PodDep {
	var out []PodDep
	for _, n := range names {
		out = append(out, PodDep{Pod: n})
	}
	return out
}

// HostAlias is one /etc/hosts entry: IP and the names that resolve to it.
type HostAlias struct {
	IP        string   `json:"ip" yaml:"ip"`
	Hostnames []string `json:"hostnames" yaml:"hostnames"`
}

// DNSConfig is a pod's resolver configuration.
type DNSConfig struct {
	Nameservers []string `json:"nameservers,omitempty" yaml:"nameservers,omitempty"`
	Searches    []string `json:"searches,omitempty" yaml:"searches,omitempty"`
	Options     []string `json:"options,omitempty" yaml:"options,omitempty"`
}

// Containers returns the pod's app containers in start order: init, sidecars, main.
func (p *Pod) Containers() []*Container {
	out := make([]*Container, 0, len(p.Init)+len(p.Sidecars)+1)
	out = append(out, p.Init...)
	out = append(out, p.Sidecars...)
	if p.Main != nil {
		out = append(out, p.Main)
	}
	return out
}

// SetRoles gives each container the role of its place in the pod, and one that sets no
// restart policy its role's default.
func (p *Pod) SetRoles() {
	set := func(cs []*Container, r Role) {
		for _, c := range cs {
			c.Role = r
			if c.Restart == RestartDefault {
				c.Restart = r.DefaultRestart()
			}
		}
	}
	set(p.Init, RoleInit)
	set(p.Sidecars, RoleSidecar)
	if p.Main != nil {
		set([]*Container{p.Main}, RoleMain)
	}
}

// Container returns the named container of the pod, or nil.
func (p *Pod) Container(name string) *Container {
	return named(p.Containers(), name, func(c *Container) string { return c.Name })
}

// Volume returns the named pod volume, or nil.
func (p *Pod) Volume(name string) *Volume { return named(p.Volumes, name, volumeName) }

func volumeName(v *Volume) string { return v.Name }

// named is the first of xs whose name (nameOf) is name, or nil.
func named[T any](xs []*T, name string, nameOf func(*T) string) *T {
	if i := slices.IndexFunc(xs, func(x *T) bool { return nameOf(x) == name }); i >= 0 {
		return xs[i]
	}
	return nil
}

// Ports returns every port the pod publishes, from all of its containers, in container order.
func (p *Pod) Ports() []Port {
	var out []Port
	for _, c := range p.Containers() {
		out = append(out, c.Ports...)
	}
	return out
}

// Exposed returns every port the pod's containers declare without publishing, in container
// order, each once (a port also published is left out).
func (p *Pod) Exposed() []Port {
	var out []Port
	published := p.Ports()
	for _, c := range p.Containers() {
		for _, e := range c.Expose {
			if !slices.ContainsFunc(published, func(q Port) bool { return q.ContainerPort == e.ContainerPort && q.Protocol == e.Protocol }) &&
				!slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// Pod returns the named pod, or nil.
func (s *Stack) Pod(name string) *Pod {
	return named(s.Pods, name, func(p *Pod) string { return p.Name })
}

// PodAliases are the Aliases pod p is given on the stack network: without its own name,
// repeats, and names another pod has as its name or as an alias of a pod before p. Names
// compare ignoring case, as DNS does.
func (s *Stack) PodAliases(p *Pod) []string {
	kept, _ := s.podAliases(p)
	return kept
}

// aliasClash is an alias of a pod that another pod has: as its name (byName), or as an
// earlier alias.
type aliasClash struct {
	index  int
	name   string
	other  string
	byName bool
}

// podAliases is PodAliases of p, and the aliases of p left out because another pod has them.
func (s *Stack) podAliases(p *Pod) (kept []string, clashes []aliasClash) {
	names := map[string]string{} // lowercased pod name → pod
	if s != nil {
		for _, o := range s.Pods {
			names[strings.ToLower(o.Name)] = o.Name
		}
	}
	claimed := map[string]string{} // lowercased alias → the pod that has it
	own := func(o *Pod) []string {
		var out []string
		for i, a := range o.Aliases {
			la := strings.ToLower(a)
			switch other, isName := names[la]; {
			case la == strings.ToLower(o.Name) || slices.ContainsFunc(out, func(k string) bool { return strings.EqualFold(k, a) }):
			case isName:
				if o == p {
					clashes = append(clashes, aliasClash{index: i, name: a, other: other, byName: true})
				}
			case claimed[la] != "" && claimed[la] != o.Name:
				if o == p {
					clashes = append(clashes, aliasClash{index: i, name: a, other: claimed[la]})
				}
			default:
				out = append(out, a)
			}
		}
		for _, a := range out {
			claimed[strings.ToLower(a)] = o.Name
		}
		return out
	}
	if s != nil {
		for _, o := range s.Pods {
			if o == p {
				break
			}
			own(o)
		}
	}
	return own(p), clashes
}

// Container is one container of a pod.
type Container struct {
	Name string `json:"name" yaml:"name"`
	// Role is derived from where the container sits in its pod.
	Role Role `json:"role" yaml:"-"`
	// Image is the reference to run; with Build and no image, "<stack>-<pod>-<name>:latest".
	Image string `json:"image" yaml:"image"`
	Build *Build `json:"build,omitempty" yaml:"build,omitempty"`
	// Command replaces the image's CMD (Kubernetes args), Entrypoint its ENTRYPOINT
	// (Kubernetes command). Nil keeps the image's own.
	Command    []string `json:"command,omitempty" yaml:"command,omitempty"`
	Entrypoint []string `json:"entrypoint,omitzero" yaml:"entrypoint,omitempty"` // [] (not nil) resets the image's
	WorkingDir string   `json:"workdir,omitempty" yaml:"workdir,omitempty"`
	User       string   `json:"user,omitempty" yaml:"user,omitempty"` // "uid", "name", "uid:gid" or "name:group"
	// Env is the environment with env_file merged in (env wins, later files over earlier).
	Env     Env      `json:"env,omitempty" yaml:"env,omitempty"`
	EnvFile []string `json:"env_file,omitempty" yaml:"env_file,omitempty"`
	// Ports are published on the host by the pod's infra container.
	Ports []Port `json:"ports,omitempty" yaml:"ports,omitempty"`
	// Expose are ports declared but not published (compose expose, a containerPort without
	// hostPort): only ContainerPort and Protocol. Other pods reach every port anyway; the
	// exports declare them and give the pod a Service.
	Expose  []Port  `json:"expose,omitempty" yaml:"expose,omitempty"`
	Volumes []Mount `json:"volumes,omitempty" yaml:"volumes,omitempty"`
	// Ready gates what waits for the container (see Gate); Live restarts it when it fails.
	Ready *Probe `json:"ready,omitempty" yaml:"ready,omitempty"`
	Live  *Probe `json:"live,omitempty" yaml:"live,omitempty"`
	// Gate is what the next container's start waits for, of a sidecar. Normalisation keeps
	// it only where a probe makes the difference.
	Gate Gate `json:"gate,omitempty" yaml:"gate,omitempty"`
	// Restart is what happens when the container exits (default: Role.DefaultRestart).
	Restart RestartPolicy `json:"restart" yaml:"restart"`
	// StopGrace is the container's grace between SIGTERM and SIGKILL, within what is left
	// of the pod's budget (zero: all of it).
	StopGrace Duration `json:"stop_grace,omitempty" yaml:"stop_grace,omitempty"`
	// Init runs docker-init as PID 1 so signals reach the process and zombies are reaped.
	Init bool `json:"init,omitempty" yaml:"init,omitempty"`
	// TTY allocates a terminal for the container (its logs then come as one stream).
	TTY bool `json:"tty,omitempty" yaml:"tty,omitempty"`

	// Startup gates the other probes and the container's start (startupProbe); when it
	// fails, the container is restarted with back-off.
	Startup *Probe `json:"startup,omitempty" yaml:"startup,omitempty"`

	// EnvRefs are downward-API variables (valueFrom), set after Env, in order (an entry may
	// refer to an earlier one with $(VAR)).
	EnvRefs []EnvRef `json:"env_refs,omitempty" yaml:"env_refs,omitempty"`
	// ExpandRefs expands $(VAR) in Command and Entrypoint with the container's environment,
	// by Kubernetes' rules (ExpandVars). Set for Kubernetes input.
	ExpandRefs bool `json:"expand_refs,omitempty" yaml:"expand_refs,omitempty"`

	// Lifecycle hooks: PostStart runs once the container starts, and holds the next
	// container (a failed one kills it); PreStop runs before the stop signal.
	PostStart *Hook `json:"post_start,omitempty" yaml:"post_start,omitempty"`
	PreStop   *Hook `json:"pre_stop,omitempty" yaml:"pre_stop,omitempty"`

	// Resources are the container's CPU and memory limits and reservations.
	Resources *Resources `json:"resources,omitempty" yaml:"resources,omitempty"`
	// Security and kernel settings the engine applies to the container.
	CapAdd     []string `json:"cap_add,omitempty" yaml:"cap_add,omitempty"`   // e.g. NET_ADMIN (no CAP_ prefix), or ALL
	CapDrop    []string `json:"cap_drop,omitempty" yaml:"cap_drop,omitempty"` // likewise
	Privileged bool     `json:"privileged,omitempty" yaml:"privileged,omitempty"`
	ReadOnly   bool     `json:"read_only,omitempty" yaml:"read_only,omitempty"` // the root filesystem
	Devices    []Device `json:"devices,omitempty" yaml:"devices,omitempty"`
	// Groups are supplementary groups of the container's user (group_add).
	Groups []string `json:"groups,omitempty" yaml:"groups,omitempty"`
	// StopSignal replaces the image's stop signal ("SIGQUIT", "SIGINT", ...).
	StopSignal string `json:"stop_signal,omitempty" yaml:"stop_signal,omitempty"`
	// ShmSize is the size of /dev/shm; where the pod shares IPC, the pod's largest applies.
	ShmSize ByteSize `json:"shm_size,omitempty" yaml:"shm_size,omitempty"`
	Ulimits []Ulimit `json:"ulimits,omitempty" yaml:"ulimits,omitempty"`

	// Watch are the rules of `up --watch` (compose develop.watch).
	Watch []WatchRule `json:"watch,omitempty" yaml:"watch,omitempty"`

	// Labels are set on the engine container (compose labels), besides sidecar's own, which
	// are under ReservedLabelPrefix: a key there is a problem. Part of the config hash, so
	// that changing them re-creates the container.
	Labels map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// ReservedLabelPrefix starts the keys of the labels sidecar writes on what it creates (the
// orchestrator's label codec): a container's own labels cannot use it.
const ReservedLabelPrefix = "dev.sidecar."

// EnvRef is one downward-API variable. Exactly one of Field, Resource and Value is set.
type EnvRef struct {
	Name string `json:"name" yaml:"name"`
	// Value is expanded ($(VAR)) when the container is created: an env value that refers
	// to a variable only the running pod knows.
	Value string `json:"value,omitempty" yaml:"value,omitempty"`
	// Field is a Kubernetes fieldRef path (metadata.name, status.podIP, ...: CheckEnvRef).
	Field string `json:"field,omitempty" yaml:"field,omitempty"`
	// Resource is a resourceFieldRef (limits.cpu, requests.memory, ...) of Container
	// (default: this one), in units of Divisor (default 1, rounded up, as in Kubernetes).
	Resource  string `json:"resource,omitempty" yaml:"resource,omitempty"`
	Container string `json:"container,omitempty" yaml:"container,omitempty"`
	Divisor   string `json:"divisor,omitempty" yaml:"divisor,omitempty"`
}

// Hook is a lifecycle hook's action: exactly one of Exec (in the container), HTTP (sent
// from the pod's network namespace, as probes are) and Sleep.
type Hook struct {
	Exec  *ExecProbe `json:"exec,omitempty" yaml:"exec,omitempty"`
	HTTP  *HTTPProbe `json:"http,omitempty" yaml:"http,omitempty"`
	Sleep Duration   `json:"sleep,omitempty" yaml:"sleep,omitempty"`
}

// Resources are CPU and memory limits and requests (CPU shares, a memory soft limit).
// Zero means not set.
type Resources struct {
	Limits   ResourceList `json:"limits,omitzero" yaml:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitzero" yaml:"requests,omitempty"`
}

// ResourceList is an amount of CPU and memory.
type ResourceList struct {
	CPU    MilliCPU `json:"cpu,omitempty" yaml:"cpu,omitempty"`
	Memory ByteSize `json:"memory,omitempty" yaml:"memory,omitempty"`
}

// Device gives the container a host device (compose devices, "/dev/net/tun").
type Device struct {
	HostPath      string `json:"host_path" yaml:"host_path"`
	ContainerPath string `json:"container_path" yaml:"container_path"`               // default HostPath
	Permissions   string `json:"permissions,omitempty" yaml:"permissions,omitempty"` // default "rwm"
}

// Ulimit is one resource limit (compose ulimits: nofile, nproc, memlock, ...).
type Ulimit struct {
	Name string `json:"name" yaml:"name"`
	Soft int64  `json:"soft" yaml:"soft"`
	Hard int64  `json:"hard" yaml:"hard"`
}

// WatchRule is one rule of watch mode: when a file under Path changes (and matches none of
// Ignore, nor the build context's .dockerignore), do Action.
type WatchRule struct {
	// Path is a file or directory on the host, relative to Stack.Dir unless absolute.
	Path   string      `json:"path" yaml:"path"`
	Action WatchAction `json:"action" yaml:"action"`
	// Target is where Path is copied to in the container (sync actions).
	Target string `json:"target,omitempty" yaml:"target,omitempty"`
	// Ignore are patterns (.dockerignore syntax) relative to Path.
	Ignore []string `json:"ignore,omitempty" yaml:"ignore,omitempty"`
}

// Build says how to build a container's image through the engine.
type Build struct {
	// Context is the build context directory, relative to Stack.Dir unless absolute.
	Context string `json:"context" yaml:"context"`
	// Dockerfile is relative to Context. Default "Dockerfile", unless DockerfileInline is set.
	Dockerfile string `json:"dockerfile,omitempty" yaml:"dockerfile,omitempty"`
	// DockerfileInline is the Dockerfile's text itself (compose's dockerfile_inline); it
	// excludes Dockerfile.
	DockerfileInline string            `json:"dockerfile_inline,omitempty" yaml:"dockerfile_inline,omitempty"`
	Args             map[string]string `json:"args,omitempty" yaml:"args,omitempty"`
	Target           string            `json:"target,omitempty" yaml:"target,omitempty"`
}

// Env is an environment: name → value. It marshals with sorted keys.
type Env map[string]string

// Sorted returns the environment as NAME=value lines, sorted by name.
func (e Env) Sorted() []string {
	var out []string
	for _, k := range sortedKeys(e) {
		out = append(out, k+"="+e[k])
	}
	return out
}

// Port is one published port: HostPort on the host maps to ContainerPort in the pod.
type Port struct {
	HostIP        string   `json:"host_ip,omitempty" yaml:"host_ip,omitempty"`
	HostPort      int      `json:"host_port,omitempty" yaml:"host_port,omitempty"` // 0: engine picks
	ContainerPort int      `json:"container_port" yaml:"container_port"`
	Protocol      Protocol `json:"protocol" yaml:"protocol"`
}

func (p Port) String() string {
	s := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
	if p.HostPort != 0 {
		s = fmt.Sprintf("%d:%s", p.HostPort, s)
	}
	if p.HostIP != "" {
		s = p.HostIP + ":" + s
	}
	return s
}

// Mount puts a pod volume or a host path into a container.
type Mount struct {
	Type MountType `json:"type" yaml:"type"`
	// Source is the pod volume's name (MountVolume) or a host path (MountBind), the latter
	// relative to Stack.Dir unless absolute.
	Source   string `json:"source" yaml:"source"`
	Target   string `json:"target" yaml:"target"`
	ReadOnly bool   `json:"read_only,omitempty" yaml:"read_only,omitempty"`
	// SubPath mounts one entry of a volume instead of all of it (Kubernetes subPath).
	SubPath string `json:"sub_path,omitempty" yaml:"sub_path,omitempty"`
	// MustExist makes a bind mount's host path one the container waits for (no
	// bind.create_host_path; hostPath type Directory); else a missing one is created
	// empty, as docker run -v does.
	MustExist bool `json:"must_exist,omitempty" yaml:"must_exist,omitempty"`
}

// Volume is a pod-scoped volume (emptyDir), holding Files from the start when set (a
// ConfigMap or Secret, a recipe's config files).
type Volume struct {
	Name  string            `json:"name" yaml:"name"`
	Files map[string]string `json:"files,omitempty" yaml:"files,omitempty"`
	// Medium "memory" makes the volume a tmpfs; SizeLimit caps it (a tmpfs's size).
	Medium    VolumeMedium `json:"medium,omitempty" yaml:"medium,omitempty"`
	SizeLimit ByteSize     `json:"size_limit,omitempty" yaml:"size_limit,omitempty"`
	// Secret says the files are secrets: export kube writes a Secret, not a ConfigMap.
	Secret bool `json:"secret,omitempty" yaml:"secret,omitempty"`
}

// Probe checks a container. Exactly one of HTTP, TCP, Exec and Image is set.
type Probe struct {
	HTTP *HTTPProbe `json:"http,omitempty" yaml:"http,omitempty"`
	TCP  *TCPProbe  `json:"tcp,omitempty" yaml:"tcp,omitempty"`
	Exec *ExecProbe `json:"exec,omitempty" yaml:"exec,omitempty"`
	// Image makes the engine's verdict on the image's HEALTHCHECK the probe (compose's
	// service_healthy without a healthcheck): only a ready probe, with no timings of its own.
	Image bool `json:"image,omitempty" yaml:"image,omitempty"`
	// Period between attempts, Timeout of one, Retries failures in a row that fail the
	// probe, StartPeriod during which failures do not count (defaults: 1s, 1s, 3, 0).
	Period      Duration `json:"period,omitempty" yaml:"period,omitempty"`
	Timeout     Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	Retries     int      `json:"retries,omitempty" yaml:"retries,omitempty"`
	StartPeriod Duration `json:"start_period,omitempty" yaml:"start_period,omitempty"`
}

// Kind says which check the probe makes.
func (p *Probe) Kind() ProbeKind {
	switch {
	case p.HTTP != nil:
		return ProbeHTTP
	case p.TCP != nil:
		return ProbeTCP
	case p.Exec != nil:
		return ProbeExec
	case p.Image:
		return ProbeImage
	}
	return ProbeNone
}

// HTTPProbe passes when GET http://Host:Port/Path answers 200–399.
type HTTPProbe struct {
	Port    int               `json:"port" yaml:"port"`
	Path    string            `json:"path" yaml:"path"` // default "/"
	Host    string            `json:"host,omitempty" yaml:"host,omitempty"`
	Scheme  string            `json:"scheme,omitempty" yaml:"scheme,omitempty"` // http (default) or https
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
}

// TCPProbe passes when a TCP connection to Host:Port opens.
type TCPProbe struct {
	Port int    `json:"port" yaml:"port"`
	Host string `json:"host,omitempty" yaml:"host,omitempty"`
}

// ExecProbe passes when Command, run inside the container, exits 0.
type ExecProbe struct {
	Command []string `json:"command" yaml:"command"`
}

// Backoff is the crash-restart backoff: Initial, doubled per crash up to Max, back to
// Initial after Reset of clean running.
type Backoff struct {
	Initial Duration `json:"initial" yaml:"initial"`
	Max     Duration `json:"max" yaml:"max"`
	Reset   Duration `json:"reset" yaml:"reset"`
}

// Defaults every normalised stack carries where the recipe is silent.
const (
	DefaultBackoffInitial = time.Second
	DefaultBackoffMax     = 30 * time.Second
	DefaultBackoffReset   = 60 * time.Second
	DefaultPodStopGrace   = 30 * time.Second
	DefaultProbePeriod    = time.Second
	DefaultProbeTimeout   = time.Second
	DefaultProbeRetries   = 3
	DefaultMainName       = "main"
)

// Warning is something the input asked for that sidecar cannot honour, or did differently.
type Warning struct {
	Pos     Position `json:"pos"`
	Field   string   `json:"field"` // e.g. "spec.replicas"
	Message string   `json:"message"`
}

func (w Warning) String() string {
	if w.Pos.File == "" && w.Pos.Line == 0 {
		return "warning: " + w.Message
	}
	return w.Pos.String() + ": warning: " + w.Message
}
