package orchestrator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/recipes"
)

// The labels sidecar puts on every engine object it creates, under one prefix, are written
// and read here and nowhere else: Labels.Encode writes them, DecodeLabels reads them back and
// checks every value. The tool never touches an engine object that does not carry the stack
// label. Label values come back from the engine, where anyone with access to it (or an image,
// or someone else's compose file) can set them: decoding is where a hostile value — a name
// with a terminal escape sequence, say — is rejected, so that no view ever shows one.

// labelPrefix starts every key; the keys are the prefix plus the names below.
const labelPrefix = recipes.ReservedLabelPrefix // "dev.sidecar."

const (
	keyStack      = labelPrefix + "stack"       // stack name
	keyPod        = labelPrefix + "pod"         // pod name
	keyContainer  = labelPrefix + "container"   // container name within the pod (InfraName for the infra container)
	keyRole       = labelPrefix + "role"        // infra | init | sidecar | main
	keyConfigHash = labelPrefix + "config-hash" // hash of the normalised container spec
	keyVersion    = labelPrefix + "version"     // version of the sidecar binary that created it
	keyRecipe     = labelPrefix + "recipe"      // absolute path of the recipe file, when known (compose files merged: their paths, separated as in PATH)
	// What a teardown needs when the recipe is gone (Down): the pod's lifecycle order and
	// stop budget, read back from the engine.
	keyOrder     = labelPrefix + "order"      // app containers: position in the pod's start order (init, sidecars, main), from 0
	keyStopGrace = labelPrefix + "stop-grace" // infra: the pod's stop budget; app container: its own stop_grace, when set
	keyDependsOn = labelPrefix + "depends-on" // infra: the pods this pod depends on, comma-separated, when any
	keyJob       = labelPrefix + "job"        // infra: "true" when the pod is a job (it completes; the stack goes on)
	// The infra image (made by the runtime, not per stack).
	keyInfraHelper     = labelPrefix + "infra-helper"      // sha256 of the helper binary inside it
	keyInfraVolumeDirs = labelPrefix + "infra-volume-dirs" // how many directories for pod volumes it has
)

// Labels are the labels of one engine object. A zero field is not written (and is what an
// absent label decodes to).
type Labels struct {
	Stack     string
	Pod       string
	Container string
	Role      recipes.Role

	ConfigHash string
	Version    string
	Recipe     string

	// Order is an app container's position in its pod's start order (init containers,
	// sidecars, main), from 0; HasOrder tells whether it is recorded (containers made before
	// the label existed have none).
	Order    int
	HasOrder bool
	// StopGrace: on the infra container the pod's stop budget, on an app container its own
	// stop_grace when the recipe set one.
	StopGrace time.Duration
	// DependsOn: on the infra container, the pods the pod depends on.
	DependsOn []string
	// Job: on the infra container, the pod is a job pod (an exited main with code 0 is a
	// completed job, not a stopped service).
	Job bool

	// The infra image's: the sha256 of its helper binary, and how many directories for pod
	// volumes it has.
	InfraHelper     string
	InfraVolumeDirs int
}

// Encode returns the labels as the engine stores them.
func (l Labels) Encode() map[string]string {
	m := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put(keyStack, l.Stack)
	put(keyPod, l.Pod)
	put(keyContainer, l.Container)
	put(keyRole, l.Role.String())
	put(keyConfigHash, l.ConfigHash)
	put(keyVersion, l.Version)
	put(keyRecipe, l.Recipe)
	if l.HasOrder {
		m[keyOrder] = strconv.Itoa(l.Order)
	}
	if l.StopGrace > 0 {
		m[keyStopGrace] = recipes.Duration(l.StopGrace).String()
	}
	put(keyDependsOn, strings.Join(l.DependsOn, ","))
	if l.Job {
		m[keyJob] = "true"
	}
	put(keyInfraHelper, l.InfraHelper)
	if l.InfraVolumeDirs > 0 {
		m[keyInfraVolumeDirs] = strconv.Itoa(l.InfraVolumeDirs)
	}
	return m
}

// StackFilter selects the engine objects of a stack (ListContainers, ListNetworks,
// ListVolumes, Events); stack "" selects the objects of every stack.
func StackFilter(stack string) map[string]string { return map[string]string{keyStack: stack} }

// IsLabelKey reports whether an engine label key is one of sidecar's.
func IsLabelKey(k string) bool { return strings.HasPrefix(k, labelPrefix) }

// LabelError is a label whose value sidecar would not have written.
type LabelError struct {
	Key   string
	Value string // as found: quote it (%q) to show it
	Want  string // what a valid value looks like
}

func (e *LabelError) Error() string {
	v := e.Value
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	return fmt.Sprintf("label %s is %q, not %s", e.Key, v, e.Want)
}

// ErrBadLabel is matched (errors.Is) by every LabelError.
var ErrBadLabel = errors.New("label sidecar did not write")

func (e *LabelError) Unwrap() error { return ErrBadLabel }

// DecodeLabels reads sidecar's labels of an engine object. Every value is checked: names
// must be DNS labels (as the recipe's are), the role one of the roles, numbers and durations
// well-formed, free text (version, recipe path, hash) free of control characters and escape
// sequences. A value that fails is left out of the result (its field stays zero) and
// reported; the error holds one *LabelError per such label (errors.As finds them). Labels that are absent are not
// an error.
func DecodeLabels(m map[string]string) (Labels, error) {
	var l Labels
	var errs []error
	bad := func(k, want string) { errs = append(errs, &LabelError{Key: k, Value: m[k], Want: want}) }
	name := func(k string, dst *string) {
		if v, ok := m[k]; ok {
			if ValidName(v) {
				*dst = v
			} else {
				bad(k, "a DNS label (lowercase letters, digits and '-', at most 63)")
			}
		}
	}
	text := func(k string, max int, dst *string) {
		if v, ok := m[k]; ok {
			if len(v) <= max && termsafe.Plain(v) == v {
				*dst = v
			} else {
				bad(k, fmt.Sprintf("printable text of at most %d bytes", max))
			}
		}
	}
	name(keyStack, &l.Stack)
	name(keyPod, &l.Pod)
	name(keyContainer, &l.Container)
	if v, ok := m[keyRole]; ok {
		var r recipes.Role
		if err := r.UnmarshalText([]byte(v)); err == nil && r != recipes.RoleUnknown {
			l.Role = r
		} else {
			bad(keyRole, "infra, init, sidecar or main")
		}
	}
	text(keyConfigHash, 128, &l.ConfigHash)
	text(keyVersion, 128, &l.Version)
	text(keyRecipe, 4096, &l.Recipe)
	if v, ok := m[keyOrder]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < 1<<20 {
			l.Order, l.HasOrder = n, true
		} else {
			bad(keyOrder, "a position from 0")
		}
	}
	if v, ok := m[keyStopGrace]; ok {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			l.StopGrace = d
		} else {
			bad(keyStopGrace, "a positive duration")
		}
	}
	if v, ok := m[keyDependsOn]; ok && v != "" {
		deps := strings.Split(v, ",")
		valid := true
		for _, d := range deps {
			valid = valid && ValidName(d)
		}
		if valid {
			l.DependsOn = deps
		} else {
			bad(keyDependsOn, "pod names separated by commas")
		}
	}
	if v, ok := m[keyJob]; ok {
		if l.Job = v == "true"; !l.Job {
			bad(keyJob, "true")
		}
	}
	text(keyInfraHelper, 128, &l.InfraHelper)
	if v, ok := m[keyInfraVolumeDirs]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n <= 4096 {
			l.InfraVolumeDirs = n
		} else {
			bad(keyInfraVolumeDirs, "a positive number")
		}
	}
	if len(errs) == 0 {
		return l, nil
	}
	return l, labelErrors(errs)
}

// labelErrors are the LabelErrors of one object, said on one line.
type labelErrors []error

func (e labelErrors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

func (e labelErrors) Unwrap() []error { return e }

// ValidName reports whether s is a valid name of a stack, pod or container: an RFC 1123 DNS
// label (lowercase letters, digits and '-', starting and ending with a letter or digit, at
// most 63), as the recipe's validation requires.
func ValidName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CheckStackName says what is wrong with a stack name given on the command line (--stack),
// quoting it so that nothing in it reaches the terminal raw; nil when it is valid.
func CheckStackName(s string) error {
	if ValidName(s) {
		return nil
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Errorf("stack name %q is not a valid name: a stack is named with at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (sidecar ps lists the stacks)", s)
}
