package recipes

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The exporters turn a normalised Stack into files another tool runs: a Kubernetes manifest
// (ExportKube) and a compose file (ExportCompose). Each one writes what the target can
// express, reports what it cannot as a Warning naming the field, and checks its own output
// by decoding it again before returning it. docs/export.md lists the mapping.

// ErrExport is matched (errors.Is) by the errors of the exporters that mean "this stack
// cannot be exported as asked"; the CLI maps it to exit status 2.
var ErrExport = errors.New("cannot export")

// exportError is an export failure caused by the stack or the options.
type exportError struct{ msg string }

func (e *exportError) Error() string        { return e.msg }
func (e *exportError) Is(target error) bool { return target == ErrExport }

func exportErrorf(format string, args ...any) error {
	return &exportError{msg: fmt.Sprintf(format, args...)}
}

// dirFS returns the file system bind-mount sources are read from: opt when given, else the
// stack's directory on disk.
func dirFS(s *Stack, opt fs.FS) fs.FS {
	if opt != nil {
		return opt
	}
	if s.Dir == "" {
		return os.DirFS(".")
	}
	return os.DirFS(s.Dir)
}

// bindSource says where a bind mount's source is relative to the stack directory.
type bindSource struct {
	// rel is the slash-separated path inside the stack directory, "" when outside it.
	rel string
	// isFile and isDir tell what is there; both false when nothing is.
	isFile, isDir bool
	content       []byte
}

// resolveBind looks a bind mount's source up in fsys (the stack directory). Absolute paths
// and paths leaving the directory resolve to rel "".
func resolveBind(s *Stack, fsys fs.FS, source string) bindSource {
	src := source
	if filepath.IsAbs(src) {
		if s.Dir == "" {
			return bindSource{}
		}
		r, err := filepath.Rel(s.Dir, src)
		if err != nil {
			return bindSource{}
		}
		src = r
	}
	rel := path.Clean(filepath.ToSlash(src))
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return bindSource{}
	}
	out := bindSource{rel: rel}
	info, err := fs.Stat(fsys, rel)
	if err != nil {
		return out
	}
	if info.IsDir() {
		out.isDir = true
		return out
	}
	if !info.Mode().IsRegular() {
		return out
	}
	b, err := fs.ReadFile(fsys, rel)
	if err != nil {
		return out
	}
	out.isFile, out.content = true, b
	return out
}

// warnings collects export warnings against one input file.
type warnings struct {
	file string
	list []Warning
}

func (w *warnings) add(field, format string, args ...any) {
	w.list = append(w.list, Warning{Pos: Position{File: w.file}, Field: field, Message: fmt.Sprintf(format, args...)})
}

// fieldOf names a container's field in warnings: "pod/container/field".
func fieldOf(p *Pod, c *Container, field string) string {
	s := p.Name + "/" + c.Name
	if field != "" {
		s += "/" + field
	}
	return s
}

// cloneStack returns a deep copy of s, so that exporters can rewrite it freely.
func cloneStack(s *Stack) *Stack {
	out := *s
	out.Pods = make([]*Pod, len(s.Pods))
	for i, p := range s.Pods {
		out.Pods[i] = clonePod(p)
	}
	return &out
}

func clonePod(p *Pod) *Pod {
	out := *p
	out.Main = cloneContainer(p.Main)
	out.Sidecars = cloneContainers(p.Sidecars)
	out.Init = cloneContainers(p.Init)
	out.Volumes = nil
	for _, v := range p.Volumes {
		nv := *v
		nv.Files = maps.Clone(v.Files)
		out.Volumes = append(out.Volumes, &nv)
	}
	out.DependsOn = slices.Clone(p.DependsOn)
	return &out
}

func cloneContainers(cs []*Container) []*Container {
	if cs == nil {
		return nil
	}
	out := make([]*Container, len(cs))
	for i, c := range cs {
		out[i] = cloneContainer(c)
	}
	return out
}

func cloneContainer(c *Container) *Container {
	if c == nil {
		return nil
	}
	out := *c
	if c.Build != nil {
		b := *c.Build
		b.Args = maps.Clone(c.Build.Args)
		out.Build = &b
	}
	out.Command = slices.Clone(c.Command)
	out.Entrypoint = slices.Clone(c.Entrypoint)
	out.Env = maps.Clone(c.Env)
	out.EnvFile = slices.Clone(c.EnvFile)
	out.Ports = slices.Clone(c.Ports)
	out.Volumes = slices.Clone(c.Volumes)
	out.Ready = cloneProbe(c.Ready)
	out.Live = cloneProbe(c.Live)
	return &out
}

func cloneProbe(p *Probe) *Probe {
	if p == nil {
		return nil
	}
	out := *p
	if p.HTTP != nil {
		h := *p.HTTP
		h.Headers = maps.Clone(p.HTTP.Headers)
		out.HTTP = &h
	}
	if p.TCP != nil {
		t := *p.TCP
		out.TCP = &t
	}
	if p.Exec != nil {
		e := *p.Exec
		e.Command = slices.Clone(p.Exec.Command)
		out.Exec = &e
	}
	return &out
}

// dnsLabel turns s into a DNS label (lower-case letters, digits and '-', at most 63
// characters, starting and ending with a letter or digit); fallback when nothing is left.
func dnsLabel(s, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	if out == "" {
		return fallback
	}
	return out
}

// uniqueName returns base, or base-2, base-3, ... whichever is not taken yet, and takes it.
func uniqueName(base string, taken map[string]bool) string {
	name := base
	for i := 2; taken[name]; i++ {
		suffix := fmt.Sprintf("-%d", i)
		b := base
		if len(b)+len(suffix) > 63 {
			b = strings.TrimRight(b[:63-len(suffix)], "-")
		}
		name = b + suffix
	}
	taken[name] = true
	return name
}
