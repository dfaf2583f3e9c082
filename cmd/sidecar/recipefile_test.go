package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// Without -f, a command reads ./sidecar.yaml, or else the compose file docker compose would
// read in the directory (compose.yaml first), saying so when there are several or an
// override it does not merge.
func TestRecipeFileWithoutF(t *testing.T) {
	const compose = "services:\n  web:\n    image: img\n"
	const recipe = "main:\n  image: img\n"
	const profiled = compose + "  adminer:\n    image: img\n    profiles: [tools]\n"
	tests := []struct {
		name    string
		files   map[string]string
		args    []string
		code    int
		out     string // in stdout
		errOut  string // in stderr ("" : stderr empty)
		env     []string
		missing bool // stderr says the file cannot be read
	}{
		{name: "sidecar.yaml wins", files: map[string]string{"sidecar.yaml": recipe, "compose.yaml": compose}, out: "sidecar.yaml: ok"},
		{name: "compose.yaml", files: map[string]string{"compose.yaml": compose}, out: "compose.yaml: ok"},
		{name: "docker-compose.yml", files: map[string]string{"docker-compose.yml": compose}, out: "docker-compose.yml: ok"},
		{name: "several", files: map[string]string{"docker-compose.yml": compose, "compose.yaml": compose}, out: "compose.yaml: ok",
			errOut: "warning: found compose.yaml, docker-compose.yml here: using compose.yaml"},
		{name: "override", files: map[string]string{"docker-compose.yml": compose, "docker-compose.override.yml": compose}, out: "docker-compose.yml: ok",
			errOut: "warning: docker-compose.override.yml is not merged into docker-compose.yml"},
		{name: "-f as given", files: map[string]string{"compose.yaml": compose}, args: []string{"-f", "sidecar.yaml"}, code: 2, missing: true},
		{name: "SIDECAR_FILE as given", files: map[string]string{"compose.yaml": compose}, env: []string{"SIDECAR_FILE=sidecar.yaml"}, code: 2, missing: true},
		{name: "none", code: 2, missing: true, errOut: "or else the compose file docker compose would"},
		{name: "no profile", files: map[string]string{"compose.yaml": profiled}, out: "compose.yaml: ok (1 pod, 1 container)",
			errOut: "activate it with --profile tools or COMPOSE_PROFILES=tools"},
		{name: "--profile", files: map[string]string{"compose.yaml": profiled}, args: []string{"--profile", "x,tools"}, out: "compose.yaml: ok (2 pods, 2 containers)"},
		{name: "SIDECAR_PROFILE", files: map[string]string{"compose.yaml": profiled}, env: []string{"SIDECAR_PROFILE=tools"}, out: "compose.yaml: ok (2 pods, 2 containers)"},
		{name: "-f twice", files: map[string]string{"compose.yaml": compose, "dev.yaml": compose}, args: []string{"-f", "compose.yaml", "-f", "dev.yaml"}, code: 2,
			errOut: "given twice (compose.yaml, then dev.yaml): sidecar reads one recipe and does not merge several"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, text := range tt.files {
				if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, kv := range tt.env {
				name, value, _ := strings.Cut(kv, "=")
				t.Setenv(name, value) // viper reads the process environment
			}
			f, out, errOut := testFactory(t)
			code := execute(context.Background(), f, append([]string{"validate"}, tt.args...))
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errOut.String(), tt.errOut) ||
				(tt.errOut == "" && !tt.missing && errOut.Len() > 0) ||
				tt.missing != strings.Contains(errOut.String(), "cannot read sidecar.yaml") {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
		})
	}
}
