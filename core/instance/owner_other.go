//go:build !unix

package instance

import "io/fs"

// checkMode: Windows folders have ACLs, not a Unix mode; the user's temp
// folder is already private to the user there.
const checkMode = false

// fileOwner: not known from a FileInfo on this system.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }
