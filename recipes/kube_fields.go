package recipes

// What the Kubernetes importer does with each field it does not convert: an empty reason
// means the field is honoured elsewhere or is irrelevant to a local run (rollout and
// scheduling bookkeeping that changes nothing about how the pod runs); any other reason is a
// warning naming the field. A field missing from these tables (one the API gains later) is
// warned about with kubeNotHonoured, so nothing is dropped silently.

const kubeNotHonoured = "not honoured by sidecar; ignored"

const (
	kubeScheduling = "pods are not scheduled onto nodes locally; ignored"
	kubeResources  = "resource requests and limits of the whole pod are not applied locally (those of its containers are); ignored"
)

// kubeFieldTable maps each field to its reason, from reasons and the fields they are for.
func kubeFieldTable(byReason map[string][]string) map[string]string {
	out := map[string]string{}
	for reason, fields := range byReason {
		for _, f := range fields {
			out[f] = reason
		}
	}
	return out
}

// Honoured, or changing nothing locally; securityContext (runAsUser and runAsGroup are
// honoured, the rest warned field by field) and dnsPolicy (ClusterFirst is what the stack
// network gives) are judged value by value.
var kubePodSpecFields = kubeFieldTable(map[string][]string{
	"": {"volumes", "initContainers", "containers", "restartPolicy", "terminationGracePeriodSeconds", "shareProcessNamespace", "securityContext", "dnsPolicy", "enableServiceLinks",
		"automountServiceAccountToken", "schedulerName", "preemptionPolicy", "priority", "hostname", "subdomain", "hostAliases", "dnsConfig", "serviceAccountName", "serviceAccount", "os"},
	kubeScheduling: {"nodeSelector", "affinity", "tolerations", "nodeName", "topologySpreadConstraints", "schedulingGates", "priorityClassName"},
	"the engine's default runtime is used; ignored":                                              {"runtimeClassName"},
	"the pod gets a network namespace of its own on the stack network; the host's is not joined": {"hostNetwork"},
	"the host's PID namespace is not joined; ignored":                                            {"hostPID"},
	"the host's IPC namespace is not joined; ignored":                                            {"hostIPC"},
	"the user namespace is not set; ignored":                                                     {"hostUsers"},
	"images are pulled with the engine's own credentials; ignored":                               {"imagePullSecrets"},
	"readiness gates are not evaluated; ignored":                                                 {"readinessGates"},
	"no deadline is enforced; ignored":                                                           {"activeDeadlineSeconds"},
	kubeResources:                                                                                {"overhead", "resources", "resourceClaims"},
	"the pod's hostname is its short name: hostname shows it, hostname -f the full one; ignored": {"setHostnameAsFQDN", "hostnameOverride"},
	"ephemeral containers are not run; ignored":                                                  {"ephemeralContainers"},
})

// restartPolicy, securityContext and imagePullPolicy (IfNotPresent is what sidecar does)
// are judged value by value.
var kubeContainerFields = kubeFieldTable(map[string][]string{
	"": {"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "volumeMounts", "livenessProbe", "readinessProbe", "startupProbe", "tty", "restartPolicy",
		"securityContext", "imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy", "resources", "resizePolicy", "lifecycle"},
	"block devices are not mapped; ignored":                            {"volumeDevices"},
	"containers do not get a stdin; ignored":                           {"stdin", "stdinOnce"},
	"restart rules are not evaluated; the pod's restartPolicy applies": {"restartPolicyRules"},
})

var kubeDeploymentFields = map[string]string{
	"replicas": "", "selector": "", "template": "", "strategy": "", "minReadySeconds": "",
	"revisionHistoryLimit": "", "progressDeadlineSeconds": "",
	"paused": "a paused Deployment still runs locally",
}

var kubeStatefulSetFields = map[string]string{
	"replicas": "", "selector": "", "template": "", "volumeClaimTemplates": "", "serviceName": "",
	"podManagementPolicy": "", "updateStrategy": "", "revisionHistoryLimit": "", "minReadySeconds": "",
	"persistentVolumeClaimRetentionPolicy": "", "ordinals": "",
}

var kubeDaemonSetFields = map[string]string{
	"selector": "", "template": "", "updateStrategy": "", "minReadySeconds": "", "revisionHistoryLimit": "",
}

var kubeReplicaSetFields = map[string]string{
	"replicas": "", "selector": "", "template": "", "minReadySeconds": "",
}

var kubeJobFields = map[string]string{
	"template": "", "selector": "", "manualSelector": "", "ttlSecondsAfterFinished": "",
	"podReplacementPolicy": "", "managedBy": "", "parallelism": "", "completions": "",
	"completionMode":        "", // NonIndexed is what runs; Indexed is warned on its own
	"backoffLimit":          "a failed run is not retried as a new pod: the pod's restartPolicy applies to main",
	"backoffLimitPerIndex":  "a failed run is not retried as a new pod: the pod's restartPolicy applies to main",
	"maxFailedIndexes":      "indexed jobs run as one pod locally; ignored",
	"activeDeadlineSeconds": "no deadline is enforced; ignored",
	"podFailurePolicy":      "failure policies are not evaluated; the pod's restartPolicy applies to main",
	"successPolicy":         "the job succeeds when main exits 0; ignored",
	"suspend":               "a suspended Job still runs locally",
	"scheduling":            kubeScheduling,
}

var kubeCronJobFields = map[string]string{
	"schedule": "", "jobTemplate": "", "timeZone": "", "startingDeadlineSeconds": "",
	"concurrencyPolicy": "", "successfulJobsHistoryLimit": "", "failedJobsHistoryLimit": "",
	"suspend": "a suspended CronJob still runs once locally",
}
