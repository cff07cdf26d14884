// Package chat owns the chat window's conversation without Fyne: the
// messages as shown, the input items sent back on every turn (the backend
// keeps nothing), streamed turns with Stop and Retry, images prepared for
// sending, and the pacer that limits redraws to about one a frame.
package chat

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/provider"
)

// Role says who a message is from.
type Role string

// Roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// State is where an answer is.
type State int

// States of a message.
const (
	StateDone      State = iota // complete (every user message is)
	StateStreaming              // still arriving
	StateStopped                // stopped by the user; the text so far stays
	StateFailed                 // ended by an error; see Problem
)

// Action is what the user can do about a problem.
type Action string

// Actions offered beside an error.
const (
	ActionNone    Action = ""
	ActionRetry   Action = "retry"    // send the turn again
	ActionSignIn  Action = "sign_in"  // sign Codex in again
	ActionNewChat Action = "new_chat" // the conversation is too long
)

// Problem is an error shown inside the conversation, with its action.
type Problem struct {
	Message  string // the sentence for the user
	Action   Action
	ResetsAt time.Time // usage limits: when they reset; zero when unknown
	Code     string    // the backend's code or the error's kind
	Cause    error     // for the log
}

// ProblemFor sorts err into what the user reads and can do.
func ProblemFor(err error) *Problem {
	p := &Problem{Message: provider.ErrorMessage(err), Code: provider.ErrorCode(err), Cause: err, Action: ActionRetry}
	var pe *provider.Error
	switch {
	case errors.Is(err, auth.ErrLoginNeeded):
		p.Action = ActionSignIn
	case provider.IsUsageLimit(err):
		p.Action = ActionNone
		if errors.As(err, &pe) {
			p.ResetsAt = pe.ResetsAt
		}
	case errors.As(err, &pe) && pe.Kind == provider.KindContextLength:
		p.Action = ActionNewChat
	case errors.As(err, &pe) && (pe.Kind == provider.KindUsageNotIncluded || pe.Kind == provider.KindPolicy ||
		pe.Kind == provider.KindInvalidPrompt || pe.Kind == provider.KindContentFilter || pe.Kind == provider.KindRouting):
		// Sending the same turn again would fail the same way.
		p.Action = ActionNone
	}
	return p
}

// Message is one message as the window shows it.
type Message struct {
	Role      Role
	Text      string // Markdown for answers, plain for the user's
	Reasoning string // the reasoning summary, paragraphs joined by blank lines
	Images    []Attachment
	Model     string
	Effort    string
	Usage     provider.Usage
	HasUsage  bool
	State     State
	Problem   *Problem
	// Rev changes with every change of the message; it is unique within
	// the conversation, so a retried answer never repeats an earlier one.
	Rev uint64
	// Pending is when the oldest change not yet taken by Changes happened;
	// zero when none is waiting.
	Pending time.Time
}

// Stream is one streamed turn; *provider.Stream is one.
type Stream interface {
	Next() bool
	Event() provider.Event
	Err() error
	Close() error
	Cancel()
	RateLimits() provider.RateLimits
}

// StreamFunc starts a turn.
type StreamFunc func(ctx context.Context, r provider.TurnRequest) (Stream, error)

// ClientStream starts turns with c.
func ClientStream(c *provider.Client) StreamFunc {
	return func(ctx context.Context, r provider.TurnRequest) (Stream, error) {
		s, err := c.Stream(ctx, r)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// Recorder saves turns as they happen (core/history through an adapter);
// nil records nothing. Calls come from the turn's goroutine.
type Recorder interface {
	// User saves a user message, starting the conversation on the first.
	User(m Message) error
	// BeginAnswer starts saving a streamed answer.
	BeginAnswer(model, effort string) (AnswerRecorder, error)
}

// AnswerRecorder saves one answer as it grows.
type AnswerRecorder interface {
	AppendText(delta string)
	AppendReasoning(delta string)
	// Finish stores the final state: StateDone, StateStopped or StateFailed
	// with the problem's sentence; items are the output items to echo.
	Finish(state State, problem string, usage provider.Usage, items []provider.Item) error
}

// ErrBusy is returned by Send while an answer is streaming.
var ErrBusy = errors.New("an answer is still streaming; stop it first")

// Conversation is the chat window's conversation. It is safe for concurrent
// use: the UI calls Send, Stop and reads; a turn goroutine per answer
// writes, and calls notify after every change (from that goroutine).
type Conversation struct {
	stream StreamFunc
	notify func()

	mu       sync.Mutex
	id       string
	msgs     []Message
	items    []provider.Item // the conversation as the backend reads it
	tier     string          // service tier of the next turns (SetServiceTier)
	dirty    map[int]struct{}
	resets   uint64 // grows with Reset, so a render can start over
	revs     uint64 // the last Rev handed out
	cancel   context.CancelFunc
	turnDone chan struct{}
	rl       provider.RateLimits
	recorder Recorder
	now      func() time.Time
}

// New returns an empty conversation that streams turns with stream and
// calls notify after every change.
func New(stream StreamFunc, notify func()) *Conversation {
	if notify == nil {
		notify = func() {}
	}
	return &Conversation{stream: stream, notify: notify, id: provider.NewConversationID(),
		dirty: map[int]struct{}{}, now: time.Now}
}

// SetRecorder sets where turns are saved from now on (nil: nowhere).
func (c *Conversation) SetRecorder(r Recorder) {
	c.mu.Lock()
	c.recorder = r
	c.mu.Unlock()
}

// Load replaces the conversation with earlier messages (from history) and
// the items to send back with them. It stops a streaming answer.
func (c *Conversation) Load(msgs []Message, items []provider.Item) {
	c.LoadSession(provider.NewConversationID(), msgs, items)
}

// LoadSession is Load keeping the backend session id the conversation's
// earlier turns used ("" starts a new one).
func (c *Conversation) LoadSession(session string, msgs []Message, items []provider.Item) {
	if session == "" {
		session = provider.NewConversationID()
	}
	c.Stop()
	c.Wait()
	c.mu.Lock()
	c.id = session
	c.msgs = append([]Message(nil), msgs...)
	c.items = append([]provider.Item(nil), items...)
	c.dirty = map[int]struct{}{}
	c.resets++
	for i := range c.msgs { // every loaded message is new to the window
		c.msgs[i].Pending = time.Time{}
		c.touch(i)
	}
	c.mu.Unlock()
	c.notify()
}

// Session is the backend session id the turns are sent with.
func (c *Conversation) Session() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// Reset starts a new, empty conversation.
func (c *Conversation) Reset() { c.Load(nil, nil) }

// Len is the number of messages.
func (c *Conversation) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// Message returns message i (zero when out of range).
func (c *Conversation) Message(i int) Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 0 || i >= len(c.msgs) {
		return Message{}
	}
	return c.msgs[i]
}

// Changes returns the number of messages, the ones that changed since the
// last call (with when their oldest change happened) and the reset count;
// it clears the record.
func (c *Conversation) Changes() (n int, changed []Message, ids []int, resets uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.dirty {
		if i < len(c.msgs) {
			ids = append(ids, i)
			changed = append(changed, c.msgs[i])
			c.msgs[i].Pending = time.Time{}
		}
	}
	clear(c.dirty)
	return len(c.msgs), changed, ids, c.resets
}

// Items is a copy of the input items of the conversation so far.
func (c *Conversation) Items() []provider.Item {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]provider.Item(nil), c.items...)
}

// RateLimits are those of the latest answer that carried them.
func (c *Conversation) RateLimits() provider.RateLimits {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rl
}

// Busy reports whether an answer is streaming.
func (c *Conversation) Busy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancel != nil
}

// Wait returns when no answer is streaming and the last one is recorded.
func (c *Conversation) Wait() {
	c.mu.Lock()
	done := c.turnDone
	c.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Stop cancels the streaming answer at once; its text so far stays.
func (c *Conversation) Stop() {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// touch marks message i changed; c.mu is held.
func (c *Conversation) touch(i int) {
	m := &c.msgs[i]
	c.revs++
	m.Rev = c.revs
	if m.Pending.IsZero() {
		m.Pending = c.now()
	}
	c.dirty[i] = struct{}{}
}

// SetServiceTier sets the speed tier of the next turns (provider.
// ServiceTierPriority for the chat's Fast toggle; "" for the standard one).
func (c *Conversation) SetServiceTier(tier string) {
	c.mu.Lock()
	c.tier = tier
	c.mu.Unlock()
}

// Send adds the user's message and streams the answer in the background,
// with the whole conversation as input. ctx bounds the turn.
func (c *Conversation) Send(ctx context.Context, text string, images []Attachment, model, effort string) error {
	text = strings.TrimSpace(text)
	if text == "" && len(images) == 0 {
		return errors.New("nothing to send")
	}
	imgs := make([]provider.Image, len(images))
	for i, a := range images {
		imgs[i] = a.Image
	}
	c.mu.Lock()
	if c.cancel != nil {
		c.mu.Unlock()
		return ErrBusy
	}
	user := Message{Role: RoleUser, Text: text, Images: images, Model: model, Effort: effort}
	c.msgs = append(c.msgs, user)
	c.touch(len(c.msgs) - 1)
	c.items = append(c.items, provider.UserMessage(text, imgs...))
	rec := c.recorder
	c.mu.Unlock()
	if rec != nil {
		_ = rec.User(user) // history is best effort: the chat goes on without it
	}
	return c.start(ctx, model, effort)
}

// Retry streams the last answer again, after it failed or was stopped.
func (c *Conversation) Retry(ctx context.Context) error {
	c.mu.Lock()
	n := len(c.msgs)
	if c.cancel != nil {
		c.mu.Unlock()
		return ErrBusy
	}
	if n == 0 || c.msgs[n-1].Role != RoleAssistant || c.msgs[n-1].State == StateDone {
		c.mu.Unlock()
		return errors.New("there is no answer to retry")
	}
	last := c.msgs[n-1]
	if last.State == StateStopped && len(c.items) > 0 && c.items[len(c.items)-1].Role == "assistant" {
		c.items = c.items[:len(c.items)-1] // the partial answer kept for context
	}
	c.msgs = c.msgs[:n-1]
	c.mu.Unlock()
	return c.start(ctx, last.Model, last.Effort)
}

// start adds the answer and runs the turn; the last item is the user's.
func (c *Conversation) start(ctx context.Context, model, effort string) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	c.mu.Lock()
	c.msgs = append(c.msgs, Message{Role: RoleAssistant, Model: model, Effort: effort, State: StateStreaming})
	idx := len(c.msgs) - 1
	c.touch(idx)
	req := provider.TurnRequest{Model: model, Effort: effort, ConversationID: c.id, ServiceTier: c.tier, Input: append([]provider.Item(nil), c.items...)}
	c.cancel, c.turnDone = cancel, done
	resets, rec := c.resets, c.recorder
	c.mu.Unlock()
	c.notify()
	go func() {
		defer close(done)
		defer cancel()
		c.run(ctx, idx, resets, req, rec)
	}()
	return nil
}

// run streams one answer into message idx.
func (c *Conversation) run(ctx context.Context, idx int, resets uint64, req provider.TurnRequest, rec Recorder) {
	var ans AnswerRecorder
	if rec != nil {
		ans, _ = rec.BeginAnswer(req.Model, req.Effort)
	}
	// update changes the answer unless the conversation was reset meanwhile.
	update := func(f func(m *Message)) {
		c.mu.Lock()
		if c.resets == resets && idx < len(c.msgs) {
			f(&c.msgs[idx])
			c.touch(idx)
		}
		c.mu.Unlock()
		c.notify()
	}
	var turn provider.Turn
	s, err := c.stream(ctx, req)
	if err == nil {
		for s.Next() {
			ev := s.Event()
			delta := turn.Add(ev)
			if ans != nil {
				if delta != "" {
					ans.AppendText(delta)
				}
				if r, ok := ev.(provider.ReasoningSummaryDelta); ok {
					ans.AppendReasoning(r.Delta)
				}
			}
			switch ev.(type) {
			case provider.TextDelta, provider.ReasoningSummaryDelta, provider.ItemDone, provider.Completed:
				text, reasoning := turn.Text.String(), strings.Join(turn.Reasoning, "\n\n")
				usage, completed := turn.Usage, turn.Completed
				update(func(m *Message) {
					m.Text, m.Reasoning = text, reasoning
					if completed {
						m.Usage, m.HasUsage = usage, true
					}
				})
			}
		}
		err = s.Err()
		rl := s.RateLimits()
		s.Close()
		if !rl.IsZero() {
			c.mu.Lock()
			c.rl = rl
			c.mu.Unlock()
		}
	}
	stopped := errors.Is(err, context.Canceled) || ctx.Err() != nil && err != nil
	var problem *Problem
	state := StateDone
	switch {
	case err == nil:
	case stopped:
		state = StateStopped
	default:
		state, problem = StateFailed, ProblemFor(err)
	}

	c.mu.Lock()
	c.cancel = nil // turnDone stays until the recorder is done too: see Wait
	current := c.resets == resets
	if current {
		switch state {
		case StateDone:
			c.items = append(c.items, turn.History()...)
		case StateStopped:
			if turn.Text.Len() > 0 {
				c.items = append(c.items, provider.AssistantMessage(turn.Text.String()))
			}
		}
		if idx < len(c.msgs) {
			m := &c.msgs[idx]
			m.State, m.Problem = state, problem
			m.Text, m.Reasoning = turn.Text.String(), strings.Join(turn.Reasoning, "\n\n")
			if turn.Completed {
				m.Usage, m.HasUsage = turn.Usage, true
			}
			c.touch(idx)
		}
	}
	c.mu.Unlock()
	if ans != nil {
		msg := ""
		if problem != nil {
			msg = problem.Message
		}
		_ = ans.Finish(state, msg, turn.Usage, turn.History())
	}
	c.notify()
}
