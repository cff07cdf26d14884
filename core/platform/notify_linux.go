//go:build linux && !flatpak

package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godbus/dbus/v5"

	"github.com/codextray/codextray/core/userfile"
)

// Notify shows a desktop notification through the session bus's
// org.freedesktop.Notifications, as Fyne does, without a GUI toolkit.
// appID names the sender; icon is the app icon's PNG, cached in a file for
// the notification server (nil sends none).
func Notify(appID, title, body string, icon []byte) error {
	if !SessionBusReachable() {
		return errors.New("no session bus for notifications")
	}
	conn, err := dbus.SessionBus() // shared, not closed
	if err != nil {
		return fmt.Errorf("no session bus for notifications: %w", err)
	}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	call := obj.Call("org.freedesktop.Notifications.Notify", 0, appID, uint32(0),
		iconPath(appID, icon), title, body, []string{}, map[string]dbus.Variant{}, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("sending a notification: %w", call.Err)
	}
	return nil
}

// iconPath writes icon to the user's cache once and returns its path; ""
// when it cannot.
func iconPath(appID string, icon []byte) string {
	if len(icon) == 0 {
		return ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, appID, "icon.png")
	if old, err := userfile.Read(path, int64(len(icon))); err == nil && string(old) == string(icon) {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return ""
	}
	if err := os.WriteFile(path, icon, 0o600); err != nil {
		return ""
	}
	return path
}
