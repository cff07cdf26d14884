//go:build windows

package instance

import (
	"errors"
	"syscall"
)

// wsaeafnosupport is WSAEAFNOSUPPORT: Winsock without AF_UNIX (Windows
// before 10 version 1803, Wine 8).
const wsaeafnosupport syscall.Errno = 10047

// socketsUnsupported reports whether err says the system has no AF_UNIX
// sockets.
func socketsUnsupported(err error) bool { return errors.Is(err, wsaeafnosupport) }
