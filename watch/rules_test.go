package watch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/recipes"
)

// project writes files (path → content; a path ending in / is a directory) under a new
// directory and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		testenv.WriteFile(t, full, content, 0o644)
	}
	return dir
}

// webProject is a project whose build context web has a Dockerfile (FROM scratch) and the
// .dockerignore given, besides files.
func webProject(t *testing.T, dockerignore string, files map[string]string) string {
	t.Helper()
	files["web/Dockerfile"] = "FROM scratch\n"
	files["web/.dockerignore"] = dockerignore
	return project(t, files)
}

// oneContainer is a stack of one pod whose main, web, has rules and the build given.
func oneContainer(dir string, build *recipes.Build, rules ...recipes.WatchRule) *recipes.Stack {
	main := &recipes.Container{Name: "web", Image: "shop/web:dev", Role: recipes.RoleMain, Build: build, Watch: rules}
	side := &recipes.Container{Name: "proxy", Image: "proxy:1", Role: recipes.RoleSidecar}
	return &recipes.Stack{Name: "shop", Dir: dir, Pods: []*recipes.Pod{{Name: "shop", Main: main, Sidecars: []*recipes.Container{side}}}}
}

// compiled compiles the rules of oneContainer(dir, build, rules...), which must compile.
func compiled(t *testing.T, dir string, build *recipes.Build, rules ...recipes.WatchRule) []*rule {
	t.Helper()
	compiled, err := compile(oneContainer(dir, build, rules...))
	if err != nil {
		t.Fatal(err)
	}
	return compiled
}

func TestIgnoreMatching(t *testing.T) {
	dir := webProject(t, "node_modules\n*.log\nDockerfile\n!keep.log\n", map[string]string{
		"web/index.html": "hi",
		"web/static/":    "",
		"conf/app.yaml":  "a: 1",
	})
	rules := compiled(t, dir, &recipes.Build{Context: "web"},
		recipes.WatchRule{Path: "web", Action: recipes.WatchRebuild, Ignore: []string{"tmp/", "**/*.bak"}},
		recipes.WatchRule{Path: "conf/app.yaml", Action: recipes.WatchRestart})
	rebuild, restart := rules[0], rules[1]
	for _, tc := range []struct {
		r    *rule
		path string
		want bool
	}{
		{rebuild, "web/index.html", true},
		{rebuild, "web/static/app.css", true},
		{rebuild, "web/static", true},
		{rebuild, "web/Dockerfile", true},    // .dockerignore lists it, the build sends it anyway
		{rebuild, "web/.dockerignore", true}, // what the build leaves out changed
		{rebuild, "web/node_modules/x/index.js", false},
		{rebuild, "web/debug.log", false},
		{rebuild, "web/keep.log", true}, // an exception of the .dockerignore
		{rebuild, "web/tmp/x", false},   // the rule's own ignore
		{rebuild, "web/a/b/c.bak", false},
		{rebuild, "web/.git/index", false},
		{rebuild, "web/.index.html.swp", false}, // editors' temporary files
		{rebuild, "web/index.html~", false},
		{rebuild, "web/4913", false},
		{rebuild, "web/.#index.html", false},
		{rebuild, "web/#index.html#", false},
		{rebuild, "web/index.html___jb_tmp___", false},
		{rebuild, "web/.goutputstream-XYZ123", false},
		{rebuild, "web/movie.swf", true},
		{rebuild, "webx/index.html", false}, // not below the rule's path
		{rebuild, "conf/app.yaml", false},
		{restart, "conf/app.yaml", true},
		{restart, "conf/other.yaml", false}, // a file rule: that file only
		{restart, "conf/.app.yaml.swp", false},
	} {
		if got := tc.r.matches(filepath.Join(dir, tc.path)); got != tc.want {
			t.Errorf("rule %s %s: matches(%s) = %v, want %v", tc.r.action, tc.r.shown, tc.path, got, tc.want)
		}
	}
	for _, tc := range []struct {
		dir  string
		want bool
	}{
		{"web/node_modules", false}, // an exception exists (!keep.log): the .dockerignore cannot prune
		{"web/tmp", true},
		{"web/.git", true},
		{"web/static", false},
	} {
		if got := rebuild.prunes(filepath.Join(dir, tc.dir)); got != tc.want {
			t.Errorf("prunes(%s) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

// A .dockerignore without exceptions lets whole ignored trees go unwatched.
func TestIgnoredTreesAreNotWatched(t *testing.T) {
	dir := webProject(t, "node_modules\n", map[string]string{
		"web/node_modules/a/index.js": "",
		"web/src/main.go":             "",
	})
	rules := compiled(t, dir, &recipes.Build{Context: "web"}, recipes.WatchRule{Path: "web", Action: recipes.WatchRebuild})
	tr, err := newTree(rules)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	for _, d := range []string{"web", "web/src"} {
		if !tr.watched[filepath.Join(dir, d)] {
			t.Errorf("%s is not watched", d)
		}
	}
	for _, d := range []string{"web/node_modules", "web/node_modules/a"} {
		if tr.watched[filepath.Join(dir, d)] {
			t.Errorf("%s is watched", d)
		}
	}
}

func TestBadRules(t *testing.T) {
	dir := project(t, map[string]string{"web/index.html": "", "conf/app.yaml": ""})
	st := oneContainer(dir, nil,
		recipes.WatchRule{Path: "web", Action: recipes.WatchRebuild},
		recipes.WatchRule{Path: "web", Action: recipes.WatchSync},
		recipes.WatchRule{Path: "missing", Action: recipes.WatchRestart},
		recipes.WatchRule{Path: "web", Action: recipes.WatchSync, Target: "/www", Ignore: []string{"["}},
		recipes.WatchRule{Path: "conf/app.yaml", Action: recipes.WatchSyncRestart, Target: "/etc/app.yaml"})
	err := Rules(st)
	if !errors.Is(err, ErrBadRule) {
		t.Fatalf("Rules: %v, want ErrBadRule", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"web: watch rule 1 (rebuild web): bad watch rule: the container has no build section to rebuild image shop/web:dev from",
		`web: watch rule 2 (sync web): bad watch rule: target "": a sync copies the path to target`,
		"web: watch rule 3 (restart missing): bad watch rule: " + filepath.Join(dir, "missing") + ": no such file or directory: create it",
		"web: watch rule 4 (sync web): bad watch rule: ignore:",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "rule 5") {
		t.Errorf("a good rule is reported:\n%s", msg)
	}
	if err := Rules(oneContainer(dir, nil)); !errors.Is(err, ErrNoRules) {
		t.Errorf("a stack without rules: %v", err)
	}
}

func TestSyncTargets(t *testing.T) {
	dir := project(t, map[string]string{"web/static/a.css": "", "conf/app.yaml": ""})
	rules := compiled(t, dir, nil,
		recipes.WatchRule{Path: "web/static", Action: recipes.WatchSync, Target: "/www/static/"},
		recipes.WatchRule{Path: "conf/app.yaml", Action: recipes.WatchSyncRestart, Target: "/etc/app/config.yaml"})
	for _, tc := range []struct {
		r          *rule
		path, want string
	}{
		{rules[0], "web/static/a.css", "/www/static/a.css"},
		{rules[0], "web/static/img/x/y.png", "/www/static/img/x/y.png"},
		{rules[0], "web/static", "/www/static"},
		{rules[1], "conf/app.yaml", "/etc/app/config.yaml"},
	} {
		if got := tc.r.targetOf(filepath.Join(dir, tc.path)); got != tc.want {
			t.Errorf("targetOf(%s) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

// A change of a build's inline Dockerfile is a change of what the watch follows (its rebuilds
// build the new text); with one, the context's file named Dockerfile is a file like others.
func TestInlineDockerfile(t *testing.T) {
	stack := func(inline string) *recipes.Stack {
		c := &recipes.Container{Name: "web", Image: "web:1", Build: &recipes.Build{Context: ".", DockerfileInline: inline},
			Watch: []recipes.WatchRule{{Path: ".", Action: recipes.WatchRebuild}}}
		return &recipes.Stack{Name: "s", Dir: "/src", Pods: []*recipes.Pod{{Name: "web", Main: c}}}
	}
	if signature(stack("FROM scratch\n")) == signature(stack("FROM scratch\nCOPY x /\n")) {
		t.Error("the signature does not change with the inline Dockerfile")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("Dockerfile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bc, err := loadContext(dir, &recipes.Build{Context: ".", DockerfileInline: "FROM scratch\n"})
	if err != nil {
		t.Fatal(err)
	}
	if !bc.ignores(filepath.Join(dir, "Dockerfile")) {
		t.Error("an ignored file named Dockerfile counts, though the build's Dockerfile is inline")
	}
}
