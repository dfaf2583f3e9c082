package recipes

// From a Kubernetes pod template to a pod: roles, containers, environment, probes, volumes.

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"path"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/internal/suggest"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"

	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// kubeVol is how a pod's volume is mounted: a pod volume, or a host path (hostPath).
type kubeVol struct {
	bind     bool
	hostPath string
	// mustExist: a hostPath type other than "" and DirectoryOrCreate, as the kubelet checks
	// (FileOrCreate too: the engine would create a directory).
	mustExist bool
	readOnly  bool // configMap, secret and projected volumes are mounted read-only
}

type kubeCtx struct {
	d        *kubeDoc
	kp       *kubePod
	meta     metav1.ObjectMeta // the workload's
	tmplMeta metav1.ObjectMeta // the pod template's
	spec     corev1.PodSpec
	sp       string // path of the PodSpec
	vols     map[string]kubeVol
	downward []kubeDownward
}

// pod converts a pod template into a pod named after the workload.
func (k *kubeImport) pod(d *kubeDoc, w kubeWorkload) {
	meta, tmpl, sp, spec := w.meta, w.tmpl, w.specPath, w.tmpl.Spec
	name := k.podName(d, cmp.Or(w.name, meta.Name))
	if w.hostname != "" {
		w.hostname = name // a StatefulSet's pod's hostname is the pod's name
	}
	// Kubernetes puts every container of a pod in one IPC namespace.
	pod := &Pod{Name: name, ShareIPC: true, Job: w.job, Namespace: meta.Namespace,
		Hostname: cmp.Or(spec.Hostname, w.hostname), Subdomain: cmp.Or(spec.Subdomain, w.subdomain),
		ServiceAccount: cmp.Or(spec.ServiceAccountName, spec.DeprecatedServiceAccount),
		Labels:         tmpl.Labels, Annotations: tmpl.Annotations}
	pk := PodKey(pod.Name)
	k.pos.Set(pk, k.at(d, "metadata.name"))
	kp := &kubePod{pod: pod, labels: tmpl.Labels, ports: map[string]kubePortRef{},
		unpublished: map[*Container][]kubeOpenPort{}, published: map[*Container][]placed[Port]{}, claims: map[string]string{}}
	cx := &kubeCtx{d: d, kp: kp, meta: meta, tmplMeta: tmpl.ObjectMeta, spec: spec, sp: sp}
	k.partOf(cx)
	k.dependsOn(cx)

	k.specFields(d, sp, kubePodSpecFields)
	k.securityFields(d, sp+".securityContext")
	k.podFields(cx)
	k.podChecks(cx)
	pod.SharePID = ptr.Deref(spec.ShareProcessNamespace, false)
	if g := spec.TerminationGracePeriodSeconds; g != nil {
		field := d.prefix + sp + ".terminationGracePeriodSeconds"
		at := k.at(d, sp+".terminationGracePeriodSeconds")
		switch {
		case *g < 0:
			k.problem(at, fmt.Sprintf("%s must not be negative, found %d", field, *g),
				"write the seconds the pod's containers get to stop, 0 or more, e.g. 30")
		case *g > kubeMaxSeconds:
			k.problem(at, fmt.Sprintf("%s is %d, longer than sidecar can wait: at most %d seconds (about 292 years)", field, *g, kubeMaxSeconds),
				"write the seconds the pod's containers get to stop, e.g. 30")
		default:
			// 0 asks for an immediate kill; a zero budget would mean "the default" here.
			pod.StopGrace = max(Duration(time.Duration(*g)*time.Second), Duration(time.Millisecond))
			k.pos.Set(Field(pk, "stop_grace"), at)
		}
	}
	cx.vols = k.volumes(cx)

	if len(spec.Containers) == 0 {
		k.problem(k.keyAt(d, sp+".containers"), fmt.Sprintf("%s %q has no containers", d.kind, d.name), "add the application's container under containers:")
		k.lost = true
		return
	}
	mainIdx := k.mainIndex(cx)
	mainRestart, initRestart := k.restartPolicies(cx, w.job)
	// The model runs every init container before the first sidecar starts: one listed after
	// a native sidecar (which Kubernetes starts first) keeps its place, with a warning.
	var nativeBefore []string
	for i, c := range spec.InitContainers {
		p := fmt.Sprintf("%s.initContainers[%d]", sp, i)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			pod.Sidecars = append(pod.Sidecars, k.container(cx, p, c, RoleSidecar, RestartDefault))
			nativeBefore = append(nativeBefore, c.Name)
			continue
		}
		if len(nativeBefore) > 0 {
			what := "the native sidecar " + andList(nativeBefore)
			if len(nativeBefore) > 1 {
				what = "the native sidecars " + andList(nativeBefore)
			}
			k.warnAt(d, p, fmt.Sprintf(
				"init container %s is listed after %s, which Kubernetes starts before running it; sidecar runs every init container before any sidecar starts, so %s runs first, without %s",
				c.Name, what, c.Name, andList(nativeBefore)))
		}
		pod.Init = append(pod.Init, k.container(cx, p, c, RoleInit, initRestart))
	}
	for i, c := range spec.Containers {
		p := fmt.Sprintf("%s.containers[%d]", sp, i)
		if i == mainIdx {
			continue
		}
		if w.job {
			k.warnAt(d, p, fmt.Sprintf("%s is not the Job's main container (%s), so it runs as a sidecar: restarted when it exits, and stopped when main completes", c.Name, spec.Containers[mainIdx].Name))
		}
		pod.Sidecars = append(pod.Sidecars, k.container(cx, p, c, RoleSidecar, RestartDefault))
	}
	pod.Main = k.container(cx, fmt.Sprintf("%s.containers[%d]", sp, mainIdx), spec.Containers[mainIdx], RoleMain, mainRestart)
	k.gateReady(cx)
	for _, dv := range cx.downward {
		k.downwardFiles(cx, dv)
	}
	// The pod's labels and annotations are kept for the downward API variables that read them.
	read := func(field string) bool {
		return slices.ContainsFunc(pod.Containers(), func(c *Container) bool {
			return slices.ContainsFunc(c.EnvRefs, func(r EnvRef) bool { return strings.HasPrefix(r.Field, field) })
		})
	}
	if !read(FieldLabels) {
		pod.Labels = nil
	}
	if !read(FieldAnnotations) {
		pod.Annotations = nil
	}
	for i, c := range w.claims { // a StatefulSet's volume claim templates are pod volumes too
		path := fmt.Sprintf("spec.volumeClaimTemplates[%d]", i)
		if pod.Volume(c.Name) == nil {
			pod.Volumes = append(pod.Volumes, &Volume{Name: c.Name})
			k.pos.Set(VolumeKey(pod.Name, c.Name), k.at(d, path+".metadata.name"))
		}
		k.warnAt(d, path, fmt.Sprintf("claim %s becomes a pod volume, created empty by sidecar up and removed by sidecar down", c.Name))
	}
	sort.SliceStable(pod.Volumes, func(a, b int) bool { return pod.Volumes[a].Name < pod.Volumes[b].Name })
	k.duplicateNames(cx)
	k.injection(cx)
	k.markRejected(cx)
	k.pods = append(k.pods, kp)
}

// kubeProbeFields maps a probe's fields to the model probe's.
var kubeProbeFields = map[string]string{
	"periodSeconds": "period", "timeoutSeconds": "timeout", "failureThreshold": "retries",
	"initialDelaySeconds": "start_period", "exec": "exec",
	"httpGet.port": "http/port", "httpGet.path": "http/path", "httpGet.scheme": "http/scheme",
	"tcpSocket.port": "tcp/port",
}

// kubeModelFieldsOf maps a field path below a container (at least three parts, padded with
// "") to the model fields it makes.
func kubeModelFieldsOf(parts []string) []string {
	fields := kubeModelFields[parts[0]]
	sub := cmp.Or(kubeProbeFields[parts[1]], kubeProbeFields[parts[1]+"."+parts[2]])
	if !strings.HasSuffix(parts[0], "Probe") || sub == "" {
		return fields
	}
	return mapWords(fields, func(f string) string { return f + "/" + sub })
}

// kubeModelFields maps the container fields whose absence validation would report to the
// model fields they make (the conversion leaves out an entry of a list with a rejected field).
var kubeModelFields = map[string][]string{
	"name":           {""},
	"image":          {"image"},
	"readinessProbe": {"ready"},
	"livenessProbe":  {"live"},
	"startupProbe":   {"startup"},
	"lifecycle":      {"post_start", "pre_stop"},
	"resources":      {"resources"},
}

// markRejected marks the model fields made from fields left out as wrong (reported), so that
// validation does not report them missing.
func (k *kubeImport) markRejected(cx *kubeCtx) {
	pod := cx.kp.pod
	for _, r := range cx.d.rejected {
		rest, inSpec := strings.CutPrefix(r, cx.sp+".")
		if !inSpec {
			continue // outside the pod spec: nothing validation judges
		}
		parts := append(kubeParts(rest), "", "", "") // list, index, then the field's parts
		list := cx.spec.Containers
		switch parts[0] {
		case "volumes":
			for _, c := range pod.Containers() {
				k.bad[Field(ContainerKey(pod.Name, c.Name), "volumes")] = true
			}
			continue
		case "terminationGracePeriodSeconds":
			k.bad[Field(PodKey(pod.Name), "stop_grace")] = true
			continue
		case "initContainers":
			list = cx.spec.InitContainers
		case "containers":
		default:
			continue
		}
		i, err := strconv.Atoi(parts[1])
		if err != nil || i >= len(list) { // the list itself
			k.bad[PodKey(pod.Name)] = true
			continue
		}
		cks := []string{ContainerKey(pod.Name, list[i].Name)}
		if list[i].Name == "" && pod.Main.Name == "" { // its name rejected: normalise names main
			cks = append(cks, ContainerKey(pod.Name, DefaultMainName))
		}
		for _, ck := range cks {
			if parts[2] == "" {
				k.bad[ck] = true
			}
			for _, mf := range kubeModelFieldsOf(parts[2:]) {
				k.bad[strings.TrimSuffix(Field(ck, mf), "/")] = true
			}
		}
	}
}

// kubeMaxSeconds is the longest time, in seconds, that a Duration holds.
const kubeMaxSeconds = int64(math.MaxInt64 / int64(time.Second))

func (cx *kubeCtx) templateMeta() string {
	if cx.d.kind == "Pod" {
		return "metadata"
	}
	return strings.TrimSuffix(cx.sp, ".spec") + ".metadata"
}

// mainIndex picks main: the container the sidecar.dev/main annotation names, else kubectl's
// default-container, else the first that is not a well-known sidecar.
func (k *kubeImport) mainIndex(cx *kubeCtx) int {
	for _, key := range []string{KubeMainAnnotation, kubeDefaultContainer} {
		name, at, ok := k.annotation(cx, key)
		if !ok {
			continue
		}
		var names []string
		for i, c := range cx.spec.Containers {
			if c.Name == name {
				return i
			}
			names = append(names, c.Name)
		}
		hint := cmp.Or(suggest.DidYouMean(name, names), "name one of the containers: "+strings.Join(names, ", "))
		what := "which is not one of the pod's containers"
		for _, c := range cx.spec.InitContainers {
			if c.Name != name {
				continue
			}
			what = "an init container; main is one of the pod's containers (spec.containers)"
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				what = "a native sidecar (an init container with restartPolicy: Always), which cannot be main; main is one of the pod's containers (spec.containers)"
			}
			hint = "name one of them: " + strings.Join(names, ", ")
		}
		k.problem(at, fmt.Sprintf("annotation %s names %q, %s", key, name, what), hint)
		return 0
	}
	var apps []string
	first := 0
	for i, c := range cx.spec.Containers {
		if !isKnownSidecar(c.Name, c.Image) {
			if apps = append(apps, c.Name); len(apps) == 1 {
				first = i
			}
		}
	}
	// A name used twice is a problem of its own (validation's), which says what to do.
	if len(apps) > 1 && len(slices.Compact(slices.Sorted(slices.Values(apps)))) == len(apps) && cx.d.kind != "Job" && cx.d.kind != "CronJob" { // a Job's is said in pod()
		k.warnAt(cx.d, cx.sp+".containers", fmt.Sprintf("pod %s could have %s as main; %s, the first, was chosen: name the main container with the annotation %s: NAME (or %s)",
			cx.kp.pod.Name, andList(apps), apps[0], kubeDefaultContainer, KubeMainAnnotation))
	}
	return first
}

// partOf records the workload's app.kubernetes.io/part-of label, else its pod template's.
func (k *kubeImport) partOf(cx *kubeCtx) {
	if v := cx.meta.Labels[KubeLabelPartOf]; v != "" {
		cx.kp.partOf, cx.kp.partOfAt = v, k.at(cx.d, "metadata.labels", KubeLabelPartOf)
	} else if v := cx.tmplMeta.Labels[KubeLabelPartOf]; v != "" {
		cx.kp.partOf, cx.kp.partOfAt = v, k.at(cx.d, cx.templateMeta()+".labels", KubeLabelPartOf)
	}
}

// dependsOn reads the sidecar.dev/depends-on annotation: the pods this one waits for, each
// NAME (its main ready) or NAME:CONDITION. Validation reports names of pods not in the file.
func (k *kubeImport) dependsOn(cx *kubeCtx) {
	pod := cx.kp.pod
	entries, at := k.annotationList(cx, KubeAnnotationDependsOn)
	for _, entry := range entries {
		name, cond, hasCond := strings.Cut(entry, ":")
		name = strings.TrimSpace(name)
		if !isDNSLabel(name) {
			what := fmt.Sprintf("%q, which is not a pod name", yamlpos.Clip(name))
			if name == "" {
				what = "an empty pod name"
			}
			k.problem(at, fmt.Sprintf("annotation %s of %s %q holds %s", KubeAnnotationDependsOn, cx.d.kind, cx.d.name, what),
				"list the names of the workloads this one waits for, separated by commas, e.g. db,cache:started")
			continue
		}
		dep := PodDep{Pod: name}
		if hasCond {
			cond = strings.TrimSpace(cond)
			if err := dep.Condition.UnmarshalText([]byte(cond)); err != nil {
				hint := "write NAME (its main ready), NAME:started (its main started) or NAME:completed (a job completed), e.g. db,cache:started"
				if sg := didYouMean(cond, depConditionNames.names); sg != "" {
					hint = fmt.Sprintf("did you mean %q? (%s)", name+":"+sg, hint)
				}
				k.problem(at, fmt.Sprintf("annotation %s of %s %q gives %s the condition %q, which is not one of ready, started, completed",
					KubeAnnotationDependsOn, cx.d.kind, cx.d.name, name, yamlpos.Clip(cond)), hint)
				continue
			}
		}
		k.pos.Set(Field(PodKey(pod.Name), "depends_on", len(pod.DependsOn)), at)
		pod.DependsOn = append(pod.DependsOn, dep)
	}
}

// gateReady reads the sidecar.dev/gate-ready annotation sidecar's export writes: the sidecars
// whose readiness gates the next container's start. A startupProbe equal to their
// readinessProbe is the export's copy for the kubelet to gate on, not a probe of their own.
func (k *kubeImport) gateReady(cx *kubeCtx) {
	pod := cx.kp.pod
	entries, at := k.annotationList(cx, KubeAnnotationGateReady)
	var names []string
	for _, c := range pod.Sidecars {
		names = append(names, c.Name)
	}
	for _, name := range entries {
		c := pod.Container(name)
		if c == nil || c.Role != RoleSidecar {
			hint := "list the sidecars whose readiness the next container's start waits for, separated by commas"
			if len(names) > 0 {
				hint += ": " + strings.Join(names, ", ")
			}
			hint = cmp.Or(suggest.DidYouMean(name, names), hint)
			k.problem(at, fmt.Sprintf("annotation %s of %s %q names %q, which is not a sidecar of the pod", KubeAnnotationGateReady, cx.d.kind, cx.d.name, yamlpos.Clip(name)), hint)
			continue
		}
		c.Gate = GateReady
		k.pos.Set(Field(ContainerKey(pod.Name, c.Name), "gate"), at)
		if c.Startup != nil && c.Ready != nil && reflect.DeepEqual(c.Startup, c.Ready) {
			c.Startup = nil
		}
	}
	if pod.Annotations != nil {
		delete(pod.Annotations, KubeAnnotationGateReady) // sidecar's own, read here
	}
}

// annotation is the annotation key of the pod template, else of the workload, and where it
// is written.
func (k *kubeImport) annotation(cx *kubeCtx, key string) (string, Position, bool) {
	if v, ok := cx.tmplMeta.Annotations[key]; ok {
		return v, k.at(cx.d, cx.templateMeta()+".annotations", key), true
	}
	v, ok := cx.meta.Annotations[key]
	return v, k.at(cx.d, "metadata.annotations", key), ok
}

// annotationList is the annotation key's entries, separated by commas and trimmed (none when
// it is blank), and where it is written.
func (k *kubeImport) annotationList(cx *kubeCtx, key string) ([]string, Position) {
	v, at, _ := k.annotation(cx, key)
	if strings.TrimSpace(v) == "" {
		return nil, at
	}
	return mapWords(strings.Split(v, ","), strings.TrimSpace), at
}

// restartPolicies maps the pod's restartPolicy to main's restart and to init containers'
// (retried unless it is Never). A wrong one is reported, and the default used.
func (k *kubeImport) restartPolicies(cx *kubeCtx, job bool) (main, init RestartPolicy) {
	at := k.at(cx.d, cx.sp+".restartPolicy")
	rp := cx.spec.RestartPolicy
	if job && rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure {
		has := fmt.Sprintf("has restartPolicy %q", yamlpos.Clip(string(rp)))
		if rp == "" {
			has = "has no restartPolicy, so it is Always (the default)"
		}
		k.problem(at, fmt.Sprintf("the pod template of %s %q %s", cx.d.kind, cx.d.name, has),
			"a Job's pods must have restartPolicy: Never or OnFailure")
		return RestartNever, RestartNever
	}
	if kubeKinds[cx.d.kind].replicated && rp != "" && rp != corev1.RestartPolicyAlways {
		k.problem(at, fmt.Sprintf("the pod template of %s %q has restartPolicy %q, but a %s's pods must have restartPolicy: Always", cx.d.kind, cx.d.name, yamlpos.Clip(string(rp)), cx.d.kind),
			"remove restartPolicy (Always is the default); to run the pod to completion, make it a Job")
		return RestartAlways, RestartOnFailure
	}
	switch rp {
	case "", corev1.RestartPolicyAlways:
		return RestartAlways, RestartOnFailure
	case corev1.RestartPolicyOnFailure:
		return RestartOnFailure, RestartOnFailure
	case corev1.RestartPolicyNever:
		return RestartNever, RestartNever
	}
	k.problem(at, fmt.Sprintf("unknown restartPolicy %q", yamlpos.Clip(string(rp))),
		kubeSuggest(string(rp), []string{"Always", "OnFailure", "Never"}, "use Always, OnFailure or Never"))
	return RestartAlways, RestartOnFailure
}

// record records the position of the value at path under key, when path is written in doc.
func (k *kubeImport) record(d *kubeDoc, key, path string) {
	if yamlpos.Find(d.node, kubeParts(path)...) != nil {
		k.pos.Set(key, k.at(d, path))
	}
}

// volumes reads the pod's volumes: pod volumes (with their files) and host paths.
func (k *kubeImport) volumes(cx *kubeCtx) map[string]kubeVol {
	out := map[string]kubeVol{}
	pod := cx.kp.pod
	for i, v := range cx.spec.Volumes {
		p := fmt.Sprintf("%s.volumes[%d]", cx.sp, i)
		vs := v.VolumeSource
		vol := &Volume{Name: v.Name}
		kv := kubeVol{}
		vk := VolumeKey(pod.Name, v.Name)
		switch {
		case vs == corev1.VolumeSource{}: // an emptyDir, as the API server defaults it
		case vs.EmptyDir != nil:
			if m := vs.EmptyDir.Medium; m == corev1.StorageMediumMemory {
				vol.Medium = MediumMemory
			} else if m != "" {
				k.warnAt(cx.d, p+".emptyDir.medium", "medium "+string(m)+" is not honoured: the volume is on the engine's disk")
			}
			if q := vs.EmptyDir.SizeLimit; q != nil {
				vol.SizeLimit = ByteSize(q.Value())
				k.pos.Set(Field(vk, "size_limit"), k.at(cx.d, p+".emptyDir.sizeLimit"))
			}
			k.emptyDirFields(cx, p+".emptyDir")
		case strings.HasPrefix(v.Name, "kube-api-access-") && vs.Projected != nil:
			k.warnAt(cx.d, p, v.Name+" is the service account token and CA certificate the API server gives every pod; there is none locally, so it becomes an empty volume")
			kv.readOnly = true
		case vs.DownwardAPI != nil:
			cx.downward = append(cx.downward, kubeDownward{vol, p + ".downwardAPI", vs.DownwardAPI.Items})
			kv.readOnly = true
		case vs.HostPath != nil:
			t := corev1.HostPathUnset
			if vs.HostPath.Type != nil {
				t = *vs.HostPath.Type
			}
			kv = kubeVol{bind: true, hostPath: vs.HostPath.Path, mustExist: t != corev1.HostPathUnset && t != corev1.HostPathDirectoryOrCreate}
		case vs.ConfigMap != nil, vs.Secret != nil, vs.Projected != nil:
			vol.Files = k.files(cx, p, vol, vs)
			vol.Secret = vs.Secret != nil || vs.Projected != nil && slices.ContainsFunc(vs.Projected.Sources,
				func(s corev1.VolumeProjection) bool { return s.Secret != nil })
			kv.readOnly = true
		case vs.PersistentVolumeClaim != nil:
			cx.kp.claims[v.Name] = vs.PersistentVolumeClaim.ClaimName // see claims
			k.pos.Set("claim:"+vs.PersistentVolumeClaim.ClaimName, k.keyAt(cx.d, p+".persistentVolumeClaim"))
		default:
			kind := "this"
			for _, pr := range yamlpos.Pairs(valueAt(cx.d.node, kubeParts(p)...)) {
				if pr.Key.Value != "name" {
					kind = pr.Key.Value
					break
				}
			}
			k.warnAt(cx.d, p+"."+kind, kind+" volumes are not supported: it becomes an empty pod volume")
		}
		if _, dup := out[v.Name]; dup {
			k.problem(k.at(cx.d, p+".name"), fmt.Sprintf("volume %q is declared twice", v.Name), "give each volume its own name")
			continue
		}
		out[v.Name] = kv
		if !kv.bind {
			pod.Volumes = append(pod.Volumes, vol)
			k.pos.Set(VolumeKey(pod.Name, v.Name), k.at(cx.d, p+".name"))
		}
	}
	return out
}

func valueAt(n *yaml.Node, parts ...string) *yaml.Node {
	v, ok := yamlpos.Walk(n, parts...)
	if !ok {
		return nil
	}
	return v
}

// kubeFileSource is a ConfigMap or Secret whose keys a volume holds as files.
type kubeFileSource struct {
	path, nameField, kind, name string
	items                       []corev1.KeyToPath
	optional                    *bool
}

// files returns the files of a configMap, secret or projected volume at p: every key of each
// source, or the items asked for (a later source wins).
func (k *kubeImport) files(cx *kubeCtx, p string, vol *Volume, vs corev1.VolumeSource) map[string]string {
	var sources []kubeFileSource
	field, mode := "projected", (*int32)(nil)
	switch cm, s := vs.ConfigMap, vs.Secret; {
	case cm != nil:
		field, mode = "configMap", cm.DefaultMode
		sources = append(sources, kubeFileSource{p + ".configMap", ".name", "ConfigMap", cm.Name, cm.Items, cm.Optional})
	case s != nil:
		field, mode = "secret", s.DefaultMode
		sources = append(sources, kubeFileSource{p + ".secret", ".secretName", "Secret", s.SecretName, s.Items, s.Optional})
	default:
		mode = vs.Projected.DefaultMode
		for j, src := range vs.Projected.Sources {
			sp := fmt.Sprintf("%s.projected.sources[%d]", p, j)
			switch cm, s := src.ConfigMap, src.Secret; {
			case cm != nil:
				sources = append(sources, kubeFileSource{sp + ".configMap", ".name", "ConfigMap", cm.Name, cm.Items, cm.Optional})
			case s != nil:
				sources = append(sources, kubeFileSource{sp + ".secret", ".name", "Secret", s.Name, s.Items, s.Optional})
			case src.DownwardAPI != nil:
				cx.downward = append(cx.downward, kubeDownward{vol, sp + ".downwardAPI", src.DownwardAPI.Items})
			case src.ServiceAccountToken != nil:
				k.warnAt(cx.d, sp, "a service account token comes from the API server, which there is not locally; it is left out")
			default:
				k.warnAt(cx.d, sp, "only configMap, secret and downwardAPI sources are projected; this one is left out")
			}
		}
	}
	files := map[string]string{}
	for _, src := range sources {
		data, ok := k.object(cx, src.path+src.nameField, src.kind, src.name, src.optional)
		if !ok {
			continue
		}
		if len(src.items) == 0 {
			maps.Copy(files, data.data)
		}
		for i, it := range src.items {
			ip := fmt.Sprintf("%s.items[%d]", src.path, i)
			v, ok := k.key(cx, ip+".key", data, it.Key, src.optional)
			if !ok {
				continue
			}
			files[it.Path] = v
			if it.Mode != nil {
				k.warnAt(cx.d, ip+".mode", "files are created with the runtime's default mode; ignored")
			}
		}
	}
	if mode != nil {
		k.warnAt(cx.d, p+"."+field+".defaultMode", "files are created with the runtime's default mode; ignored")
	}
	if len(files) == 0 {
		return nil
	}
	return files
}

// kubeClusterObjects are the ConfigMaps a cluster makes in every namespace, and what makes each.
var kubeClusterObjects = map[string]string{"kube-root-ca.crt": "the API server", "istio-ca-root-cert": "istiod"}

// object is the ConfigMap or Secret (kind) name, referred to at p. A missing one not optional
// is a problem (see reportMissing), or a warning, once, for a ConfigMap the cluster makes.
func (k *kubeImport) object(cx *kubeCtx, p, kind, name string, optional *bool) (*kubeData, bool) {
	data, ok := k.objects[kind][name]
	id := kind + " " + name
	by, cluster := kubeClusterObjects[name]
	switch {
	case ok || ptr.Deref(optional, false):
	case cluster && kind == "ConfigMap":
		if !k.said[id] {
			k.said[id] = true
			k.warnAt(cx.d, p, fmt.Sprintf("ConfigMap %s is made by %s in every namespace of a cluster; it is not in this file, so what it holds is left out", name, by))
		}
	default:
		if _, seen := k.absent[id]; !seen {
			k.absentOrder = append(k.absentOrder, id)
		}
		k.absent[id] = append(k.absent[id], k.at(cx.d, p))
	}
	return data, ok
}

// reportMissing reports each undefined ConfigMap or Secret once, at its first reference.
func (k *kubeImport) reportMissing() {
	for _, id := range k.absentOrder {
		kind, name, _ := strings.Cut(id, " ")
		at := k.absent[id]
		create := fmt.Sprintf("kubectl create configmap %s --from-file=FILE --dry-run=client -o yaml", name)
		if kind == "Secret" {
			create = fmt.Sprintf("kubectl create secret generic %s --from-literal=KEY=VALUE --dry-run=client -o yaml", name)
		}
		hint := fmt.Sprintf("add it to this file (%s prints one), or mark the references optional: true", create)
		if s := suggest.DidYouMean(name, sortedKeys(k.objects[kind])); s != "" {
			hint = s + " or " + hint
		}
		msg := fmt.Sprintf("%s %q is not defined in this file", kind, name)
		if len(at) > 1 {
			lines := make([]string, len(at))
			for i, p := range at {
				lines[i] = strconv.Itoa(p.Line)
			}
			msg += fmt.Sprintf(" (referred to %d times, on lines %s)", len(at), strings.Join(slices.Compact(lines), ", "))
		}
		k.problem(at[0], msg, hint)
	}
}

// key is data's key, referred to at p; missing, it is a problem unless optional or maybe rejected.
func (k *kubeImport) key(cx *kubeCtx, p string, data *kubeData, key string, optional *bool) (string, bool) {
	if v, ok := data.data[key]; ok || ptr.Deref(optional, false) || data.partial {
		return v, ok
	}
	keys := sortedKeys(data.data)
	hint := "add it to the " + data.kind + "'s data, or mark the reference optional: true"
	if s := suggest.DidYouMean(key, keys); s != "" {
		hint = s + " or " + hint
	} else if len(keys) > 0 {
		hint = "it has " + strings.Join(keys, ", ") + "; " + hint
	}
	k.problem(k.at(cx.d, p), fmt.Sprintf("%s %q has no key %q", data.kind, data.name, key), hint)
	return "", false
}

func (k *kubeImport) container(cx *kubeCtx, p string, c corev1.Container, role Role, restart RestartPolicy) *Container {
	d := cx.d
	ct := &Container{Name: c.Name, Role: role, Image: c.Image, Restart: restart, TTY: c.TTY, WorkingDir: c.WorkingDir}
	ck := ContainerKey(cx.kp.pod.Name, c.Name)
	k.pos.Set(ck, k.at(d, p+".name"))
	record := func(field, at string) { k.record(d, Field(ck, field), at) }
	record("image", p+".image")
	record("workdir", p+".workingDir")
	record("restart", cx.sp+".restartPolicy")
	k.specFields(d, p, kubeContainerFields)
	k.securityFields(d, p+".securityContext")
	k.containerRestart(cx, p, c)
	k.containerChecks(cx, p, c)
	switch c.ImagePullPolicy {
	case corev1.PullAlways:
		k.warnAt(d, p+".imagePullPolicy", "an image present locally is used as it is (IfNotPresent); pull it yourself to refresh it")
	case corev1.PullNever:
		k.warnAt(d, p+".imagePullPolicy", "a missing image is pulled (IfNotPresent) rather than failing")
	}
	ct.User = k.user(cx, p, c)
	k.engineFields(cx, p, c, ct, ck)
	k.env(cx, p, c, ct, ck)
	// The kubelet expands $(VAR) in command and args: here, or, when they refer to a downward API
	// variable, when the container is created.
	refs := map[string]bool{}
	for _, r := range ct.EnvRefs {
		refs[r.Name] = true
	}
	ct.Entrypoint, ct.Command = kubeExpandAll(c.Command, ct.Env), kubeExpandAll(c.Args, ct.Env)
	if slices.ContainsFunc(slices.Concat(c.Command, c.Args), func(s string) bool { return kubeRefers(s, refs) }) {
		ct.Entrypoint, ct.Command, ct.ExpandRefs = slices.Clone(c.Command), slices.Clone(c.Args), true
	}
	// An empty command or args is none in Kubernetes (the model's would reset the image's).
	if len(c.Command) == 0 {
		ct.Entrypoint = nil
	}
	if len(c.Args) == 0 {
		ct.Command = nil
	}
	record("entrypoint", p+".command")
	record("command", p+".args")
	portNames := map[string]bool{}
	for i, cp := range c.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", p, i)
		if d.rejectedUnder(pp) {
			continue // reported: a port without its number would be a problem of its own
		}
		proto, ok := k.protocol(d, pp+".protocol", cp.Protocol)
		if !k.containerPort(cx, pp, c.Name, cp, portNames) || !ok {
			continue
		}
		if cx.spec.HostNetwork && cp.HostPort == 0 {
			cp.HostPort = cp.ContainerPort // as the API server defaults it in the host's network
		}
		ref := kubePortRef{container: ct, port: int(cp.ContainerPort)}
		if cp.Name != "" {
			cx.kp.ports[cp.Name] = ref
		}
		if _, seen := cx.kp.ports[strconv.Itoa(int(cp.ContainerPort))]; !seen {
			cx.kp.ports[strconv.Itoa(int(cp.ContainerPort))] = ref
		}
		if cp.HostPort == 0 {
			// Not published locally, as on a node without hostPort, unless a Service publishes it.
			cx.kp.unpublished[ct] = append(cx.kp.unpublished[ct], kubeOpenPort{index: i, port: int(cp.ContainerPort), protocol: proto, hostIP: cp.HostIP, at: k.keyAt(d, pp)})
			continue
		}
		port := Port{HostIP: cp.HostIP, HostPort: int(cp.HostPort), ContainerPort: int(cp.ContainerPort), Protocol: proto}
		cx.kp.published[ct] = append(cx.kp.published[ct], placed[Port]{port, k.keyAt(d, pp), i})
	}
	for i, vm := range c.VolumeMounts {
		mp := fmt.Sprintf("%s.volumeMounts[%d]", p, i)
		if d.rejectedUnder(mp) {
			continue // reported
		}
		if !k.subPath(cx, mp+".subPath", c.Name, vm.SubPath) {
			continue
		}
		vol := cx.vols[vm.Name]
		m := Mount{Type: MountVolume, Source: vm.Name, Target: vm.MountPath, ReadOnly: vm.ReadOnly || vol.readOnly, SubPath: vm.SubPath}
		if vol.bind {
			m.Type, m.Source, m.SubPath, m.MustExist = MountBind, vol.hostPath, "", vol.mustExist
			if vm.SubPath != "" {
				m.Source = path.Join(vol.hostPath, vm.SubPath)
			}
		}
		if vm.SubPathExpr != "" {
			k.warnAt(d, mp+".subPathExpr", "subPathExpr is not expanded; the whole volume is mounted")
		}
		if vm.MountPropagation != nil && *vm.MountPropagation != corev1.MountPropagationNone {
			k.warnAt(d, mp+".mountPropagation", "mount propagation is not set; ignored")
		}
		if vm.RecursiveReadOnly != nil && *vm.RecursiveReadOnly != corev1.RecursiveReadOnlyDisabled {
			k.warnAt(d, mp+".recursiveReadOnly", "read-only mounts are not made recursively read-only; ignored")
		}
		k.pos.Set(Field(ck, "volumes", len(ct.Volumes)), k.keyAt(d, mp))
		k.record(d, Field(ck, "volumes", len(ct.Volumes), "sub_path"), mp+".subPath")
		ct.Volumes = append(ct.Volumes, m)
	}
	ct.Ready = k.probe(cx, p+".readinessProbe", c.ReadinessProbe, c, Field(ck, "ready"))
	ct.Live = k.probe(cx, p+".livenessProbe", c.LivenessProbe, c, Field(ck, "live"))
	ct.Startup = k.probe(cx, p+".startupProbe", c.StartupProbe, c, Field(ck, "startup"))
	if role == RoleSidecar {
		// The kubelet starts the next container once a native sidecar has started (its
		// startupProbe passed), and a regular container's once it runs (postStart done).
		ct.Gate = GateStarted
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			ct.Gate = GateRunning
		}
	}
	if role == RoleInit && (ct.Ready != nil || ct.Live != nil || ct.Startup != nil) {
		k.warnAt(d, p, c.Name+" is an init container, which runs to completion; its probes are not used")
		ct.Ready, ct.Live, ct.Startup = nil, nil, nil
	}
	if lc := c.Lifecycle; lc != nil {
		ct.PostStart = k.hook(cx, p+".lifecycle.postStart", lc.PostStart, c, Field(ck, "post_start"))
		ct.PreStop = k.hook(cx, p+".lifecycle.preStop", lc.PreStop, c, Field(ck, "pre_stop"))
		if lc.StopSignal != nil {
			ct.StopSignal = string(*lc.StopSignal)
			record("stop_signal", p+".lifecycle.stopSignal")
		}
	}
	return ct
}

// containerRestart checks a container's own restartPolicy: on an init container only Always
// (a native sidecar) is taken; on a regular container it is not honoured.
func (k *kubeImport) containerRestart(cx *kubeCtx, p string, c corev1.Container) {
	rp, initC := c.RestartPolicy, strings.Contains(p, ".initContainers[")
	native := initC && rp != nil && *rp == corev1.ContainerRestartPolicyAlways
	switch {
	case rp == nil || native:
	case initC:
		k.problem(k.at(cx.d, p+".restartPolicy"),
			fmt.Sprintf("init container %s has restartPolicy %q, but an init container's restartPolicy can only be Always (which makes it a native sidecar)", c.Name, yamlpos.Clip(string(*rp))),
			"remove restartPolicy to run it once, to completion, before the containers start; or write restartPolicy: Always to keep it running beside them as a sidecar")
	default:
		k.warnAt(cx.d, p+".restartPolicy", "a regular container's own restartPolicy is not honoured: the pod's restartPolicy applies to main, and sidecars are restarted whenever they exit")
	}
	if len(c.RestartPolicyRules) == 0 {
		return
	}
	applies := "the pod's restartPolicy applies to main, and sidecars are restarted whenever they exit"
	switch {
	case native:
		applies = c.Name + " is a native sidecar (restartPolicy: Always), restarted whenever it exits"
	case initC:
		applies = c.Name + " is an init container, retried when it fails unless the pod's restartPolicy is Never"
	}
	k.warnAt(cx.d, p+".restartPolicyRules", "restart rules are not evaluated: "+applies)
}

// user maps runAsUser/runAsGroup, from the container's securityContext or the pod's.
func (k *kubeImport) user(cx *kubeCtx, p string, c corev1.Container) string {
	var uid, gid *int64
	if s := cx.spec.SecurityContext; s != nil {
		uid, gid = s.RunAsUser, s.RunAsGroup
	}
	if s := c.SecurityContext; s != nil {
		uid, gid = cmp.Or(s.RunAsUser, uid), cmp.Or(s.RunAsGroup, gid)
	}
	switch {
	case uid != nil && gid != nil:
		return fmt.Sprintf("%d:%d", *uid, *gid)
	case uid != nil:
		return strconv.FormatInt(*uid, 10)
	case gid != nil:
		k.warn(k.keyAt(cx.d, p), cx.d.prefix+p+".securityContext.runAsGroup",
			c.Name+": runAsGroup without runAsUser is not honoured: the image's user and group are used")
	}
	return ""
}

func (k *kubeImport) keyRef(cx *kubeCtx, p, kind, name, key string, optional *bool) (string, bool) {
	data, ok := k.object(cx, p+".name", kind, name, optional)
	if !ok {
		return "", false
	}
	return k.key(cx, p+".key", data, key, optional)
}

// kubeExpandAll expands $(VAR) references to vars as the kubelet does (see ExpandVars).
func kubeExpandAll(ss []string, vars map[string]string) []string {
	return mapWords(ss, func(s string) string { return ExpandVars(s, lookupIn(vars)) })
}

// mapWords is f of every word of ss; nil (no command given) stays nil.
func mapWords(ss []string, f func(string) string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// probe converts a probe at path p, recording positions under key.
func (k *kubeImport) probe(cx *kubeCtx, p string, pr *corev1.Probe, c corev1.Container, key string) *Probe {
	if pr == nil {
		return nil
	}
	d := cx.d
	out := &Probe{}
	k.pos.Set(key, k.keyAt(d, p))
	switch {
	case pr.Exec != nil:
		// The kubelet expands an exec probe's $(VAR) only from the env entries' values as
		// written (unexpanded; "" for valueFrom; not envFrom).
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		out.Exec = &ExecProbe{Command: kubeExpandAll(pr.Exec.Command, env)}
		k.pos.Set(Field(key, "exec", "command"), k.at(d, p+".exec.command"))
	case pr.HTTPGet != nil:
		port, ok := k.probePort(cx, p+".httpGet.port", pr.HTTPGet.Port, c)
		if !ok {
			return nil
		}
		h := &HTTPProbe{Port: port, Path: pr.HTTPGet.Path, Host: pr.HTTPGet.Host, Scheme: strings.ToLower(string(pr.HTTPGet.Scheme))}
		if h.Scheme != "" && h.Scheme != "http" && h.Scheme != "https" {
			k.problem(k.at(d, p+".httpGet.scheme"), fmt.Sprintf("probe scheme %q is not one Kubernetes knows", yamlpos.Clip(string(pr.HTTPGet.Scheme))),
				"use HTTP or HTTPS, or leave scheme out for HTTP")
			h.Scheme = ""
		}
		for _, hd := range pr.HTTPGet.HTTPHeaders {
			if h.Headers == nil {
				h.Headers = map[string]string{}
			}
			h.Headers[hd.Name] = hd.Value
		}
		out.HTTP = h
		k.pos.Set(Field(key, "http", "port"), k.at(d, p+".httpGet.port"))
		k.pos.Set(Field(key, "http", "path"), k.at(d, p+".httpGet.path"))
		k.pos.Set(Field(key, "http", "scheme"), k.at(d, p+".httpGet.scheme"))
	case pr.TCPSocket != nil:
		port, ok := k.probePort(cx, p+".tcpSocket.port", pr.TCPSocket.Port, c)
		if !ok {
			return nil
		}
		out.TCP = &TCPProbe{Port: port, Host: pr.TCPSocket.Host}
		k.pos.Set(Field(key, "tcp", "port"), k.at(d, p+".tcpSocket.port"))
	case pr.GRPC != nil:
		k.warnAt(d, p+".grpc", c.Name+": gRPC probes are not supported, so this probe is not made")
		return nil
	default:
		k.problem(k.keyAt(d, p), "the probe has no check", "add httpGet, tcpSocket or exec")
		return nil
	}
	// Kubernetes rejects negative values; 0 (or leaving the field out) means its default.
	count := func(v int32, name, field, hint string) int32 {
		if v < 0 {
			k.problem(k.at(d, p+"."+name), fmt.Sprintf("%s must not be negative, found %d", d.prefix+p+"."+name, v), hint)
			return 0
		}
		if v > 0 {
			k.pos.Set(Field(key, field), k.at(d, p+"."+name))
		}
		return v
	}
	seconds := func(v int32, name, field string) Duration {
		v = count(v, name, field, "write a number of seconds, 1 or more, or leave it out for the default")
		return Duration(time.Duration(v) * time.Second)
	}
	out.Period = seconds(pr.PeriodSeconds, "periodSeconds", "period")
	out.Timeout = seconds(pr.TimeoutSeconds, "timeoutSeconds", "timeout")
	out.StartPeriod = seconds(pr.InitialDelaySeconds, "initialDelaySeconds", "start_period")
	out.Retries = int(count(pr.FailureThreshold, "failureThreshold", "retries",
		"write how many failures in a row fail the probe, 1 or more, or leave it out for the default (3)"))
	if pr.SuccessThreshold > 1 {
		k.warnAt(d, p+".successThreshold", "one success is enough locally; ignored")
	}
	if pr.TerminationGracePeriodSeconds != nil {
		k.warnAt(d, p+".terminationGracePeriodSeconds", "the container's stop grace comes from the pod; ignored")
	}
	return out
}

// probePort resolves a probe's port, by number or by the name of one of the container's ports.
func (k *kubeImport) probePort(cx *kubeCtx, p string, port intstr.IntOrString, c corev1.Container) (int, bool) {
	if port.Type == intstr.Int {
		return int(port.IntVal), true
	}
	var names []string
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return int(cp.ContainerPort), true
		}
		if cp.Name != "" {
			names = append(names, cp.Name)
		}
	}
	hint := "name it in the container's ports (ports: [{name: " + port.StrVal + ", containerPort: 8080}]), or write the number"
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		// A quoted number is a string, and a port name has a letter: no port can be named so.
		hint = fmt.Sprintf("write the number without quotes (port: %d): quoted, it is read as a port name", n)
	} else if len(validation.IsValidPortName(port.StrVal)) > 0 {
		hint = "write the port's number, or the name of one of the container's ports (at most 15 lowercase letters, digits and '-')"
	}
	hint = cmp.Or(suggest.DidYouMean(port.StrVal, names), hint)
	k.problem(k.at(cx.d, p), fmt.Sprintf("probe port %q is not the name of a port of container %s", port.StrVal, c.Name), hint)
	return 0, false
}
