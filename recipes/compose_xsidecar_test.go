package recipes

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// composeLoad loads a compose file given as text through the whole pipeline, with files
// under dir read from files (name → content) and nothing else.
func composeLoad(t *testing.T, content string, files map[string]string) (*Stack, []Warning, error) {
	t.Helper()
	dir := t.TempDir()
	content = strings.ReplaceAll(content, "\t", "  ")
	return Load(File{Name: "c.yaml", Content: []byte(content)}, Options{Dir: dir, ReadFile: readUnder(dir, files), Env: map[string]string{"CONF": "from-env\n"}})
}

// readUnder reads the files below dir from files (a path relative to dir → content), and
// nothing else.
func readUnder(dir string, files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if rel, err := filepath.Rel(dir, p); err == nil {
			if c, ok := files[filepath.ToSlash(rel)]; ok {
				return []byte(c), nil
			}
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
}

func mustComposeLoad(t *testing.T, content string, files map[string]string) (*Stack, []Warning) {
	t.Helper()
	st, ws, err := composeLoad(t, content, files)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return st, ws
}

// problemStrings renders the Problems of err, failing the test when err is not Problems.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want Problems", err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func warningStrings(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

// x-sidecar name gives a container its own name, whatever the service is called; the pod is
// still named after its namespace owner (or x-sidecar pod).
func TestComposeXSidecarName(t *testing.T) {
	st, ws := mustComposeLoad(t, `
services:
	web:
		image: web:dev
		x-sidecar: {name: app}
	web-proxy:
		image: envoy:dev
		network_mode: service:web
		x-sidecar: {name: proxy, role: sidecar}
	api_server:
		image: api:dev
		x-sidecar: {name: app}
`, nil)
	var got []string
	for _, p := range st.Pods {
		for _, c := range p.Containers() {
			got = append(got, p.Name+"/"+c.Name)
		}
	}
	if want := []string{"web/proxy", "web/app", "api-server/app"}; !reflect.DeepEqual(got, want) {
		t.Errorf("containers %v, want %v", got, want)
	}
	// api_server is not a DNS label: the pod's name is made one, and that is said.
	if w := warningStrings(ws); len(w) != 1 || !strings.Contains(w[0], "services.api_server: named api-server in sidecar") {
		t.Errorf("warnings %q", w)
	}
}

// A bad x-sidecar name is a problem at it, as is a name two containers of a pod share.
func TestComposeXSidecarNameProblems(t *testing.T) {
	_, _, err := composeLoad(t, `
services:
	web:
		image: web:dev
		x-sidecar: {name: App_1}
	proxy:
		image: envoy:dev
		network_mode: service:web
		x-sidecar: {name: web}
`, nil)
	got := problemStrings(t, err)
	want := []string{
		`c.yaml:5:23: container name "App_1" is not a valid DNS label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit, e.g. "app-1"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, _, err = composeLoad(t, `
services:
	web:
		image: web:dev
		x-sidecar: {name: app}
	proxy:
		image: envoy:dev
		network_mode: service:web
		x-sidecar: {name: app, role: sidecar}
`, nil)
	got = problemStrings(t, err)
	want = []string{`c.yaml:5:23: container name "app" is used twice in pod "web": give each container of a pod its own name`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// x-sidecar on a depends_on entry gives the pod dependency's condition where compose's
// cannot say it (the export writes it for a main whose ready probe is an x-sidecar one); an
// unknown one is a problem at its place, with a did-you-mean.
func TestComposeXSidecarDependsOnCondition(t *testing.T) {
	st, _, err := composeLoad(t, `
services:
	api:
		image: api:dev
		x-sidecar: {ready: {http: {port: 8080}}}
	web:
		image: web:dev
		depends_on:
			api: {condition: service_started, x-sidecar: {condition: ready}}
	worker:
		image: worker:dev
		depends_on: [api]
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Pod("web").DependsOn; !reflect.DeepEqual(got, []PodDep{{Pod: "api"}}) {
		t.Errorf("web depends on %v, want api ready (its x-sidecar)", got)
	}
	if got := st.Pod("worker").DependsOn; !reflect.DeepEqual(got, []PodDep{{Pod: "api", Condition: DepStarted}}) {
		t.Errorf("worker depends on %v, want api started (the short form)", got)
	}
	_, _, err = composeLoad(t, `
services:
	api: {image: api:dev}
	web:
		image: web:dev
		depends_on:
			api: {condition: service_started, x-sidecar: {condition: redy}}
`, nil)
	got := problemStrings(t, err)
	want := []string{`c.yaml:7:64: services.web.depends_on.api.x-sidecar: unknown depends_on condition "redy": did you mean "ready"? (use one of ready, started, completed)`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Compose configs used by the services of a pod become pod volumes holding the file, mounted
// read-only where the service mounts it, from content:, file: and environment:.
func TestComposeConfigs(t *testing.T) {
	st, ws := mustComposeLoad(t, `
services:
	web:
		image: nginx:1.27
		configs:
			- source: nginx_conf
				target: /etc/nginx/nginx.conf
				mode: 0440
			- index_html
	sidecar:
		image: busybox:1.37.0
		network_mode: service:web
		configs:
			- {source: nginx_conf, target: /conf/nginx.conf}
			- {source: from_env, target: /conf/env.txt}
configs:
	nginx_conf:
		file: ./nginx.conf
	index_html:
		content: "<h1>$${TITLE}</h1>"
	from_env:
		environment: CONF
	unused:
		file: ./missing.conf
`, map[string]string{"nginx.conf": "events {}\n"})
	p := st.Pods[0]
	var vols []string
	for _, v := range p.Volumes {
		vols = append(vols, v.Name+":"+strings.Join(slices.Sorted(func(yield func(string) bool) {
			for f, c := range v.Files {
				if !yield(f + "=" + strings.TrimSpace(c)) {
					return
				}
			}
		}), ","))
	}
	if want := []string{"from-env:from_env=from-env", "index-html:index_html=<h1>${TITLE}</h1>", "nginx-conf:nginx_conf=events {}"}; !reflect.DeepEqual(vols, want) {
		t.Errorf("volumes %q, want %q", vols, want)
	}
	web, side := p.Container("web"), p.Container("sidecar")
	wantWeb := []Mount{
		{Type: MountVolume, Source: "nginx-conf", Target: "/etc/nginx/nginx.conf", ReadOnly: true, SubPath: "nginx_conf"},
		{Type: MountVolume, Source: "index-html", Target: "/index_html", ReadOnly: true, SubPath: "index_html"},
	}
	if !reflect.DeepEqual(web.Volumes, wantWeb) {
		t.Errorf("web mounts %+v\nwant %+v", web.Volumes, wantWeb)
	}
	wantSide := []Mount{
		{Type: MountVolume, Source: "nginx-conf", Target: "/conf/nginx.conf", ReadOnly: true, SubPath: "nginx_conf"},
		{Type: MountVolume, Source: "from-env", Target: "/conf/env.txt", ReadOnly: true, SubPath: "from_env"},
	}
	if !reflect.DeepEqual(side.Volumes, wantSide) {
		t.Errorf("sidecar mounts %+v\nwant %+v", side.Volumes, wantSide)
	}
	if w := warningStrings(ws); len(w) != 1 || !strings.Contains(w[0], "c.yaml:8:9: warning: services.web.configs[].mode:") {
		t.Errorf("warnings %q, want one about the mode", w)
	}
}

// With x-sidecar (as sidecar's compose export writes it), configs are the files of one pod
// volume, mounted whole or by a sub path, at the place among the container's mounts that
// the reference's index gives; a config no service mounts still reaches the pod it names.
func TestComposeConfigsXSidecar(t *testing.T) {
	st, _ := mustComposeLoad(t, `
services:
	app:
		image: app:dev
		volumes: ["data:/data", "./web:/srv"]
		configs:
			- {source: a, target: /etc/conf/a.conf, x-sidecar: {target: /etc/conf, index: 1}}
			- {source: b, target: /etc/conf/sub/b.conf, x-sidecar: {target: /etc/conf, index: 1}}
			- {source: b, target: /b/b.conf, x-sidecar: {target: /b, sub_path: sub, index: 3}}
volumes:
	data: {}
	spare: {x-sidecar: {pod: app, name: extra}}
configs:
	a: {content: "a", x-sidecar: {volume: conf, file: a.conf}}
	b: {content: "b", x-sidecar: {volume: conf, file: sub/b.conf}}
	c: {content: "c", x-sidecar: {pod: app, volume: other, file: c.txt}}
`, nil)
	p := st.Pods[0]
	want := []Mount{
		{Type: MountVolume, Source: "data", Target: "/data"},
		{Type: MountVolume, Source: "conf", Target: "/etc/conf", ReadOnly: true},
		{Type: MountBind, Source: "./web", Target: "/srv"},
		{Type: MountVolume, Source: "conf", Target: "/b", ReadOnly: true, SubPath: "sub"},
	}
	if !reflect.DeepEqual(p.Main.Volumes, want) {
		t.Errorf("mounts %+v\nwant %+v", p.Main.Volumes, want)
	}
	wantVols := []*Volume{
		{Name: "conf", Files: map[string]string{"a.conf": "a", "sub/b.conf": "b"}},
		{Name: "data"},
		{Name: "extra"},
		{Name: "other", Files: map[string]string{"c.txt": "c"}},
	}
	if !reflect.DeepEqual(p.Volumes, wantVols) {
		t.Errorf("volumes %+v\nwant %+v", p.Volumes, wantVols)
	}
}

// What is wrong with configs is a problem at its place.
func TestComposeConfigProblems(t *testing.T) {
	_, _, err := composeLoad(t, `
services:
	app:
		image: app:dev
		volumes: ["conf:/conf"]
		configs:
			- nope
			- unreadable
			- unset
			- {source: moved, target: /etc/x, x-sidecar: {target: /etc/conf}}
			- {source: clash, target: /c}
volumes:
	conf: {}
configs:
	unreadable: {file: ./missing.conf}
	unset: {environment: NOT_SET}
	moved: {content: x, x-sidecar: {volume: v, file: x.conf}}
	clash: {content: x, x-sidecar: {volume: conf}}
	lost: {content: x, x-sidecar: {pod: ap}}
`, nil)
	got := problemStrings(t, err)
	want := []string{
		`c.yaml:7:9: config "nope" is not declared: declare it under the top-level configs: key, with file: or content:`,
		`c.yaml:10:9: config moved is mounted at /etc/x, but its x-sidecar puts file x.conf of volume v at /etc/conf/x.conf: make the target the x-sidecar target joined with the file's path below sub_path`,
		`c.yaml:11:9: pod app gets two volumes named conf, from volume conf and from configs of volume conf: give one of them another name (x-sidecar: {name: …} on a top-level volume, x-sidecar: {volume: …} on a config)`,
		`c.yaml:15:22: config unreadable: cannot read ./missing.conf: file does not exist: check the path; it is relative to the compose file's directory`,
		`c.yaml:16:24: config unset takes its content from variable NOT_SET, which is not set: set it in the environment or in .env`,
		`c.yaml:19:39: configs.lost.x-sidecar names pod "ap", which the file does not make: did you mean "app"?`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// x-sidecar ports say which container publishes which of the infra service's ports; main
// gets the others. A port the infra service does not publish, or x-sidecar ports in a pod
// without an infra service, is a problem.
func TestComposeXSidecarPorts(t *testing.T) {
	st, _ := mustComposeLoad(t, `
services:
	web-infra:
		image: registry.k8s.io/pause:3.10.1
		ports: ["8080:80", "9901:9901", "15006", "53:53/udp"]
		x-sidecar: {role: infra, pod: web}
	proxy:
		image: envoy:dev
		network_mode: service:web-infra
		x-sidecar: {role: sidecar, ports: ["15006", "9901:9901/tcp"]}
	app:
		image: app:dev
		network_mode: service:web-infra
		depends_on: [proxy]
`, nil)
	p := st.Pods[0]
	if want := []Port{{ContainerPort: 15006, Protocol: ProtoTCP}, {HostPort: 9901, ContainerPort: 9901, Protocol: ProtoTCP}}; !reflect.DeepEqual(p.Sidecars[0].Ports, want) {
		t.Errorf("proxy ports %+v, want %+v", p.Sidecars[0].Ports, want)
	}
	if want := []Port{{HostPort: 8080, ContainerPort: 80, Protocol: ProtoTCP}, {HostPort: 53, ContainerPort: 53, Protocol: ProtoUDP}}; !reflect.DeepEqual(p.Main.Ports, want) {
		t.Errorf("main ports %+v, want %+v", p.Main.Ports, want)
	}

	_, _, err := composeLoad(t, `
services:
	web-infra:
		image: registry.k8s.io/pause:3.10.1
		ports: ["8080:80"]
		x-sidecar: {role: infra}
	proxy:
		image: envoy:dev
		network_mode: service:web-infra
		x-sidecar:
			role: sidecar
			ports: ["8080:80", "9090:90", "1-2-3"]
	app:
		image: app:dev
		network_mode: service:web-infra
	db:
		image: db:dev
		x-sidecar: {ports: ["5432"]}
`, nil)
	got := problemStrings(t, err)
	want := []string{
		`c.yaml:12:26: x-sidecar ports of proxy lists 9090:90/tcp, which the pod's infra service web-infra does not publish: add it to the ports of web-infra (docker compose publishes only those), or remove it here`,
		`c.yaml:12:37: port "1-2-3" has an invalid container port range "1-2-3": write "8080" (container port), "8080:80" (host:container), "127.0.0.1:8080:80", "53:53/udp" or a range "9000-9002:9000-9002"`,
		`c.yaml:18:25: x-sidecar ports lists ports of db that a pod's infra service publishes, but pod db has no infra service: publish them with ports: on the service that owns the pod's namespace`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// x-sidecar stop_grace on the infra service is the pod's stop grace; without it the pod's
// budget covers the containers' own graces.
func TestComposeInfraStopGrace(t *testing.T) {
	for _, tc := range []struct {
		infraX string
		want   time.Duration
	}{
		{"{role: infra, stop_grace: 5s}", 5 * time.Second},
		{"{role: infra}", 50 * time.Second},
	} {
		st, _ := mustComposeLoad(t, `
services:
	infra:
		image: registry.k8s.io/pause:3.10.1
		x-sidecar: `+tc.infraX+`
	proxy:
		image: envoy:dev
		network_mode: service:infra
		stop_grace_period: 20s
	app:
		image: app:dev
		network_mode: service:infra
		depends_on: {proxy: {condition: service_healthy}}
		stop_grace_period: 30s
`, nil)
		if got := st.Pods[0].StopGrace.D(); got != tc.want {
			t.Errorf("x-sidecar %s: pod stop_grace %s, want %s", tc.infraX, got, tc.want)
		}
	}
}

// What the importer used to warn about without reason is quiet: an infra service's alias that
// is its pod's name, a sidecar's restart that x-sidecar replaces, plain named volumes. What
// changes behaviour is still said: another alias, x-sidecar fields an infra service has no
// use for, external volumes, volume drivers. A volume several pods use is theirs to share.
func TestComposeImportWarnings(t *testing.T) {
	st, ws := mustComposeLoad(t, `
services:
	web-infra:
		image: registry.k8s.io/pause:3.10.1
		networks: {default: {aliases: [web]}}
		x-sidecar: {role: infra, pod: web, ready: {tcp: {port: 80}}}
	proxy:
		image: envoy:dev
		network_mode: service:web-infra
		restart: "no"
		volumes: ["scratch:/tmp/s", "shared:/shared"]
		x-sidecar: {role: sidecar, restart: never}
	app:
		image: app:dev
		network_mode: service:web-infra
		volumes: ["db:/var/lib/db", "cache:/cache"]
	api-infra:
		image: registry.k8s.io/pause:3.10.1
		networks: {default: {aliases: [api, backend]}}
		x-sidecar: {role: infra, pod: api}
	api:
		image: api:dev
		network_mode: service:api-infra
		volumes: ["shared:/shared"]
volumes:
	scratch: {}
	shared: {}
	db: {external: true}
	cache: {driver: tmpfs-plugin}
`, nil)
	got := warningStrings(ws)
	want := []string{
		`c.yaml:6:40: warning: services.web-infra.x-sidecar.ready: web-infra is the pod's infra container, which runs no app; ready is not used`,
		`c.yaml:28:8: warning: volumes.db.external: sidecar does not use existing volumes: the pod gets a new, empty volume, which sidecar down removes; bind-mount a host directory to use data that exists`,
		`c.yaml:29:11: warning: volumes.cache.driver: pod volumes are local volumes, created empty by sidecar up and removed by sidecar down; the driver is not used`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(st.Volumes) != 1 || st.Volumes[0].Name != "shared" || st.Pod("web").Volume("shared") != nil {
		t.Errorf("shared is not the stack's: %+v", st.Volumes)
	}
	if got := st.Pod("api").Aliases; !reflect.DeepEqual(got, []string{"backend"}) {
		t.Errorf("pod api has aliases %q, want [backend]: an infra service's network aliases are the pod's", got)
	}
}

// The env files a service reads are kept in its env_file, so that an export names them again.
func TestComposeKeepsEnvFiles(t *testing.T) {
	st, _ := mustComposeLoad(t, `
services:
	app:
		image: app:dev
		env_file: [app.env, {path: optional.env, required: false}, needs-b.env]
		environment: {B: explicit}
`, map[string]string{"app.env": "A=1\nB=from-file\n", "needs-b.env": "C=${B:?B must be set}\n"})
	c := st.Pods[0].Main
	if want := []string{"app.env"}; !reflect.DeepEqual(c.EnvFile, want) {
		t.Errorf("env_file %q, want %q (a missing optional file is not kept, nor one that needs the service's own variables)", c.EnvFile, want)
	}
	if want := (Env{"A": "1", "B": "explicit", "C": "explicit"}); !reflect.DeepEqual(c.Env, want) {
		t.Errorf("env %v, want %v", c.Env, want)
	}
}
