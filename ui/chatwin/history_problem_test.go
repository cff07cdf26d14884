package chatwin

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/history"
)

// Issue 16: a history that cannot save (here the disk is full: SQLite's
// max_page_count answers SQLITE_FULL as a full disk does) leaves the chat
// answering, with one notice however many turns fail.
func TestChatHistoryThatCannotSaveShowsOneNotice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	h, err := chat.OpenHistory(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// A message that leaves its page nearly full: the next one needs a new
	// page, which the full disk has not got.
	seedConversation(t, h, "seed", strings.Repeat("x", 3950))
	h.Close()
	if h, err = chat.OpenHistory(context.Background(), path, history.WithPragmas("max_page_count(1)")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ch := newChatHarness(t, func(d *Deps) {
		d.OpenHistory = func(context.Context) (History, error) { return h, nil }
	})
	ch.pump("the sidebar", func() bool { return ch.w.side.box.Visible() && ch.w.side.drawnRev > 0 })
	for i, q := range []string{"first", "second"} {
		ch.srv.Enqueue(chatAnswer("Answer " + q + "."))
		ch.typeAndEnter(q + " question")
		ch.idle()
		if got := ch.shown(2*i + 1); got != "Answer "+q+"." {
			t.Fatalf("turn %d: answer %q", i+1, got)
		}
	}
	ch.w.mu.Lock()
	notices := append([]string(nil), ch.w.state.notices...)
	ch.w.mu.Unlock()
	if len(notices) != 1 || !strings.Contains(notices[0], "not being saved") || !strings.Contains(notices[0], "disk is full") {
		t.Fatalf("notices %q, want one saying the chat is not being saved", notices)
	}
}
