package recipes

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file decodes the sidecar.yaml format (flat single-pod form and pods: form) from an
// interpolated node tree into an un-normalised Stack, recording positions as it goes.

// flatPodKeys are the top-level keys that describe the single pod of the flat form.
func flatPodKeys() []string {
	return []string{"main", "sidecars", "init", "volumes", "share_pid", "share_ipc", "stop_grace"}
}

func topKeys() []string {
	return append([]string{"name"}, append(flatPodKeys(), "pods", "backoff")...)
}

func podKeys() []string {
	return []string{"main", "sidecars", "init", "volumes", "depends_on", "share_pid", "share_ipc", "stop_grace"}
}

func containerKeys() []string {
	return []string{"name", "image", "build", "command", "entrypoint", "workdir", "user", "env", "env_file",
		"ports", "volumes", "ready", "live", "restart", "stop_grace", "init", "tty"}
}

// recipeName returns the value of the top-level name: key, if the root has one.
func recipeName(root *yaml.Node) (string, *yaml.Node) {
	if root == nil || root.Kind != yaml.MappingNode {
		return "", nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "name" {
			v := root.Content[i+1]
			if v.Kind == yaml.ScalarNode && !isNull(v) {
				return v.Value, v
			}
			return "", nil
		}
	}
	return "", nil
}

// decodeRecipe reads the recipe rooted at root into a Stack named name.
func (d *decoder) decodeRecipe(root *yaml.Node, name string) *Stack {
	st := &Stack{Name: name}
	if root.Kind != yaml.MappingNode {
		d.bad[""] = true // nothing else can be said about it
		d.problem(root, "start from sidecar.yaml.example, or write at least: main: {image: app:dev}",
			"a recipe must be a mapping with keys like name, main and sidecars, found %s", describe(root))
		return st
	}
	pairs, _ := d.mapping("", root, "the recipe", "")
	var podsPair *pair
	for i := range pairs {
		if pairs[i].k.Value == "pods" {
			podsPair = &pairs[i]
		}
	}

	flat := &Pod{Name: name}
	real := d.pos
	if podsPair == nil {
		d.record(PodKey(name), root)
	} else {
		// The flat keys are wrong next to pods:; still decode them (into positions nobody
		// reads, under a pod name no real pod can have) so that problems inside them are
		// reported too.
		flat.Name = "(top level)"
		d.pos = NewPositions(d.file)
	}
	flatKey := PodKey(flat.Name)
	hasMain := false
	for _, p := range pairs {
		k, v := p.k, p.v
		key := k.Value
		if strings.HasPrefix(key, "x-") {
			continue
		}
		isFlat := false
		for _, f := range flatPodKeys() {
			isFlat = isFlat || f == key
		}
		if isFlat && podsPair != nil {
			if key == "main" {
				d.problem(k, "with pods:, each pod has its own main: move this main into one of the pods",
					"main and pods cannot both be set")
			} else {
				d.problem(k, fmt.Sprintf("with pods:, %s belongs inside a pod: move it into one of the pods", key),
					"%s cannot be used at the top level together with pods", key)
			}
		}
		switch key {
		case "name":
			d.str("name", v, "name") // recorded by loadRecipe
		case "pods":
			// decoded below, once the flat keys' positions are set aside
		case "backoff":
			d.backoff(v, &st.Backoff)
		case "depends_on":
			d.problem(k, "depends_on orders pods: use it inside a pod of the pods: form", "depends_on cannot be used at the top level")
		default:
			if !isFlat {
				d.unknownKey("", k, "the recipe", topKeys())
				continue
			}
			if key == "main" {
				hasMain = true
			}
			d.podField(flat, flatKey, k, v)
		}
	}
	d.pos = real
	if podsPair != nil {
		st.Pods = d.pods(podsPair.v)
		return st
	}
	if !hasMain {
		d.problem(root, "add a main container, e.g. main: {image: app:dev}, or use pods:", "the recipe has no main container")
		d.bad[Field(flatKey, "main")] = true
	}
	st.Pods = []*Pod{flat}
	return st
}

// podField decodes one key of a pod mapping (or of the flat form's top level).
func (d *decoder) podField(pod *Pod, podKey string, k, v *yaml.Node) bool {
	switch k.Value {
	case "main":
		pod.Main = d.container(pod.Name, v, RoleMain, "main")
	case "sidecars":
		pod.Sidecars = d.containerList(pod.Name, v, RoleSidecar, "sidecars")
	case "init":
		pod.Init = d.containerList(pod.Name, v, RoleInit, "init")
	case "volumes":
		pod.Volumes = d.podVolumes(pod.Name, v)
	case "share_pid":
		pod.SharePID, _ = d.boolean(Field(podKey, "share_pid"), v, "share_pid")
	case "share_ipc":
		pod.ShareIPC, _ = d.boolean(Field(podKey, "share_ipc"), v, "share_ipc")
	case "stop_grace":
		key := Field(podKey, "stop_grace")
		d.record(key, v)
		pod.StopGrace, _ = d.duration(key, v, "stop_grace", true)
	case "depends_on":
		entries, _ := d.strList(Field(podKey, "depends_on"), v, "depends_on", true)
		for i, e := range entries {
			d.record(Field(podKey, "depends_on", i), e)
			pod.DependsOn = append(pod.DependsOn, e.Value)
		}
	default:
		return false
	}
	return true
}

// pods decodes the pods: form: a mapping of pod name to pod, or a list of pods with a name:
// (the shape `sidecar config -o yaml` prints).
func (d *decoder) pods(n *yaml.Node) []*Pod {
	var out []*Pod
	switch {
	case isNull(n):
		d.problem(n, "add at least one pod: pods: {web: {main: {image: app:dev}}}", "pods is empty")
	case n.Kind == yaml.MappingNode:
		pairs, _ := d.mapping("", n, "pods", "")
		if len(pairs) == 0 {
			d.problem(n, "add at least one pod: pods: {web: {main: {image: app:dev}}}", "pods is empty")
		}
		for _, p := range pairs {
			out = append(out, d.pod(p.k.Value, p.k, p.v, false))
		}
	case n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.problem(n, "add at least one pod: pods: {web: {main: {image: app:dev}}}", "pods is empty")
		}
		for i, e := range n.Content {
			name, nameNode := "", e
			if e.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(e.Content); j += 2 {
					if e.Content[j].Value == "name" {
						name, _ = d.str("", e.Content[j+1], "pod name")
						nameNode = e.Content[j+1]
					}
				}
			}
			if name == "" && e.Kind == yaml.MappingNode {
				d.problem(e, "add name: to the pod, or write pods: as a mapping of name to pod", "pod #%d has no name", i+1)
			}
			out = append(out, d.pod(name, nameNode, e, true))
		}
	default:
		d.problem(n, "write pods as a mapping, e.g. pods: {web: {main: {image: app:dev}}}", "pods must be a mapping of pod names to pods, found %s", describe(n))
	}
	return out
}

// pod decodes one pod of the pods: form.
func (d *decoder) pod(name string, at, n *yaml.Node, listForm bool) *Pod {
	pod := &Pod{Name: name}
	key := PodKey(name)
	d.record(key, at)
	known := podKeys()
	if listForm {
		known = append(known, "name")
	}
	ok := d.fields(key, n, fmt.Sprintf("pod %q", clip(name)), "{main: {image: app:dev}}", known, func(field string) fieldFunc {
		return func(k, v *yaml.Node) {
			if field == "name" && listForm {
				return // the list form's name, read by pods
			}
			if !d.podField(pod, key, k, v) {
				d.unknownKey(key, k, fmt.Sprintf("pod %q", clip(name)), known)
			}
		}
	})
	if !ok {
		d.bad[Field(key, "main")] = true // the pod itself is broken: do not also say main is missing
	}
	return pod
}

// containerList decodes a list of containers (sidecars or init).
func (d *decoder) containerList(pod string, n *yaml.Node, role Role, what string) []*Container {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		hint := fmt.Sprintf("write %s as a list: %s: [{name: x, image: x:dev}]", what, what)
		if n.Kind == yaml.MappingNode {
			hint = fmt.Sprintf("%s is an ordered list: put a \"- \" before each container", what)
		}
		d.fail(Field(PodKey(pod), what), n, hint, "%s must be a list of containers, found %s", what, describe(n))
		return nil
	}
	var out []*Container
	for i, e := range n.Content {
		if c := d.container(pod, e, role, fmt.Sprintf("%s[%d]", what, i)); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// container decodes one container. where names it for messages before its name is known.
func (d *decoder) container(pod string, n *yaml.Node, role Role, where string) *Container {
	c := &Container{Role: role}
	name := ""
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode {
				name = n.Content[i+1].Value
			}
		}
	}
	keyName := name
	if keyName == "" && role == RoleMain {
		keyName = DefaultMainName
	}
	ck := ContainerKey(pod, keyName)
	d.record(ck, n)
	what := where
	if name != "" {
		what = fmt.Sprintf("container %q", clip(name))
	}
	if isNull(n) {
		d.fail(ck, n, "give it at least an image: {image: app:dev}", "%s is empty", where)
		return c
	}
	d.fields(ck, n, what, "{name: app, image: app:dev}", containerKeys(), func(field string) fieldFunc {
		key := Field(ck, field)
		return func(k, v *yaml.Node) {
			d.record(key, v)
			d.containerField(c, ck, key, field, what, k, v)
		}
	})
	return c
}

func (d *decoder) containerField(c *Container, ck, key, field, what string, k, v *yaml.Node) {
	label := field
	switch field {
	case "name":
		c.Name, _ = d.str(key, v, "name")
	case "image":
		c.Image, _ = d.str(key, v, "image")
	case "build":
		c.Build = d.build(key, v)
	case "command":
		c.Command, _ = d.words(key, v, "command")
	case "entrypoint":
		c.Entrypoint, _ = d.words(key, v, "entrypoint")
	case "workdir":
		c.WorkingDir, _ = d.str(key, v, label)
	case "user":
		c.User, _ = d.str(key, v, label)
	case "env":
		env, where, _ := d.stringMap(key, v, "env", true, func(name string, at *yaml.Node) (string, bool) {
			if val, ok := d.lookup(name); ok {
				return val, true
			}
			d.warn(at, name, "env %s has no value and is not set in the environment, so it is left out: give it a value or set it", name)
			return "", false
		})
		for name, at := range where {
			d.record(Field(ck, "env", name), at)
		}
		if len(env) > 0 {
			c.Env = env
		}
	case "env_file":
		entries, _ := d.strList(key, v, "env_file", true)
		for i, e := range entries {
			d.record(Field(ck, "env_file", i), e)
			c.EnvFile = append(c.EnvFile, e.Value)
		}
	case "ports":
		c.Ports = d.ports(ck, v)
	case "volumes":
		c.Volumes = d.mounts(ck, v)
	case "ready", "live":
		p := d.probe(key, v, field)
		if field == "ready" {
			c.Ready = p
		} else {
			c.Live = p
		}
	case "restart":
		d.enum(key, v, "restart", &c.Restart)
	case "stop_grace":
		c.StopGrace, _ = d.duration(key, v, "stop_grace", false)
	case "init":
		c.Init, _ = d.boolean(key, v, "init")
	case "tty":
		c.TTY, _ = d.boolean(key, v, "tty")
	default:
		d.unknownKey(ck, k, what, containerKeys())
	}
}

// build decodes "build: ./dir" or {context, dockerfile, args, target}.
func (d *decoder) build(key string, n *yaml.Node) *Build {
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return &Build{Context: n.Value}
	}
	b := &Build{}
	known := []string{"context", "dockerfile", "args", "target"}
	d.fields(key, n, "build", "build: ./dir, or build: {context: ./dir, dockerfile: Dockerfile}", known, func(field string) fieldFunc {
		fk := Field(key, field)
		return func(k, v *yaml.Node) {
			d.record(fk, v)
			switch field {
			case "context":
				b.Context, _ = d.str(fk, v, "build context")
			case "dockerfile":
				b.Dockerfile, _ = d.str(fk, v, "dockerfile")
			case "target":
				b.Target, _ = d.str(fk, v, "build target")
			case "args":
				args, _, _ := d.stringMap(fk, v, "build args", true, func(name string, at *yaml.Node) (string, bool) {
					return d.lookup(name)
				})
				if len(args) > 0 {
					b.Args = args
				}
			default:
				d.unknownKey(key, k, "build", known)
			}
		}
	})
	return b
}

// ports decodes a container's ports: short strings (and bare numbers) or long-form mappings.
func (d *decoder) ports(ck string, n *yaml.Node) []Port {
	key := Field(ck, "ports")
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(key, n, `write a list, e.g. ports: ["8080:80"]`, "ports must be a list, found %s", describe(n))
		return nil
	}
	var out []Port
	for _, e := range n.Content {
		var ps []Port
		switch e.Kind {
		case yaml.ScalarNode:
			var err *formError
			ps, err = parsePortSpec(e.Value)
			if err != nil {
				d.fail(Field(key, len(out)), e, err.hint, "%s", err.msg)
				continue
			}
		case yaml.MappingNode:
			ps = d.longPort(Field(key, len(out)), e)
		default:
			d.fail(Field(key, len(out)), e, `write "8080:80" or {host_port: 8080, container_port: 80}`, "each port must be a string or a mapping, found %s", describe(e))
			continue
		}
		d.portCount += len(ps)
		if d.portCount > 10*maxPortRange {
			d.fail(key, e, "publish fewer ports", "the recipe publishes more than %d ports", 10*maxPortRange)
			return out
		}
		for _, p := range ps {
			d.record(Field(key, len(out)), e)
			out = append(out, p)
		}
	}
	return out
}

// longPort decodes {host_ip, host_port|published, container_port|target, protocol}.
func (d *decoder) longPort(key string, n *yaml.Node) []Port {
	known := []string{"host_ip", "host_port", "published", "container_port", "target", "protocol"}
	var ip, host, ctr, proto string
	var ctrNode *yaml.Node
	good := true
	d.fields(key, n, "port", "{host_port: 8080, container_port: 80}", known, func(field string) fieldFunc {
		return func(k, v *yaml.Node) {
			s, ok := d.str(key, v, field)
			good = good && ok
			switch field {
			case "host_ip":
				ip = s
			case "host_port", "published":
				host = s
			case "container_port", "target":
				ctr, ctrNode = s, v
			case "protocol":
				proto = s
			}
		}
	})
	if !good {
		return nil
	}
	if ctr == "" {
		d.fail(key, n, "add container_port: the port the app listens on", "port has no container_port")
		return nil
	}
	spec := ctr
	if host != "" {
		spec = host + ":" + spec
	}
	if ip != "" {
		if host == "" {
			spec = ":" + spec // "ip::container": the engine picks the host port on that address
		}
		if strings.Contains(ip, ":") {
			spec = "[" + ip + "]:" + spec
		} else {
			spec = ip + ":" + spec
		}
	}
	if proto != "" {
		spec += "/" + proto
	}
	ps, err := parsePortSpec(spec)
	if err != nil {
		at := n
		if ctrNode != nil {
			at = ctrNode
		}
		d.fail(key, at, "write {host_port: 8080, container_port: 80, protocol: tcp}", "%s", err.msg)
		return nil
	}
	return ps
}

// mounts decodes a container's volumes: short strings or long-form mappings.
func (d *decoder) mounts(ck string, n *yaml.Node) []Mount {
	key := Field(ck, "volumes")
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(key, n, `write a list, e.g. volumes: ["logs:/var/log"]`, "volumes must be a list, found %s", describe(n))
		return nil
	}
	var out []Mount
	for i, e := range n.Content {
		ik := Field(key, i)
		d.record(ik, e)
		switch e.Kind {
		case yaml.ScalarNode:
			m, err := parseMountSpec(e.Value)
			if err != nil {
				d.fail(ik, e, err.hint, "%s", err.msg)
				m = Mount{Type: MountBind, Source: ".", Target: "/"} // placeholder keeps indexes aligned
			}
			out = append(out, m)
		case yaml.MappingNode:
			out = append(out, d.longMount(ik, e))
		default:
			d.fail(ik, e, `write "logs:/var/log" or {source: logs, target: /var/log}`, "each volume must be a string or a mapping, found %s", describe(e))
			out = append(out, Mount{Type: MountBind, Source: ".", Target: "/"})
		}
	}
	return out
}

// longMount decodes {type, source, target, read_only, sub_path}.
func (d *decoder) longMount(key string, n *yaml.Node) Mount {
	var m Mount
	known := []string{"type", "source", "target", "read_only", "sub_path"}
	typed := false
	d.fields(key, n, "volume", "{source: logs, target: /var/log}", known, func(field string) fieldFunc {
		return func(k, v *yaml.Node) {
			switch field {
			case "type":
				typed = d.enum(key, v, "volume type", &m.Type)
			case "source":
				m.Source, _ = d.str(key, v, "source")
			case "target":
				m.Target, _ = d.str(key, v, "target")
			case "read_only":
				m.ReadOnly, _ = d.boolean(key, v, "read_only")
			case "sub_path":
				m.SubPath, _ = d.str(key, v, "sub_path")
			}
		}
	})
	if !typed {
		m.Type = mountTypeOf(m.Source)
	}
	return m
}

// podVolumes decodes a pod's volumes: a mapping of name to {} or {files: {name: content}},
// or a list of {name, files}.
func (d *decoder) podVolumes(pod string, n *yaml.Node) []*Volume {
	if isNull(n) {
		return nil
	}
	var out []*Volume
	listForm := n.Kind == yaml.SequenceNode
	one := func(name string, at, v *yaml.Node) {
		vol := &Volume{Name: name}
		key := VolumeKey(pod, name)
		d.record(key, at)
		known := []string{"files"}
		if listForm {
			known = append(known, "name")
		}
		d.fields(key, v, fmt.Sprintf("volume %q", clip(name)), "{} or {files: {app.conf: \"...\"}}", known, func(field string) fieldFunc {
			return func(k, fv *yaml.Node) {
				switch field {
				case "files":
					files, where, _ := d.stringMap(Field(key, "files"), fv, "files", false, func(f string, at *yaml.Node) (string, bool) {
						return "", true // an empty file
					})
					for f, at := range where {
						d.record(Field(key, "files", f), at)
					}
					if len(files) > 0 {
						vol.Files = files
					}
				}
			}
		})
		out = append(out, vol)
	}
	switch n.Kind {
	case yaml.MappingNode:
		pairs, _ := d.mapping(PodKey(pod), n, "volumes", "")
		for _, p := range pairs {
			one(p.k.Value, p.k, p.v)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			name, at := "", e
			if e.Kind != yaml.MappingNode {
				d.problem(e, "write volumes as a mapping, e.g. volumes: {logs: {}}", "each entry of volumes must be a mapping with a name, found %s", describe(e))
				continue
			}
			for j := 0; j+1 < len(e.Content); j += 2 {
				if e.Content[j].Value == "name" && e.Content[j+1].Kind == yaml.ScalarNode {
					name, at = e.Content[j+1].Value, e.Content[j+1]
				}
			}
			if name == "" {
				d.problem(e, "write volumes as a mapping, e.g. volumes: {logs: {}}", "volume #%d has no name", i+1)
				continue
			}
			one(name, at, e)
		}
	default:
		d.fail(PodKey(pod)+"/volumes", n, "write volumes as a mapping, e.g. volumes: {logs: {}}", "volumes must be a mapping of volume names, found %s", describe(n))
	}
	return out
}

// probe decodes {http|tcp|exec, period, timeout, retries, start_period}.
func (d *decoder) probe(key string, n *yaml.Node, what string) *Probe {
	if isNull(n) {
		return nil
	}
	p := &Probe{}
	known := []string{"http", "tcp", "exec", "period", "timeout", "retries", "start_period"}
	ok := d.fields(key, n, what, "{http: {port: 8080, path: /healthz}}", known, func(field string) fieldFunc {
		fk := Field(key, field)
		return func(k, v *yaml.Node) {
			d.record(fk, v)
			switch field {
			case "http":
				p.HTTP = d.httpProbe(fk, v)
			case "tcp":
				p.TCP = d.tcpProbe(fk, v)
			case "exec":
				p.Exec = d.execProbe(fk, v)
			case "period":
				p.Period, _ = d.duration(fk, v, what+" period", true)
			case "timeout":
				p.Timeout, _ = d.duration(fk, v, what+" timeout", true)
			case "start_period":
				p.StartPeriod, _ = d.duration(fk, v, what+" start_period", false)
			case "retries":
				if r, ok := d.integer(fk, v, what+" retries"); ok {
					if r < 1 {
						d.fail(fk, v, "write retries: 1 or more", "%s retries must be at least 1, found %d", what, r)
					} else {
						p.Retries = r
					}
				}
			}
		}
	})
	if !ok {
		return nil
	}
	return p
}

func (d *decoder) httpProbe(key string, n *yaml.Node) *HTTPProbe {
	h := &HTTPProbe{}
	known := []string{"port", "path", "host", "scheme", "headers"}
	d.fields(key, n, "http probe", "{port: 8080, path: /healthz}", known, func(field string) fieldFunc {
		fk := Field(key, field)
		return func(k, v *yaml.Node) {
			d.record(fk, v)
			switch field {
			case "port":
				h.Port, _ = d.integer(fk, v, "http probe port")
			case "path":
				h.Path, _ = d.str(fk, v, "http probe path")
			case "host":
				h.Host, _ = d.str(fk, v, "http probe host")
			case "scheme":
				h.Scheme, _ = d.str(fk, v, "http probe scheme")
			case "headers":
				hs, _, _ := d.stringMap(fk, v, "http probe headers", false, func(string, *yaml.Node) (string, bool) { return "", true })
				if len(hs) > 0 {
					h.Headers = hs
				}
			}
		}
	})
	return h
}

func (d *decoder) tcpProbe(key string, n *yaml.Node) *TCPProbe {
	t := &TCPProbe{}
	known := []string{"port", "host"}
	d.fields(key, n, "tcp probe", "{port: 9901}", known, func(field string) fieldFunc {
		fk := Field(key, field)
		return func(k, v *yaml.Node) {
			d.record(fk, v)
			switch field {
			case "port":
				t.Port, _ = d.integer(fk, v, "tcp probe port")
			case "host":
				t.Host, _ = d.str(fk, v, "tcp probe host")
			}
		}
	})
	return t
}

func (d *decoder) execProbe(key string, n *yaml.Node) *ExecProbe {
	e := &ExecProbe{}
	known := []string{"command"}
	d.fields(key, n, "exec probe", "{command: [\"/check\"]}", known, func(field string) fieldFunc {
		fk := Field(key, field)
		return func(k, v *yaml.Node) {
			d.record(fk, v)
			e.Command, _ = d.words(fk, v, "exec probe command")
		}
	})
	return e
}

// backoff decodes {initial, max, reset}.
func (d *decoder) backoff(n *yaml.Node, b *Backoff) {
	known := []string{"initial", "max", "reset"}
	d.record("backoff", n)
	d.fields("backoff", n, "backoff", "{initial: 1s, max: 30s, reset: 60s}", known, func(field string) fieldFunc {
		fk := Field("backoff", field)
		return func(k, v *yaml.Node) {
			d.record(fk, v)
			switch field {
			case "initial":
				b.Initial, _ = d.duration(fk, v, "backoff initial", true)
			case "max":
				b.Max, _ = d.duration(fk, v, "backoff max", true)
			case "reset":
				b.Reset, _ = d.duration(fk, v, "backoff reset", true)
			}
		}
	})
}
