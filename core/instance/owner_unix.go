//go:build unix

package instance

import (
	"io/fs"
	"syscall"
)

// checkMode: on Unix a folder's mode says who may enter it.
const checkMode = true

// fileOwner is the uid owning fi's file.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
