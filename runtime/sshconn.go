package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/sidecar-dev/sidecar/internal/syncbuf"
)

// sshTarget is an ssh://[user@]host[:port][/socket/path] engine address.
type sshTarget struct {
	user, host, port string
	socket           string // remote engine socket; "" for the remote default
}

func parseSSHHost(host string) (sshTarget, error) {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" {
		return sshTarget{}, fmt.Errorf("bad ssh engine address %q: write ssh://[user@]host[:port][/path/to/docker.sock]", host)
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return sshTarget{}, fmt.Errorf("bad ssh engine address %q: put no password in it; use key-based auth (ssh-agent)", host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return sshTarget{}, fmt.Errorf("bad ssh engine address %q: it takes no query or fragment", host)
	}
	t := sshTarget{user: u.User.Username(), host: u.Hostname(), port: u.Port()}
	if u.Path != "" && u.Path != "/" {
		t.socket = u.Path
	}
	return t, nil
}

// command is the ssh command line a user can try by hand.
func (t sshTarget) command() string {
	s := "ssh"
	if t.port != "" {
		s += " -p " + t.port
	}
	if t.user != "" {
		s += " " + t.user + "@" + t.host
	} else {
		s += " " + t.host
	}
	return s + " docker version"
}

// args are the ssh arguments that run `docker system dial-stdio` on the remote host. BatchMode
// makes ssh fail at once instead of prompting for a password on a terminal sidecar owns.
func (t sshTarget) args() []string {
	args := []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=30", "-T"}
	if t.user != "" {
		args = append(args, "-l", t.user)
	}
	if t.port != "" {
		args = append(args, "-p", t.port)
	}
	args = append(args, "--", t.host, "docker")
	if t.socket != "" {
		args = append(args, "--host", "unix://"+t.socket)
	}
	return append(args, "system", "dial-stdio")
}

// dial starts one ssh process per connection and speaks over its stdio.
func (t sshTarget) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cmd := exec.Command("ssh", t.args()...)
	setProcessGroup(cmd) // a Ctrl-C on sidecar's terminal must not kill the connection mid-teardown
	// Our own pipes rather than StdinPipe/StdoutPipe: cmd.Wait closes those, racing with reads
	// that must still see the end of the output and the process's exit status.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	c := &cmdConn{cmd: cmd, stdin: inW, stdout: outR, exited: make(chan struct{}), label: "ssh " + t.host,
		stderr: &syncbuf.Buffer{Max: 4096}}
	cmd.Stderr = c.stderr
	err = cmd.Start()
	inR.Close() // the child has its copies
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("run ssh: %w (is an ssh client installed?)", err)
	}
	go func() { // ends when the process does; Close kills it
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// cmdConn is a net.Conn over a child process's stdin and stdout.
type cmdConn struct {
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stdout    io.ReadCloser
	stderr    *syncbuf.Buffer // the last 4 KiB ssh wrote there
	label     string
	exited    chan struct{}
	waitErr   error
	closeOnce sync.Once
}

func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed) {
		if ferr := c.exitError(); ferr != nil {
			return n, ferr
		}
	}
	return n, err
}

func (c *cmdConn) Write(p []byte) (int, error) {
	n, err := c.stdin.Write(p)
	if err != nil {
		if ferr := c.exitError(); ferr != nil {
			return n, ferr
		}
	}
	return n, err
}

// exitError waits briefly for the process to end after its pipe broke and returns why it
// failed (ssh's own message is on stderr), or nil if it did not fail.
func (c *cmdConn) exitError() error {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-c.exited:
		if c.waitErr != nil {
			return c.failure()
		}
	case <-t.C:
	}
	return nil
}

func (c *cmdConn) failure() error {
	msg := strings.Join(strings.Fields(c.stderr.String()), " ")
	if msg == "" {
		return &commandError{fmt.Sprintf("%s: %v", c.label, c.waitErr)}
	}
	return &commandError{fmt.Sprintf("%s: %v: %s", c.label, c.waitErr, msg)}
}

// commandError is the failure of the connection's process, with its stderr.
type commandError struct{ msg string }

func (e *commandError) Error() string { return e.msg }

// CloseWrite half-closes the connection (the hijacked attach streams use it).
func (c *cmdConn) CloseWrite() error { return c.stdin.Close() }

func (c *cmdConn) Close() error {
	c.closeOnce.Do(func() {
		c.stdin.Close()
		if c.cmd.Process != nil {
			c.cmd.Process.Kill()
		}
		<-c.exited
		c.stdout.Close()
	})
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr              { return cmdAddr{} }
func (c *cmdConn) RemoteAddr() net.Addr             { return cmdAddr{} }
func (c *cmdConn) SetDeadline(time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(time.Time) error { return nil }

type cmdAddr struct{}

func (cmdAddr) Network() string { return "cmd" }
func (cmdAddr) String() string  { return "ssh" }
