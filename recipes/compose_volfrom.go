package recipes

// volumes_from (docs/import.md): a service mounts the volumes of another, as the engine's
// VolumesFrom shares a container's mount points — named and anonymous volumes and binds, with
// what the source itself has from volumes_from; a tmpfs is not a volume the engine shares.

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// composeShared is one mount a service shares through volumes_from: entry i of the volumes of
// service svc.
type composeShared struct {
	svc      string
	i        int
	readOnly bool
}

// volumesFromSource reads a volumes_from entry, SERVICE[:ro|:rw] or container:NAME[:ro|:rw]
// (NAME a service's container_name, or its name): the service it names and whether it is
// read-only. ok is false when it names no service sidecar imports (reported at `at`).
func (cv *composeConv) volumesFromSource(svc, spec string, at Position) (src string, readOnly, ok bool) {
	name, mode, isContainer := composeVolumesFromSpec(spec)
	switch mode {
	case "", "rw":
	case "ro":
		readOnly = true
	default:
		cv.problem(at, fmt.Sprintf("volumes_from %q has mode %q", spec, mode), "write :ro (read-only) or :rw (the default), or nothing")
		return "", false, false
	}
	if isContainer {
		if src = cv.containerService(name); src == "" {
			cv.warn(at, "services."+svc+".volumes_from", fmt.Sprintf("container %s is not a service of this file, and sidecar mounts only the volumes of the services it runs; ignored", name))
			return "", false, false
		}
	} else {
		src = name
		if _, declared := cv.project.Services[src]; !declared {
			cv.problem(at, fmt.Sprintf("volumes_from names %q, which is not a service of this file", src),
				"name a service of this file, or container:NAME for a container_name")
			return "", false, false
		}
	}
	if _, imported := cv.podOfSvc[src]; !imported {
		cv.warn(at, "services."+svc+".volumes_from", fmt.Sprintf("%s is not imported (see its own warning), so there are no volumes of it to mount; ignored", src))
		return "", false, false
	}
	return src, readOnly, true
}

// sharedBy lists what service svc shares through volumes_from: its own volumes but tmpfs,
// then what it has from its own volumes_from at targets it does not mount (a later source
// over an earlier one), as the engine registers a container's mount points. seen stops loops.
func (cv *composeConv) sharedBy(svc string, seen map[string]bool) []composeShared {
	if seen[svc] {
		return nil
	}
	seen[svc] = true
	defer delete(seen, svc)
	s := cv.project.Services[svc]
	var out []composeShared
	for i, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume || v.Type == types.VolumeTypeBind {
			out = append(out, composeShared{svc: svc, i: i, readOnly: v.ReadOnly})
		}
	}
	own := len(out)
	for _, spec := range s.VolumesFrom {
		src, mode, isContainer := composeVolumesFromSpec(spec)
		if isContainer {
			src = cv.containerService(src)
		}
		if _, ok := cv.podOfSvc[src]; !ok || mode != "" && mode != "rw" && mode != "ro" {
			continue // reported at svc's own conversion
		}
		for _, sh := range cv.sharedBy(src, seen) {
			sh.readOnly = sh.readOnly || mode == "ro"
			target := cv.sharedTarget(sh)
			if slices.ContainsFunc(out[:own], func(o composeShared) bool { return cv.sharedTarget(o) == target }) {
				continue
			}
			if j := slices.IndexFunc(out, func(o composeShared) bool { return cv.sharedTarget(o) == target }); j >= 0 {
				out[j] = sh
				continue
			}
			out = append(out, sh)
		}
	}
	return out
}

// sharedTarget is where shared mount sh is mounted.
func (cv *composeConv) sharedTarget(sh composeShared) string {
	return path.Clean(cv.project.Services[sh.svc].Volumes[sh.i].Target)
}

// volumesFrom mounts in container ct of service svc what its volumes_from entries share, at
// the same targets, read-only for :ro and where the source's mount is; a target the container
// mounts already keeps its own mount, as the engine's explicit mounts win over volumes_from.
// In another pod than the source's, a named volume is shared as a stack volume (stackVolumes)
// and a bind is the same host path; an anonymous volume cannot be: a warning, and no mount.
func (cv *composeConv) volumesFrom(b *composePodBuild, svc string, s types.ServiceConfig, ct *Container, ck string) {
	if len(s.VolumesFrom) == 0 {
		return
	}
	key := Field(ck, "volumes")
	type entry struct {
		sh composeShared
		at Position
	}
	var got []entry
	seen := map[string]bool{svc: true}
	for i, spec := range s.VolumesFrom {
		at := cv.itemAt(svc, i, len(s.VolumesFrom), "volumes_from")
		src, ro, ok := cv.volumesFromSource(svc, spec, at)
		if !ok {
			continue
		}
		if from := cv.project.Services[src]; len(from.Configs)+len(from.Secrets) > 0 {
			cv.warn(at, "services."+svc+".volumes_from", fmt.Sprintf("the configs and secrets of %s are not shared (docker compose shares those it bind-mounts): give %s its own configs: and secrets: references", src, svc))
		}
		for _, sh := range cv.sharedBy(src, seen) {
			sh.readOnly = sh.readOnly || ro
			target := cv.sharedTarget(sh)
			if j := slices.IndexFunc(got, func(e entry) bool { return cv.sharedTarget(e.sh) == target }); j >= 0 {
				got[j] = entry{sh, at} // a later source wins
				continue
			}
			got = append(got, entry{sh, at})
		}
	}
	for _, e := range got {
		sh, at := e.sh, e.at
		v := cv.project.Services[sh.svc].Volumes[sh.i]
		if slices.ContainsFunc(ct.Volumes, func(m Mount) bool { return path.Clean(m.Target) == path.Clean(v.Target) }) {
			continue // its own mount wins
		}
		m := Mount{Type: MountVolume, Source: v.Source, Target: v.Target, ReadOnly: sh.readOnly}
		if v.Volume != nil && v.Type == types.VolumeTypeVolume {
			m.SubPath = v.Volume.Subpath
		}
		_, declared := cv.project.Volumes[v.Source]
		switch {
		case v.Type == types.VolumeTypeBind: // placed at the source's mount: what is said of its path is said there, once
			m.Type, m.Source = MountBind, cv.expandHome(v.Source)
			at = cv.itemAt(sh.svc, sh.i, len(cv.project.Services[sh.svc].Volumes), "volumes")
			m.MustExist = v.Bind != nil && !bool(v.Bind.CreateHostPath)
		case v.Source == "" && cv.podOfSvc[sh.svc] != b.pod.Name:
			cv.warn(at, "services."+svc+".volumes_from", fmt.Sprintf("the anonymous volume of %s at %s is a volume of pod %s, and a pod volume is not shared with another pod (%s is in pod %s); it is not mounted: make it a named volume, which the pods share",
				sh.svc, v.Target, cv.podOfSvc[sh.svc], svc, b.pod.Name))
			continue
		case v.Source == "":
			m.Source = DNSLabel(fmt.Sprintf("%s-anon-%d", cv.names[sh.svc], sh.i))
			if _, ok := cv.addVolume(b, m.Source, "an anonymous volume of service "+sh.svc, at); !ok {
				continue
			}
		case !declared:
			continue // a problem at the source's own mount
		default:
			m.Source = cv.volumeName(v.Source)
			if !cv.namedVolume(b, v.Source, at) {
				continue
			}
		}
		appendAt(cv.pos, key, &ct.Volumes, m, at)
	}
}

// composeVolumesFromSpec splits a volumes_from entry: SERVICE[:mode] or container:NAME[:mode].
func composeVolumesFromSpec(spec string) (name, mode string, isContainer bool) {
	name, isContainer = strings.CutPrefix(spec, types.ContainerPrefix)
	name, mode, _ = strings.Cut(name, ":")
	return name, mode, isContainer
}

// containerService is the service that runs container name (its container_name, else its
// name; the first in file order), or "".
func (cv *composeConv) containerService(name string) string {
	order := cv.serviceOrder(cv.project)
	if i := slices.IndexFunc(order, func(o string) bool { return cmp.Or(cv.project.Services[o].ContainerName, o) == name }); i >= 0 {
		return order[i]
	}
	return ""
}

// composeVolumesFrom lists the services s's volumes_from entries name as SERVICE[:mode] (not
// container:NAME), in order, each once.
func composeVolumesFrom(s types.ServiceConfig) []string {
	var out []string
	for _, spec := range s.VolumesFrom {
		if n, _, isContainer := composeVolumesFromSpec(spec); !isContainer && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
