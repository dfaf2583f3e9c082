package yamlpos

// A shape check of nodes against a Go type whose fields JSON tags name (the Kubernetes
// API types): it finds unknown fields and values of the wrong kind and places each at its
// line:col, before the nodes are decoded for real by a library that would only say
// "something is wrong somewhere".

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"
	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Shape checks nodes against a Go type whose fields are named by tag ("json" for the
// Kubernetes API types, "yaml" for our own x-sidecar fields).
type Shape struct {
	// Explain words the problem of a value that a type with its own JSON decoding
	// (Unmarshaler) rejects: a quantity, an int-or-string. Nil, or "" from it: a generic
	// message.
	Explain func(t reflect.Type, path string, n *yaml.Node) (msg, hint string)
	// Issues are the problems found; Rejected the nodes they are at, so that the caller can
	// leave them out of what it decodes and still read (and check) the rest.
	Issues   []Issue
	Rejected []Rejected
}

// Rejected is a node the shape check rejected: a value, or the key of an unknown field.
type Rejected struct {
	Node *yaml.Node
	Path string // the field path, as in the problem's message
	// Meant is, for an unknown field, the path of the field it is likely a typo of, or "".
	Meant string
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// structFields are the types of the fields of struct type t by their JSON names, with
// inlined structs flattened.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") || (f.Anonymous && name == "") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				maps.Copy(out, structFields(ft))
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		out[cmp.Or(name, f.Name)] = f.Type
	}
	return out
}

// Check checks node n, found at path, against type t.
func (s *Shape) Check(n *yaml.Node, t reflect.Type, path string) {
	if IsNull(n) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		s.checkJSON(n, t, path) // quantities, int-or-string, times: decoded as the API decodes them
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if !s.want(n, yaml.MappingNode, path, "a mapping") {
			return
		}
		byName := structFields(t)
		for _, p := range Pairs(n) {
			ft, ok := byName[p.Key.Value]
			if !ok {
				meant := ""
				sug := suggest.Closest(p.Key.Value, slices.Sorted(maps.Keys(byName)))
				if sug != "" {
					meant = Join(path, sug)
				}
				s.Issues = append(s.Issues, UnknownKey(p.Key, cmp.Or(path, "the document"), sug, "", "remove it"))
				s.Rejected = append(s.Rejected, Rejected{Node: p.Key, Path: Join(path, p.Key.Value), Meant: meant})
				continue
			}
			s.Check(p.Value, ft, Join(path, p.Key.Value))
		}
	case reflect.Map:
		if !s.want(n, yaml.MappingNode, path, "a mapping") {
			return
		}
		for _, p := range Pairs(n) {
			s.Check(p.Value, t.Elem(), Join(path, p.Key.Value))
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 { // bytes: base64 text, as encoding/json reads them
			if s.want(n, yaml.ScalarNode, path, "a string") && s.text(n, path) {
				if _, err := base64.StdEncoding.DecodeString(n.Value); err != nil {
					s.add(n, path, fmt.Sprintf("%s: %s is not base64", path, Quoted(n)),
						"write it base64-encoded (printf %s VALUE | base64 -w0), or in a Secret as it is under stringData")
				}
			}
			return
		}
		if !s.want(n, yaml.SequenceNode, path, "a list") {
			return
		}
		for i, item := range n.Content {
			s.Check(item, t.Elem(), path+"["+strconv.Itoa(i)+"]")
		}
	case reflect.String:
		if s.want(n, yaml.ScalarNode, path, "a string") {
			s.text(n, path)
		}
	case reflect.Bool:
		if s.want(n, yaml.ScalarNode, path, "true or false") && !(n.ShortTag() == "!!bool" || isBool(n)) {
			s.add(n, path, fmt.Sprintf("%s must be true or false, not %q", path, n.Value), "")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !s.want(n, yaml.ScalarNode, path, "a whole number") {
			return
		}
		if n.ShortTag() != "!!int" {
			hint := "write it without quotes, like 8080"
			if strings.HasSuffix(path, "Seconds") {
				hint = "write the number of seconds without quotes, like 30"
			}
			s.add(n, path, fmt.Sprintf("%s must be a whole number, not %s", path, Quoted(n)), hint)
			return
		}
		s.intRange(n, t, path)
	case reflect.Float32, reflect.Float64:
		if s.want(n, yaml.ScalarNode, path, "a number") && n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			s.add(n, path, fmt.Sprintf("%s must be a number, not %s", path, Quoted(n)), "")
		}
	}
}

// intRange checks that an integer fits the field's type: a number that does not would
// otherwise wrap around or fail the decoding of the whole document.
func (s *Shape) intRange(n *yaml.Node, t reflect.Type, path string) {
	v := strings.ReplaceAll(n.Value, "_", "")
	var lo, hi string
	var err error
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if strings.HasPrefix(v, "-") {
			s.add(n, path, fmt.Sprintf("%s must not be negative, found %s", path, Clip(n.Value)), "write a whole number from 0 up")
			return
		}
		_, err = strconv.ParseUint(strings.TrimPrefix(v, "+"), 0, t.Bits())
		lo, hi = "0", strconv.FormatUint(1<<t.Bits()-1, 10)
	default:
		_, err = strconv.ParseInt(v, 0, t.Bits())
		lo, hi = strconv.FormatInt(-1<<(t.Bits()-1), 10), strconv.FormatInt(1<<(t.Bits()-1)-1, 10)
	}
	if !errors.Is(err, strconv.ErrRange) {
		return // in range, or a form the decoder judges
	}
	bound := "at most " + hi
	if strings.HasPrefix(v, "-") {
		bound = "at least " + lo
	}
	hint := "write a whole number from " + lo + " to " + hi
	if strings.HasSuffix(path, "Seconds") {
		hint = "write the number of seconds, e.g. 30"
	}
	s.add(n, path, fmt.Sprintf("%s is %s, out of range: it must be %s", path, Clip(n.Value), bound), hint)
}

// checkJSON checks a value of a type with its own JSON decoding by decoding it the way the
// API decoder will, so that a bad quantity or port is placed at its line and column.
func (s *Shape) checkJSON(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode && countNodes(n, 64) > 64 {
		return // large structures are left to the decoder
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return
	}
	j, err := sigsyaml.YAMLToJSON(b)
	if err != nil {
		return
	}
	err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(j) // Check made sure it is one
	if err == nil {
		return
	}
	if s.Explain != nil {
		if msg, hint := s.Explain(t, path, n); msg != "" {
			s.add(n, path, msg, hint)
			return
		}
	}
	s.add(n, path, fmt.Sprintf("%s: %s is not valid: %v", path, Quoted(n), err), "check the value against the API reference")
}

func (s *Shape) want(n *yaml.Node, k yaml.Kind, path, what string) bool {
	if n.Kind == k {
		return true
	}
	s.add(n, path, fmt.Sprintf("%s must be %s, not %s", cmp.Or(path, "the document"), what, KindName(n)), KindHints[what])
	return false
}

// text reports whether scalar n, where the API wants a string, is one; a number or a
// boolean (true, or yes, on, y… as YAML 1.1 has them) is rejected, as kubectl sends it as
// JSON's number or boolean and the API server refuses it (sigs.k8s.io/yaml would make it a
// string silently, or, below an inlined struct such as a probe's handler, fail the whole
// object on it without saying where). A date stays text.
func (s *Shape) text(n *yaml.Node, path string) bool {
	if !slices.Contains([]string{"!!int", "!!float", "!!bool"}, n.ShortTag()) && !isBool(n) {
		return true
	}
	what := KindName(n)
	if isBool(n) {
		what = "a boolean"
	}
	s.add(n, path, fmt.Sprintf("%s must be a string, not %s", path, what), fmt.Sprintf("quote it: %q", n.Value))
	return false
}

func (s *Shape) add(n *yaml.Node, path, msg, hint string) {
	s.Issues = append(s.Issues, At(n, hint, "%s", msg))
	s.Rejected = append(s.Rejected, Rejected{Node: n, Path: path})
}

// isBool reports whether a scalar reads as a boolean, in YAML 1.2 or (as sigs.k8s.io/yaml
// reads it) YAML 1.1.
func isBool(n *yaml.Node) bool {
	if n.ShortTag() == "!!bool" {
		return true
	}
	if n.Style != 0 && n.Style != yaml.FlowStyle {
		return false // quoted: a string
	}
	switch n.Value {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return false
}
