package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// storeContext stores a Docker context the way the docker CLI does.
func storeContext(t *testing.T, configDir, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	dir := filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveEndpoint(t *testing.T) {
	cfg := t.TempDir()
	storeContext(t, cfg, "remote", "ssh://me@remote.example")
	storeContext(t, cfg, "other", "tcp://other.example:2375")
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{},"currentContext":"remote"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name      string
		opts      ConnectOptions
		env       map[string]string
		host, src string
	}{
		{"current context", ConnectOptions{ConfigDir: cfg}, nil, "ssh://me@remote.example", `context "remote"`},
		{"DOCKER_CONTEXT beats current", ConnectOptions{ConfigDir: cfg}, map[string]string{"DOCKER_CONTEXT": "other"}, "tcp://other.example:2375", "DOCKER_CONTEXT"},
		{"DOCKER_HOST beats contexts", ConnectOptions{ConfigDir: cfg}, map[string]string{"DOCKER_HOST": "unix:///x.sock", "DOCKER_CONTEXT": "other"}, "unix:///x.sock", "DOCKER_HOST"},
		{"explicit context beats DOCKER_HOST", ConnectOptions{ConfigDir: cfg, Context: "other"}, map[string]string{"DOCKER_HOST": "unix:///x.sock"}, "tcp://other.example:2375", "the context sidecar was given"},
		{"explicit host beats all", ConnectOptions{ConfigDir: cfg, Host: "tcp://h:1", Context: "other"}, nil, "tcp://h:1", "the host sidecar was given"},
		{"default context is DOCKER_HOST or the socket", ConnectOptions{ConfigDir: cfg, Context: "default"}, nil, DefaultHost, `context "default"`},
		{"nothing set", ConnectOptions{ConfigDir: empty}, nil, DefaultHost, "default socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Getenv = func(k string) string { return tt.env[k] }
			ep, err := resolveEndpoint(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ep.host != tt.host || !strings.Contains(ep.source, tt.src) {
				t.Errorf("endpoint %q from %q, want %q from something with %q", ep.host, ep.source, tt.host, tt.src)
			}
		})
	}
}

func TestTLSFromEnvironment(t *testing.T) {
	opts := ConnectOptions{ConfigDir: t.TempDir()}
	opts.Getenv = func(k string) string {
		return map[string]string{"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": t.TempDir()}[k]
	}
	ep, err := hostEndpoint("tcp://engine.example:2376", "DOCKER_HOST", opts)
	if err != nil {
		t.Fatal(err)
	}
	if ep.tls == nil || ep.tls.InsecureSkipVerify {
		t.Errorf("DOCKER_TLS_VERIFY=1 must give a verifying TLS config, got %+v", ep.tls)
	}
	opts.Getenv = func(string) string { return "" }
	if ep, _ := hostEndpoint("tcp://engine.example:2375", "DOCKER_HOST", opts); ep.tls != nil {
		t.Error("TLS without DOCKER_TLS_VERIFY / DOCKER_CERT_PATH")
	}
}

func TestSSHArgs(t *testing.T) {
	tg, err := parseSSHHost("ssh://deploy@build.example:2200/run/user/1000/docker.sock")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(tg.args(), " ")
	want := "-o BatchMode=yes -o ConnectTimeout=30 -T -l deploy -p 2200 -- build.example docker --host unix:///run/user/1000/docker.sock system dial-stdio"
	if got != want {
		t.Errorf("args:\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"ssh://", "ssh://u:pw@h", "ssh://h?x=1"} {
		if _, err := parseSSHHost(bad); err == nil {
			t.Errorf("parseSSHHost(%q) accepted", bad)
		}
	}
}

// fakeEngine serves /_ping with the given API version on a unix socket.
func fakeEngine(t *testing.T, apiVersion string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", apiVersion)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("OK"))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + sock
}

func TestAPIVersionCannotBeAgreed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Connect(ctx, ConnectOptions{Host: fakeEngine(t, "1.24"), ConfigDir: t.TempDir(), Getenv: func(string) string { return "" }})
	if !errors.Is(err, orchestrator.ErrEngineUnreachable) || !strings.Contains(err.Error(), "API 1.24") || !strings.Contains(err.Error(), "1.40") {
		t.Errorf("old engine: got %v, want ErrEngineUnreachable naming API 1.24 and the minimum 1.40", err)
	}

	env := map[string]string{"DOCKER_API_VERSION": "1.50"}
	_, err = Connect(ctx, ConnectOptions{Host: fakeEngine(t, "1.41"), ConfigDir: t.TempDir(), Getenv: func(k string) string { return env[k] }})
	if !errors.Is(err, orchestrator.ErrEngineUnreachable) || !strings.Contains(err.Error(), "DOCKER_API_VERSION=1.50") {
		t.Errorf("pinned version too new: got %v", err)
	}
}

// ResolveHost finds the address as Connect does, without connecting, a unix path cleaned.
func TestResolveHost(t *testing.T) {
	cfg := t.TempDir()
	for env, want := range map[string]string{
		"":                                DefaultHost,
		"unix:///tmp/x//y/../docker.sock": "unix:///tmp/x/docker.sock",
		"tcp://10.0.0.1:2375":             "tcp://10.0.0.1:2375",
	} {
		getenv := func(k string) string {
			if k == envHost {
				return env
			}
			return ""
		}
		host, _, err := ResolveHost(ConnectOptions{Getenv: getenv, ConfigDir: cfg})
		if err != nil || host != want {
			t.Errorf("DOCKER_HOST=%q: %q, %v; want %q", env, host, err, want)
		}
	}
}
