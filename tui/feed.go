package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// The feed brings the orchestrator's events into the program. One command at a time waits
// on the subscription; when events arrive it waits out the rest of the current frame,
// gathers everything that came meanwhile, prepares the log lines (dropping colour where the
// orchestrator's one sanitising pass kept some, lower-casing) off the update loop, and hands the whole batch over as one message. The model asks for
// the next batch only after it has applied this one. So a log storm reaches the model as at
// most one message per batchFrames frames, and key presses always find the loop free
// between them.

// maxBatch bounds the events one batch gathers.
const maxBatch = 50000

// batchFrames is how many frames a batch of events spans at most: log lines move on screen
// up to FPS/batchFrames times a second (20 at the default 60 FPS), which still reads as
// smooth scrolling; every batch costs a frame, so a storm costs the renderer a third of what it
// would at every frame (measured: 30 batches/s took 18-21% of a core in BenchmarkTUILogStorm,
// 20 batches/s 16%), while key presses are still drawn at the next frame.
const batchFrames = 3

// Under a storm — a batch with more lines than a 200×50 screen of four columns shows, so
// that each frame replaces what the columns showed — the next batch waits four times as
// long: 5 a second at 60 FPS (10 before). Nobody reads thousands of lines a second as they
// scroll; every frame costs bubbletea's renderer the whole screen (2 ms of CPU for 200×50:
// at 10 frames a second a third of the process's cost in the profile of bench/tuistorm,
// after the attach readers' cuts); keys are still drawn at the next frame.
const (
	stormLines  = 200
	stormFrames = 4 * batchFrames
)

// batchMsg is one frame's worth of events, in stream order.
type batchMsg struct{ items []item }

// item is one event; log lines come prepared.
type item struct {
	ev       orchestrator.Event // nil for a log line
	pod, ctr string             // a log line's container
	line     line
}

// feedEndMsg says the stream ended: the stack is done (err io.EOF) or the feed failed.
type feedEndMsg struct{ err error }

type feed struct {
	sub   Subscription
	frame time.Duration // the batch period
	// storm tells that the last batch had more than stormLines log lines: the next one
	// waits stormFrames. Only the one command in flight touches it.
	storm bool
	// last is when the previous batch was handed over. Only the one command in flight
	// touches it; the program's message channel orders the commands.
	last time.Time
}

// next returns the command that waits for the next batch.
func (f *feed) next(ctx context.Context) tea.Cmd {
	return func() tea.Msg {
		evs, err := f.sub.Next(ctx)
		if err != nil {
			return feedEndMsg{err: err}
		}
		period := f.frame
		if f.storm {
			period = f.frame * stormFrames / batchFrames
		}
		if wait := period - time.Since(f.last); wait > 0 && wait <= period {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return feedEndMsg{err: ctx.Err()}
			}
		}
		for len(evs) < maxBatch {
			more := f.sub.TryNext()
			if len(more) == 0 {
				break
			}
			evs = append(evs, more...)
		}
		f.last = time.Now()
		items := prepare(evs)
		lines := 0
		for i := range items {
			if items[i].ev == nil {
				lines++
			}
		}
		f.storm = lines > stormLines
		return batchMsg{items: items}
	}
}

// prepare turns log events into ready lines; other events pass as they are.
func prepare(evs []orchestrator.Event) []item {
	out := make([]item, len(evs))
	for i, ev := range evs {
		if l, ok := ev.(orchestrator.LogEvent); ok {
			kind := kindOut
			switch {
			case l.Marker:
				kind = kindMarker
			case l.Stream == orchestrator.Stderr:
				kind = kindErr
			}
			// The orchestrator's buffer sanitised the line once; one it marked Plain has no
			// colour to drop either, and is taken as it is.
			out[i] = item{pod: l.Pod, ctr: l.Container, line: makeLine(l.Seq, l.Time, kind, l.Text, l.Plain)}
			continue
		}
		out[i] = item{ev: ev}
	}
	return out
}
