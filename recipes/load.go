package recipes

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// File is one input, loaded from its content so that tests can feed strings. Name is used in
// messages (file:line:col) and, unless Options.Dir says otherwise, to find the directory that
// relative paths are written against.
type File struct {
	Name    string
	Content []byte
}

// Options control a load. The zero value reads nothing but the content given.
type Options struct {
	// Env holds the variables for ${VAR} interpolation; nil means none. The loader never
	// reads the process environment itself: the CLI passes os.Environ() in.
	Env map[string]string
	// DotEnv also reads <Dir>/.env (compose semantics: Env wins over .env). A missing .env
	// is not an error.
	DotEnv bool
	// Dir is the base of relative paths (build contexts, bind mounts, env files, .env).
	// Default: the absolute directory of File.Name.
	Dir string
	// ReadFile reads env_file and .env files (and the recipe, in LoadFile). Nil: os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Stat checks that bind-mount sources exist (a missing one is a warning) and that build
	// contexts are directories (else a problem). Nil: os.Stat.
	Stat func(string) (fs.FileInfo, error)
	// Name overrides the stack name (name: in the recipe, or the directory's name).
	Name string
	// Profiles are the compose profiles to activate, as docker compose's --profile ("*":
	// all). Nil: COMPOSE_PROFILES of Env or .env (comma-separated), as compose reads it.
	Profiles []string

	// brokenEnv is set by the load when .env cannot be read or parsed (reported): what it
	// would have set is not reported missing.
	brokenEnv *brokenEnv
	// Services are the compose services named on the command line (sidecar up NAME…): each
	// is imported whatever its profiles, as docker compose starts a service it is asked
	// to. A name is a service's, its pod's name or the DNS label made of it.
	Services []string
}

// MaxFileSize is the most sidecar reads from one input file (a recipe, compose file,
// manifest, env or config file): a larger one is a mistake or an attack, not read whole.
const MaxFileSize = 4 << 20

// errTooLarge is a file larger than MaxFileSize.
type errTooLarge struct{ size int64 }

func (e errTooLarge) Error() string {
	msg, hint := e.text()
	return msg + ": " + hint
}

func (e errTooLarge) text() (msg, hint string) {
	msg = fmt.Sprintf("the file is larger than the %s sidecar reads from one file", expSize(MaxFileSize))
	if e.size > 0 {
		msg = fmt.Sprintf("the file is %d bytes, more than the %s sidecar reads from one file", e.size, expSize(MaxFileSize))
	}
	return msg, "split it, or move large data into files the stack mounts"
}

// readFile reads a file the loader needs; one larger than MaxFileSize is an error.
func (o Options) readFile(path string) ([]byte, error) {
	if o.ReadFile != nil {
		b, err := o.ReadFile(path)
		if err == nil && len(b) > MaxFileSize {
			return nil, errTooLarge{int64(len(b))}
		}
		return b, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, errTooLarge{fi.Size()}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err == nil && len(b) > MaxFileSize {
		return nil, errTooLarge{}
	}
	return b, err
}

func (o Options) stat() func(string) (fs.FileInfo, error) {
	if o.Stat != nil {
		return o.Stat
	}
	return os.Stat
}

// ReadError is a recipe file that could not be read. It matches ErrInvalid and the
// underlying error (fs.ErrNotExist for a missing file).
type ReadError struct {
	Path string
	Err  error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("cannot read %s: %v", e.Path, unwrapPathError(e.Err))
}

func (e *ReadError) Unwrap() []error { return []error{e.Err, ErrInvalid} }

// Detect says what kind of file content is: a Kubernetes manifest (apiVersion and kind), a
// compose file (services, or another key only compose has), or else a recipe (also when
// it is not valid YAML, so that its errors come from the recipe loader).
func Detect(content []byte) SourceKind {
	pf, _, fatal := yamlpos.Parse(content)
	if fatal {
		return SourceRecipe
	}
	return detect(pf.Docs)
}

func detect(docs []*yaml.Node) SourceKind {
	for _, root := range docs {
		switch {
		case hasRecipeKeys(root):
			return SourceRecipe
		case hasKey(root, "apiVersion") && hasKey(root, "kind"):
			return SourceKube
		case hasKey(root, "services", "include", "networks", "secrets", "configs"):
			return SourceCompose // keys a recipe does not have
		}
	}
	return SourceRecipe
}

// input is a file as the YAML front end read it, once, for whichever kind it is.
type input struct {
	file   string
	docs   []*yaml.Node
	starts []int    // per document, the line of its "---", or 0
	probs  Problems // what the front end left out of docs (keys written twice, bad aliases)
}

// parseInput reads f with the YAML front end. It returns nil and the one problem that
// stops everything (a syntax error, a file too large) when nothing can be read.
func parseInput(f File) (*input, Problems) {
	if len(f.Content) > MaxFileSize {
		msg, hint := errTooLarge{int64(len(f.Content))}.text()
		return nil, Problems{{Pos: Position{File: f.Name, Line: 1, Col: 1}, Message: msg, Hint: hint}}
	}
	pf, issues, fatal := yamlpos.Parse(f.Content)
	probs := make(Problems, len(issues))
	for i, is := range issues {
		probs[i] = issueProblem(f.Name, is)
	}
	if fatal {
		return nil, probs
	}
	return &input{file: f.Name, docs: pf.Docs, starts: pf.Starts, probs: probs}, nil
}

// LoadFile reads path and loads it; see Load. A file that cannot be read (or is larger than
// MaxFileSize) gives a *ReadError.
func LoadFile(path string, opts Options) (*Stack, []Warning, error) {
	return LoadFiles([]string{path}, opts)
}

// LoadFiles reads the files at paths and loads them; see LoadAll. A file that cannot be read
// (or is larger than MaxFileSize) gives a *ReadError.
func LoadFiles(paths []string, opts Options) (*Stack, []Warning, error) {
	files := make([]File, len(paths))
	for i, path := range paths {
		content, err := opts.readFile(path)
		if err != nil {
			return nil, nil, &ReadError{Path: path, Err: err}
		}
		files[i] = File{Name: path, Content: content}
	}
	return LoadAll(files, opts)
}

// Load reads a recipe, a compose file or a Kubernetes manifest (recognised by content) into a
// normalised, validated stack: parse with positions → interpolate → decode (or import) →
// normalise → validate. Bad input gives Problems (matching ErrInvalid), every problem
// placed at file:line:col with how to fix it; warnings name what cannot be honoured.
func Load(f File, opts Options) (*Stack, []Warning, error) {
	return LoadAll([]File{f}, opts)
}

// LoadAll is Load of one file, or of compose files merged in order as docker compose merges
// -f A -f B (only compose files merge). Relative paths in every file, and .env, are of
// Options.Dir or the first file's directory.
func LoadAll(files []File, opts Options) (*Stack, []Warning, error) {
	if len(files) == 0 {
		return nil, nil, Problems{{Message: "no file to load", Hint: "name a recipe, a compose file or a Kubernetes manifest"}}.Err()
	}
	files = slices.Clone(files)
	var ins []*input
	var fatal Problems
	for i := range files {
		files[i].Name = cmp.Or(files[i].Name, "<input>")
		in, ps := parseInput(files[i])
		fatal = append(fatal, ps...)
		ins = append(ins, in)
	}
	f := files[0]
	opts.Dir = stackDir(f.Name, opts.Dir)
	if len(fatal) > 0 {
		return nil, nil, fatal.Err()
	}
	kind := detect(ins[0].docs)
	if len(ins) > 1 {
		if err := mergeable(ins, kind).Err(); err != nil {
			return nil, nil, err
		}
	}
	pos := NewPositions(f.Name)
	dot := loadDotEnv(opts)
	env, probs := dot.env, dot.probs
	opts.brokenEnv = dot.broken
	var r importResult
	switch kind {
	case SourceCompose:
		r = importCompose(ins, opts, env, pos)
	case SourceKube:
		r = importKube(ins[0], opts, pos)
	default:
		r = loadRecipe(ins[0], opts, env, pos)
	}
	// The importer's problems do not stop here: the stack it could still make is validated
	// too, except for what it marked bad, so that every problem shows at once.
	warns := append(dot.warns, r.warnings...)
	probs = append(probs, r.problems...)
	if r.stack != nil {
		r.stack.Dir = opts.Dir
		r.stack.Source = Source{File: f.Name, Kind: kind}
		for _, o := range files[1:] {
			r.stack.Source.Overrides = append(r.stack.Source.Overrides, o.Name)
		}
		st, ps := normalise(r.stack, opts, env, pos)
		probs = append(probs, ps...)
		vp, vw := validate(st, pos, r.bad, opts.stat())
		probs = append(probs, vp...)
		warns = append(warns, vw...)
		r.stack = st
		r.stack.Positions = pos
	} else if len(probs) == 0 {
		probs = append(probs, Problem{Pos: Position{File: f.Name}, Message: "nothing could be read from the file", Hint: "check that it is a recipe, a compose file or a Kubernetes manifest"})
	}
	if r.interp != nil {
		for i := range probs {
			r.interp.redact(probs[i].Pos, &probs[i].Message, &probs[i].Hint)
		}
	}
	sortWarnings(warns)
	warns = slices.CompactFunc(warns, func(a, b Warning) bool { return a.String() == b.String() })
	if err := probs.unique().Err(); err != nil {
		return nil, warns, err
	}
	return r.stack, warns, nil
}

// mergeable checks that files of kind first and the others (ins) can be merged: compose
// files only. A file merged over the first is a compose file unless it is clearly something
// else, as it may hold any part of one (volumes: alone, say).
func mergeable(ins []*input, first SourceKind) Problems {
	var probs Problems
	what := map[SourceKind]string{SourceRecipe: "a sidecar.yaml recipe", SourceKube: "a Kubernetes manifest"}
	say := func(in *input, kind SourceKind) {
		probs = append(probs, Problem{Pos: Position{File: in.file, Line: 1, Col: 1},
			Message: fmt.Sprintf("this is %s, and it is given with other files: only compose files are merged (-f compose.yaml -f compose.override.yaml)", what[kind]),
			Hint:    "give it alone (-f " + in.file + "), or name only compose files"})
	}
	if first != SourceCompose {
		say(ins[0], first)
	}
	for _, in := range ins[1:] {
		kind := detect(in.docs)
		if kind == SourceKube || kind == SourceRecipe && slices.ContainsFunc(in.docs, hasRecipeKeys) {
			say(in, kind)
		}
	}
	return probs
}

// hasRecipeKeys reports whether root has a top-level key only a sidecar.yaml has.
func hasRecipeKeys(root *yaml.Node) bool { return hasKey(root, "main", "pods", "sidecars") }

// hasKey reports whether mapping root has one of keys at its top level.
func hasKey(root *yaml.Node, keys ...string) bool {
	return slices.ContainsFunc(keys, func(k string) bool {
		key, _ := yamlpos.Lookup(root, k)
		return key != nil
	})
}

// loadRecipe interpolates and decodes a sidecar.yaml. The stack is nil when nothing usable
// was read.
func loadRecipe(in *input, opts Options, env map[string]string, pos *Positions) importResult {
	r := importResult{report: report{problems: in.probs}}
	if len(in.docs) > 1 {
		r.problems = append(r.problems, Problem{Pos: Position{File: in.file, Line: max(in.starts[1], 1), Col: 1},
			Message: "the file holds more than one YAML document",
			Hint:    "a recipe is a single document: remove the \"---\" separator and everything after it"})
	}
	if len(in.docs) == 0 || in.docs[0] == nil {
		if len(r.problems) == 0 {
			r.problems = Problems{{Pos: Position{File: in.file, Line: 1, Col: 1},
				Message: "the file is empty",
				Hint:    "a recipe needs at least a main container, e.g. main: {image: app:dev}; see sidecar.yaml.example"}}
		}
		return r
	}
	pos.Set("", Position{File: in.file, Line: 1, Col: 1}) // problems with the whole file
	ip := newInterpolation("the recipe", env)
	ip.broken = opts.brokenEnv
	root := ip.tree(in.file, in.docs[0], false)
	r.interp = ip
	r.problems = append(r.problems, ip.probs...)
	r.warnings = ip.warns

	d := newDecoder(in.file, pos, lookupIn(env), ip.failed)
	name := ""
	if v := yamlpos.Value(root, "name"); !yamlpos.IsNull(v) && v.Kind == yaml.ScalarNode {
		name = v.Value
		d.record("name", v)
	}
	r.stack = d.decodeRecipe(root, cmp.Or(opts.Name, name, DNSLabel(filepath.Base(opts.Dir))))
	r.problems = append(r.problems, d.problems...)
	r.warnings = append(r.warnings, d.warnings...)
	r.bad = d.bad
	return r
}

// Environment is the interpolation environment a load with opts uses: Options.Env over
// <Dir>/.env when DotEnv is set. A .env that cannot be read is left out, and its problems
// (Problems, placed in it, as a load reports them) are the error.
func Environment(opts Options) (map[string]string, error) {
	d := loadDotEnv(opts)
	return d.env, d.probs.Err()
}

// lookupIn looks a variable up in envs, the first that has it.
func lookupIn(envs ...map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, env := range envs {
			if v, ok := env[name]; ok {
				return v, true
			}
		}
		return "", false
	}
}

type envFileError struct{ err error }

func (e envFileError) Error() string { return e.err.Error() }

// readEnvFile reads an env file (format "" or "raw", as compose has them), with ${VAR} in
// its values looked up with lookup: the one reader of .env, a recipe's env_file and a
// compose service's env_file.
func readEnvFile(opts Options, path, format string, lookup func(string) (string, bool)) (map[string]string, error) {
	content, err := opts.readFile(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return parseEnvFile(content, path, format, lookup)
}

// parseEnvFile is readEnvFile of content already read (path names it in errors).
func parseEnvFile(content []byte, path, format string, lookup func(string) (string, bool)) (map[string]string, error) {
	if format == "raw" {
		return rawEnv(content, lookup)
	}
	vars := map[string]string{}
	if err := dotenv.ParseWithFormat(bytes.NewReader(content), path, vars, lookup, format); err != nil && !errors.Is(err, io.EOF) {
		return nil, envFileError{err}
	}
	return vars, nil
}

// rawEnv reads an env file of compose's format: raw, the format of docker run --env-file:
// NAME=value lines taken as written (no quotes, no interpolation), # comment lines and blank
// ones skipped, a NAME alone taking its value from lookup when it has one.
func rawEnv(content []byte, lookup func(string) (string, bool)) (map[string]string, error) {
	vars := map[string]string{}
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	for i, line := range strings.Split(string(content), "\n") {
		line = strings.TrimLeft(strings.TrimSuffix(line, "\r"), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, envFileError{fmt.Errorf("line %d is not valid UTF-8", i+1)}
		}
		name, value, ok := strings.Cut(line, "=")
		if name == "" || strings.ContainsAny(name, " \t") {
			return nil, envFileError{fmt.Errorf("line %d: %q is not a variable name", i+1, name)}
		}
		if !ok {
			if value, ok = lookup(name); !ok {
				continue
			}
		}
		vars[name] = value
	}
	return vars, nil
}

// stackDir is the directory relative paths of file are taken against: dir, else the file's
// own, made absolute.
func stackDir(file, dir string) string {
	if dir == "" {
		dir = filepath.Dir(file)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// inDir is path, taken against dir unless it is absolute.
func inDir(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(a, b Warning) int { return a.Pos.compare(b.Pos) })
}

// importResult is what an importer gives back. The stack may come with problems: Load
// still validates it, so that every problem shows in one pass, except at the position keys
// in bad (what the importer left out as wrong, and reported).
type importResult struct {
	stack *Stack
	report
	bad    map[string]bool
	interp *interpolation // of the file's variables, if any: no message shows a value it set
}

// strict returns a stack or problems, never both: what the importer's own tests check.
func (r importResult) strict() (*Stack, []Warning, error) {
	if err := r.problems.Err(); err != nil {
		return nil, r.warnings, err
	}
	return r.stack, r.warnings, nil
}

// report collects the problems and warnings about one input file.
type report struct {
	file     string
	problems Problems
	warnings []Warning
}

func (r *report) problem(pos Position, msg, hint string) {
	r.problems = append(r.problems, Problem{Pos: pos, Message: msg, Hint: hint})
}

// issue records a problem the YAML front end found and worded.
func (r *report) issue(is yamlpos.Issue) { r.problems = append(r.problems, issueProblem(r.file, is)) }

// warn records a warning about field (a path in the input); the message reads "field: msg".
func (r *report) warn(pos Position, field, msg string) {
	r.warnings = append(r.warnings, Warning{Pos: pos, Field: field, Message: field + ": " + msg})
}

// issueProblem is an issue of the YAML front end as a problem of file.
func issueProblem(file string, is yamlpos.Issue) Problem {
	return Problem{Pos: Position{File: file, Line: is.Line, Col: is.Col}, Message: is.Message, Hint: is.Hint}
}
