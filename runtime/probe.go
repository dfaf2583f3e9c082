package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
	"github.com/sidecar-dev/sidecar/runtime/infra"
)

// probeHost is where http and tcp probes connect when the probe names no host: the pod's
// loopback, reached from the infra container, which shares the pod's network namespace.
const probeHost = "127.0.0.1"

// probeSlack is what Probe allows on top of the probe's timeout for the exec round trips
// (create, attach, inspect) before it gives up on the engine.
const probeSlack = time.Second

// Probe makes one attempt of p. http and tcp checks run the infra helper with docker exec
// inside the infra container (infraID), so they work in the pod's network namespace with no
// tool in the app's image and with the engine in a VM; the helper enforces the timeout, and
// so does ctx (timeout + 1s for the exec round trips). exec checks run p.Exec.Command in
// containerID with the same deadline. nil means the probe passed; an error says why not.
func (d *Docker) Probe(ctx context.Context, infraID, containerID string, p recipes.Probe) error {
	timeout := p.Timeout.D()
	if timeout <= 0 {
		timeout = recipes.DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout+probeSlack)
	defer cancel()

	var cmd []string
	var target, where string
	switch p.Kind() {
	case recipes.ProbeHTTP:
		target, cmd = httpProbeCommand(p.HTTP, timeout)
		where = infraID
	case recipes.ProbeTCP:
		host := p.TCP.Host
		if host == "" {
			host = probeHost
		}
		target = net.JoinHostPort(host, strconv.Itoa(p.TCP.Port))
		cmd = []string{infra.HelperPath, "probe", "tcp", target, timeout.String()}
		where = infraID
	case recipes.ProbeExec:
		if len(p.Exec.Command) == 0 {
			return errors.New("exec probe: no command")
		}
		return d.execProbe(ctx, containerID, p.Exec.Command, timeout)
	case recipes.ProbeImage:
		return errors.New("image probe: the engine runs the image's HEALTHCHECK, its verdict comes with the container's health events")
	default:
		return errors.New("probe: no http, tcp or exec check set")
	}
	if where == "" {
		return fmt.Errorf("%s probe of %s: no infra container to run it from", p.Kind(), target)
	}
	res, err := d.Exec(ctx, where, cmd)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s probe of %s: no answer within %s", p.Kind(), target, timeout)
		}
		if errors.Is(err, ErrCommandNotFound) {
			return fmt.Errorf("%s probe of %s: the infra container %s has no probe helper (is it sidecar's infra image?): %w", p.Kind(), target, shortID(infraID), err)
		}
		return fmt.Errorf("%s probe of %s: %w", p.Kind(), target, err)
	}
	if res.ExitCode == 0 {
		return nil
	}
	reason := firstLine(res.Output)
	if reason == "" {
		reason = "the probe helper exited " + strconv.Itoa(res.ExitCode)
	}
	return fmt.Errorf("%s probe failed: %s", p.Kind(), reason)
}

// httpProbeCommand builds the helper's command line for an http probe.
func httpProbeCommand(h *recipes.HTTPProbe, timeout time.Duration) (string, []string) {
	host := h.Host
	if host == "" {
		host = probeHost
	}
	scheme := strings.ToLower(h.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	url := scheme + "://" + net.JoinHostPort(host, strconv.Itoa(h.Port)) + path
	cmd := []string{infra.HelperPath, "probe", "http", url, timeout.String()}
	names := make([]string, 0, len(h.Headers))
	for name := range h.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cmd = append(cmd, name+": "+h.Headers[name])
	}
	return url, cmd
}

// execProbe runs the probe's command in the container; exit status 0 passes.
func (d *Docker) execProbe(ctx context.Context, id string, cmd []string, timeout time.Duration) error {
	what := strconv.Quote(strings.Join(cmd, " "))
	res, err := d.Exec(ctx, id, cmd)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("exec probe %s: did not finish within %s (it may still run in the container)", what, timeout)
		case errors.Is(err, ErrCommandNotFound):
			return fmt.Errorf("exec probe %s: %q is not in the container's image: install it there or change the probe's command", what, cmd[0])
		}
		return fmt.Errorf("exec probe %s: %w", what, err)
	}
	if res.ExitCode != 0 {
		msg := fmt.Sprintf("exec probe %s exited %d", what, res.ExitCode)
		if out := firstLine(res.Output); out != "" {
			msg += ": " + out
		}
		return errors.New(msg)
	}
	return nil
}

// hookHTTPTimeout bounds an http hook when its context has no deadline (a post-start hook):
// the probe helper needs a timeout, and a hook request that takes longer is not answering.
const hookHTTPTimeout = time.Minute

// RunHook runs a lifecycle hook's exec or http action once: exec in containerID (exit status
// 0 passes), http with the infra helper inside the pod's network namespace (infraID), passing
// on a status of 200-399 as a probe does. It ends when the action does or ctx ends.
func (d *Docker) RunHook(ctx context.Context, infraID, containerID string, h recipes.Hook) error {
	switch {
	case h.Exec != nil:
		if len(h.Exec.Command) == 0 {
			return errors.New("exec hook: no command")
		}
		what := strconv.Quote(strings.Join(h.Exec.Command, " "))
		res, err := d.Exec(ctx, containerID, h.Exec.Command)
		switch {
		case err == nil && res.ExitCode == 0:
			return nil
		case err == nil:
			msg := fmt.Sprintf("exec %s exited %d", what, res.ExitCode)
			if out := firstLine(res.Output); out != "" {
				msg += ": " + out
			}
			return errors.New(msg)
		case errors.Is(err, ErrCommandNotFound):
			return fmt.Errorf("exec %s: %q is not in the container's image: install it there or change the hook's command", what, h.Exec.Command[0])
		}
		return fmt.Errorf("exec %s: %w", what, err)
	case h.HTTP != nil:
		if infraID == "" {
			return errors.New("http hook: no infra container to send it from")
		}
		timeout := hookHTTPTimeout
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		url, cmd := httpProbeCommand(h.HTTP, timeout)
		res, err := d.Exec(ctx, infraID, cmd)
		switch {
		case err == nil && res.ExitCode == 0:
			return nil
		case err == nil:
			reason := firstLine(res.Output)
			if reason == "" {
				reason = "the helper exited " + strconv.Itoa(res.ExitCode)
			}
			return fmt.Errorf("GET %s: %s", url, reason)
		case errors.Is(err, ErrCommandNotFound):
			return fmt.Errorf("GET %s: the infra container %s has no probe helper (is it sidecar's infra image?): %w", url, shortID(infraID), err)
		}
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return errors.New("hook: no exec or http action (a sleep is the orchestrator's)")
}
