package recipes

// Checks of a compose file's nodes before compose-go loads it, so that every problem is
// found at once, placed, with a fix: the values compose-go parses from strings (ports,
// durations, command lines) or casts (booleans, numbers), and every error of the compose
// specification's JSON schema. A node found wrong is left out of what compose-go reads
// (composeImport.reject), so that the rest is still loaded and checked in the same pass.

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/compose-spec/compose-go/v2/format"
	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/sidecar-dev/sidecar/internal/suggest"
	"github.com/sidecar-dev/sidecar/recipes/internal/yamlpos"
	yaml "go.yaml.in/yaml/v3"
)

func (c *composeImport) checkNodes() {
	for _, p := range yamlpos.Pairs(yamlpos.Value(c.root, "services")) {
		if p.Value.Kind == yaml.MappingNode && !c.rejectedNode(p.Value) {
			c.checkService(p.Value, []string{"services", p.Key.Value})
		}
	}
	c.checkCasts(c.root, tree.NewPath())
	c.checkSchema()
}

// composeValueCheck says what is wrong with value v at parts ("" when nothing), where (nil:
// at v) and the fix.
type composeValueCheck func(c *composeImport, v *yaml.Node, parts []string) (at *yaml.Node, msg, hint string)

// checkService checks, and rejects when wrong, the fields of a service compose-go parses
// from strings.
func (c *composeImport) checkService(svc *yaml.Node, parts []string) {
	check := func(v *yaml.Node, parts []string, f composeValueCheck) {
		if c.rejectedNode(v) {
			return
		}
		if at, msg, hint := f(c, v, parts); msg != "" {
			c.problem(c.posOf(cmp.Or(at, v)), msg, hint)
			c.reject(v, false, parts)
		}
	}
	for _, p := range yamlpos.Pairs(svc) {
		v, fp := p.Value, composeJoin(parts, p.Key.Value)
		if yamlpos.IsNull(v) || c.rejectedNode(v) {
			continue
		}
		switch p.Key.Value {
		case "ports", "volumes":
			f := map[string]composeValueCheck{"ports": portProblem, "volumes": volumeProblem}[p.Key.Value]
			for i, item := range yamlpos.Items(v) {
				check(item, composeJoin(fp, strconv.Itoa(i)), f)
			}
		case "stop_grace_period":
			check(v, fp, durationProblem)
		case "command", "entrypoint":
			check(v, fp, commandProblem)
		case "healthcheck":
			for _, h := range yamlpos.Pairs(v) {
				if slices.Contains([]string{"interval", "timeout", "start_period", "start_interval"}, h.Key.Value) &&
					!yamlpos.IsNull(h.Value) {
					check(h.Value, composeJoin(fp, h.Key.Value), durationProblem)
				}
			}
		}
	}
}

// composePortForm says how a published port is written, for hints.
const composePortForm = `write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], like "8080:80", "127.0.0.1:8080:80" or "53:53/udp", with ports from 1 to 65535`

// composePortProblem says what is wrong with a short-syntax port compose-go cannot parse,
// and the fix; "" when it parses.
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
		what, n := "host port", p.HostPort // 0: none written
		if n <= 65535 {
			what, n = "container port", p.ContainerPort
		}
		if n > 65535 || n < 1 {
			return fmt.Sprintf("port %q has a %s %d outside 1-65535", yamlpos.Clip(spec), what, n), composePortForm
		}
	}
	return fmt.Sprintf("port %q is not valid: %v", yamlpos.Clip(spec), err), composePortForm
}

// portProblem checks a port: the short syntax as compose-go parses it, the long one field by
// field (the schema checks the kinds).
func portProblem(_ *composeImport, m *yaml.Node, parts []string) (*yaml.Node, string, string) {
	if m.Kind == yaml.ScalarNode {
		msg, hint := composePortProblem(m.Value)
		return nil, msg, hint
	}
	if m.Kind != yaml.MappingNode {
		return nil, "", ""
	}
	field := yamlpos.Path(parts...)
	portIn := func(s string) bool {
		n, err := strconv.Atoi(s)
		return err == nil && n >= 1 && n <= 65535
	}
	scalar := func(key string) (*yaml.Node, string) {
		v := yamlpos.Value(m, key)
		s, ok := yamlpos.Scalar(v)
		if !ok || yamlpos.IsNull(v) {
			return nil, ""
		}
		return v, s
	}
	if tv, s := scalar("target"); tv == nil {
		return m, fmt.Sprintf("%s has no target", field), "add target: the container's port, e.g. {target: 80, published: \"8080\"}"
	} else if !portIn(s) {
		return tv, fmt.Sprintf("%s.target must be a port from 1 to 65535, not %q", field, yamlpos.Clip(s)), "write the container's port, e.g. target: 80"
	}
	if pv, s := scalar("published"); s != "" {
		lo, hi, isRange := strings.Cut(s, "-")
		if !portIn(lo) || (isRange && !portIn(hi)) {
			return pv, fmt.Sprintf("%s.published must be a port or a range of ports from 1 to 65535, not %q", field, yamlpos.Clip(s)),
				`write the host port, e.g. published: "8080", or a range, "8080-8085"`
		}
	}
	if hv, s := scalar("host_ip"); s != "" {
		if _, err := netip.ParseAddr(s); err != nil {
			return hv, fmt.Sprintf("%s.host_ip %q is not an IP address", field, yamlpos.Clip(s)), "write an address of the host, e.g. host_ip: 127.0.0.1"
		}
	}
	if pv, s := scalar("protocol"); s != "" {
		var proto Protocol
		if proto.UnmarshalText([]byte(s)) != nil {
			return pv, fmt.Sprintf("%s.protocol %q is not one sidecar publishes", field, yamlpos.Clip(s)), "use tcp, udp or sctp"
		}
	}
	return nil, "", ""
}

// volumeProblem checks a volume written in the short syntax, as compose-go parses it.
func volumeProblem(c *composeImport, v *yaml.Node, parts []string) (*yaml.Node, string, string) {
	if v.Kind != yaml.ScalarNode {
		return nil, "", ""
	}
	_, err := format.ParseVolume(v.Value)
	if s := v.Value; err == nil && len(s) > 2 && s[1] == ':' && unicode.IsLetter(rune(s[0])) { // compose-go's Windows drive
		rest, _, _ := strings.Cut(s[2:], ":")
		return nil, fmt.Sprintf("%s: compose reads %q as a path on Windows drive %s (%s), not as volume %s at %s, and the engine on Linux refuses that path",
				yamlpos.Path(parts...), yamlpos.Clip(s), s[:1], s[:2]+rest, s[:1], rest),
			fmt.Sprintf("for volume %s write the long syntax, {type: volume, source: %s, target: %s}, or give the volume a longer name", s[:1], s[:1], rest)
	}
	if err == nil {
		return nil, "", ""
	}
	if unset := c.interp.unset[v]; len(unset) > 0 {
		names := strings.Join(unset, ", ")
		return nil, fmt.Sprintf("%s: %q is not a volume compose can read, because variable %s is not set", yamlpos.Path(parts...), yamlpos.Clip(v.Value), names),
			fmt.Sprintf("set %s in the environment or in a .env file next to the compose file, or give it a default: ${%s:-./data}", names, unset[0])
	}
	return nil, fmt.Sprintf("%s: %q is not a volume compose can read: %v", yamlpos.Path(parts...), yamlpos.Clip(v.Value), err),
		"write SOURCE:TARGET[:MODE], like ./data:/data, data:/data:ro or a target alone, /data"
}

// durationProblem checks a duration as compose-go decodes it.
func durationProblem(_ *composeImport, v *yaml.Node, parts []string) (*yaml.Node, string, string) {
	field := yamlpos.Path(parts...)
	const hint = "write a number with a unit, like 500ms, 10s or 1m30s"
	var d types.Duration
	switch {
	case v.Kind != yaml.ScalarNode:
		return nil, fmt.Sprintf("%s must be a duration, not %s", field, yamlpos.KindName(v)), hint
	case v.ShortTag() == "!!int" || v.ShortTag() == "!!float":
		s := yamlpos.Clip(v.Value)
		return nil, fmt.Sprintf("%s: %s has no unit", field, s), fmt.Sprintf("add a unit, e.g. %ss for seconds or %sms for milliseconds", s, s)
	case d.DecodeMapstructure(v.Value) != nil:
		return nil, fmt.Sprintf("%s: invalid duration %q", field, yamlpos.Clip(v.Value)), hint
	}
	return nil, "", ""
}

// commandProblem checks a command or entrypoint written as a string: compose-go splits it
// into words as a shell would. A list, or a value of the wrong type, is the schema's.
func commandProblem(_ *composeImport, v *yaml.Node, parts []string) (*yaml.Node, string, string) {
	var cmd types.ShellCommand
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || cmd.DecodeMapstructure(v.Value) == nil {
		return nil, "", ""
	}
	key := parts[len(parts)-1]
	return nil, fmt.Sprintf("%s: %q is not a valid command line (a quote is not closed, or it ends with a backslash)", yamlpos.Path(parts...), yamlpos.Clip(v.Value)),
		fmt.Sprintf(`close the quote, or write %s as a list of words, like %s: ["/bin/app", "--name", "a b"]`, key, key)
}

// composeCasts are the attributes whose string values (a variable gives a string) compose-go
// casts to booleans and numbers, from compose-go itself.
var composeCasts = sync.OnceValue(func() pathTable[interp.Cast] {
	out := pathTable[interp.Cast]{}
	for pattern, cast := range loader.ToOptions(&types.ConfigDetails{}, nil).Interpolate.TypeCastMapping {
		out.add(pattern.Parts(), cast)
	}
	return out
})

// pathTable holds values by compose attribute path patterns (tree.PathMatchAll matches any
// part), by the number of parts.
type pathTable[T any] map[int][]pathEntry[T]

type pathEntry[T any] struct {
	pattern []string
	v       T
}

func (t pathTable[T]) add(pattern []string, v T) {
	t[len(pattern)] = append(t[len(pattern)], pathEntry[T]{pattern, v})
}

// at is the value of the first pattern path matches, or T's zero value.
func (t pathTable[T]) at(path tree.Path) (v T) {
	parts := path.Parts()
	for _, e := range t[len(parts)] {
		if slices.EqualFunc(e.pattern, parts, func(p, part string) bool { return p == part || p == tree.PathMatchAll }) {
			return e.v
		}
	}
	return v
}

// castWants names what a cast accepts: true or false, a whole number, a number.
func castWants(cast interp.Cast) string {
	if _, err := cast("true"); err == nil {
		return "true or false"
	}
	if _, err := cast("0.5"); err == nil {
		return "a number"
	}
	return "a whole number"
}

// checkCasts reports each string value compose-go casts, or decodes, that does not cast.
func (c *composeImport) checkCasts(n *yaml.Node, path tree.Path) {
	switch {
	case n == nil || c.rejectedNode(n):
	case n.Kind == yaml.MappingNode:
		for _, p := range yamlpos.Pairs(n) {
			c.checkCasts(p.Value, path.Next(p.Key.Value))
		}
	case n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			c.checkCasts(item, path.Next(tree.PathMatchList))
		}
	case n.Kind == yaml.ScalarNode && !yamlpos.IsNull(n):
		msg, hint := "", ""
		if cast := composeCasts().at(path); cast != nil && n.ShortTag() == "!!str" {
			if _, err := cast(n.Value); err != nil {
				want := castWants(cast)
				msg, hint = fmt.Sprintf("must be %s, found %s", want, yamlpos.Describe(n)), yamlpos.KindHints[want]
			}
		}
		if decode := composeDecodes().at(path); msg == "" && decode != nil {
			msg, hint = decode(n)
		}
		if msg == "" {
			return
		}
		if path.Last() == "retries" {
			hint = "write how many failures in a row make the container unhealthy, e.g. retries: 3"
		}
		c.issue(yamlpos.At(n, hint, "%s %s", yamlpos.Path(c.paths[n]...), msg))
		c.reject(n, false, c.paths[n])
	}
}

// composeDecode says what is wrong with a value compose-go decodes into a size or an
// unsigned number, and the fix; "" when it decodes.
type composeDecode func(v *yaml.Node) (msg, hint string)

// composeDecodes are the attributes compose-go decodes into sizes (units.RAMInBytes) and
// unsigned numbers, which the schema takes as any number or string: a value that does not
// decode fails compose-go's whole load.
var composeDecodes = sync.OnceValue(func() pathTable[composeDecode] {
	out := pathTable[composeDecode]{}
	size, u16, u32, u64 := sizeProblem, unsignedProblem(16), unsignedProblem(32), unsignedProblem(64)
	for path, d := range map[string]composeDecode{
		"mem_limit": size, "mem_reservation": size, "memswap_limit": size, "mem_swappiness": size,
		"shm_size": size, "build.shm_size": size,
		"deploy.resources.limits.memory": size, "deploy.resources.reservations.memory": size,
		"blkio_config.device_read_bps.[].rate": size, "blkio_config.device_read_iops.[].rate": size,
		"blkio_config.device_write_bps.[].rate": size, "blkio_config.device_write_iops.[].rate": size,
		"volumes.[].tmpfs.size": size, "volumes.[].tmpfs.mode": u32,
		"blkio_config.weight": u16, "blkio_config.weight_device.[].weight": u16,
		"healthcheck.retries": u64, "deploy.restart_policy.max_attempts": u64,
		"deploy.update_config.parallelism": u64, "deploy.rollback_config.parallelism": u64,
		"deploy.placement.max_replicas_per_node": u64,
	} {
		out.add(tree.Path("services.*."+path).Parts(), d)
		out.add(tree.Path("jobs.*."+path).Parts(), d)
	}
	return out
})

// sizeProblem checks a size as compose-go decodes it (types.UnitBytes): a number of bytes,
// or a string with a unit.
func sizeProblem(v *yaml.Node) (string, string) {
	var b types.UnitBytes
	if v.ShortTag() != "!!str" || b.DecodeMapstructure(v.Value) == nil {
		return "", ""
	}
	return fmt.Sprintf("%s is not a size", yamlpos.Quoted(v)), "write a number of bytes or one with a unit, e.g. 512m or 1g"
}

// unsignedProblem checks a whole number compose-go decodes into an unsigned integer of bits
// bits: a negative one, or one too large, fails its load.
func unsignedProblem(bits int) composeDecode {
	return func(v *yaml.Node) (string, string) {
		f, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || v.ShortTag() == "!!bool" {
			return "", ""
		}
		if i, err := strconv.ParseInt(v.Value, 0, 64); err == nil {
			f = float64(i)
		}
		limit := uint64(math.MaxUint64) >> (64 - bits)
		switch {
		case f < 0:
			return fmt.Sprintf("must be at least 0, found %s", yamlpos.Clip(v.Value)), "write 0 or more"
		case f > float64(limit):
			return fmt.Sprintf("must be at most %d, found %s", limit, yamlpos.Clip(v.Value)), fmt.Sprintf("write %d or less", limit)
		}
		return "", ""
	}
}

// composeSchema is compose-go's JSON schema of the compose specification, compiled once.
var composeSchema = sync.OnceValues(func() (*jsonschema.Schema, *jsonschema.Compiler) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.Schema))
	if err != nil {
		panic("compose-go's schema does not parse: " + err.Error())
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource(composeSchemaURL, doc); err != nil {
		panic(err)
	}
	comp.RegisterFormat(&jsonschema.Format{Name: "duration", Validate: func(v any) error {
		if s, ok := v.(string); ok {
			_, err := time.ParseDuration(s)
			return err
		}
		return nil
	}})
	return comp.MustCompile(composeSchemaURL), comp
})

const composeSchemaURL = "file:///compose-spec.json"

// checkSchema validates the file (without what was rejected, cast as compose-go casts it)
// against the compose specification's schema, and reports every error at its node.
func (c *composeImport) checkSchema() {
	sch, _ := composeSchema()
	err := sch.Validate(c.jsonOf(c.root, tree.NewPath()))
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			c.problem(c.keyAt(), "the file cannot be checked against the compose specification: "+err.Error(), "this is a bug in sidecar: please report it with the file")
		}
		return
	}
	leaves := schemaLeaves(ve)
	seen := map[string]bool{}
	for _, e := range leaves {
		if _, unevaluated := e.ErrorKind.(*kind.FalseSchema); unevaluated && shadowed(e, leaves) {
			continue // a known key whose value has problems of its own
		}
		id := strings.Join(e.InstanceLocation, "\x00") + fmt.Sprint(e.ErrorKind)
		if !seen[id] {
			seen[id] = true
			c.schemaProblem(e)
		}
	}
}

// jsonOf is the value of n as compose-go validates it: without what was rejected, cast.
func (c *composeImport) jsonOf(n *yaml.Node, path tree.Path) any {
	if c.empty[n] {
		return map[string]any{}
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, p := range yamlpos.Pairs(n) {
			if !c.drop[p.Key] && !c.drop[p.Value] && !isReset(p.Value) {
				m[p.Key.Value] = c.jsonOf(p.Value, path.Next(p.Key.Value))
			}
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, item := range n.Content {
			if !c.drop[item] && !isReset(item) {
				l = append(l, c.jsonOf(item, path.Next(tree.PathMatchList)))
			}
		}
		return l
	}
	var v any
	if n.Decode(&v) != nil {
		return n.Value
	}
	switch x := v.(type) {
	case string:
		if cast := composeCasts().at(path); cast != nil {
			if cv, err := cast(x); err == nil {
				return cv
			}
		}
	case uint64:
		return float64(x)
	}
	return v
}

// schemaLeaves lists the errors of a validation that say what is wrong, not where the
// schema looked: of the branches of a oneOf or anyOf, those the value is closest to.
func schemaLeaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		var near [][]*jsonschema.ValidationError
		var types []string
		for _, cause := range e.Causes {
			leaves := schemaLeaves(cause)
			if t, ok := typeMismatchAt(leaves, e.InstanceLocation); ok {
				types = append(types, t...)
				continue
			}
			near = append(near, leaves)
		}
		if len(near) == 0 {
			// Of no kind any branch takes: one error that names them all.
			slices.Sort(types)
			return []*jsonschema.ValidationError{{InstanceLocation: e.InstanceLocation, SchemaURL: e.SchemaURL,
				ErrorKind: &kind.Type{Want: slices.Compact(types)}}}
		}
		return slices.MaxFunc(near, func(a, b []*jsonschema.ValidationError) int { return depth(a) - depth(b) }) // the first deepest
	}
	var out []*jsonschema.ValidationError
	for _, cause := range e.Causes {
		out = append(out, schemaLeaves(cause)...)
	}
	return out
}

// typeMismatchAt is the kinds leaves want, when they are only "wrong kind" errors at loc.
func typeMismatchAt(leaves []*jsonschema.ValidationError, loc []string) ([]string, bool) {
	var want []string
	for _, l := range leaves {
		t, ok := l.ErrorKind.(*kind.Type)
		if !ok || !slices.Equal(l.InstanceLocation, loc) {
			return nil, false
		}
		want = append(want, t.Want...)
	}
	return want, len(leaves) > 0
}

func depth(leaves []*jsonschema.ValidationError) int {
	d := 0
	for _, l := range leaves {
		d = max(d, len(l.InstanceLocation))
	}
	return d
}

// shadowed reports whether an "unevaluated property" error is about a key another error is
// about, at or below it: a known key whose value failed, not an unknown one.
func shadowed(e *jsonschema.ValidationError, leaves []*jsonschema.ValidationError) bool {
	for _, o := range leaves {
		if _, f := o.ErrorKind.(*kind.FalseSchema); !f && len(o.InstanceLocation) >= len(e.InstanceLocation) &&
			slices.Equal(o.InstanceLocation[:len(e.InstanceLocation)], e.InstanceLocation) {
			return true
		}
	}
	loc := e.InstanceLocation
	return len(loc) > 0 && slices.Contains(composeKeysAt(loc[:len(loc)-1]), loc[len(loc)-1])
}

// composeKindNames names the JSON schema's types as messages say them.
var composeKindNames = map[string]string{"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
	"integer": "a whole number", "boolean": "true or false", "null": "empty"}

// composeKinds names the kinds a value may be: "a list", "a string, a number or empty".
func composeKinds(want []string) string {
	if len(want) == 1 {
		return cmp.Or(composeKindNames[want[0]], want[0])
	}
	var out []string
	for _, w := range []string{"object", "array", "string", "number", "integer", "boolean", "null"} {
		if slices.Contains(want, w) {
			out = append(out, strings.Replace(composeKindNames[w], "true or false", "a boolean", 1))
		}
	}
	if len(out) < 2 {
		return strings.Join(want, " or ")
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// schemaProblem reports one error of the schema at the node it is about, and rejects it.
func (c *composeImport) schemaProblem(e *jsonschema.ValidationError) {
	parts := e.InstanceLocation
	field := cmp.Or(yamlpos.Path(parts...), "the top level")
	key := yamlpos.Find(c.root, parts...)
	val, found := yamlpos.Walk(c.root, parts...)
	if !found {
		val = nil
	}
	at := val
	if at == nil || yamlpos.IsNull(at) || (key != nil && at.Kind == yaml.MappingNode) {
		at = cmp.Or(key, val, c.root)
	}
	name := ""
	if len(parts) > 0 {
		name = parts[len(parts)-1]
		if isIndex(name) && len(parts) > 1 {
			name = parts[len(parts)-2]
		}
	}
	msg, hint := "", ""
	rejected, isKey := val, false
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, prop := range k.Properties {
			c.unknownKey(parts, prop, e.SchemaURL)
		}
		return
	case *kind.FalseSchema:
		if len(parts) > 0 {
			c.unknownKey(parts[:len(parts)-1], parts[len(parts)-1], "")
		}
		return
	case *kind.Type:
		want := composeKinds(k.Want)
		hint = cmp.Or(yamlpos.KindHints[want], "write a single value of one of these kinds")
		switch s, ok := yamlpos.Scalar(val); {
		case ok && want == "a list" && !yamlpos.IsNull(val):
			hint = fmt.Sprintf("write it as a list: %s: [%q]", name, s)
		case len(parts) == 1 && name == "services":
			hint = "write one NAME: line per service below services:, with its settings below that, e.g. services: {web: {image: nginx}}"
		case len(parts) == 2 && parts[0] == "services":
			hint = fmt.Sprintf("write the service's settings below it, e.g. %s: {image: nginx}", name)
		case name == "depends_on":
			hint = "write depends_on: [SERVICE], or depends_on: {SERVICE: {condition: service_healthy}}"
		case len(parts) == 4 && parts[2] == "depends_on":
			hint = fmt.Sprintf("write %s: {condition: service_started}, or list the name: depends_on: [%s]", name, name)
		}
		msg = fmt.Sprintf("must be %s, found %s", want, yamlpos.Describe(val))
	case *kind.Enum:
		var valid []string
		for _, w := range k.Want {
			valid = append(valid, fmt.Sprint(w))
		}
		hint = "use one of " + strings.Join(valid, ", ")
		if s := suggest.Closest(fmt.Sprint(k.Got), valid); s != "" {
			hint = fmt.Sprintf("did you mean %q? (%s)", s, hint)
		}
		msg = yamlpos.Quoted(val) + " is not a value compose knows"
	case *kind.Required:
		// A property reported wrong already (and left out) is not missing too.
		missing := slices.DeleteFunc(slices.Clone(k.Missing), func(m string) bool {
			return slices.ContainsFunc(c.rejected, func(r []string) bool { return slices.Equal(r, composeJoin(parts, m)) })
		})
		at, rejected, isKey = cmp.Or(key, at), cmp.Or(key, val), key != nil
		if len(missing) == 0 {
			c.reject(rejected, isKey, parts)
			return
		}
		hints := make([]string, len(missing))
		for i, m := range missing {
			hints[i] = m + ": " + c.schemaExample(e.SchemaURL, m)
		}
		msg, hint = "has no "+strings.Join(missing, " and "), "add "+strings.Join(hints, ", ")
	default:
		msg, hint = schemaRule(e.ErrorKind, val)
	}
	if !isKey && c.requiredBy(e.SchemaURL, parts) {
		// Without its value the mapping holding it would be wrong in turn: leave the whole
		// entry out.
		rejected, isKey, parts = yamlpos.Find(c.root, parts[:len(parts)-1]...), true, parts[:len(parts)-1]
	}
	c.issue(yamlpos.At(at, hint, "%s %s", field, msg))
	c.reject(rejected, isKey, parts)
}

// schemaRule says which rule of the schema value v breaks, and how to fix it, for the rules
// with no message of their own.
func schemaRule(k jsonschema.ErrorKind, v *yaml.Node) (rule, hint string) {
	hint = "check it against the compose specification, https://docs.docker.com/reference/compose-file/"
	switch k := k.(type) {
	case *kind.Minimum:
		return fmt.Sprintf("must be at least %s, found %s", k.Want.RatString(), yamlpos.Describe(v)), "write " + k.Want.RatString() + " or more"
	case *kind.Maximum:
		return fmt.Sprintf("must be at most %s, found %s", k.Want.RatString(), yamlpos.Describe(v)), "write " + k.Want.RatString() + " or less"
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d entries, found %d", k.Want, k.Got), hint
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d entries, found %d", k.Want, k.Got), hint
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want), hint
	case *kind.UniqueItems:
		return fmt.Sprintf("holds the same entry twice (entries %d and %d)", k.Duplicates[0]+1, k.Duplicates[1]+1), hint
	case *kind.Pattern:
		return fmt.Sprintf("%q does not have the form the specification gives (%s)", yamlpos.Clip(k.Got), k.Want), hint
	case *kind.Format:
		return fmt.Sprintf("is not a valid %s", k.Want), hint
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d entries", k.Want), hint
	case *kind.InvalidJsonValue: // a YAML timestamp: 2026-12-07 unquoted
		return fmt.Sprintf("%s is a date to YAML, not text", yamlpos.Quoted(v)), fmt.Sprintf("quote it: %q", v.Value)
	}
	return "does not satisfy the specification's " + strings.Join(k.KeywordPath(), "/") + " rule", hint
}

// requiredBy reports whether the mapping holding the value at parts (checked by the schema
// at url) must have it.
func (c *composeImport) requiredBy(url string, parts []string) bool {
	if len(parts) < 2 {
		return false
	}
	parent, found := strings.CutSuffix(url, "/properties/"+parts[len(parts)-1])
	if !found {
		return false
	}
	_, comp := composeSchema()
	s, err := comp.Compile(parent)
	return err == nil && slices.Contains(s.Required, parts[len(parts)-1])
}

// schemaExample is how to write property prop of the schema at url: its allowed values, or "…".
func (c *composeImport) schemaExample(url, prop string) string {
	_, comp := composeSchema()
	if s, err := comp.Compile(url); err == nil && s.Properties[prop] != nil && s.Properties[prop].Enum != nil {
		var vals []string
		for _, v := range s.Properties[prop].Enum.Values {
			vals = append(vals, fmt.Sprint(v))
		}
		if len(vals) > 1 {
			return vals[0] + " (or " + strings.Join(vals[1:], ", ") + ")"
		}
		return strings.Join(vals, "")
	}
	return "…"
}

// unknownKey reports key prop of the mapping at parent, which the schema (at url, when
// known) does not allow: an invalid name (below services:…), or a key it does not know.
func (c *composeImport) unknownKey(parent []string, prop, url string) {
	path := composeJoin(parent, prop)
	k := cmp.Or(yamlpos.Find(c.root, path...), yamlpos.Near(c.root, parent...), c.root)
	c.reject(k, true, path)
	known := composeKeysAt(parent)
	if url != "" && len(known) == 0 {
		_, comp := composeSchema()
		if s, err := comp.Compile(url); err == nil && len(s.PatternProperties) > 0 && len(s.Properties) == 0 {
			what := strings.TrimSuffix(cmp.Or(strings.Join(parent, "."), "entry"), "s")
			hint := "use letters, digits, '.', '_' and '-' only"
			if fix := DNSLabel(prop); fix != "" {
				hint += ", e.g. " + fix
			}
			c.issue(yamlpos.At(k, hint, "%s name %q is not valid", what, yamlpos.Clip(prop)))
			return
		}
	}
	sug := suggest.Closest(prop, known)
	if sug != "" {
		// What the field it is likely a typo of would have made is missing.
		c.rejected = append(c.rejected, composeJoin(parent, sug))
	}
	// A key an anchor merges into several mappings (<<: *common) is one mistake: reported
	// once, at the anchor, naming every mapping it is merged into.
	u := c.unknown[k]
	if u == nil {
		u = &unknownKey{i: len(c.problems)}
		c.problems, c.unknown[k] = append(c.problems, Problem{}), u
	}
	u.in = append(u.in, cmp.Or(strings.Join(parent, "."), "the top level"))
	slices.Sort(u.in)
	c.problems[u.i] = issueProblem(c.file, yamlpos.UnknownKey(k, andList(u.in), sug, "", "remove it, or prefix it with x- to keep it as an extension"))
}

// unknownKey is an unknown key reported: its problem's index, and the mappings it is in.
type unknownKey struct {
	i  int
	in []string
}
