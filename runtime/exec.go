package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sidecar-dev/sidecar/orchestrator"
)

// ExecOutputLimit is how much of an exec's combined output Exec keeps.
const ExecOutputLimit = 4096

// ErrCommandNotFound: the command Exec was asked to run does not exist in the container.
var ErrCommandNotFound = errors.New("command not found in the container")

// Exec runs cmd in the running container and returns its exit code and its combined stdout
// and stderr, of which the first ExecOutputLimit bytes are kept (the rest is read and dropped
// so that the command is never blocked on its output). It returns when the command ends or
// ctx does; on ctx's end the command may keep running in the container (the engine cannot
// kill an exec). A command that does not exist is ErrCommandNotFound.
func (d *Docker) Exec(ctx context.Context, id string, cmd []string) (orchestrator.ExecResult, error) {
	out := &cappedBuffer{limit: ExecOutputLimit}
	code, err := d.ExecInteractive(ctx, id, cmd, ExecStreams{Stdout: out, Stderr: out})
	res := orchestrator.ExecResult{ExitCode: code, Output: out.String()}
	if err != nil {
		return orchestrator.ExecResult{Output: res.Output}, err
	}
	if notFound(res) {
		what := fmt.Sprintf("exec %q in container %s", strings.Join(cmd, " "), shortID(id))
		return res, newError(fmt.Sprintf("%s: %s: %s", what, ErrCommandNotFound, firstLine(res.Output)), nil, ErrCommandNotFound)
	}
	return res, nil
}

// notFound recognises the runtime's report that the executable does not exist: the exec
// exits 126 or 127 with runc's message in the output.
func notFound(r orchestrator.ExecResult) bool {
	if r.ExitCode != 126 && r.ExitCode != 127 {
		return false
	}
	o := strings.ToLower(r.Output)
	return strings.Contains(o, "executable file not found") || strings.Contains(o, "no such file or directory")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// cappedBuffer keeps the first limit bytes written to it and counts the rest.
type cappedBuffer struct {
	limit   int
	buf     []byte
	dropped int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.limit - len(b.buf)
	if room >= len(p) {
		b.buf = append(b.buf, p...)
	} else {
		if room > 0 {
			b.buf = append(b.buf, p[:room]...)
		}
		b.dropped += len(p) - max(room, 0)
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	if b.dropped > 0 {
		return string(b.buf) + fmt.Sprintf("\n[... %d more bytes]", b.dropped)
	}
	return string(b.buf)
}
