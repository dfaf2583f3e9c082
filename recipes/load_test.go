package recipes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// load is Load on an inline recipe, with bind sources never checked against the disk.
func load(t *testing.T, content string, opts Options) (*Stack, []Warning, error) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = "/work/shop"
	}
	if opts.Stat == nil {
		opts.Stat = func(string) (fs.FileInfo, error) { return nil, nil }
	}
	if opts.ReadFile == nil {
		opts.ReadFile = func(p string) ([]byte, error) { return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist} }
	}
	return Load(File{Name: "sidecar.yaml", Content: []byte(content)}, opts)
}

func mustLoad(t *testing.T, content string, opts Options) *Stack {
	t.Helper()
	st, _, err := load(t, content, opts)
	if err != nil {
		t.Fatalf("load failed:\n%v", err)
	}
	return st
}

func TestInterpolation(t *testing.T) {
	tests := []struct {
		name  string
		value string
		env   map[string]string
		want  string
	}{
		{"plain", "${TAG}", map[string]string{"TAG": "v1"}, "v1"},
		{"unbraced", "$TAG", map[string]string{"TAG": "v1"}, "v1"},
		{"default when unset", "${TAG:-dev}", nil, "dev"},
		{"default when empty", "${TAG:-dev}", map[string]string{"TAG": ""}, "dev"},
		{"dash keeps empty", "${TAG-dev}", map[string]string{"TAG": ""}, ""},
		{"dash default when unset", "${TAG-dev}", nil, "dev"},
		{"required and set", "${TAG:?give a tag}", map[string]string{"TAG": "v2"}, "v2"},
		{"escaped dollar", "$${TAG}", map[string]string{"TAG": "v1"}, "${TAG}"},
		{"unset is empty", "a${NOPE}b", nil, "ab"},
		{"nested default", "${A:-${B:-deep}}", nil, "deep"},
		{"in the middle", "pre-${TAG}-post", map[string]string{"TAG": "x"}, "pre-x-post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mustLoad(t, "main: {image: app, command: [\""+tt.value+"\"]}\n", Options{Env: tt.env})
			if got := st.Pods[0].Main.Command[0]; got != tt.want {
				t.Errorf("%q → %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

func TestInterpolationKeepsPositionsAndSkipsKeys(t *testing.T) {
	_, _, err := load(t, "main:\n  image: app\n  ${KEY}: 1\n  ports: [\"${P}\"]\n", Options{Env: map[string]string{"P": "70000", "KEY": "image"}})
	if err == nil {
		t.Fatal("want problems")
	}
	got := err.Error()
	for _, want := range []string{`sidecar.yaml:3:3: unknown key "${KEY}"`, "sidecar.yaml:4:11: container port ${P}"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestRequiredVariable(t *testing.T) {
	_, _, err := load(t, "main: {image: \"app:${V:?set V to the version}\"}\n", Options{})
	if err == nil || !strings.Contains(err.Error(), "sidecar.yaml:1:15: variable V is required but not set (set V to the version)") {
		t.Fatalf("got %v", err)
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("a failed substitution must be reported once, got:\n%v", err)
	}
}

// The loader must never read the process environment: only Options.Env.
func TestNoProcessEnvironment(t *testing.T) {
	t.Setenv("SIDECAR_LEAK_TEST", "leaked")
	recipe := "main: {image: \"app:${SIDECAR_LEAK_TEST:-clean}\", env: [SIDECAR_LEAK_TEST]}\n"

	st := mustLoad(t, recipe, Options{})
	if got := st.Pods[0].Main.Image; got != "app:clean" {
		t.Errorf("without Options.Env the image is %q, want app:clean: the process environment leaked in", got)
	}
	if _, ok := st.Pods[0].Main.Env["SIDECAR_LEAK_TEST"]; ok {
		t.Errorf("env entry without value took the process environment's value")
	}

	st = mustLoad(t, recipe, Options{Env: map[string]string{"SIDECAR_LEAK_TEST": os.Getenv("SIDECAR_LEAK_TEST")}})
	if got := st.Pods[0].Main.Image; got != "app:leaked" {
		t.Errorf("with the variable passed in, image is %q, want app:leaked", got)
	}
	if got := st.Pods[0].Main.Env["SIDECAR_LEAK_TEST"]; got != "leaked" {
		t.Errorf("env entry without value = %q, want the passed-in value", got)
	}
}

func TestDotEnv(t *testing.T) {
	files := map[string]string{
		"/work/shop/.env":     "TAG=from-dotenv\nPORT=9000\nDERIVED=${BASE}-x\n",
		"/work/shop/app.env":  "FROM_FILE=1\nLEVEL=file\n",
		"/work/shop/more.env": "LEVEL=more\n",
	}
	read := func(p string) ([]byte, error) {
		if c, ok := files[p]; ok {
			return []byte(c), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	recipe := `main:
  image: app:${TAG:-none}
  command: ["${PORT}", "${DERIVED}"]
  env_file: [app.env, more.env]
  env: {LEVEL: explicit}
`
	st := mustLoad(t, recipe, Options{DotEnv: true, ReadFile: read, Env: map[string]string{"TAG": "from-env", "BASE": "b"}})
	m := st.Pods[0].Main
	if m.Image != "app:from-env" {
		t.Errorf("Env must win over .env: image %q", m.Image)
	}
	if m.Command[0] != "9000" || m.Command[1] != "b-x" {
		t.Errorf(".env values not used (or not interpolated from Env): %q", m.Command)
	}
	if m.Env["FROM_FILE"] != "1" || m.Env["LEVEL"] != "explicit" {
		t.Errorf("env_file merge: %v", m.Env)
	}

	st = mustLoad(t, recipe, Options{DotEnv: false, ReadFile: read})
	if st.Pods[0].Main.Image != "app:none" {
		t.Errorf("without DotEnv, .env must not be read: image %q", st.Pods[0].Main.Image)
	}
}

// A .env that does not parse is the one problem: the load goes on with Options.Env, so
// what comes from it is not reported missing too — in a recipe and in a compose file.
func TestBadDotEnvKeepsEnv(t *testing.T) {
	read := func(p string) ([]byte, error) {
		if filepath.Base(p) == ".env" {
			return []byte("NOT A LINE\n"), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	for _, f := range []File{
		{Name: "sidecar.yaml", Content: []byte("main:\n  image: ${IMG}\n")},
		{Name: "compose.yaml", Content: []byte("services:\n  web:\n    image: ${IMG}\n")},
	} {
		_, _, err := Load(f, Options{Dir: "/work/shop", DotEnv: true, ReadFile: read, Env: map[string]string{"IMG": "app:1"}})
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Pos.String() != "/work/shop/.env:1:1" || !strings.Contains(ps[0].Message, "not NAME=value") {
			t.Errorf("%s: problems %v, want the .env's alone", f.Name, err)
		}
	}
}

func TestShortForms(t *testing.T) {
	tests := []struct {
		name, field string
		want        any
	}{
		{"command string", `command: /app --name "a b" 'c d'`, []string{"/app", "--name", "a b", "c d"}},
		{"command list", `command: ["/app", "--x"]`, []string{"/app", "--x"}},
		{"entrypoint string", `entrypoint: /bin/sh -c`, []string{"/bin/sh", "-c"}},
		{"env map", `env: {A: 1, B: true, C: "x"}`, Env{"A": "1", "B": "true", "C": "x"}},
		{"env list", `env: ["A=1", "B=", "C=x=y"]`, Env{"A": "1", "B": "", "C": "x=y"}},
		{"build string", `build: ./web`, &Build{Context: "./web", Dockerfile: "Dockerfile"}},
		{"build long", `build: {context: web, dockerfile: D, args: [X=1], target: t}`, &Build{Context: "web", Dockerfile: "D", Args: map[string]string{"X": "1"}, Target: "t"}},
		{"port container only", `ports: ["8080"]`, []Port{{ContainerPort: 8080}}},
		{"port number", `ports: [8080]`, []Port{{ContainerPort: 8080}}},
		{"port host:container", `ports: ["8080:80"]`, []Port{{HostPort: 8080, ContainerPort: 80}}},
		{"port ip", `ports: ["127.0.0.1:8080:80"]`, []Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80}}},
		{"port ipv6", `ports: ["[::1]:8080:80"]`, []Port{{HostIP: "::1", HostPort: 8080, ContainerPort: 80}}},
		{"port udp", `ports: ["53:53/udp"]`, []Port{{HostPort: 53, ContainerPort: 53, Protocol: ProtoUDP}}},
		{"port range", `ports: ["9000-9002:8000-8002"]`, []Port{{HostPort: 9000, ContainerPort: 8000}, {HostPort: 9001, ContainerPort: 8001}, {HostPort: 9002, ContainerPort: 8002}}},
		{"port container range", `ports: ["7000-7001"]`, []Port{{ContainerPort: 7000}, {ContainerPort: 7001}}},
		{"port long", `ports: [{host_ip: 0.0.0.0, host_port: 8080, container_port: 80, protocol: UDP}]`, []Port{{HostIP: "0.0.0.0", HostPort: 8080, ContainerPort: 80, Protocol: ProtoUDP}}},
		{"port long compose names", `ports: [{published: 8080, target: 80}]`, []Port{{HostPort: 8080, ContainerPort: 80}}},
		{"volume named", `volumes: ["logs:/var/log"]`, []Mount{{Type: MountVolume, Source: "logs", Target: "/var/log"}}},
		{"volume bind ro", `volumes: ["./conf:/etc/conf:ro"]`, []Mount{{Type: MountBind, Source: "./conf", Target: "/etc/conf", ReadOnly: true}}},
		{"volume abs", `volumes: ["/abs:/x:rw"]`, []Mount{{Type: MountBind, Source: "/abs", Target: "/x"}}},
		{"volume home", `volumes: ["~/data:/x"]`, []Mount{{Type: MountBind, Source: "~/data", Target: "/x"}}},
		{"volume long", `volumes: [{source: logs, target: /l, read_only: true, sub_path: a}]`, []Mount{{Type: MountVolume, Source: "logs", Target: "/l", ReadOnly: true, SubPath: "a"}}},
		{"probe defaults", `ready: {http: {port: 80}}`, &Probe{HTTP: &HTTPProbe{Port: 80, Path: "/"}, Period: Duration(DefaultProbePeriod), Timeout: Duration(DefaultProbeTimeout), Retries: DefaultProbeRetries}},
		{"exec probe string", `ready: {exec: {command: "/check -q"}, retries: 1}`, &Probe{Exec: &ExecProbe{Command: []string{"/check", "-q"}}, Period: Duration(DefaultProbePeriod), Timeout: Duration(DefaultProbeTimeout), Retries: 1}},
		{"restart", `restart: on-failure`, RestartOnFailure},
		{"restart default", `user: "1000"`, RestartNever},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mustLoad(t, "main:\n  image: app\n  "+tt.field+"\nvolumes: {logs: {}}\n", Options{})
			key, _, _ := strings.Cut(tt.field, ":")
			if _, ok := tt.want.(RestartPolicy); ok {
				key = "restart" // the default is what another field leaves
			}
			got := yamlField(st.Pods[0].Main, key)
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tt.want)
				t.Errorf("%s\n got %s\nwant %s", tt.field, g, w)
			}
		})
	}
}

// yamlField is the field of c that key names in a recipe (its yaml tag), nil for none.
func yamlField(c *Container, key string) any {
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		if name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); name == key {
			return v.Field(i).Interface()
		}
	}
	return nil
}

func TestDefaults(t *testing.T) {
	st := mustLoad(t, `main: {build: ./app}
sidecars: [{name: proxy, image: proxy}]
init: [{name: setup, image: setup}]
`, Options{Dir: "/home/me/My Project_2"})
	if st.Name != "my-project-2" {
		t.Errorf("stack name from the directory = %q, want my-project-2", st.Name)
	}
	p := st.Pods[0]
	if p.Name != st.Name || p.StopGrace.D() != DefaultPodStopGrace {
		t.Errorf("pod = %q grace %s", p.Name, p.StopGrace)
	}
	if m := p.Main; m.Name != "main" || m.Image != "my-project-2-my-project-2-main:latest" || m.Build.Dockerfile != "Dockerfile" || m.Restart != RestartNever || m.Role != RoleMain {
		t.Errorf("main defaults: %+v %+v", m, m.Build)
	}
	if c := p.Sidecars[0]; c.Restart != RestartAlways || c.Role != RoleSidecar {
		t.Errorf("sidecar defaults: %+v", c)
	}
	if c := p.Init[0]; c.Restart != RestartNever || c.Role != RoleInit {
		t.Errorf("init defaults: %+v", c)
	}
	b := st.Backoff
	if b.Initial.D() != DefaultBackoffInitial || b.Max.D() != DefaultBackoffMax || b.Reset.D() != DefaultBackoffReset {
		t.Errorf("backoff defaults: %+v", b)
	}
	if st.Dir != "/home/me/My Project_2" || st.Source.Kind != SourceRecipe || st.Source.File != "sidecar.yaml" {
		t.Errorf("dir/source: %q %+v", st.Dir, st.Source)
	}

	st = mustLoad(t, "name: from-file\nmain: {image: app}\n", Options{Name: "override"})
	if st.Name != "override" || st.Pods[0].Name != "override" {
		t.Errorf("Options.Name must override name:, got stack %q pod %q", st.Name, st.Pods[0].Name)
	}
}

// An importer hands over a raw stack: names, roles and defaults missing. Normalise and
// validate must do the rest, and leave the importer's stack alone.
func TestNormaliseImportedStack(t *testing.T) {
	raw := &Stack{Dir: "/src/Shop", Pods: []*Pod{{
		Main:      &Container{Image: "web", Ready: &Probe{TCP: &TCPProbe{Port: 80}}},
		Sidecars:  []*Container{{Name: "proxy", Image: "proxy"}},
		Volumes:   []*Volume{{Name: "b"}, {Name: "a"}},
		DependsOn: nil,
	}}}
	before, _ := json.Marshal(raw)
	pos := NewPositions("compose.yaml")
	st, probs := normalise(raw, Options{}, nil, pos)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	after, _ := json.Marshal(raw)
	if string(before) != string(after) {
		t.Errorf("normalise changed its input:\n%s\n%s", before, after)
	}
	p := st.Pods[0]
	if st.Name != "shop" || p.Name != "shop" || p.Main.Name != "main" || p.Main.Role != RoleMain || p.Sidecars[0].Restart != RestartAlways {
		t.Errorf("not normalised: %+v %+v", st, p.Main)
	}
	if p.Volumes[0].Name != "a" || p.Main.Ready.Retries != DefaultProbeRetries {
		t.Errorf("volumes not sorted or probe defaults missing")
	}
	if ps, _ := validate(st, pos, nil, nil); len(ps) > 0 {
		t.Errorf("valid imported stack has problems: %v", ps)
	}

	raw.Pods[0].Sidecars[0].Name = "infra"
	st, _ = normalise(raw, Options{}, nil, pos)
	ps, _ := validate(st, pos, nil, nil)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), `container name "infra" is reserved`) || ps[0].Pos.File != "compose.yaml" {
		t.Errorf("validation of imported stack: %v", ps)
	}
}

func TestPodOrder(t *testing.T) {
	st := mustLoad(t, `pods:
  e: {main: {image: x}, depends_on: [d]}
  a: {main: {image: x}}
  d: {main: {image: x}, depends_on: [b, b, a]}
  c: {main: {image: x}}
  b: {main: {image: x}}
`, Options{})
	var got []string
	for _, p := range st.Pods {
		got = append(got, p.Name)
	}
	if strings.Join(got, " ") != "a c b d e" {
		t.Errorf("pod order %v, want a c b d e (dependencies first, else declared order)", got)
	}
	if d := st.Pod("d").DependsOn; !reflect.DeepEqual(d, DepsOf("a", "b")) {
		t.Errorf("depends_on not sorted and de-duplicated: %v", d)
	}
}

// Waiting for a pod that is not a job to complete waits for it to be ready, as the compose
// importer has a service_completed_successfully on a service pod wait: a warning at the
// condition says so and how to choose.
func TestCompletedOnAServicePodIsWarned(t *testing.T) {
	st, warns, err := Load(File{Name: "sidecar.yaml", Content: []byte(`name: s
pods:
  db: {main: {image: db}}
  api:
    depends_on: [{pod: db, condition: completed}]
    main: {image: api}
`)}, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if d := st.Pod("api").DependsOn; !reflect.DeepEqual(d, []PodDep{{Pod: "db", Condition: DepCompleted}}) {
		t.Errorf("depends_on %v, want db completed, as written", d)
	}
	want := "sidecar.yaml:5:39: warning: pod api waits for pod db to complete, but db is not a job and never completes: api starts once the main of db is ready (mark db job: true to run it to completion first, or make the condition ready)"
	if got := string(warningText(warns)); got != want+"\n" {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
}

func TestCyclePositionAfterSort(t *testing.T) {
	_, _, err := load(t, `pods:
  a: {main: {image: x}, depends_on: [z, b]}
  b: {main: {image: x}, depends_on: [a]}
  z: {main: {image: x}}
`, Options{})
	if err == nil {
		t.Fatal("want a cycle")
	}
	// a → b is the second entry as written (line 2, column 41) even though sorting moves it.
	if !strings.Contains(err.Error(), "sidecar.yaml:3:38: pods depend on each other in a cycle: a → b → a") &&
		!strings.Contains(err.Error(), "sidecar.yaml:2:41: pods depend on each other in a cycle: b → a → b") {
		t.Errorf("cycle not named or misplaced:\n%v", err)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		content string
		want    SourceKind
	}{
		{"main: {image: x}\n", SourceRecipe},
		{"pods: {}\n", SourceRecipe},
		{"services:\n  web: {image: nginx}\n", SourceCompose},
		{"version: '3'\nservices: {}\n", SourceCompose},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", SourceKube},
		{"# comment\n---\napiVersion: v1\nkind: ConfigMap\n---\napiVersion: apps/v1\nkind: Deployment\n", SourceKube},
		{"{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}", SourceKube},
		{"", SourceRecipe},
		{"a: [unclosed\n", SourceRecipe},
		{"just text", SourceRecipe},
		{"main: {image: x}\nservices: {}\n", SourceRecipe},
		{"volumes: {data: {}}\nnetworks: {front: {}}\n", SourceCompose},
		{"name: x\nsecrets: {s: {file: s.txt}}\n", SourceCompose},
		{"volumes: {data: {}}\n", SourceRecipe},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.content)); got != tt.want {
			t.Errorf("Detect(%q) = %v, want %v", tt.content, got, tt.want)
		}
	}
}

func TestAllProblemsReported(t *testing.T) {
	_, _, err := load(t, `name: x
main:
  image: app
  ports: ["99999"]
  restart: maybe
sidecars:
  - {name: a, image: a, ready: {tcp: {}}}
  - {name: a, image: a, volumes: ["nope:/x"]}
`, Options{})
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v", err)
	}
	if len(ps) != 5 {
		t.Errorf("want 5 problems, got %d:\n%v", len(ps), err)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Pos.Line < ps[i-1].Pos.Line {
			t.Errorf("problems not in file order:\n%v", err)
		}
	}
}

func TestBindSourceWarning(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "conf"), 0o755)
	_, warns, err := Load(File{Name: filepath.Join(dir, "sidecar.yaml"), Content: []byte("main: {image: app, volumes: [\"./conf:/a\", \"./missing:/b\"]}\n")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].String(), "./missing") || warns[0].Pos.Line != 1 {
		t.Errorf("want one warning about ./missing, got %v", warns)
	}
}

// Which bind mounts have a missing source created, as docker compose, docker run -v and the
// kubelet do, and which must exist; the warning about a missing source says which happens.
func TestBindMountMustExist(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		want                map[string]bool // bind source → MustExist
	}{
		{"compose", "compose.yaml", `
services:
  web:
    image: app
    volumes:
      - ./short:/a
      - {type: bind, source: ./long, target: /b}
      - {type: bind, source: ./created, target: /c, bind: {create_host_path: true}}
      - {type: bind, source: ./refused, target: /d, bind: {create_host_path: false}}
`, map[string]bool{"./short": false, "./long": false, "./created": false, "./refused": true}},
		{"recipe", "sidecar.yaml", `
main:
  image: app
  volumes: ["./short:/a", {source: ./long, target: /b}, {source: ./refused, target: /d, must_exist: true}]
`, map[string]bool{"./short": false, "./long": false, "./refused": true}},
		{"kube", "pod.yaml", `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: app
      volumeMounts: [{name: a, mountPath: /a}, {name: b, mountPath: /b}, {name: c, mountPath: /c}, {name: d, mountPath: /d}]
  volumes:
    - {name: a, hostPath: {path: /srv/untyped}}
    - {name: b, hostPath: {path: /srv/created, type: DirectoryOrCreate}}
    - {name: c, hostPath: {path: /srv/refused, type: Directory}}
    - {name: d, hostPath: {path: /srv/socket, type: Socket}}
`, map[string]bool{"/srv/untyped": false, "/srv/created": false, "/srv/refused": true, "/srv/socket": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, warns, err := Load(File{Name: filepath.Join(dir, tc.file), Content: []byte(tc.content)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, m := range st.Pods[0].Main.Volumes {
				got[m.Source] = m.MustExist
			}
			for src, must := range tc.want {
				if g, ok := got[src]; !ok || g != must {
					t.Errorf("%s: must_exist %v (mounted: %v), want %v", src, g, ok, must)
				}
			}
			if len(warns) != len(tc.want) {
				t.Errorf("want one warning per missing source, got %v", warns)
			}
			for _, w := range warns {
				s := w.String()
				created := strings.Contains(s, "it is created, an empty directory")
				refused := strings.Contains(s, "is not created") && strings.Contains(s, "cannot be created until it does")
				for src, must := range tc.want {
					if strings.Contains(s, "source "+src+" ") && (must != refused || must == created) {
						t.Errorf("%s: warning %q, want it to say the directory is %s", src, s, map[bool]string{true: "not created", false: "created"}[must])
					}
				}
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, _, err := LoadFile(filepath.Join(t.TempDir(), "sidecar.yaml"), Options{})
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v (must match ErrInvalid and fs.ErrNotExist)", err)
	}
}

// `sidecar config -o yaml` prints the normalised stack; loading that output again must give
// the same stack.
func TestYAMLOutputLoadsAgain(t *testing.T) {
	files, _ := filepath.Glob("../testdata/recipes/good/*.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			st, _, err := loadCorpusFile(t, f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := EncodeYAML(st)
			if err != nil {
				t.Fatal(err)
			}
			again, _, err := Load(File{Name: "config.yaml", Content: out}, Options{Dir: filepath.Dir(f), Env: testEnv()})
			if err != nil {
				t.Fatalf("output does not load:\n%v\n%s", err, out)
			}
			a, _ := json.Marshal(st)
			b, _ := json.Marshal(again)
			if string(a) != string(b) {
				t.Errorf("round trip changed the stack:\n%s\n%s", a, b)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	keys := fieldNames(containerFields)
	for word, want := range map[string]string{
		"imgae": "image", "enviroment": "env", "environment": "env", "working_dir": "workdir",
		"sidcars": "", "xyz": "", "readinessProbe": "ready", "restrat": "restart", "i": "",
	} {
		if got := didYouMean(word, keys); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestHostIPWithoutHostPort(t *testing.T) {
	for _, ports := range []string{`["127.0.0.1::80"]`, `["[::1]::80"]`, `[{host_ip: 127.0.0.1, container_port: 80}]`} {
		st := mustLoad(t, "main: {image: app, ports: "+ports+"}\n", Options{})
		p := st.Pods[0].Main.Ports
		if len(p) != 1 || p[0].HostIP == "" || p[0].HostPort != 0 || p[0].ContainerPort != 80 {
			t.Errorf("%s → %+v", ports, p)
		}
	}
}

func TestStackNameFromRootDirectory(t *testing.T) {
	_, _, err := load(t, "main: {image: app}\n", Options{Dir: "/"})
	if err == nil || !strings.Contains(err.Error(), "sidecar.yaml:1:1: no stack name can be made from the directory") {
		t.Errorf("got %v", err)
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "x-a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("main: {image: app, command: *a9}\n")
	_, _, err := load(t, b.String(), Options{})
	if ps := problemsOf(t, err); len(ps) != 1 || !strings.Contains(err.Error(), "aliases expand the file to more than") {
		t.Fatalf("want exactly one problem, the expansion limit, got %v", err)
	}
}

func TestRecursiveAlias(t *testing.T) {
	_, _, err := load(t, "main: &m {image: app, command: [*m]}\n", Options{})
	if err == nil || !strings.Contains(err.Error(), "alias *m refers to the value that contains it") {
		t.Fatalf("got %v", err)
	}
}

func TestFlatKeysNextToPodsDoNotHidePodProblems(t *testing.T) {
	// The flat pod would be named "both" like the real pod: its problems must not mask the
	// real pod's.
	_, _, err := load(t, "name: both\nmain: {image: \"\"}\npods:\n  both:\n    main: {ready: {}}\n", Options{})
	if err == nil {
		t.Fatal("want problems")
	}
	for _, want := range []string{"2:1: main and pods cannot both be set", `5:11: main container "main" has no image`, "5:19: ready probe"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// problemsOf is the problems of a load that must fail.
func problemsOf(t *testing.T, err error) Problems {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	return ps
}

// A file larger than MaxFileSize is refused for what it is, before it is read whole.
func TestOversizedInput(t *testing.T) {
	big := bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)
	ps := problemsOf(t, func() error { _, _, err := load(t, string(big), Options{}); return err }())
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "more than the 4 MiB sidecar reads from one file") {
		t.Errorf("want one problem about the size, got:\n%v", ps)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadFile(path, Options{})
	var re *ReadError
	if !errors.As(err, &re) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "more than the 4 MiB sidecar reads from one file") {
		t.Errorf("want a ReadError about the size, got %v", err)
	}
	// A device that never ends is read through a limit, not whole.
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, _, err := LoadFile("/dev/zero", Options{})
		if err == nil || !strings.Contains(err.Error(), "the file is larger than the 4 MiB sidecar reads") {
			t.Errorf("want a ReadError about the size, got %v", err)
		}
	}
	// An env_file too: the problem is at its entry.
	read := func(p string) ([]byte, error) { return big, nil }
	_, _, err = load(t, "main: {image: app, env_file: [big.env]}\n", Options{ReadFile: read})
	if ps := problemsOf(t, err); len(ps) != 1 || ps[0].Pos.String() != "sidecar.yaml:1:31" || !strings.Contains(ps[0].Message, "more than the 4 MiB") || ps[0].Hint == "" {
		t.Errorf("want one problem at the env_file entry, got:\n%v", ps)
	}
}

// A document of hundreds of thousands of keys is refused for its size, with nothing else
// said about it (no "alias" problem, no "no main container").
func TestHugeDocument(t *testing.T) {
	var b strings.Builder
	for i := range 250_000 {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, _, err := load(t, b.String(), Options{})
	ps := problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].Message, "more than 200000 YAML nodes") || strings.Contains(ps[0].Message, "alias") {
		t.Errorf("want one problem about the nodes, got:\n%v", ps)
	}
}

// What a process cannot be started with is a validation problem, placed, not an engine
// error in up.
func TestEngineLimits(t *testing.T) {
	huge := strings.Repeat("x", 200<<10)
	_, _, err := load(t, "main:\n  image: app\n  command: [run, \""+huge+"\"]\n  env: {BIG: \""+huge+"\"}\n", Options{})
	ps := problemsOf(t, err)
	if len(ps) != 2 || !strings.Contains(ps[0].String(), `sidecar.yaml:3:12: command word 2 of main container "main" is 200 KiB long`) ||
		!strings.Contains(ps[1].String(), `sidecar.yaml:4:14: env BIG of main container "main" is 200 KiB long`) {
		t.Errorf("want two problems, at the word and at the variable:\n%v", ps)
	}
	var env strings.Builder
	for i := range 10 {
		fmt.Fprintf(&env, "    V%d: %q\n", i, strings.Repeat("y", 120<<10))
	}
	_, _, err = load(t, "main:\n  image: app\n  env:\n"+env.String(), Options{})
	ps = problemsOf(t, err)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), `sidecar.yaml:2:3: the command and environment of main container "main" add up to 1.2 MiB`) {
		t.Errorf("want one problem about the total:\n%v", ps)
	}
}

// A value substituted from the environment is never shown in a message: a secret misused
// as a port is named by its variable.
func TestSubstitutedValueNotEchoed(t *testing.T) {
	const secret = "sk-live-0123456789abcdefghijklmnopqrstuvwxyz-SECRET"
	env := map[string]string{"API_KEY": secret, "PIN": "73519", "HOST": "sk-live-abc"}
	for _, tc := range []struct{ name, content, want string }{
		{"recipe port", "main: {image: app, ports: [\"${API_KEY}\"]}\n", "${API_KEY}"},
		{"recipe host port", "main: {image: app, ports: [\"${HOST}:80\"]}\n", "${HOST}"},
		{"recipe number", "main: {image: app, ports: [\"${PIN}\"]}\n", "container port ${PIN}"},
		{"recipe image", "main: {image: \"${API_KEY}\"}\n", "API_KEY"},
		{"compose port", "services:\n  web:\n    image: app\n    ports: [\"${API_KEY}:80\"]\n", "${API_KEY}"},
	} {
		_, _, err := load(t, tc.content, Options{Env: env})
		if err == nil {
			t.Errorf("%s: no problem", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, "sk-live") || strings.Contains(msg, "73519") {
			t.Errorf("%s: the message shows the value, or not the variable:\n%s", tc.name, msg)
		}
	}
}

// An empty entrypoint (compose's entrypoint: "") resets the image's ENTRYPOINT, so the stack
// as JSON (sidecar config -o json) keeps it; an unset one is left out.
func TestEmptyEntrypointShown(t *testing.T) {
	st, _, err := composeLoad(t, "services:\n  web: {image: img, entrypoint: \"\", command: [a]}\n  api: {image: img}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"entrypoint":[]`); n != 1 || strings.Count(string(b), `"entrypoint"`) != 1 {
		t.Errorf("want one empty entrypoint (web's) in %s", b)
	}
}

// A pod's aliases are written in sidecar.yaml as a list; a name another pod has is a
// warning at it, and the first pod keeps it (a pod's own name always wins).
func TestPodAliases(t *testing.T) {
	st, ws, err := load(t, `
name: shop
pods:
  db:
    aliases: [plausible_db, database, db]
    main: {image: postgres:16}
  app:
    aliases: [database, db, www]
    main: {image: app:dev}
`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Pod("db").Aliases; !slices.Equal(got, []string{"plausible_db", "database", "db"}) {
		t.Errorf("db's aliases as written: %q", got)
	}
	for pod, want := range map[string][]string{"db": {"plausible_db", "database"}, "app": {"www"}} {
		if got := st.PodAliases(st.Pod(pod)); !slices.Equal(got, want) {
			t.Errorf("PodAliases(%s) = %q, want %q", pod, got, want)
		}
	}
	want := []string{
		"sidecar.yaml:8:15: warning: alias database of pod app is an alias of pod db, which comes first: only db is reached by it",
		"sidecar.yaml:8:25: warning: alias db of pod app is the name of pod db: only db is reached by it",
	}
	if got := warningStrings(ws); !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A stack crosses the control socket as JSON (ApplyRequest): depends_on reads back as it was
// written, a ready dependency as the pod's name.
func TestDependsOnJSONRoundTrip(t *testing.T) {
	in := []PodDep{{Pod: "db"}, {Pod: "es", Condition: DepStarted}, {Pod: "seed", Condition: DepCompleted}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `["db",{"pod":"es","condition":"started"},{"pod":"seed","condition":"completed"}]`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var out []PodDep
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("read back %v, %v; want %v", out, err, in)
	}
	if err := json.Unmarshal([]byte(`[{"pod":"es","condition":"start"}]`), &out); err == nil {
		t.Error("an unknown condition reads back without an error")
	}
}

// Environment gives the problems of a .env it cannot read as its error, placed in the file as
// a load places them, and the environment without the file.
func TestEnvironmentDotEnvProblems(t *testing.T) {
	read := func(string) ([]byte, error) { return []byte("COMPOSE_FILE=a.yaml\nthis is not valid\n"), nil }
	env, err := Environment(Options{DotEnv: true, Dir: "/p", ReadFile: read, Env: map[string]string{"A": "1"}})
	var probs Problems
	if !errors.As(err, &probs) || len(probs) != 1 || !strings.HasPrefix(probs[0].String(), "/p/.env:2:1: this line is not NAME=value") {
		t.Fatalf("error %v, want the .env's problem at /p/.env:2:1", err)
	}
	if env["A"] != "1" || env["COMPOSE_FILE"] != "" {
		t.Errorf("environment %v, want Env alone", env)
	}
	read = func(string) ([]byte, error) { return []byte("COMPOSE_FILE=a.yaml\n"), nil }
	if env, err = Environment(Options{DotEnv: true, Dir: "/p", ReadFile: read}); err != nil || env["COMPOSE_FILE"] != "a.yaml" {
		t.Errorf("a good .env: %v, %v", env, err)
	}
}

// DNSLabel is the one DNS-label rule: what the importers name pods and containers with, and
// what orchestrator reads a command line's names through.
func TestDNSLabel(t *testing.T) {
	long := strings.Repeat("x", 62) + "_y"
	for in, want := range map[string]string{
		"web": "web", "Web.Envoy__V2": "web-envoy-v2", "__web__": "web", "___": "", "": "",
		long: strings.Repeat("x", 62), "café": "caf",
	} {
		if got := DNSLabel(in); got != want {
			t.Errorf("DNSLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
