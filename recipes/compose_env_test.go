package recipes

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
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

// A $ in a .env value takes what follows for a variable; one that is not set gives an empty
// string, as compose has it, with a warning at the .env's line and column (compose warns
// too: The "tpass" variable is not set) that says how to write a literal $.
func TestDotEnvUnsetVariableWarned(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, ".env"), "# db\nDB_PASSWORD=s3cr$tpass\nQUOTED=\"a${b}c\"\nSINGLE='s3cr$tpass'\nESCAPED=s3cr$$tpass\nDEFAULT=${nope:-x}\nUSER=me\nREF=${USER}-$HOME\n")
	compose := "services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n      Q: ${QUOTED}\n      S: ${SINGLE}\n      E: ${ESCAPED}\n      D: ${DEFAULT}\n      R: ${REF}\n"
	st, warns, err := Load(File{Name: filepath.Join(dir, "compose.yaml"), Content: []byte(compose)}, Options{DotEnv: true, Env: map[string]string{"HOME": "/home/me"}})
	if err != nil {
		t.Fatal(err)
	}
	env := st.Pods[0].Main.Env
	for k, want := range map[string]string{"POSTGRES_PASSWORD": "s3cr", "Q": "ac", "S": "s3cr$tpass", "E": "s3cr$tpass", "D": "x", "R": "me-/home/me"} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	want := []string{
		".env:2:17: warning: variable tpass is not set, so the value of DB_PASSWORD has an empty string in its place: for a literal $, write $$ or put the value in single quotes (DB_PASSWORD='…'); else set tpass",
		".env:3:10: warning: variable b is not set, so the value of QUOTED has an empty string in its place: for a literal $, write $$ or put the value in single quotes (QUOTED='…'); else set b",
	}
	sameLines(t, "warnings", relativeTo(dir, warns), want)
}

// A .env that does not parse is one problem, at its line, with a fix that fits what is wrong;
// what it would have set is not reported missing (authentik's ${PG_PASS:?…}), a service's
// env_file naming it does not say it again, and the compose file's own problems still show.
func TestBrokenDotEnvIsOneProblem(t *testing.T) {
	compose := `services:
  postgresql:
    image: postgres
    environment:
      POSTGRES_PASSWORD: ${PG_PASS:?database password required}
    env_file: [.env]
  server:
    image: ghcr.io/goauthentik/server:${AUTHENTIK_TAG:-2025.6}
    environment:
      AUTHENTIK_SECRET_KEY: ${AUTHENTIK_SECRET_KEY:?secret key required}
      AUTHENTIK_POSTGRESQL__PASSWORD: ${PG_PASS}
    env_file: [.env]
    ports: ["99999:9000"]
`
	for _, tc := range []struct{ env, want string }{
		{"PG_PASS=x\nAUTHENTIK_SECRET_KEY=abc\nthis is not valid\n",
			".env:3:1: this line is not NAME=value: a variable's name cannot hold a space: write NAME=value, or start the line with # to make it a comment"},
		{"PG_PASS=p@ss${word:?need word}\nAUTHENTIK_SECRET_KEY=abc\n",
			".env:1:13: variable word is required but not set (need word): set word in the environment or on a line above this one; for a literal $, write $$ or put the value in single quotes"},
		{"PG_PASS=\"x\nAUTHENTIK_SECRET_KEY=abc\n",
			`.env:1:9: the quoted value is not closed: end it with the quote it starts with (write \" for a " inside double quotes)`},
		{"PG_PASS=x\nAUTHENTIK_SECRET_KEY=abc\nBAD KEY=abc\n",
			".env:3:1: this line is not NAME=value: a variable's name cannot hold a space: write NAME=value, or start the line with # to make it a comment"},
		{"PG_PASS=x\nBAD/KEY=abc\nAUTHENTIK_SECRET_KEY=abc\n",
			`.env:2:1: this line is not NAME=value: a variable's name cannot hold the character "/": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
	} {
		dir := t.TempDir()
		writeTestFile(t, filepath.Join(dir, ".env"), tc.env)
		_, _, err := Load(File{Name: filepath.Join(dir, "docker-compose.yml"), Content: []byte(compose)}, Options{DotEnv: true})
		want := []string{tc.want, `docker-compose.yml:13:13: port "99999:9000" has a host port 99999 outside 1-65535: write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], like "8080:80", "127.0.0.1:8080:80" or "53:53/udp", with ports from 1 to 65535`}
		sameLines(t, fmt.Sprintf(".env %q", tc.env), relativeTo(dir, problemsOf(t, err)), want)
	}
}

// A .env compose's parser rejects is placed by sidecar's own reading of its lines, never by
// the parser's message: a reworded message places it the same; one sidecar does not find
// is at the file, with the message as it is.
func TestDotEnvProblemReadsLinesNotMessage(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"A=1\nthis is not valid\n", ".env:2:1: this line is not NAME=value: a variable's name cannot hold a space: write NAME=value, or start the line with # to make it a comment"},
		{"# c\nexport BAD KEY=1\n", ".env:2:1: this line is not NAME=value: a variable's name cannot hold a space: write NAME=value, or start the line with # to make it a comment"},
		{"A=\"x\ny\"\nB/C=1\n", `.env:3:1: this line is not NAME=value: a variable's name cannot hold the character "/": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
		{"A B/C=1\n", `.env:1:1: this line is not NAME=value: a variable's name cannot hold the character "/": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
		{"A=1\r\nK\"=1\r\n", `.env:2:1: this line is not NAME=value: a variable's name cannot hold the character "\"": a name has letters, digits, _, . and - only: write NAME=value, or start the line with # to make it a comment`},
		{"A=1\nB='x\nC=2\n", `.env:2:3: the quoted value is not closed: end it with the quote it starts with (write \" for a " inside double quotes)`},
	} {
		lines := envLines([]byte(tc.env))
		err := dotenv.ParseWithFormat(bytes.NewReader([]byte(tc.env)), ".env", map[string]string{}, nil, "")
		if err == nil {
			t.Errorf("%q: compose-go takes it", tc.env)
			continue
		}
		for _, e := range []error{err, errors.New("a message worded some other way")} {
			if got := dotEnvProblem(".env", lines, e, nil).String(); got != tc.want {
				t.Errorf("%q (%v):\n%s\nwant:\n%s", tc.env, e, got, tc.want)
			}
		}
	}
	got := dotEnvProblem(".env", envLines([]byte("A=1\n")), errors.New("line 1: something new"), nil).String()
	if want := ".env: .env is not a valid env file: line 1: something new: write one NAME=value per line; # starts a comment"; got != want {
		t.Errorf("unplaced:\n%s\nwant:\n%s", got, want)
	}
}

// relativeTo is each of xs as it prints, without dir's path in front of its file's name.
func relativeTo[T fmt.Stringer](dir string, xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, strings.TrimPrefix(x.String(), dir+string(filepath.Separator)))
	}
	return out
}

// sameLines fails the test, saying what the lines are, unless got is want.
func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A remote include (a Git repository, an OCI artifact) is a problem at its place that says
// sidecar does not fetch it and how to include it locally.
func TestRemoteIncludeNotSupported(t *testing.T) {
	dir := t.TempDir()
	compose := "include:\n  - https://github.com/docker/awesome-compose.git#master:nginx-golang\n  - path: oci://docker.io/example/app:1\nservices:\n  web: {image: nginx}\n"
	_, _, err := Load(File{Name: filepath.Join(dir, "compose.yaml"), Content: []byte(compose)}, Options{})
	want := []string{
		"compose.yaml:2:5: included file https://github.com/docker/awesome-compose.git#master:nginx-golang is remote (a Git repository or an OCI artifact), which sidecar does not fetch: it reads local files only: clone it (git clone -b master https://github.com/docker/awesome-compose.git) and include the local path (./awesome-compose/nginx-golang/compose.yaml, or the compose file's name there)",
		"compose.yaml:3:11: included file oci://docker.io/example/app:1 is remote (a Git repository or an OCI artifact), which sidecar does not fetch: it reads local files only: pull the artifact's compose file (docker compose -f oci://docker.io/example/app:1 config > remote.yaml, say) and include that local path",
	}
	sameLines(t, "problems", relativeTo(dir, problemsOf(t, err)), want)
}

// What a service gets from the service it extends is placed where that service writes it: in
// the extended file (immich's hwaccel.transcoding.yml), or in the same file; an extends
// naming a service the file does not declare is placed at its service: line.
func TestExtendsPlacedInExtendedFile(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "hwaccel.transcoding.yml"), `services:
  nvenc:
    deploy:
      resources:
        reservations:
          devices:
            - {driver: nvidia, count: 1, capabilities: [gpu]}
  rkmpp:
    extends: base
    security_opt:
      - systempaths=unconfined
  base:
    device_cgroup_rules: ['c 189:* rwm']
`)
	compose := `services:
  immich-server:
    image: ghcr.io/immich-app/immich-server:release
    extends:
      file: hwaccel.transcoding.yml
      service: rkmpp
  ml:
    image: ghcr.io/immich-app/immich-machine-learning:release
    extends: {file: hwaccel.transcoding.yml, service: nvenc}
  local:
    image: nginx
    extends: common
  common:
    image: nginx
    stdin_open: true
`
	_, warns, err := Load(File{Name: filepath.Join(dir, "compose.yml"), Content: []byte(compose)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, strings.TrimPrefix(w.Pos.String(), dir+string(filepath.Separator))+" "+w.Field)
	}
	want := []string{
		"compose.yml:15:5 services.common.stdin_open", // local's too: one warning
		"hwaccel.transcoding.yml:6:11 services.ml.deploy.resources.reservations.devices",
		"hwaccel.transcoding.yml:10:5 services.immich-server.security_opt",
		"hwaccel.transcoding.yml:13:5 services.immich-server.device_cgroup_rules",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no warning %s; got:\n%s", w, strings.Join(got, "\n"))
		}
	}

	compose = strings.Replace(compose, "service: nvenc}", "service: nvenc2}", 1)
	_, _, err = Load(File{Name: filepath.Join(dir, "compose.yml"), Content: []byte(compose)}, Options{})
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Pos.String() != filepath.Join(dir, "compose.yml")+":9:55" || !strings.Contains(ps[0].Hint, `did you mean "nvenc"?`) {
		t.Errorf("problems %v, want one at the extends' service: (9:55) with a did-you-mean", err)
	}
}

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
		sameLines(t, tc.compose, relativeTo(dir, problemsOf(t, err)), []string{tc.want})
	}
	// A service an included file declares can be extended; what an extends names in an
	// existing file is not a problem.
	compose := "include: [inc.yml]\nservices:\n  web:\n    extends: extra\n  app:\n    extends: {file: base.yml, service: bottom}\n"
	if _, _, err := Load(File{Name: filepath.Join(dir, "compose.yml"), Content: []byte(compose)}, Options{}); err != nil {
		t.Errorf("extending an included service and a file's service: %v", err)
	}
}
