package recipes

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The enums below are typed: their text decoding rejects any value not listed, with the list
// of valid values in the error, so a typo in a recipe never becomes a silent default.

// Role is a container's place in its pod.
type Role int

const (
	RoleUnknown Role = iota
	RoleInfra
	RoleInit
	RoleSidecar
	RoleMain
)

var roleNames = enum[Role]{"role", []string{"", "infra", "init", "sidecar", "main"}, false}

func (r Role) String() string                { return roleNames.name(r) }
func (r Role) MarshalText() ([]byte, error)  { return roleNames.text(r) }
func (r *Role) UnmarshalText(b []byte) error { return roleNames.unmarshal(r, b) }

// DefaultRestart is the restart policy of a container of role r that sets none: a sidecar is
// restarted whenever it exits, as in Kubernetes; init containers and main run once.
func (r Role) DefaultRestart() RestartPolicy {
	if r == RoleSidecar {
		return RestartAlways
	}
	return RestartNever
}

// RestartPolicy says what happens when a container exits.
type RestartPolicy int

const (
	// RestartDefault means "not set"; normalisation replaces it by the role's default.
	RestartDefault RestartPolicy = iota
	RestartNever
	RestartOnFailure
	RestartAlways
)

var restartNames = enum[RestartPolicy]{"restart policy", []string{"", "never", "on-failure", "always"}, false}

func (p RestartPolicy) String() string                { return restartNames.name(p) }
func (p RestartPolicy) MarshalText() ([]byte, error)  { return restartNames.text(p) }
func (p *RestartPolicy) UnmarshalText(b []byte) error { return restartNames.unmarshal(p, b) }

// Restarts reports whether a container that exited with code should be started again.
func (p RestartPolicy) Restarts(code int) bool {
	switch p {
	case RestartAlways:
		return true
	case RestartOnFailure:
		return code != 0
	}
	return false
}

// Gate is what the container after a sidecar waits for: GateReady (the default) for it to
// be started and ready; GateStarted for it to be started only (its post-start hook and
// startup probe passed), as the kubelet does for a native sidecar; GateRunning for it to
// run only, as for a regular container. What waits for main waits for it to be ready.
type Gate int

const (
	GateReady Gate = iota
	GateStarted
	GateRunning
)

var gateNames = enum[Gate]{"gate", []string{"ready", "started", "running"}, false}

func (g Gate) String() string                { return gateNames.name(g) }
func (g Gate) MarshalText() ([]byte, error)  { return gateNames.text(g) }
func (g *Gate) UnmarshalText(b []byte) error { return gateNames.unmarshal(g, b) }

// DepCondition is what a pod waits for of a pod it depends on: DepReady (the default) for
// its main to be ready (a job pod without a ready probe: to complete); DepStarted for its
// main to be started (compose's service_started); DepCompleted for a job pod to complete
// (service_completed_successfully; on a service pod, as ready).
type DepCondition int

const (
	DepReady DepCondition = iota
	DepStarted
	DepCompleted
)

var depConditionNames = enum[DepCondition]{"depends_on condition", []string{"ready", "started", "completed"}, false}

func (c DepCondition) String() string                { return depConditionNames.name(c) }
func (c DepCondition) MarshalText() ([]byte, error)  { return depConditionNames.text(c) }
func (c *DepCondition) UnmarshalText(b []byte) error { return depConditionNames.unmarshal(c, b) }

// Protocol is a published port's transport.
type Protocol int

const (
	ProtoTCP Protocol = iota
	ProtoUDP
	ProtoSCTP
)

var protoNames = enum[Protocol]{"protocol", []string{"tcp", "udp", "sctp"}, true}

func (p Protocol) String() string                { return protoNames.name(p) }
func (p Protocol) MarshalText() ([]byte, error)  { return protoNames.text(p) }
func (p *Protocol) UnmarshalText(b []byte) error { return protoNames.unmarshal(p, b) }

// MountType says what a mount's source is.
type MountType int

const (
	MountVolume MountType = iota // a pod volume
	MountBind                    // a host path
)

var mountNames = enum[MountType]{"mount type", []string{"volume", "bind"}, false}

func (t MountType) String() string                { return mountNames.name(t) }
func (t MountType) MarshalText() ([]byte, error)  { return mountNames.text(t) }
func (t *MountType) UnmarshalText(b []byte) error { return mountNames.unmarshal(t, b) }

// ProbeKind says which check a probe makes.
type ProbeKind int

const (
	ProbeNone ProbeKind = iota
	ProbeHTTP
	ProbeTCP
	ProbeExec
	ProbeImage // the engine's verdict on the image's HEALTHCHECK
)

var probeNames = enum[ProbeKind]{"probe kind", []string{"", "http", "tcp", "exec", "image"}, false}

func (k ProbeKind) String() string                { return probeNames.name(k) }
func (k ProbeKind) MarshalText() ([]byte, error)  { return probeNames.text(k) }
func (k *ProbeKind) UnmarshalText(b []byte) error { return probeNames.unmarshal(k, b) }

// SourceKind says what kind of file a stack was read from.
type SourceKind int

const (
	SourceRecipe  SourceKind = iota // sidecar.yaml
	SourceCompose                   // a compose file
	SourceKube                      // a Kubernetes manifest
)

var sourceNames = enum[SourceKind]{"source kind", []string{"recipe", "compose", "kubernetes"}, false}

func (k SourceKind) String() string                { return sourceNames.name(k) }
func (k SourceKind) MarshalText() ([]byte, error)  { return sourceNames.text(k) }
func (k *SourceKind) UnmarshalText(b []byte) error { return sourceNames.unmarshal(k, b) }

// enum is the names of an enum type's values, indexed by value, for its String,
// MarshalText and UnmarshalText; what names the enum in errors, fold reads names in any case.
type enum[T ~int] struct {
	what  string
	names []string
	fold  bool
}

func (e enum[T]) name(v T) string          { return enumString(e.names, int(v)) }
func (e enum[T]) text(v T) ([]byte, error) { return []byte(e.name(v)), nil }

func (e enum[T]) unmarshal(into *T, b []byte) error {
	s := string(b)
	if e.fold {
		s = strings.ToLower(s)
	}
	return unmarshalEnum(into, e.what, e.names, s)
}

func enumString(names []string, v int) string {
	if v < 0 || v >= len(names) {
		return fmt.Sprintf("invalid(%d)", v)
	}
	return names[v]
}

// unmarshalEnum sets *into to the value s names in names (what names the enum in the error).
func unmarshalEnum[T ~int](into *T, what string, names []string, s string) error {
	if i := slices.Index(names, s); i >= 0 && s != "" {
		*into = T(i)
		return nil
	}
	*into = 0
	valid := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "" })
	return &EnumError{What: what, Value: s, Valid: valid}
}

// EnumError is an unknown enum value.
type EnumError struct {
	What  string
	Value string
	Valid []string
}

func (e *EnumError) Error() string {
	return fmt.Sprintf("unknown %s %q: use one of %s", e.What, e.Value, strings.Join(e.Valid, ", "))
}

// Duration is a time.Duration written as Go duration text ("1s", "1m30s"), both ways.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a number with a unit, like 500ms, 10s or 1m30s", string(b))
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: it must not be negative", string(b))
	}
	*d = Duration(v)
	return nil
}

// MilliCPU is an amount of CPU in thousandths of a core: 500 is half a core. It is written
// as Kubernetes writes CPU ("500m", "2") and read from that form or a decimal number of
// cores ("0.5", compose cpus).
type MilliCPU int64

func (c MilliCPU) String() string {
	if c%1000 == 0 {
		return strconv.FormatInt(int64(c)/1000, 10)
	}
	return strconv.FormatInt(int64(c), 10) + "m"
}

// Cores is the amount in cores.
func (c MilliCPU) Cores() float64 { return float64(c) / 1000 }

func (c MilliCPU) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c *MilliCPU) UnmarshalText(b []byte) error { return parseText(c, b, ParseMilliCPU) }

// parseText sets *into to what parse reads from b, and leaves it when parse fails.
func parseText[T any](into *T, b []byte, parse func(string) (T, error)) error {
	v, err := parse(string(b))
	if err == nil {
		*into = v
	}
	return err
}

// ParseMilliCPU reads "500m", "2", "0.5" or "1.25" (cores). A fraction of a millicore is
// rounded up, as Kubernetes does.
func ParseMilliCPU(s string) (MilliCPU, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("invalid CPU amount %q: write cores (0.5, 2) or millicores (500m)", s)
	if m, ok := strings.CutSuffix(t, "m"); ok {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || n < 0 {
			return 0, bad
		}
		return MilliCPU(n), nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > math.MaxInt64/1000 {
		return 0, bad
	}
	return MilliCPU(math.Ceil(f * 1000)), nil
}

// ByteSize is an amount of memory or storage in bytes. It is written with the largest
// binary suffix that divides it ("256Mi", "1Gi", else a plain number of bytes) and read from
// Kubernetes quantities (Ki, Mi, Gi, Ti, k, M, G, T; "128974848", "1e3") and from compose's
// byte units (b, k/kb, m/mb, g/gb, case-insensitive: "512m" is 512 MiB, as docker reads it).
type ByteSize int64

var binarySuffixes = []struct {
	suffix string
	n      int64
}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}}

func (b ByteSize) String() string {
	for _, s := range binarySuffixes {
		if b != 0 && int64(b)%s.n == 0 {
			return strconv.FormatInt(int64(b)/s.n, 10) + s.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

func (b *ByteSize) UnmarshalText(text []byte) error { return parseText(b, text, ParseByteSize) }

// ParseByteSize reads an amount of bytes in the forms ByteSize describes.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("invalid size %q: write a number of bytes with a unit, like 64Mi, 1Gi or 512m", s)
	if t == "" {
		return 0, bad
	}
	num, mult, ok := cutUnit(t, kubeUnits)
	if !ok {
		if n, m, ok := cutUnit(strings.ToLower(t), composeUnits); ok {
			num, mult = n, m
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, bad
	}
	v := math.Ceil(f * mult)
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return ByteSize(v), nil
}

type byteUnit struct {
	suffix string
	n      float64
}

var (
	kubeUnits = []byteUnit{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}}
	// compose's units: b, k, kb, m, mb, g, gb (binary, any case).
	composeUnits = []byteUnit{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"tb", 1 << 40},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}}
)

// cutUnit cuts the first of units that s ends with off s, and gives its multiplier.
func cutUnit(s string, units []byteUnit) (num string, mult float64, ok bool) {
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			return n, u.n, true
		}
	}
	return s, 1, false
}

// VolumeMedium is what backs a pod volume.
type VolumeMedium int

const (
	MediumDefault VolumeMedium = iota // an engine volume on disk
	MediumMemory                      // a tmpfs
)

var mediumNames = enum[VolumeMedium]{"volume medium", []string{"", "memory"}, true}

func (m VolumeMedium) String() string               { return mediumNames.name(m) }
func (m VolumeMedium) MarshalText() ([]byte, error) { return mediumNames.text(m) }

func (m *VolumeMedium) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = MediumDefault
		return nil
	}
	return mediumNames.unmarshal(m, b)
}

// WatchAction is what a watch rule does on a change.
type WatchAction int

const (
	WatchRebuild     WatchAction = iota // rebuild the image and replace the container
	WatchSync                           // copy the changed files into the running container
	WatchSyncRestart                    // copy, then restart the container
	WatchRestart                        // restart the container
)

var watchActionNames = enum[WatchAction]{"watch action", []string{"rebuild", "sync", "sync+restart", "restart"}, false}

func (a WatchAction) String() string                { return watchActionNames.name(a) }
func (a WatchAction) MarshalText() ([]byte, error)  { return watchActionNames.text(a) }
func (a *WatchAction) UnmarshalText(b []byte) error { return watchActionNames.unmarshal(a, b) }
