package main

import (
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commands are the constructors of the subcommands, in the order help lists them. A new
// command is one file with its constructor, added here.
func commands(f *Factory) []*cobra.Command {
	cmds := []*cobra.Command{
		newUpCmd(f, nil),
		newDownCmd(f, nil),
		newPsCmd(f, nil),
		newAttachCmd(f, nil),
		newWatchCmd(f, nil),
		newLogsCmd(f, nil),
	}
	cmds = append(cmds, newContainersCmds(f, nil)...)
	return append(cmds,
		newExecCmd(f, nil),
		newValidateCmd(f, nil),
		newConfigCmd(f, nil),
		newVersionCmd(f, nil),
		newRecipesCmd(f, nil),
		newInitCmd(f, nil),
		newExportCmd(f, nil),
		newSuperviseCmd(f),
	)
}

// defaultFile is the recipe used when -f is not given.
const defaultFile = "sidecar.yaml"

// fileValue is the value of -f/--file: the recipe, or — given more than once, as docker
// compose -f A -f B — compose files merged in order. Its type is pflag's stringArray, so that
// the settings (viper) read it as a list.
type fileValue struct {
	paths []string
	set   bool
}

func (f *fileValue) Type() string { return "stringArray" }

// String writes the paths as pflag's stringArray does: [a,b], comma-separated values.
func (f *fileValue) String() string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(f.paths)
	w.Flush()
	return "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

func (f *fileValue) Set(path string) error {
	if !f.set {
		f.paths, f.set = nil, true // the default goes
	}
	f.paths = append(f.paths, path)
	return nil
}

// fileFlag defines --file (with the shorthand short, unless "") on fs; usage names the
// value `file`, in backquotes. Its help shows no default: without -f a command reads
// ./sidecar.yaml, else the directory's compose files (load.go), which usage says.
func fileFlag(fs *pflag.FlagSet, short, usage string) {
	fs.VarP(&fileValue{paths: []string{defaultFile}}, "file", short, usage)
	fs.Lookup("file").DefValue = ""
}

// newRootCmd builds the command tree with the given subcommands (tests pass their own), or
// with commands(f) when none are given.
func newRootCmd(f *Factory, subcommands ...*cobra.Command) *cobra.Command {
	cfg := f.ConfigFile()
	if cfg == "" {
		cfg = "<user config dir>/sidecar/config.yaml"
	}
	root := &cobra.Command{
		Use:   "sidecar",
		Short: "Run Kubernetes-style sidecar pods on a plain Docker Engine",
		Long: strings.TrimSpace(fmt.Sprintf(`
sidecar runs sidecar-style stacks locally: each pod gets an infra container that
holds its network namespace, init containers run to completion, sidecars start in
order (each gated on its readiness probe), main starts last, and the stack lives
as long as main does.

A stack is described by a sidecar.yaml (see docs/recipe.md). -f also accepts a
compose file or a Kubernetes manifest, recognised by content.

Settings: every flag can also be set as an environment variable SIDECAR_<FLAG>
(e.g. SIDECAR_FILE=stack.yaml) or in %s
(e.g. "file: stack.yaml"). A flag wins over the environment, which wins over the
settings file.

Exit status: 0 ok, 1 runtime failure, 2 bad input or usage, 130 interrupted.`, cfg)),
		Example: strings.Trim(`
  The working day:
  sidecar up -d                         # start ./sidecar.yaml's stack in the background
  sidecar attach                        # its logs side by side (q leaves it running)
  sidecar logs -f web                   # follow one container
  sidecar restart web                   # restart main; the sidecars keep running
  sidecar exec web -- /bin/sh           # a shell in a container
  sidecar up -d                         # after an edit: only what changed is re-created
  sidecar down                          # stop it and remove everything

  sidecar up                            # or in the foreground, until main ends or Ctrl-C
  sidecar validate -f sidecar.yaml.example
  sidecar config -o json                # the normalised stack, as JSON`, "\n"),
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %q?)", s[0])
			}
			return usageErrorf(cmd, "%s", msg)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	fileFlag(root.PersistentFlags(), "f", "recipe to use: a sidecar.yaml, a compose `file` or a Kubernetes manifest; compose files given more than once are merged in order (default ./sidecar.yaml, else the directory's compose.yaml and its override, else a parent directory's)")
	_ = root.MarkPersistentFlagFilename("file", "yaml", "yml", "json")
	root.PersistentFlags().StringArray("profile", nil, "activate a compose profile (repeatable, '*' for all); default: COMPOSE_PROFILES")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err: err, cmd: cmd}
	})
	root.CompletionOptions.HiddenDefaultCmd = false
	if len(subcommands) == 0 {
		subcommands = commands(f)
	}
	root.AddCommand(subcommands...)
	return root
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(cmd, "%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}
