package recipes

import (
	"cmp"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
)

// The short forms of ports and volumes, parsed from their string syntax. Each parser returns
// a *formError that says what is wrong and how to write it instead.

// maxPortRange is the most ports one range entry ("9000-9999:9000-9999") may publish.
const maxPortRange = 1000

type formError struct {
	msg, hint string
}

// portErr is what is wrong with port spec (why, formatted with args), and hint how to fix
// it; an empty hint gives the forms of a port.
func portErr(spec, hint, why string, args ...any) *formError {
	return &formError{msg: fmt.Sprintf("port %q ", yamlpos.Clip(spec)) + fmt.Sprintf(why, args...), hint: cmp.Or(hint, portFormHint)}
}

// portFormHint says how a port is written, for a port that is not.
const portFormHint = `write "8080" (container port), "8080:80" (host:container), "127.0.0.1:8080:80", "53:53/udp" or a range "9000-9002:9000-9002"`

// parsePortSpec parses "[[ip:]host:]container[/protocol]" where host and container may be
// ranges ("9000-9002"); a range publishes one port per number, host and container ranges
// pairing up in order.
func parsePortSpec(spec string) ([]Port, *formError) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, portErr(spec, "", "is empty")
	}
	proto := ProtoTCP
	if i := strings.LastIndex(s, "/"); i >= 0 {
		if err := proto.UnmarshalText([]byte(s[i+1:])); err != nil {
			return nil, portErr(spec, "use tcp, udp or sctp, as in \"53:53/udp\"", "has an unknown protocol %q", yamlpos.Clip(s[i+1:]))
		}
		s = s[:i]
	}
	ip := ""
	if strings.HasPrefix(s, "[") { // [::1]:8080:80
		end := strings.Index(s, "]")
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return nil, portErr(spec, "", "has an unclosed IPv6 address")
		}
		ip, s = s[1:end], s[end+2:]
		if !strings.Contains(s, ":") {
			return nil, portErr(spec, "", "has a host IP but no host port")
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) == 3 && ip == "" {
		if parts[0] == "" {
			return nil, portErr(spec, "", "has an empty host IP")
		}
		ip, parts = parts[0], parts[1:]
	}
	if len(parts) > 2 {
		return nil, portErr(spec, "", "has too many parts")
	}
	hostPart, ctrPart := "", parts[len(parts)-1]
	if len(parts) == 2 {
		hostPart = parts[0]
	}
	if _, err := netip.ParseAddr(ip); ip != "" && err != nil {
		return nil, portErr(spec, "", "has an invalid host IP %q", yamlpos.Clip(ip))
	}
	clo, chi, err := parsePortRange(spec, ctrPart, "container port")
	if err != nil {
		return nil, err
	}
	hlo, hhi := 0, 0
	if hostPart != "" {
		if hlo, hhi, err = parsePortRange(spec, hostPart, "host port"); err != nil {
			return nil, err
		}
		if hhi-hlo != chi-clo {
			return nil, portErr(spec, "give both sides ranges of the same length, e.g. \"9000-9002:9000-9002\"",
				"maps a range of %d host ports to %d container ports", hhi-hlo+1, chi-clo+1)
		}
	}
	out := make([]Port, 0, chi-clo+1)
	for i := 0; i <= chi-clo; i++ {
		p := Port{HostIP: ip, ContainerPort: clo + i, Protocol: proto}
		if hostPart != "" {
			p.HostPort = hlo + i
		}
		out = append(out, p)
	}
	return out, nil
}

// parsePortRange parses "8080" or "9000-9002".
func parsePortRange(spec, s, what string) (lo, hi int, err *formError) {
	a, b, isRange := strings.Cut(s, "-")
	lo, ok := portNumber(a)
	if !ok {
		return 0, 0, portErr(spec, "", "has an invalid %s %q", what, yamlpos.Clip(s))
	}
	hi = lo
	if isRange {
		if hi, ok = portNumber(b); !ok {
			return 0, 0, portErr(spec, "", "has an invalid %s range %q", what, yamlpos.Clip(s))
		}
		if hi < lo {
			return 0, 0, portErr(spec, "write the lower port first, e.g. 9000-9002", "has a %s range that runs backwards (%q)", what, yamlpos.Clip(s))
		}
		if lo < 1 || hi > 65535 {
			return 0, 0, portErr(spec, "use ports from 1 to 65535", "has a %s range %q outside 1-65535", what, yamlpos.Clip(s))
		}
		if hi-lo+1 > maxPortRange {
			return 0, 0, portErr(spec, fmt.Sprintf("publish at most %d ports per range", maxPortRange), "publishes %d ports in one range", hi-lo+1)
		}
	}
	return lo, hi, nil
}

// portNumber reads a decimal port number; range checks are validation's job.
func portNumber(s string) (int, bool) {
	if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseMountSpec parses "source:target[:ro|rw]". A source that starts with ".", "/" or "~" is
// a host path (bind mount); anything else names a pod volume.
func parseMountSpec(spec string) (Mount, *formError) {
	hint := `write "logs:/var/log" (pod volume), "./conf:/etc/conf:ro" (host path, read-only) or "/abs/path:/data"`
	bad := func(why, hint string) (Mount, *formError) {
		return Mount{}, &formError{msg: fmt.Sprintf("volume %q ", yamlpos.Clip(spec)) + why, hint: hint}
	}
	parts := strings.Split(spec, ":")
	switch {
	case len(parts) == 1:
		return bad("has no source", "name a pod volume or a host path before the colon: "+hint)
	case len(parts) > 3:
		return bad("has too many parts", hint)
	case parts[0] == "":
		return bad("has an empty source", hint)
	case parts[1] == "":
		return bad("has an empty target", hint)
	case len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw":
		return bad(fmt.Sprintf("has an unknown mode %q", yamlpos.Clip(parts[2])), "use ro (read-only) or rw (read-write, the default)")
	}
	return Mount{Type: mountTypeOf(parts[0]), Source: parts[0], Target: parts[1], ReadOnly: len(parts) == 3 && parts[2] == "ro"}, nil
}

// mountTypeOf says whether a mount source is a host path or a pod volume name.
func mountTypeOf(source string) MountType {
	if strings.HasPrefix(source, ".") || strings.HasPrefix(source, "/") || strings.HasPrefix(source, "~") {
		return MountBind
	}
	return MountVolume
}
