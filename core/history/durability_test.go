package history

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noBackups fails if anything was set aside beside path.
func noBackups(t *testing.T, path string) {
	t.Helper()
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Fatalf("the history was set aside: %v", m)
	}
}

// oldDatabase writes a database as a build at schema version `at` left
// it, with one conversation.
func oldDatabase(t *testing.T, path string, at int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	must(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0)`)
	must(t, err)
	must(t, migrateTo(ctx, db, 0, at))
	_, err = db.Exec(`INSERT INTO conversations(id, title, created_at, updated_at) VALUES (1, 'kept talk', 1000, 2000);
		INSERT INTO messages(conversation_id, role, text, created_at) VALUES (1, 'user', 'a question worth keeping', 1000);`)
	must(t, err)
}

// Case 1 of issue 16: a full disk. SQLite's max_page_count makes it answer
// SQLITE_FULL ("database or disk is full") exactly where a full disk would.
// An update that runs out of space must leave the history where it is,
// and so must a save that does.
func TestFullDiskLeavesTheHistoryAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	oldDatabase(t, path, 2) // the full-text index still to build: that needs pages
	before, err := os.ReadFile(path)
	must(t, err)

	noRoom := WithPragmas("max_page_count(1)") // no room for one more page
	for i := 0; i < 2; i++ {                   // twice, as two commands in the same second would
		s, err := Open(ctx, path, noRoom)
		if err == nil {
			s.Close()
			t.Fatal("opened with no room to update the schema")
		}
		if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "disk is full") {
			t.Fatalf("err = %v, want a full disk", err)
		}
		noBackups(t, path)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the database changed")
	}

	// Space freed: the update runs and the conversation is there.
	s, err := Open(ctx, path)
	must(t, err)
	_, msgs, err := s.Conversation(ctx, 1)
	must(t, err)
	if len(msgs) != 1 || msgs[0].Text != "a question worth keeping" {
		t.Fatalf("messages after the disk was full: %+v", msgs)
	}
	pages := 0
	must(t, s.db.QueryRow(`PRAGMA page_count`).Scan(&pages))
	s.Close()

	// The disk fills while saving: the save fails as such, the history stays.
	s, err = Open(ctx, path, WithPragmas(fmt.Sprintf("max_page_count(%d)", pages+2)))
	must(t, err)
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		id, err := s.NewConversation(ctx, "filling")
		if err == nil {
			_, err = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: strings.Repeat("words to fill the disk ", 200)})
		}
		full = err
	}
	s.Close()
	if !errors.Is(full, ErrDiskFull) {
		t.Fatalf("saving on a full disk: %v", full)
	}
	s, err = Open(ctx, path)
	must(t, err)
	defer s.Close()
	if s.Recovered != "" {
		t.Fatalf("recovered: %s", s.Recovered)
	}
	if _, msgs, err := s.Conversation(ctx, 1); err != nil || len(msgs) != 1 {
		t.Fatalf("conversation 1 after a full disk: %v %+v", err, msgs)
	}
	noBackups(t, path)
}

// Case 1, second half: a damaged database is set aside under a name no
// file has; an earlier backup (from the same second) is never replaced.
func TestCorruptBackupNeverReplacesAnother(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.db")
	// Backups an earlier run made this second and the next.
	planted := map[string]string{}
	for _, d := range []time.Duration{0, time.Second} {
		name := path + ".corrupt-" + time.Now().Add(d).UTC().Format("20060102T150405Z")
		planted[name] = "an earlier backup " + name
		must(t, os.WriteFile(name, []byte(planted[name]), 0o600))
	}
	var junks [][]byte
	for i := 0; i < 2; i++ {
		junk := bytes.Repeat([]byte(fmt.Sprintf("damaged %d ", i)), 500)
		junks = append(junks, junk)
		must(t, os.WriteFile(path, junk, 0o600))
		s, err := Open(ctx, path)
		must(t, err)
		if !strings.Contains(s.Recovered, ".corrupt-") {
			t.Fatalf("no notice: %q", s.Recovered)
		}
		s.Close()
	}
	for name, want := range planted {
		if got, _ := os.ReadFile(name); string(got) != want {
			t.Errorf("%s was replaced", filepath.Base(name))
		}
	}
	m, _ := filepath.Glob(path + ".corrupt-*")
	found := 0
	for _, name := range m {
		got, _ := os.ReadFile(name)
		for _, j := range junks {
			if bytes.Equal(got, j) {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("%d of the 2 damaged files kept (%v)", found, m)
	}
}

// Rule of issue 16: an error that SQLite does not call corruption, or that
// the integrity check does not confirm, never moves the file.
func TestUnconfirmedErrorsNeverMoveTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.db")
	must(t, os.Mkdir(path, 0o700)) // a folder where the database goes
	if s, err := Open(ctx, path); err == nil {
		s.Close()
		t.Fatal("opened a folder")
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		t.Fatal("the folder was moved")
	}
	noBackups(t, path)
}

// Case 4: a database another connection keeps locked is waited on for
// BusyTimeout, then reported busy and left as it is; it is never replaced.
func TestBusyDatabaseIsWaitedOnThenReportedBusy(t *testing.T) {
	s, path := openTemp(t)
	id, err := s.NewConversation(ctx, "kept while locked")
	must(t, err)
	s.Close()

	locker, err := sql.Open("sqlite", "file:"+path)
	must(t, err)
	defer locker.Close()
	conn, err := locker.Conn(ctx)
	must(t, err)
	// Exclusive locking mode keeps even readers out, as another program
	// holding the database does.
	_, err = conn.ExecContext(ctx, `PRAGMA locking_mode=EXCLUSIVE`)
	must(t, err)
	_, err = conn.ExecContext(ctx, `BEGIN EXCLUSIVE`)
	must(t, err)
	_, err = conn.ExecContext(ctx, `UPDATE conversations SET title = title`)
	must(t, err)

	start := time.Now()
	s2, err := Open(ctx, path)
	waited := time.Since(start)
	if err == nil {
		s2.Close()
		t.Fatal("opened a database another connection holds")
	}
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "in use by another program") {
		t.Fatalf("err = %v, want busy", err)
	}
	if waited < BusyTimeout-time.Second {
		t.Errorf("gave up after %s, before the busy timeout (%s)", waited, BusyTimeout)
	}
	noBackups(t, path)
	_, err = conn.ExecContext(ctx, `COMMIT`)
	must(t, err)
	conn.Close()
	locker.Close()

	s3, err := Open(ctx, path)
	must(t, err)
	defer s3.Close()
	if c, _, err := s3.Conversation(ctx, id); err != nil || c.Title != "kept while locked" {
		t.Fatalf("after the lock: %v %+v", err, c)
	}
}

// Case 3: several processes open a new database at once. Here they are
// Stores of their own on the same file, each with its own connections, as
// separate processes have; core/cli runs real processes.
func TestParallelFirstOpensMigrateOnce(t *testing.T) {
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "history.db")
		const n = 4
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			go func() {
				<-start
				s, err := Open(ctx, path)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				if s.Recovered != "" {
					errs <- errors.New(s.Recovered)
					return
				}
				id, err := s.NewConversation(ctx, "parallel")
				if err == nil {
					_, err = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: "hello"})
				}
				errs <- err
			}()
		}
		close(start)
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		noBackups(t, path)
		s, err := Open(ctx, path)
		must(t, err)
		list, err := s.Conversations(ctx, 0, 0)
		s.Close()
		must(t, err)
		if len(list) != n {
			t.Fatalf("round %d: %d conversations, want %d", round, len(list), n)
		}
	}
}

// Minor item of issue 16: the database, its WAL and shared memory are the
// user's alone, and so is the folder, even under a permissive umask.
func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Chmod(dir, 0o755))
	path := filepath.Join(dir, "history.db")
	s, err := Open(ctx, path)
	must(t, err)
	defer s.Close()
	_, err = s.NewConversation(ctx, "private")
	must(t, err)
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		must(t, err)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", filepath.Base(name), fi.Mode().Perm())
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("the folder is %v, want 0700", fi.Mode().Perm())
	}

	// An existing database left 0644 by an earlier build is made private.
	s.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Chmod(name, 0o644)
	}
	s2, err := Open(ctx, path)
	must(t, err)
	defer s2.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(name); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s stayed %v", filepath.Base(name), fi.Mode().Perm())
		}
	}
}

// Case 10, history side: an endless answer is stored up to MaxAnswerBytes,
// with a marker saying it was cut.
func TestEndlessAnswerIsCutWithAMarker(t *testing.T) {
	s, _ := openTemp(t)
	id, err := s.NewConversation(ctx, "endless")
	must(t, err)
	d, err := s.BeginAnswer(ctx, id, "m", "")
	must(t, err)
	chunk := strings.Repeat("é", 1000) // two bytes each: the cut must not split one
	for written := 0; written < MaxAnswerBytes+3*len(chunk); written += len(chunk) {
		d.AppendText(chunk)
		d.AppendReasoning(chunk)
	}
	must(t, d.Finish(ctx, StateComplete, "", "", ""))
	_, msgs, err := s.Conversation(ctx, id)
	must(t, err)
	for what, text := range map[string]string{"text": msgs[0].Text, "reasoning": msgs[0].Reasoning} {
		body, ok := strings.CutSuffix(text, CutMarker)
		if !ok {
			t.Errorf("%s: no cut marker", what)
			continue
		}
		if len(body) > MaxAnswerBytes || len(body) < MaxAnswerBytes-2 {
			t.Errorf("%s: %d bytes kept, want %d", what, len(body), MaxAnswerBytes)
		}
		if !strings.HasSuffix(body, "é") {
			t.Errorf("%s: cut inside a character", what)
		}
	}
}

// Minor item of issue 16: export never follows a link planted where its
// files go, and writes each file whole.
func TestExportRefusesPlantedLinks(t *testing.T) {
	s, _ := openTemp(t)
	id, err := s.NewConversation(ctx, "Planted link")
	must(t, err)
	_, err = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: "secret words"})
	must(t, err)

	out := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim.txt")
	must(t, os.WriteFile(victim, []byte("precious"), 0o600))
	must(t, os.Symlink(victim, filepath.Join(out, "planted-link.md")))
	if _, err := s.Export(ctx, id, out); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("export over a link: %v", err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Fatalf("the link's target was overwritten: %q", got)
	}

	// Into a clean folder it works, 0600, and again over its own file.
	out2 := t.TempDir()
	for i := 0; i < 2; i++ {
		path, err := s.Export(ctx, id, out2)
		must(t, err)
		fi, err := os.Lstat(path)
		must(t, err)
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("export is %v", fi.Mode())
		}
	}
	if m, _ := filepath.Glob(filepath.Join(out2, ".*tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// A real database with a damaged page (not junk): SQLite reports it
// corrupt, the integrity check confirms, it is set aside byte for byte.
func TestDamagedPageIsSetAsideWhole(t *testing.T) {
	s, path := openTemp(t)
	for i := 0; i < 50; i++ {
		id, err := s.NewConversation(ctx, fmt.Sprintf("conversation %d", i))
		must(t, err)
		_, err = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: strings.Repeat("words ", 300)})
		must(t, err)
	}
	s.Close()
	data, err := os.ReadFile(path)
	must(t, err)
	if len(data) < 8*4096 {
		t.Fatalf("database of %d bytes is too small to damage a page", len(data))
	}
	copy(data[4*4096:], bytes.Repeat([]byte{0xA5}, 4096)) // a b-tree page turned to noise
	must(t, os.WriteFile(path, data, 0o600))

	s2, err := Open(ctx, path)
	must(t, err)
	defer s2.Close()
	if !strings.Contains(s2.Recovered, "damaged") {
		t.Fatalf("recovered = %q", s2.Recovered)
	}
	m, _ := filepath.Glob(path + ".corrupt-*Z") // not its -wal and -shm
	if len(m) != 1 {
		t.Fatalf("backups: %v", m)
	}
	if kept, _ := os.ReadFile(m[0]); !bytes.Equal(kept, data) {
		t.Error("the damaged database was not kept as it was")
	}
}
