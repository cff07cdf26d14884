//go:build darwin || (linux && !flatpak) || freebsd || openbsd || netbsd || dragonfly

package autostart

// Where the start-at-login switch is a file Codex Tray writes (an XDG
// autostart entry, a macOS LaunchAgent), entry() names it per OS.

// Enabled reports whether Codex Tray starts at login: whether the entry
// that Enable writes is in place and not switched off.
func Enabled() (bool, error) {
	e, err := entry()
	if err != nil {
		return false, err
	}
	return e.enabled()
}

// Enable makes the session start exe (an absolute path, normally
// os.Executable(); on macOS inside the .app bundle) at login: it writes
// $XDG_CONFIG_HOME/autostart/io.github.codextray.codextray.desktop, or
// ~/Library/LaunchAgents/io.github.codextray.codextray.plist on macOS,
// read at the next login; nothing is started now.
func Enable(exe string) error {
	e, err := entry()
	if err != nil {
		return err
	}
	return e.enable(exe)
}

// Disable removes the entry that Enable wrote, and its directory if Enable
// created it and it is empty again. An entry of the same name that Enable
// did not write is left alone.
func Disable() error {
	e, err := entry()
	if err != nil {
		return err
	}
	return e.disable()
}
