package plain

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// JSON writes every event as one JSON object per line: the orchestrator's own JSON form of
// each event (see orchestrator.DecodeEvent), the snapshot first.
type JSON struct {
	w *bufio.Writer
}

// NewJSON returns a JSON printer writing to w.
func NewJSON(w io.Writer) *JSON { return &JSON{w: bufio.NewWriterSize(w, 64<<10)} }

// Run prints what sub delivers until the stream ends (then it returns nil) or ctx ends.
func (j *JSON) Run(ctx context.Context, sub *orchestrator.Subscription) error {
	return Each(ctx, sub, j.Print)
}

// Print writes a batch of events, one JSON object per line, and flushes them. A container's
// text is written without escape sequences (LogEvent.PlainText): JSON is for machines.
func (j *JSON) Print(evs []orchestrator.Event) error {
	for _, ev := range evs {
		if l, ok := ev.(orchestrator.LogEvent); ok {
			l.Text = l.PlainText()
			ev = l
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode a %s event: %w", ev.Type(), err)
		}
		j.w.Write(b)
		j.w.WriteByte('\n')
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write the stack's events: %w", err)
	}
	return nil
}
