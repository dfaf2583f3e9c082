package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/sidecar-dev/sidecar/internal/golden"
	"github.com/sidecar-dev/sidecar/recipes/catalog/catalogtest"
)

// withWarnings appends the export's warnings to its output as YAML comments, so that one
// golden file shows both and stays a valid manifest.
func withWarnings(out []byte, warns []Warning) []byte {
	if len(warns) == 0 {
		return out
	}
	var b bytes.Buffer
	b.Write(out)
	b.WriteString("# export warnings:\n")
	for _, w := range warns {
		b.WriteString("#   " + w.String() + "\n")
	}
	return b.Bytes()
}

// The good recipe corpus, exported both ways, against goldens under testdata/export.
func TestExportGolden(t *testing.T) {
	for _, f := range corpus(t, "../testdata/recipes/good/*.yaml", 5) {
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(base, func(t *testing.T) {
			st, _, err := loadCorpusFile(t, f)
			if err != nil {
				t.Fatal(err)
			}
			exportGoldens(t, st, filepath.Join("../testdata/export", base))
		})
	}
}

// testdata/export/everything, the stack that uses what the rest of the corpus does not,
// exported both ways.
func TestExportEverythingGolden(t *testing.T) {
	exportGoldens(t, everythingStack(t), "../testdata/export/everything")
}

// exportGoldens exports st both ways, against the goldens prefix.kube.yaml and
// prefix.compose.yaml.
func exportGoldens(t *testing.T, st *Stack, prefix string) {
	t.Helper()
	kube, warns, err := ExportKube(st, KubeOptions{})
	if err != nil {
		t.Fatalf("kube export: %v", err)
	}
	golden.Check(t, prefix+".kube.yaml", withWarnings(kube, warns))
	compose, warns, err := ExportCompose(st, ComposeOptions{})
	if err != nil {
		t.Fatalf("compose export: %v", err)
	}
	golden.Check(t, prefix+".compose.yaml", withWarnings(compose, warns))
}

// Every catalog recipe and the starter, exported both ways, against goldens under
// testdata/export/catalog: what a user of sidecar init gets from sidecar export.
func TestExportCatalogGolden(t *testing.T) {
	dir := t.TempDir()
	for name, files := range catalogtest.Recipes(t) {
		t.Run(name, func(t *testing.T) {
			root := catalogtest.Write(t, filepath.Join(dir, name), files)
			// Named by a relative path, so that warnings in the goldens do not depend on
			// where the test runs.
			st, _, err := Load(File{Name: name + "/sidecar.yaml", Content: files["sidecar.yaml"]}, Options{Dir: root})
			if err != nil {
				t.Fatal(err)
			}
			exportGoldens(t, st, filepath.Join("../testdata/export/catalog", name))
		})
	}
}

// Every compose and Kubernetes fixture that imports, exported both ways, against goldens
// under testdata/export/compose and testdata/export/kube: what sidecar export makes of a
// file the importers read.
func TestExportFixtureGolden(t *testing.T) {
	n := 0
	for _, kind := range []string{"compose", "kube"} {
		files, _ := filepath.Glob(filepath.Join("../testdata", kind, "*.yaml"))
		for _, f := range files {
			base := strings.TrimSuffix(filepath.Base(f), ".yaml")
			if strings.HasPrefix(base, "bad-") {
				continue
			}
			n++
			t.Run(kind+"/"+base, func(t *testing.T) {
				st := loadFixture(t, f)
				exportGoldens(t, st, filepath.Join("../testdata/export", kind, base))
			})
		}
	}
	if n < 10 {
		t.Fatalf("only %d fixtures to export", n)
	}
}

// testStack is a one-pod stack built in code, with every default filled in as normalisation
// would.
func testStack() *Stack {
	probe := func(p Probe) *Probe {
		p.Period, p.Timeout, p.Retries = Duration(time.Second), Duration(time.Second), 3
		return &p
	}
	return &Stack{
		Name:    "demo",
		Dir:     "/stack",
		Source:  Source{File: "/stack/sidecar.yaml"},
		Backoff: expDefaultBackoff(),
		Pods: []*Pod{{
			Name:      "demo",
			StopGrace: Duration(30 * time.Second),
			Init: []*Container{{Name: "setup", Role: RoleInit, Image: "busybox:1.37.0", Restart: RestartNever,
				Command: []string{"sh", "-c", "echo $HOME > /data/home"},
				Volumes: []Mount{{Type: MountVolume, Source: "data", Target: "/data"}}}},
			Sidecars: []*Container{{Name: "proxy", Role: RoleSidecar, Image: "envoyproxy/envoy:v1.38.0", Restart: RestartAlways,
				Ports: []Port{{HostPort: 8000, ContainerPort: 10000}},
				Volumes: []Mount{
					{Type: MountBind, Source: "./envoy.yaml", Target: "/etc/envoy/envoy.yaml", ReadOnly: true},
					{Type: MountBind, Source: "./conf", Target: "/etc/conf"},
					{Type: MountBind, Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"},
				},
				Ready: probe(Probe{HTTP: &HTTPProbe{Port: 9901, Path: "/ready"}})}},
			Main: &Container{Name: "app", Role: RoleMain, Image: "traefik/whoami:v1.11.0", Restart: RestartAlways,
				Env:     Env{"GREETING": "hello $USER"},
				Volumes: []Mount{{Type: MountVolume, Source: "data", Target: "/data", ReadOnly: true}},
				Ready:   probe(Probe{Exec: &ExecProbe{Command: []string{"test", "-f", "/data/home"}}})},
			Volumes: []*Volume{{Name: "data"}},
		}},
	}
}

func testFiles() fstest.MapFS {
	return fstest.MapFS{
		"envoy.yaml":     {Data: []byte("admin: {}\n")},
		"conf/a.conf":    {Data: []byte("a\n")},
		"conf/sub/b.txt": {Data: []byte("b\n")},
	}
}

// decodeKube splits a manifest into its typed objects.
func decodeKube(t *testing.T, manifest []byte) (deps []appsv1.Deployment, jobs []batchv1.Job, pods []corev1.Pod, svcs []corev1.Service, cms []corev1.ConfigMap) {
	t.Helper()
	for _, doc := range expSplitDocs(manifest) {
		var kind struct{ Kind string }
		if err := yaml.Unmarshal(doc, &kind); err != nil {
			t.Fatal(err)
		}
		switch kind.Kind {
		case "Deployment":
			deps = strictAppend(t, doc, deps)
		case "Job":
			jobs = strictAppend(t, doc, jobs)
		case "Pod":
			pods = strictAppend(t, doc, pods)
		case "Service":
			svcs = strictAppend(t, doc, svcs)
		case "ConfigMap":
			cms = strictAppend(t, doc, cms)
		case "Secret":
			strictAppend[corev1.Secret](t, doc, nil)
		case "PersistentVolumeClaim":
			strictAppend[corev1.PersistentVolumeClaim](t, doc, nil)
		default:
			t.Fatalf("unexpected kind %q", kind.Kind)
		}
	}
	return
}

// strictAppend decodes doc strictly as a T and appends it to list.
func strictAppend[T any](t *testing.T, doc []byte, list []T) []T {
	t.Helper()
	var o T
	if err := yaml.UnmarshalStrict(doc, &o); err != nil {
		t.Fatal(err)
	}
	return append(list, o)
}

func TestExportKubeShape(t *testing.T) {
	out, warns, err := ExportKube(testStack(), KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	deps, jobs, pods, svcs, cms := decodeKube(t, out)
	if len(deps) != 1 || len(jobs) != 0 || len(pods) != 0 || len(svcs) != 1 || len(cms) != 1 {
		t.Fatalf("got %d deployments, %d jobs, %d pods, %d services, %d configmaps; want 1, 0, 0, 1, 1", len(deps), len(jobs), len(pods), len(svcs), len(cms))
	}
	spec := deps[0].Spec.Template.Spec
	if len(spec.InitContainers) != 2 || spec.InitContainers[0].Name != "setup" || spec.InitContainers[1].Name != "proxy" {
		t.Fatalf("init containers = %+v, want setup then proxy", spec.InitContainers)
	}
	if spec.InitContainers[0].RestartPolicy != nil {
		t.Errorf("the plain init container has a restartPolicy")
	}
	proxy := spec.InitContainers[1]
	if proxy.RestartPolicy == nil || *proxy.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Errorf("the sidecar is not a native sidecar: restartPolicy %v", proxy.RestartPolicy)
	}
	// A sidecar's ready probe gates the next container (gate: ready): in Kubernetes that is
	// a startup probe, written besides its readiness probe, and the annotation says so.
	sp := proxy.StartupProbe
	if sp == nil || sp.HTTPGet == nil || sp.HTTPGet.Port.IntValue() != 9901 || sp.HTTPGet.Path != "/ready" || sp.FailureThreshold != 3 || sp.PeriodSeconds != 1 {
		t.Errorf("the sidecar's ready probe is not its startup probe: %+v", sp)
	}
	if !reflect.DeepEqual(proxy.ReadinessProbe, sp) {
		t.Errorf("the sidecar's readiness probe %+v is not its ready probe", proxy.ReadinessProbe)
	}
	if got := deps[0].Spec.Template.Annotations[KubeAnnotationGateReady]; got != "proxy" {
		t.Errorf("annotation %s = %q, want proxy", KubeAnnotationGateReady, got)
	}
	if len(proxy.VolumeMounts) != 2 || proxy.VolumeMounts[0].SubPath != "envoy.yaml" || proxy.VolumeMounts[0].MountPath != "/etc/envoy/envoy.yaml" {
		t.Errorf("the bind-mounted file is not mounted from its ConfigMap with subPath: %+v", proxy.VolumeMounts)
	}
	// The absolute path is a hostPath volume; the directory is left out.
	if m := proxy.VolumeMounts[len(proxy.VolumeMounts)-1]; m.MountPath != "/var/run/docker.sock" || !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool {
		return v.Name == m.Name && v.HostPath != nil && v.HostPath.Path == "/var/run/docker.sock"
	}) {
		t.Errorf("/var/run/docker.sock is not mounted from a hostPath volume: %+v, volumes %+v", proxy.VolumeMounts, spec.Volumes)
	}
	if cms[0].Data["envoy.yaml"] != "admin: {}\n" {
		t.Errorf("ConfigMap data = %v", cms[0].Data)
	}
	if len(spec.Containers) != 1 || spec.Containers[0].Name != "app" {
		t.Fatalf("containers = %+v, want main alone", spec.Containers)
	}
	if spec.Containers[0].ReadinessProbe.Exec == nil {
		t.Errorf("main's exec probe is lost")
	}
	// The proxy holds host port 8000: a rolling update could never place the new pod next
	// to the old one on a one-node cluster.
	if got := deps[0].Spec.Strategy.Type; got != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("a Deployment with a hostPort has strategy %q, want Recreate", got)
	}
	if got := *spec.TerminationGracePeriodSeconds; got != 30 {
		t.Errorf("terminationGracePeriodSeconds = %d", got)
	}
	if svcs[0].Name != "demo" || svcs[0].Spec.Type != corev1.ServiceTypeClusterIP || len(svcs[0].Spec.Ports) != 1 || svcs[0].Spec.Ports[0].Port != 10000 {
		t.Errorf("service = %+v", svcs[0])
	}
	// $ is doubled where the kubelet expands $(VAR): command, args and env values.
	if got := spec.InitContainers[0].Args; len(got) != 3 || got[2] != "echo $$HOME > /data/home" {
		t.Errorf("setup args = %q", got)
	}
	if got := spec.Containers[0].Env; len(got) != 1 || got[0].Value != "hello $$USER" {
		t.Errorf("main env = %+v", got)
	}
	// The directory and the hostPath are warned about, by field.
	fields := map[string]bool{}
	for _, w := range warns {
		fields[w.Field] = true
	}
	for _, f := range []string{"demo/proxy/volumes[1]", "demo/proxy/volumes[2]"} {
		if !fields[f] {
			t.Errorf("no warning names %s; got %v", f, warns)
		}
	}
}

// A port published on no particular host port gets a NodePort Service (the cluster picks the
// node port, as the engine picks the host port); pod-to-pod access stays on the ClusterIP one.
func TestExportKubeNodePort(t *testing.T) {
	st := testStack()
	st.Pods[0].Main.Ports = []Port{{ContainerPort: 8080}, {ContainerPort: 53, Protocol: ProtoUDP, HostPort: 5353}}
	out, _, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	deps, _, _, svcs, _ := decodeKube(t, out)
	if len(svcs) != 2 {
		t.Fatalf("%d services, want 2", len(svcs))
	}
	if got := deps[0].Spec.Strategy.Type; got != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("a Deployment with a hostPort has strategy %q, want Recreate", got)
	}
	cluster, node := svcs[0], svcs[1]
	if cluster.Name != "demo" || len(cluster.Spec.Ports) != 3 {
		t.Errorf("ClusterIP service = %s with %d ports, want demo with 3", cluster.Name, len(cluster.Spec.Ports))
	}
	if node.Name != "demo-nodeport" || node.Spec.Type != corev1.ServiceTypeNodePort || len(node.Spec.Ports) != 1 || node.Spec.Ports[0].Port != 8080 || node.Spec.Ports[0].NodePort != 0 {
		t.Errorf("NodePort service = %+v", node)
	}
}

// Without host ports a Deployment keeps the default rolling update.
func TestExportKubeNoHostPortRollingUpdate(t *testing.T) {
	st := testStack()
	st.Pods[0].Sidecars[0].Ports = []Port{{ContainerPort: 10000}}
	out, _, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	deps, _, _, _, _ := decodeKube(t, out)
	if got := deps[0].Spec.Strategy.Type; got != "" {
		t.Errorf("a Deployment without hostPorts has strategy %q, want the default", got)
	}
	if strings.Contains(string(out), "strategy") {
		t.Errorf("the manifest writes a strategy:\n%s", out)
	}
}

func TestExportKubeServiceNames(t *testing.T) {
	st := testStack()
	st.Pods[0].Name = strings.Repeat("a", 63)
	st.Pods[0].Main.Ports = []Port{{ContainerPort: 8080}}
	out, _, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, svcs, _ := decodeKube(t, out)
	if len(svcs) != 2 || len(svcs[1].Name) > 63 || !strings.HasSuffix(svcs[1].Name, "-nodeport") {
		t.Errorf("services = %v", svcs)
	}
}

// What the API server would reject is an error of the export, one problem each, with how
// to fix it; nothing is printed.
func TestExportKubeRejectedByAPIServer(t *testing.T) {
	big := strings.Repeat("x", 1<<20+1)
	for _, tc := range []struct {
		name  string
		edit  func(*Stack, fstest.MapFS)
		wants []string
	}{
		{"service name", func(st *Stack, _ fstest.MapFS) { st.Pods[0].Name = "9web" },
			[]string{`Service name "9web" is not valid in Kubernetes`, "rename the pod so that its name starts with a letter"}},
		{"bind-mounted file over 1 MiB", func(_ *Stack, fs fstest.MapFS) { fs["envoy.yaml"] = &fstest.MapFile{Data: []byte(big)} },
			[]string{"ConfigMap demo-envoy-yaml (file ./envoy.yaml) holds 1048577 bytes, more than the 1048576 (1 MiB) the API server accepts", "PersistentVolumeClaim"}},
		{"volume files over 1 MiB", func(st *Stack, _ fstest.MapFS) {
			st.Pods[0].Volumes[0].Files = map[string]string{"a.bin": big[:1<<19], "b.bin": big[:1<<19+1]}
		}, []string{"ConfigMap demo-data (the files of volume data) holds 1048577 bytes"}},
		{"variable name", func(st *Stack, _ fstest.MapFS) { st.Pods[0].Main.Env["BAD\tNAME"] = "x" },
			[]string{`variable "BAD\tNAME" is not valid in Kubernetes`, "rename the variable"}},
		{"label value", func(st *Stack, _ fstest.MapFS) { st.Pods[0].Labels = map[string]string{"team": "the web team"} },
			[]string{`label team "the web team" is not valid in Kubernetes`, "change the label's value (labels: of the pod)"}},
		{"label key", func(st *Stack, _ fstest.MapFS) { st.Pods[0].Labels = map[string]string{"web team": "a"} },
			[]string{`label key "web team" is not valid in Kubernetes`, "rename the label (labels: of the pod)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, files := testStack(), testFiles()
			tc.edit(st, files)
			out, _, err := ExportKube(st, KubeOptions{Files: files})
			if !errors.Is(err, ErrExport) || out != nil {
				t.Fatalf("err = %v, output %d bytes; want an export error and nothing", err, len(out))
			}
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("the error does not list its problems: %v", err)
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error misses %q:\n%v", want, err)
				}
			}
		})
	}
}

// What only some clients or versions reject is a warning: an object too big for client-side
// kubectl apply, a variable name older API servers refuse.
func TestExportKubeWarnsAboutLimits(t *testing.T) {
	st, files := testStack(), testFiles()
	files["envoy.yaml"] = &fstest.MapFile{Data: []byte(strings.Repeat("x", 300<<10))}
	st.Pods[0].Main.Env["1ST"] = "x"
	_, warns, err := ExportKube(st, KubeOptions{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, w := range warns {
		all = append(all, w.String())
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"ConfigMap demo-envoy-yaml (file ./envoy.yaml) takes 300",
		"kubectl apply --server-side",
		`variable name "1ST" is accepted by Kubernetes 1.32 and later only`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no warning says %q:\n%s", want, text)
		}
	}
}

func TestExportKubeKinds(t *testing.T) {
	for _, tc := range []struct {
		kind    KubeKind
		restart RestartPolicy
		want    string // kind and pod restart policy
		warn    bool
	}{
		{KubeAuto, RestartAlways, "Deployment Always", false},
		{KubeAuto, RestartNever, "Pod Never", false}, // a service pod that ends the stack: it runs once
		{KubeAuto, RestartOnFailure, "Pod OnFailure", false},
		{KubeDeployment, RestartNever, "Deployment Always", true},
		{KubeJob, RestartAlways, "Job OnFailure", true},
		{KubePod, RestartNever, "Pod Never", false},
		{KubePod, RestartAlways, "Pod Always", false},
		{KubeAuto, RestartOnFailure, "Job OnFailure", false}, // a job pod (job: true)
	} {
		st := testStack()
		st.Pods[0].Main.Restart = tc.restart
		st.Pods[0].Job = tc.kind == KubeAuto && tc.want == "Job OnFailure"
		out, warns, err := ExportKube(st, KubeOptions{Kind: tc.kind, Files: testFiles()})
		if err != nil {
			t.Fatal(err)
		}
		deps, jobs, pods, _, _ := decodeKube(t, out)
		var got string
		switch {
		case len(deps) == 1:
			got = "Deployment " + string(deps[0].Spec.Template.Spec.RestartPolicy)
		case len(jobs) == 1:
			got = "Job " + string(jobs[0].Spec.Template.Spec.RestartPolicy)
			if tc.restart == RestartNever && (jobs[0].Spec.BackoffLimit == nil || *jobs[0].Spec.BackoffLimit != 0) {
				t.Errorf("a Job whose main never restarts must not be retried: backoffLimit %v", jobs[0].Spec.BackoffLimit)
			}
		case len(pods) == 1:
			got = "Pod " + string(pods[0].Spec.RestartPolicy)
		}
		if got != tc.want {
			t.Errorf("kind %s, restart %s: got %s, want %s", tc.kind, tc.restart, got, tc.want)
		}
		warned := false
		for _, w := range warns {
			if w.Field == "demo/app/restart" {
				warned = true
			}
		}
		if warned != tc.warn {
			t.Errorf("kind %s, restart %s: restart warning %v, want %v (%v)", tc.kind, tc.restart, warned, tc.warn, warns)
		}
	}
}

func TestKubeKindText(t *testing.T) {
	var k KubeKind
	if err := k.UnmarshalText([]byte("Job")); err != nil || k != KubeJob {
		t.Errorf("Job → %v, %v", k, err)
	}
	err := k.UnmarshalText([]byte("statefulset"))
	var ee *EnumError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "deployment, job, pod") {
		t.Errorf("statefulset → %v, want an EnumError listing deployment, job, pod", err)
	}
}

// What the manifest cannot express is warned about, naming the field, and left out of it.
func TestExportKubeWarnings(t *testing.T) {
	st := testStack()
	p := st.Pods[0]
	p.Main.Build = &Build{Context: "./app"}
	p.Main.Init = true
	p.Main.StopGrace = Duration(5 * time.Second)
	p.Main.User = "nobody"
	p.Main.Ready.Period = Duration(500 * time.Millisecond)
	p.Main.Startup = &Probe{TCP: &TCPProbe{Port: 8080}, Period: Duration(1500 * time.Millisecond), Timeout: Duration(time.Second), Retries: 3}
	p.StopGrace = Duration(1500 * time.Millisecond)
	p.DependsOn = DepsOf("db")
	st.Backoff.Max = Duration(time.Minute)
	out, warns, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, w := range warns {
		fields[w.Field] = true
	}
	for _, f := range []string{"demo/app/build", "demo/app/init", "demo/app/stop_grace", "demo/app/user", "demo/app/ready", "demo/app/startup", "demo/stop_grace", "demo/depends_on", "backoff"} {
		if !fields[f] {
			t.Errorf("no warning for %s: %v", f, warns)
		}
	}
	deps, _, _, _, _ := decodeKube(t, out)
	tmpl := deps[0].Spec.Template
	if tmpl.Annotations[KubeAnnotationDependsOn] != "db" {
		t.Errorf("depends_on annotation = %v", tmpl.Annotations)
	}
	if *tmpl.Spec.TerminationGracePeriodSeconds != 2 {
		t.Errorf("1.5s grace is not rounded up to 2: %d", *tmpl.Spec.TerminationGracePeriodSeconds)
	}
	main := tmpl.Spec.Containers[0]
	if main.SecurityContext != nil {
		t.Errorf("a user name became a security context: %+v", main.SecurityContext)
	}
	if main.ReadinessProbe.PeriodSeconds != 1 {
		t.Errorf("a 500ms period became %ds", main.ReadinessProbe.PeriodSeconds)
	}
	if main.StartupProbe.PeriodSeconds != 2 {
		t.Errorf("a 1.5s startup period became %ds", main.StartupProbe.PeriodSeconds)
	}
}

// loadCompose loads an exported compose file with compose-go as docker compose would.
func loadComposeProject(t *testing.T, content []byte) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: content}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SkipResolveEnvironment = true
		o.ResolvePaths = false
	})
	if err != nil {
		t.Fatalf("compose-go cannot load the export: %v\n%s", err, content)
	}
	return p
}

func TestExportComposeShape(t *testing.T) {
	out, _, err := ExportCompose(testStack(), ComposeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	p := loadComposeProject(t, out)
	infra, ok := p.Services["demo-infra"]
	if !ok {
		t.Fatalf("no infra service: %v", p.ServiceNames())
	}
	if infra.Image != ComposeInfraImage || len(infra.Ports) != 1 || infra.Ports[0].Target != 10000 || infra.Ports[0].Published != "8000" {
		t.Errorf("infra = image %s, ports %+v", infra.Image, infra.Ports)
	}
	if x, ok := infra.Extensions["x-sidecar"].(map[string]any); !ok || x["role"] != "infra" {
		t.Errorf("infra x-sidecar = %v", infra.Extensions)
	}
	for _, name := range []string{"setup", "proxy", "app"} {
		svc, ok := p.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if svc.NetworkMode != "service:demo-infra" {
			t.Errorf("%s: network_mode %q", name, svc.NetworkMode)
		}
	}
	if d := p.Services["proxy"].DependsOn["setup"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("proxy waits for setup with %q", d.Condition)
	}
	if d := p.Services["app"].DependsOn["proxy"]; d.Condition != types.ServiceConditionStarted {
		t.Errorf("app waits for proxy with %q (proxy's probe is http: no healthcheck)", d.Condition)
	}
	app := p.Services["app"]
	if app.HealthCheck == nil || strings.Join(app.HealthCheck.Test, " ") != "CMD test -f /data/home" {
		t.Errorf("main's exec probe is not its healthcheck: %+v", app.HealthCheck)
	}
	if v := app.Environment["GREETING"]; v == nil || *v != "hello $USER" {
		t.Errorf("$ is not escaped: GREETING = %v", v)
	}
	if got := p.Services["setup"].Command; strings.Join(got, " ") != "sh -c echo $HOME > /data/home" {
		t.Errorf("setup command = %q", got)
	}
	if x, ok := p.Services["proxy"].Extensions["x-sidecar"].(map[string]any); !ok || x["ready"] == nil {
		t.Errorf("proxy's http probe is not kept in x-sidecar: %v", p.Services["proxy"].Extensions)
	}
}

// A sidecar with an exec probe becomes healthy-gated: the next container waits for
// service_healthy.
func TestExportComposeHealthyChain(t *testing.T) {
	st := testStack()
	st.Pods[0].Sidecars[0].Ready = &Probe{Exec: &ExecProbe{Command: []string{"true"}}, Period: Duration(2 * time.Second), Timeout: Duration(time.Second), Retries: 5}
	out, _, err := ExportCompose(st, ComposeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	p := loadComposeProject(t, out)
	if d := p.Services["app"].DependsOn["proxy"]; d.Condition != types.ServiceConditionHealthy {
		t.Errorf("app waits for proxy with %q, want service_healthy", d.Condition)
	}
	hc := p.Services["proxy"].HealthCheck
	if hc == nil || hc.Interval == nil || time.Duration(*hc.Interval) != 2*time.Second || hc.Retries == nil || *hc.Retries != 5 {
		t.Errorf("healthcheck = %+v", hc)
	}
}

func TestExportNoPods(t *testing.T) {
	if _, _, err := ExportKube(&Stack{Name: "x"}, KubeOptions{}); !errors.Is(err, ErrExport) {
		t.Errorf("kube: %v", err)
	}
	if _, _, err := ExportCompose(&Stack{Name: "x"}, ComposeOptions{}); !errors.Is(err, ErrExport) {
		t.Errorf("compose: %v", err)
	}
}

// With several pods, each infra service carries its pod's name as a network alias, so that
// pods reach each other by name under docker compose as under sidecar; a lone pod needs none.
func TestExportComposeAliases(t *testing.T) {
	st, _, err := loadCorpusFile(t, "../testdata/recipes/good/pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := ExportCompose(st, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := loadComposeProject(t, out)
	for _, pod := range st.Pods {
		infra := p.Services[pod.Name+"-infra"]
		n := infra.Networks["default"]
		if n == nil || len(n.Aliases) != 1 || n.Aliases[0] != pod.Name {
			t.Errorf("%s-infra: networks = %+v, want the alias %s", pod.Name, infra.Networks, pod.Name)
		}
	}
	out, _, err = ExportCompose(testStack(), ComposeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	// compose-go attaches every service to the default network; no alias is written.
	if n := loadComposeProject(t, out).Services["demo-infra"].Networks["default"]; n != nil && len(n.Aliases) > 0 {
		t.Errorf("a lone pod's infra has aliases %v", n.Aliases)
	}
}

// The kubelet expands $(VAR) and $$ in an exec probe's command as in args, from the
// container's literal env values only: the export doubles every $, and the importer expands
// as the kubelet would, so that the probe runs the same command on both.
func TestKubeExecProbeDollars(t *testing.T) {
	st := testStack()
	main := st.Pods[0].Main
	main.Env["MODE"] = "fast"
	main.Ready.Exec.Command = []string{"sh", "-c", "test $$ -gt 0 && echo $(MODE) ${MODE}"}
	out, _, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	deps, _, _, _, _ := decodeKube(t, out)
	got := deps[0].Spec.Template.Spec.Containers[0].ReadinessProbe.Exec.Command
	if want := "test $$$$ -gt 0 && echo $$(MODE) $${MODE}"; len(got) != 3 || got[2] != want {
		t.Errorf("exported exec probe = %q, want %q last", got, want)
	}

	back, _ := mustKube(t, `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	containers:
		- name: app
			image: x
			env:
				- {name: MODE, value: fast}
				- {name: RAW, value: "$(MODE)"}
				- {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: k, optional: true}}}
			envFrom: [{configMapRef: {name: c, optional: true}}]
			readinessProbe:
				exec: {command: [check, "$(MODE)", "$$(MODE)", "$(RAW)", "$(FROM_SECRET)", "$(UNKNOWN)", "$$$$"]}
`)
	want := []string{"check", "fast", "$(MODE)", "$(MODE)", "", "$(UNKNOWN)", "$$"}
	if got := back.Pods[0].Main.Ready.Exec.Command; !reflect.DeepEqual(got, want) {
		t.Errorf("imported exec probe = %q, want %q", got, want)
	}
}

func TestExpSecretLike(t *testing.T) {
	for name, want := range map[string]bool{
		"TS_AUTHKEY": true, "API_KEY": true, "GITHUB_TOKEN": true, "accessToken": true, "ACCESSTOKEN": true,
		"POSTGRES_PASSWORD": true, "DB_PASS": true, "client-secret": true, "BASIC_AUTH": true, "AWS_CREDENTIALS": true,
		"KEYCLOAK_URL": false, "MONKEY": false, "PATH": false, "HOME": false, "PASSENGER": false, "AUTHOR": false,
	} {
		if got := expSecretLike(name); got != want {
			t.Errorf("expSecretLike(%q) = %v, want %v", name, got, want)
		}
	}
}

// Variables that look like secrets and have a value go into a Secret per pod, which the
// containers reference with secretKeyRef; the import gives the same stack back.
func TestExportKubeSecretEnv(t *testing.T) {
	st := testStack()
	p := st.Pods[0]
	p.Main.Env["API_TOKEN"] = "main-$ecret"
	p.Main.Env["DB_PASSWORD"] = "shared"
	p.Main.Env["TS_AUTHKEY"] = "" // empty: nothing to hide, an env value to fill in
	p.Sidecars[0].Env = Env{"API_TOKEN": "proxy-secret", "DB_PASSWORD": "shared"}
	out, warns, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	var secret corev1.Secret
	for _, doc := range expSplitDocs(out) {
		if strings.Contains(string(doc), "kind: Secret") {
			if err := yaml.UnmarshalStrict(doc, &secret); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]string{"app.API_TOKEN": "main-$ecret", "proxy.API_TOKEN": "proxy-secret", "DB_PASSWORD": "shared"}
	if secret.Name != "demo-env" || !reflect.DeepEqual(secret.StringData, want) {
		t.Errorf("Secret %s holds %v, want demo-env with %v", secret.Name, secret.StringData, want)
	}
	deps, _, _, _, _ := decodeKube(t, out)
	env := map[string]corev1.EnvVar{}
	for _, e := range deps[0].Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e
	}
	if ref := env["API_TOKEN"].ValueFrom; ref == nil || ref.SecretKeyRef.Name != "demo-env" || ref.SecretKeyRef.Key != "app.API_TOKEN" || env["API_TOKEN"].Value != "" {
		t.Errorf("API_TOKEN = %+v, want a secretKeyRef to demo-env app.API_TOKEN", env["API_TOKEN"])
	}
	if e := env["TS_AUTHKEY"]; e.ValueFrom != nil || e.Value != "" {
		t.Errorf("the empty TS_AUTHKEY = %+v, want an empty value", e)
	}
	found := false
	for _, w := range warns {
		found = found || strings.Contains(w.Message, "variables API_TOKEN and DB_PASSWORD look like secrets, so the containers take their values from Secret demo-env")
	}
	if !found {
		t.Errorf("no warning names the variables put in the Secret: %v", warns)
	}
	back, _, err := Load(File{Name: "/stack/exported.yaml", Content: out}, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Pods[0].Main.Env; got["API_TOKEN"] != "main-$ecret" || got["DB_PASSWORD"] != "shared" || got["TS_AUTHKEY"] != "" {
		t.Errorf("imported main env = %v", got)
	}
	if got := back.Pods[0].Sidecars[0].Env; !reflect.DeepEqual(got, p.Sidecars[0].Env) {
		t.Errorf("imported proxy env = %v, want %v", got, p.Sidecars[0].Env)
	}
}

// A pod volume starts empty, as an emptyDir: the compose export mounts it with nocopy, or
// the engine would copy the image's content at the target into it.
func TestExportComposeVolumesStartEmpty(t *testing.T) {
	st := testStack()
	st.Pods[0].Main.Volumes = append(st.Pods[0].Main.Volumes, Mount{Type: MountVolume, Source: "data", Target: "/sub", SubPath: "x"})
	out, _, err := ExportCompose(st, ComposeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	p := loadComposeProject(t, out)
	n := 0
	for _, name := range []string{"setup", "app"} {
		for _, v := range p.Services[name].Volumes {
			if v.Type != types.VolumeTypeVolume {
				continue
			}
			n++
			if v.Volume == nil || !v.Volume.NoCopy {
				t.Errorf("%s: the pod volume mount at %s is not nocopy: %+v", name, v.Target, v.Volume)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d pod volume mounts, want 3", n)
	}
}

// expSplitDocs splits a multi-document YAML stream at its "---" lines, leaving out documents
// that hold only comments or nothing.
func expSplitDocs(b []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		content := false
		for _, line := range strings.Split(cur.String(), "\n") {
			t := strings.TrimSpace(line)
			if t != "" && !strings.HasPrefix(t, "#") {
				content = true
				break
			}
		}
		if content {
			docs = append(docs, slices.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.TrimRight(line, "\r\n") == "---" {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

// An explicit empty entrypoint (compose's entrypoint: "") resets the image's ENTRYPOINT. The
// compose export writes entrypoint: [], which compose-go and the importer read back as empty,
// not as unset; the Kubernetes export writes the command as command (args would run under
// the image's ENTRYPOINT).
func TestExportEmptyEntrypoint(t *testing.T) {
	dir := t.TempDir()
	src := "services:\n  web:\n    image: nginx:1.27\n    entrypoint: \"\"\n    command: [nginx, -g, \"daemon off;\"]\n"
	st, _, err := Load(File{Name: filepath.Join(dir, "compose.yaml"), Content: []byte(src)}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cmd := []string{"nginx", "-g", "daemon off;"}
	if c := st.Pods[0].Main; c.Entrypoint == nil || len(c.Entrypoint) != 0 || !slices.Equal(c.Command, cmd) {
		t.Fatalf("loaded entrypoint %#v, command %q", c.Entrypoint, c.Command)
	}

	out, _, err := ExportCompose(st, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc := loadComposeProject(t, out).Services["web"]; svc.Entrypoint == nil || len(svc.Entrypoint) != 0 || !slices.Equal(svc.Command, cmd) {
		t.Errorf("compose-go reads entrypoint %#v, command %q from the export:\n%s", svc.Entrypoint, svc.Command, out)
	}
	back, _, err := Load(File{Name: filepath.Join(dir, "exported.compose.yaml"), Content: out}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if c := back.Pods[0].Main; c.Entrypoint == nil || len(c.Entrypoint) != 0 || !slices.Equal(c.Command, cmd) {
		t.Errorf("the compose export imports with entrypoint %#v, command %q:\n%s", c.Entrypoint, c.Command, out)
	}

	out, _, err = ExportKube(st, KubeOptions{Kind: KubePod})
	if err != nil {
		t.Fatal(err)
	}
	_, _, pods, _, _ := decodeKube(t, out)
	if kc := pods[0].Spec.Containers[0]; !slices.Equal(kc.Command, cmd) || kc.Args != nil {
		t.Errorf("kube container command %q, args %q, want command %q and no args:\n%s", kc.Command, kc.Args, cmd, out)
	}
}

// An empty entrypoint with no command runs the image's CMD alone, which a manifest cannot say
// without naming the CMD: a warning.
func TestExportKubeEmptyEntrypointNoCommand(t *testing.T) {
	st := testStack()
	st.Pods[0].Main.Entrypoint, st.Pods[0].Main.Command = []string{}, nil
	_, warns, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(warns, func(w Warning) bool {
		return w.Field == "demo/app/entrypoint" && strings.Contains(w.Message, "runs the image's CMD without its ENTRYPOINT")
	}) {
		t.Errorf("no warning about the empty entrypoint: %v", warns)
	}
}

// A bind mount of an absolute path is a hostPath volume (a path on the node, warned), which
// imports back as the same bind mount; one of a relative path leaving the stack's directory
// is still left out.
func TestExportKubeHostPath(t *testing.T) {
	dir := t.TempDir()
	src := `apiVersion: v1
kind: Pod
metadata: {name: dev}
spec:
  restartPolicy: Always
  containers:
    - name: app
      image: busybox:1.37.0
      volumeMounts:
        - {name: dev, mountPath: /dev, readOnly: true}
        - {name: data, mountPath: /data}
  volumes:
    - {name: dev, hostPath: {path: /dev}}
    - {name: data, hostPath: {path: /srv/data, type: DirectoryOrCreate}}
`
	st, _, err := Load(File{Name: filepath.Join(dir, "pod.yaml"), Content: []byte(src)}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st.Pods[0].Main.Volumes = append(st.Pods[0].Main.Volumes, Mount{Type: MountBind, Source: "../outside", Target: "/outside"})
	out, warns, err := ExportKube(st, KubeOptions{Kind: KubePod})
	if err != nil {
		t.Fatal(err)
	}
	var hostWarns, leftOut int
	for _, w := range warns {
		switch {
		case strings.Contains(w.Message, "becomes a hostPath volume") && strings.Contains(w.Message, "on the node the pod runs on"):
			hostWarns++
		case strings.Contains(w.Message, "the bind mount of ../outside is outside the stack's directory"):
			leftOut++
		case strings.Contains(w.Message, "outside the stack's directory"):
			t.Errorf("an absolute path is left out: %s", w)
		}
	}
	if hostWarns != 2 || leftOut != 1 {
		t.Errorf("%d hostPath warnings and %d left out, want 2 and 1: %v", hostWarns, leftOut, warns)
	}
	_, _, pods, _, _ := decodeKube(t, out)
	spec := pods[0].Spec
	paths := map[string]string{}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			if v.HostPath.Type != nil {
				t.Errorf("volume %s: hostPath type %v, want none", v.Name, *v.HostPath.Type)
			}
			paths[v.Name] = v.HostPath.Path
		}
	}
	var mounts []string
	for _, m := range spec.Containers[0].VolumeMounts {
		mounts = append(mounts, fmt.Sprintf("%s:%s:%v", paths[m.Name], m.MountPath, m.ReadOnly))
	}
	if want := []string{"/dev:/dev:true", "/srv/data:/data:false"}; !slices.Equal(mounts, want) {
		t.Errorf("mounts %q, want %q:\n%s", mounts, want, out)
	}
	back, _, err := Load(File{Name: filepath.Join(dir, "exported.kube.yaml"), Content: out}, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Pods[0].Main.Volumes, st.Pods[0].Main.Volumes[:2]; !reflect.DeepEqual(got, want) {
		t.Errorf("imported back as %+v, want %+v", got, want)
	}
}

// Each sidecar's gate crosses a manifest: a ready-gated sidecar's readiness probe is its
// startup probe too (what the kubelet waits for), the annotation names it, and one that has a
// startup probe of its own keeps it, with a warning (the cluster then does not wait for its
// readiness); a start-gated sidecar's probes are written as they are. A sidecar gated on its
// run only is a regular container, before main, when no other sidecar follows it (regular
// containers start after the native sidecars); else a native sidecar, with a warning when it
// has a startup probe (the cluster waits for it). Importing gives the same gates and probes
// back, but that one's.
func TestExportKubeGates(t *testing.T) {
	st := testStack()
	p := st.Pods[0]
	probe := func(port int) *Probe {
		return &Probe{TCP: &TCPProbe{Port: port}, Period: Duration(time.Second), Timeout: Duration(time.Second), Retries: 3}
	}
	side := func(name string, gate Gate, ready, startup *Probe) *Container {
		return &Container{Name: name, Role: RoleSidecar, Image: "agent:1", Restart: RestartAlways, Gate: gate, Ready: ready, Startup: startup}
	}
	p.Sidecars = []*Container{
		side("ready", GateReady, probe(1001), nil),
		side("started", GateStarted, probe(1002), nil),
		side("both", GateReady, probe(1003), probe(1004)),
		side("startup", GateStarted, probe(1005), probe(1006)),
		side("early", GateRunning, nil, probe(1007)),
		side("early2", GateStarted, probe(1008), nil),
		side("late", GateRunning, probe(1009), probe(1010)),
		side("last", GateRunning, nil, probe(1011)),
	}
	out, warns, err := ExportKube(st, KubeOptions{Files: testFiles()})
	if err != nil {
		t.Fatal(err)
	}
	gateWarned := slices.ContainsFunc(warns, func(w Warning) bool {
		return w.Field == "demo/both/gate" && strings.Contains(w.Message, "without waiting for its readinessProbe")
	})
	earlyWarned := slices.ContainsFunc(warns, func(w Warning) bool {
		return w.Field == "demo/early/gate" && strings.Contains(w.Message, "the kubelet starts the next container once its startupProbe passed")
	})
	if !gateWarned || !earlyWarned || slices.ContainsFunc(warns, func(w Warning) bool {
		return strings.HasSuffix(w.Field, "/gate") && w.Field != "demo/both/gate" && w.Field != "demo/early/gate"
	}) {
		t.Errorf("want two gate warnings, for both and early: %v", warns)
	}
	deps, _, _, _, _ := decodeKube(t, out)
	tmpl := deps[0].Spec.Template
	if got := tmpl.Annotations[KubeAnnotationGateReady]; got != "ready,both" {
		t.Errorf("annotation %s = %q, want ready,both", KubeAnnotationGateReady, got)
	}
	port := func(pr *corev1.Probe) int {
		if pr == nil || pr.TCPSocket == nil {
			return 0
		}
		return pr.TCPSocket.Port.IntValue()
	}
	want := map[string][2]int{"ready": {1001, 1001}, "started": {1002, 0}, "both": {1003, 1004}, "startup": {1005, 1006},
		"early": {0, 1007}, "early2": {1008, 0}, "late": {1009, 1010}, "last": {0, 1011}}
	for _, kc := range append(tmpl.Spec.InitContainers[1:], tmpl.Spec.Containers[:2]...) {
		if got := [2]int{port(kc.ReadinessProbe), port(kc.StartupProbe)}; got != want[kc.Name] {
			t.Errorf("%s: readinessProbe, startupProbe on ports %v, want %v", kc.Name, got, want[kc.Name])
		}
	}
	var regular []string
	for _, kc := range tmpl.Spec.Containers {
		regular = append(regular, kc.Name)
	}
	if want := []string{"late", "last", p.Main.Name}; !slices.Equal(regular, want) {
		t.Errorf("containers %v, want %v", regular, want)
	}
	if got := tmpl.Annotations[KubeMainAnnotation]; got != p.Main.Name {
		t.Errorf("annotation %s = %q, want %s", KubeMainAnnotation, got, p.Main.Name)
	}

	back, _, err := Load(File{Name: "/stack/k8s.yaml", Content: out}, Options{Dir: "/stack"})
	if err != nil {
		t.Fatal(err)
	}
	p.Sidecars[4].Gate = GateReady // early: a native sidecar, started without a ready probe is ready
	for i, c := range back.Pods[0].Sidecars {
		orig := p.Sidecars[i]
		if c.Name != orig.Name || c.Gate != orig.Gate || !reflect.DeepEqual(c.Ready, orig.Ready) || !reflect.DeepEqual(c.Startup, orig.Startup) {
			t.Errorf("sidecar %s came back as %s gate %s, ready %+v, startup %+v", orig.Name, c.Name, c.Gate, c.Ready, c.Startup)
		}
	}
}
