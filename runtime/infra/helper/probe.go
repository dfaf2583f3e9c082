package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// probe runs one attempt: probe tcp HOST:PORT TIMEOUT | probe http URL TIMEOUT [headers].
func probe(args []string) int {
	if len(args) < 3 {
		return usageError("probe needs a kind, a target and a timeout")
	}
	timeout, err := time.ParseDuration(args[2])
	if err != nil || timeout <= 0 {
		return usageError("bad timeout " + quote(args[2]) + ": write a positive duration like 1s or 500ms")
	}
	var check func(context.Context) error
	switch args[0] {
	case "tcp":
		if len(args) != 3 {
			return usageError("probe tcp takes HOST:PORT and TIMEOUT only")
		}
		if _, _, err := net.SplitHostPort(args[1]); err != nil {
			return usageError("bad address " + quote(args[1]) + ": write HOST:PORT")
		}
		check = func(ctx context.Context) error { return probeTCP(ctx, args[1]) }
	case "http":
		t, err := parseTarget(args[1], args[3:])
		if err != nil {
			return usageError(err.Error())
		}
		check = func(ctx context.Context) error { return probeHTTP(ctx, t) }
		if t.tls {
			check = func(ctx context.Context) error { return probeTLS(ctx, t) }
		}
	default:
		return usageError("unknown probe kind " + quote(args[0]) + ": use tcp or http")
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// A backstop in case something ignores the deadline: the helper never outlives its
	// timeout by more than a moment.
	backstop := time.AfterFunc(timeout+100*time.Millisecond, func() {
		say("timed out after " + timeout.String())
		os.Exit(1)
	})
	defer backstop.Stop()
	return result(check(ctx))
}

// result prints the failure reason, if any, and returns the exit status.
func result(err error) int {
	if err != nil {
		say(err.Error())
		return 1
	}
	return 0
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, dialError(addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	return conn, nil
}

// dialError shortens the net package's error to what a user needs.
func dialError(addr string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		msg = "no answer (timed out)"
	case strings.Contains(msg, "connection refused"):
		msg = "connection refused (nothing listens on that port in the pod)"
	case strings.Contains(msg, "no such host"):
		msg = "no such host"
	}
	return errors.New("connect to " + addr + ": " + msg)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func probeTCP(ctx context.Context, addr string) error {
	conn, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	conn.Close()
	return nil
}

// target is a parsed probe URL.
type target struct {
	url     string // as given, for messages
	tls     bool
	addr    string // host:port to dial
	host    string // Host header and TLS server name source
	path    string // path and query
	headers [][2]string
}

// parseTarget reads http[s]://host[:port][/path][?query] and "Name: value" header arguments.
func parseTarget(raw string, headerArgs []string) (target, error) {
	t := target{url: raw}
	rest, ok := strings.CutPrefix(raw, "http://")
	port := "80"
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "https://"); !ok {
			return t, errors.New("bad URL " + quote(raw) + ": it must start with http:// or https://")
		}
		t.tls, port = true, "443"
	}
	authority, path := rest, "/"
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if path == "" || path[0] == '?' {
		path = "/" + path
	}
	if authority == "" || strings.ContainsAny(authority, "@ ") {
		return t, errors.New("bad URL " + quote(raw) + ": it needs a host, like http://localhost:8080/healthz")
	}
	for _, c := range path {
		if c <= ' ' || c == 0x7f {
			return t, errors.New("bad URL " + quote(raw) + ": escape spaces and control characters in the path")
		}
	}
	host := authority
	if h, p, err := net.SplitHostPort(authority); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return t, errors.New("bad URL " + quote(raw) + ": bad port " + quote(p))
		}
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(authority, "["), "]")
	}
	t.addr = net.JoinHostPort(host, port)
	t.host = authority
	t.path = path
	for _, h := range headerArgs {
		name, value, ok := strings.Cut(h, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
			return t, errors.New("bad header " + quote(h) + ": write Name: value")
		}
		t.headers = append(t.headers, [2]string{name, value})
	}
	return t, nil
}

// request returns the HTTP/1.1 request bytes: like kubelet's probe, a GET with a User-Agent and
// Accept header; given headers replace the defaults of the same name.
func (t target) request() []byte {
	defaults := [][2]string{
		{"Host", t.host},
		{"User-Agent", "sidecar-probe/1.0"},
		{"Accept", "*/*"},
	}
	var b strings.Builder
	b.WriteString("GET " + t.path + " HTTP/1.1\r\n")
	for _, d := range defaults {
		if !t.hasHeader(d[0]) {
			b.WriteString(d[0] + ": " + d[1] + "\r\n")
		}
	}
	for _, h := range t.headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	return []byte(b.String())
}

func (t target) hasHeader(name string) bool {
	for _, h := range t.headers {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

func probeHTTP(ctx context.Context, t target) error {
	conn, err := dial(ctx, t.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Write(t.request()); err != nil {
		return errors.New("GET " + t.url + ": send: " + shortErr(err))
	}
	buf := make([]byte, 0, 4096)
	// Read until the status line is complete.
	for !strings.Contains(string(buf), "\n") {
		if len(buf) == cap(buf) {
			return errors.New("GET " + t.url + ": the answer is not HTTP (no status line in 4 KiB)")
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && !strings.Contains(string(buf), "\n") {
			if err == io.EOF {
				return errors.New("GET " + t.url + ": the connection closed before an answer")
			}
			if isTimeout(err) {
				return errors.New("GET " + t.url + ": no answer (timed out)")
			}
			return errors.New("GET " + t.url + ": read: " + shortErr(err))
		}
	}
	line, _, _ := strings.Cut(string(buf), "\n")
	code, status, ok := parseStatusLine(strings.TrimSuffix(line, "\r"))
	if !ok {
		return errors.New("GET " + t.url + ": the answer is not HTTP: " + excerpt([]byte(line), 80))
	}
	if code >= 200 && code < 400 {
		return nil
	}
	// Failed: add the start of the body to the reason, waiting only briefly for it.
	short := time.Now().Add(100 * time.Millisecond)
	if dl, ok := ctx.Deadline(); ok && dl.Before(short) {
		short = dl
	}
	conn.SetReadDeadline(short)
	for len(buf) < cap(buf) && !strings.Contains(string(buf), "\r\n\r\n") {
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	if _, body, ok := strings.Cut(string(buf), "\r\n\r\n"); ok {
		if len(body) < 80 {
			n, _ := conn.Read(buf[len(buf):cap(buf)])
			body += string(buf[len(buf) : len(buf)+n])
		}
		if b := excerpt([]byte(body), 80); b != "" {
			status += ": " + b
		}
	}
	return errors.New("GET " + t.url + ": status " + status)
}

// parseStatusLine reads "HTTP/1.1 503 Service Unavailable".
func parseStatusLine(line string) (code int, status string, ok bool) {
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/") {
		return 0, "", false
	}
	codeText, _, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil || len(codeText) != 3 {
		return 0, "", false
	}
	return code, strings.TrimSpace(rest), true
}

// excerpt returns at most n bytes of b as one printable line.
func excerpt(b []byte, n int) string {
	out := make([]byte, 0, n)
	space := false
	for _, c := range b {
		if len(out) >= n {
			out = append(out, "..."...)
			break
		}
		if c <= ' ' || c >= 0x7f {
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return string(out)
}

func shortErr(err error) string {
	if isTimeout(err) {
		return "timed out"
	}
	return err.Error()
}
