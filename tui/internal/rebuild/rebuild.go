// Package rebuild follows the images a watch rebuilds and whom each rebuild is for, so that
// the build's steps are told with the container that asked for it: in its column in the TUI,
// on its lines in the plain printer.
package rebuild

import (
	"strings"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Owners maps the image refs a watch is rebuilding to whom each rebuild is for.
type Owners[K comparable] map[string]K

// Watch notes a watch event of owner's: a rebuild it starts, or the end of all of its
// rebuilds.
func (o Owners[K]) Watch(e orchestrator.WatchEvent, owner K) {
	switch e.Phase {
	case orchestrator.WatchRebuilding:
		o[e.Image] = owner
	case orchestrator.WatchRebuilt, orchestrator.WatchFailed:
		for ref, k := range o {
			if k == owner {
				delete(o, ref)
			}
		}
	}
}

// Image says whom an image event is for when a watch rebuilds its image (ok), and the build
// step it tells ("Step 2/2 : COPY index.html /www/"), empty when it tells none.
func (o Owners[K]) Image(e orchestrator.ImageEvent) (owner K, step string, ok bool) {
	if owner, ok = o[e.Ref]; ok && e.Action == orchestrator.ImageBuild && strings.HasPrefix(e.Message, "Step ") {
		step = e.Message
	}
	return owner, step, ok
}
