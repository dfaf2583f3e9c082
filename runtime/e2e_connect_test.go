package runtime_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/sidecar-dev/sidecar/e2e/testenv"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
	"github.com/sidecar-dev/sidecar/runtime/infra"
)

func TestConnectNegotiates(t *testing.T) {
	t.Parallel()
	d := testenv.Engine(t)
	if d.APIVersion() == "" || versions.LessThan(d.APIVersion(), "1.40") {
		t.Errorf("APIVersion() = %q, want a negotiated version >= 1.40", d.APIVersion())
	}
	if d.EngineVersion() == "" {
		t.Error("EngineVersion() is empty")
	}
	if !slices.Contains(infra.Architectures, d.Arch()) {
		t.Errorf("Arch() = %q, not one the infra helper is built for (%v)", d.Arch(), infra.Architectures)
	}
	t.Logf("engine %s, API %s, %s, at %s", d.EngineVersion(), d.APIVersion(), d.Arch(), d.Host())
}

func TestConnectUnreachable(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "docker.sock")
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no socket", map[string]string{"DOCKER_HOST": "unix://" + missing},
			[]string{"unix://" + missing, "DOCKER_HOST", "no engine socket", "systemctl start docker", "Docker Desktop"}},
		{"refused", map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:1"},
			[]string{"tcp://127.0.0.1:1", "connection refused", "check DOCKER_HOST"}},
		{"unknown context", map[string]string{"DOCKER_CONTEXT": "nowhere"},
			[]string{`"nowhere"`, "DOCKER_CONTEXT", "docker context ls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testenv.Context(t, 30*time.Second)
			_, err := runtime.Connect(ctx, runtime.ConnectOptions{
				ConfigDir: t.TempDir(),
				Getenv:    func(k string) string { return tt.env[k] },
				Timeout:   5 * time.Second,
			})
			if !errors.Is(err, orchestrator.ErrEngineUnreachable) {
				t.Fatalf("Connect: %v, want ErrEngineUnreachable", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestConnectOverSSH runs the ssh dialer end to end with a stand-in ssh command that checks
// its arguments and runs `docker system dial-stdio` locally, which is what sshd would do.
func TestConnectOverSSH(t *testing.T) {
	docker, err := lookPath("docker")
	if err != nil {
		t.Skip("the docker CLI is needed to stand in for the remote side of ssh")
	}
	testenv.Engine(t) // skips or fails without an engine
	bin := t.TempDir()
	argsFile := filepath.Join(bin, "args")
	script := "#!/bin/sh\necho \"$@\" >> " + argsFile + "\n" +
		"case \"$*\" in *'-l tester -p 2222 -- engine.example docker system dial-stdio') exec " + docker + " system dial-stdio;; esac\n" +
		"echo 'tester@engine.example: Permission denied (publickey).' >&2\nexit 255\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DOCKER_HOST", "")

	d := testenv.Connect(t, runtime.ConnectOptions{Host: "ssh://tester@engine.example:2222"})
	ctx := testenv.Context(t, time.Minute)
	if _, err := d.ListContainers(ctx, testenv.Labels(t)); err != nil {
		t.Fatalf("list over ssh: %v", err)
	}
	args, _ := os.ReadFile(argsFile)
	if !strings.Contains(string(args), "-o BatchMode=yes") {
		t.Errorf("ssh ran with %q, want BatchMode so that it never prompts", args)
	}

	_, err = runtime.Connect(ctx, runtime.ConnectOptions{Host: "ssh://intruder@engine.example:2222", Timeout: 20 * time.Second})
	if !errors.Is(err, orchestrator.ErrEngineUnreachable) || !strings.Contains(err.Error(), "Permission denied (publickey)") {
		t.Errorf("failed ssh: got %v, want ErrEngineUnreachable with ssh's own message", err)
	}
}

// CheckEngine answers nil for an engine that is there, and ErrEngineUnreachable once it has
// stopped, though the client was made (and used) while it ran.
func TestCheckEngine(t *testing.T) {
	t.Parallel()
	daemon := testenv.StartDaemon(t)
	d := daemon.Connect(t)
	if err := d.CheckEngine(t.Context()); err != nil {
		t.Fatalf("CheckEngine of a running engine: %v", err)
	}
	if _, err := d.ListContainers(t.Context(), nil); err != nil { // a pooled connection
		t.Fatal(err)
	}
	daemon.Stop()
	if err := d.CheckEngine(t.Context()); !errors.Is(err, orchestrator.ErrEngineUnreachable) {
		t.Errorf("CheckEngine of a stopped engine: %v, want ErrEngineUnreachable", err)
	}
	daemon.Start()
	if err := d.CheckEngine(t.Context()); err != nil {
		t.Errorf("CheckEngine once the engine is back: %v", err)
	}
}
