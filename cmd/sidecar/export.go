package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/recipes"
)

// ExportOptions are the inputs of `sidecar export kube` and `sidecar export compose`.
type ExportOptions struct {
	IO      *IOStreams
	Factory *Factory
	File    recipeFiles
	Target  string // kube | compose
	Kind    recipes.KubeKind
}

var exportHelp = help{
	Use:   "export kube|compose",
	Short: "Print the stack as a Kubernetes manifest or a compose file",
	Long: `
Print the stack as a Kubernetes manifest (export kube) or a compose file (export
compose) on stdout. What the target cannot express is a warning on stderr naming the
field. The output is checked before it is printed (decoded with the Kubernetes API
types, or loaded with compose-go), and importing it with -f gives the same stack
back, apart from the differences docs/export.md lists.`,
	Example: `
  sidecar export kube > app.yaml && kubectl apply -f app.yaml
  sidecar export compose > compose.yaml && docker compose up`,
}

func newExportCmd(f *Factory, runF func(*ExportOptions) error) *cobra.Command {
	checkArgs := func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErrorf(cmd, "say what to export to: sidecar export kube, or sidecar export compose")
		}
		return usageErrorf(cmd, "unknown export target %q: use kube or compose", args[0])
	}
	cmd := exportHelp.command(checkArgs, func(cmd *cobra.Command, args []string) error { return nil })
	cmd.AddCommand(newExportKubeCmd(f, runF), newExportComposeCmd(f, runF))
	return cmd
}

var exportKubeHelp = help{
	Use:   "kube [--kind deployment|job|pod]",
	Short: "Print the stack as a Kubernetes manifest with native sidecars",
	Long: `
Print the stack as a Kubernetes manifest: per pod, a Deployment (a Job when main runs
to completion, i.e. its restart is never or on-failure; --kind forces one kind for
every pod), its sidecars as native sidecars (initContainers with restartPolicy:
Always, Kubernetes 1.29+), a ClusterIP Service named after the pod when it publishes
ports, and a ConfigMap per bind-mounted file. See docs/export.md for the mapping.`,
	Example: `
  sidecar export kube | kubectl apply -f -
  sidecar export kube --kind pod -f compose.yaml`,
}

func newExportKubeCmd(f *Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO, Factory: f, Target: "kube"}
	parse := func(cmd *cobra.Command, v *viper.Viper, _ []string) error {
		var err error
		if opts.File, err = recipeFile(f, v, f.IO.ErrOut); err != nil {
			return err
		}
		if k := v.GetString("kind"); k != "" {
			if err := opts.Kind.UnmarshalText([]byte(k)); err != nil {
				return usageErrorf(cmd, "--kind: %v", err)
			}
		}
		return nil
	}
	cmd := exportKubeHelp.command(noArgs, runE(f, opts, runF, exportRun, parse))
	cmd.Flags().String("kind", "", "workload kind for every pod: deployment, job or pod (default: Job for a job pod, Deployment when main restarts always, else Pod)")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{"deployment", "job", "pod"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

var exportComposeHelp = help{
	Use:   "compose",
	Short: "Print the stack as a compose file with an infra service per pod",
	Long: `
Print the stack as a compose file: per pod, an infra service (a pause container that
holds the network namespace and publishes the ports) and one service per container
joined to it with network_mode: service:<pod>-infra, started in the pod's order
through depends_on conditions. x-sidecar keeps what compose cannot express. Paths stay
relative to the stack's directory: save the file there. See docs/export.md.`,
	Example: `
  sidecar export compose > compose.yaml && docker compose up`,
}

func newExportComposeCmd(f *Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO, Factory: f, Target: "compose"}
	return exportComposeHelp.command(noArgs, runE(f, opts, runF, exportRun, fileOnly(f, &opts.File)))
}

func exportRun(_ context.Context, opts *ExportOptions) error {
	st, err := loadReported(opts.Factory, opts.IO.ErrOut, opts.File)
	if err != nil {
		return err
	}
	var out []byte
	var warns []recipes.Warning
	switch opts.Target {
	case "compose":
		out, warns, err = recipes.ExportCompose(st, recipes.ComposeOptions{})
	default:
		out, warns, err = recipes.ExportKube(st, recipes.KubeOptions{Kind: opts.Kind})
	}
	printWarnings(opts.IO.ErrOut, warns)
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(out)
	return err
}
