package chatwin

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/chat"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// newHistoryHarness is a chat window saving into a history in a temp dir;
// it returns once the sidebar is up.
func newHistoryHarness(t *testing.T, seed func(h *chat.History)) (*chatHarness, *chat.History) {
	t.Helper()
	h, err := chat.OpenHistory(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() }) // after the window's cleanup, which runs first
	if seed != nil {
		seed(h)
	}
	ch := newChatHarness(t, func(d *Deps) {
		d.OpenHistory = func(context.Context) (History, error) { return h, nil }
	})
	ch.pump("the sidebar", func() bool { return ch.w.side.box.Visible() && ch.w.side.drawnRev > 0 })
	return ch, h
}

// seedConversation saves a finished two-message conversation.
func seedConversation(t *testing.T, h *chat.History, question, answer string) int64 {
	t.Helper()
	ctx := context.Background()
	st := h.Store()
	id, err := st.StartConversation(ctx, question, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessage(ctx, history.Message{ConversationID: id, Role: "user", Text: question}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMessage(ctx, history.Message{ConversationID: id, Role: "assistant", Text: answer, Model: "gpt-5.5"}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (ch *chatHarness) sideTitles() []string {
	var out []string
	for _, it := range ch.w.side.items {
		out = append(out, it.title)
	}
	return out
}

func (ch *chatHarness) sideHas(title string) bool {
	for _, t := range ch.sideTitles() {
		if t == title {
			return true
		}
	}
	return false
}

func TestChatHistorySentTurnIsSavedAndListed(t *testing.T) {
	ch, h := newHistoryHarness(t, func(h *chat.History) { seedConversation(t, h, "An older question", "An older answer.") })
	ch.srv.Enqueue(chatAnswer("Saved for later."))
	ch.typeAndEnter("Remember this")
	ch.idle()
	ch.pump("the new conversation first in the sidebar", func() bool {
		titles := ch.sideTitles()
		return len(titles) == 2 && titles[0] == "Remember this" && ch.w.side.shown == ch.w.side.items[0].id
	})
	_, msgs, err := h.Store().Conversation(context.Background(), ch.w.side.shown)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("saved %d messages: %v", len(msgs), err)
	}
	a := msgs[1]
	var u provider.Usage
	_ = json.Unmarshal([]byte(a.Usage), &u)
	if a.State != history.StateComplete || a.Text != "Saved for later." || u.InputTokens != 1234 || a.Reasoning == "" {
		t.Errorf("answer saved as %+v", a)
	}
	if ch.w.side.rename.Disabled() {
		t.Error("the actions are off for a saved conversation")
	}
}

func TestChatHistorySelectingAConversationContinuesIt(t *testing.T) {
	var older int64
	ch, h := newHistoryHarness(t, func(h *chat.History) {
		older = seedConversation(t, h, "What is a zebra?", "A striped horse.")
		seedConversation(t, h, "Newer topic", "Newer answer.")
	})
	if titles := ch.sideTitles(); len(titles) != 2 || titles[0] != "Newer topic" {
		t.Fatalf("sidebar %q", titles)
	}
	ch.w.side.list.Select(1)
	ch.pump("the older conversation in the window", func() bool {
		return len(ch.w.views) == 2 && ch.shown(1) == "A striped horse."
	})
	ch.srv.Enqueue(chatAnswer("Yes, in Africa."))
	ch.typeAndEnter("Do they live in Africa?")
	ch.idle()
	reqs := ch.srv.RequestsTo("/codex/responses")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var body struct{ Input []provider.Item }
	_ = json.Unmarshal(reqs[0].Body, &body)
	body.Input = conversationOnly(body.Input)
	var got []string
	for _, it := range body.Input {
		got = append(got, it.Text())
	}
	if strings.Join(got, "|") != "What is a zebra?|A striped horse.|Do they live in Africa?" {
		t.Errorf("request input %q", got)
	}
	ch.pump("the continued conversation first", func() bool {
		return len(ch.w.side.items) == 2 && ch.w.side.items[0].id == older
	})
	if _, msgs, _ := h.Store().Conversation(context.Background(), older); len(msgs) != 4 {
		t.Errorf("the older conversation holds %d messages", len(msgs))
	}
}

func TestChatHistorySearchFiltersTheList(t *testing.T) {
	ch, _ := newHistoryHarness(t, func(h *chat.History) {
		seedConversation(t, h, "Pelican facts", "Pelicans have a throat pouch.")
		seedConversation(t, h, "Go generics", "Type parameters arrived in Go 1.18.")
		seedConversation(t, h, "Zebra stripes", "Stripes may deter flies.")
	})
	test.Type(ch.w.side.search, "pouch")
	ch.pump("one hit", func() bool { t := ch.sideTitles(); return len(t) == 1 && t[0] == "Pelican facts" })
	if sub := ch.w.side.items[0].sub; !strings.Contains(sub, "[pouch]") {
		t.Errorf("snippet %q", sub)
	}
	ch.w.side.search.SetText("nothing-like-this")
	ch.pump("no hits and a note", func() bool { return len(ch.w.side.items) == 0 && ch.w.side.empty.Visible() })
	ch.w.side.search.SetText("")
	ch.pump("the whole list back", func() bool { return len(ch.w.side.items) == 3 })
}

func TestChatHistoryDeleteThenUndo(t *testing.T) {
	var id int64
	ch, h := newHistoryHarness(t, func(h *chat.History) {
		seedConversation(t, h, "Keep me", "Kept.")
		id = seedConversation(t, h, "Delete me", "Gone?")
	})
	ch.w.side.list.Select(0)
	ch.pump("the conversation open", func() bool { return ch.shown(1) == "Gone?" })
	test.Tap(ch.w.side.del)
	ch.pump("the Undo banner and the list without it", func() bool {
		return ch.w.side.undoBox.Visible() && !ch.sideHas("Delete me") && len(ch.w.side.items) == 1
	})
	if ch.w.conv.Len() != 0 || ch.w.side.shown != 0 {
		t.Errorf("the deleted conversation is still shown: %d messages", ch.w.conv.Len())
	}
	if !strings.Contains(ch.w.side.undoLabel.Text, "Delete me") {
		t.Errorf("banner %q", ch.w.side.undoLabel.Text)
	}
	test.Tap(ch.w.side.undoBox.Objects[1].(*fyne.Container).Objects[0].(*widget.Button))
	ch.pump("the conversation back", func() bool { return !ch.w.side.undoBox.Visible() && ch.sideHas("Delete me") })
	if _, _, err := h.Store().Conversation(context.Background(), id); err != nil {
		t.Errorf("after Undo: %v", err)
	}
}

func TestChatHistoryDeleteIsFinalAfterTheUndoTime(t *testing.T) {
	var id int64
	ch, h := newHistoryHarness(t, func(h *chat.History) { id = seedConversation(t, h, "Short-lived", "Bye.") })
	ch.w.side.undoFor = 50 * time.Millisecond
	ch.w.onDelete(id)
	// The Undo goes once the deletion is final: an undelete then (as a
	// late Undo would try) brings nothing back.
	ch.pump("the banner gone", func() bool {
		return !ch.w.side.undoBox.Visible() && len(ch.w.side.items) == 0
	})
	_ = h.Undelete(context.Background(), id)
	if _, _, err := h.Store().Conversation(context.Background(), id); err == nil {
		t.Error("the conversation came back after its undo time")
	}
}

func TestChatHistoryExportWritesMarkdown(t *testing.T) {
	var id int64
	ch, h := newHistoryHarness(t, func(h *chat.History) { id = seedConversation(t, h, "Export me please", "Here you go.") })
	dir := t.TempDir()
	ch.w.exportTo(h, id, dir)
	md := filepath.Join(dir, "export-me-please.md")
	ch.pump("the .md and a notice", func() bool {
		_, err := os.Stat(md)
		return err == nil && len(ch.w.notices.Objects) == 1
	})
	data, _ := os.ReadFile(md)
	if !strings.Contains(string(data), "# Export me please") || !strings.Contains(string(data), "Here you go.") {
		t.Errorf("export:\n%s", data)
	}
}

func TestChatHistoryRenameAndNewChat(t *testing.T) {
	var id int64
	ch, h := newHistoryHarness(t, func(h *chat.History) { id = seedConversation(t, h, "Old title", "Answer.") })
	ch.w.renameTo(h, id, "  New title ")
	ch.pump("the new title", func() bool { return ch.sideHas("New title") })
	ch.w.side.list.Select(0)
	ch.pump("the conversation open", func() bool { return ch.w.conv.Len() == 2 })
	ch.w.onNewChat()
	ch.pump("a new, empty chat", func() bool { return len(ch.w.views) == 0 && ch.w.side.rename.Disabled() })
	if h.Current() != 0 {
		t.Errorf("new chat still records into %d", h.Current())
	}
	ch.w.onToggleSide()
	if ch.w.side.box.Visible() {
		t.Error("Ctrl+B did not hide the sidebar")
	}
	ch.w.onToggleSide()
	if !ch.w.side.box.Visible() {
		t.Error("Ctrl+B did not show the sidebar again")
	}
}

func TestChatHistoryThatCannotOpenLeavesTheChatWorking(t *testing.T) {
	ch := newChatHarness(t, func(d *Deps) {
		d.OpenHistory = func(context.Context) (History, error) { return nil, os.ErrPermission }
	})
	ch.pump("the notice", func() bool { return len(ch.w.notices.Objects) == 1 })
	ch.srv.Enqueue(chatAnswer("Still here."))
	ch.typeAndEnter("hello")
	ch.idle()
	if ch.shown(1) != "Still here." || ch.w.side.box.Visible() {
		t.Errorf("answer %q, sidebar shown %v", ch.shown(1), ch.w.side.box.Visible())
	}
}

// The window host exits once the chat is hidden; the next host's window
// goes on with the same conversation and the composer's unsent text.
func TestChatNextWindowHostGoesOnWhereTheLastHid(t *testing.T) {
	ch, h := newHistoryHarness(t, nil)
	hidden := 0
	ch.w.onHidden = func() { hidden++ }
	ch.srv.Enqueue(chatAnswer("Saved for later."))
	ch.typeAndEnter("Remember this")
	ch.idle()
	ch.pump("the conversation saved", func() bool { return ch.w.side.shown != 0 })
	id := ch.w.side.shown
	ch.w.entry.SetText("half a thought")
	ch.w.Hide()
	if hidden != 1 {
		t.Fatalf("onHidden called %d times after hiding an idle chat, want 1", hidden)
	}

	next := newChatHarnessIn(t, ch.w.app, func(d *Deps) {
		d.OpenHistory = func(context.Context) (History, error) { return h, nil }
	})
	next.pump("the conversation back in the next window", func() bool {
		return len(next.w.views) == 2 && next.shown(1) == "Saved for later." && next.w.side.shown == id
	})
	if got := next.w.entry.Text; got != "half a thought" {
		t.Errorf("composer %q, want the unsent text back", got)
	}
	// Typing alone keeps the text, without a hide (a quit, a crash).
	test.Type(next.w.entry, "more ")
	waitFor := time.Now().Add(5 * time.Second)
	for ch.w.app.Preferences().String(prefChatDraft) != next.w.entry.Text || !strings.Contains(next.w.entry.Text, "more ") {
		if time.Now().After(waitFor) {
			t.Fatalf("the typed text was not kept: %q", ch.w.app.Preferences().String(prefChatDraft))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A new chat (Ctrl+N) is what the one after that starts with.
	next.w.onNewChat()
	next.w.Hide()
	third := newChatHarnessIn(t, ch.w.app, func(d *Deps) {
		d.OpenHistory = func(context.Context) (History, error) { return h, nil }
	})
	third.pump("the sidebar", func() bool { return third.w.side.drawnRev > 0 })
	if len(third.w.views) != 0 || third.w.entry.Text != "" {
		t.Errorf("after a new chat was hidden, the next window shows %d messages and %q", len(third.w.views), third.w.entry.Text)
	}
}

// Hidden mid-answer, the window tells its host only when the answer ends:
// closing the chat does not cut a streaming answer off.
func TestChatHiddenMidAnswerWaitsForTheEnd(t *testing.T) {
	ch := newChatHarness(t)
	hidden := 0
	ch.w.onHidden = func() { hidden++ }
	ch.srv.Enqueue(pt.Reply{Chunks: chatChunks(pt.Created("r"), pt.TextDelta("The beginning ")), Hang: true})
	ch.typeAndEnter("Tell me a long story")
	ch.pump("the first delta", func() bool { return ch.shown(1) == "The beginning" })
	ch.w.Hide()
	if hidden != 0 {
		t.Fatal("onHidden called while the answer streams")
	}
	ch.w.conv.Stop()
	ch.idle()
	ch.pump("onHidden after the answer ended", func() bool { return hidden == 1 })
}
