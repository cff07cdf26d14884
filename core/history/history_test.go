package history

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func pngBytes(t *testing.T, c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < 16; i++ {
		img.Set(i%4, i/4, c)
	}
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	return b.Bytes()
}

func TestConversationLifecycle(t *testing.T) {
	s, _ := openTemp(t)
	id, err := s.NewConversation(ctx, "  How do I\nreverse a list in Go?  ")
	must(t, err)
	red := pngBytes(t, color.RGBA{255, 0, 0, 255})
	_, err = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: "How do I reverse a list in Go?",
		Attachments: []Attachment{{MIME: "image/png", Data: red, Name: "a.png"}, {MIME: "image/png", Data: red, Name: "b.png"}}})
	must(t, err)
	_, err = s.AddMessage(ctx, Message{ConversationID: id, Role: "assistant", Text: "Use slices.Reverse.", Model: "gpt-5.1-codex", Effort: "medium", Usage: `{"input_tokens":10}`})
	must(t, err)
	other, _ := s.NewConversation(ctx, "second")

	list, err := s.Conversations(ctx, 10, 0)
	must(t, err)
	if len(list) != 2 || list[0].ID != other || list[1].Title != "How do I reverse a list in Go?" || list[1].Messages != 2 {
		t.Fatalf("list = %+v", list)
	}
	c, msgs, err := s.Conversation(ctx, id)
	must(t, err)
	if c.Title == "" || len(msgs) != 2 || len(msgs[0].Attachments) != 2 || !bytes.Equal(msgs[0].Attachments[1].Data, red) || msgs[1].Model != "gpt-5.1-codex" {
		t.Fatalf("conversation = %+v %+v", c, msgs)
	}
	var blobs int
	must(t, s.db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs))
	if blobs != 1 {
		t.Errorf("the same image twice is stored %d times, want once", blobs)
	}
	must(t, s.Rename(ctx, id, "Reversing"))
	must(t, s.Delete(ctx, id))
	if list, _ := s.Conversations(ctx, 10, 0); len(list) != 1 {
		t.Fatalf("deleted conversation still listed")
	}
	if _, _, err := s.Conversation(ctx, id); err != ErrNotFound {
		t.Fatalf("deleted conversation opens: %v", err)
	}
	must(t, s.Undelete(ctx, id))
	c, _, err = s.Conversation(ctx, id)
	must(t, err)
	if c.Title != "Reversing" {
		t.Errorf("title after undo = %q", c.Title)
	}
	must(t, s.Delete(ctx, other))
	must(t, s.Purge(ctx, time.Now().Add(time.Second)))
	if err := s.Undelete(ctx, other); err != ErrNotFound {
		t.Errorf("purged conversation came back: %v", err)
	}
}

func TestSearchFindsUserAndAssistantWords(t *testing.T) {
	s, _ := openTemp(t)
	a, _ := s.NewConversation(ctx, "zebra question")
	_, _ = s.AddMessage(ctx, Message{ConversationID: a, Role: "user", Text: "Tell me about the zebra crossing"})
	_, _ = s.AddMessage(ctx, Message{ConversationID: a, Role: "assistant", Text: "A pelican crossing differs: it has lights."})
	b, _ := s.NewConversation(ctx, "other")
	_, _ = s.AddMessage(ctx, Message{ConversationID: b, Role: "user", Text: "Café naïve résumé"})

	for q, want := range map[string]string{"zebra": "user", "pelican": "assistant", "pelic": "assistant", "cafe": "user", `"crossing" AND (`: ""} {
		hits, err := s.Search(ctx, q, 10)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if want == "" {
			continue // only must not fail on FTS syntax
		}
		if len(hits) == 0 || hits[0].Role != want {
			t.Errorf("search %q = %+v, want a %s message", q, hits, want)
		}
		if !strings.Contains(hits[0].Snippet, "[") {
			t.Errorf("snippet %q does not mark the match", hits[0].Snippet)
		}
	}
	hits, _ := s.Search(ctx, "crossing", 10)
	if len(hits) != 2 {
		t.Errorf("crossing: %d hits, want 2", len(hits))
	}
	d, err := s.BeginAnswer(ctx, b, "m", "low")
	must(t, err)
	d.AppendText("a streamed wombat")
	must(t, d.Finish(ctx, StateComplete, "", "", ""))
	if hits, _ := s.Search(ctx, "wombat", 10); len(hits) != 1 {
		t.Errorf("a finished streamed answer is not searchable")
	}
}

func TestDraftIsSavedWhileStreaming(t *testing.T) {
	s, path := openTemp(t)
	id, _ := s.NewConversation(ctx, "q")
	d, err := s.BeginAnswer(ctx, id, "m", "")
	must(t, err)
	d.AppendText("partial ")
	d.AppendReasoning("thinking")
	// Another connection (as after a crash) sees the text within about a
	// second, while the draft is still open.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	must(t, err)
	defer other.Close()
	deadline := time.Now().Add(3 * SaveInterval)
	for {
		var text, state string
		must(t, other.QueryRow(`SELECT text, state FROM messages WHERE id = ?`, d.ID()).Scan(&text, &state))
		if text == "partial " && state == StateStreaming {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("text not saved within %s: %q", 3*SaveInterval, text)
		}
		time.Sleep(20 * time.Millisecond) // polling another connection; there is nothing to wait on
	}
	d.AppendText("and the rest")
	must(t, d.Finish(ctx, StateComplete, "", `{"output_tokens":3}`, ""))
	_, msgs, _ := s.Conversation(ctx, id)
	if m := msgs[0]; m.Text != "partial and the rest" || m.Reasoning != "thinking" || m.State != StateComplete || m.Usage == "" {
		t.Errorf("finished = %+v", m)
	}
}

func TestStaleStreamingShowsInterrupted(t *testing.T) {
	s, _ := openTemp(t)
	id, _ := s.NewConversation(ctx, "q")
	mid, _ := s.AddMessage(ctx, Message{ConversationID: id, Role: "assistant", Text: "half", State: StateStreaming})
	_, err := s.db.Exec(`UPDATE messages SET updated_at = ? WHERE id = ?`, time.Now().Add(-time.Minute).UnixMilli(), mid)
	must(t, err)
	_, msgs, _ := s.Conversation(ctx, id)
	if msgs[0].State != StateInterrupted || msgs[0].Text != "half" {
		t.Errorf("state = %s", msgs[0].State)
	}
}

func TestCorruptFileIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "history.db")
	junk := bytes.Repeat([]byte("this is not sqlite "), 500)
	must(t, os.WriteFile(path, junk, 0o600))
	s, err := Open(ctx, path)
	must(t, err)
	defer s.Close()
	if s.Recovered == "" || !strings.Contains(s.Recovered, ".corrupt-") {
		t.Fatalf("no recovery message: %q", s.Recovered)
	}
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 1 {
		t.Fatalf("moved aside: %v", matches)
	}
	if kept, _ := os.ReadFile(matches[0]); !bytes.Equal(kept, junk) {
		t.Error("the corrupt file was changed")
	}
	if _, err := s.NewConversation(ctx, "works"); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationFromEveryOlderSchema(t *testing.T) {
	for from := 0; from < SchemaVersion; from++ {
		t.Run(fmt.Sprintf("from %d", from), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "history.db")
			db, err := sql.Open("sqlite", "file:"+path)
			must(t, err)
			_, err = db.Exec(`CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0)`)
			must(t, err)
			must(t, migrateTo(ctx, db, 0, from))
			if from >= 1 {
				_, err = db.Exec(`INSERT INTO conversations(id, title, created_at, updated_at) VALUES (1, 'old talk', 1000, 2000);
					INSERT INTO messages(conversation_id, role, text, created_at) VALUES (1, 'user', 'an aardvark question', 1000);
					INSERT INTO messages(conversation_id, role, text, created_at) VALUES (1, 'assistant', 'an aardvark answer', 1500);`)
				must(t, err)
			}
			if from >= 2 { // what a version-2 build wrote
				_, err = db.Exec(`UPDATE messages SET updated_at = created_at`)
				must(t, err)
			}
			db.Close()

			s, err := Open(ctx, path)
			must(t, err)
			defer s.Close()
			if s.Recovered != "" {
				t.Fatalf("migration treated as corruption: %s", s.Recovered)
			}
			var v int
			must(t, s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v))
			if v != SchemaVersion {
				t.Fatalf("version %d after migration", v)
			}
			if from >= 1 {
				_, msgs, err := s.Conversation(ctx, 1)
				must(t, err)
				if len(msgs) != 2 || msgs[0].State != StateComplete || msgs[1].UpdatedAt.UnixMilli() != 1500 {
					t.Fatalf("messages after migration: %+v", msgs)
				}
				if hits, _ := s.Search(ctx, "aardvark", 10); len(hits) != 2 {
					t.Errorf("old messages are not searchable after migration: %d hits", len(hits))
				}
			}
			if _, err := s.NewConversation(ctx, "new"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewerSchemaIsRefusedNotMovedAside(t *testing.T) {
	s, path := openTemp(t)
	_, err := s.db.Exec(`UPDATE schema_version SET version = 99`)
	must(t, err)
	s.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "newer Codex Tray") {
		t.Fatalf("err = %v", err)
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Error("a newer database was moved aside")
	}
}

func TestExportWithTwoImages(t *testing.T) {
	s, _ := openTemp(t)
	id, _ := s.NewConversation(ctx, "Compare these / two images!")
	red, blue := pngBytes(t, color.RGBA{255, 0, 0, 255}), pngBytes(t, color.RGBA{0, 0, 255, 255})
	_, _ = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: "Which is warmer?",
		Attachments: []Attachment{{MIME: "image/png", Data: red, Name: "red.png"}, {MIME: "image/png", Data: blue, Name: "blue.png"}}})
	_, _ = s.AddMessage(ctx, Message{ConversationID: id, Role: "assistant", Model: "gpt-5", Text: "The **red** one.", Reasoning: "Red is warm."})
	dir := t.TempDir()
	md, err := s.Export(ctx, id, dir)
	must(t, err)
	if filepath.Base(md) != "compare-these-two-images.md" {
		t.Errorf("file name %s", md)
	}
	text, _ := os.ReadFile(md)
	for _, want := range []string{"# Compare these / two images!", "## You", "## Assistant (gpt-5)", "The **red** one.", "![red.png](compare-these-two-images-images/", "![blue.png](", "Red is warm."} {
		if !strings.Contains(string(text), want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	imgs, _ := filepath.Glob(filepath.Join(dir, "compare-these-two-images-images", "*.png"))
	if len(imgs) != 2 {
		t.Fatalf("images written: %v", imgs)
	}
	for _, p := range imgs {
		data, _ := os.ReadFile(p)
		if !bytes.Equal(data, red) && !bytes.Equal(data, blue) {
			t.Errorf("%s is not one of the images", p)
		}
	}
}

// A retried answer replaces the one before it everywhere it is read back.
func TestRetriedAnswerIsReplaced(t *testing.T) {
	s, _ := openTemp(t)
	id, _ := s.NewConversation(ctx, "q")
	_, _ = s.AddMessage(ctx, Message{ConversationID: id, Role: "user", Text: "the question"})
	_, _ = s.AddMessage(ctx, Message{ConversationID: id, Role: "assistant", Text: "a half answ", State: StateInterrupted})
	_, _ = s.AddMessage(ctx, Message{ConversationID: id, Role: "assistant", Text: "the whole answer"})
	_, msgs, err := s.Conversation(ctx, id)
	must(t, err)
	v := Visible(msgs)
	if len(v) != 2 || v[1].Text != "the whole answer" {
		t.Fatalf("visible = %+v", v)
	}
	in := Input(msgs)
	if len(in) != 2 || in[1].Text() != "the whole answer" {
		t.Fatalf("input = %+v", in)
	}
	md, err := s.Export(ctx, id, t.TempDir())
	must(t, err)
	text, _ := os.ReadFile(md)
	if strings.Contains(string(text), "a half answ") || !strings.Contains(string(text), "the whole answer") {
		t.Errorf("export:\n%s", text)
	}
	c, _, _ := s.Conversation(ctx, id)
	again, _, _ := s.Conversation(ctx, id)
	if c.Session() == "" || c.Session() != again.Session() {
		t.Error("no stable session id for a conversation recorded without one")
	}
}
