package recipes

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Declared ports (expose): decoded in every form, printed by config in a form that decodes
// again.
func TestExposeDecode(t *testing.T) {
	st := mustLoad(t, "main: {image: app, expose: [8080, \"53/udp\", \"9000-9001\", {container_port: 7000}, {target: 7001, protocol: sctp}]}\n", Options{})
	want := []Port{{ContainerPort: 8080, Protocol: ProtoTCP}, {ContainerPort: 53, Protocol: ProtoUDP},
		{ContainerPort: 9000, Protocol: ProtoTCP}, {ContainerPort: 9001, Protocol: ProtoTCP},
		{ContainerPort: 7000, Protocol: ProtoTCP}, {ContainerPort: 7001, Protocol: ProtoSCTP}}
	if got := st.Pods[0].Main.Expose; !slices.Equal(got, want) {
		t.Fatalf("expose = %v, want %v", got, want)
	}
	out, err := EncodeYAML(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "expose:\n") {
		t.Errorf("config does not show expose:\n%s", out)
	}
	again := mustLoad(t, string(out), Options{})
	if got := again.Pods[0].Main.Expose; !slices.Equal(got, want) {
		t.Errorf("config's output decodes to expose = %v, want %v", got, want)
	}
}

func TestExposeBad(t *testing.T) {
	for in, want := range map[string]string{
		`["8080:80"]`:                          `sidecar.yaml:1:29: expose lists "8080:80", which publishes a port on the host: write the port the container listens on`,
		`[{host_port: 1, container_port: 2}]`:  "sidecar.yaml:1:41: an exposed port is not published on the host, so it has no host_port: move the port to ports: to publish it, or remove host_port to declare it only",
		`[abc]`:                                `sidecar.yaml:1:29: port "abc" has an invalid container port "abc"`,
		`[70000]`:                              "sidecar.yaml:1:29: exposed port 70000 of main container \"main\" is out of range: use a port from 1 to 65535",
		`[{protocol: udp}]`:                    "sidecar.yaml:1:29: exposed port has no container_port: add container_port: the port the app listens on",
		`8080`:                                 "sidecar.yaml:1:28: expose must be a list, found the number 8080: write a list, e.g. expose: [8080]",
		`[{container_port: 80, name: http}]`:   `unknown key "name" in exposed port`,
		`["127.0.0.1::80"]`:                    `expose lists "127.0.0.1::80", which publishes a port on the host`,
		`[{container_port: 80, protocol: ip}]`: `has an unknown protocol "ip"`,
	} {
		_, _, err := load(t, "main: {image: app, expose: "+in+"}\n", Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("expose: %s: got %v, want %q", in, err, want)
		}
	}
}

// Every pod whose containers declare or publish a port has a Service of its name, with each
// port on its number; a declared port is a containerPort without a hostPort.
func TestExportKubeDeclaredPorts(t *testing.T) {
	st := mustLoad(t, `name: shop
pods:
  db:
    main: {image: mysql:8, expose: [3306]}
  web:
    depends_on: [db]
    main: {image: wordpress, env: {WORDPRESS_DB_HOST: db}, ports: ["8080:80"], expose: [9000]}
    sidecars: [{name: metrics, image: exporter, expose: [9104, "9105/udp"]}]
`, Options{})
	out, warns, err := ExportKube(st, KubeOptions{Kind: KubeDeployment})
	if err != nil {
		t.Fatal(err)
	}
	deps, _, _, svcs, _ := decodeKube(t, out)
	ports := map[string][]string{}
	for _, s := range svcs {
		for _, p := range s.Spec.Ports {
			ports[s.Name] = append(ports[s.Name], p.Name)
		}
	}
	if got := strings.Join(ports["db"], " "); got != "tcp-3306" {
		t.Errorf("Service db ports = %q, want tcp-3306\n%s", got, out)
	}
	if got := strings.Join(ports["web"], " "); got != "tcp-80 tcp-9104 udp-9105 tcp-9000" {
		t.Errorf("Service web ports = %q\n%s", got, out)
	}
	db := deps[0].Spec.Template.Spec.Containers[0]
	if len(db.Ports) != 1 || db.Ports[0].ContainerPort != 3306 || db.Ports[0].HostPort != 0 {
		t.Errorf("db's container ports = %+v, want containerPort 3306 without hostPort", db.Ports)
	}
	for _, w := range warns {
		if strings.Contains(w.Message, "probes check") {
			t.Errorf("a probe warning for a pod that declares its ports: %s", w)
		}
	}
	back, _ := reimport(t, out)
	if got := back.Pod("web").Sidecars[0].Expose; !slices.Equal(got, st.Pod("web").Sidecars[0].Expose) {
		t.Errorf("re-imported metrics expose = %v, want %v", got, st.Pod("web").Sidecars[0].Expose)
	}
	if got := back.Pod("db").Main.Expose; !slices.Equal(got, []Port{{ContainerPort: 3306, Protocol: ProtoTCP}}) {
		t.Errorf("re-imported db expose = %v", got)
	}
}

// docs/recipe.md's store: db declares no port, but its ready probe checks 5432: its Service
// takes that port, with a warning; api has neither and gets no Service.
func TestExportKubeProbePortService(t *testing.T) {
	st := mustLoad(t, `name: store
pods:
  db:
    main: {image: postgres:16, ready: {tcp: {port: 5432}}}
  api:
    depends_on: [db]
    main: {image: store/api:dev}
`, Options{})
	out, warns, err := ExportKube(st, KubeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, pods, svcs, _ := decodeKube(t, out)
	if len(svcs) != 1 || svcs[0].Name != "db" || len(svcs[0].Spec.Ports) != 1 || svcs[0].Spec.Ports[0].Port != 5432 {
		t.Fatalf("services = %+v, want db on 5432\n%s", svcs, out)
	}
	if len(pods[0].Spec.Containers[0].Ports) != 0 {
		t.Errorf("db gets container ports %v: the probe's port is the Service's only", pods[0].Spec.Containers[0].Ports)
	}
	if !warned(warns, "pod db declares no port, so its Service db takes the port its probes check (5432)") {
		t.Errorf("no warning about the probe's port: %v", warns)
	}
	back, _ := reimport(t, out)
	if e := back.Pod("db").Main.Expose; len(e) != 0 {
		t.Errorf("re-imported db declares %v, want none (as the recipe)", e)
	}
}

// A pod with a subdomain (a StatefulSet's serviceName) gets the headless Service of that
// name, which gives it HOSTNAME.SUBDOMAIN in a cluster; the importer knows it as the pod's.
func TestExportKubeHeadlessService(t *testing.T) {
	st := mustLoad(t, `name: db
pods:
  mysql-0:
    hostname: mysql-0
    subdomain: mysql
    main: {image: mysql:8, expose: [3306]}
`, Options{})
	out, _, err := ExportKube(st, KubeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, svcs, _ := decodeKube(t, out)
	names := map[string]corev1.Service{}
	for _, s := range svcs {
		names[s.Name] = s
	}
	hl, ok := names["mysql"]
	if !ok || hl.Spec.ClusterIP != corev1.ClusterIPNone || len(hl.Spec.Ports) != 1 {
		t.Errorf("no headless Service mysql with port 3306:\n%s", out)
	}
	if _, ok := names["mysql-0"]; !ok {
		t.Errorf("no Service mysql-0, the pod's name:\n%s", out)
	}
	_, warns := reimport(t, out)
	for _, w := range warns {
		if strings.Contains(w.Message, "not as mysql") {
			t.Errorf("importing the export warns about its own headless Service: %s", w)
		}
	}
}

// Kubernetes containerPorts without a hostPort, which no Service publishes, are declared.
func TestKubeImportDeclaredPorts(t *testing.T) {
	st, _, err := Load(File{Name: "/x/k.yaml", Content: []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: demo-mysql}
spec:
  selector: {matchLabels: {app: mysql}}
  template:
    metadata: {labels: {app: mysql}}
    spec:
      containers:
      - name: mysql
        image: mysql:8
        ports: [{containerPort: 3306, name: mysql}, {containerPort: 33060}, {containerPort: 8080, hostPort: 8080}]
`)}, Options{Dir: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	c := st.Pods[0].Main
	if want := []Port{{ContainerPort: 3306, Protocol: ProtoTCP}, {ContainerPort: 33060, Protocol: ProtoTCP}}; !slices.Equal(c.Expose, want) {
		t.Errorf("expose = %v, want %v", c.Expose, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].HostPort != 8080 {
		t.Errorf("ports = %v", c.Ports)
	}
}

// compose expose: declared, on the container (or main, on an infra service); exported back.
func TestComposeExpose(t *testing.T) {
	st, _, err := Load(File{Name: "/x/compose.yaml", Content: []byte(`services:
  db:
    image: mysql:8
    expose: ["3306", "33060-33061", "53/udp"]
  web:
    image: wordpress
    expose: [80]
`)}, Options{Dir: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Port{{ContainerPort: 3306, Protocol: ProtoTCP}, {ContainerPort: 33060, Protocol: ProtoTCP},
		{ContainerPort: 33061, Protocol: ProtoTCP}, {ContainerPort: 53, Protocol: ProtoUDP}}
	if got := st.Pod("db").Main.Expose; !slices.Equal(got, want) {
		t.Fatalf("db expose = %v, want %v", got, want)
	}
	out, _, err := ExportCompose(st, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "expose:\n      - \"3306\"\n      - \"33060\"\n      - \"33061\"\n      - 53/udp\n") {
		t.Errorf("the compose export does not declare db's ports:\n%s", out)
	}
	back, _, err := Load(File{Name: "/x/exported.compose.yaml", Content: out}, Options{Dir: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Pod("db").Main.Expose; !slices.Equal(got, want) {
		t.Errorf("re-imported db expose = %v, want %v", got, want)
	}
	if _, _, err := Load(File{Name: "/x/compose.yaml", Content: []byte("services:\n  db:\n    image: mysql\n    expose: [\"3306:3306\"]\n")}, Options{Dir: "/x"}); err == nil ||
		!strings.Contains(err.Error(), `compose.yaml:4:14: expose lists "3306:3306", which publishes a port on the host`) {
		t.Errorf("a host port in expose: %v", err)
	}
}

// A Secret volume exports as a Secret volume with a Secret of its own, with a warning, never
// as a plaintext ConfigMap; it imports back the same.
func TestExportKubeSecretVolume(t *testing.T) {
	st, _, err := Load(File{Name: "/x/k.yaml", Content: []byte(`apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {token: abc}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - name: app
    image: app
    volumeMounts: [{name: creds, mountPath: /creds}]
  volumes:
  - name: creds
    secret: {secretName: s}
`)}, Options{Dir: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if v := st.Pods[0].Volume("creds"); v == nil || !v.Secret || v.Files["token"] != "abc" {
		t.Fatalf("imported volume = %+v, want a secret one holding token", v)
	}
	out, warns, err := ExportKube(st, KubeOptions{Kind: KubePod})
	if err != nil {
		t.Fatal(err)
	}
	_, _, pods, _, cms := decodeKube(t, out)
	if len(cms) != 0 {
		t.Errorf("the Secret's files are in a ConfigMap:\n%s", out)
	}
	var secret corev1.Secret
	for _, doc := range expSplitDocs(out) {
		if strings.Contains(string(doc), "kind: Secret") {
			secret = strictAppend(t, doc, []corev1.Secret{})[0]
		}
	}
	if secret.Name != "app-creds" || secret.StringData["token"] != "abc" {
		t.Errorf("Secret = %+v, want app-creds with token abc\n%s", secret, out)
	}
	vols := pods[0].Spec.Volumes
	if len(vols) != 1 || vols[0].Secret == nil || vols[0].Secret.SecretName != "app-creds" {
		t.Errorf("volumes = %+v, want a secret volume of app-creds", vols)
	}
	if !warned(warns, "volume creds comes from a Secret, so it becomes Secret app-creds, which the manifest holds in plain text") {
		t.Errorf("no warning that the Secret is in the manifest: %v", warns)
	}
	back, _ := reimport(t, out)
	if v := back.Pods[0].Volume("creds"); v == nil || !v.Secret || v.Files["token"] != "abc" {
		t.Errorf("re-imported volume = %+v", v)
	}
}

// A volume whose files look like secrets (the rule of secret-looking variables) is a Secret;
// secret: true in sidecar.yaml makes any volume one, and config shows it.
func TestExportKubeSecretLookingFiles(t *testing.T) {
	st := mustLoad(t, `main: {image: app, volumes: ["a:/a", "b:/b", "c:/c"]}
volumes:
  a: {files: {api-token: x, app.conf: y}}
  b: {files: {app.conf: y}}
  c: {files: {cert.pem: z}, secret: true}
`, Options{})
	if !st.Pods[0].Volume("c").Secret {
		t.Fatal("secret: true is not decoded")
	}
	if y, _ := EncodeYAML(st); !strings.Contains(string(y), "secret: true") {
		t.Errorf("config does not show secret: true:\n%s", y)
	}
	out, warns, err := ExportKube(st, KubeOptions{Kind: KubePod})
	if err != nil {
		t.Fatal(err)
	}
	_, _, pods, _, cms := decodeKube(t, out)
	if len(cms) != 1 || cms[0].Name != "shop-b" {
		t.Errorf("ConfigMaps = %v, want shop-b only", cms)
	}
	kinds := map[string]string{}
	for _, v := range pods[0].Spec.Volumes {
		kinds[v.Name] = map[bool]string{true: "secret", false: "configMap"}[v.Secret != nil]
	}
	if kinds["a"] != "secret" || kinds["b"] != "configMap" || kinds["c"] != "secret" {
		t.Errorf("volume kinds = %v", kinds)
	}
	if !warned(warns, "volume a holds a file that looks like a secret (api-token), so it becomes Secret shop-a") {
		t.Errorf("warnings = %v", warns)
	}
}

// A compose secret from an environment variable is a secret volume.
func TestComposeEnvSecretVolume(t *testing.T) {
	st, _, err := Load(File{Name: "/x/compose.yaml", Content: []byte(`services:
  app: {image: app, secrets: [tok]}
secrets:
  tok: {environment: TOK}
`)}, Options{Dir: "/x", Env: map[string]string{"TOK": "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := st.Pods[0].Volume("secret-tok"); v == nil || !v.Secret {
		t.Errorf("volume = %+v, want a secret one", v)
	}
}

// reimport loads manifest, exported by ExportKube, back as a recipe of /x.
func reimport(t *testing.T, manifest []byte) (*Stack, []Warning) {
	t.Helper()
	st, warns, err := Load(File{Name: "/x/exported.yaml", Content: manifest}, Options{Dir: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	return st, warns
}

// warned reports whether one of warns says msg.
func warned(warns []Warning, msg string) bool {
	return slices.ContainsFunc(warns, func(w Warning) bool { return strings.Contains(w.Message, msg) })
}
