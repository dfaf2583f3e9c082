package recipes

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// kubeImportString imports a manifest given as text, without the shared pipeline.
func kubeImportString(t *testing.T, manifest string) (*Stack, []Warning, error) {
	t.Helper()
	manifest = strings.ReplaceAll(manifest, "\t", "  ")
	return loadKube(File{Name: "m.yaml", Content: []byte(manifest)}, Options{Dir: t.TempDir()}, NewPositions("m.yaml"))
}

func mustKube(t *testing.T, manifest string) (*Stack, []Warning) {
	t.Helper()
	st, ws, err := kubeImportString(t, manifest)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return st, ws
}

// mustKubeClean imports a manifest that must give no warning.
func mustKubeClean(t *testing.T, manifest string) *Stack {
	t.Helper()
	st, ws := mustKube(t, manifest)
	if len(ws) != 0 {
		t.Errorf("warnings = %v, want none", ws)
	}
	return st
}

func names(cs []*Container) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// proxyAppDeployment is a Deployment of two containers, proxy then app, with these
// annotations on the workload and on its pod template.
func proxyAppDeployment(workload, template string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, annotations: {%s}}
spec:
	selector: {matchLabels: {a: b}}
	template:
		metadata: {labels: {a: b}, annotations: {%s}}
		spec:
			containers:
				- {name: proxy, image: x}
				- {name: app, image: x}
`, workload, template)
}

func TestKubeRoles(t *testing.T) {
	tests := []struct {
		name                      string
		manifest                  string
		main                      string
		sidecars, init            []string
		mainRestart, initRestarts RestartPolicy
		// warnings are the import's warnings, in full.
		warnings []string
	}{
		{
			name: "first container is main, the others follow the native sidecars",
			manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	initContainers:
		- {name: setup, image: x}
		- {name: native, image: x, restartPolicy: Always}
		- {name: more-setup, image: x}
		- {name: native2, image: x, restartPolicy: Always}
	containers:
		- {name: app, image: x}
		- {name: extra, image: x}
`,
			main: "app", sidecars: []string{"native", "native2", "extra"}, init: []string{"setup", "more-setup"},
			mainRestart: RestartAlways, initRestarts: RestartOnFailure,
			// The model runs init containers before any sidecar: more-setup cannot keep its
			// place after native, and that is said, never silent.
			warnings: []string{"m.yaml:9:7: warning: spec.initContainers[2]: init container more-setup is listed after the native sidecar native, which Kubernetes starts before running it; sidecar runs every init container before any sidecar starts, so more-setup runs first, without native",
				// kubectl says the same: "Defaulted container "app" out of: app, extra".
				"m.yaml:11:3: warning: spec.containers: pod p could have app and extra as main; app, the first, was chosen: name the main container with the annotation kubectl.kubernetes.io/default-container: NAME (or sidecar.dev/main)"},
		},
		{
			name:     "the sidecar.dev/main annotation on the template names main",
			manifest: proxyAppDeployment("sidecar.dev/main: ignored-when-template-says", "sidecar.dev/main: app"),
			main:     "app", sidecars: []string{"proxy"}, init: []string{}, mainRestart: RestartAlways,
		},
		{
			name:     "the annotation on the workload counts too",
			manifest: proxyAppDeployment("sidecar.dev/main: app", ""),
			main:     "app", sidecars: []string{"proxy"}, init: []string{}, mainRestart: RestartAlways,
		},
		{
			name: "kubectl's default-container is a fallback; sidecar.dev/main wins over it",
			manifest: `
apiVersion: v1
kind: Pod
metadata:
	name: p
	annotations: {kubectl.kubernetes.io/default-container: b, sidecar.dev/main: c}
spec:
	restartPolicy: Never
	containers: [{name: a, image: x}, {name: b, image: x}, {name: c, image: x}]
`,
			main: "c", sidecars: []string{"a", "b"}, init: []string{}, mainRestart: RestartNever,
		},
		{
			name: "a Job's OnFailure",
			manifest: `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
	template:
		spec:
			restartPolicy: OnFailure
			initContainers: [{name: prep, image: x}]
			containers: [{name: run, image: x}]
`,
			main: "run", sidecars: []string{}, init: []string{"prep"}, mainRestart: RestartOnFailure, initRestarts: RestartOnFailure,
		},
		{
			name: "restartPolicy Never: init containers are not retried",
			manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	restartPolicy: Never
	initContainers: [{name: prep, image: x}]
	containers: [{name: run, image: x}]
`,
			main: "run", sidecars: []string{}, init: []string{"prep"}, mainRestart: RestartNever, initRestarts: RestartNever,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ws := mustKube(t, tt.manifest)
			var got []string
			for _, w := range ws {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.warnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.warnings, "\n"))
			}
			p := st.Pods[0]
			if p.Main.Name != tt.main {
				t.Errorf("main = %s, want %s", p.Main.Name, tt.main)
			}
			if got := names(p.Sidecars); !reflect.DeepEqual(got, tt.sidecars) {
				t.Errorf("sidecars = %v, want %v", got, tt.sidecars)
			}
			if got := names(p.Init); !reflect.DeepEqual(got, tt.init) {
				t.Errorf("init = %v, want %v", got, tt.init)
			}
			if p.Main.Restart != tt.mainRestart {
				t.Errorf("main restart = %v, want %v", p.Main.Restart, tt.mainRestart)
			}
			for _, c := range p.Init {
				if c.Restart != tt.initRestarts {
					t.Errorf("init %s restart = %v, want %v", c.Name, c.Restart, tt.initRestarts)
				}
			}
			for _, c := range p.Sidecars {
				if c.Restart != RestartDefault {
					t.Errorf("sidecar %s restart = %v, want the default (always, filled by normalisation)", c.Name, c.Restart)
				}
			}
		})
	}
}

func TestKubeEnv(t *testing.T) {
	st, ws := mustKube(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {A: from-cm, B: b, "not a name": x}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {PW: cHc=}
stringData: {TOKEN: t}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns, labels: {tier: web}}
spec:
	containers:
		- name: c
			image: x
			command: ["/bin/$(BIN)", "$$(LITERAL)", "$(UNKNOWN)"]
			args: ["--url=$(URL)"]
			envFrom:
				- configMapRef: {name: cm}
					prefix: CM_
				- secretRef: {name: s}
				- configMapRef: {name: absent, optional: true}
			env:
				- {name: BIN, value: app}
				- {name: CM_A, value: overridden}
				- {name: URL, value: "http://$(CM_B):$(PORT)"}
				- {name: PORT, value: "80"}
				- name: KEY
					valueFrom: {configMapKeyRef: {name: cm, key: A}}
				- name: OPT
					valueFrom: {configMapKeyRef: {name: cm, key: NOPE, optional: true}}
				- name: POD
					valueFrom: {fieldRef: {fieldPath: metadata.name}}
				- name: NS
					valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
				- name: IP
					valueFrom: {fieldRef: {fieldPath: status.podIP}}
`)
	c := st.Pods[0].Main
	want := Env{
		"BIN": "app", "CM_A": "overridden", "CM_B": "b", "PW": "pw", "TOKEN": "t",
		// $(PORT) is defined after URL, so it stays as written, as the kubelet leaves it.
		"URL": "http://b:$(PORT)", "PORT": "80", "KEY": "from-cm",
	}
	if !reflect.DeepEqual(c.Env, want) {
		t.Errorf("env = %v\nwant  %v", c.Env, want)
	}
	// The downward API is resolved when the container is created, in the order written.
	wantRefs := []EnvRef{{Name: "POD", Field: FieldName}, {Name: "NS", Field: FieldNamespace}, {Name: "IP", Field: FieldPodIP}}
	if !reflect.DeepEqual(c.EnvRefs, wantRefs) || st.Pods[0].Namespace != "ns" {
		t.Errorf("env refs = %+v, namespace %q", c.EnvRefs, st.Pods[0].Namespace)
	}
	if want := []string{"/bin/app", "$(LITERAL)", "$(UNKNOWN)"}; !reflect.DeepEqual(c.Entrypoint, want) {
		t.Errorf("entrypoint = %q, want %q", c.Entrypoint, want)
	}
	if want := []string{"--url=http://b:$(PORT)"}; !reflect.DeepEqual(c.Command, want) {
		t.Errorf("command = %q, want %q", c.Command, want)
	}
	var fields []string
	for _, w := range ws {
		fields = append(fields, w.Field)
	}
	want2 := []string{"spec.containers[0].envFrom[0]"}
	if !reflect.DeepEqual(fields, want2) {
		t.Errorf("warnings on %v, want %v", fields, want2)
	}
}

func TestKubeExpand(t *testing.T) {
	vars := map[string]string{"A": "1", "B": "$(A)"}
	for in, want := range map[string]string{
		"":          "",
		"plain":     "plain",
		"$(A)":      "1",
		"x$(A)y":    "x1y",
		"$(B)":      "$(A)", // no recursion
		"$$(A)":     "$(A)",
		"$$":        "$",
		"$(NOPE)":   "$(NOPE)",
		"$(A":       "$(A",
		"$A":        "$A",
		"end$":      "end$",
		"$(A)$(A)":  "11",
		"$$$(A)":    "$1",
		"a $ b":     "a $ b",
		"$()":       "$()",
		"$(A)$$(A)": "1$(A)",
	} {
		if got := ExpandVars(in, lookupIn(vars)); got != want {
			t.Errorf("ExpandVars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKubeProbesAndVolumes(t *testing.T) {
	st := mustKubeClean(t, `
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a.conf: A, b.conf: B}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	shareProcessNamespace: true
	terminationGracePeriodSeconds: 45
	containers:
		- name: c
			image: x
			ports: [{name: web, containerPort: 8080}, {containerPort: 53, hostPort: 5353, protocol: UDP}]
			readinessProbe:
				httpGet: {port: web, path: /ready, scheme: HTTPS}
				periodSeconds: 3
				timeoutSeconds: 2
				failureThreshold: 7
				initialDelaySeconds: 4
			livenessProbe:
				exec: {command: [/bin/true]}
			startupProbe:
				tcpSocket: {port: 8080}
				periodSeconds: 2
				failureThreshold: 5
			volumeMounts:
				- {name: scratch, mountPath: /scratch}
				- {name: conf, mountPath: /etc/conf}
				- {name: host, mountPath: /host, subPath: sub, readOnly: true}
				- {name: scratch, mountPath: /one, subPath: one}
	volumes:
		- {name: scratch, emptyDir: {}}
		- name: conf
			configMap: {name: cm, items: [{key: b.conf, path: dir/b.conf}]}
		- {name: host, hostPath: {path: /srv/data}}
`)
	p := st.Pods[0]
	c := p.Main
	if !p.SharePID || !p.ShareIPC || p.StopGrace.D().Seconds() != 45 {
		t.Errorf("pod: share_pid %v share_ipc %v stop_grace %v", p.SharePID, p.ShareIPC, p.StopGrace)
	}
	wantReady := &Probe{HTTP: &HTTPProbe{Port: 8080, Path: "/ready", Scheme: "https"}, Period: Duration(3e9), Timeout: Duration(2e9), Retries: 7, StartPeriod: Duration(4e9)}
	if !reflect.DeepEqual(c.Ready, wantReady) {
		t.Errorf("ready = %+v / %+v", c.Ready, c.Ready.HTTP)
	}
	if c.Live == nil || c.Live.Exec == nil || c.Live.StartPeriod != 0 {
		t.Errorf("live = %+v", c.Live)
	}
	if want := (&Probe{TCP: &TCPProbe{Port: 8080}, Period: Duration(2e9), Retries: 5}); !reflect.DeepEqual(c.Startup, want) {
		t.Errorf("startup = %+v, want %+v: it gates the other probes", c.Startup, want)
	}
	if want := []Port{{HostPort: 5353, ContainerPort: 53, Protocol: ProtoUDP}}; !reflect.DeepEqual(c.Ports, want) {
		t.Errorf("ports = %+v, want %+v (only hostPorts are published)", c.Ports, want)
	}
	wantMounts := []Mount{
		{Type: MountVolume, Source: "scratch", Target: "/scratch"},
		{Type: MountVolume, Source: "conf", Target: "/etc/conf", ReadOnly: true},
		{Type: MountBind, Source: "/srv/data/sub", Target: "/host", ReadOnly: true},
		{Type: MountVolume, Source: "scratch", Target: "/one", SubPath: "one"},
	}
	if !reflect.DeepEqual(c.Volumes, wantMounts) {
		t.Errorf("mounts = %+v\nwant     %+v", c.Volumes, wantMounts)
	}
	wantVols := []*Volume{{Name: "conf", Files: map[string]string{"dir/b.conf": "B"}}, {Name: "scratch"}}
	if !reflect.DeepEqual(p.Volumes, wantVols) {
		t.Errorf("volumes = %+v", p.Volumes)
	}
}

func TestKubeStartupProbeAlone(t *testing.T) {
	st := mustKubeClean(t, `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	containers:
		- name: c
			image: x
			startupProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
`)
	if r := st.Pods[0].Main.Startup; r == nil || r.TCP == nil || r.TCP.Port != 80 || st.Pods[0].Main.Ready != nil {
		t.Errorf("startup = %+v, want the startup probe (and no ready probe)", r)
	}
}

func TestKubeServices(t *testing.T) {
	st, _ := mustKube(t, `
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
	containers:
		- {name: app, image: x, ports: [{name: http, containerPort: 8080}]}
		- {name: proxy, image: x, ports: [{name: admin, containerPort: 9901}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
	type: LoadBalancer
	selector: {app: web}
	ports: [{port: 80, targetPort: http}, {port: 9901, targetPort: admin}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
	type: NodePort
	selector: {app: web}
	ports: [{port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-internal}
spec:
	selector: {app: web}
	ports: [{port: 8081, targetPort: 8080}]
`)
	p := st.Pods[0]
	if want := []Port{{HostPort: 80, ContainerPort: 8080}, {HostPort: 0, ContainerPort: 8080}}; !reflect.DeepEqual(p.Main.Ports, want) {
		t.Errorf("main ports = %+v, want %+v", p.Main.Ports, want)
	}
	if want := []Port{{HostPort: 9901, ContainerPort: 9901}}; !reflect.DeepEqual(p.Sidecars[0].Ports, want) {
		t.Errorf("proxy ports = %+v, want %+v", p.Sidecars[0].Ports, want)
	}
}

func TestKubeProblemsArePlaced(t *testing.T) {
	_, _, err := kubeImportString(t, `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	containers:
		- name: c
			image: x
			env:
				- name: A
					valueFrom: {secretKeyRef: {name: nope, key: k}}
			readinessProbe: {httpGet: {port: nameless}}
`)
	var ps Problems
	if !errors.As(err, &ps) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want Problems", err)
	}
	got := []string{}
	for _, p := range ps {
		got = append(got, p.Pos.String())
	}
	// at the Secret's name and at the port's name
	if want := []string{"m.yaml:11:44", "m.yaml:12:40"}; !reflect.DeepEqual(got, want) {
		t.Errorf("problems at %v, want %v:\n%v", got, want, err)
	}
}

// The sidecar.dev/depends-on annotation the Kubernetes export writes is read back into the
// pod's depends_on (sorted, like every depends_on), from the pod template or the workload.
func TestKubeDependsOnAnnotation(t *testing.T) {
	manifest := strings.ReplaceAll(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
	selector: {matchLabels: {app: web}}
	template:
		metadata: {labels: {app: web}, annotations: {sidecar.dev/depends-on: "db, cache"}}
		spec: {containers: [{name: app, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cache, annotations: {sidecar.dev/depends-on: db}}
spec: {containers: [{name: app, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, annotations: {sidecar.dev/depends-on: ""}}
spec: {containers: [{name: app, image: x}]}
`, "\t", "  ")
	st, _, err := Load(File{Name: "m.yaml", Content: []byte(manifest)}, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	var order []string
	for _, p := range st.Pods {
		got[p.Name] = p.DependsOnNames()
		order = append(order, p.Name)
	}
	want := map[string][]string{"web": {"cache", "db"}, "cache": {"db"}, "db": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("depends_on = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(order, []string{"db", "cache", "web"}) {
		t.Errorf("pods start in order %v, want db, cache, web", order)
	}
}

// Names in the annotation that are not pod names are problems at the annotation; so are,
// once the import is done, names of pods the file does not have and a pod waiting for itself
// (found by validation).
func TestKubeDependsOnAnnotationProblems(t *testing.T) {
	// web is a Pod whose annotation is dependsOn, on its line 6.
	web := func(dependsOn string) string {
		return `apiVersion: v1
kind: Pod
metadata:
	name: web
	annotations:
		sidecar.dev/depends-on: "` + dependsOn + `"
spec: {containers: [{name: app, image: x}]}
`
	}
	for _, tc := range []struct {
		name, manifest string
		want           []string
	}{
		{"not pod names", "\n" + web("db,,Cache DB"), []string{
			`m.yaml:7:29: annotation sidecar.dev/depends-on of Pod "web" holds an empty pod name: list the names of the workloads this one waits for, separated by commas, e.g. db,cache:started`,
			`m.yaml:7:29: annotation sidecar.dev/depends-on of Pod "web" holds "Cache DB", which is not a pod name: list the names of the workloads this one waits for, separated by commas, e.g. db,cache:started`,
			// db is a pod name, of no pod of the file: validation says so in the same pass.
			`m.yaml:7:29: pod "web" depends on "db", which is not a pod of this stack: remove it from the sidecar.dev/depends-on annotation: the file has no other workload`,
		}},
		{"unknown pods", `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {containers: [{name: app, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
	selector: {matchLabels: {app: db}}
	template:
		metadata:
			labels: {app: db}
			annotations: {sidecar.dev/depends-on: "dbb,db"}
		spec: {containers: [{name: app, image: x}]}
`, []string{
			`m.yaml:15:45: pod "db" depends on itself: remove it from the sidecar.dev/depends-on annotation: a pod cannot wait for itself`,
			`m.yaml:15:45: pod "db" depends on "dbb", which is not a pod of this stack: did you mean "web"? (name workloads of this file: web)`,
		}},
		{"unknown conditions", `
apiVersion: v1
kind: Pod
metadata: {name: db}
spec: {containers: [{name: app, image: x}]}
---
` + web("db:start,db:"), []string{
			`m.yaml:12:29: annotation sidecar.dev/depends-on of Pod "web" gives db the condition "start", which is not one of ready, started, completed: did you mean "db:started"? (write NAME (its main ready), NAME:started (its main started) or NAME:completed (a job completed), e.g. db,cache:started)`,
			`m.yaml:12:29: annotation sidecar.dev/depends-on of Pod "web" gives db the condition "", which is not one of ready, started, completed: write NAME (its main ready), NAME:started (its main started) or NAME:completed (a job completed), e.g. db,cache:started`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifest := strings.ReplaceAll(tc.manifest, "\t", "  ")
			_, _, err := Load(File{Name: "m.yaml", Content: []byte(manifest)}, Options{Dir: t.TempDir()})
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("err = %v, want Problems", err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// Ports a Service publishes take the place of the container port they target, so that a
// container's ports keep the order of its ports list whether or not they have a hostPort.
func TestKubePortOrder(t *testing.T) {
	st, _ := mustKube(t, `
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
	containers:
		- name: app
			image: x
			ports:
				- {containerPort: 8080}
				- {containerPort: 9090, hostPort: 9090}
				- {containerPort: 53, protocol: UDP}
				- {containerPort: 8080, hostPort: 8081}
				- {containerPort: 7000}
---
apiVersion: v1
kind: Service
metadata: {name: web-nodeport}
spec:
	type: NodePort
	selector: {app: web}
	ports: [{name: a, port: 53, protocol: UDP}, {name: b, port: 8080}, {name: c, port: 7777}]
`)
	want := []Port{
		{ContainerPort: 8080, Protocol: ProtoTCP},
		{HostPort: 9090, ContainerPort: 9090, Protocol: ProtoTCP},
		{ContainerPort: 53, Protocol: ProtoUDP},
		{HostPort: 8081, ContainerPort: 8080, Protocol: ProtoTCP},
		{ContainerPort: 7777, Protocol: ProtoTCP}, // no container port names it: last
	}
	if got := st.Pods[0].Main.Ports; !reflect.DeepEqual(got, want) {
		t.Errorf("ports = %+v\nwant    %+v", got, want)
	}
}

// app.kubernetes.io/part-of, which the export writes, names the stack when every workload
// has it and they agree; Options.Name wins over it.
func TestKubeStackNameFromPartOf(t *testing.T) {
	doc := func(name, labels string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", labels: {" + labels + "}}\nspec: {containers: [{name: app, image: x}]}\n"
	}
	for _, tc := range []struct {
		name, manifest string
		opts           Options
		want           string
	}{
		{"all agree", doc("a", "app.kubernetes.io/part-of: shop") + "---\n" + doc("b", "app.kubernetes.io/part-of: shop"), Options{}, "shop"},
		{"made a DNS label", doc("a", "app.kubernetes.io/part-of: My_Shop"), Options{}, "my-shop"},
		{"they disagree", doc("a", "app.kubernetes.io/part-of: shop") + "---\n" + doc("b", "app.kubernetes.io/part-of: other"), Options{}, "fallback"},
		{"one lacks it", doc("a", "app.kubernetes.io/part-of: shop") + "---\n" + doc("b", "app: b"), Options{}, "fallback"},
		{"the option wins", doc("a", "app.kubernetes.io/part-of: shop"), Options{Name: "given"}, "given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fallback")
			tc.opts.Dir = dir
			st, _, err := Load(File{Name: filepath.Join(dir, "m.yaml"), Content: []byte(tc.manifest)}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if st.Name != tc.want {
				t.Errorf("stack name %q, want %q", st.Name, tc.want)
			}
		})
	}
}

// A ReplicationController (v1), as older manifests still write one, runs as a ReplicaSet
// does: one pod named after it, its Service's ports published.
func TestKubeReplicationController(t *testing.T) {
	st, ws := mustKube(t, `
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
	replicas: 2
	selector: {app: web}
	template:
		metadata: {labels: {app: web}}
		spec:
			containers:
				- {name: app, image: x, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
	type: LoadBalancer
	selector: {app: web}
	ports: [{port: 8080}]
`)
	if len(st.Pods) != 1 || st.Pods[0].Name != "web" || st.Pods[0].Main.Name != "app" {
		t.Fatalf("pods = %+v", st.Pods)
	}
	if want := []Port{{HostPort: 8080, ContainerPort: 8080}}; !reflect.DeepEqual(st.Pods[0].Main.Ports, want) {
		t.Errorf("main ports = %+v, want %+v", st.Pods[0].Main.Ports, want)
	}
	if len(ws) != 1 || !strings.Contains(ws[0].Message, "2 replicas run as one pod") {
		t.Errorf("warnings = %v, want the replicas one", ws)
	}
	if _, _, err := kubeImportString(t, "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: web}\nspec: {}\n"); err == nil {
		t.Error("a ReplicationController without a template imported")
	}
}

// A host name or nameserver the shape check rejects is left out of the pod, and so is a
// host alias left with no name: the rest is kept as written.
func TestKubeRejectedHostsAreLeftOut(t *testing.T) {
	in, fatal := parseInput(File{Name: "m.yaml", Content: []byte(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostAliases:
    - {ip: 10.0.0.5, hostnames: [db, 1]}
    - {ip: 10.0.0.6, hostnames: [2]}
    - {ip: 10.0.0.8, hostnames: [mail]}
  dnsConfig: {nameservers: [1.1.1.1, 8], searches: [9, svc.local]}
  containers: [{name: app, image: x}]
`)})
	if fatal != nil {
		t.Fatal(fatal)
	}
	r := importKube(in, Options{Dir: t.TempDir()}, NewPositions("m.yaml"))
	if len(r.problems) != 4 || r.stack == nil {
		t.Fatalf("problems = %v, want the four values that are not strings", r.problems)
	}
	pod := r.stack.Pods[0]
	want := []HostAlias{{IP: "10.0.0.5", Hostnames: []string{"db"}}, {IP: "10.0.0.8", Hostnames: []string{"mail"}}}
	if !reflect.DeepEqual(pod.ExtraHosts, want) {
		t.Errorf("extra hosts = %+v, want %+v", pod.ExtraHosts, want)
	}
	if dns := pod.DNS; !reflect.DeepEqual(dns.Nameservers, []string{"1.1.1.1"}) || !reflect.DeepEqual(dns.Searches, []string{"svc.local"}) {
		t.Errorf("dns = %+v, want nameserver 1.1.1.1 and search svc.local", dns)
	}
}

// Where the API wants a string, a quoted value, plain text and a date are strings, kept as
// written; numbers are fine where it takes a number or a name (ports) or a quantity.
func TestKubeStringValuesAsWritten(t *testing.T) {
	st := mustKubeClean(t, `
apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {n: "1"}}
spec:
	containers:
		- name: app
			image: x
			env:
				- {name: A, value: "1"}
				- {name: B, value: abc}
				- {name: C, value: 2026-12-07}
				- {name: D, value: "yes"}
			ports: [{containerPort: 80}]
			resources: {limits: {cpu: 1}}
			readinessProbe: {httpGet: {port: 80, httpHeaders: [{name: X, value: "1"}]}}
`)
	main := st.Pods[0].Main
	if want := (Env{"A": "1", "B": "abc", "C": "2026-12-07", "D": "yes"}); !reflect.DeepEqual(main.Env, want) {
		t.Errorf("env = %v, want %v", main.Env, want)
	}
	if h := main.Ready.HTTP; h == nil || h.Port != 80 || h.Headers["X"] != "1" {
		t.Errorf("ready probe = %+v, want port 80 with header X: 1", h)
	}
}

// A Secret's data is base64, which may be folded over several lines.
func TestKubeSecretBase64OverLines(t *testing.T) {
	st := mustKubeClean(t, `
apiVersion: v1
kind: Secret
metadata: {name: s}
data:
	greeting: |
		aGVs
		bG8=
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	containers:
		- name: app
			image: x
			env: [{name: G, valueFrom: {secretKeyRef: {name: s, key: greeting}}}]
`)
	if got := st.Pods[0].Main.Env["G"]; got != "hello" {
		t.Errorf("G = %q, want hello", got)
	}
}

// command and args as Kubernetes reads them: an empty one is none (the image's ENTRYPOINT or
// CMD stays), and a date in them is text (command: [report, 2026-12-07]).
func TestKubeCommandAsKubectlReadsIt(t *testing.T) {
	st := mustKubeClean(t, `
apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {sidecar.dev/main: c}}
spec:
  containers:
  - {name: c, image: img, command: [], args: [x]}
  - {name: d, image: img, command: [report, 2026-12-07], args: []}
`)
	c, d := st.Pods[0].Main, st.Pods[0].Sidecars
	if c.Entrypoint != nil || !slices.Equal(c.Command, []string{"x"}) {
		t.Errorf("c: entrypoint %q (nil: %v), command %q; want the image's entrypoint, command [x]", c.Entrypoint, c.Entrypoint == nil, c.Command)
	}
	if len(d) != 1 || !slices.Equal(d[0].Entrypoint, []string{"report", "2026-12-07"}) || d[0].Command != nil {
		t.Errorf("d: %+v, want entrypoint [report 2026-12-07] and no command", d)
	}
}

// Each sidecar's gate is what the kubelet waits for before it starts the next container: a
// native sidecar's start (its startupProbe passed), a regular container's run only, whatever
// its startupProbe. Normalised, a gate says only what makes a difference: running without a
// startup probe is started, started without a ready probe is ready.
func TestKubeGates(t *testing.T) {
	st, _, err := Load(File{Name: "k8s.yaml", Content: []byte(strings.ReplaceAll(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
	initContainers:
		- {name: mesh, image: x, restartPolicy: Always, startupProbe: {tcpSocket: {port: 1}}, readinessProbe: {tcpSocket: {port: 1}}}
		- {name: agent, image: x, restartPolicy: Always, readinessProbe: {tcpSocket: {port: 2}}}
		- {name: quiet, image: x, restartPolicy: Always, startupProbe: {tcpSocket: {port: 3}}}
	containers:
		- {name: web, image: x}
		- {name: warmup, image: x, startupProbe: {tcpSocket: {port: 4}}, readinessProbe: {tcpSocket: {port: 4}}}
		- {name: tls, image: x, readinessProbe: {tcpSocket: {port: 5}}}
		- {name: logger, image: x}
`, "\t", "  "))}, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Gate{"mesh": GateStarted, "agent": GateStarted, "quiet": GateReady, "warmup": GateRunning, "tls": GateStarted, "logger": GateReady}
	for _, c := range st.Pods[0].Sidecars {
		if c.Gate != want[c.Name] {
			t.Errorf("%s: gate %s, want %s", c.Name, c.Gate, want[c.Name])
		}
	}
}

// A manifest's labels are the pod's identity (kept for the env ref that reads them), never
// engine labels of its containers (docs/import.md: metadata.labels).
func TestKubeLabelsAreNoEngineLabels(t *testing.T) {
	st := mustKubeClean(t, `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, traefik.enable: "true"}
spec:
  containers:
    - name: web
      image: nginx
      env:
        - name: APP
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
`)
	p := st.Pods[0]
	if p.Labels["app"] != "web" {
		t.Errorf("the pod's labels %v, want app: web kept for the env ref", p.Labels)
	}
	for _, c := range p.Containers() {
		if c.Labels != nil {
			t.Errorf("container %s has engine labels %v", c.Name, c.Labels)
		}
	}
}
