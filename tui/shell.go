package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/sidecar-dev/sidecar/internal/syncbuf"
)

// The shell key hands the terminal to `docker exec -it <container> sh` and takes it back
// when the shell ends. The docker CLI honours DOCKER_HOST and contexts as `sidecar` does.
// A first, quiet `docker exec <container> sh -c :` tells whether the image has a shell at
// all: with -t the engine's complaint would go to the terminal and the exit status (126,
// 127) could as well be the last command's of a session.

// shellArgs is the command line of a shell in container id.
func shellArgs(docker, shell, id string) []string {
	return []string{docker, "exec", "-it", id, shell}
}

// probeArgs is the command line that checks the container has the shell.
func probeArgs(docker, shell, id string) []string {
	return []string{docker, "exec", id, shell, "-c", ":"}
}

// shellCmd returns the command that checks for the shell and runs it; the processes start
// in the command, not in Update.
func shellCmd(docker, shell, id, ctr string) tea.Cmd {
	return func() tea.Msg {
		args := probeArgs(docker, shell, id)
		path, err := exec.LookPath(args[0])
		if err != nil {
			return shellDoneMsg{ctr: ctr, err: err}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, path, args[1:]...).CombinedOutput(); err != nil {
			return shellDoneMsg{ctr: ctr, err: err, stderr: string(out), probe: true}
		}
		args = shellArgs(docker, shell, id)
		c := exec.Command(path, args[1:]...)
		stderr := &syncbuf.Buffer{Max: 4096}
		c.Stderr = io.MultiWriter(os.Stderr, stderr)
		return tea.ExecProcess(c, func(err error) tea.Msg {
			return shellDoneMsg{ctr: ctr, err: err, stderr: stderr.String()}
		})()
	}
}

// shellError says why a shell session failed, and what to do.
func shellError(docker, shell string, msg shellDoneMsg) string {
	var notFound *exec.Error
	if errors.As(msg.err, &notFound) {
		return fmt.Sprintf("no shell: the %s CLI is not installed or not in PATH (%v); install it to open shells in containers", docker, msg.err)
	}
	text := strings.ToLower(msg.stderr)
	var exit *exec.ExitError
	exited := errors.As(msg.err, &exit)
	noShell := strings.Contains(text, "executable file not found") || strings.Contains(text, "no such file or directory") ||
		(msg.probe && exited && (exit.ExitCode() == 126 || exit.ExitCode() == 127))
	switch {
	case noShell:
		return fmt.Sprintf("%s has no shell: its image has no %s (an image FROM scratch or distroless has none); add a debug sidecar with a shell to the pod", msg.ctr, shell)
	case strings.Contains(text, "is not running") || strings.Contains(text, "no such container"):
		return fmt.Sprintf("%s stopped before the shell could start", msg.ctr)
	case exited && !msg.probe && msg.stderr == "":
		// The shell itself ended with a status (its last command's): not a failure.
		return fmt.Sprintf("back from the shell in %s (exit status %d)", msg.ctr, exit.ExitCode())
	}
	detail := strings.TrimSpace(msg.stderr)
	if i := strings.IndexByte(detail, '\n'); i >= 0 {
		detail = detail[:i]
	}
	if detail != "" {
		return fmt.Sprintf("shell in %s: %v: %s", msg.ctr, msg.err, detail)
	}
	return fmt.Sprintf("shell in %s: %v", msg.ctr, msg.err)
}
