package recipes

// Which compose attributes the importer honours. compose-go reports every attribute of the
// loaded model that is not on this list (fail-closed: an attribute the compose specification
// gains later is reported until it is handled here), and each report becomes a warning that
// names the attribute and says why it is not honoured.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeHonoured lists the attribute paths the importer reads. Some are read only to warn
// about particular values (networks, network_mode, ipc, pid, scale, pull_policy, restart).
var composeHonoured = slices.Concat(
	[]tree.Path{"name", "services", "volumes", "volumes.*", "configs", "configs.*", "secrets", "secrets.*"},
	composeAttrs("include", "", "[].path", "[].env_file", "[].project_directory"),
	composeAttrs("services.*", "", "image", "command", "entrypoint", "working_dir", "user", "init", "tty",
		"stop_grace_period", "restart", "expose", "tmpfs", "volumes_from", "network_mode", "networks", "networks.*", "networks.*.aliases", "ipc", "pid", "container_name", "links",
		"profiles", "scale", "pull_policy", "cap_add", "cap_drop", "privileged", "read_only", "group_add", "stop_signal",
		"shm_size", "sysctls", "sysctls.*", "extra_hosts", "extra_hosts.*", "dns", "dns_opt", "dns_search", "hostname",
		"domainname", "mem_limit", "mem_reservation", "cpus", "cpu_shares", "environment", "environment.*", "labels", "labels.*",
		"post_start", "post_start.[].command", "pre_stop", "pre_stop.[].command"),
	composeAttrs("services.*.build", "", "context", "dockerfile", "dockerfile_inline", "args", "args.*", "target"),
	composeAttrs("services.*.env_file", "", "[].path", "[].required", "[].format"),
	composeAttrs("services.*.ports", "", "[].target", "[].published", "[].host_ip", "[].protocol", "[].mode", "[].name",
		"[].app_protocol"),
	composeAttrs("services.*.volumes", "", "[].type", "[].source", "[].target", "[].read_only", "[].consistency",
		"[].bind", "[].bind.create_host_path", "[].volume", "[].volume.subpath", "[].tmpfs", "[].tmpfs.size"),
	composeAttrs("services.*.healthcheck", "", "test", "interval", "timeout", "retries", "start_period", "disable"),
	composeAttrs("services.*.depends_on", "", "*", "*.condition", "*.required", "*.restart"),
	composeAttrs("services.*.extends", "", "file", "service"),
	composeAttrs("services.*.configs", "", "[].source", "[].target"),
	composeAttrs("services.*.secrets", "", "[].source", "[].target"),
	composeAttrs("services.*.devices", "", "[].source", "[].target", "[].permissions"),
	composeAttrs("services.*.ulimits", "", "*", "*.soft", "*.hard"),
	composeAttrs("services.*.deploy", "", "resources", "resources.limits", "resources.limits.cpus",
		"resources.limits.memory", "resources.reservations", "resources.reservations.cpus", "resources.reservations.memory"),
	composeAttrs("services.*.develop", "", "watch", "watch.[].path", "watch.[].action", "watch.[].target", "watch.[].ignore"),
	composeAttrs("configs.*", "file", "content", "environment", "external", "name"),
	composeAttrs("secrets.*", "file", "environment", "external", "name"),
	composeAttrs("volumes.*", "driver", "driver_opts", "driver_opts.*"),
)

// composeAttrs is prefix.sub for each of subs; an empty sub is prefix itself.
func composeAttrs(prefix string, subs ...string) []tree.Path {
	out := make([]tree.Path, len(subs))
	for i, sub := range subs {
		out[i] = tree.Path(strings.TrimSuffix(prefix+"."+sub, "."))
	}
	return out
}

// composeSupported is composeHonoured and, for a pre_start hook, what it honours of a
// service's container specification (preStart converts a hook as a service); per_replica
// changes nothing for the one replica that runs.
func composeSupported() []tree.Path {
	out := slices.Concat(composeHonoured, composeAttrs("services.*.pre_start", "", "[].per_replica"))
	for _, p := range composeHonoured {
		rest, ok := strings.CutPrefix(string(p), "services.*.")
		if ok && slices.Contains(types.ContainerSpecAttributes, strings.Split(rest, ".")[0]) {
			out = append(out, tree.Path("services.*.pre_start.[]."+rest))
		}
	}
	return out
}

// composeReasons says, per attribute name, why it is not honoured ("<path>: <reason>").
var composeReasons = map[string]string{
	"deploy":              "swarm deployment settings do not apply to a local pod; ignored",
	"replicas":            "one pod runs locally; ignored",
	"networks":            "all pods share one stack network and reach each other by pod name; other networks are not created",
	"external_links":      "pods reach each other by pod name on the stack network; ignored",
	"labels":              "only a service's labels are set (on its container); sidecar labels the other objects it creates with its own; ignored",
	"label_file":          "label files are not read; write the labels under labels:",
	"security_opt":        "security options are not applied; ignored",
	"models":              "models are not provided; ignored",
	"jobs":                "compose jobs are not imported",
	"logging":             "logs are read from the engine as they are; the logging driver is not set",
	"stdin_open":          "containers do not get a stdin; ignored",
	"platform":            "images run for the engine's own platform; ignored",
	"devices":             "device requests (GPUs) are not passed to the engine; ignored",
	"pids":                "PID limits are not applied; ignored",
	"initial_sync":        "files are not copied when watching starts, only when they change; ignored",
	"include":             "a watch rule watches its whole path; include is not honoured",
	"gpus":                "GPUs are not requested; ignored",
	"uts":                 "the UTS namespace is not shared; ignored",
	"cgroup":              "the cgroup namespace is not set; ignored",
	"userns_mode":         "the user namespace is not set; ignored",
	"start_interval":      "probes keep their period while the container starts; ignored",
	"propagation":         "bind propagation is not set; ignored",
	"selinux":             "SELinux relabelling is not done; ignored",
	"nocopy":              "pod volumes start empty; ignored",
	"mode":                "the mode of the mount is not set; ignored",
	"uid":                 "the file's owner is not set; ignored",
	"gid":                 "the file's group is not set; ignored",
	"template_driver":     "config templates are not rendered: the content is used as it is",
	"driver":              "pod volumes use the local driver; ignored",
	"driver_opts":         "pod volumes use the local driver; ignored",
	"external":            "external volumes are not used: the pod gets a fresh volume of its own",
	"attach":              "every container's logs are shown; ignored",
	"annotations":         "annotations are not set; ignored",
	"pids_limit":          "PID limits are not applied; ignored",
	"oom_score_adj":       "the OOM score is not adjusted; ignored",
	"provider":            "provider services are not run; ignored",
	"use_api_socket":      "the engine's socket is not mounted; mount it with a bind volume if needed",
	"memswap_limit":       "swap is not limited apart from memory (the engine's default applies); ignored",
	"credential_spec":     "credential specs are Windows-only; ignored",
	"isolation":           "isolation is Windows-only; ignored",
	"additional_contexts": "extra build contexts are not passed to the build; ignored",
	"cache_from":          "build cache options are not passed to the build; ignored",
	"cache_to":            "build cache options are not passed to the build; ignored",
	"no_cache":            "build cache options are not passed to the build; ignored",
	"ssh":                 "build SSH agents are not forwarded; ignored",
	"tags":                "built images get one tag; ignored",
}

// reportUnsupported turns compose-go's findings into warnings, first written first, but for
// the services left out by profile or scale (active says that much of them).
func (c *composeImport) reportUnsupported(findings []loader.UnsupportedAttribute) {
	// The parts of a finding's path, as the file writes them: compose-go escapes a dot in a
	// name (a service my.db), which Path.String undoes.
	partsOf := func(f loader.UnsupportedAttribute) []string {
		parts := f.Path.Parts()
		for i, p := range parts {
			parts[i] = tree.Path(p).String()
		}
		return parts
	}
	at := func(f loader.UnsupportedAttribute) Position { return c.keyAt(partsOf(f)...) }
	slices.SortStableFunc(findings, func(a, b loader.UnsupportedAttribute) int { return at(a).compare(at(b)) })
	for _, f := range findings {
		parts := partsOf(f)
		reason, ok := composeUnsupported(parts, f.Value)
		if !ok || len(parts) > 1 && parts[0] == "services" && c.imported != nil && !c.imported[parts[1]] {
			continue
		}
		c.warn(at(f), strings.ReplaceAll(strings.Join(parts, "."), ".[]", "[]"), reason)
	}
}

// composeVolumeReasons says why attributes of a top-level volume are not honoured.
var composeVolumeReasons = map[string]string{
	"external":    "sidecar does not use existing volumes: the pod gets a new, empty volume, which sidecar down removes; bind-mount a host directory to use data that exists",
	"driver":      "pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver is not used",
	"driver_opts": "pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver options are not used",
	"name":        "sidecar names a pod volume <stack>-<pod>-<volume> on the engine; ignored",
}

// composeUnsupported is why the attribute at parts is not honoured; ok is false for no word.
func composeUnsupported(parts []string, value any) (string, bool) {
	last := parts[len(parts)-1]
	n, isInt := value.(int)
	switch {
	case last == "nocopy" && value == true: // pod volumes start empty: what nocopy asks for
		return "", false
	case last == "replicas" && isInt: // 0: the service is left out (active)
		return fmt.Sprintf("%d replicas run as one pod locally", n), n > 1
	}
	if r, ok := composeVolumeReasons[last]; ok && len(parts) == 3 && parts[0] == "volumes" {
		return r, true
	}
	return cmp.Or(composeReasons[last], "sidecar does not honour it; ignored"), true
}
