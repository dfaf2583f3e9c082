package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/control"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

// `up -d`: the stack is run by a supervisor process — this binary again, as the hidden
// command `supervise`, in a session of its own (Setsid: no terminal, so closing the terminal
// or SIGHUP does not reach it), stdin /dev/null, stdout and stderr into a log file in the
// user's state directory, with the recipe path, the flags, the working directory and the
// environment of the `up -d` that started it (so that ${VAR} in the recipe reads the same
// values). The supervisor is an `up` like the foreground one — the same orchestrator, the
// same control socket and lock — whose view writes the lifecycle to its log and, while the
// `up -d` that started it follows, reports every state event on a pipe (fd 3) and at the
// end a result line (the exit status and what the foreground `up` would have printed).
//
// The `up -d` prints the lifecycle as the plain view does and returns once the stack is up —
// every pod's main running, and ready when it has a ready probe — with a summary; or, when
// the stack failed, with the supervisor's own error (the failing container's last lines) and
// its exit status, once the supervisor has removed everything; or, when a main runs but is
// unhealthy (never ready, its ready probe past its threshold), with exit 1 and the stack
// left running (docker compose's up -d --wait). Ctrl-C while it waits stops
// the stack (it was never up). Once up, the stack ends only with `sidecar down`, its main
// ending for good, or the supervisor being killed (`sidecar down` and the next `up` clean up
// after that as after a killed foreground `up`).

// lastRunNote points at the log of the stack's last `up -d`, for a message that finds the
// stack gone (its main ended, say): how it ended is at the end of that log. "" without one.
func lastRunNote(f *Factory, stack string) string {
	path, err := stateLogPath(f.getenv(), stack, f.engineHost())
	if err != nil {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	// A foreground up may have run it since: the time says which run the log is of.
	return fmt.Sprintf("; how its last `sidecar up -d` ended (%s) is at the end of %s", fi.ModTime().Local().Format("2006-01-02 15:04:05"), path)
}

// startLog empties the supervisor's log, now that it holds the stack, and writes what was
// kept for it (the loader's warnings) to w.
func (s *superviseOptions) startLog(w io.Writer, kept *bytes.Buffer) {
	if s.truncateLog != nil {
		_ = s.truncateLog()
	}
	_, _ = io.Copy(w, kept)
}

// reportFD is the file descriptor of the report pipe in the supervisor (ExtraFiles[0]).
const reportFD = 3

// superviseOptions are what the supervisor process knows of its role.
type superviseOptions struct {
	log    string        // its log file, for the state (ps)
	report *bufio.Writer // the pipe to the up -d that started it; nil once that one is gone
	pipe   *os.File
	// truncateLog empties the log, once the supervisor holds the stack (the log was opened
	// to append: see detach); nil: nothing to empty.
	truncateLog func() error
}

// stateLogPath is the supervisor's log file of a stack on the engine at host:
// $XDG_STATE_HOME/sidecar/STACK.log, else ~/.local/state/sidecar/STACK.log; STACK@KEY.log
// (KEY: engineKey) on an engine other than the default socket, so that the same stack on two
// engines has two logs. The directory is created (mode 0700).
func stateLogPath(getenv func(string) string, stack, host string) (string, error) {
	dir := getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", fmt.Errorf("find the state directory for the supervisor's log: %w (set XDG_STATE_HOME)", err)
			}
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "sidecar")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the state directory %s for the supervisor's log: %w (set XDG_STATE_HOME to a directory you own)", dir, err)
	}
	if !sameEngine(host, runtime.DefaultHost) {
		stack += "@" + engineKey(host)
	}
	return filepath.Join(dir, stack+".log"), nil
}

// detach starts the supervisor of the stack and follows it until the stack is up (or the
// stack converges, when it runs already).
func (opts *UpOptions) detach(ctx context.Context, dir string, st *recipes.Stack) error {
	if _, live := dialControl(dir, st.Name); live {
		return opts.converge(ctx, dir, st)
	}
	logPath, err := stateLogPath(opts.Factory.getenv(), st.Name, opts.Factory.engineHost())
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	exe, err := os.Executable()
	if err != nil {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("find the sidecar binary to run the supervisor: %w", err)}
	}
	recipe, err := opts.File.abs()
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	wd, _ := os.Getwd()
	var args []string
	for _, file := range recipe {
		args = append(args, "--file", file)
	}
	if opts.File.stdin() {
		// The supervisor's standard input is not this one: it reads a copy of what this up
		// read, next to its log, and removes it when the stack ends.
		copyPath, err := opts.stdinCopy(logPath)
		if err != nil {
			return &ExitError{Code: exitFailure, Err: err}
		}
		args = append(args, "--stdin-copy", copyPath)
	}
	args = append([]string{"supervise"}, append(args, "--log-lines", strconv.Itoa(opts.LogLines), "--log", logPath)...)
	if opts.Watch {
		args = append(args, "--watch")
	}
	if opts.ControlDir != "" {
		args = append(args, "--control-dir", opts.ControlDir)
	}
	for _, p := range opts.Factory.profiles {
		args = append(args, "--profile", p)
	}
	args = append(append(args, "--"), opts.Pods...)

	r, w, err := os.Pipe()
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	defer r.Close()
	// Appended to, not truncated: the supervisor empties it once it holds the stack, so that
	// one that finds the stack taken (another up -d at the same moment) leaves the log of the
	// supervisor that runs it alone.
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("open the supervisor's log: %w", err)}
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		logf.Close()
		return &ExitError{Code: exitFailure, Err: err}
	}
	cmd := exec.Command(exe, args...)
	cmd.Env, cmd.Dir = opts.Factory.Environ(), wd
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = detachedProcess()
	err = cmd.Start()
	w.Close()
	logf.Close()
	devnull.Close()
	if err != nil {
		removeStdinCopy(args)
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("start the supervisor: %w", err)}
	}
	return opts.followSupervisor(ctx, cmd, r, logPath, dir, st)
}

// stdinCopy writes the recipe read from the standard input next to the supervisor's log
// (STACK.log → STACK.stdin), readable by the user only, for the supervisor to read.
func (opts *UpOptions) stdinCopy(logPath string) (string, error) {
	content, err := opts.Factory.readStdin()
	if err != nil {
		return "", fmt.Errorf("read the standard input: %w", err)
	}
	path := strings.TrimSuffix(logPath, ".log") + ".stdin"
	if err := os.WriteFile(path, content, 0o600); err != nil {
		return "", fmt.Errorf("hand the recipe read from the standard input to the supervisor: %w", err)
	}
	return path, nil
}

// followSupervisor prints what the supervisor reports until the stack is up (a summary, exit
// 0) or the supervisor ends (its error and exit status).
func (opts *UpOptions) followSupervisor(ctx context.Context, cmd *exec.Cmd, r *os.File, logPath, dir string, st *recipes.Stack) error {
	stack := st.Name
	type item struct {
		ev  orchestrator.Event
		res *control.Result
		err error
		end bool
	}
	items := make(chan item, 64)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		res, err := control.ReadStream(r, func(ev orchestrator.Event) {
			select {
			case items <- item{ev: ev}:
			case <-stop:
			}
		})
		select {
		case items <- item{res: res, err: err, end: true}:
		case <-stop:
		}
	}()
	// Interrupts are the supervisor's to handle: the first stops the stack, the next kill it.
	// A hang-up (the terminal closed) only ends the waiting: the stack comes up regardless.
	sigs, release := interrupts(nil)
	defer release()
	interrupts := 0
	show := opts.eventPrinter()
	var view orchestrator.StackView
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				_ = cmd.Process.Release()
				return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("the terminal went away: stack %s goes on starting in the background (sidecar ps shows it)", stack)}
			}
			interrupts++
			if interrupts == 1 {
				fmt.Fprintln(opts.IO.ErrOut, "sidecar: stopping the stack… press Ctrl-C again to force")
			} else {
				fmt.Fprintln(opts.IO.ErrOut, "sidecar: forcing: removing everything now")
			}
			_ = cmd.Process.Signal(os.Interrupt)
		case it := <-items:
			if !it.end {
				view.Apply(it.ev)
				show(it.ev)
				if interrupts == 0 && stackUp(view) {
					pid := cmd.Process.Pid
					_ = cmd.Process.Release()
					opts.upSummary(ctx, dir, stack, logPath, pid, view)
					return nil
				}
				if why := stackUnhealthy(view); interrupts == 0 && why != "" {
					// It runs, and will not be up: as docker compose's up -d --wait, the
					// wait fails and the stack is left running, for the user to look at.
					pid := cmd.Process.Pid
					_ = cmd.Process.Release()
					return &ExitError{Code: exitFailure, Err: fmt.Errorf("stack %s runs in the background (supervisor pid %d), but it is not up: %s; "+
						"fix its ready probe (for compose, the service's healthcheck) and sidecar up -d again, or sidecar down --stack %s", stack, pid, why, stack)}
				}
				continue
			}
			waitErr := cmd.Wait()
			if it.res != nil && it.res.Taken && interrupts == 0 {
				// Another up took the stack as this one's supervisor started (two up -d at
				// once): that one runs it, and this up converges it as a later up would.
				return opts.converge(ctx, dir, st)
			}
			if it.res != nil {
				if it.res.Error != "" {
					io.WriteString(opts.IO.ErrOut, it.res.Error)
				}
				if it.res.Code == exitOK {
					return nil
				}
				return &ExitError{Code: it.res.Code}
			}
			return &ExitError{Code: exitFailure, Err: fmt.Errorf("the supervisor of stack %s ended before the stack was up (%v); its log %s ends with:\n%s",
				stack, waitErr, logPath, lastLines(logPath, 10))}
		}
	}
}

// viewSubscription is what up's own view reads: everything. The supervisor's log takes the
// lifecycle only, but for the last lines of a main that ends the stack with an error, so it
// reads the lines too, from now on (see supervisorView).
func (opts *UpOptions) viewSubscription() orchestrator.SubscribeOptions {
	if opts.supervise != nil {
		return orchestrator.SubscribeOptions{NoHistory: true}
	}
	return orchestrator.SubscribeOptions{}
}

// eventPrinter shows events as up's plain view (or --output json) does.
func (opts *UpOptions) eventPrinter() func(orchestrator.Event) {
	if opts.Output == "json" {
		j := plain.NewJSON(opts.IO.Out)
		return func(ev orchestrator.Event) { _ = j.Print([]orchestrator.Event{ev}) }
	}
	p := plain.New(opts.IO.Out, plain.Options{
		Color:      plain.ColorEnabled(opts.IO.IsTTY, opts.NoColor, opts.Factory.getenv()),
		Timestamps: opts.Timestamps,
	})
	return func(ev orchestrator.Event) { _ = p.Print([]orchestrator.Event{ev}) }
}

// stackUp reports whether the stack is up: running, every pod's main running and, when it has
// a ready probe, ready (a job pod's main: completed).
func stackUp(v orchestrator.StackView) bool {
	if v.Phase != orchestrator.PhaseRunning {
		return false
	}
	for _, p := range v.Pods {
		if p.Phase == orchestrator.PhaseCompleted {
			continue // a job pod that did its work
		}
		for _, c := range p.Containers {
			if c.Role == recipes.RoleMain && !containerUp(c) {
				return false
			}
		}
	}
	return true
}

// stackUnhealthy says why a running stack will not be up ("" while it may be): a pod's main
// runs and its ready probe gave its verdict, not ready (it failed its threshold: compose's
// unhealthy).
func stackUnhealthy(v orchestrator.StackView) string {
	if v.Phase != orchestrator.PhaseRunning {
		return ""
	}
	for _, p := range v.Pods {
		if p.Phase == orchestrator.PhaseCompleted {
			continue
		}
		for _, c := range p.Containers {
			if c.Role == recipes.RoleMain && c.State == orchestrator.CStateRunning && c.Health == orchestrator.HealthNotReady {
				why := fmt.Sprintf("main %s of pod %s is unhealthy", c.Name, p.Name)
				if c.Reason != "" {
					why += " (" + c.Reason + ")"
				}
				return why
			}
		}
	}
	return ""
}

// containerUp: running, and ready when it has a ready probe.
func containerUp(c orchestrator.ContainerView) bool {
	return c.State == orchestrator.CStateRunning && c.Health != orchestrator.HealthUnknown && c.Health != orchestrator.HealthNotReady
}

// upSummary says the stack is up, where, and what to do next.
func (opts *UpOptions) upSummary(ctx context.Context, dir, stack, logPath string, pid int, view orchestrator.StackView) {
	if opts.Output == "json" {
		return
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Stack %s is up, in the background (supervisor pid %d).\n", stack, pid)
	multi := len(view.Pods) > 1
	var ports []string
	if c, ok := dialControl(dir, stack); ok {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if st, err := c.State(sctx); err == nil {
			for _, p := range view.Pods {
				for _, port := range st.Ports[p.Name] {
					if multi {
						port = p.Name + " " + port
					}
					ports = append(ports, port)
				}
			}
		}
		cancel()
	}
	var rows [][2]string
	for _, p := range view.Pods {
		var cs []string
		for _, c := range p.Containers {
			if c.Role != recipes.RoleInfra {
				cs = append(cs, c.Name+" "+briefState(c))
			}
		}
		rows = append(rows, [2]string{"pod " + p.Name, strings.Join(cs, ", ")})
	}
	if len(ports) > 0 {
		rows = append(rows, [2]string{"ports", strings.Join(ports, ", ")})
	}
	rows = append(rows, [2]string{"log", logPath})
	if opts.Watch {
		rows = append(rows, [2]string{"watch", "the supervisor acts on the recipe's watch rules until the stack ends (its log says what it does)"})
	}
	writeSummaryRows(w, rows)
	fmt.Fprintf(w, "Next: sidecar attach --stack %s · sidecar logs -f --stack %s · sidecar down --stack %s\n", stack, stack, stack)
}

// briefState is a container's state in a word or two: "ready", "running", "exited 0".
func briefState(c orchestrator.ContainerView) string {
	switch {
	case c.State == orchestrator.CStateRunning && c.Health == orchestrator.HealthReady:
		return "ready"
	case c.State == orchestrator.CStateExited && c.ExitCode != nil:
		return fmt.Sprintf("exited %d", *c.ExitCode)
	}
	return c.State.String()
}

// lastLines returns the last n lines of a file, indented, for an error message.
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// newSuperviseCmd is the supervisor of `up -d` (hidden: `up -d` runs it).
func newSuperviseCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "supervise [pods...]",
		Short:  "Run a stack in the background (started by sidecar up -d)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// No terminal to lose: a hang-up is ignored (as with nohup), whoever sends it.
			signal.Ignore(syscall.SIGHUP)
			v, err := f.settings(cmd)
			if err != nil {
				return err
			}
			sup := &superviseOptions{log: v.GetString("log"), truncateLog: func() error { return os.Stdout.Truncate(0) }}
			if fd := v.GetInt("report-fd"); fd > 0 {
				sup.pipe = os.NewFile(uintptr(fd), "report")
				sup.report = bufio.NewWriterSize(sup.pipe, 64<<10)
			}
			opts := &UpOptions{IO: f.IO, Factory: f, File: fileSetting(v), Pods: args, viewOptions: viewOptions{Output: "text", Plain: true},
				ControlDir: v.GetString("control-dir"), Watch: v.GetBool("watch"), supervise: sup}
			if opts.LogLines, err = parseLogLines(v.GetString("log-lines")); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
			f.stdin.from = v.GetString("stdin-copy")
			opts.Connect = func(ctx context.Context) (engine, error) { return connectEngine(ctx, f) }
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			opts.Signals = sigs
			err = upRun(cmd.Context(), opts)
			sup.result(err, cmd.Root())
			if errors.Is(err, ErrStackRunning) {
				// Said on the report pipe; the log, and the copy of the standard input, are
				// the supervisor's that runs the stack.
				return &ExitError{Code: exitFailure}
			}
			if f.stdin.from != "" {
				os.Remove(f.stdin.from) // the stack has ended
			}
			return err
		},
	}
	cmd.Flags().String("log", "", "the log file the supervisor writes to")
	cmd.Flags().Int("log-lines", orchestrator.DefaultLogLines, "lines of each container's output kept")
	cmd.Flags().Int("report-fd", reportFD, "file descriptor of the pipe to report to (0: none)")
	cmd.Flags().String("control-dir", "", "directory of the control sockets")
	cmd.Flags().Bool("watch", false, "act on the recipe's watch rules for the stack's whole life")
	cmd.Flags().String("stdin-copy", "", "the file holding what -f - read in the up -d (removed when the stack ends)")
	return cmd
}

// removeStdinCopy removes the copy of the standard input args hand a supervisor that did not
// start.
func removeStdinCopy(args []string) {
	if i := slices.Index(args, "--stdin-copy"); i >= 0 && i+1 < len(args) {
		os.Remove(args[i+1])
	}
}

// view is the supervisor's: the lifecycle into its log (with timestamps), and every state
// event on the report pipe while the up -d that started it reads it.
func (s *superviseOptions) view(opts *UpOptions) upView {
	return &supervisorView{s: s, log: plain.New(opts.IO.Out, plain.Options{Timestamps: true})}
}

type supervisorView struct {
	s   *superviseOptions
	log *plain.Printer
	// last holds each container's last lines, failed the mains whose last run ended with an
	// error: when the stack then ends with an error, their lines go into the log, which
	// otherwise holds none (the stack is gone, and `sidecar logs` with it).
	last   map[orchestrator.ContainerRef][]orchestrator.LogEvent
	failed map[orchestrator.ContainerRef]int
}

// supervisorLastLines is how many of a failed main's last lines its log keeps.
const supervisorLastLines = 20

func (v *supervisorView) Run(ctx context.Context, sub *orchestrator.Subscription) error {
	v.last, v.failed = map[orchestrator.ContainerRef][]orchestrator.LogEvent{}, map[orchestrator.ContainerRef]int{}
	return plain.Each(ctx, sub, func(evs []orchestrator.Event) error {
		state := evs[:0:0]
		for _, ev := range evs {
			switch l := ev.(type) {
			case orchestrator.LogEvent:
				v.keep(l)
				continue
			case orchestrator.LogsDroppedEvent:
				continue // the log holds no lines, but for a failed main's last
			}
			if e, ok := ev.(orchestrator.StackEvent); ok && e.ExitCode != nil && *e.ExitCode != 0 {
				state = append(state, v.failedLines(e.Time)...)
			}
			v.note(ev)
			state = append(state, ev)
		}
		_ = v.log.Print(state) // a log that cannot be written does not stop the stack
		v.s.send(state)
		return nil
	})
}

func (v *supervisorView) keep(l orchestrator.LogEvent) {
	if l.Marker {
		return
	}
	ref := orchestrator.ContainerRef{Pod: l.Pod, Container: l.Container}
	lines := v.last[ref]
	if len(lines) == 2*supervisorLastLines { // drop the older half at once
		lines = append(lines[:0], lines[supervisorLastLines:]...)
	}
	v.last[ref] = append(lines, l)
}

// note follows the mains' runs: one that ended with an error, until it runs again.
func (v *supervisorView) note(ev orchestrator.Event) {
	e, ok := ev.(orchestrator.ContainerEvent)
	if !ok || e.Role != recipes.RoleMain {
		return
	}
	ref := orchestrator.ContainerRef{Pod: e.Pod, Container: e.Name}
	switch {
	case e.State == orchestrator.CStateRunning:
		delete(v.failed, ref)
	case (e.State == orchestrator.CStateExited || e.State == orchestrator.CStateBackoff) && e.ExitCode != nil && *e.ExitCode != 0:
		v.failed[ref] = *e.ExitCode
	}
}

// failedLines are the events that put the failed mains' last lines into the log, each after
// a line that says what they are.
func (v *supervisorView) failedLines(at time.Time) []orchestrator.Event {
	var out []orchestrator.Event
	for _, ref := range slices.SortedFunc(maps.Keys(v.failed), func(a, b orchestrator.ContainerRef) int {
		return strings.Compare(a.String(), b.String())
	}) {
		lines := v.last[ref]
		lines = lines[max(0, len(lines)-supervisorLastLines):]
		text := fmt.Sprintf("the last %d lines main wrote before it exited with code %d:", len(lines), v.failed[ref])
		if len(lines) == 0 {
			text = fmt.Sprintf("main wrote nothing before it exited with code %d", v.failed[ref])
		}
		out = append(out, orchestrator.MessageEvent{EventMeta: orchestrator.EventMeta{Time: at}, Pod: ref.Pod, Container: ref.Container, Text: text})
		for _, l := range lines {
			out = append(out, l)
		}
	}
	clear(v.failed)
	return out
}

// send reports events to the up -d that started the supervisor; once it is gone (the pipe
// is closed), nothing more is sent.
func (s *superviseOptions) send(evs []orchestrator.Event) {
	if s.report == nil {
		return
	}
	enc := json.NewEncoder(s.report)
	for _, ev := range evs {
		if err := enc.Encode(ev); err != nil {
			s.hangUp()
			return
		}
	}
	if s.report.Flush() != nil {
		s.hangUp()
	}
}

func (s *superviseOptions) hangUp() {
	s.report = nil
	s.pipe.Close()
}

// result reports how the supervisor ends: the exit status and what up prints for err,
// worded as the foreground up words it.
func (s *superviseOptions) result(err error, root *cobra.Command) {
	if s.report == nil {
		return
	}
	var msg bytes.Buffer
	code := exitCode(err, &msg, root)
	res := control.NewResult(code, msg.String())
	res.Taken = errors.Is(err, ErrStackRunning)
	b, _ := json.Marshal(res)
	s.report.Write(append(b, '\n'))
	s.report.Flush()
	s.hangUp()
}

// writeSummaryRows writes label-value rows, indented, the values in one column past the
// longest label.
func writeSummaryRows(w io.Writer, rows [][2]string) {
	width := 12
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s %s\n", width, r[0], r[1])
	}
}
