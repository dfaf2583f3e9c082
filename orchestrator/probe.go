package orchestrator

import (
	"context"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// probeLoop runs one probe of one run of a container until ctx ends: an attempt right away,
// then one per Period, each bounded by Timeout. Failures during StartPeriod do not count;
// Retries consecutive counted failures make a verdict. Readiness reports each change
// (ready after one success, not ready after Retries failures); liveness reports its first
// failure and ends, as the container will be stopped.
func (s *supervisor) probeLoop(ctx context.Context, name string, attempt int, p recipes.Probe, live bool, infraID, id string) {
	period, timeout, retries := p.Period.D(), p.Timeout.D(), p.Retries
	if period <= 0 {
		period = recipes.DefaultProbePeriod
	}
	if timeout <= 0 {
		timeout = recipes.DefaultProbeTimeout
	}
	if retries <= 0 {
		retries = 1
	}
	start := s.clock.Now()
	failures, verdict := 0, 0 // verdict: 0 none yet, 1 ready, -1 not ready
	for {
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := s.rt.Probe(actx, infraID, id, p)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case s.engine.lostEngine(err):
			// The engine's absence says nothing of the container: not counted.
		case err == nil:
			failures = 0
			if !live && verdict != 1 {
				verdict = 1
				s.box.put(msgProbe{ProbeReport{Container: name, Attempt: attempt, Ready: true}})
			}
		case s.clock.Since(start) >= p.StartPeriod.D():
			failures++
			if failures < retries {
				break
			}
			if live {
				s.box.put(msgProbe{ProbeReport{Container: name, Attempt: attempt, Live: true, Detail: err.Error()}})
				return
			}
			if verdict != -1 {
				verdict = -1
				s.box.put(msgProbe{ProbeReport{Container: name, Attempt: attempt, Ready: false, Detail: err.Error()}})
			}
		}
		if !s.sleep(ctx, period) {
			return
		}
	}
}

// sleep waits d on the injected clock; false when ctx ended first.
func (s *supervisor) sleep(ctx context.Context, d time.Duration) bool {
	t := s.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
