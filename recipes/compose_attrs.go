package recipes

// Which compose attributes the importer honours. compose-go reports every attribute of the
// loaded model that is not on this list (fail-closed: an attribute the compose specification
// gains later is reported until it is handled here), and each report becomes a warning that
// names the attribute and says why it is not honoured.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
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
	"resources":           "resource limits and reservations are not applied locally; ignored",
	"networks":            "all pods share one stack network and reach each other by pod name; other networks are not created",
	"links":               "pods reach each other by pod name on the stack network; ignored",
	"external_links":      "pods reach each other by pod name on the stack network; ignored",
	"container_name":      "sidecar names containers <stack>-<pod>-<container>; ignored",
	"hostname":            "the pod's hostname is set by its infra container; ignored",
	"domainname":          "the pod's hostname is set by its infra container; ignored",
	"labels":              "sidecar labels what it creates with its own labels; ignored",
	"label_file":          "sidecar labels what it creates with its own labels; ignored",
	"cap_add":             "sidecar does not add capabilities; ignored",
	"cap_drop":            "sidecar does not drop capabilities; ignored",
	"privileged":          "sidecar does not run privileged containers; ignored",
	"security_opt":        "security options are not applied; ignored",
	"extra_hosts":         "extra /etc/hosts entries are not added; ignored",
	"dns":                 "the pod uses the engine's DNS; ignored",
	"dns_opt":             "the pod uses the engine's DNS; ignored",
	"dns_search":          "the pod uses the engine's DNS; ignored",
	"secrets":             "secrets are not mounted; mount the file with a bind volume instead",
	"models":              "models are not provided; ignored",
	"jobs":                "compose jobs are not imported",
	"logging":             "logs are read from the engine as they are; the logging driver is not set",
	"stdin_open":          "containers do not get a stdin; ignored",
	"platform":            "images run for the engine's own platform; ignored",
	"stop_signal":         "containers are stopped with SIGTERM; ignored",
	"ulimits":             "ulimits are not applied; ignored",
	"sysctls":             "sysctls are not applied; ignored",
	"devices":             "devices are not mapped; ignored",
	"gpus":                "GPUs are not requested; ignored",
	"read_only":           "the root filesystem stays writable; ignored",
	"shm_size":            "the default /dev/shm size is used; ignored",
	"volumes_from":        "volumes are shared through pod volumes, not volumes_from; ignored",
	"uts":                 "the UTS namespace is not shared; ignored",
	"cgroup":              "the cgroup namespace is not set; ignored",
	"userns_mode":         "the user namespace is not set; ignored",
	"post_start":          "lifecycle hooks are not run; ignored",
	"pre_stop":            "lifecycle hooks are not run; ignored",
	"pre_start":           "pre_start hooks are not run; ignored",
	"develop":             "watch mode is not supported; ignored",
	"start_interval":      "probes keep their period while the container starts; ignored",
	"dockerfile_inline":   "inline Dockerfiles are not built; write it to a file and name it in build.dockerfile",
	"propagation":         "bind propagation is not set; ignored",
	"selinux":             "SELinux relabelling is not done; ignored",
	"nocopy":              "pod volumes start empty; ignored",
	"size":                "pod volumes are not size-limited; ignored",
	"mode":                "the mode of the mount is not set; ignored",
	"uid":                 "the file's owner is not set; ignored",
	"gid":                 "the file's group is not set; ignored",
	"template_driver":     "config templates are not rendered: the content is used as it is",
	"driver":              "pod volumes use the local driver; ignored",
	"driver_opts":         "pod volumes use the local driver; ignored",
	"external":            "external volumes are not used: the pod gets a fresh volume of its own",
	"attach":              "every container's logs are shown; ignored",
	"annotations":         "annotations are not set; ignored",
	"mem_limit":           "memory limits are not applied; ignored",
	"mem_reservation":     "memory reservations are not applied; ignored",
	"cpus":                "CPU limits are not applied; ignored",
	"cpu_shares":          "CPU shares are not applied; ignored",
	"pids_limit":          "PID limits are not applied; ignored",
	"oom_score_adj":       "the OOM score is not adjusted; ignored",
	"group_add":           "supplementary groups are not added; ignored",
	"provider":            "provider services are not run; ignored",
	"use_api_socket":      "the engine's socket is not mounted; mount it with a bind volume if needed",
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
func (c *composeImport) reportUnsupported(findings []loader.UnsupportedAttribute) {
	for _, f := range findings {
		parts := f.Path.Parts()
		if len(parts) == 5 && parts[0] == "services" && parts[2] == "networks" && parts[4] == "aliases" && c.infra[parts[1]] {
			continue
		}
		// deploy is reported child by child, so a replica count gets its own message.
		if len(parts) == 3 && parts[0] == "services" && parts[2] == "deploy" {
			if m, ok := f.Value.(map[string]any); ok && len(m) > 0 {
				for _, k := range slices.Sorted(maps.Keys(m)) {
					c.unsupported(append(parts[:3:3], k), m[k])
				}
				continue
			}
		}
		c.unsupported(parts, f.Value)
	}
}

// composeVolumeReasons says why attributes of a top-level volume are not honoured.
var composeVolumeReasons = map[string]string{
	"external":    "sidecar does not use existing volumes: the pod gets a new, empty volume, which sidecar down removes; bind-mount a host directory to use data that exists",
	"driver":      "pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver is not used",
	"driver_opts": "pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver options are not used",
	"name":        "sidecar names a pod volume <stack>-<pod>-<volume> on the engine; ignored",
}

func (c *composeImport) unsupported(parts []string, value any) {
	field := strings.ReplaceAll(strings.Join(parts, "."), ".[]", "[]")
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
		return // pod volumes start empty: what nocopy asks for
	}
	if last == "replicas" {
		if n, ok := value.(int); ok {
			if n <= 1 {
				return
			}
			reason = fmt.Sprintf("%d replicas run as one pod locally", n)
		}
	}
	c.warn(c.keyAt(parts...), field, reason)
}

// composeAttributePaths are the attribute paths the compose specification's schema
// declares, for did-you-mean hints.
func composeAttributePaths() []tree.Path { return schema.AttributePaths() }
