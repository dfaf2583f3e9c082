package recipes

// What the Kubernetes importer does with each field it does not convert: an empty reason
// means the field is honoured elsewhere or is irrelevant to a local run (rollout and
// scheduling bookkeeping that changes nothing about how the pod runs); any other reason is a
// warning naming the field. A field missing from these tables (one the API gains later) is
// warned about with kubeNotHonoured, so nothing is dropped silently.

const kubeNotHonoured = "not honoured by sidecar; ignored"

const (
	kubeScheduling = "pods are not scheduled onto nodes locally; ignored"
	kubeResources  = "resource requests and limits are not applied locally; ignored"
	kubeSecurity   = "security settings other than runAsUser and runAsGroup are not applied; ignored"
)

var kubePodSpecFields = map[string]string{
	"volumes":                       "",
	"initContainers":                "",
	"containers":                    "",
	"restartPolicy":                 "",
	"terminationGracePeriodSeconds": "",
	"shareProcessNamespace":         "",
	"securityContext":               "", // runAsUser/runAsGroup honoured; the rest warned field by field
	"dnsPolicy":                     "", // ClusterFirst is what the stack network gives; others warned
	"enableServiceLinks":            "",
	"automountServiceAccountToken":  "",
	"schedulerName":                 "",
	"preemptionPolicy":              "",
	"priority":                      "",
	"nodeSelector":                  kubeScheduling,
	"affinity":                      kubeScheduling,
	"tolerations":                   kubeScheduling,
	"nodeName":                      kubeScheduling,
	"topologySpreadConstraints":     kubeScheduling,
	"schedulingGates":               kubeScheduling,
	"priorityClassName":             kubeScheduling,
	"runtimeClassName":              "the engine's default runtime is used; ignored",
	"serviceAccountName":            "there is no service account locally, and no token is mounted; ignored",
	"serviceAccount":                "there is no service account locally, and no token is mounted; ignored",
	"hostNetwork":                   "the pod gets a network namespace of its own on the stack network; the host's is not joined",
	"hostPID":                       "the host's PID namespace is not joined; ignored",
	"hostIPC":                       "the host's IPC namespace is not joined; ignored",
	"hostUsers":                     "the user namespace is not set; ignored",
	"imagePullSecrets":              "images are pulled with the engine's own credentials; ignored",
	"hostname":                      "the pod's hostname is set by its infra container; ignored",
	"hostnameOverride":              "the pod's hostname is set by its infra container; ignored",
	"subdomain":                     "the pod's hostname is set by its infra container; ignored",
	"setHostnameAsFQDN":             "the pod's hostname is set by its infra container; ignored",
	"hostAliases":                   "extra /etc/hosts entries are not added; ignored",
	"dnsConfig":                     "the pod uses the engine's DNS on the stack network; ignored",
	"readinessGates":                "readiness gates are not evaluated; ignored",
	"activeDeadlineSeconds":         "no deadline is enforced; ignored",
	"overhead":                      kubeResources,
	"resources":                     kubeResources,
	"resourceClaims":                kubeResources,
	"os":                            "images run for the engine's own platform; ignored",
	"ephemeralContainers":           "ephemeral containers are not run; ignored",
}

var kubeContainerFields = map[string]string{
	"name":                     "",
	"image":                    "",
	"command":                  "",
	"args":                     "",
	"workingDir":               "",
	"ports":                    "",
	"envFrom":                  "",
	"env":                      "",
	"volumeMounts":             "",
	"livenessProbe":            "",
	"readinessProbe":           "",
	"startupProbe":             "",
	"tty":                      "",
	"restartPolicy":            "", // checked on its own
	"securityContext":          "", // runAsUser/runAsGroup honoured; the rest warned field by field
	"imagePullPolicy":          "", // IfNotPresent is what sidecar does; others warned
	"terminationMessagePath":   "",
	"terminationMessagePolicy": "",
	"resources":                kubeResources,
	"resizePolicy":             kubeResources,
	"lifecycle":                "postStart and preStop hooks are not run; ignored",
	"volumeDevices":            "block devices are not mapped; ignored",
	"stdin":                    "containers do not get a stdin; ignored",
	"stdinOnce":                "containers do not get a stdin; ignored",
	"restartPolicyRules":       "restart rules are not evaluated; the pod's restartPolicy applies",
}

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
