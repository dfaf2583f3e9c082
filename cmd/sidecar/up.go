package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui/plain"
	"github.com/sidecar-dev/sidecar/watch"
)

// UpOptions are the inputs of `sidecar up`.
type UpOptions struct {
	IO      *IOStreams
	Factory *Factory

	File recipeFiles
	viewOptions
	Pods   []string
	Detach bool // -d: hand the stack to a supervisor process and return once it is up
	Watch  bool // --watch: act on the watch rules of the recipe while the stack runs

	// supervise is set in the supervisor process of `up -d` (up_detach.go).
	supervise *superviseOptions
	// warnings are the loader's, for the interactive view to list (upRun prints them once
	// the view has ended: printed before it, they would vanish with the screen it takes).
	warnings []string

	// Connect reaches the engine; tests give an in-memory one.
	Connect func(context.Context) (engine, error)
	// Signals delivers Ctrl-C, SIGTERM and SIGHUP; nil: the process's own. Tests send on it.
	Signals <-chan os.Signal
	// ControlDir is where the control socket goes; "": the user's runtime directory.
	ControlDir string
}

var upHelp = help{
	Use:   "up [pods...]",
	Short: "Run the stack until main ends, then tear it down",
	Long: `
Run the stack: per pod an infra container that holds the network namespace, init
containers one after the other, sidecars in order (each once the previous one is
ready), then main. Crashed sidecars are restarted with back-off; main follows its
restart policy. When main ends for good, or on Ctrl-C or SIGTERM, main is stopped
first, then the sidecars in reverse order, then everything is removed. Nothing is
left behind.

With pod names, only those pods run, with every pod they depend on. A container's
name (or its compose service's: web_envoy for container web-envoy) names its pod.

--watch (-w) acts on the recipe's watch rules while the stack runs: when files
under a rule's path change, that container alone is rebuilt and replaced, has the
files synced into it as it runs, synced and restarted, or restarted; the infra
container, the network and the other containers never notice. Every view shows
what changed and what was done. With -d, the supervisor watches for the stack's
whole life; sidecar watch watches a running stack from another terminal.

Output: on a terminal (stdin and stdout both), the interactive view: every
container's logs side by side with its state, search, mute, restart/stop/start, a
shell (e), and q to stop the stack (? lists every key). Otherwise (a pipe, a file,
/dev/null, nohup), or with --plain, every container's lines as
"container | line" ("pod/container | line" with several pods) and the lifecycle as
"container * started", "* ready", ... lines. --output json writes every event as
one JSON object per line instead.

The first Ctrl-C (or SIGTERM, or SIGHUP when the terminal goes away) stops the
stack gracefully: each container gets its stop signal and its grace before SIGKILL.
A second one removes everything at once. Output that can no longer be written (the
terminal closed, a pipe whose reader ended) stops the stack the same way.

While it runs, the stack is this up's: sidecar ps shows its live state, sidecar
attach and logs show it, restart|stop|start and exec act on its containers, and
sidecar down stops it.

-d runs the stack in the background instead: a supervisor process of its own
(closing the terminal does not touch it; its log is in ~/.local/state/sidecar/),
and up returns once the stack is up — main running, and ready when it has a
ready probe — or with the failure, nothing left behind.

Of a stack that runs already (up -d, or up in another terminal), up converges it:
only the containers whose recipe or image changed are re-created, in lifecycle
order ("up to date" when nothing did). up -d then returns; up shows the stack,
and q or Ctrl-C stop it, as compose's up does (sidecar attach leaves it running).

Exit status: main's exit code when main ended the stack; 0 when stopped with sidecar
down; 130 when interrupted; 1 when something failed (with the failing container's
last lines); 2 for a bad recipe or arguments.`,
	Example: `
  sidecar up                                # ./sidecar.yaml
  sidecar up -d                             # in the background; again after an edit
  sidecar up --watch                        # rebuild or sync a container when its files change
  sidecar up -f sidecar.yaml.example
  sidecar up --timestamps api               # the api pod and what it depends on
  sidecar up --output json | jq -c 'select(.type == "container")'`,
}

func newUpCmd(f *Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IO, Factory: f}
	parse := func(cmd *cobra.Command, v *viper.Viper, args []string) error {
		var err error
		if opts.File, err = recipeFile(f, v, f.IO.ErrOut); err != nil {
			return err
		}
		opts.Pods = args
		opts.Detach = v.GetBool("detach")
		opts.Watch = v.GetBool("watch")
		if opts.Watch && opts.File.stdin() {
			return usageErrorf(cmd, "--watch watches the recipe's files, and -f - (the standard input) is none: write the recipe to a file and name it with -f FILE, or leave --watch out")
		}
		if opts.Connect == nil {
			opts.Connect = func(ctx context.Context) (engine, error) { return connectEngine(ctx, f) }
		}
		return opts.readView(cmd, v, args)
	}
	cmd := upHelp.command(cobra.ArbitraryArgs, runE(f, opts, runF, upRun, parse))
	cmd.Flags().BoolP("detach", "d", false, "run the stack in the background: return once it is up (sidecar attach, logs, down reach it)")
	cmd.Flags().BoolP("watch", "w", false, "act on the recipe's watch rules while the stack runs: rebuild, sync or restart a container when its files change")
	addViewFlags(cmd, "lines of each container's output kept for the view to scroll back through")
	completeOutput(cmd, "text", "json")
	return cmd
}

// upView shows a running stack: it reads the subscription until the stream ends (io.EOF,
// then it returns nil). An error means the view cannot go on (its output is gone).
type upView interface {
	Run(ctx context.Context, sub *orchestrator.Subscription) error
}

// newView chooses how up shows the stack: JSON lines with --output json; the interactive
// view (up_tui.go) when stdin and stdout are both terminals and --plain is not given, which
// drives o with the user's commands; plain lines otherwise.
func (opts *UpOptions) newView(o *orchestrator.Orchestrator) upView {
	if opts.supervise != nil {
		return opts.supervise.view(opts)
	}
	if opts.Output == "json" {
		return plain.NewJSON(opts.IO.Out)
	}
	if opts.interactive() {
		return opts.newTUIView(o)
	}
	return plain.New(opts.IO.Out, plain.Options{
		Color:      plain.ColorEnabled(opts.IO.IsTTY, opts.NoColor, opts.Factory.getenv()),
		Timestamps: opts.Timestamps,
	})
}

// interactive tells whether up shows the stack in the interactive view: stdin and stdout
// are terminals, and neither --plain nor --output json is given.
func (opts *UpOptions) interactive() bool {
	return opts.IO.Interactive() && !opts.Plain && opts.Output != "json"
}

func upRun(ctx context.Context, opts *UpOptions) error {
	// The supervisor of up -d writes the loader's warnings into its log once it holds the
	// stack (the log is another supervisor's until then: see detach).
	var warnings bytes.Buffer
	st, warns, err := loadStack(opts.Factory, opts.File, opts.Pods...)
	switch {
	case opts.supervise != nil:
		printWarnings(&warnings, warns)
		if err != nil {
			_, _ = io.Copy(opts.IO.ErrOut, &warnings)
		}
	case err == nil && !opts.Detach && opts.interactive():
		// The interactive view takes the screen at once: it lists them (W), and they are
		// printed once it has given the screen back, before up exits.
		for _, w := range warns {
			opts.warnings = append(opts.warnings, w.String())
		}
		defer printWarnings(opts.IO.ErrOut, warns)
	default:
		printWarnings(opts.IO.ErrOut, warns)
	}
	if err != nil {
		return err
	}
	for i, name := range opts.Pods {
		p, err := podByName(st, name)
		if err != nil {
			return err
		}
		opts.Pods[i] = p.Name // a compose service's name (web_service) names its pod (web-service)
	}
	if opts.Watch {
		if err := watch.Rules(st); err != nil {
			return &ExitError{Code: exitBadInput, Err: fmt.Errorf("%s: --watch: %w", opts.File, err)}
		}
	}

	defer surviveClosedOutput()()

	dir, err := opts.Factory.controlDirOf(opts.ControlDir)
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	if opts.Detach {
		return opts.detach(ctx, dir, st) // up_detach.go
	}
	hold, err := holdStack(dir, st.Name)
	if errors.Is(err, ErrStackRunning) && opts.supervise == nil {
		return opts.converge(ctx, dir, st) // up_converge.go: the stack runs already
	}
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	nameEngine(dir, opts.Factory.engineHost())
	if opts.supervise != nil {
		opts.supervise.startLog(opts.IO.ErrOut, &warnings)
	}
	held := true
	defer func() {
		if held {
			hold.release()
		}
	}()

	rt, err := opts.Connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &ExitError{Code: exitFailure, Err: err}
	}
	defer rt.Close()
	if err := engineCanRun(rt, st, opts.Pods); err != nil {
		return err
	}

	o := orchestrator.New(rt, st, opts.orchestratorOptions())
	recipe, _ := opts.File.abs()
	info := control.Info{PID: os.Getpid(), Stack: st.Name, Recipe: recipe.list(), Version: opts.Factory.Build.Version, StartedAt: time.Now(),
		Engine: opts.Factory.engineHost()}
	if opts.supervise != nil {
		info.Detached, info.Log = true, opts.supervise.log
	}
	// Whoever runs the stack watches it for whoever asks (up --watch, sidecar watch).
	hub := watch.NewHub(o, watch.Options{})
	srv := control.Serve(hold.ln, o, rt, info, control.Options{Watch: hub})
	if opts.Watch {
		release, err := hub.Hold()
		if err != nil {
			return &ExitError{Code: exitBadInput, Err: err}
		}
		defer release()
	}

	// The view reads the stream until it ends; a view whose output is gone (stdout closed)
	// stops the stack as an interrupt would.
	sub := o.SubscribeWith(opts.viewSubscription())
	view := opts.newView(o)
	viewDone := make(chan struct{})
	go func() {
		defer close(viewDone)
		defer sub.Close()
		if err := view.Run(context.Background(), sub); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "sidecar: %v: stopping the stack\n", err)
			o.Interrupt()
		}
	}()

	stopSignals := func() {}
	if v, ok := view.(interface{ handlesSignals() bool }); !ok || !v.handlesSignals() {
		stopSignals = opts.watchSignals(o)
	}
	// A signal that came before the watch began (while the recipe loaded or the engine was
	// reached) cancelled ctx: it stops the stack too.
	stopLate := context.AfterFunc(ctx, o.Interrupt)
	res, runErr := o.Run(context.WithoutCancel(ctx))
	stopLate()
	stopSignals()
	<-viewDone
	hold.release()
	held = false
	srv.Close()
	return upResult(res, runErr)
}

// watchSignals turns the first Ctrl-C, SIGTERM or SIGHUP into a graceful teardown and the
// second into a forced one. It returns a function that stops watching.
func (opts *UpOptions) watchSignals(o *orchestrator.Orchestrator) (stop func()) {
	sigs, release := interrupts(opts.Signals)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				n++
				escalate(opts.IO.ErrOut, n, o.Interrupt, o.Kill)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		release()
	}
}

// upResult turns how the run ended into up's exit: main's code, 130 after an interrupt, 1
// with the failing container's last lines after a failure.
func upResult(res orchestrator.Result, err error) error {
	if err != nil {
		code := res.ExitCode
		if code == exitOK {
			code = exitFailure
		}
		if errors.Is(err, orchestrator.ErrUnknownPod) {
			code = exitBadInput
		}
		return &ExitError{Code: code, Err: withLastLines(err, res)}
	}
	if res.ExitCode != exitOK {
		return &ExitError{Code: res.ExitCode}
	}
	return nil
}

// lastLinesError is a failure with the failing container's last lines.
type lastLinesError struct {
	err   error
	who   string
	lines []string
}

func (e *lastLinesError) Error() string {
	var b strings.Builder
	b.WriteString(e.err.Error())
	fmt.Fprintf(&b, "\nlast lines of %s:", e.who)
	for _, l := range e.lines {
		b.WriteString("\n  | " + l)
	}
	return b.String()
}

func (e *lastLinesError) Unwrap() error { return e.err }

func withLastLines(err error, res orchestrator.Result) error {
	if len(res.Lines) == 0 {
		return err
	}
	who := res.Container
	if res.Pod != "" && res.Pod != res.Container {
		who = res.Pod + "/" + res.Container
	}
	return &lastLinesError{err: err, who: who, lines: res.Lines}
}

// podByName is the pod name names, as up NAME reads it: its own name, else one of its
// aliases (a compose service's name made a DNS label keeps the name as an alias), else the
// pod of the container name names (orchestrator.MatchContainers: by its name, or by its
// compose service's name, web_envoy for container web-envoy of pod web when the service
// joins web's namespace, network_mode: service:web), as docker compose up web_envoy starts
// what that service needs. A name that names nothing, or containers of several pods, is
// bad input that says which names there are.
func podByName(st *recipes.Stack, name string) (*recipes.Pod, error) {
	if p := st.Pod(name); p != nil {
		return p, nil
	}
	var found *recipes.Pod
	for _, p := range st.Pods {
		if slices.Contains(st.PodAliases(p), name) { // as MatchContainers reads a pod's names
			if found != nil {
				found = nil
				break
			}
			found = p
		}
	}
	if found != nil {
		return found, nil
	}
	var cs []orchestrator.NamedContainer
	var all []string
	for _, p := range st.Pods {
		all = append(all, p.Name)
		aliases := st.PodAliases(p)
		for _, c := range p.Containers() {
			cs = append(cs, orchestrator.NamedContainer{Pod: p.Name, PodAliases: aliases, Name: c.Name, Role: c.Role})
		}
	}
	var pods []string
	for _, c := range orchestrator.MatchContainers(cs, name) {
		if !slices.Contains(pods, c.Pod) {
			pods = append(pods, c.Pod)
		}
	}
	switch len(pods) {
	case 0:
		return nil, &ExitError{Code: exitBadInput, Err: fmt.Errorf("stack %s has no pod %q: its pods are %s", st.Name, name, strings.Join(all, ", "))}
	case 1:
		return st.Pod(pods[0]), nil
	}
	return nil, &ExitError{Code: exitBadInput, Err: fmt.Errorf("%q is in several pods of stack %s: name one of %s", name, st.Name, strings.Join(pods, ", "))}
}
