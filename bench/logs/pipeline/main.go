// Command pipeline measures sidecar's log pipeline end to end on the engine, in process: a
// stack whose main prints -lines lines and exits is run by the orchestrator on the Docker
// adapter, while a subscriber formats every line as the plain printer does ("main | line")
// into a counting sink. Each run alternates with `docker run --rm IMAGE /spewer -lines N`
// streaming the same output into a counting sink. It prints, per run, the wall time, the lines
// delivered and missed, then the medians, their ratio, and the peak RSS of this process.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

func main() {
	image := flag.String("image", "", "image with /spewer (required)")
	lines := flag.Int("lines", 200000, "lines main prints")
	runs := flag.Int("runs", 5, "runs of each")
	buffer := flag.Int("buffer", 0, "log buffer lines (0: the default, 10 000)")
	skipDocker := flag.Bool("no-docker-run", false, "measure only the pipeline")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the pipeline runs to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *image == "" {
		fmt.Fprintln(os.Stderr, "pipeline: -image is required (an image with /spewer, e.g. sidecar-test/apps:<tag>)")
		os.Exit(2)
	}
	ctx := context.Background()
	d, err := runtime.Connect(ctx, runtime.ConnectOptions{ToolVersion: "bench"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
	defer d.Close()
	var ours, theirs []time.Duration
	for i := 1; i <= *runs; i++ {
		took, got, missed, err := runStack(ctx, d, *image, *lines, *buffer)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		fmt.Printf("sidecar    run %d: %6.3fs  %d lines delivered, %d missed\n", i, took.Seconds(), got, missed)
		ours = append(ours, took)
		if *skipDocker {
			continue
		}
		took, got, err = dockerRun(*image, *lines)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		fmt.Printf("docker run run %d: %6.3fs  %d lines\n", i, took.Seconds(), got)
		theirs = append(theirs, took)
	}
	m := median(ours)
	fmt.Printf("median sidecar pipeline %.3fs", m.Seconds())
	if len(theirs) > 0 {
		fmt.Printf(", docker run %.3fs, ratio %.2f", median(theirs).Seconds(), m.Seconds()/median(theirs).Seconds())
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("\npeak RSS of this process: %.1f MB\n", float64(ru.Maxrss)/1024)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

func dockerRun(image string, lines int) (time.Duration, int, error) {
	var out lineCounter
	cmd := exec.Command("docker", "run", "--rm", image, "/spewer", "-lines", fmt.Sprint(lines))
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	start := time.Now()
	err := cmd.Run()
	return time.Since(start), out.n, err
}

func runStack(ctx context.Context, d *runtime.Docker, image string, lines, buffer int) (time.Duration, int, uint64, error) {
	var b [4]byte
	rand.Read(b[:])
	name := "bench-logs-" + hex.EncodeToString(b[:])
	recipe := fmt.Sprintf("main:\n  name: main\n  image: %s\n  command: [\"/spewer\", \"-lines\", \"%d\"]\n", image, lines)
	st, _, err := recipes.Load(recipes.File{Name: "/tmp/" + name + "/sidecar.yaml", Content: []byte(recipe)}, recipes.Options{Name: name})
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	o := orchestrator.New(d, st, orchestrator.Options{LogLines: buffer})
	sub := o.Subscribe()
	defer sub.Close()
	type result struct {
		got    int
		missed uint64
	}
	done := make(chan result, 1)
	go func() {
		var out lineCounter
		w := bufio.NewWriterSize(&out, 64*1024)
		var r result
		for {
			evs, err := sub.Next(ctx)
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			for _, ev := range evs {
				switch e := ev.(type) {
				case orchestrator.LogEvent:
					w.WriteString(e.Container)
					w.WriteString(" | ")
					w.WriteString(e.PlainText())
					w.WriteByte('\n')
				case orchestrator.LogsDroppedEvent:
					r.missed += e.Count
				}
			}
		}
		w.Flush()
		r.got = out.n
		done <- r
	}()
	res, err := o.Run(ctx)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("run: %w (%s)", err, res.Reason)
	}
	r := <-done
	return time.Since(start), r.got, r.missed, nil
}
