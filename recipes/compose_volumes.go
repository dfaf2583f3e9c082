package recipes

// Pod volumes from a compose file (docs/import.md): named volumes, which x-sidecar can rename
// and give to a pod that does not mount them, and configs, each a file of a pod volume mounted
// read-only; x-sidecar on configs and references rebuilds a volume of several files, as
// sidecar's compose export writes it.

import (
	"cmp"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"

	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v3"
)

// composeCfg is one top-level config, read: the file of a pod volume it is.
type composeCfg struct {
	name    string
	volume  string // the pod volume it is a file of
	file    string // its name in that volume
	content string
	// where its volume name and its file name were written
	volAt, fileAt Position
}

// topLevelX reads the x-sidecar of every entry of a top-level section (volumes, configs).
func topLevelX[T any](c *composeImport, section string, table []field[*T]) map[string]*composeTopX[T] {
	out := map[string]*composeTopX[T]{}
	for _, p := range yamlpos.Pairs(yamlpos.Value(c.root, section)) {
		var x T
		if n := decodeX(c, yamlpos.Value(p.Value, "x-sidecar"), section+"."+p.Key.Value+".x-sidecar", table, &x); n != nil {
			out[p.Key.Value] = &composeTopX[T]{x: x, node: n}
		}
	}
	return out
}

// volumeName is the pod volume a compose volume becomes: its x-sidecar name, else a DNS label.
func (cv *composeConv) volumeName(src string) string {
	if x := cv.volX[src]; x != nil && x.x.Name != "" {
		return x.x.Name
	}
	return cmp.Or(DNSLabel(src), src)
}

// namedVolume adds the pod volume compose volume src becomes to the pod being built, for a
// mount (or x-sidecar pod) at `at`; ok is false when its name clashes with another volume's.
func (cv *composeConv) namedVolume(b *composePodBuild, src string, at Position) bool {
	name := cv.volumeName(src)
	isNew, ok := cv.addVolume(b, name, "volume "+src, at)
	if !ok {
		return false
	}
	if isNew {
		cv.volumeDriver(b.vols[name], src)
		switch x, k := cv.volX[src], yamlpos.Find(cv.root, "volumes", src); { // else at, as addVolume put it
		case x != nil && x.x.Name != "":
			cv.pos.Set(VolumeKey(b.pod.Name, name), cv.posOf(yamlpos.Value(x.node, "name")))
		case k != nil:
			cv.pos.Set(VolumeKey(b.pod.Name, name), cv.posOf(k))
		}
	}
	if !slices.Contains(cv.volPods[src], b.pod.Name) {
		cv.volPods[src] = append(cv.volPods[src], b.pod.Name)
	}
	return true
}

// volumeDriver reads the driver of top-level volume src: the local driver's tmpfs
// (driver_opts type tmpfs, and its size in o) is a volume in memory; any other is warned about.
func (cv *composeConv) volumeDriver(v *Volume, src string) {
	def := cv.project.Volumes[src]
	if def.DriverOpts["type"] == "tmpfs" && (def.Driver == "" || def.Driver == "local") {
		v.Medium = MediumMemory
		v.SizeLimit = cv.tmpfsOptions(strings.Join(slices.DeleteFunc(strings.Split(def.DriverOpts["o"], ","), func(o string) bool { return !strings.HasPrefix(o, "size=") }), ","), cv.keyAt("volumes", src), "")
		return
	}
	for key, set := range map[string]bool{"driver": def.Driver != "" && def.Driver != "local", "driver_opts": len(def.DriverOpts) > 0} {
		if set {
			cv.warnAt(composeVolumeReasons[key], "volumes", src, key)
		}
	}
}

// podVolumesFromX gives the pod being built the volumes and configs whose x-sidecar names it.
func (cv *composeConv) podVolumesFromX(b *composePodBuild) {
	for _, src := range sortedKeys(cv.volX) {
		if x := cv.volX[src]; x.x.Pod == b.pod.Name {
			cv.namedVolume(b, src, cv.posOf(yamlpos.Value(x.node, "pod")))
		}
	}
	for _, name := range sortedKeys(cv.cfgX) {
		if x := cv.cfgX[name]; x.x.Pod == b.pod.Name {
			if cfg := cv.config(name, cv.keyAt("configs", name)); cfg != nil {
				cv.addConfigFile(b, cfg, cv.posOf(yamlpos.Value(x.node, "pod")))
			}
		}
	}
}

// checkXPods reports x-sidecar pod names of volumes and configs that name no pod.
func (cv *composeConv) checkXPods(st *Stack) {
	var pods []string
	for _, p := range st.Pods {
		pods = append(pods, p.Name)
	}
	check := func(section, name, pod string, node *yaml.Node) {
		if pod == "" || slices.Contains(pods, pod) {
			return
		}
		hint := cmp.Or(suggest.DidYouMean(pod, pods), "name one of the pods: "+strings.Join(pods, ", "))
		cv.problem(cv.posOf(yamlpos.Value(node, "pod")), fmt.Sprintf("%s.%s.x-sidecar names pod %q, which the file does not make", section, name, pod), hint)
	}
	for _, src := range sortedKeys(cv.volX) {
		check("volumes", src, cv.volX[src].x.Pod, cv.volX[src].node)
	}
	for _, name := range sortedKeys(cv.cfgX) {
		check("configs", name, cv.cfgX[name].x.Pod, cv.cfgX[name].node)
	}
}

// config reads top-level config name, referenced at `at`, once; nil when it cannot be used
// (undeclared, external, unreadable: reported).
func (cv *composeConv) config(name string, at Position) *composeCfg {
	if cfg, done := cv.cfgs[name]; done {
		return cfg
	}
	def, declared := cv.project.Configs[name]
	if !declared {
		cv.problem(at, fmt.Sprintf("config %q is not declared", name), "declare it under the top-level configs: key, with file: or content:")
		return nil
	}
	key := cv.keyAt("configs", name)
	cfg := &composeCfg{name: name, volume: cmp.Or(DNSLabel(name), name), file: name, volAt: key, fileAt: key}
	if x := cv.cfgX[name]; x != nil && x.x.Volume != "" {
		cfg.volume, cfg.volAt = x.x.Volume, cv.posOf(yamlpos.Value(x.node, "volume"))
	}
	if x := cv.cfgX[name]; x != nil && x.x.File != "" {
		cfg.file, cfg.fileAt = x.x.File, cv.posOf(yamlpos.Value(x.node, "file"))
	}
	var ok bool
	if cfg.content, ok = cv.configContent(name, def); !ok {
		cfg = nil
	}
	cv.cfgs[name] = cfg
	return cfg
}

// configContent is the content of a config: content:, file: or environment:.
func (cv *composeConv) configContent(name string, def types.ConfigObjConfig) (string, bool) {
	switch {
	case bool(def.External):
		cv.warn(cv.keyAt("configs", name, "external"), "configs."+name+".external",
			"external configs live in a swarm, which sidecar does not read: the services that use it do not get the file")
		return "", false
	case yamlpos.Value(yamlpos.Value(yamlpos.Value(cv.root, "configs"), name), "content") != nil:
		return def.Content, true
	case def.File != "":
		b, err := cv.opts.readFile(inDir(cv.dir, def.File))
		if err != nil {
			cv.problem(cv.at("configs", name, "file"), fmt.Sprintf("config %s: cannot read %s: %v", name, def.File, unwrapPathError(err)),
				"check the path; it is relative to the compose file's directory")
			return "", false
		}
		return string(b), true
	case def.Environment != "":
		v, set := cv.env[def.Environment]
		if !set {
			cv.problem(cv.at("configs", name, "environment"), fmt.Sprintf("config %s takes its content from variable %s, which is not set", name, def.Environment),
				"set it in the environment or in .env")
			return "", false
		}
		return v, true
	}
	cv.problem(cv.keyAt("configs", name), fmt.Sprintf("config %s has no content", name), "give it file:, content: or environment:")
	return "", false
}

// addConfigFile puts a config's file into its pod volume in the pod being built; ok is false
// when the volume's name or the file's clashes with another.
func (cv *composeConv) addConfigFile(b *composePodBuild, cfg *composeCfg, at Position) bool {
	isNew, ok := cv.addVolume(b, cfg.volume, "configs of volume "+cfg.volume, at)
	if !ok {
		return false
	}
	vk := VolumeKey(b.pod.Name, cfg.volume)
	if isNew {
		cv.pos.Set(vk, cfg.volAt)
	}
	if b.files[cfg.volume] == nil {
		b.files[cfg.volume] = map[string]string{}
	}
	switch prev, dup := b.files[cfg.volume][cfg.file]; {
	case dup && prev != cfg.name:
		cv.problem(cfg.fileAt, fmt.Sprintf("configs %s and %s are both file %s of volume %s in pod %s", prev, cfg.name, cfg.file, cfg.volume, b.pod.Name),
			"give one of them another file name (x-sidecar: {file: …} on the config)")
		return false
	case dup:
		return true
	}
	b.files[cfg.volume][cfg.file] = cfg.name
	v := b.vols[cfg.volume]
	if v.Files == nil {
		v.Files = map[string]string{}
	}
	v.Files[cfg.file] = cfg.content
	if x := cv.cfgX[cfg.name]; x != nil && x.x.Secret {
		v.Secret = true
	}
	cv.pos.Set(Field(vk, "files", cfg.file), cfg.fileAt)
	return true
}

// configMounts mounts the configs service svc uses: each one's file, read-only, at the
// reference's target (or /<config>); references whose x-sidecar names the same volume mount
// are one mount, put at the x-sidecar index among the container's mounts.
func (cv *composeConv) configMounts(b *composePodBuild, svc string, s types.ServiceConfig, ct *Container, ck string) {
	items := yamlpos.Items(yamlpos.Value(cv.svcNode(svc), "configs"))
	if len(items) != len(s.Configs) {
		items = make([]*yaml.Node, len(s.Configs))
	}
	var mounts []placed[Mount] // order: the index x-sidecar gives, else after every index
	for i, ref := range s.Configs {
		at := cv.itemAt(svc, i, len(s.Configs), "configs")
		cfg := cv.config(ref.Source, at)
		if cfg == nil || !cv.addConfigFile(b, cfg, at) {
			continue
		}
		target := cmp.Or(ref.Target, "/"+ref.Source)
		m := Mount{Type: MountVolume, Source: cfg.volume, Target: target, ReadOnly: true, SubPath: cfg.file}
		order := math.MaxInt
		if xn := yamlpos.Value(items[i], "x-sidecar"); xn != nil {
			var rx composeXConfigRef
			if decodeX(cv.composeImport, xn, fmt.Sprintf("services.%s.configs[%d].x-sidecar", svc, i), composeXConfigRefFields, &rx) == nil {
				continue
			}
			if rx.Index != nil {
				order = max(*rx.Index, 0)
			}
			switch {
			case rx.Target != "":
				lands := composeConfigLands(rx.Target, rx.SubPath, cfg.file)
				if lands != path.Clean(target) {
					cv.problem(at, fmt.Sprintf("config %s is mounted at %s, but its x-sidecar puts file %s of volume %s at %s", ref.Source, target, cfg.file, cfg.volume, cmp.Or(lands, "no place (it is not under sub_path "+rx.SubPath+")")),
						"make the target the x-sidecar target joined with the file's path below sub_path")
					continue
				}
				m.Target, m.SubPath = rx.Target, rx.SubPath
			case rx.SubPath != "":
				cv.problem(at, fmt.Sprintf("x-sidecar of config %s's reference has a sub_path but no target", ref.Source), "add the target of the volume mount")
				continue
			}
		}
		if !slices.ContainsFunc(mounts, func(o placed[Mount]) bool { return o.v == m }) { // else another file of that mount
			mounts = append(mounts, placed[Mount]{v: m, at: at, order: order})
		}
	}
	if len(mounts) == 0 {
		return
	}
	// The other mounts keep their order; one with an index takes that place (in index order).
	key := Field(ck, "volumes")
	all := entriesAt(cv.pos, key, ct.Volumes)
	slices.SortStableFunc(mounts, byOrder[Mount])
	for _, pl := range mounts {
		all = slices.Insert(all, min(pl.order, len(all)), pl)
	}
	ct.Volumes = setEntries(cv.pos, key, all)
}

// composeConfigLands is where file lands when a volume is mounted at target with subPath:
// "" when the file is not under it.
func composeConfigLands(target, subPath, file string) string {
	file = path.Clean(file)
	if subPath == "" {
		return path.Join(target, file)
	}
	subPath = path.Clean(subPath)
	switch {
	case file == subPath:
		return path.Clean(target)
	case strings.HasPrefix(file, subPath+"/"):
		return path.Join(target, strings.TrimPrefix(file, subPath+"/"))
	}
	return ""
}
