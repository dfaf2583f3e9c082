package infra_test

import (
	"bytes"
	"compress/gzip"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/sidecar-dev/sidecar/internal/modroot"
	"github.com/sidecar-dev/sidecar/runtime/infra"
	"github.com/sidecar-dev/sidecar/runtime/infra/internal/infrabuild"
)

const regenerate = "run go generate ./runtime/infra/... and commit runtime/infra/dist"

// manifestAndRoot loads the committed manifest and finds the module's root.
func manifestAndRoot(t *testing.T) (infra.Manifest, string) {
	t.Helper()
	m, err := infra.LoadManifest()
	if err != nil {
		t.Fatal(err)
	}
	root, err := modroot.Find()
	if err != nil {
		t.Fatal(err)
	}
	return m, root
}

func TestArtifactsMatchSource(t *testing.T) {
	m, root := manifestAndRoot(t)
	src, err := infrabuild.SourceHash(root)
	if err != nil {
		t.Fatal(err)
	}
	if src != m.SourceSHA256 {
		t.Fatalf("the helper's source hash is %s but the manifest was made from %s: %s", src, m.SourceSHA256, regenerate)
	}
	if strings.Join(m.Flags, " ") != strings.Join(infrabuild.Flags, " ") || strings.Join(m.Env, " ") != strings.Join(infrabuild.Env("$GOARCH"), " ") {
		t.Errorf("manifest flags/env %v %v differ from the generator's %v %v: %s", m.Flags, m.Env, infrabuild.Flags, infrabuild.Env("$GOARCH"), regenerate)
	}
	for _, arch := range infra.Architectures {
		a, ok := m.Artifact(arch)
		if !ok {
			t.Errorf("no artifact for %s: %s", arch, regenerate)
			continue
		}
		gz, err := infra.Compressed(arch)
		if err != nil {
			t.Fatal(err)
		}
		if got := infra.SHA256(gz); got != a.GzipSHA256 || len(gz) != a.GzipSize {
			t.Errorf("%s: gzip sha256 %s (%d bytes), manifest says %s (%d): %s", a.File, got, len(gz), a.GzipSHA256, a.GzipSize, regenerate)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s: %v", a.File, err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" {
			t.Errorf("%s: gzip header carries name %q, mtime %v, comment %q; want none (deterministic)", a.File, zr.Name, zr.ModTime, zr.Comment)
		}
		bin, _, err := infra.Helper(arch)
		if err != nil {
			t.Fatal(err)
		}
		if len(bin) != a.BinarySize {
			t.Errorf("%s: %d bytes, manifest says %d", a.File, len(bin), a.BinarySize)
		}
		if !bytes.HasPrefix(bin, []byte("\x7fELF")) {
			t.Errorf("%s: not an ELF binary", a.File)
		}
	}
}

// TestRebuildIsIdentical rebuilds the helper and compares it byte for byte with the committed
// artifacts. Go builds are reproducible only with the same toolchain, so it runs only when the
// go command's version equals the manifest's.
func TestRebuildIsIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilding the helper takes a while; skipped with -short")
	}
	m, root := manifestAndRoot(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go command in PATH to rebuild with (manifest built with %s)", m.GoVersion)
	}
	goVersion, err := infrabuild.GoVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	if goVersion != m.GoVersion || runtime.Version() != m.GoVersion {
		t.Skipf("the artifacts were built with %s; this is %s (go command %s): a byte-for-byte rebuild needs the same toolchain", m.GoVersion, runtime.Version(), goVersion)
	}
	for _, arch := range infra.Architectures {
		bin, err := infrabuild.Build(root, arch)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := m.Artifact(arch)
		if got := infra.SHA256(bin); got != a.BinarySHA256 {
			t.Errorf("%s: rebuild has sha256 %s, committed %s: the build is not reproducible, or the artifacts are stale: %s", arch, got, a.BinarySHA256, regenerate)
		}
		if got := infra.SHA256(infrabuild.Gzip(bin)); got != a.GzipSHA256 {
			t.Errorf("%s: re-gzipped sha256 %s, committed %s", arch, got, a.GzipSHA256)
		}
	}
}
