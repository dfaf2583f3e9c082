package recipes

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EncodeYAML writes a stack as a recipe in the pods: form (what `sidecar config -o yaml`
// prints). Every "$" in a value is written as "$$", so loading the output again gives the
// same stack instead of substituting variables a second time.
func EncodeYAML(s *Stack) ([]byte, error) { return encodeEscaped(s) }

// encodeEscaped writes v as YAML with every "$" of a value written "$$".
func encodeEscaped(v any) ([]byte, error) {
	n, err := toNode(v)
	if err != nil {
		return nil, err
	}
	escapeDollars(n)
	return encodeText(n)
}

// encodeText writes v as YAML indented by 2, as sidecar writes every file.
func encodeText(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func escapeDollars(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeDollars(n.Content[i])
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			escapeDollars(c)
		}
	case yaml.ScalarNode:
		n.Value = strings.ReplaceAll(n.Value, "$", "$$")
	}
}

// toNode encodes v as a node tree. It goes through text written with an indent of 2, as
// the files are: yaml.Node.Encode writes with 4, where go.yaml.in/yaml/v3 places a block
// scalar that starts with a blank line wrongly, deep in a list, and cannot read it back.
func toNode(v any) (*yaml.Node, error) {
	b, err := encodeText(v)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	return &n, nil
}
