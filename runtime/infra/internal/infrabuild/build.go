// Package infrabuild builds the infra helper reproducibly. The generator (go generate
// ./runtime/infra/...) and the artifact test share it.
package infrabuild

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sidecar-dev/sidecar/runtime/infra"
)

// HelperPackage is the helper's directory relative to the module root.
const HelperPackage = "runtime/infra/helper"

// DistDir is the artifacts' directory relative to the module root.
const DistDir = "runtime/infra/dist"

// Flags are the `go build` flags: no paths, no VCS stamp, no build ID, no symbols.
var Flags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// Env is the build environment, set in full so that the caller's settings (GOFLAGS,
// GOAMD64, GOEXPERIMENT, a go.work, toolchain switching) cannot change the output.
func Env(goarch string) []string {
	return []string{
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + goarch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=", "GOEXPERIMENT=", "GOWORK=off", "GOTOOLCHAIN=local",
	}
}

// SourceHash hashes what decides the helper's bytes besides the toolchain: its non-test Go
// files and the language version (major.minor) of go.mod's go directive, which sets the
// GODEBUG defaults compiled in. "go 1.26" and "go 1.26.0" hash the same.
func SourceHash(root string) (string, error) {
	h := sha256.New()
	files, err := filepath.Glob(filepath.Join(root, HelperPackage, "*.go"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "file %s %d\n", filepath.Base(f), len(b))
		h.Write(b)
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("no Go files in %s", filepath.Join(root, HelperPackage))
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
			lang := f[1]
			if parts := strings.SplitN(lang, ".", 3); len(parts) == 3 {
				lang = parts[0] + "." + parts[1]
			}
			fmt.Fprintf(h, "go.mod go %s\n", lang)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// GoVersion returns the version of the go command the build uses.
func GoVersion(root string) (string, error) {
	cmd := exec.Command("go", "env", "GOVERSION")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), Env("amd64")...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Build compiles the helper for linux/goarch and returns the binary.
func Build(root, goarch string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "sidecar-infra-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "sidecar-infra")
	args := append([]string{"build"}, Flags...)
	args = append(args, "-o", out, "./"+HelperPackage)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), Env(goarch)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s (GOARCH=%s): %w\n%s", strings.Join(args, " "), goarch, err, stderr.String())
	}
	return os.ReadFile(out)
}

// Gzip compresses b deterministically: best compression, no file name, zero modification time.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Generate builds every architecture and writes the artifacts and the manifest to root/DistDir.
func Generate(root string) (infra.Manifest, error) {
	src, err := SourceHash(root)
	if err != nil {
		return infra.Manifest{}, err
	}
	goVersion, err := GoVersion(root)
	if err != nil {
		return infra.Manifest{}, err
	}
	m := infra.Manifest{
		SourceSHA256: src,
		GoVersion:    goVersion,
		Env:          Env("$GOARCH"),
		Flags:        Flags,
	}
	dist := filepath.Join(root, DistDir)
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return m, err
	}
	for _, arch := range infra.Architectures {
		bin, err := Build(root, arch)
		if err != nil {
			return m, err
		}
		gz := Gzip(bin)
		a := infra.Artifact{
			GOARCH:       arch,
			File:         infra.ArtifactName(arch),
			BinarySHA256: infra.SHA256(bin),
			BinarySize:   len(bin),
			GzipSHA256:   infra.SHA256(gz),
			GzipSize:     len(gz),
		}
		if err := os.WriteFile(filepath.Join(dist, a.File), gz, 0o644); err != nil {
			return m, err
		}
		m.Artifacts = append(m.Artifacts, a)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	return m, os.WriteFile(filepath.Join(dist, infra.ManifestFile), append(b, '\n'), 0o644)
}
