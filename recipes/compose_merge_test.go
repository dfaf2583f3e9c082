package recipes

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// composeLoadAll loads compose files given as text (name, content; in the order given),
// merged, with files under the first one's directory read from files and nothing else.
func composeLoadAll(t *testing.T, files map[string]string, compose ...[2]string) (*Stack, []Warning, error) {
	t.Helper()
	var in []File
	for _, f := range compose {
		in = append(in, File{Name: f[0], Content: []byte(strings.ReplaceAll(f[1], "\t", "  "))})
	}
	dir := t.TempDir()
	return LoadAll(in, Options{Dir: dir, ReadFile: readUnder(dir, files)})
}

// overBase loads mergeBase with the file name (content override) merged over it.
func overBase(t *testing.T, name, override string) (*Stack, []Warning, error) {
	return composeLoadAll(t, map[string]string{"base.env": ""}, [2]string{"compose.yaml", mergeBase}, [2]string{name, override})
}

const mergeBase = `
services:
	web:
		image: web:1
		command: [/web, --verbose]
		ports: ["8080:80"]
		environment: {A: a, B: b}
		env_file: [base.env]
		x-sidecar:
			labels: {tier: front}
	proxy:
		image: envoy:1
		network_mode: service:web
`

// An override file changes what it names and leaves the rest: a scalar replaces (image),
// ports are appended, environment merges by name (a list over a mapping), x-sidecar merges
// as a mapping, !reset takes a field away, a service it adds is imported; env files are read
// from the first file's directory.
func TestComposeOverrideMerges(t *testing.T) {
	st, _, err := composeLoadAll(t, map[string]string{"base.env": "E=base\n", "dev.env": "D=dev\n"},
		[2]string{"compose.yaml", mergeBase},
		[2]string{"compose.override.yaml", `
services:
	web:
		image: web:dev
		command: !reset null
		ports: ["9090:90"]
		environment: [B=override, C=c]
		env_file: dev.env
		x-sidecar:
			labels: {env: dev}
	worker:
		image: worker:dev
`})
	if err != nil {
		t.Fatal(err)
	}
	web := st.Pod("web")
	if web == nil || web.Main == nil || web.Main.Name != "web" {
		t.Fatalf("pods: %+v", st.Pods)
	}
	m := web.Main
	if m.Image != "web:dev" {
		t.Errorf("image %q, want the override's web:dev", m.Image)
	}
	if len(m.Command) != 0 {
		t.Errorf("command %q, want none (!reset)", m.Command)
	}
	var ports []string
	for _, p := range m.Ports {
		ports = append(ports, p.String())
	}
	if want := []string{"8080:80/tcp", "9090:90/tcp"}; !slices.Equal(ports, want) {
		t.Errorf("ports %q, want %q", ports, want)
	}
	if want := (Env{"A": "a", "B": "override", "C": "c", "E": "base", "D": "dev"}); !reflect.DeepEqual(m.Env, want) {
		t.Errorf("env %v, want %v", m.Env, want)
	}
	if want := map[string]string{"tier": "front", "env": "dev"}; !reflect.DeepEqual(web.Labels, want) {
		t.Errorf("pod labels %v, want %v", web.Labels, want)
	}
	if len(web.Sidecars) != 1 || web.Sidecars[0].Image != "envoy:1" {
		t.Errorf("sidecars %+v, want the first file's proxy", web.Sidecars)
	}
	if st.Pod("worker") == nil {
		t.Errorf("no pod worker (a service the override adds): %+v", st.Pods)
	}
	if want := (Source{File: "compose.yaml", Overrides: []string{"compose.override.yaml"}, Kind: SourceCompose}); !reflect.DeepEqual(st.Source, want) {
		t.Errorf("source %+v, want %+v", st.Source, want)
	}
}

// !override replaces a list instead of appending to it.
func TestComposeOverrideTag(t *testing.T) {
	st, _, err := overBase(t, "dev.yaml", "services:\n\tweb:\n\t\tports: !override [\"7070:70\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	if ps := st.Pod("web").Main.Ports; len(ps) != 1 || ps[0].HostPort != 7070 {
		t.Errorf("ports %+v, want 7070:70 alone", ps)
	}
}

// Every problem of every file is reported at once, each in the file, at the line and column,
// where it is written: a key the override brings, in the override; a value it replaces, at
// its own line.
func TestComposeOverrideProblemsInTheirFile(t *testing.T) {
	_, _, err := composeLoadAll(t, nil,
		[2]string{"compose.yaml", `
services:
	web:
		image: web:1
		stop_grace_period: 10
`},
		[2]string{"compose.override.yaml", `
services:
	web:
		imgae: web:dev
		ports: ["99999:80"]
		x-sidecar:
			rol: sidecar
`})
	got := problemStrings(t, err)
	for _, want := range []string{
		"compose.yaml:5:24: services.web.stop_grace_period: 10 has no unit",
		`compose.override.yaml:4:5: unknown key "imgae" in services.web: did you mean "image"?`,
		"compose.override.yaml:5:13: port \"99999:80\"",
		"compose.override.yaml:7:7: ",
	} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no problem %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// A warning about what the override file sets is placed there.
func TestComposeOverrideWarningsInTheirFile(t *testing.T) {
	_, ws, err := overBase(t, "compose.override.yaml", "services:\n\tweb:\n\t\tstdin_open: true\n")
	if err != nil {
		t.Fatal(err)
	}
	got := warningStrings(ws)
	if !slices.ContainsFunc(got, func(s string) bool {
		return strings.HasPrefix(s, "compose.override.yaml:3:5: warning: services.web.stdin_open")
	}) {
		t.Errorf("no warning at compose.override.yaml:3:5 in:\n%s", strings.Join(got, "\n"))
	}
}

// Only compose files merge: a recipe or a Kubernetes manifest among several files is a
// problem placed at that file.
func TestComposeMergeOnlyComposeFiles(t *testing.T) {
	for name, files := range map[string][][2]string{
		"recipe after":   {{"compose.yaml", mergeBase}, {"sidecar.yaml", "main:\n\timage: web:1\n"}},
		"recipe first":   {{"sidecar.yaml", "main:\n\timage: web:1\n"}, {"compose.yaml", mergeBase}},
		"manifest after": {{"compose.yaml", mergeBase}, {"pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := composeLoadAll(t, nil, files...)
			got := problemStrings(t, err)
			if len(got) != 1 || !strings.Contains(got[0], "only compose files are merged") || strings.HasPrefix(got[0], "compose.yaml") {
				t.Errorf("problems:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// What validation finds about the merged stack is placed where the override wrote it.
func TestComposeOverrideValidationInTheirFile(t *testing.T) {
	_, _, err := overBase(t, "compose.override.yaml", `
services:
	web:
		depends_on: [db]
	worker:
		command: [run]
`)
	got := problemStrings(t, err)
	for _, want := range []string{`compose.override.yaml:4:18: depends_on names "db"`, `compose.override.yaml:5:3: main container "worker" has no image`} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no problem %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}
