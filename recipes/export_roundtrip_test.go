package recipes

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

// Round trips: a stack exported and imported again is the same stack, apart from the
// differences docs/export.md lists. Each expected* function below applies exactly those
// differences to the original, so that any other change fails the test.

// roundTripStacks are the stacks every round trip runs on: the good recipe corpus and every
// catalog recipe, each loaded from a directory of its own.
func roundTripStacks(t *testing.T) map[string]*Stack {
	t.Helper()
	out := map[string]*Stack{}
	files, _ := filepath.Glob("../testdata/recipes/good/*.yaml")
	for _, f := range files {
		st, _, err := loadCorpusFile(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out["good/"+strings.TrimSuffix(filepath.Base(f), ".yaml")] = st
	}
	dir := t.TempDir()
	for _, name := range catalog.Names() {
		recipeFiles, err := catalog.Files(name)
		if err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(dir, name)
		for rel, content := range recipeFiles {
			p := filepath.Join(root, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		st, _, err := LoadFile(filepath.Join(root, "sidecar.yaml"), Options{})
		if err != nil {
			t.Fatalf("catalog recipe %s: %v", name, err)
		}
		out["catalog/"+name] = st
	}
	if len(out) < 15 {
		t.Fatalf("only %d stacks to round-trip", len(out))
	}
	return out
}

// sameStack fails the test when got and want differ, showing both as JSON.
func sameStack(t *testing.T, what string, got, want *Stack, exported []byte) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) == string(w) {
		return
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	first := 0
	for first < len(gl) && first < len(wl) && gl[first] == wl[first] {
		first++
	}
	from := max(0, first-8)
	t.Errorf("%s: the imported stack differs from the expected one, from line %d:\n--- got:\n%s\n--- want:\n%s\n--- exported:\n%s",
		what, first+1, strings.Join(gl[from:min(len(gl), first+12)], "\n"), strings.Join(wl[from:min(len(wl), first+12)], "\n"), exported)
}

func TestRoundTripKube(t *testing.T) {
	for name, st := range roundTripStacks(t) {
		t.Run(name, func(t *testing.T) {
			out, _, err := ExportKube(st, KubeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// The stack's name comes from the file for an imported manifest: the original's
			// is kept in app.kubernetes.io/part-of, and given back here.
			back, warns, err := Load(File{Name: filepath.Join(st.Dir, "exported.kube.yaml"), Content: out}, Options{Dir: st.Dir})
			if err != nil {
				t.Fatalf("the export does not import:\n%v\n%s", err, out)
			}
			for _, w := range warns {
				t.Logf("import warning: %s", w)
			}
			sameStack(t, "kube", back, expectedKube(st), out)
		})
	}
}

// expectedKube is st after a trip through Kubernetes: what kubeExportStack writes (every
// export warning applied), minus pod depends_on, which the importer does not read back from
// the sidecar.dev/depends-on annotation.
func expectedKube(st *Stack) *Stack {
	ks, _ := kubeExportStack(st, KubeOptions{})
	return ks
}

// Every kind the exporter writes imports back.
func TestRoundTripKubeKinds(t *testing.T) {
	stacks := roundTripStacks(t)
	for _, name := range []string{"catalog/envoy-proxy", "catalog/otel-collector", "good/flat"} {
		for _, kind := range []KubeKind{KubeDeployment, KubeJob, KubePod} {
			st := stacks[name]
			out, _, err := ExportKube(st, KubeOptions{Kind: kind})
			if err != nil {
				t.Fatal(err)
			}
			back, _, err := Load(File{Name: filepath.Join(st.Dir, "exported.kube.yaml"), Content: out}, Options{Dir: st.Dir})
			if err != nil {
				t.Fatalf("%s as %s does not import:\n%v\n%s", name, kind, err, out)
			}
			ks, _ := kubeExportStack(st, KubeOptions{Kind: kind})
			sameStack(t, name+" as "+kind.String(), back, ks, out)
		}
	}
}

func TestRoundTripCompose(t *testing.T) {
	for name, st := range roundTripStacks(t) {
		t.Run(name, func(t *testing.T) {
			out, _, err := ExportCompose(st, ComposeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			back, warns, err := Load(File{Name: filepath.Join(st.Dir, "exported.compose.yaml"), Content: out}, Options{Dir: st.Dir})
			if err != nil {
				t.Fatalf("the export does not import:\n%v\n%s", err, out)
			}
			for _, w := range warns {
				t.Logf("import warning: %s", w)
			}
			sameStack(t, "compose", back, expectedCompose(st), out)
		})
	}
}

// expectedCompose is st after a trip through compose:
//   - published ports are the pod's, on its infra service, and come back on main;
//   - container and volume names used by two pods come back as <pod>-<name>;
//   - env_file is gone (its values are in env);
//   - volumes holding files, and their mounts, are gone (compose configs are not imported);
//   - pod volumes no container mounts are gone (compose creates volumes where they are used);
//   - the pod's stop_grace is the importer's: the sum of the containers' when above 30s.
func expectedCompose(st *Stack) *Stack {
	cs := cloneStack(st)
	uses := map[string]int{}
	volUses := map[string]int{}
	for _, p := range cs.Pods {
		for _, c := range p.Containers() {
			uses[c.Name]++
		}
		for _, v := range p.Volumes {
			volUses[v.Name]++
		}
	}
	for _, p := range cs.Pods {
		ports := p.Ports()
		files := map[string]bool{}
		var volumes []*Volume
		for _, v := range p.Volumes {
			if len(v.Files) > 0 {
				files[v.Name] = true
				continue
			}
			volumes = append(volumes, v)
		}
		used := map[string]bool{}
		var total time.Duration
		for _, c := range p.Containers() {
			c.Ports = nil
			c.EnvFile = nil
			total += c.StopGrace.D()
			var mounts []Mount
			for _, m := range c.Volumes {
				if m.Type == MountVolume && files[m.Source] {
					continue
				}
				if m.Type == MountVolume {
					used[m.Source] = true
					if volUses[m.Source] > 1 {
						m.Source = p.Name + "-" + m.Source
					}
				}
				mounts = append(mounts, m)
			}
			c.Volumes = mounts
		}
		p.Volumes = nil
		for _, v := range volumes {
			if !used[v.Name] {
				continue
			}
			if volUses[v.Name] > 1 {
				v.Name = p.Name + "-" + v.Name
			}
			p.Volumes = append(p.Volumes, v)
		}
		slices.SortFunc(p.Volumes, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
		p.Main.Ports = ports
		for _, c := range p.Containers() {
			if uses[c.Name] > 1 {
				c.Name = p.Name + "-" + c.Name
			}
		}
		p.StopGrace = Duration(DefaultPodStopGrace)
		if total > DefaultPodStopGrace {
			p.StopGrace = Duration(total)
		}
	}
	return cs
}
