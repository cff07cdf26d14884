//go:build !linux && !windows

package appserver

import "syscall"

// setParentDeathSignal: only Linux has one; elsewhere app-server ends when
// its stdin closes with Codex Tray.
func setParentDeathSignal(*syscall.SysProcAttr) {}
