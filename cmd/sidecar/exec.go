package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime"
)

// ExecOptions are the inputs of `sidecar exec`.
type ExecOptions struct {
	IO      *IOStreams
	Factory *Factory

	File        recipeFiles
	Stack       string
	Container   string   // name, or pod/name
	Command     []string // what to run
	Interactive bool     // pass stdin
	TTY         bool     // a terminal for the command
	Env         []string // NAME=value set for the command (-e)
	User        string   // user[:group] to run as (-u); "": the container's
	Workdir     string   // directory to run in (-w); "": the container's

	ControlDir string
	Connect    func(context.Context) (execEngine, error)
}

// execEngine is what exec uses of the engine.
type execEngine interface {
	ListContainers(ctx context.Context, filter map[string]string) ([]orchestrator.ContainerInfo, error)
	ExecInteractive(ctx context.Context, id string, cmd []string, s runtime.ExecStreams) (int, error)
	Close() error
}

var execHelp = help{
	Use:   "exec [-f FILE | --stack NAME] [-i] [-t] [-e NAME=VAL] [-u USER] [-w DIR] CONTAINER [--] COMMAND [ARG...]",
	Short: "Run a command in a running container of a stack",
	Long: `
Run a command in a running container of a stack, through the engine's exec API,
and exit with the command's exit code. -e, -u and -w set the command's environment,
user and directory, as with docker exec.

When stdin is a terminal the command gets a terminal of its own (raw mode, resized
with yours) and your input, as docker exec -it does; -t and -i ask for them
explicitly (-i passes a pipe's input: echo hi | sidecar exec -i web -- cat),
-t=false -i=false turn them off. Everything after the container is the command.

The container is named as in the recipe (pod/container when several pods have
one of that name), found through the sidecar up that runs the stack, or on the
engine by its labels. The stack is the recipe's (-f, default ./sidecar.yaml), or
the one named with --stack. A command that does not exist exits 126 or 127, as
with docker.`,
	Example: `
  sidecar exec web -- /bin/sh
  sidecar exec --stack demo proxy -- env
  sidecar exec -u 0 -w /tmp -e DEBUG=1 web -- /bin/sh
  echo hello | sidecar exec -i shipper -- cat`,
}

func newExecCmd(f *Factory, runF func(*ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{IO: f.IO, Factory: f}
	parse := func(cmd *cobra.Command, v *viper.Viper, args []string) error {
		if len(args) < 2 {
			return usageErrorf(cmd, "give a container and a command: sidecar exec CONTAINER -- COMMAND")
		}
		opts.Container, opts.Command = args[0], args[1:]
		if len(opts.Command) > 0 && opts.Command[0] == "--" {
			opts.Command = opts.Command[1:]
		}
		if len(opts.Command) == 0 {
			return usageErrorf(cmd, "give the command to run after the container: sidecar exec %s -- COMMAND", opts.Container)
		}
		opts.Interactive, opts.TTY = opts.IO.InIsTTY, opts.IO.Interactive()
		if cmd.Flags().Changed("interactive") {
			opts.Interactive = v.GetBool("interactive")
		}
		if cmd.Flags().Changed("tty") {
			opts.TTY = v.GetBool("tty")
		}
		if opts.Interactive && opts.File.stdin() && opts.Stack == "" {
			return usageErrorf(cmd, "-i passes the standard input to the command, and -f - reads the recipe from it: name the stack with --stack NAME instead of -f -, or leave -i out")
		}
		env, err := cmd.Flags().GetStringArray("env")
		if err != nil {
			return err
		}
		if opts.Env, err = execEnv(env, f.Environ); err != nil {
			return usageErrorf(cmd, "%v", err)
		}
		opts.User, opts.Workdir = v.GetString("user"), v.GetString("workdir")
		if opts.Connect == nil {
			opts.Connect = func(ctx context.Context) (execEngine, error) {
				return runtime.Connect(ctx, runtime.ConnectOptions{ToolVersion: f.Build.Version, Getenv: f.getenv()})
			}
		}
		return nil
	}
	cmd := execHelp.command(cobra.ArbitraryArgs, runE(f, opts, runF, execRun, onStack(f, &opts.File, &opts.Stack, parse)))
	// Flags end at the container: what follows is the command's, flags included.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().String("stack", "", "name of the stack (instead of reading -f)")
	cmd.Flags().BoolP("interactive", "i", false, "pass stdin to the command (default: when stdin is a terminal)")
	cmd.Flags().BoolP("tty", "t", false, "give the command a terminal (default: when stdin and stdout are terminals)")
	cmd.Flags().StringArrayP("env", "e", nil, "set NAME=value for the command (NAME alone: its value here, when set); repeatable")
	cmd.Flags().StringP("user", "u", "", "user to run as: name, uid, or user:group (default: the container's)")
	cmd.Flags().StringP("workdir", "w", "", "directory to run the command in (default: the container's)")
	return cmd
}

// execEnv reads -e values as docker exec does: NAME=value as given, NAME alone takes its value
// from this environment (and is left out when unset there).
func execEnv(flags []string, environ func() []string) ([]string, error) {
	var out []string
	var here map[string]string // read once, when a NAME alone asks for it
	for _, e := range flags {
		name, _, hasValue := strings.Cut(e, "=")
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("-e %q: give NAME=value or NAME", e)
		}
		if hasValue {
			out = append(out, e)
			continue
		}
		if here == nil {
			here = envMap(environ())
		}
		if value, ok := here[name]; ok {
			out = append(out, name+"="+value)
		}
	}
	return out, nil
}

func execRun(ctx context.Context, opts *ExecOptions) error {
	name, st, err := stackOf(opts.Factory, opts.IO, opts.ControlDir, opts.Stack, opts.File, nameHint("sidecar exec --stack NAME CONTAINER -- COMMAND"))
	if err != nil {
		return err
	}
	rt, err := opts.Connect(ctx)
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	defer rt.Close()
	id, err := opts.findContainer(ctx, rt, name, orchestrator.PodAliasesOf(st))
	if err != nil {
		return err
	}
	s := runtime.ExecStreams{Stdout: opts.IO.Out, Stderr: opts.IO.ErrOut, TTY: opts.TTY,
		Env: opts.Env, User: opts.User, Workdir: opts.Workdir}
	if opts.Interactive {
		s.Stdin = opts.IO.In
	}
	if opts.TTY {
		restore, err := opts.rawTerminal(&s)
		if err != nil {
			return &ExitError{Code: exitFailure, Err: err}
		}
		// In raw mode the terminal's Ctrl-C is a key the command gets, not a signal. A signal
		// sent to sidecar (SIGTERM, or SIGHUP when the terminal closes) ends the streams, as
		// it ends docker exec; the command runs on in the container.
		defer restore()
	}
	code, err := rt.ExecInteractive(ctx, id, opts.Command, s)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return ErrInterrupted
		}
		return &ExitError{Code: exitFailure, Err: err}
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// rawTerminal puts the terminal in raw mode and has s follow its size; restore undoes it.
func (opts *ExecOptions) rawTerminal(s *runtime.ExecStreams) (restore func(), err error) {
	in, inOK := opts.IO.In.(*os.File)
	out, outOK := opts.IO.Out.(*os.File)
	if !inOK || !outOK || !term.IsTerminal(in.Fd()) {
		return func() {}, nil // a TTY asked for without one: the command gets one, ours stays as it is
	}
	if w, h, err := term.GetSize(out.Fd()); err == nil {
		s.Width, s.Height = uint(w), uint(h)
	}
	state, err := term.MakeRaw(in.Fd())
	if err != nil {
		return nil, fmt.Errorf("put the terminal in raw mode: %w", err)
	}
	resize := make(chan [2]uint, 1)
	s.Resize = resize
	stopWatch := watchResize(func() {
		if w, h, err := term.GetSize(out.Fd()); err == nil {
			select {
			case resize <- [2]uint{uint(h), uint(w)}:
			default:
			}
		}
	})
	return func() {
		stopWatch()
		_ = term.Restore(in.Fd(), state)
	}, nil
}

// findContainer returns the engine ID of the named container of the stack, which must run:
// as the stack's running up knows it, else as the engine's labels say. A pod is named by its
// name or one of aliases (the recipe's, when it was read: see orchestrator.MatchContainers).
func (opts *ExecOptions) findContainer(ctx context.Context, rt execEngine, stack string, aliases map[string][]string) (string, error) {
	infos, err := rt.ListContainers(ctx, orchestrator.StackFilter(stack))
	if err != nil {
		return "", &ExitError{Code: exitFailure, Err: fmt.Errorf("list the containers of stack %s: %w", stack, err)}
	}
	var cs []orchestrator.NamedContainer
	byRef := map[orchestrator.ContainerRef]orchestrator.ContainerInfo{}
	var names []string
	pods := map[string]bool{}
	for _, info := range infos {
		l, err := orchestrator.DecodeLabels(info.Labels)
		if err != nil || l.Role == recipes.RoleInfra || l.Role == recipes.RoleUnknown {
			continue
		}
		pods[l.Pod] = true
		names = append(names, l.Pod+"/"+l.Container)
		c := orchestrator.NamedContainer{Pod: l.Pod, PodAliases: aliases[l.Pod], Name: l.Container, Role: l.Role}
		cs = append(cs, c)
		byRef[c.Ref()] = info
	}
	matched := orchestrator.MatchContainers(cs, opts.Container)
	var found []orchestrator.ContainerInfo
	var role recipes.Role // found's
	for _, c := range matched {
		found, role = append(found, byRef[c.Ref()]), c.Role
	}
	switch {
	case len(infos) == 0:
		return "", &ExitError{Code: exitFailure, Err: fmt.Errorf("stack %s has no containers on the engine: start it with `sidecar up -d`", stack)}
	case len(found) == 0:
		if len(pods) == 1 {
			for i, n := range names {
				_, names[i], _ = strings.Cut(n, "/")
			}
		}
		return "", &ExitError{Code: exitBadInput, Err: fmt.Errorf("stack %s has no container %q: it has %s", stack, opts.Container, strings.Join(names, ", "))}
	case len(found) > 1:
		var which []string
		for _, c := range matched {
			which = append(which, c.Ref().String())
		}
		return "", &ExitError{Code: exitBadInput, Err: fmt.Errorf("%q is in several pods of stack %s: name one of %s", opts.Container, stack, strings.Join(which, ", "))}
	case found[0].Status != orchestrator.StatusRunning:
		if role == recipes.RoleInit {
			return "", &ExitError{Code: exitFailure, Err: fmt.Errorf("%s is an init container, which has run to its end (%s): there is nothing to exec in; exec in the pod's main or a sidecar", opts.Container, found[0].Status)}
		}
		if !opts.stackRun(stack) {
			// sidecar start needs the up that runs the stack, and there is none.
			return "", &ExitError{Code: exitFailure, Err: fmt.Errorf("%s is not running (%s), and no sidecar up runs stack %s (was its up killed?): "+
				"`sidecar up -d` takes the stack over (removes what is left and starts it again), or `sidecar down --stack %s` removes it",
				opts.Container, found[0].Status, stack, stack)}
		}
		return "", &ExitError{Code: exitFailure, Err: fmt.Errorf("%s is not running (%s): start it with `sidecar start %s`", opts.Container, found[0].Status, opts.Container)}
	}
	return found[0].ID, nil
}

// stackRun reports whether a sidecar up runs the stack (true when that cannot be told).
func (opts *ExecOptions) stackRun(stack string) bool {
	dir, err := opts.Factory.controlDirOf(opts.ControlDir)
	if err != nil {
		return true
	}
	_, live := dialControl(dir, stack)
	return live
}
