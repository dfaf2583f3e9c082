package recipes

// The compose importer: a compose file, loaded by compose-go, becomes an un-normalised Stack.
// Services that share a network namespace become one pod; docs/import.md says how every
// field maps and which service of a pod is main.

import (
	"bytes"
	"context"
	"fmt"
	"github.com/sidecar-dev/sidecar/internal/suggest"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v3"
)

// composeImport is one compose import in progress.
type composeImport struct {
	file     string
	content  []byte
	opts     Options
	pos      *Positions
	dir      string
	readFile func(string) ([]byte, error)
	root     *yaml.Node        // the document's top mapping
	env      map[string]string // interpolation variables: .env, then Options.Env
	missing  map[string]bool   // variables used but not set
	problems Problems
	warnings []Warning
	// infra holds the services that are a pod's infra container (not imported).
	infra map[string]bool
}

// loadCompose imports a compose file: a stack, or the problems.
func loadCompose(f File, opts Options, pos *Positions) (*Stack, []Warning, error) {
	return importCompose(f, opts, pos).strict()
}

// importCompose imports a compose file. Relative paths (build contexts, bind mounts, env
// files) stay relative to the returned Stack.Dir, which is Options.Dir or the file's
// directory.
func importCompose(f File, opts Options, pos *Positions) importResult {
	c := &composeImport{
		file:     f.Name,
		content:  f.Content,
		opts:     opts,
		pos:      pos,
		dir:      impDir(f.Name, opts.Dir),
		readFile: opts.ReadFile,
		missing:  map[string]bool{},
	}
	if c.readFile == nil {
		c.readFile = os.ReadFile
	}
	st := c.run()
	impSortWarnings(c.warnings)
	if len(c.problems) > 0 {
		st = nil
	}
	return importResult{stack: st, warnings: c.warnings, problems: c.problems}
}

func (c *composeImport) problem(pos Position, msg, hint string) {
	c.problems = append(c.problems, Problem{Pos: pos, Message: msg, Hint: hint})
}

// warn records a warning about field (a dotted compose path) at pos; msg follows the field.
func (c *composeImport) warn(pos Position, field, msg string) {
	c.warnings = append(c.warnings, Warning{Pos: pos, Field: field, Message: field + ": " + msg})
}

// keyAt is the position of the key (or list item) at path, or of its nearest ancestor.
func (c *composeImport) keyAt(parts ...string) Position {
	for i := len(parts); i > 0; i-- {
		if n := impFind(c.root, parts[:i]); n != nil {
			return impPos(c.file, n)
		}
	}
	return Position{File: c.file}
}

// at is the position of the value at path, or of its nearest ancestor's key.
func (c *composeImport) at(parts ...string) Position {
	if v, ok := impWalk(c.root, parts...); ok && v != nil {
		return impPos(c.file, v)
	}
	return c.keyAt(parts...)
}

func (c *composeImport) run() *Stack {
	docs, perr := impParseDocs(c.file, c.content)
	if perr != nil {
		c.problems = append(c.problems, *perr)
		return nil
	}
	if len(docs) == 0 || impIsNull(docs[0]) {
		c.problem(Position{File: c.file}, "the compose file is empty", "declare at least one service under services:")
		return nil
	}
	if len(docs) > 1 {
		c.problem(impPos(c.file, docs[1]), "a compose file holds one YAML document, and this is a second one",
			"put each document in a file of its own")
		return nil
	}
	c.root = impDeref(docs[0])
	if c.root.Kind != yaml.MappingNode {
		c.problem(impPos(c.file, c.root), fmt.Sprintf("the top level of a compose file must be a mapping (services:, volumes:, …), not %s", impKindName(c.root)), "")
		return nil
	}
	c.env = c.environment()
	if c.unknownKeys() || c.externalFiles() {
		return nil
	}
	top := c.topX()
	name := c.stackName()
	project, findings := c.loadProject(name)
	if project == nil {
		return nil
	}
	st := c.convert(project, name)
	c.reportUnsupported(findings)
	if top != nil && top.Backoff != nil {
		st.Backoff = *top.Backoff
	}
	c.reportMissing()
	return st
}

// environment is the interpolation environment: <dir>/.env when asked for, overridden by
// Options.Env. The process environment is never read. A .env that cannot be read or parsed
// is left out here: Load reports it, once, for every kind of file.
func (c *composeImport) environment() map[string]string {
	env := map[string]string{}
	if c.opts.DotEnv {
		if b, err := c.readFile(filepath.Join(c.dir, ".env")); err == nil {
			vars, err := dotenv.ParseWithLookup(bytes.NewReader(b), func(k string) (string, bool) {
				v, ok := c.opts.Env[k]
				return v, ok
			})
			if err == nil {
				maps.Copy(env, vars)
			}
		}
	}
	maps.Copy(env, c.opts.Env)
	return env
}

func (c *composeImport) lookup(name string) (string, bool) {
	v, ok := c.env[name]
	return v, ok
}

// stackName is Options.Name, else the file's name:, else the directory's name made a DNS
// label.
func (c *composeImport) stackName() string {
	if c.opts.Name != "" {
		return c.opts.Name
	}
	if k, v := impLookup(c.root, "name"); k != nil {
		if s, ok := impScalar(v); ok && s != "" {
			if out, err := c.interpolate(s); err == nil && out != "" {
				c.pos.Set("name", impPos(c.file, impDeref(v)))
				return out
			}
		}
	}
	return impDNSLabel(filepath.Base(c.dir))
}

// substitute interpolates one string for compose-go, recording unset variables instead of
// logging them.
func (c *composeImport) substitute(tmpl string, mapping template.Mapping) (string, error) {
	return template.SubstituteWithOptions(tmpl, mapping, template.WithoutLogging, template.WithReplacementFunction(c.replace))
}

func (c *composeImport) interpolate(s string) (string, error) {
	return c.substitute(s, c.lookup)
}

// replace substitutes one match of the template pattern. A braced match may run on past its
// closing brace (the pattern is greedy); the rest is substituted here too, so that every
// variable goes through this function.
func (c *composeImport) replace(s string, mapping template.Mapping, cfg *template.Config) (string, error) {
	if i := composeBraceEnd(s); i >= 0 && i+1 < len(s) {
		head, err := c.replace(s[:i+1], mapping, cfg)
		if err != nil {
			return "", err
		}
		tail, err := c.substitute(s[i+1:], mapping)
		return head + tail, err
	}
	v, applied, err := template.DefaultReplacementAppliedFunc(s, mapping, cfg)
	if err == nil && !applied {
		if name := strings.Trim(s, "${}"); name != "" {
			c.missing[name] = true
		}
	}
	return v, err
}

// composeBraceEnd is the index of the brace closing a "${" at the start of s, or -1.
func composeBraceEnd(s string) int {
	if !strings.HasPrefix(s, "${") {
		return -1
	}
	depth := 0
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// reportMissing warns once for each variable that was used but not set.
func (c *composeImport) reportMissing() {
	names := make([]string, 0, len(c.missing))
	for n := range c.missing {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c.warnings = append(c.warnings, Warning{
			Pos:     c.varPos(n),
			Field:   "${" + n + "}",
			Message: fmt.Sprintf("variable %s is not set, so it stands for an empty string: set it in the environment or in .env", n),
		})
	}
}

// varPos is where variable name is first used in the file.
func (c *composeImport) varPos(name string) Position {
	re, err := regexp.Compile(`\$\{` + regexp.QuoteMeta(name) + `\b|\$` + regexp.QuoteMeta(name) + `\b`)
	if err != nil {
		return Position{File: c.file}
	}
	for i, line := range strings.Split(string(c.content), "\n") {
		if loc := re.FindStringIndex(line); loc != nil {
			return Position{File: c.file, Line: i + 1, Col: utf8.RuneCountInString(line[:loc[0]]) + 1}
		}
	}
	return Position{File: c.file}
}

// composeProjectName is name as compose-go accepts a project name.
func composeProjectName(name string) string {
	if n := loader.NormalizeProjectName(name); n != "" {
		return n
	}
	return "sidecar"
}

// loadProject loads the file with compose-go: schema validation, interpolation, extends and
// include, canonical forms. It does not normalise (implicit depends_on would hide which
// dependencies were written), resolve paths, read env files (done here through
// Options.ReadFile) or check consistency (done here, with positions).
func (c *composeImport) loadProject(name string) (project *types.Project, findings []loader.UnsupportedAttribute) {
	// compose-go parses the content itself, so that its own YAML tags (!reset, !override)
	// keep their meaning. The obsolete version: key is blanked out of that copy (line numbers
	// kept) because compose-go would log about it on stderr; the warning is ours instead.
	content := c.content
	if k, _ := impLookup(c.root, "version"); k != nil {
		c.warn(impPos(c.file, k), "version", "the attribute is obsolete and ignored (as docker compose does)")
		content = composeBlankTopKey(c.content, c.root, "version")
	}
	details := types.ConfigDetails{
		WorkingDir:  c.dir,
		ConfigFiles: []types.ConfigFile{{Filename: c.file, Content: content}},
		Environment: types.Mapping(maps.Clone(c.env)),
	}
	defer func() {
		if r := recover(); r != nil {
			project = nil
			c.problem(Position{File: c.file}, fmt.Sprintf("compose-go failed on this file (%v)", r),
				"this is a bug in sidecar or compose-go: please report it with the file")
		}
	}()
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(composeProjectName(name), true)
		o.SkipNormalization = true
		o.ResolvePaths = false
		o.SkipConsistencyCheck = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.Profiles = []string{"*"}
		if o.Interpolate != nil {
			o.Interpolate.Substitute = c.substitute
		}
		o.UnsupportedAttributesCheck = &loader.UnsupportedAttributesCheck{
			Supported: composeSupported(),
			Report:    func(fs []loader.UnsupportedAttribute) { findings = fs },
		}
	})
	if err != nil {
		c.loadErrors(err)
		return nil, nil
	}
	return p, findings
}

// loadErrors turns compose-go's errors into problems, each placed at the path it names.
func (c *composeImport) loadErrors(err error) {
	var errs []error
	var flatten func(error)
	flatten = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				flatten(x)
			}
			return
		}
		errs = append(errs, e)
	}
	flatten(err)
	for _, e := range errs {
		c.problems = append(c.problems, c.loadProblem(e.Error()))
	}
}

var (
	composeValidating = regexp.MustCompile(`^validating [^\n]*?: `)
	composeErrPath    = regexp.MustCompile(`(?:^|[\s'"(])((?:services|volumes|networks|secrets|configs|include|name|models|jobs)(?:\.[^\s'":]+)?)`)
	composeAddlProp   = regexp.MustCompile(`additional propert(?:y|ies) (.+) not allowed`)
	composeFalse      = regexp.MustCompile(`^(\S+) false schema$`)
	composeQuoted     = regexp.MustCompile(`'([^']*)'`)
)

// loadProblem places one compose-go error message at the compose path it names.
func (c *composeImport) loadProblem(msg string) Problem {
	msg = composeValidating.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, "\n", " ")
	msg = strings.NewReplacer(" a array", " a list", " a object", " a mapping").Replace(msg)
	p := Problem{Pos: Position{File: c.file}, Message: msg}
	if all := impLineCol.FindAllStringSubmatch(msg, -1); all != nil && strings.HasPrefix(msg, "failed to parse ") {
		// A YAML error found by compose-go's own parser.
		last := all[len(all)-1]
		p.Pos.Line, _ = strconv.Atoi(last[1])
		p.Pos.Col, _ = strconv.Atoi(last[2])
		p.Message = "invalid YAML: " + msg[strings.LastIndex(msg, last[0])+len(last[0]):]
		return p
	}
	if fm := composeFalse.FindStringSubmatch(msg); fm != nil {
		// The schema allows nothing at this path: it is a key the specification does not know.
		parts := strings.Split(fm[1], ".")
		return c.unknownKey(parts[:len(parts)-1], impFind(c.root, parts))
	}
	m := composeErrPath.FindStringSubmatch(msg)
	if m == nil {
		return p
	}
	parts := strings.Split(strings.TrimSuffix(m[1], "."), ".")
	p.Pos = c.keyAt(parts...)
	if v, ok := impWalk(c.root, parts...); ok && v != nil && v.Kind == yaml.ScalarNode {
		p.Pos = impPos(c.file, v)
	}
	if am := composeAddlProp.FindStringSubmatch(msg); am != nil {
		var unknown []string
		for _, q := range composeQuoted.FindAllStringSubmatch(am[1], -1) {
			unknown = append(unknown, q[1])
		}
		if len(unknown) > 0 {
			return c.unknownKey(parts, impFind(c.root, append(parts, unknown[0])))
		}
	}
	return p
}

// unknownKey is the problem of key node k, unknown below parent.
func (c *composeImport) unknownKey(parent []string, k *yaml.Node) Problem {
	name, _ := impScalar(k)
	p := Problem{Pos: impPos(c.file, k), Message: fmt.Sprintf("unknown key %q in %s", name, impOr(strings.Join(parent, "."), "the top level"))}
	if sug := suggest.DidYouMean(name, composeKeysAt(parent)); sug != "" {
		p.Hint = sug
	} else {
		p.Hint = "remove it, or prefix it with x- to keep it as an extension"
	}
	if k == nil {
		p.Pos = c.keyAt(parent...)
	}
	return p
}

// unknownKeys reports every key of the top level and of each service that the compose
// specification does not know, all at once (compose-go stops at the first). It reports
// whether there were any.
func (c *composeImport) unknownKeys() bool {
	before := len(c.problems)
	check := func(m *yaml.Node, parent []string) {
		known := composeKeysAt(parent)
		for _, p := range impPairs(m) {
			if strings.HasPrefix(p.Key.Value, "x-") || slices.Contains(known, p.Key.Value) {
				continue
			}
			c.problems = append(c.problems, c.unknownKey(parent, p.Key))
		}
	}
	check(c.root, nil)
	for _, p := range impPairs(impValue(c.root, "services")) {
		if v := impDeref(p.Value); v != nil && v.Kind == yaml.MappingNode {
			check(v, []string{"services", p.Key.Value})
		}
	}
	return len(c.problems) > before
}

// externalFiles checks the files compose-go reads from disk by itself (include, extends.file
// and their env files): each must be a regular file, found through Options.Stat, so that a
// path to a device or a pipe can never hang a load. It reports whether there were problems.
func (c *composeImport) externalFiles() bool {
	before := len(c.problems)
	stat := c.opts.stat()
	check := func(n *yaml.Node, what string) {
		v, ok := impScalar(n)
		if !ok || v == "" {
			return
		}
		p, err := c.interpolate(v)
		if err != nil {
			return // compose-go reports the bad template
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.dir, p)
		}
		fi, err := stat(p)
		switch {
		case err != nil:
			c.problem(impPos(c.file, impDeref(n)), fmt.Sprintf("%s %s cannot be read: %v", what, v, unwrapPathError(err)), "check the path; it is relative to the compose file's directory")
		case !fi.Mode().IsRegular():
			c.problem(impPos(c.file, impDeref(n)), fmt.Sprintf("%s %s is not a regular file", what, v), "name a compose file")
		}
	}
	checkAll := func(n *yaml.Node, what string) {
		if n = impDeref(n); n != nil && n.Kind == yaml.SequenceNode {
			for _, item := range n.Content {
				check(item, what)
			}
			return
		}
		check(n, what)
	}
	for _, inc := range impItems(impValue(c.root, "include")) {
		if impDeref(inc).Kind == yaml.MappingNode {
			checkAll(impValue(inc, "path"), "included file")
			checkAll(impValue(inc, "env_file"), "env file")
			continue
		}
		check(inc, "included file")
	}
	for _, p := range impPairs(impValue(c.root, "services")) {
		check(impValue(impValue(p.Value, "extends"), "file"), "extended file")
	}
	return len(c.problems) > before
}

// composeBlankTopKey returns content with the lines of top-level key blanked (kept as empty
// lines, so positions do not move), or content itself when the key does not sit on lines of
// its own.
func composeBlankTopKey(content []byte, root *yaml.Node, key string) []byte {
	if root.Style&yaml.FlowStyle != 0 {
		return content
	}
	pairs := impPairs(root)
	first, end := 0, 0
	for i, p := range pairs {
		if p.Key.Value != key {
			continue
		}
		first, end = p.Key.Line, 0
		if i+1 < len(pairs) {
			end = pairs[i+1].Key.Line // blank up to the next key's line, excluded
		}
		break
	}
	if first == 0 {
		return content
	}
	lines := bytes.SplitAfter(content, []byte("\n"))
	out := make([]byte, 0, len(content))
	for i, l := range lines {
		n := i + 1
		if n >= first && (end == 0 || n < end) {
			if n == first || bytes.HasPrefix(l, []byte(" ")) || bytes.HasPrefix(l, []byte("\t")) || len(bytes.TrimSpace(l)) == 0 || bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
				if bytes.HasSuffix(l, []byte("\n")) {
					out = append(out, '\n')
				}
				continue
			}
		}
		out = append(out, l...)
	}
	return out
}
