package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
)

// BenchmarkPipelineVsDockerRun is the program's measurement for `make bench`: 5 alternating
// runs of a stack whose main prints 200 000 lines — through the orchestrator in process
// (every line formatted as the plain printer does), through `sidecar up` (the binary, built
// here, plain output into a line counter) — and of `docker run` streaming the same output,
// reporting the medians, their ratios, the lines missed and up's peak RSS.
func BenchmarkPipelineVsDockerRun(b *testing.B) {
	d := testenv.Engine(b)
	image := testenv.AppsImage(b)
	bin := filepath.Join(b.TempDir(), "sidecar")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/sidecar").CombinedOutput(); err != nil {
		b.Fatalf("build sidecar: %v\n%s", err, out)
	}
	const lines, runs = 200000, 5
	ctx := context.Background()
	for b.Loop() {
		var ours, ups, theirs []time.Duration
		var missed uint64
		var rss int64
		for i := 0; i < runs; i++ {
			took, got, lost, err := runStack(ctx, d, image, lines, 0)
			if err != nil {
				b.Fatal(err)
			}
			if got+int(lost) != lines {
				b.Fatalf("%d lines delivered and %d missed of %d", got, lost, lines)
			}
			ours, missed = append(ours, took), missed+lost
			took, got, kib, err := runUp(bin, image, lines)
			if err != nil {
				b.Fatal(err)
			}
			ups, missed, rss = append(ups, took), missed+uint64(lines-got), max(rss, kib)
			took, got, err = dockerRun(image, lines)
			if err != nil || got != lines {
				b.Fatalf("docker run: %d lines, %v", got, err)
			}
			theirs = append(theirs, took)
		}
		b.ReportMetric(median(ours).Seconds(), "pipeline-s")
		b.ReportMetric(median(ups).Seconds(), "up-s")
		b.ReportMetric(median(theirs).Seconds(), "docker-run-s")
		b.ReportMetric(median(ups).Seconds()/median(theirs).Seconds(), "up/docker-run")
		b.ReportMetric(float64(missed), "lines-missed")
		b.ReportMetric(float64(rss)/1024, "up-peak-RSS-MB")
	}
}

// BenchmarkUpMillionLines is issue 4's memory measurement for `make bench`: `sidecar up` of
// a stack whose main prints 1 000 000 lines (plain output into a line counter), 3 runs,
// alternating with `docker run` of the same output; it reports every line delivered, the
// medians and up's peak RSS (the target is at most 150 MB).
func BenchmarkUpMillionLines(b *testing.B) {
	testenv.Engine(b) // fails (CI) or skips when no engine answers
	image := testenv.AppsImage(b)
	bin := filepath.Join(b.TempDir(), "sidecar")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/sidecar").CombinedOutput(); err != nil {
		b.Fatalf("build sidecar: %v\n%s", err, out)
	}
	const lines, runs = 1000000, 3
	for b.Loop() {
		var ups, theirs []time.Duration
		var rss int64
		for i := 0; i < runs; i++ {
			took, got, kib, err := runUp(bin, image, lines)
			if err != nil {
				b.Fatal(err)
			}
			if got != lines {
				b.Fatalf("sidecar up delivered %d of %d lines", got, lines)
			}
			ups, rss = append(ups, took), max(rss, kib)
			took, got, err = dockerRun(image, lines)
			if err != nil || got != lines {
				b.Fatalf("docker run: %d lines, %v", got, err)
			}
			theirs = append(theirs, took)
		}
		b.ReportMetric(median(ups).Seconds(), "up-s")
		b.ReportMetric(median(theirs).Seconds(), "docker-run-s")
		b.ReportMetric(median(ups).Seconds()/median(theirs).Seconds(), "up/docker-run")
		b.ReportMetric(float64(rss)/1024, "up-peak-RSS-MB")
	}
}
