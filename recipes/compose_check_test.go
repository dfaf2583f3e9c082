package recipes

import (
	"strings"
	"testing"
)

// compose-go's own errors for these name no place and no fix; the check says both.
func TestComposePortProblem(t *testing.T) {
	for _, tc := range []struct{ spec, msg string }{
		{"8080:80", ""},
		{"127.0.0.1:8080:80/udp", ""},
		{"9000-9002:9000-9002", ""},
		{"99999:80", `port "99999:80" has a host port 99999 outside 1-65535`},
		{"80:80:80:80", `port "80:80:80:80" has too many parts`},
		{"abc", `port "abc" has an invalid container port "abc"`},
		{"8080:80/quic", `port "8080:80/quic" has an unknown protocol "quic"`},
	} {
		msg, hint := composePortProblem(tc.spec)
		if msg != tc.msg {
			t.Errorf("composePortProblem(%q) = %q, want %q", tc.spec, msg, tc.msg)
		}
		if msg != "" && hint == "" {
			t.Errorf("composePortProblem(%q) gives no fix", tc.spec)
		}
	}
}

// Every problem a compose file has shows in one import: the first unknown key does not hide
// the problems the conversion finds, nor those validation finds.
func TestComposeReportsEveryProblem(t *testing.T) {
	content := `
services:
  web:
    image: example/web
    enviroment: {A: b}
    restart: sometimes
    network_mode: service:nope
    depends_on: [ghost]
    stop_grace_period: abc
    ports: ["8080:80", "99999:80"]
    x-sidecar: {bogus: 1}
  api:
    image: Shop/API
    ports: ["8080:8080"]
`
	_, _, err := Load(File{Name: "c.yaml", Content: []byte(content)}, Options{Dir: t.TempDir()})
	if err == nil {
		t.Fatal("no problems")
	}
	for _, want := range []string{
		`c.yaml:5:5: unknown key "enviroment"`,
		`c.yaml:6:14: unknown restart policy "sometimes"`,
		`c.yaml:7:5: network_mode joins the namespace of "nope"`,
		`c.yaml:8:18: depends_on names "ghost"`,
		`c.yaml:9:24: services.web.stop_grace_period: invalid duration "abc"`,
		`c.yaml:10:24: port "99999:80" has a host port 99999 outside 1-65535`,
		`c.yaml:11:17: unknown key "bogus" in services.web.x-sidecar`,
		`c.yaml:13:12: image "Shop/API" of main container "api" is not a valid image reference`,
		`c.yaml:14:13: host port 8080/tcp is published twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

// A short-syntax volume compose-go cannot parse is placed at its entry, with the others.
func TestComposeVolumeSyntax(t *testing.T) {
	content := "services:\n  web:\n    image: nginx\n    volumes: [\"${NOPE}:/data\", \"data::/x\", \"./ok:/ok\"]\n"
	_, _, err := Load(File{Name: "c.yaml", Content: []byte(content)}, Options{Dir: t.TempDir()})
	if err == nil {
		t.Fatal("no problems")
	}
	for _, want := range []string{
		`c.yaml:4:15: services.web.volumes[0]: ":/data" is not a volume compose can read`,
		`c.yaml:4:32: services.web.volumes[1]: "data::/x" is not a volume compose can read`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
