package recipes

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every error that means "the input is wrong": the CLI
// maps it to exit status 2.
var ErrInvalid = errors.New("invalid recipe")

// Position is a place in an input file. Line and Col are 1-based; zero means unknown.
type Position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with an input: where, what, and how to fix it.
type Problem struct {
	Pos Position `json:"pos"`
	// Message says what is wrong, in one sentence without a final period.
	Message string `json:"message"`
	// Hint says how to fix it; empty when the message already does.
	Hint string `json:"hint,omitempty"`
}

func (p Problem) String() string {
	s := p.Message
	if p.Hint != "" {
		s += ": " + p.Hint
	}
	if loc := p.Pos.String(); loc != "" {
		s = loc + ": " + s
	}
	return s
}

// Problems is every problem found in an input, in file order. It is the error the loader
// returns; it matches ErrInvalid.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// Sort orders problems by file, line and column, keeping the order of equal positions.
func (ps Problems) Sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Pos.compare(b.Pos) })
}

// compare orders positions by file, line and column.
func (p Position) compare(q Position) int {
	return cmp.Or(cmp.Compare(p.File, q.File), cmp.Compare(p.Line, q.Line), cmp.Compare(p.Col, q.Col))
}

// unique drops repeats of a problem (the same message at the same place), which two checks
// of one input can find.
func (ps Problems) unique() Problems {
	seen := map[string]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

// andList joins names for a message: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
