package orchestrator

import (
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// A removal waits for a finished run's log reader while it reads lines, past logDrainLimit,
// and gives up once it stalls for logDrainLimit, or after logDrainMax in all.
func TestAwaitLogsWhileTheReaderProgresses(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := func() (*testingclock.FakeClock, *runWorkers, chan struct{}) {
		clk := testingclock.NewFakeClock(t0)
		s := &supervisor{clock: clk}
		w := &runWorkers{logDone: make(chan struct{})}
		returned := make(chan struct{})
		go func() { s.awaitLogs(w); close(returned) }()
		return clk, w, returned
	}
	// waiting: the awaiting goroutine has a timer set (it has not returned).
	waiting := func(t *testing.T, clk *testingclock.FakeClock, returned chan struct{}) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !clk.HasWaiters() {
			select {
			case <-returned:
				t.Fatal("gave up waiting for the log reader")
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("awaitLogs set no timer")
			}
			time.Sleep(time.Millisecond) // polling the fake clock's waiters, not timing
		}
	}
	gaveUp := func(t *testing.T, returned chan struct{}) {
		t.Helper()
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Fatal("awaitLogs did not return")
		}
	}

	t.Run("reading, then stalled", func(t *testing.T) {
		clk, w, returned := start()
		for i := 0; i < 6; i++ { // 30 s of a reader that keeps reading
			waiting(t, clk, returned)
			w.logLines.Add(1000)
			clk.Step(logDrainLimit)
		}
		waiting(t, clk, returned)
		clk.Step(logDrainLimit) // no line in that period
		gaveUp(t, returned)
	})
	t.Run("done", func(t *testing.T) {
		clk, w, returned := start()
		waiting(t, clk, returned)
		close(w.logDone)
		gaveUp(t, returned)
	})
	t.Run("reading for ever: logDrainMax", func(t *testing.T) {
		clk, w, returned := start()
		for elapsed := time.Duration(0); elapsed < logDrainMax; elapsed += logDrainLimit {
			waiting(t, clk, returned)
			w.logLines.Add(1)
			clk.Step(logDrainLimit)
		}
		gaveUp(t, returned)
	})
}
