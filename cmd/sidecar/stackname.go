package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// stackFlag reads --stack (ps, logs, down): "" when it is not given, else a valid stack name.
// Given together with the recipe's flag (fileFlag: how the command spells it), or a name no
// stack can have (quoted in the message, so that nothing in it reaches the terminal raw), it is
// a usage error (exit 2).
func stackFlag(cmd *cobra.Command, v *viper.Viper, fileFlag string) (string, error) {
	name := v.GetString("stack")
	if name == "" {
		return "", nil
	}
	if cmd.Flags().Changed("file") {
		return "", usageErrorf(cmd, "give either %s FILE or --stack NAME, not both", fileFlag)
	}
	if err := orchestrator.CheckStackName(name); err != nil {
		return "", usageErrorf(cmd, "--stack: %v", err)
	}
	return name, nil
}

// stackTarget reads the settings of a command that takes its stack from the recipe (-f) or
// from --stack: the recipe's path, and the name given with --stack ("": the recipe's),
// checked as stackFlag does.
func stackTarget(f *Factory, cmd *cobra.Command, v *viper.Viper) (file recipeFiles, stack string, err error) {
	stack, err = stackFlag(cmd, v, "-f")
	if err != nil || stack != "" {
		return fileSetting(v), stack, err
	}
	return recipeFile(f, v, cmd.ErrOrStderr()), "", nil
}
