//go:build !(linux && !flatpak) && !windows && !(darwin && cgo)

package platform

// WindowPosition is not available here: X11, Windows and macOS windows are
// placed; the rest (Flatpak, a native Wayland build) keep where the
// system puts them.
func WindowPosition(uintptr) (int, int, error) { return 0, 0, ErrWindowPosition }

// MoveWindow is not available here.
func MoveWindow(uintptr, int, int) error { return ErrWindowPosition }
