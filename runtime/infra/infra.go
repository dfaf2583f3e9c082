// Package infra carries the prebuilt helper program of sidecar's infra image: the pod's PID 1
// (pause and reaper) and the probe client that runs inside the pod's network namespace.
//
// The helper's source is in ./helper. `go generate ./runtime/infra/...` cross-compiles it
// reproducibly for every architecture in Architectures and writes gzipped binaries and a
// manifest to ./dist, which are committed and embedded here, so a plain `go install` of sidecar
// needs no toolchain at run time. A test checks that the artifacts match their source. See
// docs/infra-image.md.
package infra

//go:generate go run ./internal/gen

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Architectures are the GOARCH values the helper is built for.
var Architectures = []string{"amd64", "arm64"}

// HelperPath is where the helper lives in the infra image.
const HelperPath = "/sidecar-infra"

// PauseReady is the line the helper writes on stdout as the pod's PID 1 once SIGTERM and
// SIGINT are its own. From then on a stop ends it with status 0 at once; before, the Go
// runtime's own handler would end it with status 2 (see helper/pause.go).
const PauseReady = "sidecar-infra: pause: ready"

// ManifestFile is the manifest's name inside dist/.
const ManifestFile = "manifest.json"

// ArtifactName is the file name of the gzipped helper for goarch inside dist/.
func ArtifactName(goarch string) string {
	return "sidecar-infra-linux-" + goarch + ".gz"
}

//go:embed dist
var dist embed.FS

// Manifest records how the artifacts were made and what they contain.
type Manifest struct {
	// SourceSHA256 is the hash of the helper's source (see infrabuild.SourceHash).
	SourceSHA256 string `json:"source_sha256"`
	// GoVersion is the toolchain that built the artifacts (`go env GOVERSION`).
	GoVersion string `json:"go_version"`
	// Env and Flags are the build environment and `go build` flags.
	Env       []string   `json:"env"`
	Flags     []string   `json:"flags"`
	Artifacts []Artifact `json:"artifacts"`
}

// Artifact is one gzipped helper binary.
type Artifact struct {
	GOARCH       string `json:"goarch"`
	File         string `json:"file"`
	BinarySHA256 string `json:"binary_sha256"`
	BinarySize   int    `json:"binary_size"`
	GzipSHA256   string `json:"gzip_sha256"`
	GzipSize     int    `json:"gzip_size"`
}

// Artifact returns the manifest's entry for goarch.
func (m Manifest) Artifact(goarch string) (Artifact, bool) {
	i := slices.IndexFunc(m.Artifacts, func(a Artifact) bool { return a.GOARCH == goarch })
	if i < 0 {
		return Artifact{}, false
	}
	return m.Artifacts[i], true
}

// LoadManifest reads the embedded manifest.
func LoadManifest() (Manifest, error) {
	b, err := dist.ReadFile("dist/" + ManifestFile)
	if err != nil {
		return Manifest{}, fmt.Errorf("infra helper manifest missing from this build: run go generate ./runtime/infra/...: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("infra helper manifest is corrupt: run go generate ./runtime/infra/...: %w", err)
	}
	return m, nil
}

// Compressed returns the embedded gzipped helper for goarch.
func Compressed(goarch string) ([]byte, error) {
	m, err := LoadManifest()
	if err != nil {
		return nil, err
	}
	a, ok := m.Artifact(goarch)
	if !ok {
		return nil, fmt.Errorf("no infra helper for architecture %q in this build (have %v): add it to infra.Architectures and run go generate ./runtime/infra/...", goarch, Architectures)
	}
	return dist.ReadFile("dist/" + a.File)
}

// Helper returns the helper binary for goarch, checked against the manifest.
func Helper(goarch string) ([]byte, Artifact, error) {
	m, err := LoadManifest()
	if err != nil {
		return nil, Artifact{}, err
	}
	a, ok := m.Artifact(goarch)
	if !ok {
		return nil, Artifact{}, fmt.Errorf("no infra helper for architecture %q in this build (have %v): add it to infra.Architectures and run go generate ./runtime/infra/...", goarch, Architectures)
	}
	gz, err := dist.ReadFile("dist/" + a.File)
	if err != nil {
		return nil, a, fmt.Errorf("infra helper %s missing from this build: run go generate ./runtime/infra/...: %w", a.File, err)
	}
	bin, err := Gunzip(gz)
	if err != nil {
		return nil, a, fmt.Errorf("infra helper %s: %w", a.File, err)
	}
	if got := SHA256(bin); got != a.BinarySHA256 {
		return nil, a, fmt.Errorf("infra helper %s: sha256 %s, manifest says %s: run go generate ./runtime/infra/...", a.File, got, a.BinarySHA256)
	}
	return bin, a, nil
}

// Gunzip decompresses b.
func Gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

// SHA256 returns the hex sha256 of b.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
