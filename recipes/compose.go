package recipes

// The compose importer: a compose file, loaded by compose-go, becomes an un-normalised Stack.
// Services that share a network namespace become one pod; docs/import.md says how every
// field maps and which service of a pod is main.

import (
	"bytes"
	"context"
	"errors"
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

	// prune holds the nodes found wrong (and reported), which compose-go does not get to
	// read, so that it loads the rest; rejected lists their paths, and for an unknown key
	// the path of the field it is likely a typo of.
	prune    *impPrune
	rejected [][]string
	// bad marks the model fields made from rejected nodes: validation skips them.
	bad map[string]bool
	// lost is set when a service could not be made a container of a pod: the stack is then
	// incomplete, and is not validated (what is missing would be reported as problems).
	lost bool
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
		prune:    newImpPrune(false),
		bad:      map[string]bool{},
	}
	if c.readFile == nil {
		c.readFile = os.ReadFile
	}
	st := c.run()
	impSortWarnings(c.warnings)
	if c.lost || (st != nil && len(st.Pods) == 0 && len(c.problems) > 0) {
		st = nil
	}
	return importResult{stack: st, warnings: c.warnings, problems: c.problems, bad: c.bad}
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
		c.problem(impPos(c.file, c.root), fmt.Sprintf("the top level of a compose file must be a mapping (services:, volumes:, …), not %s", impKindName(c.root)),
			"start the file with services:, and the services below it, e.g. services: {web: {image: nginx}}")
		return nil
	}
	c.env = c.environment()
	c.unknownKeys()
	// include and extends name files compose-go reads by itself: when one cannot be read,
	// the services it brings are unknown, and nothing more can be checked (a reference to
	// one of them would be reported as a problem of its own).
	if c.externalFiles() {
		return nil
	}
	c.checkNodes()
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

// composeMaxRounds bounds the loads of one file: each round that fails places its problem
// and leaves it out, so a file with more problems than this stops with the ones found.
const composeMaxRounds = 100

// loadProject loads the file with compose-go: schema validation, interpolation, extends and
// include, canonical forms. It does not normalise (implicit depends_on would hide which
// dependencies were written), resolve paths, read env files (done here through
// Options.ReadFile) or check consistency (done here, with positions).
//
// compose-go stops at the first problem it finds. Each one is placed, reported and left
// out of what compose-go reads (with what the checks before rejected), and the file is
// loaded again, until it loads: the project then holds everything that was right, for the
// conversion to check, and c.root becomes the nodes compose-go read (the same positions).
func (c *composeImport) loadProject(name string) (*types.Project, []loader.UnsupportedAttribute) {
	versionKey, _ := impLookup(c.root, "version")
	if versionKey != nil {
		c.warn(impPos(c.file, versionKey), "version", "the attribute is obsolete and ignored (as docker compose does)")
	}
	for range composeMaxRounds {
		// compose-go parses the content itself, so that its own YAML tags (!reset,
		// !override) keep their meaning. The obsolete version: key is left out of it
		// (blanked, so that line numbers stay, when nothing else is) because compose-go
		// would log about it on stderr; the warning is ours instead.
		content, root := c.content, c.root
		if c.prune.rejected() {
			if versionKey != nil {
				c.prune.dropKey[versionKey] = true
			}
			root = c.prune.copyTree(c.root)
			b, err := yaml.Marshal(root)
			if err != nil {
				c.problem(impPos(c.file, c.root), fmt.Sprintf("the file cannot be read again without its problems (%v)", err), "fix the problems above")
				return nil, nil
			}
			content = b
		} else if versionKey != nil {
			content = composeBlankTopKey(c.content, c.root, "version")
		}
		p, findings, err := c.loadOnce(content, name)
		if err == nil {
			c.root = root
			return p, findings
		}
		if !c.loadErrors(err, root, root != c.root) {
			return nil, nil
		}
	}
	c.problem(impPos(c.file, c.root), "the file has more problems than are listed here (sidecar stops looking after a while)", "fix these, then check the file again")
	return nil, nil
}

// composePanic is a panic of compose-go, recovered.
type composePanic struct{ v any }

func (p composePanic) Error() string { return fmt.Sprintf("compose-go failed on this file (%v)", p.v) }

// loadOnce runs compose-go once on content.
func (c *composeImport) loadOnce(content []byte, name string) (project *types.Project, findings []loader.UnsupportedAttribute, err error) {
	details := types.ConfigDetails{
		WorkingDir:  c.dir,
		ConfigFiles: []types.ConfigFile{{Filename: c.file, Content: content}},
		Environment: types.Mapping(maps.Clone(c.env)),
	}
	defer func() {
		if r := recover(); r != nil {
			project, err = nil, composePanic{r}
		}
	}()
	project, err = loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
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
	return project, findings, err
}

// loadErrors turns compose-go's errors into problems, each placed at the node it is about
// in root (the tree compose-go read), and leaves those nodes out of the next load. It
// reports whether loading again can find more: not when an error could not be placed.
//
// When the content compose-go read was written from the nodes (rewritten), the lines in
// its YAML errors are not the file's.
func (c *composeImport) loadErrors(err error, root *yaml.Node, rewritten bool) bool {
	var panicked composePanic
	if errors.As(err, &panicked) {
		c.problem(impPos(c.file, root), panicked.Error(), "this is a bug in sidecar or compose-go: please report it with the file")
		return false
	}
	var msgs []string
	var flatten func(error)
	flatten = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				flatten(x)
			}
			return
		}
		msg := e.Error()
		// mapstructure lists every field it could not decode, one per line.
		if head, list, ok := strings.Cut(msg, "decoding failed due to the following error(s):"); ok && strings.TrimSpace(head) == "" {
			for _, line := range strings.Split(list, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					msgs = append(msgs, line)
				}
			}
			return
		}
		msgs = append(msgs, msg)
	}
	flatten(err)
	progress := len(msgs) > 0
	for _, msg := range msgs {
		placed := c.loadProblem(msg, root, rewritten)
		c.problems = append(c.problems, placed.problems...)
		if len(placed.reject) == 0 {
			progress = false
		}
		for _, r := range placed.reject {
			n := c.prune.original(r.node)
			if c.isRejected(n) || c.prune.dropKey[n] || n == c.root {
				progress = false
				continue
			}
			c.reject(n, r.key, r.parts)
		}
	}
	return progress
}

var (
	composeValidating = regexp.MustCompile(`^validating [^\n]*?: `)
	composeErrPath    = regexp.MustCompile(`(?:^|[\s'"(])((?:services|volumes|networks|secrets|configs|include|name|models|jobs|x-[^.\s]*)(?:[.\[][^\s'":]*)?)`)
	composeAddlProp   = regexp.MustCompile(`additional propert(?:y|ies) (.+) not allowed`)
	composeFalse      = regexp.MustCompile(`^(\S+) false schema$`)
	composeQuoted     = regexp.MustCompile(`'([^']*)'`)
	composeMapErr     = regexp.MustCompile(`^'([^']+)' (.*)$`)
	composeDupKey     = regexp.MustCompile(`line (\d+): mapping key "(.*)" already defined at line (\d+)`)
	composeMustBe     = regexp.MustCompile(`^(\S*) must be an? (.+)$`)
	composeOneOf      = regexp.MustCompile(`value must be one of (.+)$`)
	composeMissing    = regexp.MustCompile(`missing propert(?:y|ies) (.+)$`)
	composeAtLeast    = regexp.MustCompile(`must be greater than or equal to (\S+)$`)
	composeBadValue   = regexp.MustCompile(`parsing "((?:[^"\\]|\\.)*)": |invalid boolean: (.*)$`)
	composeCast       = regexp.MustCompile(`failed to cast to expected type: (?:strconv\.(Atoi|ParseInt|ParseUint|ParseFloat)|(invalid boolean))`)
)

// composePlaced is one compose-go error, placed: its problems and the nodes to leave out.
type composePlaced struct {
	problems Problems
	reject   []composeRejectNode
}

type composeRejectNode struct {
	node  *yaml.Node
	key   bool
	parts []string
}

// loadProblem places one compose-go error message at the node of root it names.
func (c *composeImport) loadProblem(msg string, root *yaml.Node, rewritten bool) composePlaced {
	msg = composeValidating.ReplaceAllString(msg, "")
	msg = strings.ReplaceAll(msg, "\n", " ")
	msg = strings.NewReplacer(" a array", " a list", " a object", " a mapping").Replace(msg)
	top := impPos(c.file, root)
	p := Problem{Pos: top, Message: msg, Hint: "check it against the compose specification, https://docs.docker.com/reference/compose-file/"}
	one := func(p Problem) composePlaced { return composePlaced{problems: Problems{p}} }
	if strings.HasPrefix(msg, "failed to parse ") && rewritten {
		// Not a problem of the file as written (that would have been found in it first).
		p.Message = "the file cannot be read again without the problems found in it (" + msg + ")"
		p.Hint = "fix those problems, then check the file again"
		return one(p)
	}
	if all := impLineCol.FindAllStringSubmatch(msg, -1); all != nil && strings.HasPrefix(msg, "failed to parse ") {
		// A YAML error found by compose-go's own parser.
		last := all[len(all)-1]
		p.Pos.Line, _ = strconv.Atoi(last[1])
		p.Pos.Col, _ = strconv.Atoi(last[2])
		p.Message = "invalid YAML: " + msg[strings.LastIndex(msg, last[0])+len(last[0]):]
		p.Hint = "check the indentation and quoting around that place"
		return one(p)
	}
	if m := composeDupKey.FindStringSubmatch(msg); m != nil {
		// Only the first load reads the file as written, so the lines are the file's.
		line, _ := strconv.Atoi(m[1])
		if k := impKeyAtLine(root, m[2], line); k != nil {
			return composePlaced{
				problems: Problems{{Pos: impPos(c.file, k), Message: fmt.Sprintf("key %q is written twice (first at line %s)", clip(m[2]), m[3]), Hint: "remove one of them"}},
				reject:   []composeRejectNode{{node: k, key: true}},
			}
		}
		return one(p)
	}
	if fm := composeFalse.FindStringSubmatch(msg); fm != nil {
		// The schema allows nothing at this path: it is a key the specification does not know.
		parts := composeErrParts(fm[1])
		k := impFind(root, parts)
		up := c.unknownKey(parts[:len(parts)-1], k)
		if k == nil {
			return one(up)
		}
		return composePlaced{problems: Problems{up}, reject: []composeRejectNode{{node: k, key: true, parts: parts}}}
	}
	var rest string
	var parts []string
	if m := composeMapErr.FindStringSubmatch(msg); m != nil {
		parts, rest = composeErrParts(m[1]), m[2]
		msg = composePath(parts) + ": " + rest
		p.Message = msg
	} else if m := composeErrPath.FindStringSubmatch(msg); m != nil {
		parts = composeErrParts(m[1])
		rest = strings.TrimLeft(msg[strings.Index(msg, m[1])+len(m[1]):], " :")
	} else {
		return one(p) // no place named: the top of the file
	}
	bad := ""
	if bm := composeBadValue.FindStringSubmatch(msg); bm != nil {
		bad = bm[1] + bm[2]
		if u, err := strconv.Unquote(`"` + bm[1] + `"`); err == nil && bm[1] != "" {
			bad = u
		}
	}
	n, key, at, full := c.resolve(root, parts, bad)
	if len(at) == 0 {
		return one(p)
	}
	field := composePath(at)
	switch {
	case n.Kind == yaml.ScalarNode || key == nil:
		p.Pos = impPos(c.file, n)
	default:
		p.Pos = impPos(c.file, key)
	}
	if am := composeAddlProp.FindStringSubmatch(rest); am != nil && full {
		var out composePlaced
		for _, q := range composeQuoted.FindAllStringSubmatch(am[1], -1) {
			k := impFind(n, []string{q[1]})
			out.problems = append(out.problems, c.unknownKey(at, k))
			if k != nil {
				out.reject = append(out.reject, composeRejectNode{node: k, key: true, parts: composeJoin(at, q[1])})
			}
		}
		if len(out.problems) > 0 {
			return out
		}
	}
	// The message names the field as the path was followed (services.web.cap_add[0]).
	if token := m0(composeErrPath.FindStringSubmatch(msg)); token != "" {
		p.Message = strings.Replace(p.Message, token, field, 1)
	}
	name := at[len(at)-1] // the field's name: the last part that is not a list index
	for i := len(at) - 1; i > 0; i-- {
		if _, err := strconv.Atoi(at[i]); err != nil {
			name = at[i]
			break
		}
	}
	p.Message = strings.TrimSpace(strings.TrimPrefix(p.Message, "error while interpolating"))
	switch {
	case strings.Contains(rest, "is missing a mount target"):
		p.Hint = "add target: the path in the container to mount it at"
	case strings.Contains(rest, "unexpected type") || strings.Contains(rest, "invalid type"):
		p.Hint = "write it as the compose specification shows for " + name + ", https://docs.docker.com/reference/compose-file/"
	}
	if cm := composeCast.FindStringSubmatch(rest); cm != nil && full {
		v, _ := c.scalar(n)
		switch {
		case cm[2] != "":
			p.Message, p.Hint = fmt.Sprintf("%s must be true or false, not %q", field, clip(v)), "write true or false"
		case cm[1] == "ParseFloat":
			p.Message, p.Hint = fmt.Sprintf("%s must be a number, not %q", field, clip(v)), "write a number without quotes, like 0.5"
		default:
			p.Message, p.Hint = fmt.Sprintf("%s must be a whole number, not %q", field, clip(v)), "write a whole number without quotes, like 2"
		}
	}
	if full {
		switch m := composeMustBe.FindStringSubmatch(strings.TrimSpace(composePath(parts) + " " + rest)); {
		case m != nil && !strings.Contains(m[2], "greater") && !strings.Contains(m[2], "less"):
			p.Message = fmt.Sprintf("%s must be a %s, not %s", field, m[2], impKindName(n))
			p.Hint = composeTypeHint(name, m[2])
		case composeOneOf.MatchString(rest):
			var valid []string
			for _, q := range composeQuoted.FindAllStringSubmatch(composeOneOf.FindStringSubmatch(rest)[1], -1) {
				valid = append(valid, q[1])
			}
			v, _ := c.scalar(n)
			p.Message = fmt.Sprintf("%s is %s, which is not one of the values it takes", field, impDescribe(&yaml.Node{Kind: yaml.ScalarNode, Value: v}))
			p.Hint = "use one of " + strings.Join(valid, ", ")
			if s := suggest.DidYouMean(v, valid); s != "" {
				p.Hint = s + " (" + p.Hint + ")"
			}
		case composeMissing.MatchString(rest):
			var missing []string
			for _, q := range composeQuoted.FindAllStringSubmatch(composeMissing.FindStringSubmatch(rest)[1], -1) {
				missing = append(missing, q[1])
			}
			p.Message = fmt.Sprintf("%s has no %s", field, strings.Join(missing, " and "))
			p.Hint = "add " + strings.Join(missing, ": …, ") + ": …"
		case composeAtLeast.MatchString(rest):
			p.Message = fmt.Sprintf("%s must be at least %s", field, composeAtLeast.FindStringSubmatch(rest)[1])
			p.Hint = "write " + composeAtLeast.FindStringSubmatch(rest)[1] + " or more"
		}
	}
	return composePlaced{problems: Problems{p}, reject: []composeRejectNode{{node: n, parts: at}}}
}

// m0 is the first capture of a regexp match, or "".
func m0(m []string) string {
	if len(m) < 2 {
		return ""
	}
	return m[1]
}

// composeErrParts splits a path as compose-go writes it (services.web.ports.[0],
// services[web].ports[0].target, services.web.ports.[]) into node path parts; "[]" stands
// for an unknown item of a list.
func composeErrParts(token string) []string {
	var parts []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(token); i++ {
		switch ch := token[i]; ch {
		case '.':
			flush()
		case '[':
			flush()
			j := strings.IndexByte(token[i:], ']')
			if j < 0 {
				cur.WriteString(token[i+1:])
				i = len(token)
				continue
			}
			inner := token[i+1 : i+j]
			if inner == "" {
				inner = "[]"
			}
			parts = append(parts, inner)
			i += j
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	return parts
}

// resolve follows parts from n: mapping keys (a key with dots in it is tried whole first),
// list indices, and "[]" for the item that holds the rest of the path (with the value bad,
// when compose-go named it). It returns the node reached, the key it is the value of (nil
// for a list item), the parts followed, and whether the whole path was.
func (c *composeImport) resolve(n *yaml.Node, parts []string, bad string) (node, key *yaml.Node, at []string, full bool) {
	cur := impDeref(n)
	for i := 0; i < len(parts); {
		if cur == nil {
			return nil, key, at, false
		}
		switch cur.Kind {
		case yaml.MappingNode:
			found := false
			for j := len(parts); j > i; j-- {
				name := strings.Join(parts[i:j], ".")
				if k, v := impLookup(cur, name); k != nil {
					key, cur, at, i, found = k, impDeref(v), append(at, name), j, true
					break
				}
			}
			if !found {
				return cur, key, at, false
			}
		case yaml.SequenceNode:
			if parts[i] == "[]" {
				for idx, item := range cur.Content {
					n, k, more, full := c.resolve(item, parts[i+1:], bad)
					if !full {
						continue
					}
					if v, _ := c.scalar(n); bad != "" && v != bad {
						continue
					}
					if len(parts) == i+1 {
						k = nil
					}
					return n, k, append(append(at, strconv.Itoa(idx)), more...), true
				}
				return cur, key, at, false
			}
			idx, err := strconv.Atoi(parts[i])
			if err != nil || idx < 0 || idx >= len(cur.Content) {
				return cur, key, at, false
			}
			key, cur, at, i = nil, impDeref(cur.Content[idx]), append(at, parts[i]), i+1
		default:
			return cur, key, at, false
		}
	}
	if cur == nil {
		return nil, key, at, false
	}
	return cur, key, at, true
}

// impKeyAtLine finds a mapping key named name written on line, anywhere below n.
func impKeyAtLine(n *yaml.Node, name string, line int) *yaml.Node {
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Line == line && k.Value == name {
				return k
			}
		}
	}
	for _, ch := range n.Content {
		if k := impKeyAtLine(ch, name, line); k != nil {
			return k
		}
	}
	return nil
}

// composeListExamples shows, for fields that take a list, how one is written.
var composeListExamples = map[string]string{
	"ports":    `ports: ["8080:80"]`,
	"expose":   `expose: ["8080"]`,
	"volumes":  `volumes: ["./data:/data"]`,
	"tmpfs":    `tmpfs: [/tmp]`,
	"env_file": `env_file: [.env]`,
	"profiles": `profiles: [debug]`,
	"cap_add":  `cap_add: [NET_ADMIN]`,
	"cap_drop": `cap_drop: [ALL]`,
	"dns":      `dns: [1.1.1.1]`,
	"include":  `include: [other/compose.yaml]`,
	"configs":  `configs: [app_conf]`,
	"secrets":  `secrets: [token]`,
}

// composeTypeHint says how to write a value of the kind the schema wants for field.
func composeTypeHint(field, want string) string {
	if ex, ok := composeListExamples[field]; ok && want != "list" {
		return "write it as a list, e.g. " + ex
	}
	switch want {
	case "list":
		if ex, ok := composeListExamples[field]; ok {
			return "write it as a list, e.g. " + ex
		}
		return `write a list: one "- item" line per entry below it, or [item, item]`
	case "mapping":
		return "write key: value lines indented below it, or {key: value}"
	case "string":
		return "write text; quote it when it looks like a number or a boolean"
	case "boolean":
		return "write true or false"
	case "number", "integer":
		return "write a number without quotes"
	}
	if strings.Contains(want, " or ") {
		return "write a single value of one of these kinds"
	}
	return "write " + want
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
// specification does not know, all at once (compose-go stops at the first), and leaves them
// out of what compose-go reads. The field an unknown key is likely a typo of counts as
// rejected too: what it would have made is missing.
func (c *composeImport) unknownKeys() {
	check := func(m *yaml.Node, parent []string) {
		known := composeKeysAt(parent)
		for _, p := range impPairs(m) {
			if strings.HasPrefix(p.Key.Value, "x-") || slices.Contains(known, p.Key.Value) {
				continue
			}
			c.problems = append(c.problems, c.unknownKey(parent, p.Key))
			c.reject(p.Key, true, composeJoin(parent, p.Key.Value))
			if sug := suggest.Closest(p.Key.Value, known); sug != "" {
				c.rejected = append(c.rejected, composeJoin(parent, sug))
			}
		}
	}
	check(c.root, nil)
	for _, p := range impPairs(impValue(c.root, "services")) {
		if v := impDeref(p.Value); v != nil && v.Kind == yaml.MappingNode {
			check(v, []string{"services", p.Key.Value})
		}
	}
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
