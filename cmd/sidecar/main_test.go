package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// testFactory is a Factory with buffers for streams, a fixed environment and a settings file
// path inside the test's own directory (which does not exist unless the test writes it).
func testFactory(t *testing.T) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, _, out, errOut := TestIO()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	f := &Factory{
		IO:         io,
		Environ:    func() []string { return []string{"TAG=dev"} },
		ConfigFile: func() string { return cfg },
		Build:      BuildInfo{Version: "v1.2.3", Commit: "abc1234", GoVersion: "go1.26", Platform: "linux/amd64"},
	}
	return f, out, errOut
}

func runCLI(t *testing.T, f *Factory, args ...string) int {
	t.Helper()
	return execute(context.Background(), f, args)
}

// parsed runs the command newCmd makes (under the root command) with args, up to its run: it
// returns the options the command parsed (nil when it stopped before its run) and the exit
// status, whose message is on f's stderr.
func parsed[O any](t *testing.T, f *Factory, newCmd func(*Factory, func(*O) error) *cobra.Command, args ...string) (*O, int) {
	t.Helper()
	var got *O
	root := newRootCmd(f, newCmd(f, func(o *O) error { got = o; return nil }))
	root.SetArgs(args)
	return got, exitCode(root.ExecuteContext(context.Background()), f.IO.ErrOut, root)
}

// writeFile writes text to path, or fails the test.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const repo = "../../"

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string // substrings expected in stdout and stderr
	}{
		{"validate good", []string{"validate", "-f", repo + "testdata/recipes/good/flat.yaml"}, 0, "flat.yaml: ok (1 pod, 4 containers)", ""},
		{"validate example", []string{"validate", "-f", repo + "sidecar.yaml.example"}, 0, "sidecar.yaml.example: ok (", ""},
		{"validate bad", []string{"validate", "--file", repo + "testdata/recipes/bad/unknown-key.yaml"}, 2, "", `unknown-key.yaml:3:3: unknown key "imgae" in main: did you mean "image"?`},
		{"problem count", []string{"validate", "-f", repo + "testdata/recipes/bad/several-problems.yaml"}, 2, "", "sidecar: 7 problems in ../../testdata/recipes/bad/several-problems.yaml"},
		{"missing file", []string{"validate", "-f", "nope/sidecar.yaml"}, 2, "", "cannot read nope/sidecar.yaml: no such file or directory\nA stack is described by a sidecar.yaml"},
		{"missing default file says -f", []string{"validate"}, 2, "", "or name the file with -f FILE"},
		{"unknown command", []string{"valdate"}, 2, "", `unknown command "valdate" (did you mean "validate"?)`},
		{"unknown flag", []string{"validate", "--nope"}, 2, "", "unknown flag: --nope\nRun 'sidecar validate --help' for usage."},
		{"extra argument", []string{"config", "extra"}, 2, "", "takes no arguments"},
		{"bad output format", []string{"config", "-f", repo + "testdata/recipes/good/flat.yaml", "-o", "xml"}, 2, "", `unknown output format "xml"`},
		{"version", []string{"version"}, 0, "sidecar v1.2.3\n  commit:  abc1234\n  go:      go1.26\n  os/arch: linux/amd64\n", ""},
		{"completion", []string{"completion", "bash"}, 0, "bash completion V2 for sidecar", ""},
		{"help", []string{"--help"}, 0, "Exit status: 0 ok, 1 runtime failure, 2 bad input or usage, 130 interrupted.", ""},
		{"no command prints help", nil, 0, "Available Commands:", ""},
		{"warnings go to stderr", []string{"validate", "-f", repo + "testdata/recipes/good/interpolation.yaml"}, 0, "ok (1 pod, 1 container)", "warning: variable NOT_SET is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(t)
			code := runCLI(t, f, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("stdout misses %q:\n%s", tt.out, out)
			}
			if !strings.Contains(errOut.String(), tt.err) {
				t.Errorf("stderr misses %q:\n%s", tt.err, errOut)
			}
		})
	}
}

func TestConfigJSONShape(t *testing.T) {
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "config", "-f", repo+"sidecar.yaml.example", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Name string `json:"name"`
		Pods []struct {
			Name     string           `json:"name"`
			Main     map[string]any   `json:"main"`
			Sidecars []map[string]any `json:"sidecars"`
			Init     []map[string]any `json:"init"`
		} `json:"pods"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Name == "" || len(doc.Pods) == 0 {
		t.Fatalf("missing name or pods: %s", out)
	}
	for _, p := range doc.Pods {
		if p.Name == "" || p.Main == nil || p.Sidecars == nil || p.Init == nil {
			t.Errorf("pod lacks name/main/sidecars/init: %+v", p)
		}
		all := append(append([]map[string]any{p.Main}, p.Sidecars...), p.Init...)
		for _, c := range all {
			if c["name"] == "" || c["name"] == nil || c["image"] == "" || c["image"] == nil {
				t.Errorf("container lacks name or image: %v", c)
			}
		}
	}
	// The example is a main app, a proxy and a log shipper, with an init step.
	p := doc.Pods[0]
	if len(p.Sidecars) != 2 || len(p.Init) != 1 {
		t.Errorf("the example should have 2 sidecars and 1 init container, got %d and %d", len(p.Sidecars), len(p.Init))
	}
}

func TestConfigYAMLIsARecipe(t *testing.T) {
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "config", "-f", repo+"testdata/recipes/good/pods.yaml"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "normalised.yaml")
	writeFile(t, path, out.String())
	f2, out2, errOut2 := testFactory(t)
	if code := runCLI(t, f2, "validate", "-f", path); code != 0 {
		t.Fatalf("config output does not validate (exit %d): %s\n%s", code, errOut2, out)
	}
	if !strings.Contains(out2.String(), "ok (4 pods, 4 containers)") {
		t.Errorf("unexpected: %s", out2)
	}
}

// The file setting comes from the flag, else SIDECAR_FILE, else the settings file, else the
// default ./sidecar.yaml. SIDECAR_FILE and the settings file may name several files, as
// docker compose's COMPOSE_FILE does; a path given with -f is taken whole.
func TestFileSettingPrecedence(t *testing.T) {
	tests := []struct {
		name   string
		flag   string
		env    string
		config string
		want   string
	}{
		{"default", "", "", "", "sidecar.yaml"},
		{"config file", "", "", "file: from-config.yaml\n", "from-config.yaml"},
		{"env over config", "", "from-env.yaml", "file: from-config.yaml\n", "from-env.yaml"},
		{"flag over env", "from-flag.yaml", "from-env.yaml", "file: from-config.yaml\n", "from-flag.yaml"},
		{"flag over config", "from-flag.yaml", "", "file: from-config.yaml\n", "from-flag.yaml"},
		{"command section over top level", "", "", "file: top.yaml\nvalidate: {file: section.yaml}\nconfig: {file: other.yaml}\n", "section.yaml"},
		{"env over command section", "", "from-env.yaml", "validate: {file: section.yaml}\n", "from-env.yaml"},
		{"config file list", "", "", "file: [a.yaml, b.yaml]\n", "a.yaml, b.yaml"},
		{"env paths separated as in PATH", "", "a.yaml" + string(os.PathListSeparator) + "b.yaml", "", "a.yaml, b.yaml"},
		{"flag taken whole", "x,\"y\" z.yaml", "", "", "x,\"y\" z.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(t)
			if tt.config != "" {
				writeFile(t, f.ConfigFile(), tt.config)
			}
			t.Setenv("SIDECAR_FILE", tt.env)
			if tt.env == "" {
				os.Unsetenv("SIDECAR_FILE")
			}
			args := []string{"validate"}
			if tt.flag != "" {
				args = append(args, "-f", tt.flag)
			}
			got, code := parsed(t, f, newValidateCmd, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got == nil || got.File.String() != tt.want {
				t.Errorf("file = %+v, want %q", got, tt.want)
			}
		})
	}
}

func TestBrokenSettingsFile(t *testing.T) {
	f, _, errOut := testFactory(t)
	writeFile(t, f.ConfigFile(), "file: [unclosed\n")
	if code := runCLI(t, f, "validate"); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), "cannot read settings file "+f.ConfigFile()) {
		t.Errorf("stderr: %s", errOut)
	}
}

// Keys of the settings file that no command reads are warned about (with a suggestion), and
// the command runs.
func TestSettingsFileUnknownKeys(t *testing.T) {
	f, _, errOut := testFactory(t)
	config := "fiel: x.yaml\nvalidate: {fiel: y.yaml}\nup: 3\nexport: {kube: {kind: pod}}\n"
	writeFile(t, f.ConfigFile(), config)
	var got *ValidateOptions
	root := newRootCmd(f, newValidateCmd(f, func(o *ValidateOptions) error { got = o; return nil }),
		newUpCmd(f, nil), newExportCmd(f, nil))
	root.SetArgs([]string{"validate"})
	if code := exitCode(root.Execute(), f.IO.ErrOut, root); code != 0 || got == nil {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`unknown setting "fiel", ignored: did you mean "file"?`,
		`unknown setting "validate.fiel", ignored: did you mean "validate.file"?`,
		`"up" names a command`,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut.String(), "kind") {
		t.Errorf("export.kube.kind is a setting of export kube, warned about:\n%s", errOut)
	}
}

// The options reach a command as parsed: flags, arguments and a SIDECAR_* setting.
func TestOptionsFromSettings(t *testing.T) {
	for _, tt := range []struct {
		name, env, value string
		// check runs the command with parsed; it returns the exit status and whether the
		// options are right, and the options to show when they are not.
		check func(t *testing.T, f *Factory) (code int, ok bool, got any)
	}{
		{"up", "SIDECAR_TIMESTAMPS", "true", func(t *testing.T, f *Factory) (int, bool, any) {
			got, code := parsed(t, f, newUpCmd, "up", "-f", "x.yaml", "--plain", "-o", "json", "--no-color", "api", "web")
			return code, got != nil && got.File.String() == "x.yaml" && got.Plain && got.Output == "json" && got.NoColor && got.Timestamps &&
				strings.Join(got.Pods, ",") == "api,web" && got.Connect != nil, got
		}},
		{"config --output", "SIDECAR_OUTPUT", "json", func(t *testing.T, f *Factory) (int, bool, any) {
			got, code := parsed(t, f, newConfigCmd, "config", "-f", "x.yaml")
			return code, got != nil && got.Output == "json" && got.File.String() == "x.yaml", got
		}},
		{"export kube --kind", "SIDECAR_KIND", "job", func(t *testing.T, f *Factory) (int, bool, any) {
			got, code := parsed(t, f, newExportCmd, "export", "kube", "-f", "x.yaml")
			return code, got != nil && got.Kind == recipes.KubeJob && got.File.String() == "x.yaml" && got.Target == "kube", got
		}},
		{"init --recipe", "SIDECAR_RECIPE", "dapr", func(t *testing.T, f *Factory) (int, bool, any) {
			got, code := parsed(t, f, newInitCmd, "init", "--force", "somewhere")
			return code, got != nil && got.Recipe == "dapr" && got.Force && got.Dir == "somewhere", got
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(t)
			t.Setenv(tt.env, tt.value)
			code, ok, got := tt.check(t, f)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !ok {
				t.Errorf("options = %+v", got)
			}
		})
	}
}

// A later command (logs) needs -f for --follow: it defines its own --file without a
// shorthand, which shadows the root's --file/-f.
func TestSubcommandCanShadowFileShorthand(t *testing.T) {
	f, _, _ := testFactory(t)
	var follow bool
	var file string
	logs := &cobra.Command{
		Use: "logs",
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := f.settings(cmd)
			if err != nil {
				return err
			}
			follow, file = v.GetBool("follow"), v.GetString("file")
			return nil
		},
	}
	logs.Flags().String("file", defaultFile, "recipe to use")
	logs.Flags().BoolP("follow", "f", false, "keep printing new lines")
	root := newRootCmd(f, logs, newValidateCmd(f, nil))
	root.SetArgs([]string{"logs", "-f", "--file", "stack.yaml"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !follow || file != "stack.yaml" {
		t.Errorf("follow=%v file=%q", follow, file)
	}
}

func TestRuntimeErrorsAndInterrupts(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ctx  func() context.Context
		code int
		msg  string
	}{
		{"runtime failure", errors.New("build failed"), nil, 1, "sidecar: build failed"},
		{"engine unreachable", fmt.Errorf("connect: %w", orchestrator.ErrEngineUnreachable), nil, 1, "Is Docker running?"},
		{"main's exit code", &ExitError{Code: 3}, nil, 3, ""},
		{"interrupted", nil, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, 130, "sidecar: interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(t)
			cmd := &cobra.Command{Use: "work", RunE: func(cmd *cobra.Command, args []string) error {
				if tt.err != nil {
					return tt.err
				}
				<-cmd.Context().Done()
				return cmd.Context().Err()
			}}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			root := newRootCmd(f, cmd)
			root.SetArgs([]string{"work"})
			err := root.ExecuteContext(ctx)
			if code := exitCode(err, f.IO.ErrOut, root); code != tt.code {
				t.Errorf("exit %d, want %d (%v)", code, tt.code, err)
			}
			if !strings.Contains(errOut.String(), tt.msg) {
				t.Errorf("stderr misses %q: %s", tt.msg, errOut)
			}
		})
	}
}

func TestBuildInfo(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.3.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "deadbeef"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	if b := buildInfo("", "", read); b.Version != "v0.3.0" || b.Commit != "deadbeef-dirty" || b.GoVersion != "go1.26.1" {
		t.Errorf("from build info: %+v", b)
	}
	if b := buildInfo("v9", "cafe", read); b.Version != "v9" || !strings.HasPrefix(b.Commit, "cafe") {
		t.Errorf("ldflags must win: %+v", b)
	}
	if b := buildInfo("", "", func() (*debug.BuildInfo, bool) { return nil, false }); b.Version != "(devel)" || b.Commit != "unknown" {
		t.Errorf("no build info: %+v", b)
	}
}

func TestMissingFileHintMentionsInitWhenItExists(t *testing.T) {
	f, _, errOut := testFactory(t)
	initCmd := &cobra.Command{Use: "init", RunE: func(*cobra.Command, []string) error { return nil }}
	root := newRootCmd(f, initCmd, newValidateCmd(f, nil))
	root.SetArgs([]string{"validate", "-f", filepath.Join(t.TempDir(), "sidecar.yaml")})
	if code := exitCode(root.Execute(), f.IO.ErrOut, root); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), "create one with `sidecar init`") {
		t.Errorf("hint does not mention sidecar init: %s", errOut)
	}
}

// A file with thousands of problems prints the first hundred and how many more there are,
// not megabytes of messages.
func TestManyProblemsAreCapped(t *testing.T) {
	f, _, errOut := testFactory(t)
	var b strings.Builder
	b.WriteString("name: many\nmain:\n  image: app:dev\n")
	for i := range 500 {
		fmt.Fprintf(&b, "  unknown%d: x\n", i)
	}
	path := filepath.Join(t.TempDir(), "sidecar.yaml")
	writeFile(t, path, b.String())
	if code := runCLI(t, f, "validate", "-f", path); code != exitBadInput {
		t.Fatalf("validate exited %d, want %d\n%s", code, exitBadInput, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if n := strings.Count(errOut.String(), `unknown key "unknown`); n != maxProblems ||
		!strings.Contains(errOut.String(), "sidecar: 400 more problems are not shown: fix these first") ||
		lines[len(lines)-1] != "sidecar: 500 problems in "+path {
		t.Errorf("%d problems printed, want %d, then how many more and the count:\n%s", n, maxProblems, strings.Join(lines[len(lines)-3:], "\n"))
	}
}
