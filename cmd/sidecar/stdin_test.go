package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -f - reads the recipe from the standard input, named <stdin> in messages, with the working
// directory as the stack's directory (its name, relative paths, .env), as docker compose has it.
func TestRecipeFromStdin(t *testing.T) {
	const recipe = "main: {image: img, env: {V: $V}, volumes: [\"./data:/data\"]}\n"
	dir := filepath.Join(t.TempDir(), "shop")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, ".env"), "V=from-dotenv\n")
	t.Chdir(dir)
	for _, tc := range []struct {
		name   string
		args   []string
		in     string
		code   int
		out    string // in stdout
		errOut string // in stderr
	}{
		{name: "validate", args: []string{"validate", "-f", "-"}, in: recipe, out: "<stdin>: ok (1 pod, 1 container)"},
		{name: "config", args: []string{"config", "-f", "-", "-o", "json"}, in: recipe, out: `"name": "shop"`},
		{name: ".env of the working directory", args: []string{"config", "-f", "-"}, in: recipe, out: "V: from-dotenv"},
		{name: "export", args: []string{"export", "kube", "-f", "-"}, in: recipe, out: "exported by `sidecar export kube` from <stdin>"},
		{name: "problems are placed in <stdin>", args: []string{"validate", "-f", "-"}, in: "main: {imgae: img}\n", code: 2,
			errOut: "<stdin>:1:8: unknown key \"imgae\" in main"},
		{name: "empty", args: []string{"validate", "-f", "-"}, in: "", code: 2, errOut: "<stdin>"},
		{name: "once only", args: []string{"validate", "-f", "-", "-f", "-"}, in: recipe, code: 2,
			errOut: "-f - is given more than once, and the standard input can be read only once"},
		{name: "up --watch", args: []string{"up", "--watch", "-f", "-"}, in: recipe, code: 2,
			errOut: "--watch watches the recipe's files, and -f - (the standard input) is none"},
		{name: "exec -i", args: []string{"exec", "-i", "-f", "-", "main", "--", "sh"}, in: recipe, code: 2,
			errOut: "-i passes the standard input to the command, and -f - reads the recipe from it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, out, errOut := testFactory(t)
			f.IO.In = strings.NewReader(tc.in)
			if code := runCLI(t, f, tc.args...); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q in stdout, %q in stderr", out, errOut, tc.out, tc.errOut)
			}
			if strings.Contains(errOut.String(), "sidecar init") {
				t.Errorf("advice to run sidecar init for the standard input:\n%s", errOut)
			}
		})
	}
}

// A compose override may follow the standard input; the standard input is read once however
// many times the process loads the recipe.
func TestRecipeFromStdinReadOnce(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "dev.yaml", "services:\n  web:\n    environment: {MODE: dev}\n")
	f, _, _ := testFactory(t)
	f.IO.In = bytes.NewBufferString("services:\n  web:\n    image: img\n")
	for range 2 {
		st, _, err := loadStack(f, recipeFiles{"-", "dev.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Pods[0].Main.Env["MODE"] != "dev" || st.Source.File != "<stdin>" || st.Dir != dir {
			t.Errorf("stack from <stdin> and dev.yaml: source %q, dir %q, env %v", st.Source.File, st.Dir, st.Pods[0].Main.Env)
		}
	}
}

// The supervisor of `up -d -f -` reads the copy its up -d left next to its log.
func TestRecipeFromStdinCopy(t *testing.T) {
	t.Chdir(t.TempDir())
	f, _, _ := testFactory(t)
	f.IO.In = strings.NewReader("main: {image: img}\n")
	opts := &UpOptions{Factory: f, File: recipeFiles{"-"}}
	logPath := filepath.Join(t.TempDir(), "shop.log")
	path, err := opts.stdinCopy(logPath)
	if err != nil || path != strings.TrimSuffix(logPath, ".log")+".stdin" {
		t.Fatalf("stdinCopy = %q, %v", path, err)
	}
	sup, _, _ := testFactory(t)
	sup.IO.In = strings.NewReader("") // /dev/null
	sup.stdin.from = path
	st, _, err := loadStack(sup, recipeFiles{"-"})
	if err != nil || st.Pods[0].Main.Image != "img" {
		t.Fatalf("the supervisor's load: %v", err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the copy: %v, %v", info, err)
	}
}
