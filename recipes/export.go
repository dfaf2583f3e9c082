package recipes

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// The exporters turn a normalised Stack into files another tool runs: a Kubernetes manifest
// (ExportKube) and a compose file (ExportCompose). Each one writes what the target can
// express, reports what it cannot as a Warning naming the field, and checks its own output
// by decoding it again before returning it. docs/export.md lists the mapping.

// ErrExport is matched (errors.Is) by the errors of the exporters that mean "this stack
// cannot be exported as asked"; the CLI maps it to exit status 2.
var ErrExport = errors.New("cannot export")

// expError is an export failure caused by the stack or the options: a message, or the
// problems found in the output (one each, as the loader reports them; they also match
// ErrInvalid through Unwrap, so the CLI lists them one per line).
type expError struct {
	msg   string
	probs Problems
}

func (e *expError) Error() string {
	if len(e.probs) > 0 {
		return e.probs.Error()
	}
	return e.msg
}

func (e *expError) Is(target error) bool { return target == ErrExport }

func (e *expError) Unwrap() error {
	if len(e.probs) == 0 {
		return nil
	}
	return e.probs
}

func expErrorf(format string, args ...any) error {
	return &expError{msg: fmt.Sprintf(format, args...)}
}

// expDirFS returns the file system bind-mount sources are read from: opt when given, else the
// stack's directory on disk.
func expDirFS(s *Stack, opt fs.FS) fs.FS {
	if opt != nil {
		return opt
	}
	return os.DirFS(cmp.Or(s.Dir, "."))
}

// expBind says where a bind mount's source is relative to the stack directory: rel is the
// slash-separated path inside it ("" when outside), isFile and isDir what is there.
type expBind struct {
	rel           string
	isFile, isDir bool
	content       []byte
}

// expResolveBind looks a bind mount's source up in fsys (the stack directory). Absolute paths
// and paths leaving the directory resolve to rel "".
func expResolveBind(s *Stack, fsys fs.FS, source string) expBind {
	if filepath.IsAbs(source) {
		r, err := filepath.Rel(s.Dir, source)
		if s.Dir == "" || err != nil {
			return expBind{}
		}
		source = r
	}
	rel := path.Clean(filepath.ToSlash(source))
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return expBind{}
	}
	info, err := fs.Stat(fsys, rel)
	out := expBind{rel: rel, isDir: err == nil && info.IsDir()}
	if err == nil && info.Mode().IsRegular() {
		out.content, err = fs.ReadFile(fsys, rel)
		out.isFile = err == nil
	}
	return out
}

// expSource names the file a stack was read from, for the header of an export.
func expSource(s *Stack) string {
	if s.Source.File == "" {
		return "the stack"
	}
	return path.Base(s.Source.File)
}

// expWarnings collects export warnings against one input file.
type expWarnings struct {
	file string
	pos  *Positions // of the stack exported, nil when not known
	list []Warning
}

func newExpWarnings(s *Stack) *expWarnings {
	return &expWarnings{file: s.Source.File, pos: s.Positions}
}

func (w *expWarnings) add(field, format string, args ...any) { w.addAt("", field, format, args...) }

// addAt adds a warning placed where the stack's positions put key (a Positions key: see
// Field), else at the file.
func (w *expWarnings) addAt(key, field, format string, args ...any) {
	pos := Position{File: w.file}
	if key != "" && w.pos != nil {
		pos = w.pos.At(key)
	}
	w.list = append(w.list, Warning{Pos: pos, Field: field, Message: fmt.Sprintf(format, args...)})
}

// expWho names a container in warnings: "container NAME", with its pod when the stack has
// several.
func expWho(s *Stack, p *Pod, c *Container) string {
	if len(s.Pods) > 1 {
		return "container " + p.Name + "/" + c.Name
	}
	return "container " + c.Name
}

// expField names a container's field in warnings: "pod/container/field".
func expField(p *Pod, c *Container, field string) string { return p.Name + "/" + c.Name + "/" + field }

// expUniqueName returns base, or base-2, base-3, ... whichever is not taken yet, and takes it.
func expUniqueName(base string, taken map[string]bool) string {
	name := base
	for i := 2; taken[name]; i++ {
		name = expSuffixed(base, fmt.Sprintf("-%d", i))
	}
	taken[name] = true
	return name
}

// expSuffixed is base+suffix, base cut short to fit the 63 characters of a DNS label.
func expSuffixed(base, suffix string) string {
	if len(base)+len(suffix) > 63 {
		base = strings.TrimRight(base[:63-len(suffix)], "-")
	}
	return base + suffix
}

// expMap is f of each element of in, nil when in is empty.
func expMap[T, U any](in []T, f func(T) U) []U {
	var out []U
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// expAppendNew appends to list each of vs it does not hold yet.
func expAppendNew[T comparable](list []T, vs ...T) []T {
	for _, v := range vs {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// expSecretWords are the words of a variable name that make it look like a secret's: API
// keys, tokens, passwords, credentials.
var expSecretWords = []string{"KEY", "APIKEY", "AUTHKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "AUTH", "CREDENTIAL", "CREDENTIALS"}

// expSecretLike reports whether a variable's name looks like it holds a secret: one of its
// words (split at anything but a letter or digit, in any case) is one of expSecretWords or
// ends in TOKEN, SECRET or PASSWORD (ACCESSTOKEN, DBPASSWORD).
func expSecretLike(name string) bool {
	words := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	return slices.ContainsFunc(words, func(w string) bool {
		return slices.Contains(expSecretWords, w) ||
			strings.HasSuffix(w, "TOKEN") || strings.HasSuffix(w, "SECRET") || strings.HasSuffix(w, "PASSWORD")
	})
}

// expSecretVariables writes "variable A looks like a secret" or "variables A and B look like
// secrets", and "its value" or "their values".
func expSecretVariables(names []string) (phrase, values string) {
	if len(names) == 1 {
		return "variable " + names[0] + " looks like a secret", "its value"
	}
	return "variables " + andList(names) + " look like secrets", "their values"
}

// EncodeYAML writes a stack as a recipe in the pods: form (what `sidecar config -o yaml`
// prints). Every "$" in a value is written as "$$", so loading the output again gives the
// same stack instead of substituting variables a second time.
func EncodeYAML(s *Stack) ([]byte, error) { return encodeEscaped(s) }

// encodeEscaped writes v as YAML with every "$" of a value written "$$".
func encodeEscaped(v any) ([]byte, error) {
	n, err := toNode(v)
	if err != nil {
		return nil, err
	}
	escapeDollars(n)
	return encodeText(n)
}

// encodeText writes v as YAML indented by 2, as sidecar writes every file.
func encodeText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := cmp.Or(enc.Encode(v), enc.Close()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func escapeDollars(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeDollars(n.Content[i])
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			escapeDollars(c)
		}
	case yaml.ScalarNode:
		n.Value = strings.ReplaceAll(n.Value, "$", "$$")
	}
}

// toNode encodes v as a node tree. It goes through text written with an indent of 2, as
// the files are: yaml.Node.Encode writes with 4, where go.yaml.in/yaml/v3 places a block
// scalar that starts with a blank line wrongly, deep in a list, and cannot read it back.
func toNode(v any) (*yaml.Node, error) {
	b, err := encodeText(v)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	return &n, nil
}
