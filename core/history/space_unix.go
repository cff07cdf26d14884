//go:build unix

package history

import "syscall"

// lowSpace: less free than this on the database's disk makes a disk I/O
// error a full disk. SQLite's shared-memory file grows by 32 KiB at a time.
const lowSpace = 1 << 20

// lowOnSpace is whether the disk holding dir has almost no space left for
// the user.
func lowOnSpace(dir string) bool {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return false
	}
	return uint64(st.Bavail)*uint64(st.Bsize) < lowSpace
}
