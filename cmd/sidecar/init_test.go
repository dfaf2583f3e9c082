package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

func TestInitWritesTheStarter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "stack")
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "init", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, err := os.ReadFile(filepath.Join(dir, "sidecar.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(catalog.Starter()["sidecar.yaml"]) {
		t.Errorf("the starter was not written as is")
	}
	if !strings.Contains(out.String(), filepath.Join(dir, "sidecar.yaml")) || !strings.Contains(out.String(), "cd "+dir+" && sidecar up") {
		t.Errorf("stdout does not list the file and the next step:\n%s", out)
	}
	// What init writes is a valid stack, named after the directory.
	f2, out2, errOut2 := testFactory(t)
	if code := runCLI(t, f2, "config", "-f", filepath.Join(dir, "sidecar.yaml"), "-o", "json"); code != 0 {
		t.Fatalf("the starter does not load (exit %d): %s", code, errOut2)
	}
	if !strings.Contains(out2.String(), `"name": "stack"`) {
		t.Errorf("the stack is not named after its directory:\n%s", out2)
	}
}

func TestInitWritesARecipe(t *testing.T) {
	dir := t.TempDir()
	f, _, errOut := testFactory(t)
	if code := runCLI(t, f, "init", "--recipe", "vault-agent", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files, err := catalog.Files("vault-agent")
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Errorf("%s was not written: %v", rel, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the catalog's", rel)
		}
	}
	f2, _, errOut2 := testFactory(t)
	if code := runCLI(t, f2, "validate", "-f", filepath.Join(dir, "sidecar.yaml")); code != 0 {
		t.Errorf("the written recipe does not validate (exit %d): %s", code, errOut2)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "envoy.yaml")
	if err := os.WriteFile(mine, []byte("my own envoy config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, errOut := testFactory(t)
	if code := runCLI(t, f, "init", "--recipe", "envoy-proxy", dir); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "not overwriting "+mine+", which already exists: pass --force") {
		t.Errorf("stderr: %s", errOut)
	}
	if b, _ := os.ReadFile(mine); string(b) != "my own envoy config\n" {
		t.Errorf("the existing file was changed")
	}
	// Nothing else was written either: a refusal leaves the directory as it was.
	if _, err := os.Stat(filepath.Join(dir, "sidecar.yaml")); !os.IsNotExist(err) {
		t.Errorf("sidecar.yaml was written although init refused: %v", err)
	}
}

func TestInitForceOverwritesAndSaysWhat(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "envoy.yaml")
	if err := os.WriteFile(mine, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "init", "--recipe", "envoy-proxy", "--force", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files, _ := catalog.Files("envoy-proxy")
	if b, _ := os.ReadFile(mine); string(b) != string(files["envoy.yaml"]) {
		t.Errorf("envoy.yaml was not overwritten")
	}
	if !strings.Contains(out.String(), mine+" (overwritten)") {
		t.Errorf("stdout does not say envoy.yaml was overwritten:\n%s", out)
	}
	if strings.Contains(out.String(), "sidecar.yaml (overwritten)") {
		t.Errorf("sidecar.yaml is new, not overwritten:\n%s", out)
	}
}

func TestInitUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		err  string
	}{
		{"unknown recipe", []string{"init", "--recipe", "envoy-prxy"}, `unknown recipe "envoy-prxy": did you mean "envoy-proxy"?`},
		{"unknown recipe lists them", []string{"init", "--recipe", "kafka"}, "recipes: dapr, envoy-mesh, envoy-proxy"},
		{"two directories", []string{"init", "a", "b"}, "init takes at most one directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			f, _, errOut := testFactory(t)
			if code := runCLI(t, f, tt.args...); code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.err) {
				t.Errorf("stderr misses %q: %s", tt.err, errOut)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a usage error wrote files: %v", entries)
			}
		})
	}
}

func TestInitRecipeSetting(t *testing.T) {
	f, _, _ := testFactory(t)
	t.Setenv("SIDECAR_RECIPE", "dapr")
	var got *InitOptions
	root := newRootCmd(f, newInitCmd(f, func(o *InitOptions) error { got = o; return nil }))
	root.SetArgs([]string{"init", "--force", "somewhere"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Recipe != "dapr" || !got.Force || got.Dir != "somewhere" {
		t.Errorf("options = %+v", got)
	}
}
