package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// ExecStreams are the streams and the terminal of an interactive exec (`sidecar exec`).
type ExecStreams struct {
	// Stdin is passed to the command until it ends (nil: the command gets no input).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// TTY runs the command on a terminal of its own: one output stream (Stdout), the
	// terminal's size from Height and Width, changed with every size sent on Resize.
	TTY           bool
	Height, Width uint
	Resize        <-chan [2]uint // height, width
	// Env (NAME=value), User and Workdir are the command's, when set (docker exec -e, -u, -w).
	Env           []string
	User, Workdir string
}

// ExecInteractive runs cmd in the running container id with the streams attached, as
// `docker exec` does, and returns the command's exit code once it has ended and its output
// was written. A command that does not exist ends with 126 or 127 and the runtime's message
// on its output, as with docker. Cancelling ctx stops the streams; the command may go on in
// the container (the engine cannot end an exec).
func (d *Docker) ExecInteractive(ctx context.Context, id string, cmd []string, s ExecStreams) (int, error) {
	if len(cmd) == 0 {
		return 0, errors.New("exec: empty command")
	}
	what := fmt.Sprintf("exec %q in container %s", strings.Join(cmd, " "), shortID(id))
	size := client.ConsoleSize{Height: s.Height, Width: s.Width}
	if !s.TTY || size.Height == 0 || size.Width == 0 {
		size = client.ConsoleSize{}
	}
	created, err := d.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: cmd, TTY: s.TTY, ConsoleSize: size, Env: s.Env, User: s.User, WorkingDir: s.Workdir,
		AttachStdin: s.Stdin != nil, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return 0, d.execError(ctx, what, err)
	}
	att, err := d.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: s.TTY, ConsoleSize: size})
	if err != nil {
		return 0, d.execError(ctx, what, err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()

	if s.Stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, s.Stdin)
			_ = att.CloseWrite() // end of input: the command reads EOF
		}()
	}
	if s.Resize != nil {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			for {
				select {
				case hw := <-s.Resize:
					_, _ = d.cli.ExecResize(rctx, created.ID, client.ExecResizeOptions{Height: hw[0], Width: hw[1]})
				case <-rctx.Done():
					return
				}
			}
		}()
	}
	if s.TTY {
		_, err = io.Copy(s.Stdout, att.Reader)
	} else {
		_, err = stdcopy.StdCopy(s.Stdout, s.Stderr, att.Reader)
	}
	if ctx.Err() != nil {
		return 0, fmt.Errorf("%s: %w", what, ctx.Err())
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("%s: reading its output: %w", what, err)
	}
	// The stream ends when the process does; the exit code lands a moment later.
	delay := time.Millisecond
	for {
		ins, err := d.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return 0, d.execError(ctx, what, err)
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

func (d *Docker) execError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return engineError(what, err)
}
