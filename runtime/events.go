package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// eventActions are the container events the orchestrator acts on, with health_status (see
// Events); the engine filters the rest out (exec_create/exec_start/exec_die from probes above
// all, which are frequent).
var eventActions = map[events.Action]orchestrator.EngineAction{
	events.ActionCreate:  orchestrator.ActionCreate,
	events.ActionStart:   orchestrator.ActionStart,
	events.ActionDie:     orchestrator.ActionDie,
	events.ActionOOM:     orchestrator.ActionOOM,
	events.ActionKill:    orchestrator.ActionKill,
	events.ActionStop:    orchestrator.ActionStop,
	events.ActionDestroy: orchestrator.ActionDestroy,
}

// Events streams the events of containers whose labels include filter, from since (zero: from
// now). EngineEvent.Labels holds the container's labels that are sidecar's (orchestrator.IsLabelKey). When
// the stream ends — an engine error, a dropped connection, or ctx ending — the error channel
// receives one error and both channels close; the caller relists and subscribes again.
func (d *Docker) Events(ctx context.Context, since time.Time, filter map[string]string) (<-chan orchestrator.EngineEvent, <-chan error) {
	f := labelFilters(filter).Add("type", string(events.ContainerEventType))
	for a := range eventActions {
		f.Add("event", string(a))
	}
	// "health_status" without a status matches every "health_status: …" action (the engine
	// matches this one by prefix), on every engine version.
	f.Add("event", string(events.ActionHealthStatus))
	opts := client.EventsListOptions{Filters: f}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	out := make(chan orchestrator.EngineEvent, 64)
	errc := make(chan error, 1)
	sub, cancel := context.WithCancel(ctx)
	res := d.cli.Events(sub, opts)
	go func() { // ends with the stream: the client's goroutine always reports an error
		defer close(errc)
		defer close(out)
		defer cancel()
		for {
			select {
			case m := <-res.Messages:
				ev, ok := engineEvent(m)
				if !ok {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
			case err := <-res.Err:
				switch {
				case ctx.Err() != nil:
					err = ctx.Err()
				case err == nil:
					err = errors.New("watch engine events: the stream ended")
				default:
					err = engineError("watch engine events", err)
				}
				errc <- err
				return
			}
		}
	}()
	return out, errc
}

// engineEvent maps one engine message.
func engineEvent(m events.Message) (orchestrator.EngineEvent, bool) {
	if m.Type != events.ContainerEventType {
		return orchestrator.EngineEvent{}, false
	}
	action, ok := eventActions[m.Action]
	var health orchestrator.EngineHealth
	if status, isHealth := strings.CutPrefix(string(m.Action), string(events.ActionHealthStatus)+": "); isHealth {
		// healthy or unhealthy; other words (a check's free-form output) say nothing of the
		// verdict.
		health = orchestrator.ParseEngineHealth(strings.TrimSpace(status))
		action, ok = orchestrator.ActionHealth, health != orchestrator.EngineHealthNone
	}
	if !ok {
		return orchestrator.EngineEvent{}, false
	}
	ev := orchestrator.EngineEvent{Action: action, ID: m.Actor.ID, Labels: map[string]string{}, Health: health}
	if m.TimeNano != 0 {
		ev.Time = time.Unix(0, m.TimeNano)
	} else {
		ev.Time = time.Unix(m.Time, 0)
	}
	for k, v := range m.Actor.Attributes {
		if orchestrator.IsLabelKey(k) {
			ev.Labels[k] = v
		}
	}
	if action == orchestrator.ActionDie {
		ev.ExitCode, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
	}
	return ev, true
}
