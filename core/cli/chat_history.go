package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/history"
	"github.com/codextray/codextray/core/provider"
)

// chatRecord records one `codextray chat` turn in the history: the user's
// message at once, the answer as it streams (saved every second), and its
// final state. A nil *chatRecord records nothing.
type chatRecord struct {
	store *history.Store
	conv  history.Conversation
	msgs  []history.Message
	draft *history.Draft
}

// openHistory opens the history database in the app's data directory.
func openHistory(ctx context.Context, env Env) (*history.Store, error) {
	dir, err := appdata.Dir()
	if err != nil {
		return nil, err
	}
	st, err := history.Open(ctx, history.DefaultPath(dir), env.History...)
	if err != nil {
		return nil, err
	}
	if st.Recovered != "" {
		fmt.Fprintln(env.Stderr, "codextray:", st.Recovered)
	}
	if st.ReadOnly != "" {
		fmt.Fprintln(env.Stderr, "codextray:", st.ReadOnly)
	}
	return st, nil
}

// startRecord opens the history and, with --continue, the conversation. A
// history that cannot be opened is a warning unless a conversation must be
// continued.
func startRecord(ctx context.Context, env Env, continueID int64) (*chatRecord, int) {
	st, err := openHistory(ctx, env)
	if err != nil {
		if continueID != 0 {
			fmt.Fprintln(env.Stderr, "codextray chat: cannot open the history:", err)
			return nil, ExitFailure
		}
		fmt.Fprintln(env.Stderr, "codextray chat: warning: not recording this conversation:", err)
		return nil, ExitOK
	}
	r := &chatRecord{store: st}
	if continueID != 0 {
		r.conv, r.msgs, err = st.Conversation(ctx, continueID)
		if errors.Is(err, history.ErrNotFound) {
			st.Close()
			fmt.Fprintf(env.Stderr, "codextray chat: there is no conversation %d (see `codextray history list`)\n", continueID)
			return nil, ExitUsage
		}
		if err != nil {
			st.Close()
			fmt.Fprintln(env.Stderr, "codextray chat: cannot read the conversation:", err)
			return nil, ExitFailure
		}
	}
	return r, ExitOK
}

// begin records the user's message, puts the conversation so far in front
// of it in req, and opens the answer's draft. When the history cannot be
// written (read-only, busy, disk full) the turn goes on unrecorded and
// stderr says so, once; nothing of the history is changed.
func (r *chatRecord) begin(ctx context.Context, env Env, req *provider.TurnRequest, prompt string, att []history.Attachment) {
	if r.conv.ID != 0 {
		req.Input = append(history.Input(r.msgs), req.Input...)
		req.ConversationID = r.conv.Session()
	}
	if r.store.ReadOnly != "" {
		return // said when the history was opened
	}
	started := r.conv.ID == 0
	if err := r.record(ctx, req, prompt, att); err != nil {
		fmt.Fprintln(env.Stderr, "codextray chat: warning: not recording this turn in the history:", err)
		if started && r.conv.ID != 0 {
			// Begun but not recorded: hide the empty conversation rather
			// than offer to continue it.
			_ = r.store.Delete(context.WithoutCancel(ctx), r.conv.ID)
			r.conv.ID = 0
		}
	}
}

func (r *chatRecord) record(ctx context.Context, req *provider.TurnRequest, prompt string, att []history.Attachment) error {
	if r.conv.ID == 0 {
		session := provider.NewConversationID()
		id, err := r.store.StartConversation(ctx, prompt, session)
		if err != nil {
			return err
		}
		r.conv = history.Conversation{ID: id, SessionID: session}
	}
	req.ConversationID = r.conv.Session()
	if _, err := r.store.AddMessage(ctx, history.Message{ConversationID: r.conv.ID, Role: "user", Text: prompt, Attachments: att}); err != nil {
		return err
	}
	d, err := r.store.BeginAnswer(ctx, r.conv.ID, req.Model, req.Effort)
	if err != nil {
		return err
	}
	r.draft = d
	return nil
}

// event adds what a stream event contributes to the draft.
func (r *chatRecord) event(ev provider.Event, text string) {
	if r == nil || r.draft == nil {
		return
	}
	if text != "" {
		r.draft.AppendText(text)
	}
	if e, ok := ev.(provider.ReasoningSummaryDelta); ok {
		r.draft.AppendReasoning(e.Delta)
	}
}

// finish stores the answer's final state; a failure is a warning.
func (r *chatRecord) finish(ctx context.Context, env Env, turn *provider.Turn, err error) {
	if r == nil || r.draft == nil {
		return
	}
	state, msg := history.StateComplete, ""
	switch {
	case errors.Is(err, context.Canceled):
		state = history.StateInterrupted
	case err != nil:
		state, msg = history.StateFailed, provider.ErrorMessage(err)
	}
	if err := r.draft.Finish(context.WithoutCancel(ctx), state, msg, history.UsageJSON(turn.Usage), history.ItemsJSON(turn.History())); err != nil {
		fmt.Fprintln(env.Stderr, "codextray chat: warning: the answer was not saved in the history:", err)
	}
	r.draft = nil
}

func (r *chatRecord) id() int64 {
	if r == nil {
		return 0
	}
	return r.conv.ID
}

func (r *chatRecord) close() {
	if r != nil {
		r.store.Close()
	}
}
