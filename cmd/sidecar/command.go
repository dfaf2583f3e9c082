package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// help is a command's help text. Long and Example are raw strings that start on a line of
// their own, as they read best in the source; command trims them.
type help struct {
	Use, Short, Long, Example string
}

// command is a command with help h, the check of its arguments and its RunE, to which the
// caller adds its flags.
func (h help) command(args cobra.PositionalArgs, run func(*cobra.Command, []string) error) *cobra.Command {
	return &cobra.Command{
		Use:     h.Use,
		Short:   h.Short,
		Long:    strings.TrimSpace(h.Long),
		Example: strings.Trim(h.Example, "\n"),
		Args:    args,
		RunE:    run,
	}
}

// parseFunc copies a command's settings and arguments into its options and checks them.
type parseFunc func(cmd *cobra.Command, v *viper.Viper, args []string) error

// runE is the RunE of a command with an options struct: the command's settings
// (Factory.settings) go to parse, which copies them and the arguments into opts and checks
// them (its error, a usage error most often, stops the command); then runF, when a test gives
// one, gets the options, else run does the work.
func runE[O any](f *Factory, opts *O, runF func(*O) error, run func(context.Context, *O) error,
	parse parseFunc) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		v, err := f.settings(cmd)
		if err != nil {
			return err
		}
		if err := parse(cmd, v, args); err != nil {
			return err
		}
		if runF != nil {
			return runF(opts)
		}
		return run(cmd.Context(), opts)
	}
}

// fileOnly is runE's parse for a command whose one setting is the recipe (-f): its path goes
// to file.
func fileOnly(f *Factory, file *recipeFiles) parseFunc {
	return func(cmd *cobra.Command, v *viper.Viper, _ []string) error {
		var err error
		*file, err = recipeFile(f, v, cmd.ErrOrStderr())
		return err
	}
}

// completeOutput offers formats as the values of --output in shell completion.
func completeOutput(cmd *cobra.Command, formats ...string) {
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// outputFlag reads --output, which must be one of formats; a usage error says which, spelling
// the flag as flag does ("-o" or "--output").
func outputFlag(cmd *cobra.Command, v *viper.Viper, flag string, formats ...string) (string, error) {
	out := v.GetString("output")
	for _, f := range formats {
		if out == f {
			return out, nil
		}
	}
	use := make([]string, len(formats))
	for i, f := range formats {
		use[i] = flag + " " + f
	}
	return "", usageErrorf(cmd, "unknown output format %q: use %s", out, strings.Join(use, " or "))
}

// viewOptions are how up, attach and watch show a stack: lines (--plain, --output json) or the
// interactive view, and its settings.
type viewOptions struct {
	Plain      bool
	Output     string // text | json
	Timestamps bool
	NoColor    bool
	LogLines   int // lines of history kept per container (--log-lines)
}

// addViewFlags defines the flags of viewOptions (up and attach): those of addOutputFlags,
// --plain, and --log-lines with the command's own help for it.
func addViewFlags(cmd *cobra.Command, logLinesHelp string) {
	cmd.Flags().Bool("plain", false, "print lines, not the interactive view (the default when stdout is not a terminal)")
	addOutputFlags(cmd)
	cmd.Flags().Int("log-lines", orchestrator.DefaultLogLines, logLinesHelp)
}

// readView reads the flags of addViewFlags into o (a parseFunc).
func (o *viewOptions) readView(cmd *cobra.Command, v *viper.Viper, _ []string) (err error) {
	o.Plain = v.GetBool("plain")
	if err := o.readOutput(cmd, v, nil); err != nil {
		return err
	}
	if o.LogLines, err = parseLogLines(v.GetString("log-lines")); err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	return nil
}

// addOutputFlags defines the flags of the printed lines that up, attach and watch share:
// --output, --timestamps and --no-color.
func addOutputFlags(cmd *cobra.Command) {
	cmd.Flags().StringP("output", "o", "text", "output format: text or json (one event per line)")
	cmd.Flags().Bool("timestamps", false, "start every line with its time")
	cmd.Flags().Bool("no-color", false, "do not colour the output (NO_COLOR=1 does the same)")
}

// readOutput reads the flags of addOutputFlags into o (a parseFunc).
func (o *viewOptions) readOutput(cmd *cobra.Command, v *viper.Viper, _ []string) (err error) {
	o.Timestamps = v.GetBool("timestamps")
	o.NoColor = v.GetBool("no-color")
	o.Output, err = outputFlag(cmd, v, "--output", "text", "json")
	return err
}
