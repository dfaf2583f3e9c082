package recipes

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// interpolation replaces ${VAR}, ${VAR:-default}, ${VAR:?message}, $$… in scalar values
// (never keys) with compose's rules, in a copy of the tree that keeps every position. In a
// recipe, values under extension keys (x-…) are left alone; compose substitutes them too.
type interpolation struct {
	file   string
	where  string // "the recipe", "the compose file": what a .env goes next to
	env    map[string]string
	probs  Problems
	warns  []Warning
	failed map[*yaml.Node]bool // the scalars whose substitution failed (reported): not decoded
	// used holds, per place of a substituted scalar, what it was written as and the
	// variables that went into it, so that no message shows their values.
	used  map[Position]substitution
	unset map[*yaml.Node][]string // per substituted scalar, the variables not set in it
	// broken is the .env that could not be read (reported): a scalar using a variable it
	// would have set is failed without a word, as what it gives cannot be known.
	broken *brokenEnv
}

// substitution is one scalar's ${VAR}s: as written, and the variables' names and values.
type substitution struct {
	written string
	vars    map[string]string
}

func newInterpolation(where string, env map[string]string) *interpolation {
	return &interpolation{where: where, env: env,
		failed: map[*yaml.Node]bool{}, used: map[Position]substitution{}, unset: map[*yaml.Node][]string{}}
}

// tree interpolates the tree below root, of file: one interpolation serves every file of a
// compose project, so that a variable not set is warned about once.
func (in *interpolation) tree(file string, root *yaml.Node, extensions bool) *yaml.Node {
	in.file = file
	extension := func(key string) bool { return !extensions && strings.HasPrefix(key, "x-") }
	return yamlpos.Copy(root, in.scalar, extension)
}

func (in *interpolation) scalar(n *yaml.Node) *yaml.Node {
	if !strings.Contains(n.Value, "$") {
		return n
	}
	at := Position{File: in.file, Line: n.Line, Col: n.Column}
	vars := map[string]string{}
	var unset []string
	fromBroken := false
	lookup := func(name string) (string, bool) {
		v, ok := in.env[name]
		if ok {
			vars[name] = v
		}
		fromBroken = fromBroken || (!ok && in.broken.names(name))
		return v, ok
	}
	out, err := substituteVars(n.Value, lookup, func(name string) {
		if !in.broken.names(name) {
			in.missingVariable(varPos(in.file, n, name), name)
			unset = append(unset, name)
		}
	})
	c := *n
	switch {
	case fromBroken: // the .env's problem says why
	case err != nil:
		msg, hint := templateProblem(err, n.Value, in.where)
		in.probs = append(in.probs, Problem{Pos: at, Message: msg, Hint: hint})
	case out == n.Value:
		return n
	default:
		if len(vars) > 0 {
			in.used[at] = substitution{written: n.Value, vars: vars}
		}
		if len(unset) > 0 {
			in.unset[&c] = unset
		}
		c.Value = out
		if c.Tag == "!!null" || c.Tag == "" {
			c.Tag = "!!str"
		}
		return &c
	}
	in.failed[&c] = true
	return &c
}

// substituteVars substitutes the variables of s as compose does, calling unset with each
// variable lookup does not have that takes no default.
func substituteVars(s string, lookup template.Mapping, unset func(name string)) (string, error) {
	var missing []string
	mapping := func(name string) (string, bool) {
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		return v, ok
	}
	replace := func(s string, m template.Mapping, cfg *template.Config) (string, error) {
		missing = missing[:0]
		v, applied, err := template.DefaultReplacementAppliedFunc(s, m, cfg)
		if err == nil && !applied {
			for _, name := range missing {
				unset(name)
			}
		}
		return v, err
	}
	return template.SubstituteWithOptions(s, mapping, template.WithoutLogging, template.WithReplacementFunction(replace))
}

// varIndex is the index of the first use of variable name in s, or -1.
func varIndex(s, name string) int {
	if i := strings.Index(s, "${"+name); i >= 0 {
		return i
	}
	return strings.Index(s, "$"+name)
}

// varPos is where variable name is used in scalar n: its column, on a value of one line
// written plain or quoted, else the value's.
func varPos(file string, n *yaml.Node, name string) Position {
	at := Position{File: file, Line: n.Line, Col: n.Column}
	if strings.Contains(n.Value, "\n") || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return at
	}
	if i := varIndex(n.Value, name); i >= 0 && !(n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && strings.ContainsAny(n.Value[:i], "\\'\"")) {
		at.Col += utf8.RuneCountInString(n.Value[:i])
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			at.Col++
		}
	}
	return at
}

// missingVariable warns, once per variable, that it is not set.
func (in *interpolation) missingVariable(at Position, name string) {
	field := "${" + name + "}"
	if slices.ContainsFunc(in.warns, func(w Warning) bool { return w.Field == field }) {
		return
	}
	in.warns = append(in.warns, Warning{Pos: at, Field: field,
		Message: fmt.Sprintf("variable %s is not set, so an empty string is used: set it in the environment or in .env, or write ${%s:-default}", name, name)})
}

// templateProblem says what is wrong with the variables of value, which err (from
// template.Substitute) rejected, and the fix; where names what a .env goes next to.
func templateProblem(err error, value, where string) (msg, hint string) {
	const syntax = "write ${NAME}, ${NAME:-default} or ${NAME:?message}, and $$ for a literal $"
	var req *template.MissingRequiredError
	var bad *template.InvalidTemplateError
	switch {
	case errors.As(err, &req):
		return requiredMessage(req), fmt.Sprintf("set %s in the environment or in a .env file next to %s", req.Variable, where)
	case errors.As(err, &bad):
		return fmt.Sprintf("invalid variable reference in %q", yamlpos.Clip(value)), syntax
	default:
		return fmt.Sprintf("cannot substitute variables in %q: %v", yamlpos.Clip(value), err), syntax
	}
}

// requiredMessage says that the variable a ${NAME:?reason} requires is not set.
func requiredMessage(req *template.MissingRequiredError) string {
	if req.Reason != "" {
		return fmt.Sprintf("variable %s is required but not set (%s)", req.Variable, req.Reason)
	}
	return fmt.Sprintf("variable %s is required but not set", req.Variable)
}

// redact rewrites a problem placed at a substituted value to show the variable's name, never
// its value (a secret misused as a port, say). Values shorter than minRedacted are left: none
// that short is a secret, and replacing it would garble the message.
func (in *interpolation) redact(pos Position, msg, hint *string) {
	const minRedacted = 3
	sub, ok := in.used[pos]
	if !ok {
		return
	}
	names := sortedKeys(sub.vars)
	for _, t := range []*string{msg, hint} {
		s := *t
		for _, name := range names {
			v := sub.vars[name]
			if len(v) < minRedacted {
				continue
			}
			ref := "${" + name + "}"
			quoted := strconv.Quote(v)
			s = strings.ReplaceAll(s, quoted[1:len(quoted)-1], ref)
			s = strings.ReplaceAll(s, v, ref)
			for l := min(len(v), 40); l >= 8; l-- { // cut short by Clip
				if strings.Contains(s, v[:l]+"...") {
					s = strings.ReplaceAll(s, v[:l]+"...", ref+"...")
					break
				}
			}
		}
		*t = s
	}
	if leaks(*msg, sub.vars) || leaks(*hint, sub.vars) {
		// The message took the value apart: say what it was written as instead.
		*msg = fmt.Sprintf("the value written as %q (from variable %s) is not valid here", yamlpos.Clip(sub.written), strings.Join(names, ", "))
		*hint = "check the value of " + strings.Join(names, ", ")
	}
}

// leaks reports whether s still holds eight characters in a row of one of the values.
func leaks(s string, vars map[string]string) bool {
	for _, v := range vars {
		v = v[:min(len(v), 4096)]
		for i := 0; i+8 <= len(v); i++ {
			if strings.Contains(s, v[i:i+8]) {
				return true
			}
		}
	}
	return false
}
