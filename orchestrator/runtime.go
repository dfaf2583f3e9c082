package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sidecar-dev/sidecar/recipes"
)

// This file declares what the orchestrator needs from a container engine. The interfaces are
// owned here, by their consumer, and kept narrow: package runtime implements them for the
// Docker Engine, and runtime/fake implements them in memory for unit tests.

// Runtime is every engine operation the orchestrator uses.
type Runtime interface {
	Images
	Containers
	Resources
	Events
	Logs
	Prober
	Node
}

// Errors a Runtime returns, matched with errors.Is. Implementations wrap them with the
// operation, the name of the object and a hint ("start container shop-web: host port 8080 is
// already in use …: free it … or change the recipe's ports"): the orchestrator passes a
// Runtime's errors on as they are, without saying the operation and the object again.
var (
	// ErrNotFound: no such container, image, network or volume.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name is taken (by a container that is not ours, or a leftover).
	ErrConflict = errors.New("name already in use")
	// ErrPortInUse: a published host port is already taken on the host.
	ErrPortInUse = errors.New("port already in use")
	// ErrEngineUnreachable: the engine did not answer (not running, wrong DOCKER_HOST, no
	// permission on the socket), or no API version could be agreed with it.
	ErrEngineUnreachable = errors.New("container engine unreachable")
	// ErrImageUnavailable: the image is not present locally and could not be pulled.
	ErrImageUnavailable = errors.New("image unavailable")
)

// Everything sidecar creates carries its labels (see labels.go: Labels, DecodeLabels); the
// tool never touches an engine object that does not carry the stack label.

// Images makes images available locally.
type Images interface {
	// InfraImage makes sure the tool's own infra image exists for the engine's architecture,
	// creating it locally without any registry when missing, and returns its reference.
	InfraImage(ctx context.Context) (string, error)
	// ImagePresent reports whether ref exists locally.
	ImagePresent(ctx context.Context, ref string) (bool, error)
	// BuildImage builds req through the engine and tags it req.Ref.
	BuildImage(ctx context.Context, req BuildRequest, progress ProgressFunc) error
	// PullImage pulls ref. With no registry reachable it returns ErrImageUnavailable.
	PullImage(ctx context.Context, ref string, progress ProgressFunc) error
}

// BuildRequest is one image build.
type BuildRequest struct {
	Ref        string
	Context    string // absolute directory
	Dockerfile string // relative to Context
	// DockerfileInline is the Dockerfile's text, sent with the context in place of a file
	// (Dockerfile is then not read).
	DockerfileInline string
	Args             map[string]string
	Target           string
	Labels           map[string]string
}

// Progress is one step of a pull or build, for display.
type Progress struct {
	Ref     string
	ID      string // layer or build step
	Message string // "Downloading", "Step 2/4 : COPY . /", ...
	Current int64
	Total   int64 // 0 when unknown
	Done    bool
}

// ProgressFunc receives progress; it must not block.
type ProgressFunc func(Progress)

// Containers creates, runs and removes containers.
type Containers interface {
	CreateContainer(ctx context.Context, spec ContainerSpec) (id string, err error)
	StartContainer(ctx context.Context, id string) error
	// StopContainer sends the container's stop signal, waits up to grace for it to exit, then
	// kills it. Killed tells whether SIGKILL was needed.
	StopContainer(ctx context.Context, id string, grace time.Duration) (StopResult, error)
	// KillContainer sends signal ("SIGKILL", "SIGTERM", ...) to the container's PID 1.
	KillContainer(ctx context.Context, id string, signal string) error
	// RemoveContainer removes the container, killing it if it runs, with its anonymous volumes.
	RemoveContainer(ctx context.Context, id string) error
	InspectContainer(ctx context.Context, id string) (ContainerInfo, error)
	// ListContainers lists every container, running or not, whose labels include filter (a
	// filter value "" matches the label with any value).
	ListContainers(ctx context.Context, filter map[string]string) ([]ContainerInfo, error)
	// CopyFiles writes files (path relative to dir → content) into a created container before
	// it starts, creating directories as needed; into a volume mounted in it at dir, the
	// files are the volume's. readOnly gives the files mode 0444 (else 0644).
	CopyFiles(ctx context.Context, id string, dir string, files map[string][]byte, readOnly bool) error
	// Exec runs cmd in the running container and returns its exit code and combined output
	// (truncated to a few KiB).
	Exec(ctx context.Context, id string, cmd []string) (ExecResult, error)
}

// ContainerSpec is everything needed to create one container.
type ContainerSpec struct {
	Name   string // engine name: <stack>-<pod>-<container>
	Image  string
	Labels map[string]string

	Entrypoint []string // nil: the image's
	Cmd        []string // nil: the image's
	Env        []string // NAME=value
	WorkingDir string
	User       string
	Init       bool // docker-init as PID 1
	TTY        bool

	// NamespaceOwner is the infra container's ID. App containers join its network namespace,
	// and its PID and IPC namespaces when SharePID / ShareIPC are set. Empty for the infra
	// container itself.
	NamespaceOwner string
	SharePID       bool
	ShareIPC       bool

	// Infra container only: the stack network with the pod's DNS aliases, the hostname every
	// member of the pod sees, and the ports the pod publishes.
	Network  string
	Aliases  []string
	Hostname string
	Ports    []recipes.Port

	Mounts []MountSpec

	// StopGrace is recorded on the container (engine StopTimeout) so that a plain
	// `docker stop` honours it too. Zero leaves the engine default.
	StopGrace time.Duration
	// StopSignal replaces the image's stop signal ("SIGQUIT"); empty keeps it.
	StopSignal string

	// Resources. CPU is the limit (the engine's NanoCpus), CPUShares the relative weight the
	// kubelet computes from the CPU request, Memory the hard limit and MemoryReservation the
	// soft one (bytes). Zero leaves the engine's default.
	CPU               recipes.MilliCPU
	CPUShares         int64
	Memory            int64
	MemoryReservation int64

	// Security and kernel settings of the container.
	CapAdd     []string
	CapDrop    []string
	Privileged bool
	ReadOnly   bool // read-only root filesystem
	Devices    []recipes.Device
	Groups     []string // supplementary groups of User
	Ulimits    []recipes.Ulimit
	// ShmSize is the size of /dev/shm in bytes: on the infra container when the pod shares
	// its IPC namespace (members use its /dev/shm), else on each app container.
	ShmSize int64
	// Sysctls are set in the container's namespaces: on the infra container the pod's
	// network ones (and the IPC ones when the pod shares IPC), on an app container the IPC
	// ones when it has an IPC namespace of its own.
	Sysctls map[string]string

	// Infra container only, since the members share its /etc/hosts, /etc/resolv.conf and
	// hostname: the domain name (HOSTNAME.DOMAIN in /etc/hosts), extra /etc/hosts entries and
	// the resolver configuration.
	Domainname string
	ExtraHosts []recipes.HostAlias
	DNS        *recipes.DNSConfig
}

// MountSpec mounts an engine volume or a host path.
type MountSpec struct {
	Type     recipes.MountType
	Source   string // engine volume name, or absolute host path
	Target   string
	ReadOnly bool
	SubPath  string
	// MustExist: a bind source that does not exist fails the create; otherwise the engine
	// creates it, an empty directory, on its host (recipes.Mount.MustExist).
	MustExist bool
	// Seed mounts a pod volume into the infra container at one of InfraVolumeDirs so that
	// the engine gives the new, empty volume that directory's owner and mode (root, 0777),
	// as a Kubernetes emptyDir has. Every other mount of a pod volume copies nothing from
	// the image: a pod volume starts empty.
	Seed bool
}

// InfraVolumeDirs is how many empty directories of mode 0777 the infra image holds, at
// InfraVolumeDir(0) … InfraVolumeDir(InfraVolumeDirs-1); the infra container mounts the pod's
// volumes there (the first InfraVolumeDirs of them, by name) when it is created.
const InfraVolumeDirs = 64

// InfraVolumeDir is the i-th directory of the infra image on which a pod volume is mounted.
func InfraVolumeDir(i int) string { return fmt.Sprintf("/sidecar/volumes/%d", i) }

// StopResult says how a stop went.
type StopResult struct {
	Killed   bool // the grace ran out and SIGKILL was sent
	ExitCode int
}

// ExecResult is the outcome of one Exec.
type ExecResult struct {
	ExitCode int
	Output   string
}

// Status is a container's engine state.
type Status int

const (
	StatusUnknown Status = iota
	StatusCreated
	StatusRunning
	StatusPaused
	StatusRestarting
	StatusRemoving
	StatusExited
	StatusDead
)

var statusNames = enum[Status]{names: []string{"unknown", "created", "running", "paused", "restarting", "removing", "exited", "dead"}}

func (s Status) String() string { return statusNames.nameOr(s, StatusUnknown) }

// ParseStatus reads the engine's State.Status text.
func ParseStatus(s string) Status { return statusNames.lookup(s) }

// ContainerInfo is what the engine says about one container.
type ContainerInfo struct {
	ID         string
	Name       string
	Image      string
	Labels     map[string]string
	Status     Status
	ExitCode   int
	OOMKilled  bool
	StartedAt  time.Time
	FinishedAt time.Time
	// Health is what the engine says of a running container whose image (or create options)
	// has a HEALTHCHECK; HealthAt is when its last check ended (zero before the first), so
	// that an inspect can be ordered against health events.
	Health   EngineHealth
	HealthAt time.Time
	// Healthcheck: the container has a HEALTHCHECK that the engine runs (its image's: sidecar
	// sets none), so a health verdict will come.
	Healthcheck bool
	// Ports are the host ports actually bound (infra containers), for display.
	Ports []recipes.Port
	// Networks are the running container's addresses, one per network it is attached to,
	// sorted by network name (a member of a pod has none of its own).
	Networks []NetworkAddress
}

// NetworkAddress is a container's address on one network, and that network's gateway: the
// host as the container sees it.
type NetworkAddress struct {
	Network     string
	IP          string
	IPv6        string
	Gateway     string
	IPv6Gateway string
}

// EngineHealth is the engine's verdict on a container with a HEALTHCHECK (`docker ps`'s
// "(healthy)"). The orchestrator shows it and decides nothing on it: readiness gating and
// liveness restarts come from the recipe's own probes, as in Kubernetes, which ignores an
// image's HEALTHCHECK.
type EngineHealth int

const (
	EngineHealthNone      EngineHealth = iota // no HEALTHCHECK, or not running
	EngineHealthStarting                      // running, no verdict yet
	EngineHealthHealthy                       // the last checks passed
	EngineHealthUnhealthy                     // the check failed its retries in a row
)

var engineHealthNames = enum[EngineHealth]{names: []string{"none", "starting", "healthy", "unhealthy"}}

func (h EngineHealth) String() string { return engineHealthNames.name(h) }

// ParseEngineHealth reads the engine's State.Health.Status text ("" and unknown words are
// EngineHealthNone).
func ParseEngineHealth(s string) EngineHealth { return engineHealthNames.lookup(s) }

// Resources manages the stack network and pod volumes.
type Resources interface {
	CreateNetwork(ctx context.Context, name string, labels map[string]string) (id string, err error)
	RemoveNetwork(ctx context.Context, name string) error
	ListNetworks(ctx context.Context, filter map[string]string) ([]Resource, error)
	CreateVolume(ctx context.Context, name string, labels map[string]string) error
	// CreateMemoryVolume creates a volume backed by a tmpfs of at most size bytes (0: the
	// engine's default size), which every container that mounts it shares: a Kubernetes
	// emptyDir with medium Memory.
	CreateMemoryVolume(ctx context.Context, name string, labels map[string]string, size int64) error
	RemoveVolume(ctx context.Context, name string) error
	ListVolumes(ctx context.Context, filter map[string]string) ([]Resource, error)
}

// Resource is a network or a volume.
type Resource struct {
	ID     string
	Name   string
	Labels map[string]string
}

// Events streams the engine's container events.
type Events interface {
	// Events delivers container events for containers whose labels include filter, starting
	// at since (the engine keeps only a short replay). The error channel receives one error
	// and both channels close when the stream ends; the caller relists and subscribes again.
	Events(ctx context.Context, since time.Time, filter map[string]string) (<-chan EngineEvent, <-chan error)
}

// EngineEvent is one container event. The engine's sequences: natural exit is die; docker
// stop is kill → die → stop; OOM is oom → die; removal is destroy; a HEALTHCHECK's verdict
// changing is health (healthy or unhealthy; a run starts without a verdict and sends none).
type EngineEvent struct {
	Time     time.Time
	Action   EngineAction
	ID       string
	Labels   map[string]string
	ExitCode int          // die only
	Health   EngineHealth // health only
}

// EngineAction is the kind of an engine event.
type EngineAction int

const (
	ActionOther EngineAction = iota
	ActionCreate
	ActionStart
	ActionDie
	ActionOOM
	ActionKill
	ActionStop
	ActionDestroy
	ActionHealth // the engine's health_status
)

var actionNames = enum[EngineAction]{names: []string{"other", "create", "start", "die", "oom", "kill", "stop", "destroy", "health"}}

func (a EngineAction) String() string { return actionNames.nameOr(a, ActionOther) }

// Logs reads container output.
type Logs interface {
	// Logs reads the container's output from the engine and calls sink once per line, in
	// order, until the stream ends (with Follow: until the container stops or ctx ends).
	// sink must not block.
	Logs(ctx context.Context, id string, opts LogOptions, sink func(LogLine)) error
}

// LogOptions selects which lines Logs reads.
type LogOptions struct {
	Follow bool
	Since  time.Time // zero: from the container's start
	Tail   int       // < 0: all lines
}

// Stream is the output stream a line came from.
type Stream int

const (
	Stdout Stream = iota
	Stderr
)

func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// LogLine is one line of output, without its newline.
type LogLine struct {
	Time   time.Time // engine timestamp
	Stream Stream
	Text   string
}

// Prober makes single probe attempts.
type Prober interface {
	// Probe makes one attempt of p for a container of a pod: http and tcp checks run inside
	// the pod's network namespace (held by infraID) with the tool's own helper, never from the
	// host; exec checks run p.Exec.Command inside containerID. It returns nil when the probe
	// passed, or an error saying why it did not.
	Probe(ctx context.Context, infraID, containerID string, p recipes.Probe) error
	// RunHook runs a lifecycle hook's exec or http action once, as Probe runs a check: the
	// command inside containerID, the request from inside the pod's network namespace. It
	// has no deadline of its own: it ends when the action does or ctx ends. It returns nil
	// when the action succeeded. (Sleep actions are the orchestrator's, on its clock.)
	RunHook(ctx context.Context, infraID, containerID string, h recipes.Hook) error
}

// Node tells what the engine's host is, for the downward API.
type Node interface {
	NodeInfo(ctx context.Context) (NodeInfo, error)
}

// NodeInfo is the engine's host as a pod sees its node: its name (spec.nodeName) and what it
// can give a container (the allocatable amounts a limit that is not set reads as).
type NodeInfo struct {
	Name   string
	CPUs   int
	Memory int64 // bytes
}

// ImageInspector is optional: a Runtime that implements it (the Docker adapter does) tells
// a local image's ID, which goes into each app container's config hash, so that an image
// rebuilt under the same tag counts as a change of the container (see converge.go).
type ImageInspector interface {
	// ImageID returns the ID of the local image ref ("sha256:…"); ErrNotFound when absent.
	ImageID(ctx context.Context, ref string) (string, error)
}

// Stats is one resource-usage sample of a running container, for display.
type Stats struct {
	Time time.Time
	// CPUPercent is computed as `docker stats` does: the container's CPU time over the host's
	// in the sample interval, times the number of online CPUs (100% = one full CPU).
	CPUPercent float64
	// MemoryBytes is the memory in use without the page cache, as `docker stats` shows it;
	// MemoryLimit is the container's limit (the host's memory when it has none).
	MemoryBytes uint64
	MemoryLimit uint64
}

// StatsSource streams resource usage. It is optional: a Runtime may implement it (the Docker
// adapter does); callers check with a type assertion.
type StatsSource interface {
	// Stats calls sink about once a second with a sample of container id until the container
	// stops or ctx ends. sink must not block.
	Stats(ctx context.Context, id string, sink func(Stats)) error
}

// EngineChecker is optional: a Runtime that implements it (the Docker adapter does) tells
// whether the engine takes a new connection and answers on it. An engine that is stopping
// closes its listener first, while the connections it has (the event stream above all) still
// carry the deaths of the containers it stops and even some answers: CheckEngine tells those
// deaths from the containers' own. It returns nil, or an error matching ErrEngineUnreachable.
// Without it, a listing stands in.
type EngineChecker interface {
	CheckEngine(ctx context.Context) error
}

// LogAttacher is optional: a Runtime that implements it (the Docker adapter does) lets the
// orchestrator read each run of a container from the stream the container writes to, attached
// before the run starts — faster than reading the engine's log back, and nothing is lost however
// fast the container writes. Callers check with a type assertion and follow Logs without it.
type LogAttacher interface {
	// AttachLogs connects to the output of container id, which is not running yet (attach,
	// then start it): the stream then carries everything its next run writes. It returns once
	// connected.
	AttachLogs(ctx context.Context, id string) (LogStream, error)
}

// LogStream is the output of one run of a container, attached before the run started.
type LogStream interface {
	// Read calls sink once per line, in order within each of stdout and stderr, until the run
	// ends (nil) or ctx ends (ctx.Err()). A line's Time is when it was read: the stream has no
	// engine timestamps. The container waits while sink runs, so sink must return at once.
	Read(ctx context.Context, sink func(LogLine)) error
	// Close releases the connection; a Read in progress returns. Closing twice is harmless.
	Close() error
}

// FileCopier is optional: a Runtime that implements it (the Docker adapter does) copies host
// files into a container — created, running or exited — through the engine's archive API,
// with nothing needed in the image: what a watch's sync does (Orchestrator.SyncFiles).
type FileCopier interface {
	// CopyIn copies each file's Source (a host path) to its Target (an absolute path in the
	// container): a regular file with its mode and modification time, a symbolic link as a
	// link, a directory as a directory (not what is in it). Missing parent directories are
	// created. It returns how many files and links it copied and their bytes. A Source that
	// is gone by then is skipped.
	CopyIn(ctx context.Context, id string, files []SyncFile) (copied int, bytes int64, err error)
}

// ImagePruner is optional: a Runtime that implements it (the Docker adapter does) removes an
// image a watch's rebuild replaced (Orchestrator.Rebuild), as compose's watch prunes.
type ImagePruner interface {
	// PruneImage removes image id when no tag and no registry digest names it and no
	// container uses it; otherwise it leaves it alone. It reports whether it removed it.
	PruneImage(ctx context.Context, id string) (bool, error)
}
