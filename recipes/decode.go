package recipes

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-shellwords"
	"go.yaml.in/yaml/v3"
)

// decoder reads a node tree into the model. It never stops at a problem: each one is recorded
// with its position and decoding goes on with the next field, so that a file's problems are
// all reported at once.
type decoder struct {
	file  string
	pos   *Positions
	probs Problems
	warns []Warning
	// bad holds the position keys of fields that could not be decoded; validation stays
	// quiet about them so that one mistake is reported once.
	bad map[string]bool
	// lookup finds variables for env entries written without a value ("- NAME").
	lookup func(string) (string, bool)
	// poisoned holds the scalars whose interpolation failed.
	poisoned map[*yaml.Node]bool
	// ports counts the published ports expanded from ranges, to bound them.
	portCount int
}

func newDecoder(file string, pos *Positions, lookup func(string) (string, bool), poisoned map[*yaml.Node]bool) *decoder {
	return &decoder{file: file, pos: pos, bad: map[string]bool{}, lookup: lookup, poisoned: poisoned}
}

func (d *decoder) at(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Col: n.Column}
}

// problem records a problem at n.
func (d *decoder) problem(n *yaml.Node, hint, format string, args ...any) {
	d.probs = append(d.probs, Problem{Pos: d.at(n), Message: fmt.Sprintf(format, args...), Hint: hint})
}

// fail records a problem at n and marks key as not decoded.
func (d *decoder) fail(key string, n *yaml.Node, hint, format string, args ...any) {
	d.problem(n, hint, format, args...)
	d.bad[key] = true
}

func (d *decoder) warn(n *yaml.Node, field, format string, args ...any) {
	d.warns = append(d.warns, Warning{Pos: d.at(n), Field: field, Message: fmt.Sprintf(format, args...)})
}

// record remembers where the value of key was written. A value whose variables could not be
// substituted has been reported already: its field is marked as not decoded.
func (d *decoder) record(key string, n *yaml.Node) {
	d.pos.Set(key, d.at(n))
	if d.poisoned[n] {
		d.bad[key] = true
	}
}

// pair is one key and its value in a mapping.
type pair struct {
	k, v *yaml.Node
}

// mapping returns the pairs of a mapping node. A value of another kind is reported (what is
// the field's name for the message, example shows what to write) and yields ok=false. An
// empty value yields no pairs and ok=true. Keys that are not strings and keys set twice are
// reported and left out.
func (d *decoder) mapping(key string, n *yaml.Node, what, example string) ([]pair, bool) {
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		hint := ""
		if example != "" {
			hint = "write it as " + example
		}
		d.fail(key, n, hint, "%s must be a mapping, found %s", what, describe(n))
		return nil, false
	}
	var out []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.fail(key, k, "write a plain name before the colon", "a key in %s must be a name, found %s", what, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(key, k, fmt.Sprintf("remove one of them (the first is on line %d)", first.Line), "%q is set twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	return out, true
}

// fieldFunc decodes the value of one known key.
type fieldFunc func(k, v *yaml.Node)

// fields decodes a mapping whose keys are fixed: each key listed in known goes to the function
// fn returns for it, in file order; an unknown key is a problem with a did-you-mean when a known key is close. Keys that
// start with "x-" are extensions and are ignored.
func (d *decoder) fields(key string, n *yaml.Node, what, example string, known []string, fn func(name string) fieldFunc) bool {
	pairs, ok := d.mapping(key, n, what, example)
	if !ok {
		return false
	}
	for _, p := range pairs {
		if strings.HasPrefix(p.k.Value, "x-") {
			continue
		}
		if !slices.Contains(known, p.k.Value) {
			d.unknownKey(key, p.k, what, known)
			continue
		}
		fn(p.k.Value)(p.k, p.v)
	}
	return true
}

func (d *decoder) unknownKey(key string, k *yaml.Node, what string, known []string) {
	hint := "valid keys are " + strings.Join(known, ", ")
	if s := didYouMean(k.Value, known); s != "" {
		hint = fmt.Sprintf("did you mean %q? (%s)", s, hint)
		// Most likely the value belongs to that field: do not also report it as missing.
		d.bad[Field(key, s)] = true
	}
	d.problem(k, hint, "unknown key %q in %s", clip(k.Value), what)
}

// str reads a scalar as text. Numbers and booleans are taken as written. An empty value gives
// ok=false without a problem.
func (d *decoder) str(key string, n *yaml.Node, what string) (string, bool) {
	if isNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(key, n, "", "%s must be a string, found %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

// integer reads a whole number written in decimal.
func (d *decoder) integer(key string, n *yaml.Node, what string) (int, bool) {
	if isNull(n) {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(key, n, "write a whole number like 8080", "%s must be a number, found %s", what, describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64)
	if err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		d.fail(key, n, "write a whole number like 8080", "%s must be a whole number, found %q", what, clip(n.Value))
		return 0, false
	}
	return int(v), true
}

// boolean reads true or false.
func (d *decoder) boolean(key string, n *yaml.Node, what string) (bool, bool) {
	if isNull(n) {
		return false, false
	}
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	d.fail(key, n, "write true or false", "%s must be true or false, found %s", what, describe(n))
	return false, false
}

// duration reads a Go duration ("10s", "1m30s"). positive requires it to be above zero.
func (d *decoder) duration(key string, n *yaml.Node, what string, positive bool) (Duration, bool) {
	s, ok := d.str(key, n, what)
	if !ok {
		return 0, false
	}
	var v Duration
	if strings.HasPrefix(strings.TrimSpace(s), "-") {
		d.fail(key, n, "write a positive duration, like 1s", "%s must not be negative, found %q", what, clip(s))
		return 0, false
	}
	if err := v.UnmarshalText([]byte(s)); err != nil {
		msg, hint, _ := strings.Cut(err.Error(), ": ")
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(s), 64); nerr == nil {
			hint = fmt.Sprintf("add a unit, e.g. %ss for seconds or %sms for milliseconds", strings.TrimSpace(s), strings.TrimSpace(s))
		}
		d.fail(key, n, hint, "%s: %s", what, msg)
		return 0, false
	}
	if positive && v <= 0 {
		d.fail(key, n, "write a duration above zero, like 1s", "%s must be longer than zero, found %q", what, s)
		return 0, false
	}
	return v, true
}

// enum reads a typed enum through its UnmarshalText, adding a did-you-mean to the error.
func (d *decoder) enum(key string, n *yaml.Node, what string, into interface{ UnmarshalText([]byte) error }) bool {
	s, ok := d.str(key, n, what)
	if !ok {
		return false
	}
	if err := into.UnmarshalText([]byte(s)); err != nil {
		msg, hint, _ := strings.Cut(err.Error(), ": ")
		if e, ok := err.(*EnumError); ok {
			if sg := didYouMean(s, e.Valid); sg != "" {
				hint = fmt.Sprintf("did you mean %q? (%s)", sg, hint)
			}
		}
		d.fail(key, n, hint, "%s", msg)
		return false
	}
	return true
}

// words reads a command: a list of strings, or one string split like a shell would (quotes
// group, no variables or globbing).
func (d *decoder) words(key string, n *yaml.Node, what string) ([]string, bool) {
	if isNull(n) {
		return nil, false
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			s, good := d.str(key, e, "each word of "+what)
			if !good && isNull(e) {
				d.fail(key, e, "remove the empty entry or quote it: \"\"", "%s has an empty entry", what)
			}
			ok = ok && good
			out = append(out, s)
		}
		return out, ok
	case yaml.ScalarNode:
		w, err := shellwords.Parse(n.Value)
		if err != nil {
			d.fail(key, n, "close the quote, or write the command as a list: [\"/app\", \"--flag\"]", "%s %q cannot be split into words: %v", what, clip(n.Value), err)
			return nil, false
		}
		if w == nil {
			w = []string{}
		}
		return w, true
	}
	d.fail(key, n, "write a list like [\"/app\", \"--flag\"] or a string", "%s must be a list of strings or a string, found %s", what, describe(n))
	return nil, false
}

// strList reads a list of strings; a single string is taken as a list of one when single is set.
func (d *decoder) strList(key string, n *yaml.Node, what string, single bool) ([]*yaml.Node, bool) {
	if isNull(n) {
		return nil, true
	}
	if n.Kind == yaml.ScalarNode && single {
		return []*yaml.Node{n}, true
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(key, n, "write a list, e.g. [a, b]", "%s must be a list, found %s", what, describe(n))
		return nil, false
	}
	var out []*yaml.Node
	ok := true
	for _, e := range n.Content {
		if e.Kind != yaml.ScalarNode || isNull(e) {
			d.fail(key, e, "write each entry as a plain string", "each entry of %s must be a string, found %s", what, describe(e))
			ok = false
			continue
		}
		out = append(out, e)
	}
	return out, ok
}

// stringMap reads a mapping of names to strings, or a list of NAME=value entries when list is
// set. Entries without a value ("NAME" in a list, "NAME:" in a mapping) are passed to missing.
func (d *decoder) stringMap(key string, n *yaml.Node, what string, list bool, missing func(name string, at *yaml.Node) (string, bool)) (map[string]string, map[string]*yaml.Node, bool) {
	out := map[string]string{}
	where := map[string]*yaml.Node{}
	if isNull(n) {
		return out, where, true
	}
	set := func(name, value string, at *yaml.Node, hasValue bool) {
		if prev, dup := where[name]; dup {
			d.fail(key, at, fmt.Sprintf("remove one of them (the first is on line %d)", prev.Line), "%s sets %q twice", what, name)
			return
		}
		where[name] = at
		if !hasValue {
			if v, ok := missing(name, at); ok {
				out[name] = v
			}
			return
		}
		out[name] = value
	}
	switch {
	case n.Kind == yaml.MappingNode:
		pairs, _ := d.mapping(key, n, what, "")
		for _, p := range pairs {
			if isNull(p.v) {
				set(p.k.Value, "", p.k, false)
				continue
			}
			if p.v.Kind != yaml.ScalarNode {
				d.fail(key, p.v, "quote the value to make it a string", "%s: the value of %q must be a string, found %s", what, clip(p.k.Value), describe(p.v))
				continue
			}
			set(p.k.Value, p.v.Value, p.v, true)
		}
		return out, where, true
	case n.Kind == yaml.SequenceNode && list:
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode || isNull(e) {
				d.fail(key, e, "write each entry as NAME=value", "each entry of %s must be a NAME=value string, found %s", what, describe(e))
				continue
			}
			name, value, has := strings.Cut(e.Value, "=")
			set(name, value, e, has)
		}
		return out, where, true
	}
	example := "a mapping, e.g. {NAME: value}"
	if list {
		example += ", or a list of NAME=value"
	}
	d.fail(key, n, "write it as "+example, "%s must be a mapping, found %s", what, describe(n))
	return out, where, false
}
