//go:build darwin

package autostart

import (
	"fmt"
	"os"
)

// Enabled reports whether Codex Tray starts at login: whether the
// LaunchAgent that Enable writes is in place.
func Enabled() (bool, error) {
	e, err := entry()
	if err != nil {
		return false, err
	}
	return e.enabled()
}

// Enable makes launchd start exe (an absolute path, normally
// os.Executable(), inside the .app bundle) at login: it writes
// ~/Library/LaunchAgents/io.github.codextray.codextray.plist.
// launchd reads it at the next login; nothing is started now.
func Enable(exe string) error {
	e, err := entry()
	if err != nil {
		return err
	}
	return e.enable(exe)
}

// Disable removes the LaunchAgent that Enable wrote (and the LaunchAgents
// directory if Enable created it and it is empty again). A plist of the same
// name with another Label is left alone.
func Disable() error {
	e, err := entry()
	if err != nil {
		return err
	}
	return e.disable()
}

func entry() (fileEntry, error) {
	home, err := userHome()
	if err != nil {
		return fileEntry{}, err
	}
	return launchAgentEntry(home), nil
}

// userHome is the home directory that holds ~/Library.
func userHome() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the LaunchAgents directory: %w", err)
	}
	return home, nil
}
