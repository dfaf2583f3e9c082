package main

import (
	"context"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/internal/testenv"
)

// BenchmarkPipelineVsDockerRun is the program's measurement for `make bench`: 5 alternating
// runs of a stack whose main prints 200 000 lines (through the orchestrator on the engine,
// every line formatted as the plain printer does) and of `docker run` streaming the same
// output, reporting the medians, their ratio and the lines missed.
func BenchmarkPipelineVsDockerRun(b *testing.B) {
	d := testenv.Engine(b)
	image := testenv.AppsImage(b)
	const lines, runs = 200000, 5
	ctx := context.Background()
	for b.Loop() {
		var ours, theirs []time.Duration
		var missed uint64
		for i := 0; i < runs; i++ {
			took, got, lost, err := runStack(ctx, d, image, lines, 0)
			if err != nil {
				b.Fatal(err)
			}
			if got+int(lost) != lines {
				b.Fatalf("%d lines delivered and %d missed of %d", got, lost, lines)
			}
			ours, missed = append(ours, took), missed+lost
			took, got, err = dockerRun(image, lines)
			if err != nil || got != lines {
				b.Fatalf("docker run: %d lines, %v", got, err)
			}
			theirs = append(theirs, took)
		}
		b.ReportMetric(median(ours).Seconds(), "sidecar-s")
		b.ReportMetric(median(theirs).Seconds(), "docker-run-s")
		b.ReportMetric(median(ours).Seconds()/median(theirs).Seconds(), "ratio")
		b.ReportMetric(float64(missed), "lines-missed")
	}
}
