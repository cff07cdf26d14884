//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows build is a GUI program (no console window for the tray), so
// a command typed in a console would print nothing. Attach to the console
// of the parent process when there is one and stdout is not redirected.
func init() {
	if h, err := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE); err == nil && h != 0 && h != windows.InvalidHandle {
		return // redirected to a file or a pipe: keep it
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS (-1)
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // started from the desktop: no console to attach to
	}
	if out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = out, out
	}
	if h, err := windows.GetStdHandle(windows.STD_INPUT_HANDLE); err != nil || h == 0 || h == windows.InvalidHandle {
		if in, err := os.OpenFile("CONIN$", os.O_RDONLY, 0); err == nil {
			os.Stdin = in
		}
	}
}
