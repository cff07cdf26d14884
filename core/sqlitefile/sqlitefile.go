// Package sqlitefile is what the app's SQLite files (the chat history and
// the usage history) share about a damaged file: telling damage from any
// other failure, confirming it with the full integrity check, and setting
// the file aside under a name of its own, never deleting or replacing it.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// CorruptError is a quick_check that answered something other than "ok".
type CorruptError struct{ Check string }

func (e *CorruptError) Error() string { return "integrity check: " + e.Check }

// QuickCheck runs PRAGMA quick_check on db: nil when it answers "ok", a
// *CorruptError with its finding otherwise, or SQLite's error.
func QuickCheck(ctx context.Context, db *sql.DB) error {
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return err
	}
	if check != "ok" {
		return &CorruptError{check}
	}
	return nil
}

// ReportedCorrupt is whether SQLite itself said the file is damaged or not
// a database (SQLITE_CORRUPT, SQLITE_NOTADB, or a failed quick_check). Any
// other failure (busy, read-only, a full disk) leaves the file alone.
func ReportedCorrupt(err error) bool {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return true
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

// ReadOnlyDSN opens path read-only, waiting up to busy for a lock.
func ReadOnlyDSN(path string, busy time.Duration) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// ConfirmCorrupt runs SQLite's full integrity check on the database dsn
// opens (ReadOnlyDSN: a connection of its own that changes nothing): true only when it fails
// because the file is damaged or not a database, or finds a problem.
func ConfirmCorrupt(ctx context.Context, dsn string) bool {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return ReportedCorrupt(err)
	}
	defer rows.Close()
	var first string
	if rows.Next() {
		if err := rows.Scan(&first); err != nil {
			return ReportedCorrupt(err)
		}
	}
	if err := rows.Err(); err != nil {
		return ReportedCorrupt(err)
	}
	return first != "" && first != "ok"
}

// SetAside moves a damaged database (with its -wal and -shm) to
// <path>.corrupt-<UTC time>[-N], a name no file has: it is linked to the
// new name first, which fails rather than replace a file, and only then
// unlinked from the old one, so no step can lose it. The file must still be
// the one that was checked: a database another process started meanwhile
// is left in place.
func SetAside(path string) (string, error) {
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
