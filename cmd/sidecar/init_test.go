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
	writeFile(t, mine, "my own envoy config\n")
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
	writeFile(t, mine, "old\n")
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
		{"-f stdin", []string{"init", "-f", "-"}, "init writes files and cannot write to standard input"},
		{"-f a directory", []string{"init", "-f", "stacks/"}, "-f stacks/ names a directory: init writes DIR/sidecar.yaml; give the directory as DIR (sidecar init stacks)"},
		{"-f dot", []string{"init", "-f", "."}, "-f . names a directory"},
		{"-f absolute and DIR", []string{"init", "-f", "/tmp/x/dev.yaml", "y"}, "-f /tmp/x/dev.yaml is an absolute path and DIR y is given too"},
		{"-f a file of the recipe", []string{"init", "--recipe", "envoy-proxy", "-f", "envoy.yaml"}, "recipe envoy-proxy writes its own envoy.yaml next to the recipe file"},
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

// -f names the recipe file init writes, as the other commands read it: relative to DIR,
// with the files the recipe mounts next to it.
func TestInitHonoursFile(t *testing.T) {
	dir := t.TempDir()
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "init", "--recipe", "envoy-proxy", "-f", "stacks/dev.yaml", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files, _ := catalog.Files("envoy-proxy")
	for rel, name := range map[string]string{"sidecar.yaml": "stacks/dev.yaml", "envoy.yaml": "stacks/envoy.yaml"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != string(files[rel]) {
			t.Errorf("%s is not the recipe's %s (%v)", name, rel, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "stacks", "sidecar.yaml")); !os.IsNotExist(err) {
		t.Errorf("sidecar.yaml was written too: %v", err)
	}
	if want := "cd " + filepath.Join(dir, "stacks") + " && sidecar up -f dev.yaml"; !strings.Contains(out.String(), want) {
		t.Errorf("stdout misses %q:\n%s", want, out)
	}
	f2, out2, errOut2 := testFactory(t)
	if code := runCLI(t, f2, "config", "-f", filepath.Join(dir, "stacks", "dev.yaml"), "-o", "json"); code != 0 {
		t.Fatalf("what init wrote does not load (exit %d): %s", code, errOut2)
	}
	if !strings.Contains(out2.String(), `"name": "stacks"`) {
		t.Errorf("the stack is not named after the recipe's directory:\n%s", out2)
	}

	// SIDECAR_FILE is the same setting: init writes where up will read.
	t.Chdir(t.TempDir())
	t.Setenv("SIDECAR_FILE", "dev.yaml")
	f3, _, errOut3 := testFactory(t)
	if code := runCLI(t, f3, "init"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut3)
	}
	if _, err := os.Stat("dev.yaml"); err != nil {
		t.Errorf("SIDECAR_FILE=dev.yaml: %v", err)
	}
}
