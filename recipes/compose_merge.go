package recipes

// The files of a compose project laid over each other, for what sidecar reads from the YAML
// itself: compose-go merges the values but keeps no positions, and sidecar reads where each
// field was written, the order of services and depends_on, and x-sidecar. Each node is kept as
// its file has it, merged by the compose specification's rules: mappings key by key, a later
// scalar replaces, sequences append (not an entry equal to one there), !reset removes what came
// before and !override replaces it. Where compose-go merges further (ports, volumes… per
// target), list entries may not match its: their readers (itemAt, portsAt…) place at the field.

import (
	"cmp"
	"slices"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	yaml "go.yaml.in/yaml/v3"
)

// The tags of the compose specification's merge.
const (
	tagReset    = "!reset"
	tagOverride = "!override"
)

// isReset reports whether n is written !reset: it takes away what the files before it
// set, and is no value of its own (the checks skip it).
func isReset(n *yaml.Node) bool { return n != nil && n.Tag == tagReset }

// mergeFiles lays the files' documents over each other, in order.
func (c *composeImport) mergeFiles(files []*composeFile) *yaml.Node {
	var root *yaml.Node
	for _, f := range files {
		root = c.overlay(root, f.root)
	}
	return cmp.Or(root, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1})
}

// overlay lays node over on base (nil: none): the merged node, or nil when over is !reset.
// The nodes made here take the position and the file of the node they stand for.
func (c *composeImport) overlay(base, over *yaml.Node) *yaml.Node {
	switch {
	case over == nil:
		return base
	case isReset(over):
		return nil
	case over.Tag == tagOverride || (base != nil && base.Kind != over.Kind):
		base = nil // replaced whole: by !override, or by a value of another kind (a list over a mapping)
	}
	if over.Kind != yaml.MappingNode && over.Kind != yaml.SequenceNode {
		if over.Tag == tagOverride {
			return c.like(over, nil)
		}
		return over
	}
	out := c.like(over, base)
	if base != nil {
		out.Content = slices.Clone(base.Content)
	}
	for _, item := range yamlpos.Items(over) {
		v := c.overlay(nil, item)
		// As compose-go appends a list to the one before it: without the entries it has
		// already (within one file, every entry is kept).
		if v != nil && (base == nil || !slices.ContainsFunc(out.Content, func(n *yaml.Node) bool { return sameNode(n, v) })) {
			out.Content = append(out.Content, v)
		}
	}
	for _, p := range yamlpos.Pairs(over) {
		i := keyIndex(out, p.Key.Value)
		if i < 0 {
			if v := c.overlay(nil, p.Value); v != nil {
				out.Content = append(out.Content, p.Key, v)
			}
			continue
		}
		was := out.Content[i+1]
		switch v := c.overlay(was, p.Value); {
		case v == nil:
			out.Content = slices.Delete(out.Content, i, i+2)
		case p.Value.Kind == was.Kind && p.Value.Kind != yaml.ScalarNode && p.Value.Tag != tagOverride:
			out.Content[i+1] = v // the key stays where it was first written
		default:
			out.Content[i], out.Content[i+1] = p.Key, v
		}
	}
	return out
}

// keyIndex is the index in m.Content of key k, or -1.
func keyIndex(m *yaml.Node, k string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == k {
			return i
		}
	}
	return -1
}

// like is a new node of over's kind (untagged) at the position of base, or else of over,
// in that node's file.
func (c *composeImport) like(over, base *yaml.Node) *yaml.Node {
	from := cmp.Or(base, over)
	n := &yaml.Node{Kind: over.Kind, Style: from.Style &^ yaml.TaggedStyle, Line: from.Line, Column: from.Column}
	if over.Kind == yaml.ScalarNode {
		n.Value, n.Style = over.Value, over.Style&^yaml.TaggedStyle
	}
	if f, ok := c.fileOf[from]; ok {
		c.fileOf[n] = f
	}
	return n
}

// sameNode reports whether a and b hold the same value.
func sameNode(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	if a.Kind == yaml.ScalarNode {
		return a.Value == b.Value && a.ShortTag() == b.ShortTag()
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
