package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

func TestLogsFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   []string
		tty   bool
		check func(t *testing.T, o *LogsOptions)
		code  int
		err   string
	}{
		{name: "-f is follow, --file the recipe", args: []string{"logs", "-f", "--file", "x.yaml", "--tail", "5", "-t", "web", "envoy"},
			check: func(t *testing.T, o *LogsOptions) {
				if !o.Follow || o.File.String() != "x.yaml" || o.Tail != 5 || !o.Timestamps || strings.Join(o.Containers, ",") != "web,envoy" || o.Color {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "defaults", args: []string{"logs"}, tty: true,
			check: func(t *testing.T, o *LogsOptions) {
				if o.Follow || o.File.String() != defaultFile || o.Tail != -1 || !o.Since.IsZero() || !o.Color {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "--follow --stack --since", args: []string{"logs", "--follow", "--stack", "demo", "--since", "10m"},
			check: func(t *testing.T, o *LogsOptions) {
				if !o.Follow || o.Stack != "demo" || time.Since(o.Since) < 10*time.Minute || time.Since(o.Since) > 11*time.Minute {
					t.Errorf("options %+v", o)
				}
			}},
		{name: "NO_COLOR", args: []string{"logs"}, tty: true, env: []string{"NO_COLOR=1"},
			check: func(t *testing.T, o *LogsOptions) {
				if o.Color {
					t.Error("colour with NO_COLOR set")
				}
			}},
		{name: "--no-color", args: []string{"logs", "--no-color"}, tty: true,
			check: func(t *testing.T, o *LogsOptions) {
				if o.Color {
					t.Error("colour with --no-color")
				}
			}},
		{name: "both --stack and --file", args: []string{"logs", "--stack", "a", "--file", "b.yaml"}, code: 2, err: "give either --file FILE or --stack NAME"},
		{name: "bad --tail", args: []string{"logs", "--tail", "ten"}, code: 2, err: `--tail takes a number of lines or "all", got "ten"`},
		{name: "bad --since", args: []string{"logs", "--since", "yesterday"}, code: 2, err: `--since takes a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(t)
			f.IO.IsTTY = tt.tty
			if tt.env != nil {
				f.Environ = func() []string { return tt.env }
			}
			got, code := parsed(t, f, newLogsCmd, tt.args...)
			if code != tt.code || !strings.Contains(errOut.String(), tt.err) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.code, tt.err)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                         now.Add(-10 * time.Minute),
		"1h30m":                       now.Add(-90 * time.Minute),
		"2026-01-02T03:04:05Z":        time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"2026-01-02T03:04:05.5+01:00": time.Date(2026, 1, 2, 2, 4, 5, 5e8, time.UTC),
		"2026-01-02T03:04:05":         time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local),
		"2026-01-02":                  time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local),
		"1767323045":                  time.Unix(1767323045, 0),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-5m", "soon", "2026-13-01"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) is not an error", bad)
		}
	}
}

// fakeLogs is a logEngine holding finished containers' lines.
type fakeLogs struct {
	infos []orchestrator.ContainerInfo
	lines map[string][]orchestrator.LogLine
	asked []orchestrator.LogOptions
}

func (f *fakeLogs) ListContainers(ctx context.Context, filter map[string]string) ([]orchestrator.ContainerInfo, error) {
	var out []orchestrator.ContainerInfo
	want, _ := orchestrator.DecodeLabels(filter)
	for _, c := range f.infos {
		if l, _ := orchestrator.DecodeLabels(c.Labels); l.Stack == want.Stack {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeLogs) InspectContainer(ctx context.Context, id string) (orchestrator.ContainerInfo, error) {
	for _, c := range f.infos {
		if c.ID == id {
			return c, nil
		}
	}
	return orchestrator.ContainerInfo{}, orchestrator.ErrNotFound
}

func (f *fakeLogs) ResumeLogs(ctx context.Context, id string, opts orchestrator.LogOptions, from orchestrator.LogCursor, sink func(orchestrator.LogLine)) (orchestrator.LogCursor, error) {
	f.asked = append(f.asked, opts)
	lines := f.lines[id]
	if opts.Tail >= 0 && len(lines) > opts.Tail {
		lines = lines[len(lines)-opts.Tail:]
	}
	for _, l := range lines {
		sink(l)
	}
	return nil, nil
}

func (f *fakeLogs) Events(ctx context.Context, since time.Time, filter map[string]string) (<-chan orchestrator.EngineEvent, <-chan error) {
	return nil, nil
}

func (f *fakeLogs) Close() error { return nil }

func fakeContainer(stack, pod, name, role string) orchestrator.ContainerInfo {
	var r recipes.Role
	if err := r.UnmarshalText([]byte(role)); err != nil {
		panic(err)
	}
	return orchestrator.ContainerInfo{ID: pod + "-" + name, Name: stack + "-" + pod + "-" + name, Status: orchestrator.StatusExited,
		Labels: orchestrator.Labels{Stack: stack, Pod: pod, Container: name, Role: r}.Encode()}
}

func TestLogsHistory(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	eng := &fakeLogs{
		infos: []orchestrator.ContainerInfo{
			fakeContainer("shop", "shop", "web", "main"), fakeContainer("shop", "shop", "infra", "infra"),
			fakeContainer("shop", "shop", "envoy", "sidecar"), fakeContainer("other", "other", "x", "main"),
		},
		lines: map[string][]orchestrator.LogLine{
			"shop-web":   {{Time: at(1), Text: "web 1"}, {Time: at(3), Text: "web \x1b[31mred\x1b[0m \x1b]0;title\x07over\rwrite"}, {Time: at(5), Text: "web 5"}},
			"shop-envoy": {{Time: at(2), Text: "envoy 2"}, {Time: at(4), Stream: orchestrator.Stderr, Text: "envoy 4 \u202eevil"}},
		},
	}
	run := func(tty bool, args ...string) (int, string, string) {
		f, out, errOut := testFactory(t)
		f.IO.IsTTY = tty
		root := newRootCmd(f, newLogsCmd(f, func(o *LogsOptions) error {
			o.Connect = func(context.Context) (logEngine, error) { return eng, nil }
			return logsRun(context.Background(), o)
		}))
		root.SetArgs(args)
		return exitCode(root.ExecuteContext(context.Background()), errOut, root), out.String(), errOut.String()
	}

	code, out, errOut := run(false, "logs", "--stack", "shop")
	wantSorted := "" +
		"web   | web 1\n" +
		"envoy | envoy 2\n" +
		"web   | web red overwrite\n" +
		"envoy | envoy 4 evil\n" +
		"web   | web 5\n"
	if code != 0 || out != wantSorted {
		t.Errorf("exit %d, stderr %q, output\n%s\nwant\n%s", code, errOut, out, wantSorted)
	}

	// On a terminal: names in colour, the containers' own colours kept, nothing else.
	_, out, _ = run(true, "logs", "--stack", "shop", "web")
	// (the colours of `up`: infra, envoy, web in the pod's order)
	if !strings.Contains(out, "\x1b[32mweb\x1b[0m   | web \x1b[31mred\x1b[0m overwrite\n") || strings.Contains(out, "envoy") || strings.Contains(out, "title") {
		t.Errorf("terminal output %q", out)
	}

	_, out, _ = run(false, "logs", "--stack", "shop", "--tail", "1", "--timestamps", "envoy")
	if want := at(4).Local().Format(plain.TimeFormat) + " envoy | envoy 4 evil\n"; out != want {
		t.Errorf("tail 1 with timestamps: %q, want %q", out, want)
	}

	code, _, errOut = run(false, "logs", "--stack", "shop", "nope")
	if code != 2 || !strings.Contains(errOut, `no container "nope" in the stack: it has envoy, web`) {
		t.Errorf("unknown container: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(false, "logs", "--stack", "gone")
	if code != 1 || !strings.Contains(errOut, "stack gone has no containers on the engine") {
		t.Errorf("no such stack: exit %d, %q", code, errOut)
	}

	// The stack's name comes from the recipe when --stack is not given.
	dir := t.TempDir()
	recipe := filepath.Join(dir, "sidecar.yaml")
	writeFile(t, recipe, "name: shop\nmain: {name: web, image: x}\n")
	if code, out, errOut := run(false, "logs", "--file", recipe, "web"); code != 0 || !strings.HasPrefix(out, "web   | web 1\n") {
		t.Errorf("from the recipe: exit %d, %q, %q", code, out, errOut)
	}

	// Several pods: pod/container names.
	eng.infos = append(eng.infos, fakeContainer("shop", "db", "pg", "main"))
	eng.lines["db-pg"] = []orchestrator.LogLine{{Time: at(0), Text: "ready"}}
	_, out, _ = run(false, "logs", "--stack", "shop", "db/pg", "web")
	if !strings.HasPrefix(out, "db/pg      | ready\nshop/web   | web 1\n") {
		t.Errorf("several pods: %q", out)
	}
}

// `sidecar -f x.yaml logs` reads -f as --follow and x.yaml as a container: a container name
// that looks like a recipe, when no container has it, is a usage error that says how to give
// the recipe.
func TestLogsRecipeAsContainer(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	eng := &fakeLogs{
		infos: []orchestrator.ContainerInfo{fakeContainer("shop", "shop", "web", "main"), fakeContainer("shop", "shop", "infra", "infra")},
		lines: map[string][]orchestrator.LogLine{"shop-web": {{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Text: "web 1"}}},
	}
	run := func(args ...string) (int, string, string) {
		f, out, errOut := testFactory(t)
		root := newRootCmd(f, newLogsCmd(f, func(o *LogsOptions) error {
			o.Connect = func(context.Context) (logEngine, error) { return eng, nil }
			return logsRun(context.Background(), o)
		}))
		root.SetArgs(args)
		return exitCode(root.ExecuteContext(context.Background()), errOut, root), out.String(), errOut.String()
	}
	const hint = `"x.yaml" looks like a recipe, not a container: -f means --follow for logs; give the recipe with --file x.yaml`
	// No ./sidecar.yaml: the hint, not "cannot read sidecar.yaml".
	if code, _, errOut := run("-f", "x.yaml", "logs"); code != 2 || !strings.Contains(errOut, hint) || strings.Contains(errOut, "cannot read") {
		t.Errorf("sidecar -f x.yaml logs: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run("logs", "-f", "x.yaml"); code != 2 || !strings.Contains(errOut, hint) {
		t.Errorf("sidecar logs -f x.yaml: exit %d, stderr %q", code, errOut)
	}
	// A ./sidecar.yaml of a stack that runs: x.yaml is none of its containers.
	writeFile(t, "sidecar.yaml", "name: shop\nmain: {name: web, image: x}\n")
	if code, _, errOut := run("-f", "x.yaml", "logs"); code != 2 || !strings.Contains(errOut, hint) {
		t.Errorf("with ./sidecar.yaml: exit %d, stderr %q", code, errOut)
	}
	// Without -f, and an existing file without a recipe's extension.
	writeFile(t, "stack", "name: shop\n")
	for _, name := range []string{"x.yml", "stack"} {
		code, _, errOut := run("logs", "--stack", "shop", name)
		if want := `"` + name + `" looks like a recipe, not a container: give the recipe with --file ` + name; code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("logs --stack shop %s: exit %d, stderr %q; want %q", name, code, errOut, want)
		}
	}
	// A file that has a container's name does not hide the container.
	writeFile(t, "web", "")
	if code, out, errOut := run("logs", "web"); code != 0 || out != "web   | web 1\n" {
		t.Errorf("logs web, with a file named web here: exit %d, %q, %q", code, out, errOut)
	}
}

// A restarted container's history: its lines from before its latest run, a note at that run's
// start (in time order with the other containers' lines), then the run.
func TestLogsMarksTheLatestRun(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	web, envoy := fakeContainer("shop", "shop", "web", "main"), fakeContainer("shop", "shop", "envoy", "sidecar")
	web.StartedAt = at(4)   // restarted: its lines before 4 are earlier runs'
	envoy.StartedAt = at(0) // one run
	eng := &fakeLogs{
		infos: []orchestrator.ContainerInfo{web, envoy},
		lines: map[string][]orchestrator.LogLine{
			"shop-web":   {{Time: at(1), Text: "run 1"}, {Time: at(2), Text: "run 2"}, {Time: at(5), Text: "run 3"}},
			"shop-envoy": {{Time: at(0), Text: "envoy 0"}, {Time: at(3), Text: "envoy 3"}, {Time: at(4).Add(time.Second / 2), Text: "envoy 4.5"}, {Time: at(6), Text: "envoy 6"}},
		},
	}
	run := func(args ...string) string {
		f, out, errOut := testFactory(t)
		root := newRootCmd(f, newLogsCmd(f, func(o *LogsOptions) error {
			o.Connect = func(context.Context) (logEngine, error) { return eng, nil }
			return logsRun(context.Background(), o)
		}))
		root.SetArgs(args)
		if code := exitCode(root.ExecuteContext(context.Background()), errOut, root); code != 0 {
			t.Fatalf("sidecar %s: exit %d, %s", strings.Join(args, " "), code, errOut)
		}
		return out.String()
	}
	want := "" +
		"envoy | envoy 0\n" +
		"web   | run 1\n" +
		"web   | run 2\n" +
		"envoy | envoy 3\n" +
		"web   * restarted\n" +
		"envoy | envoy 4.5\n" +
		"web   | run 3\n" +
		"envoy | envoy 6\n"
	if out := run("logs", "--stack", "shop"); out != want {
		t.Errorf("output\n%s\nwant\n%s", out, want)
	}
	// Only the latest run: nothing before it to set apart.
	if out := run("logs", "--stack", "shop", "--tail", "1", "web"); out != "web   | run 3\n" {
		t.Errorf("--tail 1: %q", out)
	}
}
