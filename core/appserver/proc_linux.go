package appserver

import "syscall"

// setParentDeathSignal: should Codex Tray be killed, the kernel ends
// app-server with it.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
