//go:build !windows

package appserver

import (
	"os/exec"
	"syscall"
)

// configureProcess puts app-server in its own process group, so that it
// and whatever it starts (npm's node launcher starts the native binary)
// end together.
func configureProcess(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

// killGroup kills the process group of a started cmd.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
