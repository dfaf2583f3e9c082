package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

// InitOptions are the inputs of `sidecar init`.
type InitOptions struct {
	IO     *IOStreams
	Recipe string // "" writes the starter sidecar.yaml
	Force  bool
	Dir    string
}

func newInitCmd(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "init [--recipe NAME] [--force] [DIR]",
		Short: "Write a sidecar.yaml (and a recipe's config files) into a directory",
		Long: strings.TrimSpace(`
Write a sidecar.yaml into DIR (default: the current directory), creating DIR if
needed. With --recipe, write one of the built-in recipes (see sidecar recipes) with
the configuration files it mounts; without it, write a small commented sidecar.yaml
with a main container and one sidecar to start from.

The stack is named after DIR. Existing files are never overwritten unless --force is
given; then the files that were replaced are listed.`),
		Example: strings.Trim(`
  sidecar init                                  # ./sidecar.yaml, the starter
  sidecar init --recipe envoy-proxy envoy-demo  # envoy-demo/sidecar.yaml and envoy.yaml
  sidecar init --recipe vault-agent --force .   # replace what is there`, "\n"),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf(cmd, "init takes at most one directory, got %q", strings.Join(args, " "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := f.settings(cmd)
			if err != nil {
				return err
			}
			opts.Recipe = v.GetString("recipe")
			opts.Force = v.GetBool("force")
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if opts.Recipe != "" {
				if _, err := catalog.Lookup(opts.Recipe); err != nil {
					return usageErrorf(cmd, "%v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().String("recipe", "", "built-in recipe to write (see sidecar recipes)")
	cmd.Flags().Bool("force", false, "overwrite files that already exist")
	_ = cmd.RegisterFlagCompletionFunc("recipe", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, e := range catalog.List() {
			out = append(out, e.Name+"\t"+e.Description)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// existsError is a file init would overwrite without --force.
type existsError struct {
	paths []string
}

func (e *existsError) Error() string {
	if len(e.paths) == 1 {
		return fmt.Sprintf("not overwriting %s, which already exists: pass --force to replace it, or init into another directory", e.paths[0])
	}
	return fmt.Sprintf("not overwriting %s, which already exist: pass --force to replace them, or init into another directory", strings.Join(e.paths, ", "))
}

func initRun(opts *InitOptions) error {
	files := catalog.Starter()
	if opts.Recipe != "" {
		var err error
		if files, err = catalog.Files(opts.Recipe); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(files))
	for rel := range files {
		names = append(names, rel)
	}
	slices.Sort(names)
	// Check everything before writing anything: a refusal leaves the directory untouched.
	var existing []string
	for _, rel := range names {
		p := filepath.Join(opts.Dir, filepath.FromSlash(rel))
		info, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("cannot check %s: %w", p, err)
		case info.IsDir():
			return fmt.Errorf("cannot write %s: it is a directory; remove it or init into another directory", p)
		default:
			existing = append(existing, p)
		}
	}
	if len(existing) > 0 && !opts.Force {
		return &existsError{paths: existing}
	}
	for _, rel := range names {
		p := filepath.Join(opts.Dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("cannot create directory %s: %w", filepath.Dir(p), err)
		}
		if err := os.WriteFile(p, files[rel], 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
	}
	what := "a starter sidecar.yaml"
	if opts.Recipe != "" {
		what = "recipe " + opts.Recipe
	}
	fmt.Fprintf(opts.IO.Out, "Wrote %s into %s:\n", what, opts.Dir)
	for _, rel := range names {
		p := filepath.Join(opts.Dir, filepath.FromSlash(rel))
		note := ""
		if slices.Contains(existing, p) {
			note = " (overwritten)"
		}
		fmt.Fprintf(opts.IO.Out, "  %s%s\n", p, note)
	}
	next := "sidecar up"
	if filepath.Clean(opts.Dir) != "." {
		next = "cd " + opts.Dir + " && sidecar up"
	}
	fmt.Fprintf(opts.IO.Out, "Next: read the comment at the top of sidecar.yaml, then: %s\n", next)
	return nil
}
