package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/recipes"
)

// Without -f, a command reads ./sidecar.yaml, or else the compose file docker compose would
// read in the directory (compose.yaml first), and the override file next to it merged over
// it, saying so when there are several; -f given more than once (or SIDECAR_FILE naming
// several files) merges compose files, and only compose files. In a subdirectory with none of
// these, the nearest parent directory's are read.
func TestRecipeFileWithoutF(t *testing.T) {
	const compose = "services:\n  web:\n    image: img\n"
	const override = "services:\n  web:\n    environment: {MODE: dev}\n"
	const recipe = "main:\n  image: img\n"
	const sep = string(os.PathListSeparator)
	const manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: img}]}\n"
	const profiled = compose + "  adminer:\n    image: img\n    profiles: [tools]\n"
	tests := []struct {
		name    string
		files   map[string]string
		args    []string
		code    int
		out     string // in stdout
		errOut  string // in stderr ("" : stderr empty)
		env     []string
		missing bool   // stderr says the file cannot be read
		dir     string // where the command runs, in the directory of files ("": there)
	}{
		{name: "sidecar.yaml wins", files: map[string]string{"sidecar.yaml": recipe, "compose.yaml": compose, "compose.override.yaml": override}, out: "sidecar.yaml: ok"},
		{name: "compose.yaml", files: map[string]string{"compose.yaml": compose}, out: "compose.yaml: ok"},
		{name: "docker-compose.yml", files: map[string]string{"docker-compose.yml": compose}, out: "docker-compose.yml: ok"},
		{name: "several", files: map[string]string{"docker-compose.yml": compose, "compose.yaml": compose}, out: "compose.yaml: ok",
			errOut: "warning: found compose.yaml, docker-compose.yml here: using compose.yaml"},
		{name: "override", files: map[string]string{"docker-compose.yml": compose, "docker-compose.override.yml": override},
			out: "docker-compose.yml, docker-compose.override.yml: ok"},
		{name: "override of another name", files: map[string]string{"compose.yaml": compose, "docker-compose.override.yaml": override},
			out: "compose.yaml, docker-compose.override.yaml: ok"},
		{name: "several overrides", files: map[string]string{"compose.yaml": compose, "compose.override.yaml": override, "compose.override.yml": override},
			out: "compose.yaml, compose.override.yml: ok", errOut: "warning: found compose.override.yml, compose.override.yaml here: using the override file compose.override.yml"},
		{name: "an override of another kind", files: map[string]string{"compose.yaml": compose, "compose.override.yaml": recipe}, code: 2,
			errOut: "compose.override.yaml:1:1: this is a sidecar.yaml recipe, and it is given with other files: only compose files are merged"},
		{name: "-f as given", files: map[string]string{"compose.yaml": compose}, args: []string{"-f", "sidecar.yaml"}, code: 2, missing: true},
		{name: "-f: no override", files: map[string]string{"compose.yaml": compose, "compose.override.yaml": recipe}, args: []string{"-f", "compose.yaml"}, out: "compose.yaml: ok"},
		{name: "SIDECAR_FILE as given", files: map[string]string{"compose.yaml": compose}, env: []string{"SIDECAR_FILE=sidecar.yaml"}, code: 2, missing: true},
		{name: "none", code: 2, missing: true, errOut: "or else the compose file docker compose would"},
		{name: "no profile", files: map[string]string{"compose.yaml": profiled}, out: "compose.yaml: ok (1 pod, 1 container)",
			errOut: "activate it with --profile tools or COMPOSE_PROFILES=tools"},
		{name: "--profile", files: map[string]string{"compose.yaml": profiled}, args: []string{"--profile", "x,tools"}, out: "compose.yaml: ok (2 pods, 2 containers)"},
		{name: "SIDECAR_PROFILE", files: map[string]string{"compose.yaml": profiled}, env: []string{"SIDECAR_PROFILE=tools"}, out: "compose.yaml: ok (2 pods, 2 containers)"},
		{name: "-f twice", files: map[string]string{"compose.yaml": compose, "dev.yaml": override}, args: []string{"-f", "compose.yaml", "-f", "dev.yaml"},
			out: "compose.yaml, dev.yaml: ok"},
		{name: "SIDECAR_FILE list", files: map[string]string{"compose.yaml": compose, "dev.yaml": override}, env: []string{"SIDECAR_FILE=compose.yaml" + string(os.PathListSeparator) + "dev.yaml"},
			out: "compose.yaml, dev.yaml: ok"},
		{name: "-f sidecar.yaml among", files: map[string]string{"compose.yaml": compose, "sidecar.yaml": recipe}, args: []string{"-f", "compose.yaml", "-f", "sidecar.yaml"}, code: 2,
			errOut: "sidecar.yaml:1:1: this is a sidecar.yaml recipe, and it is given with other files: only compose files are merged (-f compose.yaml -f compose.override.yaml): give it alone (-f sidecar.yaml)"},
		{name: "-f manifest among", files: map[string]string{"compose.yaml": compose, "pod.yaml": manifest}, args: []string{"-f", "compose.yaml", "-f", "pod.yaml"}, code: 2,
			errOut: "pod.yaml:1:1: this is a Kubernetes manifest, and it is given with other files"},
		{name: "COMPOSE_FILE", files: map[string]string{"compose.yaml": compose, "dev.yaml": override}, env: []string{"COMPOSE_FILE=compose.yaml" + sep + "dev.yaml"},
			out: "compose.yaml, dev.yaml: ok"},
		{name: "COMPOSE_PATH_SEPARATOR", files: map[string]string{"compose.yaml": compose, "dev.yaml": override}, env: []string{"COMPOSE_FILE=compose.yaml,dev.yaml", "COMPOSE_PATH_SEPARATOR=,"},
			out: "compose.yaml, dev.yaml: ok"},
		{name: "COMPOSE_FILE of .env", files: map[string]string{"compose.yaml": compose, "dev.yaml": override, ".env": "COMPOSE_FILE=compose.yaml" + sep + "dev.yaml\n"},
			out: "compose.yaml, dev.yaml: ok"},
		{name: "COMPOSE_FILE over the override file", files: map[string]string{"compose.yaml": compose, "compose.override.yaml": recipe}, env: []string{"COMPOSE_FILE=compose.yaml"},
			out: "compose.yaml: ok"},
		{name: "sidecar.yaml over COMPOSE_FILE", files: map[string]string{"sidecar.yaml": recipe, "compose.yaml": compose}, env: []string{"COMPOSE_FILE=compose.yaml"},
			out: "sidecar.yaml: ok"},
		// A .env that cannot be read may hold COMPOSE_FILE: its problem, not a missing sidecar.yaml.
		{name: "broken .env with COMPOSE_FILE", files: map[string]string{"base.yaml": compose, ".env": "COMPOSE_FILE=base.yaml\nthis is not valid\n"}, code: 2,
			errOut: ".env:2:1: this line is not NAME=value"},
		{name: "broken .env, COMPOSE_FILE of the environment", files: map[string]string{"base.yaml": compose, ".env": "this is not valid\n"},
			env: []string{"COMPOSE_FILE=base.yaml"}, code: 2, errOut: ".env:1:1: this line is not NAME=value"},
		{name: "-f over COMPOSE_FILE", files: map[string]string{"compose.yaml": compose, "dev.yaml": override}, args: []string{"-f", "compose.yaml"}, env: []string{"COMPOSE_FILE=dev.yaml"},
			out: "compose.yaml: ok"},
		{name: "-f missing among", files: map[string]string{"compose.yaml": compose}, args: []string{"-f", "compose.yaml", "-f", "sidecar.yaml"}, code: 2, missing: true},
		// In a subdirectory, the nearest parent's recipe, as compose searches its parents.
		{name: "parent's compose.yaml", files: map[string]string{"compose.yaml": compose, "compose.override.yaml": override, "src/app/main.go": ""},
			dir: "src/app", out: "../../compose.yaml, ../../compose.override.yaml: ok"},
		{name: "parent's sidecar.yaml first", files: map[string]string{"compose.yaml": compose, "sidecar.yaml": recipe, "src/main.go": ""},
			dir: "src", out: "../sidecar.yaml: ok"},
		{name: "nearest parent wins", files: map[string]string{"sidecar.yaml": recipe, "svc/docker-compose.yml": compose, "svc/src/main.go": ""},
			dir: "svc/src", out: "../docker-compose.yml: ok"},
		{name: "several in the parent", files: map[string]string{"compose.yaml": compose, "docker-compose.yml": compose, "src/main.go": ""},
			dir: "src", out: "../compose.yaml: ok", errOut: "warning: found ../compose.yaml, ../docker-compose.yml in ..: using ../compose.yaml"},
		{name: "-f in a subdirectory", files: map[string]string{"compose.yaml": compose, "src/main.go": ""}, dir: "src", args: []string{"-f", "sidecar.yaml"},
			code: 2, missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, text := range tt.files {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.dir != "" {
				t.Chdir(tt.dir)
			}
			for _, kv := range tt.env {
				name, value, _ := strings.Cut(kv, "=")
				t.Setenv(name, value) // viper reads the process environment
			}
			f, out, errOut := testFactory(t)
			f.Environ = func() []string { return tt.env } // COMPOSE_* are read from it
			code := execute(context.Background(), f, append([]string{"validate"}, tt.args...))
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.errOut) ||
				(tt.errOut == "" && !tt.missing && errOut.Len() > 0) ||
				tt.missing != strings.Contains(errOut.String(), "cannot read sidecar.yaml") {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
		})
	}
}

// The override file next to compose.yaml is merged over it: what the stack runs has both.
func TestComposeOverrideMerged(t *testing.T) {
	t.Chdir(t.TempDir())
	for name, text := range map[string]string{
		"compose.yaml":          "services:\n  web:\n    image: img:1\n    ports: [\"8080:80\"]\n    environment: {A: a}\n",
		"compose.override.yaml": "services:\n  web:\n    image: img:dev\n    ports: [\"9090:90\"]\n    environment: {B: b}\n",
	} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, out, errOut := testFactory(t)
	if code := execute(context.Background(), f, []string{"config", "-o", "json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var st recipes.Stack
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	m := st.Pods[0].Main
	if m.Image != "img:dev" || len(m.Ports) != 2 || m.Env["A"] != "a" || m.Env["B"] != "b" {
		t.Errorf("main: %+v", m)
	}
}

// PWD is set for ${PWD} when the environment lacks it (env -i, cron), as docker compose sets
// it: the working directory. A PWD the environment has is kept.
func TestPWDSetWhenAbsent(t *testing.T) {
	f, _, _ := testFactory(t)
	file := filepath.Join(t.TempDir(), "compose.yaml")
	writeFile(t, file, "services:\n  web:\n    image: app\n    volumes: [\"${PWD}:/workspace\"]\n")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  []string
		want string
	}{{nil, wd}, {[]string{"PWD=/elsewhere"}, "/elsewhere"}} {
		f.Environ = func() []string { return tc.env }
		st, warns, err := loadStack(f, recipeFiles{file})
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Pods[0].Main.Volumes[0].Source; got != tc.want {
			t.Errorf("environment %q: bind source %q, want %q (warnings %v)", tc.env, got, tc.want, warns)
		}
	}
}

// A .env that does not parse is one placed problem, and the summary counts each file's.
func TestBrokenDotEnvSummary(t *testing.T) {
	f, _, errOut := testFactory(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env"), "PG_PASS=x\nthis is not valid\n")
	file := filepath.Join(dir, "docker-compose.yml")
	writeFile(t, file, "services:\n  db:\n    image: postgres\n    environment: {P: \"${PG_PASS:?required}\"}\n    env_file: [.env]\n    ports: [\"99999:5432\"]\n")
	if code := runCLI(t, f, "validate", "-f", file); code != exitBadInput {
		t.Fatalf("exit %d, want %d\n%s", code, exitBadInput, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], filepath.Join(dir, ".env")+":2:1: ") || !strings.HasPrefix(lines[1], file+":6:") {
		t.Errorf("want the .env's problem at its line and the port's, got:\n%s", errOut)
	}
	if want := "sidecar: 2 problems (1 in " + filepath.Join(dir, ".env") + ", 1 in " + file + ")"; lines[len(lines)-1] != want {
		t.Errorf("summary %q, want %q", lines[len(lines)-1], want)
	}
}
