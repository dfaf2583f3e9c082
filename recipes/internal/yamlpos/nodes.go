package yamlpos

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Pair is one key and its value in a mapping.
type Pair struct {
	Key, Value *yaml.Node
}

// Pairs returns the pairs of a mapping node in order (merge keys are expanded already); a
// node that is not a mapping has none.
func Pairs(m *yaml.Node) []Pair {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]Pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, Pair{m.Content[i], m.Content[i+1]})
	}
	return out
}

// Lookup returns the key and value nodes of key in mapping m, or nils.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.Value == key {
			return c, m.Content[i+1]
		}
	}
	return nil, nil
}

// Value returns the value node of key in mapping m, or nil.
func Value(m *yaml.Node, key string) *yaml.Node {
	_, v := Lookup(m, key)
	return v
}

// Items returns the items of a sequence node, or nil.
func Items(s *yaml.Node) []*yaml.Node {
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	return s.Content
}

// Scalar returns a scalar node's value and whether n is a scalar.
func Scalar(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Walk follows a path of mapping keys and list indices (decimal strings) from n. It returns
// the value reached and whether the whole path was found (when not, the deepest node
// reached). A key with dots in it is found whole or part by part.
func Walk(n *yaml.Node, parts ...string) (*yaml.Node, bool) {
	_, v, ok := walk(n, parts)
	return v, ok
}

// Find returns the node a path names: the key node for a mapping key, the item for a list
// index (or the item of a list of names with that name), or nil.
func Find(n *yaml.Node, parts ...string) *yaml.Node {
	if k, v, ok := walk(n, parts); ok {
		return cmp.Or(k, v)
	}
	return nil
}

// Near returns the node a path names, or the nearest ancestor's that exists (nil when not
// even the first part does).
func Near(n *yaml.Node, parts ...string) *yaml.Node {
	for i := len(parts); i > 0; i-- {
		if f := Find(n, parts[:i]...); f != nil {
			return f
		}
	}
	return nil
}

// walk follows parts from n: the key the value reached is held by (nil for a list item),
// the value, and whether every part was found.
func walk(n *yaml.Node, parts []string) (key, cur *yaml.Node, ok bool) {
	cur = n
	for i := 0; i < len(parts); {
		if cur == nil {
			return nil, nil, false
		}
		switch cur.Kind {
		case yaml.MappingNode:
			found := false
			for j := len(parts); j > i; j-- { // "com.example.tier" may be one key
				if k, v := Lookup(cur, strings.Join(parts[i:j], ".")); k != nil {
					key, cur, i, found = k, v, j, true
					break
				}
			}
			if !found {
				return key, cur, false
			}
		case yaml.SequenceNode:
			if parts[i] == "[]" { // any item: the first that has the rest of the path
				for _, item := range cur.Content {
					if k, v, found := walk(item, parts[i+1:]); found {
						return k, v, true
					}
				}
				return key, cur, false
			}
			idx, err := strconv.Atoi(parts[i])
			if err != nil {
				// A list of names (depends_on, networks, profiles): the item with that name.
				for _, item := range cur.Content {
					if v, isScalar := Scalar(item); isScalar && v == parts[i] && i == len(parts)-1 {
						return nil, item, true
					}
				}
				return key, cur, false
			}
			if idx < 0 || idx >= len(cur.Content) {
				return key, cur, false
			}
			key, cur, i = nil, cur.Content[idx], i+1
		default:
			return key, cur, false
		}
	}
	return key, cur, true
}

// Join appends a key to a dotted field path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Path writes node path parts as messages name fields: services.web.ports[0].
func Path(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Clip shortens a value quoted in a message.
func Clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// KindName names what kind of value a node is: a mapping, a list, null, a boolean, an
// integer, a number or a string.
func KindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	if name, ok := kindNames[n.Kind]; ok {
		return name
	}
	return cmp.Or(tagNames[n.ShortTag()], "a string")
}

var (
	kindNames = map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list",
		yaml.AliasNode: "an unexpected value", yaml.DocumentNode: "an unexpected value"}
	tagNames = map[string]string{"!!null": "null", "!!bool": "a boolean", "!!int": "an integer", "!!float": "a number"}
)

// Describe names a node with its value, for "expected X, found Y" messages: a mapping, a
// list, an empty value, the number 8, true, the string "x".
func Describe(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return KindName(n)
	}
	switch n.ShortTag() {
	case "!!null":
		return "an empty value"
	case "!!int", "!!float":
		return "the number " + Clip(n.Value)
	case "!!bool":
		return n.Value
	}
	return fmt.Sprintf("the string %q", Clip(n.Value))
}

// Quoted is a scalar's value quoted, or the node's kind.
func Quoted(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.ScalarNode {
		return strconv.Quote(Clip(n.Value))
	}
	return KindName(n)
}

// Copy returns a copy of the tree below n, made by fn for each scalar value (it may return
// the scalar itself). Mapping keys are kept as they are, and so are the values of the keys
// keep reports (when it is set). Shared nodes stay shared.
func Copy(n *yaml.Node, fn func(*yaml.Node) *yaml.Node, keep func(key string) bool) *yaml.Node {
	return copyTree(n, func(n *yaml.Node, copyOf func(*yaml.Node) *yaml.Node) *yaml.Node {
		if n.Kind == yaml.ScalarNode {
			return fn(n)
		}
		c := *n
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = ch
			if n.Kind != yaml.MappingNode || i%2 == 1 && (keep == nil || !keep(n.Content[i-1].Value)) {
				c.Content[i] = copyOf(ch)
			}
		}
		return &c
	})
}

// Prune returns a copy of the tree below n without the nodes in drop: a dropped key or
// value takes its pair with it, a dropped list item is left out (or, with nullItems, becomes
// null, so that the indices of the items after it stay), and a node in empty becomes an
// empty mapping. Shared nodes stay shared.
func Prune(n *yaml.Node, drop, empty map[*yaml.Node]bool, nullItems bool) *yaml.Node {
	return copyTree(n, func(n *yaml.Node, copyOf func(*yaml.Node) *yaml.Node) *yaml.Node {
		switch {
		case empty[n]:
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: n.Line, Column: n.Column}
		case n.Kind == yaml.ScalarNode:
			return n
		}
		c := *n
		c.Content = nil
		if n.Kind == yaml.MappingNode {
			for _, p := range Pairs(n) {
				if !drop[p.Key] && !drop[p.Value] {
					c.Content = append(c.Content, copyOf(p.Key), copyOf(p.Value))
				}
			}
			return &c
		}
		for _, item := range n.Content {
			switch {
			case !drop[item]:
				c.Content = append(c.Content, copyOf(item))
			case nullItems:
				c.Content = append(c.Content, null(item))
			}
		}
		return &c
	})
}

// copyTree copies the tree below n with copyNode, once per node, so that shared nodes stay
// shared; copyNode makes the copies of a node's children with copyOf. (The tree is a DAG: an
// alias into its own anchor is left out by Parse.)
func copyTree(n *yaml.Node, copyNode func(n *yaml.Node, copyOf func(*yaml.Node) *yaml.Node) *yaml.Node) *yaml.Node {
	memo := map[*yaml.Node]*yaml.Node{}
	var copyMemo func(*yaml.Node) *yaml.Node
	copyMemo = func(n *yaml.Node) *yaml.Node {
		if c, done := memo[n]; done || n == nil {
			return c
		}
		memo[n] = copyNode(n, copyMemo)
		return memo[n]
	}
	return copyMemo(n)
}

// UnknownKey is the issue of key k, which where (a field path, or a name) does not have.
// suggestion is the key it is likely a typo of, or ""; valid, when not empty, follows it
// (the keys there are); otherwise is said when nothing is suggested.
func UnknownKey(k *yaml.Node, where, suggestion, valid, otherwise string) Issue {
	hint := valid
	switch {
	case suggestion != "" && valid != "":
		hint = fmt.Sprintf("did you mean %q? (%s)", suggestion, valid)
	case suggestion != "":
		hint = fmt.Sprintf("did you mean %q?", suggestion)
	case otherwise != "" && valid != "":
		hint = otherwise + "; " + valid
	case otherwise != "":
		hint = otherwise
	}
	return At(k, hint, "unknown key %q in %s", Clip(k.Value), where)
}

// Expect is the issue of a value of the wrong kind: what must be want (a mapping, a list, a
// string…), and how to write one.
func Expect(n *yaml.Node, what, want, hint string) Issue {
	if hint == "" {
		hint = KindHints[want]
	}
	return At(n, hint, "%s must be %s, found %s", what, want, Describe(n))
}

// KindHints says how to write a value of each kind.
var KindHints = map[string]string{
	"a mapping":      "write its fields as key: value lines indented below it, or as {key: value}",
	"a list":         "write one \"- item\" line per entry below it, or [item, item]",
	"a string":       "write text, quoted if it looks like a number or a boolean",
	"a value":        "write a single value, not a list or a mapping",
	"true or false":  "write true or false",
	"a whole number": "write a number without quotes, like 8080",
	"a number":       "write a number without quotes, like 0.5",
}
