// Package appdata locates Codex Tray's own files. It uses the same storage
// root Fyne gives the app's ID (<config>/fyne/<ID>, see fyneRoot), so the
// Fyne windows, the tray and the command line share settings and state
// without importing Fyne.
package appdata

import (
	"os"
	"path/filepath"
	"runtime"
)

// AppID is the app's ID, as in FyneApp.toml.
const AppID = "io.github.codextray.codextray"

// Dir is the app's storage root; it is created on first use.
func Dir() (string, error) {
	root, err := fyneRoot(runtime.GOOS)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, AppID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// Preference keys shared by the Settings window (Fyne preferences) and the
// command line, which reads the same preferences.json without Fyne.
const (
	PrefReminderHours  = "reminder_hours"  // float; default 24
	PrefMirrorEnabled  = "mirror_enabled"  // bool; default true
	PrefKeepAliveHours = "keepalive_hours" // float; 0 (off) by default
	PrefNotifications  = "notifications"   // bool; default true
	PrefDefaultModel   = "default_model"   // string; "" = the backend's default
	PrefDefaultEffort  = "default_effort"  // string; "" = the model's default
	PrefCodexPath      = "codex_path"      // string; "" = search PATH and the usual folders
	PrefFast           = "fast"            // bool; the chat's Fast (priority tier) toggle
	// PrefUsageThresholds are the used percents that notify, "80,95" by
	// default (usage.FormatThresholds); PrefUsageMuted the window keys that
	// never notify, comma-separated.
	PrefUsageThresholds = "usage_thresholds"
	PrefUsageMuted      = "usage_muted"
)

// fyneRoot is Fyne's root config directory on goos (fyne's
// internal/app.rootConfigDir): ~/Library/Preferences/fyne on macOS,
// %USERPROFILE%\AppData\Roaming\fyne on Windows, $XDG_CONFIG_HOME/fyne
// elsewhere.
func fyneRoot(goos string) (string, error) {
	switch goos {
	case "darwin":
		home, err := os.UserHomeDir()
		return filepath.Join(home, "Library", "Preferences", "fyne"), err
	case "windows":
		home, err := os.UserHomeDir()
		return filepath.Join(home, "AppData", "Roaming", "fyne"), err
	}
	base, err := os.UserConfigDir()
	return filepath.Join(base, "fyne"), err
}

// PreferencesPath is the preferences.json Fyne keeps for the app.
func PreferencesPath() (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "preferences.json"), nil
}
