package recipes

import (
	"path/filepath"
	"strings"
	"testing"
)

// Which bind mounts have a missing source created, as docker compose, docker run -v and the
// kubelet do, and which must exist; the warning about a missing source says which happens.
func TestBindMountMustExist(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		want                map[string]bool // bind source → MustExist
	}{
		{"compose", "compose.yaml", `
services:
  web:
    image: app
    volumes:
      - ./short:/a
      - {type: bind, source: ./long, target: /b}
      - {type: bind, source: ./created, target: /c, bind: {create_host_path: true}}
      - {type: bind, source: ./refused, target: /d, bind: {create_host_path: false}}
`, map[string]bool{"./short": false, "./long": false, "./created": false, "./refused": true}},
		{"recipe", "sidecar.yaml", `
main:
  image: app
  volumes: ["./short:/a", {source: ./long, target: /b}, {source: ./refused, target: /d, must_exist: true}]
`, map[string]bool{"./short": false, "./long": false, "./refused": true}},
		{"kube", "pod.yaml", `
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: app
      volumeMounts: [{name: a, mountPath: /a}, {name: b, mountPath: /b}, {name: c, mountPath: /c}, {name: d, mountPath: /d}]
  volumes:
    - {name: a, hostPath: {path: /srv/untyped}}
    - {name: b, hostPath: {path: /srv/created, type: DirectoryOrCreate}}
    - {name: c, hostPath: {path: /srv/refused, type: Directory}}
    - {name: d, hostPath: {path: /srv/socket, type: Socket}}
`, map[string]bool{"/srv/untyped": false, "/srv/created": false, "/srv/refused": true, "/srv/socket": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, warns, err := Load(File{Name: filepath.Join(dir, tc.file), Content: []byte(tc.content)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, m := range st.Pods[0].Main.Volumes {
				got[m.Source] = m.MustExist
			}
			for src, must := range tc.want {
				if g, ok := got[src]; !ok || g != must {
					t.Errorf("%s: must_exist %v (mounted: %v), want %v", src, g, ok, must)
				}
			}
			if len(warns) != len(tc.want) {
				t.Errorf("want one warning per missing source, got %v", warns)
			}
			for _, w := range warns {
				s := w.String()
				created := strings.Contains(s, "it is created, an empty directory")
				refused := strings.Contains(s, "is not created") && strings.Contains(s, "cannot be created until it does")
				for src, must := range tc.want {
					if strings.Contains(s, "source "+src+" ") && (must != refused || must == created) {
						t.Errorf("%s: warning %q, want it to say the directory is %s", src, s, map[bool]string{true: "not created", false: "created"}[must])
					}
				}
			}
		})
	}
}
