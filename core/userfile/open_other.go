//go:build !windows

package userfile

import "os"

// openReadOnly opens path for reading without blocking on a FIFO swapped
// in after the check.
func openReadOnly(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|nonBlocking, 0)
}
