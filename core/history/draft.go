package history

import (
	"context"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// SaveInterval is how often a streaming answer is written while it grows.
const SaveInterval = time.Second

// MaxAnswerBytes is the most the history keeps of one answer's text, and
// of its reasoning: an endless stream must not fill the disk. What comes
// after is dropped and CutMarker is stored in its place. Real answers are
// far smaller (a long one is tens of KiB). It matches the stream's own cap
// on a turn's text (core/provider, 8 MiB by default), so that an answer
// shown in full is saved in full; this one still bounds the disk if that
// one is raised.
const MaxAnswerBytes = 8 << 20

// CutMarker ends an answer cut at MaxAnswerBytes.
const CutMarker = "\n\n[Codex Tray: the rest of this answer was not saved: it was longer than 8 MiB, the most the history keeps of one answer.]"

// Draft is an assistant answer being streamed. It is saved as it grows, at
// least once every SaveInterval, and once more when finished; a heartbeat
// keeps it marked as streaming while the stream is idle, so a crash shows
// as interrupted within seconds.
type Draft struct {
	store *Store
	msg   Message

	mu        sync.Mutex
	text      cappedText
	reasoning cappedText
	saved     int // text and reasoning bytes last saved, to skip unchanged rewrites
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
		return nil, s.classify("cannot save the answer", err)
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
	d.text.add(delta)
	d.mu.Unlock()
}

// AppendReasoning adds a reasoning-summary delta.
func (d *Draft) AppendReasoning(delta string) {
	d.mu.Lock()
	d.reasoning.add(delta)
	d.mu.Unlock()
}

// cappedText is a growing text that keeps at most MaxAnswerBytes, cut at a
// character boundary.
type cappedText struct {
	b   strings.Builder
	cut bool
}

func (c *cappedText) add(delta string) {
	if c.cut {
		return
	}
	if room := MaxAnswerBytes - c.b.Len(); len(delta) > room {
		for room > 0 && !utf8.RuneStart(delta[room]) {
			room--
		}
		c.b.WriteString(delta[:room])
		c.cut = true
		return
	}
	c.b.WriteString(delta)
}

func (c *cappedText) String() string {
	if c.cut {
		return c.b.String() + CutMarker
	}
	return c.b.String()
}

func (c *cappedText) size() int { return c.b.Len() }

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
			size := d.text.size() + d.reasoning.size()
			changed := size != d.saved
			text, reasoning := "", ""
			if changed {
				text, reasoning = d.text.String(), d.reasoning.String()
			}
			d.mu.Unlock()
			// Saved even when unchanged, as the timestamp is the heartbeat;
			// the text only when it grew. A failure is retried next time, and
			// Finish reports it.
			if !changed {
				_ = d.store.touch(context.Background(), d.msg.ID)
			} else if d.store.SaveProgress(context.Background(), d.msg.ID, text, reasoning) == nil {
				d.mu.Lock()
				d.saved = size
				d.mu.Unlock()
			}
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
