package recipes

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Kubernetes export. Every pod becomes one workload (a Deployment, a Job or a bare Pod): its
// init containers, then its sidecars as native sidecars (Kubernetes 1.29+), then main — but
// the last sidecars whose gate is running, which are regular containers before main. A pod
// with ports (published, declared, else those its probes check) gets a ClusterIP Service of
// its name, by which pods reach each other as they do locally. Bind-mounted files (mounted
// with subPath) and pod volumes with files become ConfigMaps, other pod volumes emptyDirs,
// bind mounts of absolute paths hostPath volumes. docs/export.md has the mapping.

// Labels and annotations the Kubernetes export writes.
const (
	// KubeLabelName and KubeLabelPartOf select a pod's workload and Service: the pod's name
	// and the stack's name.
	KubeLabelName   = "app.kubernetes.io/name"
	KubeLabelPartOf = "app.kubernetes.io/part-of"
	// KubeAnnotationDependsOn on a pod template lists, comma-separated, the pods this pod
	// depends on, each NAME (its main ready) or NAME:CONDITION (started, completed).
	// Kubernetes does not order pods; the annotation keeps the order for a re-import.
	KubeAnnotationDependsOn = "sidecar.dev/depends-on"
	// KubeAnnotationNodePortOf on a NodePort Service (for the ports without a host port) and
	// KubeAnnotationSubdomainOf on a headless Service (which gives a pod its HOSTNAME.SUBDOMAIN
	// name) name the pod the Service is for, so that the importer does not warn that pods
	// reach the pod by another name than this Service's.
	KubeAnnotationNodePortOf  = "sidecar.dev/nodeport-of"
	KubeAnnotationSubdomainOf = "sidecar.dev/subdomain-of"

	// KubeAnnotationGateReady on a pod template lists, comma-separated, the sidecars whose
	// gate is ready: the next container's start waits for their readiness, not only their
	// start. The kubelet waits for a native sidecar's startupProbe only, so the export writes
	// such a sidecar's readinessProbe as its startupProbe too; the annotation keeps the gate
	// (and tells that copy from a startupProbe of its own) for a re-import.
	KubeAnnotationGateReady = "sidecar.dev/gate-ready"
)

// KubeKind is the kind of workload each pod is exported as.
type KubeKind int

const (
	// KubeAuto exports a job pod as a Job, else a pod whose main is restarted always as a
	// Deployment, else (its main runs once and the stack ends with it) as a bare Pod.
	KubeAuto KubeKind = iota
	KubeDeployment
	KubeJob
	KubePod
)

var kubeKindNames = []string{"", "deployment", "job", "pod"}

func (k KubeKind) String() string { return enumString(kubeKindNames, int(k)) }

func (k KubeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *KubeKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, "workload kind", kubeKindNames, strings.ToLower(string(b)))
}

// KubeOptions tune ExportKube.
type KubeOptions struct {
	// Kind of workload for every pod; KubeAuto picks per pod.
	Kind KubeKind
	// Files is where bind-mounted files are read from, rooted at the stack's directory.
	// Nil reads Stack.Dir on disk.
	Files fs.FS
}

// ExportKube writes s as a Kubernetes manifest (several YAML documents), with a warning for
// everything the manifest cannot express. The manifest is decoded again, strictly, with the
// k8s.io/api types before it is returned.
func ExportKube(s *Stack, opt KubeOptions) ([]byte, []Warning, error) {
	if s == nil || len(s.Pods) == 0 {
		return nil, nil, expErrorf("the stack has no pods to export")
	}
	if opt.Kind < KubeAuto || opt.Kind > KubePod {
		return nil, nil, expErrorf("unknown workload kind %d", opt.Kind)
	}
	w := newExpWarnings(s)
	ks, files := kubeExportStack(s, opt, w)
	objs := toKubeObjects(ks, opt.Kind)
	if probs := kubeCheckObjects(w, objs, files); len(probs) > 0 {
		return nil, w.list, &expError{probs: probs}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Kubernetes manifest for stack %q, exported by `sidecar export kube` from %s.\n", s.Name, expSource(s))
	out.WriteString("# Sidecars are native sidecars (initContainers with restartPolicy: Always): Kubernetes 1.29+.\n")
	if slices.ContainsFunc(ks.Pods, func(p *Pod) bool { return len(kubeRegularSidecars(p)) > 0 }) {
		out.WriteString("# Sidecars with gate: running that no other sidecar follows are regular containers, before main.\n")
	}
	for i, o := range objs {
		b, err := marshalKubeObject(o)
		if err != nil {
			return nil, w.list, err
		}
		// Each document must decode again, strictly, into its k8s.io/api type: an unknown or
		// misplaced field is a bug.
		if err := yaml.UnmarshalStrict(b, reflect.New(reflect.TypeOf(o).Elem()).Interface()); err != nil {
			return nil, w.list, fmt.Errorf("the exported manifest does not decode as Kubernetes objects (a bug in sidecar, please report it): document %d (%T): %w", i+1, o, err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return out.Bytes(), w.list, nil
}

// kubeExportStack returns a copy of s rewritten to what the Kubernetes export expresses (bind-
// mounted files become pod volumes holding them), adding to w a warning for each change; the
// import of the export gives it back. files names what each ConfigMap holds, for messages.
func kubeExportStack(s *Stack, opt KubeOptions, w *expWarnings) (*Stack, map[string]string) {
	ks := cloneStack(s)
	fsys := expDirFS(s, opt.Files)
	cmFiles := map[string]string{}

	if ks.Backoff != expDefaultBackoff() {
		w.add("backoff", "the restart backoff (%s doubling to %s) cannot be expressed in Kubernetes: the kubelet uses its own (10s doubling to 5m)", ks.Backoff.Initial, ks.Backoff.Max)
		ks.Backoff = expDefaultBackoff()
	}
	aliases := map[*Pod][]string{}
	for _, p := range ks.Pods {
		aliases[p] = ks.PodAliases(p)
	}
	for _, p := range ks.Pods {
		if len(p.DependsOn) > 0 {
			w.add(p.Name+"/depends_on", "pod %s depends on %s: Kubernetes starts pods in no order, so the manifest keeps the dependency only in the %s annotation; make the app retry until its dependencies answer", p.Name, strings.Join(p.DependsOnNames(), ", "), KubeAnnotationDependsOn)
		}
		if g := expRoundSeconds(p.StopGrace); g != p.StopGrace {
			w.add(p.Name+"/stop_grace", "pod %s: stop_grace %s is rounded up to %s (terminationGracePeriodSeconds counts whole seconds)", p.Name, p.StopGrace, g)
			p.StopGrace = g
		}
		// Kubernetes puts every container of a pod in one IPC namespace.
		p.ShareIPC = true
		if aliases := aliases[p]; len(aliases) > 0 {
			w.add(p.Name+"/aliases", "pod %s is reached by %s too on the stack network: in a cluster a pod is reached only by the names of the Services that select it, so add a Service for each name you need (a Service's name is a DNS label: no '.' or '_'); left out", p.Name, strings.Join(aliases, ", "))
		}
		p.Aliases = nil
		if p.Hostname != "" && !isDNSLabel(p.Hostname) {
			w.add(p.Name+"/hostname", "pod %s: hostname %s is not a DNS label (lowercase letters, digits and '-', no dots), which Kubernetes requires of a pod's hostname: left out, so the pod's hostname is its name", p.Name, p.Hostname)
			p.Hostname = ""
		}
		if gw := slices.DeleteFunc(slices.Clone(p.ExtraHosts), func(h HostAlias) bool { return h.IP != "host-gateway" }); len(gw) > 0 {
			w.add(p.Name+"/extra_hosts", "pod %s: the extra host %s points at host-gateway, the engine's host, which a cluster has no address for: left out", p.Name, strings.Join(gw[0].Hostnames, ", "))
			p.ExtraHosts = slices.DeleteFunc(p.ExtraHosts, func(h HostAlias) bool { return h.IP == "host-gateway" })
		}
		if pp := kubeProbePorts(p); len(pp) > 0 {
			list := expMap(pp, func(port Port) string { return strconv.Itoa(port.ContainerPort) })
			w.add(p.Name+"/expose", "pod %s declares no port, so its Service %s takes the port%s its probes check (%s): other pods reach it there, as they reach every port locally; declare the ports it listens on with expose: [PORT] if there are others",
				p.Name, p.Name, map[bool]string{true: "s"}[len(pp) > 1], strings.Join(list, ", "))
		}
		if se := toKubeSecretEnv(p); len(se.vars) > 0 {
			phrase, its := expSecretVariables(se.vars)
			w.add(p.Name+"/env", "pod %s: %s, so the containers take %s from Secret %s (secretKeyRef), which the manifest holds in plain text: keep the manifest out of version control, or take the Secret out of it and create it in the cluster (kubectl create secret generic %s --from-literal=NAME=value)",
				p.Name, phrase, its, se.name, se.name)
		}
		kind := kubeExportKind(p, opt.Kind)
		switch {
		case kind == KubeDeployment && p.Main.Restart != RestartAlways:
			w.add(expField(p, p.Main, "restart"), "%s: restart: %s cannot be expressed in a Deployment, which always restarts its pods: it becomes restart: always (use --kind job or --kind pod to keep it)", expWho(ks, p, p.Main), p.Main.Restart)
			p.Main.Restart = RestartAlways
		case kind == KubeJob && p.Main.Restart == RestartAlways:
			w.add(expField(p, p.Main, "restart"), "%s: restart: always cannot be expressed in a Job, whose pods cannot restart always: it becomes restart: on-failure", expWho(ks, p, p.Main))
			p.Main.Restart = RestartOnFailure
		}
		// The kubelet retries a failed init container unless the pod's restartPolicy is Never.
		initRestart := RestartOnFailure
		if p.Main.Restart == RestartNever {
			initRestart = RestartNever
		}
		for _, c := range p.Init {
			if c.Restart != initRestart {
				w.add(expField(p, c, "restart"), "%s: restart: %s cannot be expressed in Kubernetes, where a failed init container is retried unless the pod's restartPolicy is Never: with main's restart: %s it becomes restart: %s", expWho(ks, p, c), c.Restart, p.Main.Restart, initRestart)
				c.Restart = initRestart
			}
		}
		files := map[string]string{} // bind source → pod volume holding it
		taken := map[string]bool{}
		for _, v := range p.Volumes {
			taken[v.Name] = true
		}
		var groups []string // supplementary groups are the pod's in Kubernetes: every container's
		for _, c := range p.Containers() {
			kubeExportContainer(w, ks, p, c, fsys, files, taken)
			groups = expAppendNew(groups, c.Groups...)
		}
		for _, c := range p.Containers() {
			if !slices.Equal(c.Groups, groups) {
				w.add(expField(p, c, "groups"), "pod %s: supplementary groups are set per pod in Kubernetes (supplementalGroups): %s gets %s", p.Name, expWho(ks, p, c), strings.Join(groups, ", "))
				c.Groups = slices.Clone(groups)
			}
		}
		for src, vol := range files {
			cmFiles[kubeConfigMapName(p, vol)] = "file ./" + src
		}
		slices.SortFunc(p.Volumes, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
		for _, v := range p.Volumes {
			if len(v.Files) == 0 {
				continue
			}
			name := kubeConfigMapName(p, v.Name)
			cmFiles[name] = cmp.Or(cmFiles[name], "the files of volume "+v.Name)
			kind := "ConfigMap"
			if secret := slices.DeleteFunc(sortedKeys(v.Files), func(f string) bool { return !expSecretLike(f) }); v.Secret || len(secret) > 0 {
				kind = "Secret"
				why := "comes from a Secret"
				if !v.Secret {
					why = "holds " + map[bool]string{true: "a file that looks", false: "files that look"}[len(secret) == 1] + " like a secret (" + andList(secret) + ")"
				}
				w.add(p.Name+"/volumes/"+v.Name, "pod %s: volume %s %s, so it becomes Secret %s, which the manifest holds in plain text: keep the manifest out of version control, or take the Secret out of it and create it in the cluster (kubectl create secret generic %s --from-file=FILE)",
					p.Name, v.Name, why, name, name)
				v.Secret = true // and so it imports back
			}
			for _, c := range p.Containers() {
				for i := range c.Volumes {
					m := &c.Volumes[i]
					if m.Type == MountVolume && m.Source == v.Name && !m.ReadOnly {
						w.add(expField(p, c, "volumes"), "pod %s: volume %s holds files, so it becomes a %s, which Kubernetes mounts read-only: %s cannot write to %s there", p.Name, v.Name, kind, expWho(ks, p, c), m.Target)
						m.ReadOnly = true
					}
				}
			}
		}
	}
	return ks, cmFiles
}

func kubeExportContainer(w *expWarnings, s *Stack, p *Pod, c *Container, fsys fs.FS, files map[string]string, taken map[string]bool) {
	if c.Build != nil {
		w.add(expField(p, c, "build"), "%s: build (context %s) cannot be expressed in Kubernetes: the manifest uses the image %s; build it and push it where the cluster can pull it", expWho(s, p, c), c.Build.Context, c.Image)
		c.Build = nil
	}
	c.EnvFile = nil // its values are in Env already and are written as env values
	const left = " cannot be expressed in Kubernetes: left out"
	nonNumeric := func(u string) bool { _, _, ok := expNumericUser(u); return !ok }
	groups := slices.DeleteFunc(slices.Clone(c.Groups), func(g string) bool { return !nonNumeric(g) })
	for _, fix := range []struct {
		field string
		set   bool
		apply func()
		msg   string
	}{
		{"restart", c.Role == RoleSidecar && c.Restart != RestartAlways, func() { c.Restart = RestartAlways },
			"restart: " + c.Restart.String() + " cannot be expressed in Kubernetes, where a native sidecar is restarted whenever it exits: it becomes restart: always"},
		{"entrypoint", c.Entrypoint != nil && len(c.Entrypoint) == 0 && len(c.Command) == 0, func() { c.Entrypoint = nil },
			"an empty entrypoint with no command runs the image's CMD without its ENTRYPOINT, which Kubernetes cannot express without naming the CMD: the image's ENTRYPOINT runs; write the command out"},
		{"init", c.Init, func() { c.Init = false },
			"init: true (docker-init as PID 1) has no Kubernetes equivalent; shareProcessNamespace: true on the pod gives signals and zombie reaping a similar fix"},
		{"ready", c.Ready != nil && c.Ready.Kind() == ProbeImage, func() { c.Ready = nil },
			"ready: {image: true} (the image's HEALTHCHECK) cannot be expressed in Kubernetes, which ignores an image's HEALTHCHECK: no readinessProbe is written, so what waits for it starts once it runs; write a readinessProbe that checks what the HEALTHCHECK checks"},
		{"stop_grace", c.StopGrace != 0, func() { c.StopGrace = 0 },
			"stop_grace " + c.StopGrace.String() + " cannot be expressed in Kubernetes, which has one grace period per pod (terminationGracePeriodSeconds, from the pod's stop_grace)"},
		{"watch", len(c.Watch) > 0, func() { c.Watch = nil }, "watch rules (export compose keeps them as develop.watch)" + left},
		{"devices", len(c.Devices) > 0, func() { c.Devices = nil },
			"devices (a cluster gives them through device plugins or a privileged container)" + left},
		{"ulimits", len(c.Ulimits) > 0, func() { c.Ulimits = nil }, "ulimits (the node's container runtime sets them)" + left},
		{"shm_size", c.ShmSize > 0, func() { c.ShmSize = 0 },
			"shm_size (mount an emptyDir with medium Memory at /dev/shm instead)" + left},
		{"groups", len(groups) > 0, func() { c.Groups = slices.DeleteFunc(c.Groups, nonNumeric) },
			"groups " + andList(groups) + " are not numeric: Kubernetes sets supplementary groups by ID only (supplementalGroups), so they are left out"},
		{"user", c.User != "" && nonNumeric(c.User), func() { c.User = "" },
			"user " + strconv.Quote(c.User) + " is not numeric: Kubernetes sets users by ID only (securityContext.runAsUser), so it is left out"},
	} {
		if fix.set {
			w.add(expField(p, c, fix.field), "%s: %s", expWho(s, p, c), fix.msg)
			fix.apply()
		}
	}
	if len(c.Labels) > 0 {
		w.addAt(Field(ContainerKey(p.Name, c.Name), "labels"), expField(p, c, "labels"),
			"%s: %s the engine container's, which a Kubernetes pod has no place for (the kubelet labels containers itself; what routes by labels here, traefik say, is an Ingress or a Service there): left out",
			expWho(s, p, c), map[bool]string{true: "label " + andList(sortedKeys(c.Labels)) + " is", false: "labels " + andList(sortedKeys(c.Labels)) + " are"}[len(c.Labels) == 1])
		c.Labels = nil
	}
	if c.Role == RoleSidecar && c.Gate == GateReady && c.Ready != nil && c.Startup != nil {
		w.add(expField(p, c, "gate"), "%s: the kubelet starts the next container once a native sidecar's startupProbe passed, without waiting for its readinessProbe: what comes after it does not wait for it to be ready there, as gate: ready does here", expWho(s, p, c))
	}
	if c.Role == RoleSidecar && c.Gate == GateRunning && c.Startup != nil && !slices.Contains(kubeRegularSidecars(p), c) {
		why := "a Job's or a Pod's that is not restarted always, which runs its regular containers once, where a sidecar restarts whenever it exits"
		if p.Main.Restart == RestartAlways {
			why = "which start after every native sidecar, and a sidecar after it is one (its gate is not running): move it after those"
		}
		w.add(expField(p, c, "gate"), "%s: gate: running is what a regular container of a Kubernetes pod has, and it cannot be one here — %s; as a native sidecar, the kubelet starts the next container once its startupProbe passed, which gate: running does not wait for", expWho(s, p, c), why)
	}
	for _, pr := range []struct {
		name string
		p    *Probe
	}{{"ready", c.Ready}, {"live", c.Live}, {"startup", c.Startup}} {
		if pr.p == nil {
			continue
		}
		before := *pr.p
		pr.p.Period = max(expRoundSeconds(pr.p.Period), Duration(time.Second))
		pr.p.Timeout = max(expRoundSeconds(pr.p.Timeout), Duration(time.Second))
		pr.p.StartPeriod = expRoundSeconds(pr.p.StartPeriod)
		if before != *pr.p {
			w.add(expField(p, c, pr.name), "%s: %s probe timings are rounded up to whole seconds (period %s, timeout %s, start_period %s), the unit Kubernetes probes count in", expWho(s, p, c), pr.name, pr.p.Period, pr.p.Timeout, pr.p.StartPeriod)
		}
	}
	var mounts []Mount
	for i, m := range c.Volumes {
		if m.Type != MountBind {
			mounts = append(mounts, m)
			continue
		}
		field, key := expField(p, c, fmt.Sprintf("volumes[%d]", i)), Field(ContainerKey(p.Name, c.Name), "volumes", i)
		src := expResolveBind(s, fsys, m.Source)
		switch {
		case src.rel == "" && path.IsAbs(m.Source):
			w.addAt(key, field, "%s: the bind mount of %s becomes a hostPath volume: the path is on the node the pod runs on, not on this machine; make sure the node has it, or mount it from a volume of your cluster", expWho(s, p, c), m.Source)
			m.Source = path.Clean(m.Source) // the API server refuses a hostPath with ".."
			mounts = append(mounts, m)
		case src.rel == "":
			w.addAt(key, field, "%s: the bind mount of %s is outside the stack's directory and cannot be carried into a Kubernetes manifest: it is left out; mount it from a volume of your cluster", expWho(s, p, c), m.Source)
		case src.isDir:
			w.addAt(key, field, "%s: the bind mount of directory %s cannot be expressed in Kubernetes (only single files become ConfigMaps): it is left out; mount its files one by one, or use a volume of your cluster", expWho(s, p, c), m.Source)
		case !src.isFile:
			w.addAt(key, field, "%s: the bind-mounted file %s cannot be read, so no ConfigMap can be made of it: it is left out", expWho(s, p, c), m.Source)
		default:
			mounts = append(mounts, kubeFileMount(p, m, src, files, taken))
		}
	}
	c.Volumes = mounts
}

// kubeFileMount mounts the bind-mounted file src with subPath from a pod volume holding it,
// made once per file (files maps a file to its volume; taken are the volume names).
func kubeFileMount(p *Pod, m Mount, src expBind, files map[string]string, taken map[string]bool) Mount {
	key := toKubeConfigMapKey(path.Base(src.rel))
	vol, ok := files[src.rel]
	if !ok {
		vol = dnsLabelUnique(path.Base(src.rel), "file", taken)
		files[src.rel] = vol
		// A compose secret is mounted under /run/secrets.
		secret := strings.HasPrefix(path.Clean(m.Target), "/run/secrets/")
		p.Volumes = append(p.Volumes, &Volume{Name: vol, Files: map[string]string{key: string(src.content)}, Secret: secret})
	}
	return Mount{Type: MountVolume, Source: vol, Target: m.Target, ReadOnly: m.ReadOnly, SubPath: key}
}

func kubeExportKind(p *Pod, k KubeKind) KubeKind {
	switch {
	case k != KubeAuto:
		return k
	case p.Job:
		return KubeJob
	case p.Main.Restart == RestartAlways:
		return KubeDeployment
	}
	return KubePod
}

// toKubeObjects builds the manifest's objects from a stack kubeExportStack prepared: ConfigMaps,
// Secrets, Services, then the workloads, each pod by pod in stack order.
func toKubeObjects(s *Stack, kind KubeKind) []any {
	var cms, secrets, svcs, loads []any
	svcNames := map[string]bool{}
	for _, v := range s.Volumes {
		size := max(v.SizeLimit, 1<<30)
		cms = append(cms, &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: metav1.ObjectMeta{Name: v.Name, Labels: map[string]string{KubeLabelPartOf: s.Name}},
			Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: *resource.NewQuantity(int64(size), resource.BinarySI)}}},
		})
	}
	for _, p := range s.Pods {
		labels := map[string]string{KubeLabelName: p.Name, KubeLabelPartOf: s.Name}
		env := toKubeSecretEnv(p)
		spec, podCMs, podSecrets := toKubePodSpec(s, p, env)
		cms, secrets = append(cms, podCMs...), append(secrets, podSecrets...)
		if len(env.vars) > 0 {
			secrets = append(secrets, &corev1.Secret{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: metav1.ObjectMeta{Name: env.name, Labels: labels, Namespace: p.Namespace},
				Type:       corev1.SecretTypeOpaque,
				StringData: env.data,
			})
		}
		tmpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels), Annotations: map[string]string{}},
			Spec:       spec,
		}
		maps.Copy(tmpl.Labels, p.Labels)
		maps.Copy(tmpl.Annotations, p.Annotations)
		if len(p.DependsOn) > 0 {
			tmpl.Annotations[KubeAnnotationDependsOn] = kubeDependsOn(s, p.DependsOn, kind)
		}
		if gated := kubeReadyGated(p); len(gated) > 0 {
			tmpl.Annotations[KubeAnnotationGateReady] = strings.Join(gated, ",")
		}
		if len(kubeRegularSidecars(p)) > 0 {
			// Main is the last of the regular containers, where it starts: named for the
			// importer, and for kubectl (logs, exec), which takes the first container else.
			tmpl.Annotations[KubeMainAnnotation] = p.Main.Name
			tmpl.Annotations[kubeDefaultContainer] = p.Main.Name
		}
		// kubeExportStack made main's restart fit the kind: always for a Deployment.
		tmpl.Spec.RestartPolicy = toKubeRestart(p.Main.Restart)
		meta := metav1.ObjectMeta{Name: p.Name, Labels: labels, Namespace: p.Namespace}
		switch kubeExportKind(p, kind) {
		case KubeDeployment:
			dep := &appsv1.Deployment{
				TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
				ObjectMeta: meta,
				Spec: appsv1.DeploymentSpec{
					Replicas: expPtr(int32(1)),
					Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: tmpl,
				},
			}
			if slices.ContainsFunc(p.Ports(), func(port Port) bool { return port.HostPort != 0 }) {
				// A rolling update's new pod cannot be scheduled on the node whose host port the
				// old one holds: Recreate stops the old pod first, as sidecar up does.
				dep.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
			}
			loads = append(loads, dep)
		case KubeJob:
			job := &batchv1.Job{
				TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
				ObjectMeta: meta,
				Spec:       batchv1.JobSpec{Template: tmpl},
			}
			if p.Main.Restart == RestartNever {
				// Locally a failed main ends the stack: no second try.
				job.Spec.BackoffLimit = expPtr(int32(0))
			}
			loads = append(loads, job)
		case KubePod:
			loads = append(loads, &corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: tmpl.Labels, Annotations: tmpl.Annotations, Namespace: p.Namespace},
				Spec:       tmpl.Spec,
			})
		}
		svcs = append(svcs, toKubeServices(p, labels, svcNames)...)
	}
	return slices.Concat(cms, secrets, svcs, loads)
}

// toKubeRestart is a pod's restartPolicy for its main's restart (Never for never).
func toKubeRestart(r RestartPolicy) corev1.RestartPolicy {
	return cmp.Or(map[RestartPolicy]corev1.RestartPolicy{RestartAlways: corev1.RestartPolicyAlways, RestartOnFailure: corev1.RestartPolicyOnFailure}[r], corev1.RestartPolicyNever)
}

// toKubePodSpec builds a pod's spec and the ConfigMaps and Secrets its file volumes need; env
// is the pod's Secret of environment values.
func toKubePodSpec(s *Stack, p *Pod, env *kubeSecretEnv) (spec corev1.PodSpec, cms, secrets []any) {
	spec = corev1.PodSpec{
		TerminationGracePeriodSeconds: expPtr(int64(expSeconds(p.StopGrace))),
		ShareProcessNamespace:         expTrue(p.SharePID),
		Hostname:                      p.Hostname, Subdomain: p.Subdomain, ServiceAccountName: p.ServiceAccount,
	}
	for _, h := range p.ExtraHosts {
		spec.HostAliases = append(spec.HostAliases, corev1.HostAlias{IP: h.IP, Hostnames: h.Hostnames})
	}
	if d := p.DNS; d != nil {
		spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: d.Nameservers, Searches: d.Searches}
		for _, o := range d.Options {
			name, value, ok := strings.Cut(o, ":")
			opt := corev1.PodDNSConfigOption{Name: name}
			if ok {
				opt.Value = &value
			}
			spec.DNSConfig.Options = append(spec.DNSConfig.Options, opt)
		}
	}
	psc := &corev1.PodSecurityContext{}
	for _, k := range sortedKeys(p.Sysctls) {
		psc.Sysctls = append(psc.Sysctls, corev1.Sysctl{Name: k, Value: p.Sysctls[k]})
	}
	// The same groups for every container (kubeExportStack).
	psc.SupplementalGroups = expMap(p.Main.Groups, func(g string) int64 { n, _, _ := expNumericUser(g); return n })
	if len(psc.Sysctls)+len(psc.SupplementalGroups) > 0 {
		spec.SecurityContext = psc
	}
	if slices.ContainsFunc(p.Containers(), func(c *Container) bool { return c.StopSignal != "" }) {
		spec.OS = &corev1.PodOS{Name: corev1.Linux} // Kubernetes wants the pod's OS for a stop signal
	}
	used := map[string]bool{}
	for _, c := range p.Containers() {
		for _, m := range c.Volumes {
			if m.Type == MountVolume && p.Volume(m.Source) == nil && s.Volume(m.Source) != nil && !used[m.Source] {
				used[m.Source] = true
				spec.Volumes = append(spec.Volumes, corev1.Volume{Name: m.Source, VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: m.Source}}})
			}
		}
	}
	for _, v := range p.Volumes {
		var src corev1.VolumeSource
		switch cm, items := toKubeConfigMap(s, p, v); {
		case len(v.Files) > 0 && v.Secret: // kubeExportStack marked those that hold secrets
			secrets = append(secrets, &corev1.Secret{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: cm.ObjectMeta, Type: corev1.SecretTypeOpaque, StringData: cm.Data, Data: cm.BinaryData,
			})
			src.Secret = &corev1.SecretVolumeSource{SecretName: cm.Name, Items: items}
		case len(v.Files) > 0:
			cms = append(cms, cm)
			src.ConfigMap = &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name}, Items: items}
		default:
			src.EmptyDir = &corev1.EmptyDirVolumeSource{}
			if v.Medium == MediumMemory {
				src.EmptyDir.Medium = corev1.StorageMediumMemory
			}
			if v.SizeLimit > 0 {
				src.EmptyDir.SizeLimit = resource.NewQuantity(int64(v.SizeLimit), resource.BinarySI)
			}
		}
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: v.Name, VolumeSource: src})
	}
	// The bind mounts left (kubeExportStack) are of absolute paths: hostPath volumes, one per
	// path, named after it.
	hostVols := map[string]string{} // path → volume
	taken := map[string]bool{}
	for _, v := range spec.Volumes {
		taken[v.Name] = true
	}
	for _, c := range p.Containers() {
		for _, m := range c.Volumes {
			if m.Type == MountBind && hostVols[m.Source] == "" {
				hostVols[m.Source] = dnsLabelUnique(path.Base(m.Source), "host", taken)
				spec.Volumes = append(spec.Volumes, corev1.Volume{Name: hostVols[m.Source], VolumeSource: corev1.VolumeSource{
					HostPath: &corev1.HostPathVolumeSource{Path: m.Source}}})
			}
		}
	}
	for _, c := range p.Init {
		spec.InitContainers = append(spec.InitContainers, toKubeContainer(c, env, hostVols))
	}
	regular := kubeRegularSidecars(p)
	for _, c := range p.Sidecars {
		kc := toKubeContainer(c, env, hostVols)
		if slices.Contains(regular, c) {
			spec.Containers = append(spec.Containers, kc)
			continue
		}
		kc.RestartPolicy = expPtr(corev1.ContainerRestartPolicyAlways)
		// The kubelet starts the next container once a native sidecar's startup probe passed:
		// a sidecar gated on its readiness gets its ready probe as a startup probe too.
		if kc.StartupProbe == nil && slices.Contains(kubeReadyGated(p), c.Name) {
			kc.StartupProbe = kc.ReadinessProbe.DeepCopy()
		}
		spec.InitContainers = append(spec.InitContainers, kc)
	}
	spec.Containers = append(spec.Containers, toKubeContainer(p.Main, env, hostVols))
	return spec, cms, secrets
}

// kubeRegularSidecars are the sidecars of p exported as regular containers, before main: the
// last ones whose gate is running (the kubelet starts the container after a regular one once
// it runs). Regular containers start after every native sidecar, and restart as the pod's
// restartPolicy says: so only in a pod whose main restarts always.
func kubeRegularSidecars(p *Pod) []*Container {
	if p.Main.Restart != RestartAlways {
		return nil
	}
	i := len(p.Sidecars)
	for i > 0 && p.Sidecars[i-1].Gate == GateRunning {
		i--
	}
	return p.Sidecars[i:]
}

// kubeDependsOn writes a pod's depends_on as KubeAnnotationDependsOn holds it:
// db,cache:started. Waiting for a job to complete is waiting for it to be ready where the
// job is not written as a Job (--kind deployment or pod): such a pod never completes.
func kubeDependsOn(s *Stack, deps []PodDep, kind KubeKind) string {
	out := make([]string, len(deps))
	for i, d := range deps {
		if dp := s.Pod(d.Pod); d.Condition == DepCompleted && (dp == nil || kubeExportKind(dp, kind) != KubeJob) {
			d.Condition = DepReady
		}
		out[i] = d.String()
	}
	return strings.Join(out, ",")
}

// kubeReadyGated names the sidecars of p whose readiness gates the next container's start
// (gate ready, with a ready probe): what the annotation KubeAnnotationGateReady lists.
func kubeReadyGated(p *Pod) []string {
	var out []string
	for _, c := range p.Sidecars {
		if c.Gate == GateReady && c.Ready != nil {
			out = append(out, c.Name)
		}
	}
	return out
}

// toKubeConfigMap makes the ConfigMap for a pod volume holding files, and the items to mount
// when some file name is not a valid ConfigMap key.
func toKubeConfigMap(s *Stack, p *Pod, v *Volume) (*corev1.ConfigMap, []corev1.KeyToPath) {
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      kubeConfigMapName(p, v.Name),
			Labels:    map[string]string{KubeLabelName: p.Name, KubeLabelPartOf: s.Name},
			Namespace: p.Namespace,
		},
		Data:       map[string]string{},
		BinaryData: map[string][]byte{},
	}
	var items []corev1.KeyToPath
	names := sortedKeys(v.Files)
	rename := slices.ContainsFunc(names, func(n string) bool { return toKubeConfigMapKey(n) != n })
	for _, n := range names {
		key := toKubeConfigMapKey(n)
		if rename {
			items = append(items, corev1.KeyToPath{Key: key, Path: n})
		}
		if content := v.Files[n]; utf8.ValidString(content) {
			cm.Data[key] = content
		} else {
			cm.BinaryData[key] = []byte(content)
		}
	}
	return cm, items
}

func kubeConfigMapName(p *Pod, volume string) string { return p.Name + "-" + volume }

// toKubeConfigMapKey turns a file name into a valid ConfigMap key ([-._a-zA-Z0-9]+).
func toKubeConfigMapKey(name string) string {
	key := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, name)
	if key == "" || key == "." || key == ".." {
		return "file"
	}
	return key
}

// toKubeContainer writes a container; hostVols names the hostPath volume of each bind mount's
// path.
func toKubeContainer(c *Container, secret *kubeSecretEnv, hostVols map[string]string) corev1.Container {
	command, args := c.Entrypoint, c.Command
	if command != nil && len(command) == 0 {
		// An empty entrypoint drops the image's: the kubelet does so when command is set.
		command, args = args, nil
	}
	kc := corev1.Container{
		Name:       c.Name,
		Image:      c.Image,
		Command:    kubeEscapeAll(command),
		Args:       kubeEscapeAll(args),
		WorkingDir: c.WorkingDir,
		TTY:        c.TTY,
		Stdin:      c.TTY,
	}
	if c.ExpandRefs { // in the kubelet's own syntax already
		kc.Command, kc.Args = command, args
	}
	for _, kv := range c.Env.Sorted() {
		name, value, _ := strings.Cut(kv, "=")
		e := corev1.EnvVar{Name: name, Value: kubeEscape(value)}
		if key, ok := secret.keys[c.Name+"/"+name]; ok {
			// The kubelet does not expand $(VAR) in a value from a Secret: no escaping.
			e = corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret.name}, Key: key},
			}}
		}
		kc.Env = append(kc.Env, e)
	}
	for _, r := range c.EnvRefs {
		e := corev1.EnvVar{Name: r.Name, Value: r.Value}
		switch {
		case r.Field != "":
			e.ValueFrom = &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: r.Field}}
		case r.Resource != "":
			rs := &corev1.ResourceFieldSelector{ContainerName: r.Container, Resource: r.Resource}
			if q, err := resource.ParseQuantity(r.Divisor); err == nil {
				rs.Divisor = q
			}
			e.ValueFrom = &corev1.EnvVarSource{ResourceFieldRef: rs}
		}
		kc.Env = append(kc.Env, e)
	}
	if r := c.Resources; r != nil {
		kc.Resources = corev1.ResourceRequirements{Limits: toKubeResources(r.Limits), Requests: toKubeResources(r.Requests)}
	}
	if c.PostStart != nil || c.PreStop != nil || c.StopSignal != "" {
		kc.Lifecycle = &corev1.Lifecycle{PostStart: toKubeHook(c.PostStart), PreStop: toKubeHook(c.PreStop)}
		if c.StopSignal != "" {
			kc.Lifecycle.StopSignal = expPtr(corev1.Signal(c.StopSignal))
		}
	}
	for i, port := range slices.Concat(c.Ports, c.Expose) {
		cp := corev1.ContainerPort{ContainerPort: int32(port.ContainerPort), HostPort: int32(port.HostPort),
			HostIP: port.HostIP, Protocol: toKubeProtocol(port.Protocol)}
		// Declared ports (no host port) are container ports too, unless published already.
		if i < len(c.Ports) || !slices.ContainsFunc(kc.Ports, func(q corev1.ContainerPort) bool {
			return q.ContainerPort == cp.ContainerPort && q.Protocol == cp.Protocol
		}) {
			kc.Ports = append(kc.Ports, cp)
		}
	}
	for _, m := range c.Volumes {
		name := m.Source
		if m.Type == MountBind {
			name = hostVols[m.Source]
		}
		kc.VolumeMounts = append(kc.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: m.Target, ReadOnly: m.ReadOnly, SubPath: m.SubPath})
	}
	sc := &corev1.SecurityContext{Privileged: expTrue(c.Privileged), ReadOnlyRootFilesystem: expTrue(c.ReadOnly)}
	if c.User != "" {
		uid, gid, _ := expNumericUser(c.User)
		sc.RunAsUser = expPtr(uid)
		if gid >= 0 {
			sc.RunAsGroup = expPtr(gid)
		}
	}
	if len(c.CapAdd)+len(c.CapDrop) > 0 {
		toCap := func(n string) corev1.Capability { return corev1.Capability(n) }
		sc.Capabilities = &corev1.Capabilities{Add: expMap(c.CapAdd, toCap), Drop: expMap(c.CapDrop, toCap)}
	}
	if *sc != (corev1.SecurityContext{}) {
		kc.SecurityContext = sc
	}
	kc.ReadinessProbe, kc.LivenessProbe, kc.StartupProbe = toKubeProbe(c.Ready), toKubeProbe(c.Live), toKubeProbe(c.Startup)
	return kc
}

func toKubeResources(l ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	if l.CPU > 0 {
		out[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(l.CPU), resource.DecimalSI)
	}
	if l.Memory > 0 {
		out[corev1.ResourceMemory] = *resource.NewQuantity(int64(l.Memory), resource.BinarySI)
	}
	return out // an empty list is left out of the manifest
}

// toKubeHook writes a lifecycle hook; an exec hook's command is not expanded by the kubelet.
func toKubeHook(h *Hook) *corev1.LifecycleHandler {
	switch {
	case h == nil:
		return nil
	case h.Exec != nil:
		return &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: h.Exec.Command}}
	case h.HTTP != nil:
		return &corev1.LifecycleHandler{HTTPGet: toKubeHTTP(h.HTTP)}
	}
	return &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: int64(expSeconds(h.Sleep))}}
}

// kubeSecretEnv is a pod's Secret of the variables whose names look like a secret's (taken
// with secretKeyRef, so that it can be created apart from the manifest), each keyed by its
// name, or container.name where containers differ. vars is empty when there is none.
type kubeSecretEnv struct {
	name string
	vars []string // sorted
	data map[string]string
	keys map[string]string // container/variable → key
}

func toKubeSecretEnv(p *Pod) *kubeSecretEnv {
	values := map[string][]string{} // variable → the values it has in the pod
	for _, c := range p.Containers() {
		for name, v := range c.Env {
			// An empty value (say from a ${TS_AUTHKEY:-} whose variable was not set) has
			// nothing to hide, and stays an env value to fill in.
			if v != "" && expSecretLike(name) {
				values[name] = expAppendNew(values[name], v)
			}
		}
	}
	se := &kubeSecretEnv{name: p.Name + "-env", vars: sortedKeys(values), data: map[string]string{}, keys: map[string]string{}}
	owner := map[string]string{} // key → the variable (or container/variable) it holds
	for _, c := range p.Containers() {
		for _, name := range se.vars {
			if c.Env[name] == "" {
				continue
			}
			base, who := toKubeConfigMapKey(name), name
			if len(values[name]) > 1 {
				base, who = c.Name+"."+base, c.Name+"/"+name
			}
			key := base
			for i := 2; owner[key] != "" && owner[key] != who; i++ {
				key = fmt.Sprintf("%s-%d", base, i)
			}
			owner[key] = who
			se.data[key] = c.Env[name]
			se.keys[c.Name+"/"+name] = key
		}
	}
	return se
}

// kubeEscape doubles every $ so that the kubelet's $(VAR) expansion in command, args, env
// values and exec probe commands gives the text back.
func kubeEscape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func kubeEscapeAll(in []string) []string { return mapWords(in, kubeEscape) }

func toKubeProtocol(p Protocol) corev1.Protocol {
	return cmp.Or(map[Protocol]corev1.Protocol{ProtoUDP: corev1.ProtocolUDP, ProtoSCTP: corev1.ProtocolSCTP}[p], corev1.ProtocolTCP)
}

func toKubeProbe(p *Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	kp := &corev1.Probe{
		PeriodSeconds:       int32(expSeconds(p.Period)),
		TimeoutSeconds:      int32(expSeconds(p.Timeout)),
		FailureThreshold:    int32(p.Retries),
		InitialDelaySeconds: int32(expSeconds(p.StartPeriod)),
	}
	switch {
	case p.HTTP != nil:
		kp.HTTPGet = toKubeHTTP(p.HTTP)
	case p.TCP != nil:
		kp.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(p.TCP.Port)), Host: p.TCP.Host}
	case p.Exec != nil:
		// The kubelet expands $(VAR) in an exec probe's command too (from the container's
		// literal env values), so its $ are doubled as in command and args.
		kp.Exec = &corev1.ExecAction{Command: kubeEscapeAll(p.Exec.Command)}
	}
	return kp
}

func toKubeHTTP(h *HTTPProbe) *corev1.HTTPGetAction {
	g := &corev1.HTTPGetAction{Path: h.Path, Port: intstr.FromInt32(int32(h.Port)), Host: h.Host}
	// http is written only when the recipe says so, to give it back.
	g.Scheme = map[string]corev1.URIScheme{"https": corev1.URISchemeHTTPS, "http": corev1.URISchemeHTTP}[h.Scheme]
	for _, n := range sortedKeys(h.Headers) {
		g.HTTPHeaders = append(g.HTTPHeaders, corev1.HTTPHeader{Name: n, Value: h.Headers[n]})
	}
	return g
}

// kubeProbePorts are the ports a pod that neither publishes nor declares any is known to
// listen on: those its containers' ready and live probes (tcp or http, on the pod itself)
// check, in container order. The export gives the pod's Service these ports, with a warning.
func kubeProbePorts(p *Pod) []Port {
	if len(p.Ports())+len(p.Exposed()) > 0 {
		return nil
	}
	var out []Port
	for _, c := range p.Containers() {
		for _, pr := range []*Probe{c.Ready, c.Live} {
			port := Port{Protocol: ProtoTCP}
			switch {
			case pr == nil:
			case pr.TCP != nil && pr.TCP.Host == "":
				port.ContainerPort = pr.TCP.Port
			case pr.HTTP != nil && pr.HTTP.Host == "":
				port.ContainerPort = pr.HTTP.Port
			}
			if port.ContainerPort > 0 {
				out = expAppendNew(out, port)
			}
		}
	}
	return out
}

// toKubeServices are the Services by which the other pods reach pod p as they do locally: a
// ClusterIP Service of its name with each port it publishes or declares (else kubeProbePorts);
// a NodePort Service <pod>-nodeport for the ports published without a host port (the cluster
// picks the node port, as the engine picks the host port); and a headless Service of its
// subdomain, which gives it its HOSTNAME.SUBDOMAIN name. taken are the Service names so far.
func toKubeServices(p *Pod, labels map[string]string, taken map[string]bool) []any {
	var ports, nodePorts []corev1.ServicePort
	sp := func(port Port) corev1.ServicePort {
		return corev1.ServicePort{
			Name:       fmt.Sprintf("%s-%d", port.Protocol, port.ContainerPort),
			Port:       int32(port.ContainerPort),
			TargetPort: intstr.FromInt32(int32(port.ContainerPort)),
			Protocol:   toKubeProtocol(port.Protocol),
		}
	}
	published := p.Ports()
	for i, port := range slices.Concat(published, p.Exposed(), kubeProbePorts(p)) {
		ports = expAppendNew(ports, sp(port))
		if i < len(published) && port.HostPort == 0 {
			nodePorts = expAppendNew(nodePorts, sp(port))
		}
	}
	svc := func(name string, typ corev1.ServiceType, ports []corev1.ServicePort) *corev1.Service {
		taken[name] = true
		return &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Namespace: p.Namespace},
			Spec:       corev1.ServiceSpec{Type: typ, Selector: labels, Ports: ports},
		}
	}
	var out []any
	if sub := p.Subdomain; sub != "" && !taken[sub] {
		hl := svc(sub, corev1.ServiceTypeClusterIP, ports)
		hl.Spec.ClusterIP = corev1.ClusterIPNone
		hl.Spec.PublishNotReadyAddresses = true // as the stack network names a pod that is not ready yet
		if sub != p.Name {
			// The importer knows it by this annotation: it gives the pod its HOSTNAME.SUBDOMAIN.
			hl.Annotations = map[string]string{KubeAnnotationSubdomainOf: p.Name}
		}
		out = append(out, hl)
	}
	if len(ports) == 0 {
		return out
	}
	if !taken[p.Name] {
		out = append(out, svc(p.Name, corev1.ServiceTypeClusterIP, ports))
	}
	if len(nodePorts) > 0 {
		np := svc(expSuffixed(p.Name, "-nodeport"), corev1.ServiceTypeNodePort, nodePorts)
		// The importer knows it by this annotation: the pod's own, reached by the pod's name.
		np.Annotations = map[string]string{KubeAnnotationNodePortOf: p.Name}
		out = append(out, np)
	}
	return out
}

// expNumericUser parses "UID" or "UID:GID"; gid is -1 when not given.
func expNumericUser(u string) (uid, gid int64, ok bool) {
	us, gs, hasGroup := strings.Cut(u, ":")
	uid, err := strconv.ParseInt(us, 10, 64)
	gid = -1
	if hasGroup && err == nil {
		gid, err = strconv.ParseInt(gs, 10, 64)
	}
	if err != nil || uid < 0 || hasGroup && gid < 0 {
		return 0, 0, false
	}
	return uid, gid, true
}

func expDefaultBackoff() Backoff {
	return Backoff{Initial: Duration(DefaultBackoffInitial), Max: Duration(DefaultBackoffMax), Reset: Duration(DefaultBackoffReset)}
}

// expRoundSeconds rounds d up to whole seconds.
func expRoundSeconds(d Duration) Duration {
	return Duration(time.Duration(expSeconds(d)) * time.Second)
}

// expSeconds is d in whole seconds, rounded up.
func expSeconds(d Duration) int {
	return int((time.Duration(d) + time.Second - 1) / time.Second)
}

func expPtr[T any](v T) *T { return &v }

// expTrue is a pointer to true when b is, else nil: the field is left out.
func expTrue(b bool) *bool {
	if !b {
		return nil
	}
	return expPtr(true)
}

// kubeEmptyNoise are fields the Kubernetes types always marshal, which marshalKubeObject
// leaves out when empty.
var kubeEmptyNoise = []string{"status", "resources", "strategy", "metadata", "loadBalancer"}

func marshalKubeObject(o any) ([]byte, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", o, err)
	}
	expPruneEmpty(m)
	return yaml.Marshal(m)
}

func expPruneEmpty(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			expPruneEmpty(e)
			if sub, ok := e.(map[string]any); ok && len(sub) == 0 && slices.Contains(kubeEmptyNoise, k) {
				delete(t, k)
			}
		}
	case []any:
		for _, e := range t {
			expPruneEmpty(e)
		}
	}
}
