package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// The shell key hands the terminal to `docker exec -it <container> sh` and takes it back
// when the shell ends. The docker CLI honours DOCKER_HOST and contexts as `sidecar` does.
// With -t the container's output all goes to the terminal on stdout, so what arrives on the
// CLI's stderr is the CLI's own complaint (no such shell, container gone): it is shown on
// the terminal and kept to say what went wrong afterwards.

// shellArgs is the command line of a shell in container id.
func shellArgs(docker, shell, id string) []string {
	return []string{docker, "exec", "-it", id, shell}
}

// shellCmd returns the command that runs the shell; building the process (which looks the
// CLI up in PATH) happens in the command, not in Update.
func shellCmd(docker, shell, id, ctr string) tea.Cmd {
	return func() tea.Msg {
		args := shellArgs(docker, shell, id)
		path, err := exec.LookPath(args[0])
		if err != nil {
			return shellDoneMsg{ctr: ctr, err: err}
		}
		c := exec.Command(path, args[1:]...)
		stderr := &tailBuffer{max: 4096}
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
	if strings.Contains(text, "executable file not found") || strings.Contains(text, "no such file or directory") {
		return fmt.Sprintf("%s has no shell: its image has no %s (an image FROM scratch or distroless has none); add a debug sidecar with a shell to the pod", msg.ctr, shell)
	}
	if strings.Contains(text, "is not running") || strings.Contains(text, "no such container") {
		return fmt.Sprintf("%s stopped before the shell could start", msg.ctr)
	}
	var exit *exec.ExitError
	if errors.As(msg.err, &exit) && msg.stderr == "" {
		// The shell itself ended with a status (the last command's): not a failure.
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

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
