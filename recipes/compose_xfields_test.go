package recipes

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// readsEveryField reads a scalar into each field of table: a field of a type xValue has no
// reader for panics, which must show here and not on a user's file.
func readsEveryField[T any](t *testing.T, table []field[*T]) {
	t.Helper()
	for _, f := range table {
		if f.name == "" {
			t.Errorf("%T: a field without a yaml name", *new(T))
		}
		d := newDecoder("x.yaml", NewPositions("x.yaml"), func(string) (string, bool) { return "", false }, nil)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%T.%s: %v", *new(T), f.name, r)
				}
			}()
			f.read(d, "x-sidecar", &yaml.Node{Kind: yaml.ScalarNode, Value: "1", Line: 1, Column: 1}, new(T))
		}()
	}
}

func TestXSidecarFieldsAllHaveReaders(t *testing.T) {
	readsEveryField(t, composeXFields)
	readsEveryField(t, composeXDepFields)
	readsEveryField(t, composeXVolumeFields)
	readsEveryField(t, composeXConfigFields)
	readsEveryField(t, composeXConfigRefFields)
	readsEveryField(t, composeXTopFields)
}
