package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/spf13/viper"

	"github.com/sidecar-dev/sidecar/recipes"
)

// recipeFiles is the recipe a command reads: one file, or compose files merged in order (-f
// given more than once; a compose file and its override file).
type recipeFiles []string

// stdinFile is how -f names the standard input (-f -, as kubectl and docker compose take it);
// stdinName names it in messages and in the stack's source.
const stdinFile, stdinName = "-", "<stdin>"

// named is the files as messages name them: the standard input as <stdin>.
func (r recipeFiles) named() []string {
	out := slices.Clone(r)
	for i, p := range out {
		if p == stdinFile {
			out[i] = stdinName
		}
	}
	return out
}

// String names the files for messages: "compose.yaml, compose.override.yaml".
func (r recipeFiles) String() string { return strings.Join(r.named(), ", ") }

// stdin reports whether one of the files is the standard input.
func (r recipeFiles) stdin() bool { return slices.Contains(r, stdinFile) }

// list is the files as one setting, as recipes.Source.List writes them: separated as in
// PATH, the form SIDECAR_FILE takes, which the stack's labels record.
func (r recipeFiles) list() string {
	if len(r) == 0 {
		return ""
	}
	n := r.named()
	return recipes.Source{File: n[0], Overrides: n[1:]}.List()
}

// abs is the files made absolute, for whoever reads them later from elsewhere (the standard
// input stays -).
func (r recipeFiles) abs() (recipeFiles, error) {
	out := make(recipeFiles, len(r))
	for i, p := range r {
		if p == stdinFile {
			out[i] = p
			continue
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// fileSetting is the -f setting: the flag, once or more; else SIDECAR_FILE or the settings
// file's file: — a path, or paths separated as in PATH (compose.yaml:compose.dev.yaml on
// Unix), as docker compose reads COMPOSE_FILE; the settings file may give a list too.
func fileSetting(v *viper.Viper) recipeFiles {
	var paths []string
	switch x := v.Get("file").(type) {
	case []string:
		paths = x
	case []any:
		for _, p := range x {
			paths = append(paths, fmt.Sprint(p))
		}
	default:
		paths = filepath.SplitList(fmt.Sprint(x))
	}
	paths = slices.DeleteFunc(paths, func(p string) bool { return p == "" })
	if len(paths) == 0 {
		return recipeFiles{defaultFile}
	}
	return paths
}

// recipeFile is the recipe a command reads: -f (or its setting) as given; without one,
// ./sidecar.yaml — or, when there is none, the compose files docker compose would read here:
// those COMPOSE_FILE names (composeFileEnv), else the compose file of this directory with the
// override file next to it merged over it (composecli.DefaultFileNames and
// DefaultOverrideFileNames are compose's names, in its order), so that `sidecar up` next to a
// compose.yaml runs it. Found several, it uses the first and says so, as compose does. With
// none here, the parent directories are searched the same way, nearest first, as compose
// searches them (a sidecar.yaml before the compose files of its directory): `sidecar up` in
// a project's subdirectory runs the project. The error is a ./.env that cannot be read for
// its COMPOSE_FILE (composeFileEnv).
func recipeFile(f *Factory, v *viper.Viper, errOut io.Writer) (recipeFiles, error) {
	files := fileSetting(v)
	if v.IsSet("file") || !slices.Equal(files, recipeFiles{defaultFile}) || exists(defaultFile) {
		return files, nil
	}
	named, err := composeFileEnv(f)
	if err != nil || len(named) > 0 {
		return named, err
	}
	for dir := "."; ; dir = filepath.Join(dir, "..") {
		if dir != "." && exists(filepath.Join(dir, defaultFile)) {
			return recipeFiles{filepath.Join(dir, defaultFile)}, nil
		}
		if found := composeFilesIn(dir, errOut); found != nil {
			return found, nil
		}
		if abs, err := filepath.Abs(dir); err != nil || abs == filepath.Dir(abs) {
			return files, nil // the root searched: none (reading sidecar.yaml says so)
		}
	}
}

// composeFilesIn is the compose file of dir and its override file, as compose picks them;
// nil when dir has no compose file.
func composeFilesIn(dir string, errOut io.Writer) recipeFiles {
	where := "here"
	if dir != "." {
		where = "in " + dir
	}
	pick := func(names []string, what string) string {
		var found []string
		for _, name := range names {
			if path := filepath.Join(dir, name); exists(path) {
				found = append(found, path)
			}
		}
		if len(found) > 1 {
			fmt.Fprintf(errOut, "sidecar: warning: found %s %s: using %s%s (name others with -f)\n", strings.Join(found, ", "), where, what, found[0])
		}
		if len(found) == 0 {
			return ""
		}
		return found[0]
	}
	compose := pick(composecli.DefaultFileNames, "")
	if compose == "" {
		return nil
	}
	if override := pick(composecli.DefaultOverrideFileNames, "the override file "); override != "" {
		return recipeFiles{compose, override}
	}
	return recipeFiles{compose}
}

// composeFileEnv is COMPOSE_FILE as docker compose reads it when it is given no -f: the
// files it names, separated by COMPOSE_PATH_SEPARATOR, else as in PATH; each variable of the
// environment, else of ./.env. None when it is not set. A ./.env that cannot be read (a line
// that is not NAME=value, say) when the environment has no COMPOSE_FILE is its problems,
// placed, as a load reports them: COMPOSE_FILE may be in it, and reading on would look for
// the recipe elsewhere and report that missing instead (or run another directory's).
func composeFileEnv(f *Factory) (recipeFiles, error) {
	environ := envMap(f.Environ())
	env, err := recipes.Environment(recipes.Options{Env: environ, DotEnv: true, Dir: "."})
	if _, set := env["COMPOSE_FILE"]; !set && err != nil {
		return nil, err
	}
	sep := cmp.Or(env["COMPOSE_PATH_SEPARATOR"], string(os.PathListSeparator))
	var out recipeFiles
	for _, p := range strings.Split(env["COMPOSE_FILE"], sep) {
		if p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// exists reports whether path names something (a broken or unreadable one counts: reading it
// then says what is wrong).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// loadStack loads the recipe the way every command does: ${VAR} from the process
// environment and from .env next to the recipe (the first file), the compose profiles of
// --profile; pods names the pods the command line names (sidecar up NAME…), whose compose
// services are imported whatever their profiles, as docker compose up NAME starts them.
//
// -f - is the standard input, read once (every later load of the process gets the same
// content), named <stdin>; when it is the first file, the stack's directory (of relative
// paths, and of .env) is the working directory, as docker compose has it for -f -. The
// standard input and a recipe file that is not a regular one (a FIFO, /dev/stdin) are read
// here, so that Ctrl-C, SIGTERM or SIGHUP end a read that waits for its writer
// (ErrInterrupted: exit 130).
func loadStack(f *Factory, files recipeFiles, pods ...string) (*recipes.Stack, []recipes.Warning, error) {
	opts := recipes.Options{Env: recipeEnv(f), DotEnv: true, Profiles: f.profiles, Services: pods}
	if !files.stdin() && !slices.ContainsFunc(files, notRegular) {
		return recipes.LoadFiles(files, opts)
	}
	if i := slices.Index(files, stdinFile); slices.Contains(files[i+1:], stdinFile) {
		return nil, nil, &ExitError{Code: exitBadInput, Err: errors.New("-f - is given more than once, and the standard input can be read only once: give -f - once, and the other files by name")}
	}
	in := make([]recipes.File, len(files))
	for i, p := range files {
		var err error
		if p == stdinFile {
			in[i].Name = stdinName
			in[i].Content, err = f.readStdin()
		} else {
			in[i].Name = p
			in[i].Content, err = f.readFile(p)
		}
		if err != nil {
			return nil, nil, &recipes.ReadError{Path: in[i].Name, Err: err}
		}
	}
	if files[0] == stdinFile {
		wd, err := os.Getwd()
		if err != nil {
			return nil, nil, &ExitError{Code: exitFailure, Err: fmt.Errorf("find the working directory, the directory of a recipe read from the standard input: %w", err)}
		}
		opts.Dir = wd
	}
	return recipes.LoadAll(in, opts)
}

// stdinRecipe is the standard input as -f - reads it: once per process. In the supervisor of
// `up -d -f -`, whose standard input is /dev/null, it is the copy the up -d left in the
// state directory (from).
type stdinRecipe struct {
	once    sync.Once
	from    string
	read    chan struct{} // closed once content and err are set
	content []byte
	err     error
}

// readStdin is the content of the standard input, read on first use. An interrupt (Ctrl-C,
// SIGTERM, SIGHUP) ends the waiting for it — a terminal's input ends only with Ctrl-D, a
// pipe's when its writer closes — with ErrInterrupted; the read goes on in its goroutine,
// which holds up nothing: the process exits.
func (f *Factory) readStdin() ([]byte, error) {
	s := &f.stdin
	s.once.Do(func() {
		s.read = make(chan struct{})
		if s.from != "" {
			s.content, s.err = os.ReadFile(s.from)
			close(s.read)
			return
		}
		go func() {
			defer close(s.read)
			s.content, s.err = io.ReadAll(io.LimitReader(f.IO.In, recipes.MaxFileSize+1))
		}()
	})
	select {
	case <-s.read:
		return s.content, s.err
	case <-f.interrupt:
		return nil, ErrInterrupted
	}
}

// notRegular reports whether path names something other than a regular file (a FIFO,
// /dev/stdin): reading it may wait for its writer.
func notRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.Mode().IsRegular() && !fi.IsDir()
}

// readFile reads a recipe file (-f) that loadStack reads itself: a regular one whole; one
// that is not, at most recipes.MaxFileSize+1 bytes of it (the loader refuses more). Such a
// file — a FIFO, /dev/stdin on a terminal — may keep a read waiting until its
// writer closes it (opening a FIFO waits for a writer, too): an interrupt ends the waiting
// with ErrInterrupted and closes the file, which ends the read; one still opening the file
// is left to the process's exit.
func (f *Factory) readFile(path string) ([]byte, error) {
	if !notRegular(path) {
		return os.ReadFile(path)
	}
	if f.interrupt == nil {
		return readLimited(path)
	}
	type result struct {
		b   []byte
		err error
	}
	var (
		mu      sync.Mutex
		file    *os.File
		stopped bool
	)
	done := make(chan result, 1)
	go func() {
		fh, err := os.Open(path)
		if err != nil {
			done <- result{err: err}
			return
		}
		mu.Lock()
		if stopped {
			mu.Unlock()
			fh.Close()
			return
		}
		file = fh
		mu.Unlock()
		b, err := io.ReadAll(io.LimitReader(fh, recipes.MaxFileSize+1))
		fh.Close()
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-f.interrupt:
		mu.Lock()
		stopped = true
		if file != nil {
			file.Close() // ends a read of a FIFO or a terminal, which Go polls
		}
		mu.Unlock()
		return nil, ErrInterrupted
	}
}

// readLimited reads at most recipes.MaxFileSize+1 bytes of the file at path.
func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, recipes.MaxFileSize+1))
}

// recipeEnv is the environment ${VAR}s are read from: the process's, with PWD set to the
// working directory when it is not set (under env -i, cron, some CI runners), as docker
// compose sets it (envoy's examples mount ${PWD}).
func recipeEnv(f *Factory) map[string]string {
	env := envMap(f.Environ())
	if _, set := env["PWD"]; !set {
		if wd, err := os.Getwd(); err == nil {
			env["PWD"] = wd
		}
	}
	return env
}

// loadReported is loadStack with the loader's warnings written to errOut, one per line.
func loadReported(f *Factory, errOut io.Writer, files recipeFiles, pods ...string) (*recipes.Stack, error) {
	st, warns, err := loadStack(f, files, pods...)
	printWarnings(errOut, warns)
	return st, err
}

// envMap turns NAME=value lines into a map.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// printWarnings writes the loader's warnings, one per line.
func printWarnings(w io.Writer, warns []recipes.Warning) {
	for _, x := range warns {
		fmt.Fprintln(w, x.String())
	}
}
