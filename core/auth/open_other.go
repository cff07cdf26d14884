//go:build !windows

package auth

import "os"

// openAuthFile opens auth.json for reading. Elsewhere than on Windows an
// open file never stands in the way of a rename over it.
func openAuthFile(path string) (*os.File, error) { return os.Open(path) }
