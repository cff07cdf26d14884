package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/history"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// seedHistory records one conversation with a first chat and returns it.
func seedHistory(t *testing.T, srv *pt.Server, env []string) history.Conversation {
	t.Helper()
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Seeds sprout.", pt.Usage{})}})
	if _, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "a seeded question"); code != 0 {
		t.Fatalf("seeding chat: exit %d: %s", code, errOut)
	}
	list := listHistory(t, env)
	if len(list) != 1 {
		t.Fatalf("seeded history: %+v", list)
	}
	return list[0]
}

func listHistory(t *testing.T, env []string) []history.Conversation {
	t.Helper()
	out, errOut, code := runCodextray(t, env, "history", "list", "--json")
	var list []history.Conversation
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
		t.Fatalf("history list: exit %d: %s %s", code, out, errOut)
	}
	return list
}

// keptIntact fails unless the history still holds conv as it was and
// nothing was set aside.
func keptIntact(t *testing.T, env []string, conv history.Conversation) {
	t.Helper()
	path := historyPath(env)
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Errorf("the history was set aside: %v", m)
	}
	for _, c := range listHistory(t, env) {
		if c.ID == conv.ID && c.Title == conv.Title && c.Messages == conv.Messages {
			return
		}
	}
	t.Errorf("conversation %d (%q, %d messages) is gone", conv.ID, conv.Title, conv.Messages)
}

// answeredUnrecorded fails unless the chat answered (exit 0, the answer on
// stdout) and stderr says once that it was not recorded, and why.
func answeredUnrecorded(t *testing.T, out, errOut string, code int, answer, why string) {
	t.Helper()
	t.Logf("stderr: %s", errOut)
	if code != 0 || !strings.Contains(out, answer) {
		t.Fatalf("the chat did not answer: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if n := strings.Count(errOut, why); n != 1 {
		t.Errorf("stderr says %q %d times, want once:\n%s", why, n, errOut)
	}
	for _, wrong := range []string{"unreadable", "moved", "corrupt", "damaged"} {
		if strings.Contains(errOut, wrong) {
			t.Errorf("stderr calls it %q:\n%s", wrong, errOut)
		}
	}
}

// Case 1 of issue 16: with the disk full (SQLite answering SQLITE_FULL, as
// max_page_count makes it) `codextray chat` still answers, says once that
// it is not recording, and the history is left as it was, however many
// commands run.
func TestChatOnAFullDiskAnswersAndKeepsTheHistory(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	conv := seedHistory(t, srv, env)
	full := append(env[:len(env):len(env)], "CODEXTRAY_TEST_HISTORY_PRAGMA=max_page_count(1)")
	long := strings.Repeat("a question too long for the pages left ", 500)
	for i := 0; i < 2; i++ { // twice: a second command in the same second
		srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Answered anyway.", pt.Usage{})}})
		out, errOut, code := runCodextray(t, full, "chat", "--model", "gpt-5.5", long)
		answeredUnrecorded(t, out, errOut, code, "Answered anyway.", "disk is full")
		if strings.Contains(errOut, "--continue") {
			t.Errorf("offers to continue a conversation that was not recorded: %s", errOut)
		}
	}
	keptIntact(t, env, conv)
}

// Case 4: a history another process keeps locked for longer than the busy
// timeout is waited on, reported busy, and left alone; the chat answers.
func TestChatWithTheHistoryLockedAnswersAndKeepsIt(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	conv := seedHistory(t, srv, env)

	locker, err := sql.Open("sqlite", "file:"+historyPath(env))
	must(t, err)
	defer locker.Close()
	ctx := context.Background()
	conn, err := locker.Conn(ctx)
	must(t, err)
	defer conn.Close()
	for _, q := range []string{`PRAGMA locking_mode=EXCLUSIVE`, `BEGIN EXCLUSIVE`, `UPDATE conversations SET title = title`} {
		_, err := conn.ExecContext(ctx, q)
		must(t, err)
	}
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Answered while locked.", pt.Usage{})}})
	start := time.Now()
	out, errOut, code := runCodextray(t, env, "chat", "--model", "gpt-5.5", "a question while locked")
	answeredUnrecorded(t, out, errOut, code, "Answered while locked.", "in use by another program")
	if waited := time.Since(start); waited < history.BusyTimeout-time.Second {
		t.Errorf("gave up after %s, before the busy timeout", waited)
	}
	if m, _ := filepath.Glob(historyPath(env) + ".corrupt-*"); len(m) != 0 {
		t.Fatalf("set aside while locked: %v", m)
	}
	_, err = conn.ExecContext(ctx, `COMMIT`)
	must(t, err)
	conn.Close()
	locker.Close()
	keptIntact(t, env, conv)
}

// Case 3: several `codextray chat` processes started at once on a fresh
// data folder all record their conversation; none is lost, none warns.
func TestParallelFirstChatsLoseNothing(t *testing.T) {
	const rounds, n = 3, 4
	for round := 0; round < rounds; round++ {
		srv, env, _ := backendEnv(t, chatgptLogin())
		srv.SetFallback(pt.Reply{Chunks: []string{pt.Stream("Parallel answer.", pt.Usage{})}})
		type result struct {
			out, errOut string
			code        int
		}
		results := make(chan result, n)
		for i := 0; i < n; i++ {
			go func() {
				cmd := codextrayCmd(t, env, "chat", "--model", "gpt-5.5", "parallel question")
				var out, errb strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &errb
				err := cmd.Run()
				code := 0
				if err != nil {
					code = -1
					if ee, ok := err.(interface{ ExitCode() int }); ok {
						code = ee.ExitCode()
					}
				}
				results <- result{out.String(), errb.String(), code}
			}()
		}
		for i := 0; i < n; i++ {
			r := <-results
			if r.code != 0 || !strings.Contains(r.out, "Parallel answer.") {
				t.Fatalf("round %d: exit %d: %s %s", round, r.code, r.out, r.errOut)
			}
			if strings.Contains(r.errOut, "warning") || strings.Contains(r.errOut, "moved") {
				t.Errorf("round %d: %s", round, r.errOut)
			}
		}
		if m, _ := filepath.Glob(historyPath(env) + ".corrupt-*"); len(m) != 0 {
			t.Errorf("round %d: set aside: %v", round, m)
		}
		list := listHistory(t, env)
		if len(list) != n {
			t.Fatalf("round %d: %d conversations recorded, want %d", round, len(list), n)
		}
		for _, c := range list {
			if c.Messages != 2 {
				t.Errorf("round %d: conversation %d has %d messages", round, c.ID, c.Messages)
			}
		}
	}
}

// Minor item of issue 16: `history export` refuses a symbolic link planted
// where its file goes, and leaves the link's target alone.
func TestHistoryExportRefusesAPlantedLink(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	conv := seedHistory(t, srv, env)
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	must(t, os.WriteFile(victim, []byte("precious"), 0o600))
	must(t, os.Symlink(victim, filepath.Join(dir, "a-seeded-question.md")))
	_, errOut, code := runCodextray(t, env, "history", "export", itoa(conv.ID), dir)
	if code == 0 || !strings.Contains(errOut, "symbolic link") {
		t.Errorf("export over a link: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
}
