package recipes

import (
	"path/filepath"
	"strings"
	"testing"
)

// An extends naming a service its file does not declare is found by sidecar, not read back
// from compose-go's message: in the same file too, and further down a chain, in the file
// extended; each is placed at the name, with a did-you-mean.
func TestMissingExtendsFoundBySidecar(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "base.yml"), "services:\n  mid:\n    extends: bottm\n  bottom:\n    image: nginx\n")
	writeTestFile(t, filepath.Join(dir, "inc.yml"), "services:\n  extra:\n    image: nginx\n")
	for _, tc := range []struct{ compose, want string }{
		{"services:\n  local:\n    image: nginx\n    extends: commn\n  common:\n    image: nginx\n",
			`compose.yml:4:14: cannot extend service "local" in compose.yml: service "commn" not found in compose.yml: did you mean "common"? or name a service that compose.yml declares`},
		{"services:\n  web:\n    extends: {file: base.yml, service: mid}\n",
			`base.yml:3:14: cannot extend service "mid" in base.yml: service "bottm" not found in base.yml: did you mean "bottom"? or name a service that base.yml declares`},
		{"services:\n  web:\n    extends:\n      file: base.yml\n      service: zzz\n",
			`compose.yml:5:16: cannot extend service "web" in compose.yml: service "zzz" not found in base.yml: name a service that base.yml declares (mid, bottom)`},
	} {
		_, _, err := Load(File{Name: filepath.Join(dir, "compose.yml"), Content: []byte(tc.compose)}, Options{})
		var got []string
		for _, p := range problemsOf(t, err) {
			got = append(got, strings.TrimPrefix(p.String(), dir+string(filepath.Separator)))
		}
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.compose, strings.Join(got, "\n"), tc.want)
		}
	}
	// A service an included file declares can be extended; what an extends names in an
	// existing file is not a problem.
	compose := "include: [inc.yml]\nservices:\n  web:\n    extends: extra\n  app:\n    extends: {file: base.yml, service: bottom}\n"
	if _, _, err := Load(File{Name: filepath.Join(dir, "compose.yml"), Content: []byte(compose)}, Options{}); err != nil {
		t.Errorf("extending an included service and a file's service: %v", err)
	}
}
