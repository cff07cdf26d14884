//go:build (linux && !flatpak) || freebsd || openbsd || netbsd || dragonfly

package autostart

// Enabled reports whether Codex Tray starts at login: whether the XDG
// autostart entry that Enable writes is in place and not switched off.
func Enabled() (bool, error) {
	e, err := entry()
	if err != nil {
		return false, err
	}
	return e.enabled()
}

// Enable makes the session start exe (an absolute path, normally
// os.Executable()) at login: it writes
// $XDG_CONFIG_HOME/autostart/io.github.codextray.codextray.desktop.
func Enable(exe string) error {
	e, err := entry()
	if err != nil {
		return err
	}
	return e.enable(exe)
}

// Disable removes the autostart entry that Enable wrote, and the autostart
// directory if Enable created it and it is empty again. An entry of the same
// name that Enable did not write is left alone.
func Disable() error {
	e, err := entry()
	if err != nil {
		return err
	}
	return e.disable()
}

func entry() (fileEntry, error) {
	dir, err := xdgConfigHome()
	if err != nil {
		return fileEntry{}, err
	}
	return xdgEntry(dir), nil
}
