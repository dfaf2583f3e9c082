package runtime

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/recipes"
)

// apiVolumeSubpath is the first API version whose volume mounts take a sub path (Engine 26).
const apiVolumeSubpath = "1.45"

// apiBindCreate is the first API version whose bind mounts (HostConfig.Mounts) can create a
// missing source (BindOptions.CreateMountpoint, Engine 23). HostConfig.Binds does it on every
// version.
const apiBindCreate = "1.42"

// CreateContainer creates a container from spec.
//
// An app container (NamespaceOwner set) joins the owner's network namespace, and its PID and
// IPC namespaces when SharePID / ShareIPC are set. A container without an owner is an infra
// container: it gets the network, aliases, hostname and domain name, extra hosts, DNS
// settings and published ports, and its IPC namespace is always created shareable so that
// members may join it. Resources, capabilities, devices, ulimits, sysctls, /dev/shm's size,
// the stop signal, groups and the read-only root filesystem apply to any container.
//
// A taken name is ErrConflict, with a message saying whether the holder is a sidecar leftover
// or someone else's container. A missing image is ErrImageUnavailable (and ErrNotFound).
func (d *Docker) CreateContainer(ctx context.Context, spec orchestrator.ContainerSpec) (string, error) {
	opts, err := d.createOptions(spec)
	if err != nil {
		return "", fmt.Errorf("create container %s: %w", spec.Name, err)
	}
	res, err := d.cli.ContainerCreate(ctx, opts)
	if err == nil {
		return res.ID, nil
	}
	switch {
	case isConflict(err) && strings.Contains(err.Error(), "already in use"):
		return "", d.nameConflict(ctx, "container", spec.Name, err)
	case isNotFound(err) && strings.Contains(strings.ToLower(err.Error()), "no such image"):
		return "", newError(fmt.Sprintf("create container %s: image %s is not present on the engine: pull or build it first", spec.Name, spec.Image),
			err, orchestrator.ErrImageUnavailable, orchestrator.ErrNotFound)
	case isNotFound(err) && spec.NamespaceOwner != "":
		return "", newError(fmt.Sprintf("create container %s: %s (the pod's infra container %s is gone: recreate the pod)",
			spec.Name, cleanMessage(err), shortID(spec.NamespaceOwner)), err, orchestrator.ErrNotFound)
	}
	return "", engineError("create container "+spec.Name, err)
}

func (d *Docker) createOptions(spec orchestrator.ContainerSpec) (client.ContainerCreateOptions, error) {
	if spec.Image == "" {
		return client.ContainerCreateOptions{}, errors.New("no image")
	}
	cfg := &container.Config{
		Image:      spec.Image,
		Labels:     spec.Labels,
		Entrypoint: spec.Entrypoint,
		Cmd:        spec.Cmd,
		Env:        spec.Env,
		WorkingDir: spec.WorkingDir,
		User:       spec.User,
		Tty:        spec.TTY,
		StopSignal: spec.StopSignal,
	}
	if spec.StopGrace > 0 {
		s := int(math.Ceil(spec.StopGrace.Seconds()))
		cfg.StopTimeout = &s
	}
	hc := &container.HostConfig{
		CapAdd:         spec.CapAdd,
		CapDrop:        spec.CapDrop,
		Privileged:     spec.Privileged,
		ReadonlyRootfs: spec.ReadOnly,
		GroupAdd:       spec.Groups,
		ShmSize:        spec.ShmSize,
		Sysctls:        spec.Sysctls,
		Resources: container.Resources{
			NanoCPUs:          int64(spec.CPU) * 1_000_000,
			CPUShares:         spec.CPUShares,
			Memory:            spec.Memory,
			MemoryReservation: spec.MemoryReservation,
		},
	}
	for _, dev := range spec.Devices {
		m := container.DeviceMapping{PathOnHost: dev.HostPath, PathInContainer: dev.ContainerPath, CgroupPermissions: dev.Permissions}
		if m.PathInContainer == "" {
			m.PathInContainer = m.PathOnHost
		}
		if m.CgroupPermissions == "" {
			m.CgroupPermissions = "rwm"
		}
		hc.Devices = append(hc.Devices, m)
	}
	for _, u := range spec.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if spec.Init {
		t := true
		hc.Init = &t
	}
	var nc *network.NetworkingConfig
	if owner := spec.NamespaceOwner; owner != "" {
		if spec.Network != "" || len(spec.Aliases) > 0 || spec.Hostname != "" || len(spec.Ports) > 0 ||
			spec.Domainname != "" || len(spec.ExtraHosts) > 0 || spec.DNS != nil {
			return client.ContainerCreateOptions{}, errors.New("a container that joins the infra container's namespaces cannot have its own network, aliases, hostname, domain name, extra hosts, DNS settings or ports: set them on the infra container")
		}
		hc.NetworkMode = container.NetworkMode("container:" + owner)
		if spec.SharePID {
			hc.PidMode = container.PidMode("container:" + owner)
		}
		if spec.ShareIPC {
			hc.IpcMode = container.IpcMode("container:" + owner)
		}
	} else {
		hc.IpcMode = container.IPCModeShareable
		cfg.Hostname, cfg.Domainname = spec.Hostname, spec.Domainname
		for _, h := range spec.ExtraHosts {
			for _, name := range h.Hostnames {
				hc.ExtraHosts = append(hc.ExtraHosts, name+":"+h.IP)
			}
		}
		if dns := spec.DNS; dns != nil {
			for _, ns := range dns.Nameservers {
				ip, err := netip.ParseAddr(ns)
				if err != nil {
					return client.ContainerCreateOptions{}, fmt.Errorf("bad DNS nameserver %q: write an IP address", ns)
				}
				hc.DNS = append(hc.DNS, ip)
			}
			hc.DNSSearch, hc.DNSOptions = dns.Searches, dns.Options
		}
		if spec.Network != "" {
			hc.NetworkMode = container.NetworkMode(spec.Network)
			nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
				spec.Network: {Aliases: spec.Aliases},
			}}
		} else if len(spec.Aliases) > 0 {
			return client.ContainerCreateOptions{}, errors.New("DNS aliases need a network: set ContainerSpec.Network")
		}
		if len(spec.Ports) > 0 {
			cfg.ExposedPorts = network.PortSet{}
			hc.PortBindings = network.PortMap{}
			for _, p := range spec.Ports {
				port, ok := network.PortFrom(uint16(p.ContainerPort), network.IPProtocol(p.Protocol.String()))
				if !ok || p.ContainerPort <= 0 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 {
					return client.ContainerCreateOptions{}, fmt.Errorf("bad port %s", p)
				}
				b := network.PortBinding{}
				if p.HostIP != "" {
					ip, err := netip.ParseAddr(p.HostIP)
					if err != nil {
						return client.ContainerCreateOptions{}, fmt.Errorf("bad host IP in port %s: %w", p, err)
					}
					b.HostIP = ip
				}
				if p.HostPort != 0 {
					b.HostPort = strconv.Itoa(p.HostPort)
				}
				cfg.ExposedPorts[port] = struct{}{}
				hc.PortBindings[port] = append(hc.PortBindings[port], b)
			}
		}
	}
	for _, m := range spec.Mounts {
		mm, err := d.mount(m)
		if err != nil {
			return client.ContainerCreateOptions{}, err
		}
		if b, ok := bindOf(mm); ok {
			hc.Binds = append(hc.Binds, b)
			continue
		}
		hc.Mounts = append(hc.Mounts, mm)
	}
	return client.ContainerCreateOptions{Name: spec.Name, Config: cfg, HostConfig: hc, NetworkingConfig: nc}, nil
}

// mount translates a MountSpec. A sub path of a bind mount is joined to the host path (any
// engine); a sub path of a volume needs API 1.45 (Engine 26) or newer.
func (d *Docker) mount(m orchestrator.MountSpec) (mount.Mount, error) {
	if m.Target == "" || !path.IsAbs(m.Target) {
		return mount.Mount{}, fmt.Errorf("mount %s: the target %q must be an absolute path in the container", m.Source, m.Target)
	}
	sub := ""
	if m.SubPath != "" {
		sub = path.Clean(m.SubPath)
		if path.IsAbs(sub) || sub == ".." || strings.HasPrefix(sub, "../") {
			return mount.Mount{}, fmt.Errorf("mount %s at %s: sub_path %q must stay inside the volume (relative, no ..)", m.Source, m.Target, m.SubPath)
		}
		if sub == "." {
			sub = ""
		}
	}
	switch m.Type {
	case recipes.MountVolume:
		// A pod volume is an emptyDir: it starts empty. Without NoCopy the engine would copy
		// the image's files at the target into the volume when the first container that
		// mounts it is created (all of a pod's are created up front), so every container
		// would find, say, nginx's /var/log/nginx symlinks to /dev/stdout in a shared logs
		// volume. The one exception is the infra container's seeding mount (an empty
		// directory of mode 0777 in our own image), which gives the volume an emptyDir's mode.
		mm := mount.Mount{Type: mount.TypeVolume, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly,
			VolumeOptions: &mount.VolumeOptions{NoCopy: !m.Seed}}
		if sub != "" {
			if !d.apiAtLeast(apiVolumeSubpath) {
				return mount.Mount{}, fmt.Errorf("mount volume %s at %s with sub_path %q: the engine speaks API %s, and volume sub paths need API %s (Docker Engine 26 or newer): upgrade the engine, or mount the whole volume and point the program at the sub directory",
					m.Source, m.Target, m.SubPath, d.apiVersion, apiVolumeSubpath)
			}
			mm.VolumeOptions.Subpath = sub
		}
		return mm, nil
	case recipes.MountBind:
		if !path.IsAbs(m.Source) {
			return mount.Mount{}, fmt.Errorf("bind mount %s: the host path must be absolute (resolve it against the recipe's directory)", m.Source)
		}
		src := m.Source
		if sub != "" {
			src = path.Join(src, sub)
		}
		mm := mount.Mount{Type: mount.TypeBind, Source: src, Target: m.Target, ReadOnly: m.ReadOnly}
		if !m.MustExist {
			// A missing source is created, an empty directory, on the engine's host (local or
			// remote alike), as docker run -v and compose's short syntax do: bindOf makes it
			// one of HostConfig.Binds, which does that on every engine; a path Binds cannot
			// spell takes CreateMountpoint where the engine has it.
			mm.BindOptions = &mount.BindOptions{CreateMountpoint: true}
			if strings.ContainsAny(src, ":,") && !d.apiAtLeast(apiBindCreate) {
				mm.BindOptions = nil // the engine refuses a missing source, and says so
			}
		}
		return mm, nil
	}
	return mount.Mount{}, fmt.Errorf("mount %s: unknown mount type %v", m.Source, m.Type)
}

// bindOf is mount m as an entry of HostConfig.Binds (source:target[:ro]) when it is a bind
// mount whose missing source the engine is to create: Binds does that on every API version
// (HostConfig.Mounts refuses a missing source before API 1.42). A source or target Binds
// cannot spell (a colon, a comma) stays a mount.
func bindOf(m mount.Mount) (string, bool) {
	if m.Type != mount.TypeBind || m.BindOptions == nil || !m.BindOptions.CreateMountpoint || strings.ContainsAny(m.Source+m.Target, ":,") {
		return "", false
	}
	b := m.Source + ":" + m.Target
	if m.ReadOnly {
		b += ":ro"
	}
	return b, true
}

// nameConflict explains who holds a name: a leftover of ours or someone else's object.
func (d *Docker) nameConflict(ctx context.Context, kind, name string, cause error) error {
	var labels map[string]string
	var id string
	switch kind {
	case "container":
		if c, err := d.cli.ContainerInspect(ctx, name, client.ContainerInspectOptions{}); err == nil && c.Container.Config != nil {
			labels, id = c.Container.Config.Labels, c.Container.ID
		}
	case "network":
		if n, err := d.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil {
			labels, id = n.Network.Labels, n.Network.ID
		}
	}
	return conflictError(kind, name, id, labels, cause)
}

func conflictError(kind, name, id string, labels map[string]string, cause error) error {
	var msg string
	if l, _ := orchestrator.DecodeLabels(labels); l.Stack != "" {
		stack := l.Stack
		msg = fmt.Sprintf("the %s name %q is taken by a leftover of sidecar stack %q (%s %s): run `sidecar down --stack %s` to remove it",
			kind, name, stack, kind, shortID(id), stack)
	} else {
		rm := "docker rm -f " + name
		if kind == "network" {
			rm = "docker network rm " + name
		}
		msg = fmt.Sprintf("the %s name %q is taken by a %s sidecar did not create (%s): rename the stack (name: in the recipe) or remove it yourself (`%s`)",
			kind, name, kind, shortID(id), rm)
	}
	return newError(msg, cause, orchestrator.ErrConflict)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	if id == "" {
		return "unknown id"
	}
	return id
}

// portTaken recognises the engine's messages for a taken host port: another container holds
// it ("Bind for 0.0.0.0:8080 failed: port is already allocated"), or a host process does
// ("listen tcp4 0.0.0.0:8080: bind: address already in use" with docker-proxy, "failed to bind
// host port for 0.0.0.0:8080:172.17.0.2:80/tcp: address already in use" on Engine 28+,
// "Ports are not available: exposing port TCP 0.0.0.0:8080 ..." on Docker Desktop).
var (
	portTaken = regexp.MustCompile(`port is already allocated|address already in use|Ports are not available`)
	takenPort = regexp.MustCompile(`(?:Bind for |failed to bind host port for |listen (?:tcp|udp|sctp)[46]? |exposing port (?:TCP|UDP|SCTP) )(\[[0-9a-fA-F:.]*\]|[0-9a-fA-F:.]*?):(\d+)`)
)

// StartContainer starts a created or stopped container. A published host port that is taken
// is ErrPortInUse, naming the port.
func (d *Docker) StartContainer(ctx context.Context, id string) error {
	_, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
	if err == nil {
		return nil
	}
	name := d.nameOf(ctx, id)
	if portTaken.MatchString(err.Error()) {
		return portInUseError(name, err)
	}
	return engineError("start "+name, err)
}

// portInUseError explains a start that failed on a taken host port: which port, who holds it
// when the engine says (another container, or a host process), and how to fix it. Once the
// port is known, the engine's long wording (endpoint IDs, proxy details) adds nothing; it
// stays in the error's chain.
func portInUseError(name string, err error) error {
	where, port, cause := "a published host port", "PORT", " ("+cleanMessage(err)+")"
	if m := takenPort.FindStringSubmatch(err.Error()); m != nil {
		where, port, cause = "host port "+m[2], m[2], ""
		if ip := strings.Trim(m[1], "[]"); ip != "" && ip != "0.0.0.0" && ip != "::" {
			where += " on " + ip
		}
	}
	what, free := "is already in use", fmt.Sprintf("free it (stop what listens there; `ss -ltnp 'sport = :%s'` shows it)", port)
	if strings.Contains(err.Error(), "port is already allocated") {
		what, free = "is already published by another container", fmt.Sprintf("stop that container (`docker ps --filter publish=%s` shows it)", port)
	}
	return newError(fmt.Sprintf("start %s: %s %s%s: %s or change the recipe's ports to publish on another host port",
		name, where, what, cause, free), err, orchestrator.ErrPortInUse)
}

// nameOf returns a container's name for messages, or its short ID.
func (d *Docker) nameOf(ctx context.Context, id string) string {
	c, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "container " + shortID(id)
	}
	return "container " + strings.TrimPrefix(c.Container.Name, "/")
}

// StopContainer sends the container's stop signal (its StopSignal, default SIGTERM), waits up
// to grace for it to exit, and then sends SIGKILL.
//
// Killed is reported soundly: it is true only when the grace ran out, the engine accepted our
// SIGKILL for a container that was still running, and the container then exited with status
// 137 (128 + 9, killed by SIGKILL). A container that exits on its own at the last moment —
// the SIGKILL is refused as "not running", or its exit status is its own — is not Killed.
//
// Stopping a container that is not running returns its last exit code. The engine emits
// kill (the stop signal), [kill (SIGKILL)], die — not the stop event of `docker stop`.
func (d *Docker) StopContainer(ctx context.Context, id string, grace time.Duration) (orchestrator.StopResult, error) {
	c, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return orchestrator.StopResult{}, engineError("stop container "+shortID(id), err)
	}
	name := "container " + strings.TrimPrefix(c.Container.Name, "/")
	if c.Container.State == nil || !c.Container.State.Running {
		return orchestrator.StopResult{ExitCode: exitCode(c.Container.State)}, nil
	}
	signal := "SIGTERM"
	if c.Container.Config != nil && c.Container.Config.StopSignal != "" {
		signal = c.Container.Config.StopSignal
	}

	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := d.signal(ctx, id, signal); err != nil {
		if errors.Is(err, errNotRunning) {
			return d.stoppedResult(ctx, id, false)
		}
		return orchestrator.StopResult{}, engineError("stop "+name+": send "+signal, err)
	}
	wait := d.cli.ContainerWait(waitCtx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	defer drainWait(wait)

	timer := time.NewTimer(grace)
	defer timer.Stop()
	if res, exited, err := d.awaitExit(ctx, wait, id, name, false, timer.C); exited {
		return res, err
	}

	killed := true
	if err := d.signal(ctx, id, "SIGKILL"); err != nil {
		if !errors.Is(err, errNotRunning) {
			return orchestrator.StopResult{}, engineError("stop "+name+": send SIGKILL after "+grace.String(), err)
		}
		killed = false // it exited on its own just as the grace ran out
	}
	res, _, err := d.awaitExit(ctx, wait, id, name, killed, nil)
	return res, err
}

// awaitExit waits for the exit that wait reports, or for ctx to end, and says how the stop
// of the container (called name) ended: Killed when killed (sidecar sent SIGKILL) and the
// exit status is 137. When expired fires first (the grace's timer; nil: never) it returns
// exited false.
func (d *Docker) awaitExit(ctx context.Context, wait client.ContainerWaitResult, id, name string, killed bool, expired <-chan time.Time) (res orchestrator.StopResult, exited bool, err error) {
	select {
	case r := <-wait.Result:
		code := int(r.StatusCode)
		return orchestrator.StopResult{Killed: killed && code == 137, ExitCode: code}, true, nil
	case err := <-wait.Error:
		if ctx.Err() != nil {
			return orchestrator.StopResult{}, true, fmt.Errorf("stop %s: %w", name, ctx.Err())
		}
		res, err := d.stoppedResult(ctx, id, killed, err)
		return res, true, err
	case <-ctx.Done():
		return orchestrator.StopResult{}, true, fmt.Errorf("stop %s: %w", name, ctx.Err())
	case <-expired:
		return orchestrator.StopResult{}, false, nil
	}
}

func drainWait(w client.ContainerWaitResult) {
	go func() {
		select {
		case <-w.Result:
		case <-w.Error:
		}
	}()
}

// stoppedResult reads the exit code of a container that is no longer running.
func (d *Docker) stoppedResult(ctx context.Context, id string, killed bool, cause ...error) (orchestrator.StopResult, error) {
	c, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		if len(cause) > 0 && cause[0] != nil {
			err = cause[0]
		}
		return orchestrator.StopResult{}, engineError("stop container "+shortID(id), err)
	}
	if c.Container.State != nil && c.Container.State.Running {
		return orchestrator.StopResult{}, fmt.Errorf("stop container %s: it is still running (%v)", shortID(id), cause)
	}
	code := exitCode(c.Container.State)
	return orchestrator.StopResult{Killed: killed && code == 137, ExitCode: code}, nil
}

func exitCode(s *container.State) int {
	if s == nil {
		return 0
	}
	return s.ExitCode
}

// errNotRunning: the engine refused a signal because the container is not running.
var errNotRunning = errors.New("container is not running")

func (d *Docker) signal(ctx context.Context, id, signal string) error {
	_, err := d.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: signal})
	if err != nil && isConflict(err) && strings.Contains(err.Error(), "is not running") {
		return errNotRunning
	}
	return err
}

// KillContainer sends signal to the container's PID 1. Killing a container that is not running
// is not an error: there is nothing left to kill.
func (d *Docker) KillContainer(ctx context.Context, id string, signal string) error {
	if signal == "" {
		signal = "SIGKILL"
	}
	err := d.signal(ctx, id, signal)
	if err == nil || errors.Is(err, errNotRunning) {
		return nil
	}
	return engineError("kill container "+shortID(id)+" with "+signal, err)
}

// RemoveContainer removes the container, killing it if it runs, with its anonymous volumes.
// Removing a container that does not exist is not an error, so that cleanup is idempotent;
// when a removal is already in progress it waits for it to finish.
func (d *Docker) RemoveContainer(ctx context.Context, id string) error {
	_, err := d.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil || isNotFound(err):
		return nil
	case isConflict(err) && strings.Contains(err.Error(), "already in progress"):
		w := d.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
		select {
		case <-w.Result:
			return nil
		case err := <-w.Error:
			if err == nil || isNotFound(err) {
				return nil
			}
			return engineError("remove container "+shortID(id), err)
		}
	}
	return engineError("remove container "+shortID(id), err)
}

// InspectContainer returns what the engine says about one container; a missing one is
// ErrNotFound.
func (d *Docker) InspectContainer(ctx context.Context, id string) (orchestrator.ContainerInfo, error) {
	c, err := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return orchestrator.ContainerInfo{}, engineError("inspect container "+shortID(id), err)
	}
	return containerInfo(c.Container), nil
}

func containerInfo(c container.InspectResponse) orchestrator.ContainerInfo {
	info := orchestrator.ContainerInfo{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/")}
	if c.Config != nil {
		info.Image = c.Config.Image
		info.Labels = c.Config.Labels
		// The create merged the image's HEALTHCHECK into the config (sidecar sets none):
		// a test that is not NONE is one the engine runs.
		if h := c.Config.Healthcheck; h != nil && len(h.Test) > 0 && h.Test[0] != "NONE" {
			info.Healthcheck = true
		}
	}
	if s := c.State; s != nil {
		info.Status = orchestrator.ParseStatus(string(s.Status))
		info.ExitCode = s.ExitCode
		info.OOMKilled = s.OOMKilled
		info.StartedAt = engineTime(s.StartedAt)
		info.FinishedAt = engineTime(s.FinishedAt)
		if h := s.Health; h != nil && s.Running {
			info.Health = orchestrator.ParseEngineHealth(string(h.Status))
			if n := len(h.Log); n > 0 && h.Log[n-1] != nil {
				info.HealthAt = h.Log[n-1].End
			}
		}
	}
	if c.NetworkSettings != nil && c.State != nil && c.State.Running {
		names := make([]string, 0, len(c.NetworkSettings.Networks))
		for name := range c.NetworkSettings.Networks {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ep := c.NetworkSettings.Networks[name]
			if ep == nil {
				continue
			}
			a := orchestrator.NetworkAddress{Network: name}
			for _, x := range []struct {
				ip  netip.Addr
				out *string
			}{{ep.IPAddress, &a.IP}, {ep.GlobalIPv6Address, &a.IPv6}, {ep.Gateway, &a.Gateway}, {ep.IPv6Gateway, &a.IPv6Gateway}} {
				if x.ip.IsValid() && !x.ip.IsUnspecified() {
					*x.out = x.ip.String()
				}
			}
			if a.IP != "" || a.IPv6 != "" {
				info.Networks = append(info.Networks, a)
			}
		}
	}
	if c.NetworkSettings != nil {
		for port, bindings := range c.NetworkSettings.Ports {
			for _, b := range bindings {
				hp, _ := strconv.Atoi(b.HostPort)
				p := recipes.Port{HostPort: hp, ContainerPort: int(port.Num())}
				if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
					p.HostIP = b.HostIP.String()
				}
				switch port.Proto() {
				case network.UDP:
					p.Protocol = recipes.ProtoUDP
				case network.SCTP:
					p.Protocol = recipes.ProtoSCTP
				}
				info.Ports = append(info.Ports, p)
			}
		}
		sort.Slice(info.Ports, func(i, j int) bool {
			a, b := info.Ports[i], info.Ports[j]
			if a.ContainerPort != b.ContainerPort {
				return a.ContainerPort < b.ContainerPort
			}
			if a.Protocol != b.Protocol {
				return a.Protocol < b.Protocol
			}
			return a.HostIP < b.HostIP
		})
	}
	return info
}

// engineTime parses the engine's RFC 3339 times; its "never" (0001-01-01) is the zero time.
func engineTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

// labelFilters turns a label map into engine filters (every pair must match).
func labelFilters(labels map[string]string) client.Filters {
	f := client.Filters{}
	for k, v := range labels {
		if v == "" {
			f.Add("label", k)
		} else {
			f.Add("label", k+"="+v)
		}
	}
	return f
}

// ListContainers lists every container, in any state, whose labels include filter (a pair
// with an empty value matches the key with any value), sorted by name.
func (d *Docker) ListContainers(ctx context.Context, filter map[string]string) ([]orchestrator.ContainerInfo, error) {
	res, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: labelFilters(filter)})
	if err != nil {
		return nil, engineError("list containers", err)
	}
	out := make([]orchestrator.ContainerInfo, len(res.Items))
	found := make([]bool, len(res.Items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, s := range res.Items {
		g.Go(func() error {
			c, err := d.cli.ContainerInspect(gctx, s.ID, client.ContainerInspectOptions{})
			if isNotFound(err) {
				return nil // removed since the list
			}
			if err != nil {
				return engineError("inspect container "+shortID(s.ID), err)
			}
			out[i], found[i] = containerInfo(c.Container), true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	list := out[:0]
	for i := range out {
		if found[i] {
			list = append(list, out[i])
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// CopyFiles writes files (path relative to dir → content) into the container: files get mode
// 0644 (0444 with readOnly), owner 0:0; missing directories are created with mode 0755 and
// existing ones are left as they are. It works on created containers (before start), volumes
// mounted in them included: the engine mounts them for the copy.
func (d *Docker) CopyFiles(ctx context.Context, id string, dir string, files map[string][]byte, readOnly bool) error {
	if !path.IsAbs(dir) {
		return fmt.Errorf("copy files into container %s: the directory %q must be absolute", shortID(id), dir)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	mode := int64(0o644)
	if readOnly {
		mode = 0o444
	}
	for _, name := range names {
		clean := path.Clean(name)
		if name == "" || path.IsAbs(name) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("copy files into container %s: %q must be a relative file path inside %s", shortID(id), name, dir)
		}
		full := strings.TrimPrefix(path.Join(dir, clean), "/")
		hdr := &tar.Header{Name: full, Mode: mode, Size: int64(len(files[name])), Typeflag: tar.TypeReg, ModTime: now}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	// Extracting at / lets the engine create each missing parent directory (0755, root-owned)
	// without touching the ones that exist.
	_, err := d.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf})
	if err != nil {
		return engineError(fmt.Sprintf("copy %d file(s) into container %s at %s", len(files), shortID(id), dir), err)
	}
	return nil
}
