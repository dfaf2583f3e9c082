package orchestrator

import (
	"path"
	"path/filepath"
	"sort"
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
	// alias; empty when the stack runs a single pod.
	Network string
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

// InfraSpec is the infra container: it owns the pod's namespaces for the pod's whole life,
// publishes the pod's ports and carries the pod's DNS alias on the stack network.
func (s *PodSpec) InfraSpec() ContainerSpec {
	ports := s.Pod.Ports()
	labels := s.labels(InfraName, recipes.RoleInfra, "")
	labels.StopGrace, labels.DependsOn = s.Pod.StopGrace.D(), s.Pod.DependsOn
	labels.ConfigHash = ConfigHash(struct {
		Image    string
		Network  string
		Hostname string
		Ports    []recipes.Port
		PID, IPC bool
	}{s.InfraImage, s.Network, s.Pod.Name, ports, s.Pod.SharePID, s.Pod.ShareIPC})
	spec := ContainerSpec{
		Name:     s.EngineName(InfraName),
		Image:    s.InfraImage,
		Labels:   labels.Encode(),
		Hostname: s.Pod.Name,
		Ports:    ports,
	}
	// The pod's volumes are created before the infra container, which mounts them so that
	// each starts as an emptyDir does: empty, owned by root, mode 0777 (the engine gives a
	// new volume the mode of the directory it is first mounted on).
	for i, v := range s.EngineVolumes() {
		if i == InfraVolumeDirs {
			break
		}
		spec.Mounts = append(spec.Mounts, MountSpec{Type: recipes.MountVolume,
			Source: s.Names().Volume(s.Pod.Name, v.Name), Target: InfraVolumeDir(i), Seed: true})
	}
	if s.Network != "" {
		spec.Network = s.Network
		spec.Aliases = []string{s.Pod.Name}
	}
	return spec
}

// ContainerSpec is one app container, joined to the namespaces of the infra container infraID.
// Bind sources are resolved against the stack's directory; mounts of pod volumes that carry
// Files are left out, their files are copied in instead (see FileCopies).
func (s *PodSpec) ContainerSpec(c *recipes.Container, infraID string) ContainerSpec {
	labels := s.labels(c.Name, c.Role, ConfigHash(c))
	for i, x := range s.Pod.Containers() {
		if x == c {
			labels.Order, labels.HasOrder = i, true
		}
	}
	labels.StopGrace = c.StopGrace.D()
	spec := ContainerSpec{
		Name:           s.EngineName(c.Name),
		Image:          c.Image,
		Labels:         labels.Encode(),
		Entrypoint:     c.Entrypoint,
		Cmd:            c.Command,
		Env:            c.Env.Sorted(),
		WorkingDir:     c.WorkingDir,
		User:           c.User,
		Init:           c.Init,
		TTY:            c.TTY,
		NamespaceOwner: infraID,
		SharePID:       s.Pod.SharePID,
		ShareIPC:       s.Pod.ShareIPC,
		StopGrace:      c.StopGrace.D(),
	}
	if spec.StopGrace == 0 {
		spec.StopGrace = s.Pod.StopGrace.D()
	}
	for _, m := range c.Volumes {
		switch m.Type {
		case recipes.MountBind:
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(s.Stack.Dir, src)
			}
			spec.Mounts = append(spec.Mounts, MountSpec{Type: m.Type, Source: src, Target: m.Target, ReadOnly: m.ReadOnly, SubPath: m.SubPath})
		case recipes.MountVolume:
			if v := s.Pod.Volume(m.Source); v != nil && len(v.Files) > 0 {
				continue
			}
			spec.Mounts = append(spec.Mounts, MountSpec{
				Type: m.Type, Source: s.Names().Volume(s.Pod.Name, m.Source),
				Target: m.Target, ReadOnly: m.ReadOnly, SubPath: m.SubPath,
			})
		}
	}
	return spec
}

// FileCopy is a set of files written into a created container before it starts.
type FileCopy struct {
	Dir   string            // absolute directory in the container
	Files map[string][]byte // path relative to Dir → content
}

// FileCopies are the files of pod volumes with Files that c mounts: the whole volume at the
// mount target, or the one file of a SubPath mount at the target path.
func (s *PodSpec) FileCopies(c *recipes.Container) []FileCopy {
	var out []FileCopy
	for _, m := range c.Volumes {
		if m.Type != recipes.MountVolume {
			continue
		}
		v := s.Pod.Volume(m.Source)
		if v == nil || len(v.Files) == 0 {
			continue
		}
		if m.SubPath != "" {
			content, ok := v.Files[m.SubPath]
			if !ok {
				continue
			}
			out = append(out, FileCopy{Dir: path.Dir(m.Target), Files: map[string][]byte{path.Base(m.Target): []byte(content)}})
			continue
		}
		files := make(map[string][]byte, len(v.Files))
		for name, content := range v.Files {
			files[name] = []byte(content)
		}
		out = append(out, FileCopy{Dir: m.Target, Files: files})
	}
	return out
}

// EngineVolumes are the pod volumes created as engine volumes: those without Files.
func (s *PodSpec) EngineVolumes() []*recipes.Volume {
	var out []*recipes.Volume
	for _, v := range s.Pod.Volumes {
		if len(v.Files) == 0 {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
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
