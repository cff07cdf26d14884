// Package appdata locates Codex Tray's own files. It uses the same storage
// root Fyne gives the app's ID (os.UserConfigDir()/fyne/<ID>), so the tray
// app and the command line share settings and state without importing Fyne.
package appdata

import (
	"os"
	"path/filepath"
)

// AppID is the app's ID, as in FyneApp.toml.
const AppID = "io.github.codextray.codextray"

// Dir is the app's storage root; it is created on first use.
func Dir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "fyne", AppID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}
