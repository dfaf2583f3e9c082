package plain_test

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/sidecar-dev/sidecar/internal/golden"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/fake"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

var _ = flag.Bool("update", false, "rewrite the golden files in testdata/")

// script builds a stream of synthetic events, numbered and timed as the orchestrator would.
type script struct {
	seq  uint64
	at   time.Time
	evs  []orchestrator.Event
	view orchestrator.StackView
}

func newScript(stack string, pods map[string][]orchestrator.ContainerView, order ...string) *script {
	s := &script{at: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s.view = orchestrator.StackView{Name: stack}
	for _, name := range order {
		pv := orchestrator.PodView{Name: name}
		for _, c := range pods[name] {
			c.Pod = name
			pv.Containers = append(pv.Containers, c)
		}
		s.view.Pods = append(s.view.Pods, pv)
	}
	snap := s.view
	snap.Pods = nil
	for _, pv := range s.view.Pods {
		pv.Containers = append([]orchestrator.ContainerView(nil), pv.Containers...)
		snap.Pods = append(snap.Pods, pv)
	}
	s.add(orchestrator.SnapshotEvent{Stack: snap})
	return s
}

func (s *script) meta() orchestrator.EventMeta {
	s.seq++
	s.at = s.at.Add(150 * time.Millisecond)
	return orchestrator.EventMeta{Seq: s.seq, Time: s.at}
}

func (s *script) add(ev orchestrator.Event) { s.evs = append(s.evs, ev) }

// c publishes a new view of a container: the last one with changes applied.
func (s *script) c(pod, name string, change func(*orchestrator.ContainerView)) {
	p := s.view.Pod(pod)
	v := p.Container(name)
	change(v)
	s.add(orchestrator.ContainerEvent{EventMeta: s.meta(), ContainerView: *v})
}

func (s *script) log(pod, name, text string) {
	s.add(orchestrator.LogEvent{EventMeta: s.meta(), Pod: pod, Container: name, Text: text})
}

func (s *script) stack(phase orchestrator.Phase, reason string, code *int) {
	s.add(orchestrator.StackEvent{EventMeta: s.meta(), Stack: s.view.Name, Phase: phase, Reason: reason, ExitCode: code})
}

// printed is the plain output of the events so far.
func (s *script) printed(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	if err := plain.New(&out, plain.Options{}).Print(s.evs); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// wantPrinted checks the plain output of the events so far.
func (s *script) wantPrinted(t *testing.T, want string) {
	t.Helper()
	if got := s.printed(t); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func intp(i int) *int { return &i }

func running(v *orchestrator.ContainerView) { v.State = orchestrator.CStateRunning }

// demoRun is a whole run of a one-pod stack: images, leftovers, init, sidecars, main, a
// crashing sidecar, readiness, teardown with one container killed at its grace.
func demoRun() []orchestrator.Event {
	s := newScript("demo", map[string][]orchestrator.ContainerView{"demo": {
		{Name: "infra", Role: recipes.RoleInfra},
		{Name: "setup", Role: recipes.RoleInit},
		{Name: "proxy", Role: recipes.RoleSidecar},
		{Name: "shipper", Role: recipes.RoleSidecar},
		{Name: "web", Role: recipes.RoleMain},
	}}, "demo")
	s.add(orchestrator.LeftoversEvent{EventMeta: s.meta(), Containers: []string{"demo-infra", "demo-web"}, Volumes: []string{"demo-logs"}})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "sidecar-infra:abc", Action: orchestrator.ImageInfra, Done: true})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "demo/apps:dev", Action: orchestrator.ImageBuild, Message: "building"})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "demo/apps:dev", Action: orchestrator.ImageBuild, Step: "1/2", Message: "Step 1/2 : FROM scratch"})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "demo/apps:dev", Action: orchestrator.ImageBuild, Step: "2/2", Message: "Step 2/2 : COPY bin/ /"})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "demo/apps:dev", Action: orchestrator.ImageBuild, Done: true})
	s.c("demo", "infra", func(v *orchestrator.ContainerView) { v.State = orchestrator.CStateCreated })
	s.c("demo", "infra", running)
	s.c("demo", "setup", func(v *orchestrator.ContainerView) { v.State = orchestrator.CStateStarting })
	s.c("demo", "setup", running)
	s.log("demo", "setup", "setup done")
	s.c("demo", "setup", func(v *orchestrator.ContainerView) { v.State, v.ExitCode = orchestrator.CStateExited, intp(0) })
	s.c("demo", "proxy", func(v *orchestrator.ContainerView) {
		v.State, v.Health = orchestrator.CStateRunning, orchestrator.HealthUnknown
	})
	s.add(orchestrator.HookEvent{EventMeta: s.meta(), Pod: "demo", Container: "proxy", Hook: orchestrator.HookPostStart,
		Phase: orchestrator.HookRunning, Action: "exec /proxy -wait"})
	s.add(orchestrator.HookEvent{EventMeta: s.meta(), Pod: "demo", Container: "proxy", Hook: orchestrator.HookPostStart,
		Phase: orchestrator.HookPassed, Action: "exec /proxy -wait", Duration: recipes.Duration(12 * time.Millisecond)})
	s.c("demo", "proxy", func(v *orchestrator.ContainerView) { v.Health = orchestrator.HealthReady })
	s.c("demo", "shipper", running)
	s.c("demo", "web", func(v *orchestrator.ContainerView) {
		v.State, v.Health = orchestrator.CStateRunning, orchestrator.HealthUnknown
	})
	s.log("demo", "web", "listening on :8080")
	s.c("demo", "web", func(v *orchestrator.ContainerView) { v.Health = orchestrator.HealthReady })
	s.stack(orchestrator.PhaseRunning, "", nil)
	s.log("demo", "proxy", "connection from 127.0.0.1:51234")
	s.c("demo", "shipper", func(v *orchestrator.ContainerView) {
		v.State, v.ExitCode, v.RestartIn = orchestrator.CStateBackoff, intp(137), recipes.Duration(time.Second)
		v.RestartAt = s.at.Add(time.Second)
	})
	s.add(orchestrator.LogEvent{EventMeta: s.meta(), Pod: "demo", Container: "shipper", Marker: true,
		Text: "--- shipper restarted (restart 1, after exit code 137) ---"})
	s.c("demo", "shipper", func(v *orchestrator.ContainerView) {
		v.State, v.Restarts, v.ExitCode = orchestrator.CStateRunning, 1, nil
	})
	s.add(orchestrator.LogsDroppedEvent{EventMeta: s.meta(), Pod: "demo", Container: "web", Count: 1200})
	s.log("demo", "web", "GET /healthz 200")
	s.c("demo", "web", func(v *orchestrator.ContainerView) { v.Health = orchestrator.HealthNotReady })
	s.c("demo", "web", func(v *orchestrator.ContainerView) { v.Health = orchestrator.HealthReady })
	s.stack(orchestrator.PhaseStopping, "interrupted", nil)
	s.c("demo", "web", func(v *orchestrator.ContainerView) {
		v.State, v.StopGrace, v.Reason = orchestrator.CStateStopping, recipes.Duration(10*time.Second), "pod stopping, main first"
	})
	s.add(orchestrator.HookEvent{EventMeta: s.meta(), Pod: "demo", Container: "web", Hook: orchestrator.HookPreStop,
		Phase: orchestrator.HookRunning, Action: "http GET :8080/drain"})
	s.add(orchestrator.HookEvent{EventMeta: s.meta(), Pod: "demo", Container: "web", Hook: orchestrator.HookPreStop,
		Phase: orchestrator.HookPassed, Action: "http GET :8080/drain", Duration: recipes.Duration(1250 * time.Millisecond)})
	s.c("demo", "web", func(v *orchestrator.ContainerView) {
		v.State, v.ExitCode, v.Reason, v.StopGrace = orchestrator.CStateStopped, intp(0), "pod stopping, main first", 0
	})
	s.c("demo", "shipper", func(v *orchestrator.ContainerView) {
		v.State, v.StopGrace, v.Reason = orchestrator.CStateStopping, recipes.Duration(20*time.Second), "pod stopping, sidecars in reverse order"
	})
	s.add(orchestrator.HookEvent{EventMeta: s.meta(), Pod: "demo", Container: "shipper", Hook: orchestrator.HookPreStop,
		Phase: orchestrator.HookFailed, Action: "exec /flush", Error: `exec "/flush" exited 1: broken pipe`, Duration: recipes.Duration(40 * time.Millisecond)})
	s.add(orchestrator.MessageEvent{EventMeta: s.meta(), Level: orchestrator.LevelWarning, Pod: "demo", Container: "shipper",
		Text: "shipper did not exit within 20s of its stop signal and was killed (SIGKILL)",
		Hint: "its PID 1 probably ignores SIGTERM: set `init: true` on shipper"})
	s.c("demo", "shipper", func(v *orchestrator.ContainerView) {
		v.State, v.ExitCode, v.Killed, v.StopGrace = orchestrator.CStateStopped, intp(137), true, 0
	})
	s.c("demo", "proxy", func(v *orchestrator.ContainerView) {
		v.State, v.StopGrace, v.Reason = orchestrator.CStateStopping, recipes.Duration(1500*time.Millisecond), "pod stopping, sidecars in reverse order"
	})
	s.c("demo", "proxy", func(v *orchestrator.ContainerView) { v.State, v.ExitCode = orchestrator.CStateStopped, intp(0) })
	s.c("demo", "infra", func(v *orchestrator.ContainerView) { v.State, v.ExitCode = orchestrator.CStateExited, intp(137) })
	for _, n := range []string{"setup", "proxy", "shipper", "web", "infra"} {
		s.c("demo", n, func(v *orchestrator.ContainerView) { v.State = orchestrator.CStateRemoved })
	}
	s.stack(orchestrator.PhaseDone, "interrupted", intp(130))
	return s.evs
}

// podsRun is a two-pod stack: names are pod/container, pods announce their phases.
func podsRun() []orchestrator.Event {
	s := newScript("shop", map[string][]orchestrator.ContainerView{
		"seed": {{Name: "infra", Role: recipes.RoleInfra}, {Name: "seed", Role: recipes.RoleMain}},
		"api":  {{Name: "infra", Role: recipes.RoleInfra}, {Name: "main", Role: recipes.RoleMain}},
		"web":  {{Name: "infra", Role: recipes.RoleInfra}, {Name: "envoy", Role: recipes.RoleSidecar}, {Name: "app", Role: recipes.RoleMain}},
	}, "seed", "api", "web")
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "shop/api:dev", Action: orchestrator.ImagePresent, Done: true})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "envoy:1", Action: orchestrator.ImagePull, Message: "pulling"})
	s.add(orchestrator.ImageEvent{EventMeta: s.meta(), Ref: "envoy:1", Action: orchestrator.ImagePull, Error: "image envoy:1 is not present on the engine and could not be pulled", Done: true})
	// A job pod completes: its dependent starts, the stack goes on.
	s.c("seed", "seed", running)
	s.c("seed", "seed", func(v *orchestrator.ContainerView) { v.State, v.ExitCode = orchestrator.CStateExited, intp(0) })
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "seed", Phase: orchestrator.PhaseCompleted, Reason: "job completed: main seed exited with code 0"})
	s.c("api", "main", running)
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "api", Phase: orchestrator.PhaseRunning})
	s.log("api", "main", "serving")
	s.c("web", "app", func(v *orchestrator.ContainerView) { v.State, v.ExitCode = orchestrator.CStateExited, intp(3) })
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "web", Phase: orchestrator.PhaseFailed, Reason: "init container setup exited with code 3"})
	s.add(orchestrator.MessageEvent{EventMeta: s.meta(), Level: orchestrator.LevelError, Pod: "web", Text: "create network shop-net: no space left"})
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "api", Phase: orchestrator.PhaseRecreating, Reason: "infra container exit code 137"})
	// The stack's reasons repeat the pod's failure: said once, where it happened.
	s.stack(orchestrator.PhaseStopping, "pod web failed: init container setup exited with code 3", nil)
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "web", Phase: orchestrator.PhaseStopping, Reason: "init container setup exited with code 3"})
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "web", Phase: orchestrator.PhaseFailed, Reason: "init container setup exited with code 3"})
	s.stack(orchestrator.PhaseFailed, "pod web failed: init container setup exited with code 3\nremove volume shop-web-logs: in use", intp(1))
	return s.evs
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		evs  []orchestrator.Event
		opts plain.Options
	}{
		{"demo", demoRun(), plain.Options{}},
		{"demo-timestamps", demoRun(), plain.Options{Timestamps: true, Location: time.UTC}},
		{"demo-color", demoRun(), plain.Options{Color: true}},
		{"pods", podsRun(), plain.Options{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := plain.New(&out, tt.opts)
			// Batches as a subscriber gets them: the snapshot alone, then the rest.
			if err := p.Print(tt.evs[:1]); err != nil {
				t.Fatal(err)
			}
			if err := p.Print(tt.evs[1:]); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.name+".golden"), out.Bytes())
		})
	}
}

// Without colour nothing but text is written: no escape sequence of the printer's own.
func TestNoColorWritesNoEscapes(t *testing.T) {
	var out bytes.Buffer
	if err := plain.New(&out, plain.Options{}).Print(demoRun()); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(out.Bytes(), 0x1b) {
		t.Errorf("escape sequences without colour:\n%q", out.String())
	}
}

// Every container keeps one colour for the whole run, and the first ten get different ones.
func TestColorsAreStableAndDistinct(t *testing.T) {
	var out bytes.Buffer
	if err := plain.New(&out, plain.Options{Color: true}).Print(demoRun()); err != nil {
		t.Fatal(err)
	}
	colorOf := map[string]string{}
	used := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "\x1b[") {
			t.Fatalf("line does not start with a colour: %q", line)
		}
		end := strings.IndexByte(line, 'm')
		color := line[2:end]
		name := line[end+1 : strings.Index(line, "\x1b[0m")]
		if c, ok := colorOf[name]; ok && c != color {
			t.Errorf("%s changed colour from %s to %s", name, c, color)
		}
		if n, ok := used[color]; ok && n != name {
			t.Errorf("%s and %s share colour %s", n, name, color)
		}
		colorOf[name], used[color] = color, name
	}
	if len(colorOf) < 5 {
		t.Errorf("expected the stack and its containers to have colours, got %v", colorOf)
	}
}

func TestColorEnabled(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	for _, tt := range []struct {
		tty, noColor bool
		noColorEnv   string
		want         bool
	}{
		{true, false, "", true},
		{false, false, "", false},
		{true, true, "", false},
		{true, false, "1", false},
		{false, false, "1", false},
	} {
		if got := plain.ColorEnabled(tt.tty, tt.noColor, env(tt.noColorEnv)); got != tt.want {
			t.Errorf("ColorEnabled(tty=%v, --no-color=%v, NO_COLOR=%q) = %v, want %v", tt.tty, tt.noColor, tt.noColorEnv, got, tt.want)
		}
	}
}

// The JSON printer writes the orchestrator's JSON form of each event, one per line, and
// what it writes decodes back to the same events.
func TestJSONRoundTrip(t *testing.T) {
	evs := demoRun()
	var out bytes.Buffer
	if err := plain.NewJSON(&out).Print(evs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("%d lines for %d events", len(lines), len(evs))
	}
	for i, line := range lines {
		ev, err := orchestrator.DecodeEvent([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		if ev.Type() != evs[i].Type() || ev.Meta().Seq != evs[i].Meta().Seq {
			t.Errorf("line %d decodes to a %s event #%d, want %s #%d", i+1, ev.Type(), ev.Meta().Seq, evs[i].Type(), evs[i].Meta().Seq)
		}
	}
}

// Run ends with the stream: it returns nil once the orchestrator closed it.
func TestRunEndsWithTheStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, finish := fakeStackRun(t)
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- plain.New(&out, plain.Options{}).Run(ctx, sub) }()
	finish()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after the stream ended")
	}
	for _, want := range []string{"web   | hello", "web   * started", "stopping: main web of pod app exited with code 0", "done (exit code 0)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output misses %q:\n%s", want, out.String())
		}
	}
}

// fakeStackRun prepares a run of a one-container stack on the in-memory engine whose main
// prints "hello" and exits 0. It returns a subscription taken before the run, and finish,
// which runs the stack to its end.
func fakeStackRun(t *testing.T) (*orchestrator.Subscription, func()) {
	t.Helper()
	rt := fake.New(clock.RealClock{})
	rt.AddImage("test/web:1")
	rt.PrintOnStart("app-web", "hello")
	rt.ExitOnStart("app-web", 0)
	st := &recipes.Stack{Name: "app", Dir: t.TempDir(), Pods: []*recipes.Pod{{
		Name:      "app",
		Main:      &recipes.Container{Name: "web", Role: recipes.RoleMain, Image: "test/web:1", Restart: recipes.RestartNever},
		StopGrace: recipes.Duration(time.Second),
	}}}
	o := orchestrator.New(rt, st, orchestrator.Options{})
	sub := o.Subscribe()
	t.Cleanup(sub.Close)
	return sub, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := o.Run(ctx)
		if err != nil || res.ExitCode != 0 {
			t.Errorf("run: %+v, %v", res, err)
		}
	}
}

// BenchmarkPrintLogLines is the printer's cost per container line (a batch of 1 000, as a
// subscription delivers them).
func BenchmarkPrintLogLines(b *testing.B) {
	s := newScript("demo", map[string][]orchestrator.ContainerView{"demo": {
		{Name: "infra", Role: recipes.RoleInfra}, {Name: "proxy", Role: recipes.RoleSidecar}, {Name: "web", Role: recipes.RoleMain},
	}}, "demo")
	p := plain.New(discard{}, plain.Options{})
	p.Print(s.evs)
	var batch []orchestrator.Event
	for i := 0; i < 1000; i++ {
		name := []string{"proxy", "web"}[i%2]
		batch = append(batch, orchestrator.LogEvent{EventMeta: s.meta(), Pod: "demo", Container: name,
			Text: "2026-01-02T03:04:05Z INFO request served path=/api/v1/items status=200 took=1.2ms"})
	}
	for b.Loop() {
		if err := p.Print(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/line")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A container's text, and the engine's words the tool quotes, cannot drive the terminal:
// without colour only text comes out; with colour only SGR sequences; JSON has no escapes.
func TestHostileTextIsSanitised(t *testing.T) {
	hostile := "a\x1b[31mred\x1b[0m \x1b]0;title\x07\x1b]52;c;aGk=\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ over\rwrite back\b\bspace bell\a \u202eevil\u202c \x1b[2J\x1bP+q\x1b\\ \u009b2J"
	s := newScript("demo", map[string][]orchestrator.ContainerView{"demo": {{Name: "infra", Role: recipes.RoleInfra}, {Name: "web", Role: recipes.RoleMain}}}, "demo")
	s.log("demo", "web", hostile)
	s.add(orchestrator.MessageEvent{EventMeta: s.meta(), Level: orchestrator.LevelError, Pod: "demo", Container: "web", Text: "engine said: " + hostile, Hint: hostile})
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "demo", Phase: orchestrator.PhaseFailed, Reason: hostile})
	s.stack(orchestrator.PhaseFailed, hostile, intp(1))

	var plainOut bytes.Buffer
	if err := plain.New(&plainOut, plain.Options{}).Print(s.evs); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(plainOut.String(), "\x1b\r\b\a\u202e\u202c\u009b") {
		t.Errorf("unsafe output without colour:\n%q", plainOut.String())
	}
	if !strings.Contains(plainOut.String(), "web   | ared link overwrite backspace bell evil  \n") {
		t.Errorf("the text around the sequences is not kept:\n%s", plainOut.String())
	}

	var colorOut bytes.Buffer
	if err := plain.New(&colorOut, plain.Options{Color: true}).Print(s.evs); err != nil {
		t.Fatal(err)
	}
	out := colorOut.String()
	if strings.ContainsAny(out, "\r\b\a\u202e\u202c\u009b") {
		t.Errorf("controls with colour:\n%q", out)
	}
	for i := strings.IndexByte(out, 0x1b); i >= 0; i = strings.IndexByte(out, 0x1b) {
		j := i + 2
		for j < len(out) && (out[j] >= '0' && out[j] <= '9' || out[j] == ';') {
			j++
		}
		if out[i+1] != '[' || j == len(out) || out[j] != 'm' {
			t.Fatalf("a sequence that is not SGR with colour: %q", out[i:min(len(out), i+12)])
		}
		out = out[j+1:]
	}
	if !strings.Contains(colorOut.String(), "| a\x1b[31mred\x1b[0m link") {
		t.Errorf("the container's own colour is not kept on a terminal:\n%q", colorOut.String())
	}

	var jsonOut bytes.Buffer
	if err := plain.NewJSON(&jsonOut).Print(s.evs); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(jsonOut.String()), "\n") {
		ev, err := orchestrator.DecodeEvent([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if l, ok := ev.(orchestrator.LogEvent); ok && l.Text != "ared link overwrite backspace bell evil  " {
			t.Errorf("JSON log text %q", l.Text)
		}
	}
}

// An image HEALTHCHECK's verdict (a container without a ready probe) gets a line when it
// changes: nothing while starting, "healthy", and "unhealthy" as a warning.
func TestImageHealthLines(t *testing.T) {
	s := newScript("h", map[string][]orchestrator.ContainerView{"h": {{Name: "side", Role: recipes.RoleSidecar}}}, "h")
	s.c("h", "side", func(v *orchestrator.ContainerView) {
		v.State, v.Health = orchestrator.CStateRunning, orchestrator.HealthStarting
	})
	s.c("h", "side", func(v *orchestrator.ContainerView) { v.Health = orchestrator.HealthHealthy })
	s.c("h", "side", func(v *orchestrator.ContainerView) { v.Health = orchestrator.HealthUnhealthy })
	s.wantPrinted(t, "side * started\nside * healthy\nside * unhealthy (its image's HEALTHCHECK fails)\n")
}

// A watch's events are lines of the container concerned; a rebuild's build steps too, and
// not the stack's image lines; a failure is an error.
func TestWatchLines(t *testing.T) {
	s := newScript("shop", map[string][]orchestrator.ContainerView{"shop": {
		{Name: "web", Role: recipes.RoleMain}, {Name: "probe", Role: recipes.RoleSidecar}}}, "shop")
	w := func(e orchestrator.WatchEvent) {
		e.EventMeta, e.Pod, e.Container = s.meta(), "shop", "web"
		s.add(e)
	}
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchWatching, Rules: []recipes.WatchRule{{Path: "web", Action: recipes.WatchRebuild}}})
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchChanged, Action: recipes.WatchRebuild, Paths: []string{"web/index.html"}})
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilding, Action: recipes.WatchRebuild, Image: "shop/web:dev"})
	for _, ie := range []orchestrator.ImageEvent{
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Message: "building"},
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Step: "1/2", Message: "Step 1/2 : FROM sidecar-test/apps"},
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Step: "1/2", Message: " ---> 1fd6b1b3571c"},
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Step: "2/2", Message: "Step 2/2 : COPY index.html /www/"},
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Done: true},
	} {
		ie.EventMeta = s.meta()
		s.add(ie)
	}
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchRebuilt, Action: recipes.WatchRebuild, Image: "shop/web:dev", Duration: recipes.Duration(600 * time.Millisecond)})
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchReplaced, Action: recipes.WatchRebuild, ID: "4b6215405f9a1234", Duration: recipes.Duration(1100 * time.Millisecond)})
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchSynced, Action: recipes.WatchSync, Files: 1, Bytes: 15, Duration: recipes.Duration(40 * time.Millisecond),
		Error: "deleted on the host, still in the container: /www/x"})
	w(orchestrator.WatchEvent{Phase: orchestrator.WatchFailed, Action: recipes.WatchRebuild, Error: "build failed at step 2/2; web keeps running as it was"})
	// A later build of the image, not a watch's, is the stack's again.
	for _, ie := range []orchestrator.ImageEvent{
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Message: "building"},
		{Ref: "shop/web:dev", Action: orchestrator.ImageBuild, Done: true},
	} {
		ie.EventMeta = s.meta()
		s.add(ie)
	}
	s.wantPrinted(t, `web   * watching web (rebuild)
web   * changed: web/index.html → rebuild
web   * rebuilding image shop/web:dev
web   * build: Step 1/2 : FROM sidecar-test/apps
web   * build: Step 2/2 : COPY index.html /www/
web   * rebuilt image shop/web:dev in 600ms
web   * replaced 1.1s after the change (new container 4b6215405f9a)
web   * synced 1 file (15 B) in 40ms: deleted on the host, still in the container: /www/x
web   * rebuild failed: build failed at step 2/2; web keeps running as it was
shop  * building image shop/web:dev
shop  * image shop/web:dev: built
`)
}

// inBackoff is a script of stack b whose one container name, of pod b, started, then exited
// with code and waits to be restarted.
func inBackoff(name string, role recipes.Role, code int) *script {
	s := newScript("b", map[string][]orchestrator.ContainerView{"b": {{Name: name, Role: role}}}, "b")
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s.c("b", name, func(v *orchestrator.ContainerView) { v.State, v.StartedAt = orchestrator.CStateRunning, at })
	s.c("b", name, func(v *orchestrator.ContainerView) {
		v.State, v.ExitCode, v.RestartIn = orchestrator.CStateBackoff, &code, recipes.Duration(2*time.Second)
	})
	return s
}

// A container torn down while it waits to be restarted was started once: no second
// "started" line for the end of its back-off.
func TestBackoffEndedIsNoStart(t *testing.T) {
	s := inBackoff("crashy", recipes.RoleSidecar, 7)
	s.c("b", "crashy", func(v *orchestrator.ContainerView) { v.State = orchestrator.CStateExited })
	out := s.printed(t)
	if n := strings.Count(out, "started"); n != 1 {
		t.Errorf("%d started lines, want 1:\n%s", n, out)
	}
	// Nor a second exit: the back-off line said it; the teardown cancels the restart.
	if n := strings.Count(out, "exited 7"); n != 1 || !strings.HasSuffix(out, "crashy * restart cancelled: the pod is stopping\n") {
		t.Errorf("the exit is said %d times, want once, then the cancelled restart:\n%s", n, out)
	}
}

// A user's stop of a container in back-off cancels its restart: the line says so, not that
// the pod stops, which goes on running.
func TestBackoffStoppedByUser(t *testing.T) {
	s := inBackoff("db", recipes.RoleMain, 3)
	s.c("b", "db", func(v *orchestrator.ContainerView) { v.State, v.Reason = orchestrator.CStateExited, "stopped by user" })
	if out := s.printed(t); !strings.HasSuffix(out, "db * restart cancelled: stopped by user\n") {
		t.Errorf("the user's stop in back-off:\n%s", out)
	}
}

// A container created anew while the user holds it stopped (Apply replaced it) says it stays
// stopped, and why — it has no exit of its own to show.
func TestHeldReplacementLine(t *testing.T) {
	s := newScript("d", map[string][]orchestrator.ContainerView{"d": {{Name: "web", Role: recipes.RoleMain}}}, "d")
	s.c("d", "web", func(v *orchestrator.ContainerView) { v.State = orchestrator.CStateCreated })
	s.c("d", "web", func(v *orchestrator.ContainerView) {
		v.State, v.Reason = orchestrator.CStateStopped, "stopped by user"
	})
	s.wantPrinted(t, "web * stopped (stopped by user)\n")
}

// A startup probe's passing is said, as a post-start hook's is: a sidecar gated on it then
// lets the next container start. An init container in back-off says so as a sidecar does.
func TestStartupProbeAndInitBackoffLines(t *testing.T) {
	s := newScript("p", map[string][]orchestrator.ContainerView{"p": {
		{Name: "flaky", Role: recipes.RoleInit}, {Name: "proxy", Role: recipes.RoleSidecar}}}, "p")
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s.c("p", "flaky", func(v *orchestrator.ContainerView) { v.State, v.StartedAt = orchestrator.CStateRunning, at })
	s.c("p", "flaky", func(v *orchestrator.ContainerView) {
		v.State, v.ExitCode, v.RestartIn, v.Reason = orchestrator.CStateBackoff, intp(3), recipes.Duration(time.Second), "exit code 3"
	})
	s.c("p", "flaky", func(v *orchestrator.ContainerView) {
		v.State, v.Restarts, v.StartedAt, v.ExitCode, v.Reason = orchestrator.CStateRunning, 1, at.Add(time.Second), nil, ""
	})
	s.c("p", "flaky", func(v *orchestrator.ContainerView) { v.State, v.ExitCode = orchestrator.CStateExited, intp(0) })
	s.c("p", "proxy", func(v *orchestrator.ContainerView) {
		v.State, v.Health = orchestrator.CStateRunning, orchestrator.HealthUnknown
	})
	s.add(orchestrator.ProbeEvent{EventMeta: s.meta(), Pod: "p", Container: "proxy", Probe: orchestrator.ProbeStartup,
		Duration: recipes.Duration(4400 * time.Millisecond)})
	s.wantPrinted(t, `flaky * started
flaky * exited 3, restarting in 1s
flaky * started (restart 1)
flaky * exited 0
proxy * started
proxy * startup probe passed in 4.4s
`)
}

// An exit seen before its restart was decided (a container that crashes at once: its exit
// is in before the start call returned) is said once: "exited 3", then "restarting in 2s",
// with no second "started" for the run that ended.
func TestExitThenBackoffOfOneRun(t *testing.T) {
	s := newScript("p", map[string][]orchestrator.ContainerView{"p": {{Name: "flaky", Role: recipes.RoleInit}}}, "p")
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	s.c("p", "flaky", func(v *orchestrator.ContainerView) { v.State, v.StartedAt = orchestrator.CStateRunning, at })
	s.c("p", "flaky", func(v *orchestrator.ContainerView) {
		v.State, v.ExitCode, v.Reason = orchestrator.CStateExited, intp(3), "exit code 3"
	})
	s.c("p", "flaky", func(v *orchestrator.ContainerView) {
		v.State, v.RestartIn = orchestrator.CStateBackoff, recipes.Duration(2*time.Second)
	})
	s.wantPrinted(t, "flaky * started\nflaky * exited 3\nflaky * restarting in 2s\n")
}

// A stack that stays running (a job pod completed, a pod was added) is said to run once.
func TestStackRunningSaidOnce(t *testing.T) {
	s := newScript("vote", map[string][]orchestrator.ContainerView{
		"seed": {{Name: "infra", Role: recipes.RoleInfra}, {Name: "seed", Role: recipes.RoleMain}},
		"vote": {{Name: "infra", Role: recipes.RoleInfra}, {Name: "vote", Role: recipes.RoleMain}},
	}, "seed", "vote")
	s.stack(orchestrator.PhaseRunning, "", nil)
	s.add(orchestrator.PodEvent{EventMeta: s.meta(), Pod: "seed", Phase: orchestrator.PhaseCompleted, Reason: "job completed: main seed exited with code 0"})
	s.stack(orchestrator.PhaseRunning, "", nil)
	s.stack(orchestrator.PhaseStopping, "interrupted", nil)
	if got := strings.Count(s.printed(t), "stack vote is running"); got != 1 {
		t.Errorf("stack vote is running said %d times, want once:\n%s", got, s.printed(t))
	}
}
