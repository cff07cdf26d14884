//go:build !linux

package auth

// StartReadWatch needs inotify, which only Linux has: macOS's FSEvents and
// Windows's change notifications do not report openings. Elsewhere a
// refresh cannot see Codex's unlocked re-read and does not wait for it.
func StartReadWatch(home, dir string) (*ReadWatch, error) {
	return nil, ErrReadWatchUnsupported
}
