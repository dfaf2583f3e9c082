package orchestrator

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/recipes"
)

// executor carries out actions against the runtime and reports what happened; it decides
// nothing. Every error names the operation and the engine object: the Runtime's errors do
// already (see the Runtime's errors), so they are passed on as they are rather than wrapped
// in the same words again ("create container x: create container x: …").
type executor struct {
	rt Runtime
	// epoch is the relist epoch: read after a create so a relist that began before it does
	// not take the new container for a vanished one.
	epoch *atomic.Uint64
	// tail is how many last lines ActCollectLogs reads.
	tail int
	// logs: app containers' output is attached just before each start (see logcapture.go).
	logs *attachments
}

func (e *executor) execute(ctx context.Context, a Action) ActionResult {
	r := ActionResult{Action: a}
	switch a.Kind {
	case ActCreateVolume:
		r.Err = e.rt.CreateVolume(ctx, a.Volume, a.Labels)
	case ActRemoveVolume:
		if err := e.rt.RemoveVolume(ctx, a.Volume); err != nil && !isNotFound(err) {
			r.Err = err
		}
	case ActCreate:
		id, err := e.rt.CreateContainer(ctx, *a.Spec)
		r.ID, r.Epoch = id, e.epoch.Load()
		if err != nil {
			r.Err = err
			return r
		}
		for _, fc := range a.Files {
			if err := e.rt.CopyFiles(ctx, id, fc.Dir, fc.Files); err != nil {
				r.Err = err
				return r
			}
		}
	case ActStart:
		if a.Role != recipes.RoleInfra {
			e.logs.attach(ctx, a.ID)
		}
		if err := e.rt.StartContainer(ctx, a.ID); err != nil {
			e.logs.drop(a.ID)
			r.Err = err
			return r
		}
		r.Info = e.inspect(ctx, a.ID)
	case ActStop:
		res, err := e.rt.StopContainer(ctx, a.ID, a.Grace)
		if err != nil {
			r.Err = err
			return r
		}
		r.Stop = res
		r.Info = e.inspect(ctx, a.ID)
	case ActRemove:
		if err := e.rt.RemoveContainer(ctx, a.ID); err != nil && !isNotFound(err) {
			r.Err = err
		}
	case ActCollectLogs:
		var lines []string
		err := e.rt.Logs(ctx, a.ID, LogOptions{Tail: e.tail}, func(l LogLine) {
			lines = append(lines, termsafe.Sanitize(l.Text, termsafe.Color))
		})
		if err != nil {
			r.Err = fmt.Errorf("read the logs of %s: %w", a.Target, err)
		}
		if len(lines) > e.tail {
			lines = lines[len(lines)-e.tail:]
		}
		r.Lines = lines
	}
	return r
}

// inspect returns the container's state right after an operation, or nil when it cannot be
// read (events and relists will tell).
func (e *executor) inspect(ctx context.Context, id string) *ContainerInfo {
	info, err := e.rt.InspectContainer(ctx, id)
	if err != nil {
		return nil
	}
	return &info
}
