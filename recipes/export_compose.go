package recipes

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v3"
)

// Compose export. Every pod becomes an infra service (a pause container marked x-sidecar
// role infra, which holds the pod's network namespace and publishes its ports, and is known
// to the other pods by the pod's name) and one service per container, joined to the infra's
// namespace with network_mode: service:<pod>-infra. depends_on conditions give the pod's
// order: init containers complete in turn, sidecars start in turn (each waiting for the
// previous one's healthcheck when it has one), main last. Pod volumes are named volumes, and
// those holding files are compose configs. x-sidecar carries what compose cannot say (roles,
// names, which container publishes which port, http and tcp probes, liveness probes, the
// pod's stop grace, which pod volume a volume or config is), so that sidecar's compose
// importer gives the same stack back. docs/export.md has the mapping.

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
	w := &expWarnings{file: s.Source.File}
	doc, err := composeDocument(s, expDirFS(s, opt.Files), w)
	if err != nil {
		return nil, w.list, err
	}

	var out bytes.Buffer
	src := expSource(s)
	fmt.Fprintf(&out, "# Compose file for stack %q, exported by `sidecar export compose` from %s.\n", s.Name, src)
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
	Name     string                        `yaml:"name"`
	XSidecar *composeXTop                  `yaml:"x-sidecar,omitempty"`
	Services *yaml.Node                    `yaml:"services"`
	Volumes  map[string]*composeOutVolume  `yaml:"volumes,omitempty"`
	Configs  map[string]*composeOutConfig  `yaml:"configs,omitempty"`
	Networks map[string]*composeOutNetwork `yaml:"networks,omitempty"`
}

type composeOutVolume struct {
	DriverOpts map[string]string `yaml:"driver_opts,omitempty"`
	XSidecar   *composeXVolume   `yaml:"x-sidecar,omitempty"`
}

type composeOutConfig struct {
	Content  string          `yaml:"content"`
	XSidecar *composeXConfig `yaml:"x-sidecar"`
}

type composeOutNetwork struct{}

type composeOutService struct {
	Image       string                       `yaml:"image,omitempty"`
	Build       *composeOutBuild             `yaml:"build,omitempty"`
	Entrypoint  []string                     `yaml:"entrypoint,omitempty"`
	Command     []string                     `yaml:"command,omitempty"`
	WorkingDir  string                       `yaml:"working_dir,omitempty"`
	User        string                       `yaml:"user,omitempty"`
	Init        bool                         `yaml:"init,omitempty"`
	TTY         bool                         `yaml:"tty,omitempty"`
	NetworkMode string                       `yaml:"network_mode,omitempty"`
	Pid         string                       `yaml:"pid,omitempty"`
	Ipc         string                       `yaml:"ipc,omitempty"`
	Networks    map[string]*composeOutNetRef `yaml:"networks,omitempty"`
	Ports       []string                     `yaml:"ports,omitempty"`
	EnvFile     []string                     `yaml:"env_file,omitempty"`
	Environment *yaml.Node                   `yaml:"environment,omitempty"`
	Volumes     []any                        `yaml:"volumes,omitempty"`
	Configs     []composeOutConfigRef        `yaml:"configs,omitempty"`
	DependsOn   *yaml.Node                   `yaml:"depends_on,omitempty"`
	Healthcheck *composeOutHealth            `yaml:"healthcheck,omitempty"`
	Restart     string                       `yaml:"restart,omitempty"`
	StopGrace   string                       `yaml:"stop_grace_period,omitempty"`
	StopSignal  string                       `yaml:"stop_signal,omitempty"`
	CapAdd      []string                     `yaml:"cap_add,omitempty"`
	CapDrop     []string                     `yaml:"cap_drop,omitempty"`
	Privileged  bool                         `yaml:"privileged,omitempty"`
	ReadOnly    bool                         `yaml:"read_only,omitempty"`
	Devices     []string                     `yaml:"devices,omitempty"`
	GroupAdd    []string                     `yaml:"group_add,omitempty"`
	ShmSize     int64                        `yaml:"shm_size,omitempty"`
	Ulimits     map[string]composeOutUlimit  `yaml:"ulimits,omitempty"`
	Deploy      *composeOutDeploy            `yaml:"deploy,omitempty"`
	PostStart   []composeOutHook             `yaml:"post_start,omitempty"`
	PreStop     []composeOutHook             `yaml:"pre_stop,omitempty"`
	Develop     *composeOutDevelop           `yaml:"develop,omitempty"`
	// The pod's network namespace, on its infra service.
	Hostname   string            `yaml:"hostname,omitempty"`
	DomainName string            `yaml:"domainname,omitempty"`
	ExtraHosts []string          `yaml:"extra_hosts,omitempty"`
	DNS        []string          `yaml:"dns,omitempty"`
	DNSSearch  []string          `yaml:"dns_search,omitempty"`
	DNSOpt     []string          `yaml:"dns_opt,omitempty"`
	Sysctls    map[string]string `yaml:"sysctls,omitempty"`

	XSidecar      *composeX `yaml:"x-sidecar,omitempty"`
	serviceName   string
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

type composeOutHook struct {
	Command []string `yaml:"command"`
}

type composeOutDevelop struct {
	Watch []WatchRule `yaml:"watch"`
}

type composeOutBuild struct {
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile,omitempty"`
	Args       map[string]string `yaml:"args,omitempty"`
	Target     string            `yaml:"target,omitempty"`
}

type composeOutNetRef struct {
	Aliases []string `yaml:"aliases,omitempty"`
}

type composeOutConfigRef struct {
	Source   string             `yaml:"source"`
	Target   string             `yaml:"target"`
	XSidecar *composeXConfigRef `yaml:"x-sidecar"`
}

type composeOutMount struct {
	Type     string              `yaml:"type"`
	Source   string              `yaml:"source"`
	Target   string              `yaml:"target"`
	ReadOnly bool                `yaml:"read_only,omitempty"`
	Volume   *composeOutSubpath  `yaml:"volume,omitempty"`
	Bind     *composeOutBindOpts `yaml:"bind,omitempty"`
}

type composeOutSubpath struct {
	Subpath string `yaml:"subpath,omitempty"`
	NoCopy  bool   `yaml:"nocopy,omitempty"`
}

type composeOutBindOpts struct {
	CreateHostPath bool `yaml:"create_host_path"`
}

type composeOutHealth struct {
	Test        []string `yaml:"test"`
	Interval    string   `yaml:"interval,omitempty"`
	Timeout     string   `yaml:"timeout,omitempty"`
	Retries     int      `yaml:"retries,omitempty"`
	StartPeriod string   `yaml:"start_period,omitempty"`
}

func composeDocument(s *Stack, fsys fs.FS, w *expWarnings) (*composeOut, error) {
	doc := &composeOut{Name: s.Name, Volumes: map[string]*composeOutVolume{}, Configs: map[string]*composeOutConfig{}}
	if s.Backoff != expDefaultBackoff() {
		b := s.Backoff
		doc.XSidecar = &composeXTop{Backoff: &b}
	}
	// Service names: a container's own name when no other pod uses it, else pod-container.
	uses := map[string]int{}
	for _, p := range s.Pods {
		uses[p.Name+"-infra"]++
		for _, c := range p.Containers() {
			uses[c.Name]++
		}
	}
	svcName := func(p *Pod, c *Container) string {
		if uses[c.Name] > 1 {
			return p.Name + "-" + c.Name
		}
		return c.Name
	}
	// Volume names: likewise, pod volumes are per pod and compose volumes per project.
	volUses := map[string]int{}
	for _, p := range s.Pods {
		for _, v := range p.Volumes {
			volUses[v.Name]++
		}
	}
	for _, v := range s.Volumes {
		volUses[v.Name]++
	}
	volName := func(p *Pod, v string) string {
		if p.Volume(v) == nil && s.Volume(v) != nil {
			return v // the stack's, shared by its pods
		}
		if volUses[v] > 1 {
			return p.Name + "-" + v
		}
		return v
	}
	// Config names: one per file of a pod volume holding files, unique in the file.
	cfgNames := map[composeCfgKey]string{}
	taken := map[string]bool{}
	for _, p := range s.Pods {
		for _, v := range p.Volumes {
			for _, f := range sortedKeys(v.Files) {
				cfgNames[composeCfgKey{p.Name, v.Name, f}] = expUniqueName(p.Name+"-"+v.Name+"-"+cmp.Or(dnsLabelFrom(f), "file"), taken)
			}
		}
	}

	services := &yaml.Node{Kind: yaml.MappingNode}
	addService := func(name string, svc *composeOutService) error {
		n, err := toNode(svc)
		if err != nil {
			return fmt.Errorf("encoding service %s: %w", name, err)
		}
		services.Content = append(services.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, n.Content[0])
		return nil
	}
	mainOf := map[string]*composeOutService{}
	built := map[string][]*composeOutService{}
	for _, p := range s.Pods {
		infra := p.Name + "-infra"
		if uses[infra] > 1 {
			w.add(p.Name, "pod %s has a container named %s-infra: rename it, the compose export names the pod's infra service so", p.Name, p.Name)
		}
		var svcs []*composeOutService
		for _, c := range p.Containers() {
			svc := composeService(s, p, c, fsys, volName, cfgNames, w)
			svc.serviceName = svcName(p, c)
			if svc.serviceName != c.Name {
				svc.XSidecar.Name = c.Name
			}
			if c.Role != RoleMain {
				// The infra service publishes the pod's ports; the importer gives main those
				// no other container claims.
				for _, port := range c.Ports {
					svc.XSidecar.Ports = append(svc.XSidecar.Ports, composePort(port))
				}
			}
			svc.NetworkMode = "service:" + infra
			if p.SharePID {
				svc.Pid = "service:" + infra
			}
			if p.ShareIPC {
				svc.Ipc = "service:" + infra
			}
			svcs = append(svcs, svc)
		}
		composeOrder(p, svcs)
		mainOf[p.Name] = svcs[len(svcs)-1]
		built[p.Name] = svcs
	}
	for _, p := range s.Pods {
		infra := &composeOutService{
			Image:    ComposeInfraImage,
			XSidecar: &composeX{Role: RoleInfra, Pod: p.Name},
		}
		if len(s.Pods) > 1 {
			// Other pods reach this one by its name, as they do under sidecar.
			infra.Networks = map[string]*composeOutNetRef{"default": {Aliases: []string{p.Name}}}
		}
		if p.StopGrace != Duration(DefaultPodStopGrace) {
			g := p.StopGrace
			infra.XSidecar.StopGrace = &g
		}
		if p.ShareIPC {
			infra.Ipc = "shareable"
		}
		composePodFields(p, infra)
		for _, port := range p.Ports() {
			infra.Ports = append(infra.Ports, composePort(port))
		}
		if len(p.DependsOn) > 0 {
			deps := map[string]string{}
			for _, d := range p.DependsOn {
				m := mainOf[d]
				if m == nil {
					continue
				}
				deps[m.serviceName] = composeCondition(m)
				if s.Pod(d).Job {
					deps[m.serviceName] = composeCompleted
				}
			}
			infra.DependsOn = composeDeps(deps)
		}
		if err := addService(p.Name+"-infra", infra); err != nil {
			return nil, err
		}
		for _, svc := range built[p.Name] {
			if err := addService(svc.serviceName, svc); err != nil {
				return nil, err
			}
		}
	}
	doc.Services = services

	for _, p := range s.Pods {
		mounted := map[string]bool{}
		for _, c := range p.Containers() {
			for _, m := range c.Volumes {
				if m.Type == MountVolume {
					mounted[m.Source] = true
				}
			}
		}
		for _, v := range p.Volumes {
			if len(v.Files) > 0 {
				continue
			}
			vol := &composeOutVolume{DriverOpts: composeTmpfs(v)}
			if v.SizeLimit > 0 && v.Medium != MediumMemory {
				w.add(p.Name+"/volumes/"+v.Name, "pod %s: the size_limit %s of volume %s (on disk, where it is not enforced either) cannot be expressed in compose: left out", p.Name, v.SizeLimit, v.Name)
			}
			if name := volName(p, v.Name); name != v.Name || !mounted[v.Name] {
				vol.XSidecar = &composeXVolume{}
				if name != v.Name {
					vol.XSidecar.Name = v.Name
				}
				if !mounted[v.Name] {
					vol.XSidecar.Pod = p.Name
				}
			}
			doc.Volumes[volName(p, v.Name)] = vol
		}
	}
	for _, v := range s.Volumes {
		doc.Volumes[v.Name] = &composeOutVolume{DriverOpts: composeTmpfs(v)}
	}
	for _, p := range s.Pods {
		for _, v := range p.Volumes {
			for file, content := range v.Files {
				doc.Configs[cfgNames[composeCfgKey{p.Name, v.Name, file}]] = &composeOutConfig{
					Content:  content,
					XSidecar: &composeXConfig{Pod: p.Name, Volume: v.Name, File: file},
				}
			}
		}
	}
	return doc, nil
}

// composeCfgKey names one file of a pod volume: pod, volume, file.
type composeCfgKey struct{ pod, volume, file string }

// composeService maps one container (its ports go to the pod's infra service).
func composeService(s *Stack, p *Pod, c *Container, fsys fs.FS, volName func(*Pod, string) string, cfgNames map[composeCfgKey]string, w *expWarnings) *composeOutService {
	svc := &composeOutService{
		Image:      c.Image,
		Entrypoint: c.Entrypoint,
		Command:    c.Command,
		WorkingDir: c.WorkingDir,
		User:       c.User,
		Init:       c.Init,
		TTY:        c.TTY,
		XSidecar:   &composeX{Role: c.Role},
	}
	if c.Build != nil {
		svc.Build = &composeOutBuild{
			Context:    c.Build.Context,
			Dockerfile: c.Build.Dockerfile,
			Target:     c.Build.Target,
		}
		svc.Build.Args = maps.Clone(c.Build.Args)
	}
	env := maps.Clone(c.Env)
	if len(c.EnvFile) > 0 {
		svc.EnvFile = c.EnvFile
		for k, v := range composeEnvFiles(s, fsys, c.EnvFile) {
			if ev, ok := env[k]; ok && ev == v {
				delete(env, k) // comes from the env file, which the compose file names
			}
		}
	}
	var secret []string
	for _, name := range sortedKeys(env) {
		if env[name] != "" && expSecretLike(name) {
			secret = append(secret, name)
		}
	}
	if len(secret) > 0 {
		phrase, its := expSecretVariables(secret)
		w.add(expField(p, c, "env"), "%s: %s, and the compose file holds %s in plain text: keep the file out of version control, or write ${%s} in place of the value so that compose reads it from the environment or a .env file",
			expWho(s, p, c), phrase, its, secret[0])
	}
	if len(env) > 0 {
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, kv := range Env(env).Sorted() {
			k, v, _ := strings.Cut(kv, "=")
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: k},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
		}
		svc.Environment = n
	}
	mounts := 0 // mounts written so far: the index of the next one
	for _, m := range c.Volumes {
		mounts++
		switch {
		case m.Type == MountBind:
			// The long syntax, so that a missing source is an error, as it is locally,
			// rather than a directory compose creates.
			svc.Volumes = append(svc.Volumes, composeOutMount{Type: "bind", Source: m.Source, Target: m.Target,
				ReadOnly: m.ReadOnly, Bind: &composeOutBindOpts{CreateHostPath: false}})
		case p.Volume(m.Source) != nil && len(p.Volume(m.Source).Files) > 0:
			refs := composeFileMounts(p, p.Volume(m.Source), m, mounts-1, cfgNames)
			switch {
			case len(refs) == 0:
				mounts--
				w.add(expField(p, c, "volumes"), "%s: sub_path %s names no file of volume %s, so there is nothing to mount at %s: the mount is left out", expWho(s, p, c), m.SubPath, m.Source, m.Target)
			case !m.ReadOnly:
				w.add(expField(p, c, "volumes"), "%s: volume %s holds files, which compose mounts as configs, read-only: it cannot write to %s there", expWho(s, p, c), m.Source, m.Target)
			}
			svc.Configs = append(svc.Configs, refs...)
		// A pod volume starts empty, as an emptyDir does: nocopy, or the engine would copy
		// what the first container's image has at the target into it (nginx's log
		// symlinks to /dev/stdout under /var/log/nginx, say).
		case m.SubPath != "":
			svc.Volumes = append(svc.Volumes, composeOutMount{Type: "volume", Source: volName(p, m.Source), Target: m.Target,
				ReadOnly: m.ReadOnly, Volume: &composeOutSubpath{Subpath: m.SubPath, NoCopy: true}})
		default:
			spec := volName(p, m.Source) + ":" + m.Target + ":"
			if m.ReadOnly {
				spec += "ro,"
			}
			svc.Volumes = append(svc.Volumes, spec+"nocopy")
		}
	}
	if c.Ready != nil {
		if c.Ready.Kind() == ProbeImage {
			// No healthcheck: compose's service_healthy then waits for the image's own.
			svc.healthchecked = true
		} else if c.Ready.Exec != nil {
			svc.Healthcheck = &composeOutHealth{
				Test:     append([]string{"CMD"}, c.Ready.Exec.Command...),
				Interval: composeDuration(c.Ready.Period),
				Timeout:  composeDuration(c.Ready.Timeout),
				Retries:  c.Ready.Retries,
			}
			if c.Ready.StartPeriod > 0 {
				svc.Healthcheck.StartPeriod = composeDuration(c.Ready.StartPeriod)
			}
			svc.healthchecked = true
		} else {
			// Compose healthchecks run inside the container: an http or tcp check would need
			// curl or nc in the image. x-sidecar keeps it for sidecar's own prober.
			svc.XSidecar.Ready = c.Ready
		}
	}
	if c.Live != nil {
		svc.XSidecar.Live = c.Live
	}
	switch c.Restart {
	case RestartAlways:
		svc.Restart = "always"
	case RestartOnFailure:
		svc.Restart = "on-failure"
	case RestartNever:
		if c.Role != RoleMain { // compose's default; a main that says "no" is a one-shot (a job)
			svc.Restart = "no"
		}
	}
	if (c.Role == RoleSidecar || c.Role == RoleInit) && c.Restart != c.Role.DefaultRestart() {
		// The importer gives sidecars and init containers their role's policy unless told.
		svc.XSidecar.Restart = c.Restart
	}
	if c.StopGrace > 0 {
		svc.StopGrace = composeDuration(c.StopGrace)
	}
	svc.StopSignal, svc.CapAdd, svc.CapDrop, svc.Privileged, svc.ReadOnly = c.StopSignal, c.CapAdd, c.CapDrop, c.Privileged, c.ReadOnly
	svc.GroupAdd, svc.ShmSize = c.Groups, int64(c.ShmSize)
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
	for _, h := range []struct {
		hook *Hook
		out  *[]composeOutHook
		x    **Hook
	}{{c.PostStart, &svc.PostStart, &svc.XSidecar.PostStart}, {c.PreStop, &svc.PreStop, &svc.XSidecar.PreStop}} {
		switch {
		case h.hook != nil && h.hook.Exec != nil:
			*h.out = []composeOutHook{{Command: h.hook.Exec.Command}}
		case h.hook != nil: // compose's hooks are commands: http and sleep are sidecar's
			*h.x = h.hook
		}
	}
	if len(c.Watch) > 0 {
		svc.Develop = &composeOutDevelop{Watch: c.Watch}
	}
	svc.XSidecar.Startup, svc.XSidecar.EnvRefs, svc.XSidecar.ExpandRefs = c.Startup, c.EnvRefs, c.ExpandRefs
	return svc
}

// composePodFields puts what the pod's infra container owns on its infra service: the
// network namespace's settings, and (in x-sidecar) whether the pod is a job and its identity.
func composePodFields(p *Pod, infra *composeOutService) {
	infra.Hostname, infra.DomainName, infra.Sysctls = p.Hostname, p.Subdomain, p.Sysctls
	for _, h := range p.ExtraHosts {
		for _, name := range h.Hostnames {
			infra.ExtraHosts = append(infra.ExtraHosts, name+"="+h.IP)
		}
	}
	if d := p.DNS; d != nil {
		infra.DNS, infra.DNSSearch, infra.DNSOpt = d.Nameservers, d.Searches, d.Options
	}
	x := infra.XSidecar
	if p.Job {
		x.Job = expPtr(true)
	}
	x.Namespace, x.Labels, x.Annotations, x.ServiceAccount = p.Namespace, p.Labels, p.Annotations, p.ServiceAccount
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

// composeOrder writes depends_on so that compose starts a pod's services in sidecar's order:
// each init container after the previous one completed, the first sidecar after the last
// init container, each sidecar after the previous one (healthy when it has a healthcheck),
// main last. svcs are in the pod's container order: init, sidecars, main.
func composeOrder(p *Pod, svcs []*composeOutService) {
	var prev *composeOutService
	for i, svc := range svcs {
		if prev != nil {
			cond := composeCondition(prev)
			if i <= len(p.Init) {
				cond = "service_completed_successfully"
			}
			svc.DependsOn = composeDeps(map[string]string{prev.serviceName: cond})
		}
		prev = svc
	}
}

// composeCondition is what a service waiting for svc to be up waits for.
func composeCondition(svc *composeOutService) string {
	if svc.healthchecked {
		return "service_healthy"
	}
	return "service_started"
}

func composeDeps(deps map[string]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	names := sortedKeys(deps)
	for _, name := range names {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: name},
			&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Value: "condition"},
				{Kind: yaml.ScalarNode, Value: deps[name]},
			}})
	}
	return n
}

// composeFileMounts mounts a pod volume holding files as compose configs, one per file the
// mount shows (all of them, or those below its sub path), each where the mount puts it; the
// x-sidecar of each reference names the mount and its index among the container's mounts,
// so that the importer puts the volume mount back together.
func composeFileMounts(p *Pod, v *Volume, m Mount, index int, cfgNames map[composeCfgKey]string) []composeOutConfigRef {
	var out []composeOutConfigRef
	for _, file := range sortedKeys(v.Files) {
		lands := composeConfigLands(m.Target, m.SubPath, file)
		if lands == "" {
			continue
		}
		out = append(out, composeOutConfigRef{
			Source:   cfgNames[composeCfgKey{p.Name, v.Name, file}],
			Target:   lands,
			XSidecar: &composeXConfigRef{Target: m.Target, SubPath: m.SubPath, Index: &index},
		})
	}
	return out
}

// composeEnvFiles reads the env files a container names, merged in order (later files win),
// without interpolation. Files that cannot be read are skipped.
func composeEnvFiles(s *Stack, fsys fs.FS, files []string) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		src := expResolveBind(s, fsys, f)
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
	if p.HostIP != "" {
		ip := p.HostIP
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		if p.HostPort == 0 {
			s = ip + "::" + s
		} else {
			s = ip + ":" + s
		}
	}
	return s
}

// composeDuration writes d as compose reads it (Go duration syntax).
func composeDuration(d Duration) string {
	return time.Duration(d).String()
}

// checkCompose loads an exported compose file with compose-go, schema validation and
// consistency checks included.
func checkCompose(s *Stack, content []byte) error {
	var dict map[string]any
	if err := yaml.Unmarshal(content, &dict); err != nil {
		return err
	}
	dir := s.Dir
	if dir == "" {
		dir = "."
	}
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
	if p == nil {
		return errors.New("compose-go returned no project")
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
