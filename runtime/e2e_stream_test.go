package runtime_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// nextEvent waits for the next event of id, skipping others.
func nextEvent(t *testing.T, evs <-chan orchestrator.EngineEvent, errs <-chan error, id string) orchestrator.EngineEvent {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("event stream closed: %v", <-errs)
			}
			if ev.ID == id {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event for %s within a minute", id)
		}
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	img := testenv.AppsImage(t)
	since := time.Now().Add(-time.Second)
	evs, errs := e.d.Events(e.ctx, since, e.labels)

	crash := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-exit-code", "3"},
		Labels: testenv.WithLabels(e.labels, orchestrator.Labels{Container: "crash"})})
	var got []string
	for len(got) < 3 {
		ev := nextEvent(t, evs, errs, crash)
		got = append(got, ev.Action.String())
		if ev.Action == orchestrator.ActionDie && ev.ExitCode != 3 {
			t.Errorf("die event with exit code %d, want 3", ev.ExitCode)
		}
		got, _ := orchestrator.DecodeLabels(ev.Labels)
		if want, _ := orchestrator.DecodeLabels(e.labels); got.Container != "crash" || got.Stack != want.Stack {
			t.Errorf("event labels %v lack ours", ev.Labels)
		}
		if ev.Time.Before(since) {
			t.Errorf("event time %v before the subscription's since %v", ev.Time, since)
		}
	}
	if strings.Join(got, " ") != "create start die" {
		t.Errorf("events of a crashing container: %v, want create start die", got)
	}

	// A stop: the stop signal, then die with the program's own exit code.
	polite := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-forever", "-message", "up"}})
	for _, want := range []string{"create", "start"} {
		if ev := nextEvent(t, evs, errs, polite); ev.Action.String() != want {
			t.Fatalf("got %s, want %s", ev.Action, want)
		}
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		var l lines
		e.d.Logs(e.ctx, polite, orchestrator.LogOptions{Tail: -1}, l.add)
		if !l.find("up") {
			return errors.New("not up yet")
		}
		return nil
	})
	if _, err := e.d.StopContainer(e.ctx, polite, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, evs, errs, polite); ev.Action != orchestrator.ActionKill {
		t.Errorf("first event of a stop: %s, want kill", ev.Action)
	}
	if ev := nextEvent(t, evs, errs, polite); ev.Action != orchestrator.ActionDie || ev.ExitCode != 0 {
		t.Errorf("second event of a stop: %s (exit %d), want die with 0", ev.Action, ev.ExitCode)
	}
	if err := e.d.RemoveContainer(e.ctx, polite); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, evs, errs, polite); ev.Action != orchestrator.ActionDestroy {
		t.Errorf("event of a removal: %s, want destroy", ev.Action)
	}
}

func TestEventsStreamEnds(t *testing.T) {
	t.Parallel()
	d := testenv.Engine(t)
	ctx := testenv.Context(t, time.Minute)
	sub, cancel := contextWithCancel(ctx)
	evs, errs := d.Events(sub, time.Time{}, testenv.Labels(t))
	cancel()
	if err := runtime.Await(t, errs, "the error channel got nothing after the stream ended"); err == nil {
		t.Error("no error when the stream ended")
	}
	for range evs { // must be closed
	}
	if _, ok := <-errs; ok {
		t.Error("the error channel is not closed")
	}
}

func TestLogs(t *testing.T) {
	e := newEnv(t)
	img := testenv.AppsImage(t)
	const long = 1536 * 1024
	start := time.Now().Add(-time.Second)
	id := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/spewer", "-lines", "6", "-stderr-every", "3", "-final", "no newline at the end"}})
	big := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/spewer", "-lines", "2", "-size", fmt.Sprint(long)}})
	tty := e.run(orchestrator.ContainerSpec{Image: img, TTY: true, Cmd: []string{"/spewer", "-lines", "2", "-size", "40000", "-final", "tail"}})

	var all lines
	if err := e.d.Logs(e.ctx, id, orchestrator.LogOptions{Follow: true, Tail: -1}, all.add); err != nil {
		t.Fatal(err)
	}
	// Order holds within each stream; across the two it does not: the engine copies stdout
	// and stderr in separate goroutines (see docs/engine.md).
	var wantOut, wantErr, gotOut, gotErr []string
	for i := 1; i <= 6; i++ {
		if i%3 == 0 {
			wantErr = append(wantErr, fmt.Sprintf("line %06d", i))
		} else {
			wantOut = append(wantOut, fmt.Sprintf("line %06d", i))
		}
	}
	wantOut = append(wantOut, "no newline at the end")
	for _, l := range all.all {
		if l.Stream == orchestrator.Stderr {
			gotErr = append(gotErr, l.Text)
		} else {
			gotOut = append(gotOut, l.Text)
		}
	}
	if strings.Join(gotOut, "|") != strings.Join(wantOut, "|") || strings.Join(gotErr, "|") != strings.Join(wantErr, "|") {
		t.Errorf("stdout %q, stderr %q; want %q and %q", gotOut, gotErr, wantOut, wantErr)
	}
	for _, l := range all.all {
		if l.Time.Before(start) || l.Time.After(time.Now()) {
			t.Errorf("line %q has time %v, not the engine's timestamp", l.Text, l.Time)
		}
	}

	var bigLines lines
	testenv.Eventually(t, time.Minute, func() error {
		bigLines = lines{}
		if err := e.d.Logs(e.ctx, big, orchestrator.LogOptions{Follow: true, Tail: -1}, bigLines.add); err != nil {
			return err
		}
		if len(bigLines.all) < 2 {
			return fmt.Errorf("%d lines", len(bigLines.all))
		}
		return nil
	})
	testenv.CheckSpewed(t, "long lines", bigLines.texts(), 2, long)

	var ttyLines lines
	if err := e.d.Logs(e.ctx, tty, orchestrator.LogOptions{Follow: true, Tail: -1}, ttyLines.add); err != nil {
		t.Fatal(err)
	}
	if texts := ttyLines.texts(); len(texts) == 0 || texts[len(texts)-1] != "tail" {
		t.Errorf("TTY container: %d lines, the last not %q", len(texts), "tail")
	} else {
		testenv.CheckSpewed(t, "TTY container", texts[:len(texts)-1], 2, 40000)
	}

	// Tail counts the engine's log entries (a line over 16 KiB is several), so it is checked
	// on short lines.
	short := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/spewer", "-lines", "5"}})
	var tail lines
	testenv.Eventually(t, time.Minute, func() error {
		tail = lines{}
		if err := e.d.Logs(e.ctx, short, orchestrator.LogOptions{Follow: true, Tail: 2}, tail.add); err != nil {
			return err
		}
		if got := strings.TrimSpace(tail.String()); got != "stdout line 000004\nstdout line 000005" {
			return fmt.Errorf("Tail 2: %q", got)
		}
		return nil
	})
}

func TestBuildImage(t *testing.T) {
	e := newEnv(t)
	apps := testenv.AppsImage(t)
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		testenv.WriteFile(t, filepath.Join(dir, name), content, 0o644)
	}
	write("Dockerfile", "FROM "+apps+"\nCOPY . /ctx/\n")
	write(".dockerignore", "secret.txt\nlogs/\n!logs/keep.log\n")
	write("hello.txt", "hello")
	write("secret.txt", "do not send")
	write("logs/drop.log", "x")
	write("logs/keep.log", "y")

	ref := testenv.UniqueName(t, "sidecar-test/build") + ":dev"
	var steps []string
	err := e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: ref, Context: dir, Labels: e.labels}, func(p orchestrator.Progress) {
		steps = append(steps, p.ID+" "+p.Message)
	})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, strings.Join(steps, "\n"))
	}
	testenv.RemoveImage(t, e.d, ref)
	if !strings.Contains(strings.Join(steps, "\n"), "Step 2/4 : COPY . /ctx/") {
		t.Errorf("progress does not show the steps:\n%s", strings.Join(steps, "\n"))
	}
	id := e.create(orchestrator.ContainerSpec{Image: ref, Cmd: []string{"/crasher"}})
	for path, present := range map[string]bool{"/ctx/hello.txt": true, "/ctx/secret.txt": false, "/ctx/logs/drop.log": false, "/ctx/logs/keep.log": true, "/ctx/Dockerfile": true} {
		_, err := e.d.Client().ContainerStatPath(e.ctx, id, clientStatPath(path))
		if (err == nil) != present {
			t.Errorf("%s in the image: %v, want present=%v (.dockerignore)", path, err, present)
		}
	}

	write("Dockerfile", "FROM "+apps+"\nCOPY missing.txt /\n")
	bad := testenv.UniqueName(t, "sidecar-test/build") + ":bad"
	err = e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: bad, Context: dir, Labels: e.labels}, nil)
	if err == nil {
		testenv.RemoveImage(t, e.d, bad)
		t.Fatal("a failing build succeeded")
	}
	for _, want := range []string{bad, "step 2/4", "COPY missing.txt /", "missing.txt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("build error %q does not mention %q", err, want)
		}
	}
}

// An inline Dockerfile is what is built, not the context's Dockerfile, which goes in the
// context as a file; the inline one does not end in the image through COPY . (as docker
// compose builds dockerfile_inline).
func TestBuildImageInlineDockerfile(t *testing.T) {
	e := newEnv(t)
	apps := testenv.AppsImage(t)
	dir := t.TempDir()
	testenv.WriteFile(t, filepath.Join(dir, "Dockerfile"), "FROM "+apps+"\nCOPY missing.txt /\n", 0o644)
	testenv.WriteFile(t, filepath.Join(dir, "hello.txt"), "hello", 0o644)
	ref := testenv.UniqueName(t, "sidecar-test/build") + ":inline"
	inline := "FROM " + apps + "\nCOPY . /ctx/\n"
	if err := e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: ref, Context: dir, DockerfileInline: inline, Labels: e.labels}, nil); err != nil {
		t.Fatalf("build: %v", err)
	}
	testenv.RemoveImage(t, e.d, ref)
	id := e.create(orchestrator.ContainerSpec{Image: ref, Cmd: []string{"/crasher"}})
	sum := sha256.Sum256([]byte(inline)) // the name the context gives it
	sent := "/ctx/.sidecar-dockerfile-" + hex.EncodeToString(sum[:8])
	for path, present := range map[string]bool{"/ctx/hello.txt": true, "/ctx/Dockerfile": true, sent: false} {
		_, err := e.d.Client().ContainerStatPath(e.ctx, id, clientStatPath(path))
		if (err == nil) != present {
			t.Errorf("%s in the image: %v, want present=%v", path, err, present)
		}
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t)
	id := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/spewer", "-lines", "0", "-rate", "1000"}})
	ctx, cancel := contextWithCancel(e.ctx)
	defer cancel()
	var samples []orchestrator.Stats
	err := e.d.Stats(ctx, id, func(s orchestrator.Stats) {
		samples = append(samples, s)
		if len(samples) == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stats: %v, want it to end with the context", err)
	}
	last := samples[len(samples)-1]
	if last.MemoryBytes == 0 || last.MemoryLimit == 0 || last.Time.IsZero() || last.CPUPercent < 0 {
		t.Errorf("samples %+v", samples)
	}
	t.Logf("spewer at 1000 lines/s: %.1f%% CPU, %d KiB", last.CPUPercent, last.MemoryBytes/1024)
}

// TestHealthEvents: the engine's verdict on an image HEALTHCHECK arrives as a health event
// (the "health_status" filter matches "health_status: healthy" on every engine) and an
// inspect reports it, for relists.
func TestHealthEvents(t *testing.T) {
	e := newEnv(t)
	img := e.derivedImage([]string{`HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/crasher", "-exit-code", "0"]`}, nil)
	evs, errs := e.d.Events(e.ctx, time.Now().Add(-time.Second), e.labels)
	id := e.run(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/crasher", "-forever"}})
	info, err := e.d.InspectContainer(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Health != orchestrator.EngineHealthStarting && info.Health != orchestrator.EngineHealthHealthy {
		t.Errorf("health right after the start: %s, want starting (or healthy already)", info.Health)
	}
	for {
		ev := nextEvent(t, evs, errs, id)
		if ev.Action != orchestrator.ActionHealth {
			continue
		}
		if ev.Health != orchestrator.EngineHealthHealthy {
			t.Fatalf("health event %+v, want healthy", ev)
		}
		break
	}
	info, err = e.d.InspectContainer(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Health != orchestrator.EngineHealthHealthy || info.HealthAt.IsZero() {
		t.Errorf("inspect after the verdict: health %s at %v, want healthy with the last check's time", info.Health, info.HealthAt)
	}
	plain := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/crasher", "-forever"}})
	if info, err := e.d.InspectContainer(e.ctx, plain); err != nil || info.Health != orchestrator.EngineHealthNone {
		t.Errorf("a container without HEALTHCHECK: health %s, %v; want none", info.Health, err)
	}
}

// The attach stream, connected before the start, carries every line of a fast writer, each
// stream in order, a long line whole and the unfinished last line.
func TestAttachLogs(t *testing.T) {
	e := newEnv(t)
	img := testenv.AppsImage(t)
	const n = 200000
	id := e.create(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/spewer", "-lines", fmt.Sprint(n), "-stderr-every", "1000", "-final", "unfinished"}})
	st, err := e.d.AttachLogs(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	if err := e.d.StartContainer(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	var out, errs []string
	err = st.Read(e.ctx, func(l orchestrator.LogLine) {
		if l.Time.Before(start) {
			t.Errorf("line %q has time %v, before the start", l.Text, l.Time)
		}
		if l.Stream == orchestrator.Stderr {
			errs = append(errs, l.Text)
		} else {
			out = append(out, l.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || out[len(out)-1] != "unfinished" {
		t.Fatalf("stdout does not end with the unfinished line: %d lines", len(out))
	}
	out = out[:len(out)-1]
	testenv.CheckSpewed(t, "attach", testenv.Interleave(out, errs, 1000), n, 0)
	if len(errs) != n/1000 {
		t.Errorf("%d stderr lines, want %d", len(errs), n/1000)
	}

	// A TTY container through attach: \r\n line ends trimmed, a 1.5 MiB line whole.
	const long = 1536 * 1024
	tty := e.create(orchestrator.ContainerSpec{Image: img, TTY: true, Cmd: []string{"/spewer", "-lines", "2", "-size", fmt.Sprint(long)}})
	st2 := e.attachAndStart(tty)
	var ttyLines []string
	if err := st2.Read(e.ctx, func(l orchestrator.LogLine) { ttyLines = append(ttyLines, l.Text) }); err != nil {
		t.Fatal(err)
	}
	testenv.CheckSpewed(t, "TTY", ttyLines, 2, long)

	// Close ends a Read that waits for a container that never starts.
	idle := e.create(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/spewer"}})
	st3, err := e.d.AttachLogs(e.ctx, idle)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- st3.Read(ctx, func(orchestrator.LogLine) {}) }()
	cancel()
	if err := runtime.Await(t, done, "Read did not return after its context ended"); err != context.Canceled {
		t.Errorf("Read after cancel: %v, want context.Canceled", err)
	}
	st3.Close()

	// Close ends a Read blocked in its read of a quiet container (the socket is read out of
	// the network poller, where closing alone would not wake it): one line, then none for
	// 100 s; the context ends once the line is in.
	quiet := e.create(orchestrator.ContainerSpec{Image: img, Cmd: []string{"/spewer", "-lines", "2", "-rate", "0.01"}})
	st4 := e.attachAndStart(quiet)
	ctx4, cancel4 := context.WithCancel(e.ctx)
	defer cancel4()
	done4 := make(chan error, 1)
	var quietLines []string
	go func() {
		done4 <- st4.Read(ctx4, func(l orchestrator.LogLine) { quietLines = append(quietLines, l.Text); cancel4() })
	}()
	if err := runtime.Await(t, done4, "Read of a quiet container did not return after its context ended"); err != context.Canceled || len(quietLines) != 1 {
		t.Errorf("Read of a quiet container: %v after %q, want context.Canceled after one line", err, quietLines)
	}
}

// Following the logs endpoint from the start delivers every line even when the writer is
// faster than the endpoint and the engine rotates its log file meanwhile (an engine with
// max-size=10m, as here, rotates at about 120 000 of these lines).
func TestLogsFollowEveryLine(t *testing.T) {
	e := newEnv(t)
	const n = 200000
	id := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/spewer", "-lines", fmt.Sprint(n)}})
	var texts []string
	if err := e.d.Logs(e.ctx, id, orchestrator.LogOptions{Follow: true, Tail: -1}, func(l orchestrator.LogLine) {
		texts = append(texts, l.Text)
	}); err != nil {
		t.Fatal(err)
	}
	testenv.CheckSpewed(t, "follow", texts, n, 0)
}

// LogsFrom resumes exactly after what an earlier read delivered, across a restart, and a run
// that ended without \n does not run into the next run's first line.
func TestLogsFromResumes(t *testing.T) {
	e := newEnv(t)
	id := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), Cmd: []string{"/spewer", "-lines", "3", "-final", "unfinished"}})
	e.waitExited(id)
	var got []string
	sink := func(l orchestrator.LogLine) { got = append(got, l.Text) }
	pos, err := e.d.LogsFrom(e.ctx, id, orchestrator.LogOptions{Tail: -1}, nil, sink)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "line 000001|line 000002|line 000003|unfinished" {
		t.Fatalf("first run: %q", got)
	}
	if err := e.d.StartContainer(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	e.waitExited(id)
	got = nil
	pos, err = e.d.LogsFrom(e.ctx, id, orchestrator.LogOptions{Follow: true}, pos, sink)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "line 000001|line 000002|line 000003|unfinished" {
		t.Fatalf("resumed after the first run: %q, want the second run's lines only", got)
	}
	got = nil
	if _, err := e.d.LogsFrom(e.ctx, id, orchestrator.LogOptions{}, pos, sink); err != nil || len(got) != 0 {
		t.Fatalf("resumed at the end: %q, %v; want nothing", got, err)
	}
	var all []string
	if err := e.d.Logs(e.ctx, id, orchestrator.LogOptions{Tail: -1}, func(l orchestrator.LogLine) { all = append(all, l.Text) }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 8 || all[3] != "unfinished" || all[4] != "line 000001" {
		t.Errorf("both runs: %q", all)
	}
}

var _ orchestrator.LogAttacher = (*runtime.Docker)(nil)

// A TTY container's log read back through the logs endpoint (sidecar logs, the fallback):
// runs that end with an unfinished line, followed by a run whose first line is over 16 KiB,
// keep every line whole and every engine timestamp out of the text — also when the unfinished
// line holds a timestamp of its own.
func TestLogsTTYRunEnds(t *testing.T) {
	e := newEnv(t)
	const size, runs = 70000, 3
	final := "ttytail at 2099-01-02T03:04:05.000000000Z then"
	id := e.run(orchestrator.ContainerSpec{Image: testenv.AppsImage(t), TTY: true,
		Cmd: []string{"/spewer", "-lines", "2", "-size", fmt.Sprint(size), "-final", final}})
	for i := 1; i < runs; i++ {
		e.waitExited(id)
		if err := e.d.StartContainer(e.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.waitExited(id)
	check := func(what string, lines []orchestrator.LogLine) {
		t.Helper()
		var got []string
		for _, l := range lines {
			got = append(got, fmt.Sprintf("%.11s(%d)", l.Text, len(l.Text)))
			if strings.Contains(l.Text, "Z line") || strings.Contains(l.Text, "2026-") {
				t.Errorf("%s: an engine timestamp in the text: %.80q", what, l.Text)
			}
		}
		one := fmt.Sprintf("line 000001(%d)|line 000002(%d)|%.11s(%d)", size, size, final, len(final))
		want := strings.TrimSuffix(strings.Repeat(one+"|", runs), "|")
		if strings.Join(got, "|") != want {
			t.Errorf("%s:\n got %s\nwant %s", what, strings.Join(got, "|"), want)
		}
	}
	var all []orchestrator.LogLine
	if err := e.d.Logs(e.ctx, id, orchestrator.LogOptions{Tail: -1}, func(l orchestrator.LogLine) { all = append(all, l) }); err != nil {
		t.Fatal(err)
	}
	check("the whole log", all)
	for i := 1; i < len(all); i++ {
		if all[i].Time.Before(all[i-1].Time) {
			t.Errorf("line %d is stamped %v, before the line before it (%v)", i, all[i].Time, all[i-1].Time)
		}
	}
	// Resumed after the last run's entries (5 of each 70 000-byte line, 1 of the end) are read.
	var first []orchestrator.LogLine
	pos, err := e.d.LogsFrom(e.ctx, id, orchestrator.LogOptions{Tail: 11}, nil, func(l orchestrator.LogLine) { first = append(first, l) })
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || len(first[0].Text) != size || first[2].Text != final {
		t.Fatalf("the last run (its 11 entries): %d lines", len(first))
	}
	var none []orchestrator.LogLine
	if _, err := e.d.LogsFrom(e.ctx, id, orchestrator.LogOptions{}, pos, func(l orchestrator.LogLine) { none = append(none, l) }); err != nil || len(none) != 0 {
		t.Errorf("resumed at the end: %d lines, %v; want none", len(none), err)
	}
}
