// Command pipeline measures sidecar's log pipeline end to end on the engine, in process: a
// stack whose main prints -lines lines and exits is run by the orchestrator on the Docker
// adapter, while a subscriber formats every line as the plain printer does ("main | line")
// into a counting sink. Each run alternates with `docker run --rm IMAGE /spewer -lines N`
// streaming the same output into a counting sink and, with -up BINARY, with `BINARY up -f
// RECIPE` (plain output into a counting sink) of the same stack, whose peak RSS is read from
// the kernel's accounting of the child. It prints, per run, the wall time, the lines
// delivered and missed, then the medians, their ratios, and the peak RSS.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

func main() {
	sf := benchenv.RegisterSpewerFlags()
	buffer := flag.Int("buffer", 0, "log buffer lines (0: the default, 10 000)")
	skipDocker := flag.Bool("no-docker-run", false, "measure only the pipeline")
	upBin := flag.String("up", "", "also run this sidecar binary's `up` of the same stack")
	skipPipeline := flag.Bool("no-pipeline", false, "do not run the in-process pipeline")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the pipeline runs to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			benchenv.Fail("pipeline", err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	d := benchenv.SpewerEngine(ctx, "pipeline", sf.Image)
	defer d.Close()
	var ours, theirs, ups []time.Duration
	var upRSS int64
	for i := 1; i <= sf.Runs; i++ {
		if !*skipPipeline {
			took, got, missed, err := runStack(ctx, d, sf.Image, sf.Lines, *buffer)
			if err != nil {
				benchenv.Fail("pipeline", err)
			}
			fmt.Printf("pipeline   run %d: %6.3fs  %d lines delivered, %d missed\n", i, took.Seconds(), got, missed)
			ours = append(ours, took)
		}
		if *upBin != "" {
			took, got, rss, err := runUp(*upBin, sf.Image, sf.Lines)
			if err != nil {
				benchenv.Fail("pipeline", err)
			}
			fmt.Printf("sidecar up run %d: %6.3fs  %d lines of main in the output, peak RSS %.1f MB\n", i, took.Seconds(), got, float64(rss)/1024)
			ups, upRSS = append(ups, took), max(upRSS, rss)
		}
		if *skipDocker {
			continue
		}
		took, got, err := dockerRun(sf.Image, sf.Lines)
		if err != nil {
			benchenv.Fail("pipeline", err)
		}
		fmt.Printf("docker run run %d: %6.3fs  %d lines\n", i, took.Seconds(), got)
		theirs = append(theirs, took)
	}
	if len(theirs) > 0 {
		fmt.Printf("median docker run %.3fs\n", benchenv.Median(theirs).Seconds())
	}
	for _, c := range []struct {
		name string
		ds   []time.Duration
	}{{"pipeline", ours}, {"sidecar up", ups}} {
		if len(c.ds) == 0 {
			continue
		}
		fmt.Printf("median %s %.3fs", c.name, benchenv.Median(c.ds).Seconds())
		if len(theirs) > 0 {
			fmt.Printf(", ratio to docker run %.2f", benchenv.Median(c.ds).Seconds()/benchenv.Median(theirs).Seconds())
		}
		fmt.Println()
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("peak RSS of this process (pipeline): %.1f MB\n", float64(ru.Maxrss)/1024)
	if len(ups) > 0 {
		fmt.Printf("peak RSS of sidecar up: %.1f MB\n", float64(upRSS)/1024)
	}
}

// runUp runs `bin up -f RECIPE` of a stack whose main prints lines, with its plain output
// into a counter of main's lines; it returns the wall time, main's lines seen and the peak
// RSS of the up process in KiB.
func runUp(bin, image string, lines int) (time.Duration, int, int64, error) {
	dir, err := os.MkdirTemp("", "bench-logs-up-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	name := benchenv.UniqueName("bench-logs-")
	recipe := fmt.Sprintf("name: %s\nmain:\n  name: main\n  image: %s\n  command: [\"/spewer\", \"-lines\", \"%d\"]\n", name, image, lines)
	file := dir + "/sidecar.yaml"
	if err := os.WriteFile(file, []byte(recipe), 0o644); err != nil {
		return 0, 0, 0, err
	}
	if err := os.Mkdir(dir+"/run", 0o700); err != nil {
		return 0, 0, 0, err
	}
	out := &mainLines{}
	cmd := exec.Command(bin, "up", "-f", file, "--plain")
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir+"/run")
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s up: %w", bin, err)
	}
	out.flush()
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return took, out.n, rss, nil
}

// mainLines counts the lines of main ("main  | …") in up's plain output.
type mainLines struct {
	n       int
	partial []byte
}

func (m *mainLines) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			m.partial = append(m.partial, p...)
			break
		}
		line := p[:i]
		if len(m.partial) > 0 {
			line = append(m.partial, line...)
			m.partial = m.partial[:0]
		}
		if bytes.HasPrefix(line, []byte("main ")) && bytes.Contains(line, []byte(" | line ")) {
			m.n++
		} else if bytes.Contains(line, []byte("not shown")) {
			fmt.Fprintf(os.Stderr, "  up said: %s\n", line)
		}
		p = p[i+1:]
	}
	return n, nil
}

func (m *mainLines) flush() {}

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
	name := benchenv.UniqueName("bench-logs-")
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
