package orchestrator

import (
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// PodSpec is the desired state of one pod: the recipe's pod plus what the stack runner
// resolved for it. With a PodStatus and the time it is all the planner reads.
type PodSpec struct {
	Stack *recipes.Stack
	Pod   *recipes.Pod
	// Version is the tool's version, written in its labels (Labels.Version).
	Version string
	// InfraImage is the reference Runtime.InfraImage returned.
	InfraImage string
	// Network is the stack network the infra container joins with the pod's name as DNS
	// alias; empty when the stack runs a single pod without a subdomain.
	Network string
	// Node is the engine's host, for the downward API (known when a container needs it).
	Node NodeInfo
	// ImageIDs are the engine's IDs of the images, by reference, as the stack runner
	// resolved them: part of each app container's config hash, so that an image rebuilt
	// under the same tag is a change (see converge.go).
	ImageIDs map[string]string

	hashes map[string]string // the desired config hashes, by container (see Hashes)
}

// Names returns the engine names of the spec's stack.
func (s *PodSpec) Names() Names { return Names{Stack: s.Stack.Name} }

// EngineName is the engine name of the pod's container (InfraName for the infra container).
func (s *PodSpec) EngineName(container string) string {
	return s.Names().Container(s.Pod.Name, container)
}

// labels are the labels of one container of the pod.
func (s *PodSpec) labels(container string, role recipes.Role, hash string) Labels {
	l := StackLabels(s.Stack, s.Version)
	l.Pod, l.Container, l.Role, l.ConfigHash = s.Pod.Name, container, role, hash
	return l
}

// withUserLabels adds a container's own labels (recipes.Container.Labels) to sidecar's: where
// a key is both (validation refuses a user label in sidecar's namespace), sidecar's wins.
func withUserLabels(own, user map[string]string) map[string]string {
	for k, v := range user {
		if _, taken := own[k]; !taken && !IsLabelKey(k) {
			own[k] = v
		}
	}
	return own
}

// Hostname is the name every container of the pod sees: Pod.Hostname, else the pod's name.
func (s *PodSpec) Hostname() string {
	if s.Pod.Hostname != "" {
		return s.Pod.Hostname
	}
	return s.Pod.Name
}

// Aliases are the pod's names on the stack network: its own name, with a subdomain
// HOSTNAME.SUBDOMAIN (a StatefulSet pod web-0 of service web is web-0.web), and the pod's
// aliases that no other pod has (recipes.Stack.PodAliases: compose's container_name,
// network and link aliases).
func (s *PodSpec) Aliases() []string {
	out := []string{s.Pod.Name}
	if sub := s.Pod.Subdomain; sub != "" {
		if fq := s.Hostname() + "." + sub; fq != s.Pod.Name {
			out = append(out, fq)
		}
	}
	for _, a := range s.Stack.PodAliases(s.Pod) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// InfraSpec is the infra container: it owns the pod's namespaces for the pod's whole life,
// publishes the pod's ports, carries the pod's DNS aliases on the stack network, and holds
// what the members share with it: hostname, /etc/hosts (extra hosts), /etc/resolv.conf, the
// network sysctls, and with a shared IPC namespace /dev/shm and the IPC sysctls.
//
// Its config hash covers everything it owns (the spec itself, the pod-level namespaces and
// the pod's volumes): when one changes, the pod is to be re-created.
func (s *PodSpec) InfraSpec() ContainerSpec {
	pod := s.Pod
	spec := ContainerSpec{
		Name:       s.EngineName(InfraName),
		Image:      s.InfraImage,
		Hostname:   s.Hostname(),
		Domainname: pod.Subdomain,
		Ports:      pod.Ports(),
		ExtraHosts: pod.ExtraHosts,
		DNS:        pod.DNS,
		Sysctls:    s.sysctls(true),
	}
	if pod.ShareIPC {
		for _, c := range pod.Containers() {
			spec.ShmSize = max(spec.ShmSize, int64(c.ShmSize))
		}
	}
	// The pod's volumes are created before the infra container, which mounts them so that
	// each starts as an emptyDir does: empty, owned by root, mode 0777 (the engine gives a
	// new volume the mode of the directory it is first mounted on). A volume with files is
	// filled through this mount before anything starts (see InfraFileCopies).
	for i, v := range s.infraVolumes() {
		if i >= InfraVolumeDirs && len(v.Files) == 0 {
			break // only the seeding is lost; a volume with files is always mounted
		}
		spec.Mounts = append(spec.Mounts, MountSpec{Type: recipes.MountVolume,
			Source: s.Names().Volume(pod.Name, v.Name), Target: InfraVolumeDir(i), Seed: true})
	}
	if s.Network != "" {
		spec.Network = s.Network
		spec.Aliases = s.Aliases()
	} else if names := slices.DeleteFunc(s.Aliases(), func(a string) bool { return a == spec.Hostname }); len(names) > 0 {
		// No stack network (a stack of one pod): the pod's names resolve in /etc/hosts, as
		// its service name does under compose when the hostname is another.
		spec.ExtraHosts = append(slices.Clone(spec.ExtraHosts), recipes.HostAlias{IP: "127.0.0.1", Hostnames: names})
	}
	hash := ConfigHash(struct {
		Spec     ContainerSpec
		PID, IPC bool
		Volumes  []*recipes.Volume
	}{spec, pod.SharePID, pod.ShareIPC, s.EngineVolumes()})
	labels := s.labels(InfraName, recipes.RoleInfra, hash)
	labels.StopGrace, labels.DependsOn, labels.Job = pod.StopGrace.D(), pod.DependsOnNames(), pod.Job
	spec.Labels = labels.Encode()
	return spec
}

// sysctls are the pod's sysctls that belong on the infra container (infra) or on each app
// container: the IPC ones go where the IPC namespace is (the infra container's when the pod
// shares it), every other one (the network's) on the infra container. Nil when none.
func (s *PodSpec) sysctls(infra bool) map[string]string {
	var out map[string]string
	for k, v := range s.Pod.Sysctls {
		if onInfra := !ipcSysctl(k) || s.Pod.ShareIPC; onInfra != infra {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out
}

// ipcSysctl reports whether a sysctl belongs to the IPC namespace.
func ipcSysctl(k string) bool {
	return strings.HasPrefix(k, "kernel.shm") || strings.HasPrefix(k, "kernel.msg") || k == "kernel.sem" ||
		strings.HasPrefix(k, "fs.mqueue.")
}

// Facts are what the downward API reads of the pod as observed: its incarnation's UID and
// its infra container's addresses (once it runs), with the node.
func (s *PodSpec) Facts(st *PodStatus) recipes.DownwardFacts {
	f := recipes.DownwardFacts{NodeName: s.Node.Name, NodeCPU: recipes.MilliCPU(s.Node.CPUs * 1000), NodeMemory: recipes.ByteSize(s.Node.Memory)}
	if st == nil {
		return f
	}
	f.UID = st.UID
	if a, ok := s.podAddress(st.Infra.Networks); ok {
		for _, ip := range []string{a.IP, a.IPv6} {
			if ip != "" {
				f.PodIPs = append(f.PodIPs, ip)
			}
		}
		for _, ip := range []string{a.Gateway, a.IPv6Gateway} {
			if ip != "" {
				f.HostIPs = append(f.HostIPs, ip)
			}
		}
	}
	return f
}

// podAddress is the infra container's address on the pod's network: the stack network, or
// the one network it has without one.
func (s *PodSpec) podAddress(nets []NetworkAddress) (NetworkAddress, bool) {
	for _, n := range nets {
		if s.Network == "" || n.Network == s.Network {
			if n.IP != "" || n.IPv6 != "" {
				return n, true
			}
		}
	}
	return NetworkAddress{}, false
}

// NeedsPodIP reports whether c can only be created once the pod has its address: its
// environment reads the pod's or the host's IP.
func NeedsPodIP(c *recipes.Container) bool {
	for _, r := range c.EnvRefs {
		if recipes.NeedsPodIP(r) {
			return true
		}
	}
	return false
}

// ContainerSpec is one app container, joined to the namespaces of the infra container infraID,
// with the downward API resolved from the node alone (see ContainerSpecFor).
func (s *PodSpec) ContainerSpec(c *recipes.Container, infraID string) ContainerSpec {
	return s.ContainerSpecFor(c, infraID, s.Facts(nil))
}

// ContainerSpecFor is one app container, joined to the namespaces of the infra container
// infraID, its downward-API variables resolved with facts and, with ExpandRefs, $(VAR) in its
// command and entrypoint expanded. Bind sources are resolved against the stack's directory.
// A pod volume with Files is mounted as any other (its files are in it: see InfraFileCopies),
// except a SubPath mount of one of its files, which the engine cannot mount on API 1.41: that
// file is copied in instead (see FileCopies).
func (s *PodSpec) ContainerSpecFor(c *recipes.Container, infraID string, facts recipes.DownwardFacts) ContainerSpec {
	pod := s.Pod
	env, lookup := s.environment(c, facts)
	limits, requests := recipes.EffectiveResources(c)
	spec := ContainerSpec{
		Name:              s.EngineName(c.Name),
		Image:             c.Image,
		Entrypoint:        c.Entrypoint,
		Cmd:               c.Command,
		Env:               env,
		WorkingDir:        c.WorkingDir,
		User:              c.User,
		Init:              c.Init,
		TTY:               c.TTY,
		NamespaceOwner:    infraID,
		SharePID:          pod.SharePID,
		ShareIPC:          pod.ShareIPC,
		StopGrace:         c.StopGrace.D(),
		StopSignal:        c.StopSignal,
		CPU:               limits.CPU,
		CPUShares:         cpuShares(requests.CPU),
		Memory:            int64(limits.Memory),
		MemoryReservation: int64(requests.Memory),
		CapAdd:            c.CapAdd,
		CapDrop:           c.CapDrop,
		Privileged:        c.Privileged,
		ReadOnly:          c.ReadOnly,
		Devices:           c.Devices,
		Groups:            c.Groups,
		Ulimits:           c.Ulimits,
		Sysctls:           s.sysctls(false),
	}
	if !pod.ShareIPC {
		spec.ShmSize = int64(c.ShmSize)
	}
	if c.ExpandRefs {
		spec.Entrypoint, spec.Cmd = expandAll(c.Entrypoint, lookup), expandAll(c.Command, lookup)
	}
	labels := s.labels(c.Name, c.Role, s.appHash(c))
	for i, x := range pod.Containers() {
		if x == c {
			labels.Order, labels.HasOrder = i, true
		}
	}
	labels.StopGrace = c.StopGrace.D()
	spec.Labels = withUserLabels(labels.Encode(), c.Labels)
	if spec.StopGrace == 0 {
		spec.StopGrace = pod.StopGrace.D()
	}
	for _, m := range c.Volumes {
		switch m.Type {
		case recipes.MountBind:
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(s.Stack.Dir, src)
			}
			spec.Mounts = append(spec.Mounts, MountSpec{Type: m.Type, Source: src, Target: m.Target, ReadOnly: m.ReadOnly, SubPath: m.SubPath, MustExist: m.MustExist})
		case recipes.MountVolume:
			v, src := pod.Volume(m.Source), s.Names().Volume(pod.Name, m.Source)
			if v != nil && len(v.Files) > 0 && m.SubPath != "" {
				continue
			}
			if v == nil && s.Stack.Volume(m.Source) != nil {
				src = s.Names().StackVolume(m.Source)
			}
			spec.Mounts = append(spec.Mounts, MountSpec{Type: m.Type, Source: src, Target: m.Target, ReadOnly: m.ReadOnly, SubPath: m.SubPath})
		}
	}
	return spec
}

// environment is c's environment as NAME=value lines — Env sorted by name, then EnvRefs in
// their order, a later entry replacing an earlier one of the same name — and a lookup in it
// for $(VAR) expansion.
func (s *PodSpec) environment(c *recipes.Container, facts recipes.DownwardFacts) ([]string, func(string) (string, bool)) {
	vals := make(map[string]string, len(c.Env)+len(c.EnvRefs))
	for k, v := range c.Env {
		vals[k] = v
	}
	lookup := func(name string) (string, bool) { v, ok := vals[name]; return v, ok }
	refs := map[string]bool{}
	for _, r := range c.EnvRefs {
		// The stack was checked before it ran (CheckEnvRef): a value cannot fail here.
		v, _ := recipes.DownwardValue(s.Pod, c, r, facts)
		if r.Value != "" {
			v = recipes.ExpandVars(v, lookup) // with the variables before it
		}
		vals[r.Name] = v
		refs[r.Name] = true
	}
	var env []string
	for _, line := range c.Env.Sorted() {
		if name, _, _ := strings.Cut(line, "="); !refs[name] {
			env = append(env, line)
		}
	}
	for i, r := range c.EnvRefs {
		last := true
		for _, later := range c.EnvRefs[i+1:] {
			last = last && later.Name != r.Name
		}
		if last {
			env = append(env, r.Name+"="+vals[r.Name])
		}
	}
	return env, lookup
}

func expandAll(args []string, lookup func(string) (string, bool)) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = recipes.ExpandVars(a, lookup)
	}
	return out
}

// cpuShares is the CPU weight of a CPU request, as the kubelet computes it (1024 shares per
// core, at least 2, at most 262144); 0 (the engine's default) when nothing is requested.
func cpuShares(request recipes.MilliCPU) int64 {
	if request <= 0 {
		return 0
	}
	return min(max(int64(request)*1024/1000, 2), 262144)
}

// appHash is the config hash of an app container: its recipe, and what of the pod shapes it —
// the namespaces it joins, the stop budget it falls back on, the sysctls it carries, the
// pod identity and resources its downward-API variables read, the pod volumes it mounts.
func (s *PodSpec) appHash(c *recipes.Container) string {
	pod := s.Pod
	type identity struct {
		Name, Namespace, ServiceAccount string
		Labels, Annotations             map[string]string
		Resources                       map[string]*recipes.Resources
	}
	in := struct {
		Container *recipes.Container
		PID, IPC  bool
		PodGrace  recipes.Duration
		Sysctls   map[string]string `json:",omitempty"`
		Identity  *identity         `json:",omitempty"`
		Volumes   []*recipes.Volume `json:",omitempty"`
	}{Container: creationRecipe(c), PID: pod.SharePID, IPC: pod.ShareIPC, PodGrace: pod.StopGrace, Sysctls: s.sysctls(false)}
	if len(c.EnvRefs) > 0 {
		in.Identity = &identity{Name: pod.Name, Namespace: pod.Namespace, ServiceAccount: pod.ServiceAccount,
			Labels: pod.Labels, Annotations: pod.Annotations, Resources: map[string]*recipes.Resources{}}
		for _, r := range c.EnvRefs {
			if other := pod.Container(r.Container); other != nil {
				in.Identity.Resources[other.Name] = other.Resources
			}
		}
	}
	for _, m := range c.Volumes {
		v := pod.Volume(m.Source)
		if v == nil {
			v = s.Stack.Volume(m.Source)
		}
		if m.Type == recipes.MountVolume && v != nil {
			if v.Secret { // what only the exports use, as a container's expose
				cp := *v
				cp.Secret = false
				v = &cp
			}
			in.Volumes = append(in.Volumes, v)
		}
	}
	return ConfigHash(in)
}

// creationRecipe is the part of a container's recipe its container is created from: all of it
// but its watch rules, which say what `up --watch` does with the container, not how it is
// made, its declared ports (expose), which only the exports use, and its gate, which says
// when the container after it starts: editing them re-creates nothing.
func creationRecipe(c *recipes.Container) *recipes.Container {
	if c == nil || len(c.Watch)+len(c.Expose) == 0 && c.Gate == recipes.GateReady {
		return c
	}
	cp := *c
	cp.Watch, cp.Expose, cp.Gate = nil, nil, recipes.GateReady
	return &cp
}

// FileCopy is a set of files written into a created container before it starts.
type FileCopy struct {
	Dir   string            // absolute directory in the container
	Files map[string][]byte // path relative to Dir → content
	// Volume is the pod volume the files fill, when Dir is the infra container's mount of it.
	Volume string
	// ReadOnly writes the files with mode 0444 instead of 0644: a copied file cannot be
	// mounted read-only, so only its mode says it (root in the container can still write it).
	ReadOnly bool
}

// FileCopies are the files copied into app container c before it starts: the one file of
// each SubPath mount it has of a pod volume with Files, at the mount's target (read-only when
// the mount is). A whole volume with files is mounted, not copied.
func (s *PodSpec) FileCopies(c *recipes.Container) []FileCopy {
	var out []FileCopy
	for _, m := range c.Volumes {
		if m.Type != recipes.MountVolume || m.SubPath == "" {
			continue
		}
		v := s.Pod.Volume(m.Source)
		if v == nil || len(v.Files) == 0 {
			continue
		}
		if content, ok := v.Files[m.SubPath]; ok {
			out = append(out, FileCopy{Dir: path.Dir(m.Target), Files: map[string][]byte{path.Base(m.Target): []byte(content)}, ReadOnly: m.ReadOnly})
			continue
		}
		// A directory of the volume's files: those under it, at the target.
		files := map[string][]byte{}
		for name, content := range v.Files {
			if rel, ok := strings.CutPrefix(name, path.Clean(m.SubPath)+"/"); ok {
				files[rel] = []byte(content)
			}
		}
		if len(files) > 0 {
			out = append(out, FileCopy{Dir: m.Target, Files: files, ReadOnly: m.ReadOnly})
		}
	}
	return out
}

// InfraFileCopies fill the pod's volumes with Files on disk: written through the infra
// container's mounts of them (see InfraSpec) once it is created, before it or any container
// that mounts them starts. A tmpfs volume (medium memory) keeps only what is written while a
// running container mounts it: it is filled once the infra container runs (FillLater).
func (s *PodSpec) InfraFileCopies() []FileCopy {
	var out []FileCopy
	for _, fc := range s.fills() {
		if v := s.Pod.Volume(fc.Volume); v.Medium != recipes.MediumMemory {
			out = append(out, fc)
		}
	}
	return out
}

// FillLater are the copies that fill the pod's tmpfs volumes with Files through the running
// infra container, before any other container starts.
func (s *PodSpec) FillLater() []FileCopy {
	var out []FileCopy
	for _, fc := range s.fills() {
		if v := s.Pod.Volume(fc.Volume); v.Medium == recipes.MediumMemory {
			out = append(out, fc)
		}
	}
	return out
}

// fills are the copies that fill the pod's volumes with Files, at the infra container's
// mounts of them.
func (s *PodSpec) fills() []FileCopy {
	var out []FileCopy
	for i, v := range s.infraVolumes() {
		if len(v.Files) == 0 {
			break
		}
		files := make(map[string][]byte, len(v.Files))
		for name, content := range v.Files {
			files[name] = []byte(content)
		}
		out = append(out, FileCopy{Dir: InfraVolumeDir(i), Files: files, Volume: v.Name})
	}
	return out
}

// EngineVolumes are the pod's volumes, each created as an engine volume, by name.
func (s *PodSpec) EngineVolumes() []*recipes.Volume {
	out := append([]*recipes.Volume(nil), s.Pod.Volumes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// infraVolumes are the pod's volumes in the order the infra container mounts them: those with
// Files first (each must be mounted to be filled), then the others, each by name.
func (s *PodSpec) infraVolumes() []*recipes.Volume {
	out := s.EngineVolumes()
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Files) > 0 && len(out[j].Files) == 0 })
	return out
}

// VolumeLabels are the labels of a pod volume.
func (s *PodSpec) VolumeLabels() map[string]string {
	l := StackLabels(s.Stack, s.Version)
	l.Pod = s.Pod.Name
	return l.Encode()
}

// stopGrace is the grace a container gets when stopped with remaining of the pod's budget:
// its own StopGrace when set and smaller, else what remains.
func stopGrace(c *recipes.Container, remaining time.Duration) time.Duration {
	if remaining < 0 {
		remaining = 0
	}
	if own := c.StopGrace.D(); own > 0 && own < remaining {
		return own
	}
	return remaining
}
