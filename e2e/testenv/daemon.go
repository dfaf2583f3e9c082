package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/runtime"
)

// Daemon is a Docker daemon of the test's own, for tests that stop and restart an engine:
// the machine's engine is shared and must never be touched. Everything of it is inside one
// temporary directory: its socket, data root (storage driver vfs), exec root, pidfile and
// managed containerd; it runs in a network namespace of its own (bound at <dir>/netns), so
// its bridge and anything it does to network interfaces stay there (a second daemon in the
// host's namespace with --bridge=none deletes the host's docker0). Its containers publish
// no port the host can reach; they need none: probes run inside the pod's namespace.
type Daemon struct {
	t    testing.TB
	Dir  string
	Host string // unix://<dir>/docker.sock, for DOCKER_HOST
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// StartDaemon starts a daemon of the test's own and stops it, and removes its directory,
// when the test ends. Where the machine cannot run one (not root, no dockerd, nsenter or
// unshare) the test is skipped saying why, and fails under CI=true.
func StartDaemon(t testing.TB) *Daemon {
	t.Helper()
	cannot := func(format string, args ...any) {
		t.Helper()
		msg := "this test starts a Docker daemon of its own, and cannot: " + fmt.Sprintf(format, args...)
		if InCI() {
			t.Fatal("CI=true: " + msg)
		}
		t.Skip(msg)
	}
	if os.Geteuid() != 0 {
		cannot("it must run as root")
	}
	for _, tool := range []string{"dockerd", "unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			cannot("%s is not installed (%v)", tool, err)
		}
	}
	// A short path: unix sockets (containerd's among them) are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "sdd")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{t: t, Dir: dir, Host: "unix://" + filepath.Join(dir, "docker.sock"), log: filepath.Join(dir, "dockerd.log")}
	t.Cleanup(d.remove)
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ns := filepath.Join(dir, "netns")
	if err := os.WriteFile(ns, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unshare", "--net="+ns, "true").CombinedOutput(); err != nil {
		cannot("unshare --net: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := d.start(); err != nil {
		cannot("%v", err)
	}
	return d
}

// Start starts the stopped daemon again, on the same directories, and waits until it answers.
func (d *Daemon) Start() {
	d.t.Helper()
	if err := d.start(); err != nil {
		d.t.Fatal(err)
	}
}

func (d *Daemon) start() error {
	logf, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("nsenter", "--net="+filepath.Join(d.Dir, "netns"), "dockerd",
		"--host", d.Host,
		"--config-file", filepath.Join(d.Dir, "daemon.json"),
		"--data-root", filepath.Join(d.Dir, "data"),
		"--exec-root", filepath.Join(d.Dir, "exec"),
		"--pidfile", filepath.Join(d.Dir, "docker.pid"),
		"--storage-driver", "vfs",
		"--iptables=false", "--ip-masq=false",
		"--log-level", "warn",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its containerd with it
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dockerd: %w", err)
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(d.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		dk, err := runtime.Connect(ctx, runtime.ConnectOptions{Host: d.Host, ToolVersion: "test"})
		cancel()
		if err == nil {
			dk.Close()
			return nil
		}
		select {
		case <-d.done:
			return fmt.Errorf("dockerd exited at start: %s", d.tail())
		default:
		}
		if time.Now().After(deadline) {
			d.kill()
			return fmt.Errorf("dockerd did not answer within 60s (%v): %s", err, d.tail())
		}
		time.Sleep(100 * time.Millisecond) // polls a daemon starting up
	}
}

// Stop stops the daemon as `systemctl stop docker` does (SIGTERM: its API closes, then it
// stops the containers) and waits for it to exit.
func (d *Daemon) Stop() {
	d.t.Helper()
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(90 * time.Second):
		d.kill()
		d.t.Fatalf("dockerd did not stop within 90s of SIGTERM: %s", d.tail())
	}
	d.cmd = nil
}

// Pause hangs the daemon as `kill -STOP <dockerd>` does: it takes connections (the kernel
// queues them) and answers nothing; its containers run on. Resume (or the test's end) lets it
// go on.
func (d *Daemon) Pause() {
	d.t.Helper()
	if d.cmd == nil {
		d.t.Fatal("Pause: the daemon is not running")
	}
	if err := d.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(d.Resume) // before remove: a stopped daemon would not stop
}

// Resume lets a paused daemon go on (SIGCONT).
func (d *Daemon) Resume() {
	if d.cmd != nil {
		_ = d.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Connect connects to the daemon.
func (d *Daemon) Connect(t testing.TB) *runtime.Docker {
	t.Helper()
	return Connect(t, runtime.ConnectOptions{Host: d.Host})
}

func (d *Daemon) kill() {
	if d.cmd != nil {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
		d.cmd = nil
	}
}

// remove stops the daemon, then unmounts what it (and the network namespace) left mounted
// under its directory, and removes the directory.
func (d *Daemon) remove() {
	if d.cmd != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
			d.cmd = nil
		case <-time.After(60 * time.Second):
			d.kill()
		}
	}
	mounts, err := mountsUnder(d.Dir)
	if err != nil {
		d.t.Errorf("list the mounts of the test's daemon: %v", err)
	}
	for i := len(mounts) - 1; i >= 0; i-- { // deepest first
		if err := syscall.Unmount(mounts[i], syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			d.t.Errorf("unmount %s: %v", mounts[i], err)
		}
	}
	if err := os.RemoveAll(d.Dir); err != nil {
		d.t.Errorf("remove the test daemon's directory: %v", err)
	}
}

// mountsUnder lists the mount points at or below dir, in mount order.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	return out, sc.Err()
}

// tail is the end of the daemon's log, for a failure message.
func (d *Daemon) tail() string {
	b, _ := os.ReadFile(d.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
