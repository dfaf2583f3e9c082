package recipes

// Which compose attributes the importer honours. compose-go reports every attribute of the
// loaded model that is not on this list (fail-closed: an attribute the compose specification
// gains later is reported until it is handled here), and each report becomes a warning that
// names the attribute and says why it is not honoured.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
)

// composeHonoured lists the attribute paths the importer reads. Some are read only to warn
// about particular values (networks, network_mode, ipc, pid, scale, pull_policy, restart).
var composeHonoured = []string{
	"name", "services", "volumes", "volumes.*",
	"include", "include.[].path", "include.[].env_file", "include.[].project_directory",
	"services.*",
	"services.*.image",
	"services.*.build", "services.*.build.context", "services.*.build.dockerfile",
	"services.*.build.args", "services.*.build.args.*", "services.*.build.target",
	"services.*.command", "services.*.entrypoint", "services.*.working_dir", "services.*.user",
	"services.*.init", "services.*.tty", "services.*.stop_grace_period", "services.*.restart",
	"services.*.environment", "services.*.environment.*",
	"services.*.env_file", "services.*.env_file.[].path", "services.*.env_file.[].required",
	"services.*.env_file.[].format",
	"services.*.ports", "services.*.ports.[].target", "services.*.ports.[].published",
	"services.*.ports.[].host_ip", "services.*.ports.[].protocol", "services.*.ports.[].mode",
	"services.*.ports.[].name", "services.*.ports.[].app_protocol",
	"services.*.expose",
	"services.*.volumes", "services.*.volumes.[].type", "services.*.volumes.[].source",
	"services.*.volumes.[].target", "services.*.volumes.[].read_only",
	"services.*.volumes.[].consistency", "services.*.volumes.[].bind",
	"services.*.volumes.[].bind.create_host_path", "services.*.volumes.[].volume",
	"services.*.volumes.[].volume.subpath", "services.*.volumes.[].tmpfs",
	"services.*.tmpfs",
	"services.*.healthcheck", "services.*.healthcheck.test", "services.*.healthcheck.interval",
	"services.*.healthcheck.timeout", "services.*.healthcheck.retries",
	"services.*.healthcheck.start_period", "services.*.healthcheck.disable",
	"services.*.depends_on", "services.*.depends_on.*", "services.*.depends_on.*.condition",
	"services.*.depends_on.*.required", "services.*.depends_on.*.restart",
	"services.*.network_mode", "services.*.networks", "services.*.networks.*",
	"services.*.ipc", "services.*.pid",
	"services.*.profiles",
	"services.*.extends", "services.*.extends.file", "services.*.extends.service",
	"services.*.scale", "services.*.pull_policy",
	"services.*.configs", "services.*.configs.[].source", "services.*.configs.[].target",
	"configs", "configs.*", "configs.*.file", "configs.*.content", "configs.*.environment",
	"configs.*.external", "configs.*.name",
	"services.*.cap_add", "services.*.cap_drop", "services.*.privileged", "services.*.read_only",
	"services.*.group_add", "services.*.stop_signal", "services.*.shm_size",
	"services.*.devices", "services.*.devices.[].source", "services.*.devices.[].target", "services.*.devices.[].permissions",
	"services.*.ulimits", "services.*.ulimits.*", "services.*.ulimits.*.soft", "services.*.ulimits.*.hard",
	"services.*.sysctls", "services.*.sysctls.*", "services.*.extra_hosts", "services.*.extra_hosts.*",
	"services.*.dns", "services.*.dns_opt", "services.*.dns_search", "services.*.hostname", "services.*.domainname",
	"services.*.mem_limit", "services.*.mem_reservation", "services.*.cpus", "services.*.cpu_shares",
	"services.*.deploy", "services.*.deploy.resources", "services.*.deploy.resources.limits",
	"services.*.deploy.resources.limits.cpus", "services.*.deploy.resources.limits.memory",
	"services.*.deploy.resources.reservations", "services.*.deploy.resources.reservations.cpus",
	"services.*.deploy.resources.reservations.memory",
	"services.*.post_start", "services.*.post_start.[].command", "services.*.pre_stop", "services.*.pre_stop.[].command",
	"services.*.develop", "services.*.develop.watch", "services.*.develop.watch.[].path", "services.*.develop.watch.[].action",
	"services.*.develop.watch.[].target", "services.*.develop.watch.[].ignore",
	"services.*.secrets", "services.*.secrets.[].source", "services.*.secrets.[].target",
	"secrets", "secrets.*", "secrets.*.file", "secrets.*.environment", "secrets.*.external", "secrets.*.name",
	"volumes.*.driver", "volumes.*.driver_opts", "volumes.*.driver_opts.*", "services.*.volumes.[].tmpfs.size",
}

func composeSupported() []tree.Path {
	out := make([]tree.Path, len(composeHonoured))
	for i, p := range composeHonoured {
		out[i] = tree.Path(p)
	}
	return out
}

// composeReasons says, per attribute name, why it is not honoured. The message reads
// "<path>: <reason>".
var composeReasons = map[string]string{
	"deploy":              "swarm deployment settings do not apply to a local pod; ignored",
	"replicas":            "one pod runs locally; ignored",
	"networks":            "all pods share one stack network and reach each other by pod name; other networks are not created",
	"links":               "pods reach each other by pod name on the stack network; ignored",
	"external_links":      "pods reach each other by pod name on the stack network; ignored",
	"container_name":      "sidecar names containers <stack>-<pod>-<container>; ignored",
	"labels":              "sidecar labels what it creates with its own labels; ignored",
	"label_file":          "sidecar labels what it creates with its own labels; ignored",
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
	"volumes_from":        "volumes are shared through pod volumes, not volumes_from; ignored",
	"uts":                 "the UTS namespace is not shared; ignored",
	"cgroup":              "the cgroup namespace is not set; ignored",
	"userns_mode":         "the user namespace is not set; ignored",
	"pre_start":           "pre_start hooks are not run; ignored",
	"start_interval":      "probes keep their period while the container starts; ignored",
	"dockerfile_inline":   "inline Dockerfiles are not built; write it to a file and name it in build.dockerfile",
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

// reportUnsupported turns compose-go's findings into warnings. The networks of infra
// services are judged by the conversion instead (their default-network alias is what
// sidecar gives every pod).
// The same attribute of several services with the same reason is one warning, at the
// first, that names the others.
func (c *composeImport) reportUnsupported(findings []loader.UnsupportedAttribute) {
	type group struct {
		at         Position
		field, why string
		others     []string
	}
	var groups []*group
	byKey := map[string]*group{}
	at := func(f loader.UnsupportedAttribute) Position { return c.keyAt(f.Path.Parts()...) }
	slices.SortStableFunc(findings, func(a, b loader.UnsupportedAttribute) int { // first written first
		return at(a).compare(at(b))
	})
	for _, f := range findings {
		parts := f.Path.Parts()
		if len(parts) == 5 && parts[0] == "services" && parts[2] == "networks" && parts[4] == "aliases" && c.infra[parts[1]] {
			continue
		}
		reason, ok := c.unsupported(parts, f.Value)
		if !ok {
			continue
		}
		key := strings.Join(parts, ".") + reason
		if len(parts) > 2 && parts[0] == "services" {
			key = strings.Join(parts[2:], ".") + reason
		}
		if g := byKey[key]; g != nil && parts[0] == "services" {
			g.others = append(g.others, parts[1])
			continue
		}
		g := &group{at: c.keyAt(parts...), field: strings.ReplaceAll(strings.Join(parts, "."), ".[]", "[]"), why: reason}
		byKey[key] = g
		groups = append(groups, g)
	}
	for _, g := range groups {
		if len(g.others) > 0 {
			g.why += " (services " + andList(g.others) + " too)"
		}
		c.warn(g.at, g.field, g.why)
	}
}

// composeVolumeReasons says why attributes of a top-level volume are not honoured.
var composeVolumeReasons = map[string]string{
	"external":    "sidecar does not use existing volumes: the pod gets a new, empty volume, which sidecar down removes; bind-mount a host directory to use data that exists",
	"driver":      "pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver is not used",
	"driver_opts": "pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver options are not used",
	"name":        "sidecar names a pod volume <stack>-<pod>-<volume> on the engine; ignored",
}

// unsupported is why the attribute at parts is not honoured; ok is false when it needs no
// word.
func (c *composeImport) unsupported(parts []string, value any) (string, bool) {
	last := parts[len(parts)-1]
	reason, ok := composeReasons[last]
	if len(parts) == 3 && parts[0] == "volumes" {
		if r, vok := composeVolumeReasons[last]; vok {
			reason, ok = r, true
		}
	}
	if !ok {
		reason = "sidecar does not honour it; ignored"
	}
	if last == "nocopy" && value == true {
		return "", false // pod volumes start empty: what nocopy asks for
	}
	if last == "replicas" {
		if n, ok := value.(int); ok {
			if n <= 1 {
				return "", false
			}
			reason = fmt.Sprintf("%d replicas run as one pod locally", n)
		}
	}
	return reason, true
}
