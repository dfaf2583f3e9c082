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

	"github.com/sidecar-dev/sidecar/internal/suggest"
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

	// bad holds the keys of containers and pods with fields left out as wrong (reported).
	bad map[string]bool
	// lost is set when an object that may be a workload could not be made a pod: the stack
	// is then incomplete, and validating it would report what is missing as problems of
	// their own (a pod depending on the lost one, say), so it is not validated.
	lost bool
	// absent holds the references to each ConfigMap or Secret ("Kind name") the file does
	// not define, in the order first met; said marks what was warned about once already.
	absent      map[string][]Position
	absentOrder []string
	said        map[string]bool
	// names holds the pod names taken: those of the file's workloads that are DNS labels,
	// and those made DNS labels of the others (see podName).
	names map[string]bool
}

// kubeDoc is one object of the manifest: a document, or an item of a List.
type kubeDoc struct {
	node   *yaml.Node // the object's mapping
	kind   string
	name   string
	prefix string // field path prefix: "" or "items[3]."
	// rejected lists the fields (paths without the prefix) that were left out of the
	// decoding because they are wrong (reported): validation says nothing more about what
	// holds them.
	rejected []string
}

// kubeData is a ConfigMap's or Secret's keys. partial is set when some of them were left
// out as wrong (reported): a key it lacks may be one of those.
type kubeData struct {
	kind, name string
	data       map[string]string
	at         Position
	partial    bool
	// binary lists a ConfigMap's binaryData keys, which only volumes read.
	binary []string
}

// kubePod is a pod converted from a workload, with what Services need to publish to it.
type kubePod struct {
	pod    *Pod
	labels map[string]string
	// partOf is the app.kubernetes.io/part-of label (workload, else pod template), and where
	// it was written.
	partOf   string
	partOfAt Position
	// ports names every container port of the pod: "name" → container and port.
	ports map[string]kubePortRef
	// unpublished lists, per container, its container ports without a hostPort, in the
	// order written; published, the ports to publish on it, each sorted by the index of
	// the ports entry it comes from, so that ports a Service publishes take the place
	// their container port holds.
	unpublished map[*Container][]kubeOpenPort
	published   map[*Container][]placed[Port]
	// claims names the claim of each of its persistentVolumeClaim volumes.
	claims map[string]string
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
			i := strings.IndexByte(p, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				parts = append(parts, p[:i])
			}
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				break
			}
			parts = append(parts, p[i+1:i+j])
			p = p[i+j+1:]
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// at is the position of the value at path in doc (more parts, which may hold dots, follow
// the path), or of the nearest ancestor's key.
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
		case "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob":
			if k.helmTest(d) {
				tests = append(tests, d)
				continue
			}
			k.workload(d)
		case "PersistentVolumeClaim": // a volume of the pods that mount it (see claims)
		case "Namespace", "ServiceAccount": // the pods' identity: their namespace, their service account
		default:
			k.warnAt(d, "kind", fmt.Sprintf("%s %q is not imported: sidecar runs Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs, and reads ConfigMaps, Secrets and Services", d.kind, d.name))
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

// takeNames takes the pod names the workloads of docs are given as written, so that a name
// made a DNS label (see podName) is not one of them.
func (k *kubeImport) takeNames(docs []*kubeDoc) {
	k.names = map[string]bool{}
	for _, d := range docs {
		if _, ok := kubeWorkloadKinds[d.kind]; !ok {
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

// podName is the pod's name: name, or, when it is a DNS subdomain but not a DNS label
// (web.v1, which the API server takes for a workload and sidecar cannot for a pod, reached
// by that name), a DNS label made of it, with a warning. A name that is not a subdomain
// either is left as it is: validation says what is wrong with it.
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

// stackName is Options.Name; else the app.kubernetes.io/part-of label every workload has
// alike, made a DNS label as a directory's name is; else "" (the directory's name).
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
	name = dnsLabelFrom(name)
	if name != "" {
		k.pos.Set("name", k.pods[0].partOfAt)
	}
	return name
}

// publish gives each container its published ports in the order of its ports list: a port
// a Service publishes takes the place of the container port it targets.
func (k *kubeImport) publish(kp *kubePod) {
	for c, entries := range kp.published {
		slices.SortStableFunc(entries, byOrder)
		c.Ports = setEntries(k.pos, Field(ContainerKey(kp.pod.Name, c.Name), "ports"), entries)
	}
	// The container ports no Service publishes are declared: reachable from the other pods
	// (as in a cluster through the pod's Service), and exported again.
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

// docs returns the objects of one document (several for a List). Documents that are empty
// are skipped; anything that is not an object is a problem.
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
		k.problem(k.keyAt(d, "kind"), fmt.Sprintf("%s %q has no apiVersion", d.kind, d.name), "add apiVersion: "+kubeAPIVersion[d.kind])
		return nil
	}
	if strings.HasSuffix(d.kind, "List") && apiVersion == "v1" {
		var out []*kubeDoc
		for i, item := range yamlpos.Items(yamlpos.Value(n, "items")) {
			out = append(out, k.docs(item, fmt.Sprintf("%sitems[%d].", prefix, i), number)...)
		}
		return out
	}
	if want, known := kubeAPIVersion[d.kind]; known && apiVersion != want {
		k.warn(k.at(d, "apiVersion"), d.prefix+"apiVersion", fmt.Sprintf("%s is read as %s %s", apiVersion, want, d.kind))
	}
	if d.name == "" && kubeAPIVersion[d.kind] != "" && d.kind != "Service" {
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

// kubeAPIVersion is the API version sidecar reads each kind as.
var kubeAPIVersion = map[string]string{
	"Pod": "v1", "ConfigMap": "v1", "Secret": "v1", "Service": "v1", "ReplicationController": "v1",
	"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
	"Job": "batch/v1", "CronJob": "batch/v1",
}

// decode checks doc against out's type, placing every unknown field and value of the wrong
// kind, then decodes it strictly with sigs.k8s.io/yaml. What the check rejected is left out
// of the decoding (and listed in d.rejected), so that the rest of the object is still
// converted and checked; ok is false only when the object could not be decoded at all.
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
				// An unknown field is most likely a typo of the field the hint names: what
				// that field makes is missing.
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
	// A name rejected for not being a string (reported) still names the object as written,
	// so that what refers to it finds it.
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

// store keeps a ConfigMap's or Secret's keys (those of a later part win), unless its name
// is taken; it returns what it keeps.
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

// kubeWorkload is what the importer takes from a workload: its metadata, its pod template
// and the path of its PodSpec, whether it runs to completion, and a StatefulSet's claim
// templates and identity (pod and hostname NAME-0, subdomain its serviceName).
type kubeWorkload struct {
	meta                      metav1.ObjectMeta
	tmpl                      corev1.PodTemplateSpec
	specPath                  string
	job                       bool
	claims                    []corev1.PersistentVolumeClaim
	name, hostname, subdomain string
}

// kubeWorkloadKinds makes, for each workload kind, the object it is decoded into.
var kubeWorkloadKinds = map[string]func() any{
	"Pod":                   func() any { return new(corev1.Pod) },
	"Deployment":            func() any { return new(appsv1.Deployment) },
	"StatefulSet":           func() any { return new(appsv1.StatefulSet) },
	"DaemonSet":             func() any { return new(appsv1.DaemonSet) },
	"ReplicaSet":            func() any { return new(appsv1.ReplicaSet) },
	"ReplicationController": func() any { return new(corev1.ReplicationController) },
	"Job":                   func() any { return new(batchv1.Job) },
	"CronJob":               func() any { return new(batchv1.CronJob) },
}

// workload converts one workload object into a pod, warning about what its spec asks for
// that sidecar does not honour.
func (k *kubeImport) workload(d *kubeDoc) {
	obj := kubeWorkloadKinds[d.kind]()
	if !k.decode(d, obj) {
		k.lost = true
		return
	}
	var w kubeWorkload
	switch o := obj.(type) {
	case *corev1.Pod:
		w = kubeWorkload{meta: o.ObjectMeta, tmpl: corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}, specPath: "spec"}
		// A Helm hook that is a bare Pod which is not restarted runs once, as Helm runs it:
		// a job, whose end does not end the stack.
		w.job = len(d.helmHooks()) > 0 && o.Spec.RestartPolicy != "" && o.Spec.RestartPolicy != corev1.RestartPolicyAlways
	case *appsv1.Deployment:
		k.selector(d, o.Spec.Selector, o.Spec.Template)
		w = k.replicated(d, o.ObjectMeta, o.Spec.Template, o.Spec.Replicas, kubeDeploymentFields)
	case *appsv1.StatefulSet:
		k.selector(d, o.Spec.Selector, o.Spec.Template)
		w = k.replicated(d, o.ObjectMeta, o.Spec.Template, o.Spec.Replicas, kubeStatefulSetFields)
		w.claims, w.name, w.subdomain = o.Spec.VolumeClaimTemplates, o.Name+"-0", o.Spec.ServiceName
		w.hostname = w.name
	case *appsv1.DaemonSet:
		k.selector(d, o.Spec.Selector, o.Spec.Template)
		w = k.replicated(d, o.ObjectMeta, o.Spec.Template, nil, kubeDaemonSetFields)
	case *appsv1.ReplicaSet:
		k.selector(d, o.Spec.Selector, o.Spec.Template)
		w = k.replicated(d, o.ObjectMeta, o.Spec.Template, o.Spec.Replicas, kubeReplicaSetFields)
	case *corev1.ReplicationController: // ReplicaSet's predecessor, still served by every cluster
		w = k.replicated(d, o.ObjectMeta, ptr.Deref(o.Spec.Template, corev1.PodTemplateSpec{}), o.Spec.Replicas, kubeReplicaSetFields)
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
// replicas.
func (k *kubeImport) replicated(d *kubeDoc, meta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, replicas *int32, fields map[string]string) kubeWorkload {
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

// service publishes the ports of a NodePort or LoadBalancer Service on the pod it selects,
// and warns when other pods would not find the workload the way the Service offers it.
func (k *kubeImport) service(d *kubeDoc) {
	var svc corev1.Service
	if !k.decode(d, &svc) {
		return
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		k.warnAt(d, "kind", fmt.Sprintf("Service %s points outside the cluster (ExternalName %s); it is not imported", svc.Name, svc.Spec.ExternalName))
		return
	}
	if len(svc.Spec.Selector) == 0 {
		k.warnAt(d, "kind", fmt.Sprintf("Service %s selects no pods (no selector); it is not imported", svc.Name))
		return
	}
	var kp *kubePod
	var names []string
	for _, p := range k.pods {
		if kubeSelects(svc.Spec.Selector, p.labels) {
			kp, names = p, append(names, p.pod.Name)
		}
	}
	switch {
	case len(names) == 0:
		k.warnAt(d, "spec.selector", fmt.Sprintf("Service %s selects no workload of this file; it is not imported", svc.Name))
		return
	case len(names) > 1:
		k.warnAt(d, "spec.selector", fmt.Sprintf("Service %s selects several workloads (%s); it is not imported: pods reach each other by pod name", svc.Name, strings.Join(names, ", ")))
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
	// The NodePort Service sidecar's export makes next to the pod's own Service publishes
	// ports, and no pod calls it by its name.
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

// claimPort finds the container port a Service publishes on container c: the first one
// written for it without a hostPort that no other Service port took yet. It returns the
// port's sort key (that entry's index, else after every entry of the container's ports
// list) and the entry's hostIP, the host address to publish on.
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
	hint := "use TCP, UDP or SCTP, or leave protocol out for TCP"
	if up := strings.ToUpper(string(p)); up == "TCP" || up == "UDP" || up == "SCTP" {
		k.problem(k.at(d, path), fmt.Sprintf("port protocol %q must be written in capitals", yamlpos.Clip(string(p))), "write protocol: "+up)
		return proto, false
	}
	if s := suggest.DidYouMean(string(p), []string{"TCP", "UDP", "SCTP"}); s != "" {
		hint = s + " (" + hint + ")"
	}
	k.problem(k.at(d, path), fmt.Sprintf("port protocol %q is not one Kubernetes knows", yamlpos.Clip(string(p))), hint)
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
