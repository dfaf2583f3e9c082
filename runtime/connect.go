package runtime

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/docker/go-connections/tlsconfig"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// ConnectOptions says which engine to talk to. The zero value follows the docker CLI: an
// explicit Host, else an explicit Context, else DOCKER_HOST, else DOCKER_CONTEXT, else the
// current context of ~/.docker/config.json, else the local socket.
type ConnectOptions struct {
	// Host is an engine address, like docker -H: unix:///path, tcp://host:port or
	// ssh://[user@]host[:port][/socket/path].
	Host string
	// Context is a Docker context name, like docker --context.
	Context string
	// ConfigDir is the docker CLI's configuration directory. Default: $DOCKER_CONFIG, else
	// ~/.docker.
	ConfigDir string
	// Getenv reads the environment. Default: os.Getenv.
	Getenv func(string) string
	// Timeout bounds the checks Connect makes (ping, version). Default 10s, 30s over ssh.
	Timeout time.Duration
	// ToolVersion is sidecar's version, recorded on the infra image (its version label).
	// Default "dev".
	ToolVersion string
	// InfraRepository is the repository the infra image is tagged in. Default
	// DefaultInfraRepository.
	InfraRepository string
}

// DefaultInfraRepository is where the infra image is tagged: sidecar-infra:<content hash>.
const DefaultInfraRepository = "sidecar-infra"

// DefaultHost is the engine's local socket, used when nothing else names an engine.
const DefaultHost = "unix:///var/run/docker.sock"

// The environment variables the docker CLI honours and sidecar too.
const (
	envHost       = "DOCKER_HOST"
	envContext    = "DOCKER_CONTEXT"
	envConfig     = "DOCKER_CONFIG"
	envTLSVerify  = "DOCKER_TLS_VERIFY"
	envCertPath   = "DOCKER_CERT_PATH"
	envTLS        = "DOCKER_TLS"
	envAPIVersion = "DOCKER_API_VERSION"
)

// endpoint is where the engine is and how we learnt it.
type endpoint struct {
	host   string
	source string // "DOCKER_HOST", "context \"x\"", ...
	tls    *tls.Config
}

// UnreachableError says that the engine did not answer, where sidecar looked, and how to
// fix it. It matches orchestrator.ErrEngineUnreachable.
type UnreachableError struct {
	Host   string // the engine address tried
	Source string // where the address came from
	Reason string // what went wrong
	Hint   string // how to fix it
	Err    error  // the underlying error, if any
}

func (e *UnreachableError) Error() string {
	msg := "cannot connect to the Docker engine at " + e.Host
	if e.Source != "" {
		msg += " (from " + e.Source + ")"
	}
	msg += ": " + e.Reason
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *UnreachableError) Is(target error) bool { return target == orchestrator.ErrEngineUnreachable }

func (e *UnreachableError) Unwrap() error { return e.Err }

// Connect finds the engine, agrees an API version with it (eagerly, so that a wrong
// DOCKER_HOST or an engine too old fails here with a clear message) and returns an adapter
// that implements orchestrator.Runtime. Close it when done.
func Connect(ctx context.Context, opts ConnectOptions) (*Docker, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.ConfigDir == "" {
		opts.ConfigDir = defaultConfigDir(opts.Getenv)
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = "dev"
	}
	if opts.InfraRepository == "" {
		opts.InfraRepository = DefaultInfraRepository
	}
	ep, err := resolveEndpoint(opts)
	if err != nil {
		return nil, err
	}
	fixedVersion := strings.TrimPrefix(strings.TrimSpace(opts.Getenv(envAPIVersion)), "v")
	cli, err := newClient(ep, opts.ToolVersion, fixedVersion)
	if err != nil {
		return nil, &UnreachableError{Host: ep.host, Source: ep.source, Reason: err.Error(),
			Hint: "fix the engine address", Err: err}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
		if strings.HasPrefix(ep.host, "ssh://") {
			timeout = 30 * time.Second
		}
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	ping, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: fixedVersion == ""})
	if err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to the Docker engine at %s: %w", ep.host, ctx.Err())
		}
		return nil, diagnose(ep, ping, err, pctx.Err() != nil, timeout)
	}
	if fixedVersion != "" {
		if err := checkFixedVersion(ep, fixedVersion, ping.APIVersion); err != nil {
			cli.Close()
			return nil, err
		}
	}
	ver, err := cli.ServerVersion(pctx, client.ServerVersionOptions{})
	if err != nil {
		cli.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect to the Docker engine at %s: %w", ep.host, ctx.Err())
		}
		return nil, &UnreachableError{Host: ep.host, Source: ep.source, Err: err,
			Reason: "it answered a ping but not a version request: " + err.Error(),
			Hint:   "check that the address points at a Docker Engine"}
	}
	if ver.Os != "" && ver.Os != "linux" {
		cli.Close()
		return nil, &UnreachableError{Host: ep.host, Source: ep.source,
			Reason: "the engine runs " + ver.Os + " containers; sidecar needs a Linux engine",
			Hint:   "switch Docker Desktop to Linux containers or use another engine"}
	}
	return &Docker{
		cli:           cli,
		host:          ep.host,
		source:        ep.source,
		apiVersion:    cli.ClientVersion(),
		engineVersion: ver.Version,
		arch:          normalizeArch(ver.Arch),
		toolVersion:   opts.ToolVersion,
		infraRepo:     opts.InfraRepository,
	}, nil
}

func defaultConfigDir(getenv func(string) string) string {
	if d := getenv(envConfig); d != "" {
		return d
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

// ResolveHost is the engine address Connect would use, and where it comes from (DOCKER_HOST,
// a context, the default socket), found as Connect finds it but without connecting: what
// names one engine, for whoever keeps things per engine. A unix socket's path is cleaned.
func ResolveHost(opts ConnectOptions) (host, source string, err error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.ConfigDir == "" {
		opts.ConfigDir = defaultConfigDir(opts.Getenv)
	}
	ep, err := resolveEndpoint(opts)
	if err != nil {
		return "", "", err
	}
	host = ep.host
	if p, ok := strings.CutPrefix(host, "unix://"); ok && p != "" {
		host = "unix://" + filepath.Clean(p)
	}
	return host, ep.source, nil
}

// resolveEndpoint applies the docker CLI's precedence.
func resolveEndpoint(opts ConnectOptions) (endpoint, error) {
	switch {
	case opts.Host != "":
		return hostEndpoint(opts.Host, "the host sidecar was given", opts)
	case opts.Context != "":
		return contextEndpoint(opts.Context, "the context sidecar was given", opts)
	case opts.Getenv(envHost) != "":
		return hostEndpoint(opts.Getenv(envHost), envHost, opts)
	case opts.Getenv(envContext) != "":
		return contextEndpoint(opts.Getenv(envContext), envContext, opts)
	}
	if name, err := currentContext(opts.ConfigDir); err != nil {
		return endpoint{}, err
	} else if name != "" && name != "default" {
		return contextEndpoint(name, "the current context in "+filepath.Join(opts.ConfigDir, "config.json"), opts)
	}
	return endpoint{host: DefaultHost, source: "the default socket"}, nil
}

// hostEndpoint is an address from -H or DOCKER_HOST, with TLS from DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH as the docker CLI reads them.
func hostEndpoint(host, source string, opts ConnectOptions) (endpoint, error) {
	ep := endpoint{host: host, source: source}
	if !strings.HasPrefix(host, "tcp://") {
		return ep, nil
	}
	verify := opts.Getenv(envTLSVerify) != ""
	certPath := opts.Getenv(envCertPath)
	if !verify && certPath == "" && opts.Getenv(envTLS) == "" {
		return ep, nil
	}
	if certPath == "" {
		certPath = opts.ConfigDir
	}
	cfg, err := tlsConfig(certPath, !verify)
	if err != nil {
		return ep, &UnreachableError{Host: host, Source: source, Err: err,
			Reason: "TLS settings: " + err.Error(),
			Hint:   "check " + envCertPath + " (it must hold ca.pem, cert.pem and key.pem) and " + envTLSVerify}
	}
	ep.tls = cfg
	return ep, nil
}

func tlsConfig(dir string, skipVerify bool) (*tls.Config, error) {
	o := tlsconfig.Options{InsecureSkipVerify: skipVerify, MinVersion: tls.VersionTLS12}
	exists := func(name string) string {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	o.CAFile, o.CertFile, o.KeyFile = exists("ca.pem"), exists("cert.pem"), exists("key.pem")
	if o.CertFile == "" || o.KeyFile == "" {
		o.CertFile, o.KeyFile = "", ""
	}
	// With a CA file, trust only it (as the docker CLI does); without, the system roots.
	o.ExclusiveRootPools = o.CAFile != ""
	return tlsconfig.Client(o)
}

// currentContext reads currentContext from the CLI's config.json ("" when unset).
func currentContext(configDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(configDir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", &UnreachableError{Host: "(unknown)", Source: filepath.Join(configDir, "config.json"),
			Reason: err.Error(), Hint: "fix the file's permissions or set DOCKER_HOST", Err: err}
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", &UnreachableError{Host: "(unknown)", Source: filepath.Join(configDir, "config.json"),
			Reason: "it is not valid JSON: " + err.Error(), Hint: "fix the file or set DOCKER_HOST", Err: err}
	}
	return cfg.CurrentContext, nil
}

// contextEndpoint reads a Docker context's docker endpoint from the CLI's context store:
// contexts/meta/<sha256 of name>/meta.json, with TLS material in contexts/tls/<sha256>/docker.
func contextEndpoint(name, source string, opts ConnectOptions) (endpoint, error) {
	src := "Docker context " + strconvQuote(name) + " (named by " + source + ")"
	if name == "default" {
		if h := opts.Getenv(envHost); h != "" {
			return hostEndpoint(h, envHost, opts)
		}
		return endpoint{host: DefaultHost, source: src}, nil
	}
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaPath := filepath.Join(opts.ConfigDir, "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return endpoint{}, &UnreachableError{Host: "(unknown)", Source: src, Err: err,
			Reason: "the context does not exist (no " + metaPath + ")",
			Hint:   "list contexts with `docker context ls`, or unset " + envContext + " / switch with `docker context use default`"}
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return endpoint{}, &UnreachableError{Host: "(unknown)", Source: src, Err: err,
			Reason: metaPath + " is not valid JSON: " + err.Error(),
			Hint:   "recreate the context with `docker context create`"}
	}
	dockerEP, ok := meta.Endpoints["docker"]
	if !ok || dockerEP.Host == "" {
		return endpoint{}, &UnreachableError{Host: "(unknown)", Source: src,
			Reason: "the context has no docker endpoint",
			Hint:   "recreate it with `docker context create NAME --docker host=...`"}
	}
	ep := endpoint{host: dockerEP.Host, source: src}
	tlsDir := filepath.Join(opts.ConfigDir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(tlsDir); err == nil && strings.HasPrefix(ep.host, "tcp://") {
		cfg, err := tlsConfig(tlsDir, dockerEP.SkipTLSVerify)
		if err != nil {
			return ep, &UnreachableError{Host: ep.host, Source: src, Err: err,
				Reason: "TLS material in " + tlsDir + ": " + err.Error(),
				Hint:   "recreate the context's TLS settings with `docker context update`"}
		}
		ep.tls = cfg
	}
	return ep, nil
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// newClient builds the API client for ep. Over ssh it dials with `ssh HOST docker system
// dial-stdio` and speaks HTTP over that process's stdio.
func newClient(ep endpoint, toolVersion, fixedVersion string) (*client.Client, error) {
	opts := []client.Opt{client.WithUserAgent("sidecar/" + toolVersion)}
	if fixedVersion != "" {
		opts = append(opts, client.WithAPIVersion(fixedVersion))
	}
	u, err := url.Parse(ep.host)
	if err != nil {
		return nil, fmt.Errorf("bad engine address %q: %w", ep.host, err)
	}
	switch u.Scheme {
	case "unix":
		opts = append(opts, client.WithHost(ep.host))
	case "tcp":
		if ep.tls != nil {
			opts = append(opts, client.WithHTTPClient(&http.Client{
				Transport:     &http.Transport{TLSClientConfig: ep.tls},
				CheckRedirect: client.CheckRedirect,
			}))
		}
		opts = append(opts, client.WithHost(ep.host))
	case "ssh":
		target, err := parseSSHHost(ep.host)
		if err != nil {
			return nil, err
		}
		opts = append(opts,
			client.WithHost("http://docker.sidecar.localhost"),
			client.WithHTTPClient(&http.Client{
				Transport: &http.Transport{
					DialContext:     target.dial,
					MaxIdleConns:    6,
					IdleConnTimeout: 30 * time.Second,
				},
				CheckRedirect: client.CheckRedirect,
			}))
	default:
		return nil, fmt.Errorf("unsupported engine address %q: use unix://, tcp:// or ssh://", ep.host)
	}
	return client.New(opts...)
}

// checkFixedVersion vets a DOCKER_API_VERSION the user pinned.
func checkFixedVersion(ep endpoint, fixed, server string) error {
	switch {
	case versions.LessThan(fixed, client.MinAPIVersion):
		return &UnreachableError{Host: ep.host, Source: ep.source,
			Reason: envAPIVersion + "=" + fixed + " is older than the oldest API sidecar speaks (" + client.MinAPIVersion + ")",
			Hint:   "unset " + envAPIVersion + " to let sidecar negotiate"}
	case server != "" && versions.GreaterThan(fixed, server):
		return &UnreachableError{Host: ep.host, Source: ep.source,
			Reason: envAPIVersion + "=" + fixed + " is newer than the engine's API " + server,
			Hint:   "unset " + envAPIVersion + " to let sidecar negotiate"}
	}
	return nil
}

// diagnose turns a failed ping into an error that says what is wrong and how to fix it.
func diagnose(ep endpoint, ping client.PingResult, err error, timedOut bool, timeout time.Duration) error {
	ue := &UnreachableError{Host: ep.host, Source: ep.source, Err: err, Reason: err.Error()}
	if ping.APIVersion != "" {
		// The engine answered; the version could not be agreed.
		ue.Reason = "the engine speaks Docker API " + ping.APIVersion + " but sidecar needs API " +
			client.MinAPIVersion + " or newer (Docker Engine 19.03+)"
		ue.Hint = "upgrade the engine"
		return ue
	}
	u, _ := url.Parse(ep.host)
	scheme := ""
	if u != nil {
		scheme = u.Scheme
	}
	start := "start it (Linux: `sudo systemctl start docker`; macOS/Windows: start Docker Desktop)"
	switch scheme {
	case "unix":
		path := u.Path
		conn, derr := net.DialTimeout("unix", path, 2*time.Second)
		switch {
		case derr == nil:
			conn.Close()
			if timedOut {
				ue.Reason = "the socket accepts connections but the engine did not answer within " + timeout.String()
				ue.Hint = "the engine may be starting or stuck: check `systemctl status docker` or restart Docker Desktop"
			} else {
				ue.Hint = "check that " + path + " belongs to a Docker Engine"
			}
		case errors.Is(derr, syscall.ENOENT):
			ue.Reason = "there is no engine socket at " + path
			ue.Hint = "is Docker running? " + start + ", or point " + envHost + " or `docker context use` at a running engine"
		case errors.Is(derr, syscall.EACCES) || errors.Is(derr, syscall.EPERM):
			ue.Reason = "permission denied on " + path
			ue.Hint = "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), or use rootless Docker with " + envHost
		case errors.Is(derr, syscall.ECONNREFUSED):
			ue.Reason = "nothing listens on " + path + " (the engine is not running)"
			ue.Hint = start
		default:
			ue.Reason = derr.Error()
			ue.Hint = start + ", or check " + envHost
		}
	case "tcp":
		// The client's message hides the cause; dial once to learn it.
		conn, derr := net.DialTimeout("tcp", u.Host, 3*time.Second)
		switch {
		case derr == nil:
			conn.Close()
			if timedOut {
				ue.Reason = "the port accepts connections but the engine did not answer within " + timeout.String()
			}
		case isTimeout(derr):
			ue.Reason = "no answer from " + u.Host + " (timed out)"
		case errors.Is(derr, syscall.ECONNREFUSED):
			ue.Reason = "connection refused (no engine listens on " + u.Host + ")"
		default:
			var dnsErr *net.DNSError
			if errors.As(derr, &dnsErr) {
				ue.Reason = "unknown host " + u.Hostname()
			} else {
				ue.Reason = derr.Error()
			}
		}
		ue.Hint = "check " + envHost + " or the docker context, that the engine listens on that address, and the TLS settings (" + envTLSVerify + ", " + envCertPath + ")"
	case "ssh":
		var ce *commandError
		switch {
		case errors.As(err, &ce):
			ue.Reason = ce.Error()
		case timedOut:
			ue.Reason = "no answer over ssh within " + timeout.String()
		}
		if t, perr := parseSSHHost(ep.host); perr == nil {
			ue.Hint = "check that `" + t.command() + "` works without a password prompt (key-based auth, e.g. ssh-agent) and that the remote user may use docker"
		}
	default:
		ue.Hint = start
	}
	return ue
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// normalizeArch maps an engine's architecture name to GOARCH.
func normalizeArch(arch string) string {
	switch arch {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64", "armv8", "arm64/v8":
		return "arm64"
	}
	return arch
}
