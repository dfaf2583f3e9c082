package orchestrator

import (
	"fmt"
	"slices"
	"strings"
)

// enum is the names of an enum type's values, indexed by value, and what a value is (for
// UnmarshalText's error): one table serves the type's String, MarshalText and UnmarshalText.
type enum[T ~int] struct {
	what  string
	names []string
}

// name is v's name, "invalid" for a value out of range.
func (e enum[T]) name(v T) string { return enumName(e.names, int(v)) }

// nameOr is v's name, def's for a value out of range.
func (e enum[T]) nameOr(v T, def T) string {
	if v < 0 || int(v) >= len(e.names) {
		v = def
	}
	return e.names[v]
}

// text is v's name as MarshalText writes it.
func (e enum[T]) text(v T) ([]byte, error) { return []byte(e.name(v)), nil }

// unmarshal reads a name into *p; an unknown one is an error that lists the names.
func (e enum[T]) unmarshal(p *T, b []byte) error {
	v, err := parseName(e.what, e.names, string(b))
	*p = T(v)
	return err
}

// lookup is the value named s, the zero value for a name it does not know.
func (e enum[T]) lookup(s string) T {
	return T(max(slices.Index(e.names, s), 0))
}

func enumName(names []string, v int) string {
	if v < 0 || v >= len(names) {
		return "invalid"
	}
	return names[v]
}

func parseName(what string, names []string, s string) (int, error) {
	for i, n := range names {
		if n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q: use one of %s", what, s, strings.Join(names, ", "))
}
