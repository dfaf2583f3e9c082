package recipes

import (
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const profilesCompose = `
name: from-file
services:
  web:
    image: web:1
    depends_on: [db]
  db:
    image: db:1
    profiles: [data]
  debug:
    image: tools:1
    profiles: [debug, tools]
  flower:
    image: flower:1
    profiles: [flower]
`

// loadCase is a load of profilesCompose with these options and .env, and what it gives.
type loadCase struct {
	name   string
	opts   Options
	dotenv string
	want   string
}

// loadProfiles loads profilesCompose with env as the environment and dotenv as .env.
func loadProfiles(t *testing.T, opts Options, dotenv string) (*Stack, []Warning) {
	t.Helper()
	dir := t.TempDir()
	opts.Dir, opts.DotEnv = dir, true
	opts.ReadFile = func(p string) ([]byte, error) {
		if p == filepath.Join(dir, ".env") && dotenv != "" {
			return []byte(dotenv), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	st, ws, err := Load(File{Name: filepath.Join(dir, "compose.yaml"), Content: []byte(profilesCompose)}, opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return st, ws
}

func podNames(st *Stack) []string {
	var out []string
	for _, p := range st.Pods {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// Profiles are active as compose makes them: --profile (Options.Profiles) over
// COMPOSE_PROFILES of the environment over .env's; a service needed by an active one runs
// whatever its profiles; "*" activates every profile.
func TestComposeProfiles(t *testing.T) {
	for _, tc := range []loadCase{
		{name: "none", want: "db web"},
		{name: "flag", opts: Options{Profiles: []string{"tools"}}, want: "db debug web"},
		{name: "flag over env", opts: Options{Profiles: []string{"flower"}, Env: map[string]string{"COMPOSE_PROFILES": "debug"}}, want: "db flower web"},
		{name: "env list", opts: Options{Env: map[string]string{"COMPOSE_PROFILES": "debug, flower"}}, want: "db debug flower web"},
		{name: ".env", dotenv: "COMPOSE_PROFILES=flower\n", want: "db flower web"},
		{name: "env over .env", opts: Options{Env: map[string]string{"COMPOSE_PROFILES": ""}}, dotenv: "COMPOSE_PROFILES=flower\n", want: "db web"},
		{name: "all", opts: Options{Profiles: []string{"*"}}, want: "db debug flower web"},
		// docker compose up flower starts flower, whatever its profiles.
		{name: "named", opts: Options{Services: []string{"flower"}}, want: "db flower web"},
		{name: "named and profile", opts: Options{Services: []string{"flower"}, Profiles: []string{"debug"}}, want: "db debug flower web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, ws := loadProfiles(t, tc.opts, tc.dotenv)
			if got := strings.Join(podNames(st), " "); got != tc.want {
				t.Errorf("pods %q, want %q", got, tc.want)
			}
			for _, w := range ws {
				if !strings.Contains(w.Message, "which is not active") || !strings.Contains(w.Message, "--profile ") {
					t.Errorf("warning %q", w)
				}
			}
			if want := 4 - len(st.Pods); len(ws) != want {
				t.Errorf("%d warnings, want %d: %v", len(ws), want, ws)
			}
		})
	}
}

// The stack's name is compose's project name: -p (Options.Name), else COMPOSE_PROJECT_NAME
// (environment, then .env), else name:, else the directory's.
func TestComposeProjectName(t *testing.T) {
	for _, tc := range []loadCase{
		{name: "file", want: "from-file"},
		{name: ".env", dotenv: "COMPOSE_PROJECT_NAME=from-dotenv\n", want: "from-dotenv"},
		{name: "env", opts: Options{Env: map[string]string{"COMPOSE_PROJECT_NAME": "from-env"}}, dotenv: "COMPOSE_PROJECT_NAME=from-dotenv\n", want: "from-env"},
		{name: "option", opts: Options{Name: "from-flag", Env: map[string]string{"COMPOSE_PROJECT_NAME": "from-env"}}, want: "from-flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, _ := loadProfiles(t, tc.opts, tc.dotenv); st.Name != tc.want {
				t.Errorf("stack name %q, want %q", st.Name, tc.want)
			}
		})
	}
}

// A project name compose takes but that is not a DNS label (compose allows '_') names the
// stack as a DNS label, with a warning saying so; a COMPOSE_PROJECT_NAME compose refuses too
// is a problem that names the variable, reported once.
func TestComposeProjectNameNotALabel(t *testing.T) {
	const svc = "services: {web: {image: web:1}}\n"
	for _, tc := range []struct {
		name, file, env, want, warning, problem string
	}{
		{name: "name:", file: "name: my_app\n" + svc, want: "my-app",
			warning: `c.yaml:1:7: warning: name: project name "my_app" is not a DNS label, which a stack's name must be: the stack is called "my-app"`},
		{name: "COMPOSE_PROJECT_NAME", file: svc, env: "shop_dev", want: "shop-dev",
			warning: `c.yaml: warning: COMPOSE_PROJECT_NAME: project name "shop_dev" is not a DNS label`},
		{name: "invalid COMPOSE_PROJECT_NAME", file: svc, env: "My Shop!",
			problem: `c.yaml: COMPOSE_PROJECT_NAME "My Shop!" (of the environment or .env) is not a valid project name: use lowercase letters, digits and '-', starting with a letter or digit, e.g. COMPOSE_PROJECT_NAME=my-shop`},
		{name: "a label already", file: "name: shop\n" + svc, env: "", want: "shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir, ReadFile: readUnder(dir, nil), Env: map[string]string{}}
			if tc.env != "" {
				opts.Env["COMPOSE_PROJECT_NAME"] = tc.env
			}
			st, ws, err := Load(File{Name: "c.yaml", Content: []byte(tc.file)}, opts)
			if tc.problem != "" {
				if ps := problemStrings(t, err); len(ps) != 1 || ps[0] != tc.problem {
					t.Errorf("problems:\n%s\nwant only:\n%s", strings.Join(ps, "\n"), tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := warningStrings(ws)
			if st.Name != tc.want || (tc.warning == "") != (len(got) == 0) ||
				(tc.warning != "" && !slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, tc.warning) })) {
				t.Errorf("stack %q (want %q), warnings:\n%s\nwant: %q", st.Name, tc.want, strings.Join(got, "\n"), tc.warning)
			}
		})
	}
}

// env_file with format: raw is read as docker run --env-file reads it: values as written
// (quotes kept, no interpolation), comments and blank lines skipped, a bare NAME looked up.
func TestComposeRawEnvFile(t *testing.T) {
	st, _ := mustComposeLoad(t, "services: {web: {image: web:1, env_file: [{path: app.env, format: raw}]}}\n", map[string]string{"app.env": "\ufeff# comment\n\nQUOTED='{\"key\": \"value\"}'\n  DOLLAR=$HOME and ${X}\nCONF\nMISSING\nEMPTY=\r\n"})
	want := Env{"QUOTED": `'{"key": "value"}'`, "DOLLAR": "$HOME and ${X}", "CONF": "from-env\n", "EMPTY": ""}
	if got := st.Pods[0].Main.Env; !maps.Equal(got, want) {
		t.Errorf("env = %q, want %q", got, want)
	}
	_, _, err := composeLoad(t, "services:\n  web:\n    image: web:1\n    env_file: [{path: app.env, format: raw}]\n", map[string]string{"app.env": "BAD NAME=1\n"})
	if ps := problemStrings(t, err); len(ps) != 1 || !strings.Contains(ps[0], `"BAD NAME" is not a variable name`) {
		t.Errorf("problems %q", ps)
	}
}
