//go:build !unix && !windows

package userfile

// nonBlocking: these systems have no FIFOs in the file system to block on
// (Windows opens files in open_windows.go).
const nonBlocking = 0
