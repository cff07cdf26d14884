//go:build !linux && !darwin && !windows && !freebsd && !openbsd && !netbsd && !dragonfly

package autostart

// Enabled is always false where start at login is not supported.
func Enabled() (bool, error) { return false, nil }

// Enable returns ErrUnsupported.
func Enable(string) error { return ErrUnsupported }

// Disable has nothing to remove.
func Disable() error { return nil }
