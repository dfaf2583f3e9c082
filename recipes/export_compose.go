package recipes

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v3"
)

// Compose export. Every pod becomes an infra service (a pause container, x-sidecar role infra,
// holding the pod's network namespace and ports, known to the other pods by the pod's name)
// and one service per container, with network_mode: service:<pod>-infra. depends_on gives the
// pod's order: init containers complete in turn, sidecars start in turn (each waiting for the
// previous one's healthcheck when it has one), main last. Pod volumes are named volumes, or
// configs when they hold files. x-sidecar carries what compose cannot say (roles, names, http
// and tcp probes, ...), so that sidecar's importer gives the same stack back. docs/export.md
// has the mapping.

// ComposeInfraImage is the image of the infra services the compose export writes: the
// Kubernetes pause image, which any compose user can pull. (sidecar's own infra image is
// built locally on first use and tagged by content, so a compose file cannot name it.)
const ComposeInfraImage = "registry.k8s.io/pause:3.10.1"

// ComposeOptions tune ExportCompose.
type ComposeOptions struct {
	// Files is where env files are read from, rooted at the stack's directory, to tell the
	// variables they hold from those written in the recipe. Nil reads Stack.Dir on disk.
	Files fs.FS
}

// ExportCompose writes s as a compose file, with a warning for everything compose cannot
// express. The file is loaded again with compose-go before it is returned. Relative paths
// (build contexts, bind mounts, env files) stay relative: save the file next to the recipe.
func ExportCompose(s *Stack, opt ComposeOptions) ([]byte, []Warning, error) {
	if s == nil || len(s.Pods) == 0 {
		return nil, nil, expErrorf("the stack has no pods to export")
	}
	w := newExpWarnings(s)
	doc, err := composeDocument(s, expDirFS(s, opt.Files), w)
	if err != nil {
		return nil, w.list, err
	}

	var out bytes.Buffer
	fmt.Fprintf(&out, "# Compose file for stack %q, exported by `sidecar export compose` from %s.\n", s.Name, expSource(s))
	out.WriteString("# Each pod is an infra service holding the network namespace and the published ports,\n")
	out.WriteString("# and one service per container in it. x-sidecar keeps what compose cannot express;\n")
	out.WriteString("# `sidecar up -f` this file to get the original stack back. Paths are relative to it.\n")
	// Every $ is written $$, so that compose's interpolation gives the values back.
	b, err := encodeEscaped(doc)
	if err != nil {
		return nil, w.list, fmt.Errorf("encoding the compose file: %w", err)
	}
	out.Write(b)
	if err := checkCompose(s, out.Bytes()); err != nil {
		return nil, w.list, fmt.Errorf("the exported compose file does not load with compose-go (a bug in sidecar, please report it): %w", err)
	}
	return out.Bytes(), w.list, nil
}

// The compose file's shape, in the order its keys are written.
type composeOut struct {
	Name     string                       `yaml:"name"`
	XSidecar *composeXTop                 `yaml:"x-sidecar,omitempty"`
	Services *yaml.Node                   `yaml:"services"`
	Volumes  map[string]*composeOutVolume `yaml:"volumes,omitempty"`
	Configs  map[string]*composeOutConfig `yaml:"configs,omitempty"`
}

type composeOutVolume struct {
	DriverOpts map[string]string `yaml:"driver_opts,omitempty"`
	XSidecar   *composeXVolume   `yaml:"x-sidecar,omitempty"`
}

type composeOutConfig struct {
	Content  string          `yaml:"content"`
	XSidecar *composeXConfig `yaml:"x-sidecar"`
}

// composeWords is a list written even when empty: an empty entrypoint resets the image's,
// where a missing one keeps it.
type composeWords []string

func (w composeWords) IsZero() bool { return w == nil }

type composeOutService struct {
	Image       string                         `yaml:"image,omitempty"`
	Build       *Build                         `yaml:"build,omitempty"`
	Entrypoint  composeWords                   `yaml:"entrypoint,omitempty"`
	Command     []string                       `yaml:"command,omitempty"`
	WorkingDir  string                         `yaml:"working_dir,omitempty"`
	User        string                         `yaml:"user,omitempty"`
	Init        bool                           `yaml:"init,omitempty"`
	TTY         bool                           `yaml:"tty,omitempty"`
	NetworkMode string                         `yaml:"network_mode,omitempty"`
	Pid         string                         `yaml:"pid,omitempty"`
	Ipc         string                         `yaml:"ipc,omitempty"`
	Networks    map[string]map[string][]string `yaml:"networks,omitempty"`
	Ports       []string                       `yaml:"ports,omitempty"`
	Expose      []string                       `yaml:"expose,omitempty"`
	EnvFile     []string                       `yaml:"env_file,omitempty"`
	Environment *yaml.Node                     `yaml:"environment,omitempty"`
	Labels      map[string]string              `yaml:"labels,omitempty"`
	Volumes     []any                          `yaml:"volumes,omitempty"`
	Configs     []composeOutConfigRef          `yaml:"configs,omitempty"`
	DependsOn   *yaml.Node                     `yaml:"depends_on,omitempty"`
	Healthcheck *composeOutHealth              `yaml:"healthcheck,omitempty"`
	Restart     string                         `yaml:"restart,omitempty"`
	StopGrace   string                         `yaml:"stop_grace_period,omitempty"`
	StopSignal  string                         `yaml:"stop_signal,omitempty"`
	CapAdd      []string                       `yaml:"cap_add,omitempty"`
	CapDrop     []string                       `yaml:"cap_drop,omitempty"`
	Privileged  bool                           `yaml:"privileged,omitempty"`
	ReadOnly    bool                           `yaml:"read_only,omitempty"`
	Devices     []string                       `yaml:"devices,omitempty"`
	GroupAdd    []string                       `yaml:"group_add,omitempty"`
	ShmSize     int64                          `yaml:"shm_size,omitempty"`
	Ulimits     map[string]composeOutUlimit    `yaml:"ulimits,omitempty"`
	Deploy      *composeOutDeploy              `yaml:"deploy,omitempty"`
	PostStart   []map[string][]string          `yaml:"post_start,omitempty"`
	PreStop     []map[string][]string          `yaml:"pre_stop,omitempty"`
	Develop     map[string][]WatchRule         `yaml:"develop,omitempty"`
	// The pod's network namespace, on its infra service.
	Hostname   string            `yaml:"hostname,omitempty"`
	DomainName string            `yaml:"domainname,omitempty"`
	ExtraHosts []string          `yaml:"extra_hosts,omitempty"`
	DNS        []string          `yaml:"dns,omitempty"`
	DNSSearch  []string          `yaml:"dns_search,omitempty"`
	DNSOpt     []string          `yaml:"dns_opt,omitempty"`
	Sysctls    map[string]string `yaml:"sysctls,omitempty"`

	XSidecar    *composeX `yaml:"x-sidecar,omitempty"`
	serviceName string
	// healthchecked: what waits for the service waits for it to be healthy.
	healthchecked bool
}

type composeOutDeploy struct {
	Resources struct {
		Limits       *composeOutResource `yaml:"limits,omitempty"`
		Reservations *composeOutResource `yaml:"reservations,omitempty"`
	} `yaml:"resources"`
}

type composeOutResource struct {
	CPUs   string `yaml:"cpus,omitempty"`
	Memory string `yaml:"memory,omitempty"`
}

type composeOutUlimit struct {
	Soft int64 `yaml:"soft"`
	Hard int64 `yaml:"hard"`
}

type composeOutConfigRef struct {
	Source   string             `yaml:"source"`
	Target   string             `yaml:"target"`
	XSidecar *composeXConfigRef `yaml:"x-sidecar"`
}

type composeOutMount struct {
	Type     string             `yaml:"type"`
	Source   string             `yaml:"source"`
	Target   string             `yaml:"target"`
	ReadOnly bool               `yaml:"read_only,omitempty"`
	Volume   *composeOutSubpath `yaml:"volume,omitempty"`
	Bind     map[string]bool    `yaml:"bind,omitempty"`
}

type composeOutSubpath struct {
	Subpath string `yaml:"subpath,omitempty"`
	NoCopy  bool   `yaml:"nocopy,omitempty"`
}

type composeOutHealth struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval,omitempty"`
	Timeout     string   `yaml:"timeout,omitempty"`
	Retries     int      `yaml:"retries,omitempty"`
	StartPeriod string   `yaml:"start_period,omitempty"`
}

// composeExport is one compose export under way: the stack, and the names it gives to
// services, volumes and configs.
type composeExport struct {
	s    *Stack
	fsys fs.FS
	w    *expWarnings
	// How many pods (and, for volumes, the stack) use each container and volume name.
	uses, volUses map[string]int
	cfgNames      map[composeCfgKey]string
}

// composeCfgKey names one file of a pod volume: pod, volume, file.
type composeCfgKey struct{ pod, volume, file string }

func composeDocument(s *Stack, fsys fs.FS, w *expWarnings) (*composeOut, error) {
	doc := &composeOut{Name: s.Name, Services: &yaml.Node{Kind: yaml.MappingNode},
		Volumes: map[string]*composeOutVolume{}, Configs: map[string]*composeOutConfig{}}
	if s.Backoff != expDefaultBackoff() {
		doc.XSidecar = &composeXTop{Backoff: expPtr(s.Backoff)}
	}
	e := &composeExport{s: s, fsys: fsys, w: w,
		uses: map[string]int{}, volUses: map[string]int{}, cfgNames: map[composeCfgKey]string{}}
	taken := map[string]bool{}
	for _, v := range s.Volumes {
		e.volUses[v.Name]++
	}
	for _, p := range s.Pods {
		e.uses[p.Name+"-infra"]++
		for _, c := range p.Containers() {
			e.uses[c.Name]++
		}
		for _, v := range p.Volumes {
			e.volUses[v.Name]++
			// One config per file of a pod volume holding files, unique in the file.
			for _, f := range sortedKeys(v.Files) {
				e.cfgNames[composeCfgKey{p.Name, v.Name, f}] = expUniqueName(p.Name+"-"+v.Name+"-"+cmp.Or(DNSLabel(f), "file"), taken)
			}
		}
	}

	built := map[string][]*composeOutService{} // per pod, in its container order: init, sidecars, main
	for _, p := range s.Pods {
		if e.uses[p.Name+"-infra"] > 1 {
			w.add(p.Name, "pod %s has a container named %s-infra: rename it, the compose export names the pod's infra service so", p.Name, p.Name)
		}
		var svcs []*composeOutService
		for i, c := range p.Containers() {
			svc := e.service(p, c)
			// Each container after the previous one: completed if an init container, else up.
			if i > 0 {
				cond := composeCondition(svcs[i-1])
				if i <= len(p.Init) {
					cond = composeCompleted
				}
				svc.DependsOn = composeDeps(map[string]string{svcs[i-1].serviceName: cond}, nil)
			}
			svcs = append(svcs, svc)
		}
		built[p.Name] = svcs
	}
	for _, p := range s.Pods {
		for _, svc := range append([]*composeOutService{composeInfra(s, p, built)}, built[p.Name]...) {
			n, err := toNode(svc)
			if err != nil {
				return nil, fmt.Errorf("encoding service %s: %w", svc.serviceName, err)
			}
			doc.Services.Content = append(doc.Services.Content, composeScalar(svc.serviceName), n.Content[0])
		}
		e.volumes(doc, p)
	}
	for _, v := range s.Volumes {
		doc.Volumes[v.Name] = &composeOutVolume{DriverOpts: composeTmpfs(v)}
	}
	return doc, nil
}

// composeName is the name of a container's service or of a pod volume: its own when no other
// pod uses it, else pod-name.
func composeName(uses map[string]int, p *Pod, name string) string {
	if uses[name] > 1 {
		return p.Name + "-" + name
	}
	return name
}

// volName is the compose volume a container's mount of volume v uses.
func (e *composeExport) volName(p *Pod, v string) string {
	if p.Volume(v) == nil && e.s.Volume(v) != nil {
		return v // the stack's, shared by its pods
	}
	return composeName(e.volUses, p, v)
}

// volumes writes p's volumes: the named volumes, and the configs of those holding files.
func (e *composeExport) volumes(doc *composeOut, p *Pod) {
	mounted := map[string]bool{}
	for _, c := range p.Containers() {
		for _, m := range c.Volumes {
			if m.Type == MountVolume {
				mounted[m.Source] = true
			}
		}
	}
	for _, v := range p.Volumes {
		for file, content := range v.Files {
			doc.Configs[e.cfgNames[composeCfgKey{p.Name, v.Name, file}]] = &composeOutConfig{
				Content:  content,
				XSidecar: &composeXConfig{Pod: p.Name, Volume: v.Name, File: file, Secret: v.Secret},
			}
		}
		if len(v.Files) > 0 {
			continue
		}
		vol := &composeOutVolume{DriverOpts: composeTmpfs(v)}
		if v.SizeLimit > 0 && v.Medium != MediumMemory {
			e.w.add(p.Name+"/volumes/"+v.Name, "pod %s: the size_limit %s of volume %s (on disk, where it is not enforced either) cannot be expressed in compose: left out", p.Name, v.SizeLimit, v.Name)
		}
		name := e.volName(p, v.Name)
		if name != v.Name || !mounted[v.Name] {
			vol.XSidecar = &composeXVolume{}
			if name != v.Name {
				vol.XSidecar.Name = v.Name
			}
			if !mounted[v.Name] {
				vol.XSidecar.Pod = p.Name
			}
		}
		doc.Volumes[name] = vol
	}
}

// composeInfra is the infra service of pod p. It holds what the pod's infra container owns:
// the network namespace with its settings and published ports, and (in x-sidecar) the
// pod's stop grace, whether it is a job, and its identity. built are the pods' services.
func composeInfra(s *Stack, p *Pod, built map[string][]*composeOutService) *composeOutService {
	infra := &composeOutService{
		Image:       ComposeInfraImage,
		Hostname:    p.Hostname,
		DomainName:  p.Subdomain,
		Sysctls:     p.Sysctls,
		XSidecar:    &composeX{Role: RoleInfra, Pod: p.Name},
		serviceName: p.Name + "-infra",
	}
	if aliases := s.PodAliases(p); len(s.Pods) > 1 || len(aliases) > 0 {
		// Other pods reach this one by its name and its aliases, as they do under sidecar.
		infra.Networks = map[string]map[string][]string{"default": {"aliases": append([]string{p.Name}, aliases...)}}
	}
	x := infra.XSidecar
	if p.StopGrace != composePodGrace(p) {
		x.StopGrace = expPtr(p.StopGrace)
	}
	if p.ShareIPC {
		infra.Ipc = "shareable"
	}
	for _, h := range p.ExtraHosts {
		for _, name := range h.Hostnames {
			infra.ExtraHosts = append(infra.ExtraHosts, name+"="+h.IP)
		}
	}
	if d := p.DNS; d != nil {
		infra.DNS, infra.DNSSearch, infra.DNSOpt = d.Nameservers, d.Searches, d.Options
	}
	x.Job = expTrue(p.Job)
	x.Namespace, x.Labels, x.Annotations, x.ServiceAccount = p.Namespace, p.Labels, p.Annotations, p.ServiceAccount
	infra.Ports = expMap(p.Ports(), composePort)
	// The declared ports too: compose, like the engine, takes them on the service that owns
	// the network namespace.
	for _, c := range p.Containers() {
		infra.Expose = expAppendNew(infra.Expose, expMap(c.Expose, composeExpose)...)
	}
	if len(p.DependsOn) > 0 {
		deps, xcond := map[string]string{}, map[string]string{}
		for _, d := range p.DependsOn {
			svcs := built[d.Pod]
			if len(svcs) == 0 {
				continue
			}
			m := svcs[len(svcs)-1] // main
			// ready: healthy when main has a healthcheck, else started; for a job, its
			// completion, unless its main has a healthcheck (a job is ready once that passes).
			cond := composeCondition(m)
			switch {
			case d.Condition == DepStarted:
				cond = composeStarted
			case s.Pod(d.Pod).Job && (d.Condition == DepCompleted || !m.healthchecked):
				cond = composeCompleted
			}
			deps[m.serviceName] = cond
			if dp := s.Pod(d.Pod); composeImportsAs(cond, dp) != d.Condition {
				xcond[m.serviceName] = d.Condition.String()
			}
		}
		infra.DependsOn = composeDeps(deps, xcond)
	}
	return infra
}

// composeExpose writes a declared port: "8080", or "53/udp".
func composeExpose(p Port) string {
	if p.Protocol == ProtoTCP {
		return strconv.Itoa(p.ContainerPort)
	}
	return fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
}

// service maps one container, joined to its pod's infra service (which publishes its ports).
func (e *composeExport) service(p *Pod, c *Container) *composeOutService {
	s, w, infra := e.s, e.w, "service:"+p.Name+"-infra"
	svc := &composeOutService{
		Image:       c.Image,
		Build:       c.Build, // its fields are compose's
		Entrypoint:  c.Entrypoint,
		Command:     c.Command,
		WorkingDir:  c.WorkingDir,
		User:        c.User,
		Init:        c.Init,
		TTY:         c.TTY,
		NetworkMode: infra,
		EnvFile:     c.EnvFile,
		XSidecar:    &composeX{Role: c.Role, Live: c.Live, Startup: c.Startup, Gate: c.Gate, EnvRefs: c.EnvRefs, ExpandRefs: c.ExpandRefs},
		serviceName: composeName(e.uses, p, c.Name),
	}
	if svc.serviceName != c.Name {
		svc.XSidecar.Name = c.Name
	}
	if c.Role != RoleMain {
		// The infra service publishes the pod's ports; the importer gives main those no other
		// container claims.
		svc.XSidecar.Ports, svc.XSidecar.Expose = expMap(c.Ports, composePort), expMap(c.Expose, composeExpose)
	}
	if p.SharePID {
		svc.Pid = infra
	}
	if p.ShareIPC {
		svc.Ipc = infra
	}
	env := maps.Clone(c.Env)
	for k, v := range e.envFiles(c.EnvFile) {
		if ev, ok := env[k]; ok && ev == v {
			delete(env, k) // comes from the env file, which the compose file names
		}
	}
	if len(env) > 0 {
		svc.Environment = composeMapping(env, func(v string) *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		})
	}
	secret := slices.DeleteFunc(sortedKeys(env), func(n string) bool { return env[n] == "" || !expSecretLike(n) })
	if len(secret) > 0 {
		phrase, its := expSecretVariables(secret)
		w.addAt(Field(ContainerKey(p.Name, c.Name), "env", secret[0]), expField(p, c, "env"), "%s: %s, and the compose file holds %s in plain text: keep the file out of version control, or write ${%s} in place of the value so that compose reads it from the environment or a .env file",
			expWho(s, p, c), phrase, its, secret[0])
	}
	mounts := 0 // mounts written so far: the index of the next one
	for _, m := range c.Volumes {
		switch v := p.Volume(m.Source); {
		case m.Type == MountBind:
			// The long syntax, so that create_host_path says what sidecar does with a
			// missing source: create it, or refuse (must_exist).
			svc.Volumes = append(svc.Volumes, composeOutMount{Type: "bind", Source: m.Source, Target: m.Target,
				ReadOnly: m.ReadOnly, Bind: map[string]bool{"create_host_path": !m.MustExist}})
		case v != nil && len(v.Files) > 0:
			refs := e.fileMounts(p, v, m, mounts)
			if len(refs) == 0 {
				w.add(expField(p, c, "volumes"), "%s: sub_path %s names no file of volume %s, so there is nothing to mount at %s: the mount is left out", expWho(s, p, c), m.SubPath, m.Source, m.Target)
				continue
			}
			if !m.ReadOnly {
				w.add(expField(p, c, "volumes"), "%s: volume %s holds files, which compose mounts as configs, read-only: it cannot write to %s there", expWho(s, p, c), m.Source, m.Target)
			}
			svc.Configs = append(svc.Configs, refs...)
		// A pod volume starts empty, as an emptyDir does: nocopy, or the engine would copy
		// what the first container's image has at the target into it (nginx's log
		// symlinks to /dev/stdout under /var/log/nginx, say).
		case m.SubPath != "":
			svc.Volumes = append(svc.Volumes, composeOutMount{Type: "volume", Source: e.volName(p, m.Source), Target: m.Target,
				ReadOnly: m.ReadOnly, Volume: &composeOutSubpath{Subpath: m.SubPath, NoCopy: true}})
		default:
			ro := map[bool]string{true: "ro,"}[m.ReadOnly]
			svc.Volumes = append(svc.Volumes, e.volName(p, m.Source)+":"+m.Target+":"+ro+"nocopy")
		}
		mounts++
	}
	switch r := c.Ready; {
	case r != nil && r.Exec != nil:
		svc.Healthcheck = &composeOutHealth{
			Test:     append([]string{"CMD"}, r.Exec.Command...),
			Interval: r.Period.String(),
			Timeout:  r.Timeout.String(),
			Retries:  r.Retries,
		}
		if r.StartPeriod > 0 {
			svc.Healthcheck.StartPeriod = r.StartPeriod.String()
		}
	case r != nil && r.Kind() != ProbeImage:
		// Compose healthchecks run inside the container: an http or tcp check would need
		// curl or nc in the image. x-sidecar keeps it for sidecar's own prober.
		svc.XSidecar.Ready = r
	}
	// An image probe writes no healthcheck: compose's service_healthy then waits for the image's own.
	// A sidecar gated on its start only is waited for as started, healthcheck or not.
	svc.healthchecked = (svc.Healthcheck != nil || c.Ready != nil && c.Ready.Kind() == ProbeImage) && c.Gate == GateReady
	svc.Restart = map[RestartPolicy]string{RestartAlways: "always", RestartOnFailure: "on-failure", RestartNever: "no"}[c.Restart]
	if c.Restart == RestartNever && c.Role == RoleMain {
		svc.Restart = "" // compose's default; a main that says "no" is a one-shot (a job)
	}
	if (c.Role == RoleSidecar || c.Role == RoleInit) && c.Restart != c.Role.DefaultRestart() {
		// The importer gives sidecars and init containers their role's policy unless told.
		svc.XSidecar.Restart = c.Restart
	}
	if c.StopGrace > 0 {
		svc.StopGrace = c.StopGrace.String()
	}
	svc.StopSignal, svc.CapAdd, svc.CapDrop, svc.Privileged, svc.ReadOnly = c.StopSignal, c.CapAdd, c.CapDrop, c.Privileged, c.ReadOnly
	svc.GroupAdd, svc.ShmSize, svc.Labels = c.Groups, int64(c.ShmSize), c.Labels
	for _, d := range c.Devices {
		svc.Devices = append(svc.Devices, strings.TrimSuffix(d.HostPath+":"+d.ContainerPath+":"+d.Permissions, ":"))
	}
	svc.Ulimits = map[string]composeOutUlimit{}
	for _, u := range c.Ulimits {
		svc.Ulimits[u.Name] = composeOutUlimit{Soft: u.Soft, Hard: u.Hard}
	}
	if r := c.Resources; r != nil {
		svc.Deploy = &composeOutDeploy{}
		svc.Deploy.Resources.Limits, svc.Deploy.Resources.Reservations = composeResource(r.Limits), composeResource(r.Requests)
	}
	svc.PostStart, svc.XSidecar.PostStart = composeHook(c.PostStart)
	svc.PreStop, svc.XSidecar.PreStop = composeHook(c.PreStop)
	if len(c.Watch) > 0 {
		svc.Develop = map[string][]WatchRule{"watch": c.Watch}
	}
	return svc
}

// composeHook writes an exec hook as compose's post_start or pre_stop. Compose's hooks are
// commands: an http or sleep hook is sidecar's, kept in x-sidecar.
func composeHook(h *Hook) (compose []map[string][]string, x *Hook) {
	if h != nil && h.Exec != nil {
		return []map[string][]string{{"command": h.Exec.Command}}, nil
	}
	return nil, h
}

// composeResource writes limits or reservations of deploy.resources.
func composeResource(l ResourceList) *composeOutResource {
	if l == (ResourceList{}) {
		return nil
	}
	r := &composeOutResource{}
	if l.Memory > 0 {
		r.Memory = strconv.FormatInt(int64(l.Memory), 10) + "b"
	}
	if l.CPU > 0 {
		r.CPUs = strconv.FormatFloat(l.CPU.Cores(), 'f', -1, 64)
	}
	return r
}

// composeTmpfs are the driver options that make a compose volume a tmpfs, for a volume in
// memory.
func composeTmpfs(v *Volume) map[string]string {
	if v.Medium != MediumMemory {
		return nil
	}
	opts := map[string]string{"type": "tmpfs", "device": "tmpfs"}
	if v.SizeLimit > 0 {
		opts["o"] = "size=" + strconv.FormatInt(int64(v.SizeLimit), 10)
	}
	return opts
}

// composeCondition is what a service waiting for svc to be up waits for.
func composeCondition(svc *composeOutService) string {
	if svc.healthchecked {
		return composeHealthy
	}
	return composeStarted
}

// composeImportsAs is the condition the importer reads from a depends_on entry of condition
// cond on the main of pod dp, normalised: x-sidecar {condition} on the entry says the
// pod's own where the two differ (a main whose ready probe is no healthcheck).
func composeImportsAs(cond string, dp *Pod) DepCondition {
	plain := dp.Main.Ready == nil // started is ready, and a job's completion too
	switch {
	case cond == composeStarted && (dp.Job || !plain):
		return DepStarted
	case cond == composeCompleted && dp.Job && !plain:
		return DepCompleted
	}
	return DepReady
}

// composeDeps writes depends_on: service → condition, with x-sidecar {condition} on the
// entries of the services xcond names.
func composeDeps(deps, xcond map[string]string) *yaml.Node {
	cond := func(c string) *yaml.Node { return composeMapping(map[string]string{"condition": c}, composeScalar) }
	n := composeMapping(deps, cond)
	for i := 0; i < len(n.Content); i += 2 {
		if c, ok := xcond[n.Content[i].Value]; ok {
			n.Content[i+1].Content = append(n.Content[i+1].Content, composeScalar("x-sidecar"), cond(c))
		}
	}
	return n
}

func composeScalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// composeMapping writes m as a mapping with its keys in sortedKeys order (the encoder sorts a
// map's keys its own way), each value as value makes it.
func composeMapping(m map[string]string, value func(string) *yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range sortedKeys(m) {
		n.Content = append(n.Content, composeScalar(k), value(m[k]))
	}
	return n
}

// fileMounts mounts a pod volume holding files as compose configs, one per file the
// mount shows (all of them, or those below its sub path), each where the mount puts it; the
// x-sidecar of each reference names the mount and its index among the container's mounts,
// so that the importer puts the volume mount back together.
func (e *composeExport) fileMounts(p *Pod, v *Volume, m Mount, index int) []composeOutConfigRef {
	var out []composeOutConfigRef
	for _, file := range sortedKeys(v.Files) {
		lands := composeConfigLands(m.Target, m.SubPath, file)
		if lands == "" {
			continue
		}
		out = append(out, composeOutConfigRef{
			Source:   e.cfgNames[composeCfgKey{p.Name, v.Name, file}],
			Target:   lands,
			XSidecar: &composeXConfigRef{Target: m.Target, SubPath: m.SubPath, Index: &index},
		})
	}
	return out
}

// envFiles reads the env files a container names, merged in order (later files win),
// without interpolation. Files that cannot be read are skipped.
func (e *composeExport) envFiles(files []string) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		src := expResolveBind(e.s, e.fsys, f)
		if !src.isFile {
			continue
		}
		vars, err := dotenv.ParseWithLookup(bytes.NewReader(src.content), func(string) (string, bool) { return "", false })
		if err != nil {
			continue
		}
		maps.Copy(out, vars)
	}
	return out
}

// composePort writes a published port in the short syntax: [ip:][host:]container/proto.
func composePort(p Port) string {
	s := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
	if p.HostPort != 0 {
		s = fmt.Sprintf("%d:%s", p.HostPort, s)
	}
	if ip := p.HostIP; ip != "" {
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		if p.HostPort == 0 {
			ip += ":"
		}
		s = ip + ":" + s
	}
	return s
}

// checkCompose loads an exported compose file with compose-go, schema validation and
// consistency checks included.
func checkCompose(s *Stack, content []byte) error {
	var dict map[string]any
	if err := yaml.Unmarshal(content, &dict); err != nil {
		return err
	}
	dir := cmp.Or(s.Dir, ".")
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml"), Content: content, Config: dict}},
		Environment: types.Mapping{},
	}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(loader.NormalizeProjectName(s.Name), true)
		o.SkipResolveEnvironment = true
		o.ResolvePaths = false
	})
	if err != nil {
		return err
	}
	want := 0
	for _, pod := range s.Pods {
		want += 1 + len(pod.Containers())
	}
	if len(p.Services) != want {
		return fmt.Errorf("compose-go read %d services, want %d", len(p.Services), want)
	}
	return nil
}
