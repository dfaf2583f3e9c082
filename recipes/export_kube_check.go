package recipes

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Decoding the manifest into the k8s.io/api types catches misplaced fields, not values the
// API server rejects. kubeCheckObjects adds the checks of the API server's validation that
// are cheap to make here: names, label values, keys, variable names, and sizes. What the
// server would reject is a problem (the export fails, exit status 2); what only some clients
// or versions reject is a warning.

const (
	// kubeMaxDataSize is the most a ConfigMap's (or Secret's) data may hold, all keys
	// together: the API server rejects more.
	kubeMaxDataSize = 1 << 20
	// kubeMaxApplySize is the most an object may take as JSON for client-side `kubectl
	// apply`, which keeps a copy of it in the last-applied-configuration annotation, and
	// annotations are limited to 256 KiB in all.
	kubeMaxApplySize = 256 << 10
)

type kubeChecker struct {
	*expWarnings
	probs Problems
}

func (k *kubeChecker) problem(hint, format string, args ...any) {
	k.probs = append(k.probs, Problem{Pos: Position{File: k.file}, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// invalid reports each message of a failed validation of what (e.g. `Service "9web" name`).
func (k *kubeChecker) invalid(msgs []string, hint, what, value string) {
	for _, m := range msgs {
		k.problem(hint, "%s %q is not valid in Kubernetes: %s", what, yamlpos.Clip(value), m)
	}
}

// kubeCheckObjects checks the objects toKubeObjects made, adding its warnings to w. files
// names, per ConfigMap (kubeExportStack names every one), the files it holds as the recipe
// wrote them (for messages).
func kubeCheckObjects(w *expWarnings, objs []any, files map[string]string) Problems {
	k := &kubeChecker{expWarnings: w}
	for _, o := range objs {
		var what string // names o in the warning that it is too big for kubectl apply
		switch o := o.(type) {
		case *corev1.ConfigMap:
			k.meta("ConfigMap", o.ObjectMeta, validation.IsDNS1123Subdomain)
			data := kubeText(o.BinaryData)
			maps.Copy(data, o.Data)
			what = fmt.Sprintf("ConfigMap %s (%s)", o.Name, files[o.Name])
			if !k.data(what, "ConfigMap "+o.Name+" key", "rename the file", data,
				"a ConfigMap cannot hold that much: bake the files into the image, or put them on a volume of your cluster (e.g. a PersistentVolumeClaim) and mount that, instead of mounting them from the recipe's directory") {
				continue
			}
		case *corev1.Secret:
			k.meta("Secret", o.ObjectMeta, validation.IsDNS1123Subdomain)
			what = "Secret " + o.Name
			if !k.data(what, what+" key", "rename the variable", o.StringData,
				"keep big values out of the environment: mount them as files instead") {
				continue
			}
		case *corev1.Service:
			// A Service's name is a DNS-1035 label: it must start with a letter.
			k.meta("Service", o.ObjectMeta, validation.IsDNS1035Label)
			k.labels("Service "+o.Name+" selector", o.Spec.Selector)
			for _, p := range o.Spec.Ports {
				k.invalid(validation.IsValidPortName(p.Name), "", "Service "+o.Name+" port name", p.Name)
			}
			continue
		case *appsv1.Deployment:
			what = k.workload("Deployment", o.ObjectMeta, o.Spec.Template, validation.IsDNS1123Subdomain)
		case *batchv1.Job:
			// The Job controller labels its pods with the Job's name, so it must be a label
			// value too.
			what = k.workload("Job", o.ObjectMeta, o.Spec.Template, func(s string) []string {
				return append(validation.IsDNS1123Subdomain(s), validation.IsValidLabelValue(s)...)
			})
		case *corev1.Pod:
			what = k.workload("Pod", o.ObjectMeta, corev1.PodTemplateSpec{Spec: o.Spec}, validation.IsDNS1123Subdomain)
		default:
			continue
		}
		// Client-side kubectl apply keeps a copy of the object in an annotation.
		if b, err := json.Marshal(o); err == nil && len(b) > kubeMaxApplySize {
			k.add(what, "%s takes %s as JSON: `kubectl apply` keeps a copy of each object in its last-applied-configuration annotation, limited to %s, so it will refuse it; use `kubectl apply --server-side` or `kubectl create`", what, expSize(len(b)), expSize(kubeMaxApplySize))
		}
	}
	return k.probs
}

func (k *kubeChecker) meta(kind string, m metav1.ObjectMeta, name func(string) []string) {
	hint := "rename the pod"
	if kind == "Service" {
		hint = "rename the pod so that its name starts with a letter (a Service of the pod's name is how the other pods reach it)"
	}
	k.invalid(name(m.Name), hint, kind+" name", m.Name)
	k.labels(kind+" "+m.Name+" label", m.Labels)
}

// labels checks label values: sidecar's own (the pod's and the stack's names) and the
// pod's labels as the recipe wrote them.
func (k *kubeChecker) labels(what string, labels map[string]string) {
	for _, key := range sortedKeys(labels) {
		k.invalid(validation.IsQualifiedName(key), "rename the label (labels: of the pod)", what+" key", key)
		hint := cmp.Or(kubeLabelHints[key], "change the label's value (labels: of the pod): at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
		k.invalid(validation.IsValidLabelValue(labels[key]), hint, what+" "+key, labels[key])
	}
}

// kubeLabelHints say how to fix a bad value of sidecar's own labels.
var kubeLabelHints = map[string]string{KubeLabelName: "rename the pod", KubeLabelPartOf: "rename the stack (name: in the recipe)"}

// workload checks a workload's name and labels (its pod template's too), and the names of
// its pod's volumes, containers and variables, and its mounts. It returns the workload's
// kind and name.
func (k *kubeChecker) workload(kind string, m metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, name func(string) []string) (what string) {
	k.meta(kind, m, name)
	what = kind + " " + m.Name
	k.labels(what+" pod label", tmpl.Labels)
	spec := tmpl.Spec
	for _, v := range spec.Volumes {
		k.invalid(validation.IsDNS1123Label(v.Name), "rename the volume", what+" volume name", v.Name)
		if v.ConfigMap != nil {
			for _, it := range v.ConfigMap.Items {
				k.invalid(kubeRelativePath(it.Path), "rename the file", what+" volume "+v.Name+" path", it.Path)
			}
		}
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		k.invalid(validation.IsDNS1123Label(c.Name), "rename the container", what+" container name", c.Name)
		for _, e := range c.Env {
			if msgs := validation.IsRelaxedEnvVarName(e.Name); len(msgs) > 0 {
				k.invalid(msgs, "rename the variable", what+" container "+c.Name+" variable", e.Name)
				continue
			}
			if len(validation.IsEnvVarName(e.Name)) > 0 {
				k.add(c.Name+"/env/"+e.Name, "%s container %s: variable name %q is accepted by Kubernetes 1.32 and later only (older API servers want letters, digits, '_', '-' and '.', not starting with a digit): rename it for older clusters", what, c.Name, yamlpos.Clip(e.Name))
			}
		}
		for _, m := range c.VolumeMounts { // an empty subPath passes
			k.invalid(kubeRelativePath(m.SubPath), "write a sub_path inside the volume", what+" container "+c.Name+" subPath", m.SubPath)
		}
	}
	return what
}

// kubeRelativePath is the API server's check of subPath and item paths: relative, without
// "..".
func kubeRelativePath(p string) []string {
	if path.IsAbs(p) {
		return []string{"must be a relative path"}
	}
	if slices.Contains(strings.Split(p, "/"), "..") {
		return []string{"must not contain '..'"}
	}
	return nil
}

// data checks the keys of the data of the object what (keys names them, keyHint says how to
// fix one) and that it is not too big (bigHint says what to do then), and reports whether it
// is not.
func (k *kubeChecker) data(what, keys, keyHint string, data map[string]string, bigHint string) bool {
	size := 0
	for _, key := range sortedKeys(data) {
		k.invalid(validation.IsConfigMapKey(key), keyHint, keys, key)
		size += len(data[key])
	}
	if size > kubeMaxDataSize {
		k.problem(bigHint, "%s holds %d bytes, more than the %d (1 MiB) the API server accepts", what, size, kubeMaxDataSize)
	}
	return size <= kubeMaxDataSize
}

// expSize writes a byte count for people: 300 B, 12.5 KiB, 1.2 MiB.
func expSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<10)), ".0") + " KiB"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
}
