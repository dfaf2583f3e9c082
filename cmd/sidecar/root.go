package main

import (
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

// fileValue is the value of -f/--file: one recipe. Given twice it is a usage error — docker
// compose merges the files of -f A -f B, sidecar reads one — instead of the last one winning
// without a word.
type fileValue struct {
	path string
	set  bool
}

func (f *fileValue) String() string { return f.path }
func (f *fileValue) Type() string   { return "string" }

func (f *fileValue) Set(path string) error {
	if f.set {
		return fmt.Errorf("given twice (%s, then %s): sidecar reads one recipe and does not merge several as docker compose -f A -f B does; merge them into one file", f.path, path)
	}
	f.path, f.set = path, true
	return nil
}

// fileFlag defines --file (with the shorthand short, unless "") on fs.
func fileFlag(fs *pflag.FlagSet, short, usage string) {
	fs.VarP(&fileValue{path: defaultFile}, "file", short, usage)
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
	fileFlag(root.PersistentFlags(), "f", "recipe to use: a sidecar.yaml, a compose file or a Kubernetes manifest")
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
