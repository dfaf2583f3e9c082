//go:build unix

package runtime

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts cmd in its own process group, out of reach of the terminal's SIGINT.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
