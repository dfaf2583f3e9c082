package recipes

// A shape check of YAML nodes against a Go type, shared by the importers: it finds unknown
// fields and values of the wrong kind and places each at its line:col, before the nodes are
// decoded for real by a library that would only say "something is wrong somewhere".

import (
	"encoding"
	"encoding/json"
	"fmt"
	"github.com/sidecar-dev/sidecar/internal/suggest"
	"reflect"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// impShape checks nodes against a Go type whose fields are named by tag ("json" for the
// Kubernetes API types, "yaml" for our own x-sidecar fields).
type impShape struct {
	file     string
	tag      string
	problems Problems
}

var (
	impJSONUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	impTextUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// impField is one field a struct accepts.
type impField struct {
	name string
	typ  reflect.Type
}

// impFields lists the fields of struct type t under tag, with inlined structs flattened.
func impFields(t reflect.Type, tag string) []impField {
	var out []impField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" && opts == "" {
			continue
		}
		inline := strings.Contains(","+opts+",", ",inline,") || (f.Anonymous && name == "")
		if inline {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, impFields(ft, tag)...)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
			if tag == "yaml" {
				name = strings.ToLower(name)
			}
		}
		out = append(out, impField{name, f.Type})
	}
	return out
}

// check checks node n, found at path, against type t.
func (s *impShape) check(n *yaml.Node, t reflect.Type, path string) {
	n = impDeref(n)
	if impIsNull(n) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	if s.tag == "json" && pt.Implements(impJSONUnmarshaler) {
		return // a type with its own decoding (quantities, int-or-string, times): the decoder judges it
	}
	if s.tag == "yaml" && pt.Implements(impTextUnmarshaler) {
		if !s.want(n, yaml.ScalarNode, path, "a value") {
			return
		}
		v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := v.UnmarshalText([]byte(n.Value)); err != nil {
			s.add(n, fmt.Sprintf("%s: %v", path, err), "")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if !s.want(n, yaml.MappingNode, path, "a mapping") {
			return
		}
		fields := impFields(t, s.tag)
		byName := make(map[string]reflect.Type, len(fields))
		names := make([]string, 0, len(fields))
		for _, f := range fields {
			byName[f.name] = f.typ
			names = append(names, f.name)
		}
		sort.Strings(names)
		for _, p := range impPairs(n) {
			ft, ok := byName[p.Key.Value]
			if !ok {
				hint := "remove it"
				if sug := suggest.DidYouMean(p.Key.Value, names); sug != "" {
					hint = sug
				}
				s.add(p.Key, fmt.Sprintf("unknown field %q in %s", p.Key.Value, impOr(path, "the document")), hint)
				continue
			}
			s.check(p.Value, ft, impJoin(path, p.Key.Value))
		}
	case reflect.Map:
		if !s.want(n, yaml.MappingNode, path, "a mapping") {
			return
		}
		for _, p := range impPairs(n) {
			s.check(p.Value, t.Elem(), impJoin(path, p.Key.Value))
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			s.want(n, yaml.ScalarNode, path, "a string")
			return
		}
		if !s.want(n, yaml.SequenceNode, path, "a list") {
			return
		}
		for i, item := range n.Content {
			ip := path + "[" + strconv.Itoa(i) + "]"
			// sigs.k8s.io/yaml turns numbers and booleans into strings for string fields,
			// but not for the items of a list of strings.
			if item := impDeref(item); s.tag == "json" && t.Elem().Kind() == reflect.String && item != nil &&
				item.Kind == yaml.ScalarNode && ((item.ShortTag() != "!!str" && item.ShortTag() != "!!null") || impIsBool(item)) {
				what := impKindName(item)
				if impIsBool(item) {
					what = "a boolean"
				}
				s.add(item, fmt.Sprintf("%s must be a string, not %s", ip, what), fmt.Sprintf("quote it: %q", item.Value))
				continue
			}
			s.check(item, t.Elem(), ip)
		}
	case reflect.String:
		s.want(n, yaml.ScalarNode, path, "a string")
	case reflect.Bool:
		if s.want(n, yaml.ScalarNode, path, "true or false") && !(n.ShortTag() == "!!bool" || (s.tag == "json" && impIsBool(n))) {
			s.add(n, fmt.Sprintf("%s must be true or false, not %q", path, n.Value), "")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if s.want(n, yaml.ScalarNode, path, "a whole number") && n.ShortTag() != "!!int" {
			s.add(n, fmt.Sprintf("%s must be a whole number, not %s", path, impDescribe(n)), "write it without quotes, like 8080")
		}
	case reflect.Float32, reflect.Float64:
		if s.want(n, yaml.ScalarNode, path, "a number") && n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			s.add(n, fmt.Sprintf("%s must be a number, not %s", path, impDescribe(n)), "")
		}
	}
}

// want reports whether n is of kind k, and records a problem when it is not.
func (s *impShape) want(n *yaml.Node, k yaml.Kind, path, what string) bool {
	if n.Kind == k {
		return true
	}
	s.add(n, fmt.Sprintf("%s must be %s, not %s", impOr(path, "the document"), what, impKindName(n)), "")
	return false
}

func (s *impShape) add(n *yaml.Node, msg, hint string) {
	s.problems = append(s.problems, Problem{Pos: impPos(s.file, n), Message: msg, Hint: hint})
}

// impIsBool reports whether a scalar reads as a boolean, in YAML 1.2 or (as sigs.k8s.io/yaml
// reads it) YAML 1.1.
func impIsBool(n *yaml.Node) bool {
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

func impDescribe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return impKindName(n)
}

func impJoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func impOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
