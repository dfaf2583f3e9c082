package recipes

// The Kubernetes importer: every workload of a manifest (Pod, Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job, CronJob) becomes one pod named after it; ConfigMaps and Secrets
// of the same file feed environment variables and mounted files; Services of type NodePort
// or LoadBalancer publish ports. docs/import.md says how every field maps.

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"

	yaml "go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	sigsyaml "sigs.k8s.io/yaml"
)

// The annotations sidecar reads from a workload or its pod template.
const (
	// KubeMainAnnotation names the container of `containers` that is the pod's main.
	KubeMainAnnotation = "sidecar.dev/main"
	// kubeDefaultContainer is kubectl's default-container annotation, honoured as a fallback.
	kubeDefaultContainer = "kubectl.kubernetes.io/default-container"
)

type kubeImport struct {
	report
	pos  *Positions
	opts Options

	objects map[string]map[string]*kubeData // the ConfigMaps and the Secrets, by kind and name
	pods    []*kubePod                      // in file order

	bad map[string]bool // keys of containers and pods with fields left out as wrong (reported)
	// lost: an object that may be a workload was not made a pod, so the stack is incomplete
	// and not validated (what is missing would be reported as problems of its own).
	lost bool
	// absent: the references to each undefined ConfigMap or Secret ("Kind name"), in the
	// order first met; said: what was warned about once already.
	absent      map[string][]Position
	absentOrder []string
	said        map[string]bool
	names       map[string]bool // the pod names taken (see takeNames and podName)
}

// kubeDoc is one object of the manifest: a document, or an item of a List.
type kubeDoc struct {
	node   *yaml.Node // the object's mapping
	kind   string
	name   string
	prefix string // field path prefix: "" or "items[3]."
	// rejected: the fields (paths without the prefix) left out of the decoding as wrong
	// (reported); validation says nothing more about what holds them.
	rejected []string
}

// kubeData is a ConfigMap's or Secret's keys; partial: some were left out as wrong (reported).
type kubeData struct {
	kind, name string
	data       map[string]string
	at         Position
	partial    bool
	binary     []string // a ConfigMap's binaryData keys, which only volumes read
}

// kubePod is a pod converted from a workload, with what Services need to publish to it.
type kubePod struct {
	pod    *Pod
	labels map[string]string
	// partOf is the app.kubernetes.io/part-of label (see kubeImport.partOf), written at partOfAt.
	partOf   string
	partOfAt Position
	ports    map[string]kubePortRef // every container port, by name and by number
	// unpublished: per container, its ports without a hostPort, in the order written;
	// published: the ports to publish, ordered by their ports entry (see publish).
	unpublished map[*Container][]kubeOpenPort
	published   map[*Container][]placed[Port]
	claims      map[string]string // the claim of each persistentVolumeClaim volume
}

// kubeOpenPort is a container port written without a hostPort, which a Service may publish.
type kubeOpenPort struct {
	index, port int
	protocol    Protocol
	hostIP      string
	taken       bool
	at          Position
}

type kubePortRef struct {
	container *Container
	port      int
}

// importKube imports a Kubernetes manifest, reporting every problem of every object.
func importKube(in *input, opts Options, pos *Positions) importResult {
	k := &kubeImport{report: report{file: in.file}, pos: pos, opts: opts, bad: map[string]bool{},
		objects: map[string]map[string]*kubeData{"ConfigMap": {}, "Secret": {}}, absent: map[string][]Position{}, said: map[string]bool{}}
	k.problems = append(k.problems, in.probs...)
	st := k.run(in.docs)
	sortWarnings(k.warnings)
	if k.lost {
		st = nil
	}
	return importResult{stack: st, report: k.report, bad: k.bad}
}

// warnAt records a warning about the field at path of doc, placed at its key.
func (k *kubeImport) warnAt(d *kubeDoc, path, msg string) {
	k.warn(k.keyAt(d, path), d.prefix+path, msg)
}

// kubeParts splits a field path like "spec.containers[0].image" into node path parts.
func kubeParts(path string) []string {
	var parts []string
	for _, p := range strings.Split(path, ".") {
		for {
			before, rest, open := strings.Cut(p, "[")
			if !open {
				break
			}
			if before != "" {
				parts = append(parts, before)
			}
			index, after, closed := strings.Cut(rest, "]")
			if !closed {
				break
			}
			parts, p = append(parts, index), after
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// at is the position of the value at path (then more parts, which may hold dots) in doc, or
// of the nearest ancestor's key.
func (k *kubeImport) at(d *kubeDoc, path string, more ...string) Position {
	if v := valueAt(d.node, append(kubeParts(path), more...)...); v != nil {
		return posOf(k.file, v)
	}
	return k.keyAt(d, path, more...)
}

// keyAt is the position of the key (or item) at path in doc, or of its nearest ancestor.
func (k *kubeImport) keyAt(d *kubeDoc, path string, more ...string) Position {
	return posOf(k.file, cmp.Or(yamlpos.Near(d.node, append(kubeParts(path), more...)...), d.node))
}

func (k *kubeImport) run(nodes []*yaml.Node) *Stack {
	var docs []*kubeDoc
	for i, n := range nodes {
		docs = append(docs, k.docs(n, "", i+1)...)
	}
	if len(docs) == 0 && len(k.problems) == 0 {
		k.problem(Position{File: k.file}, "the manifest has no objects", "write at least one Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet or Job")
		return nil
	}
	// ConfigMaps and Secrets first, so references to them do not depend on document order.
	for _, d := range docs {
		switch d.kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			if k.decode(d, &cm) {
				if data := k.store(d, cm.Name, cm.Data, kubeText(cm.BinaryData)); data != nil {
					data.binary = sortedKeys(cm.BinaryData)
				}
			}
		case "Secret":
			var s corev1.Secret
			if k.decode(d, &s) {
				k.store(d, s.Name, kubeText(s.Data), s.StringData)
			}
		}
	}
	var services []*kubeDoc
	var tests []*kubeDoc // Helm test hooks, left out
	k.takeNames(docs)
	for _, d := range docs {
		switch d.kind {
		case "ConfigMap", "Secret":
		case "Service":
			services = append(services, d)
		case "PersistentVolumeClaim": // a volume of the pods that mount it (see claims)
		case "Namespace", "ServiceAccount": // the pods' identity: their namespace, their service account
		default:
			if kubeKinds[d.kind].new == nil {
				k.warnAt(d, "kind", fmt.Sprintf("%s %q is not imported: sidecar runs Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs, and reads ConfigMaps, Secrets and Services", d.kind, d.name))
			} else if k.helmTest(d) {
				tests = append(tests, d)
			} else {
				k.workload(d)
			}
		}
	}
	for _, d := range services {
		k.service(d)
	}
	k.helmTests(tests)
	k.reportMissing()
	if len(k.pods) == 0 && len(k.problems) == 0 {
		k.problem(Position{File: k.file}, "the manifest has no workload to run", "add a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob")
		return nil
	}
	st := &Stack{Name: k.stackName(), Dir: stackDir(k.file, k.opts.Dir), Source: Source{File: k.file, Kind: SourceKube}}
	for _, p := range k.pods {
		k.publish(p)
		st.Pods = append(st.Pods, p.pod)
	}
	k.claims(st)
	return st
}

// takeNames takes the workloads' pod names that are DNS labels, so podName makes none of them.
func (k *kubeImport) takeNames(docs []*kubeDoc) {
	k.names = map[string]bool{}
	for _, d := range docs {
		if kubeKinds[d.kind].new == nil {
			continue
		}
		name := d.name
		if d.kind == "StatefulSet" {
			name += "-0"
		}
		if isDNSLabel(name) {
			k.names[name] = true
		}
	}
}

// podName is name, or a DNS label made of a name that is a DNS subdomain only (web.v1: the API
// server takes it, a pod reached by name cannot), with a warning. Validation judges the rest.
func (k *kubeImport) podName(d *kubeDoc, name string) string {
	if isDNSLabel(name) || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return name
	}
	label := dnsLabelUnique(name, "pod", k.names)
	what := fmt.Sprintf("%s %s is", d.kind, name)
	if name != d.name { // a StatefulSet's pod
		what = fmt.Sprintf("the pod %s of %s %s is", name, d.kind, d.name)
	}
	k.warnAt(d, "metadata.name", what+" "+renamedNote(label))
	return label
}

// stackName is Options.Name, else the part-of label all workloads share (a DNS label), else "".
func (k *kubeImport) stackName() string {
	if k.opts.Name != "" {
		return k.opts.Name
	}
	name := ""
	for i, p := range k.pods {
		if p.partOf == "" || (i > 0 && p.partOf != name) {
			return ""
		}
		name = p.partOf
	}
	name = DNSLabel(name)
	if name != "" {
		k.pos.Set("name", k.pods[0].partOfAt)
	}
	return name
}

// publish gives each container its published ports, each in the place of its ports entry.
func (k *kubeImport) publish(kp *kubePod) {
	for c, entries := range kp.published {
		slices.SortStableFunc(entries, byOrder)
		c.Ports = setEntries(k.pos, Field(ContainerKey(kp.pod.Name, c.Name), "ports"), entries)
	}
	// The ports no Service publishes are exposed: reachable from the other pods, as in a cluster.
	for c, open := range kp.unpublished {
		for _, o := range open {
			e := Port{ContainerPort: o.port, Protocol: o.protocol}
			if o.taken || slices.Contains(c.Expose, e) {
				continue
			}
			k.pos.Set(Field(ContainerKey(kp.pod.Name, c.Name), "expose", len(c.Expose)), o.at)
			c.Expose = append(c.Expose, e)
		}
	}
}

// docs returns the objects of one document (several for a List, none for an empty one).
func (k *kubeImport) docs(n *yaml.Node, prefix string, number int) []*kubeDoc {
	if yamlpos.IsNull(n) {
		return nil
	}
	where := fmt.Sprintf("document %d", number)
	if prefix != "" {
		where = strings.TrimSuffix(prefix, ".")
	}
	// An object this reports as a problem may have been a workload: the stack is incomplete.
	before := len(k.problems)
	defer func() {
		if len(k.problems) > before {
			k.lost = true
		}
	}()
	if n.Kind != yaml.MappingNode {
		k.problem(posOf(k.file, n), fmt.Sprintf("%s is %s, not a Kubernetes object", where, yamlpos.KindName(n)), "write a mapping with apiVersion, kind, metadata and spec")
		return nil
	}
	d := &kubeDoc{node: n, prefix: prefix}
	apiVersion, _ := yamlpos.Scalar(yamlpos.Value(n, "apiVersion"))
	d.kind, _ = yamlpos.Scalar(yamlpos.Value(n, "kind"))
	d.name, _ = yamlpos.Scalar(yamlpos.Value(yamlpos.Value(n, "metadata"), "name"))
	if d.kind == "" {
		k.problem(posOf(k.file, n), where+" has no kind", "add kind: Deployment (or Pod, Job, ConfigMap, …)")
		return nil
	}
	if apiVersion == "" {
		k.problem(k.keyAt(d, "kind"), fmt.Sprintf("%s %q has no apiVersion", d.kind, d.name), "add apiVersion: "+kubeKinds[d.kind].apiVersion)
		return nil
	}
	if strings.HasSuffix(d.kind, "List") && apiVersion == "v1" {
		var out []*kubeDoc
		for i, item := range yamlpos.Items(yamlpos.Value(n, "items")) {
			out = append(out, k.docs(item, fmt.Sprintf("%sitems[%d].", prefix, i), number)...)
		}
		return out
	}
	if want := kubeKinds[d.kind].apiVersion; want != "" && apiVersion != want {
		k.warn(k.at(d, "apiVersion"), d.prefix+"apiVersion", fmt.Sprintf("%s is read as %s %s", apiVersion, want, d.kind))
	}
	if d.name == "" && kubeKinds[d.kind].apiVersion != "" && d.kind != "Service" {
		k.problem(k.keyAt(d, "metadata"), fmt.Sprintf("%s has no metadata.name", d.kind), "name it: metadata: {name: web}")
		return nil
	}
	return []*kubeDoc{d}
}

// rejectedUnder reports whether a field at or below path was left out as wrong.
func (d *kubeDoc) rejectedUnder(path string) bool {
	return slices.ContainsFunc(d.rejected, func(r string) bool {
		return r == path || strings.HasPrefix(r, path+".") || strings.HasPrefix(r, path+"[")
	})
}

// kubeExplain words the problem of a value the API's own decoding of its type rejects.
func kubeExplain(t reflect.Type, path string, n *yaml.Node) (msg, hint string) {
	switch t {
	case reflect.TypeFor[resource.Quantity]():
		return fmt.Sprintf("%s: %s is not a quantity", path, yamlpos.Quoted(n)),
			"write a number with an optional suffix, like 500m or 2 for CPU, 128Mi or 1Gi for memory"
	case reflect.TypeFor[intstr.IntOrString]():
		hint := "write a whole number, or a string"
		if strings.HasSuffix(strings.ToLower(path), "port") {
			hint = "write a port number from 1 to 65535, or the name of one of the container's ports"
		}
		return fmt.Sprintf("%s: %s is neither a whole number nor a name", path, yamlpos.Quoted(n)), hint
	}
	return "", ""
}

// kubeKind is a kind sidecar reads: the API version it reads it as and, for a workload, a new
// object to decode it into and whether Kubernetes keeps its pods running (restartPolicy Always).
type kubeKind struct {
	apiVersion string
	new        func() any
	replicated bool
}

var kubeKinds = map[string]kubeKind{
	"ConfigMap": {apiVersion: "v1"}, "Secret": {apiVersion: "v1"}, "Service": {apiVersion: "v1"},
	"Pod":                   {"v1", func() any { return new(corev1.Pod) }, false},
	"ReplicationController": {"v1", func() any { return new(corev1.ReplicationController) }, true},
	"Deployment":            {"apps/v1", func() any { return new(appsv1.Deployment) }, true},
	"StatefulSet":           {"apps/v1", func() any { return new(appsv1.StatefulSet) }, true},
	"DaemonSet":             {"apps/v1", func() any { return new(appsv1.DaemonSet) }, true},
	"ReplicaSet":            {"apps/v1", func() any { return new(appsv1.ReplicaSet) }, true},
	"Job":                   {"batch/v1", func() any { return new(batchv1.Job) }, false},
	"CronJob":               {"batch/v1", func() any { return new(batchv1.CronJob) }, false},
}

// decode checks doc against out's type, then decodes it strictly, leaving out (in d.rejected)
// what the check rejected so the rest is still converted; ok is false if nothing could be.
func (k *kubeImport) decode(d *kubeDoc, out any) (ok bool) {
	shape := yamlpos.Shape{Explain: kubeExplain}
	shape.Check(d.node, reflect.TypeOf(out).Elem(), strings.TrimSuffix(d.prefix, "."))
	for _, is := range shape.Issues {
		k.issue(is)
	}
	node := d.node
	if len(shape.Rejected) > 0 {
		drop := map[*yaml.Node]bool{}
		for _, r := range shape.Rejected {
			if r.Node == d.node {
				return false
			}
			drop[r.Node] = true
			d.rejected = append(d.rejected, strings.TrimPrefix(r.Path, d.prefix))
			if r.Meant != "" {
				// An unknown field is likely a typo of the one meant, which is then missing.
				d.rejected = append(d.rejected, strings.TrimPrefix(r.Meant, d.prefix))
			}
		}
		node = yamlpos.Prune(d.node, drop, nil, true) // list items are nulled: indices, and so positions, stay
	}
	b, err := encodeText(node) // indent 2: see toNode
	if err != nil {
		k.problem(posOf(k.file, d.node), fmt.Sprintf("cannot read %s %q: %v", d.kind, d.name, err), "this is a bug in sidecar: please report it with the manifest")
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			k.problem(posOf(k.file, d.node), fmt.Sprintf("cannot decode %s %q (%v)", d.kind, d.name, r), "this is a bug in sidecar: please report it with the manifest")
			ok = false
		}
	}()
	if err := sigsyaml.UnmarshalStrict(b, out); err != nil {
		msg := strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: ")
		k.problem(posOf(k.file, d.node), fmt.Sprintf("%s %q: %s", d.kind, d.name, msg), "check the field types against the Kubernetes API reference")
		return false
	}
	// A name rejected (not a string) still names the object, for what refers to it.
	if o, ok := out.(metav1.Object); ok && o.GetName() == "" {
		o.SetName(d.name)
	}
	return true
}

func kubeText(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// store keeps a ConfigMap's or Secret's keys (a later part wins) unless its name is taken.
func (k *kubeImport) store(d *kubeDoc, name string, parts ...map[string]string) *kubeData {
	at := k.at(d, "metadata.name")
	if prev, dup := k.objects[d.kind][name]; dup {
		k.problem(at, fmt.Sprintf("%s %q is defined twice (first at %s)", d.kind, name, prev.at), "give each one its own name")
		return nil
	}
	data := &kubeData{kind: d.kind, name: name, data: map[string]string{}, at: at,
		partial: d.rejectedUnder("data") || d.rejectedUnder("binaryData") || d.rejectedUnder("stringData")}
	for _, p := range parts {
		maps.Copy(data.data, p)
	}
	k.objects[d.kind][name] = data
	return data
}

// kubeWorkload is what a pod is made of; claims, name, hostname and subdomain are a
// StatefulSet's (pod and hostname NAME-0, subdomain its serviceName).
type kubeWorkload struct {
	meta                      metav1.ObjectMeta
	tmpl                      corev1.PodTemplateSpec
	specPath                  string
	job                       bool
	claims                    []corev1.PersistentVolumeClaim
	name, hostname, subdomain string
}

// workload converts one workload object into a pod.
func (k *kubeImport) workload(d *kubeDoc) {
	obj := kubeKinds[d.kind].new()
	if !k.decode(d, obj) {
		k.lost = true
		return
	}
	var w kubeWorkload
	switch o := obj.(type) {
	case *corev1.Pod:
		w = kubeWorkload{meta: o.ObjectMeta, tmpl: corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}, specPath: "spec"}
		// A Helm hook bare Pod that is not restarted runs once, as Helm runs it: a job.
		w.job = len(d.helmHooks()) > 0 && o.Spec.RestartPolicy != "" && o.Spec.RestartPolicy != corev1.RestartPolicyAlways
	case *appsv1.Deployment:
		w = k.replicated(d, o.ObjectMeta, o.Spec.Selector, o.Spec.Template, o.Spec.Replicas, kubeDeploymentFields)
	case *appsv1.StatefulSet:
		w = k.replicated(d, o.ObjectMeta, o.Spec.Selector, o.Spec.Template, o.Spec.Replicas, kubeStatefulSetFields)
		w.claims, w.name, w.subdomain = o.Spec.VolumeClaimTemplates, o.Name+"-0", o.Spec.ServiceName
		w.hostname = w.name
	case *appsv1.DaemonSet:
		w = k.replicated(d, o.ObjectMeta, o.Spec.Selector, o.Spec.Template, nil, kubeDaemonSetFields)
	case *appsv1.ReplicaSet:
		w = k.replicated(d, o.ObjectMeta, o.Spec.Selector, o.Spec.Template, o.Spec.Replicas, kubeReplicaSetFields)
	case *corev1.ReplicationController: // ReplicaSet's predecessor, still served by every cluster; no LabelSelector
		tmpl := ptr.Deref(o.Spec.Template, corev1.PodTemplateSpec{})
		w = k.replicated(d, o.ObjectMeta, nil, tmpl, o.Spec.Replicas, kubeReplicaSetFields)
	case *batchv1.Job:
		k.jobFields(d, "spec", o.Spec)
		w = kubeWorkload{meta: o.ObjectMeta, tmpl: o.Spec.Template, specPath: "spec.template.spec", job: true}
	case *batchv1.CronJob:
		k.warnAt(d, "spec.schedule", fmt.Sprintf("CronJob %s runs once, when the stack starts, not on the schedule %q", o.Name, o.Spec.Schedule))
		k.specFields(d, "spec", kubeCronJobFields)
		k.jobFields(d, "spec.jobTemplate.spec", o.Spec.JobTemplate.Spec)
		w = kubeWorkload{meta: o.ObjectMeta, tmpl: o.Spec.JobTemplate.Spec.Template, specPath: "spec.jobTemplate.spec.template.spec", job: true}
	}
	k.pod(d, w)
}

// replicated is a workload whose pod template is spec.template, run as one pod whatever its
// replicas. Its selector is checked, but a ReplicationController's (a plain map).
func (k *kubeImport) replicated(d *kubeDoc, meta metav1.ObjectMeta, sel *metav1.LabelSelector, tmpl corev1.PodTemplateSpec,
	replicas *int32, fields map[string]string) kubeWorkload {
	if d.kind != "ReplicationController" {
		k.selector(d, sel, tmpl)
	}
	if replicas != nil && *replicas > 1 {
		k.warnAt(d, "spec.replicas", fmt.Sprintf("%d replicas run as one pod locally", *replicas))
	}
	k.specFields(d, "spec", fields)
	return kubeWorkload{meta: meta, tmpl: tmpl, specPath: "spec.template.spec"}
}

// specFields warns about the fields of a workload's spec that sidecar does not honour.
func (k *kubeImport) specFields(d *kubeDoc, path string, fields map[string]string) {
	for _, p := range yamlpos.Pairs(valueAt(d.node, kubeParts(path)...)) {
		key := p.Key.Value
		reason, listed := fields[key]
		if slices.Contains(d.rejected, path+"."+key) || listed && reason == "" || kubeEmpty(p.Value) {
			continue // reported as a problem, honoured, or asking for nothing
		}
		if !listed {
			reason = kubeNotHonoured
		}
		k.warn(posOf(k.file, p.Key), d.prefix+path+"."+key, reason)
	}
}

func (k *kubeImport) jobFields(d *kubeDoc, path string, spec batchv1.JobSpec) {
	if spec.Parallelism != nil && *spec.Parallelism > 1 {
		k.warnAt(d, path+".parallelism", fmt.Sprintf("%d pods in parallel run as one pod locally", *spec.Parallelism))
	}
	if spec.Completions != nil && *spec.Completions > 1 {
		k.warnAt(d, path+".completions", fmt.Sprintf("the job runs once locally, not until %d completions", *spec.Completions))
	}
	if spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion {
		k.warnAt(d, path+".completionMode", "the job runs once, as one pod, without a completion index")
	}
	k.specFields(d, path, kubeJobFields)
}

// kubeEmpty reports whether a value asks for nothing: null, false, zero, "", {} or [].
func kubeEmpty(n *yaml.Node) bool {
	if n == nil {
		return true
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		return len(n.Content) == 0
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return true
		case "!!bool":
			return n.Value == "false"
		case "!!int":
			v, err := strconv.ParseInt(n.Value, 0, 64)
			return err == nil && v == 0
		}
		return n.Value == ""
	}
	return false
}

// service publishes a NodePort or LoadBalancer Service's ports on the pod it selects, and
// warns when other pods would not reach the pod as the Service offers it.
func (k *kubeImport) service(d *kubeDoc) {
	var svc corev1.Service
	if !k.decode(d, &svc) {
		return
	}
	var kp *kubePod
	var names []string
	for _, p := range k.pods {
		if kubeSelects(svc.Spec.Selector, p.labels) {
			kp, names = p, append(names, p.pod.Name)
		}
	}
	field, why, more := "kind", "", ""
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		why = "points outside the cluster (ExternalName " + svc.Spec.ExternalName + ")"
	case len(svc.Spec.Selector) == 0:
		why = "selects no pods (no selector)"
	case len(names) == 0:
		field, why = "spec.selector", "selects no workload of this file"
	case len(names) > 1:
		field, why, more = "spec.selector", "selects several workloads ("+strings.Join(names, ", ")+")", ": pods reach each other by pod name"
	}
	if why != "" {
		k.warnAt(d, field, fmt.Sprintf("Service %s %s; it is not imported%s", svc.Name, why, more))
		return
	}
	publish := svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
	var renamed []string
	for i, sp := range svc.Spec.Ports {
		path := fmt.Sprintf("spec.ports[%d]", i)
		target := int(sp.Port)
		container := kp.pod.Main
		switch {
		case sp.TargetPort.IntValue() > 0:
			target = sp.TargetPort.IntValue()
		case sp.TargetPort.StrVal != "":
			ref, ok := kp.ports[sp.TargetPort.StrVal]
			if !ok {
				k.problem(k.at(d, path+".targetPort"), fmt.Sprintf("Service %s targets port %q, which no container of %s names", svc.Name, sp.TargetPort.StrVal, kp.pod.Name),
					"name the port in the container's ports, or give the port number")
				continue
			}
			target, container = ref.port, ref.container
		}
		if ref, ok := kp.ports[strconv.Itoa(target)]; ok {
			container = ref.container
		}
		if target != int(sp.Port) {
			renamed = append(renamed, fmt.Sprintf("%d → %d", sp.Port, target))
		}
		proto, ok := k.protocol(d, path+".protocol", sp.Protocol)
		if !ok || !publish {
			continue
		}
		host := int(sp.Port)
		if svc.Spec.Type == corev1.ServiceTypeNodePort {
			host = int(sp.NodePort) // 0: the engine picks one, as the cluster would
		}
		if slices.ContainsFunc(kp.published[container], func(q placed[Port]) bool {
			return q.v.HostPort == host && q.v.ContainerPort == target && q.v.Protocol == proto
		}) {
			continue
		}
		order, hostIP := kp.claimPort(container, target, proto)
		port := Port{HostIP: hostIP, HostPort: host, ContainerPort: target, Protocol: proto}
		kp.published[container] = append(kp.published[container], placed[Port]{port, k.keyAt(d, path), order})
	}
	// A Service named after the pod, or one sidecar's export adds beside it, is the pod's own.
	ownName := svc.Name == kp.pod.Name || svc.Annotations[KubeAnnotationNodePortOf] == kp.pod.Name ||
		svc.Name == kp.pod.Subdomain && svc.Annotations[KubeAnnotationSubdomainOf] == kp.pod.Name
	if !ownName || len(renamed) > 0 {
		msg := fmt.Sprintf("other pods reach %s by its pod name %s, at its container ports", kp.pod.Name, kp.pod.Name)
		if svc.Name == kp.pod.Subdomain { // a StatefulSet's governing Service
			msg = fmt.Sprintf("other pods reach %s as %s.%s or %s, at its container ports", kp.pod.Name, kp.pod.Hostname, svc.Name, kp.pod.Name)
		}
		if !ownName {
			msg += fmt.Sprintf(", not as %s", svc.Name)
		}
		if len(renamed) > 0 {
			msg += "; the Service's port mapping (" + strings.Join(renamed, ", ") + ") does not apply between pods"
		}
		k.warnAt(d, "metadata.name", msg)
	}
}

// claimPort takes the first open port of c a Service publishes, returning its sort key (its
// entry's index, else after every entry) and its hostIP.
func (kp *kubePod) claimPort(c *Container, port int, proto Protocol) (order int, hostIP string) {
	open := kp.unpublished[c]
	for i := range open {
		if !open[i].taken && open[i].port == port && open[i].protocol == proto {
			open[i].taken = true
			return open[i].index, open[i].hostIP
		}
	}
	return math.MaxInt32, ""
}

// protocol reads a port's protocol (TCP when left out); another value is a problem at path.
func (k *kubeImport) protocol(d *kubeDoc, path string, p corev1.Protocol) (Protocol, bool) {
	var proto Protocol
	switch p {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		// The API server takes these only as written: tcp is refused.
		err := proto.UnmarshalText([]byte(strings.ToLower(cmp.Or(string(p), "tcp"))))
		return proto, err == nil
	}
	if up := strings.ToUpper(string(p)); up == "TCP" || up == "UDP" || up == "SCTP" {
		k.problem(k.at(d, path), fmt.Sprintf("port protocol %q must be written in capitals", yamlpos.Clip(string(p))), "write protocol: "+up)
		return proto, false
	}
	k.problem(k.at(d, path), fmt.Sprintf("port protocol %q is not one Kubernetes knows", yamlpos.Clip(string(p))),
		kubeSuggest(string(p), []string{"TCP", "UDP", "SCTP"}, "use TCP, UDP or SCTP, or leave protocol out for TCP"))
	return proto, false
}

func kubeSelects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
