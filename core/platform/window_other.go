//go:build !linux || flatpak

package platform

// WindowPosition is not available here (only X11 windows are placed).
func WindowPosition(uintptr) (int, int, error) { return 0, 0, ErrWindowPosition }

// MoveWindow is not available here.
func MoveWindow(uintptr, int, int) error { return ErrWindowPosition }
