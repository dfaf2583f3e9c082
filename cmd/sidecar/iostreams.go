package main

import (
	"bytes"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
)

// IOStreams are the streams a command reads and writes. Commands never touch os.Stdin,
// os.Stdout or os.Stderr themselves, so tests run them against buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTTY tells whether Out is a terminal (colour by default); InIsTTY whether In is one.
	// The interactive view needs both (Interactive).
	IsTTY   bool
	InIsTTY bool
}

// SystemIO returns the process's own streams.
func SystemIO() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		IsTTY: isTerminal(os.Stdout), InIsTTY: isTerminal(os.Stdin)}
}

// Interactive tells whether both ends are a terminal: the keyboard to read keys from and the
// screen to draw on. `sidecar up >/dev/null`, `nohup sidecar up`, `sidecar up </dev/null` and
// `sidecar up | tee log` are not.
func (s *IOStreams) Interactive() bool { return s.IsTTY && s.InIsTTY }

// TestIO returns streams backed by buffers: stdin to feed, stdout and stderr to inspect.
func TestIO() (io *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// isTerminal asks the terminal driver (a termios request), not the file mode: /dev/null is a
// character device too, and a view that took it for a terminal failed at once.
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }
