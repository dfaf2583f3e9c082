package recipes

import (
	"path/filepath"
	"strings"
	"testing"
)

// COMPOSE_PROJECT_NAME is set for interpolation to the project's name, as compose sets it
// (envoy's dynamic-config-cp: image: ${COMPOSE_PROJECT_NAME}-echo).
func TestComposeProjectNameInterpolated(t *testing.T) {
	for _, tc := range []struct {
		label, name, file string
		env               map[string]string
		want              string
	}{
		{"the directory", "", "services:\n  echo: {image: \"${COMPOSE_PROJECT_NAME}-echo\"}\n", nil, "dynamic-config-cp-echo"},
		{"name:", "", "name: my_app\nservices:\n  echo: {image: \"${COMPOSE_PROJECT_NAME}-echo\"}\n", nil, "my_app-echo"},
		{"name: with a variable", "", "name: ${APP}-x\nservices:\n  echo: {image: \"${COMPOSE_PROJECT_NAME}-echo\"}\n", map[string]string{"APP": "shop"}, "shop-x-echo"},
		{"the environment", "", "name: other\nservices:\n  echo: {image: \"${COMPOSE_PROJECT_NAME}-echo\"}\n", map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}, "fromenv-echo"},
		{"the command line", "cli", "name: other\nservices:\n  echo: {image: \"${COMPOSE_PROJECT_NAME}-echo\"}\n", map[string]string{"COMPOSE_PROJECT_NAME": "fromenv"}, "cli-echo"},
	} {
		dir := filepath.Join(t.TempDir(), "dynamic-config-cp")
		st, warns, err := Load(File{Name: filepath.Join(dir, "compose.yaml"), Content: []byte(tc.file)}, Options{Env: tc.env, Name: tc.name})
		if err != nil {
			t.Errorf("%s: %v", tc.label, err)
			continue
		}
		if got := st.Pods[0].Main.Image; got != tc.want {
			t.Errorf("%s: image %q, want %q", tc.label, got, tc.want)
		}
		for _, w := range warns {
			if strings.Contains(w.String(), "COMPOSE_PROJECT_NAME") {
				t.Errorf("%s: %s", tc.label, w)
			}
		}
	}
}
