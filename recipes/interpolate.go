package recipes

import (
	"errors"
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"go.yaml.in/yaml/v3"
)

// interpolator replaces ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message} and $$ in
// scalar values (never in keys) with compose's rules, keeping every node's position. Values
// under extension keys (x-...) are left alone: they are not part of the recipe.
type interpolator struct {
	file   string
	env    map[string]string
	probs  Problems
	warns  []Warning
	warned map[string]bool
	// failed holds the scalars whose substitution failed; their fields are not decoded.
	failed map[*yaml.Node]bool
}

func interpolate(file string, root *yaml.Node, env map[string]string) (Problems, []Warning, map[*yaml.Node]bool) {
	in := &interpolator{file: file, env: env, warned: map[string]bool{}, failed: map[*yaml.Node]bool{}}
	in.walk(root)
	return in.probs, in.warns, in.failed
}

func (in *interpolator) walk(n *yaml.Node) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.HasPrefix(n.Content[i].Value, "x-") {
				continue
			}
			in.walk(n.Content[i+1])
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			in.walk(c)
		}
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "$") {
			in.scalar(n)
		}
	}
}

func (in *interpolator) scalar(n *yaml.Node) {
	at := Position{File: in.file, Line: n.Line, Col: n.Column}
	var missing string
	mapping := func(name string) (string, bool) {
		v, ok := in.env[name]
		if !ok {
			missing = name
		}
		return v, ok
	}
	replace := func(s string, m template.Mapping, cfg *template.Config) (string, error) {
		missing = ""
		v, applied, err := template.DefaultReplacementAppliedFunc(s, m, cfg)
		if err == nil && !applied && missing != "" && !in.warned[missing] {
			in.warned[missing] = true
			in.warns = append(in.warns, Warning{Pos: at, Field: missing,
				Message: fmt.Sprintf("variable %s is not set, so an empty string is used: set it, or write ${%s:-default}", missing, missing)})
		}
		return v, err
	}
	out, err := template.SubstituteWithOptions(n.Value, mapping, template.WithoutLogging, template.WithReplacementFunction(replace))
	if err != nil {
		in.failed[n] = true
		msg, hint := templateProblem(err, n.Value, "the recipe")
		in.probs = append(in.probs, Problem{Pos: at, Message: msg, Hint: hint})
		return
	}
	if out != n.Value {
		n.Value = out
		if n.Tag == "!!null" || n.Tag == "" {
			n.Tag = "!!str"
		}
	}
}

// templateProblem says what is wrong with the variables of value, which err (from
// template.Substitute) rejected, and how to fix it; where names the file a .env goes next to.
func templateProblem(err error, value, where string) (msg, hint string) {
	const syntax = "write ${NAME}, ${NAME:-default} or ${NAME:?message}, and $$ for a literal $"
	var req *template.MissingRequiredError
	var bad *template.InvalidTemplateError
	switch {
	case errors.As(err, &req):
		msg = fmt.Sprintf("variable %s is required but not set", req.Variable)
		if req.Reason != "" {
			msg += " (" + req.Reason + ")"
		}
		return msg, fmt.Sprintf("set %s in the environment or in a .env file next to %s", req.Variable, where)
	case errors.As(err, &bad):
		return fmt.Sprintf("invalid variable reference in %q", clip(value)), syntax
	default:
		return fmt.Sprintf("cannot substitute variables in %q: %v", clip(value), err), syntax
	}
}
