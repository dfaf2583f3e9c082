package recipes

// What the compose importer takes from a service beyond its command line: resources,
// security and kernel settings, hooks, watch rules and secrets for its container, and the
// settings of the network namespace (hosts, DNS, sysctls, hostname) for its pod.

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
)

// engineFields converts what the engine applies to service svc's container.
func (cv *composeConv) engineFields(b *composePodBuild, svc string, s types.ServiceConfig, ct *Container, ck string) {
	ct.CapAdd, ct.CapDrop, ct.Privileged, ct.ReadOnly = s.CapAdd, s.CapDrop, s.Privileged, s.ReadOnly
	ct.Groups, ct.StopSignal, ct.ShmSize = s.GroupAdd, s.StopSignal, ByteSize(s.ShmSize)
	for i, d := range s.Devices {
		dev := Device{HostPath: d.Source, ContainerPath: d.Target, Permissions: d.Permissions}
		appendAt(cv.pos, Field(ck, "devices"), &ct.Devices, dev, cv.itemAt(svc, i, len(s.Devices), "devices"))
	}
	for _, name := range sortedKeys(s.Ulimits) {
		u := s.Ulimits[name] // one number (single) is both limits
		lim := Ulimit{Name: name, Soft: int64(cmp.Or(u.Single, u.Soft)), Hard: int64(cmp.Or(u.Single, u.Hard))}
		appendAt(cv.pos, Field(ck, "ulimits"), &ct.Ulimits, lim, cv.keyAt("services", svc, "ulimits", name))
	}
	// labels: compose-go gives the mapping and the list of KEY=value alike; each label is
	// placed at its entry.
	ct.Labels = maps.Clone(map[string]string(s.Labels))
	if len(ct.Labels) == 0 {
		ct.Labels = nil
	}
	ln := yamlpos.Value(cv.svcNode(svc), "labels")
	for k := range ct.Labels {
		at := cv.keyAt("services", svc, "labels")
		if n := composeEnvNode(ln, k); n != nil {
			at = cv.posOf(n)
		}
		cv.pos.Set(Field(ck, "labels", k), at)
	}
	for key, field := range map[string]string{"labels": "labels", "cap_add": "cap_add", "cap_drop": "cap_drop", "stop_signal": "stop_signal", "shm_size": "shm_size", "group_add": "groups"} {
		if yamlpos.Find(cv.svcNode(svc), key) != nil {
			cv.pos.Set(Field(ck, field), cv.at("services", svc, key))
		}
	}
	// Resources: deploy.resources wins over the service-level mem_limit, cpus, ...
	r := Resources{Limits: ResourceList{CPU: MilliCPU(float64(s.CPUS)*1000 + 0.5), Memory: ByteSize(s.MemLimit)},
		Requests: ResourceList{Memory: ByteSize(s.MemReservation)}}
	if s.CPUShares > 0 {
		r.Requests.CPU = MilliCPU(s.CPUShares * 1000 / 1024)
	}
	deploy := func(res *types.Resource, into *ResourceList) {
		if res != nil && res.NanoCPUs > 0 {
			into.CPU = MilliCPU(float64(res.NanoCPUs)*1000 + 0.5)
		}
		if res != nil && res.MemoryBytes > 0 {
			into.Memory = ByteSize(res.MemoryBytes)
		}
	}
	if s.Deploy != nil {
		deploy(s.Deploy.Resources.Limits, &r.Limits)
		deploy(s.Deploy.Resources.Reservations, &r.Requests)
	}
	if r != (Resources{}) {
		ct.Resources = &r
		cv.pos.Set(Field(ck, "resources"), cv.keyAt("services", svc, "deploy"))
	}
	hook := func(key string, hooks []types.ServiceHook) *Hook {
		if len(hooks) > 1 {
			cv.warnAt("a container has one hook of each kind: the first is run, the others are not", "services", svc, key)
		}
		if len(hooks) == 0 {
			return nil
		}
		cv.pos.Set(Field(ck, key), cv.keyAt("services", svc, key))
		return &Hook{Exec: &ExecProbe{Command: slices.Clone([]string(hooks[0].Command))}}
	}
	ct.PostStart, ct.PreStop = hook("post_start", s.PostStart), hook("pre_stop", s.PreStop)
	if s.Develop != nil {
		for i, t := range s.Develop.Watch {
			act := WatchAction(0)
			at := []string{"services", svc, "develop", "watch", strconv.Itoa(i)}
			if act.UnmarshalText([]byte(t.Action)) != nil {
				cv.warnAt(fmt.Sprintf("watch action %s is not one sidecar runs (rebuild, sync, sync+restart, restart); the rule is left out", t.Action), at...)
				continue
			}
			rule := WatchRule{Path: t.Path, Action: act, Target: t.Target, Ignore: t.Ignore}
			appendAt(cv.pos, Field(ck, "watch"), &ct.Watch, rule, cv.keyAt(at...))
		}
	}
	cv.secrets(b, svc, s, ct, ck)
}

// secrets mounts the service's file secrets as docker compose does without a swarm: the file,
// read-only, at /run/secrets/NAME (or the reference's target); a secret from an environment
// variable becomes a file of the same place.
func (cv *composeConv) secrets(b *composePodBuild, svc string, s types.ServiceConfig, ct *Container, ck string) {
	for i, ref := range s.Secrets {
		at := cv.itemAt(svc, i, len(s.Secrets), "secrets")
		target := cmp.Or(ref.Target, ref.Source)
		if !path.IsAbs(target) {
			target = "/run/secrets/" + target
		}
		def, ok := cv.project.Secrets[ref.Source]
		var m Mount
		switch {
		case !ok:
			cv.problem(at, fmt.Sprintf("secret %q is not declared", ref.Source), "declare it under the top-level secrets: key, with file: or environment:")
			continue
		case def.File != "":
			m = Mount{Type: MountBind, Source: cv.expandHome(def.File), Target: target, ReadOnly: true, MustExist: true} // a file: not made a directory
		case def.Environment != "":
			vol := DNSLabel("secret-" + ref.Source)
			if _, ok := cv.addVolume(b, vol, "secret "+ref.Source, at); !ok {
				continue
			}
			b.vols[vol].Files = map[string]string{path.Base(target): cv.env[def.Environment]}
			b.vols[vol].Secret = true
			m = Mount{Type: MountVolume, Source: vol, Target: target, ReadOnly: true, SubPath: path.Base(target)}
		default:
			cv.warn(at, "services."+svc+".secrets", "secret "+ref.Source+" is external (a swarm's), which sidecar does not read: it is not mounted")
			continue
		}
		appendAt(cv.pos, Field(ck, "volumes"), &ct.Volumes, m, at)
	}
}

// podFields takes the settings of the network namespace that service svc gives its pod —
// hostname, domain name, extra hosts, DNS, sysctls — which its infra container owns: the
// first service of the pod that sets one gives it; another that differs is warned about.
func (cv *composeConv) podFields(b *composePodBuild, svc string, s types.ServiceConfig) {
	pod, pk := b.pod, PodKey(b.pod.Name)
	take := func(key string, has bool, same func() bool, set func()) {
		switch {
		case !has:
		case b.set[key] == "":
			set()
			b.set[key] = svc
			cv.pos.Set(Field(pk, key), cv.at("services", svc, key))
		case !same():
			cv.warnAt(fmt.Sprintf("the pod's %s is set by %s (its services share one network namespace); %s's is not used", key, b.set[key], svc), "services", svc, key)
		}
	}
	take("hostname", s.Hostname != "", func() bool { return pod.Hostname == s.Hostname }, func() { pod.Hostname = s.Hostname })
	take("domainname", s.DomainName != "", func() bool { return pod.Subdomain == s.DomainName }, func() { pod.Subdomain = s.DomainName })
	take("sysctls", len(s.Sysctls) > 0, func() bool { return maps.Equal(pod.Sysctls, s.Sysctls) }, func() { pod.Sysctls = maps.Clone(s.Sysctls) })
	dns := &DNSConfig{Nameservers: s.DNS, Searches: s.DNSSearch, Options: s.DNSOpts}
	take("dns", len(s.DNS)+len(s.DNSSearch)+len(s.DNSOpts) > 0, func() bool { return fmt.Sprint(pod.DNS) == fmt.Sprint(dns) }, func() { pod.DNS = dns })
	var hosts []HostAlias
	for _, h := range sortedKeys(s.ExtraHosts) {
		for _, ip := range s.ExtraHosts[h] {
			hosts = append(hosts, HostAlias{IP: ip, Hostnames: []string{h}})
		}
	}
	take("extra_hosts", len(hosts) > 0, func() bool { return fmt.Sprint(pod.ExtraHosts) == fmt.Sprint(hosts) }, func() { pod.ExtraHosts = hosts })
}

// tmpfsOptions reads a tmpfs mount's options ("size=64m,mode=1777"): its size; others are warned of.
func (cv *composeConv) tmpfsOptions(opts string, at Position, field string) ByteSize {
	var size ByteSize
	var rest []string
	for _, o := range strings.Split(opts, ",") {
		if v, ok := strings.CutPrefix(o, "size="); ok {
			if n, err := ParseByteSize(v); err == nil {
				size = n
				continue
			}
		}
		if o != "" {
			rest = append(rest, o)
		}
	}
	if len(rest) > 0 {
		cv.warn(at, field, "tmpfs options "+strings.Join(rest, ",")+" are not applied (a pod volume in memory is mounted); only size is")
	}
	return size
}
