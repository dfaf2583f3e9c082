package main

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/recipes"
)

// ConfigOptions are the inputs of `sidecar config`.
type ConfigOptions struct {
	IO      *IOStreams
	Factory *Factory
	File    recipeFiles
	Output  string // yaml | json
}

var configHelp = help{
	Use:   "config",
	Short: "Print the normalised stack: every default filled in",
	Long: `
Print the stack as sidecar will run it: pods in start order, each with its main,
sidecars and init containers, every default filled in and every variable
substituted. Compose files and Kubernetes manifests are shown as the pods they
become.

The YAML output is itself a valid recipe (in the pods: form). The JSON output is
for tools: it has "name" and "pods", each pod "name", "main", "sidecars" and "init",
each container at least "name", "image" and "role".`,
	Example: `
  sidecar config                           # ./sidecar.yaml as YAML
  sidecar config -f sidecar.yaml.example -o json
  sidecar config -o json | jq '.pods[].main.image'`,
}

func newConfigCmd(f *Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{IO: f.IO, Factory: f}
	parse := func(cmd *cobra.Command, v *viper.Viper, _ []string) (err error) {
		if opts.File, err = recipeFile(f, v, f.IO.ErrOut); err != nil {
			return err
		}
		opts.Output, err = outputFlag(cmd, v, "-o", "yaml", "json")
		return err
	}
	cmd := configHelp.command(noArgs, runE(f, opts, runF, configRun, parse))
	cmd.Flags().StringP("output", "o", "yaml", "output format: yaml or json")
	completeOutput(cmd, "yaml", "json")
	return cmd
}

func configRun(_ context.Context, opts *ConfigOptions) error {
	st, err := loadReported(opts.Factory, opts.IO.ErrOut, opts.File)
	if err != nil {
		return err
	}
	var out []byte
	if opts.Output == "json" {
		out, err = json.MarshalIndent(st, "", "  ")
		out = append(out, '\n')
	} else {
		out, err = recipes.EncodeYAML(st)
	}
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(out)
	return err
}
