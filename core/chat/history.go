package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/provider"
)

// History is the chat window's side of core/history: it records the turns
// of the conversation shown (as a Recorder), and lists, searches, loads,
// renames, deletes and exports the saved ones. Safe for concurrent use.
type History struct {
	store *history.Store

	mu       sync.Mutex
	current  int64  // the conversation shown; 0 until its first message is saved
	session  string // the backend session id of the conversation shown
	turnConv int64  // the conversation the last user message went to
	onChange func()
	// onProblem shows a sentence to the user; problem is the one shown
	// last, so that a failing history is said once, not at every turn.
	onProblem func(string)
	problem   string
	// userLost: the last user message was not saved, so its answer is not
	// either (an answer without its question would mislead a continuation).
	userLost bool
}

// OpenHistory opens the history database at path (history.DefaultPath of
// the app's data directory), with opts as history.Open takes them.
func OpenHistory(ctx context.Context, path string, opts ...history.Option) (*History, error) {
	st, err := history.Open(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	return NewHistory(st), nil
}

// NewHistory records into st.
func NewHistory(st *history.Store) *History { return &History{store: st} }

// Store is the database.
func (h *History) Store() *history.Store { return h.store }

// Close closes the database.
func (h *History) Close() error { return h.store.Close() }

// Recovered is the sentence saying a corrupt database was moved aside; ""
// when it was not.
func (h *History) Recovered() string { return h.store.Recovered }

// OnProblem sets what shows the user, once, that conversations are not
// being saved (the database is read-only, busy, or the disk is full) while
// the chat goes on answering; f is called from any goroutine. A read-only
// database is said at once. After a save succeeds again, a new failure is
// said again.
func (h *History) OnProblem(f func(string)) {
	h.mu.Lock()
	h.onProblem = f
	h.mu.Unlock()
	if ro := h.store.ReadOnly; ro != "" {
		h.report(errors.New(ro))
	}
}

// report tells the user, once, that saving failed; nil says it works again
// (a user message was saved).
func (h *History) report(err error) {
	h.mu.Lock()
	if err == nil {
		h.problem = ""
		h.mu.Unlock()
		return
	}
	if h.problem != "" || h.onProblem == nil {
		h.mu.Unlock()
		return
	}
	var msg string
	if ro := h.store.ReadOnly; ro != "" {
		msg = ro
	} else {
		msg = fmt.Sprintf("This conversation is not being saved: %v. The chat still answers.", err)
	}
	h.problem = msg
	f := h.onProblem
	h.mu.Unlock()
	f(msg)
}

// OnChange sets what is called (from any goroutine) when a conversation is
// started or a turn ends, so that a list can be read again.
func (h *History) OnChange(f func()) {
	h.mu.Lock()
	h.onChange = f
	h.mu.Unlock()
}

func (h *History) changed() {
	h.mu.Lock()
	f := h.onChange
	h.mu.Unlock()
	if f != nil {
		f()
	}
}

// Current is the saved conversation shown (0: a new one, not saved yet).
func (h *History) Current() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.current
}

// SetCurrent says which conversation the next turns go to: id with its
// backend session, or 0 to start a new one with session on the next
// message.
func (h *History) SetCurrent(id int64, session string) {
	h.mu.Lock()
	h.current, h.session, h.turnConv = id, session, id
	h.mu.Unlock()
}

// User saves a user message, starting the conversation on the first.
func (h *History) User(m Message) error {
	ctx := context.Background()
	h.mu.Lock()
	id, session := h.current, h.session
	h.mu.Unlock()
	started := false
	if id == 0 {
		var err error
		if id, err = h.store.StartConversation(ctx, m.Text, session); err != nil {
			h.mu.Lock()
			h.userLost = true
			h.mu.Unlock()
			h.report(err)
			return err
		}
		started = true
		h.mu.Lock()
		h.current = id
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.turnConv = id
	h.mu.Unlock()
	att := make([]history.Attachment, len(m.Images))
	for i, a := range m.Images {
		att[i] = history.Attachment{MIME: a.Image.MIME, Name: a.Name, Data: a.Image.Data}
	}
	_, err := h.store.AddMessage(ctx, history.Message{ConversationID: id, Role: "user", Text: m.Text,
		Model: m.Model, Effort: m.Effort, Attachments: att})
	if err != nil && started {
		// Started but its first message lost: hide the empty conversation;
		// the next message starts one again.
		_ = h.store.Delete(ctx, id)
		h.mu.Lock()
		h.current, h.turnConv = 0, 0
		h.mu.Unlock()
	}
	h.mu.Lock()
	h.userLost = err != nil
	h.mu.Unlock()
	h.report(err) // a saved question says saving works again
	if started || err == nil {
		h.changed()
	}
	return err
}

// BeginAnswer starts saving an answer into the conversation of the last
// user message (a retry: the conversation shown).
func (h *History) BeginAnswer(model, effort string) (AnswerRecorder, error) {
	h.mu.Lock()
	id, lost := h.turnConv, h.userLost
	h.mu.Unlock()
	if id == 0 || lost {
		return nil, fmt.Errorf("no conversation to save the answer in")
	}
	d, err := h.store.BeginAnswer(context.Background(), id, model, effort)
	if err != nil {
		h.report(err)
		return nil, err
	}
	return &historyAnswer{h: h, d: d}, nil
}

type historyAnswer struct {
	h *History
	d *history.Draft
}

func (a *historyAnswer) AppendText(delta string)      { a.d.AppendText(delta) }
func (a *historyAnswer) AppendReasoning(delta string) { a.d.AppendReasoning(delta) }

func (a *historyAnswer) Finish(state State, problem string, usage provider.Usage, items []provider.Item) error {
	st, u := history.StateComplete, history.UsageJSON(usage)
	switch state {
	case StateStopped:
		st, u = history.StateInterrupted, ""
	case StateFailed:
		st, u = history.StateFailed, ""
	}
	err := a.d.Finish(context.Background(), st, problem, u, history.ItemsJSON(items))
	if err != nil {
		a.h.report(err)
	}
	a.h.changed()
	return err
}

// Conversations lists the saved conversations, newest first.
func (h *History) Conversations(ctx context.Context) ([]history.Conversation, error) {
	return h.store.Conversations(ctx, 0, 0)
}

// Search finds messages containing every word of query, newest first.
func (h *History) Search(ctx context.Context, query string) ([]history.Hit, error) {
	return h.store.Search(ctx, query, 200)
}

// Rename sets a conversation's title.
func (h *History) Rename(ctx context.Context, id int64, title string) error {
	err := h.store.Rename(ctx, id, title)
	if err == nil {
		h.changed()
	}
	return err
}

// Delete hides a conversation until Undelete, or Purge.
func (h *History) Delete(ctx context.Context, id int64) error { return h.store.Delete(ctx, id) }

// Undelete brings a deleted conversation back.
func (h *History) Undelete(ctx context.Context, id int64) error { return h.store.Undelete(ctx, id) }

// Purge removes for good what was deleted before t.
func (h *History) Purge(ctx context.Context, before time.Time) error {
	return h.store.Purge(ctx, before)
}

// Export writes a conversation as Markdown into dir, images beside it, and
// returns the .md file's path.
func (h *History) Export(ctx context.Context, id int64, dir string) (string, error) {
	return h.store.Export(ctx, id, dir)
}

// Load reads a saved conversation as the window shows it, with the input
// items that continue it and its backend session id. An answer followed by
// another answer was retried: only the retry is kept.
func (h *History) Load(ctx context.Context, id int64) (msgs []Message, items []provider.Item, session string, err error) {
	c, saved, err := h.store.Conversation(ctx, id)
	if err != nil {
		return nil, nil, "", err
	}
	kept := history.Visible(saved)
	for _, m := range kept {
		msgs = append(msgs, messageFrom(m))
	}
	return msgs, history.Input(kept), c.Session(), nil
}

// messageFrom turns a saved message into one the window shows.
func messageFrom(m history.Message) Message {
	out := Message{Text: m.Text, Reasoning: m.Reasoning, Model: m.Model, Effort: m.Effort, Role: RoleUser}
	if m.Role == "assistant" {
		out.Role = RoleAssistant
	}
	if m.Usage != "" && m.State == history.StateComplete && json.Unmarshal([]byte(m.Usage), &out.Usage) == nil {
		out.HasUsage = true
	}
	switch m.State {
	case history.StateInterrupted:
		out.State = StateStopped
		out.Problem = &Problem{Message: "Interrupted: this answer did not finish.", Action: ActionRetry, Code: "interrupted"}
	case history.StateFailed:
		out.State = StateFailed
		out.Problem = &Problem{Message: m.Error, Action: ActionRetry, Code: "failed"}
	case history.StateStreaming: // still being written by another process
		out.State = StateStopped
		out.Problem = &Problem{Message: "This answer is still being written elsewhere.", Action: ActionNone, Code: "streaming"}
	}
	for _, a := range m.Attachments {
		out.Images = append(out.Images, attachmentFrom(a))
	}
	return out
}

// attachmentFrom rebuilds an attachment with its thumbnail from the bytes
// that were sent.
func attachmentFrom(a history.Attachment) Attachment {
	out := Attachment{Name: a.Name, Image: provider.Image{MIME: a.MIME, Data: a.Data}}
	if img, _, err := image.Decode(bytes.NewReader(a.Data)); err == nil {
		b := img.Bounds()
		out.Width, out.Height, out.OrigW, out.OrigH = b.Dx(), b.Dy(), b.Dx(), b.Dy()
		out.Thumb = Fit(img, ThumbSide)
	} else {
		out.Thumb = image.NewGray(image.Rect(0, 0, 1, 1))
	}
	return out
}
