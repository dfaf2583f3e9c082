package recipes

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// normaliser fills every default into a copy of a stack, whatever produced it (the recipe
// decoder or an importer), so that the orchestrator and the exporters never see a gap.
type normaliser struct {
	opts  Options
	env   map[string]string // the interpolation environment (Options.Env over .env)
	pos   *Positions
	probs Problems
}

// normalise returns a normalised copy of in; in is not modified.
func normalise(in *Stack, opts Options, env map[string]string, pos *Positions) (*Stack, Problems) {
	n := &normaliser{opts: opts, env: env, pos: pos}
	s := cloneStack(in)
	s.Name = cmp.Or(opts.Name, s.Name, DNSLabel(filepath.Base(s.Dir)))
	b := &s.Backoff
	b.Initial = cmp.Or(b.Initial, Duration(DefaultBackoffInitial))
	b.Max = cmp.Or(b.Max, Duration(DefaultBackoffMax))
	b.Reset = cmp.Or(b.Reset, Duration(DefaultBackoffReset))
	slices.SortStableFunc(s.Volumes, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range s.Pods {
		if p.Name == "" && len(s.Pods) == 1 {
			p.Name = s.Name
		}
		n.pod(s, p)
	}
	depConditions(s)
	s.Pods = depOrder(s.Pods, func(p *Pod) string { return p.Name }, (*Pod).DependsOnNames)
	return s, n.probs
}

// hostsOrder puts a pod's extra hosts in one order, whatever the input's: an entry per
// address, its names sorted, entries by their first name.
func hostsOrder(hosts []HostAlias) []HostAlias {
	var out []HostAlias
	for _, h := range hosts {
		if i := slices.IndexFunc(out, func(o HostAlias) bool { return o.IP == h.IP }); i >= 0 {
			out[i].Hostnames = append(out[i].Hostnames, h.Hostnames...)
		} else {
			out = append(out, HostAlias{IP: h.IP, Hostnames: slices.Clone(h.Hostnames)})
		}
	}
	for i := range out {
		slices.Sort(out[i].Hostnames)
		out[i].Hostnames = slices.Compact(out[i].Hostnames)
	}
	slices.SortStableFunc(out, func(a, b HostAlias) int {
		return strings.Compare(strings.Join(a.Hostnames, " "), strings.Join(b.Hostnames, " "))
	})
	return out
}

func (n *normaliser) pod(s *Stack, p *Pod) {
	p.ExtraHosts = hostsOrder(p.ExtraHosts)
	p.StopGrace = cmp.Or(p.StopGrace, Duration(DefaultPodStopGrace))
	if p.Sidecars == nil {
		p.Sidecars = []*Container{}
	}
	if p.Init == nil {
		p.Init = []*Container{}
	}
	slices.SortStableFunc(p.Volumes, func(a, b *Volume) int { return strings.Compare(a.Name, b.Name) })
	if len(p.Volumes) == 0 {
		p.Volumes = nil // one that went to the stack's leaves none: as if none were written
	}
	n.sortDependsOn(p)
	if p.Main != nil && p.Main.Name == "" {
		p.Main.Name = DefaultMainName
	}
	p.SetRoles()
	for _, c := range p.Containers() {
		n.container(s, p, c)
	}
}

// sortDependsOn sorts and de-duplicates a pod's depends_on, moving the entries' recorded
// positions (and their conditions') along so that problems still point at the entry as
// written. A pod named twice with different conditions is a problem at the second.
func (n *normaliser) sortDependsOn(p *Pod) {
	if len(p.DependsOn) == 0 {
		return
	}
	key := Field(PodKey(p.Name), "depends_on")
	type entry struct {
		PodDep
		condAt Position
		hasAt  bool
	}
	list := make([]entry, len(p.DependsOn))
	for i, d := range p.DependsOn {
		ck := Field(key, i, "condition")
		_, has := n.pos.m[ck]
		list[i] = entry{d, n.pos.At(ck), has}
	}
	entries := entriesAt(n.pos, key, list)
	slices.SortStableFunc(entries, func(a, b placed[entry]) int { return strings.Compare(a.v.Pod, b.v.Pod) })
	var kept []placed[entry]
	for _, e := range entries {
		if len(kept) == 0 || kept[len(kept)-1].v.Pod != e.v.Pod {
			kept = append(kept, e)
			continue
		}
		if first := kept[len(kept)-1]; first.v.Condition != e.v.Condition {
			n.probs = append(n.probs, Problem{Pos: e.at,
				Message: fmt.Sprintf("depends_on names pod %q twice, waiting for it to be %s (line %d, column %d) and %s", e.v.Pod, first.v.Condition, first.at.Line, first.at.Col, e.v.Condition),
				Hint:    "keep one of the two entries"})
		}
	}
	entries = kept
	for i := range p.DependsOn {
		delete(n.pos.m, Field(key, i, "condition"))
	}
	list = setEntries(n.pos, key, entries)
	p.DependsOn = make([]PodDep, len(list))
	for i, e := range list {
		p.DependsOn[i] = e.PodDep
		if e.hasAt {
			n.pos.Set(Field(key, i, "condition"), e.condAt)
		}
	}
}

// depConditions writes each pod's depends_on conditions in their shortest form: a condition
// that waits for what ready waits for is ready — started on a pod whose main has no ready
// probe (it is ready once started), completed on a job whose main has none (it is ready once
// completed) — so that config shows a condition only where it makes a difference.
func depConditions(s *Stack) {
	for _, p := range s.Pods {
		for i, d := range p.DependsOn {
			dp := s.Pod(d.Pod)
			if dp == nil || dp.Main == nil || dp.Main.Ready != nil {
				continue
			}
			if d.Condition == DepStarted && !dp.Job || d.Condition == DepCompleted && dp.Job {
				p.DependsOn[i].Condition = DepReady
			}
		}
	}
}

func (n *normaliser) container(s *Stack, p *Pod, c *Container) {
	if c.Build != nil {
		c.Build.Context = cmp.Or(c.Build.Context, ".")
		if c.Build.DockerfileInline == "" {
			c.Build.Dockerfile = cmp.Or(c.Build.Dockerfile, "Dockerfile")
		}
		if c.Image == "" && c.Name != "" {
			c.Image = fmt.Sprintf("%s-%s-%s:latest", s.Name, p.Name, c.Name)
		}
	}
	// expand_refs matters only when expanding changes a word of the command line.
	known := func(n string) (string, bool) {
		_, ok := c.Env[n]
		return "\x00", ok || slices.ContainsFunc(c.EnvRefs, func(r EnvRef) bool { return r.Name == n })
	}
	c.ExpandRefs = c.ExpandRefs && slices.ContainsFunc(slices.Concat(c.Entrypoint, c.Command), func(w string) bool { return ExpandVars(w, known) != w })
	// gate matters only for a sidecar with a probe it could wait for: without a startup
	// probe, running is started; without a ready probe, started is ready.
	if c.Role == RoleSidecar && c.Gate == GateRunning && c.Startup == nil {
		c.Gate = GateStarted
	}
	if c.Role == RoleSidecar && c.Gate == GateStarted && c.Ready == nil {
		c.Gate = GateReady
	}
	for _, h := range []*Hook{c.PostStart, c.PreStop} {
		if h != nil && h.HTTP != nil {
			h.HTTP.Path = cmp.Or(h.HTTP.Path, "/")
		}
	}
	for i, d := range c.Devices {
		c.Devices[i].ContainerPath, c.Devices[i].Permissions = cmp.Or(d.ContainerPath, d.HostPath), cmp.Or(d.Permissions, "rwm")
	}
	for _, caps := range [][]string{c.CapAdd, c.CapDrop} {
		for i, name := range caps {
			caps[i] = strings.TrimPrefix(strings.ToUpper(name), "CAP_")
		}
	}
	if s := strings.ToUpper(c.StopSignal); s != "" && (s[0] < '0' || s[0] > '9') && !strings.HasPrefix(s, "SIG") {
		c.StopSignal = "SIG" + s
	} else {
		c.StopSignal = s
	}
	for _, pr := range []*Probe{c.Ready, c.Live, c.Startup} {
		if pr == nil || pr.Kind() == ProbeImage {
			continue // an image probe's timings are the image HEALTHCHECK's
		}
		pr.Period = cmp.Or(pr.Period, Duration(DefaultProbePeriod))
		pr.Timeout = cmp.Or(pr.Timeout, Duration(DefaultProbeTimeout))
		pr.Retries = cmp.Or(pr.Retries, DefaultProbeRetries)
		if pr.HTTP != nil {
			pr.HTTP.Path = cmp.Or(pr.HTTP.Path, "/")
		}
	}
	if len(c.EnvFile) > 0 {
		n.envFiles(s, p, c)
	}
}

// envFiles merges the container's env files into its environment: later files win over
// earlier ones, and the explicit env wins over every file.
func (n *normaliser) envFiles(s *Stack, p *Pod, c *Container) {
	merged := Env{}
	for i, name := range c.EnvFile {
		key := Field(ContainerKey(p.Name, c.Name), "env_file", i)
		vars, err := readEnvFile(n.opts, inDir(s.Dir, name), "", lookupIn(n.env))
		var bad envFileError
		switch {
		case errors.As(err, &bad):
			n.probs = append(n.probs, Problem{Pos: n.pos.At(key), Message: fmt.Sprintf("env_file %q is not a valid env file: %v", name, bad.err),
				Hint: "write one NAME=value per line; # starts a comment"})
			continue
		case err != nil:
			hint := "check the path; it is relative to the recipe's directory"
			var large errTooLarge
			switch {
			case errors.Is(err, fs.ErrNotExist):
				hint = "create the file, or remove it from env_file"
			case errors.As(err, &large):
				var msg string
				msg, hint = large.text()
				err = errors.New(msg)
			}
			n.probs = append(n.probs, Problem{Pos: n.pos.At(key), Message: fmt.Sprintf("cannot read env_file %q: %v", name, err), Hint: hint})
			continue
		}
		maps.Copy(merged, vars)
	}
	maps.Copy(merged, c.Env)
	if len(merged) > 0 {
		c.Env = merged
	}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// depOrder orders items so that each comes after the items it depends on (deps names them);
// among items that are free to start, the given order wins. Unknown names and an item's own
// are ignored, and a cycle leaves what is left in the given order: validation reports them.
func depOrder[T any](items []T, name func(T) string, deps func(T) []string) []T {
	known, placed := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		known[name(it)] = true
	}
	rest := slices.Clone(items)
	out := make([]T, 0, len(items))
	for len(rest) > 0 {
		i := slices.IndexFunc(rest, func(it T) bool {
			return !slices.ContainsFunc(deps(it), func(d string) bool { return known[d] && !placed[d] && d != name(it) })
		})
		if i < 0 { // a cycle: keep the rest in the given order
			return append(out, rest...)
		}
		placed[name(rest[i])] = true
		out = append(out, rest[i])
		rest = slices.Delete(rest, i, i+1)
	}
	return out
}

// cycles walks the dependency graph depth first from names, in order, and calls found with
// each cycle it meets, as a closed path (a → b → a); it stops when found returns true.
func cycles(names []string, deps func(string) []string, found func(cycle []string) bool) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(string) bool
	visit = func(n string) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range deps(n) {
			switch color[d] {
			case white:
				if visit(d) {
					return true
				}
			case grey:
				if found(append(slices.Clone(stack[slices.Index(stack, d):]), d)) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range names {
		if color[n] == white && visit(n) {
			return
		}
	}
}

// DNSLabel makes a DNS label out of a name (a directory, a service, a file), the way
// compose makes project names: lowercase, every run of other characters becomes "-", at
// most 63 characters, starting and ending with a letter or digit. It is "" when nothing is
// left. Every name sidecar derives itself goes through it, and a command line's name of a
// container is read again through it (orchestrator.MatchContainers).
func DNSLabel(s string) string {
	out := strings.Trim(notLabel.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	return out
}

var notLabel = regexp.MustCompile(`[^a-z0-9]+`)

// dnsLabelUnique is name made a DNS label (DNSLabel; fallback when nothing is left),
// with -2, -3, … added when that label is taken already; it takes the label.
func dnsLabelUnique(name, fallback string, taken map[string]bool) string {
	return expUniqueName(cmp.Or(DNSLabel(name), fallback), taken)
}

// renamedNote says why a name of the input runs under another name, a DNS label: what the
// importers warn with when they make one.
func renamedNote(label string) string {
	return fmt.Sprintf("named %s in sidecar, because pod and container names are DNS labels (other pods reach it as %s)", label, label)
}

// cloneStack deep-copies a stack so that normalisation never changes its input.
func cloneStack(in *Stack) *Stack { return deepCopy(reflect.ValueOf(in)).Interface().(*Stack) }

// deepCopy copies v and everything it points to, keeping nil pointers, slices and maps nil.
func deepCopy(v reflect.Value) reflect.Value {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil() {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		out := reflect.New(v.Elem().Type())
		out.Elem().Set(deepCopy(v.Elem()))
		return out
	case reflect.Slice:
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(deepCopy(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return out
	}
	return v
}
