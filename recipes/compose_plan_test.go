package recipes

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// svc builds a planner input: "name", then options "ns=X", "role=R", "infra", "pod=P" and
// dependencies "dep=X" (service_started), "healthy=X", "done=X" (completed), "opt=X"
// (started, not required).
func svc(name string, opts ...string) composeSvc {
	s := composeSvc{Name: name}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "ns":
			s.NS = v
		case "role":
			s.Role = v
		case "infra":
			s.Infra = true
		case "pod":
			s.Pod = v
		case "dep":
			s.Deps = append(s.Deps, composeDep{On: v, Condition: composeStarted, Required: true})
		case "healthy":
			s.Deps = append(s.Deps, composeDep{On: v, Condition: composeHealthy, Required: true})
		case "done":
			s.Deps = append(s.Deps, composeDep{On: v, Condition: composeCompleted, Required: true})
		case "opt":
			s.Deps = append(s.Deps, composeDep{On: v, Condition: composeStarted, Required: false})
		case "proxy":
			s.Proxy = true
		case "oneshot":
			s.OneShot = true
		case "job":
			j := v == "true"
			s.Job = &j
		default:
			panic("bad option " + o)
		}
	}
	return s
}

// render shows planned pods as one line each: "pod: init[a b] sidecars[c d] main=e
// deps[x y:started]", a dependency with its condition unless it is ready.
func renderPlan(pods []composePod, notes []composeNote) string {
	var b strings.Builder
	for _, p := range pods {
		var deps []string
		for _, d := range p.DependsOn {
			deps = append(deps, PodDep{Pod: d.Pod, Condition: d.Condition}.String())
		}
		fmt.Fprintf(&b, "%s: init%v sidecars%v main=%s deps%v", p.Name, p.Init, p.Sidecars, p.Main, deps)
		if p.Infra {
			b.WriteString(" infra=" + p.Owner)
		}
		if p.Job {
			b.WriteString(" job")
		}
		b.WriteString("\n")
	}
	for _, n := range notes {
		kind := "warning"
		if n.Problem {
			kind = "problem"
		}
		fmt.Fprintf(&b, "%s %s %v\n", kind, n.Svc, n.Field)
	}
	return b.String()
}

func TestComposePlan(t *testing.T) {
	tests := []struct {
		name string
		svcs []composeSvc
		want string
	}{
		{
			name: "a service alone is a pod",
			svcs: []composeSvc{svc("web")},
			want: "web: init[] sidecars[] main=web deps[]\n",
		},
		{
			name: "services riding on a namespace join its owner's pod, the owner is main",
			svcs: []composeSvc{svc("app"), svc("envoy", "ns=app"), svc("shipper", "ns=app")},
			want: "app: init[] sidecars[envoy shipper] main=app deps[]\n",
		},
		{
			name: "a started dependency on the namespace owner only restates network_mode",
			svcs: []composeSvc{svc("app"), svc("envoy", "ns=app", "dep=app"), svc("shipper", "ns=app", "dep=app")},
			want: "app: init[] sidecars[envoy shipper] main=app deps[]\n",
		},
		{
			name: "the leaf of depends_on is main even when it rides on another's namespace",
			svcs: []composeSvc{svc("vpn"), svc("app", "ns=vpn", "healthy=vpn")},
			want: "vpn: init[] sidecars[vpn] main=app deps[]\n",
		},
		{
			name: "several leaves: the namespace owner wins",
			svcs: []composeSvc{svc("vpn"), svc("app", "ns=vpn", "dep=vpn")},
			want: "vpn: init[] sidecars[app] main=vpn deps[]\n",
		},
		{
			name: "several leaves without the owner among them: the first, with a warning",
			svcs: []composeSvc{svc("pause", "infra"), svc("a", "ns=pause"), svc("b", "ns=pause")},
			want: "pause: init[] sidecars[b] main=a deps[] infra=pause\nwarning a []\n",
		},
		{
			name: "x-sidecar role main overrides the leaf rule",
			svcs: []composeSvc{svc("app"), svc("envoy", "ns=app", "role=main")},
			want: "app: init[] sidecars[app] main=envoy deps[]\n",
		},
		{
			name: "completed dependencies are init containers, in dependency order",
			svcs: []composeSvc{
				svc("web", "done=migrate", "done=seed"),
				svc("migrate", "ns=web", "done=seed"),
				svc("seed", "ns=web"),
			},
			want: "web: init[seed migrate] sidecars[] main=web deps[]\n",
		},
		{
			name: "an x-sidecar role keeps a completed dependency from making an init container",
			svcs: []composeSvc{svc("web", "done=job"), svc("job", "ns=web", "role=sidecar")},
			want: "web: init[] sidecars[job] main=web deps[]\nwarning web [depends_on job]\n",
		},
		{
			name: "sidecars follow depends_on, then file order",
			svcs: []composeSvc{
				svc("web", "healthy=b", "healthy=a", "healthy=c"),
				svc("a", "ns=web", "healthy=b"),
				svc("c", "ns=web"),
				svc("b", "ns=web"),
			},
			want: "web: init[] sidecars[c b a] main=web deps[]\n",
		},
		{
			name: "namespaces are shared transitively",
			svcs: []composeSvc{svc("c", "ns=b"), svc("b", "ns=a"), svc("a")},
			want: "a: init[] sidecars[c b] main=a deps[]\n",
		},
		{
			name: "dependencies between pods become pod dependencies, sorted, once each",
			svcs: []composeSvc{
				svc("web", "dep=db", "healthy=cache"),
				svc("sidecar", "ns=web", "dep=db"),
				svc("db"),
				svc("cache"),
			},
			want: "web: init[] sidecars[sidecar] main=web deps[cache db:started]\ndb: init[] sidecars[] main=db deps[]\ncache: init[] sidecars[] main=cache deps[]\n",
		},
		{
			name: "a pod waits for a pod as long as the longest wait of its services: started, then healthy (ready), then completed",
			svcs: []composeSvc{
				svc("web", "dep=db", "dep=seed", "dep=setup"),
				svc("sidecar", "ns=web", "healthy=db", "done=seed", "healthy=setup"),
				svc("db"),
				svc("seed"),
				svc("setup", "job=true"),
			},
			want: "web: init[] sidecars[sidecar] main=web deps[db seed setup]\ndb: init[] sidecars[] main=db deps[]\nseed: init[] sidecars[] main=seed deps[]\nsetup: init[] sidecars[] main=setup deps[] job\nwarning sidecar [depends_on seed]\n",
		},
		{
			name: "a job is waited for to start, to be ready or to complete, as each dependency says; the completion of a service that is not its main is its pod's readiness",
			svcs: []composeSvc{
				svc("a", "dep=seed"), svc("b", "healthy=seed"), svc("c", "done=seed"), svc("d", "done=helper"),
				svc("seed", "job=true"), svc("helper", "ns=seed"),
			},
			want: "a: init[] sidecars[] main=a deps[seed:started]\nb: init[] sidecars[] main=b deps[seed]\nc: init[] sidecars[] main=c deps[seed:completed]\nd: init[] sidecars[] main=d deps[seed]\nseed: init[] sidecars[helper] main=seed deps[] job\nwarning d [depends_on helper]\n",
		},
		{
			name: "waiting for the main of another pod to complete makes that pod a job",
			svcs: []composeSvc{svc("web", "done=migrate"), svc("migrate")},
			want: "web: init[] sidecars[] main=web deps[migrate:completed]\nmigrate: init[] sidecars[] main=migrate deps[] job\n",
		},
		{
			name: "a pod others wait for to start is no job, which is said to the one that waits for its completion",
			svcs: []composeSvc{svc("web", "done=migrate"), svc("api", "dep=migrate"), svc("migrate", "oneshot")},
			want: "web: init[] sidecars[] main=web deps[migrate]\napi: init[] sidecars[] main=api deps[migrate:started]\nmigrate: init[] sidecars[] main=migrate deps[]\nwarning web [depends_on migrate]\n",
		},
		{
			name: "restart: no that nobody waits for is a job; x-sidecar job decides over both",
			svcs: []composeSvc{svc("seed", "oneshot"), svc("web", "job=true"), svc("init", "oneshot", "job=false")},
			want: "seed: init[] sidecars[] main=seed deps[] job\nweb: init[] sidecars[] main=web deps[] job\ninit: init[] sidecars[] main=init deps[]\n",
		},
		{
			name: "a known proxy is a sidecar when another service can be main, even when the app depends on it",
			svcs: []composeSvc{svc("ts", "proxy"), svc("app", "ns=ts", "dep=ts"), svc("serve", "ns=ts", "proxy", "healthy=app")},
			// serve waits for app, which starts last: said.
			want: "ts: init[] sidecars[ts serve] main=app deps[]\nwarning serve [depends_on app]\n",
		},
		{
			name: "two proxies and nothing else: the usual rule",
			svcs: []composeSvc{svc("ts", "proxy"), svc("vpn", "ns=ts", "proxy")},
			want: "ts: init[] sidecars[vpn] main=ts deps[]\n",
		},
		{
			name: "an infra owner is not a container; alone it is no pod",
			svcs: []composeSvc{svc("pause", "infra"), svc("app", "ns=pause"), svc("lonely", "infra")},
			want: "pause: init[] sidecars[] main=app deps[] infra=pause\nwarning lonely []\n",
		},
		{
			name: "x-sidecar pod names the pod",
			svcs: []composeSvc{svc("web-infra", "infra", "pod=web"), svc("app", "ns=web-infra")},
			want: "web: init[] sidecars[] main=app deps[] infra=web-infra\n",
		},
		{
			name: "a sidecar waiting for main, an init waiting for a sidecar: warnings",
			svcs: []composeSvc{
				svc("web"),
				svc("envoy", "ns=web", "healthy=web", "role=sidecar"),
				svc("setup", "ns=web", "role=init", "dep=envoy"),
			},
			want: "web: init[setup] sidecars[envoy] main=web deps[]\nwarning envoy [depends_on web]\nwarning setup [depends_on envoy]\n",
		},
		{
			name: "unknown dependencies: a problem when required, nothing when optional",
			svcs: []composeSvc{svc("web", "dep=db", "opt=cache")},
			want: "web: init[] sidecars[] main=web deps[]\nproblem web [depends_on db]\n",
		},
		{
			name: "namespace loops and unknown namespaces are problems",
			svcs: []composeSvc{svc("a", "ns=b"), svc("b", "ns=a"), svc("c", "ns=nowhere")},
			want: "a: init[] sidecars[] main=a deps[]\nb: init[] sidecars[] main=b deps[]\nc: init[] sidecars[] main=c deps[]\nproblem a [network_mode]\nproblem c [network_mode]\n",
		},
		{
			name: "a depends_on loop inside a pod is a problem and the pod is not planned",
			svcs: []composeSvc{svc("web", "dep=side"), svc("side", "ns=web", "healthy=web")},
			want: "problem web [depends_on side]\n",
		},
		{
			name: "two mains, and a pod without a possible main",
			svcs: []composeSvc{
				svc("web", "role=main"), svc("other", "ns=web", "role=main"),
				svc("only", "role=sidecar"),
			},
			want: "web: init[] sidecars[] main=web deps[]\nproblem other [x-sidecar]\nproblem only []\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, notes := composePlan(tt.svcs)
			if got := renderPlan(pods, notes); got != tt.want {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

func TestComposeIsPause(t *testing.T) {
	for image, want := range map[string]bool{
		"registry.k8s.io/pause:3.10":               true,
		"rancher/mirrored-pause:3.6":               true,
		"gcr.io/google_containers/pause-amd64:3.1": true,
		"pause@sha256:0123":                        true,
		"localhost:5000/pause":                     true,
		"nginx:pause":                              false,
		"ghcr.io/acme/pausebot:1.0":                false,
		"kubernetes/pause":                         true,
		"example/unpause-job":                      false,
		"example/app":                              false,
		"":                                         false,
	} {
		if got := composeIsPause(image); got != want {
			t.Errorf("composeIsPause(%q) = %v, want %v", image, got, want)
		}
	}
}

// When several services wait for a pod to complete and it is not a job, the warning is the
// first one's in the file, whatever the number of waiters (it came from a map's order).
func TestComposeNotAJobWarnsTheFirstWaiter(t *testing.T) {
	const file = `services:
  migrate:
    image: m:1
    x-sidecar: {job: false}
  a: {image: a:1, depends_on: {migrate: {condition: service_completed_successfully}}}
  b: {image: b:1, depends_on: {migrate: {condition: service_completed_successfully}}}
  c: {image: c:1, depends_on: {migrate: {condition: service_completed_successfully}}}
  d: {image: d:1, depends_on: {migrate: {condition: service_completed_successfully}}}
`
	for range 20 {
		_, ws, err := composeLoad(t, file, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := warningStrings(ws)
		if !slices.ContainsFunc(got, func(w string) bool {
			return strings.HasPrefix(w, "c.yaml:5:") && strings.Contains(w, "a waits for migrate to complete, but its x-sidecar says job: false")
		}) {
			t.Fatalf("no warning on a, the first waiter:\n%s", strings.Join(got, "\n"))
		}
	}
}

// A role written in x-sidecar wins over the image: a pause image said to be main is the
// pod's main, not its infra container; a name that only holds the word is no pause image.
func TestComposePauseImageRoleWritten(t *testing.T) {
	st, _, err := composeLoad(t, `services:
  web: {image: "ghcr.io/acme/pausebot:1.0", ports: ["8080:8080"]}
  net: {image: "registry.k8s.io/pause:3.10"}
  app: {image: kubernetes/pause, network_mode: "service:net", x-sidecar: {role: main}}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := st.Pod("web"); w == nil || w.Main == nil || len(w.Main.Ports) != 1 {
		t.Errorf("pod web (image pausebot) = %+v, want it imported with its port", w)
	}
	if n := st.Pod("net"); n == nil || n.Main == nil || n.Main.Name != "app" {
		t.Errorf("pod net = %+v, want app as its main", n)
	}
}

// Waiting for a service to complete that joins another's namespace cannot be kept (only a
// pod's main is waited for to complete): the warning says what is waited for instead and
// how to get a job.
func TestComposeCompletedSidecarWarned(t *testing.T) {
	_, ws, err := composeLoad(t, `services:
  db: {image: postgres:16}
  migrate: {image: app:1, command: [migrate], network_mode: "service:db"}
  worker: {image: app:1, depends_on: {migrate: {condition: service_completed_successfully}}}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "c.yaml:4:39: warning: services.worker.depends_on.migrate: worker waits for migrate to complete, but migrate shares the namespaces of pod db"
	if got := warningStrings(ws); !slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("warnings:\n%s\nwant %q", strings.Join(got, "\n"), want)
	}
}

// A service whose name holds a dot gets its warnings at its field, named as written, and
// grouped with the others' (compose-go escapes the dot in the paths it reports).
func TestComposeDottedServiceWarnings(t *testing.T) {
	_, ws, err := composeLoad(t, `services:
  my.db: {image: a:1, pull_policy: never, platform: linux/amd64}
  my.cache: {image: b:1, pull_policy: never, platform: linux/amd64}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := warningStrings(ws)
	for _, want := range []string{
		"c.yaml:2:43: warning: services.my.db.platform: images run for the engine's own platform; ignored (services my.cache too)",
		"c.yaml:2:23: warning: services.my.db.pull_policy: images present locally are used as they are, and missing ones are built or pulled; never is not honoured (services my.cache too)",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no warning %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
}
