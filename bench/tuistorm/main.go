// Command tuistorm measures the sidecar process itself under a log storm with its terminal UI
// (make bench): `sidecar up` of a pod of 4 containers, each printing -rate lines a second
// (the test programs' /spewer, one line per write, as a chatty proxy does), runs on the real
// engine in a tmux pane of -width×-height, so that the TUI draws to a real terminal. After a
// warm-up it reads the process's CPU time from /proc over -storm and prints it as a share of
// one core, with its peak RSS; then it presses `?` -presses times and measures how long the
// help takes to appear on the pane (tmux capture-pane polled every millisecond: an upper
// bound of key to frame, tmux's own work included; the same is measured on a pane whose
// program answers at once, for the method's own floor). Linux only. Never a test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
	"github.com/sidecar-dev/sidecar/internal/modroot"
)

const appsImage = benchenv.AppsImage

func main() {
	storm := flag.Duration("storm", 30*time.Second, "how long CPU is measured")
	warmup := flag.Duration("warmup", 8*time.Second, "time after start before measuring")
	rate := flag.Int("rate", 5000, "lines a second per container")
	width := flag.Int("width", 200, "pane width")
	height := flag.Int("height", 50, "pane height")
	presses := flag.Int("presses", 20, "key presses timed")
	bin := flag.String("sidecar", "", "sidecar binary (default: build ./cmd/sidecar)")
	flag.Parse()
	if err := run(*storm, *warmup, *rate, *width, *height, *presses, *bin); err != nil {
		benchenv.Fail("tuistorm", err)
	}
}

func run(storm, warmup time.Duration, rate, width, height, presses int, bin string) error {
	if _, err := exec.LookPath("tmux"); err != nil {
		return errors.New("tmux is needed (apt-get install tmux)")
	}
	root, err := modroot.Find()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tuistorm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	d, _, err := benchenv.Engine(ctx, root)
	if err != nil {
		return err
	}
	defer d.Close()
	if bin == "" {
		bin = filepath.Join(tmp, "sidecar")
		if err := benchenv.Build(root, "./cmd/sidecar", bin); err != nil {
			return err
		}
	}

	stack := benchenv.UniqueName("storm")
	spew := func(size, stderrEvery int) string {
		return fmt.Sprintf(`["/spewer", "-lines", "0", "-rate", "%d", "-size", "%d", "-stderr-every", "%d"]`, rate, size, stderrEvery)
	}
	recipe := fmt.Sprintf(`name: %s
main: {name: web, image: %s, command: %s}
sidecars:
  - {name: envoy, image: %s, command: %s}
  - {name: shipper, image: %s, command: %s}
  - {name: agent, image: %s, command: %s}
`, stack, appsImage, spew(90, 17), appsImage, spew(70, 0), appsImage, spew(110, 0), appsImage, spew(60, 0))
	file := filepath.Join(tmp, "sidecar.yaml")
	if err := os.WriteFile(file, []byte(recipe), 0o644); err != nil {
		return err
	}
	xdg := filepath.Join(tmp, "run")
	if err := os.Mkdir(xdg, 0o700); err != nil {
		return err
	}

	session := stack
	shell := fmt.Sprintf("XDG_RUNTIME_DIR=%s exec %s up -f %s", xdg, bin, file)
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), shell).CombinedOutput(); err != nil {
		return fmt.Errorf("tmux: %v: %s", err, out)
	}
	defer func() {
		_ = exec.Command("tmux", "kill-session", "-t", session).Run()
		_ = exec.Command(bin, "down", "--stack", stack).Run()
	}()
	pid, err := panePID(session)
	if err != nil {
		return err
	}
	if err := waitFor(session, "running", 60*time.Second); err != nil {
		return fmt.Errorf("the stack did not come up: %w", err)
	}
	time.Sleep(warmup)

	load0 := benchenv.LoadAvg()
	cpu0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	time.Sleep(storm)
	cpu1, err := cpuTime(pid)
	if err != nil {
		return err
	}
	wall := time.Since(t0)
	share := float64(cpu1-cpu0) / float64(wall) * 100
	skipped := skippedLines(capture(session))

	// The method's own floor, measured in the same tmux server during the same storm: a
	// pane whose program prints KEYS at once on a key and clears the screen on the next.
	cal := session + "-cal"
	echo := `s=; while true; do IFS= read -rsn1 k; if [ -n "$s" ]; then s=; printf '\033[2J\033[H'; else s=1; printf 'KEYS\n'; fi; done`
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", cal, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), "bash", "-c", echo).CombinedOutput(); err != nil {
		return fmt.Errorf("tmux: %v: %s", err, out)
	}
	defer exec.Command("tmux", "kill-session", "-t", cal).Run()
	var lat, floor []time.Duration
	missed := 0
	press := func(session string, into *[]time.Duration) {
		start := time.Now()
		_ = exec.Command("tmux", "send-keys", "-t", session, "?").Run()
		if err := waitFor(session, "KEYS", 2*time.Second); err != nil {
			missed++
		} else {
			*into = append(*into, time.Since(start))
		}
		_ = exec.Command("tmux", "send-keys", "-t", session, "?").Run()
		_ = waitGone(session, "KEYS", 2*time.Second)
	}
	for i := 0; i < presses; i++ {
		press(session, &lat)
		press(cal, &floor)
		time.Sleep(time.Duration(150+i*37%100) * time.Millisecond)
	}
	rss := peakRSS(pid)

	_ = exec.Command("tmux", "send-keys", "-t", session, "q").Run()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && alive(pid) {
		time.Sleep(100 * time.Millisecond)
	}

	pct := func(lat []time.Duration, p float64) string {
		if len(lat) == 0 {
			return "-"
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return fmt.Sprintf("%.1f", float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds())/1000)
	}
	fmt.Printf("## TUI log storm, the sidecar process\n\n")
	fmt.Printf("Run %s: sidecar up of 4 containers × %d lines/s in a %d×%d tmux pane, %s measured after %s; load average %s → %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), rate, width, height, storm, warmup, load0, benchenv.LoadAvg())
	fmt.Printf("| CPU, share of one core | peak RSS | key → help on the pane p50 / p95 / max (ms) | the method's floor p50 / p95 (ms) | presses not shown in 2 s | lines skipped (the columns' borders) |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| %.1f%% | %.0f MB | %s / %s / %s | %s / %s | %d of %d | %d |\n", share, float64(rss)/1024,
		pct(lat, 0.5), pct(lat, 0.95), pct(lat, 1), pct(floor, 0.5), pct(floor, 0.95), missed, 2*presses, skipped)
	return nil
}

// panePID is the pid of the program in the session's pane (exec'd by the shell).
func panePID(session string) (int, error) {
	out, err := exec.Command("tmux", "display-message", "-p", "-t", session, "#{pane_pid}").Output()
	if err != nil {
		return 0, fmt.Errorf("tmux display-message: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// skippedLines adds up what the columns' bottom borders say the view skipped ("1234
// skipped") on a captured pane.
func skippedLines(pane string) int {
	n := 0
	for _, m := range skippedRE.FindAllStringSubmatch(pane, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}

var skippedRE = regexp.MustCompile(`(\d+) skipped`)

func capture(session string) string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
	return string(out)
}

func waitFor(session, text string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if strings.Contains(capture(session), text) {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%q not on the pane within %s", text, limit)
}

func waitGone(session, text string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !strings.Contains(capture(session), text) {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%q still on the pane after %s", text, limit)
}

// cpuTime is the process's user + system CPU time, from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// peakRSS is VmHWM of the process in KiB.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}
