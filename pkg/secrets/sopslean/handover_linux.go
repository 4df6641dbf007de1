package sopslean

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the co-process when this process
// dies; its stdin closing ends it otherwise.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
