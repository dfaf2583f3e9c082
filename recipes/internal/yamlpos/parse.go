// Package yamlpos is the YAML front end every input of sidecar goes through: sidecar.yaml,
// compose files and Kubernetes manifests. It parses a file once into go.yaml.in/yaml/v3
// nodes that keep their line and column, with one policy for anchors, aliases, merge keys
// and keys written twice; it bounds what a hostile document can cost; it words syntax
// errors, unknown keys and values of the wrong kind the same way for every input; and it
// finds the node a path names, so that a problem found anywhere can be placed at
// file:line:col.
package yamlpos

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	yaml4 "go.yaml.in/yaml/v4"
)

// MaxNodes bounds the nodes (keys, values and list items) of one file, counted both as
// written and as its aliases expand: a document larger than that is not a recipe anyone
// writes by hand, and a small one whose aliases expand beyond it ("billion laughs") must not
// exhaust memory.
const MaxNodes = 200_000

// Issue is one thing wrong with a document: where (1-based line and column), what, and how
// to fix it.
type Issue struct {
	Line, Col int
	Message   string
	Hint      string
}

// At is an issue placed at node n.
func At(n *yaml.Node, hint, format string, args ...any) Issue {
	is := Issue{Message: fmt.Sprintf(format, args...), Hint: hint}
	if n != nil {
		is.Line, is.Col = n.Line, n.Column
	}
	return is
}

// File is a parsed file: its documents, each the content node of one YAML document (nil for
// an empty one), with aliases replaced by what they name and merge keys by the pairs they
// bring in.
//
// A value an alias names is shared, not copied: the node reached through the anchor and
// through each alias is the same *yaml.Node, so that a problem in it is found, reported
// and left out once, at the place it is written. The tree is therefore a DAG; walks that
// change nodes must copy them (see Copy).
type File struct {
	Docs []*yaml.Node
	// Starts holds, per document, the line of its "---" separator (0 when it has none).
	Starts []int
}

// Parse reads every YAML document of content. Fatal is set when nothing can be read: a
// syntax error (the position is exact, with a fix where the error is a common one), a
// document with more than MaxNodes nodes, or aliases that expand beyond that. Otherwise the
// issues are what the documents' structure got wrong — an alias into its own anchor, a merge
// key that brings in no mapping, a key written twice (the first one is kept) — and each
// issue's node is left out of the tree.
func Parse(content []byte) (f *File, issues []Issue, fatal bool) {
	f = &File{}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	count := 0
	for {
		var doc yaml.Node
		err := safeDecode(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, []Issue{syntaxIssue(content, err)}, true
		}
		if count += countNodes(&doc, MaxNodes-count); count > MaxNodes {
			return nil, []Issue{{Line: doc.Line, Col: 1,
				Message: fmt.Sprintf("the file has more than %d YAML nodes (keys, values and list items)", MaxNodes),
				Hint:    "a recipe, compose file or manifest that large is not one sidecar reads: split it, or move large data into files it mounts"}}, true
		}
		f.Starts = append(f.Starts, separatorLine(content, &doc))
		if len(doc.Content) == 0 {
			f.Docs = append(f.Docs, nil)
			continue
		}
		x := expander{memo: map[*yaml.Node]*yaml.Node{}, active: map[*yaml.Node]bool{}, size: map[*yaml.Node]int{}}
		root := x.node(doc.Content[0], "")
		if x.bomb != nil {
			return nil, []Issue{*x.bomb}, true
		}
		issues = append(issues, x.issues...)
		f.Docs = append(f.Docs, root)
	}
	return f, issues, false
}

// safeDecode runs the YAML decoder and turns a panic inside it into an error, so that no
// input can crash the caller whatever the parser does with it.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this input (%v)", r)
		}
	}()
	return dec.Decode(n)
}

// countNodes counts the nodes of n as written (an alias is one node), stopping past limit.
func countNodes(n *yaml.Node, limit int) int {
	count := 1
	for _, c := range n.Content {
		if count > limit {
			break
		}
		count += countNodes(c, limit-count)
	}
	return count
}

// separatorLine is the line of the "---" that starts doc, or 0.
func separatorLine(content []byte, doc *yaml.Node) int {
	line := doc.Line
	if len(doc.Content) > 0 {
		line = doc.Content[0].Line
	}
	lines := bytes.Split(content, []byte("\n"))
	for l := min(line, len(lines)); l >= 1; l-- {
		if bytes.HasPrefix(lines[l-1], []byte("---")) {
			return l
		}
	}
	return 0
}

// syntaxIssue places a YAML syntax error. go.yaml.in/yaml/v3 often names only the line where
// the enclosing construct starts; v4 says exactly where the error is, and what construct it
// is in, so the content is parsed again with it to place the error.
func syntaxIssue(content []byte, err error) Issue {
	is := Issue{Line: 1, Col: 1, Message: strings.TrimPrefix(err.Error(), "yaml: "),
		Hint: "check the indentation and quoting around this place"}
	var le *yaml4.LoadError
	dec := yaml4.NewDecoder(bytes.NewReader(content))
	var err4 error
	for err4 == nil { // up to the first error, the one v3 found
		var n yaml4.Node
		err4 = dec.Decode(&n)
	}
	if errors.As(err4, &le) && le.Mark.Line > 0 {
		is.Line, is.Col, is.Message = le.Mark.Line, max(le.Mark.Column, 1), le.Message
	}
	if line, col, what, hint, ok := badByte(content); ok && (strings.Contains(is.Message, "control characters") || strings.Contains(is.Message, "UTF-8")) {
		// The parser says this of the file, at its start: the place is the byte's.
		return Issue{Line: line, Col: col, Message: "YAML syntax error: " + what, Hint: hint}
	}
	lines := strings.Split(strings.ReplaceAll(string(content), "\r\n", "\n"), "\n")
	is.Line = min(is.Line, len(lines))
	text := lines[is.Line-1]
	switch {
	case strings.Contains(is.Message, "tab") || (strings.Contains(is.Message, "cannot start any token") && strings.Contains(text, "\t")):
		is.Col = strings.Index(text, "\t") + 1
		is.Message, is.Hint = "a tab character is used for indentation", "YAML indents with spaces only: replace the tab with spaces"
	case strings.Contains(is.Message, "mapping values are not allowed"):
		is.Message, is.Hint = "a value contains \": \", which YAML reads as a nested key", "quote the value, e.g. command: \"echo a: b\""
	case strings.Contains(is.Message, "unknown anchor"):
		is.Hint = "define the anchor with &name before using *name"
	case strings.Contains(text, "{{"):
		is.Hint = "the file holds a template ({{ … }}): render it first (helm template, say) and give sidecar what it prints"
	case le != nil && le.ContextMark.Line > 0 && (strings.Contains(le.ContextMsg, "flow sequence") || strings.Contains(le.ContextMsg, "flow mapping") || strings.Contains(le.ContextMsg, "quoted")):
		// An unclosed bracket or quote is found where the file goes on without it: the
		// place to fix is where it opens.
		is.Line, is.Col = le.ContextMark.Line, max(le.ContextMark.Column, 1)
		switch {
		case strings.Contains(le.ContextMsg, "sequence"):
			is.Hint = "the list opened here with [ is not closed: add the ] (and a , between its items)"
		case strings.Contains(le.ContextMsg, "mapping"):
			is.Hint = "the mapping opened here with { is not closed: add the } (and a , between its pairs)"
		default:
			is.Hint = "the quote opened here is not closed: add the closing quote"
		}
	}
	if is.Line > len(lines) || (is.Line == len(lines) && is.Col > len(text)+1) {
		is.Line, is.Col = len(lines), len(text)+1
	}
	is.Message = "YAML syntax error: " + is.Message
	return is
}

// badByte finds the first byte of content YAML does not allow: one that is not UTF-8, or a
// control character other than tab, newline and carriage return. Columns count characters.
func badByte(content []byte) (line, col int, what, hint string, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(content); {
		r, size := utf8.DecodeRune(content[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line, col, fmt.Sprintf("the file is not UTF-8 text: byte 0x%02X here is not part of a UTF-8 character", content[i]),
				"save the file as UTF-8 (iconv -f latin1 -t utf-8 converts a Latin-1 file)", true
		case r == '\n':
			line, col = line+1, 0
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7f, r >= 0x80 && r < 0xa0 && r != 0x85:
			return line, col, fmt.Sprintf("the file holds a control character (U+%04X) here, which YAML does not allow", r),
				fmt.Sprintf("remove it, or write it as an escape in a double-quoted string (\"\\x%02x\")", r), true
		}
		i += size
		col++
	}
	return 0, 0, "", "", false
}

// expander replaces aliases by the values they name (shared, not copied) and merge keys
// ("<<") by the pairs they bring in, keeps the first of keys written twice, and counts the
// nodes the document expands to.
type expander struct {
	memo   map[*yaml.Node]*yaml.Node // original → expanded
	active map[*yaml.Node]bool       // containers being expanded: an alias to one is a loop
	size   map[*yaml.Node]int        // expanded → nodes it stands for
	total  int
	issues []Issue
	bomb   *Issue
}

func (x *expander) node(n *yaml.Node, path string) *yaml.Node {
	if x.bomb != nil {
		return null(n)
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || x.active[n.Alias] {
			x.issues = append(x.issues, At(n, "an alias cannot point into its own anchor: copy the value instead",
				"alias *%s refers to the value that contains it", n.Value))
			return null(n)
		}
		out := x.node(n.Alias, path)
		if x.total = min(x.total+x.size[out], MaxNodes+1); x.total > MaxNodes && x.bomb == nil {
			is := At(n, "use fewer nested aliases (*name)", "aliases expand the file to more than %d YAML nodes", MaxNodes)
			x.bomb = &is
		}
		return out
	}
	if out, done := x.memo[n]; done {
		return out
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		x.memo[n], x.size[n] = n, 1
		x.total++
		return n
	}
	out := &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Anchor: n.Anchor, Line: n.Line, Column: n.Column,
		HeadComment: n.HeadComment, LineComment: n.LineComment}
	x.memo[n] = out
	x.active[n] = true
	defer delete(x.active, n)
	x.total++
	if n.Kind == yaml.SequenceNode {
		for i, item := range n.Content {
			out.Content = append(out.Content, x.node(item, fmt.Sprintf("%s[%d]", path, i)))
		}
	} else {
		x.mapping(n, out, path)
	}
	size := 1
	for _, c := range out.Content {
		size = min(size+x.size[c], MaxNodes+1) // saturated: sizes grow exponentially in a bomb
	}
	x.size[out] = size
	return out
}

// mapping expands the pairs of m into out: its own pairs in order (the first of a key
// written twice), then the pairs its merge keys bring in, where its own do not set them.
func (x *expander) mapping(m, out *yaml.Node, path string) {
	first := map[string]*yaml.Node{}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merged = append(merged, x.mergeSources(v, path)...)
			continue
		}
		if k.Kind == yaml.ScalarNode {
			if f, dup := first[k.Value]; dup {
				x.issues = append(x.issues, At(k, "remove one of them, or merge what they hold",
					"key %q is written twice in %s (first on line %d)", Clip(k.Value), cmp.Or(path, "the top level"), f.Line))
				continue
			}
			first[k.Value] = k
		}
		out.Content = append(out.Content, x.node(k, path), x.node(v, Join(path, k.Value)))
	}
	for _, src := range merged {
		for i := 0; i+1 < len(src.Content); i += 2 {
			k := src.Content[i]
			if k.Kind == yaml.ScalarNode {
				if _, set := first[k.Value]; set {
					continue
				}
				first[k.Value] = k
			}
			out.Content = append(out.Content, k, src.Content[i+1])
		}
	}
}

// mergeSources expands the value of a "<<" key: a mapping, or a list of mappings (earlier
// ones win).
func (x *expander) mergeSources(v *yaml.Node, path string) []*yaml.Node {
	e := x.node(v, path)
	srcs := []*yaml.Node{e}
	if e.Kind == yaml.SequenceNode {
		srcs = e.Content
	}
	var out []*yaml.Node
	for _, s := range srcs {
		if s.Kind == yaml.MappingNode {
			out = append(out, s)
			continue
		}
		x.issues = append(x.issues, At(s, "write <<: *name where &name marks a mapping",
			"a merge key (<<) can only bring in mappings, found %s", Describe(s)))
	}
	return out
}

func null(at *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: at.Line, Column: at.Column}
}
