package chat

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/codextray/codextray/core/history"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

func openTestHistory(t *testing.T) *History {
	t.Helper()
	h, err := OpenHistory(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestHistoryRecordsAndLoadsATurn(t *testing.T) {
	ctx := context.Background()
	srv, stream := newBackend(t)
	srv.Enqueue(answer("Saved answer.", "enc-h"), answer("Second answer.", "enc-h2"))
	h := openTestHistory(t)
	changes := make(chan struct{}, 16)
	h.OnChange(func() { changes <- struct{}{} })
	c := New(stream, nil)
	c.SetRecorder(h)
	h.SetCurrent(0, c.Session())
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 300, 200)))
	img, err := PrepareImage("p.png", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, "save me", []Attachment{img}, "gpt-5.5", "low"); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	id := h.Current()
	if id == 0 || len(changes) < 2 {
		t.Fatalf("conversation %d, %d change calls", id, len(changes))
	}
	conv, saved, err := h.Store().Conversation(ctx, id)
	if err != nil || len(saved) != 2 || conv.Title != "save me" || conv.SessionID != c.Session() {
		t.Fatalf("saved %+v %+v %v", conv, saved, err)
	}
	if a := saved[1]; a.State != history.StateComplete || a.Text != "Saved answer." || a.Usage == "" || a.Items == "" {
		t.Errorf("answer saved as %+v", a)
	}

	// Loaded into a fresh conversation, the next turn carries the first.
	msgs, items, session, err := h.Load(ctx, id)
	if err != nil || len(msgs) != 2 || session != c.Session() {
		t.Fatalf("load: %d messages, session %q, %v", len(msgs), session, err)
	}
	if m := msgs[0]; len(m.Images) != 1 || m.Images[0].Thumb.Bounds().Dx() != ThumbSide {
		t.Errorf("image loaded as %+v", m.Images)
	}
	if m := msgs[1]; m.Role != RoleAssistant || !m.HasUsage || m.Usage.InputTokens != 100 || m.Reasoning != "**Plan** think." {
		t.Errorf("answer loaded as %+v", m)
	}
	c2 := New(stream, nil)
	c2.SetRecorder(h)
	h.SetCurrent(id, session)
	c2.LoadSession(session, msgs, items)
	_ = c2.Send(ctx, "and more", nil, "gpt-5.5", "low")
	c2.Wait()
	reqs := srv.RequestsTo("/codex/responses")
	if len(reqs) != 2 || !bytes.Contains(reqs[1].Body, []byte("enc-h")) || !bytes.Contains(reqs[1].Body, []byte("save me")) {
		t.Errorf("second request %s", reqs[len(reqs)-1].Body)
	}
	if _, saved, _ = h.Store().Conversation(ctx, id); len(saved) != 4 {
		t.Errorf("%d messages saved after the second turn", len(saved))
	}
}

func TestHistoryInterruptedAnswerLoadsWithRetry(t *testing.T) {
	ctx := context.Background()
	srv, stream := newBackend(t)
	srv.Enqueue(pt.Reply{Chunks: chunks(pt.Created("r"), pt.TextDelta("Half ")), Hang: true}, answer("Whole.", "enc-w"))
	h := openTestHistory(t)
	c := New(stream, nil)
	c.SetRecorder(h)
	_ = c.Send(ctx, "long story", nil, "gpt-5.5", "low")
	waitFor(t, "the first delta", func() bool { return c.Message(1).Text == "Half " })
	c.Stop()
	c.Wait()
	msgs, items, session, err := h.Load(ctx, h.Current())
	if err != nil || len(msgs) != 2 {
		t.Fatal(len(msgs), err)
	}
	m := msgs[1]
	if m.State != StateStopped || m.Problem == nil || m.Problem.Action != ActionRetry || m.Text != "Half " {
		t.Fatalf("interrupted answer loaded as %+v", m)
	}
	c2 := New(stream, nil)
	c2.SetRecorder(h)
	h.SetCurrent(h.Current(), session)
	c2.LoadSession(session, msgs, items)
	if err := c2.Retry(ctx); err != nil {
		t.Fatal(err)
	}
	c2.Wait()
	// The retried answer replaces the interrupted one when loaded again.
	msgs, _, _, _ = h.Load(ctx, h.Current())
	if len(msgs) != 2 || msgs[1].Text != "Whole." || msgs[1].State != StateDone {
		t.Errorf("after retry: %+v", msgs)
	}
}

// Issue 16: when the history cannot be written (here the disk is full:
// SQLite's max_page_count makes it answer SQLITE_FULL as a full disk does)
// the chat window still gets its answers, and is told once, through
// OnProblem, that they are not saved.
func TestHistoryThatCannotSaveIsSaidOnceAndTheChatAnswers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	h, err := OpenHistory(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	h, err = OpenHistory(ctx, path, history.WithPragmas("max_page_count(1)"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var said []string
	var mu sync.Mutex
	h.OnProblem(func(msg string) { mu.Lock(); said = append(said, msg); mu.Unlock() })

	srv, stream := newBackend(t)
	srv.Enqueue(answer("First answer.", "enc-1"), answer("Second answer.", "enc-2"))
	c := New(stream, nil)
	c.SetRecorder(h)
	h.SetCurrent(0, c.Session())
	for _, q := range []string{strings.Repeat("a long question ", 2000), strings.Repeat("another one ", 2000)} {
		if err := c.Send(ctx, q, nil, "gpt-5.5", "low"); err != nil {
			t.Fatal(err)
		}
		c.Wait()
	}
	if n := c.Len(); n != 4 || c.Message(1).Text != "First answer." || c.Message(3).Text != "Second answer." || c.Message(3).State != StateDone {
		t.Fatalf("the chat did not answer: %d messages, last %+v", n, c.Message(n-1))
	}
	if convs, err := h.Conversations(ctx); err != nil || len(convs) != 0 {
		t.Errorf("conversations listed that were not saved: %+v %v", convs, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(said) != 1 || !strings.Contains(said[0], "not being saved") || !strings.Contains(said[0], "disk is full") {
		t.Fatalf("said %q, want once that nothing is saved as the disk is full", said)
	}
}
