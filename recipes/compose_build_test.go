package recipes

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// build.dockerfile_inline is the Dockerfile's text: imported as it is, without a warning and
// without the default dockerfile; with dockerfile too it is a problem, as compose refuses it.
func TestComposeDockerfileInline(t *testing.T) {
	st, ws := mustComposeLoad(t, "services:\n  app:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM scratch\n        COPY x /x\n", nil)
	b := st.Pods[0].Main.Build
	if b == nil || b.DockerfileInline != "FROM scratch\nCOPY x /x\n" || b.Dockerfile != "" {
		t.Errorf("build = %+v", b)
	}
	if len(ws) > 0 {
		t.Errorf("warnings: %q", warningStrings(ws))
	}
	_, _, err := composeLoad(t, "services:\n  app:\n    build: {context: ., dockerfile: Dockerfile, dockerfile_inline: FROM scratch}\n", nil)
	if ps := problemStrings(t, err); len(ps) != 1 || !strings.Contains(ps[0], "build of ") || !strings.Contains(ps[0], "both dockerfile and dockerfile_inline") {
		t.Errorf("problems %q", ps)
	}
}

// A recipe's build takes dockerfile_inline as compose writes it.
func TestRecipeDockerfileInline(t *testing.T) {
	dir := t.TempDir()
	const recipe = "name: s\nmain:\n  name: app\n  build: {context: ., dockerfile_inline: \"FROM scratch\\n\"}\n"
	st, _, err := Load(File{Name: "sidecar.yaml", Content: []byte(recipe)}, Options{Dir: dir, ReadFile: readUnder(dir, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if b := st.Pods[0].Main.Build; b.DockerfileInline != "FROM scratch\n" || b.Dockerfile != "" {
		t.Errorf("build = %+v", b)
	}
}

// A service built without image: gets the image docker compose build makes, named after
// compose's project name (lowercase, only [a-z0-9_-] kept: compose-go's NormalizeProjectName)
// and the service, whatever the stack is called; a stack named otherwise than the project
// says so once.
func TestComposeBuiltImageName(t *testing.T) {
	for _, tc := range []struct {
		dir, name, svc, image, stack string
		warned                       bool
	}{
		{dir: "my_app", svc: "web", image: "my_app-web", stack: "my-app", warned: true},
		{dir: "My.App", svc: "web", image: "myapp-web", stack: "myapp"},
		{dir: "ext_authz", svc: "ext_authz-http-service", image: "ext_authz-ext_authz-http-service", stack: "ext-authz", warned: true},
		{dir: "shop", svc: "web", image: "shop-web", stack: "shop"},
		{dir: "shop", name: "my_app", svc: "web", image: "my_app-web", stack: "my-app", warned: true},
	} {
		t.Run(tc.dir+tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dir)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			file := "services:\n  " + tc.svc + ": {build: .}\n"
			if tc.name != "" {
				file = "name: " + tc.name + "\n" + file
			}
			st, ws, err := Load(File{Name: "compose.yaml", Content: []byte(file)}, Options{Dir: dir, ReadFile: readUnder(dir, nil)})
			if err != nil {
				t.Fatal(err)
			}
			if img := st.Pods[0].Main.Image; img != tc.image {
				t.Errorf("image %q, want %q", img, tc.image)
			}
			if st.Name != tc.stack {
				t.Errorf("stack %q, want %q", st.Name, tc.stack)
			}
			said := slices.DeleteFunc(warningStrings(ws), func(w string) bool { return !strings.Contains(w, "project name") })
			if tc.warned != (len(said) == 1) || len(said) > 1 {
				t.Errorf("warnings about the name: %q, want one: %v", said, tc.warned)
			}
			if tc.warned && !strings.Contains(said[0], `the stack is called "`+tc.stack+`"`) {
				t.Errorf("warning %q does not name the stack", said[0])
			}
		})
	}
}
