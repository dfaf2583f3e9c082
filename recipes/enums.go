package recipes

import (
	"fmt"
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

var roleNames = []string{"", "infra", "init", "sidecar", "main"}

func (r Role) String() string { return enumString(roleNames, int(r)) }

func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *Role) UnmarshalText(b []byte) error { return unmarshalEnum(r, "role", roleNames, string(b)) }

// RestartPolicy says what happens when a container exits.
type RestartPolicy int

const (
	// RestartDefault means "not set"; normalisation replaces it by the role's default.
	RestartDefault RestartPolicy = iota
	RestartNever
	RestartOnFailure
	RestartAlways
)

var restartNames = []string{"", "never", "on-failure", "always"}

func (p RestartPolicy) String() string { return enumString(restartNames, int(p)) }

func (p RestartPolicy) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *RestartPolicy) UnmarshalText(b []byte) error {
	return unmarshalEnum(p, "restart policy", restartNames, string(b))
}

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

// Protocol is a published port's transport.
type Protocol int

const (
	ProtoTCP Protocol = iota
	ProtoUDP
	ProtoSCTP
)

var protoNames = []string{"tcp", "udp", "sctp"}

func (p Protocol) String() string { return enumString(protoNames, int(p)) }

func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *Protocol) UnmarshalText(b []byte) error {
	return unmarshalEnum(p, "protocol", protoNames, strings.ToLower(string(b)))
}

// MountType says what a mount's source is.
type MountType int

const (
	MountVolume MountType = iota // a pod volume
	MountBind                    // a host path
)

var mountNames = []string{"volume", "bind"}

func (t MountType) String() string { return enumString(mountNames, int(t)) }

func (t MountType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *MountType) UnmarshalText(b []byte) error {
	return unmarshalEnum(t, "mount type", mountNames, string(b))
}

// ProbeKind says which check a probe makes.
type ProbeKind int

const (
	ProbeNone ProbeKind = iota
	ProbeHTTP
	ProbeTCP
	ProbeExec
)

var probeNames = []string{"", "http", "tcp", "exec"}

func (k ProbeKind) String() string { return enumString(probeNames, int(k)) }

func (k ProbeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *ProbeKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, "probe kind", probeNames, string(b))
}

// SourceKind says what kind of file a stack was read from.
type SourceKind int

const (
	SourceRecipe  SourceKind = iota // sidecar.yaml
	SourceCompose                   // a compose file
	SourceKube                      // a Kubernetes manifest
)

var sourceNames = []string{"recipe", "compose", "kubernetes"}

func (k SourceKind) String() string { return enumString(sourceNames, int(k)) }

func (k SourceKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func (k *SourceKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, "source kind", sourceNames, string(b))
}

func enumString(names []string, v int) string {
	if v < 0 || v >= len(names) {
		return fmt.Sprintf("invalid(%d)", v)
	}
	return names[v]
}

// unmarshalEnum sets *into to the value s names in names (what names the enum in the error).
func unmarshalEnum[T ~int](into *T, what string, names []string, s string) error {
	*into = 0
	valid := make([]string, 0, len(names))
	for i, n := range names {
		if n != "" && n == s {
			*into = T(i)
			return nil
		}
		if n != "" {
			valid = append(valid, n)
		}
	}
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

// Duration is a time.Duration written as Go duration text ("1s", "1m30s"). It marshals back
// to the same form.
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
