package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
)

func TestSubscriberGetsSnapshotThenEvents(t *testing.T) {
	h := newHarness(t, simple(), orchestrator.Options{})
	h.start()
	h.until("pod running", 0, func() bool { return h.podPhase("s") == orchestrator.PhaseRunning })

	sub := h.o.SubscribeWith(orchestrator.SubscribeOptions{NoLogs: true})
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := sub.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap, ok := evs[0].(orchestrator.SnapshotEvent)
	if !ok {
		t.Fatalf("first event %T, want a snapshot", evs[0])
	}
	if p := snap.Stack.Pod("s"); p == nil || p.Phase != orchestrator.PhaseRunning || p.Container("side").State != orchestrator.CStateRunning {
		t.Fatalf("snapshot %+v", snap.Stack)
	}
	view := snap.Stack
	last := snap.Seq
	apply := func(evs []orchestrator.Event) {
		for _, e := range evs {
			if e.Meta().Seq <= last {
				t.Fatalf("event %d after %d: out of order", e.Meta().Seq, last)
			}
			last = e.Meta().Seq
			view.Apply(e)
		}
	}
	apply(evs[1:])

	if err := h.rt.Exit("s-side", 2); err != nil {
		t.Fatal(err)
	}
	h.until("side back", 500*time.Millisecond, func() bool {
		return h.view("s", "side").Restarts == 1 && h.state("s", "side") == orchestrator.CStateRunning
	})
	h.o.Shutdown()
	for {
		evs, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		apply(evs)
	}
	<-h.done
	if got, want := view, h.o.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot + events:\n%+v\nSnapshot():\n%+v", got, want)
	}
	if view.Phase != orchestrator.PhaseDone || view.ExitCode == nil || *view.ExitCode != 0 {
		t.Errorf("final stack view %+v", view)
	}
}

func TestSlowLogSubscriberSeesDropsAndNeverBlocks(t *testing.T) {
	// Room for exactly the last 5 lines: a subscriber that does not read keeps unread lines
	// only up to the buffer's memory bound.
	h := newHarness(t, simple(), orchestrator.Options{LogLines: 5, LogBytes: 5 * (len("line 20000") + orchestrator.LogLineOverhead)})
	slow := h.o.Subscribe() // never reads until the end
	defer slow.Close()
	h.startRunning("s-app")
	const n = 20000
	for i := 1; i <= n; i++ {
		if err := h.rt.Print("s-app", orchestrator.Stdout, fmt.Sprintf("line %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	buf := h.o.Logs().Buffer("s", "app")
	h.until("every line through the buffer", 0, func() bool { _, next := buf.Bounds(); return next == n })
	// The lifecycle went on regardless: a crash is handled while the subscriber sleeps.
	if err := h.rt.Exit("s-side", 1); err != nil {
		t.Fatal(err)
	}
	h.until("side back", 500*time.Millisecond, func() bool { return h.view("s", "side").Restarts == 1 })

	var lines []string
	var dropped uint64
	for _, e := range slow.TryNext() {
		switch e := e.(type) {
		case orchestrator.LogsDroppedEvent:
			if e.Container == "app" {
				dropped += e.Count
			}
		case orchestrator.LogEvent:
			if e.Container == "app" {
				lines = append(lines, e.Text)
			}
		}
	}
	if dropped != n-5 || strings.Join(lines, ",") != "line 19996,line 19997,line 19998,line 19999,line 20000" {
		t.Errorf("dropped %d, lines %v; want %d dropped and the last 5", dropped, lines, n-5)
	}
}

func TestLogBufferRead(t *testing.T) {
	hub := orchestrator.NewLogHubLimits(3, 3*(2+orchestrator.LogLineOverhead), nil) // 3 lines of 2 bytes
	a, b := hub.Buffer("p", "a"), hub.Buffer("p", "b")
	r := hub.NewReader()
	defer r.Close()
	a.Append(orchestrator.LogLine{Text: "a1"})
	b.Append(orchestrator.LogLine{Text: "b1"})
	a.Append(orchestrator.LogLine{Text: "a2"})
	select {
	case <-r.Notify():
	default:
		t.Fatal("no notification")
	}
	got, more := r.Read(2)
	if text(got) != "a1 b1" || !more {
		t.Errorf("first read %q more=%v", text(got), more)
	}
	for i := 3; i <= 7; i++ {
		a.Append(orchestrator.LogLine{Text: fmt.Sprintf("a%d", i)})
	}
	got, more = r.Read(0)
	if text(got) != "[dropped 3 of a] a5 a6 a7" || more {
		t.Errorf("second read %q more=%v", text(got), more)
	}
	if lines, next, missed := a.Read(0, 10); len(lines) != 3 || next != 7 || missed != 4 {
		t.Errorf("buffer read: %d lines, next %d, missed %d", len(lines), next, missed)
	}
}

func text(evs []orchestrator.Event) string {
	var out []string
	for _, e := range evs {
		switch e := e.(type) {
		case orchestrator.LogEvent:
			out = append(out, e.Text)
		case orchestrator.LogsDroppedEvent:
			out = append(out, fmt.Sprintf("[dropped %d of %s]", e.Count, e.Container))
		}
	}
	return strings.Join(out, " ")
}

func TestEventJSON(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	code := 3
	meta := orchestrator.EventMeta{Seq: 7, Time: at}
	tests := []struct {
		ev   orchestrator.Event
		want string
	}{
		{orchestrator.StackEvent{EventMeta: meta, Stack: "shop", Phase: orchestrator.PhaseDone, Reason: "main web of pod shop exited with code 3", ExitCode: &code},
			`{"type":"stack","seq":7,"time":"2025-03-01T12:00:00Z","stack":"shop","phase":"done","reason":"main web of pod shop exited with code 3","exit_code":3}`},
		{orchestrator.PodEvent{EventMeta: meta, Pod: "shop", Phase: orchestrator.PhaseStartingMain},
			`{"type":"pod","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","phase":"starting-main"}`},
		{orchestrator.ContainerEvent{EventMeta: meta, ContainerView: orchestrator.ContainerView{Pod: "shop", Name: "envoy", Role: recipes.RoleSidecar,
			State: orchestrator.CStateBackoff, ExitCode: &code, Restarts: 2, RestartAt: at.Add(4 * time.Second), RestartIn: recipes.Duration(4 * time.Second), Reason: "exit code 3"}},
			`{"type":"container","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"envoy","role":"sidecar","state":"backoff","health":"none","exit_code":3,"restarts":2,"restart_at":"2025-03-01T12:00:04Z","restart_in":"4s","reason":"exit code 3"}`},
		{orchestrator.ContainerEvent{EventMeta: meta, ContainerView: orchestrator.ContainerView{Pod: "shop", Name: "web", Role: recipes.RoleMain,
			State: orchestrator.CStateStopping, Health: orchestrator.HealthReady, StopDeadline: at.Add(30 * time.Second), StopGrace: recipes.Duration(30 * time.Second), Reason: "pod stopping, main first"}},
			`{"type":"container","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"web","role":"main","state":"stopping","health":"ready","restarts":0,"stop_deadline":"2025-03-01T12:00:30Z","stop_grace":"30s","reason":"pod stopping, main first"}`},
		{orchestrator.HookEvent{EventMeta: meta, Pod: "shop", Container: "web", Hook: orchestrator.HookPreStop, Phase: orchestrator.HookFailed,
			Action: "exec /drain", Error: "abandoned: it did not finish within the grace of 30s", Duration: recipes.Duration(30 * time.Second)},
			`{"type":"hook","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"web","hook":"pre-stop","phase":"failed","action":"exec /drain","error":"abandoned: it did not finish within the grace of 30s","duration":"30s"}`},
		{orchestrator.HookEvent{EventMeta: meta, Pod: "shop", Container: "envoy", Hook: orchestrator.HookPostStart, Phase: orchestrator.HookRunning},
			`{"type":"hook","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"envoy","hook":"post-start","phase":"running"}`},
		{orchestrator.ProbeEvent{EventMeta: meta, Pod: "shop", Container: "envoy", Probe: orchestrator.ProbeStartup, Duration: recipes.Duration(4400 * time.Millisecond)},
			`{"type":"probe","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"envoy","probe":"startup","duration":"4.4s"}`},
		{orchestrator.PodEvent{EventMeta: meta, Pod: "seed", Phase: orchestrator.PhaseCompleted, Reason: "job completed: main seed exited with code 0"},
			`{"type":"pod","seq":7,"time":"2025-03-01T12:00:00Z","pod":"seed","phase":"completed","reason":"job completed: main seed exited with code 0"}`},
		{orchestrator.ImageEvent{EventMeta: meta, Ref: "app:dev", Action: orchestrator.ImageBuild, Step: "2/4", Message: "COPY . /"},
			`{"type":"image","seq":7,"time":"2025-03-01T12:00:00Z","ref":"app:dev","action":"build","step":"2/4","message":"COPY . /"}`},
		{orchestrator.LeftoversEvent{EventMeta: meta, Containers: []string{"shop-web"}},
			`{"type":"leftovers","seq":7,"time":"2025-03-01T12:00:00Z","containers":["shop-web"]}`},
		{orchestrator.MessageEvent{EventMeta: meta, Level: orchestrator.LevelWarning, Pod: "shop", Container: "web", Text: "killed", Hint: "set init: true"},
			`{"type":"message","seq":7,"time":"2025-03-01T12:00:00Z","level":"warning","pod":"shop","container":"web","text":"killed","hint":"set init: true"}`},
		{orchestrator.LogEvent{EventMeta: meta, Pod: "shop", Container: "web", Stream: orchestrator.Stderr, Text: "GET / 200"},
			`{"type":"log","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"web","stream":"stderr","text":"GET / 200"}`},
		{orchestrator.LogsDroppedEvent{EventMeta: meta, Pod: "shop", Container: "web", Count: 12},
			`{"type":"logs_dropped","seq":7,"time":"2025-03-01T12:00:00Z","pod":"shop","container":"web","count":12}`},
		{orchestrator.EngineStateEvent{EventMeta: meta, Reachable: false, Error: "list containers: connection refused"},
			`{"type":"engine","seq":7,"time":"2025-03-01T12:00:00Z","reachable":false,"error":"list containers: connection refused"}`},
		{orchestrator.StackEvent{EventMeta: meta, Stack: "shop", Phase: orchestrator.PhaseFailed, Reason: "stopped while the engine was unreachable", ExitCode: &code, Left: []string{"container shop-web"}},
			`{"type":"stack","seq":7,"time":"2025-03-01T12:00:00Z","stack":"shop","phase":"failed","reason":"stopped while the engine was unreachable","exit_code":3,"left":["container shop-web"]}`},
		{orchestrator.SnapshotEvent{EventMeta: meta, Stack: orchestrator.StackView{Name: "shop", Phase: orchestrator.PhasePending, Pods: []orchestrator.PodView{{Name: "shop", Containers: []orchestrator.ContainerView{{Pod: "shop", Name: "infra", Role: recipes.RoleInfra}}}}}},
			`{"type":"snapshot","seq":7,"time":"2025-03-01T12:00:00Z","stack":{"name":"shop","phase":"pending","pods":[{"name":"shop","phase":"pending","containers":[{"pod":"shop","container":"infra","role":"infra","state":"waiting","health":"none","restarts":0}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.ev.Type(), func(t *testing.T) {
			b, err := json.Marshal(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON\n%s\nwant\n%s", b, tt.want)
			}
			back, err := orchestrator.DecodeEvent(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.ev) {
				t.Errorf("decoded %+v, want %+v", back, tt.ev)
			}
		})
	}
	if _, err := orchestrator.DecodeEvent([]byte(`{"type":"nope"}`)); err == nil {
		t.Error("unknown type decoded")
	}
}

// feedText reads a feed until want is in its text (or it ends), as "container | line" and
// "container * note" lines.
func feedText(t *testing.T, f orchestrator.LogFeed, b *strings.Builder, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !strings.Contains(b.String(), want) {
		evs, err := f.Next(ctx)
		if err != nil {
			if !errors.Is(err, io.EOF) || !strings.Contains(b.String(), want) {
				t.Fatalf("feed ended (%v) before %q:\n%s", err, want, b)
			}
			return
		}
		for _, ev := range evs {
			switch e := ev.(type) {
			case orchestrator.LogEvent:
				fmt.Fprintf(b, "%s | %s\n", e.Container, e.Text)
			case orchestrator.MessageEvent:
				fmt.Fprintf(b, "%s * %s\n", e.Container, e.Text)
			}
		}
	}
}

// startSidecar creates and starts the sidecar s-name of pod s of stack s, of the given order,
// on an engine that has the image "img".
func startSidecar(t *testing.T, rt *fake.Runtime, name string, order int) string {
	t.Helper()
	ctx := context.Background()
	id, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "s-" + name, Image: "img",
		Labels: orchestrator.Labels{Stack: "s", Pod: "s", Container: name, Role: recipes.RoleSidecar, Order: order, HasOrder: true}.Encode()})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// EngineLogs follows a container across its restarts, and a container of the stack that
// starts later, until the stack's containers are removed.
func TestEngineLogsFollow(t *testing.T) {
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img")
	ctx := context.Background()
	web := startSidecar(t, rt, "web", 1)
	if err := rt.Print("s-web", orchestrator.Stdout, "one"); err != nil {
		t.Fatal(err)
	}
	feed, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Follow: true, Tail: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	var b strings.Builder
	feedText(t, feed, &b, "web | one\n")

	if err := rt.Print("s-web", orchestrator.Stderr, "two \x1b]0;title\a"); err != nil {
		t.Fatal(err)
	}
	feedText(t, feed, &b, "web | two \n")
	if err := rt.Exit("s-web", 1); err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, web); err != nil {
		t.Fatal(err)
	}
	if err := rt.Print("s-web", orchestrator.Stdout, "three"); err != nil {
		t.Fatal(err)
	}
	feedText(t, feed, &b, "web | three\n")
	startSidecar(t, rt, "late", 0)
	if err := rt.Print("s-late", orchestrator.Stdout, "hello"); err != nil {
		t.Fatal(err)
	}
	feedText(t, feed, &b, "late | hello\n")
	for _, n := range []string{"s-web", "s-late"} {
		if err := rt.Remove(n); err != nil {
			t.Fatal(err)
		}
	}
	feedText(t, feed, &b, "")
	want := "web | one\nweb | two \nweb * restarted\nweb | three\nlate * started\nlate | hello\n"
	if got := b.String(); got != want {
		t.Errorf("feed:\n%s\nwant:\n%s", got, want)
	}
	// Removed: the feed ends.
	nctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if _, err := feed.Next(nctx); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("after the stack was removed: %v, want io.EOF", err)
			}
			break
		}
	}
}

// restartedWeb is a fake runtime with sidecars web and other of stack s, web's first run
// ended and a second started; info is web's as of its second run.
func restartedWeb(t *testing.T) (rt *fake.Runtime, info orchestrator.ContainerInfo) {
	t.Helper()
	rt = fake.New(clock.RealClock{})
	rt.AddImage("img")
	ctx := context.Background()
	ids := map[string]string{}
	for i, name := range []string{"web", "other"} {
		ids[name] = startSidecar(t, rt, name, i)
	}
	if err := rt.Exit("s-web", 1); err != nil {
		t.Fatal(err)
	}
	if err := rt.StartContainer(ctx, ids["web"]); err != nil {
		t.Fatal(err)
	}
	info, err := rt.InspectContainer(ctx, ids["web"])
	if err != nil {
		t.Fatal(err)
	}
	return rt, info
}

// engineHistory reads stack s's whole history through EngineLogs, as "container | text"
// lines and "container * text" notes; seen is called with each one's time, and whether it
// is a note, in the order they come.
func engineHistory(t *testing.T, rt *fake.Runtime, seen func(at time.Time, note bool)) string {
	t.Helper()
	ctx := context.Background()
	feed, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Tail: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	var text strings.Builder
	for {
		evs, err := feed.Next(ctx)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			return text.String()
		}
		for _, ev := range evs {
			switch e := ev.(type) {
			case orchestrator.LogEvent:
				fmt.Fprintf(&text, "%s | %s\n", e.Container, e.Text)
				seen(e.Time, false)
			case orchestrator.MessageEvent:
				fmt.Fprintf(&text, "%s * %s\n", e.Container, e.Text)
				seen(e.Time, true)
			}
		}
	}
}

// A restarted container's note goes before its latest run's first line even when the engine
// stamped that line a little before the run's StartedAt, so the history stays in time order
// (a line of another container stamped between them comes after both).
func TestEngineLogsNoteBeforeAnEarlyStampedRun(t *testing.T) {
	rt, info := restartedWeb(t)
	// The first run's line, a second before the latest run began.
	if err := rt.PrintAt("s-web", orchestrator.Stdout, "one", info.StartedAt.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := rt.PrintAt("s-web", orchestrator.Stdout, "two", info.StartedAt.Add(-20*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := rt.PrintAt("s-other", orchestrator.Stdout, "between", info.StartedAt.Add(-10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	got := engineHistory(t, rt, func(at time.Time, note bool) {
		if at.Before(last) {
			t.Errorf("%s after a line of %s", at.Format(time.StampMilli), last.Format(time.StampMilli))
		}
		last = at
	})
	want := "web | one\nweb * restarted\nweb | two\nother | between\n"
	if got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
}

// A restarted container whose latest run has printed nothing yet (it has just started) has
// its earlier lines set apart still: the note comes after them, at the run's start, in time
// order with the other containers' lines.
func TestEngineLogsNoteBeforeAnEmptyLatestRun(t *testing.T) {
	rt, info := restartedWeb(t)
	for _, l := range []struct {
		name, text string
		at         time.Duration
	}{{"web", "one", -time.Second}, {"other", "before", -500 * time.Millisecond}, {"other", "after", 100 * time.Millisecond}} {
		if err := rt.PrintAt("s-"+l.name, orchestrator.Stdout, l.text, info.StartedAt.Add(l.at)); err != nil {
			t.Fatal(err)
		}
	}
	got := engineHistory(t, rt, func(at time.Time, note bool) {
		if note && !at.Equal(info.StartedAt) {
			t.Errorf("the note is stamped %s, want the run's start %s", at, info.StartedAt)
		}
	})
	want := "web | one\nother | before\nweb * restarted\nother | after\n"
	if got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
}

func TestEngineLogsErrors(t *testing.T) {
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img")
	ctx := context.Background()
	if _, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s"}); !errors.As(err, new(*orchestrator.NoContainersError)) {
		t.Errorf("no containers: %v", err)
	}
	if _, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "s-web", Image: "img",
		Labels: orchestrator.Labels{Stack: "s", Pod: "s", Container: "web", Role: recipes.RoleMain}.Encode()}); err != nil {
		t.Fatal(err)
	}
	var unknown *orchestrator.UnknownContainerError
	if _, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Containers: []string{"db"}}); !errors.As(err, &unknown) ||
		err.Error() != `no container "db" in the stack: it has web` {
		t.Errorf("unknown container: %v", err)
	}
	// A name that two pods' containers have is ambiguous, as to a running up; a pod is named
	// by its aliases too.
	if _, err := rt.CreateContainer(ctx, orchestrator.ContainerSpec{Name: "s-db-web", Image: "img",
		Labels: orchestrator.Labels{Stack: "s", Pod: "db", Container: "web", Role: recipes.RoleMain}.Encode()}); err != nil {
		t.Fatal(err)
	}
	if _, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Containers: []string{"web"}}); !errors.As(err, &unknown) ||
		err.Error() != `"web" is in several pods of stack s: name one of db/web, s/web` {
		t.Errorf("ambiguous container: %v", err)
	}
	feed, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Containers: []string{"database", "data_base/web"},
		PodAliases: map[string][]string{"db": {"database", "data_base"}}})
	if err != nil {
		t.Fatalf("a pod by its aliases: %v", err)
	}
	feed.Close()
}

// Following with a tail of 0 prints only what comes after: a history that gave no line
// leaves no place to resume from, and the follow must not start at the log's start.
func TestEngineLogsFollowTailZero(t *testing.T) {
	rt := fake.New(clock.RealClock{})
	rt.AddImage("img")
	ctx := context.Background()
	startSidecar(t, rt, "web", 1)
	if err := rt.Print("s-web", orchestrator.Stdout, "old"); err != nil {
		t.Fatal(err)
	}
	feed, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: "s", Follow: true, Tail: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	var b strings.Builder
	// The history is read before Next returns its first batch; a line printed once the
	// follow runs is new.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(b.String(), "web | new") && time.Now().Before(deadline) {
		if err := rt.Print("s-web", orchestrator.Stdout, "new"); err != nil {
			t.Fatal(err)
		}
		nctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		evs, _ := feed.Next(nctx)
		cancel()
		for _, ev := range evs {
			if l, ok := ev.(orchestrator.LogEvent); ok {
				b.WriteString(l.Container + " | " + l.Text + "\n")
			}
		}
	}
	if got := b.String(); !strings.Contains(got, "web | new") || strings.Contains(got, "old") {
		t.Errorf("feed with tail 0:\n%s\nwant only new lines", got)
	}
}
