package orchestrator

import (
	"context"
	"errors"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// probeLoop runs one probe of one run of a container until ctx ends: an attempt right away,
// then one per Period, each bounded by Timeout. Failures during StartPeriod do not count;
// Retries consecutive counted failures make a verdict. Readiness reports each change
// (ready after one success, not ready after Retries failures); liveness reports its first
// failure and ends, as the container will be stopped; startup reports its first success
// (the other probes start then) or its failure after Retries (the container is restarted),
// and ends either way, as Kubernetes' startupProbe does. Readiness and startup also note the
// text of each new failure, for the views. A failure that is the engine's absence says
// nothing of the container and is not counted.
func (s *supervisor) probeLoop(ctx context.Context, name string, attempt int, p recipes.Probe, kind ProbeKind, infraID, id string) {
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
	report := func(r ProbeReport) {
		r.Container, r.Attempt, r.Kind = name, attempt, kind
		s.box.Put(msgProbe{r})
	}
	start := s.clock.Now()
	failures, verdict := 0, 0 // verdict: 0 none yet, 1 ready, -1 not ready
	noted := ""
	for {
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := s.rt.Probe(actx, infraID, id, p)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case s.engine.lostEngine(err):
			// The engine's absence says nothing of the container: not counted.
		case err != nil && timedOut && s.engineGone(ctx):
			// Nor does a hung engine's silence: the pump is told to check it too.
			s.engine.suspect()
		case err == nil:
			failures, noted = 0, ""
			switch kind {
			case ProbeStartup:
				report(ProbeReport{Ready: true, Took: s.clock.Since(start)})
				return
			case ProbeReady:
				if verdict != 1 {
					verdict = 1
					report(ProbeReport{Ready: true})
				}
			}
		default:
			counted := s.clock.Since(start) >= p.StartPeriod.D()
			if counted {
				failures++
			}
			switch {
			case !counted || failures < retries:
				if kind != ProbeLive && err.Error() != noted {
					noted = err.Error()
					report(ProbeReport{Note: true, Detail: noted})
				}
			case kind == ProbeLive:
				report(ProbeReport{Detail: err.Error()})
				return
			case kind == ProbeStartup:
				report(ProbeReport{Ready: false, Detail: err.Error()})
				return
			case verdict != -1:
				verdict, noted = -1, err.Error()
				report(ProbeReport{Ready: false, Detail: noted})
			case err.Error() != noted:
				noted = err.Error()
				report(ProbeReport{Note: true, Detail: noted})
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
