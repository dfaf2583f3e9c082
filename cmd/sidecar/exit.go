package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// Exit statuses. When main ends the stack, `up` exits with main's own code (ExitError).
const (
	exitOK          = 0
	exitFailure     = 1   // something went wrong at run time (engine, build, ...)
	exitBadInput    = 2   // bad recipe, bad flags or arguments, unreadable settings
	exitInterrupted = 130 // Ctrl-C, SIGTERM or SIGHUP
)

// ErrInterrupted is returned (wrapped) by a command stopped by Ctrl-C, SIGTERM or SIGHUP.
var ErrInterrupted = errors.New("interrupted")

// ExitError ends the process with Code, printing Err first when it is set. `up` uses it to
// exit with main's exit code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a mistake in how the command was called: unknown command, bad flag, wrong
// arguments.
type usageError struct {
	err error
	cmd *cobra.Command
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...), cmd: cmd}
}

// exitCode is the one place that turns a command's error into the process's exit status and
// prints it, with a hint on what to do, to errOut.
func exitCode(err error, errOut io.Writer, root *cobra.Command) int {
	if err == nil {
		return exitOK
	}
	var (
		exit  *ExitError
		usage *usageError
		conf  *configError
		probs recipes.Problems
	)
	switch {
	case errors.As(err, &exit):
		if exit.Err != nil {
			fmt.Fprintf(errOut, "sidecar: %v\n", exit.Err)
		}
		return exit.Code
	case errors.Is(err, ErrInterrupted) || errors.Is(err, context.Canceled):
		fmt.Fprintln(errOut, "sidecar: interrupted")
		return exitInterrupted
	case errors.As(err, &usage):
		name := root.Name()
		if usage.cmd != nil {
			name = usage.cmd.CommandPath()
		}
		fmt.Fprintf(errOut, "sidecar: %v\nRun '%s --help' for usage.\n", usage.err, name)
		return exitBadInput
	case errors.As(err, &conf):
		fmt.Fprintf(errOut, "sidecar: %v\nFix the file or remove it; settings can also come from flags or SIDECAR_* variables.\n", conf)
		return exitBadInput
	case errors.As(err, &probs):
		for _, p := range probs[:min(len(probs), maxProblems)] {
			fmt.Fprintln(errOut, p.String())
		}
		if len(probs) > maxProblems {
			fmt.Fprintf(errOut, "sidecar: %d more problems are not shown: fix these first\n", len(probs)-maxProblems)
		}
		n := "1 problem"
		if len(probs) != 1 {
			n = fmt.Sprintf("%d problems", len(probs))
		}
		fmt.Fprintf(errOut, "sidecar: %s%s\n", n, problemFiles(probs))
		return exitBadInput
	case errors.Is(err, recipes.ErrInvalid):
		fmt.Fprintf(errOut, "sidecar: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintln(errOut, missingFileHint(root))
		}
		return exitBadInput
	case errors.Is(err, recipes.ErrExport):
		fmt.Fprintf(errOut, "sidecar: %v\n", err)
		return exitBadInput
	case errors.Is(err, orchestrator.ErrEngineUnreachable):
		fmt.Fprintf(errOut, "sidecar: %v\n", err)
		fmt.Fprintln(errOut, "Is Docker running? Start it (e.g. sudo systemctl start docker, or open Docker Desktop), or point DOCKER_HOST or `docker context use` at a running engine.")
		return exitFailure
	}
	fmt.Fprintf(errOut, "sidecar: %v\n", err)
	return exitFailure
}

// maxProblems is how many problems are printed: a file with thousands (a generated one, or
// one that is not a recipe at all) would bury the first, and the terminal, under them.
const maxProblems = 100

// missingFileHint says how to get a recipe when there is none.
func missingFileHint(root *cobra.Command) string {
	create := "write one (see docs/recipe.md, or start from sidecar.yaml.example in the sidecar repository)"
	if c, _, err := root.Find([]string{"init"}); err == nil && c != root && c.Name() == "init" {
		create = "create one with `sidecar init`"
	}
	return strings.Join([]string{
		"A stack is described by a sidecar.yaml (or a compose file or Kubernetes manifest); without -f,",
		"sidecar reads ./sidecar.yaml, or else the compose file docker compose would (compose.yaml, docker-compose.yml),",
		"here or in the nearest parent directory that has one.",
		"To fix: " + create + ", or name the file with -f FILE.",
	}, "\n")
}

// problemFiles says where problems are: " in FILE" when they are all in one file, else how
// many are in each (" (1 in .env, 6 in docker-compose.yml)"), in the order the files come.
func problemFiles(probs recipes.Problems) string {
	var files []string
	count := map[string]int{}
	for _, p := range probs {
		if count[p.Pos.File]++; count[p.Pos.File] == 1 {
			files = append(files, p.Pos.File)
		}
	}
	switch {
	case len(files) == 1 && files[0] != "":
		return " in " + files[0]
	case len(files) <= 1:
		return ""
	}
	parts := make([]string, len(files))
	for i, f := range files {
		parts[i] = fmt.Sprintf("%d in %s", count[f], cmp.Or(f, "no file"))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
