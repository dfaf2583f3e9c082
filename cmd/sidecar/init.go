package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/recipes/catalog"
)

// InitOptions are the inputs of `sidecar init`.
type InitOptions struct {
	IO     *IOStreams
	Recipe string // "" writes the starter sidecar.yaml
	Force  bool
	// Dir is where the files go; File is the name the recipe itself is written under
	// (sidecar.yaml unless -f says otherwise), next to the files it mounts.
	Dir  string
	File string
}

var initHelp = help{
	Use:   "init [--recipe NAME] [--force] [-f FILE] [DIR]",
	Short: "Write a sidecar.yaml (and a recipe's config files) into a directory",
	Long: `
Write a sidecar.yaml into DIR (default: the current directory), creating DIR if
needed. With --recipe, write one of the built-in recipes (see sidecar recipes) with
the configuration files it mounts; without it, write a small commented sidecar.yaml
with a main container and one sidecar to start from.

-f FILE writes the recipe as FILE instead of sidecar.yaml, where the other commands'
-f FILE will read it: relative to DIR, and the files it mounts next to it. The stack
is named after the directory the recipe is in. Existing files are never overwritten
unless --force is given; then the files that were replaced are listed.`,
	Example: `
  sidecar init                                  # ./sidecar.yaml, the starter
  sidecar init --recipe envoy-proxy envoy-demo  # envoy-demo/sidecar.yaml and envoy.yaml
  sidecar init -f dev.yaml                      # ./dev.yaml; then sidecar up -f dev.yaml
  sidecar init --recipe vault-agent --force .   # replace what is there`,
}

func newInitCmd(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO}
	checkArgs := func(cmd *cobra.Command, args []string) error {
		if len(args) > 1 {
			return usageErrorf(cmd, "init takes at most one directory, got %q", strings.Join(args, " "))
		}
		return nil
	}
	parse := func(cmd *cobra.Command, v *viper.Viper, args []string) (err error) {
		opts.Recipe = v.GetString("recipe")
		opts.Force = v.GetBool("force")
		if opts.Recipe != "" {
			if _, err := catalog.Lookup(opts.Recipe); err != nil {
				return usageErrorf(cmd, "%v", err)
			}
		}
		dir := ""
		if len(args) == 1 {
			dir = args[0]
		}
		file := fileSetting(v)
		if len(file) > 1 {
			return usageErrorf(cmd, "-f given %d times (%s): init writes one recipe", len(file), file)
		}
		if opts.Dir, opts.File, err = initTarget(dir, file[0], opts.Recipe); err != nil {
			return usageErrorf(cmd, "%v", err)
		}
		return nil
	}
	cmd := initHelp.command(checkArgs, runE(f, opts, runF, initRun, parse))
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

// initTarget says where init writes: the directory for the recipe and the files it mounts,
// and the recipe's file name, from DIR (the argument, "" when not given) and the -f setting
// (the recipe file as the other commands will read it, relative to DIR).
func initTarget(dir, file, recipe string) (string, string, error) {
	if file == "" {
		file = defaultFile
	}
	switch {
	case file == "-":
		return "", "", fmt.Errorf("-f -: init writes files and cannot write to standard input; name a file, e.g. -f %s", defaultFile)
	case strings.HasSuffix(file, "/") || strings.HasSuffix(file, string(filepath.Separator)):
		return "", "", fmt.Errorf("-f %s names a directory: init writes DIR/%s; give the directory as DIR (sidecar init %s), or name the file", file, defaultFile, strings.TrimRight(file, `/\`))
	case filepath.IsAbs(file) && dir != "":
		return "", "", fmt.Errorf("-f %s is an absolute path and DIR %s is given too: give the directory once, as DIR (sidecar init -f %s %s) or in -f", file, dir, filepath.Base(file), filepath.Dir(file))
	}
	if dir == "" {
		dir = "."
	}
	target := filepath.Join(dir, file)
	if filepath.IsAbs(file) {
		target = file
	}
	name := filepath.Base(target)
	if name == "." || name == ".." {
		return "", "", fmt.Errorf("-f %s names a directory: init writes DIR/%s; give the directory as DIR (sidecar init %s), or name the file", file, defaultFile, file)
	}
	if name != defaultFile {
		files := catalog.Starter()
		if recipe != "" {
			files, _ = catalog.Files(recipe)
		}
		if _, clash := files[name]; clash {
			return "", "", fmt.Errorf("-f %s: recipe %s writes its own %s next to the recipe file; name the recipe file otherwise", file, recipe, name)
		}
	}
	return filepath.Dir(target), name, nil
}

func initRun(_ context.Context, opts *InitOptions) error {
	files := catalog.Starter()
	if opts.Recipe != "" {
		var err error
		if files, err = catalog.Files(opts.Recipe); err != nil {
			return err
		}
	}
	if opts.File != "" && opts.File != defaultFile {
		renamed := maps.Clone(files)
		renamed[opts.File] = renamed[defaultFile]
		delete(renamed, defaultFile)
		files = renamed
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
	file := cmp.Or(opts.File, defaultFile)
	next := "sidecar up"
	if file != defaultFile {
		next += " -f " + file
	}
	if filepath.Clean(opts.Dir) != "." {
		next = "cd " + opts.Dir + " && " + next
	}
	fmt.Fprintf(opts.IO.Out, "Next: read the comment at the top of %s, then: %s\n", file, next)
	return nil
}
