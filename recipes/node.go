package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file turns YAML text into a plain node tree (aliases and merge keys expanded, every
// node keeping its line and column) and holds the helpers the recipe decoder uses to read it
// while collecting every problem instead of stopping at the first.

// maxExpandedNodes bounds the tree that alias expansion may build, so that a small document
// made of nested aliases ("billion laughs") cannot exhaust memory.
const maxExpandedNodes = 200_000

// parseYAML reads one YAML document. It returns the document's root node (nil for an empty
// document) and the problems found: syntax errors, a second document, aliases that refer to
// themselves or expand too far.
func parseYAML(file string, content []byte) (root *yaml.Node, probs Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, Problems{syntaxProblem(file, content, err)}
	}
	var extra yaml.Node
	switch err := safeDecode(dec, &extra); {
	case err == nil:
		p := Position{File: file, Line: extra.Line, Col: 1}
		if len(extra.Content) > 0 {
			p.Line = extra.Content[0].Line
		}
		lines := strings.Split(string(content), "\n")
		for l := min(p.Line, len(lines)); l >= 1; l-- {
			if strings.HasPrefix(lines[l-1], "---") {
				p.Line = l // point at the separator
				break
			}
		}
		probs = append(probs, Problem{Pos: p,
			Message: "the file holds more than one YAML document",
			Hint:    "a recipe is a single document: remove the \"---\" separator and everything after it"})
	case !errors.Is(err, io.EOF):
		probs = append(probs, syntaxProblem(file, content, err))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, probs
	}
	x := expander{file: file, active: map[*yaml.Node]bool{}}
	root = x.expand(doc.Content[0])
	probs = append(probs, x.probs...)
	return root, probs
}

// safeDecode runs the YAML decoder and turns a panic inside it into an error, so that no input
// can crash the caller whatever the parser does with it.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this input (%v)", r)
		}
	}()
	return dec.Decode(n)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem places a YAML syntax error. The parser reports the line only (and sometimes
// not even that), so the column is inferred from the text of that line.
func syntaxProblem(file string, content []byte, err error) Problem {
	msg := strings.TrimSpace(err.Error())
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	// The parser's line is the start of the enclosing construct, and is 0-based for some
	// errors; the first line at which a cut of the document fails the same way is better.
	if l := findErrorLine(content, msg); l > 0 {
		line = l
	}
	lines := strings.Split(string(content), "\n")
	if line < 1 {
		line = 1
	}
	if line > len(lines) {
		line = len(lines)
	}
	text := ""
	if line >= 1 && line <= len(lines) {
		text = lines[line-1]
	}
	col := 1
	hint := "check the indentation and quoting on this line and the line before it"
	switch {
	case strings.Contains(msg, "tab character") || (strings.Contains(msg, "cannot start any token") && strings.Contains(text, "\t")):
		col = strings.Index(text, "\t") + 1
		msg = "a tab character is used for indentation"
		hint = "YAML indents with spaces only: replace the tab with spaces"
	case strings.Contains(msg, "mapping values are not allowed"):
		if i := strings.Index(text, ": "); i >= 0 {
			if j := strings.Index(text[i+2:], ": "); j >= 0 {
				col = i + 2 + j + 1
			}
		}
		msg = "a value contains \": \", which YAML reads as a nested key"
		hint = "quote the value, e.g. command: \"echo a: b\""
	case strings.Contains(msg, "unknown anchor"):
		col = firstNonBlank(text)
		hint = "define the anchor with &name before using *name"
	case strings.Contains(msg, "found unexpected end of stream"):
		col = firstNonBlank(text)
		hint = "a quote or bracket is not closed: close it"
	default:
		col = firstNonBlank(text)
	}
	if col < 1 {
		col = 1
	}
	return Problem{Pos: Position{File: file, Line: line, Col: col}, Message: "YAML syntax error: " + msg, Hint: hint}
}

// findErrorLine finds the first line at which the document, cut after that line, fails with
// the same message, or 0. Long documents are not searched.
func findErrorLine(content []byte, msg string) int {
	lines := bytes.SplitAfter(content, []byte("\n"))
	if len(lines) > 500 || len(content) > 64<<10 {
		return 0
	}
	end := 0
	for i, l := range lines {
		end += len(l)
		var n yaml.Node
		dec := yaml.NewDecoder(bytes.NewReader(content[:end]))
		for {
			err := safeDecode(dec, &n)
			if err == nil {
				continue
			}
			if !errors.Is(err, io.EOF) && strings.Contains(err.Error(), msg) {
				return i + 1
			}
			break
		}
	}
	return 0
}

func firstNonBlank(s string) int {
	for i, r := range s {
		if r != ' ' && r != '\t' {
			return i + 1
		}
	}
	return 1
}

// expander copies a node tree, replacing aliases by copies of what they refer to and merge
// keys ("<<") by the keys they bring in.
type expander struct {
	file   string
	probs  Problems
	count  int
	active map[*yaml.Node]bool
	over   bool
}

func (x *expander) expand(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	x.count++
	if x.count > maxExpandedNodes {
		if !x.over {
			x.over = true
			x.probs = append(x.probs, Problem{Pos: x.at(n),
				Message: fmt.Sprintf("the document expands to more than %d nodes through aliases", maxExpandedNodes),
				Hint:    "use fewer nested aliases (*name)"})
		}
		return nullNode(n)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil || x.active[n.Alias] {
			x.probs = append(x.probs, Problem{Pos: x.at(n),
				Message: fmt.Sprintf("alias *%s refers to the value that contains it", n.Value),
				Hint:    "an alias cannot point into its own anchor: copy the value instead"})
			return nullNode(n)
		}
		x.active[n.Alias] = true
		c := x.expand(n.Alias)
		delete(x.active, n.Alias)
		return c
	case yaml.MappingNode:
		c := shallow(n)
		x.active[n] = true
		defer delete(x.active, n)
		var merged []*yaml.Node
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				merged = append(merged, x.mergeSources(v)...)
				continue
			}
			if k.Kind == yaml.ScalarNode {
				seen[k.Value] = true
			}
			c.Content = append(c.Content, x.expand(k), x.expand(v))
		}
		for _, src := range merged {
			for i := 0; i+1 < len(src.Content); i += 2 {
				k, v := src.Content[i], src.Content[i+1]
				if k.Kind == yaml.ScalarNode && seen[k.Value] {
					continue
				}
				if k.Kind == yaml.ScalarNode {
					seen[k.Value] = true
				}
				c.Content = append(c.Content, k, v)
			}
		}
		return c
	case yaml.SequenceNode, yaml.DocumentNode:
		c := shallow(n)
		x.active[n] = true
		defer delete(x.active, n)
		for _, e := range n.Content {
			c.Content = append(c.Content, x.expand(e))
		}
		return c
	}
	return shallow(n)
}

// mergeSources expands the value of a "<<" key: a mapping, or a list of mappings (earlier
// ones win).
func (x *expander) mergeSources(v *yaml.Node) []*yaml.Node {
	e := x.expand(v)
	switch e.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{e}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, m := range e.Content {
			if m.Kind == yaml.MappingNode {
				out = append(out, m)
				continue
			}
			x.probs = append(x.probs, Problem{Pos: x.at(m),
				Message: "a merge key (<<) can only bring in mappings, found " + describe(m),
				Hint:    "write <<: *name where &name marks a mapping"})
		}
		return out
	}
	x.probs = append(x.probs, Problem{Pos: x.at(v),
		Message: "a merge key (<<) can only bring in mappings, found " + describe(e),
		Hint:    "write <<: *name where &name marks a mapping"})
	return nil
}

func (x *expander) at(n *yaml.Node) Position {
	return Position{File: x.file, Line: n.Line, Col: n.Column}
}

func shallow(n *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: n.Kind, Style: n.Style, Tag: n.Tag, Value: n.Value, Line: n.Line, Column: n.Column}
}

func nullNode(at *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "", Line: at.Line, Column: at.Column}
}

// describe names what a node is, for "expected X, found Y" messages.
func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "an empty value"
		case "!!int", "!!float":
			return "the number " + clip(n.Value)
		case "!!bool":
			return n.Value
		}
		return fmt.Sprintf("the string %q", clip(n.Value))
	}
	return "an unexpected value"
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}
