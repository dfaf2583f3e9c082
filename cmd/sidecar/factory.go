package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
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
// same name: --file is SIDECAR_FILE and "file:" in the config file. This is the only place
// viper is used; commands copy the values into their options structs.
func (f *Factory) settings(cmd *cobra.Command) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("SIDECAR")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if path := f.ConfigFile(); path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil && !errors.Is(err, fs.ErrNotExist) {
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
	return v, bindErr
}

// configError is a settings file that cannot be read.
type configError struct {
	path string
	err  error
}

func (e *configError) Error() string {
	return fmt.Sprintf("cannot read settings file %s: %v", e.path, e.err)
}
