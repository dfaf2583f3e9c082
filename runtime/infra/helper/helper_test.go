package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidecar-dev/sidecar/runtime/infra"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		url, addr, host, path string
		tls                   bool
	}{
		{"http://localhost:8080/healthz", "localhost:8080", "localhost:8080", "/healthz", false},
		{"http://127.0.0.1", "127.0.0.1:80", "127.0.0.1", "/", false},
		{"http://127.0.0.1?x=1", "127.0.0.1:80", "127.0.0.1", "/?x=1", false},
		{"https://svc:8443/a/b?c=d#frag", "svc:8443", "svc:8443", "/a/b?c=d", true},
		{"http://[::1]:9000/x", "[::1]:9000", "[::1]:9000", "/x", false},
		{"https://[::1]/", "[::1]:443", "[::1]", "/", true},
	}
	for _, tt := range tests {
		got, err := parseTarget(tt.url, nil)
		if err != nil {
			t.Errorf("parseTarget(%q): %v", tt.url, err)
			continue
		}
		if got.addr != tt.addr || got.host != tt.host || got.path != tt.path || got.tls != tt.tls {
			t.Errorf("parseTarget(%q) = addr %q host %q path %q tls %v; want %q %q %q %v",
				tt.url, got.addr, got.host, got.path, got.tls, tt.addr, tt.host, tt.path, tt.tls)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "http://a b/", "http://x:99999/", "http://u@x/"} {
		if _, err := parseTarget(bad, nil); err == nil {
			t.Errorf("parseTarget(%q): no error", bad)
		}
	}
	if _, err := parseTarget("http://x/", []string{"NoColon"}); err == nil {
		t.Error("header without colon accepted")
	}
	if _, err := parseTarget("http://x/", []string{"X: a\r\nEvil: 1"}); err == nil {
		t.Error("header with CRLF accepted")
	}
}

func TestRequestHeaders(t *testing.T) {
	tg, err := parseTarget("http://localhost:8080/healthz", []string{"Host: example.test", "X-Probe: yes"})
	if err != nil {
		t.Fatal(err)
	}
	req := string(tg.request())
	want := "GET /healthz HTTP/1.1\r\nUser-Agent: sidecar-probe/1.0\r\nAccept: */*\r\nHost: example.test\r\nX-Probe: yes\r\nConnection: close\r\n\r\n"
	if req != want {
		t.Errorf("request =\n%q\nwant\n%q", req, want)
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestProbeHTTP(t *testing.T) {
	var gotUA, gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotHeader = r.UserAgent(), r.Header.Get("X-Probe")
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("ok"))
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/down":
			http.Error(w, "database\nnot ready", http.StatusServiceUnavailable)
		case "/hang":
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	probeURL := func(path string, headers ...string) error {
		tg, err := parseTarget(srv.URL+path, headers)
		if err != nil {
			t.Fatal(err)
		}
		return probeHTTP(ctxFor(t, 2*time.Second), tg)
	}
	if err := probeURL("/ok", "X-Probe: yes"); err != nil {
		t.Errorf("/ok: %v", err)
	}
	if gotUA != "sidecar-probe/1.0" || gotHeader != "yes" {
		t.Errorf("server saw User-Agent %q, X-Probe %q", gotUA, gotHeader)
	}
	if err := probeURL("/redirect"); err != nil {
		t.Errorf("a 302 must pass like kubelet's probe: %v", err)
	}
	err := probeURL("/down")
	if err == nil || !strings.Contains(err.Error(), "status 503 Service Unavailable: database not ready") {
		t.Errorf("/down: got %v, want the status and the body excerpt", err)
	}
	if err := probeURL("/missing"); err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("/missing: got %v", err)
	}
	tg, _ := parseTarget(srv.URL+"/hang", nil)
	start := time.Now()
	err = probeHTTP(ctxFor(t, 300*time.Millisecond), tg)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("/hang: got %v, want a timeout", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("/hang: the deadline was not honoured")
	}
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestProbeTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := probeTCP(ctxFor(t, time.Second), l.Addr().String()); err != nil {
		t.Errorf("open port: %v", err)
	}
	addr := closedPort(t)
	err = probeTCP(ctxFor(t, time.Second), addr)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), addr) {
		t.Errorf("closed port: got %v", err)
	}
}

func TestProbeTLS(t *testing.T) {
	for _, minVersion := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.TLS = &tls.Config{MinVersion: minVersion}
		srv.StartTLS()
		tg, err := parseTarget(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := probeTLS(ctxFor(t, 2*time.Second), tg); err != nil {
			t.Errorf("TLS server (min version %x): %v", minVersion, err)
		}
		srv.Close()
	}
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	tg, _ := parseTarget(strings.Replace(plain.URL, "http://", "https://", 1), nil)
	if err := probeTLS(ctxFor(t, 2*time.Second), tg); err == nil {
		t.Error("a plain HTTP server passed the TLS check")
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{"probe"}, {"probe", "tcp", "x:1", "soon"}, {"probe", "udp", "x:1", "1s"}, {"probe", "tcp", "nohostport", "1s"}, {"frobnicate"},
	} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

// The pause process is tested as a child subreaper, which is what PID 1 of a namespace is:
// an orphaned grandchild must be reaped, and SIGTERM must end it with status 0.
func TestPauseReapsAndExitsOnSIGTERM(t *testing.T) {
	switch os.Getenv("HELPER_TEST_MODE") {
	case "pause":
		const prSetChildSubreaper = 36
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
			os.Exit(3)
		}
		// Start a child that starts a grandchild and exits at once, orphaning it.
		cmd := exec.Command(os.Args[0], "-test.run=^TestPauseReapsAndExitsOnSIGTERM$")
		cmd.Env = append(os.Environ(), "HELPER_TEST_MODE=orphaner")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			os.Exit(4)
		}
		os.Exit(pause())
	case "orphaner":
		cmd := exec.Command(os.Args[0], "-test.run=^TestPauseReapsAndExitsOnSIGTERM$")
		cmd.Env = append(os.Environ(), "HELPER_TEST_MODE=exit")
		if err := cmd.Start(); err != nil {
			os.Exit(5)
		}
		os.Stdout.WriteString(strconv.Itoa(cmd.Process.Pid) + "\n")
		os.Exit(0)
	case "exit":
		time.Sleep(50 * time.Millisecond) // outlive the orphaner so that it is re-parented
		os.Exit(0)
	}

	// Two lines come on the pipe, in either order: the pause's ready line and the orphaner's
	// grandchild pid.
	cmd, out := startPause(t, "TestPauseReapsAndExitsOnSIGTERM", "pause")
	pid, ready := 0, false
	for !ready || pid == 0 {
		if !out.Scan() {
			cmd.Process.Kill()
			t.Fatalf("pause output ended before its ready line and the grandchild's pid (ready %v, pid %d): %v", ready, pid, out.Err())
		}
		if out.Text() == readyLine {
			ready = true
			continue
		}
		n, err := strconv.Atoi(out.Text())
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("no grandchild pid from the orphaner: %q", out.Text())
		}
		pid = n
	}
	// The grandchild exits after 50ms; the pause process must reap it (no zombie left).
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			break // gone: reaped
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("orphan %d was not reaped: %s", pid, stat)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("pause after SIGTERM: %v, want exit status 0", err)
	}
}

// A SIGTERM sent the moment pause says it is ready ends it with status 0, every time. The Go
// runtime catches SIGTERM long before that (SigCgt in /proc shows it from the start): in this
// test binary, a SIGTERM sent as soon as /proc shows it caught kills the child nearly every
// time, which is why the ready line exists.
func TestPauseStopRightAfterReady(t *testing.T) {
	if os.Getenv("HELPER_TEST_MODE") == "bare-pause" {
		os.Exit(pause())
	}
	for i := range 50 {
		cmd, out := startPause(t, "TestPauseStopRightAfterReady", "bare-pause")
		if !out.Scan() || out.Text() != readyLine {
			cmd.Process.Kill()
			t.Fatalf("run %d: first line of pause %q (%v), want %q", i, out.Text(), out.Err(), readyLine)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("run %d: pause stopped right after its ready line: %v, want exit status 0", i, err)
		}
	}
}

func TestReadyLineIsInfraPauseReady(t *testing.T) {
	if readyLine != infra.PauseReady {
		t.Errorf("the helper says %q when ready, sidecar waits for infra.PauseReady %q", readyLine, infra.PauseReady)
	}
}

// startPause runs this test binary's test in mode (HELPER_TEST_MODE) and returns it with a
// scanner of its stdout. The process is killed after 30 seconds, so a pause that never
// writes its ready line fails the test instead of hanging it.
func startPause(t *testing.T, test, mode string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), "HELPER_TEST_MODE="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	t.Cleanup(func() { timer.Stop() })
	return cmd, bufio.NewScanner(out)
}
