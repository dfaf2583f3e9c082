package recipes

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
)

// Checks of what the engine applies to a container or a pod beyond its command line: hooks,
// resources, security and kernel settings, the downward API, watch rules, the pod's hosts,
// DNS and sysctls.

// capabilities are the Linux capabilities Docker knows (without the CAP_ prefix).
var capabilities = strings.Fields(`ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF
	CHECKPOINT_RESTORE CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL
	LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST
	NET_RAW PERFMON SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE
	SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG SYSLOG WAKE_ALARM`)

// ulimitNames are the resource limits Docker sets (docker run --ulimit).
var ulimitNames = strings.Fields(`as core cpu data fsize locks memlock msgqueue nice nofile nproc
	rss rtprio rttime sigpending stack`)

var signalRE = regexp.MustCompile(`^SIG[A-Z][A-Z0-9]*([+-][0-9]+)?$|^[0-9]+$`)

// minMemoryLimit is the smallest memory limit the engine accepts.
const minMemoryLimit = 6 << 20

// engineFields checks the fields of container c (at ck) that the engine applies.
func (v *validator) engineFields(p *Pod, c *Container, ck, label string) {
	v.hook(Field(ck, "post_start"), "post_start", label, c.PostStart)
	v.hook(Field(ck, "pre_stop"), "pre_stop", label, c.PreStop)
	if r := c.Resources; r != nil {
		const over = "the %s request %s of %s is above its limit %s"
		if lim, req := r.Limits.CPU, r.Requests.CPU; lim != 0 && req > lim {
			v.problem(Field(ck, "resources", "requests", "cpu"), "request at most what the limit allows", over, "cpu", req, label, lim)
		}
		switch lim, req := r.Limits.Memory, r.Requests.Memory; {
		case lim != 0 && req > lim:
			v.problem(Field(ck, "resources", "requests", "memory"), "request at most what the limit allows", over, "memory", req, label, lim)
		case lim != 0 && lim < minMemoryLimit:
			v.problem(Field(ck, "resources", "limits", "memory"), "give it at least 6Mi", "the memory limit %s of %s is below the 6Mi the engine accepts", lim, label)
		}
	}
	for _, list := range []struct {
		key   string
		names []string
	}{{"cap_add", c.CapAdd}, {"cap_drop", c.CapDrop}} {
		for i, name := range list.names {
			if !slices.Contains(capabilities, name) {
				hint := "use a capability name like NET_ADMIN, SYS_TIME or ALL"
				if s := didYouMean(name, capabilities); s != "" {
					hint = fmt.Sprintf("did you mean %q? (%s)", s, hint)
				}
				v.problem(Field(ck, list.key, i), hint, "%s of %s names %q, which is not a Linux capability", list.key, label, yamlpos.Clip(name))
			}
		}
	}
	for i, d := range c.Devices {
		k := Field(ck, "devices", i)
		switch {
		case !path.IsAbs(d.HostPath) || !path.IsAbs(d.ContainerPath):
			v.problem(k, `write the device's absolute path, like /dev/net/tun, or "/dev/sda:/dev/xvda"`, "device %q of %s is not an absolute path", yamlpos.Clip(d.HostPath+":"+d.ContainerPath), label)
		case strings.Trim(d.Permissions, "rwm") != "":
			v.problem(k, "use r, w and m (read, write, mknod), like rwm", "device %s of %s has permissions %q", d.HostPath, label, yamlpos.Clip(d.Permissions))
		}
	}
	if c.StopSignal != "" && !signalRE.MatchString(c.StopSignal) {
		v.problem(Field(ck, "stop_signal"), "write a signal name like SIGINT or SIGQUIT, or its number", "stop_signal %q of %s is not a signal", yamlpos.Clip(c.StopSignal), label)
	}
	for i, u := range c.Ulimits {
		k := Field(ck, "ulimits", i)
		switch {
		case !slices.Contains(ulimitNames, u.Name):
			v.problem(k, "use one of "+strings.Join(ulimitNames, ", "), "ulimit %q of %s is not one the engine sets", yamlpos.Clip(u.Name), label)
		case u.Hard != -1 && (u.Soft > u.Hard || u.Soft == -1):
			v.problem(k, "make soft at most hard (-1 is unlimited)", "ulimit %s of %s has soft %d above hard %d", u.Name, label, u.Soft, u.Hard)
		}
	}
	for _, k := range sortedKeys(c.Labels) {
		switch {
		case strings.TrimSpace(k) == "":
			v.problem(Field(ck, "labels", k), "write each label as KEY: value (or KEY=value in a list), with a key like com.example.team",
				"a label of %s has no key", label)
		case strings.HasPrefix(k, ReservedLabelPrefix):
			v.problem(Field(ck, "labels", k), "rename it out of "+ReservedLabelPrefix+"* (sidecar sets its own labels there on every container, and they always win)",
				"label %s of %s is in sidecar's own namespace %s*, which sidecar uses to find what it created", yamlpos.Clip(k), label, ReservedLabelPrefix)
		}
	}
	for _, r := range c.EnvRefs {
		if err := CheckEnvRef(p, c, r); err != nil {
			v.problem(Field(ck, "env", r.Name), "see the downward API in docs/recipe.md", "%s: env %v", label, err)
		}
	}
	for i, w := range c.Watch {
		k := Field(ck, "watch", i)
		switch {
		case w.Path == "":
			v.problem(k, "name the file or directory on the host, e.g. path: ./src", "watch rule %d of %s has no path", i+1, label)
		case (w.Action == WatchSync || w.Action == WatchSyncRestart) && !path.IsAbs(w.Target):
			v.problem(k, "add target: the directory in the container, e.g. target: /app/src", "watch rule %d of %s (%s) has no absolute target", i+1, label, w.Action)
		case w.Action == WatchRebuild && c.Build == nil:
			v.problem(Field(k, "action"), "add build: to the container, or use action: restart", "watch rule %d of %s rebuilds, but the container has no build", i+1, label)
		}
	}
}

// hook checks a lifecycle hook: exactly one action, each well-formed.
func (v *validator) hook(key, which, label string, h *Hook) {
	if h == nil {
		return
	}
	if n := len(setNames(setting{"exec", h.Exec != nil}, setting{"http", h.HTTP != nil}, setting{"sleep", h.Sleep > 0})); n != 1 {
		v.problem(key, "give it one of exec: [...], http: {port, path} or sleep: 5s", "%s hook of %s has %d actions, not one", which, label, n)
		return
	}
	switch {
	case h.Exec != nil && len(h.Exec.Command) == 0:
		v.problem(Field(key, "exec"), `give the command, e.g. exec: ["/drain"]`, "%s exec hook of %s has no command", which, label)
	case h.HTTP != nil:
		v.probe(key, which, label, &Probe{HTTP: h.HTTP, Period: 1, Timeout: 1, Retries: 1})
	}
}

// podFields checks what the infra container owns: hostname, hosts, DNS, sysctls; and that a
// job can complete.
func (v *validator) podFields(p *Pod) {
	pk := PodKey(p.Name)
	for key, name := range map[string]string{"hostname": p.Hostname, "subdomain": p.Subdomain} {
		if name != "" && !isHostName(name) {
			v.problem(Field(pk, key), hostNameHint, "%s %q of pod %s is not a valid host name", key, yamlpos.Clip(name), p.Name)
		}
	}
	for i, a := range p.Aliases {
		if !isHostName(a) {
			v.problem(Field(pk, "aliases", i), hostNameHint, "alias %q of pod %s is not a valid host name", yamlpos.Clip(a), p.Name)
		}
	}
	for i, h := range p.ExtraHosts {
		if _, err := netip.ParseAddr(h.IP); (err != nil && h.IP != "host-gateway") || len(h.Hostnames) == 0 || slices.Contains(h.Hostnames, "") {
			v.problem(Field(pk, "extra_hosts", i), `write "NAME:IP" (or NAME:host-gateway), or {ip: 10.0.0.5, hostnames: [db]}`,
				"extra host %q of pod %s is not a name and an IP address", yamlpos.Clip(strings.Join(h.Hostnames, ",")+":"+h.IP), p.Name)
		}
	}
	if p.DNS != nil {
		for i, ns := range p.DNS.Nameservers {
			if _, err := netip.ParseAddr(ns); err != nil {
				v.problem(Field(pk, "dns", "nameservers", i), "write an IP address, like 1.1.1.1", "nameserver %q of pod %s is not an IP address", yamlpos.Clip(ns), p.Name)
			}
		}
	}
	for _, k := range sortedKeys(p.Sysctls) {
		if !strings.HasPrefix(k, "net.") && !ipcSysctl(k) {
			v.problem(Field(pk, "sysctls", k), "set it on the host (sysctl -w): a container can only set net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.*",
				"sysctl %s of pod %s is not namespaced", yamlpos.Clip(k), p.Name)
		}
	}
	if p.Job && p.Main != nil && p.Main.Restart == RestartAlways {
		v.problem(Field(ContainerKey(p.Name, p.Main.Name), "restart"), "use restart: never or on-failure, or make it a service pod (job: false)",
			"pod %s is a job, and its main has restart: always, so it would never complete", p.Name)
	}
}

func ipcSysctl(k string) bool {
	return strings.HasPrefix(k, "kernel.shm") || strings.HasPrefix(k, "kernel.msg") || k == "kernel.sem" || strings.HasPrefix(k, "fs.mqueue.")
}
