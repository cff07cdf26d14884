package history

import (
	"context"
	"os"
	"strings"
	"sync"
	"time"
)

// SaveInterval is how often a streaming answer is written while it grows.
const SaveInterval = time.Second

// Draft is an assistant answer being streamed. It is saved as it grows, at
// least once every SaveInterval, and once more when finished; a heartbeat
// keeps it marked as streaming while the stream is idle, so a crash shows
// as interrupted within seconds.
type Draft struct {
	store *Store
	msg   Message

	mu        sync.Mutex
	text      strings.Builder
	reasoning strings.Builder
	stop      chan struct{}
	done      chan struct{}
}

// BeginAnswer records an empty streaming assistant message and starts
// saving it every SaveInterval.
func (s *Store) BeginAnswer(ctx context.Context, conversationID int64, model, effort string) (*Draft, error) {
	m := Message{ConversationID: conversationID, Role: "assistant", Model: model, Effort: effort, State: StateStreaming}
	id, err := s.AddMessage(ctx, m)
	if err != nil {
		return nil, err
	}
	m.ID = id
	if _, err := s.db.ExecContext(ctx, `UPDATE messages SET writer_pid = ? WHERE id = ?`, os.Getpid(), id); err != nil {
		return nil, err
	}
	d := &Draft{store: s, msg: m, stop: make(chan struct{}), done: make(chan struct{})}
	go d.saveLoop()
	return d, nil
}

// ID is the message's id.
func (d *Draft) ID() int64 { return d.msg.ID }

// AppendText adds a text delta.
func (d *Draft) AppendText(delta string) {
	d.mu.Lock()
	d.text.WriteString(delta)
	d.mu.Unlock()
}

// AppendReasoning adds a reasoning-summary delta.
func (d *Draft) AppendReasoning(delta string) {
	d.mu.Lock()
	d.reasoning.WriteString(delta)
	d.mu.Unlock()
}

func (d *Draft) saveLoop() {
	defer close(d.done)
	t := time.NewTicker(SaveInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.mu.Lock()
			text, reasoning := d.text.String(), d.reasoning.String()
			d.mu.Unlock()
			// Saved even when unchanged: the timestamp is the heartbeat.
			_ = d.store.SaveProgress(context.Background(), d.msg.ID, text, reasoning)
		}
	}
}

// Finish stops the saver and stores the final answer. state is
// StateComplete, StateInterrupted (stopped by the user) or StateFailed with
// errMsg; usage and items are JSON as the provider gave them.
func (d *Draft) Finish(ctx context.Context, state, errMsg, usage, items string) error {
	close(d.stop)
	<-d.done
	d.mu.Lock()
	m := d.msg
	m.Text, m.Reasoning = d.text.String(), d.reasoning.String()
	d.mu.Unlock()
	m.State, m.Error, m.Usage, m.Items = state, errMsg, usage, items
	return d.store.Finish(ctx, m)
}
