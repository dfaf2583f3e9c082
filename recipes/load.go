package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/compose-spec/compose-go/v2/dotenv"
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
	// Stat checks that bind-mount sources exist; a missing one is a warning. Nil: os.Stat.
	Stat func(string) (fs.FileInfo, error)
	// Name overrides the stack name (name: in the recipe, or the directory's name).
	Name string
}

func (o Options) readFile(path string) ([]byte, error) {
	if o.ReadFile != nil {
		return o.ReadFile(path)
	}
	return os.ReadFile(path)
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

// Detect says what kind of file content is: a Kubernetes manifest (a document with apiVersion
// and kind), a compose file (top-level services), or else a recipe. Content that is not
// valid YAML is a recipe, so that its errors come from the recipe loader.
func Detect(content []byte) SourceKind {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for range 1000 {
		var doc yaml.Node
		if err := safeDecode(dec, &doc); err != nil {
			break
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		has := map[string]bool{}
		for i := 0; i+1 < len(root.Content); i += 2 {
			has[root.Content[i].Value] = true
		}
		switch {
		case has["main"] || has["pods"] || has["sidecars"]:
			return SourceRecipe
		case has["apiVersion"] && has["kind"]:
			return SourceKube
		case has["services"]:
			return SourceCompose
		}
	}
	return SourceRecipe
}

// LoadFile reads path and loads it; see Load. A file that cannot be read gives a *ReadError.
func LoadFile(path string, opts Options) (*Stack, []Warning, error) {
	content, err := opts.readFile(path)
	if err != nil {
		return nil, nil, &ReadError{Path: path, Err: err}
	}
	return Load(File{Name: path, Content: content}, opts)
}

// Load reads a recipe, a compose file or a Kubernetes manifest (recognised by content) into a
// normalised, validated stack. Bad input gives Problems (matching ErrInvalid) holding every
// problem found, each placed at file:line:col with how to fix it; warnings name what was
// accepted but cannot be honoured as written.
//
// The pipeline is the same for every kind: parse with positions → interpolate → decode (or
// import) → normalise → validate.
func Load(f File, opts Options) (*Stack, []Warning, error) {
	if f.Name == "" {
		f.Name = "<input>"
	}
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Dir(f.Name)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	opts.Dir = dir

	pos := NewPositions(f.Name)
	var probs Problems
	var warns []Warning
	env, envProbs := loadEnv(opts)
	probs = append(probs, envProbs...)

	kind := Detect(f.Content)
	var raw *Stack
	bad := map[string]bool{}
	switch kind {
	case SourceCompose, SourceKube:
		imp := importCompose
		if kind == SourceKube {
			imp = importKube
		}
		// The importer's problems do not stop here: the stack it could still make is
		// validated too, except for what it marked bad, so that every problem shows at once.
		r := imp(f, opts, pos)
		warns = append(warns, r.warnings...)
		probs = append(probs, r.problems...)
		raw, bad = r.stack, r.bad
	default:
		st, w, ps, b := loadRecipe(f, opts, env, pos)
		raw, bad = st, b
		warns = append(warns, w...)
		probs = append(probs, ps...)
	}
	if raw == nil {
		sortWarnings(warns)
		if len(probs) == 0 {
			probs = append(probs, Problem{Pos: Position{File: f.Name}, Message: "nothing could be read from the file", Hint: "check that it is a recipe, a compose file or a Kubernetes manifest"})
		}
		return nil, warns, probs.Err()
	}
	raw.Dir = dir
	raw.Source = Source{File: f.Name, Kind: kind}

	st, ps := normalise(raw, opts, env, pos)
	probs = append(probs, ps...)
	vp, vw := validate(st, pos, bad, opts.stat())
	probs = append(probs, vp...)
	warns = append(warns, vw...)
	sortWarnings(warns)
	if err := probs.unique().Err(); err != nil {
		return nil, warns, err
	}
	return st, warns, nil
}

// loadRecipe parses, interpolates and decodes a sidecar.yaml. It returns the raw stack (nil
// when nothing usable was read), and the keys of fields that failed to decode.
func loadRecipe(f File, opts Options, env map[string]string, pos *Positions) (*Stack, []Warning, Problems, map[string]bool) {
	root, probs := parseYAML(f.Name, f.Content)
	if root == nil {
		if len(probs) == 0 {
			probs = Problems{{Pos: Position{File: f.Name, Line: 1, Col: 1},
				Message: "the file is empty",
				Hint:    "a recipe needs at least a main container, e.g. main: {image: app:dev}; see sidecar.yaml.example"}}
		}
		return nil, nil, probs, nil
	}
	pos.Set("", Position{File: f.Name, Line: 1, Col: 1}) // problems with the whole file
	ip, warns, failed := interpolate(f.Name, root, env)
	probs = append(probs, ip...)

	name, nameNode := recipeName(root)
	if opts.Name != "" {
		name = opts.Name
	}
	if name == "" {
		name = dnsLabelFrom(filepath.Base(opts.Dir))
	}
	d := newDecoder(f.Name, pos, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}, failed)
	if nameNode != nil {
		d.record("name", nameNode)
	}
	st := d.decodeRecipe(root, name)
	probs = append(probs, d.probs...)
	warns = append(warns, d.warns...)
	return st, warns, probs, d.bad
}

// loadEnv builds the interpolation environment: Options.Env over <Dir>/.env when DotEnv is
// set. Values in .env may refer to Options.Env and to earlier lines.
func loadEnv(opts Options) (map[string]string, Problems) {
	env := map[string]string{}
	if opts.DotEnv {
		path := filepath.Join(opts.Dir, ".env")
		content, err := opts.readFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return env, Problems{{Pos: Position{File: path}, Message: fmt.Sprintf("cannot read .env: %v", unwrapPathError(err)), Hint: "fix its permissions or remove it"}}
		default:
			vars, err := dotenv.ParseWithLookup(bytes.NewReader(content), func(k string) (string, bool) {
				v, ok := opts.Env[k]
				return v, ok
			})
			if err != nil && !errors.Is(err, io.EOF) {
				return env, Problems{{Pos: Position{File: path}, Message: fmt.Sprintf(".env is not a valid env file: %v", err), Hint: "write one NAME=value per line; # starts a comment"}}
			}
			maps.Copy(env, vars)
		}
	}
	maps.Copy(env, opts.Env)
	return env, nil
}

func sortWarnings(ws []Warning) {
	slices.SortStableFunc(ws, func(a, b Warning) int {
		switch {
		case a.Pos.File != b.Pos.File:
			if a.Pos.File < b.Pos.File {
				return -1
			}
			return 1
		case a.Pos.Line != b.Pos.Line:
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
}
