//go:build (linux && !flatpak) || freebsd || openbsd || netbsd || dragonfly

package autostart

// entry is the XDG autostart entry in $XDG_CONFIG_HOME/autostart.
func entry() (fileEntry, error) {
	dir, err := xdgConfigHome()
	if err != nil {
		return fileEntry{}, err
	}
	return xdgEntry(dir), nil
}
