package recipes

// The compose importer: one compose file or several (merged in order, as -f A -f B), each
// checked by the YAML front end, sidecar's checks and compose-go's JSON schema (every
// problem at once, placed in its file), then loaded once by compose-go, becomes an
// un-normalised Stack. docs/import.md says how every field maps and which service is main.

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	yaml "go.yaml.in/yaml/v3"
)

type composeImport struct {
	report
	opts Options
	pos  *Positions
	dir  string
	// root is the top mapping, interpolated: the file's while it is checked, then the files
	// laid over each other (compose_merge.go), for the positions and the x-sidecar fields.
	root   *yaml.Node
	env    map[string]string // interpolation variables: .env, then Options.Env
	interp *interpolation
	// project is compose's project name (interpolationEnv), which may be no DNS label: the
	// images built for services without image: are named after it, as compose names them.
	project string
	// imported holds the services `docker compose up` would start; of the others, all that
	// is said is that they are left out.
	imported map[string]bool
	// included holds, per service an included file declares, that file's document; fileOf
	// names the file of each node not of the first file (included, extended, merged over).
	included map[string]*yaml.Node
	fileOf   map[*yaml.Node]string
	said     map[string]bool // what was warned about once already
	// hooks holds, per pre_start hook converted as a service of its own ("app.pre_start[0]",
	// see preStart), its path under services: app, pre_start, 0.
	hooks map[string][]string
	// extended holds the documents of the files extends names, by the path read (nil:
	// unreadable); readDirOf is each one's directory, where the files it extends are read.
	extended  map[string]*yaml.Node
	readDirOf map[*yaml.Node]string

	// drop and empty hold the nodes found wrong (reported), which compose-go does not read
	// (a section's entry is emptied, so that references to it are no problems of their own);
	// rejected lists their paths, and the field an unknown key is likely a typo of.
	drop, empty map[*yaml.Node]bool
	rejected    [][]string
	unknown     map[*yaml.Node]*unknownKey // the unknown keys reported, by key
	paths       map[*yaml.Node][]string    // the path of every node
	bad         map[string]bool            // the model fields made from rejected nodes: not validated
	// lost is set when a service could not be made a container: the stack is incomplete, and
	// not validated (what is missing would be reported as problems).
	lost bool
}

// importCompose imports a compose file, or several merged in order (later wins). Relative
// paths, in every file, stay relative to Stack.Dir: Options.Dir or the first file's
// directory, the project directory as compose has it.
func importCompose(ins []*input, opts Options, env map[string]string, pos *Positions) importResult {
	c := &composeImport{
		report:  report{file: ins[0].file},
		opts:    opts,
		pos:     pos,
		dir:     stackDir(ins[0].file, opts.Dir),
		env:     env,
		drop:    map[*yaml.Node]bool{},
		empty:   map[*yaml.Node]bool{},
		bad:     map[string]bool{},
		said:    map[string]bool{},
		fileOf:  map[*yaml.Node]string{},
		unknown: map[*yaml.Node]*unknownKey{},
	}
	for _, in := range ins {
		c.problems = append(c.problems, in.probs...)
	}
	st := c.run(ins)
	sortWarnings(c.warnings)
	if c.lost || (st != nil && len(st.Pods) == 0 && len(c.problems) > 0) {
		st = nil
	}
	return importResult{stack: st, report: c.report, bad: c.bad, interp: c.interp}
}

// warnAt warns about the field at parts, named by its dotted path, placed at its key.
func (c *composeImport) warnAt(msg string, parts ...string) {
	c.warn(c.keyAt(parts...), strings.Join(parts, "."), msg)
}

// keyAt is the position of the key (or list item) at path, or of its nearest ancestor: in the
// included file a service is of, or in the service it extends when it does not write it.
func (c *composeImport) keyAt(parts ...string) Position {
	parts = c.hookParts(parts)
	root := c.rootOf(parts)
	if yamlpos.Find(root, parts...) == nil {
		if n := c.extendedAt(root, parts); n != nil {
			return c.posOf(n)
		}
	}
	return c.posOf(yamlpos.Near(root, parts...))
}

// extendedAt finds the node at parts (services.SVC.…) that service SVC of document root
// does not write, in the chain of services it extends; nil when none writes it.
func (c *composeImport) extendedAt(root *yaml.Node, parts []string) *yaml.Node {
	if len(parts) < 3 || parts[0] != "services" {
		return nil
	}
	parts = slices.Clone(parts)
	for range 16 { // a chain longer than this is a loop compose-go reports
		_, _, base, file := extendsOf(root, parts[1])
		if base == "" {
			return nil
		}
		if file != "" {
			if root = c.extendedDoc(root, file); root == nil {
				return nil
			}
		}
		parts[1] = base
		if n := yamlpos.Find(root, parts...); n != nil {
			return n
		}
	}
	return nil
}

// extendsOf is what service svc of document doc extends: its extends node, the node naming
// the service (ext itself in the short form), that service, and extends.file.
func extendsOf(doc *yaml.Node, svc string) (ext, at *yaml.Node, base, file string) {
	ext = yamlpos.Value(yamlpos.Value(yamlpos.Value(doc, "services"), svc), "extends")
	if s, ok := yamlpos.Scalar(ext); ok {
		return ext, ext, s, ""
	}
	at = yamlpos.Value(ext, "service")
	base, _ = yamlpos.Scalar(at)
	file, _ = yamlpos.Scalar(yamlpos.Value(ext, "file"))
	return ext, at, base, file
}

// extendedDoc is the document of the file an extends of document from names (relative to
// from's file), read once; nil when it cannot be read.
func (c *composeImport) extendedDoc(from *yaml.Node, file string) *yaml.Node {
	fromName, fromDir := c.file, c.dir
	if f, ok := c.fileOf[from]; ok {
		fromName, fromDir = f, cmp.Or(c.readDirOf[from], stackDir(f, ""))
	}
	name, read := file, file
	if !filepath.IsAbs(file) {
		name, read = filepath.Join(filepath.Dir(fromName), file), filepath.Join(fromDir, file)
	}
	if doc, seen := c.extended[read]; seen {
		return doc
	}
	if c.extended == nil {
		c.extended, c.readDirOf = map[string]*yaml.Node{}, map[*yaml.Node]string{}
	}
	doc := c.readDoc(read, name)
	if doc != nil {
		c.readDirOf[doc] = filepath.Dir(read)
	}
	c.extended[read] = doc
	return doc
}

// readDoc reads the document of the file at path read, named name, for positions only (keys
// are never interpolated); nil when it cannot be read (externalFiles or compose-go says why).
func (c *composeImport) readDoc(read, name string) *yaml.Node {
	b, err := c.opts.readFile(read)
	if err != nil {
		return nil
	}
	pf, _, fatal := yamlpos.Parse(b)
	if fatal || len(pf.Docs) == 0 {
		return nil
	}
	for n := range nodePaths(pf.Docs[0]) {
		c.fileOf[n] = name
	}
	return pf.Docs[0]
}

// rootOf is the document the service at parts is of: the file's, or the included file's.
func (c *composeImport) rootOf(parts []string) *yaml.Node {
	if len(parts) > 1 && parts[0] == "services" && yamlpos.Find(c.root, "services", parts[1]) == nil &&
		c.included[parts[1]] != nil {
		return c.included[parts[1]]
	}
	return c.root
}

// hookParts is the path in the file of the field at parts of a pre_start hook's service
// (services, app.pre_start[0], …): the hook's own (services.app.pre_start.0.…), or, when only
// the service writes it, the service's, which the hook inherits; other paths are as they are.
func (c *composeImport) hookParts(parts []string) []string {
	h, ok := c.hooks[slices.Concat(parts, []string{"", ""})[1]]
	if !ok || parts[0] != "services" {
		return parts
	}
	own, inherited := slices.Concat(parts[:1], h, parts[2:]), slices.Concat(parts[:1], h[:1], parts[2:])
	if len(parts) > 2 && yamlpos.Find(c.rootOf(own), own...) == nil && yamlpos.Find(c.rootOf(inherited), inherited...) != nil {
		return inherited
	}
	return own
}

// posOf is where node n was written: in the file, or in the included file it comes from.
func (c *composeImport) posOf(n *yaml.Node) Position { return posOf(cmp.Or(c.fileOf[n], c.file), n) }

// readIncluded reads the files include names, for the positions of their services (compose-go
// loads them itself).
func (c *composeImport) readIncluded() {
	c.included = map[string]*yaml.Node{}
	c.includes(func(pn *yaml.Node, what string) {
		p, ok := yamlpos.Scalar(pn)
		if !ok || p == "" || what != "included file" {
			return
		}
		name := p
		if !filepath.IsAbs(p) {
			name, p = filepath.Join(filepath.Dir(c.file), p), filepath.Join(c.dir, p)
		}
		doc := c.readDoc(p, name)
		for _, svc := range yamlpos.Pairs(yamlpos.Value(doc, "services")) {
			if c.included[svc.Key.Value] == nil {
				c.included[svc.Key.Value] = doc
			}
		}
	})
}

// includes calls f with each node of include that names a file (what: included or env
// file); a list of them with each item, and then itself.
func (c *composeImport) includes(f func(n *yaml.Node, what string)) {
	for _, inc := range yamlpos.Items(yamlpos.Value(c.root, "include")) {
		if inc.Kind != yaml.MappingNode {
			f(inc, "included file")
			continue
		}
		for _, kw := range [][2]string{{"path", "included file"}, {"env_file", "env file"}} {
			v := yamlpos.Value(inc, kw[0])
			for _, n := range append(yamlpos.Items(v), v) {
				f(n, kw[1])
			}
		}
	}
}

// at is the position of the value at path, or of its nearest ancestor's key.
func (c *composeImport) at(parts ...string) Position {
	parts = c.hookParts(parts)
	if v, ok := yamlpos.Walk(c.rootOf(parts), parts...); ok && v != nil {
		return c.posOf(v)
	}
	return c.keyAt(parts...)
}

// composeFile is one file of a project, as the front end read it.
type composeFile struct {
	name  string
	root  *yaml.Node // its top mapping, interpolated; once checked, without what was rejected
	paths map[*yaml.Node][]string
}

func (c *composeImport) run(ins []*input) *Stack {
	env := c.interpolationEnv(ins)
	c.project = env["COMPOSE_PROJECT_NAME"]
	c.interp = newInterpolation("the compose file", env)
	c.interp.broken = c.opts.brokenEnv
	var files []*composeFile
	readable := true
	for i, in := range ins {
		c.file = in.file
		doc, ok := c.document(in, i == 0)
		readable = readable && ok
		if doc != nil {
			root := c.interp.tree(in.file, doc, true)
			files = append(files, &composeFile{name: in.file, root: root, paths: nodePaths(root)})
		}
	}
	c.file = ins[0].file
	if !readable {
		return nil
	}
	c.warnings = append(c.warnings, c.interp.warns...)
	failedAt := map[Position][]string{}
	for _, f := range files {
		for n := range c.interp.failed {
			if parts, ok := f.paths[n]; ok {
				c.reject(n, false, parts)
				failedAt[posOf(f.name, n)] = parts
			}
		}
	}
	for _, p := range c.interp.probs {
		if parts := failedAt[p.Pos]; len(parts) > 0 && !strings.HasPrefix(p.Message, "variable ") {
			p.Message = yamlpos.Path(parts...) + ": " + p.Message // which field's value
		}
		c.problems = append(c.problems, p)
	}
	// When a file include or extends names cannot be read, the services it brings are
	// unknown: nothing more can be checked (references to them would be problems).
	before := len(c.problems)
	for _, f := range files {
		c.file, c.root, c.paths = f.name, f.root, f.paths // the file being checked
		c.externalFiles()
	}
	if len(c.problems) > before {
		return nil
	}
	// Each file is checked on its own, as compose-go validates each before merging.
	for i, f := range files {
		c.file, c.root, c.paths = f.name, f.root, f.paths
		c.checkNodes()
		if k, _ := yamlpos.Lookup(c.root, "version"); k != nil {
			c.warn(c.posOf(k), "version", "the attribute is obsolete and ignored (as docker compose does)")
			c.drop[k] = true // compose-go would log about it on stderr: the warning is ours
		}
		f.root = yamlpos.Prune(f.root, c.drop, c.empty, false)
		if i > 0 {
			for n := range nodePaths(f.root) {
				c.fileOf[n] = f.name
			}
		}
	}
	c.file, c.root, c.paths = files[0].name, c.mergeFiles(files), nil
	c.readIncluded()
	var top composeXTop
	topRead := decodeX(c, yamlpos.Value(c.root, "x-sidecar"), "x-sidecar", composeXTopFields, &top) != nil
	name := c.stackName()
	if c.missingExtends() {
		return nil
	}
	project, findings := c.loadProject(files)
	if project == nil {
		return nil
	}
	converted := len(c.warnings)
	st := c.convert(project, name)
	c.reportUnsupported(findings)
	c.groupServiceWarnings(converted, slices.Collect(maps.Keys(project.Services)))
	if topRead && top.Backoff != nil {
		st.Backoff = *top.Backoff
	}
	return st
}

// groupServiceWarnings says a warning (from index from) that several services get for the
// same field in the same words once, naming the others: a value merged into many services
// from one anchor is one line. services are the project's (a name may hold a dot).
func (c *composeImport) groupServiceWarnings(from int, services []string) {
	first := map[string]int{} // field below the service, message → index of its warning
	firstSvc := map[int]string{}
	others := map[int][]string{}
	kept := c.warnings[:from]
	for _, w := range c.warnings[from:] {
		svc, rest := "", ""
		for _, name := range services {
			if r, ok := strings.CutPrefix(w.Field, "services."+name+"."); ok && len(name) > len(svc) {
				svc, rest = name, r
			}
		}
		if svc != "" {
			key := rest + "\x00" + strings.TrimPrefix(w.Message, w.Field)
			if i, seen := first[key]; seen {
				// A service is named once (a field of several list items is one service's
				// repeat), and not when it is the first's.
				if svc != firstSvc[i] && !slices.Contains(others[i], svc) {
					others[i] = append(others[i], svc)
				}
				continue
			}
			first[key], firstSvc[len(kept)] = len(kept), svc
		}
		kept = append(kept, w)
	}
	for i, names := range others {
		kept[i].Message += " (services " + andList(names) + " too)"
	}
	c.warnings = kept
}

// document is the document of a file, or nil; ok is false when it is no compose file
// (reported). A file merged over the first may be empty: it changes nothing.
func (c *composeImport) document(in *input, first bool) (doc *yaml.Node, ok bool) {
	if len(in.docs) == 0 || yamlpos.IsNull(in.docs[0]) {
		if !first {
			return nil, true
		}
		c.problem(Position{File: c.file}, "the compose file is empty", "declare at least one service under services:")
		return nil, false
	}
	if len(in.docs) > 1 {
		c.problem(Position{File: c.file, Line: max(in.starts[1], 1), Col: 1}, "a compose file holds one YAML document, and this is a second one",
			"put each document in a file of its own")
		return nil, false
	}
	if in.docs[0].Kind != yaml.MappingNode {
		c.problem(c.posOf(in.docs[0]), fmt.Sprintf("the top level of a compose file must be a mapping (services:, volumes:, …), not %s", yamlpos.KindName(in.docs[0])),
			"start the file with services:, and the services below it, e.g. services: {web: {image: nginx}}")
		return nil, false
	}
	return in.docs[0], true
}

// interpolationEnv is c.env with COMPOSE_PROJECT_NAME set as compose sets it (envoy's examples
// write image: ${COMPOSE_PROJECT_NAME}-echo): Options.Name, COMPOSE_PROJECT_NAME, the last
// name: of the files, else the directory's, normalised as compose-go does (my_app stays my_app).
func (c *composeImport) interpolationEnv(ins []*input) map[string]string {
	env := maps.Clone(c.env)
	name := cmp.Or(c.opts.Name, c.env["COMPOSE_PROJECT_NAME"])
	if name == "" {
		written := ""
		for _, in := range ins {
			if len(in.docs) > 0 && in.docs[0].Kind == yaml.MappingNode {
				if s, ok := yamlpos.Scalar(yamlpos.Value(in.docs[0], "name")); ok && s != "" {
					written = s
				}
			}
		}
		if s, err := template.SubstituteWithOptions(written, lookupIn(c.env), template.WithoutLogging); err == nil {
			name = loader.NormalizeProjectName(s)
		}
	}
	env["COMPOSE_PROJECT_NAME"] = cmp.Or(name, loader.NormalizeProjectName(filepath.Base(c.dir)))
	return env
}

// stackName is Options.Name, COMPOSE_PROJECT_NAME, the file's name:, else the directory's
// name as compose makes it a project name (dirName): compose's order. A name compose takes
// that is no DNS label (my_app) is made one with a warning; a COMPOSE_PROJECT_NAME compose
// refuses too is a problem (an invalid name: is placed at its line by validation).
func (c *composeImport) stackName() string {
	name, from := c.opts.Name, ""
	if name == "" {
		name, from = c.env["COMPOSE_PROJECT_NAME"], "COMPOSE_PROJECT_NAME"
	}
	at := Position{File: c.file}
	if v := yamlpos.Value(c.root, "name"); name == "" {
		s, ok := yamlpos.Scalar(v)
		if !ok || s == "" || c.drop[v] {
			return c.dirName()
		}
		c.pos.Set("name", c.posOf(v))
		name, from, at = s, "name", c.posOf(v)
	}
	label := DNSLabel(name)
	switch {
	case from == "" || isDNSLabel(name) || label == "":
		return name
	case isComposeProjectName(name):
		c.warn(at, from, fmt.Sprintf("project name %q is not a DNS label, which a stack's name must be: the stack is called %q", name, label))
		return label
	case from == "COMPOSE_PROJECT_NAME":
		c.problem(at, fmt.Sprintf("COMPOSE_PROJECT_NAME %q (of the environment or .env) is not a valid project name", yamlpos.Clip(name)),
			fmt.Sprintf("use lowercase letters, digits and '-', starting with a letter or digit, e.g. COMPOSE_PROJECT_NAME=%s", label))
		return label
	}
	return name
}

// dirName is the directory's name as compose makes it the project's (lowercase, only letters,
// digits, '_' and '-' kept: My.App is myapp), made a DNS label with a warning when it is not
// one (my_app is my-app).
func (c *composeImport) dirName() string {
	base := filepath.Base(c.dir)
	project := loader.NormalizeProjectName(base)
	label := DNSLabel(project)
	if label == "" {
		return DNSLabel(base)
	}
	if label != project {
		c.warn(Position{File: c.file}, "name", fmt.Sprintf("project name %q (the directory's name, as compose takes it) is not a DNS label, "+
			"which a stack's name must be: the stack is called %q (set name: to choose one)", project, label))
	}
	return label
}

// isComposeProjectName reports whether compose takes name as a project name (compose-go's
// rule: lowercase letters, digits, '-' and '_', starting with a letter or digit).
func isComposeProjectName(name string) bool {
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	return name != "" && strings.ContainsRune(alnum, rune(name[0])) && strings.Trim(name, alnum+"_-") == ""
}

// loadProject loads the files, without what was rejected, with compose-go, once: it merges
// them (!reset and !override included), does extends and include, and the canonical forms;
// values are interpolated already (each $ written $$). It does not normalise (implicit
// depends_on would hide which were written), resolve paths, read env files or check
// consistency: done here. What it still rejects, or a panic, is reported once; then no project.
func (c *composeImport) loadProject(files []*composeFile) (project *types.Project, findings []loader.UnsupportedAttribute) {
	details := types.ConfigDetails{WorkingDir: c.dir, Environment: types.Mapping(maps.Clone(c.env))}
	for _, f := range files {
		content, err := encodeText(escapeTree(f.root))
		if err != nil {
			c.problem(posOf(f.name, f.root), fmt.Sprintf("the file cannot be passed on to compose-go (%v)", err), "this is a bug in sidecar: please report it with the file")
			return nil, nil
		}
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: f.name, Content: content})
	}
	defer func() {
		if r := recover(); r != nil {
			project = nil
			c.loadError(composePanic{r})
		}
	}()
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SetProjectName(cmp.Or(loader.NormalizeProjectName(c.project), "sidecar"), true) // as compose-go accepts it
		o.SkipNormalization = true
		o.ResolvePaths = false
		o.SkipConsistencyCheck = true
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.Profiles = []string{"*"}
		o.MaxNodeVisits = 4 * yamlpos.MaxNodes
		if o.Interpolate != nil {
			// Only the files compose-go reads itself (include, extends) still hold variables.
			o.Interpolate.Substitute = c.substitute
		}
		o.UnsupportedAttributesCheck = &loader.UnsupportedAttributesCheck{
			Supported: composeSupported(),
			Report:    func(fs []loader.UnsupportedAttribute) { findings = fs },
		}
	})
	if err != nil {
		c.loadError(err)
		return nil, nil
	}
	return project, findings
}

// escapeTree is a copy of n with every $ of a scalar written $$, for compose-go's
// interpolation to give it back; a block scalar is restyled (folding it again would change it).
func escapeTree(n *yaml.Node) *yaml.Node {
	return yamlpos.Copy(n, func(s *yaml.Node) *yaml.Node {
		block := s.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
		if !block && !strings.Contains(s.Value, "$") {
			return s
		}
		c := *s
		c.Value = strings.ReplaceAll(s.Value, "$", "$$")
		if block {
			c.Style = 0
		}
		return &c
	}, nil)
}

// composePanic is a panic of compose-go, recovered.
type composePanic struct{ v any }

func (p composePanic) Error() string { return fmt.Sprintf("compose-go failed on this file (%v)", p.v) }

// substitute interpolates a value of a file compose-go reads itself (included, extended),
// warning about unset variables instead of logging them.
func (c *composeImport) substitute(tmpl string, mapping template.Mapping) (string, error) {
	at := c.keyAt("include")
	lookup := func(name string) (string, bool) {
		v, ok := mapping(name)
		if !ok {
			c.interp.missingVariable(at, name)
		}
		return v, ok
	}
	return template.SubstituteWithOptions(tmpl, lookup, template.WithoutLogging)
}

// loadError reports what compose-go rejected in a file the checks passed: placed at the
// first service its message names, else at the top of the file.
func (c *composeImport) loadError(err error) {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	msg = strings.ReplaceAll(msg, c.dir+string(filepath.Separator), "") // paths as the file writes them
	at := Position{File: c.file, Line: 1, Col: 1}
	svcs := yamlpos.Pairs(yamlpos.Value(c.root, "services"))
	for _, name := range sortedKeys(c.included) { // an included file's service, in its file
		svcs = append(svcs, yamlpos.Pairs(yamlpos.Value(c.included[name], "services"))...)
	}
	for _, p := range svcs {
		if strings.Contains(msg, "services."+p.Key.Value) || strings.Contains(msg, "services["+p.Key.Value+"]") ||
			strings.Contains(msg, `"`+p.Key.Value+`"`) || strings.Contains(msg, "service "+p.Key.Value) {
			at = c.posOf(p.Key)
			break
		}
	}
	hint := "fix it, then check the file again; the compose specification is at https://docs.docker.com/reference/compose-file/"
	if _, panicked := err.(composePanic); panicked {
		hint = "this is a bug in sidecar or compose-go: please report it with the file"
	}
	c.problem(at, "compose-go cannot load the file: "+msg, hint)
}

// missingExtends reports, at the name with a did-you-mean, each extends (along each chain)
// naming a service its file does not declare, and whether there was one: compose-go would
// stop at the first, and its message is not read back. An unreadable file is externalFiles';
// a name holding a variable in a file compose-go reads itself, compose-go's.
func (c *composeImport) missingExtends() bool {
	roots, included := []*yaml.Node{c.root}, map[*yaml.Node]bool{}
	for _, svc := range sortedKeys(c.included) {
		if doc := c.included[svc]; !included[doc] {
			roots, included[doc] = append(roots, doc), true
		}
	}
	found, seen := false, map[*yaml.Node]bool{}
	var check func(doc *yaml.Node, svc string)
	check = func(doc *yaml.Node, svc string) {
		ext, at, base, file := extendsOf(doc, svc)
		if ext == nil || seen[ext] || c.interp.failed[ext] {
			return
		}
		seen[ext] = true
		raw := doc != c.root // not interpolated: compose-go reads it itself
		if base == "" || c.interp.failed[at] || (raw && strings.Contains(base+file, "$")) {
			return
		}
		target, in := doc, c.relName(doc)
		var more []string // what else the file has: the services it includes
		switch {
		case file != "":
			if target, in = c.extendedDoc(doc, file), file; target == nil {
				return
			}
		case doc == c.root:
			more = sortedKeys(c.included)
		case included[doc] && yamlpos.Value(doc, "include") != nil:
			return // what it includes is not read
		}
		var names []string
		for _, p := range yamlpos.Pairs(yamlpos.Value(target, "services")) {
			names = append(names, p.Key.Value)
		}
		if slices.Contains(names, base) || slices.Contains(more, base) {
			check(target, base)
			return
		}
		hint := fmt.Sprintf("name a service that %s declares", in)
		if s := didYouMean(base, names); s != "" {
			hint = fmt.Sprintf("did you mean %q? or %s", s, hint)
		} else if len(names) > 0 {
			hint += " (" + strings.Join(names, ", ") + ")"
		}
		c.problem(c.posOf(at), fmt.Sprintf("cannot extend service %q in %s: service %q not found in %s", svc, c.relName(doc), base, in), hint)
		found = true
	}
	for _, doc := range roots {
		for _, p := range yamlpos.Pairs(yamlpos.Value(doc, "services")) {
			check(doc, p.Key.Value)
		}
	}
	return found
}

// relName is the name of the file of document doc, relative to the project directory when
// it is in it.
func (c *composeImport) relName(doc *yaml.Node) string {
	return strings.TrimPrefix(c.posOf(doc).File, c.dir+string(filepath.Separator))
}

// externalFiles checks the files compose-go reads itself (include, extends.file, their env
// files) through Options.Stat: a regular file of at most MaxFileSize, so that a path to a
// device or a pipe can never hang a load.
func (c *composeImport) externalFiles() {
	stat := c.opts.stat()
	check := func(n *yaml.Node, what string) {
		p, ok := yamlpos.Scalar(n)
		if !ok || p == "" || c.interp.failed[n] {
			return
		}
		if remoteResource(p) {
			c.problem(c.posOf(n), fmt.Sprintf("%s %s is remote (a Git repository or an OCI artifact), which sidecar does not fetch: it reads local files only", what, clipURL(p)),
				remoteResourceHint(p))
			return
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.dir, p)
		}
		fi, err := stat(p)
		switch {
		case err != nil:
			c.problem(c.posOf(n), fmt.Sprintf("%s %s cannot be read: %v", what, n.Value, unwrapPathError(err)), "check the path; it is relative to the compose file's directory")
		case !fi.Mode().IsRegular():
			c.problem(c.posOf(n), fmt.Sprintf("%s %s is not a regular file", what, n.Value), "name a compose file")
		case fi.Size() > MaxFileSize:
			c.problem(c.posOf(n), fmt.Sprintf("%s %s: %v", what, n.Value, errTooLarge{fi.Size()}), "")
		}
	}
	c.includes(check)
	for _, p := range yamlpos.Pairs(yamlpos.Value(c.root, "services")) {
		check(yamlpos.Value(yamlpos.Value(p.Value, "extends"), "file"), "extended file")
	}
}

// nodePaths is the path of every node below root (the first, for a node an alias shares).
func nodePaths(root *yaml.Node) map[*yaml.Node][]string {
	out := map[*yaml.Node][]string{}
	var walk func(n *yaml.Node, parts []string)
	walk = func(n *yaml.Node, parts []string) {
		if _, seen := out[n]; seen || n == nil {
			return
		}
		out[n] = parts
		for i, ch := range n.Content {
			switch {
			case n.Kind == yaml.SequenceNode:
				walk(ch, composeJoin(parts, fmt.Sprint(i)))
			case i%2 == 0:
				if _, seen := out[ch]; !seen {
					out[ch] = composeJoin(parts, ch.Value)
				}
			default:
				walk(ch, composeJoin(parts, n.Content[i-1].Value))
			}
		}
	}
	walk(root, nil)
	return out
}

func composeJoin(parts []string, more ...string) []string {
	return append(append(make([]string, 0, len(parts)+len(more)), parts...), more...)
}

func posOf(file string, n *yaml.Node) Position {
	if n == nil {
		return Position{File: file}
	}
	return Position{File: file, Line: n.Line, Col: n.Column}
}

// composeSections are the top-level keys whose entries are named things (a service…): an
// entry found wrong is emptied, not left out, so that references to it are no problems.
var composeSections = map[string]bool{"services": true, "volumes": true, "networks": true, "configs": true, "secrets": true, "models": true, "jobs": true}

// reject records that the node at parts (a key node when key is set), reported, is wrong:
// compose-go does not read it. A section, or its entry (services.web), is emptied instead.
func (c *composeImport) reject(n *yaml.Node, key bool, parts []string) {
	if n == nil {
		return
	}
	if !key && (len(parts) == 1 || (len(parts) == 2 && composeSections[parts[0]])) {
		c.empty[n] = true
	} else {
		c.drop[n] = true
	}
	c.rejected = append(c.rejected, parts)
}

// rejectedNode reports whether n was left out already, or is !reset (no value to check).
func (c *composeImport) rejectedNode(n *yaml.Node) bool {
	return n != nil && (c.drop[n] || c.empty[n] || isReset(n))
}

// composeKeysAt lists the attribute names the compose specification's schema allows below
// path, for did-you-mean hints.
func composeKeysAt(parts []string) []string {
	var out []string
	for _, p := range schema.AttributePaths() {
		pp := p.Parts()
		if len(pp) != len(parts)+1 || !slices.EqualFunc(pp[:len(parts)], parts, func(a, b string) bool {
			return a == b || a == "*" || (a == "[]" && isIndex(b))
		}) {
			continue
		}
		if last := pp[len(pp)-1]; last != "*" && last != "[]" && !slices.Contains(out, last) {
			out = append(out, last)
		}
	}
	return out
}

func isIndex(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// remoteResource reports whether path names what docker compose fetches itself: a Git
// repository (https://…, git@…, ssh://…, git://…, with #ref:dir) or an OCI artifact (oci://…).
func remoteResource(path string) bool {
	remote := []string{"oci://", "http://", "https://", "git://", "ssh://", "git@"}
	return slices.ContainsFunc(remote, func(p string) bool { return strings.HasPrefix(path, p) })
}

// remoteResourceHint says how to use a remote include locally: fetch it, and name the file.
func remoteResourceHint(path string) string {
	if strings.HasPrefix(path, "oci://") {
		return "pull the artifact's compose file (docker compose -f " + clipURL(path) + " config > remote.yaml, say) and include that local path"
	}
	repo, ref, _ := strings.Cut(path, "#")
	clone := "git clone " + repo
	_, dir, _ := strings.Cut(ref, ":")
	if r, _, _ := strings.Cut(ref, ":"); r != "" {
		clone = "git clone -b " + r + " " + repo
	}
	name := strings.TrimSuffix(filepath.Base(strings.TrimRight(repo, "/")), ".git")
	local := "./" + filepath.ToSlash(filepath.Join(name, dir, "compose.yaml"))
	return fmt.Sprintf("clone it (%s) and include the local path (%s, or the compose file's name there)", clipURL(clone), clipURL(local))
}

// clipURL is s, cut short when it is longer than an address is read whole.
func clipURL(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}
