package recipes

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-shellwords"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// decoder reads nodes in sidecar.yaml's syntax into the model: a recipe, and the x-sidecar
// fields of a compose file, which use the same syntax. It never stops at a problem: each one
// is recorded with its position and decoding goes on with the next field, so that a file's
// problems are all reported at once.
type decoder struct {
	report
	pos *Positions
	// bad holds the position keys of fields that could not be decoded; validation stays
	// quiet about them so that one mistake is reported once.
	bad map[string]bool
	// lookup finds variables for env entries written without a value ("- NAME").
	lookup func(string) (string, bool)
	// poisoned holds the scalars whose interpolation failed.
	poisoned map[*yaml.Node]bool
	// ports counts the published ports expanded from ranges, to bound them.
	portCount int
	// fileOf names the file of the nodes that are not of report.file (x-sidecar of a
	// compose file merged from several).
	fileOf map[*yaml.Node]string
}

func newDecoder(file string, pos *Positions, lookup func(string) (string, bool), poisoned map[*yaml.Node]bool) *decoder {
	return &decoder{report: report{file: file}, pos: pos, bad: map[string]bool{}, lookup: lookup, poisoned: poisoned}
}

func (d *decoder) at(n *yaml.Node) Position {
	return Position{File: cmp.Or(d.fileOf[n], d.file), Line: n.Line, Col: n.Column}
}

func (d *decoder) issueAt(n *yaml.Node, is yamlpos.Issue) {
	d.problems = append(d.problems, issueProblem(cmp.Or(d.fileOf[n], d.file), is))
}

func (d *decoder) problem(n *yaml.Node, hint, format string, args ...any) {
	d.issueAt(n, yamlpos.At(n, hint, format, args...))
}

// fail records a problem at n and marks key as not decoded.
func (d *decoder) fail(key string, n *yaml.Node, hint, format string, args ...any) {
	d.problem(n, hint, format, args...)
	d.bad[key] = true
}

// expect records that n, the value of key, is not of the kind want.
func (d *decoder) expect(key string, n *yaml.Node, what, want, hint string) {
	d.issueAt(n, yamlpos.Expect(n, what, want, hint))
	d.bad[key] = true
}

// record remembers where the value of key was written. A value whose variables could not be
// substituted has been reported already: its field is marked as not decoded.
func (d *decoder) record(key string, n *yaml.Node) {
	d.pos.Set(key, d.at(n))
	if d.poisoned[n] {
		d.bad[key] = true
	}
}

// field is one key of a mapping in sidecar.yaml's syntax, and how its value is read into a
// T. A mapping's fields are a table of these: adding a field to the syntax is adding an
// entry.
type field[T any] struct {
	name string
	read func(d *decoder, key string, v *yaml.Node, into T)
}

func fieldNames[T any](table []field[T]) []string {
	out := make([]string, len(table))
	for i, f := range table {
		out[i] = f.name
	}
	return out
}

// fields decodes mapping n (the value of key, named what in messages) through table: each
// key goes to its entry, in file order, with its position recorded under key/NAME; an
// unknown key is a problem with a did-you-mean; keys that start with "x-" are extensions
// and are ignored, and those in skip are read by the caller. ok is false when n is not a
// mapping.
func fields[T any](d *decoder, key string, n *yaml.Node, what, example string, table []field[T], into T, skip ...string) bool {
	if yamlpos.IsNull(n) {
		return true
	}
	if n.Kind != yaml.MappingNode {
		hint := ""
		if example != "" {
			hint = "write it as " + example
		}
		d.expect(key, n, what, "a mapping", hint)
		return false
	}
	known := fieldNames(table)
	for _, p := range yamlpos.Pairs(n) {
		k := p.Key
		switch i := slices.Index(known, k.Value); {
		case k.Kind != yaml.ScalarNode || yamlpos.IsNull(k):
			d.fail(key, k, "write a plain name before the colon", "a key in %s must be a name, found %s", what, yamlpos.Describe(k))
		case strings.HasPrefix(k.Value, "x-") || slices.Contains(skip, k.Value):
		case i < 0:
			d.unknownKey(key, k, what, append(known, skip...))
		default:
			fk := Field(key, k.Value)
			d.record(fk, p.Value)
			table[i].read(d, fk, p.Value, into)
		}
	}
	return true
}

func (d *decoder) unknownKey(key string, k *yaml.Node, what string, known []string) {
	s := didYouMean(k.Value, known)
	if s != "" {
		// Most likely the value belongs to that field: do not also report it as missing.
		d.bad[Field(key, s)] = true
	}
	d.issueAt(k, yamlpos.UnknownKey(k, what, s, "valid keys are "+strings.Join(known, ", "), ""))
}

// str reads a scalar as text. Numbers and booleans are taken as written. An empty value gives
// ok=false without a problem.
func (d *decoder) str(key string, n *yaml.Node, what string) (string, bool) {
	if yamlpos.IsNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.expect(key, n, what, "a string", "")
		return "", false
	}
	return n.Value, true
}

// integer reads a whole number written in decimal.
func (d *decoder) integer(key string, n *yaml.Node, what string) (int, bool) {
	v, ok := d.number(key, n, what, math.MaxInt32)
	return int(v), ok
}

// int64 reads a whole number written in decimal, of any size.
func (d *decoder) int64(key string, n *yaml.Node, what string) int64 {
	v, _ := d.number(key, n, what, math.MaxInt64)
	return v
}

func (d *decoder) number(key string, n *yaml.Node, what string, limit int64) (int64, bool) {
	if yamlpos.IsNull(n) {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode {
		d.expect(key, n, what, "a number", "write a whole number like 8080")
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64)
	if err != nil || v > limit || v < -limit-1 {
		d.fail(key, n, "write a whole number like 8080", "%s must be a whole number, found %q", what, yamlpos.Clip(n.Value))
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(key string, n *yaml.Node, what string) (bool, bool) {
	if yamlpos.IsNull(n) {
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
	d.fail(key, n, "write true or false", "%s must be true or false, found %s", what, yamlpos.Describe(n))
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
		d.fail(key, n, "write a positive duration, like 1s", "%s must not be negative, found %q", what, yamlpos.Clip(s))
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
	if yamlpos.IsNull(n) {
		return nil, false
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			s, good := d.str(key, e, "each word of "+what)
			if !good && yamlpos.IsNull(e) {
				d.fail(key, e, "remove the empty entry or quote it: \"\"", "%s has an empty entry", what)
			}
			ok = ok && good
			out = append(out, s)
		}
		return out, ok
	case yaml.ScalarNode:
		w, err := shellwords.Parse(n.Value)
		if err != nil {
			d.fail(key, n, "close the quote, or write the command as a list: [\"/app\", \"--flag\"]", "%s %q cannot be split into words: %v", what, yamlpos.Clip(n.Value), err)
			return nil, false
		}
		if w == nil {
			w = []string{}
		}
		return w, true
	}
	d.expect(key, n, what, "a list of strings or a string", "write a list like [\"/app\", \"--flag\"] or a string")
	return nil, false
}

// strList reads a list of strings (or a single string, a list of one), recording each
// entry's position under key[I].
func (d *decoder) strList(key string, n *yaml.Node, what string) []string {
	if yamlpos.IsNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		d.record(Field(key, 0), n)
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.expect(key, n, what, "a list", "write a list, e.g. [a, b]")
		return nil
	}
	var out []string
	for _, e := range n.Content {
		if e.Kind != yaml.ScalarNode || yamlpos.IsNull(e) {
			d.fail(key, e, "write each entry as a plain string", "each entry of %s must be a string, found %s", what, yamlpos.Describe(e))
			continue
		}
		d.record(Field(key, len(out)), e)
		out = append(out, e.Value)
	}
	return out
}

// stringMap reads a mapping of names to strings, or a list of NAME=value entries when list is
// set, recording each entry's position under key/NAME. Entries without a value ("NAME" in a
// list, "NAME:" in a mapping) are passed to missing.
func (d *decoder) stringMap(key string, n *yaml.Node, what string, list bool, missing func(name string, at *yaml.Node) (string, bool)) map[string]string {
	out := map[string]string{}
	if yamlpos.IsNull(n) {
		return nil
	}
	first := map[string]int{}
	set := func(name, value string, at *yaml.Node, hasValue bool) {
		if line, dup := first[name]; dup {
			d.fail(key, at, fmt.Sprintf("remove one of them (the first is on line %d)", line), "%s sets %q twice", what, name)
			return
		}
		first[name] = at.Line
		d.record(Field(key, name), at)
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
		for _, p := range yamlpos.Pairs(n) {
			switch {
			case yamlpos.IsNull(p.Value):
				set(p.Key.Value, "", p.Key, false)
			case p.Value.Kind != yaml.ScalarNode:
				d.fail(key, p.Value, "quote the value to make it a string", "%s: the value of %q must be a string, found %s", what, yamlpos.Clip(p.Key.Value), yamlpos.Describe(p.Value))
			default:
				set(p.Key.Value, p.Value.Value, p.Value, true)
			}
		}
	case n.Kind == yaml.SequenceNode && list:
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode || yamlpos.IsNull(e) {
				d.fail(key, e, "write each entry as NAME=value", "each entry of %s must be a NAME=value string, found %s", what, yamlpos.Describe(e))
				continue
			}
			name, value, has := strings.Cut(e.Value, "=")
			set(name, value, e, has)
		}
	default:
		example := "a mapping, e.g. {NAME: value}"
		if list {
			example += ", or a list of NAME=value"
		}
		d.expect(key, n, what, "a mapping", "write it as "+example)
		return nil
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
