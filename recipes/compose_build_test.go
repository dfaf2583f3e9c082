package recipes

import (
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
