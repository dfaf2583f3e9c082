package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// VersionOptions are the inputs of `sidecar version`.
type VersionOptions struct {
	IO    *IOStreams
	Build BuildInfo
}

func newVersionCmd(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "version",
		Short: "Show the version of sidecar and how it was built",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Build = f.Build
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *VersionOptions) error {
	b := opts.Build
	_, err := fmt.Fprintf(opts.IO.Out, "sidecar %s\n  commit:  %s\n  go:      %s\n  os/arch: %s\n", b.Version, b.Commit, b.GoVersion, b.Platform)
	return err
}
