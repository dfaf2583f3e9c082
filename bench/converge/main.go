// Command converge measures `sidecar up -d` of a stack that runs already (make bench): one
// pod — an infra container, two sidecars, main — started with `up -d`, then
//
//   - unchanged: `up -d` again with the same recipe, which only compares config hashes
//     (target: at most 150 ms);
//   - edit: `up -d` after one sidecar's environment changed, which returns once that sidecar
//     runs again (target: at most the start of that one container plus 100 ms), next to the
//     floor: the raw Engine API create + start of the same container in the same pod;
//
// and the same with docker compose on the equivalent compose file (an infra service,
// network_mode: service:infra) for each compose binary given, in the same run. Each `up -d`
// is checked to have re-created exactly the edited container (or nothing). It prints
// Markdown for docs/benchmarks.md. Never a test: nothing here asserts a time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

const appsImage = benchenv.AppsImage

type bench struct {
	*benchenv.Bench
	rounds               int
	composeV1, composeV2 string // compose binaries to measure too
}

// result is one tool's figures: wall times of the unchanged and the edit up -d.
type result struct {
	name            string
	unchanged, edit []time.Duration
	cpu             []time.Duration // user+system CPU of the unchanged up -d's process
}

func main() {
	b := &bench{}
	flag.IntVar(&b.rounds, "rounds", 7, "rounds of each measurement")
	flag.StringVar(&b.composeV1, "compose", "docker-compose", "docker-compose 1.x binary (empty: skip)")
	flag.StringVar(&b.composeV2, "compose-v2", "", "compose v2+ binary, run standalone (empty: skip)")
	flag.Parse()
	benchenv.Main("converge", "converge", b.run)
}

func (b *bench) run(ctx context.Context, env *benchenv.Bench) error {
	b.Bench = env
	if err := b.BuildSidecar(); err != nil {
		return err
	}

	b.Heading("Converge: up -d of a running stack")

	var results []result
	floor, sres, err := b.sidecar(ctx)
	if err != nil {
		return err
	}
	results = append(results, sres)
	for _, bin := range benchenv.Installed(b.composeV1, b.composeV2) {
		r, err := b.compose(bin)
		if err != nil {
			return err
		}
		results = append(results, r)
	}

	fmt.Printf("%d rounds each; wall time of one `up -d`, milliseconds (median, min–max):\n\n", b.rounds)
	benchenv.TableHead("tool", "unchanged", "edit of one sidecar's env")
	ms := benchenv.Spread
	for _, r := range results {
		fmt.Printf("| %s | %s | %s |\n", r.name, ms(r.unchanged), ms(r.edit))
	}
	fmt.Printf("| floor: create + start of that one container (raw API) | — | %s |\n", ms(floor))
	fmt.Printf("\nsidecar's unchanged `up -d`: CPU time of the process %s ms (median); edit − floor = %d ms (medians).\n",
		msList(results[0].cpu), (benchenv.Median(results[0].edit) - benchenv.Median(floor)).Milliseconds())
	fmt.Printf("Runs, seconds — sidecar unchanged: %s; edit: %s; floor: %s.\n", benchenv.List(results[0].unchanged), benchenv.List(results[0].edit), benchenv.List(floor))
	fmt.Printf("\n(load average after: %s)\n", benchenv.LoadAvg())
	return nil
}

func msList(ts []time.Duration) string { return fmt.Sprint(benchenv.Median(ts).Milliseconds()) }

// recipe writes the pod with the sidecar's LEVEL set to level.
func (b *bench) recipe(stack, level string) (string, error) {
	content := fmt.Sprintf(`name: %s
stop_grace: 10s
sidecars:
  - {name: proxy, image: %[2]s, command: [/crasher, -forever]}
  - {name: shipper, image: %[2]s, command: [/crasher, -forever], env: {LEVEL: %[3]s}}
main: {name: web, image: %[2]s, command: [/crasher, -forever]}
`, stack, appsImage, level)
	file := filepath.Join(b.Tmp, stack, "sidecar.yaml")
	return file, benchenv.WriteFile(file, content)
}

// sidecar measures sidecar up -d: unchanged and edit rounds, with the floor of each edit.
func (b *bench) sidecar(ctx context.Context) (floor []time.Duration, r result, err error) {
	r.name = "sidecar up -d"
	stack := benchenv.UniqueName("bcv")
	defer b.cleanup(stack)
	file, err := b.recipe(stack, "a")
	if err != nil {
		return nil, r, err
	}
	if _, _, err := b.timed(b.Sidecar, "up", "-d", "-f", file); err != nil {
		return nil, r, err
	}
	defer b.timed(b.Sidecar, "down", "--stack", stack)
	before, err := b.ids(stack)
	if err != nil {
		return nil, r, err
	}
	for range b.rounds {
		d, cpu, err := b.timed(b.Sidecar, "up", "-d", "-f", file)
		if err != nil {
			return nil, r, err
		}
		if err := b.recreated(stack, before, ""); err != nil {
			return nil, r, fmt.Errorf("sidecar, unchanged: %w", err)
		}
		r.unchanged, r.cpu = append(r.unchanged, d), append(r.cpu, cpu)
	}
	for i := range b.rounds {
		if file, err = b.recipe(stack, []string{"b", "a"}[i%2]); err != nil {
			return nil, r, err
		}
		d, _, err := b.timed(b.Sidecar, "up", "-d", "-f", file)
		if err != nil {
			return nil, r, err
		}
		if err := b.recreated(stack, before, "shipper"); err != nil {
			return nil, r, fmt.Errorf("sidecar, edit: %w", err)
		}
		if before, err = b.ids(stack); err != nil {
			return nil, r, err
		}
		r.edit = append(r.edit, d)
		f, err := b.floor(ctx, stack, before["infra"])
		if err != nil {
			return nil, r, err
		}
		floor = append(floor, f)
	}
	return floor, r, nil
}

// floor creates and starts one container like the edited sidecar, in the pod of the infra
// container infraID, through the Engine API, and removes it.
func (b *bench) floor(ctx context.Context, stack, infraID string) (time.Duration, error) {
	spec := orchestrator.ContainerSpec{Name: benchenv.UniqueName(stack + "-floor-"), Image: appsImage, Cmd: []string{"/crasher", "-forever"},
		Env: []string{"LEVEL=x"}, NamespaceOwner: infraID, Labels: orchestrator.StackFilter(stack)}
	start := time.Now()
	id, err := b.D.CreateContainer(ctx, spec)
	if err != nil {
		return 0, err
	}
	defer b.D.RemoveContainer(context.WithoutCancel(ctx), id)
	if err := b.D.StartContainer(ctx, id); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// compose measures compose up -d on the equivalent compose file.
func (b *bench) compose(bin string) (result, error) {
	r := result{name: "docker compose " + benchenv.Version(bin, "version", "--short")}
	project := benchenv.UniqueName("bcc")
	file := filepath.Join(b.Tmp, project, "compose.yaml")
	write := func(level string) error {
		return benchenv.WriteFile(file, fmt.Sprintf(`services:
  infra: {image: %[1]s, stop_grace_period: 10s}
  proxy: {image: %[2]s, command: [/crasher, -forever], network_mode: "service:infra", depends_on: [infra]}
  shipper: {image: %[2]s, command: [/crasher, -forever], network_mode: "service:infra", depends_on: [proxy], environment: {LEVEL: %[3]s}}
  web: {image: %[2]s, command: [/crasher, -forever], network_mode: "service:infra", depends_on: [shipper]}
`, b.InfraImage, appsImage, level))
	}
	if err := write("a"); err != nil {
		return r, err
	}
	up := func() (time.Duration, error) {
		d, _, err := b.timed(bin, "-p", project, "-f", file, "up", "-d")
		return d, err
	}
	if _, err := up(); err != nil {
		return r, err
	}
	defer exec.Command(bin, "-p", project, "-f", file, "down", "-t", "0").Run()
	label := "com.docker.compose.project=" + project
	before, err := b.idsBy(label, "com.docker.compose.service")
	if err != nil {
		return r, err
	}
	for range b.rounds {
		d, err := up()
		if err != nil {
			return r, err
		}
		if err := b.recreatedBy(label, "com.docker.compose.service", before, ""); err != nil {
			return r, fmt.Errorf("%s, unchanged: %w", r.name, err)
		}
		r.unchanged = append(r.unchanged, d)
	}
	for i := range b.rounds {
		if err := write([]string{"b", "a"}[i%2]); err != nil {
			return r, err
		}
		d, err := up()
		if err != nil {
			return r, err
		}
		if err := b.recreatedBy(label, "com.docker.compose.service", before, "shipper"); err != nil {
			return r, fmt.Errorf("%s, edit: %w", r.name, err)
		}
		if before, err = b.idsBy(label, "com.docker.compose.service"); err != nil {
			return r, err
		}
		r.edit = append(r.edit, d)
	}
	return r, nil
}

// ids returns the container IDs of a sidecar stack, by container name.
func (b *bench) ids(stack string) (map[string]string, error) {
	infos, err := b.D.ListContainers(context.Background(), orchestrator.StackFilter(stack))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, info := range infos {
		if l, err := orchestrator.DecodeLabels(info.Labels); err == nil && l.Container != "" {
			out[l.Container] = info.ID
		}
	}
	return out, nil
}

// idsBy returns the IDs of the containers carrying label, by the value of their key label.
func (b *bench) idsBy(label, key string) (map[string]string, error) {
	k, v, _ := strings.Cut(label, "=")
	infos, err := b.D.ListContainers(context.Background(), map[string]string{k: v})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, info := range infos {
		out[info.Labels[key]] = info.ID
	}
	return out, nil
}

func (b *bench) recreated(stack string, before map[string]string, want string) error {
	now, err := b.ids(stack)
	if err != nil {
		return err
	}
	return sameBut(before, now, want)
}

func (b *bench) recreatedBy(label, key string, before map[string]string, want string) error {
	now, err := b.idsBy(label, key)
	if err != nil {
		return err
	}
	return sameBut(before, now, want)
}

// sameBut checks that only want (or nothing, for "") has another container now.
func sameBut(before, now map[string]string, want string) error {
	var changed []string
	for name, id := range before {
		if now[name] != id {
			changed = append(changed, name)
		}
	}
	if strings.Join(changed, ",") != want {
		return fmt.Errorf("re-created %v, want %q", changed, want)
	}
	return nil
}

// timed runs a command to its end, its output discarded, and returns its wall time and the
// CPU time (user and system) it used.
func (b *bench) timed(bin string, args ...string) (wall, cpu time.Duration, err error) {
	return benchenv.Timed(bin, b.SidecarEnv, args...)
}

// cleanup removes whatever a failed run left of a stack, by its label.
func (b *bench) cleanup(stack string) {
	ctx := context.Background()
	infos, _ := b.D.ListContainers(ctx, orchestrator.StackFilter(stack))
	for _, info := range infos {
		_ = b.D.RemoveContainer(ctx, info.ID)
	}
}
