//go:build !linux

package bench

import "testing"

// dropCached is Linux's: elsewhere the figures count the program's pages
// as the page cache holds them.
func dropCached(b *testing.B, path string) {
	b.Helper()
	b.Logf("%s stays in the page cache: dropping it is done on Linux only", path)
}
