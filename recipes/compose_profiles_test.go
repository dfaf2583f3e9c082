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
