package recipes

// Helm hooks in rendered output (helm template): a workload annotated helm.sh/hook is one
// Helm creates at a point of a release's life, not with the others.

import (
	"fmt"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
)

// kubeHelmHook is Helm's hook annotation.
const kubeHelmHook = "helm.sh/hook"

// kubeHelmTestHooks are the hooks that make an object a test, created only by helm test
// (test-success is the Helm 2 name of test; test-failure an object expected to fail).
var kubeHelmTestHooks = map[string]bool{"test": true, "test-success": true, "test-failure": true}

// helmHooks is the hooks the helm.sh/hook annotation of d's metadata lists.
func (d *kubeDoc) helmHooks() []string {
	v, _ := yamlpos.Scalar(yamlpos.Value(yamlpos.Value(yamlpos.Value(d.node, "metadata"), "annotations"), kubeHelmHook))
	var hooks []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hooks = append(hooks, h)
		}
	}
	return hooks
}

// helmTest reports whether workload d is a Helm test hook, which is left out (see
// helmTests). A workload of another hook is warned about: it runs as an ordinary pod.
func (k *kubeImport) helmTest(d *kubeDoc) bool {
	hooks := d.helmHooks()
	if len(hooks) == 0 {
		return false
	}
	test := true
	for _, h := range hooks {
		test = test && kubeHelmTestHooks[h]
	}
	if test {
		return true
	}
	k.warn(k.keyAt(d, "metadata.annotations", kubeHelmHook), d.prefix+"metadata.annotations."+kubeHelmHook, fmt.Sprintf(
		"%s %s is a Helm %s hook; it runs as an ordinary %s, started with the others, without Helm's hook order, weights or delete policy",
		d.kind, d.name, strings.Join(hooks, ", "), helmHookRuns(d)))
	return false
}

// helmTests says, once, which Helm test hooks were left out and how to run one.
func (k *kubeImport) helmTests(tests []*kubeDoc) {
	if len(tests) == 0 {
		return
	}
	var names []string
	for _, d := range tests {
		names = append(names, d.kind+" "+d.name)
	}
	d := tests[0]
	k.warn(k.keyAt(d, "metadata.annotations", kubeHelmHook), d.prefix+"metadata.annotations."+kubeHelmHook, fmt.Sprintf(
		"%s %s left out: Helm creates test hooks only on helm test, not with the release; to run one with the stack, remove its %s annotation, make it a Job (restartPolicy: Never) so that its exit does not end the stack, and give it the annotation %s: NAME of the workload it tests, so that it starts once that is ready",
		andList(names), map[bool]string{true: "is", false: "are"}[len(names) == 1], kubeHelmHook, KubeAnnotationDependsOn))
}

// helmHookRuns says how a hook workload runs: a Job, or a bare Pod that is not restarted, as
// a job (its end does not end the stack); anything else as a pod.
func helmHookRuns(d *kubeDoc) string {
	policy, _ := yamlpos.Scalar(yamlpos.Value(yamlpos.Value(d.node, "spec"), "restartPolicy"))
	switch {
	case d.kind == "Job" || d.kind == "CronJob", d.kind == "Pod" && policy != "" && policy != "Always":
		return "job (its end does not end the stack)"
	}
	return "pod"
}
