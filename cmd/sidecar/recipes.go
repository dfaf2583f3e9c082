package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

// RecipesOptions are the inputs of `sidecar recipes`.
type RecipesOptions struct {
	IO      *IOStreams
	Recipes []catalog.Entry
}

var recipesHelp = help{
	Use:   "recipes",
	Short: "List the built-in recipes (sidecar patterns to start from)",
	Long: `
List the recipes built into sidecar: complete, documented sidecar patterns (Envoy,
Fluent Bit, the OpenTelemetry Collector, Vault Agent, ...) with working configuration
and pinned images. Write one into a directory with sidecar init --recipe NAME DIR;
the sidecar.yaml it writes says what to try and what to look at.`,
	Example: `
  sidecar recipes
  sidecar init --recipe envoy-proxy envoy-demo && cd envoy-demo && sidecar up`,
}

func newRecipesCmd(f *Factory, runF func(*RecipesOptions) error) *cobra.Command {
	opts := &RecipesOptions{IO: f.IO}
	return recipesHelp.command(noArgs, func(cmd *cobra.Command, args []string) error {
		opts.Recipes = catalog.List()
		if runF != nil {
			return runF(opts)
		}
		return recipesRun(opts)
	})
}

func recipesRun(opts *RecipesOptions) error {
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, e := range opts.Recipes {
		fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Description)
	}
	return tw.Flush()
}
