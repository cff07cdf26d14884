package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations take the database from version i to i+1. Never edit one that
// has shipped; add a new one.
var migrations = []string{
	// 1: conversations and plain messages.
	`CREATE TABLE conversations(
		id INTEGER PRIMARY KEY,
		title TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE messages(
		id INTEGER PRIMARY KEY,
		conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
		role TEXT NOT NULL,
		text TEXT NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX messages_by_conversation ON messages(conversation_id, id);`,

	// 2: what a turn needs to be shown and continued, attachments stored once
	// per content hash, and soft delete for Undo.
	`ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN model TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN effort TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN usage TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN state TEXT NOT NULL DEFAULT 'complete';
	ALTER TABLE messages ADD COLUMN error TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN items TEXT NOT NULL DEFAULT '';
	ALTER TABLE messages ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
	UPDATE messages SET updated_at = created_at;
	ALTER TABLE conversations ADD COLUMN deleted_at INTEGER;
	CREATE INDEX conversations_by_update ON conversations(deleted_at, updated_at DESC);
	CREATE TABLE blobs(
		hash TEXT PRIMARY KEY,
		mime TEXT NOT NULL,
		data BLOB NOT NULL
	);
	CREATE TABLE attachments(
		message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
		position INTEGER NOT NULL,
		hash TEXT NOT NULL REFERENCES blobs(hash),
		name TEXT NOT NULL DEFAULT '',
		PRIMARY KEY(message_id, position)
	);`,

	// 3: full-text search over messages.
	`CREATE VIRTUAL TABLE messages_fts USING fts5(
		text, reasoning, content='messages', content_rowid='id',
		tokenize='unicode61 remove_diacritics 2'
	);
	CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
		INSERT INTO messages_fts(rowid, text, reasoning) VALUES (new.id, new.text, new.reasoning);
	END;
	CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
		INSERT INTO messages_fts(messages_fts, rowid, text, reasoning) VALUES ('delete', old.id, old.text, old.reasoning);
	END;
	CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, reasoning ON messages BEGIN
		INSERT INTO messages_fts(messages_fts, rowid, text, reasoning) VALUES ('delete', old.id, old.text, old.reasoning);
		INSERT INTO messages_fts(rowid, text, reasoning) VALUES (new.id, new.text, new.reasoning);
	END;
	INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');`,

	// 4: the process writing a streaming answer, so a crash is recognised at
	// once on the next start.
	// The backend session id (prompt_cache_key) of a conversation, so that a
	// continued conversation keeps its cache.
	`ALTER TABLE messages ADD COLUMN writer_pid INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN session_id TEXT NOT NULL DEFAULT '';`,
}

// SchemaVersion is the version this build writes.
var SchemaVersion = len(migrations)

// migrate brings db from whatever version it is at to SchemaVersion. A
// database newer than this build is refused. Several processes may open a
// new database at once (three `codextray chat` started together): the
// version is read again and every step run inside one BEGIN IMMEDIATE
// transaction, which holds SQLite's write lock, so exactly one of them
// migrates and the others, waiting on the lock (BusyTimeout), then find the
// work done. readOnly only checks that no step is missing.
func migrate(ctx context.Context, db *sql.DB, readOnly bool) error {
	v, err := schemaVersion(ctx, db)
	if err == nil && v == SchemaVersion {
		return nil // the usual case: no write lock taken
	}
	if readOnly {
		if err != nil {
			return err
		}
		if v > SchemaVersion {
			return newerSchema(v)
		}
		return fmt.Errorf("the history database is read-only and needs an update (schema %d to %d): %w", v, SchemaVersion, ErrReadOnly)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)`); err != nil {
		return err
	}
	err = conn.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		v = 0
		_, err = conn.ExecContext(ctx, `INSERT INTO schema_version(version) VALUES (0)`)
	}
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return newerSchema(v)
	}
	for from := v; from < SchemaVersion; from++ {
		if _, err := conn.ExecContext(ctx, migrations[from]); err != nil {
			return fmt.Errorf("history schema migration %d→%d: %w", from, from+1, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `UPDATE schema_version SET version = ?`, SchemaVersion); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return err
	}
	committed = true
	return nil
}

// schemaVersion reads the version without taking a lock; an error when the
// database has no version yet.
func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}

func newerSchema(v int) error {
	return &newerSchemaError{fmt.Errorf("the history database is from a newer Codex Tray (schema %d, this one knows %d); update Codex Tray to use it", v, SchemaVersion)}
}

// migrateTo runs the steps from one version to another, one transaction
// each; tests build the databases older builds wrote with it.
func migrateTo(ctx context.Context, db *sql.DB, from, to int) error {
	for v := from; v < to; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("history schema migration %d→%d: %w", v, v+1, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, v+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
