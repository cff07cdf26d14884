package platform

import "errors"

// ErrWindowPosition means a window's position cannot be read or set here
// (a native Wayland build, where clients may not place windows), or that a
// saved position is on no monitor now.
var ErrWindowPosition = errors.New("window positions are not available on this display")
