package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// ValidateOptions are the inputs of `sidecar validate`.
type ValidateOptions struct {
	IO      *IOStreams
	Factory *Factory
	File    recipeFiles
}

var validateHelp = help{
	Use:   "validate",
	Short: "Check a recipe and report every problem in it",
	Long: `
Check a recipe (or a compose file or Kubernetes manifest) without starting anything.

Every problem is reported, one per line, as file:line:col: what is wrong: how to fix
it. Warnings (what cannot be honoured as written) go to stderr too but do not fail
the check. Exit status 0 when the recipe is valid, 2 when it is not.`,
	Example: `
  sidecar validate                         # ./sidecar.yaml
  sidecar validate -f sidecar.yaml.example
  SIDECAR_FILE=stack.yaml sidecar validate`,
}

func newValidateCmd(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IO, Factory: f}
	return validateHelp.command(noArgs, runE(f, opts, runF, validateRun, fileOnly(f, &opts.File)))
}

func validateRun(_ context.Context, opts *ValidateOptions) error {
	st, err := loadReported(opts.Factory, opts.IO.ErrOut, opts.File)
	if err != nil {
		return err
	}
	containers := 0
	for _, p := range st.Pods {
		containers += len(p.Containers())
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s: ok (%s, %s)\n", opts.File, plural(len(st.Pods), "pod"), plural(containers, "container"))
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
