package recipes

// Checks of a compose file's nodes, made before compose-go loads it. compose-go stops at its
// first error, and some of its errors name no place (a port it cannot parse), or the wrong
// one (a duration it cannot decode is reported at the top of the file), or say nothing of a
// fix. These checks find those mistakes at their line and column, say how to fix them, and
// leave the nodes out of what compose-go reads (see composeImport.reject), so that the rest
// of the file is still loaded, converted and checked in the same pass.

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sidecar-dev/sidecar/internal/suggest"
	yaml "go.yaml.in/yaml/v3"
)

// composeSections are the top-level keys whose entries are named things (a service, a
// volume…): an entry that is wrong is replaced by an empty one rather than left out, so
// that references to it do not become problems of their own.
var composeSections = map[string]bool{"services": true, "volumes": true, "networks": true, "configs": true, "secrets": true, "models": true, "jobs": true}

// reject records that the node at parts (a key node when key is set) is wrong, which has
// been reported: compose-go does not get to read it. An entry of a section (services.web)
// or a section itself becomes empty instead of disappearing.
func (c *composeImport) reject(n *yaml.Node, key bool, parts []string) {
	if n == nil {
		return
	}
	switch {
	case key:
		c.prune.reject(n, true)
	case len(parts) == 1 || (len(parts) == 2 && composeSections[parts[0]]):
		c.prune.empty[impDeref(n)] = true
	default:
		c.prune.reject(n, false)
	}
	c.rejected = append(c.rejected, parts)
}

// isRejected reports whether n was left out already.
func (c *composeImport) isRejected(n *yaml.Node) bool {
	n = impDeref(n)
	return c.prune.dropVal[n] || c.prune.empty[n]
}

// composePath writes a node path as messages name fields: services.web.ports[0].
func composePath(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func composeJoin(parts []string, more ...string) []string {
	return append(append(make([]string, 0, len(parts)+len(more)), parts...), more...)
}

// checkNodes runs every check of the document's nodes.
func (c *composeImport) checkNodes() {
	c.checkDuplicates(c.root, nil)
	c.checkInterpolation(c.root, nil)
	_, sv := impLookup(c.root, "services")
	services := impDeref(sv)
	if services == nil || impIsNull(services) {
		return
	}
	if services.Kind != yaml.MappingNode {
		c.problem(impPos(c.file, services), fmt.Sprintf("services must be a mapping of service names to their settings, not %s", impKindName(services)),
			"write one NAME: line per service below services:, with its settings below that, e.g. services: {web: {image: nginx}}")
		c.reject(services, false, []string{"services"})
		return
	}
	for _, p := range impPairs(services) {
		name := p.Key.Value
		parts := []string{"services", name}
		if !composeServiceName.MatchString(name) {
			hint := "use letters, digits, '.', '_' and '-' only"
			if fix := impDNSLabel(name); fix != "" {
				hint += fmt.Sprintf(", e.g. %s", fix)
			}
			c.problem(impPos(c.file, p.Key), fmt.Sprintf("service name %q is not valid", clip(name)), hint)
			c.reject(p.Key, true, parts)
			continue
		}
		v := impDeref(p.Value)
		if impIsNull(v) || c.isRejected(v) {
			continue
		}
		if v.Kind != yaml.MappingNode {
			c.problem(impPos(c.file, v), fmt.Sprintf("services.%s must be a mapping of settings, not %s", name, impKindName(v)),
				fmt.Sprintf("write the service's settings below it, e.g. %s: {image: nginx}", name))
			c.reject(v, false, parts)
			continue
		}
		c.checkService(v, parts)
	}
}

var composeServiceName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// checkDuplicates reports every key written twice in one mapping (YAML forbids it, and
// compose-go stops at the first), and leaves the later ones out. Aliases are not followed:
// what they point at is checked where it is written.
func (c *composeImport) checkDuplicates(n *yaml.Node, parts []string) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			kp := composeJoin(parts, k.Value)
			if k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
				if f, dup := first[k.Value]; dup {
					c.problem(impPos(c.file, k), fmt.Sprintf("key %q is written twice in %s (first at line %d)", clip(k.Value), impOr(composePath(parts), "the top level"), f.Line),
						"remove one of them, or merge what they hold")
					c.reject(k, true, kp)
					continue
				}
				first[k.Value] = k
			}
			c.checkDuplicates(n.Content[i+1], kp)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			c.checkDuplicates(item, composeJoin(parts, strconv.Itoa(i)))
		}
	}
}

// checkService checks the fields of one service whose mistakes compose-go reports without
// a place or a fix.
func (c *composeImport) checkService(svc *yaml.Node, parts []string) {
	for _, p := range impPairs(svc) {
		v := impDeref(p.Value)
		if impIsNull(v) || c.isRejected(v) {
			continue
		}
		fp := composeJoin(parts, p.Key.Value)
		switch p.Key.Value {
		case "ports":
			c.checkPorts(v, fp)
		case "stop_grace_period":
			c.checkDuration(v, fp)
		case "command", "entrypoint":
			c.checkCommand(v, fp)
		case "healthcheck":
			c.checkHealthcheck(v, fp)
		case "depends_on":
			c.checkDependsOn(v, fp)
		}
	}
}

// checkInterpolation substitutes the variables of every string value (keys are never
// interpolated), and reports each one that cannot be, at its place. x-sidecar is left to
// its own decoding, which substitutes and reports its variables itself.
func (c *composeImport) checkInterpolation(n *yaml.Node, parts []string) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "x-sidecar" {
				c.checkInterpolation(n.Content[i+1], composeJoin(parts, k))
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			c.checkInterpolation(item, composeJoin(parts, strconv.Itoa(i)))
		}
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" || !strings.Contains(n.Value, "$") {
			return
		}
		_, err := c.interpolate(n.Value)
		if err == nil {
			return
		}
		msg, hint := templateProblem(err, n.Value, "the compose file")
		var req *template.MissingRequiredError
		if !errors.As(err, &req) {
			msg = composePath(parts) + ": " + msg
		}
		c.problem(impPos(c.file, n), msg, hint)
		c.reject(n, false, parts)
	}
}

// scalar returns the value of scalar n with its variables substituted; ok is false when n is
// not a scalar or its variables cannot be substituted (reported by checkInterpolation).
func (c *composeImport) scalar(n *yaml.Node) (string, bool) {
	n = impDeref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	if n.ShortTag() != "!!str" {
		return n.Value, true
	}
	v, err := c.interpolate(n.Value)
	return v, err == nil
}

// composePortForm says how a published port is written, for hints.
const composePortForm = `write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], like "8080:80", "127.0.0.1:8080:80" or "53:53/udp", with ports from 1 to 65535`

// checkPorts checks a service's ports: short syntax as compose-go parses it, long syntax
// field by field.
func (c *composeImport) checkPorts(v *yaml.Node, parts []string) {
	field := composePath(parts)
	if v.Kind != yaml.SequenceNode {
		hint := `write a list of ports, e.g. ports: ["8080:80"]`
		if s, ok := impScalar(v); ok {
			hint = fmt.Sprintf("write it as a list: ports: [%q]", s)
		}
		c.problem(impPos(c.file, v), fmt.Sprintf("%s must be a list, not %s", field, impKindName(v)), hint)
		c.reject(v, false, parts)
		return
	}
	for i, item := range v.Content {
		ip := composeJoin(parts, strconv.Itoa(i))
		item = impDeref(item)
		if item == nil || c.isRejected(item) {
			continue
		}
		switch item.Kind {
		case yaml.ScalarNode:
			spec, ok := c.scalar(item)
			if !ok {
				continue
			}
			if msg, hint := composePortProblem(spec); msg != "" {
				c.problem(impPos(c.file, item), msg, hint)
				c.reject(item, false, ip)
			}
		case yaml.MappingNode:
			if at, msg, hint := c.portLongProblem(item, ip); msg != "" {
				c.problem(at, msg, hint)
				c.reject(item, false, ip)
			}
		default:
			c.problem(impPos(c.file, item), fmt.Sprintf("%s must be a port or a mapping, not %s", composePath(ip), impKindName(item)),
				`write "8080:80", or {target: 80, published: "8080"}`)
			c.reject(item, false, ip)
		}
	}
}

// composePortProblem says what is wrong with a short-syntax port compose-go cannot parse,
// and how to fix it; "" when it parses.
func composePortProblem(spec string) (msg, hint string) {
	_, err := types.ParsePortConfig(spec)
	if err == nil {
		return "", ""
	}
	ports, ferr := parsePortSpec(spec)
	if ferr != nil {
		if ferr.hint == portFormHint {
			return ferr.msg, composePortForm
		}
		return ferr.msg, ferr.hint
	}
	for _, p := range ports {
		for _, side := range []struct {
			what string
			n    int
		}{{"host port", p.HostPort}, {"container port", p.ContainerPort}} {
			if side.n > 65535 || (side.what == "container port" && side.n < 1) {
				return fmt.Sprintf("port %q has a %s %d outside 1-65535", clip(spec), side.what, side.n), composePortForm
			}
		}
	}
	return fmt.Sprintf("port %q is not valid: %v", clip(spec), err), composePortForm
}

// portLongProblem checks a long-syntax port: where the first problem is, what and how to fix.
func (c *composeImport) portLongProblem(m *yaml.Node, parts []string) (Position, string, string) {
	field := composePath(parts)
	portIn := func(s string) bool {
		n, err := strconv.Atoi(s)
		return err == nil && n >= 1 && n <= 65535
	}
	tk, tv := impLookup(m, "target")
	if tk == nil || impIsNull(tv) {
		return impPos(c.file, m), fmt.Sprintf("%s has no target", field), "add target: the container's port, e.g. {target: 80, published: \"8080\"}"
	}
	if s, ok := c.scalar(tv); ok && !portIn(s) {
		return impPos(c.file, impDeref(tv)), fmt.Sprintf("%s.target must be a port from 1 to 65535, not %q", field, clip(s)), "write the container's port, e.g. target: 80"
	}
	if pv := impValue(m, "published"); pv != nil && !impIsNull(pv) {
		if s, ok := c.scalar(pv); ok && s != "" {
			lo, hi, isRange := strings.Cut(s, "-")
			if !portIn(lo) || (isRange && !portIn(hi)) {
				return impPos(c.file, pv), fmt.Sprintf("%s.published must be a port or a range of ports from 1 to 65535, not %q", field, clip(s)),
					`write the host port, e.g. published: "8080", or a range, "8080-8085"`
			}
		}
	}
	if hv := impValue(m, "host_ip"); hv != nil && !impIsNull(hv) {
		if s, ok := c.scalar(hv); ok && s != "" {
			if _, err := netip.ParseAddr(s); err != nil {
				return impPos(c.file, hv), fmt.Sprintf("%s.host_ip %q is not an IP address", field, clip(s)), "write an address of the host, e.g. host_ip: 127.0.0.1"
			}
		}
	}
	if pv := impValue(m, "protocol"); pv != nil && !impIsNull(pv) {
		if s, ok := c.scalar(pv); ok && s != "" {
			var proto Protocol
			if proto.UnmarshalText([]byte(s)) != nil {
				return impPos(c.file, pv), fmt.Sprintf("%s.protocol %q is not one sidecar publishes", field, clip(s)), "use tcp, udp or sctp"
			}
		}
	}
	return Position{}, "", ""
}

// checkDuration checks a duration as compose-go decodes it.
func (c *composeImport) checkDuration(v *yaml.Node, parts []string) {
	field := composePath(parts)
	const hint = "write a number with a unit, like 500ms, 10s or 1m30s"
	if v.Kind != yaml.ScalarNode {
		c.problem(impPos(c.file, v), fmt.Sprintf("%s must be a duration, not %s", field, impKindName(v)), hint)
		c.reject(v, false, parts)
		return
	}
	s, ok := c.scalar(v)
	if !ok {
		return
	}
	if v.ShortTag() == "!!int" || v.ShortTag() == "!!float" {
		c.problem(impPos(c.file, v), fmt.Sprintf("%s: %s has no unit", field, clip(s)), fmt.Sprintf("add a unit, e.g. %ss for seconds or %sms for milliseconds", clip(s), clip(s)))
		c.reject(v, false, parts)
		return
	}
	var d types.Duration
	if err := d.DecodeMapstructure(s); err != nil {
		c.problem(impPos(c.file, v), fmt.Sprintf("%s: invalid duration %q", field, clip(s)), hint)
		c.reject(v, false, parts)
	}
}

// checkCommand checks a command or entrypoint written as a string: compose-go splits it
// into words as a shell would.
func (c *composeImport) checkCommand(v *yaml.Node, parts []string) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return // a list, or a value of the wrong type, which the schema reports
	}
	s, ok := c.scalar(v)
	if !ok {
		return
	}
	var cmd types.ShellCommand
	if err := cmd.DecodeMapstructure(s); err != nil {
		key := parts[len(parts)-1]
		c.problem(impPos(c.file, v), fmt.Sprintf("%s: %q is not a valid command line (a quote is not closed, or it ends with a backslash)", composePath(parts), clip(s)),
			fmt.Sprintf(`close the quote, or write %s as a list of words, like %s: ["/bin/app", "--name", "a b"]`, key, key))
		c.reject(v, false, parts)
	}
}

// checkHealthcheck checks a healthcheck's shape, durations and retries.
func (c *composeImport) checkHealthcheck(v *yaml.Node, parts []string) {
	if v.Kind != yaml.MappingNode {
		c.problem(impPos(c.file, v), fmt.Sprintf("%s must be a mapping, not %s", composePath(parts), impKindName(v)),
			`write its fields below it, e.g. healthcheck: {test: ["CMD", "/bin/check"], interval: 5s}`)
		c.reject(v, false, parts)
		return
	}
	for _, p := range impPairs(v) {
		f := impDeref(p.Value)
		if impIsNull(f) || c.isRejected(f) {
			continue
		}
		fp := composeJoin(parts, p.Key.Value)
		switch p.Key.Value {
		case "interval", "timeout", "start_period", "start_interval":
			c.checkDuration(f, fp)
		case "retries":
			s, ok := c.scalar(f)
			if f.Kind != yaml.ScalarNode || (ok && !composeWhole(s)) {
				c.problem(impPos(c.file, f), fmt.Sprintf("%s must be a whole number, not %s", composePath(fp), impDescribe(f)),
					"write how many failures in a row make the container unhealthy, e.g. retries: 3")
				c.reject(f, false, fp)
			}
		}
	}
}

func composeWhole(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0
}

// composeConditions are the depends_on conditions compose knows.
var composeConditions = []string{composeStarted, composeHealthy, composeCompleted}

// checkDependsOn checks depends_on: a list of names, or a mapping of names to a condition.
func (c *composeImport) checkDependsOn(v *yaml.Node, parts []string) {
	field := composePath(parts)
	switch v.Kind {
	case yaml.SequenceNode:
		return // names: the schema checks they are strings, the planner that they are services
	case yaml.MappingNode:
	default:
		c.problem(impPos(c.file, v), fmt.Sprintf("%s must be a list of service names or a mapping, not %s", field, impKindName(v)),
			"write depends_on: [SERVICE], or depends_on: {SERVICE: {condition: service_healthy}}")
		c.reject(v, false, parts)
		return
	}
	conditions := "use " + strings.Join(composeConditions[:2], ", ") + " or " + composeConditions[2]
	for _, p := range impPairs(v) {
		dep := p.Key.Value
		ep := composeJoin(parts, dep)
		e := impDeref(p.Value)
		if c.isRejected(e) {
			continue
		}
		if e == nil || e.Kind != yaml.MappingNode {
			c.problem(impPos(c.file, p.Key), fmt.Sprintf("%s.%s must be a mapping with a condition, not %s", field, dep, impKindName(e)),
				fmt.Sprintf("write %s: {condition: service_started}, or list the name: depends_on: [%s]", dep, dep))
			c.reject(p.Key, true, ep)
			continue
		}
		ck, cv := impLookup(e, "condition")
		if ck == nil {
			c.problem(impPos(c.file, p.Key), fmt.Sprintf("%s.%s has no condition", field, dep),
				"add condition: service_started (or service_healthy, service_completed_successfully)")
			c.reject(p.Key, true, ep)
			continue
		}
		if s, ok := c.scalar(cv); ok && !slices.Contains(composeConditions, s) {
			hint := conditions
			if sug := suggest.DidYouMean(s, composeConditions); sug != "" {
				hint = sug + " (" + conditions + ")"
			}
			c.problem(impPos(c.file, impDeref(cv)), fmt.Sprintf("%s.%s.condition %q is not a condition compose knows", field, dep, clip(s)), hint)
			c.reject(p.Key, true, ep)
			continue
		}
		for _, flag := range []string{"required", "restart"} {
			fv := impValue(e, flag)
			if fv == nil || impIsNull(fv) {
				continue
			}
			if s, ok := c.scalar(fv); fv.Kind != yaml.ScalarNode || (ok && !composeBool(s)) {
				c.problem(impPos(c.file, fv), fmt.Sprintf("%s.%s.%s must be true or false, not %s", field, dep, flag, impDescribe(fv)), "write true or false")
				c.reject(fv, false, composeJoin(ep, flag))
			}
		}
	}
}

// composeBool reports whether compose-go reads s as a boolean.
func composeBool(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "y", "yes", "on", "n", "no", "off":
		return true
	}
	return false
}
