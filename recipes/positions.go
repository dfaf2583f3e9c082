package recipes

import (
	"strconv"
	"strings"
)

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

// File is the file the positions are in.
func (p *Positions) File() string { return p.file }

// Set records pos for key; a later Set for the same key wins.
func (p *Positions) Set(key string, pos Position) {
	if pos.File == "" {
		pos.File = p.file
	}
	p.m[key] = pos
}

// At returns the position recorded for key or for its nearest recorded ancestor.
func (p *Positions) At(key string) Position {
	for {
		if pos, ok := p.m[key]; ok {
			return pos
		}
		i := strings.LastIndexAny(key, "/[")
		if i < 0 {
			if pos, ok := p.m[""]; ok {
				return pos
			}
			return Position{File: p.file}
		}
		key = key[:i]
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
