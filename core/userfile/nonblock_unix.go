//go:build unix

package userfile

import "syscall"

// nonBlocking makes opening a FIFO return at once instead of waiting for
// a writer; on a regular file it changes nothing.
const nonBlocking = syscall.O_NONBLOCK
