package recipes

// What the Kubernetes importer takes from a pod spec beyond its containers' command lines:
// the infra container's fields (hosts, DNS, sysctls), resources and security settings, the
// downward API (env and volumes), lifecycle hooks, claims shared by several pods, and the
// annotations that ask an injector for a sidecar.

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// kubeDownward is a downwardAPI volume (or projected source), resolved once the pod's
// containers (whose resources it may read) are converted.
type kubeDownward struct {
	vol   *Volume
	path  string
	items []corev1.DownwardAPIVolumeFile
}

// podFields takes what the infra container owns from the pod spec: extra hosts, DNS and
// sysctls.
func (k *kubeImport) podFields(cx *kubeCtx) {
	pod, spec, d, sp := cx.kp.pod, cx.spec, cx.d, cx.sp
	pk := PodKey(pod.Name)
	k.record(d, Field(pk, "hostname"), sp+".hostname")
	k.record(d, Field(pk, "subdomain"), sp+".subdomain")
	for i, h := range spec.HostAliases {
		hp := fmt.Sprintf("%s.hostAliases[%d]", sp, i)
		names := kubeKept(d, hp+".hostnames", h.Hostnames)
		if slices.Contains(d.rejected, hp) || d.rejectedUnder(hp+".ip") || d.rejectedUnder(hp+".hostnames") && len(names) == 0 {
			continue // reported: what is left would be a problem of its own
		}
		k.pos.Set(Field(pk, "extra_hosts", len(pod.ExtraHosts)), k.keyAt(d, hp))
		pod.ExtraHosts = append(pod.ExtraHosts, HostAlias{IP: h.IP, Hostnames: names})
	}
	if dc := spec.DNSConfig; dc != nil {
		dp := sp + ".dnsConfig"
		pod.DNS = &DNSConfig{Nameservers: kubeKept(d, dp+".nameservers", dc.Nameservers), Searches: kubeKept(d, dp+".searches", dc.Searches)}
		for i, o := range dc.Options {
			if d.rejectedUnder(fmt.Sprintf("%s.options[%d].name", dp, i)) {
				continue // reported
			}
			if o.Value != nil {
				o.Name += ":" + *o.Value
			}
			pod.DNS.Options = append(pod.DNS.Options, o.Name)
		}
		k.record(d, Field(pk, "dns"), sp+".dnsConfig")
	}
	if sc := spec.SecurityContext; sc != nil && len(sc.Sysctls) > 0 {
		pod.Sysctls = map[string]string{}
		for i, s := range sc.Sysctls {
			pod.Sysctls[s.Name] = s.Value
			k.pos.Set(Field(pk, "sysctls", s.Name), k.keyAt(d, fmt.Sprintf("%s.securityContext.sysctls[%d]", sp, i)))
		}
	}
	if spec.OS != nil && spec.OS.Name != corev1.Linux {
		k.warnAt(d, sp+".os", "images run for the engine's own platform, Linux; "+string(spec.OS.Name)+" is not honoured")
	}
}

// kubeKept is the items of the list of strings at path that were not left out as wrong
// (the decoding holds "" in their place).
func kubeKept(d *kubeDoc, path string, items []string) []string {
	var out []string
	for i, s := range items {
		if !d.rejectedUnder(fmt.Sprintf("%s[%d]", path, i)) {
			out = append(out, s)
		}
	}
	return out
}

// kubeSecurityFields say, per securityContext field of a pod or a container, why it is not
// applied; "" when it is (or changes nothing here). Any other field (seLinuxOptions,
// procMount) is named as it is.
var kubeSecurityFields = kubeFields(`runAsUser runAsGroup capabilities privileged readOnlyRootFilesystem
	supplementalGroups sysctls windowsOptions fsGroupChangePolicy seLinuxChangePolicy
	seccompProfile`, map[string]string{
	"supplementalGroupsPolicy": "supplementalGroupsPolicy: Strict (the engine adds the groups the image's /etc/group gives the user, as Merge does)",
	"runAsNonRoot":             "runAsNonRoot (the user is not checked)",
	"allowPrivilegeEscalation": "allowPrivilegeEscalation: false (no-new-privileges is not set)",
	"fsGroup":                  "fsGroup (volume ownership is not changed)",
	"appArmorProfile":          "appArmorProfile (the engine's default profile applies)",
})

// securityFields warns, in one line, about the security settings at p that are not applied.
// A seccompProfile of type RuntimeDefault is the engine's own default, and so applied.
func (k *kubeImport) securityFields(d *kubeDoc, p string) {
	var not []string
	for _, pr := range yamlpos.Pairs(valueAt(d.node, kubeParts(p)...)) {
		key := pr.Key.Value
		reason, known := kubeSecurityFields[key]
		if !known {
			reason = key
		}
		switch t, _ := yamlpos.Scalar(yamlpos.Value(pr.Value, "type")); {
		case key == "seccompProfile" && t != "RuntimeDefault":
			reason = "seccompProfile " + t
		case key == "allowPrivilegeEscalation" && pr.Value.Value == "false":
		case key == "supplementalGroupsPolicy" && pr.Value.Value == "Strict":
		case key == "allowPrivilegeEscalation" || key == "supplementalGroupsPolicy" || reason == "" || kubeEmpty(pr.Value):
			continue
		}
		not = append(not, reason)
	}
	if len(not) > 0 {
		k.warnAt(d, p, andList(not)+" not applied locally; ignored")
	}
}

// engineFields takes a container's resources and security settings, and the pod's
// supplementary groups.
func (k *kubeImport) engineFields(cx *kubeCtx, p string, c corev1.Container, ct *Container, ck string) {
	d := cx.d
	list := func(rl corev1.ResourceList, which string) (out ResourceList) {
		for name, q := range rl {
			switch name {
			case corev1.ResourceCPU:
				out.CPU = MilliCPU(q.MilliValue())
			case corev1.ResourceMemory:
				out.Memory = ByteSize(q.Value())
			default:
				k.warn(k.keyAt(d, p+".resources."+which, string(name)), d.prefix+p+".resources."+which+"."+string(name), "only cpu and memory are limited locally; ignored")
				continue
			}
			k.pos.Set(Field(ck, "resources", which, string(name)), k.at(d, p+".resources."+which, string(name)))
		}
		return out
	}
	if r := (Resources{Limits: list(c.Resources.Limits, "limits"), Requests: list(c.Resources.Requests, "requests")}); r != (Resources{}) {
		ct.Resources = &r
	}
	if sc := c.SecurityContext; sc != nil {
		if caps := sc.Capabilities; caps != nil {
			for i, a := range caps.Add {
				ct.CapAdd = append(ct.CapAdd, string(a))
				k.pos.Set(Field(ck, "cap_add", i), k.at(d, fmt.Sprintf("%s.securityContext.capabilities.add[%d]", p, i)))
			}
			for i, a := range caps.Drop {
				ct.CapDrop = append(ct.CapDrop, string(a))
				k.pos.Set(Field(ck, "cap_drop", i), k.at(d, fmt.Sprintf("%s.securityContext.capabilities.drop[%d]", p, i)))
			}
		}
		ct.Privileged = sc.Privileged != nil && *sc.Privileged
		ct.ReadOnly = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
	}
	if psc := cx.spec.SecurityContext; psc != nil {
		for _, g := range psc.SupplementalGroups {
			ct.Groups = append(ct.Groups, strconv.FormatInt(g, 10))
		}
	}
}

var kubeEnvName = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// env resolves a container's environment: envFrom first, then env, which wins. Values
// from the file (value, configMapKeyRef, secretKeyRef) are resolved here, $(VAR) in them
// referring to variables defined before, as the kubelet expands them; the downward API
// (fieldRef, resourceFieldRef), and a value that refers to one of its variables, become
// env refs, resolved when the container is created.
func (k *kubeImport) env(cx *kubeCtx, p string, c corev1.Container, ct *Container, ck string) {
	d := cx.d
	vars := Env{}
	refs := map[string]bool{}
	define := func(name string, at Position) { // in place of an earlier definition
		delete(vars, name)
		ct.EnvRefs = slices.DeleteFunc(ct.EnvRefs, func(r EnvRef) bool { return r.Name == name })
		delete(refs, name)
		k.pos.Set(Field(ck, "env", name), at)
	}
	set := func(name, value string, at Position) {
		define(name, at)
		vars[name] = value
	}
	ref := func(r EnvRef, at Position) {
		define(r.Name, at)
		ct.EnvRefs = append(ct.EnvRefs, r)
		refs[r.Name] = true
	}
	for i, ef := range c.EnvFrom {
		ep := fmt.Sprintf("%s.envFrom[%d]", p, i)
		if d.rejectedUnder(ep) {
			continue // reported
		}
		kind, name, optional, refPath := "ConfigMap", "", (*bool)(nil), ep+".configMapRef.name"
		switch {
		case ef.ConfigMapRef != nil:
			name, optional = ef.ConfigMapRef.Name, ef.ConfigMapRef.Optional
		case ef.SecretRef != nil:
			kind, name, optional, refPath = "Secret", ef.SecretRef.Name, ef.SecretRef.Optional, ep+".secretRef.name"
		default:
			continue
		}
		data, ok := k.object(cx, refPath, kind, name, optional)
		if !ok {
			continue
		}
		for _, key := range sortedKeys(data.data) {
			if slices.Contains(data.binary, key) {
				continue // said below
			}
			if n := ef.Prefix + key; kubeEnvName.MatchString(n) {
				set(n, data.data[key], k.keyAt(d, ep))
			} else {
				k.warnAt(d, ep, fmt.Sprintf("key %q of %s %s is not a valid variable name; it is skipped, as Kubernetes does", key, kind, name))
			}
		}
		if len(data.binary) > 0 {
			k.warnAt(d, ep, fmt.Sprintf("binaryData %s of ConfigMap %s %s not set: the kubelet makes variables of data keys only (mount the ConfigMap as a volume to read %s)",
				andList(data.binary), name, map[bool]string{true: "is", false: "are"}[len(data.binary) == 1], map[bool]string{true: "it", false: "them"}[len(data.binary) == 1]))
		}
	}
	for i, e := range c.Env {
		ep := fmt.Sprintf("%s.env[%d]", p, i)
		if d.rejectedUnder(ep) {
			continue // reported
		}
		at := k.keyAt(d, ep)
		vf := e.ValueFrom
		switch {
		case vf == nil && kubeRefers(e.Value, refs):
			ref(EnvRef{Name: e.Name, Value: e.Value}, at)
		case vf == nil:
			set(e.Name, ExpandVars(e.Value, lookupIn(vars)), at)
		case vf.ConfigMapKeyRef != nil && k.binaryKey(cx, ep+".valueFrom.configMapKeyRef", vf.ConfigMapKeyRef):
		case vf.ConfigMapKeyRef != nil:
			if v, ok := k.keyRef(cx, ep+".valueFrom.configMapKeyRef", "ConfigMap", vf.ConfigMapKeyRef.Name, vf.ConfigMapKeyRef.Key, vf.ConfigMapKeyRef.Optional); ok {
				set(e.Name, v, at)
			}
		case vf.SecretKeyRef != nil:
			if v, ok := k.keyRef(cx, ep+".valueFrom.secretKeyRef", "Secret", vf.SecretKeyRef.Name, vf.SecretKeyRef.Key, vf.SecretKeyRef.Optional); ok {
				set(e.Name, v, at)
			}
		case vf.FieldRef != nil && (vf.FieldRef.FieldPath == FieldLabels || vf.FieldRef.FieldPath == FieldAnnotations):
			what := strings.TrimPrefix(vf.FieldRef.FieldPath, "metadata.")
			k.problem(k.at(d, ep+".valueFrom.fieldRef.fieldPath"), fmt.Sprintf("env %s of container %s reads all the pod's %s (%s), which only a downwardAPI volume can hold as a file", e.Name, c.Name, what, vf.FieldRef.FieldPath),
				fmt.Sprintf("read one: fieldPath: %s['KEY'], or mount a downwardAPI volume with an item of fieldPath %s", vf.FieldRef.FieldPath, vf.FieldRef.FieldPath))
		case vf.FieldRef != nil:
			ref(EnvRef{Name: e.Name, Field: vf.FieldRef.FieldPath}, at)
		case vf.ResourceFieldRef != nil:
			r := vf.ResourceFieldRef
			ref(EnvRef{Name: e.Name, Resource: r.Resource, Container: r.ContainerName, Divisor: kubeDivisor(r)}, at)
		default:
			k.warnAt(d, ep+".valueFrom", fmt.Sprintf("%s: this source of %s is not supported, so it is not set", c.Name, e.Name))
		}
	}
	if len(vars) > 0 {
		ct.Env = vars
	}
}

// binaryKey reports, as a problem, whether the configMapKeyRef at p reads a binaryData
// key, which the kubelet does not find for a variable.
func (k *kubeImport) binaryKey(cx *kubeCtx, p string, r *corev1.ConfigMapKeySelector) bool {
	data := k.objects["ConfigMap"][r.Name]
	if data == nil || !slices.Contains(data.binary, r.Key) {
		return false
	}
	if ptr.Deref(r.Optional, false) {
		k.warnAt(cx.d, p+".key", fmt.Sprintf("key %q of ConfigMap %s is in its binaryData, which the kubelet does not read for a variable: the optional variable is left out, as there", r.Key, r.Name))
		return true
	}
	k.problem(k.at(cx.d, p+".key"), fmt.Sprintf("key %q of ConfigMap %s is in its binaryData, which the kubelet does not read for a variable (it fails with couldn't find key %s)", r.Key, r.Name, r.Key),
		"move it to the ConfigMap's data, or mount the ConfigMap as a volume to read it as a file")
	return true
}

func kubeDivisor(r *corev1.ResourceFieldSelector) string {
	if r.Divisor.IsZero() {
		return ""
	}
	return r.Divisor.String()
}

// kubeRefers reports whether s refers to one of names with $(NAME).
func kubeRefers(s string, names map[string]bool) (found bool) {
	ExpandVars(s, func(n string) (string, bool) { found = found || names[n]; return "", false })
	return found
}

// hook converts a lifecycle handler at p: exec (not expanded, as the kubelet runs it),
// httpGet (as a probe's), sleep.
func (k *kubeImport) hook(cx *kubeCtx, p string, h *corev1.LifecycleHandler, c corev1.Container, key string) *Hook {
	switch {
	case h == nil:
	case h.Exec != nil:
		k.pos.Set(key, k.keyAt(cx.d, p))
		return &Hook{Exec: &ExecProbe{Command: slices.Clone(h.Exec.Command)}}
	case h.HTTPGet != nil:
		if pr := k.probe(cx, p, &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: h.HTTPGet}}, c, key); pr != nil {
			return &Hook{HTTP: pr.HTTP}
		}
	case h.Sleep != nil && h.Sleep.Seconds > 0:
		k.pos.Set(key, k.keyAt(cx.d, p))
		return &Hook{Sleep: Duration(time.Duration(h.Sleep.Seconds) * time.Second)}
	case h.TCPSocket != nil:
		k.warnAt(cx.d, p+".tcpSocket", "a tcpSocket hook does nothing (Kubernetes does not run it either); ignored")
	}
	return nil
}

// downwardFiles adds the files of a downwardAPI volume (or source) to its volume: what the
// pod knows before it runs; a file only the running pod could fill is left out, with a warning.
func (k *kubeImport) downwardFiles(cx *kubeCtx, dv kubeDownward) {
	for i, it := range dv.items {
		ref := EnvRef{Name: it.Path}
		if it.FieldRef != nil {
			ref.Field = it.FieldRef.FieldPath
		}
		if r := it.ResourceFieldRef; r != nil {
			ref.Resource, ref.Container, ref.Divisor = r.Resource, r.ContainerName, kubeDivisor(r)
		}
		ip := fmt.Sprintf("%s.items[%d]", dv.path, i)
		v, err := DownwardValue(cx.kp.pod, nil, ref, DownwardFacts{})
		static := DownwardStatic(ref)
		if target := cx.kp.pod.Container(ref.Container); ref.Resource != "" && target != nil {
			limits, _ := EffectiveResources(target)
			static = !strings.HasPrefix(ref.Resource, "limits.") || ref.Resource == "limits.cpu" && limits.CPU > 0 || ref.Resource == "limits.memory" && limits.Memory > 0
		}
		switch {
		case err != nil:
			k.problem(k.at(cx.d, ip), "downwardAPI file "+err.Error(), "name a field of the downward API, or a resource of one of the pod's containers (containerName)")
		case !static:
			k.warnAt(cx.d, ip, fmt.Sprintf("file %s (%s%s) is known only to the running pod, so it is left out", it.Path, ref.Field, ref.Resource))
		case dv.vol.Files == nil:
			dv.vol.Files = map[string]string{it.Path: v}
		default:
			dv.vol.Files[it.Path] = v
		}
	}
}

// injection warns about the annotations that ask a cluster's injector for a sidecar the pod
// does not have.
func (k *kubeImport) injection(cx *kubeCtx) {
	var names []string
	for _, c := range cx.kp.pod.Containers() {
		names = append(names, c.Name)
	}
	for _, src := range []struct {
		annotations map[string]string
		path        string
	}{{cx.tmplMeta.Annotations, cx.templateMeta()}, {cx.meta.Annotations, "metadata"}} {
		keys, msgs := injectionWarnings(src.annotations, names)
		for i, key := range keys {
			k.warn(k.keyAt(cx.d, src.path+".annotations", key), cx.d.prefix+src.path+".annotations."+key, msgs[i])
		}
		if len(keys) > 0 || cx.d.kind == "Pod" {
			return // a Pod's template is itself; and one warning per injector
		}
	}
}

// claims turns the claims pods mount into volumes: a claim several pods mount is a stack
// volume they share, else a pod volume; either is created empty, which is said once per claim.
func (k *kubeImport) claims(st *Stack) {
	users := map[string][]*kubePod{}
	var order []string
	for _, kp := range k.pods {
		for _, vol := range sortedKeys(kp.claims) {
			claim := kp.claims[vol]
			if len(users[claim]) == 0 {
				order = append(order, claim)
			}
			if !slices.Contains(users[claim], kp) {
				users[claim] = append(users[claim], kp)
			}
		}
	}
	for _, claim := range order {
		at, kps := k.pos.At("claim:"+claim), users[claim]
		if len(kps) == 1 {
			k.warnings = append(k.warnings, Warning{Pos: at, Field: "persistentVolumeClaim", Message: fmt.Sprintf(
				"persistentVolumeClaim %s becomes a pod volume, created empty by sidecar up and removed by sidecar down", claim)})
			continue
		}
		name := cmp.Or(DNSLabel(claim), "claim")
		st.Volumes = append(st.Volumes, &Volume{Name: name})
		k.pos.Set(StackVolumeKey(name), at)
		var pods []string
		for _, kp := range kps {
			pods = append(pods, kp.pod.Name)
			for vol, c := range kp.claims {
				if c != claim {
					continue
				}
				kp.pod.Volumes = slices.DeleteFunc(kp.pod.Volumes, func(v *Volume) bool { return v.Name == vol })
				for _, ct := range kp.pod.Containers() {
					for i, m := range ct.Volumes {
						if m.Type == MountVolume && m.Source == vol {
							ct.Volumes[i].Source = name
						}
					}
				}
			}
		}
		k.warnings = append(k.warnings, Warning{Pos: at, Field: "persistentVolumeClaim", Message: fmt.Sprintf(
			"persistentVolumeClaim %s becomes volume %s, shared by pods %s, created empty by sidecar up and removed by sidecar down", claim, name, andList(pods))})
	}
}

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

// kubeFields makes a field table: the fields in honoured (separated by spaces) have no
// reason; each key of others lists the fields that have its reason.
func kubeFields(honoured string, others map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Fields(honoured) {
		out[f] = ""
	}
	for fields, reason := range others {
		for _, f := range strings.Fields(fields) {
			out[f] = reason
		}
	}
	return out
}

// Honoured, or changing nothing locally; securityContext (runAsUser and runAsGroup are
// honoured, the rest warned field by field) and dnsPolicy (ClusterFirst is what the stack
// network gives) are judged value by value.
var kubePodSpecFields = kubeFields(`volumes initContainers containers restartPolicy terminationGracePeriodSeconds
	shareProcessNamespace securityContext dnsPolicy enableServiceLinks automountServiceAccountToken schedulerName
	preemptionPolicy priority hostname subdomain hostAliases dnsConfig serviceAccountName serviceAccount os`, map[string]string{
	"nodeSelector affinity tolerations nodeName topologySpreadConstraints schedulingGates priorityClassName": kubeScheduling,
	"runtimeClassName":                   "the engine's default runtime is used; ignored",
	"hostNetwork":                        "the pod gets a network namespace of its own on the stack network; the host's is not joined. Its container ports are published on the same host ports, as the API server sets their hostPort in the host's network",
	"hostPID":                            "the host's PID namespace is not joined; ignored",
	"hostIPC":                            "the host's IPC namespace is not joined; ignored",
	"hostUsers":                          "the user namespace is not set; ignored",
	"imagePullSecrets":                   "images are pulled with the engine's own credentials; ignored",
	"readinessGates":                     "readiness gates are not evaluated; ignored",
	"activeDeadlineSeconds":              "no deadline is enforced; ignored",
	"overhead resources resourceClaims":  kubeResources,
	"setHostnameAsFQDN hostnameOverride": "the pod's hostname is its short name: hostname shows it, hostname -f the full one; ignored",
	"ephemeralContainers":                "ephemeral containers are not run; ignored",
})

// restartPolicy, restartPolicyRules, securityContext and imagePullPolicy (IfNotPresent is
// what sidecar does) are judged value by value.
var kubeContainerFields = kubeFields(`name image command args workingDir ports envFrom env volumeMounts livenessProbe
	readinessProbe startupProbe tty restartPolicy securityContext imagePullPolicy terminationMessagePath
	terminationMessagePolicy resources resizePolicy lifecycle restartPolicyRules`, map[string]string{
	"volumeDevices":   "block devices are not mapped; ignored",
	"stdin stdinOnce": "containers do not get a stdin; ignored",
})

var kubeDeploymentFields = kubeFields(`replicas selector template strategy minReadySeconds revisionHistoryLimit
	progressDeadlineSeconds`, map[string]string{"paused": "a paused Deployment still runs locally"})

var kubeStatefulSetFields = kubeFields(`replicas selector template volumeClaimTemplates serviceName podManagementPolicy
	updateStrategy revisionHistoryLimit minReadySeconds persistentVolumeClaimRetentionPolicy ordinals`, nil)

var kubeDaemonSetFields = kubeFields("selector template updateStrategy minReadySeconds revisionHistoryLimit", nil)

var kubeReplicaSetFields = kubeFields("replicas selector template minReadySeconds", nil)

// parallelism, completions and completionMode (NonIndexed is what runs) are judged value by
// value.
var kubeJobFields = kubeFields(`template selector manualSelector ttlSecondsAfterFinished podReplacementPolicy managedBy
	parallelism completions completionMode`, map[string]string{
	"backoffLimit backoffLimitPerIndex": "a failed run is not retried as a new pod: the pod's restartPolicy applies to main",
	"maxFailedIndexes":                  "indexed jobs run as one pod locally; ignored",
	"activeDeadlineSeconds":             "no deadline is enforced; ignored",
	"podFailurePolicy":                  "failure policies are not evaluated; the pod's restartPolicy applies to main",
	"successPolicy":                     "the job succeeds when main exits 0; ignored",
	"suspend":                           "a suspended Job still runs locally",
	"scheduling":                        kubeScheduling,
})

var kubeCronJobFields = kubeFields(`schedule jobTemplate timeZone startingDeadlineSeconds concurrencyPolicy
	successfulJobsHistoryLimit failedJobsHistoryLimit`, map[string]string{"suspend": "a suspended CronJob still runs once locally"})
