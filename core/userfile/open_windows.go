//go:build windows

package userfile

import (
	"os"

	"golang.org/x/sys/windows"
)

// openReadOnly opens path for reading and lets other programs rename over
// it or delete it meanwhile (FILE_SHARE_DELETE), as Rust's File::open does
// for Codex. Go's os.Open leaves that share out, and Windows then refuses
// Codex's rename of a new login over auth.json for as long as Codex Tray
// has the file open: Codex's write would fail after it had spent the
// refresh token.
func openReadOnly(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
