package recipes

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amounts of CPU and memory, and the enums of volumes and watch rules.

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

func (c *MilliCPU) UnmarshalText(b []byte) error {
	v, err := ParseMilliCPU(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
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

func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseByteSize reads an amount of bytes in the forms ByteSize describes.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("invalid size %q: write a number of bytes with a unit, like 64Mi, 1Gi or 512m", s)
	if t == "" {
		return 0, bad
	}
	units := []struct {
		suffix string
		n      float64
	}{
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15},
	}
	mult := 1.0
	num := t
	matched := false
	for _, u := range units {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			num, mult, matched = n, u.n, true
			break
		}
	}
	if !matched {
		// compose's units: b, k, kb, m, mb, g, gb (binary, any case).
		lower := strings.ToLower(t)
		for _, u := range []struct {
			suffix string
			n      float64
		}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"tb", 1 << 40}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}} {
			if n, ok := strings.CutSuffix(lower, u.suffix); ok {
				num, mult = n, u.n
				break
			}
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

// VolumeMedium is what backs a pod volume.
type VolumeMedium int

const (
	MediumDefault VolumeMedium = iota // an engine volume on disk
	MediumMemory                      // a tmpfs
)

var mediumNames = []string{"", "memory"}

func (m VolumeMedium) String() string { return enumString(mediumNames, int(m)) }

func (m VolumeMedium) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

func (m *VolumeMedium) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*m = MediumDefault
		return nil
	}
	return unmarshalEnum(m, "volume medium", mediumNames, strings.ToLower(string(b)))
}

// WatchAction is what a watch rule does on a change.
type WatchAction int

const (
	WatchRebuild     WatchAction = iota // rebuild the image and replace the container
	WatchSync                           // copy the changed files into the running container
	WatchSyncRestart                    // copy, then restart the container
	WatchRestart                        // restart the container
)

var watchActionNames = []string{"rebuild", "sync", "sync+restart", "restart"}

func (a WatchAction) String() string { return enumString(watchActionNames, int(a)) }

func (a WatchAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

func (a *WatchAction) UnmarshalText(b []byte) error {
	return unmarshalEnum(a, "watch action", watchActionNames, string(b))
}
