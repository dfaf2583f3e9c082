package orchestrator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/sidecar-dev/sidecar/recipes"
)

// InfraName is the container name of every pod's infra container, in labels and engine names.
const InfraName = "infra"

// Names computes the engine names of one stack's objects. Engine names are
// "<stack>-<pod>-<object>", shortened to "<stack>-<object>" when the pod is named like the
// stack (the flat, one-pod form of a recipe).
type Names struct {
	Stack string
}

func (n Names) prefix(pod string) string {
	if pod == n.Stack {
		return n.Stack + "-"
	}
	return n.Stack + "-" + pod + "-"
}

// Container is the engine name of a container of a pod ("infra" for its infra container).
func (n Names) Container(pod, container string) string { return n.prefix(pod) + container }

// Volume is the engine name of a pod volume.
func (n Names) Volume(pod, volume string) string { return n.prefix(pod) + volume }

// StackVolume is the engine name of a stack volume, shared by the stack's pods.
func (n Names) StackVolume(volume string) string { return n.Stack + "-" + volume }

// Network is the engine name of the stack network, created when the stack runs several pods.
func (n Names) Network() string { return n.Stack + "-net" }

// StackLabels are the labels every engine object of the stack carries.
func StackLabels(stack *recipes.Stack, version string) Labels {
	return Labels{Stack: stack.Name, Version: version, Recipe: stack.Source.List()}
}

// ConfigHash is a stable hash of a normalised container spec and the image it resolved to: it
// changes exactly when the container would be created differently.
func ConfigHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// The model marshals by construction; a failure here is a programming error that
		// must not crash a running stack, so hash its text instead.
		b = []byte(err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
