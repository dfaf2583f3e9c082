package main

import (
	"bytes"
	"io"
	"os"
)

// IOStreams are the streams a command reads and writes. Commands never touch os.Stdin,
// os.Stdout or os.Stderr themselves, so tests run them against buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTTY tells whether Out is a terminal (the interactive view is used only then).
	IsTTY bool
}

// SystemIO returns the process's own streams.
func SystemIO() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, IsTTY: isTerminal(os.Stdout)}
}

// TestIO returns streams backed by buffers: stdin to feed, stdout and stderr to inspect.
func TestIO() (io *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
