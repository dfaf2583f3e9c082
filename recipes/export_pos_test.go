package recipes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An export's warnings about a field are placed where the file has that field.
func TestExportWarningsPlaced(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dashboards"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "compose.yaml")
	src := `services:
  grafana:
    image: grafana/grafana
    environment:
      GF_SECURITY_ADMIN_PASSWORD: hunter2
    volumes:
      - ./dashboards:/var/lib/grafana/dashboards
`
	st, _, err := Load(File{Name: file, Content: []byte(src)}, Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	_, cw, err := ExportCompose(st, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, kw, err := ExportKube(st, KubeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		ws       []Warning
		what, at string
	}{
		{cw, "GF_SECURITY_ADMIN_PASSWORD", file + ":5:35:"},
		{kw, "bind mount of directory", file + ":7:9:"},
	} {
		found := false
		for _, w := range want.ws {
			if strings.Contains(w.Message, want.what) {
				found = true
				if !strings.HasPrefix(w.String(), want.at) {
					t.Errorf("warning about %s at %q, want %s", want.what, w.String(), want.at)
				}
			}
		}
		if !found {
			t.Errorf("no warning about %s in %v", want.what, want.ws)
		}
	}
}
