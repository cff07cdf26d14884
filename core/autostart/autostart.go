// Package autostart owns the "Start at login" entry of Codex Tray: an XDG
// autostart .desktop file on Linux and the BSDs, a LaunchAgent plist on
// macOS, the HKCU\…\Run value on Windows. Disable removes exactly what
// Enable created and nothing else. It does not import Fyne.
package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/codextray/codextray/core/userfile"
)

// The identity under which the entry is written; ID matches FyneApp.toml.
const (
	ID   = "io.github.codextray.codextray"
	Name = "Codex Tray"
)

// ErrNotOurs is returned by Enable when an entry of the same name exists that
// Codex Tray did not write: it is left alone rather than overwritten.
var ErrNotOurs = errors.New("a start-at-login entry of the same name exists that Codex Tray did not create")

// ErrUnsupported is returned where the system has no start-at-login mechanism
// that this package knows.
var ErrUnsupported = errors.New("start at login is not supported on this system")

// checkExe insists on an absolute program path: a login session starts with
// a working directory and PATH of its own.
func checkExe(exe string) error {
	if exe == "" || !filepath.IsAbs(exe) {
		return fmt.Errorf("start at login needs the program's absolute path, not %q", exe)
	}
	return nil
}

// fileEntry is a start-at-login entry that is one file: the XDG autostart
// .desktop file and the macOS LaunchAgent share this logic.
type fileEntry struct {
	path string
	// render returns the file's content; createdDir records that Enable
	// created the directory, so that Disable can remove it again.
	render func(exe string, createdDir bool) []byte
	// parse reports whether content is ours, whether it is in effect, and
	// whether Enable had created the directory.
	parse func(content []byte) (ours, active, createdDir bool)
}

// maxEntrySize bounds a start-at-login entry: ours is a few hundred bytes.
const maxEntrySize = 64 << 10

func (e fileEntry) enabled() (bool, error) {
	b, err := userfile.Read(e.path, maxEntrySize)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read start-at-login entry: %w", err)
	}
	ours, active, _ := e.parse(b)
	return ours && active, nil
}

func (e fileEntry) enable(exe string) error {
	if err := checkExe(exe); err != nil {
		return err
	}
	dir := filepath.Dir(e.path)
	createdDir := false
	switch b, err := userfile.Read(e.path, maxEntrySize); {
	case err == nil:
		ours, _, created := e.parse(b)
		if !ours {
			return fmt.Errorf("%w: %s", ErrNotOurs, e.path)
		}
		createdDir = created
	case errors.Is(err, os.ErrNotExist):
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", dir, err)
			}
			createdDir = true
		}
	default:
		return fmt.Errorf("read start-at-login entry: %w", err)
	}
	return writeAtomic(e.path, e.render(exe, createdDir))
}

func (e fileEntry) disable() error {
	b, err := userfile.Read(e.path, maxEntrySize)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read start-at-login entry: %w", err)
	}
	ours, _, createdDir := e.parse(b)
	if !ours {
		return nil // not created by Enable: not ours to remove
	}
	if err := os.Remove(e.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove start-at-login entry: %w", err)
	}
	if createdDir {
		_ = os.Remove(filepath.Dir(e.path)) // only if still empty: others may have added entries since
	}
	return nil
}

// writeAtomic writes through a temp file in the same directory so that a
// session starting meanwhile never reads half an entry.
func writeAtomic(path string, content []byte) error {
	if err := userfile.WriteAtomic(path, content, userfile.Atomic{Perm: 0o644}); err != nil {
		return fmt.Errorf("write start-at-login entry: %w", err)
	}
	return nil
}

// lines splits content into trimmed lines.
func lines(content []byte) []string {
	return strings.Split(strings.ReplaceAll(string(content), "\r\n", "\n"), "\n")
}
