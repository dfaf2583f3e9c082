package recipes

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/sidecar-dev/sidecar/internal/suggest"
)

// ErrInvalid is matched (errors.Is) by every error that means "the input is wrong": the CLI
// maps it to exit status 2.
var ErrInvalid = errors.New("invalid recipe")

// Position is a place in an input file. Line and Col are 1-based; zero means unknown.
type Position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with an input: where, what, and how to fix it.
type Problem struct {
	Pos Position `json:"pos"`
	// Message says what is wrong, in one sentence without a final period.
	Message string `json:"message"`
	// Hint says how to fix it; empty when the message already does.
	Hint string `json:"hint,omitempty"`
}

func (p Problem) String() string {
	s := p.Message
	if p.Hint != "" {
		s += ": " + p.Hint
	}
	if loc := p.Pos.String(); loc != "" {
		s = loc + ": " + s
	}
	return s
}

// Problems is every problem found in an input, in file order. It is the error the loader
// returns; it matches ErrInvalid.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// Sort orders problems by file, line and column, keeping the order of equal positions.
func (ps Problems) Sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Pos.compare(b.Pos) })
}

// compare orders positions by file, line and column.
func (p Position) compare(q Position) int {
	return cmp.Or(cmp.Compare(p.File, q.File), cmp.Compare(p.Line, q.Line), cmp.Compare(p.Col, q.Col))
}

// unique drops repeats of a problem (the same message at the same place), which two checks
// of one input can find.
func (ps Problems) unique() Problems {
	seen := map[string]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

// andList joins names for a message: "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Positions maps places in the model to where they were written, so that validation, which
// runs on the model, can point at the input file. Every producer of a Stack (the sidecar.yaml
// loader and each importer) records positions under the same keys:
//
//	""                                     the file itself
//	"pod:NAME"                             a pod
//	"pod:NAME/depends_on[I]"               one entry of a pod's depends_on
//	"pod:NAME/volume:VOL"                  a pod volume
//	"stack/volume:VOL"                     a stack volume (shared by the pods)
//	"pod:NAME/container:NAME"              a container
//	"pod:NAME/container:NAME/FIELD"        a field: image, build, ports[I], volumes[I],
//	                                       env/VAR, ready, ready/http/port, live, ...
//
// Lookups fall back to the nearest recorded ancestor, so a producer records what it knows and
// a problem is always placed as precisely as the input allows.
type Positions struct {
	file string
	m    map[string]Position
}

// NewPositions returns an empty table for file.
func NewPositions(file string) *Positions {
	return &Positions{file: file, m: map[string]Position{"": {File: file}}}
}

// Set records pos for key; a later Set for the same key wins.
func (p *Positions) Set(key string, pos Position) {
	if pos.File == "" {
		pos.File = p.file
	}
	p.m[key] = pos
}

// At returns the position recorded for key or for its nearest recorded ancestor.
func (p *Positions) At(key string) Position {
	for k := range lineage(key) {
		if pos, ok := p.m[k]; ok {
			return pos
		}
	}
	return Position{File: p.file}
}

// lineage is key, then each key it lies in, up to "" (the file): pod:web/ready/http,
// pod:web/ready, pod:web, "".
func lineage(key string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for key != "" && yield(key) {
			key = key[:max(strings.LastIndexAny(key, "/["), 0)]
		}
		if key == "" {
			yield("")
		}
	}
}

// PodKey is the key of a pod.
func PodKey(pod string) string { return "pod:" + pod }

// ContainerKey is the key of a container of a pod.
func ContainerKey(pod, container string) string {
	return PodKey(pod) + "/container:" + container
}

// VolumeKey is the key of a pod volume.
func VolumeKey(pod, volume string) string { return PodKey(pod) + "/volume:" + volume }

// StackVolumeKey is the key of a stack volume.
func StackVolumeKey(volume string) string { return "stack/volume:" + volume }

// Field appends a field path to a key: Field(k, "ports", 2) is k+"/ports[2]",
// Field(k, "ready", "http", "port") is k+"/ready/http/port".
func Field(key string, parts ...any) string {
	var b strings.Builder
	b.WriteString(key)
	for _, part := range parts {
		switch v := part.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		case string:
			b.WriteString("/" + v)
		}
	}
	return b.String()
}

// aliases maps names that users bring from docker compose or Kubernetes to the recipe's
// own field, so that an unknown key can say what to write instead.
var aliases = map[string]string{
	"environment":                   "env",
	"working_dir":                   "workdir",
	"workingdir":                    "workdir",
	"working-dir":                   "workdir",
	"workingDir":                    "workdir",
	"healthcheck":                   "ready",
	"readinessProbe":                "ready",
	"readiness":                     "ready",
	"livenessProbe":                 "live",
	"liveness":                      "live",
	"args":                          "command",
	"initContainers":                "init",
	"inits":                         "init",
	"containers":                    "sidecars",
	"sidecar":                       "sidecars",
	"services":                      "pods",
	"stop_grace_period":             "stop_grace",
	"terminationGracePeriodSeconds": "stop_grace",
	"dependsOn":                     "depends_on",
	"env_files":                     "env_file",
	"envFile":                       "env_file",
	"restart_policy":                "restart",
	"restartPolicy":                 "restart",
	"volume":                        "volumes",
	"port":                          "ports",
}

// didYouMean returns the candidate closest to word when it is close enough to be a likely typo
// (of the candidate, or of a known alias of it), else "".
func didYouMean(word string, candidates []string) string {
	if a, ok := aliases[word]; ok && slices.Contains(candidates, a) {
		return a
	}
	names := slices.Clone(candidates)
	target := make(map[string]string, len(aliases))
	for _, alias := range sortedKeys(aliases) {
		if to := aliases[alias]; slices.Contains(candidates, to) && len(alias) > 4 {
			names = append(names, alias)
			target[alias] = to
		}
	}
	best := suggest.Closest(word, names)
	if to, ok := target[best]; ok {
		return to
	}
	return best
}

// placed is an entry of a model list with where it was written, so that a list reordered
// keeps its recorded positions (KEY[I]) in step; order is a sort key where one is needed.
type placed[T any] struct {
	v     T
	at    Position
	order int
}

// entriesAt pairs the entries of list with their positions under key.
func entriesAt[T any](pos *Positions, key string, list []T) []placed[T] {
	out := make([]placed[T], len(list))
	for i, v := range list {
		out[i] = placed[T]{v: v, at: pos.At(Field(key, i))}
	}
	return out
}

// setEntries returns the entries as a list, recording their positions under key.
func setEntries[T any](pos *Positions, key string, entries []placed[T]) []T {
	out := make([]T, len(entries))
	for i, e := range entries {
		out[i] = e.v
		pos.Set(Field(key, i), e.at)
	}
	return out
}

func byOrder[T any](a, b placed[T]) int { return cmp.Compare(a.order, b.order) }
