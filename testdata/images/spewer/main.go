// Command spewer prints numbered lines ("line 000001 ...") as fast as asked, then exits with
// -exit-code. It feeds sidecar's log tests and benchmarks. SIGTERM or SIGINT: flush, log a
// line and exit 0.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/sidecar-dev/sidecar/testdata/images/internal/prog"
	"github.com/sidecar-dev/sidecar/testdata/images/spewer/hostile"
)

func main() {
	lines := flag.Int("lines", 10, "number of lines to print (0 = forever)")
	rate := flag.Float64("rate", 0, "lines per second (0 = as fast as possible)")
	size := flag.Int("size", 0, "pad each line to this many bytes (without the newline)")
	stderrEvery := flag.Int("stderr-every", 0, "print every K-th line to stderr (0 = never)")
	hostileFlag := flag.Bool("hostile", false, "mix terminal escape sequences, \\r, \\b, BEL, OSC 52 and bidi overrides into lines")
	exitCode := flag.Int("exit-code", 0, "exit status after the last line")
	final := flag.String("final", "", "after the lines, print this text with no newline (a partial last line)")
	prog.Parse("spewer [flags]", "Prints numbered lines, then exits.")
	os.Exit(run(*lines, *rate, *size, *stderrEvery, *hostileFlag, *exitCode, *final))
}

func run(lines int, rate float64, size, stderrEvery int, hostileMode bool, exitCode int, final string) int {
	sigs := prog.Signals()
	out := bufio.NewWriterSize(os.Stdout, 64*1024)
	errw := bufio.NewWriterSize(os.Stderr, 64*1024)
	defer out.Flush()
	defer errw.Flush()

	// With a rate, line i is due at start + (i-1)/rate: lines that are due go out at once (a
	// ticker per line falls far behind at thousands of lines a second), and what was written
	// is flushed before each wait.
	start := time.Now()
	var timer *time.Timer
	if rate > 0 {
		timer = time.NewTimer(time.Hour)
		defer timer.Stop()
	}
	buf := make([]byte, 0, 256)
	for i := 1; lines == 0 || i <= lines; i++ {
		if timer != nil {
			due := start.Add(time.Duration(float64(i-1) / rate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				out.Flush()
				errw.Flush()
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-sigs:
					return stopped(out, errw)
				}
			}
		}
		if i%1024 == 0 {
			select {
			case <-sigs:
				return stopped(out, errw)
			default:
			}
		}
		buf = buf[:0]
		buf = append(buf, "line "...)
		n := strconv.Itoa(i)
		for j := len(n); j < 6; j++ {
			buf = append(buf, '0')
		}
		buf = append(buf, n...)
		if hostileMode {
			buf = append(buf, ' ')
			buf = append(buf, hostile.Fragments[i%len(hostile.Fragments)].Raw...)
		}
		for j := 0; len(buf) < size; j++ {
			if j == 0 {
				buf = append(buf, ' ')
				continue
			}
			buf = append(buf, byte('a'+j%26))
		}
		buf = append(buf, '\n')
		if stderrEvery > 0 && i%stderrEvery == 0 {
			out.Flush() // keep the order of the two streams
			errw.Write(buf)
			errw.Flush()
		} else {
			out.Write(buf)
		}
	}
	out.WriteString(final)
	return exitCode
}

func stopped(out, errw *bufio.Writer) int {
	out.Flush()
	errw.Flush()
	fmt.Println("spewer: signal received, exiting")
	return 0
}
