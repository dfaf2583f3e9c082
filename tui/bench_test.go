package tui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/tui/internal/fakestack"
)

// The log-storm benchmark (docs/benchmarks.md, "TUI"): 4 containers × 5 000 lines/s for
// 30 s through the real program — a real orchestrator running the stack on the in-memory
// engine, its log buffers, the subscription, the event feed, the model, bubbletea's
// renderer drawing 200×50 frames in 256 colours into a writer that stands for the terminal
// — measuring the process's CPU as a share of one core (getrusage) and key-to-frame
// latency: the time from writing "?" to the program's input to the moment the renderer
// writes the frame that shows the help ("KEYS"). The lines are appended to the
// orchestrator's log buffers, as its engine reader does (-tui.source=engine has the
// in-memory engine's containers print them instead, which adds that fake's own costs: it
// keeps every line forever). The same storm with no view (a subscriber that only drains
// the stream) gives the baseline the pipeline itself costs.

var (
	stormFor    = flag.Duration("tui.storm", 30*time.Second, "how long the TUI log-storm benchmark runs")
	stormRate   = flag.Int("tui.rate", 5000, "lines a second per container in the TUI log-storm benchmark")
	stormWidth  = flag.Int("tui.width", 200, "terminal width of the TUI log-storm benchmark")
	stormHeight = flag.Int("tui.height", 50, "terminal height of the TUI log-storm benchmark")
)

var stormN = flag.Int("tui.containers", 4, "containers in the TUI log-storm benchmark (at most 9)")

var stormSource = flag.String("tui.source", "buffers", "where the storm's lines come from: buffers (appended to the orchestrator's log buffers) or engine (printed by the in-memory engine's containers)")

// spewBuffer appends rate lines a second to buf (in bursts every 10ms) until ctx ends, as
// the log pipeline's reader does with what the engine sends.
func spewBuffer(ctx context.Context, buf *orchestrator.LogBuffer, rate int, line func(int) (orchestrator.Stream, string)) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	start, n := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for due := int(now.Sub(start).Seconds() * float64(rate)); n < due; n++ {
				stream, text := line(n)
				buf.Append(orchestrator.LogLine{Time: now, Stream: stream, Text: text})
			}
		}
	}
}

func BenchmarkTUILogStorm(b *testing.B) {
	for i := 0; i < b.N; i++ {
		base := runStorm(b, false)
		view := runStorm(b, true)
		b.ReportMetric(view.cpu*100, "%cpu")
		b.ReportMetric(base.cpu*100, "%cpu-noview")
		b.ReportMetric(ms(view.latency(0.5)), "ms-key-p50")
		b.ReportMetric(ms(view.latency(0.95)), "ms-key-p95")
		b.ReportMetric(ms(view.latency(1)), "ms-key-max")
		b.ReportMetric(view.linesPerSec, "lines/s")
		b.ReportMetric(float64(view.skipped), "skipped")
		b.ReportMetric(float64(view.missed), "keys-lost")
		b.ReportMetric(float64(view.maxRSS)/1e6, "MB-peak-RSS")
		b.Logf("storm %s, %d containers × %d lines/s, %dx%d; load average before and after: %s / %s",
			*stormFor, *stormN, *stormRate, *stormWidth, *stormHeight, base.load, view.load)
		b.Logf("no view:   CPU %.1f%% of a core, %.0f lines/s delivered", base.cpu*100, base.linesPerSec)
		b.Logf("with view: CPU %.1f%% of a core, %.0f lines/s delivered, %d frames (%.0f/s, %.1f MB written)",
			view.cpu*100, view.linesPerSec, view.frames, float64(view.frames)/view.wall.Seconds(), float64(view.bytes)/1e6)
		b.Logf("key to frame: %d presses, %d not shown within 2s; p50 %.1fms p95 %.1fms max %.1fms",
			len(view.latencies)+view.missed, view.missed, ms(view.latency(0.5)), ms(view.latency(0.95)), ms(view.latency(1)))
		b.Logf("source %s; with view: %d GCs, %.1fms paused in all, heap %.0f MB at the end, peak RSS %.0f MB (both runs); %d lines skipped",
			*stormSource, view.gcs, ms(view.gcPause), float64(view.heap)/1e6, float64(view.maxRSS)/1e6, view.skipped)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type stormResult struct {
	cpu         float64 // CPU seconds per wall second of the measured window
	wall        time.Duration
	linesPerSec float64
	frames      int
	bytes       int64
	latencies   []time.Duration
	missed      int
	load        string // the machine's load average at the start
	gcs         uint32
	gcPause     time.Duration
	heap        uint64
	skipped     int64 // lines the view was told it skipped (LogsDroppedEvent)
	maxRSS      int64 // the process's peak RSS, bytes
}

func (r stormResult) latency(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), r.latencies...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

// countingSub counts the log lines the view reads.
type countingSub struct {
	*orchestrator.Subscription
	lines, skipped *atomic.Int64
}

func (c countingSub) count(evs []orchestrator.Event) []orchestrator.Event {
	n := 0
	for _, e := range evs {
		switch e := e.(type) {
		case orchestrator.LogEvent:
			n++
		case orchestrator.LogsDroppedEvent:
			c.skipped.Add(int64(e.Count))
		}
	}
	c.lines.Add(int64(n))
	return evs
}

func (c countingSub) Next(ctx context.Context) ([]orchestrator.Event, error) {
	evs, err := c.Subscription.Next(ctx)
	return c.count(evs), err
}

func (c countingSub) TryNext() []orchestrator.Event { return c.count(c.Subscription.TryNext()) }

// countingCtl is the orchestrator with a counting subscription.
type countingCtl struct {
	*orchestrator.Orchestrator
	lines, skipped *atomic.Int64
}

func (c countingCtl) SubscribeWith(o orchestrator.SubscribeOptions) countingSub {
	return countingSub{c.Orchestrator.SubscribeWith(o), c.lines, c.skipped}
}

// frameWriter stands for the terminal: it counts frames and bytes and notes when a marker
// is drawn.
type frameWriter struct {
	mu     sync.Mutex
	marker []byte
	tail   []byte
	frames int
	bytes  int64
	seen   chan time.Time
}

func (w *frameWriter) Write(p []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	w.frames++
	w.bytes += int64(len(p))
	seen := append(w.tail, p...) // the marker may straddle two writes
	found := bytes.Contains(seen, w.marker)
	w.tail = append([]byte(nil), seen[max(0, len(seen)-len(w.marker)+1):]...)
	w.mu.Unlock()
	if found {
		select {
		case w.seen <- now:
		default:
		}
	}
	return len(p), nil
}

var stormWords = strings.Fields("get post put /api/users /api/orders /healthz 200 201 404 500 upstream connected flushed records cache hit miss latency bytes")

func stormLine(ctr string, i int) (orchestrator.Stream, string) {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %08d", ctr, i)
	for b.Len() < 60+r.IntN(60) {
		b.WriteString(" " + stormWords[r.IntN(len(stormWords))])
	}
	if i%17 == 0 {
		return orchestrator.Stderr, b.String()
	}
	return orchestrator.Stdout, b.String()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runStorm runs one storm, with the view or with a subscriber that only drains the stream.
func runStorm(b *testing.B, withView bool) stormResult {
	b.Helper()
	st, err := fakestack.Load(fakestack.Recipe(fakestack.Spec{Name: "storm", N: *stormN}))
	if err != nil {
		b.Fatal(err)
	}
	s := fakestack.New(st, orchestrator.Options{})
	var lines, skipped atomic.Int64
	ctl := countingCtl{s.Orch, &lines, &skipped}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inR, inW := io.Pipe()
	out := &frameWriter{marker: []byte("KEYS"), seen: make(chan time.Time, 1)}
	viewDone := make(chan error, 1)
	if withView {
		opts := Options{Input: inR, Output: out, Environ: []string{"TERM=xterm-256color"}}
		opts.programOptions = []tea.ProgramOption{tea.WithWindowSize(*stormWidth, *stormHeight),
			tea.WithColorProfile(colorprofile.ANSI256), tea.WithoutSignalHandler()}
		go func() { viewDone <- Run(ctx, ctl, opts) }()
	} else {
		sub := ctl.SubscribeWith(subscribeOptions)
		go func() {
			defer sub.Close()
			for {
				if _, err := sub.Next(ctx); err != nil {
					viewDone <- nil
					return
				}
			}
		}()
	}
	s.Start(context.Background())
	waitCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := s.Running(waitCtx, "storm", fakestack.Names[:*stormN]...); err != nil {
		b.Fatal(err)
	}

	var wg sync.WaitGroup
	spewCtx, stopSpew := context.WithCancel(ctx)
	for _, c := range fakestack.Names[:*stormN] {
		// The lines are made up front: making them is the load generator's work, not the
		// program's.
		const distinct = 4096
		var texts [distinct]string
		var streams [distinct]orchestrator.Stream
		for i := range texts {
			streams[i], texts[i] = stormLine(c, i)
		}
		line := func(i int) (orchestrator.Stream, string) { return streams[i%distinct], texts[i%distinct] }
		wg.Add(1)
		go func() {
			defer wg.Done()
			if *stormSource == "engine" {
				s.Spew(spewCtx, "storm", c, *stormRate, line)
				return
			}
			spewBuffer(spewCtx, s.Orch.Logs().Buffer("storm", c), *stormRate, line)
		}()
	}

	// Warm up for a second, then measure.
	warm := time.NewTimer(time.Second)
	<-warm.C
	startWall, startCPU, startLines, startSkipped := time.Now(), cpuTime(), lines.Load(), skipped.Load()
	out.mu.Lock()
	startFrames, startBytes := out.frames, out.bytes
	out.mu.Unlock()

	var res stormResult
	var mem0 goruntime.MemStats
	goruntime.ReadMemStats(&mem0)
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.load = strings.Join(strings.Fields(string(l))[:3], " ")
	}
	end := time.NewTimer(*stormFor)
	// Presses come every 200–250ms at random, so that they fall at every point of the
	// renderer's frame period (a fixed 250ms is a multiple of 1/60s and always would hit
	// the same point).
	jitter := rand.New(rand.NewPCG(1, 2))
	nextPress := func() time.Duration {
		return 200*time.Millisecond + time.Duration(jitter.Int64N(int64(50*time.Millisecond)))
	}
	press := time.NewTimer(nextPress())
measure:
	for {
		select {
		case <-end.C:
			break measure
		case <-press.C:
			press.Reset(nextPress())
			if !withView {
				continue
			}
			select { // a stale sighting from before this press
			case <-out.seen:
			default:
			}
			sent := time.Now()
			if _, err := inW.Write([]byte("?")); err != nil {
				b.Fatal(err)
			}
			timeout := time.NewTimer(2 * time.Second)
			select {
			case at := <-out.seen:
				res.latencies = append(res.latencies, at.Sub(sent))
			case <-timeout.C:
				res.missed++
			}
			timeout.Stop()
			// Close the help again, and let two frames go out before the next press, so
			// that the closed screen is drawn and the next "KEYS" is drawn anew.
			out.mu.Lock()
			closedAt := out.frames
			out.mu.Unlock()
			if _, err := inW.Write([]byte("?")); err != nil {
				b.Fatal(err)
			}
			for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
				out.mu.Lock()
				drawn := out.frames - closedAt
				out.mu.Unlock()
				if drawn >= 2 {
					break
				}
				time.Sleep(time.Millisecond) // poll interval
			}
		}
	}
	press.Stop()
	res.wall = time.Since(startWall)
	res.cpu = float64(cpuTime()-startCPU) / float64(res.wall)
	res.linesPerSec = float64(lines.Load()-startLines) / res.wall.Seconds()
	res.skipped = skipped.Load() - startSkipped
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	res.maxRSS = ru.Maxrss << 10
	out.mu.Lock()
	res.frames, res.bytes = out.frames-startFrames, out.bytes-startBytes
	out.mu.Unlock()
	var mem1 goruntime.MemStats
	goruntime.ReadMemStats(&mem1)
	res.gcs, res.gcPause, res.heap = mem1.NumGC-mem0.NumGC, time.Duration(mem1.PauseTotalNs-mem0.PauseTotalNs), mem1.HeapAlloc

	stopSpew()
	wg.Wait()
	if withView {
		_, _ = inW.Write([]byte("q"))
	} else {
		s.Orch.Shutdown()
	}
	if _, err := s.Wait(); err != nil {
		b.Fatal(err)
	}
	if err := <-viewDone; err != nil {
		b.Fatal(err)
	}
	_ = inW.Close()
	return res
}

// BenchmarkRender measures drawing one 200×50 frame of four full columns.
func BenchmarkRender(b *testing.B) {
	m, _ := runningScene(b, 4, 200, 50)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

// BenchmarkApplyBatch measures folding one frame's batch of 400 log lines into the model.
func BenchmarkApplyBatch(b *testing.B) {
	m, _ := runningScene(b, 4, 200, 50)
	var evs []orchestrator.Event
	for i := 0; i < 400; i++ {
		ctr := fakestack.Names[i%4]
		stream, text := stormLine(ctr, i)
		evs = append(evs, orchestrator.LogEvent{EventMeta: meta(0), Pod: "shop", Container: ctr, Stream: stream, Text: text})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.apply(prepare(evs))
	}
}

// BenchmarkRenderScrolling measures a 200×50 frame of four columns that each got a new
// line since the last frame, as in a storm: every column is drawn again.
func BenchmarkRenderScrolling(b *testing.B) {
	m, _ := runningScene(b, 4, 200, 50)
	var evs []orchestrator.Event
	for i := 0; i < 4; i++ {
		ctr := fakestack.Names[i]
		stream, text := stormLine(ctr, i)
		evs = append(evs, orchestrator.LogEvent{EventMeta: meta(0), Pod: "shop", Container: ctr, Stream: stream, Text: text})
	}
	items := prepare(evs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.apply(items)
		_ = m.View()
	}
}
