package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// PsOptions are the inputs of `sidecar ps`.
type PsOptions struct {
	IO      *IOStreams
	Factory *Factory

	Output string      // text | json
	Stack  string      // one stack; "" with File unset: every stack
	File   recipeFiles // a recipe given explicitly: its stack

	Connect    func(context.Context) (engine, error)
	ControlDir string
	Now        func() time.Time
}

var psHelp = help{
	Use:   "ps [--stack NAME] [-o text|json]",
	Short: "List running stacks: pods and containers with their state",
	Long: `
List the stacks on the engine, each pod and container with its role, state,
readiness, restarts, uptime and published ports.

A stack run by a sidecar up is shown live, from that up: state as the lifecycle
sees it (backoff, stopping, ...), readiness from its probes, restarts. A stack
whose up is gone (it was killed) is shown from the engine, which knows neither
readiness nor restarts; sidecar down removes it. The first line of each stack
says which. A container without a ready probe whose image has a HEALTHCHECK
shows the engine's verdict on it (starting, healthy, unhealthy), as docker ps
does; it gates nothing. A pod that waits for the pods it depends on shows its
containers "waiting for" them (live).

Without --stack or -f, every stack is listed. -o json is for tools: {"stacks":
[{"name", "source": "live"|"engine", "pods": [{"name", "waits_for", "ports",
"containers": [{"name", "role", "state", "health", "restarts", "started_at",
...}]}]}]}.`,
	Example: `
  sidecar ps
  sidecar ps --stack demo -o json | jq '.stacks[0].pods[].containers[] | {name, state}'`,
}

func newPsCmd(f *Factory, runF func(*PsOptions) error) *cobra.Command {
	opts := &PsOptions{IO: f.IO, Factory: f}
	parse := func(cmd *cobra.Command, v *viper.Viper, _ []string) (err error) {
		if cmd.Flags().Changed("file") {
			if opts.File, err = recipeFile(f, v, f.IO.ErrOut); err != nil {
				return err
			}
		}
		if opts.Output, err = outputFlag(cmd, v, "-o", "text", "json"); err != nil {
			return err
		}
		if opts.Stack, err = stackFlag(cmd, v, "-f"); err != nil {
			return err
		}
		if opts.Connect == nil {
			opts.Connect = func(ctx context.Context) (engine, error) { return connectEngine(ctx, f) }
		}
		if opts.Now == nil {
			opts.Now = time.Now
		}
		return nil
	}
	cmd := psHelp.command(noArgs, runE(f, opts, runF, psRun, parse))
	cmd.Flags().StringP("output", "o", "text", "output format: text or json")
	cmd.Flags().String("stack", "", "show only this stack")
	completeOutput(cmd, "text", "json")
	return cmd
}

// psStack is one stack as ps shows it.
type psStack struct {
	Name string `json:"name"`
	// Source is where the state comes from: "live" (the up running it) or "engine" (no up
	// runs it: the engine's view, without readiness or restarts).
	Source string `json:"source"`
	PID    int    `json:"pid,omitempty"`
	Recipe string `json:"recipe,omitempty"`
	// Engine: live only, the address of the engine it runs on.
	Engine string `json:"engine,omitempty"`
	// Detached: run by the supervisor of `up -d`, which writes its log to Log.
	Detached bool   `json:"detached,omitempty"`
	Log      string `json:"log,omitempty"`
	Phase    string `json:"phase,omitempty"`
	Watching bool   `json:"watching,omitempty"` // its files are watched (up --watch, sidecar watch)
	// EngineLostAt: live only, set while the engine does not answer its up: since when. The
	// containers are then as last seen, their uptimes as of then.
	EngineLostAt  time.Time `json:"engine_lost_at,omitzero"`
	EngineLostFor string    `json:"engine_lost_for,omitempty"`
	Pods          []psPod   `json:"pods"`
}

type psPod struct {
	Name  string `json:"name"`
	Phase string `json:"phase,omitempty"`
	// WaitsFor: live only, the pods a pending pod waits for (its depends_on not met yet).
	WaitsFor []string `json:"waits_for,omitempty"`
	// NotStarted: live only, why a pending pod will not start ("pod redis is unhealthy": a
	// pod a converging up added, which failed that up).
	NotStarted string        `json:"not_started,omitempty"`
	Ports      []string      `json:"ports,omitempty"`
	Containers []psContainer `json:"containers"`
}

type psContainer struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	State string `json:"state"`
	// Health: "ready", "not-ready" or "unknown" for a container with a ready probe, live;
	// else "starting", "healthy" or "unhealthy" when its image has a HEALTHCHECK (live or
	// from the engine); omitted otherwise.
	Health    string    `json:"health,omitempty"`
	Restarts  *int      `json:"restarts,omitempty"` // live only
	ExitCode  *int      `json:"exit_code,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Uptime    string    `json:"uptime,omitempty"` // running containers
	// RestartAt and RestartIn: live only, a container in back-off after a crash.
	RestartAt time.Time `json:"restart_at,omitzero"`
	RestartIn string    `json:"restart_in,omitempty"`
	Image     string    `json:"image,omitempty"`
	ID        string    `json:"id,omitempty"`

	order int // engine only: the position in the pod's start order, from its label
}

func psRun(ctx context.Context, opts *PsOptions) error {
	dir, err := opts.Factory.controlDirOf(opts.ControlDir)
	if err != nil {
		return err
	}
	name := opts.Stack
	if len(opts.File) > 0 {
		st, err := loadReported(opts.Factory, opts.IO.ErrOut, opts.File)
		if err != nil {
			return err
		}
		name = st.Name
	}

	// Live stacks first: they need no engine.
	live := map[string]*psStack{}
	names := []string{name}
	if name == "" {
		names = liveStacks(dir)
	}
	for _, n := range names {
		if c, ok := dialControl(dir, n); ok {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			st, err := c.State(sctx)
			cancel()
			if err == nil {
				live[n] = liveStack(st, opts.Now())
			}
		}
	}

	var stacks []*psStack
	needEngine := name == "" || live[name] == nil
	if needEngine {
		rt, err := opts.Connect(ctx)
		if err != nil {
			if len(live) == 0 {
				return &ExitError{Code: exitFailure, Err: err}
			}
			fmt.Fprintf(opts.IO.ErrOut, "sidecar: showing only the stacks run by sidecar up: %v\n", err)
		} else {
			defer rt.Close()
			found, skipped, err := engineStacks(ctx, rt, name, opts.Now())
			if err != nil {
				return &ExitError{Code: exitFailure, Err: err}
			}
			for _, err := range skipped {
				fmt.Fprintf(opts.IO.ErrOut, "sidecar: %v\n", err)
			}
			for _, s := range found {
				if live[s.Name] == nil {
					stacks = append(stacks, s)
				}
			}
		}
	}
	for _, s := range live {
		stacks = append(stacks, s)
	}
	sort.Slice(stacks, func(i, j int) bool { return stacks[i].Name < stacks[j].Name })

	if opts.Output == "json" {
		if stacks == nil {
			stacks = []*psStack{}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Stacks []*psStack `json:"stacks"`
		}{stacks})
	}
	if len(stacks) == 0 {
		if name != "" {
			fmt.Fprintf(opts.IO.Out, "Stack %s is not running%s.\n", name, lastRunNote(opts.Factory, name))
		} else {
			fmt.Fprintln(opts.IO.Out, "No stacks are running.")
		}
		return nil
	}
	return printStacks(opts.IO.Out, stacks)
}

// liveStack is a stack as its up sees it.
func liveStack(st control.State, now time.Time) *psStack {
	s := &psStack{Name: st.Stack, Source: "live", PID: st.PID, Recipe: st.Recipe, Phase: st.State.Phase.String(),
		Detached: st.Detached, Log: st.Log, Watching: st.Watching, Engine: st.Engine}
	if lost := st.State.EngineLostAt; !lost.IsZero() {
		// What the up last saw: nothing since is known, uptimes stop growing.
		s.EngineLostAt, s.EngineLostFor = lost, uptime(now, lost)
		now = lost
	}
	for _, pv := range st.State.Pods {
		p := psPod{Name: pv.Name, Phase: pv.Phase.String(), WaitsFor: pv.WaitsFor, Ports: st.Ports[pv.Name]}
		if why, ok := strings.CutPrefix(pv.Reason, "not started: "); ok && pv.Phase == orchestrator.PhasePending {
			p.NotStarted = why
		}
		for _, c := range pv.Containers {
			pc := psContainer{Name: c.Name, Role: c.Role.String(), State: c.State.String(), ExitCode: c.ExitCode,
				StartedAt: c.StartedAt, Image: c.Image, ID: shortID(c.ID)}
			if c.Role != recipes.RoleInfra {
				restarts := c.Restarts
				pc.Restarts = &restarts
			}
			if c.Health != orchestrator.HealthNone {
				pc.Health = c.Health.String()
			}
			if c.State == orchestrator.CStateRunning || c.State == orchestrator.CStateStopping {
				pc.Uptime = uptime(now, c.StartedAt)
			}
			if c.State == orchestrator.CStateBackoff && !c.RestartAt.IsZero() {
				pc.RestartAt, pc.RestartIn = c.RestartAt, max(c.RestartAt.Sub(now), 0).Round(100*time.Millisecond).String()
			}
			p.Containers = append(p.Containers, pc)
		}
		s.Pods = append(s.Pods, p)
	}
	return s
}

// engineStacks reads stacks from the engine's labels: one (name) or every one (""). A
// container whose labels sidecar did not write (a name with escape sequences, an unknown
// role) is left out and said so in skipped.
func engineStacks(ctx context.Context, rt engine, name string, now time.Time) (stacks []*psStack, skipped []error, err error) {
	infos, err := rt.ListContainers(ctx, orchestrator.StackFilter(name))
	if err != nil {
		return nil, nil, fmt.Errorf("list the stacks' containers: %w", err)
	}
	byStack := map[string]*psStack{}
	pods := map[[2]string]*psPod{}
	jobs := map[[2]string]bool{} // pods whose infra container says they are jobs
	var order []string
	for _, info := range infos {
		l, err := orchestrator.DecodeLabels(info.Labels)
		if err == nil && l.Stack == "" {
			err = errors.New("its stack label is empty")
		}
		if err != nil {
			skipped = append(skipped, fmt.Errorf("container %q (%s) is left out, its labels are not sidecar's: %w", info.Name, shortID(info.ID), err))
			continue
		}
		sn, pn := l.Stack, l.Pod
		s := byStack[sn]
		if s == nil {
			s = &psStack{Name: sn, Source: "engine", Recipe: l.Recipe}
			byStack[sn] = s
			order = append(order, sn)
		}
		key := [2]string{sn, pn}
		if pods[key] == nil {
			pods[key] = &psPod{Name: pn}
		}
		c := psContainer{Name: l.Container, Role: l.Role.String(),
			State: info.Status.String(), StartedAt: info.StartedAt, Image: info.Image, ID: shortID(info.ID)}
		if c.Name == "" {
			c.Name = info.Name
		}
		c.order = math.MaxInt // infra, or made before the label existed
		if l.HasOrder {
			c.order = l.Order
		}
		switch info.Status {
		case orchestrator.StatusRunning, orchestrator.StatusPaused, orchestrator.StatusRestarting:
			c.Uptime = uptime(now, info.StartedAt)
			if info.Health != orchestrator.EngineHealthNone {
				c.Health = info.Health.String() // the image's HEALTHCHECK, as docker ps shows it
			}
		case orchestrator.StatusExited, orchestrator.StatusDead:
			code := info.ExitCode
			c.ExitCode = &code
		}
		if c.Role == recipes.RoleInfra.String() {
			if l.Job {
				jobs[key] = true
			}
			seen := map[string]bool{}
			for _, p := range info.Ports {
				if s := control.FormatPort(p); !seen[s] {
					seen[s] = true
					pods[key].Ports = append(pods[key].Ports, s)
				}
			}
			sort.Strings(pods[key].Ports)
		}
		pods[key].Containers = append(pods[key].Containers, c)
	}
	for _, sn := range order {
		s := byStack[sn]
		var podNames []string
		for key := range pods {
			if key[0] == sn {
				podNames = append(podNames, key[1])
			}
		}
		sort.Strings(podNames)
		for _, pn := range podNames {
			p := pods[[2]string{sn, pn}]
			if jobs[[2]string{sn, pn}] && jobCompleted(p.Containers) {
				p.Phase = orchestrator.PhaseCompleted.String()
			}
			sort.SliceStable(p.Containers, func(i, j int) bool { return lifecycleLess(p.Containers[i], p.Containers[j]) })
			s.Pods = append(s.Pods, *p)
		}
		stacks = append(stacks, s)
	}
	return stacks, skipped, nil
}

// lifecycleLess orders a pod's containers as a live ps does, in start order: the infra
// container, then the app containers by their order label (init containers, sidecars in the
// recipe's order, main), then by role and name for containers without the label.
func lifecycleLess(a, b psContainer) bool {
	if ia, ib := a.Role == recipes.RoleInfra.String(), b.Role == recipes.RoleInfra.String(); ia != ib {
		return ia
	}
	if a.order != b.order {
		return a.order < b.order
	}
	if ra, rb := roleRank(a.Role), roleRank(b.Role); ra != rb {
		return ra < rb
	}
	return a.Name < b.Name
}

// roleRank orders a pod's containers as the lifecycle does: infra, init, sidecars, main.
func roleRank(role string) int {
	switch role {
	case "infra":
		return 0
	case "init":
		return 1
	case "sidecar":
		return 2
	case "main":
		return 3
	}
	return 4
}

func uptime(now, since time.Time) string {
	if since.IsZero() {
		return ""
	}
	d := now.Sub(since)
	switch {
	case d < 0:
		return "0s"
	case d < time.Hour:
		return d.Truncate(time.Second).String()
	}
	return d.Truncate(time.Minute).String()
}

// printStacks writes the stacks as text. Every field is made plain text on the way out: the
// names come from labels (checked when decoded) or from a running up, the recipe path and
// the ports from the file system and the engine.
func printStacks(w io.Writer, stacks []*psStack) error {
	for i, s := range stacks {
		s := plainStack(s)
		if i > 0 {
			fmt.Fprintln(w)
		}
		switch s.Source {
		case "live":
			if s.Detached {
				fmt.Fprintf(w, "STACK %s  %s, live from sidecar up -d (supervisor pid %d", s.Name, s.Phase, s.PID)
			} else {
				fmt.Fprintf(w, "STACK %s  %s, live from sidecar up (pid %d", s.Name, s.Phase, s.PID)
			}
			if s.Recipe != "" {
				fmt.Fprintf(w, ", %s", s.Recipe)
			}
			if s.Log != "" {
				fmt.Fprintf(w, ", log %s", s.Log)
			}
			fmt.Fprint(w, ")")
			if s.Watching {
				fmt.Fprint(w, ", watching its files")
			}
			if !s.EngineLostAt.IsZero() {
				fmt.Fprintf(w, "; engine unreachable for %s: its up waits for it, containers as last seen", s.EngineLostFor)
			}
			fmt.Fprintln(w)
		default:
			fmt.Fprintf(w, "STACK %s  from the engine: no sidecar up runs it (readiness and restarts unknown; sidecar down --stack %s removes it)\n", s.Name, s.Name)
		}
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "POD\tCONTAINER\tROLE\tSTATE\tHEALTH\tRESTARTS\tUPTIME\tPORTS")
		for _, p := range s.Pods {
			for _, c := range p.Containers {
				state := c.State
				if c.ExitCode != nil {
					state += fmt.Sprintf(" (%d)", *c.ExitCode)
				}
				if c.RestartIn != "" {
					state += ", restart in " + c.RestartIn
				}
				switch {
				case c.State == orchestrator.CStateWaiting.String() && len(p.WaitsFor) > 0:
					state += " for " + strings.Join(p.WaitsFor, ", ") // its pod waits for these pods
				case c.State == orchestrator.CStateWaiting.String() && p.NotStarted != "":
					state = "not started: " + p.NotStarted
				}
				health, restarts, up, ports := dash(c.Health), "—", dash(c.Uptime), "—"
				if c.Restarts != nil {
					restarts = fmt.Sprint(*c.Restarts)
				}
				if c.Role == "infra" && len(p.Ports) > 0 {
					ports = strings.Join(p.Ports, ", ")
				}
				pod := p.Name
				if p.Phase == orchestrator.PhaseCompleted.String() {
					pod += " (completed)" // a job pod whose main finished: nothing more to run
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pod, c.Name, c.Role, state, health, restarts, up, ports)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// plainStack is a copy of s with every text field made plain (termsafe.Plain).
func plainStack(s *psStack) *psStack {
	out := *s
	out.Name, out.Recipe, out.Phase, out.Log = termsafe.Plain(s.Name), termsafe.Plain(s.Recipe), termsafe.Plain(s.Phase), termsafe.Plain(s.Log)
	out.Pods = make([]psPod, len(s.Pods))
	for i, p := range s.Pods {
		q := psPod{Name: termsafe.Plain(p.Name), Phase: termsafe.Plain(p.Phase), NotStarted: termsafe.Plain(p.NotStarted)}
		for _, w := range p.WaitsFor {
			q.WaitsFor = append(q.WaitsFor, termsafe.Plain(w))
		}
		for _, port := range p.Ports {
			q.Ports = append(q.Ports, termsafe.Plain(port))
		}
		for _, c := range p.Containers {
			c.Name, c.Role, c.State, c.Health = termsafe.Plain(c.Name), termsafe.Plain(c.Role), termsafe.Plain(c.State), termsafe.Plain(c.Health)
			c.Uptime, c.Image, c.ID = termsafe.Plain(c.Uptime), termsafe.Plain(c.Image), termsafe.Plain(c.ID)
			q.Containers = append(q.Containers, c)
		}
		out.Pods[i] = q
	}
	return &out
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// jobCompleted tells whether a job pod's main has exited with code 0: the job is done, as a
// live ps says too.
func jobCompleted(cs []psContainer) bool {
	for _, c := range cs {
		if c.Role == recipes.RoleMain.String() {
			return c.ExitCode != nil && *c.ExitCode == 0
		}
	}
	return false
}
