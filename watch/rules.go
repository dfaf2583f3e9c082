package watch

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// ErrBadRule: a watch rule cannot be followed (its path does not exist, a rebuild without a
// build section, a sync without a target, a bad ignore pattern). It is bad input: exit 2.
var ErrBadRule = errors.New("bad watch rule")

// rule is one watch rule of one container, ready to match host paths.
type rule struct {
	ref    orchestrator.ContainerRef
	index  int // in the container's rules, from 0
	action recipes.WatchAction
	root   string                         // the rule's path: absolute, cleaned
	file   bool                           // root is a file, not a directory
	target string                         // sync actions: where root is in the container (absolute)
	shown  string                         // root as the events show it: relative to the stack's directory
	ignore *patternmatcher.PatternMatcher // the rule's own patterns, relative to root
	build  *buildCtx                      // the container's build context, nil without one
}

// buildCtx is a container's build context: its .dockerignore applies to the container's
// rules for paths inside it (a path the build does not send cannot change the image), as
// compose does it; the Dockerfile and .dockerignore themselves always count.
type buildCtx struct {
	dir        string
	dockerfile string // absolute; "" for an inline Dockerfile
	ignoreFile string // absolute path of the .dockerignore (which may not exist)
	pm         *patternmatcher.PatternMatcher
}

// Rules checks the watch rules of stack's sidecars and mains: every problem, each wrapping
// ErrBadRule, joined. A stack without rules has none to watch: ErrNoRules.
func Rules(stack *recipes.Stack) error {
	_, err := compile(stack)
	return err
}

// ErrNoRules: the stack's recipe declares no watch rule.
var ErrNoRules = errors.New("no watch rules")

// compile turns the stack's watch rules into rules.
func compile(stack *recipes.Stack) ([]*rule, error) {
	var out []*rule
	var errs []error
	multi := len(stack.Pods) > 1
	for _, p := range stack.Pods {
		for _, c := range p.Containers() {
			if len(c.Watch) == 0 {
				continue
			}
			who := c.Name
			if multi {
				who = p.Name + "/" + c.Name
			}
			if c.Role == recipes.RoleInit {
				errs = append(errs, fmt.Errorf("%s: %w: %s is an init container, which runs once before the sidecars: watch rules are for sidecars and main",
					who, ErrBadRule, c.Name))
				continue
			}
			var bc *buildCtx
			if c.Build != nil {
				var err error
				if bc, err = loadContext(stack.Dir, c.Build); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w: %v", who, ErrBadRule, err))
				}
			}
			for i, wr := range c.Watch {
				r, err := compileRule(stack, orchestrator.ContainerRef{Pod: p.Name, Container: c.Name}, c, i, wr, bc)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: watch rule %d (%s %s): %w: %v", who, i+1, wr.Action, wr.Path, ErrBadRule, err))
					continue
				}
				out = append(out, r)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("stack %s: %w: give a container a watch: list (path, action: rebuild|sync|sync+restart|restart)", stack.Name, ErrNoRules)
	}
	return out, nil
}

func compileRule(stack *recipes.Stack, ref orchestrator.ContainerRef, c *recipes.Container, i int, wr recipes.WatchRule, bc *buildCtx) (*rule, error) {
	root := abs(stack.Dir, wr.Path)
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%s: create it or fix the rule's path (relative to %s)", cleanErr(err), stack.Dir)
	}
	r := &rule{ref: ref, index: i, action: wr.Action, root: root, file: !st.IsDir(), shown: shown(stack.Dir, root), build: bc}
	switch wr.Action {
	case recipes.WatchRebuild:
		if c.Build == nil {
			return nil, fmt.Errorf("the container has no build section to rebuild image %s from: add one, or use sync or restart", c.Image)
		}
	case recipes.WatchSync, recipes.WatchSyncRestart:
		if wr.Target == "" || !path.IsAbs(wr.Target) {
			return nil, fmt.Errorf("target %q: a sync copies the path to target, an absolute path in the container: set it (e.g. target: /app)", wr.Target)
		}
		r.target = path.Clean(wr.Target)
	case recipes.WatchRestart:
	default:
		return nil, fmt.Errorf("unknown action: use rebuild, sync, sync+restart or restart")
	}
	if len(wr.Ignore) > 0 {
		if r.ignore, err = patternmatcher.New(wr.Ignore); err != nil {
			return nil, fmt.Errorf("ignore: %v (patterns are .dockerignore's, relative to the path)", err)
		}
	}
	return r, nil
}

// loadContext reads a build context's .dockerignore.
func loadContext(dir string, b *recipes.Build) (*buildCtx, error) {
	bc := &buildCtx{dir: abs(dir, b.Context)}
	if b.DockerfileInline == "" { // an inline one is the recipe's: no file of the context
		bc.dockerfile = abs(bc.dir, cmp.Or(b.Dockerfile, "Dockerfile"))
	}
	bc.ignoreFile = filepath.Join(bc.dir, ".dockerignore")
	return bc, bc.reload()
}

// reload reads the context's .dockerignore again (none: nothing ignored).
func (bc *buildCtx) reload() error {
	b, err := os.ReadFile(bc.ignoreFile)
	if errors.Is(err, fs.ErrNotExist) {
		bc.pm = nil
		return nil
	}
	if err != nil {
		return err
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(b))
	if err == nil {
		bc.pm, err = patternmatcher.New(patterns)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", bc.ignoreFile, err)
	}
	return nil
}

func abs(dir, p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

// shown is p relative to the stack's directory when it is inside it ("." for the directory
// itself), else p.
func shown(dir, p string) string {
	if rel, ok := inside(dir, p); ok {
		if rel == "" {
			return "."
		}
		return rel
	}
	return p
}

// inside reports whether p is root or below it, and p relative to root ("" for root itself),
// with slashes.
func inside(root, p string) (string, bool) {
	if p == root {
		return "", true
	}
	if !strings.HasPrefix(p, root) || (root != "/" && p[len(root)] != filepath.Separator) {
		return "", false
	}
	return filepath.ToSlash(strings.TrimPrefix(p[len(root):], string(filepath.Separator))), true
}

// cleanErr is a path error's message without Go's operation prefix ("stat x: no such file").
func cleanErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// editorTemp are the names of the files editors and tools write beside the file they save
// and remove again (matched against the base name): never a change worth acting on.
var editorTemp = []string{
	"*~",           // backups: vim, emacs, kate, gedit
	".*.sw[ponmx]", // vim's swap files (.index.html.swp, .swo, …)
	"4913",         // vim's probe of whether it may write in the directory
	".#*", "#*#",   // emacs's lock and auto-save files
	"*___jb_tmp___", "*___jb_old___", // JetBrains IDEs' safe write
	".*.kate-swp",      // kate
	".goutputstream-*", // gedit and GLib's atomic save
	"*-go-tmp-umask",   // the go command's umask probe
}

// tempName reports whether base is the name of an editor's temporary file.
func tempName(base string) bool {
	for _, p := range editorTemp {
		if ok, _ := path.Match(p, base); ok {
			return true
		}
	}
	return false
}

// matches reports whether path (absolute, clean) is the rule's business: inside its root (or
// its file), and ignored by nothing — not an editor's temporary file, not under a .git
// directory, not matched by the rule's own ignore patterns nor, inside the container's build
// context, by its .dockerignore.
func (r *rule) matches(p string) bool {
	rel, ok := inside(r.root, p)
	if !ok || (r.file && rel != "") {
		return false
	}
	if tempName(filepath.Base(p)) {
		return false
	}
	if rel != "" {
		for _, part := range strings.Split(rel, "/") {
			if part == ".git" {
				return false
			}
		}
		if r.ignore != nil {
			if m, _ := r.ignore.MatchesOrParentMatches(rel); m {
				return false
			}
		}
	}
	return !r.build.ignores(p)
}

// ignores reports whether the build context's .dockerignore leaves p out of the build.
func (bc *buildCtx) ignores(p string) bool {
	if bc == nil || bc.pm == nil || p == bc.dockerfile || p == bc.ignoreFile {
		return false
	}
	rel, ok := inside(bc.dir, p)
	if !ok || rel == "" {
		return false
	}
	m, _ := bc.pm.MatchesOrParentMatches(rel)
	return m
}

// prunes reports whether nothing under directory dir can be the rule's business, so that it
// need not be watched: the rule (or .dockerignore) ignores dir and has no exception (!pattern)
// that could bring back something inside it.
func (r *rule) prunes(dir string) bool {
	rel, ok := inside(r.root, dir)
	if !ok || r.file {
		return true
	}
	if rel == "" {
		return false
	}
	if filepath.Base(dir) == ".git" {
		return true
	}
	if r.ignore != nil && !r.ignore.Exclusions() {
		if m, _ := r.ignore.MatchesOrParentMatches(rel); m {
			return true
		}
	}
	if bc := r.build; bc != nil && bc.pm != nil && !bc.pm.Exclusions() && bc.ignores(dir) {
		return true
	}
	return false
}

// targetOf is where host path p (matched by the rule) is in the container.
func (r *rule) targetOf(p string) string {
	rel, _ := inside(r.root, p)
	if rel == "" {
		return r.target
	}
	return path.Join(r.target, rel)
}
