package recipes

// A shape check of YAML nodes against a Go type, shared by the importers: it finds unknown
// fields and values of the wrong kind and places each at its line:col, before the nodes are
// decoded for real by a library that would only say "something is wrong somewhere".

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsyaml "sigs.k8s.io/yaml"
)

// impShape checks nodes against a Go type whose fields are named by tag ("json" for the
// Kubernetes API types, "yaml" for our own x-sidecar fields).
type impShape struct {
	file     string
	tag      string
	problems Problems
	// rejected lists every node a problem was found at, so that the importer can leave it
	// out of what it decodes and still read (and check) the rest of the document.
	rejected []impRejected
}

// impRejected is a node the shape check rejected: a value, or the key of an unknown field.
type impRejected struct {
	node *yaml.Node
	key  bool
	path string // the field path, as in the problem's message
	// meant is, for an unknown field, the path of the field it is likely a typo of, or "".
	meant string
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
		s.checkJSON(n, t, path) // quantities, int-or-string, times: decoded as the API decodes them
		return
	}
	if s.tag == "yaml" && pt.Implements(impTextUnmarshaler) {
		if !s.want(n, yaml.ScalarNode, path, "a value") {
			return
		}
		v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := v.UnmarshalText([]byte(n.Value)); err != nil {
			s.add(n, path, fmt.Sprintf("%s: %v", path, err), "")
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
				hint, meant := "remove it", ""
				if sug := suggest.Closest(p.Key.Value, names); sug != "" {
					hint, meant = suggest.DidYouMean(p.Key.Value, names), impJoin(path, sug)
				}
				s.problems = append(s.problems, Problem{Pos: impPos(s.file, p.Key),
					Message: fmt.Sprintf("unknown field %q in %s", p.Key.Value, impOr(path, "the document")), Hint: hint})
				s.rejected = append(s.rejected, impRejected{node: p.Key, key: true, path: impJoin(path, p.Key.Value), meant: meant})
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
				s.add(item, ip, fmt.Sprintf("%s must be a string, not %s", ip, what), fmt.Sprintf("quote it: %q", item.Value))
				continue
			}
			s.check(item, t.Elem(), ip)
		}
	case reflect.String:
		s.want(n, yaml.ScalarNode, path, "a string")
	case reflect.Bool:
		if s.want(n, yaml.ScalarNode, path, "true or false") && !(n.ShortTag() == "!!bool" || (s.tag == "json" && impIsBool(n))) {
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
			s.add(n, path, fmt.Sprintf("%s must be a whole number, not %s", path, impDescribe(n)), hint)
			return
		}
		s.intRange(n, t, path)
	case reflect.Float32, reflect.Float64:
		if s.want(n, yaml.ScalarNode, path, "a number") && n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			s.add(n, path, fmt.Sprintf("%s must be a number, not %s", path, impDescribe(n)), "")
		}
	}
}

// intRange checks that an integer fits the field's type: a number that does not would
// otherwise wrap around or fail the decoding of the whole document.
func (s *impShape) intRange(n *yaml.Node, t reflect.Type, path string) {
	v := strings.ReplaceAll(n.Value, "_", "")
	var lo, hi string
	var err error
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if strings.HasPrefix(v, "-") {
			s.add(n, path, fmt.Sprintf("%s must not be negative, found %s", path, clip(n.Value)), "write a whole number from 0 up")
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
	s.add(n, path, fmt.Sprintf("%s is %s, out of range: it must be %s", path, clip(n.Value), bound), hint)
}

// checkJSON checks a value of a type with its own JSON decoding by decoding it the way the
// API decoder will, so that a bad quantity or port is placed at its line and column.
func (s *impShape) checkJSON(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		if impCount(n, 64) > 64 {
			return // large structures are left to the decoder
		}
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return
	}
	j, err := sigsyaml.YAMLToJSON(b)
	if err != nil {
		return
	}
	v, ok := reflect.New(t).Interface().(json.Unmarshaler)
	if !ok {
		return
	}
	err = v.UnmarshalJSON(j)
	if err == nil {
		return
	}
	switch t {
	case reflect.TypeFor[resource.Quantity]():
		s.add(n, path, fmt.Sprintf("%s: %s is not a quantity", path, impDescribe(n)),
			"write a number with an optional suffix, like 500m or 2 for CPU, 128Mi or 1Gi for memory")
	case reflect.TypeFor[intstr.IntOrString]():
		hint := "write a whole number, or a string"
		if strings.HasSuffix(strings.ToLower(path), "port") {
			hint = "write a port number from 1 to 65535, or the name of one of the container's ports"
		}
		s.add(n, path, fmt.Sprintf("%s: %s is neither a whole number nor a name", path, impDescribe(n)), hint)
	default:
		s.add(n, path, fmt.Sprintf("%s: %s is not valid: %v", path, impDescribe(n), err), "check the value against the Kubernetes API reference")
	}
}

// impCount counts the nodes below n, stopping once it passes limit.
func impCount(n *yaml.Node, limit int) int {
	count := 1
	for _, c := range n.Content {
		if count > limit {
			break
		}
		count += impCount(c, limit-count)
	}
	return count
}

// want reports whether n is of kind k, and records a problem when it is not.
func (s *impShape) want(n *yaml.Node, k yaml.Kind, path, what string) bool {
	if n.Kind == k {
		return true
	}
	s.add(n, path, fmt.Sprintf("%s must be %s, not %s", impOr(path, "the document"), what, impKindName(n)), impShapeHints[what])
	return false
}

// impShapeHints says how to write a value of each kind want asks for.
var impShapeHints = map[string]string{
	"a mapping":      "write its fields as key: value lines indented below it, or as {key: value}",
	"a list":         "write one \"- item\" line per entry below it, or [item, item]",
	"a string":       "write text, quoted if it looks like a number or a boolean",
	"a value":        "write a single value, not a list or a mapping",
	"true or false":  "write true or false",
	"a whole number": "write a number without quotes, like 8080",
	"a number":       "write a number without quotes, like 0.5",
}

// add records a problem with value n, found at path.
func (s *impShape) add(n *yaml.Node, path, msg, hint string) {
	s.problems = append(s.problems, Problem{Pos: impPos(s.file, n), Message: msg, Hint: hint})
	s.rejected = append(s.rejected, impRejected{node: n, path: path})
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
