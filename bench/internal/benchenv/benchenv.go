// Package benchenv holds what the benchmark programs under bench/ share about where and on
// what they run: the engine and the test image, the binaries under test, figures.
package benchenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/sidecar-dev/sidecar/internal/modroot"
	"github.com/sidecar-dev/sidecar/orchestrator"
	sidecarrt "github.com/sidecar-dev/sidecar/runtime"
)

// LoadAvg is the machine's 1, 5 and 15 minute load averages, or "unknown".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// UniqueName is prefix followed by 8 random hex digits.
func UniqueName(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Median is the median of ts (the mean of the middle two for an even count).
func Median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// List writes durations as seconds with two decimals: "0.12 0.15".
func List(ts []time.Duration) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, fmt.Sprintf("%.2f", t.Seconds()))
	}
	return strings.Join(parts, " ")
}

// CPUModel is the machine's CPU model, from /proc/cpuinfo.
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

// GitRev is `git describe --always --dirty` of the checkout at root.
func GitRev(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "(unknown commit)"
	}
	return strings.TrimSpace(string(out))
}

// Version is what bin args prints, trimmed ("(unknown version)" when it fails).
func Version(bin string, args ...string) string {
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		return "(unknown version)"
	}
	return strings.TrimSpace(string(out))
}

// AppsImage is the image of the test programs (testdata/images) the benchmarks run.
const AppsImage = "sidecar-bench/apps:dev"

// Engine connects to the Docker Engine, makes sure the infra image exists and builds
// AppsImage from the test programs under root (make testimages must have compiled them).
func Engine(ctx context.Context, root string) (d *sidecarrt.Docker, infraImage string, err error) {
	if _, err := os.Stat(filepath.Join(root, "testdata/images/bin/crasher")); err != nil {
		return nil, "", fmt.Errorf("the test programs are not built (%v): run make testimages", err)
	}
	if d, err = sidecarrt.Connect(ctx, sidecarrt.ConnectOptions{ToolVersion: "bench"}); err != nil {
		return nil, "", err
	}
	if infraImage, err = d.InfraImage(ctx); err == nil {
		err = d.BuildImage(ctx, orchestrator.BuildRequest{Ref: AppsImage, Context: filepath.Join(root, "testdata/images")}, nil)
	}
	if err != nil {
		d.Close()
		return nil, "", err
	}
	return d, infraImage, nil
}

// Build compiles the module's package pkg ("./cmd/sidecar") into the file out.
func Build(root, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// Bench is what a benchmark runs with: the module root, a temporary directory of its own,
// the engine with AppsImage built, and the engine's infra image; after BuildSidecar, the
// checkout's sidecar binary and the environment to run it with.
type Bench struct {
	Root, Tmp  string
	D          *sidecarrt.Docker
	InfraImage string
	Sidecar    string
	SidecarEnv []string
}

// Run sets the benchmark named prefix up — the module root, a temporary directory named
// after prefix, the engine (Engine) — runs it, then closes the engine and removes the
// directory.
func Run(prefix string, run func(ctx context.Context, b *Bench) error) (err error) {
	ctx := context.Background()
	b := &Bench{}
	if b.Root, err = modroot.Find(); err != nil {
		return err
	}
	if b.Tmp, err = os.MkdirTemp("", prefix+"-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.Tmp)
	if b.D, b.InfraImage, err = Engine(ctx, b.Root); err != nil {
		return err
	}
	defer b.D.Close()
	return run(ctx, b)
}

// Main is a benchmark program's main once its flags are parsed: it runs the benchmark
// named prefix (Run) and, when that fails, ends the program as Fail does, as name.
func Main(prefix, name string, run func(ctx context.Context, b *Bench) error) {
	if err := Run(prefix, run); err != nil {
		Fail(name, err)
	}
}

// Fail ends the benchmark program name that failed with err: it prints "name: err" on
// stderr and exits 1.
func Fail(name string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	os.Exit(1)
}

// SpewerFlags are the flags both log benchmarks take (RegisterSpewerFlags).
type SpewerFlags struct {
	Image string // -image: an image with /spewer
	Lines int    // -lines: how many lines the spewer prints
	Runs  int    // -runs: how many runs of each way measured
}

// RegisterSpewerFlags defines -image, -lines and -runs on the command line's flag set.
func RegisterSpewerFlags() *SpewerFlags {
	f := &SpewerFlags{}
	flag.StringVar(&f.Image, "image", "", "image with /spewer (required)")
	flag.IntVar(&f.Lines, "lines", 200000, "lines the spewer prints")
	flag.IntVar(&f.Runs, "runs", 5, "runs of each way measured")
	return f
}

// SpewerEngine connects to the engine for the log benchmark name, whose -image flag, image,
// names an image with /spewer. Without one it exits 2; when the engine cannot be reached, as
// Fail does.
func SpewerEngine(ctx context.Context, name, image string) *sidecarrt.Docker {
	if image == "" {
		fmt.Fprintf(os.Stderr, "%s: -image is required (an image with /spewer, e.g. sidecar-test/apps:<tag>)\n", name)
		os.Exit(2)
	}
	d, err := sidecarrt.Connect(ctx, sidecarrt.ConnectOptions{ToolVersion: "bench"})
	if err != nil {
		Fail(name, err)
	}
	return d
}

// BuildSidecar builds the checkout's sidecar into the temporary directory (SidecarBin).
func (b *Bench) BuildSidecar() (err error) {
	b.Sidecar, b.SidecarEnv, err = SidecarBin(b.Root, b.Tmp)
	return err
}

// Heading prints the Markdown heading of the benchmark's section, then its RunLine.
func (b *Bench) Heading(title string) {
	fmt.Printf("## %s\n\n", title)
	fmt.Printf("%s\n\n", RunLine(b.D, b.Root))
}

// WriteFile writes content to path, making its directory first.
func WriteFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// Timed runs a command to its end, its output discarded, with env added to the process's;
// it returns its wall time and the CPU time (user and system) it used.
func Timed(bin string, env []string, args ...string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return wall, cpu, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return wall, cpu, nil
}

// RunLine is the line that starts a benchmark's Markdown: when, on what machine and engine,
// which Go and commit, and the load average before.
func RunLine(d *sidecarrt.Docker, root string) string {
	return fmt.Sprintf("Run %s: %s, %d CPUs (%s), Docker Engine %s (API %s), %s; sidecar %s; load average before: %s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), CPUModel(), goruntime.NumCPU(), goruntime.GOOS+"/"+goruntime.GOARCH,
		d.EngineVersion(), d.APIVersion(), goruntime.Version(), GitRev(root), LoadAvg())
}

// Spread writes durations as milliseconds: "median (min–max)".
func Spread(ts []time.Duration) string {
	return fmt.Sprintf("%d (%d–%d)", Median(ts).Milliseconds(), slices.Min(ts).Milliseconds(), slices.Max(ts).Milliseconds())
}

// SidecarBin builds the checkout's sidecar into tmp and gives it runtime and state
// directories of its own there (its control sockets, its supervisors' logs): the binary's
// path, and the environment to run it with (added to the process's).
func SidecarBin(root, tmp string) (bin string, env []string, err error) {
	for _, d := range []string{"run", "state"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			return "", nil, err
		}
	}
	env = []string{"XDG_RUNTIME_DIR=" + filepath.Join(tmp, "run"), "XDG_STATE_HOME=" + filepath.Join(tmp, "state")}
	bin = filepath.Join(tmp, "sidecar")
	return bin, env, Build(root, "./cmd/sidecar", bin)
}

// TableHead prints the first two lines of a Markdown table with these columns.
func TableHead(columns ...string) {
	fmt.Println("| " + strings.Join(columns, " | ") + " |")
	fmt.Println(strings.Repeat("|---", len(columns)) + "|")
}

// Installed is the binaries of bins that are given (not empty) and found.
func Installed(bins ...string) []string {
	var found []string
	for _, bin := range bins {
		if bin == "" {
			continue
		}
		if _, err := exec.LookPath(bin); err == nil {
			found = append(found, bin)
		}
	}
	return found
}
