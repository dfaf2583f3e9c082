// Command capture measures the ways to read a container's output on this engine: attach
// before start (the stream docker run uses), the logs endpoint followed from the start, and
// the logs endpoint read after the container exited. It prints, per method and run, the lines
// received, the time from start to the last line, and how long the container itself ran.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

func main() {
	sf := benchenv.RegisterSpewerFlags()
	methods := flag.String("methods", "attach,follow,after", "methods to measure, comma-separated")
	skew := flag.Bool("skew", false, "instead: compare the time each line is read from the attach stream with the engine's timestamp of the same line")
	skewLines := flag.Int("skew-lines", 1000, "with -skew: lines the spewer prints")
	skewRate := flag.Int("skew-rate", 500, "with -skew: lines a second")
	flag.Parse()
	ctx := context.Background()
	d := benchenv.SpewerEngine(ctx, "capture", sf.Image)
	defer d.Close()
	if *skew {
		if err := measureSkew(ctx, d, sf.Image, *skewLines, *skewRate); err != nil {
			benchenv.Fail("capture", err)
		}
		return
	}
	res := map[string][]time.Duration{}
	for i := 0; i < sf.Runs; i++ {
		for _, m := range strings.Split(*methods, ",") {
			n, took, ran, err := measure(ctx, d, sf.Image, sf.Lines, m)
			if err != nil {
				benchenv.Fail("capture", fmt.Errorf("%s: %w", m, err))
			}
			fmt.Printf("%-7s run %d: %7d lines in %6.3fs (%6.0f lines/s); container ran %6.3fs\n", m, i+1, n, took.Seconds(), float64(n)/took.Seconds(), ran.Seconds())
			res[m] = append(res[m], took)
		}
	}
	for _, m := range strings.Split(*methods, ",") {
		med := benchenv.Median(res[m])
		fmt.Printf("%-7s median %6.3fs = %6.0f lines/s\n", m, med.Seconds(), float64(sf.Lines)/med.Seconds())
	}
}

func measure(ctx context.Context, d *runtime.Docker, image string, lines int, method string) (int, time.Duration, time.Duration, error) {
	cli := d.Client()
	name := fmt.Sprintf("sidecar-bench-capture-%d", time.Now().UnixNano())
	id, err := d.CreateContainer(ctx, orchestrator.ContainerSpec{Name: name, Image: image,
		Cmd: []string{"/spewer", "-lines", fmt.Sprint(lines)}, Labels: map[string]string{"dev.sidecar-bench": "capture"}})
	if err != nil {
		return 0, 0, 0, err
	}
	defer d.RemoveContainer(context.Background(), id)
	n := 0
	var start time.Time
	switch method {
	case "attach":
		att, err := cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
		if err != nil {
			return 0, 0, 0, err
		}
		defer att.Close()
		start = time.Now()
		if err := d.StartContainer(ctx, id); err != nil {
			return 0, 0, 0, err
		}
		n, err = countFrames(att.Reader)
		if err != nil {
			return 0, 0, 0, err
		}
	case "follow":
		start = time.Now()
		if err := d.StartContainer(ctx, id); err != nil {
			return 0, 0, 0, err
		}
		err = d.Logs(ctx, id, orchestrator.LogOptions{Follow: true, Tail: -1}, func(orchestrator.LogLine) { n++ })
	case "after":
		if err := d.StartContainer(ctx, id); err != nil {
			return 0, 0, 0, err
		}
		for {
			info, err := d.InspectContainer(ctx, id)
			if err != nil {
				return 0, 0, 0, err
			}
			if info.Status == orchestrator.StatusExited {
				break
			}
		}
		start = time.Now()
		err = d.Logs(ctx, id, orchestrator.LogOptions{Tail: -1}, func(orchestrator.LogLine) { n++ })
	default:
		return 0, 0, 0, fmt.Errorf("unknown method %q: use attach, follow or after", method)
	}
	took := time.Since(start)
	if err != nil {
		return 0, 0, 0, err
	}
	var info orchestrator.ContainerInfo
	for {
		info, err = d.InspectContainer(ctx, id)
		if err != nil {
			return 0, 0, 0, err
		}
		if info.Status == orchestrator.StatusExited {
			break
		}
	}
	return n, took, info.FinishedAt.Sub(info.StartedAt), nil
}

// countFrames counts newlines in a multiplexed stream.
func countFrames(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 256*1024)
	var hdr [8]byte
	buf := make([]byte, 64*1024)
	n := 0
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		for size > 0 {
			k, err := br.Read(buf[:min(size, len(buf))])
			for _, c := range buf[:k] {
				if c == '\n' {
					n++
				}
			}
			size -= k
			if err != nil {
				return n, err
			}
		}
	}
}

// measureSkew runs a container printing lines at rate lines/s (each line its own write), reads
// them from the attach stream, then from the logs endpoint, and prints how much later each line was read
// than the engine stamped it (attach time − engine timestamp).
func measureSkew(ctx context.Context, d *runtime.Docker, image string, lines, rate int) error {
	id, err := d.CreateContainer(ctx, orchestrator.ContainerSpec{Name: fmt.Sprintf("sidecar-bench-skew-%d", time.Now().UnixNano()), Image: image,
		Cmd: []string{"/spewer", "-lines", strconv.Itoa(lines), "-rate", strconv.Itoa(rate)}, Labels: map[string]string{"dev.sidecar-bench": "capture"}})
	if err != nil {
		return err
	}
	defer d.RemoveContainer(context.Background(), id)
	st, err := d.AttachLogs(ctx, id)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := d.StartContainer(ctx, id); err != nil {
		return err
	}
	read := map[string]time.Time{}
	if err := st.Read(ctx, func(l orchestrator.LogLine) { read[l.Text] = l.Time }); err != nil {
		return err
	}
	var diffs []time.Duration
	if err := d.Logs(ctx, id, orchestrator.LogOptions{Tail: -1}, func(l orchestrator.LogLine) {
		if at, ok := read[l.Text]; ok {
			diffs = append(diffs, at.Sub(l.Time))
		}
	}); err != nil {
		return err
	}
	if len(diffs) == 0 {
		return fmt.Errorf("no line matched")
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i] < diffs[j] })
	q := func(p float64) time.Duration { return diffs[int(p*float64(len(diffs)-1))] }
	fmt.Printf("%d lines: attach read time − engine timestamp: min %v, median %v, p99 %v, max %v\n", len(diffs), diffs[0], q(0.5), q(0.99), diffs[len(diffs)-1])
	return nil
}
