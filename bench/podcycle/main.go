// Command podcycle measures sidecar's pod cycle (make bench): one pod — an infra container,
// sidecars started in order, a main that exits at once — brought up and torn down, timed as
// the wall time of
//
//   - sidecar up (the binary, plain output to /dev/null),
//   - floor (bench/floor: the same Engine API calls in the simplest sequence),
//   - docker compose on the equivalent compose file (an infra service, network_mode:
//     service:infra, a depends_on chain), `up --exit-code-from main` then `down`, for each
//     compose binary found (docker-compose 1.x; compose v2 with -compose-v2),
//
// in alternating rounds, with medians; then the start-up time (to main started, read from
// `sidecar up --output json`) as the number of sidecars grows. It prints Markdown for
// docs/benchmarks.md. Never a test: nothing here asserts a time.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

const appsImage = benchenv.AppsImage

type config struct {
	*benchenv.Bench
	rounds, sidecars int
	scaling          []int
	scalingRounds    int
	composeV1        string
	composeV2        string
	xdg              string
	sidecarBin       string
	floorBin         string
}

func main() {
	var c config
	var scaling string
	flag.IntVar(&c.rounds, "rounds", 7, "alternating rounds of the pod cycle")
	flag.IntVar(&c.sidecars, "sidecars", 3, "sidecars in the pod cycle")
	flag.StringVar(&scaling, "scaling", "1,2,5,10,20", "sidecar counts for the start-up scaling")
	flag.IntVar(&c.scalingRounds, "scaling-rounds", 3, "runs per sidecar count")
	flag.StringVar(&c.composeV1, "compose", "docker-compose", "docker-compose 1.x binary (empty: skip)")
	flag.StringVar(&c.composeV2, "compose-v2", "", "compose v2 binary, run standalone (empty: skip)")
	flag.Parse()
	for _, s := range strings.Split(scaling, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			c.scaling = append(c.scaling, n)
		}
	}
	benchenv.Main("podcycle", "podcycle", c.run)
}

func (c *config) run(_ context.Context, env *benchenv.Bench) error {
	c.Bench = env
	c.xdg = filepath.Join(c.Tmp, "run") // control sockets of the sidecar runs
	if err := os.Mkdir(c.xdg, 0o700); err != nil {
		return err
	}
	c.sidecarBin = filepath.Join(c.Tmp, "sidecar")
	c.floorBin = filepath.Join(c.Tmp, "floor")
	for bin, pkg := range map[string]string{c.sidecarBin: "./cmd/sidecar", c.floorBin: "./bench/floor"} {
		if err := benchenv.Build(c.Root, pkg, bin); err != nil {
			return err
		}
	}

	tools := []tool{{name: "sidecar up", run: c.sidecarCycle}, {name: "floor (raw API)", run: c.floorCycle}}
	for _, bin := range benchenv.Installed(c.composeV1) {
		tools = append(tools, tool{name: "docker-compose " + benchenv.Version(bin, "version", "--short"), run: c.composeCycle(bin)})
	}
	if c.composeV2 != "" {
		tools = append(tools, tool{name: "docker compose " + benchenv.Version(c.composeV2, "version", "--short"), run: c.composeCycle(c.composeV2)})
	}

	c.Heading("Pod cycle")
	// A warm-up run of each, not counted: images and page cache warm for everyone.
	for _, t := range tools {
		if _, err := t.run(c.sidecars); err != nil {
			return fmt.Errorf("warm-up of %s: %w", t.name, err)
		}
	}
	times := map[string][]time.Duration{}
	for r := range c.rounds {
		for i := range tools {
			t := tools[(i+r)%len(tools)] // alternate who goes first
			d, err := t.run(c.sidecars)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", t.name, r+1, err)
			}
			times[t.name] = append(times[t.name], d)
		}
	}
	fmt.Printf("%d alternating rounds (after one warm-up run each), %d sidecars; wall time of one cycle, seconds:\n\n", c.rounds, c.sidecars)
	benchenv.TableHead("tool", "median", "min", "max", "runs")
	for _, t := range tools {
		ts := times[t.name]
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %s |\n", t.name, benchenv.Median(ts).Seconds(), slices.Min(ts).Seconds(), slices.Max(ts).Seconds(), benchenv.List(ts))
	}
	sc, fl := benchenv.Median(times[tools[0].name]), benchenv.Median(times[tools[1].name])
	fmt.Printf("\nsidecar / floor = %.2f", sc.Seconds()/fl.Seconds())
	for _, t := range tools[2:] {
		fmt.Printf("; sidecar / %s = %.2f", t.name, sc.Seconds()/benchenv.Median(times[t.name]).Seconds())
	}
	fmt.Printf(" (load average after: %s)\n\n", benchenv.LoadAvg())

	fmt.Printf("## Start-up scaling\n\n")
	fmt.Printf("Time from the process's start to main started (sidecar: main's `running` event in `--output json`; floor: main's start call returned), seconds, median of %d:\n\n", c.scalingRounds)
	benchenv.TableHead("sidecars", "sidecar up", "floor", "sidecar / floor", "runs (sidecar)")
	for _, n := range c.scaling {
		var st, ft []time.Duration
		for range c.scalingRounds {
			s, err := c.sidecarStartup(n)
			if err != nil {
				return fmt.Errorf("start-up with %d sidecars: %w", n, err)
			}
			f, err := c.floorStartup(n)
			if err != nil {
				return fmt.Errorf("floor start-up with %d sidecars: %w", n, err)
			}
			st, ft = append(st, s), append(ft, f)
		}
		fmt.Printf("| %d | %.2f | %.2f | %.2f | %s |\n", n, benchenv.Median(st).Seconds(), benchenv.Median(ft).Seconds(), benchenv.Median(st).Seconds()/benchenv.Median(ft).Seconds(), benchenv.List(st))
	}
	fmt.Printf("\n(load average at the end: %s)\n", benchenv.LoadAvg())
	return nil
}

type tool struct {
	name string
	run  func(sidecars int) (time.Duration, error)
}

// recipe writes the pod as a sidecar.yaml, in a directory of its own.
func (c *config) recipe(stack string, sidecars int) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nstop_grace: 10s\nmain:\n  name: main\n  image: %s\n  command: [/crasher, -exit-code, \"0\"]\nsidecars:\n", stack, appsImage)
	for i := range sidecars {
		fmt.Fprintf(&b, "  - {name: sidecar%d, image: %s, command: [/crasher, -forever]}\n", i+1, appsImage)
	}
	file := filepath.Join(c.Tmp, stack, "sidecar.yaml")
	return file, benchenv.WriteFile(file, b.String())
}

// compose writes the equivalent compose file: an infra service holding the namespace, every
// container joined to it, started in a depends_on chain.
func (c *config) compose(project string, sidecars int) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "services:\n  infra:\n    image: %s\n    stop_grace_period: 10s\n", c.InfraImage)
	prev := "infra"
	for i := range sidecars {
		name := fmt.Sprintf("sidecar%d", i+1)
		fmt.Fprintf(&b, "  %s:\n    image: %s\n    command: [/crasher, -forever]\n    network_mode: service:infra\n    depends_on: [%s]\n", name, appsImage, prev)
		prev = name
	}
	fmt.Fprintf(&b, "  main:\n    image: %s\n    command: [/crasher, -exit-code, \"0\"]\n    network_mode: service:infra\n    depends_on: [%s]\n", appsImage, prev)
	file := filepath.Join(c.Tmp, project, "compose.yaml")
	return file, benchenv.WriteFile(file, b.String())
}

func (c *config) sidecarCycle(sidecars int) (time.Duration, error) {
	stack := benchenv.UniqueName("bsc")
	file, err := c.recipe(stack, sidecars)
	if err != nil {
		return 0, err
	}
	d, err := timed(c.sidecarBin, []string{"XDG_RUNTIME_DIR=" + c.xdg}, "up", "-f", file, "--plain")
	if err != nil {
		c.cleanup(stackLabel(stack))
	}
	return d, err
}

func (c *config) floorCycle(sidecars int) (time.Duration, error) {
	name := benchenv.UniqueName("bfl")
	d, err := timed(c.floorBin, nil, "-infra", c.InfraImage, "-image", appsImage, "-sidecars", strconv.Itoa(sidecars), "-name", name)
	if err != nil {
		c.cleanup("dev.sidecar-bench.run=" + name)
	}
	return d, err
}

func (c *config) composeCycle(bin string) func(int) (time.Duration, error) {
	return func(sidecars int) (time.Duration, error) {
		project := benchenv.UniqueName("bcp")
		file, err := c.compose(project, sidecars)
		if err != nil {
			return 0, err
		}
		up, err := timed(bin, nil, "-p", project, "-f", file, "up", "--exit-code-from", "main")
		if err != nil {
			c.cleanupCompose(bin, project, file)
			return 0, err
		}
		down, err := timed(bin, nil, "-p", project, "-f", file, "down", "-t", "10")
		if err != nil {
			c.cleanupCompose(bin, project, file)
		}
		return up + down, err
	}
}

// sidecarStartup runs a pod with n sidecars and returns the time to main's running event.
func (c *config) sidecarStartup(n int) (time.Duration, error) {
	stack := benchenv.UniqueName("bss")
	file, err := c.recipe(stack, n)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(c.sidecarBin, "up", "-f", file, "--output", "json")
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+c.xdg)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var at time.Duration
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if at != 0 {
			continue
		}
		ev, err := orchestrator.DecodeEvent(sc.Bytes())
		if err != nil {
			continue
		}
		if ce, ok := ev.(orchestrator.ContainerEvent); ok && ce.Role.String() == "main" &&
			(ce.State == orchestrator.CStateRunning || !ce.StartedAt.IsZero()) {
			at = time.Since(start)
		}
	}
	if err := cmd.Wait(); err != nil {
		c.cleanup(stackLabel(stack))
		return 0, fmt.Errorf("sidecar up: %w", err)
	}
	if at == 0 {
		return 0, errors.New("main was never seen started")
	}
	return at, nil
}

func (c *config) floorStartup(n int) (time.Duration, error) {
	name := benchenv.UniqueName("bfs")
	out, err := exec.Command(c.floorBin, "-infra", c.InfraImage, "-image", appsImage, "-sidecars", strconv.Itoa(n), "-name", name).Output()
	if err != nil {
		c.cleanup("dev.sidecar-bench.run=" + name)
		return 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "main-started "); ok {
			s, err := strconv.ParseFloat(v, 64)
			return time.Duration(s * float64(time.Second)), err
		}
	}
	return 0, fmt.Errorf("floor did not say when main started: %s", out)
}

// timed runs a command to its end with its output discarded and returns its wall time.
func timed(bin string, env []string, args ...string) (time.Duration, error) {
	wall, _, err := benchenv.Timed(bin, env, args...)
	return wall, err
}

// cleanup removes the containers, networks and volumes of a failed run, by label.
// stackLabel is the docker --filter label=… argument selecting sidecar's objects of a stack.
func stackLabel(stack string) string {
	for k, v := range orchestrator.StackFilter(stack) {
		return k + "=" + v
	}
	return ""
}

func (c *config) cleanup(label string) {
	for _, kind := range []string{"container", "network", "volume"} {
		out, _ := exec.Command("docker", kind, "ls", "-q", "--filter", "label="+label).Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			args := append([]string{kind, "rm", "-f"}, ids...)
			if kind != "container" {
				args = append([]string{kind, "rm"}, ids...)
			}
			_ = exec.Command("docker", args...).Run()
		}
	}
}

func (c *config) cleanupCompose(bin, project, file string) {
	_ = exec.Command(bin, "-p", project, "-f", file, "down", "-t", "0").Run()
}
