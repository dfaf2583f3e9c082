//go:build unix

package runtime

import (
	"io"
	"net"
	"path/filepath"
	"testing"
)

// A socket moved out of the network poller is read as before, and closing it ends a read
// blocked in it.
func TestUnpolled(t *testing.T) {
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	engine := <-accepted
	if engine == nil {
		t.Fatal("no connection accepted")
	}
	defer engine.Close()
	f, ok := unpolled(conn)
	if !ok {
		t.Fatal("a unix socket was not moved out of the poller")
	}
	if _, err := conn.Write([]byte("x")); err == nil {
		t.Error("the connection is still open after its socket was moved")
	}
	if _, err := engine.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := f.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.Read(buf) // nothing more comes: blocks until closed
		done <- err
	}()
	closeUnpolled(f)
	if err := Await(t, done, "closing did not end a blocked read"); err == nil {
		t.Error("the read after closing returned no error (want EOF, or closed)")
	}
	// The engine's end sees the connection closed.
	if n, err := engine.Read(buf); err != io.EOF {
		t.Errorf("the engine's end read %d bytes, %v, want EOF", n, err)
	}

	// A connection that is no socket of its own is left as it is.
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, ok := unpolled(a); ok {
		t.Error("a pipe was moved")
	}
}
