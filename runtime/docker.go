// Package runtime is sidecar's adapter to the Docker Engine: it implements
// orchestrator.Runtime over the Engine API (github.com/moby/moby/client), with the tool's own
// infra image, image builds and pulls, containers, networks and volumes, events, logs, probes
// run inside the pod's network namespace, and resource stats. See docs/engine.md for the
// engine behaviour it relies on and docs/infra-image.md for the infra image.
//
// The in-memory fake for unit tests is in runtime/fake.
package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// Docker talks to one Docker Engine. It is safe for concurrent use.
type Docker struct {
	cli           *client.Client
	host          string
	source        string
	apiVersion    string
	engineVersion string
	arch          string
	toolVersion   string
	infraRepo     string

	infraMu  sync.Mutex // one infra image creation at a time in this process
	infraRef string     // set once the infra image is known to exist
}

var (
	_ orchestrator.Runtime       = (*Docker)(nil)
	_ orchestrator.StatsSource   = (*Docker)(nil)
	_ orchestrator.EngineChecker = (*Docker)(nil)
)

// Close releases the connections to the engine.
func (d *Docker) Close() error { return d.cli.Close() }

// Host is the engine address in use, e.g. unix:///var/run/docker.sock.
func (d *Docker) Host() string { return d.host }

// APIVersion is the Engine API version agreed with the engine, e.g. "1.41".
func (d *Docker) APIVersion() string { return d.apiVersion }

// EngineVersion is the engine's version, e.g. "20.10.24".
func (d *Docker) EngineVersion() string { return d.engineVersion }

// Arch is the engine's architecture as a GOARCH value, e.g. "amd64".
func (d *Docker) Arch() string { return d.arch }

// Client is the underlying API client, for callers that measure the raw API (benchmarks).
func (d *Docker) Client() *client.Client { return d.cli }

// VolumeSubpaths reports whether the engine mounts a sub path of a volume (API 1.45, Docker
// Engine 26): up checks it before it creates anything.
func (d *Docker) VolumeSubpaths() bool { return d.apiAtLeast(apiVolumeSubpath) }

// apiAtLeast reports whether the agreed API version is v or newer.
func (d *Docker) apiAtLeast(v string) bool {
	return versions.GreaterThanOrEqualTo(d.apiVersion, v)
}

// engineError maps the engine's error classes onto the orchestrator's sentinels (keeping the
// original in the chain) and prefixes what was being done.
func engineError(what string, err error) error {
	if err == nil {
		return nil
	}
	msg := what + ": " + cleanMessage(err)
	switch {
	case cerrdefs.IsNotFound(err):
		return newError(msg, err, orchestrator.ErrNotFound)
	case client.IsErrConnectionFailed(err) || connectionLost(err):
		return newError(msg+"; is the engine still running?", err, orchestrator.ErrEngineUnreachable)
	}
	return newError(msg, err)
}

// connectionLost reports whether err is the engine's connection going away under a request
// (the engine stopping: its API closes before anything else), not an answer of the engine.
func connectionLost(err error) bool {
	for _, e := range []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.EPIPE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// sidecarError is an error with our own message that matches the given sentinels and unwraps
// to its cause.
type sidecarError struct {
	msg   string
	chain []error
}

func (e *sidecarError) Error() string   { return e.msg }
func (e *sidecarError) Unwrap() []error { return e.chain }

// newError returns an error saying msg that matches cause (when not nil) and every sentinel.
func newError(msg string, cause error, sentinels ...error) error {
	chain := append([]error(nil), sentinels...)
	if cause != nil {
		chain = append(chain, cause)
	}
	return &sidecarError{msg: msg, chain: chain}
}

// cleanMessage drops the client's "Error response from daemon: " prefix.
func cleanMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "Error response from daemon: ")
}

func isConflict(err error) bool { return cerrdefs.IsConflict(err) }

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

// engineCheckTimeout bounds CheckEngine: an engine that takes a connection and does not
// answer a ping within it (one stopping under a socket that systemd holds) is taken as gone.
const engineCheckTimeout = 3 * time.Second

// CheckEngine tells whether the engine takes a new connection and answers a ping on it
// (orchestrator.EngineChecker). It dials afresh rather than through the client's pool: a
// stopping engine has closed its listener while the pooled connections still get answers.
func (d *Docker) CheckEngine(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, engineCheckTimeout)
	defer cancel()
	gone := func(err error) error {
		return newError("check the engine at "+d.host+": "+err.Error()+"; is the engine still running?", err, orchestrator.ErrEngineUnreachable)
	}
	conn, err := d.cli.Dialer()(ctx)
	if err != nil {
		return gone(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"); err != nil {
		return gone(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return gone(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return gone(fmt.Errorf("ping answered %s", resp.Status))
	}
	return nil
}

// NodeInfo is the engine's host as the downward API gives it: the engine's name
// (spec.nodeName), its CPUs and memory (what a limit that is not set reads as).
func (d *Docker) NodeInfo(ctx context.Context) (orchestrator.NodeInfo, error) {
	res, err := d.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return orchestrator.NodeInfo{}, engineError("read the engine's info", err)
	}
	return orchestrator.NodeInfo{Name: res.Info.Name, CPUs: res.Info.NCPU, Memory: res.Info.MemTotal}, nil
}
