package recipes

import (
	"cmp"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
	"github.com/sidecar-dev/sidecar/recipes/catalog/catalogtest"
)

// Round trips: a stack exported and imported again is the same stack, apart from what the
// target format cannot carry. Each such difference is one function below, named and
// documented, applied to the original to get the expected stack; docs/export.md lists the
// same differences under "Round trip". Any other change fails the test.

// roundTripStacks are the stacks every round trip runs on: the good recipe corpus, every
// catalog recipe and the starter (each in a directory of its own), and every compose and Kubernetes fixture
// that imports without problems; with, per stack, the warnings its own load gave (which
// importing its export may give again).
func roundTripStacks(t *testing.T) (map[string]*Stack, map[*Stack][]Warning) {
	t.Helper()
	out := map[string]*Stack{}
	loadWarns := map[*Stack][]Warning{}
	files, _ := filepath.Glob("../testdata/recipes/good/*.yaml")
	for _, f := range files {
		st, warns, err := loadCorpusFile(t, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out["good/"+strings.TrimSuffix(filepath.Base(f), ".yaml")] = st
		loadWarns[st] = warns
	}
	dir := t.TempDir()
	for name, recipeFiles := range catalogtest.Recipes(t) {
		root := catalogtest.Write(t, filepath.Join(dir, name), recipeFiles)
		st, warns, err := LoadFile(filepath.Join(root, "sidecar.yaml"), Options{})
		if err != nil {
			t.Fatalf("catalog recipe %s: %v", name, err)
		}
		out["catalog/"+name] = st
		loadWarns[st] = warns
	}
	out["code/everything"] = everythingStack(t)
	fixtures := 0
	for _, kind := range []string{"compose", "kube"} {
		files, _ := filepath.Glob(filepath.Join("../testdata", kind, "*.yaml"))
		for _, f := range files {
			if strings.HasPrefix(filepath.Base(f), "bad-") {
				continue
			}
			st, warns := loadFixtureWarnings(t, f)
			out[kind+"/"+strings.TrimSuffix(filepath.Base(f), ".yaml")] = st
			loadWarns[st] = warns
			fixtures++
		}
	}
	for _, f := range realworldFiles(t) {
		if st, warns, err := loadRealworld(t, f); err == nil {
			out["realworld/"+strings.TrimPrefix(f, "../testdata/realworld/")] = st
			loadWarns[st] = warns
		}
	}
	if len(files) < 5 || len(catalog.Names()) < 8 || fixtures < 10 {
		t.Fatalf("only %d good recipes, %d catalog recipes and %d fixtures to round-trip", len(files), len(catalog.Names()), fixtures)
	}
	return out, loadWarns
}

// loadFixture loads a compose or Kubernetes fixture as the importers' golden tests do.
func loadFixture(t *testing.T, f string) *Stack {
	t.Helper()
	st, _ := loadFixtureWarnings(t, f)
	return st
}

func loadFixtureWarnings(t *testing.T, f string) (*Stack, []Warning) {
	t.Helper()
	content, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Dir: filepath.Dir(f), Env: map[string]string{"HOME": "/home/dev", "TAG": "dev", "WEB_PORT": "8080"}, DotEnv: true}
	st, warns, err := Load(File{Name: filepath.ToSlash(strings.TrimPrefix(f, "../")), Content: content}, opts)
	if err != nil {
		t.Fatalf("fixture %s: %v", f, err)
	}
	return st, warns
}

// everythingStack loads testdata/export/everything: one stack with what the rest of the
// corpus does not use (see the comment at its top).
func everythingStack(t *testing.T) *Stack {
	t.Helper()
	st, _, err := loadCorpusFile(t, "../testdata/export/everything/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return st
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

// importExport imports an export from the original stack's directory, with no variables: an
// export is self-contained. Importing it must warn about nothing but what loading the
// original did (loadWarns, by message) and importWarningsExpected.
func importExport(t *testing.T, st *Stack, loadWarns []Warning, name string, out []byte) *Stack {
	t.Helper()
	back, warns, err := Load(File{Name: filepath.Join(st.Dir, name), Content: out}, Options{Dir: st.Dir})
	if err != nil {
		t.Fatalf("the export does not import:\n%v\n%s", err, out)
	}
	for _, w := range warns {
		if !slices.ContainsFunc(loadWarns, func(o Warning) bool { return inRecipeTerms(o.Message) == inRecipeTerms(w.Message) }) && !importWarningExpected(w) {
			t.Errorf("importing the export gives an unexpected warning: %s\n--- exported:\n%s", w, out)
		}
	}
	return back
}

// inRecipeTerms is a validator's warning as it reads for a recipe: the same warning about a
// compose file or a manifest names the field in the file's terms.
var inRecipeTerms = strings.NewReplacer("from subPath ", "from sub_path ", "from subpath ", "from sub_path ",
	"emptyDir ", "volume ", "its sizeLimit ", "its size_limit ", "an emptyDir with medium: Memory", "a volume with medium: memory").Replace

// importWarningExpected says whether a warning of importing an export is one the export
// cannot avoid: Kubernetes requires stdin: true next to tty: true, and sidecar gives a
// container no stdin, which the importer says; a stack volume is a claim, which the importer
// says is created empty.
func importWarningExpected(w Warning) bool {
	return strings.HasSuffix(w.Field, ".stdin") && strings.HasSuffix(w.Message, "containers do not get a stdin; ignored") ||
		w.Field == "persistentVolumeClaim" // a stack volume is one: created empty, as the claim says
}

// expect applies differences to a copy of st.
func expect(st *Stack, differences ...func(*Stack)) *Stack {
	want := cloneStack(st)
	for _, d := range differences {
		d(want)
	}
	return want
}

// Every stack, exported as a Kubernetes manifest of every kind, decodes strictly and imports
// back to the same stack, apart from kubeDifferences.
func TestRoundTripKube(t *testing.T) {
	stacks, loadWarns := roundTripStacks(t)
	for name, st := range stacks {
		for _, kind := range []KubeKind{KubeAuto, KubeDeployment, KubeJob, KubePod} {
			t.Run(name+"/"+cmp.Or(kind.String(), "auto"), func(t *testing.T) {
				out, _, err := ExportKube(st, KubeOptions{Kind: kind})
				if err != nil {
					t.Fatal(err)
				}
				decodeKube(t, out) // strictly, into the k8s.io/api types
				back := importExport(t, st, loadWarns[st], "exported.kube.yaml", out)
				sameStack(t, "kube "+cmp.Or(kind.String(), "auto"), back, expect(st, kubeDifferences(kind)...), out)
			})
		}
	}
}

// Every stack, exported as a compose file, loads with compose-go and imports back to the same
// stack, apart from composeDifferences.
func TestRoundTripCompose(t *testing.T) {
	stacks, loadWarns := roundTripStacks(t)
	for name, st := range stacks {
		t.Run(name, func(t *testing.T) {
			out, _, err := ExportCompose(st, ComposeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			loadComposeProject(t, out)
			back := importExport(t, st, loadWarns[st], "exported.compose.yaml", out)
			sameStack(t, "compose", back, expect(st, composeDifferences()...), out)
		})
	}
}

// composeDifferences are what a trip through a compose file changes.
func composeDifferences() []func(*Stack) {
	return []func(*Stack){fileVolumeMountsReadOnly, composeDropsDiskSizeLimits, aliasesKept}
}

// aliasesKept: a pod's aliases that another pod has (Stack.PodAliases) are not given, and
// not exported.
func aliasesKept(st *Stack) {
	kept := map[*Pod][]string{}
	for _, p := range st.Pods {
		kept[p] = st.PodAliases(p)
	}
	for _, p := range st.Pods {
		p.Aliases = kept[p]
	}
}

// kubeDropsAliases: a cluster reaches a pod by the names of its Services (warned about);
// a hostname that is not a DNS label (docker takes echo_service) is left out, warned about.
func kubeDropsAliases(st *Stack) {
	for _, p := range st.Pods {
		p.Aliases = nil
		if !isDNSLabel(p.Hostname) {
			p.Hostname = ""
		}
	}
}

// composeDropsDiskSizeLimits: compose sizes only a tmpfs volume.
func composeDropsDiskSizeLimits(st *Stack) {
	for _, p := range st.Pods {
		for _, v := range p.Volumes {
			if v.Medium != MediumMemory {
				v.SizeLimit = 0
			}
		}
	}
}

// kubeDifferences are what a trip through a Kubernetes manifest of kind changes. Order
// matters: bind-mounted files become pod volumes before file volumes are made read-only.
func kubeDifferences(kind KubeKind) []func(*Stack) {
	return []func(*Stack){
		kubeDropsBuild,
		kubeEmptyEntrypointCommand,
		envFileInlined,
		kubeDropsDockerInit,
		kubeDropsContainerStopGrace,
		kubeDropsUserNames,
		kubeDefaultBackoff,
		kubeSharesIPC,
		kubeDropsImageProbes,
		kubeRoundsDurations,
		kubeFitsRestarts(kind),
		kubeLabelsOfTheWorkload,
		kubeDropsEngineOnlyFields,
		kubeBindFilesBecomeVolumes,
		kubeSecretLookingFilesAreSecret,
		fileVolumeMountsReadOnly,
		kubeDropsAliases,
	}
}

// kubeSecretLookingFilesAreSecret: a pod volume holding a file whose name looks like a
// secret's (the rule of secret-looking variables) is a Secret volume, and imports back as one.
func kubeSecretLookingFilesAreSecret(st *Stack) {
	for _, p := range st.Pods {
		for _, v := range p.Volumes {
			if slices.ContainsFunc(sortedKeys(v.Files), expSecretLike) {
				v.Secret = true
			}
		}
	}
}

// fileVolumeMountsReadOnly: a pod volume holding files is a compose config or a ConfigMap,
// both mounted read-only.
func fileVolumeMountsReadOnly(st *Stack) {
	for _, p := range st.Pods {
		for _, c := range p.Containers() {
			for i, m := range c.Volumes {
				if v := p.Volume(m.Source); m.Type == MountVolume && v != nil && len(v.Files) > 0 {
					c.Volumes[i].ReadOnly = true
				}
			}
		}
	}
}

// kubeDropsBuild: a manifest names images only; the image a build makes is kept.
func kubeDropsBuild(st *Stack) {
	eachContainer(st, func(c *Container) {
		c.Build = nil
	})
}

// kubeEmptyEntrypointCommand: an empty entrypoint (the image's reset) with a command is
// written as command with no args, which imports as the entrypoint. With no command the
// manifest cannot reset the image's entrypoint (warned).
func kubeEmptyEntrypointCommand(st *Stack) {
	eachContainer(st, func(c *Container) {
		if c.Entrypoint != nil && len(c.Entrypoint) == 0 {
			c.Entrypoint, c.Command = c.Command, nil
		}
	})
}

// envFileInlined: a manifest cannot read files from the laptop, so env_file's values are
// written as env values (which they already are in the model) and the list is gone.
func envFileInlined(st *Stack) {
	eachContainer(st, func(c *Container) {
		c.EnvFile = nil
	})
}

// kubeDropsDockerInit: Kubernetes has no docker-init.
func kubeDropsDockerInit(st *Stack) {
	eachContainer(st, func(c *Container) {
		c.Init = false
	})
}

// kubeDropsContainerStopGrace: Kubernetes has one grace period per pod.
func kubeDropsContainerStopGrace(st *Stack) {
	eachContainer(st, func(c *Container) {
		c.StopGrace = 0
	})
}

// kubeDropsUserNames: runAsUser and runAsGroup take numbers only.
func kubeDropsUserNames(st *Stack) {
	eachContainer(st, func(c *Container) {
		if _, _, ok := expNumericUser(c.User); !ok {
			c.User = ""
		}
	})
}

// kubeDefaultBackoff: the kubelet has its own restart backoff.
func kubeDefaultBackoff(st *Stack) {
	st.Backoff = Backoff{Initial: Duration(DefaultBackoffInitial), Max: Duration(DefaultBackoffMax), Reset: Duration(DefaultBackoffReset)}
}

// kubeDropsImageProbes: Kubernetes ignores an image's HEALTHCHECK, so a ready probe that is
// one is left out (warned).
func kubeDropsImageProbes(st *Stack) {
	eachContainer(st, func(c *Container) {
		if c.Ready != nil && c.Ready.Kind() == ProbeImage {
			c.Ready = nil
		}
	})
}

// kubeSharesIPC: the containers of a Kubernetes pod always share one IPC namespace.
func kubeSharesIPC(st *Stack) {
	for _, p := range st.Pods {
		p.ShareIPC = true
	}
}

// kubeRoundsDurations: terminationGracePeriodSeconds and probe timings count whole seconds,
// and a probe's period and timeout at least one.
func kubeRoundsDurations(st *Stack) {
	up := func(d Duration) Duration {
		return Duration((time.Duration(d) + time.Second - 1) / time.Second * time.Second)
	}
	for _, p := range st.Pods {
		p.StopGrace = up(p.StopGrace)
		for _, c := range p.Containers() {
			for _, pr := range []*Probe{c.Ready, c.Live} {
				if pr != nil {
					pr.Period = max(up(pr.Period), Duration(time.Second))
					pr.Timeout = max(up(pr.Timeout), Duration(time.Second))
					pr.StartPeriod = up(pr.StartPeriod)
				}
			}
		}
	}
}

// kubeFitsRestarts: restart policies are what the workload kind allows. A Deployment always
// restarts main; a Job's main cannot restart always (it becomes on-failure); init containers
// follow the pod's restartPolicy (retried unless main never restarts); native sidecars
// always restart.
func kubeFitsRestarts(kind KubeKind) func(*Stack) {
	return func(st *Stack) {
		for _, p := range st.Pods {
			k := kubeExportKind(p, kind)
			p.Job = k == KubeJob // a Job's pod runs to completion; the others' are services
			switch {
			case k == KubeDeployment:
				p.Main.Restart = RestartAlways
			case k == KubeJob && p.Main.Restart == RestartAlways:
				p.Main.Restart = RestartOnFailure
			}
			for _, c := range p.Init {
				c.Restart = RestartOnFailure
				if p.Main.Restart == RestartNever {
					c.Restart = RestartNever
				}
			}
			// A sidecar whose gate is running is a regular container only where one restarts
			// as a sidecar does and starts where it does (kubeRegularSidecars); elsewhere it
			// is a native sidecar, whose startup probe the next container waits for.
			regular := kubeRegularSidecars(p)
			for _, c := range p.Sidecars {
				c.Restart = RestartAlways
				if c.Gate == GateRunning && !slices.Contains(regular, c) {
					c.Gate = GateStarted
					if c.Ready == nil {
						c.Gate = GateReady
					}
				}
			}
		}
		// What a pod waits for of a job written as no Job: completed means ready, as started
		// does on one whose main has no ready probe.
		for _, p := range st.Pods {
			for i, d := range p.DependsOn {
				dp := st.Pod(d.Pod)
				if dp != nil && !dp.Job && (d.Condition == DepCompleted || d.Condition == DepStarted && dp.Main.Ready == nil) {
					p.DependsOn[i].Condition = DepReady
				}
			}
		}
	}
}

// kubeDropsEngineOnlyFields: what a cluster's nodes decide is gone (devices, ulimits, shm
// size, a container's engine labels), and watch rules; supplementary groups are numeric and the pod's, so every container
// has them all; an extra host at host-gateway has no address in a cluster.
func kubeDropsEngineOnlyFields(st *Stack) {
	for _, p := range st.Pods {
		var groups []string
		for _, c := range p.Containers() {
			c.Devices, c.Ulimits, c.ShmSize, c.Watch, c.Labels = nil, nil, 0, nil, nil
			for _, g := range c.Groups {
				if _, _, ok := expNumericUser(g); ok && !slices.Contains(groups, g) {
					groups = append(groups, g)
				}
			}
		}
		for _, c := range p.Containers() {
			c.Groups = slices.Clone(groups)
		}
		p.ExtraHosts = slices.DeleteFunc(p.ExtraHosts, func(h HostAlias) bool { return h.IP == "host-gateway" })
		// The importer keeps the labels and annotations only for the variables that read them.
		for base, m := range map[string]*map[string]string{FieldLabels: &p.Labels, FieldAnnotations: &p.Annotations} {
			if !slices.ContainsFunc(p.Containers(), func(c *Container) bool {
				return slices.ContainsFunc(c.EnvRefs, func(r EnvRef) bool { return strings.HasPrefix(r.Field, base) })
			}) {
				*m = nil
			}
		}
	}
}

// kubeLabelsOfTheWorkload: a pod's labels (kept when the downward API reads them) gain the
// labels the export selects its workload with.
func kubeLabelsOfTheWorkload(st *Stack) {
	for _, p := range st.Pods {
		if p.Labels != nil {
			p.Labels[KubeLabelName], p.Labels[KubeLabelPartOf] = p.Name, st.Name
		}
	}
}

// kubeBindFilesBecomeVolumes: a bind-mounted file inside the stack's directory becomes a
// ConfigMap, mounted with subPath: a pod volume holding the file (one per file and pod, named
// after the file), mounted at the same place. An absolute path outside the stack's directory
// is a hostPath volume, which comes back as the same bind mount (its path cleaned). Other
// bind mounts (directories, relative paths leaving the stack's directory) cannot be carried
// and are gone.
func kubeBindFilesBecomeVolumes(st *Stack) {
	fsys := os.DirFS(st.Dir)
	for _, p := range st.Pods {
		taken := map[string]bool{}
		for _, v := range p.Volumes {
			taken[v.Name] = true
		}
		made := map[string]string{} // file → pod volume
		for _, c := range p.Containers() {
			var mounts []Mount
			for _, m := range c.Volumes {
				if m.Type != MountBind {
					mounts = append(mounts, m)
					continue
				}
				src := expResolveBind(st, fsys, m.Source)
				if src.rel == "" && path.IsAbs(m.Source) {
					m.Source, m.MustExist = path.Clean(m.Source), false // a hostPath without a type
					mounts = append(mounts, m)
				}
				if !src.isFile {
					continue
				}
				mounts = append(mounts, kubeFileMount(p, m, src, made, taken))
			}
			c.Volumes = mounts
		}
		slices.SortFunc(p.Volumes, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
	}
}

// Every expected difference is needed: leaving any one of them out fails some round trip, so
// the lists above hold only what does not come back.
func TestRoundTripDifferencesAreNeeded(t *testing.T) {
	type trip struct{ orig, back *Stack }
	stacks, loadWarns := roundTripStacks(t)
	same := func(a, b *Stack) bool {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return string(ja) == string(jb)
	}
	check := func(label string, diffs []func(*Stack), trips []trip) {
		for i, d := range diffs {
			rest := slices.Delete(slices.Clone(diffs), i, i+1)
			needed := false
			for _, tr := range trips {
				if !same(tr.back, expect(tr.orig, rest...)) {
					needed = true
					break
				}
			}
			if !needed {
				t.Errorf("%s: %s changes nothing that a round trip does not give back", label, runtime.FuncForPC(reflect.ValueOf(d).Pointer()).Name())
			}
		}
	}
	var trips []trip
	for _, st := range stacks {
		out, _, err := ExportCompose(st, ComposeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		trips = append(trips, trip{st, importExport(t, st, loadWarns[st], "exported.compose.yaml", out)})
	}
	check("compose", composeDifferences(), trips)
	for _, kind := range []KubeKind{KubeAuto, KubeDeployment, KubeJob, KubePod} {
		trips = trips[:0]
		for _, st := range stacks {
			out, _, err := ExportKube(st, KubeOptions{Kind: kind})
			if err != nil {
				t.Fatal(err)
			}
			trips = append(trips, trip{st, importExport(t, st, loadWarns[st], "exported.kube.yaml", out)})
		}
		check("kube "+cmp.Or(kind.String(), "auto"), kubeDifferences(kind), trips)
	}
}

// eachContainer calls f with every container of st.
func eachContainer(st *Stack, f func(c *Container)) {
	for _, p := range st.Pods {
		for _, c := range p.Containers() {
			f(c)
		}
	}
}
