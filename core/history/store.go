// Package history keeps conversations in an embedded SQLite database
// (modernc.org/sqlite, pure Go) in WAL mode: conversations, messages with
// their state, attachments stored once per content hash, full-text search.
// A streaming answer is saved as it grows, so a crash loses at most a
// second of it.
package history

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/codextray/codextray/core/sqlitefile"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Message states.
const (
	StateComplete    = "complete"
	StateStreaming   = "streaming"
	StateInterrupted = "interrupted"
	StateFailed      = "failed"
)

// staleAfter: a message still marked streaming whose writer has not saved it
// for this long was cut off by a crash; it shows as interrupted.
const staleAfter = 3 * time.Second

// writerGone reports whether the process streaming a message is gone: it no
// longer exists, or (where that cannot be told, or the pid was reused) it
// has not saved for staleAfter.
func writerGone(pid int64, updated time.Time) bool {
	if pid > 0 && pid != int64(os.Getpid()) && !processAlive(int(pid)) {
		return true
	}
	return time.Since(updated) > staleAfter
}

// Store is the history database.
type Store struct {
	db   *sql.DB
	path string
	// Recovered is set when Open found a database SQLite reports as corrupt
	// (and an integrity check confirmed it) and set it aside: a sentence for
	// the user naming where it went.
	Recovered string
	// ReadOnly is set when the database or its folder cannot be written:
	// a sentence for the user saying that conversations are shown but new
	// ones are not saved. Every write then fails with ErrReadOnly.
	ReadOnly string
}

// Conversation is one conversation in the sidebar.
type Conversation struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Messages  int       `json:"messages"`
	SessionID string    `json:"session_id,omitempty"`
}

// Attachment is an image sent with a message.
type Attachment struct {
	Hash string `json:"sha256"`
	MIME string `json:"mime"`
	Name string `json:"name,omitempty"`
	Data []byte `json:"-"`
}

// Message is one turn of a conversation.
type Message struct {
	ID             int64        `json:"id"`
	ConversationID int64        `json:"conversation_id"`
	Role           string       `json:"role"` // "user" or "assistant"
	Text           string       `json:"text"`
	Reasoning      string       `json:"reasoning,omitempty"`
	Model          string       `json:"model,omitempty"`
	Effort         string       `json:"effort,omitempty"`
	Usage          string       `json:"usage,omitempty"` // JSON, as the provider reported it
	State          string       `json:"state"`
	Error          string       `json:"error,omitempty"`
	Items          string       `json:"-"` // JSON of output items to echo in the next turn (reasoning with encrypted_content)
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	Attachments    []Attachment `json:"attachments,omitempty"`
}

// DefaultPath is history.db in dir (the app's data directory).
func DefaultPath(dir string) string { return filepath.Join(dir, "history.db") }

// Open opens (creating if needed) the database at path.
//
// History is never moved, replaced or deleted because an operation failed:
// a database that is busy (locked by another program for longer than
// BusyTimeout), read-only or on a full disk is left alone and Open returns
// an error saying so (errors.Is ErrBusy, ErrReadOnly or ErrDiskFull). A
// database that cannot be written but can be read opens read-only, with
// Store.ReadOnly saying so. Only a file SQLite itself reports as corrupt,
// confirmed by a full integrity check, is set aside under a name no other
// file has, and a fresh database takes its place; Store.Recovered then says
// where it went.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, classify("cannot create the history folder "+dir, err)
	}
	keepPrivate(dir, path)
	// SQLite opens a file it cannot write read-only without a word, and
	// every save would then fail: find out first.
	err := writable(path)
	var s *Store
	if err == nil {
		if s, err = openWaiting(ctx, path, o); err == nil {
			return s, nil
		}
	}
	var newer *newerSchemaError
	if errors.As(err, &newer) {
		return nil, err
	}
	switch {
	case errors.Is(err, ErrReadOnly):
		ro, rerr := openReadOnly(ctx, path, o)
		if rerr != nil {
			return nil, err
		}
		ro.ReadOnly = fmt.Sprintf("The history database %s is read-only: saved conversations are shown, but new ones are not saved. Make the file and its folder writable to save them again.", path)
		return ro, nil
	case !reportedCorrupt(err):
		return nil, err
	}
	if !sqlitefile.ConfirmCorrupt(ctx, dsn(path, modeReadOnly, o)) {
		return nil, fmt.Errorf("SQLite reported the history database %s as damaged, but a full integrity check found it sound, so it was left as it is: %w", path, err)
	}
	aside, merr := sqlitefile.SetAside(path)
	if merr != nil {
		return nil, fmt.Errorf("the history database %s is damaged (%v) and could not be set aside: %w; nothing was changed", path, shortErr(causeOf(err)), merr)
	}
	s, err2 := open(ctx, path, modeReadWrite, o)
	if err2 != nil {
		return nil, fmt.Errorf("the damaged history database was set aside as %s, but a new one cannot be started: %w", aside, err2)
	}
	s.Recovered = fmt.Sprintf("The history database was damaged (%s). It was moved to %s, where it is kept, and a new one was started.", shortErr(causeOf(err)), aside)
	return s, nil
}

type newerSchemaError struct{ error }

func (e *newerSchemaError) Unwrap() error { return e.error }

// BusyTimeout is how long an operation waits for a database another program
// has locked before it fails with ErrBusy. A turn's answer is saved every
// SaveInterval, so another Codex Tray holds the lock for milliseconds; five
// seconds covers a slow disk without leaving the user waiting long.
const BusyTimeout = 5 * time.Second

type openMode int

const (
	modeReadWrite openMode = iota
	modeReadOnly           // SQLite's mode=ro: the file and its -wal/-shm are not written
	modeImmutable          // a read-only folder without a -wal: read the file as it is
)

// Option changes how Open opens the database.
type Option func(*options)

type options struct {
	pragmas []string
}

// WithPragmas runs pragmas ("name(value)", like the DSN's _pragma) on every
// connection after the store's own. Tests set max_page_count to have SQLite
// report a full disk the way a real one does.
func WithPragmas(pragmas ...string) Option {
	return func(o *options) { o.pragmas = append(o.pragmas, pragmas...) }
}

func dsn(path string, mode openMode, o options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	switch mode {
	case modeReadWrite:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// A transaction takes the write lock when it begins, waiting for
		// it: a deferred one that reads first and then writes fails at once
		// (SQLITE_BUSY, no wait) when another process wrote meanwhile.
		q.Set("_txlock", "immediate")
	case modeReadOnly:
		q.Set("mode", "ro")
	case modeImmutable:
		q.Set("mode", "ro")
		q.Set("immutable", "1")
	}
	for _, p := range o.pragmas {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func open(ctx context.Context, path string, mode openMode, o options) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(path, mode, o))
	if err != nil {
		return nil, classifyAt(path, "cannot open the history database "+path, err)
	}
	if err := sqlitefile.QuickCheck(ctx, db); err != nil {
		db.Close()
		if sqlitefile.ReportedCorrupt(err) {
			return nil, err
		}
		return nil, classifyAt(path, "cannot read the history database "+path, err)
	}
	if err := migrate(ctx, db, mode != modeReadWrite); err != nil {
		db.Close()
		var newer *newerSchemaError
		if errors.As(err, &newer) {
			return nil, err
		}
		return nil, classifyAt(path, "cannot update the history database "+path, err)
	}
	return &Store{db: db, path: path}, nil
}

// openWaiting opens path read-write, trying again while it is busy until
// BusyTimeout has passed. SQLite waits on a lock by itself (busy_timeout)
// except where waiting could deadlock, as when a new database is put in
// WAL mode while another process creates it: it then answers busy at once.
func openWaiting(ctx context.Context, path string, o options) (*Store, error) {
	deadline := time.Now().Add(BusyTimeout)
	for {
		s, err := open(ctx, path, modeReadWrite, o)
		if err == nil || !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(busyRetry):
		}
	}
}

// busyRetry is how often openWaiting tries again.
const busyRetry = 20 * time.Millisecond

// openReadOnly opens a database that cannot be written, to show what it
// holds: with SQLite's mode=ro, or, when even that needs to write (a WAL
// database's -shm in a read-only folder) and no -wal holds unmerged
// changes, as an immutable file.
func openReadOnly(ctx context.Context, path string, o options) (*Store, error) {
	s, err := open(ctx, path, modeReadOnly, o)
	if err == nil {
		return s, nil
	}
	if _, werr := os.Lstat(path + "-wal"); !errors.Is(werr, os.ErrNotExist) {
		return nil, err
	}
	return open(ctx, path, modeImmutable, o)
}

// writable opens path for writing, creating nothing: an error of kind
// ErrReadOnly when the file cannot be written. Anything but a regular file
// there (a FIFO would hang SQLite's first read) is refused unopened.
func writable(path string) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("cannot open the history database %s: it is not a regular file (%v); move it away and start again", path, fi.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // SQLite creates it, or says why not
		}
		return classify("cannot write the history database "+path, err)
	}
	return f.Close()
}

// keepPrivate makes the history's folder 0700 and the database with its
// WAL and shared-memory files 0600: they hold the user's conversations.
// SQLite creates the -wal and -shm files with the database's mode, so a
// database created 0600 here keeps them 0600 too. Failures are left to
// the open that follows, which says what is wrong.
func keepPrivate(dir, path string) {
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = os.Chmod(dir, fi.Mode().Perm()&0o700)
	}
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
		return
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Lstat(path + suffix); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(path+suffix, fi.Mode().Perm()&0o700)
		}
	}
}

func shortErr(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " ("); i > 0 && len(msg) > 120 {
		msg = msg[:i]
	}
	return msg
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func ms(t time.Time) int64     { return t.UnixMilli() }
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
func now() int64               { return time.Now().UnixMilli() }
func titleFrom(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	if text == "" {
		return "New conversation"
	}
	return text
}

// NewConversation starts a conversation titled from its first message.
func (s *Store) NewConversation(ctx context.Context, firstMessage string) (int64, error) {
	return s.StartConversation(ctx, firstMessage, "")
}

// StartConversation starts a conversation titled from its first message,
// with the backend session id its turns use.
func (s *Store) StartConversation(ctx context.Context, firstMessage, sessionID string) (int64, error) {
	t := now()
	res, err := s.db.ExecContext(ctx, `INSERT INTO conversations(title, created_at, updated_at, session_id) VALUES (?, ?, ?, ?)`, titleFrom(firstMessage), t, t, sessionID)
	if err != nil {
		return 0, s.classify("cannot save the conversation", err)
	}
	return res.LastInsertId()
}

// Rename sets a conversation's title.
func (s *Store) Rename(ctx context.Context, id int64, title string) error {
	title = strings.TrimSpace(title)
	if title == "" {
		return errors.New("a title cannot be empty")
	}
	return s.exec1(ctx, `UPDATE conversations SET title = ? WHERE id = ?`, title, id)
}

// Delete hides a conversation; Undelete brings it back. Purge removes what
// was deleted before a time for good.
func (s *Store) Delete(ctx context.Context, id int64) error {
	return s.exec1(ctx, `UPDATE conversations SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, now(), id)
}

// Undelete undoes Delete.
func (s *Store) Undelete(ctx context.Context, id int64) error {
	return s.exec1(ctx, `UPDATE conversations SET deleted_at = NULL WHERE id = ?`, id)
}

// Purge removes conversations deleted before t, and blobs nothing uses.
func (s *Store) Purge(ctx context.Context, before time.Time) error {
	if s.ReadOnly != "" {
		return nil // nothing can be purged; the deleted stay hidden
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?`, ms(before)); err != nil {
		return s.classify("cannot purge deleted conversations", err)
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM blobs WHERE hash NOT IN (SELECT hash FROM attachments)`)
	return s.classify("cannot purge deleted conversations", err)
}

func (s *Store) exec1(ctx context.Context, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return s.classify("cannot change the conversation", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ErrNotFound: no such conversation.
var ErrNotFound = errors.New("no such conversation")

// Conversations lists conversations, newest first.
func (s *Store) Conversations(ctx context.Context, limit, offset int) ([]Conversation, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.title, c.created_at, c.updated_at,
		(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
		FROM conversations c WHERE c.deleted_at IS NULL ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, s.classify("cannot list the conversations", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		var c Conversation
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Title, &created, &updated, &c.Messages); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Conversation returns one conversation and its messages, attachments
// included, oldest first.
func (s *Store) Conversation(ctx context.Context, id int64) (Conversation, []Message, error) {
	var c Conversation
	var created, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT id, title, created_at, updated_at, session_id FROM conversations WHERE id = ? AND deleted_at IS NULL`, id).
		Scan(&c.ID, &c.Title, &created, &updated, &c.SessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil, ErrNotFound
	}
	if err != nil {
		return c, nil, s.classify("cannot read the conversation", err)
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	rows, err := s.db.QueryContext(ctx, `SELECT id, role, text, reasoning, model, effort, usage, state, error, items, created_at, updated_at, writer_pid
		FROM messages WHERE conversation_id = ? ORDER BY id`, id)
	if err != nil {
		return c, nil, err
	}
	var msgs []Message
	byID := map[int64]int{}
	for rows.Next() {
		m := Message{ConversationID: id}
		var created, updated, writer int64
		if err := rows.Scan(&m.ID, &m.Role, &m.Text, &m.Reasoning, &m.Model, &m.Effort, &m.Usage, &m.State, &m.Error, &m.Items, &created, &updated, &writer); err != nil {
			rows.Close()
			return c, nil, err
		}
		m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
		if m.State == StateStreaming && writerGone(writer, m.UpdatedAt) {
			m.State = StateInterrupted
		}
		byID[m.ID] = len(msgs)
		msgs = append(msgs, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, nil, err
	}
	c.Messages = len(msgs)
	arows, err := s.db.QueryContext(ctx, `SELECT a.message_id, a.hash, a.name, b.mime, b.data FROM attachments a
		JOIN blobs b ON b.hash = a.hash JOIN messages m ON m.id = a.message_id
		WHERE m.conversation_id = ? ORDER BY a.message_id, a.position`, id)
	if err != nil {
		return c, nil, err
	}
	defer arows.Close()
	for arows.Next() {
		var mid int64
		var a Attachment
		if err := arows.Scan(&mid, &a.Hash, &a.Name, &a.MIME, &a.Data); err != nil {
			return c, nil, err
		}
		if i, ok := byID[mid]; ok {
			msgs[i].Attachments = append(msgs[i].Attachments, a)
		}
	}
	return c, msgs, arows.Err()
}

// AddMessage appends a complete message (a user turn, typically) with its
// attachments, in one transaction.
func (s *Store) AddMessage(ctx context.Context, m Message) (int64, error) {
	if m.State == "" {
		m.State = StateComplete
	}
	id, err := s.addMessage(ctx, m)
	return id, s.classify("cannot save the message", err)
}

func (s *Store) addMessage(ctx context.Context, m Message) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	t := now()
	res, err := tx.ExecContext(ctx, `INSERT INTO messages(conversation_id, role, text, reasoning, model, effort, usage, state, error, items, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ConversationID, m.Role, m.Text, m.Reasoning, m.Model, m.Effort, m.Usage, m.State, m.Error, m.Items, t, t)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	for i, a := range m.Attachments {
		hash := a.Hash
		if hash == "" {
			sum := sha256.Sum256(a.Data)
			hash = hex.EncodeToString(sum[:])
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO blobs(hash, mime, data) VALUES (?, ?, ?)`, hash, a.MIME, a.Data); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachments(message_id, position, hash, name) VALUES (?, ?, ?, ?)`, id, i, hash, a.Name); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = ? WHERE id = ?`, t, m.ConversationID); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// SaveProgress stores a streaming answer's text so far (and keeps the
// message marked streaming, with a fresh timestamp).
func (s *Store) SaveProgress(ctx context.Context, id int64, text, reasoning string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE messages SET text = ?, reasoning = ?, updated_at = ? WHERE id = ?`, text, reasoning, now(), id)
	return s.classify("cannot save the answer", err)
}

// touch keeps a streaming answer marked as alive without rewriting its
// text (and its search index).
func (s *Store) touch(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE messages SET updated_at = ? WHERE id = ?`, now(), id)
	return s.classify("cannot save the answer", err)
}

// Finish stores a message's final text and state.
func (s *Store) Finish(ctx context.Context, m Message) error {
	t := now()
	_, err := s.db.ExecContext(ctx, `UPDATE messages SET text = ?, reasoning = ?, usage = ?, state = ?, error = ?, items = ?, updated_at = ? WHERE id = ?`,
		m.Text, m.Reasoning, m.Usage, m.State, m.Error, m.Items, t, m.ID)
	if err != nil {
		return s.classify("cannot save the answer", err)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE conversations SET updated_at = ? WHERE id = ?`, t, m.ConversationID)
	return s.classify("cannot save the answer", err)
}
