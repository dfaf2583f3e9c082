package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// Factory holds what commands depend on, so that tests can replace each piece.
type Factory struct {
	IO *IOStreams
	// Environ returns the process environment as NAME=value; recipes interpolate ${VAR}
	// from it (the recipe loader never reads the environment itself).
	Environ func() []string
	// ConfigFile returns the path of the user's settings file; "" means none.
	ConfigFile func() string
	Build      BuildInfo
	// profiles are the compose profiles of --profile, read with the command's settings;
	// nil when none was given (the loader then reads COMPOSE_PROFILES).
	profiles []string
	// stdin is the recipe -f - reads (load.go).
	stdin stdinRecipe
	// interrupt is closed by Ctrl-C, SIGTERM or SIGHUP (the command's context is done): a
	// read of a recipe that blocks (a FIFO, a terminal) gives up then. Nil: never.
	interrupt <-chan struct{}
}

// BuildInfo says which build of sidecar this is.
type BuildInfo struct {
	Version   string
	Commit    string
	GoVersion string
	Platform  string
}

// Set at link time: go build -ldflags "-X main.version=v0.1.0 -X main.commit=abc1234".
var (
	version = ""
	commit  = ""
)

// systemFactory is the Factory of the real process.
func systemFactory() *Factory {
	return &Factory{
		IO:         SystemIO(),
		Environ:    os.Environ,
		ConfigFile: defaultConfigFile,
		Build:      buildInfo(version, commit, debug.ReadBuildInfo),
	}
}

// defaultConfigFile is <user config dir>/sidecar/config.yaml.
func defaultConfigFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sidecar", "config.yaml")
}

// buildInfo fills in what -ldflags did not set from the module build information (a binary
// installed with go install knows its module version and, from a git checkout, its commit).
func buildInfo(version, commit string, read func() (*debug.BuildInfo, bool)) BuildInfo {
	b := BuildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := read(); ok {
		if b.Version == "" && info.Main.Version != "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && b.Commit != "" && !strings.HasSuffix(b.Commit, "-dirty") {
					b.Commit += "-dirty"
				}
			}
		}
		if info.GoVersion != "" {
			b.GoVersion = info.GoVersion
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// settings resolves a command's settings with the precedence flag > SIDECAR_* environment
// variable > config file > the flag's default. Every flag of the command is a setting of the
// same name: --file is SIDECAR_FILE and "file:" in the config file. In the config file, a
// command's name holds settings for that command only ("config: {output: json}"), which win
// over the top-level ones. This is the only place viper is used; commands copy the values
// into their options structs.
func (f *Factory) settings(cmd *cobra.Command) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("SIDECAR")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if path := f.ConfigFile(); path != "" {
		file, err := readSettingsFile(path)
		if err != nil {
			return nil, err
		}
		for _, w := range file.check(cmd.Root()) {
			fmt.Fprintf(f.IO.ErrOut, "sidecar: warning: settings file %s: %s\n", path, w)
		}
		if err := v.MergeConfigMap(file.forCommand(cmd)); err != nil {
			return nil, &configError{path: path, err: err}
		}
	}
	var bindErr error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "help" {
			return
		}
		if err := v.BindPFlag(fl.Name, fl); err != nil && bindErr == nil {
			bindErr = err
		}
	})
	if v.IsSet("profile") {
		f.profiles = []string{}
		for _, p := range v.GetStringSlice("profile") {
			f.profiles = append(f.profiles, strings.Split(p, ",")...)
		}
	}
	return v, bindErr
}

// settingsFile is the user's settings file: top-level settings, and sections named after
// commands (nested for subcommands: "export: {kube: {kind: pod}}").
type settingsFile map[string]any

// readSettingsFile reads path; a missing file is an empty one.
func readSettingsFile(path string) (settingsFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return settingsFile{}, nil
	}
	if err != nil {
		return nil, &configError{path: path, err: err}
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, &configError{path: path, err: err}
	}
	return settingsFile(m), nil
}

// forCommand flattens the settings that apply to cmd: the top-level ones, then each section
// along the command's path (sidecar export kube: "export", then "export.kube").
func (s settingsFile) forCommand(cmd *cobra.Command) map[string]any {
	out := map[string]any{}
	level := map[string]any(s)
	take := func(m map[string]any) {
		for k, val := range m {
			if _, section := val.(map[string]any); !section {
				out[k] = val
			}
		}
	}
	take(level)
	var path []*cobra.Command
	for c := cmd; c != nil && c.HasParent(); c = c.Parent() {
		path = append([]*cobra.Command{c}, path...)
	}
	for _, c := range path {
		next, ok := level[c.Name()].(map[string]any)
		if !ok {
			break
		}
		take(next)
		level = next
	}
	return out
}

// check returns a warning for every key that no command reads: not a flag of any command,
// nor a section named after a command holding flags of that command.
func (s settingsFile) check(root *cobra.Command) []string {
	var warnings []string
	var walk func(m map[string]any, cmd *cobra.Command, where string)
	walk = func(m map[string]any, cmd *cobra.Command, where string) {
		flags := flagNames(cmd)
		subs := map[string]*cobra.Command{}
		for _, c := range cmd.Commands() {
			subs[c.Name()] = c
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if sub, ok := subs[k]; ok {
				if inner, ok := m[k].(map[string]any); ok {
					walk(inner, sub, where+k+".")
					continue
				}
				warnings = append(warnings, fmt.Sprintf("%q names a command: write its settings under it (%s: {output: json})", where+k, k))
				continue
			}
			if flags[k] {
				continue
			}
			known := make([]string, 0, len(flags)+len(subs))
			for n := range flags {
				known = append(known, n)
			}
			for n := range subs {
				known = append(known, n)
			}
			msg := fmt.Sprintf("unknown setting %q, ignored", where+k)
			if near := suggest.Closest(k, known); near != "" {
				msg += fmt.Sprintf(": did you mean %q?", where+near)
			}
			warnings = append(warnings, msg+" (settings are flag names, or a command's name for that command's own settings)")
		}
	}
	walk(s, root, "")
	return warnings
}

// flagNames are the flags a setting at cmd's level may name: at the top level, every flag of
// every command; in a command's section, that command's flags and its subcommands'.
func flagNames(cmd *cobra.Command) map[string]bool {
	names := map[string]bool{}
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		add := func(fl *pflag.Flag) {
			if fl.Name != "help" {
				names[fl.Name] = true
			}
		}
		c.LocalFlags().VisitAll(add)
		c.InheritedFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(cmd)
	return names
}

// configError is a settings file that cannot be read.
type configError struct {
	path string
	err  error
}

func (e *configError) Error() string {
	return fmt.Sprintf("cannot read settings file %s: %v", e.path, e.err)
}
