package history

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/codextray/codextray/core/sqlitefile"
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
	var ce *sqlitefile.CorruptError
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

// reportedCorrupt is sqlitefile.ReportedCorrupt for a failure that is not
// one of the kinds that leave the history as it is (busy, read-only, full).
func reportedCorrupt(err error) bool {
	return kindOf(err) == nil && sqlitefile.ReportedCorrupt(err)
}
