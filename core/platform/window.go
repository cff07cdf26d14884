package platform

import "errors"

// ErrWindowPosition means a window's position cannot be read or set here
// (Wayland, where clients may not place windows; macOS and Windows, not yet).
var ErrWindowPosition = errors.New("window positions are not available on this display")
