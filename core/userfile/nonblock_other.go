//go:build !unix

package userfile

// nonBlocking: Windows has no FIFOs in the file system to block on.
const nonBlocking = 0
