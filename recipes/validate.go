package recipes

import (
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/distribution/reference"
)

// validator checks a normalised stack, whatever produced it, and places every problem with
// the Positions its producer recorded.
type validator struct {
	s     *Stack
	pos   *Positions
	bad   map[string]bool
	stat  func(string) (fs.FileInfo, error)
	probs Problems
	warns []Warning
	// said holds what was said at each place: the same mistake at the same place (a field
	// of a YAML anchor that several services merge) is said once, for its first container.
	said map[string]bool
}

func validate(s *Stack, pos *Positions, bad map[string]bool, stat func(string) (fs.FileInfo, error)) (Problems, []Warning) {
	v := &validator{s: s, pos: pos, bad: bad, stat: stat, said: map[string]bool{}}
	v.stack()
	return v.probs, v.warns
}

// problem records a problem placed at key, unless key (or a field it lies in) already failed
// to decode: that mistake has been reported.
func (v *validator) problem(key, hint, format string, args ...any) {
	for k := range lineage(key) {
		if v.bad[k] {
			return
		}
	}
	if at := v.pos.At(key); v.once(at, format+hint) {
		v.probs = append(v.probs, Problem{Pos: at, Message: fmt.Sprintf(format, args...), Hint: hint})
	}
}

// once reports whether what (a message's format) was not said at pos yet, and notes it.
func (v *validator) once(pos Position, what string) bool {
	id := pos.String() + "\x00" + what
	first := pos.Line == 0 || !v.said[id]
	v.said[id] = true
	return first
}

// say picks the hint written in the terms of the input the stack came from: a recipe's, a
// compose file's or a Kubernetes manifest's. An empty alternative falls back to the
// recipe's hint, for hints that read the same in every kind of file.
func (v *validator) say(recipe, compose, kube string) string {
	switch {
	case v.s.Source.Kind == SourceCompose && compose != "":
		return compose
	case v.s.Source.Kind == SourceKube && kube != "":
		return kube
	}
	return recipe
}

func (v *validator) warn(key, field, format string, args ...any) {
	if at := v.pos.At(key); v.once(at, format) {
		v.warns = append(v.warns, Warning{Pos: at, Field: field, Message: fmt.Sprintf(format, args...)})
	}
}

// isDNSLabel reports whether name is an RFC 1123 label (Kubernetes' own check of one).
func isDNSLabel(name string) bool { return len(validation.IsDNS1123Label(name)) == 0 }

// isHostName reports whether name is a host name the engine takes (a container's hostname,
// a network alias): parts of 1 to 63 letters, digits, '-' and '_' separated by dots, none
// starting or ending with '-', 253 characters at most. Docker takes '_', which RFC 1123
// does not (docker create --hostname echo_service runs; compose's plausible_db resolves).
func isHostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, l := range strings.Split(name, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.Trim(strings.ToLower(l), "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}

// hostNameHint says how to write a name isHostName takes.
const hostNameHint = "use letters, digits, '-' and '_', in parts of at most 63 separated by dots, none starting or ending with '-'"

// dnsLabel checks a name against RFC 1123 label rules and says how to fix it.
func (v *validator) dnsLabel(key, what, name string) bool {
	switch {
	case name == "":
		v.problem(key, "give it a name: lowercase letters, digits and '-'", "%s has no name", what)
	case !isDNSLabel(name):
		hint := "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
		if fix := DNSLabel(name); fix != "" && fix != name {
			hint += fmt.Sprintf(", e.g. %q", fix)
		}
		v.problem(key, hint, "%s name %q is not a valid DNS label", what, yamlpos.Clip(name))
	default:
		return true
	}
	return false
}

func (v *validator) stack() {
	s := v.s
	if s.Name == "" {
		v.problem("name", v.say("add name: to the recipe (lowercase letters, digits and '-')",
			"add name: to the compose file (lowercase letters, digits and '-')",
			"label every workload app.kubernetes.io/part-of: NAME (lowercase letters, digits and '-')"),
			"no stack name can be made from the directory %q", filepath.Base(s.Dir))
	}
	stackOK := s.Name != "" && v.dnsLabel("name", "stack", s.Name)
	b := s.Backoff
	switch {
	case b.Initial < 0 || b.Max < 0 || b.Reset < 0:
		v.problem("backoff", "write positive durations, like initial: 1s, max: 30s, reset: 60s", "backoff durations must not be negative")
	case b.Max < b.Initial:
		v.problem(Field("backoff", "max"), "make max at least as long as initial", "backoff max %s is shorter than initial %s", b.Max, b.Initial)
	}
	if len(s.Pods) == 0 {
		v.problem("", v.say("add a main container, e.g. main: {image: app:dev}",
			"declare a service, e.g. services: {web: {image: nginx}}",
			"add a workload, e.g. a Pod or a Deployment"), "the stack has no pods")
	}
	v.volumes(s.Volumes, "the stack", StackVolumeKey)
	seenPods := map[string]bool{}
	for _, p := range s.Pods {
		pk := PodKey(p.Name)
		if seenPods[p.Name] {
			v.problem(pk, "give each pod its own name", "pod name %q is used twice", p.Name)
		}
		seenPods[p.Name] = true
		if p.Name != s.Name || stackOK {
			v.dnsLabel(pk, "pod", p.Name) // the flat form's pod is named after the stack: reported once
		}
		v.pod(p)
	}
	for _, p := range s.Pods {
		_, clashes := s.podAliases(p)
		for _, c := range clashes {
			what := "the name of pod " + c.other
			if !c.byName {
				what = "an alias of pod " + c.other + ", which comes first"
			}
			v.warn(Field(PodKey(p.Name), "aliases", c.index), "aliases", "alias %s of pod %s is %s: only %s is reached by it", c.name, p.Name, what, c.other)
		}
	}
	v.dependencies()
	v.hostPorts()
	v.engineNames()
}

func (v *validator) pod(p *Pod) {
	pk := PodKey(p.Name)
	if p.Main == nil {
		v.problem(Field(pk, "main"), "add main: with at least an image, e.g. main: {image: app:dev}", "pod %q has no main container", p.Name)
	}
	if p.StopGrace < 0 {
		v.problem(Field(pk, "stop_grace"), "write a positive duration like 30s", "pod stop_grace must not be negative")
	}
	v.podFields(p)
	vols := v.volumes(p.Volumes, "pod "+p.Name, func(name string) string { return VolumeKey(p.Name, name) })
	for _, sv := range v.s.Volumes {
		if slices.Contains(vols, sv.Name) {
			v.problem(VolumeKey(p.Name, sv.Name), "rename one of them", "pod %s declares volume %s, which is also a volume of the stack", p.Name, sv.Name)
		} else {
			vols = append(vols, sv.Name)
		}
	}
	seen := map[string]bool{}
	for _, c := range p.Containers() {
		ck := ContainerKey(p.Name, c.Name)
		switch nk := Field(ck, "name"); {
		case c.Name == "":
			v.problem(nk, "add name: with lowercase letters, digits and '-', e.g. name: proxy", "%s has no name", unnamed(p, c))
		case !v.dnsLabel(nk, "container", c.Name):
		case c.Name == "infra":
			v.problem(nk, "rename it: sidecar names the pod's own network-holding container \"infra\"", "container name \"infra\" is reserved")
		case seen[c.Name]:
			v.problem(nk, "give each container of a pod its own name", "container name %q is used twice in pod %q", c.Name, p.Name)
		}
		seen[c.Name] = true
		v.container(p, c, ck, vols)
		if c.StopGrace > p.StopGrace {
			v.warn(Field(ck, "stop_grace"), "stop_grace",
				"stop_grace %s of %q is longer than the pod's whole stop budget %s, so it is cut to fit: raise the pod's stop_grace or lower this one", c.StopGrace, c.Name, p.StopGrace)
		}
	}
}

// volumes checks the volumes of a pod (or of the stack, which are mounted with no files),
// and returns their names.
func (v *validator) volumes(vs []*Volume, owner string, keyOf func(string) string) []string {
	var names []string
	for _, vol := range vs {
		vk := keyOf(vol.Name)
		if slices.Contains(names, vol.Name) {
			v.problem(vk, "give each volume its own name", "volume %q is declared twice in %s", vol.Name, owner)
		}
		names = append(names, vol.Name)
		v.dnsLabel(vk, "volume", vol.Name)
		if vol.SizeLimit > 0 && vol.Medium != MediumMemory {
			if v.s.Source.Kind == SourceKube {
				v.warn(Field(vk, "size_limit"), "sizeLimit", "emptyDir %s of %s is on the engine's disk, where its sizeLimit %s is not enforced (an emptyDir with medium: Memory is a tmpfs of that size)", vol.Name, owner, vol.SizeLimit)
			} else {
				v.warn(Field(vk, "size_limit"), "size_limit", "volume %s of %s is on the engine's disk, where its size_limit %s is not enforced (a volume with medium: memory is a tmpfs of that size)", vol.Name, owner, vol.SizeLimit)
			}
		}
		if len(vol.Files) > 0 && owner == "the stack" {
			v.problem(Field(vk, "files"), "put the files in a volume of the pod that mounts them", "stack volume %s cannot hold files", vol.Name)
		}
		for _, f := range sortedKeys(vol.Files) {
			if f == "" || path.IsAbs(f) || filepath.IsAbs(f) || slices.Contains(strings.Split(filepath.ToSlash(f), "/"), "..") {
				v.problem(Field(vk, "files", f), "name files relative to the volume, like app.conf or conf.d/app.conf",
					"file name %q in volume %q must be a relative path inside the volume", yamlpos.Clip(f), vol.Name)
			}
		}
	}
	return names
}

func (v *validator) container(p *Pod, c *Container, ck string, vols []string) {
	label := containerLabel(c)
	switch {
	case c.Image == "" && c.Build == nil:
		v.problem(Field(ck, "image"), v.say("add image: NAME:TAG, or build: ./dir to build one", "",
			"add image: NAME:TAG to the container"), "%s has no image", label)
	case c.Image != "":
		if _, err := reference.ParseNormalizedNamed(c.Image); err != nil {
			hint := "write a reference like app:dev, registry.example.com/team/app:1.2 (repository names are lowercase)"
			v.problem(Field(ck, "image"), hint, "image %q of %s is not a valid image reference: %v", yamlpos.Clip(c.Image), label, err)
		}
	}
	if c.Build != nil {
		v.buildContext(ck, label, c.Build.Context)
		if c.Build.Dockerfile != "" && c.Build.DockerfileInline != "" {
			// As compose-go refuses it ("mutually exclusive dockerfile and dockerfile_inline").
			v.problem(Field(ck, "build"), "keep one: dockerfile names a file, dockerfile_inline is the Dockerfile's text",
				"build of %s has both dockerfile and dockerfile_inline", label)
		}
	}
	for _, name := range sortedKeys(c.Env) {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			v.problem(Field(ck, "env", name), "use names like APP_PORT, without = in them", "environment variable name %q of %s is not valid", yamlpos.Clip(name), label)
		}
	}
	if c.WorkingDir != "" && !path.IsAbs(c.WorkingDir) {
		v.problem(Field(ck, "workdir"), "write an absolute path like /app", "workdir %q of %s is not an absolute path", yamlpos.Clip(c.WorkingDir), label)
	}
	if c.StopGrace < 0 {
		v.problem(Field(ck, "stop_grace"), "write a positive duration like 10s", "stop_grace of %s must not be negative", label)
	}
	if c.Role == RoleSidecar && (c.Restart == RestartNever || c.Restart == RestartOnFailure) && v.s.Source.Kind == SourceRecipe {
		// The importers say it in their own terms.
		v.warn(Field(ck, "restart"), "restart", "sidecar %s is restarted whenever it exits, as in Kubernetes; restart: %s is not honoured (a container that should run once goes under init, or in a pod of its own with job: true)", c.Name, c.Restart)
	}
	if c.Gate != GateReady && c.Role != RoleSidecar {
		v.problem(Field(ck, "gate"), "remove it: a sidecar's gate says what the container after it waits for",
			"%s has gate: %s, but only a sidecar has a gate", label, c.Gate)
	}
	if c.Role == RoleInit {
		if c.Restart == RestartAlways {
			v.problem(Field(ck, "restart"), "use restart: never or on-failure, or move it to sidecars if it should keep running",
				"init container %q has restart: always, so it would never complete", c.Name)
		}
		probes := setNames(setting{"ready", c.Ready != nil}, setting{"live", c.Live != nil}, setting{"startup", c.Startup != nil})
		for _, which := range probes {
			v.problem(Field(ck, which), "remove the probe, or move the container to sidecars", "init container %q cannot have a %s probe: it runs to completion", c.Name, which)
		}
	}
	for i, pt := range c.Ports {
		k := Field(ck, "ports", i)
		if pt.ContainerPort < 1 || pt.ContainerPort > 65535 {
			v.problem(k, "use a port from 1 to 65535", "container port %d of %s is out of range", pt.ContainerPort, label)
		}
		if pt.HostPort < 0 || pt.HostPort > 65535 {
			v.problem(k, v.say("use a port from 1 to 65535, or leave the host port out to let the engine pick one", "",
				"use a hostPort from 1 to 65535, or leave hostPort out (the port is then reachable from other pods, not published)"),
				"host port %d of %s is out of range", pt.HostPort, label)
		}
	}
	for i, pt := range c.Expose {
		if pt.ContainerPort < 1 || pt.ContainerPort > 65535 {
			v.problem(Field(ck, "expose", i), "use a port from 1 to 65535", "exposed port %d of %s is out of range", pt.ContainerPort, label)
		}
	}
	targets := map[string]int{}
	for i, m := range c.Volumes {
		k := Field(ck, "volumes", i)
		if !path.IsAbs(m.Target) {
			v.problem(k, "mount at an absolute path like /var/log", "volume target %q of %s is not an absolute path", yamlpos.Clip(m.Target), label)
		} else if j, dup := targets[path.Clean(m.Target)]; dup {
			v.problem(k, "mount each path once", "%s mounts two volumes at %s (entries %d and %d)", label, path.Clean(m.Target), j+1, i+1)
		} else {
			targets[path.Clean(m.Target)] = i
		}
		switch m.Type {
		case MountVolume:
			if m.Source == "" {
				v.problem(k, "name a pod volume, e.g. logs:/var/log", "volume of %s has no source", label)
			} else if !slices.Contains(vols, m.Source) {
				hint := v.say(fmt.Sprintf("declare it in the pod's volumes: (volumes: {%s: {}})", m.Source),
					fmt.Sprintf("declare it under the top-level volumes: key (volumes: {%s: {}})", m.Source),
					fmt.Sprintf("add a volume named %s to the pod spec's volumes (- name: %s, emptyDir: {})", m.Source, m.Source))
				if s := didYouMean(m.Source, vols); s != "" {
					hint = fmt.Sprintf("did you mean %q? or %s", s, hint)
				} else if !strings.ContainsAny(m.Source, "/.~") && v.s.Source.Kind != SourceKube {
					hint += ", or write ./" + m.Source + " for a host directory"
				}
				v.problem(k, hint, "%s mounts volume %q, which pod %q does not declare", label, m.Source, p.Name)
			} else if vol := p.Volume(m.Source); m.SubPath != "" && (vol == nil || len(vol.Files) == 0) {
				// The files of a volume that holds some are copied into the container, a sub
				// path picking one; the engine mounts the sub path of any other volume.
				field := v.say("sub_path", "subpath", "subPath")
				v.warn(Field(k, "sub_path"), field, "%s mounts volume %s from %s %s, which needs an engine with API 1.45 or newer (Docker Engine 26+): on an older one sidecar up refuses it; there, mount the whole volume and point the program at the sub directory",
					label, m.Source, field, m.SubPath)
			} else if m.SubPath != "" && !holdsPath(vol.Files, m.SubPath) {
				field := v.say("sub_path", "subpath", "subPath")
				if v.s.Source.Kind == SourceKube {
					v.warn(Field(k, "sub_path"), field, "%s mounts %s %s of volume %s, which holds no such key or directory: a kubelet mounts an empty directory there, and sidecar mounts nothing", label, field, m.SubPath, m.Source)
				} else {
					v.problem(Field(k, "sub_path"), fmt.Sprintf("name one of its files (%s) or a directory of them", strings.Join(slices.Sorted(maps.Keys(vol.Files)), ", ")),
						"%s mounts %s %s of volume %s, which holds no such file or directory", label, field, m.SubPath, m.Source)
				}
			}
		case MountBind:
			if m.Source == "" {
				v.problem(k, "give a host path, e.g. ./conf:/etc/conf", "bind mount of %s has no source", label)
			} else if v.stat != nil && !strings.HasPrefix(m.Source, "~") {
				if _, err := v.stat(inDir(v.s.Dir, m.Source)); err != nil && m.MustExist {
					why := v.say("must_exist: true", "bind.create_host_path: false, or a secret's file", "the hostPath's type asks for one that exists")
					v.warn(k, "volumes", "bind mount source %s does not exist, and is not created (%s): the container cannot be created until it does: create it or fix the path", m.Source, why)
				} else if err != nil {
					v.warn(k, "volumes", "bind mount source %s does not exist: it is created, an empty directory, when the container is (as docker compose and docker run -v do): fix the path if it should hold files", m.Source)
				}
			}
		}
	}
	v.probe(Field(ck, "ready"), "ready", label, c.Ready)
	v.probe(Field(ck, "live"), "live", label, c.Live)
	v.probe(Field(ck, "startup"), "startup", label, c.Startup)
	v.engineFields(p, c, ck, label)
	v.execLimits(ck, label, c)
}

// buildContext checks that container ck has a build context and that a local one is a
// directory, as the build needs one (docker compose refuses the project: "unable to prepare
// context: path … not found"). A remote context (a Git or HTTP URL: a scheme, git@, or
// github.com/, as docker has it) is the engine's to fetch.
func (v *validator) buildContext(ck, label, context string) {
	if context == "" {
		v.problem(Field(ck, "build"), "set build: ./dir (the directory with the Dockerfile)", "build of %s has no context", label)
		return
	}
	remote := strings.Contains(context, "://") || strings.HasPrefix(context, "git@") || strings.HasPrefix(context, "github.com/")
	if v.stat == nil || remote {
		return
	}
	key := Field(ck, "build", "context")
	switch fi, err := v.stat(inDir(v.s.Dir, context)); {
	case err != nil:
		v.problem(key, v.say("create the directory (with its Dockerfile), or fix the path: it is relative to the recipe's directory", "create the directory (with its Dockerfile), or fix build.context: it is relative to the compose file's directory", ""),
			"build context %s of %s does not exist", yamlpos.Clip(context), label)
	case fi != nil && !fi.IsDir():
		v.problem(key, "give the directory that holds the Dockerfile (a file is set with dockerfile:)", "build context %s of %s is not a directory", yamlpos.Clip(context), label)
	}
}

// What a process can be started with. The kernel refuses a single argument or environment
// string (NAME=value) longer than MAX_ARG_STRLEN, 32 pages: the container would fail to
// start. The arguments and environment together are bounded by a quarter of the stack limit
// (2 MiB with the usual 8 MiB), and the engine refuses a container whose configuration does
// not fit its messages ("trying to send message larger than max"): maxExecTotal stays well
// below both.
const (
	maxArgLen    = 128 << 10
	maxExecTotal = 1 << 20
)

// execLimits checks a container's command line and environment against what a process can
// be started with, so that validate finds what up would fail on.
func (v *validator) execLimits(ck, label string, c *Container) {
	const hint = "put large data in a file (in a pod volume's files, or a bind mount) and pass its path instead"
	total, over := 0, false
	check := func(key, what string, s string) {
		total += len(s) + 1 // with its NUL
		if len(s)+1 > maxArgLen {
			over = true
			v.problem(key, hint, "%s of %s is %s long, and a process cannot be started with a single argument or variable longer than %s", what, label, expSize(len(s)), expSize(maxArgLen))
		}
	}
	args := func(key, what string, words []string) {
		for i, w := range words {
			check(key, fmt.Sprintf("%s word %d", what, i+1), w)
		}
	}
	args(Field(ck, "entrypoint"), "entrypoint", c.Entrypoint)
	args(Field(ck, "command"), "command", c.Command)
	for _, name := range sortedKeys(c.Env) {
		check(Field(ck, "env", name), "env "+name, name+"="+c.Env[name])
	}
	if !over && total > maxExecTotal {
		v.problem(ck, hint, "the command and environment of %s add up to %s, more than the %s a container can be started with", label, expSize(total), expSize(maxExecTotal))
	}
	for which, p := range map[string]*Probe{"ready": c.Ready, "live": c.Live} {
		if p != nil && p.Exec != nil {
			args(Field(ck, which, "exec", "command"), which+" exec probe command", p.Exec.Command)
		}
	}
}

func (v *validator) probe(key, which, label string, p *Probe) {
	if p == nil {
		return
	}
	kinds := setNames(setting{"http", p.HTTP != nil}, setting{"tcp", p.TCP != nil}, setting{"exec", p.Exec != nil}, setting{"image", p.Image})
	switch {
	case len(kinds) == 0:
		v.problem(key, v.say("add one of http: {port: 8080}, tcp: {port: 8080} or exec: {command: [...]}", "",
			"add one of httpGet: {port: 8080}, tcpSocket: {port: 8080} or exec: {command: [...]}"), "%s probe of %s has no check", which, label)
	case len(kinds) > 1:
		v.problem(key, "keep exactly one of them", "%s probe of %s has more than one check (%s)", which, label, strings.Join(kinds, " and "))
	}
	if p.HTTP != nil {
		v.probePort(Field(key, "http", "port"), which+" http", label, p.HTTP.Port)
		if !slices.Contains([]string{"", "http", "https"}, p.HTTP.Scheme) {
			v.problem(Field(key, "http", "scheme"), v.say("use http or https", "", "use HTTP or HTTPS"),
				"%s probe of %s has an unknown scheme %q", which, label, yamlpos.Clip(p.HTTP.Scheme))
		}
		if p.HTTP.Path != "" && !strings.HasPrefix(p.HTTP.Path, "/") {
			v.problem(Field(key, "http", "path"), fmt.Sprintf("write it as /%s", p.HTTP.Path), "%s probe path %q of %s must start with /", which, yamlpos.Clip(p.HTTP.Path), label)
		}
	}
	if p.TCP != nil {
		v.probePort(Field(key, "tcp", "port"), which+" tcp", label, p.TCP.Port)
	}
	if p.Exec != nil && len(p.Exec.Command) == 0 {
		v.problem(Field(key, "exec", "command"), v.say("add command: [\"/bin/check\"] (it passes when the command exits 0)", "",
			"give exec a command: [\"/bin/check\"] (it passes when the command exits 0)"), "%s exec probe of %s has no command", which, label)
	}
	if p.Kind() == ProbeImage {
		v.imageProbe(key, which, label, p)
		return
	}
	// A compose healthcheck's retries, interval, timeout and start_period, or Kubernetes'
	// failureThreshold, periodSeconds, timeoutSeconds and initialDelaySeconds.
	if p.Retries < 1 {
		v.problem(Field(key, "retries"), v.say("write retries: 1 or more", "set the healthcheck's retries to 1 or more",
			"set failureThreshold to 1 or more"), "%s probe retries of %s must be at least 1", which, label)
	}
	if p.Period <= 0 {
		v.problem(Field(key, "period"), v.say("write a duration like 1s", "set the healthcheck's interval to a duration like 1s",
			"set periodSeconds to 1 or more"), "%s probe period of %s must be longer than zero", which, label)
	}
	if p.Timeout <= 0 {
		v.problem(Field(key, "timeout"), v.say("write a duration like 1s", "set the healthcheck's timeout to a duration like 1s",
			"set timeoutSeconds to 1 or more"), "%s probe timeout of %s must be longer than zero", which, label)
	}
	if p.StartPeriod < 0 {
		v.problem(Field(key, "start_period"), v.say("write a duration like 10s", "set the healthcheck's start_period to a duration like 10s",
			"set initialDelaySeconds to 0 or more"), "%s probe start_period of %s must not be negative", which, label)
	}
}

// imageProbe checks a probe that is the engine's verdict on the image's HEALTHCHECK: only
// readiness can be one (the engine restarts nothing on it, and a startup deadline would be
// the image's own), and its timings are the HEALTHCHECK's.
func (v *validator) imageProbe(key, which, label string, p *Probe) {
	if which != "ready" {
		v.problem(Field(key, "image"), "make it the ready probe, or give this one an http, tcp or exec check",
			"%s probe of %s cannot be the image's HEALTHCHECK: only a ready probe can", which, label)
	}
	timings := setNames(setting{"period", p.Period != 0}, setting{"timeout", p.Timeout != 0},
		setting{"retries", p.Retries != 0}, setting{"start_period", p.StartPeriod != 0})
	for _, name := range timings {
		v.problem(Field(key, name), "remove it: the HEALTHCHECK's own interval, timeout, retries and start period apply (set them in the Dockerfile)",
			"%s probe of %s is the image's HEALTHCHECK, which has its own %s", which, label, name)
	}
}

// setting is a named setting and whether it is set.
type setting struct {
	name string
	set  bool
}

// setNames is the names of the settings that are set, in order.
func setNames(settings ...setting) []string {
	var out []string
	for _, f := range settings {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

func (v *validator) probePort(key, which, label string, port int) {
	switch {
	case port == 0:
		v.problem(key, v.say("add port: the port the container listens on, e.g. port: 8080", "",
			"give the probe the port the container listens on, e.g. port: 8080, or the name of one of its ports"), "%s probe of %s has no port", which, label)
	case port < 1 || port > 65535:
		v.problem(key, "use a port from 1 to 65535", "%s probe port %d of %s is out of range", which, port, label)
	}
}

// dependencies checks that pod depends_on names known pods and that they do not form a
// cycle; each cycle is named in full, a → b → a.
func (v *validator) dependencies() {
	pods := map[string]*Pod{}
	var names []string
	for _, p := range v.s.Pods {
		if _, dup := pods[p.Name]; !dup {
			names = append(names, p.Name)
		}
		pods[p.Name] = p
	}
	for _, p := range v.s.Pods {
		for _, d := range p.DependsOn {
			dep := d.Pod
			k := v.dependsKey(p.Name, dep)
			switch {
			case dep == p.Name:
				v.problem(k, v.say("remove it: a pod cannot wait for itself", "",
					"remove it from the "+KubeAnnotationDependsOn+" annotation: a pod cannot wait for itself"), "pod %q depends on itself", p.Name)
			case pods[dep] == nil:
				others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == p.Name })
				hint := v.say("depend on one of: ", "", "name workloads of this file: ") + strings.Join(others, ", ")
				if len(others) == 0 {
					hint = v.say("remove it: the stack has no other pod", "",
						"remove it from the "+KubeAnnotationDependsOn+" annotation: the file has no other workload")
				}
				if s := didYouMean(dep, others); s != "" {
					hint = fmt.Sprintf("did you mean %q? (%s)", s, hint)
				}
				v.problem(k, hint, "pod %q depends on %q, which is not a pod of this stack", p.Name, dep)
			case d.Condition == DepCompleted && !pods[dep].Job:
				ck := Field(k, "condition")
				fix := v.say(fmt.Sprintf("mark %s job: true to run it to completion first, or make the condition ready", dep),
					"mark its service x-sidecar: {job: true} to run it to completion first, or give the depends_on entry's x-sidecar another condition",
					fmt.Sprintf("make %s a Job to run it to completion first, or write %s without :completed in the %s annotation", dep, dep, KubeAnnotationDependsOn))
				v.warn(ck, "depends_on", "pod %s waits for pod %s to complete, but %s is not a job and never completes: %s starts once the main of %s is ready (%s)",
					p.Name, dep, dep, p.Name, dep, fix)
			}
		}
	}
	reported := map[string]bool{}
	deps := func(name string) []string {
		return slices.DeleteFunc(pods[name].DependsOnNames(), func(d string) bool { return pods[d] == nil || d == name })
	}
	cycles(names, deps, func(cycle []string) bool {
		members := slices.Sorted(slices.Values(cycle[:len(cycle)-1]))
		if id := strings.Join(members, ","); !reported[id] {
			reported[id] = true
			v.problem(v.dependsKey(cycle[len(cycle)-2], cycle[len(cycle)-1]), v.say("remove one of these depends_on entries", "",
				"remove one of these names from a "+KubeAnnotationDependsOn+" annotation"),
				"pods depend on each other in a cycle: %s", strings.Join(cycle, " → "))
		}
		return false
	})
}

// dependsKey is the position key of pod's depends_on entry naming dep (normalisation keeps
// the keys in step with the sorted list).
func (v *validator) dependsKey(pod, dep string) string {
	pk := PodKey(pod)
	if p := v.s.Pod(pod); p != nil {
		if i := slices.IndexFunc(p.DependsOn, func(d PodDep) bool { return d.Pod == dep }); i >= 0 {
			return Field(pk, "depends_on", i)
		}
	}
	return Field(pk, "depends_on")
}

// hostPorts checks that no host port is published twice in the stack for the same protocol
// and an overlapping host address.
func (v *validator) hostPorts() {
	type use struct{ ip, other string } // other: the container and where it publishes the port
	seen := map[string][]use{}
	for _, p := range v.s.Pods {
		for _, c := range p.Containers() {
			for i, pt := range c.Ports {
				if pt.HostPort == 0 {
					continue
				}
				id := fmt.Sprintf("%d/%s", pt.HostPort, pt.Protocol)
				k := Field(ContainerKey(p.Name, c.Name), "ports", i)
				ip := pt.HostIP
				if ip == "0.0.0.0" || ip == "::" {
					ip = ""
				}
				if j := slices.IndexFunc(seen[id], func(u use) bool { return u.ip == "" || ip == "" || u.ip == ip }); j >= 0 {
					v.problem(k, "publish a different host port, or remove one of them (the other is "+seen[id][j].other+")",
						"host port %s is published twice", id)
				}
				seen[id] = append(seen[id], use{ip, fmt.Sprintf("%s/%s, at %s", p.Name, c.Name, v.pos.At(k))})
			}
		}
	}
}

// engineNames checks that the engine object names sidecar derives, <stack>-<pod>-<name> for
// containers, the infra container and pod volumes (<stack>-<volume> for stack volumes), do
// not collide: "a-b"/"c" and "a"/"b-c" would both become <stack>-a-b-c. Containers and
// volumes are compared with their own kind only: the engine keeps them apart.
func (v *validator) engineNames() {
	owner := map[string]string{}
	check := func(kind, key, full, what string) {
		if len(full) > 253 {
			v.problem(key, "shorten the stack, pod or container name", "engine name %q is longer than 253 characters", yamlpos.Clip(full))
		}
		if prev, dup := owner[kind+full]; dup && prev != what {
			v.problem(key, "rename the pod or the "+kind+" so that the names differ once joined with '-'",
				"%s and %s would both be named %q in the engine", prev, what, full)
			return
		}
		owner[kind+full] = what
	}
	for _, vol := range v.s.Volumes {
		check("volume", StackVolumeKey(vol.Name), v.s.Name+"-"+vol.Name, fmt.Sprintf("volume %q of the stack", vol.Name))
	}
	for _, p := range v.s.Pods {
		prefix := v.s.Name + "-" // the engine's names: shorter for the pod named like the stack
		if p.Name != v.s.Name {
			prefix += p.Name + "-"
		}
		check("container", PodKey(p.Name), prefix+"infra", fmt.Sprintf("the infra container of pod %q", p.Name))
		for _, c := range p.Containers() {
			if c.Name != "infra" { // else reported as reserved
				check("container", ContainerKey(p.Name, c.Name), prefix+c.Name, fmt.Sprintf("container %q of pod %q", c.Name, p.Name))
			}
		}
		for _, vol := range p.Volumes {
			check("volume", VolumeKey(p.Name, vol.Name), prefix+vol.Name, fmt.Sprintf("volume %q of pod %q", vol.Name, p.Name))
		}
	}
}

// unnamed names a container that has no name by its place: sidecar #2, init container #1.
func unnamed(p *Pod, c *Container) string {
	if i := slices.Index(p.Sidecars, c); i >= 0 {
		return fmt.Sprintf("sidecar #%d", i+1)
	}
	if i := slices.Index(p.Init, c); i >= 0 {
		return fmt.Sprintf("init container #%d", i+1)
	}
	return "the main container"
}

// containerLabel names a container in messages: main container "web", sidecar "envoy",
// init container "migrate".
func containerLabel(c *Container) string {
	kind := map[Role]string{RoleMain: "main container", RoleSidecar: "sidecar", RoleInit: "init container"}[c.Role]
	return fmt.Sprintf("%s %q", cmp.Or(kind, "container"), c.Name)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// holdsPath reports whether files (paths relative to a volume) hold p: a file, or a directory
// of some of them.
func holdsPath(files map[string]string, p string) bool {
	p = path.Clean(p)
	for f := range files {
		if f == p || strings.HasPrefix(f, p+"/") {
			return true
		}
	}
	return false
}
