package orchestrator_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// heldBack steps the clock a minute and fails the test, saying why, if the infra container
// of a pod whose dependency has not been met has been created.
func (h *harness) heldBack(infra, why string) {
	h.t.Helper()
	h.clock.Step(time.Minute)
	if _, ok := h.rt.Container(infra); ok {
		h.t.Fatal(why)
	}
}

// loadCompose loads compose file src as project's (in /tmp/project).
func loadCompose(t *testing.T, project, src string) *recipes.Stack {
	t.Helper()
	dir := "/tmp/" + project
	st, _, err := recipes.Load(recipes.File{Name: dir + "/compose.yaml", Content: []byte(src)}, recipes.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A pod's dependency waits for what its condition says: started, for the other pod's main to
// be started only — its ready probe holds nothing back (compose's service_started, and its
// short form: logstash and kibana start while elasticsearch's healthcheck still fails);
// ready, the default, for that probe to pass too.
func TestStartedDependencyDoesNotWaitForReadiness(t *testing.T) {
	st := stack("elk",
		pod("es", ctr("es", slowProbe)),
		pod("kibana", ctr("kibana"), dependsOnWhen("es", recipes.DepStarted)),
		pod("api", ctr("api"), dependsOn("es")),
	)
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("elk-es-es", errors.New("connection refused"))
	h.start()
	h.until("kibana running while es is not ready", time.Second, h.running("elk-es-es", "elk-kibana-kibana"))
	h.heldBack("elk-api-infra", "api, which waits for es to be ready, was created before es's ready probe passed")
	h.rt.SetProbe("elk-es-es", nil)
	h.until("api running once es is ready", time.Second, h.running("elk-api-api"))
	h.shutdownLeavesNothing()
}

// On a job pod: started waits for its main to start, ready (the job's main has a ready probe)
// for that probe, completed for its main to exit 0 whatever its probe says.
func TestDependencyConditionsOnAJob(t *testing.T) {
	st := stack("j",
		pod("setup", ctr("setup", slowProbe), job),
		pod("early", ctr("early"), dependsOnWhen("setup", recipes.DepStarted)),
		pod("ready", ctr("ready"), dependsOn("setup")),
		pod("after", ctr("after"), dependsOnWhen("setup", recipes.DepCompleted)),
	)
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("j-setup-setup", errors.New("exec probe exited 1"))
	h.start()
	h.until("early running while setup is not ready", time.Second, h.running("j-setup-setup", "j-early-early"))
	h.clock.Step(time.Minute)
	for _, p := range []string{"ready", "after"} {
		if _, ok := h.rt.Container("j-" + p + "-infra"); ok {
			t.Fatalf("%s was created before setup was ready", p)
		}
	}
	h.rt.SetProbe("j-setup-setup", nil)
	h.until("ready running once setup is ready", time.Second, h.running("j-ready-ready"))
	h.heldBack("j-after-infra", "after, which waits for setup to complete, was created while setup runs")
	if err := h.rt.Exit("j-setup-setup", 0); err != nil {
		t.Fatal(err)
	}
	h.until("after running once setup completed", time.Second, h.running("j-after-after"))
	h.shutdownLeavesNothing()
}

// docker/awesome-compose's elasticsearch-logstash-kibana: logstash and kibana depend on
// elasticsearch in the short form, which docker compose starts once elasticsearch has
// started, whatever its healthcheck says; a service_healthy dependency waits for it.
func TestComposeShortDependsOnDoesNotWaitForTheHealthcheck(t *testing.T) {
	src := `name: elk
services:
  elasticsearch:
    image: elasticsearch:7.16.1
    healthcheck: {test: ["CMD-SHELL", "curl -s http://localhost:9200"], interval: 10s, retries: 20}
  logstash:
    image: logstash:7.16.1
    depends_on: [elasticsearch]
  kibana:
    image: kibana:7.16.1
    depends_on: {elasticsearch: {condition: service_started}}
  filebeat:
    image: filebeat:7.16.1
    depends_on: {elasticsearch: {condition: service_healthy}}
`
	h := newHarness(t, loadCompose(t, "elk", src), orchestrator.Options{})
	h.rt.SetProbe("elk-elasticsearch-elasticsearch", errors.New("exec probe exited 7"))
	h.start()
	h.until("logstash and kibana running while elasticsearch is unhealthy", time.Second,
		h.running("elk-elasticsearch-elasticsearch", "elk-logstash-logstash", "elk-kibana-kibana"))
	h.heldBack("elk-filebeat-infra", "filebeat, which waits for elasticsearch to be healthy, was created before its healthcheck passed")
	h.rt.SetProbe("elk-elasticsearch-elasticsearch", nil)
	h.until("filebeat running once elasticsearch is healthy", time.Second, h.running("elk-filebeat-filebeat"))
	h.shutdownLeavesNothing()
}

// slowProbe is a ready probe that gives its verdict late: a minute of start period, then
// many failures before it counts as failed — a dependency that is slow, not unhealthy.
func slowProbe(c *recipes.Container) {
	c.Ready = tcpProbe(8080)
	c.Ready.StartPeriod, c.Ready.Retries = recipes.Duration(time.Minute), 1000
}

// startUnhealthyRedis runs compose stack name: service redis, whose healthcheck always
// fails, and the services of more (YAML of the services mapping's entries).
func startUnhealthyRedis(t *testing.T, name, more string) *harness {
	t.Helper()
	h := newHarness(t, loadCompose(t, name, unhealthyRedis(name)+more), orchestrator.Options{})
	h.rt.SetProbe(name+"-redis-redis", errors.New("exec probe: /bin/crasher exited 1"))
	h.start()
	return h
}

// unhealthyRedis is the start of compose stack name's file, up to service redis, whose
// healthcheck fails twice in a row before it is ever ready.
func unhealthyRedis(name string) string {
	return "name: " + name + `
services:
  redis:
    image: redis:7
    healthcheck: {test: ["CMD", "/bin/crasher", "-exit-code", "1"], interval: 1s, retries: 2}`
}

// The vote example, as a tester wrote it: redis's healthcheck fails its retries, and vote,
// which waits for it to be healthy, would wait for ever. docker compose's up fails once
// redis is unhealthy ("dependency failed to start: container redis is unhealthy"): so does
// the run, with exit 1, vote not started, nothing left behind, and the error saying what to
// fix in the compose file.
func TestComposeUnhealthyDependencyFailsTheRun(t *testing.T) {
	h := startUnhealthyRedis(t, "c2", `
  vote:
    image: vote:1
    depends_on: {redis: {condition: service_healthy}}
`)
	res, err := h.finish(time.Second)
	want := "pod vote cannot start: pod redis is unhealthy: its healthcheck failed 2 times in a row (last: exec probe: /bin/crasher exited 1); " +
		"fix the healthcheck of service redis in the compose file (or its x-sidecar ready: probe), or have vote wait for it to start only (condition: service_started)"
	if !errors.Is(err, orchestrator.ErrDependencyUnhealthy) || err.Error() != want || res.ExitCode != orchestrator.ExitFailure {
		t.Fatalf("Run = %+v, %v\nwant exit 1 and %q", res, err, want)
	}
	if _, ok := h.rt.Container("c2-vote-infra"); ok || index(h.rt.HistoryOf(), "create c2-vote-infra") >= 0 {
		t.Errorf("vote was created: %v", h.rt.HistoryOf())
	}
	snap := h.o.Snapshot()
	if p := snap.Pod("vote"); p.Reason != "not started: pod redis is unhealthy" {
		t.Errorf("vote's view: %s %q", p.Phase, p.Reason)
	}
	h.leftNothing()
}

// A recipe's ready dependency fails the same way, in the recipe's terms; one whose probe is
// slow — within its start period, below its retries — keeps the pod waiting, and a started
// dependency is not held back by the verdict.
func TestUnhealthyDependencyFailsOnlyAtItsThreshold(t *testing.T) {
	st := stack("m",
		pod("db", ctr("postgres", readyProbe)),
		pod("cache", ctr("redis", slowProbe)),
		pod("api", ctr("api"), dependsOn("cache", "db")),
		pod("web", ctr("web"), dependsOnWhen("db", recipes.DepStarted)),
	)
	h := newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("m-db-postgres", errors.New("tcp probe failed: connection refused"))
	h.rt.SetProbe("m-cache-redis", errors.New("tcp probe failed: connection refused"))
	h.start()
	res, err := h.finish(time.Second)
	want := "pod api cannot start: pod db is unhealthy: its ready probe failed 3 times in a row (last: tcp probe failed: connection refused); " +
		"fix the `ready:` probe of postgres in the recipe, or have api wait for it to start only (depends_on: condition: started)"
	if !errors.Is(err, orchestrator.ErrDependencyUnhealthy) || err.Error() != want || res.ExitCode != orchestrator.ExitFailure {
		t.Fatalf("Run = %+v, %v\nwant exit 1 and %q", res, err, want)
	}
	if index(h.rt.HistoryOf(), "create m-api-infra") >= 0 {
		t.Errorf("api was created: %v", h.rt.HistoryOf())
	}
	if index(h.rt.HistoryOf(), "start m-web-web") < 0 {
		t.Errorf("web, which waits for db to start only, was not started: %v", h.rt.HistoryOf())
	}
	h.leftNothing()

	// Only slow: the wait goes on, told every BlockedNoteEvery.
	st = stack("s", pod("cache", ctr("redis", slowProbe)), pod("api", ctr("api"), dependsOn("cache")))
	h = newHarness(t, st, orchestrator.Options{})
	h.rt.SetProbe("s-cache-redis", errors.New("tcp probe failed: connection refused"))
	h.start()
	h.until("two notes", time.Second, func() bool { return strings.Count(h.describe(), "pod api waits for pod cache to be ready") >= 2 })
	h.heldBack("s-api-infra", "api was created while cache is not ready")
	h.rt.SetProbe("s-cache-redis", nil)
	h.until("api running once cache is ready", time.Second, h.running("s-api-api"))
	h.shutdownLeavesNothing()
}

// The running vote stack, as a tester edits it: redis runs but its healthcheck fails (web,
// which depends on nothing, runs too), and vote, added to the file with service_healthy on
// redis, cannot start. docker compose's `up -d vote` fails that command and leaves the
// running services alone: so does the converging up — Apply fails, saying why and what to
// fix, vote is not created, redis and web keep their runs, the stack runs on; an Apply
// after redis was fixed starts vote.
func TestConvergeAddingAPodOnAnUnhealthyDependencyFailsOnlyThatPod(t *testing.T) {
	base := `
  web:
    image: web:1
`
	h := startUnhealthyRedis(t, "c3", base)
	h.until("the stack running", time.Second, func() bool {
		return h.o.Snapshot().Phase == orchestrator.PhaseRunning && h.view("redis", "redis").Health == orchestrator.HealthNotReady
	})
	before := h.rt.HistoryOf()
	h.rt.AddImage("vote:1")
	withVote := unhealthyRedis("c3") + base + `  vote:
    image: vote:1
    depends_on: {redis: {condition: service_healthy}}
`
	_, err := h.apply(loadCompose(t, "c3", withVote), orchestrator.ApplyOptions{})
	want := "pod vote cannot start: pod redis is unhealthy: its healthcheck failed 2 times in a row (last: exec probe: /bin/crasher exited 1); " +
		"fix the healthcheck of service redis in the compose file (or its x-sidecar ready: probe), or have vote wait for it to start only (condition: service_started)"
	if !errors.Is(err, orchestrator.ErrDependencyUnhealthy) || err.Error() != want {
		t.Fatalf("Apply = %v\nwant %q", err, want)
	}
	if _, ok := h.rt.Container("c3-vote-infra"); ok {
		t.Errorf("vote was created: %v", h.rt.HistoryOf())
	}
	if h.returned() || h.o.Snapshot().Phase != orchestrator.PhaseRunning {
		t.Fatalf("the stack did not run on: %+v %v\n%s", h.res, h.err, h.describe())
	}
	if was, now := strings.Join(before, "\n"), strings.Join(h.rt.HistoryOf(), "\n"); now != was {
		t.Errorf("the running pods were touched: %s", strings.TrimPrefix(now, was))
	}
	if snap := h.o.Snapshot(); snap.Pod("vote") == nil || snap.Pod("vote").Phase != orchestrator.PhasePending || snap.Pod("vote").Reason != "not started: pod redis is unhealthy" {
		t.Errorf("vote's view: %s", h.describe())
	}
	if !strings.Contains(h.describe(), "error: not started: pod redis is unhealthy; the up that added it fails") {
		t.Errorf("the views are not told that vote failed: %s", h.describe())
	}
	// Apply again, redis unhealthy still, with result added, which waits for vote to start:
	// the same failure, and result's, nothing else.
	h.rt.AddImage("result:1")
	withResult := withVote + `  result:
    image: result:1
    depends_on: [vote]
`
	_, err = h.apply(loadCompose(t, "c3", withResult), orchestrator.ApplyOptions{})
	if wantBoth := want + "; pod result cannot start: pod vote did not start: " + want; err == nil || err.Error() != wantBoth {
		t.Errorf("Apply again = %v\nwant %q", err, wantBoth)
	}
	if after := h.rt.HistoryOf(); len(after) != len(before) {
		t.Errorf("the apply again did something: %v", after[len(before):])
	}
	// redis fixed (its healthcheck passes, as after an edit that re-creates it): vote starts.
	h.rt.SetProbe("c3-redis-redis", nil)
	h.until("redis ready", time.Second, func() bool { return h.view("redis", "redis").Health == orchestrator.HealthReady })
	if _, err := h.apply(loadCompose(t, "c3", withResult), orchestrator.ApplyOptions{}); err != nil {
		t.Errorf("Apply once redis is ready = %v", err)
	}
	h.until("vote and result running", time.Second, h.running("c3-vote-vote", "c3-result-result"))
	h.shutdownLeavesNothing()
}
