// Command watch measures `sidecar up --watch` (make bench): from saving a file to its new
// content being served by main, with a probe sidecar in main's pod, on one compose file —
// web built from ./web (FROM the test programs' image, COPY index.html /www/), served by
// the test httpserver -www; probe with network_mode: service:web; develop.watch with a
// rebuild rule on ./web and a sync rule on ./web/static —
//
//   - rebuild: index.html saved (a temporary file renamed over it) → GET / answers it;
//   - sync: static/app.css saved → GET /static/app.css answers it;
//
// and the same with docker compose's `up --watch` for the compose binary given, in the same
// run. After every round it checks whether the probe sidecar's container was re-created or
// restarted (its ID and start time). It prints Markdown for docs/benchmarks.md. Never a
// test: nothing here asserts a time.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/client"

	"github.com/sidecar-dev/sidecar/bench/internal/benchenv"
	"github.com/sidecar-dev/sidecar/internal/syncbuf"
	"github.com/sidecar-dev/sidecar/orchestrator"
)

const appsImage = benchenv.AppsImage

type bench struct {
	*benchenv.Bench
	rounds    int
	composeV2 string          // a compose binary to measure too
	images    map[string]bool // every image ID the runs built, removed at the end
}

// result is one tool's figures.
type result struct {
	name          string
	rebuild, sync []time.Duration
	// probeChanged counts the rounds after which the probe sidecar had another container or
	// another start time than before.
	probeChanged int
	rounds       int
	note         string
}

func main() {
	b := &bench{images: map[string]bool{}}
	flag.IntVar(&b.rounds, "rounds", 5, "rounds of each measurement")
	flag.StringVar(&b.composeV2, "compose-v2", "", "compose v2+ binary, run standalone (empty: skip)")
	flag.Parse()
	benchenv.Main("watchbench", "watch", b.run)
}

func (b *bench) run(_ context.Context, env *benchenv.Bench) error {
	b.Bench = env
	defer b.removeImages()
	if err := b.BuildSidecar(); err != nil {
		return err
	}
	b.SidecarEnv = append(b.SidecarEnv, "NO_COLOR=1")

	b.Heading("Watch: save → served")

	var results []result
	r, err := b.tool("sidecar up --watch", b.sidecar)
	if err != nil {
		return err
	}
	if r.note != "" {
		fmt.Printf("**Skipped**: %s\n", r.note)
		return nil
	}
	results = append(results, r)
	for _, bin := range benchenv.Installed(b.composeV2) {
		name := "docker compose " + benchenv.Version(bin, "version", "--short") + " up --watch"
		r, err := b.tool(name, func(p *project) (*runner, error) { return b.compose(bin, p) })
		if err != nil {
			return err
		}
		results = append(results, r)
	}

	fmt.Printf("%d rounds each; from the save (a temporary file renamed over it) to the first GET that answers the new content, milliseconds (median, min–max):\n\n", b.rounds)
	benchenv.TableHead("tool", "rebuild: index.html → GET /", "sync: static/app.css → GET /static/app.css", "probe sidecar re-created or restarted")
	ms := benchenv.Spread
	for _, r := range results {
		fmt.Printf("| %s | %s | %s | after %d of %d rounds |\n", r.name, ms(r.rebuild), ms(r.sync), r.probeChanged, r.rounds)
	}
	if len(results) > 1 {
		fmt.Printf("\nsidecar's rebuild median is %.2f× compose's (target: at most 0.5×).\n",
			float64(benchenv.Median(results[0].rebuild))/float64(benchenv.Median(results[1].rebuild)))
	}
	for _, r := range results {
		fmt.Printf("Runs, seconds — %s: rebuild %s; sync %s.\n", r.name, benchenv.List(r.rebuild), benchenv.List(r.sync))
	}
	fmt.Printf("\n(load average after: %s)\n", benchenv.LoadAvg())
	return nil
}

// project is one tool's copy of the compose project.
type project struct {
	dir, file, name, image string
	port                   int
}

func (b *bench) project(name string) (*project, error) {
	p := &project{dir: filepath.Join(b.Tmp, name), name: name, image: "sidecar-bench/" + name + ":dev"}
	p.file = filepath.Join(p.dir, "compose.yaml")
	var err error
	if p.port, err = freePort(); err != nil {
		return nil, err
	}
	files := map[string]string{
		"web/Dockerfile":     "FROM " + appsImage + "\nCOPY index.html /www/\n",
		"web/index.html":     "v0",
		"web/static/app.css": "s0",
		"compose.yaml": fmt.Sprintf(`services:
  web:
    build: ./web
    image: %s
    command: ["/httpserver", "-listen", ":8080", "-www", "/www", "-name", "web"]
    ports: ["127.0.0.1:%d:8080"]
    develop:
      watch:
        - {path: ./web, action: rebuild, ignore: [static/]}
        - {path: ./web/static, action: sync, target: /www/static}
  probe:
    image: %s
    command: ["/crasher", "-forever"]
    network_mode: service:web
    depends_on: [web]
`, p.image, p.port, appsImage),
	}
	for rel, content := range files {
		if err := benchenv.WriteFile(filepath.Join(p.dir, rel), content); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// save writes content to a temporary file next to path and renames it over path, as
// editors save.
func save(path, content string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp~")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// runner is one tool running the project with its watch.
type runner struct {
	out     fmt.Stringer // its output
	stop    func() error
	probe   func() (orchestrator.ContainerInfo, error)
	web     func() (orchestrator.ContainerInfo, error)
	settled func(round int) error // the tool is done with a rebuild round
	note    string                // set: the tool cannot run this benchmark, and why
}

func (b *bench) tool(name string, start func(*project) (*runner, error)) (result, error) {
	r := result{name: name}
	p, err := b.project(benchenv.UniqueName("bw"))
	if err != nil {
		return r, err
	}
	run, err := start(p)
	if err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	if run.note != "" {
		r.note = run.note
		return r, nil
	}
	defer run.stop()
	base := "http://127.0.0.1:" + strconv.Itoa(p.port)
	if _, err := waitServes(base+"/", "v0", 3*time.Minute); err != nil {
		return r, fmt.Errorf("%s: the stack did not come up: %w\n%s", name, err, run.out)
	}
	b.noteImage(p.image)
	probe, err := run.probe()
	if err != nil {
		return r, err
	}
	for i := 1; i <= b.rounds; i++ {
		want := fmt.Sprintf("v%d", i)
		// At a random point of the second: on Engine 20.10 a layer commit ends at the turn
		// of a second (docs/benchmarks.md), so a save in step with the rounds would land
		// always early, or always late, in it.
		time.Sleep(rand.N(time.Second))
		if err := save(filepath.Join(p.dir, "web/index.html"), want); err != nil {
			return r, err
		}
		d, err := waitServes(base+"/", want, 2*time.Minute)
		if err != nil {
			return r, fmt.Errorf("%s, rebuild round %d: %w\n%s", name, i, err, run.out)
		}
		r.rebuild = append(r.rebuild, d)
		if err := run.settled(i); err != nil {
			return r, fmt.Errorf("%s, rebuild round %d: %w\n%s", name, i, err, run.out)
		}
		b.noteImage(p.image)
		now, err := run.probe()
		if err != nil {
			return r, err
		}
		if now.ID != probe.ID || !now.StartedAt.Equal(probe.StartedAt) {
			r.probeChanged++
		}
		probe = now
		r.rounds++
		time.Sleep(500 * time.Millisecond) // let the tool go quiet
	}
	webBefore, err := run.web()
	if err != nil {
		return r, err
	}
	for i := 1; i <= b.rounds; i++ {
		want := fmt.Sprintf("s%d", i)
		if err := save(filepath.Join(p.dir, "web/static/app.css"), want); err != nil {
			return r, err
		}
		d, err := waitServes(base+"/static/app.css", want, time.Minute)
		if err != nil {
			return r, fmt.Errorf("%s, sync round %d: %w\n%s", name, i, err, run.out)
		}
		r.sync = append(r.sync, d)
		time.Sleep(500 * time.Millisecond)
	}
	if web, err := run.web(); err == nil && (web.ID != webBefore.ID || !web.StartedAt.Equal(webBefore.StartedAt)) {
		r.name += " (main restarted by a sync!)"
	}
	return r, run.stop()
}

// waitServes polls url every 5 ms until it answers want; it returns how long that took.
func waitServes(url, want string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	hc := &http.Client{Timeout: time.Second}
	last := ""
	for time.Since(start) < timeout {
		resp, err := hc.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(body) == want {
				return time.Since(start), nil
			}
			last = fmt.Sprintf("%s %q", resp.Status, body)
		} else {
			last = err.Error()
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("GET %s did not answer %q within %s (last: %s)", url, want, timeout, last)
}

// sidecar runs `sidecar up --watch -f compose.yaml` in the foreground, its plain output kept.
func (b *bench) sidecar(p *project) (*runner, error) {
	// This build's compose import must read develop.watch.
	cfg := exec.Command(b.Sidecar, "config", "-o", "json", "-f", p.file)
	cfg.Env = append(os.Environ(), b.SidecarEnv...)
	out, err := cfg.Output()
	if err != nil {
		return nil, fmt.Errorf("sidecar config: %v", err)
	}
	if !bytes.Contains(out, []byte(`"watch"`)) {
		return &runner{note: "this build's compose import does not read develop.watch into watch rules (issue 11's recipe part): nothing to measure"}, nil
	}
	buf := &syncbuf.Buffer{}
	cmd := exec.Command(b.Sidecar, "up", "--watch", "--plain", "-f", p.file)
	cmd.Env = append(os.Environ(), b.SidecarEnv...)
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stack := filepath.Base(p.dir)
	info := func(name string) func() (orchestrator.ContainerInfo, error) {
		return func() (orchestrator.ContainerInfo, error) {
			return b.container(orchestrator.Labels{Stack: stack, Container: name}.Encode())
		}
	}
	r := &runner{out: buf, probe: info("probe"), web: info("web"),
		settled: func(round int) error {
			return waitOutput(buf, "* replaced", round, time.Minute)
		},
		stop: interrupt(cmd, func() error {
			down := exec.Command(b.Sidecar, "down", "--stack", stack)
			down.Env = append(os.Environ(), b.SidecarEnv...)
			_ = down.Run()
			return fmt.Errorf("sidecar up did not end within a minute of Ctrl-C\n%s", buf)
		}, nil)}
	if err := waitOutput(buf, "* watching", 1, 3*time.Minute); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// compose runs `compose -p P -f F up --watch` in the foreground.
func (b *bench) compose(bin string, p *project) (*runner, error) {
	buf := &syncbuf.Buffer{}
	cmd := exec.Command(bin, "-p", p.name, "-f", p.file, "up", "--watch", "--menu=false")
	cmd.Stdout, cmd.Stderr = buf, buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	info := func(service string) func() (orchestrator.ContainerInfo, error) {
		return func() (orchestrator.ContainerInfo, error) {
			return b.container(map[string]string{"com.docker.compose.project": p.name, "com.docker.compose.service": service})
		}
	}
	down := func() error { return exec.Command(bin, "-p", p.name, "-f", p.file, "down", "-t", "1").Run() }
	r := &runner{out: buf, probe: info("probe"), web: info("web"),
		settled: func(round int) error {
			// Compose re-creates the probe after web: wait until both run again.
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				w, err1 := info("web")()
				pr, err2 := info("probe")()
				if err1 == nil && err2 == nil && w.Status == orchestrator.StatusRunning && pr.Status == orchestrator.StatusRunning &&
					!pr.StartedAt.Before(w.StartedAt) {
					return nil
				}
				time.Sleep(50 * time.Millisecond)
			}
			return errors.New("web and probe did not both run again within a minute")
		},
		stop: interrupt(cmd, down, down)}
	if err := waitOutput(buf, "Watch enabled", 1, 3*time.Minute); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

// interrupt returns the function that stops a tool's foreground run as Ctrl-C does, once:
// it waits a minute for the process to end, then kills it and calls stuck; after an end in
// time it calls after (when not nil).
func interrupt(cmd *exec.Cmd, stuck, after func() error) func() error {
	stopped := false
	return func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-done
			return stuck()
		}
		if after != nil {
			return after()
		}
		return nil
	}
}

// container is the one container carrying labels, inspected.
func (b *bench) container(labels map[string]string) (orchestrator.ContainerInfo, error) {
	ctx := context.Background()
	infos, err := b.D.ListContainers(ctx, labels)
	if err != nil {
		return orchestrator.ContainerInfo{}, err
	}
	if len(infos) != 1 {
		return orchestrator.ContainerInfo{}, fmt.Errorf("%d containers labelled %v", len(infos), labels)
	}
	return b.D.InspectContainer(ctx, infos[0].ID)
}

// noteImage remembers the ID ref names now, to remove it at the end.
func (b *bench) noteImage(ref string) {
	if id, err := b.D.ImageID(context.Background(), ref); err == nil {
		b.images[id] = true
		b.images[ref] = true
	}
}

// removeImages removes the images the runs built, as far as they are left: the tags, then
// the images they named before when nothing names them any more (an image ID a build gave
// may be another's image too, with a tag of its own).
func (b *bench) removeImages() {
	ctx := context.Background()
	for r := range b.images {
		if !strings.HasPrefix(r, "sha256:") {
			_, _ = b.D.Client().ImageRemove(ctx, r, client.ImageRemoveOptions{PruneChildren: true})
		}
	}
	for r := range b.images {
		if strings.HasPrefix(r, "sha256:") {
			_, _ = b.D.PruneImage(ctx, r)
		}
	}
}

// waitOutput waits until text appears at least n times in the tool's output.
func waitOutput(buf *syncbuf.Buffer, text string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Count(buf.String(), text) >= n {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%q did not appear %d times within %s", text, n, timeout)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
