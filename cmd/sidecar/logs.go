package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/internal/termsafe"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/tui/plain"
)

// LogsOptions are the inputs of `sidecar logs`.
type LogsOptions struct {
	IO      *IOStreams
	Factory *Factory

	File       recipeFiles
	Stack      string    // from --stack; else the recipe's name
	Follow     bool      // -f/--follow
	Since      time.Time // zero: from the start
	Tail       int       // lines per container from the end; -1: all
	Timestamps bool
	Color      bool     // colour names (a terminal, no --no-color, no NO_COLOR)
	Containers []string // container or pod/container; none: every container

	Connect    func(context.Context) (logEngine, error)
	ControlDir string // where a running up's socket is; "": the user's runtime directory
}

// logEngine is what `sidecar logs` uses of the engine.
type logEngine interface {
	orchestrator.LogSource
	Close() error
}

var logsHelp = help{
	Use:   "logs [--file FILE | --stack NAME] [-f] [--since D|TIME] [--tail N] [--timestamps] [container…]",
	Short: "Print the logs of a stack's containers",
	Long: `
Print the output of a stack's containers. When a sidecar up runs the stack
(detached with up -d, or in another terminal), from its log buffers (the last
--log-lines of each container), then live with -f. Otherwise from the engine: a
stack whose containers are still there, lines of all containers interleaved by
the engine's timestamps. Each line is "container | line" ("pod/container | line"
when the stack has several pods). Name containers (or pod/container) to see only
those.

The stack is the recipe's (--file, default ./sidecar.yaml), or the one named with
--stack (no recipe needed).

-f follows, as with docker, kubectl and compose: new lines are printed as they
come, across restarts of a container, until the stack is removed or Ctrl-C. On
this command -f means --follow: give the recipe as --file FILE.

--since takes a duration back from now (10m, 1h30m) or a time (2026-01-02T15:04:05Z,
2026-01-02T15:04:05 or 2026-01-02 in local time, or Unix seconds). --tail N shows
the last N lines of each container (the engine counts a line longer than 16 KiB
as several).

Output is made safe for the terminal: colours may pass on a terminal, every other
escape sequence and control character is removed (and colours too when the output
is not a terminal, with --no-color or with NO_COLOR set).`,
	Example: `
  sidecar logs                          # every container of ./sidecar.yaml's stack
  sidecar logs -f web                   # follow main "web"
  sidecar logs --stack demo --tail 20   # the last 20 lines of each container
  sidecar logs --file shop.yaml --since 10m --timestamps`,
}

func newLogsCmd(f *Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IO, Factory: f}
	parse := func(cmd *cobra.Command, v *viper.Viper, args []string) (err error) {
		if opts.File, err = recipeFile(f, v, f.IO.ErrOut); err != nil {
			return err
		}
		opts.Follow = v.GetBool("follow")
		opts.Timestamps = v.GetBool("timestamps")
		opts.Containers = args
		if opts.Stack, err = stackFlag(cmd, v, "--file"); err != nil {
			return err
		}
		if opts.Tail, err = parseTail(v.GetString("tail")); err != nil {
			return usageErrorf(cmd, "%v", err)
		}
		if s := v.GetString("since"); s != "" {
			if opts.Since, err = parseSince(s, time.Now()); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
		}
		opts.Color = plain.ColorEnabled(opts.IO.IsTTY, v.GetBool("no-color"), f.getenv())
		if opts.Connect == nil {
			opts.Connect = func(ctx context.Context) (logEngine, error) {
				return runtime.Connect(ctx, runtime.ConnectOptions{ToolVersion: f.Build.Version, Getenv: f.getenv()})
			}
		}
		return nil
	}
	cmd := logsHelp.command(cobra.ArbitraryArgs, runE(f, opts, runF, logsRun, parse))
	// The root's persistent -f/--file is shadowed here: -f is --follow, the recipe is --file.
	fileFlag(cmd.Flags(), "", "recipe `file` to use; compose files given more than once are merged (default ./sidecar.yaml, else the directory's compose.yaml and its override, else a parent directory's; on this command -f is --follow)")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml", "json")
	cmd.Flags().String("stack", "", "name of the stack (instead of reading --file)")
	cmd.Flags().BoolP("follow", "f", false, "keep printing new lines, across restarts")
	cmd.Flags().String("since", "", "only lines since a duration ago (10m) or a time (RFC 3339, a date, Unix seconds)")
	cmd.Flags().String("tail", "all", `number of lines to show from the end of each container's log, or "all"`)
	cmd.Flags().BoolP("timestamps", "t", false, "start every line with the engine's timestamp")
	cmd.Flags().Bool("no-color", false, "do not colour the output (also: NO_COLOR=1)")
	return cmd
}

// parseTail reads --tail: "all" or a number of lines.
func parseTail(s string) (int, error) {
	if s == "" || s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf(`--tail takes a number of lines or "all", got %q`, s)
	}
	return n, nil
}

// parseSince reads --since: a duration back from now, or a point in time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since takes a duration back from now, got the negative %s", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		loc := time.Local
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 {
		whole := int64(secs)
		return time.Unix(whole, int64((secs-float64(whole))*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("--since takes a duration (10m, 1h30m) or a time (2026-01-02T15:04:05Z, 2026-01-02T15:04:05, 2026-01-02, Unix seconds), got %q", s)
}

func logsRun(ctx context.Context, opts *LogsOptions) error {
	name, st, err := stackOf(opts.Factory, opts.IO, opts.ControlDir, opts.Stack, opts.File,
		"To read a stack's logs without its recipe, name it: sidecar logs --stack NAME")
	// `sidecar -f x.yaml logs`: -f is --follow here, and x.yaml a container name.
	if r := recipeArg(opts.Containers); err != nil && r != "" {
		return recipeArgError(r, opts.Follow)
	}
	if err != nil {
		return err
	}
	var podOrder []string // the recipe's, when it was read
	if st != nil {
		for _, pod := range st.Pods {
			podOrder = append(podOrder, pod.Name)
		}
	}
	if c, ok := opts.liveOwner(name); ok {
		return logsLive(ctx, opts, c)
	}
	rt, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	defer rt.Close()
	feed, err := orchestrator.EngineLogs(ctx, rt, orchestrator.EngineLogOptions{Stack: name, PodOrder: podOrder,
		Containers: opts.Containers, PodAliases: orchestrator.PodAliasesOf(st), Follow: opts.Follow, Since: opts.Since, Tail: opts.Tail})
	var none *orchestrator.NoContainersError
	var unknown *orchestrator.UnknownContainerError
	isNone, isUnknown := errors.As(err, &none), errors.As(err, &unknown)
	if r := recipeArg(opts.Containers); r != "" && (isNone || isUnknown && unknown.Name == r) {
		return recipeArgError(r, opts.Follow)
	}
	switch {
	case isNone:
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("%w: start it with `sidecar up`, or see the stacks there are with `sidecar ps`%s",
			err, lastRunNote(opts.Factory, name))}
	case isUnknown:
		return &ExitError{Code: exitBadInput, Err: err}
	case err != nil:
		return err
	}
	defer feed.Close()
	return printLogs(ctx, feed, opts)
}

// printLogs prints a feed through `sidecar up`'s plain printer: the same padding, colours (from
// the feed's snapshot of the stack) and timestamps. The feed's own warnings go to stderr.
func printLogs(ctx context.Context, feed orchestrator.LogFeed, opts *LogsOptions) error {
	p := plain.New(opts.IO.Out, plain.Options{Color: opts.Color, Timestamps: opts.Timestamps})
	for {
		evs, err := feed.Next(ctx)
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		shown := evs[:0]
		for _, ev := range evs {
			if m, ok := ev.(orchestrator.MessageEvent); ok && m.Level == orchestrator.LevelWarning && m.Container == "" {
				fmt.Fprintf(opts.IO.ErrOut, "sidecar: %s\n", termsafe.Plain(m.Text))
				continue
			}
			shown = append(shown, ev)
		}
		if err := p.Print(shown); err != nil {
			return fmt.Errorf("write the logs: %w", err)
		}
	}
}

// recipeArg returns the first of the container names given that looks like a recipe file: it
// ends in .yaml, .yml or .json, or is a file.
func recipeArg(names []string) string {
	for _, n := range names {
		switch strings.ToLower(filepath.Ext(n)) {
		case ".yaml", ".yml", ".json":
			return n
		}
		if fi, err := os.Stat(n); err == nil && fi.Mode().IsRegular() {
			return n
		}
	}
	return ""
}

// recipeArgError says that a recipe was given where a container name goes (exit 2): with -f,
// most likely `sidecar -f x.yaml logs`.
func recipeArgError(name string, follow bool) error {
	how := "give the recipe with --file " + name
	if follow {
		how = "-f means --follow for logs; " + how
	}
	return &ExitError{Code: exitBadInput, Err: fmt.Errorf("%q looks like a recipe, not a container: %s", name, how)}
}
