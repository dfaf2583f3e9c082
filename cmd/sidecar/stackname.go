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

// onStack is runE's parse for a command that takes its stack from the recipe (-f) or from
// --stack: the recipe's path goes to file and the name given with --stack ("": the
// recipe's), checked as stackFlag does, to stack; then parse reads the rest.
func onStack(f *Factory, file *recipeFiles, stack *string, parse parseFunc) parseFunc {
	return func(cmd *cobra.Command, v *viper.Viper, args []string) (err error) {
		if *stack, err = stackFlag(cmd, v, "-f"); err != nil {
			return err
		}
		if *stack != "" {
			*file = fileSetting(v)
		} else {
			var err error
			if *file, err = recipeFile(f, v, cmd.ErrOrStderr()); err != nil {
				return err
			}
		}
		return parse(cmd, v, args)
	}
}
