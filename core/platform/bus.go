package platform

import (
	"os"
	"path/filepath"
	"runtime"
)

// SessionBusReachable is false where D-Bus would have to autolaunch a
// session bus (which starts stray daemons or hangs): on Linux and the BSDs,
// when neither DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR/bus exists.
// The tray, the Secret Service and notifications all need the desktop's own
// session bus.
func SessionBusReachable() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if rd := os.Getenv("XDG_RUNTIME_DIR"); rd != "" {
		if _, err := os.Stat(filepath.Join(rd, "bus")); err == nil {
			return true
		}
	}
	return false
}
