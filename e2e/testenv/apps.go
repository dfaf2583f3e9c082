package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/internal/modroot"
	"github.com/sidecar-dev/sidecar/orchestrator"
	"github.com/sidecar-dev/sidecar/runtime"
)

// AppsPrograms are the test programs in testdata/images, each at /<name> in the apps image.
var AppsPrograms = []string{"httpserver", "proxy", "spewer", "crasher", "logtail", "peek"}

// AppsRepository is where AppsImage tags the image: sidecar-test/apps:<content hash>.
const AppsRepository = "sidecar-test/apps"

// apps caches the image reference for the life of the test process: the programs are
// compiled and the image built at most once per process (and not at all when an image with
// the same content hash exists).
var apps struct {
	sync.Mutex
	ref string
}

// AppsImage returns the reference of an image holding the project's test programs, building
// it through the Engine API (FROM scratch, programs compiled static with CGO_ENABLED=0 for the
// engine's architecture) unless one with the same content hash (sources, Go version,
// architecture) is already present. Images are kept for reuse across test runs.
func AppsImage(t testing.TB) string {
	t.Helper()
	d := Engine(t)
	apps.Lock()
	defer apps.Unlock()
	if apps.ref != "" {
		if ok, err := d.ImagePresent(Context(t, time.Minute), apps.ref); err == nil && ok {
			return apps.ref
		}
	}
	apps.ref = buildApps(t, d, AppsRepository, "", "")
	return apps.ref
}

// AppsImageOn is AppsImage on engine d (a daemon of the test's own): built there unless it
// has it already.
func AppsImageOn(t testing.TB, d *runtime.Docker) string {
	t.Helper()
	return buildApps(t, d, AppsRepository, "", "")
}

// HealthcheckRepository is where AppsImageWithHealthcheck tags its images.
const HealthcheckRepository = "sidecar-test/apps-healthcheck"

// AppsImageWithHealthcheck is AppsImage with an image HEALTHCHECK: healthcheck is what
// follows HEALTHCHECK in the Dockerfile, e.g.
// `--interval=1s CMD ["/peek", "-get", "http://127.0.0.1:8080/healthz"]`. Built FROM scratch
// like the apps image (and kept, under a hash that includes the line).
func AppsImageWithHealthcheck(t testing.TB, healthcheck string) string {
	t.Helper()
	return buildApps(t, Engine(t), HealthcheckRepository, "HEALTHCHECK "+healthcheck+"\n", " with a HEALTHCHECK")
}

// ExtraRepository is where AppsImageWith tags its images.
const ExtraRepository = "sidecar-test/apps-extra"

// AppsImageWith is AppsImage with more Dockerfile lines (extra, newline-terminated), built
// FROM scratch like it (and kept, under a hash that includes them). The build context holds
// the programs in bin/, so `COPY bin/peek /etc/app/default.conf` gives an image a file at a
// path of the test's choosing.
func AppsImageWith(t testing.TB, extra string) string {
	t.Helper()
	return buildApps(t, Engine(t), ExtraRepository, extra, fmt.Sprintf(" with %q", extra))
}

// buildApps is buildAppsImage on d; a failure ends the test, saying which image it is (with:
// what it has besides the programs, "" for the apps image).
func buildApps(t testing.TB, d *runtime.Docker, repo, extra, with string) string {
	t.Helper()
	ref, err := buildAppsImage(t, d, repo, extra)
	if err != nil {
		t.Fatalf("build the test programs' image%s: %v", with, err)
	}
	return ref
}

// buildAppsImage builds the test programs' image, its Dockerfile followed by extra, as
// repo:<content hash>, unless present.
func buildAppsImage(t testing.TB, d *runtime.Docker, repo, extra string) (string, error) {
	root, err := modroot.Find()
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, "testdata", "images")
	goVersion, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	tag := strings.TrimSpace(string(goVersion)) + " " + d.Arch()
	if extra != "" {
		tag += " " + extra
	}
	hash, err := treeHash(src, tag)
	if err != nil {
		return "", err
	}
	ref := repo + ":" + hash[:12]
	ctx := Context(t, 5*time.Minute)
	if ok, err := d.ImagePresent(ctx, ref); err != nil {
		return "", err
	} else if ok {
		return ref, nil
	}

	dir, err := os.MkdirTemp("", "sidecar-apps-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", filepath.Join(dir, "bin") + string(filepath.Separator)}
	for _, p := range AppsPrograms {
		args = append(args, "./testdata/images/"+p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+d.Arch(), "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	dockerfile, err := os.ReadFile(filepath.Join(src, "Dockerfile"))
	if err != nil {
		return "", err
	}
	dockerfile = append(dockerfile, extra...)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
		return "", err
	}
	err = d.BuildImage(ctx, orchestrator.BuildRequest{
		Ref:     ref,
		Context: dir,
		Labels:  map[string]string{"dev.sidecar-test.image": "apps"},
	}, nil)
	return ref, err
}

// treeHash hashes every file under dir except bin/, with extra.
func treeHash(dir, extra string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", extra)
	var files []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "bin" {
			return filepath.SkipDir
		}
		if e.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
