package orchestrator

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// ActionKind is what an action does.
type ActionKind int

const (
	ActCreateVolume ActionKind = iota + 1
	ActRemoveVolume
	ActCreate // create a container (the infra container too), then copy its files in
	ActStart
	ActStop // stop signal, grace, SIGKILL
	ActRemove
	ActCollectLogs // read the last log lines of a container that failed the pod
	ActPostStart   // run the container's post-start hook
	ActPreStop     // run the container's pre-stop hook, before its stop signal
	ActFillVolume  // copy a pod volume's files into it through the running infra container (ID)
)

var actionKindNames = enum[ActionKind]{names: []string{"", "create volume", "remove volume", "create", "start", "stop", "remove", "collect logs", "post-start", "pre-stop", "fill volume"}}

func (k ActionKind) String() string { return actionKindNames.name(k) }

// Action is one step the executor carries out. It is self-contained: everything the executor
// needs is in it, so the executor decides nothing.
type Action struct {
	Kind ActionKind
	// Target is the container's name in its pod (InfraName for the infra container) or the
	// pod volume's name.
	Target string
	Role   recipes.Role
	// ID is the engine ID of the container acted on (start, stop, remove, collect logs).
	ID string
	// Spec and Files: create; Files: fill volume.
	Spec  *ContainerSpec
	Files []FileCopy
	// Volume and Labels: the engine volume's name and labels (create/remove volume);
	// Memory makes it a tmpfs of at most Size bytes (0: the engine's default).
	Volume string
	Labels map[string]string
	Memory bool
	Size   int64
	// Grace: stop; the pre-stop hook's time limit.
	Grace time.Duration
	// Hook, Infra and Attempt: post-start and pre-stop. The hook runs in container ID (exec)
	// or from the namespace of the infra container Infra (http), for run Attempt.
	Hook    *recipes.Hook
	Infra   string
	Attempt int
	Reason  string
	// Replace marks the stop and removal of a container that is to be created again from a
	// changed recipe, or that is no longer in it (see converge.go): it is not restarted.
	Replace bool
	// PodBudget marks the stop (or pre-stop hook) of a member of a pod re-created on purpose:
	// the members stop within one budget for the pod, which the first of them starts
	// (PodStatus.RecreateStart).
	PodBudget bool
}

// String is the action as one line: what, on which container, why.
func (a Action) String() string {
	s := fmt.Sprintf("%s %s: %s", a.Kind, a.Target, a.Reason)
	switch a.Kind {
	case ActStop, ActPreStop:
		s += fmt.Sprintf(" (grace %s)", a.Grace)
	case ActCreateVolume:
		if a.Memory {
			s += " (tmpfs)"
		}
	case ActCreate:
		var vols []string
		for _, fc := range a.Files {
			if fc.Volume != "" {
				vols = append(vols, fc.Volume)
			}
		}
		if len(vols) > 0 {
			s += " (then fills volume " + strings.Join(vols, ", ") + " with its files)"
		}
	}
	return s
}

// Wait says why the planner does nothing yet about a container.
type Wait struct {
	Target string
	Until  time.Time // when waiting ends by itself; zero when an event will end it
	Reason string
}

func (w Wait) String() string { return fmt.Sprintf("wait %s: %s", w.Target, w.Reason) }

// Phase is where a stack or a pod is in its life.
type Phase int

const (
	PhasePending      Phase = iota // not started yet (waiting for its dependencies)
	PhasePulling                   // resolving images
	PhaseCreating                  // creating the network, volumes, infra and app containers
	PhaseStarting                  // stack: pods are starting
	PhaseInit                      // pod: init containers run
	PhaseSidecars                  // pod: sidecars start in order
	PhaseStartingMain              // pod: main starts
	PhaseRunning                   // main started
	PhaseRecreating                // pod: infra container lost, the pod is recreated
	PhaseStopping                  // tearing down
	PhaseDone                      // everything removed
	PhaseFailed                    // failed; what was created is torn down
	PhaseCompleted                 // pod: a job whose main completed (exit 0): its sidecars are stopped, its containers kept until the stack ends
)

var phaseNames = enum[Phase]{"phase", []string{"pending", "pulling", "creating", "starting", "init", "sidecars", "starting-main", "running", "recreating", "stopping", "done", "failed", "completed"}}

func (p Phase) String() string                { return phaseNames.name(p) }
func (p Phase) MarshalText() ([]byte, error)  { return phaseNames.text(p) }
func (p *Phase) UnmarshalText(b []byte) error { return phaseNames.unmarshal(p, b) }

// Errors a PodError wraps, matched with errors.Is.
var (
	// ErrInitFailed: an init container exited non-zero.
	ErrInitFailed = errors.New("init container failed")
	// ErrJobFailed: the main of a job pod failed and its restart policy gave up.
	ErrJobFailed = errors.New("job failed")
	// ErrPostStartFailed: the post-start hook of a container that is not restarted (an init
	// container, a main whose restart policy is never) failed.
	ErrPostStartFailed = errors.New("post-start hook failed")
	// ErrNoHealthcheck: a container's readiness is its image's HEALTHCHECK, and the image
	// has none.
	ErrNoHealthcheck = errors.New("has no HEALTHCHECK")
	// ErrDependencyUnhealthy: a pod waits for another to be ready, and that pod's main
	// never was and its ready probe reached its failure threshold.
	ErrDependencyUnhealthy = errors.New("is unhealthy")
)

// PodError is a pod failure: a failing init container, or an engine operation that failed
// while the pod came up. It is the error Run returns for it.
type PodError struct {
	Pod       string
	Container string // the failing container, if one
	ExitCode  int    // of a failing init container
	// Reason says what failed, where and how to fix it, once: an engine error names the
	// operation and the container already ("start container shop-infra: host port 8080 …").
	Reason string
	Lines  []string // the failing container's last log lines
	Err    error
}

// Error is "pod <pod> failed: <reason>", the words the views use for the pod's failure.
func (e *PodError) Error() string { return "pod " + e.Pod + " failed: " + e.Reason }

func (e *PodError) Unwrap() error { return e.Err }

// Plan is what the planner decided for one pod at one instant: actions to carry out now,
// and why nothing happens for the rest.
type Plan struct {
	Pod     string
	Phase   Phase
	Actions []Action
	Waits   []Wait
	// WakeAt is the earliest time the plan changes by itself (a back-off ends); zero when
	// only an observation can change it.
	WakeAt time.Time
	// MainEnded: main exited and its restart policy does not restart it.
	MainEnded bool
	MainExit  int
	// Reason says why the pod is in its phase when the plan knows better than the status
	// (a pod re-created because its recipe changed).
	Reason string
	// Failure: the pod failed (final once its failing container's lines are collected).
	Failure *PodError
	// Blocked: the start-up waits for a sidecar's startup or ready probe.
	Blocked *Blocked
	// Completed: the pod is a job whose main completed; the pods that depend on it may start.
	Completed bool
	// Done: the pod is torn down, nothing of it is left.
	Done bool
}

// String is the plan, one line per action, then one per wait, then its outcome.
func (p Plan) String() string {
	var b strings.Builder
	for _, a := range p.Actions {
		b.WriteString(a.String() + "\n")
	}
	for _, w := range p.Waits {
		b.WriteString(w.String() + "\n")
	}
	if p.Failure != nil {
		b.WriteString("pod failed: " + p.Failure.Reason + "\n")
	}
	if p.MainEnded {
		fmt.Fprintf(&b, "main ended: exit code %d\n", p.MainExit)
	}
	if p.Completed {
		b.WriteString("job completed\n")
	}
	if p.Done {
		b.WriteString("pod done\n")
	}
	return b.String()
}

func (p *Plan) act(a Action) { p.Actions = append(p.Actions, a) }

func (p *Plan) wait(target string, until time.Time, reason string) {
	p.Waits = append(p.Waits, Wait{Target: target, Until: until, Reason: reason})
	if !until.IsZero() && (p.WakeAt.IsZero() || until.Before(p.WakeAt)) {
		p.WakeAt = until
	}
}

// RoundDuration rounds a duration for people to read, to the precision the views show stop
// graces and back-offs with: milliseconds below a second, tenths of a second below a minute,
// whole seconds above. A grace computed from what is left of a pod's stop budget is
// 2.999999709s on the clock and reads 3s.
func RoundDuration(d time.Duration) time.Duration {
	switch {
	case d <= 0:
		return 0
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// fmtExitVerb says how a run ended, as a verb phrase: "exited with code 3", "was OOM-killed
// (exit code 137)".
func fmtExitVerb(code int, oom bool) string {
	if oom {
		return fmt.Sprintf("was OOM-killed (exit code %d)", code)
	}
	return fmt.Sprintf("exited with code %d", code)
}

// fmtExit describes how a run ended.
func fmtExit(code int, oom bool) string {
	if oom {
		return fmt.Sprintf("OOM-killed (exit code %d)", code)
	}
	return fmt.Sprintf("exit code %d", code)
}
