package main

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestExportCommands(t *testing.T) {
	flat := repo + "testdata/recipes/good/flat.yaml"
	for _, tt := range []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"kube", []string{"export", "kube", "-f", flat}, 0, "kind: Pod", "build (context ./shipper) cannot be expressed in Kubernetes"},
		{"kube job", []string{"export", "kube", "-f", flat, "--kind", "job"}, 0, "kind: Job", ""},
		{"kube deployment", []string{"export", "kube", "-f", flat, "--kind", "deployment"}, 0, "kind: Deployment", "it becomes restart: always"},
		{"kube pod", []string{"export", "kube", "-f", flat, "--kind", "Pod"}, 0, "kind: Pod", ""},
		{"kube bad kind", []string{"export", "kube", "-f", flat, "--kind", "statefulset"}, 2, "", `unknown workload kind "statefulset": use one of deployment, job, pod`},
		{"compose", []string{"export", "compose", "-f", flat}, 0, "network_mode: service:shop-infra", ""},
		{"bad recipe", []string{"export", "kube", "-f", repo + "testdata/recipes/bad/unknown-key.yaml"}, 2, "", `unknown key "imgae"`},
		{"missing recipe", []string{"export", "compose", "-f", "nope.yaml"}, 2, "", "cannot read nope.yaml"},
		{"no target", []string{"export"}, 2, "", "say what to export to"},
		{"unknown target", []string{"export", "helm"}, 2, "", `unknown export target "helm"`},
		{"extra argument", []string{"export", "kube", "x"}, 2, "", "takes no arguments"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(t)
			if code := runCLI(t, f, tt.args...); code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("stdout misses %q:\n%s", tt.out, out)
			}
			if !strings.Contains(errOut.String(), tt.err) {
				t.Errorf("stderr misses %q:\n%s", tt.err, errOut)
			}
			if tt.code != 0 && out.Len() != 0 {
				t.Errorf("a failed export printed to stdout:\n%s", out)
			}
		})
	}
}

// The warnings go to stderr, the manifest alone to stdout, so that it can be piped.
func TestExportStdoutIsOnlyTheManifest(t *testing.T) {
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "export", "kube", "-f", repo+"testdata/recipes/good/flat.yaml"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out.String(), "warning") {
		t.Errorf("warnings on stdout:\n%s", out)
	}
	for _, doc := range strings.Split(out.String(), "\n---\n")[1:] {
		var m map[string]any
		if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil || m["kind"] == nil {
			t.Errorf("not a Kubernetes object (%v):\n%s", err, doc)
		}
	}
}

// A manifest the API server would reject is not printed: each problem is on stderr with how
// to fix it, exit status 2. A ConfigMap too big for client-side kubectl apply is a warning.
func TestExportKubeRejectsOversizedConfigMaps(t *testing.T) {
	dir := t.TempDir()
	recipe := "main: {image: nginx:1.29.8-alpine, restart: always, volumes: [./big.conf:/etc/big.conf:ro]}\n"
	write := func(name string, size int) {
		t.Helper()
		writeFile(t, filepath.Join(dir, name), strings.Repeat("x", size))
	}
	writeFile(t, filepath.Join(dir, "sidecar.yaml"), recipe)
	write("big.conf", 2<<20)
	f, out, errOut := testFactory(t)
	if code := runCLI(t, f, "export", "kube", "-f", filepath.Join(dir, "sidecar.yaml")); code != 2 {
		t.Fatalf("exit %d, want 2\nstderr:\n%s", code, errOut)
	}
	if out.Len() != 0 {
		t.Errorf("a rejected manifest was printed:\n%s", out)
	}
	for _, want := range []string{"(file ./big.conf) holds 2097152 bytes, more than the 1048576 (1 MiB) the API server accepts", "PersistentVolumeClaim", "sidecar: 1 problem"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr misses %q:\n%s", want, errOut)
		}
	}

	write("big.conf", 300<<10)
	f, out, errOut = testFactory(t)
	if code := runCLI(t, f, "export", "kube", "-f", filepath.Join(dir, "sidecar.yaml")); code != 0 {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "warning: ConfigMap") || !strings.Contains(errOut.String(), "kubectl apply --server-side") || out.Len() == 0 {
		t.Errorf("no warning about kubectl apply's limit on stderr, or no manifest:\n%s", errOut)
	}
}
