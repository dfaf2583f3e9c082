package recipes

// What the API server refuses in a pod template that the types alone accept: values out of
// their range or set, names it does not take, fields that need others. Each is a problem at
// the field, with the fix, as `kubectl apply` would fail on it.

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// kubeEnum reports whether value (left out: "") is one of allowed; else it is a problem at
// path, what the field is named.
func (k *kubeImport) kubeEnum(d *kubeDoc, path, value string, allowed ...string) bool {
	if value == "" || slices.Contains(allowed, value) {
		return true
	}
	field := path[strings.LastIndexByte(path, '.')+1:]
	k.problem(k.at(d, path), fmt.Sprintf("%s %q is not one Kubernetes knows", field, yamlpos.Clip(value)),
		kubeSuggest(value, allowed, "use "+orList(allowed)+", or leave "+field+" out"))
	return false
}

// kubeSuggest is hint, after a did-you-mean suggestion of one of options for word if there is one.
func kubeSuggest(word string, options []string, hint string) string {
	if s := suggest.DidYouMean(word, options); s != "" {
		return s + " (" + hint + ")"
	}
	return hint
}

// orList is "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// containerPort checks a container's port entry at pp as the API server does: a
// containerPort from 1 to 65535, a valid name that no other port of the container has
// (names holds those seen), and in the host's network a hostPort equal to the containerPort.
// It reports whether the port can be used.
func (k *kubeImport) containerPort(cx *kubeCtx, pp, container string, cp corev1.ContainerPort, names map[string]bool) bool {
	d, ok := cx.d, true
	if cp.ContainerPort < 1 || cp.ContainerPort > 65535 {
		what := fmt.Sprintf("containerPort %d of container %s is out of range", cp.ContainerPort, container)
		if cp.ContainerPort == 0 {
			what = fmt.Sprintf("a port of container %s has no containerPort", container)
		}
		k.problem(k.at(d, pp+".containerPort"), what, "use a port from 1 to 65535")
		ok = false
	}
	if cp.HostPort < 0 || cp.HostPort > 65535 {
		k.problem(k.at(d, pp+".hostPort"), fmt.Sprintf("hostPort %d of container %s is out of range", cp.HostPort, container), "use a port from 1 to 65535, or leave hostPort out")
		ok = false
	} else if cx.spec.HostNetwork && cp.HostPort != 0 && cp.HostPort != cp.ContainerPort {
		k.problem(k.at(d, pp+".hostPort"), fmt.Sprintf("hostPort %d of container %s must be its containerPort %d, because the pod is in the host's network (hostNetwork: true)", cp.HostPort, container, cp.ContainerPort),
			"leave hostPort out: it is the containerPort")
		ok = false
	}
	if cp.Name == "" {
		return ok
	}
	if errs := validation.IsValidPortName(cp.Name); len(errs) > 0 {
		hint := "use at most 15 lowercase letters, digits and '-', with at least one letter"
		if fix := DNSLabel(cp.Name); fix != "" && fix != cp.Name && len(validation.IsValidPortName(fix)) == 0 {
			hint += fmt.Sprintf(", e.g. %q", fix)
		}
		k.problem(k.at(d, pp+".name"), fmt.Sprintf("port name %q of container %s is not valid: it %s", yamlpos.Clip(cp.Name), container, strings.Join(errs, "; ")), hint)
		return false
	}
	if names[cp.Name] {
		k.problem(k.at(d, pp+".name"), fmt.Sprintf("port name %q is used twice in container %s", cp.Name, container), "give each port of a container its own name")
		return false
	}
	names[cp.Name] = true
	return ok
}

// kubeSignals are the stop signals the API server takes (lifecycle.stopSignal).
var kubeSignals = func() []string {
	out := strings.Fields(`SIGABRT SIGALRM SIGBUS SIGCHLD SIGCLD SIGCONT SIGFPE SIGHUP SIGILL SIGINT SIGIO SIGIOT
		SIGKILL SIGPIPE SIGPOLL SIGPROF SIGPWR SIGQUIT SIGSEGV SIGSTKFLT SIGSTOP SIGSYS SIGTERM SIGTRAP SIGTSTP
		SIGTTIN SIGTTOU SIGURG SIGUSR1 SIGUSR2 SIGVTALRM SIGWINCH SIGXCPU SIGXFSZ SIGRTMIN SIGRTMAX`)
	for i := 1; i <= 15; i++ {
		out = append(out, fmt.Sprintf("SIGRTMIN+%d", i))
	}
	for i := 1; i <= 14; i++ {
		out = append(out, fmt.Sprintf("SIGRTMAX-%d", i))
	}
	return out
}()

// containerChecks checks a container's enumerated fields and its stop signal.
func (k *kubeImport) containerChecks(cx *kubeCtx, p string, c corev1.Container) (stopSignal bool) {
	d := cx.d
	k.kubeEnum(d, p+".imagePullPolicy", string(c.ImagePullPolicy), "Always", "IfNotPresent", "Never")
	k.kubeEnum(d, p+".terminationMessagePolicy", string(c.TerminationMessagePolicy), "File", "FallbackToLogsOnError")
	if c.Lifecycle == nil || c.Lifecycle.StopSignal == nil {
		return false
	}
	sp, sig := p+".lifecycle.stopSignal", string(*c.Lifecycle.StopSignal)
	if !slices.Contains(kubeSignals, sig) {
		k.problem(k.at(d, sp), fmt.Sprintf("stopSignal %q of container %s is not a signal Kubernetes knows", yamlpos.Clip(sig), c.Name),
			kubeSuggest(sig, kubeSignals, "write a signal name like SIGINT, SIGQUIT or SIGRTMIN+3"))
		return false
	}
	if cx.spec.OS == nil || cx.spec.OS.Name == "" {
		k.problem(k.at(d, sp), fmt.Sprintf("stopSignal of container %s needs the pod's operating system: Kubernetes takes a stop signal only in a pod spec with os.name", c.Name),
			"add os: {name: linux} to the pod spec")
		return false
	}
	return true
}

// podChecks checks the pod spec's enumerated fields.
func (k *kubeImport) podChecks(cx *kubeCtx) {
	k.kubeEnum(cx.d, cx.sp+".dnsPolicy", string(cx.spec.DNSPolicy), "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
}

// selector checks a replicated workload's selector as the API server does: apps/v1 requires
// one, not empty, that selects the pod template's labels.
func (k *kubeImport) selector(d *kubeDoc, sel *metav1.LabelSelector, tmpl corev1.PodTemplateSpec) {
	example := "selector: {matchLabels: {app: " + cmp.Or(tmpl.Labels["app"], d.name) + "}}"
	if len(tmpl.Labels) == 0 {
		example += ", and the same labels on the pod template (spec.template.metadata.labels)"
	}
	switch {
	case d.rejectedUnder("spec.selector") || d.rejectedUnder("spec.template.metadata"):
		return // reported
	case sel == nil:
		k.problem(k.keyAt(d, "spec.selector"), fmt.Sprintf("%s %s has no spec.selector, which Kubernetes requires", d.kind, d.name), "add "+example)
		return
	case len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0:
		k.problem(k.keyAt(d, "spec.selector"), fmt.Sprintf("the selector of %s %s is empty, which Kubernetes refuses", d.kind, d.name), "write "+example)
		return
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		k.problem(k.keyAt(d, "spec.selector"), fmt.Sprintf("the selector of %s %s is not valid: %v", d.kind, d.name, err), "write "+example)
		return
	}
	if !s.Matches(labels.Set(tmpl.Labels)) {
		k.problem(k.keyAt(d, "spec.template.metadata.labels"), fmt.Sprintf("the selector of %s %s (%s) does not match its pod template's labels", d.kind, d.name, s),
			"give the pod template (spec.template.metadata.labels) the labels spec.selector names")
	}
}

// subPath checks a mount's subPath at p as the API server does: a relative path that does
// not step out of the volume with "..". On a hostPath it would be joined to the host path,
// and reach outside it.
func (k *kubeImport) subPath(cx *kubeCtx, p, container, sub string) bool {
	switch {
	case sub == "":
		return true
	case path.IsAbs(sub):
		k.problem(k.at(cx.d, p), fmt.Sprintf("subPath %q of container %s must be a relative path inside the volume", yamlpos.Clip(sub), container),
			"write it without the leading /, e.g. "+cmp.Or(strings.TrimLeft(sub, "/"), "conf"))
	case slices.Contains(strings.Split(sub, "/"), ".."):
		k.problem(k.at(cx.d, p), fmt.Sprintf("subPath %q of container %s must not contain '..'", yamlpos.Clip(sub), container),
			"name a path inside the volume; to mount a directory outside it, declare a volume for that directory")
	default:
		return true
	}
	return false
}

// emptyDirFields warns about the fields of an emptyDir at p other than medium and sizeLimit
// (mode, and any the API gains later), which are not applied.
func (k *kubeImport) emptyDirFields(cx *kubeCtx, p string) {
	for _, pr := range yamlpos.Pairs(valueAt(cx.d.node, kubeParts(p)...)) {
		switch key := pr.Key.Value; {
		case key == "medium" || key == "sizeLimit" || kubeEmpty(pr.Value) || cx.d.rejectedUnder(p+"."+key):
		case key == "mode":
			k.warnAt(cx.d, p+".mode", fmt.Sprintf("mode %s is not applied: the volume's directory has an emptyDir's default mode, 0777", pr.Value.Value))
		default:
			k.warnAt(cx.d, p+"."+key, kubeNotHonoured)
		}
	}
}

// duplicateNames places a container name used twice (which validation reports) at its
// second use in the file, as the API server does, rather than at the first.
func (k *kubeImport) duplicateNames(cx *kubeCtx) {
	seen := map[string]bool{}
	for _, list := range []struct {
		field string
		cs    []corev1.Container
	}{{"initContainers", cx.spec.InitContainers}, {"containers", cx.spec.Containers}} {
		for i, c := range list.cs {
			if seen[c.Name] && c.Name != "" {
				k.pos.Set(Field(ContainerKey(cx.kp.pod.Name, c.Name), "name"), k.at(cx.d, fmt.Sprintf("%s.%s[%d].name", cx.sp, list.field, i)))
			}
			seen[c.Name] = true
		}
	}
}
