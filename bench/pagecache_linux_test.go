package bench

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dropCached writes back the file at path and drops the page cache's copy
// of it, so that the program's next start reads it from disk, as a start
// after a boot does. The RSS figures need this: a program's mapped code
// is the pages it touched and, around each, those the page cache already
// holds, so a binary fresh from the build (all of it cached) measured up
// to 10 MB more than the same binary read from disk. It fails when the
// file stays cached (a file system that keeps files in memory, such as
// tmpfs, or another process mapping it).
func dropCached(b *testing.B, path string) {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		b.Fatalf("writing back %s: %v", path, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatalf("dropping %s from the page cache: %v", path, err)
	}
	if share := cachedShare(b, f); share > 0.1 {
		b.Fatalf("%.0f %% of %s is still in the page cache after dropping it (a tmpfs, or a process still running it?): "+
			"its RSS would count pages as the build left them, not as a start reads them", share*100, path)
	}
}

// cachedShare is the share of f's pages in the page cache (mincore).
func cachedShare(b *testing.B, f *os.File) float64 {
	b.Helper()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	size := int(st.Size())
	if size == 0 {
		return 0
	}
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		b.Fatalf("mapping %s: %v", f.Name(), err)
	}
	defer func() { _ = unix.Munmap(m) }()
	page := os.Getpagesize()
	vec := make([]byte, (size+page-1)/page)
	// x/sys has no wrapper for mincore(2).
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		b.Fatalf("mincore %s: %v", f.Name(), errno)
	}
	cached := 0
	for _, v := range vec {
		cached += int(v & 1)
	}
	return float64(cached) / float64(len(vec))
}
