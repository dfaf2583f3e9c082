package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/tui"
)

// `up` of a stack that runs already — detached, or in another terminal — converges it: the
// recipe, loaded here with this environment, goes to the stack's owner over its control socket
// (POST /v1/apply), which re-creates only the containers whose recipe changed (see
// orchestrator/converge.go) and answers once the stack runs the new recipe. `up -d` then
// returns; the foreground `up` goes on to show the stack as it would its own: the interactive
// view or lines, where q, Ctrl-C or SIGTERM stop the stack, as compose's `up` does.

// ownerWait is how long converge waits for the owner of a locked stack to answer on its
// socket (it may have just taken the lock).
const ownerWait = 3 * time.Second

// reachOwner returns a client of the process that holds the stack.
func reachOwner(ctx context.Context, dir, stack string) (*control.Client, error) {
	deadline := time.Now().Add(ownerWait)
	for {
		if c, ok := dialControl(dir, stack); ok {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, &ExitError{Code: exitFailure, Err: runningError(dir, stack)}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (opts *UpOptions) converge(ctx context.Context, dir string, st *recipes.Stack) error {
	c, err := reachOwner(ctx, dir, st.Name)
	if err != nil {
		return err
	}
	who, s := ownerOf(ctx, c)
	if err := opts.sameRecipe(st, who, s); err != nil {
		return err
	}
	if err := opts.engineCanConverge(ctx, st); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "sidecar: stack %s is running, run by %s: applying the recipe\n", st.Name, who)
	show := opts.eventPrinter()
	req := control.NewApplyRequest(st, opts.Pods)
	if files, err := opts.File.abs(); err == nil {
		req.Recipe = files.list() // what ps names from now on
	}
	changes, err := applyWhenRunning(ctx, c, req, show)
	if ctx.Err() != nil {
		fmt.Fprintf(opts.IO.ErrOut, "sidecar: stopped waiting: stack %s goes on applying the recipe (sidecar ps shows it)\n", st.Name)
		return ErrInterrupted
	}
	if err != nil {
		var ce *control.Error
		if errors.As(err, &ce) {
			return &ExitError{Code: ce.ExitCode(), Err: fmt.Errorf("apply the recipe to stack %s: %w", st.Name, err)}
		}
		return &ExitError{Code: exitFailure, Err: err}
	}
	if len(changes) == 0 {
		fmt.Fprintf(opts.IO.Out, "Stack %s is up to date.\n", st.Name)
	} else {
		fmt.Fprintf(opts.IO.Out, "Stack %s runs the recipe now (%s, said above).\n", st.Name, plural(len(changes), "change"))
	}
	opts.sayStopped(ctx, c)
	if opts.Watch && opts.Detach {
		// The supervisor watches from now on, for the stack's whole life.
		if err := c.Watch(ctx, control.WatchOptions{Persist: true}); err != nil {
			return watchError(st.Name, err)
		}
		fmt.Fprintf(opts.IO.Out, "Stack %s is watched by the process that runs it, until it ends.\n", st.Name)
	}
	if opts.Detach {
		return nil
	}
	if opts.Watch {
		// Watched while this up shows the stack; its view shows what the watch does.
		wctx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
		defer stopWatch()
		werr := make(chan error, 1)
		go func() { werr <- c.Watch(wctx, control.WatchOptions{}) }()
		err := opts.showRemote(ctx, c, false)
		stopWatch()
		if e := <-werr; e != nil && err == nil {
			fmt.Fprintf(opts.IO.ErrOut, "sidecar: the watch ended: %v\n", e)
		}
		return err
	}
	return opts.showRemote(ctx, c, false)
}

// engineCanConverge is engineCanRun of the recipe on the stack's engine, before the owner
// gets it: what the engine cannot run is refused with the running stack untouched. An engine
// that does not answer here is the owner's to say (it waits for the engine to come back).
func (opts *UpOptions) engineCanConverge(ctx context.Context, st *recipes.Stack) error {
	rt, err := opts.Connect(ctx)
	if err != nil {
		return nil
	}
	defer rt.Close()
	return engineCanRun(rt, st, opts.Pods)
}

// applyWhenRunning applies the recipe; an owner that answers before its stack runs (it has
// just taken the stack: two ups started at once) says "not running", and is asked again
// until it runs the stack, for at most startWait, or is gone.
func applyWhenRunning(ctx context.Context, c *control.Client, req control.ApplyRequest, show func(orchestrator.Event)) ([]string, error) {
	deadline := time.Now().Add(startWait)
	for {
		changes, err := c.Apply(ctx, req, show)
		var ce *control.Error
		if !errors.As(err, &ce) || !strings.HasSuffix(ce.Msg, orchestrator.ErrNotRunning.Error()) ||
			time.Now().After(deadline) || ctx.Err() != nil {
			return changes, err
		}
		select {
		case <-ctx.Done():
			return changes, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startWait bounds how long converge waits for an owner that has just taken the stack to run it.
const startWait = 10 * time.Second

// ownerOf names the process that runs the stack as ps names it — "sidecar up -d (supervisor
// pid N)" or "sidecar up (pid N)" — with its state; "another sidecar up" and nil when it does
// not answer.
func ownerOf(ctx context.Context, c *control.Client) (string, *control.State) {
	sctx, cancel := context.WithTimeout(ctx, controlDialWait)
	defer cancel()
	s, err := c.State(sctx)
	if err != nil {
		return "another sidecar up", nil
	}
	if s.Detached {
		return fmt.Sprintf("sidecar up -d (supervisor pid %d)", s.PID), &s
	}
	return fmt.Sprintf("sidecar up (pid %d)", s.PID), &s
}

// sameRecipe refuses to converge a running stack that was started from a recipe of another
// directory: two checkouts named alike (both app/, without name:) make stacks of the same
// name, and converging would silently replace the one's containers with the other's. Another
// file of the same directory (a.yaml, then b.yaml; a compose override more or less) is the
// same project, edited: it converges, and ps names the recipe applied from then on. A recipe
// read from the standard input has no directory to compare, nor has an owner that does not
// say.
func (opts *UpOptions) sameRecipe(st *recipes.Stack, who string, s *control.State) error {
	if s == nil || s.Recipe == "" {
		return nil
	}
	running := filepath.SplitList(s.Recipe)[0]
	mine, err := opts.File.abs()
	if err != nil || len(mine) == 0 || mine[0] == stdinFile || running == stdinName || running == stdinFile {
		return nil
	}
	if sameFile(filepath.Dir(running), filepath.Dir(mine[0])) {
		return nil
	}
	return &ExitError{Code: exitBadInput, Err: fmt.Errorf("stack %s is running from a recipe in another directory: %s runs it from %s, and this is %s; "+
		"up would replace its containers with this recipe's. Give this stack a name of its own (name: at the top of %s), "+
		"or stop the other first with `sidecar down --stack %s`",
		st.Name, who, running, mine[0], mine[0], st.Name)}
}

// sameFile reports whether a and b name one file (through links), or the same path when
// either cannot be read.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(fa, fb)
}

// watchError is the exit of a watch the owner refused: 2 for rules that cannot be watched.
func watchError(stack string, err error) error {
	var ce *control.Error
	if errors.As(err, &ce) {
		return &ExitError{Code: ce.ExitCode(), Err: fmt.Errorf("watch stack %s: %w", stack, err)}
	}
	return &ExitError{Code: exitFailure, Err: fmt.Errorf("watch stack %s: %w", stack, err)}
}

// showRemote shows a stack another process runs, as up shows its own, until the stack ends
// or (attached) the user leaves: the interactive view on a terminal, else lines. attached
// makes q, Ctrl-C and SIGTERM leave the stack running (sidecar attach); otherwise they stop
// it (up of a running stack). It returns the stack's exit status when it ended.
func (opts *UpOptions) showRemote(ctx context.Context, c *control.Client, attached bool) error {
	ctx = context.WithoutCancel(ctx) // interrupts are the view's to handle
	if opts.interactive() {
		ctl := &finalWatch{Controller: control.NewController(ctx, c)}
		err := tui.Run(ctx, ctl, tui.Options{
			Input: opts.IO.In, Output: opts.IO.Out, Environ: opts.Factory.Environ(), Signals: opts.Signals,
			LogLines: opts.LogLines, Timestamps: opts.Timestamps, NoColor: opts.NoColor, Attached: attached,
			Warnings: opts.warnings,
		})
		if err != nil {
			return &ExitError{Code: exitFailure, Err: err}
		}
		return ctl.exit()
	}
	eo := control.EventOptions{Follow: true, Tail: 0}
	if attached {
		eo.Tail = control.TailAll
	}
	sub, err := c.Events(ctx, eo)
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	defer sub.Close()
	sigs, release := interrupts(opts.Signals)
	defer release()
	show := opts.eventPrinter()
	fw := &finalWatch{}
	evs := make(chan []orchestrator.Event)
	errc := make(chan error, 1)
	go func() {
		for {
			b, err := sub.Next(ctx)
			if err != nil {
				errc <- err
				return
			}
			evs <- b
		}
	}()
	interrupts := 0
	for {
		select {
		case <-sigs:
			if attached {
				fmt.Fprintln(opts.IO.ErrOut, "sidecar: detached: the stack keeps running")
				return nil
			}
			interrupts++
			tctx, cancel := context.WithTimeout(ctx, controlDialWait)
			escalate(opts.IO.ErrOut, interrupts, func() { _ = c.Interrupt(tctx) }, func() { _ = c.Kill(tctx) })
			cancel()
		case b := <-evs:
			fw.note(b)
			for _, ev := range b {
				show(ev)
			}
		case err := <-errc:
			if !errors.Is(err, io.EOF) {
				return &ExitError{Code: exitFailure, Err: fmt.Errorf("follow the stack: %w", err)}
			}
			return fw.exit()
		}
	}
}

// escalate does what the n-th interrupt of a stack's run asks, and says so on errOut: the
// first stops the stack gracefully (stop), every later one removes everything at once (kill).
func escalate(errOut io.Writer, n int, stop, kill func()) {
	if n == 1 {
		fmt.Fprintln(errOut, "sidecar: stopping… press Ctrl-C again to force")
		stop()
		return
	}
	if n == 2 {
		fmt.Fprintln(errOut, "sidecar: forcing: removing everything now (Ctrl-C again: stop waiting for the engine)")
	} else {
		fmt.Fprintln(errOut, "sidecar: not waiting for the engine any longer: what may be left is named as up ends; `sidecar down` removes it")
	}
	kill()
}

// finalWatch is a remote controller whose subscriptions note the stack's final event: the
// exit status of a stack shown by another process.
type finalWatch struct {
	*control.Controller
	mu    sync.Mutex
	final *orchestrator.StackEvent
}

func (f *finalWatch) SubscribeWith(o orchestrator.SubscribeOptions) *watchedSub {
	return &watchedSub{Subscription: f.Controller.SubscribeWith(o), f: f}
}

func (f *finalWatch) note(evs []orchestrator.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range evs {
		if se, ok := ev.(orchestrator.StackEvent); ok && se.ExitCode != nil {
			f.final = &se
		}
	}
}

// exit is the stack's exit status, as up's: nil while it runs on (the view was left).
func (f *finalWatch) exit() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.final == nil || f.final.ExitCode == nil || *f.final.ExitCode == exitOK {
		return nil
	}
	if f.final.Phase == orchestrator.PhaseFailed {
		return &ExitError{Code: *f.final.ExitCode, Err: errors.New(f.final.Reason)}
	}
	return &ExitError{Code: *f.final.ExitCode}
}

type watchedSub struct {
	*control.Subscription
	f *finalWatch
}

func (w *watchedSub) Next(ctx context.Context) ([]orchestrator.Event, error) {
	evs, err := w.Subscription.Next(ctx)
	w.f.note(evs)
	return evs, err
}

func (w *watchedSub) TryNext() []orchestrator.Event {
	evs := w.Subscription.TryNext()
	w.f.note(evs)
	return evs
}

// sayStopped names the containers of the running stack that stay stopped, as `sidecar stop`
// left them: converging does not start them (a user's stop holds), but a stack that is "up
// to date" with its main stopped should not read as running.
func (opts *UpOptions) sayStopped(ctx context.Context, c *control.Client) {
	sctx, cancel := context.WithTimeout(ctx, controlDialWait)
	defer cancel()
	s, err := c.State(sctx)
	if err != nil {
		return
	}
	var names []string
	for _, p := range s.State.Pods {
		for _, ct := range p.Containers {
			if ct.State == orchestrator.CStateStopped && ct.Role != recipes.RoleInit && ct.Role != recipes.RoleInfra {
				names = append(names, ct.Name)
			}
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(opts.IO.Out, "Left stopped (by sidecar stop): %s — sidecar start %s starts it again.\n", strings.Join(names, ", "), names[0])
	}
}
