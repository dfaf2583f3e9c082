package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
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
	bin := buildSidecar(b)
	const lines, runs = 200000, 5
	ctx := context.Background()
	for b.Loop() {
		var ours []time.Duration
		var missed uint64
		var up upRuns
		for i := 0; i < runs; i++ {
			took, got, lost, err := runStack(ctx, d, image, lines, 0)
			if err != nil {
				b.Fatal(err)
			}
			if got+int(lost) != lines {
				b.Fatalf("%d lines delivered and %d missed of %d", got, lost, lines)
			}
			ours, missed = append(ours, took), missed+lost
			got = up.run(b, bin, image, lines)
			missed += uint64(lines - got)
		}
		b.ReportMetric(benchenv.Median(ours).Seconds(), "pipeline-s")
		up.report(b)
		b.ReportMetric(float64(missed), "lines-missed")
	}
}

// BenchmarkUpMillionLines is issue 4's memory measurement for `make bench`: `sidecar up` of
// a stack whose main prints 1 000 000 lines (plain output into a line counter), 3 runs,
// alternating with `docker run` of the same output; it reports every line delivered, the
// medians and up's peak RSS (the target is at most 150 MB).
func BenchmarkUpMillionLines(b *testing.B) {
	testenv.Engine(b) // fails (CI) or skips when no engine answers
	image := testenv.AppsImage(b)
	bin := buildSidecar(b)
	const lines, runs = 1000000, 3
	for b.Loop() {
		var up upRuns
		for i := 0; i < runs; i++ {
			if got := up.run(b, bin, image, lines); got != lines {
				b.Fatalf("sidecar up delivered %d of %d lines", got, lines)
			}
		}
		up.report(b)
	}
}

// buildSidecar builds the checkout's sidecar for a benchmark and returns its path.
func buildSidecar(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "sidecar")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/sidecar").CombinedOutput(); err != nil {
		b.Fatalf("build sidecar: %v\n%s", err, out)
	}
	return bin
}

// upRuns are the times of `sidecar up` and of `docker run` of the same output, and up's
// peak RSS in KiB.
type upRuns struct {
	ups, theirs []time.Duration
	rss         int64
}

// run runs `sidecar up`, then `docker run`, of a stack whose main prints lines; it returns
// the lines of main up printed, and fails the benchmark unless docker run printed them all.
func (u *upRuns) run(b *testing.B, bin, image string, lines int) (got int) {
	took, got, kib, err := runUp(bin, image, lines)
	if err != nil {
		b.Fatal(err)
	}
	u.ups, u.rss = append(u.ups, took), max(u.rss, kib)
	took, n, err := dockerRun(image, lines)
	if err != nil || n != lines {
		b.Fatalf("docker run: %d lines, %v", n, err)
	}
	u.theirs = append(u.theirs, took)
	return got
}

// report reports the medians of up and docker run, their ratio, and up's peak RSS.
func (u *upRuns) report(b *testing.B) {
	b.ReportMetric(benchenv.Median(u.ups).Seconds(), "up-s")
	b.ReportMetric(benchenv.Median(u.theirs).Seconds(), "docker-run-s")
	b.ReportMetric(benchenv.Median(u.ups).Seconds()/benchenv.Median(u.theirs).Seconds(), "up/docker-run")
	b.ReportMetric(float64(u.rss)/1024, "up-peak-RSS-MB")
}
