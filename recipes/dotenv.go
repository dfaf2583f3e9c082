package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/template"
)

// brokenEnv is a .env that could not be read or parsed (reported once): the load goes on
// without it. vars are the names its lines assign, so that nothing is reported for want of
// them; path is the file, which a service's env_file naming it is not reported for again.
type brokenEnv struct {
	path string
	vars map[string]bool
}

// names reports whether the broken .env b would have set variable name.
func (b *brokenEnv) names(name string) bool { return b != nil && b.vars[name] }

// is reports whether path is the broken .env.
func (b *brokenEnv) is(path string) bool {
	return b != nil && filepath.Clean(path) == filepath.Clean(b.path)
}

// dotEnv is what reading <Dir>/.env gives: the environment (Options.Env over the file's), the
// problem that it cannot be read or parsed, and warnings about a $ that takes the rest of a
// value for a variable not set (DB_PASSWORD=s3cr$tpass is s3cr, as compose has it).
type dotEnv struct {
	env    map[string]string
	probs  Problems
	warns  []Warning
	broken *brokenEnv
}

func loadDotEnv(opts Options) dotEnv {
	d := dotEnv{env: maps.Clone(opts.Env)}
	if d.env == nil {
		d.env = map[string]string{}
	}
	if !opts.DotEnv {
		return d
	}
	path := filepath.Join(opts.Dir, ".env")
	content, err := opts.readFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d
	case err != nil:
		d.probs = Problems{{Pos: Position{File: path}, Message: fmt.Sprintf("cannot read .env: %v", unwrapPathError(err)), Hint: "fix its permissions or remove it"}}
		d.broken = &brokenEnv{path: path, vars: map[string]bool{}}
		return d
	}
	lines := envLines(content)
	vars, err := parseEnvFile(content, path, "", lookupIn(opts.Env))
	if ef, bad := err.(envFileError); bad {
		d.probs = Problems{dotEnvProblem(path, lines, ef.err, opts.Env)}
		d.broken = &brokenEnv{path: path, vars: map[string]bool{}}
		for _, l := range lines {
			if l.key != "" {
				d.broken.vars[l.key] = true
			}
		}
		return d
	}
	maps.Copy(d.env, vars)
	maps.Copy(d.env, opts.Env) // Env wins
	d.warns = dotEnvUnset(path, lines, opts.Env)
	return d
}

// envLine is an assignment of a .env file as written, NAME=value (or NAME: value), its value
// at col; a quoted value runs from its opening quote to the end of the line.
type envLine struct {
	line, col  int
	key, value string
	name       string // the name as written: the line up to its = or :, else all of it
	unclosed   bool   // a quoted value that no line closes (the lines after it are read as lines)
}

var envName = regexp.MustCompile(`^[A-Za-z0-9_.\-\[\]]+$`)

// envLines reads the assignments of a .env file, line by line, as compose's parser finds
// them: comment and blank lines skipped, "export " dropped, the lines a quoted value goes on
// over skipped. key is empty on a line that is not one (the parser rejects it).
func envLines(content []byte) []envLine {
	var out []envLine
	lines := strings.Split(string(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		rest := strings.TrimLeft(line, " \t")
		if rest == "" || rest[0] == '#' {
			continue
		}
		if r, ok := strings.CutPrefix(rest, "export"); ok && r != "" && (r[0] == ' ' || r[0] == '\t') {
			rest = strings.TrimLeft(r, " \t")
		}
		k := strings.IndexAny(rest, "=:")
		if k < 0 {
			out = append(out, envLine{line: i + 1, col: 1, name: rest})
			continue
		}
		key := strings.TrimRight(rest[:k], " \t")
		value := strings.TrimLeft(rest[k+1:], " \t")
		l := envLine{line: i + 1, col: utf8.RuneCountInString(line[:len(line)-len(value)]) + 1, value: value, name: rest[:k]}
		if envName.MatchString(key) {
			l.key = key
		}
		if q := value; q != "" && (q[0] == '"' || q[0] == '\'') && closingQuote(q) < 0 {
			l.unclosed = true
			for j := i + 1; j < len(lines); j++ { // the value goes on to the line with the closing quote
				if closingQuote(string(q[0])+lines[j]) >= 0 {
					l.unclosed, i = false, j
					break
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// closingQuote is the index of the quote that closes the quoted value s (s[0] is the
// opening quote), or -1.
func closingQuote(s string) int {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch {
		case escaped:
			escaped = false
		case s[i] == '\\':
			escaped = true
		case s[i] == s[0]:
			return i
		}
	}
	return -1
}

// substituted is the part of value compose substitutes variables in, and its offset: a
// double-quoted value's inside, an unquoted one up to a " #" comment; none (ok false) for a
// single-quoted value, or a quoted one over several lines.
func substituted(value string) (s string, offset int, ok bool) {
	if value == "" {
		return "", 0, true
	}
	switch value[0] {
	case '\'':
		return "", 0, false
	case '"':
		end := closingQuote(value)
		if end < 0 {
			return "", 0, false
		}
		return value[1:end], 1, true
	}
	s, _, _ = strings.Cut(value, " #")
	return strings.TrimRight(s, " \t"), 0, true
}

// dotEnvSubstitute substitutes the variables of l's value as compose's parser does (env, then
// the lines before it), calling unset for each one not set that takes no default.
func dotEnvSubstitute(l envLine, env map[string]string, before map[string]bool, unset func(name string)) error {
	s, _, ok := substituted(l.value)
	if !ok || !strings.Contains(s, "$") {
		return nil
	}
	_, err := substituteVars(s, func(name string) (string, bool) {
		if _, ok := env[name]; ok || before[name] {
			return "x", true
		}
		return "", false
	}, unset)
	return err
}

// varCol is the column of the first use of variable name in l's value, else the value's.
func varCol(l envLine, name string) int {
	s, offset, _ := substituted(l.value)
	i := varIndex(s, name)
	if i < 0 {
		return l.col
	}
	return l.col + utf8.RuneCountInString(l.value[:offset]) + utf8.RuneCountInString(s[:i])
}

// dotEnvUnset warns about each variable a value of the .env uses, not set and without a
// default: compose uses an empty string (and warns); mostly it is a literal $, in a password.
func dotEnvUnset(path string, lines []envLine, env map[string]string) []Warning {
	var out []Warning
	before := map[string]bool{}
	for _, l := range lines {
		if l.key == "" {
			continue
		}
		_ = dotEnvSubstitute(l, env, before, func(name string) {
			out = append(out, Warning{Pos: Position{File: path, Line: l.line, Col: varCol(l, name)}, Field: "${" + name + "}",
				Message: fmt.Sprintf("variable %s is not set, so the value of %s has an empty string in its place: for a literal $, write $$ or put the value in single quotes (%s='…'); else set %s", name, l.key, l.key, name)})
		})
		before[l.key] = true
	}
	return out
}

// envNameFault says what compose's parser rejects in name, a .env line up to its = or :: the
// first character a name cannot hold, quoted (it takes letters and digits of any script,
// _ . - [ ], and skips spaces), else that it holds a space. Both empty: it takes the name.
func envNameFault(name string) (char string, space bool) {
	for _, r := range name {
		switch {
		case r == '\t' || r == '\v' || r == '\f' || r == '\r' || r == ' ' || r == 0x85 || r == 0xA0:
		case strings.ContainsRune("_.-[]", r) || unicode.IsLetter(r) || unicode.IsNumber(r):
		default:
			return strconv.Quote(string(r)), false
		}
	}
	return "", strings.Contains(strings.TrimRightFunc(name, unicode.IsSpace), " ")
}

// dotEnvProblem is the problem of a .env compose's parser rejected with err, placed at its
// line (a variable reference's found by substituting the lines again), with a fix.
func dotEnvProblem(path string, lines []envLine, err error, env map[string]string) Problem {
	p := Problem{Pos: Position{File: path}}
	var req *template.MissingRequiredError
	var inv *template.InvalidTemplateError
	if errors.As(err, &req) || errors.As(err, &inv) {
		before := map[string]bool{}
		for _, l := range lines {
			if l.key != "" && dotEnvSubstitute(l, env, before, func(string) {}) != nil {
				p.Pos.Line, p.Pos.Col = l.line, l.col
				if req != nil {
					p.Pos.Col = varCol(l, req.Variable)
				}
				break
			}
			before[l.key] = true
		}
		if req != nil {
			p.Message = requiredMessage(req)
			p.Hint = fmt.Sprintf("set %s in the environment or on a line above this one; for a literal $, write $$ or put the value in single quotes", req.Variable)
			return p
		}
		p.Message = fmt.Sprintf("invalid variable reference %s", strconv.Quote(inv.Template))
		p.Hint = "write ${NAME}, ${NAME:-default} or ${NAME:?message}; for a literal $, write $$ or put the value in single quotes"
		return p
	}
	// Anything else is found again, line by line as the parser reads them (its message is
	// not read back): the first name it rejects, or quoted value no line closes.
	for _, l := range lines {
		char, space := envNameFault(l.name)
		at := Position{File: path, Line: l.line, Col: 1}
		switch {
		case char != "": // not the line: it may hold a secret
			return Problem{Pos: at, Message: "this line is not NAME=value: a variable's name cannot hold the character " + char,
				Hint: "a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment"}
		case space:
			return Problem{Pos: at, Message: "this line is not NAME=value: a variable's name cannot hold a space",
				Hint: "write NAME=value, or start the line with # to make it a comment"}
		case l.unclosed:
			at.Col = l.col // where it opens
			return Problem{Pos: at, Message: "the quoted value is not closed",
				Hint: `end it with the quote it starts with (write \" for a " inside double quotes)`}
		}
	}
	p.Message = ".env is not a valid env file: " + err.Error()
	p.Hint = "write one NAME=value per line; # starts a comment"
	return p
}
