package usage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/codextray/codextray/core/sqlitefile"
	// also the database/sql driver "sqlite"
)

// Retention is how long samples are kept.
const Retention = 90 * 24 * time.Hour

// Store is the usage database: a file of its own beside the chat history
// (usage.db next to history.db). It is separate so that the tray's
// minute-by-minute writes never wait on the chat's, a newer or damaged
// chat history never keeps usage from being recorded (and the other way
// round), and each prunes on its own schedule.
type Store struct {
	db  *sql.DB
	now func() time.Time
	// Recovered is a sentence for the user when Open found an unreadable
	// file and moved it aside.
	Recovered string
}

// Sample is one reading of one window.
type Sample struct {
	At          time.Time `json:"at"`
	Window      string    `json:"window"` // Window.Key
	Label       string    `json:"label"`
	Minutes     int       `json:"window_minutes,omitempty"`
	UsedPercent float64   `json:"used_percent"`
	ResetsAt    time.Time `json:"resets_at,omitzero"`
}

// DefaultPath is usage.db in dir (the app's data directory, where the chat
// history lives too).
func DefaultPath(dir string) string { return filepath.Join(dir, "usage.db") }

const schema = `
CREATE TABLE IF NOT EXISTS samples(
	window TEXT NOT NULL,
	at INTEGER NOT NULL,          -- unix milliseconds
	label TEXT NOT NULL,
	minutes INTEGER NOT NULL,
	used REAL NOT NULL,
	resets_at INTEGER NOT NULL,   -- unix seconds, 0 when unknown
	PRIMARY KEY(window, at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS samples_by_time ON samples(at);
-- small documents: the notification memory, the pending redeem
CREATE TABLE IF NOT EXISTS state(
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);`

// Open opens (creating if needed) the database at path. Only a file that
// SQLite reports damaged or not a database, and a full integrity check
// confirms so, is set aside (under a name of its own, never deleted) for a
// new one; a busy, read-only or full disk is an error that changes nothing,
// as with the chat history.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the usage history: %w", err)
	}
	s, err := open(ctx, path)
	if err == nil {
		return s, nil
	}
	if !sqlitefile.ReportedCorrupt(err) || !sqlitefile.ConfirmCorrupt(ctx, sqlitefile.ReadOnlyDSN(path, busyTimeout)) {
		return nil, fmt.Errorf("cannot open the usage history %s: %w", path, err)
	}
	aside, aerr := sqlitefile.SetAside(path)
	if aerr != nil {
		return nil, fmt.Errorf("the usage history is damaged (%v) and could not be set aside: %w", err, aerr)
	}
	s, err2 := open(ctx, path)
	if err2 != nil {
		return nil, fmt.Errorf("cannot create a new usage history: %w", err2)
	}
	s.Recovered = fmt.Sprintf("The usage history was unreadable (%v). It was moved to %s and a new one was started.", err, aside)
	return s, nil
}

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 5 * time.Second

func open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if err := sqlitefile.QuickCheck(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Record stores one sample of every window read at t, and prunes samples
// older than Retention. A second reading at the same millisecond is
// ignored (two processes may record the same answer).
func (s *Store) Record(ctx context.Context, t time.Time, ws []Window) error {
	if len(ws) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("cannot record usage: %w", err)
	}
	defer tx.Rollback()
	for _, w := range ws {
		var reset int64
		if !w.ResetsAt.IsZero() {
			reset = w.ResetsAt.Unix()
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO samples(window, at, label, minutes, used, resets_at) VALUES (?, ?, ?, ?, ?, ?)`,
			w.Key, t.UnixMilli(), w.Label, w.Minutes, w.UsedPercent, reset); err != nil {
			return fmt.Errorf("cannot record usage: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM samples WHERE at < ?`, t.Add(-Retention).UnixMilli()); err != nil {
		return fmt.Errorf("cannot prune the usage history: %w", err)
	}
	return tx.Commit()
}

// Samples returns the samples taken at or after since, oldest first, of
// every window, or of the windows named.
func (s *Store) Samples(ctx context.Context, since time.Time, windows ...string) ([]Sample, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT window, at, label, minutes, used, resets_at FROM samples WHERE at >= ? ORDER BY at, window`, since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	want := map[string]bool{}
	for _, w := range windows {
		want[w] = true
	}
	var out []Sample
	for rows.Next() {
		var sm Sample
		var at, reset int64
		if err := rows.Scan(&sm.Window, &at, &sm.Label, &sm.Minutes, &sm.UsedPercent, &reset); err != nil {
			return nil, err
		}
		if len(want) > 0 && !want[sm.Window] {
			continue
		}
		sm.At = time.UnixMilli(at)
		if reset > 0 {
			sm.ResetsAt = time.Unix(reset, 0)
		}
		out = append(out, sm)
	}
	return out, rows.Err()
}

// ByWindow groups samples by window key, each oldest first.
func ByWindow(samples []Sample) map[string][]Sample {
	out := map[string][]Sample{}
	for _, s := range samples {
		out[s.Window] = append(out[s.Window], s)
	}
	return out
}

// getState reads a state document into v; ok is false when there is none.
func (s *Store) getState(ctx context.Context, key string, v any) (ok bool, err error) {
	var raw string
	err = s.db.QueryRowContext(ctx, `SELECT value FROM state WHERE key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return false, fmt.Errorf("the stored %s is unreadable: %w", key, err)
	}
	return true, nil
}

func (s *Store) putState(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, string(raw))
	return err
}
