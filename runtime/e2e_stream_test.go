package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Cleanup(func() {
		e.d.Client().ImageRemove(e.ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	})
	if !strings.Contains(strings.Join(steps, "\n"), "Step 2/4 : COPY . /ctx/") {
		t.Errorf("progress does not show the steps:\n%s", strings.Join(steps, "\n"))
	}
	id := e.create(orchestrator.ContainerSpec{Image: ref, Cmd: []string{"/crasher"}})
	for path, present := range map[string]bool{"/ctx/hello.txt": true, "/ctx/secret.txt": false, "/ctx/logs/drop.log": false, "/ctx/logs/keep.log": true, "/ctx/Dockerfile": true} {
		_, err := e.d.Client().ContainerStatPath(e.ctx, id, client.ContainerStatPathOptions{Path: path})
		if (err == nil) != present {
			t.Errorf("%s in the image: %v, want present=%v (.dockerignore)", path, err, present)
		}
	}

	write("Dockerfile", "FROM "+apps+"\nCOPY missing.txt /\n")
	bad := testenv.UniqueName(t, "sidecar-test/build") + ":bad"
	err = e.d.BuildImage(e.ctx, orchestrator.BuildRequest{Ref: bad, Context: dir, Labels: e.labels}, nil)
	if err == nil {
		e.d.Client().ImageRemove(e.ctx, bad, client.ImageRemoveOptions{Force: true})
		t.Fatal("a failing build succeeded")
	}
	for _, want := range []string{bad, "step 2/4", "COPY missing.txt /", "missing.txt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("build error %q does not mention %q", err, want)
		}
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
