package recipes

// YAML node helpers shared by the compose and Kubernetes importers: both read the input once
// more as go.yaml.in/yaml/v3 nodes, only to know where things were written.

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	yaml4 "go.yaml.in/yaml/v4"
)

// impPair is one key and its value in a mapping node.
type impPair struct {
	Key, Value *yaml.Node
}

// impDeref follows document and alias nodes to the node that holds the content.
func impDeref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 64; i++ {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return n
}

// impIsNull reports whether n is absent or an explicit null.
func impIsNull(n *yaml.Node) bool {
	n = impDeref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// impPairs returns the pairs of a mapping node in file order, with the pairs brought in by
// merge keys ("<<") after the explicit ones and only where the explicit ones do not override
// them, as YAML merging does. A node that is not a mapping has no pairs.
func impPairs(m *yaml.Node) []impPair {
	return impPairsDepth(m, 0)
}

func impPairsDepth(m *yaml.Node, depth int) []impPair {
	m = impDeref(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	var out, merged []impPair
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge" {
			src := impDeref(v)
			var srcs []*yaml.Node
			if src != nil && src.Kind == yaml.SequenceNode {
				srcs = src.Content
			} else {
				srcs = []*yaml.Node{src}
			}
			for _, s := range srcs {
				merged = append(merged, impPairsDepth(s, depth+1)...)
			}
			continue
		}
		seen[k.Value] = true
		out = append(out, impPair{k, v})
	}
	for _, p := range merged {
		if !seen[p.Key.Value] {
			seen[p.Key.Value] = true
			out = append(out, p)
		}
	}
	return out
}

// impLookup returns the key and value nodes of key in mapping m, or nils.
func impLookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for _, p := range impPairs(m) {
		if p.Key.Value == key {
			return p.Key, p.Value
		}
	}
	return nil, nil
}

// impValue returns the value node of key in mapping m, dereferenced, or nil.
func impValue(m *yaml.Node, key string) *yaml.Node {
	_, v := impLookup(m, key)
	return impDeref(v)
}

// impItem returns item i of sequence s, dereferenced, or nil.
func impItem(s *yaml.Node, i int) *yaml.Node {
	s = impDeref(s)
	if s == nil || s.Kind != yaml.SequenceNode || i < 0 || i >= len(s.Content) {
		return nil
	}
	return impDeref(s.Content[i])
}

// impItems returns the items of a sequence node, or nil.
func impItems(s *yaml.Node) []*yaml.Node {
	s = impDeref(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	return s.Content
}

// impWalk follows a path of mapping keys and sequence indices (as decimal strings) from n. It
// returns the value reached and whether the whole path was found (when not, the deepest node
// reached).
func impWalk(n *yaml.Node, parts ...string) (*yaml.Node, bool) {
	cur := impDeref(n)
	for _, part := range parts {
		if cur == nil {
			return nil, false
		}
		switch cur.Kind {
		case yaml.MappingNode:
			_, v := impLookup(cur, part)
			if v == nil {
				return cur, false
			}
			cur = impDeref(v)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(cur.Content) {
				return cur, false
			}
			cur = impDeref(cur.Content[i])
		default:
			return cur, false
		}
	}
	return cur, true
}

// impFind returns the key node (for a mapping key) or the item (for a list index, or "[]" for
// the first item that has the rest of the path) at path, or nil.
func impFind(n *yaml.Node, parts []string) *yaml.Node {
	n = impDeref(n)
	if n == nil || len(parts) == 0 {
		return n
	}
	switch n.Kind {
	case yaml.MappingNode:
		k, v := impLookup(n, parts[0])
		if k == nil {
			return nil
		}
		if len(parts) == 1 {
			return k
		}
		return impFind(v, parts[1:])
	case yaml.SequenceNode:
		if parts[0] == "[]" {
			for _, item := range n.Content {
				if r := impFind(item, parts[1:]); r != nil {
					return r
				}
			}
			return nil
		}
		i, err := strconv.Atoi(parts[0])
		if err != nil {
			// A list of names (depends_on, networks, profiles): the item with that name.
			for _, item := range n.Content {
				if v, ok := impScalar(item); ok && v == parts[0] && len(parts) == 1 {
					return item
				}
			}
			return nil
		}
		if i < 0 || i >= len(n.Content) {
			return nil
		}
		return impFind(n.Content[i], parts[1:])
	}
	return nil
}

// impDir is the directory relative paths of file are taken against.
func impDir(file, dir string) string {
	if dir == "" {
		dir = filepath.Dir(file)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// impPos is where a node was written, in file.
func impPos(file string, n *yaml.Node) Position {
	if n == nil {
		return Position{File: file}
	}
	return Position{File: file, Line: n.Line, Col: n.Column}
}

// impScalar returns a scalar node's value and whether n is a scalar.
func impScalar(n *yaml.Node) (string, bool) {
	n = impDeref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// impKindName names a node's kind for messages.
func impKindName(n *yaml.Node) string {
	n = impDeref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	}
	return "a string"
}

// impParseDocs parses every YAML document of content as nodes. A syntax error comes back as a
// Problem placed as precisely as the YAML parsers allow.
func impParseDocs(file string, content []byte) ([]*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			p := impSyntaxProblem(file, content, err)
			return nil, &p
		}
		docs = append(docs, &n)
	}
}

var (
	impLineCol  = regexp.MustCompile(`line (\d+), column (\d+): `)
	impLineOnly = regexp.MustCompile(`^yaml: line (\d+): `)
)

// impSyntaxProblem turns a YAML syntax error into a Problem. go.yaml.in/yaml/v3 does not
// always say where the error is; v4 (which compose-go already depends on) does, with a
// column, so the same content is parsed again with it to place the error.
func impSyntaxProblem(file string, content []byte, err error) Problem {
	p := Problem{Pos: Position{File: file}, Hint: "check the indentation and quoting around that place"}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := impLineOnly.FindStringSubmatch(err.Error()); m != nil {
		p.Pos.Line, _ = strconv.Atoi(m[1])
		msg = err.Error()[len(m[0]):]
	}
	dec := yaml4.NewDecoder(bytes.NewReader(content))
	for {
		var n yaml4.Node
		err4 := dec.Decode(&n)
		if err4 == nil {
			continue
		}
		if errors.Is(err4, io.EOF) {
			break
		}
		// A typed error carries the mark directly; older releases only put it in the text.
		var le *yaml4.LoadError
		if errors.As(err4, &le) && le.Mark.Line > 0 {
			p.Pos.Line, p.Pos.Col = le.Mark.Line, le.Mark.Column
			msg = le.Message
			break
		}
		s := err4.Error()
		// "yaml: [context at line L, column C: ]line L, column C: message": the last mark
		// is where the error is.
		if all := impLineCol.FindAllStringSubmatchIndex(s, -1); all != nil {
			loc := all[len(all)-1]
			line, _ := strconv.Atoi(s[loc[2]:loc[3]])
			col, _ := strconv.Atoi(s[loc[4]:loc[5]])
			p.Pos.Line, p.Pos.Col = line, col
			msg = s[loc[1]:]
		}
		break
	}
	p.Message = "invalid YAML: " + msg
	p.Pos = impClampToEnd(p.Pos, content)
	return p
}

// impClampToEnd moves a position past the end of content (where the parsers place an error
// found at the end of a file without a final line break) to the end of its last line.
func impClampToEnd(pos Position, content []byte) Position {
	lines, last := 1, 0 // lines as YAML counts them; runes on the last one
	s := strings.ReplaceAll(string(content), "\r\n", "\n")
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			lines, last = lines+1, 0
		default:
			last++
		}
	}
	if pos.Line > lines {
		pos.Line, pos.Col = lines, last+1
	}
	return pos
}

// impSortWarnings orders warnings by position, keeping the order of equal positions.
func impSortWarnings(ws []Warning) {
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i].Pos, ws[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// impDNSLabel turns s into a DNS label (lower case letters, digits and dashes, at most 63
// characters, starting and ending with a letter or digit), for names sidecar derives itself.
func impDNSLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	return out
}

// impPrune copies a node tree without the nodes a check rejected, so that an importer can
// hand the rest to a library that would otherwise stop at the first of them, and go on
// finding problems. The copy keeps every node's position.
type impPrune struct {
	dropKey map[*yaml.Node]bool // key nodes: their pair is left out
	dropVal map[*yaml.Node]bool // values (as aliases resolve): their pair is left out, their list item too (or nulled)
	empty   map[*yaml.Node]bool // values replaced by an empty mapping
	// nullItems replaces a rejected list item by null instead of leaving it out, so that the
	// indices of the items after it (which positions are looked up by) do not move.
	nullItems bool
	memo      map[*yaml.Node]*yaml.Node // original → copy
	orig      map[*yaml.Node]*yaml.Node // copy → original
}

func newImpPrune(nullItems bool) *impPrune {
	return &impPrune{dropKey: map[*yaml.Node]bool{}, dropVal: map[*yaml.Node]bool{}, empty: map[*yaml.Node]bool{},
		nullItems: nullItems, memo: map[*yaml.Node]*yaml.Node{}, orig: map[*yaml.Node]*yaml.Node{}}
}

// reject marks n to be left out: a key node (key) takes its pair with it.
func (p *impPrune) reject(n *yaml.Node, key bool) {
	if key {
		p.dropKey[n] = true
		return
	}
	p.dropVal[impDeref(n)] = true
}

// rejected reports whether anything is to be left out.
func (p *impPrune) rejected() bool {
	return len(p.dropKey)+len(p.dropVal)+len(p.empty) > 0
}

// copyTree returns a fresh copy of the tree n without the rejected nodes.
func (p *impPrune) copyTree(n *yaml.Node) *yaml.Node {
	p.memo, p.orig = map[*yaml.Node]*yaml.Node{}, map[*yaml.Node]*yaml.Node{}
	return p.copy(n)
}

// original is the node of the original tree that copy c was made from (c itself when it is
// not a copy).
func (p *impPrune) original(c *yaml.Node) *yaml.Node {
	if o, ok := p.orig[c]; ok {
		return o
	}
	return c
}

// copy returns a copy of n without the rejected nodes. Aliases stay aliases; an alias whose
// anchor was left out carries the anchored value itself, so the copy is valid YAML.
func (p *impPrune) copy(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if c, ok := p.memo[n]; ok {
		if n.Kind != yaml.AliasNode && n.Anchor != "" {
			return &yaml.Node{Kind: yaml.AliasNode, Value: n.Anchor, Alias: c, Line: n.Line, Column: n.Column}
		}
		return c
	}
	c := &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value, Anchor: n.Anchor, Line: n.Line, Column: n.Column}
	p.memo[n], p.orig[c] = c, n
	if p.empty[n] {
		c.Kind, c.Tag, c.Value, c.Style = yaml.MappingNode, "!!map", "", yaml.FlowStyle
		return c
	}
	switch n.Kind {
	case yaml.AliasNode:
		target := n.Alias
		if _, emitted := p.memo[target]; !emitted {
			return p.copy(target) // its anchor was left out: the value itself, anchored here
		}
		c.Alias = p.memo[target]
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if p.dropKey[k] || p.dropVal[impDeref(v)] {
				continue
			}
			c.Content = append(c.Content, p.copy(k), p.copy(v))
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if p.dropVal[impDeref(item)] {
				if p.nullItems {
					c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: item.Line, Column: item.Column})
				}
				continue
			}
			c.Content = append(c.Content, p.copy(item))
		}
	default:
		for _, ch := range n.Content {
			c.Content = append(c.Content, p.copy(ch))
		}
	}
	return c
}
