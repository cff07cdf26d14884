//go:build windows

package autostart

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/windows/registry"
)

const (
	runKey = `Software\Microsoft\Windows\CurrentVersion\Run`
	// Task Manager's Startup tab switches Run entries off here without
	// removing them: a binary value whose first byte is odd when off.
	startupApprovedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// Enabled reports whether Codex Tray starts at login: whether the
// HKCU\…\Run value "Codex Tray" exists and Task Manager has not switched it
// off.
func Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("read start-at-login entry: %w", err)
	}
	defer k.Close()
	if _, _, err := k.GetStringValue(Name); err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("read start-at-login entry: %w", err)
	}
	return !switchedOff(), nil
}

func switchedOff() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, startupApprovedKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	b, _, err := k.GetBinaryValue(Name)
	return err == nil && len(b) > 0 && b[0]&1 == 1
}

// Enable makes Windows start exe (an absolute path, normally
// os.Executable()) at login: it sets the value "Codex Tray" under
// HKCU\Software\Microsoft\Windows\CurrentVersion\Run, and clears Task
// Manager's "Disabled" mark for it if there is one.
func Enable(exe string) error {
	if err := checkExe(exe); err != nil {
		return err
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("open %s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.SetStringValue(Name, syscall.EscapeArg(exe)); err != nil {
		return fmt.Errorf("write start-at-login entry: %w", err)
	}
	// The user asks for it here: lift a switch-off from Task Manager, which
	// would otherwise keep the entry from running.
	if switchedOff() {
		if k, err := registry.OpenKey(registry.CURRENT_USER, startupApprovedKey, registry.SET_VALUE); err == nil {
			_ = k.DeleteValue(Name)
			k.Close()
		}
	}
	return nil
}

// Disable deletes the value "Codex Tray" that Enable set; the Run key itself
// is left as it was.
func Disable() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		if errors.Is(err, registry.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("open %s: %w", runKey, err)
	}
	defer k.Close()
	if err := k.DeleteValue(Name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("remove start-at-login entry: %w", err)
	}
	return nil
}
