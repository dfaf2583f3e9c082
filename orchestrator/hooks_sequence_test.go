package orchestrator

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

func hookDone(name string, err error) func(*world) { return func(w *world) { w.hook(name, err) } }

func execHook(cmd ...string) *recipes.Hook {
	return &recipes.Hook{Exec: &recipes.ExecProbe{Command: cmd}}
}

// startedToInit brings the test pod to its init container being started.
var startedToInit = upTo[:4]

func steps(parts ...[]seqStep) []seqStep {
	var out []seqStep
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestHookSequences drives the planner through the lifecycle hooks, the downward API's
// late creation and job pods, one observation at a time.
func TestHookSequences(t *testing.T) {
	boom := errors.New(`exec "/warm" exited 2: cache unreachable`)
	tests := []struct {
		name  string
		spec  func(*PodSpec)
		steps []seqStep
	}{
		{
			name: "post-start gates the next sidecar; a failed one stops the sidecar, which restarts with back-off",
			spec: func(s *PodSpec) { s.Pod.Sidecars[0].PostStart = execHook("/warm") },
			steps: steps(startedToInit, []seqStep{
				{answer, `wait migrate: init container 1/1 running`},
				{die("migrate", 0), `start envoy: sidecar 1/2`},
				{answer, `post-start envoy: right after its start
wait envoy: sidecar 1/2 post-start hook running`},
				{answer, `wait envoy: sidecar 1/2 post-start hook running`},
				{hookDone("envoy", boom), `stop envoy: post-start hook failed (grace 30s)`},
				{answer, `wait envoy: back-off 1s after exit code 143, restarting in 1s`},
				{after(time.Second), `start envoy: restart after back-off 1s (exit code 143)`},
				{answer, `post-start envoy: right after its start
wait envoy: sidecar 1/2 post-start hook running`},
				{then(answer, hookDone("envoy", nil)), `wait envoy: sidecar 1/2 not ready yet`},
				{probeReady("envoy"), `start shipper: sidecar 2/2`},
			}),
		},
		{
			name: "an init container's failed post-start hook fails the pod, with its lines",
			spec: func(s *PodSpec) { s.Pod.Init[0].PostStart = execHook("/warm") },
			steps: steps(startedToInit, []seqStep{
				{answer, `post-start migrate: right after its start
wait migrate: init container 1/1 running`},
				{then(answer, hookDone("migrate", boom)), `stop migrate: post-start hook failed (grace 30s)
wait migrate: init container 1/1 running`},
				{answer, `collect logs migrate: the post-start hook of init container migrate failed: exec "/warm" exited 2: cache unreachable`},
				{answer, `pod failed: the post-start hook of init container migrate failed: exec "/warm" exited 2: cache unreachable`},
			}),
		},
		{
			name: "main's failed post-start hook with restart never fails the pod",
			spec: func(s *PodSpec) { s.Pod.Main.PostStart = execHook("/warm") },
			steps: steps(upTo[:len(upTo)-1], []seqStep{
				{answer, `post-start web: right after its start`},
				{then(answer, hookDone("web", boom)), `stop web: post-start hook failed (grace 30s)`},
				{answer, `collect logs web: the post-start hook of main web failed: exec "/warm" exited 2: cache unreachable`},
			}),
		},
		{
			name: "main's failed post-start hook with restart on-failure restarts it, whatever its exit code",
			spec: func(s *PodSpec) {
				s.Pod.Main.PostStart = execHook("/warm")
				s.Pod.Main.Restart = recipes.RestartOnFailure
			},
			steps: steps(upTo[:len(upTo)-1], []seqStep{
				{answer, `post-start web: right after its start`},
				{then(answer, hookDone("web", boom)), `stop web: post-start hook failed (grace 30s)`},
				// The stop answer says it exited 143; a clean 0 would be restarted too.
				{answer, `wait web: back-off 1s after exit code 143, restarting in 1s`},
			}),
		},
		{
			name: "pre-stop hooks run before each stop signal; their time counts against the grace",
			spec: func(s *PodSpec) {
				s.Pod.Main.PreStop = execHook("/drain")
				s.Pod.Sidecars[1].PreStop = &recipes.Hook{Sleep: recipes.Duration(2 * time.Second)}
			},
			steps: steps(upTo, []seqStep{
				{terminate, `pre-stop web: pod stopping, main first (grace 30s)`},
				{answer, ``},
				{then(after(3*time.Second), hookDone("web", nil)), `stop web: pod stopping, main first (grace 27s)`},
				// shipper's own grace is 5s: 2s of it go to its hook.
				{answer, `pre-stop shipper: pod stopping, sidecars in reverse order (grace 5s)`},
				{then(answer, after(2*time.Second), hookDone("shipper", nil)), `stop shipper: pod stopping, sidecars in reverse order (grace 3s)`},
				{answer, `stop envoy: pod stopping, sidecars in reverse order (grace 25s)`},
			}),
		},
		{
			name: "a pre-stop hook that overruns the budget is abandoned: the stop signal follows with no grace left",
			spec: func(s *PodSpec) { s.Pod.Main.PreStop = execHook("/drain") },
			steps: steps(upTo, []seqStep{
				{terminate, `pre-stop web: pod stopping, main first (grace 30s)`},
				{then(answer, after(30*time.Second), hookDone("web", errors.New("abandoned"))), `stop web: pod stopping, main first (grace 0s)`},
			}),
		},
		{
			name: "a liveness restart runs the pre-stop hook; an exited container gets none",
			spec: func(s *PodSpec) {
				s.Pod.Main.PreStop = execHook("/drain")
				s.Pod.Sidecars[1].PreStop = execHook("/flush")
				s.Pod.Main.Restart = recipes.RestartAlways
			},
			steps: steps(upTo, []seqStep{
				{func(w *world) { w.st.Containers["web"].LiveFailed = true }, `pre-stop web: liveness probe failed (grace 30s)`},
				{then(answer, hookDone("web", nil)), `stop web: liveness probe failed (grace 30s)`},
				{then(answer, die("shipper", 1)), `
wait shipper: back-off 1s after exit code 1, restarting in 1s
wait web: back-off 1s after exit code 143, restarting in 1s`},
				// web and shipper have exited: only envoy, which has no hook, is stopped.
				{terminate, `stop envoy: pod stopping, sidecars in reverse order (grace 30s)`},
			}),
		},
		{
			name: "a job pod: main exits 0, the sidecars are stopped in reverse, nothing restarts, the containers stay",
			spec: func(s *PodSpec) { s.Pod.Job = true },
			steps: steps(upTo, []seqStep{
				{die("web", 0), `stop shipper: job completed, sidecars in reverse order (grace 5s)
job completed`},
				{then(after(time.Second), answer), `stop envoy: job completed, sidecars in reverse order (grace 29s)
job completed`},
				{answer, `stop infra: job completed, nothing of it runs (grace 29s)
job completed`},
				{answer, `job completed`},
				{after(time.Minute), `job completed`},
				// The infra container gone now does not run the job again.
				{func(w *world) { w.destroyed(InfraName) }, `job completed`},
				{terminate, `
remove migrate: pod stopping
remove envoy: pod stopping
remove shipper: pod stopping
remove web: pod stopping`},
			}),
		},
		{
			name: "a job pod whose main fails for good fails the pod with its lines",
			spec: func(s *PodSpec) { s.Pod.Job = true },
			steps: steps(upTo, []seqStep{
				{die("web", 3), `collect logs web: job shop failed: main web exited with code 3`},
				{answer, `pod failed: job shop failed: main web exited with code 3`},
			}),
		},
		{
			name: "a job pod's infra container dying after the completion does not run it again",
			spec: func(s *PodSpec) { s.Pod.Job = true },
			steps: steps(upTo, []seqStep{
				{die("web", 0), `stop shipper: job completed, sidecars in reverse order (grace 5s)
job completed`},
				// The infra container dies while the sidecar stops: the pod is not re-created.
				{then(die(InfraName, 137), answer), `stop envoy: job completed, sidecars in reverse order (grace 30s)
job completed`},
				{answer, `job completed`},
			}),
		},
		{
			name: "a job pod's main restarted on failure completes when it exits 0",
			spec: func(s *PodSpec) { s.Pod.Job, s.Pod.Main.Restart = true, recipes.RestartOnFailure },
			steps: steps(upTo, []seqStep{
				{die("web", 3), `wait web: back-off 1s after exit code 3, restarting in 1s`},
				{after(time.Second), `start web: restart after back-off 1s (exit code 3)`},
				{then(answer, die("web", 0)), `stop shipper: job completed, sidecars in reverse order (grace 5s)
job completed`},
			}),
		},
		{
			name: "a container whose environment reads the pod IP is created once the infra container runs",
			spec: func(s *PodSpec) {
				s.Pod.Main.EnvRefs = []recipes.EnvRef{{Name: "POD_IP", Field: "status.podIP"}}
			},
			steps: steps(upTo[:2], []seqStep{
				{answer, `start infra: holds the pod's network namespace
create migrate: app containers are created up front
create envoy: app containers are created up front
create shipper: app containers are created up front
wait web: created once the pod has its IP address (its environment reads it)`},
				{answer, `create web: the pod has its IP address`},
				{answer, `start migrate: init container 1/1`},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSequence(t, tt.spec, tt.steps) })
	}
}

// The pod IP reaches the environment of the container created late, $(VAR) in its command
// too.
func TestDownwardEnvironmentAtCreate(t *testing.T) {
	spec := testSpec()
	spec.Node = NodeInfo{Name: "engine-1", CPUs: 2, Memory: 4 << 30}
	web := spec.Pod.Main
	web.Env = recipes.Env{"PORT": "9100", "POD_NAME": "overridden"}
	web.EnvRefs = []recipes.EnvRef{
		{Name: "POD_IP", Field: "status.podIP"},
		{Name: "POD_NAME", Field: "metadata.name"},
		{Name: "NODE", Field: "spec.nodeName"},
		{Name: "UID", Field: "metadata.uid"},
		{Name: "CPUS", Resource: "limits.cpu"},
	}
	web.Command = []string{"--listen=[$(POD_IP)]:$(PORT)", "--node=$(NODE)", "$$(POD_IP)", "$(MISSING)"}
	web.ExpandRefs = true
	w := &world{spec: spec, st: NewPodStatus(spec.Pod), now: t0}
	w.st.UID = "uid-1"
	for range 4 {
		w.plan()
		w.answer()
	}
	got, ok := w.specs["web"]
	if !ok {
		t.Fatalf("web was not created; last plan:\n%s", w.last)
	}
	wantEnv := []string{"PORT=9100", "POD_IP=172.17.0.5", "POD_NAME=shop", "NODE=engine-1", "UID=uid-1", "CPUS=2"}
	if !slices.Equal(got.Env, wantEnv) {
		t.Errorf("env %q, want %q", got.Env, wantEnv)
	}
	wantCmd := []string{"--listen=[172.17.0.5]:9100", "--node=engine-1", "$(POD_IP)", "$(MISSING)"}
	if !slices.Equal(got.Cmd, wantCmd) {
		t.Errorf("command %q, want %q", got.Cmd, wantCmd)
	}
}
