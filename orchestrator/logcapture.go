package orchestrator

import (
	"context"
	"fmt"
	"time"
)

// follow reads one run of a container's output into its buffer: from the run's start (so no
// line written before we attached is lost), following until the stream ends (the container
// stopped) or ctx ends. It first waits for the previous run's reader to drain, so lines stay
// in order across a restart, and a restart adds a marker line. The sink appends to a ring
// buffer and never blocks, so neither the container nor the supervisor waits on readers.
func (s *supervisor) follow(ctx context.Context, prev <-chan struct{}, done chan<- struct{}, buf *LogBuffer, id string, since time.Time, marker string) {
	defer close(done)
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			return
		}
	}
	if marker != "" {
		buf.Mark(since, marker)
	}
	err := s.rt.Logs(ctx, id, LogOptions{Follow: true, Since: since, Tail: -1}, buf.Append)
	if err != nil && ctx.Err() == nil && !isNotFound(err) {
		s.out.publish(MessageEvent{Level: LevelWarning, Pod: s.spec.Pod.Name, Container: buf.Container(),
			Text: fmt.Sprintf("reading the logs of %s stopped: %v", buf.Container(), err)})
	}
}
