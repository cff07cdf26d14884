//go:build !windows

package instance

import (
	"errors"
	"syscall"
)

// socketsUnsupported reports whether err says the system has no AF_UNIX
// sockets; every Unix has them.
func socketsUnsupported(err error) bool { return errors.Is(err, syscall.EAFNOSUPPORT) }
