package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The kinds of failure that leave the history as it is. Errors of the store
// wrap one of them (test with errors.Is) along with SQLite's own error.
var (
	// ErrBusy: another program kept the database locked for longer than
	// BusyTimeout.
	ErrBusy = errors.New("the history database is in use by another program")
	// ErrReadOnly: the database or its folder cannot be written.
	ErrReadOnly = errors.New("the history database is read-only")
	// ErrDiskFull: the disk (or the user's quota) is full.
	ErrDiskFull = errors.New("the disk is full")
)

// storeError is a failed operation of the store: what failed, the kind of
// failure when it is one the user can act on, and the cause.
type storeError struct {
	what string
	kind error // ErrBusy, ErrReadOnly, ErrDiskFull or nil
	err  error
}

func (e *storeError) Error() string {
	switch e.kind {
	case ErrBusy:
		return fmt.Sprintf("%s: %v and stayed locked for %s; try again when it is done", e.what, e.kind, BusyTimeout)
	case ErrReadOnly:
		return fmt.Sprintf("%s: %v (%v); check that the file and its folder are writable", e.what, e.kind, shortErr(e.err))
	case ErrDiskFull:
		return fmt.Sprintf("%s: %v; free some space", e.what, e.kind)
	}
	return fmt.Sprintf("%s: %v", e.what, e.err)
}

func (e *storeError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// classify wraps err of an operation described by what, naming its kind.
// An error already classified is returned as it is.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *storeError
	var ce *corruptError
	if errors.As(err, &se) || errors.As(err, &ce) {
		return err
	}
	return &storeError{what: what, kind: kindOf(err), err: err}
}

// classify is classifyAt for the store's database.
func (s *Store) classify(what string, err error) error { return classifyAt(s.path, what, err) }

// classifyAt is classify for an operation on the database at path: a
// disk I/O error while its disk has (almost) no space left is a full disk.
// SQLite says SQLITE_FULL only when a write comes up short; growing the
// shared-memory file on a full disk fails as an I/O error instead.
func classifyAt(path, what string, err error) error {
	err = classify(what, err)
	var se *storeError
	if errors.As(err, &se) && se.kind == nil && isIOErr(se.err) && lowOnSpace(filepath.Dir(path)) {
		se.kind = ErrDiskFull
	}
	return err
}

func isIOErr(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_IOERR
}

// causeOf is SQLite's own error inside a classified one.
func causeOf(err error) error {
	var se *storeError
	if errors.As(err, &se) {
		return se.err
	}
	return err
}

// kindOf tells busy, read-only and full-disk failures, from SQLite's result
// code or the system's.
func kindOf(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return ErrBusy
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
			return ErrReadOnly
		case sqlite3.SQLITE_FULL:
			return ErrDiskFull
		case sqlite3.SQLITE_CANTOPEN:
			// SQLite cannot open the file or create its -wal/-shm: a
			// read-only file or folder, as far as the user can act on it.
			return ErrReadOnly
		}
	}
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return ErrReadOnly
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return ErrDiskFull
	}
	return nil
}

// corruptError: quick_check answered something other than "ok".
type corruptError struct{ check string }

func (e *corruptError) Error() string { return "integrity check: " + e.check }

// reportedCorrupt is whether SQLite itself said the file is damaged or not
// a database (SQLITE_CORRUPT, SQLITE_NOTADB, or a failed quick_check). Any
// other failure leaves the file alone.
func reportedCorrupt(err error) bool {
	var ce *corruptError
	if errors.As(err, &ce) {
		return true
	}
	if kindOf(err) != nil {
		return false
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// confirmCorrupt runs SQLite's full integrity check on path, on a
// connection of its own that changes nothing: true only when it fails
// because the file is damaged or not a database, or finds a problem.
func confirmCorrupt(ctx context.Context, path string) bool {
	db, err := sql.Open("sqlite", dsn(path, modeReadOnly))
	if err != nil {
		return false
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return reportedCorrupt(err)
	}
	defer rows.Close()
	var first string
	if rows.Next() {
		if err := rows.Scan(&first); err != nil {
			return reportedCorrupt(err)
		}
	}
	if err := rows.Err(); err != nil {
		return reportedCorrupt(err)
	}
	return first != "" && first != "ok"
}

// setAside moves a damaged database (with its -wal and -shm) to
// <path>.corrupt-<UTC time>[-N], a name no file has: it is linked to the
// new name first, which fails rather than replace a file, and only then
// unlinked from the old one, so no step can lose it. The file must still be
// the one that was checked: a database another process started meanwhile
// is left in place.
func setAside(path string) (string, error) {
	checked, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !checked.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for n := 1; n <= 100; n++ {
		aside := path + ".corrupt-" + stamp
		if n > 1 {
			aside += fmt.Sprintf("-%d", n)
		}
		if taken(aside) {
			continue
		}
		if err := os.Link(path, aside); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return "", err
		}
		if now, err := os.Lstat(aside); err != nil || !os.SameFile(now, checked) {
			// Another process replaced the database between the check and
			// the link: keep the new one, drop only the extra name.
			_ = os.Remove(aside)
			return "", fmt.Errorf("%s changed while it was being checked", path)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Link(path+suffix, aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		for _, suffix := range []string{"-wal", "-shm", ""} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		return aside, nil
	}
	return "", fmt.Errorf("too many damaged copies of %s are kept beside it", path)
}

// taken is whether name, or its -wal or -shm, exists.
func taken(name string) bool {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Lstat(name + suffix); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}
