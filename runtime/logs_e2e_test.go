package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// The attach stream, connected before the start, carries every line of a fast writer, each
// stream in order, a long line whole and the unfinished last line.
func TestAttachLogs(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
