package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/codextray/codextray/core/webclient"
)

// Stream is one streamed turn. Read it like a bufio.Scanner:
//
//	for s.Next() {
//		switch ev := s.Event().(type) {
//		case provider.TextDelta: …
//		}
//	}
//	if err := s.Err(); err != nil { … }
//
// Next returns false after response.completed (the last event it returns) or
// on an error. Next, Event, Err and Close belong to one goroutine; Cancel may
// be called from any goroutine and makes a blocked Next return at once with
// context.Canceled. Always Close a Stream; it closes the connection.
type Stream struct {
	c      *Client
	ctx    context.Context
	cancel context.CancelFunc // cancels ctx: the whole turn
	req    TurnRequest
	body   []byte
	lite   bool // a Responses-Lite request (ChatGPT mode)

	// the current connection
	res        *http.Response
	connCancel context.CancelFunc
	next       func() (Event, error, bool)
	stop       func()
	idle       *time.Timer
	idleFired  atomic.Bool
	// timeCap ends the turn after MaxAnswerTime; timeFired says it did.
	timeCap   *time.Timer
	timeFired atomic.Bool

	delivered bool  // an event past response.created reached the caller
	textBytes int64 // answer and reasoning text so far, against MaxAnswerBytes
	cur       Event
	err       error
	done      bool

	rateLimits  RateLimits
	servedModel string
}

// Stream starts a turn: it sends the request, retrying 5xx answers and
// network errors with backoff and re-reading the credentials after a 401,
// and returns once the backend has accepted it. Errors before the stream
// (usage limit, unknown model, login needed, …) are returned here as *Error.
// Once the backend has accepted the turn it is never sent again: whatever
// ends the stream early ends the turn, with an *Error that says why. The
// stream is capped in size (MaxAnswerBytes of text, MaxEventSize per
// event) and in time (MaxAnswerTime).
func (c *Client) Stream(ctx context.Context, r TurnRequest) (*Stream, error) {
	if r.ConversationID == "" {
		r.ConversationID = NewConversationID()
	}
	cr, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	var body []byte
	var d dialect
	if cr.Mode == ModeChatGPT {
		// The model's catalog entry decides the dialect, as in Codex 0.171.
		d = c.dialectFor(ctx, cr, r.Model)
		body, err = c.chatgptBody(r, d)
	} else {
		body, err = c.body(r)
	}
	if err != nil {
		return nil, &Error{Kind: KindBadRequest, Message: "Cannot send the message: " + err.Error() + ".", Cause: err}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream{c: c, ctx: ctx, cancel: cancel, req: r, body: body, lite: d.lite()}
	s.timeCap = time.AfterFunc(c.opts.MaxAnswerTime, func() {
		s.timeFired.Store(true)
		cancel()
	})
	if err := s.connect(); err != nil {
		s.timeCap.Stop()
		cancel()
		if s.timeFired.Load() {
			return nil, s.timeLimitError()
		}
		return nil, err
	}
	return s, nil
}

func (s *Stream) connect() error {
	c := s.c
	connCtx, connCancel := context.WithCancel(s.ctx)
	url := c.opts.OpenAIBaseURL + "/responses"
	res, err := c.do(connCtx, func(ctx context.Context, cr Credentials) (*http.Request, error) {
		u := url
		var rt Route
		if cr.Mode == ModeChatGPT {
			var err error
			if rt, err = c.route(ctx, cr); err != nil {
				return nil, err
			}
			u = rt.Base + "/codex/responses"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(s.body))
		if err != nil {
			return nil, err
		}
		h := req.Header
		c.setCommonHeaders(h, cr)
		h.Set("Content-Type", "application/json")
		h.Set("Accept", "text/event-stream")
		if cr.Mode == ModeChatGPT {
			h.Set("session-id", s.req.ConversationID)
			h.Set("thread-id", s.req.ConversationID)
			h.Set("x-client-request-id", s.req.ConversationID)
			hint := "model=" + s.req.Model
			if s.req.ServiceTier != "" {
				hint += ";tier=" + s.req.ServiceTier
			}
			h.Set("x-codex-routing-hint", hint)
			if s.lite {
				h.Set(HeaderResponsesLite, "true")
			}
			if rt.Override != "" {
				h.Set(HeaderRoutingOverride, rt.Override)
			}
		}
		return req, nil
	}, s.req.Model)
	if err != nil {
		connCancel()
		return err
	}
	s.res, s.connCancel = res, connCancel
	s.rateLimits = ParseRateLimits(res.Header)
	s.servedModel = res.Header.Get("openai-model")
	if etag := res.Header.Get("X-Models-Etag"); etag != "" {
		c.noteModelsETag(etag)
	}
	s.idleFired.Store(false)
	s.idle = time.AfterFunc(c.opts.IdleTimeout, func() {
		s.idleFired.Store(true)
		connCancel()
	})
	r := &idleReader{r: res.Body, t: s.idle, d: c.opts.IdleTimeout}
	s.next, s.stop = pullEvents(Decode(r, DecodeConfig{MaxEventSize: c.opts.MaxEventSize}))
	return nil
}

// closeConn ends the current connection at once.
func (s *Stream) closeConn() {
	if s.res == nil {
		return
	}
	s.idle.Stop()
	s.connCancel()
	s.stop()
	s.res.Body.Close()
	s.res = nil
}

// Next advances to the next event. See Stream.
func (s *Stream) Next() bool {
	if s.done {
		return false
	}
	ev, err, ok := s.next()
	if err == nil && !ok {
		err = io.EOF
	}
	if err != nil {
		return s.fail(s.readError(err))
	}
	switch e := ev.(type) {
	case Created:
	case Completed:
		s.done = true
		s.timeCap.Stop()
		s.closeConn()
	case Failed:
		return s.fail(classifyFailed(e, s.req.Model))
	case Incomplete:
		if e.Reason == "content_filter" {
			return s.fail(&Error{Kind: KindContentFilter, Code: e.Reason, Message: contentFilterMessage,
				Cause: errors.New("response.incomplete: content_filter")})
		}
		return s.fail(&Error{Kind: KindIncomplete, Code: e.Reason,
			Message: "The answer is incomplete (" + orSentence(e.Reason, "no reason given") + ").",
			Cause:   fmt.Errorf("response.incomplete: %s", orSentence(e.Reason, "no reason"))})
	case ErrorEvent:
		f := classifyFailed(Failed{Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter, WindowMinutes: e.WindowMinutes,
			PlanType: e.PlanType, ResetsAt: e.ResetsAt}, s.req.Model)
		f.Cause = fmt.Errorf("error event: %s: %s", orSentence(e.Code, "no code"), orSentence(e.Message, "no message"))
		return s.fail(f)
	case TextDelta:
		s.delivered = true
		if err := s.count(len(e.Delta)); err != nil {
			return s.fail(err)
		}
	case ReasoningSummaryDelta:
		s.delivered = true
		if err := s.count(len(e.Delta)); err != nil {
			return s.fail(err)
		}
	default:
		s.delivered = true
	}
	s.cur = ev
	return true
}

// count adds n bytes of text to the turn's total, failing past the cap.
func (s *Stream) count(n int) error {
	s.textBytes += int64(n)
	if s.textBytes <= s.c.opts.MaxAnswerBytes {
		return nil
	}
	limit := humanSize(s.c.opts.MaxAnswerBytes)
	return &Error{Kind: KindAnswerTooLarge,
		Message: "The answer passed Codex Tray's limit of " + limit + " of text, so it was cut off there.",
		Cause:   fmt.Errorf("more than %d bytes of text in one turn", s.c.opts.MaxAnswerBytes)}
}

func (s *Stream) timeLimitError() *Error {
	return &Error{Kind: KindAnswerTooLong,
		Message: fmt.Sprintf("The answer took longer than Codex Tray's limit of %s, so it was cut off there.", s.c.opts.MaxAnswerTime),
		Cause:   fmt.Errorf("turn still streaming after %s", s.c.opts.MaxAnswerTime)}
}

// readError classifies an error reading the stream (io.EOF when it ended
// without response.completed).
func (s *Stream) readError(err error) error {
	var idle *webclient.IdleError
	var tooLarge *EventTooLargeError
	switch {
	case s.idleFired.Load() || errors.As(err, &idle):
		return &Error{Kind: KindIdle,
			Message: fmt.Sprintf("The backend sent nothing for %s, so the answer was cut off. Try again.", s.c.opts.IdleTimeout),
			Cause:   fmt.Errorf("idle timeout waiting for SSE after %s", s.c.opts.IdleTimeout)}
	case s.timeFired.Load():
		return s.timeLimitError()
	case s.ctx.Err() != nil:
		return s.ctx.Err()
	case errors.As(err, &tooLarge):
		return &Error{Kind: KindEventTooLarge,
			Message: "The backend sent one event larger than Codex Tray's limit of " + humanSize(int64(tooLarge.Limit)) + ", so the answer was cut off there.",
			Cause:   err}
	case errors.Is(err, io.EOF):
		return &Error{Kind: KindStreamEnded, Message: "The connection closed before the answer was complete. Try again.",
			Cause: errors.New("stream closed before response.completed")}
	}
	e := networkError(err)
	e.Message = "The connection to the ChatGPT backend broke before the answer was complete. Try again."
	if s.delivered {
		e.Message = "The connection broke during the answer, so it is incomplete. Try again."
	}
	return e
}

func (s *Stream) fail(err error) bool {
	s.timeCap.Stop()
	s.err = err
	s.done = true
	s.cur = nil
	s.closeConn()
	return false
}

// Event is the event Next advanced to.
func (s *Stream) Event() Event { return s.cur }

// Err is the error that ended the stream; nil after response.completed.
func (s *Stream) Err() error { return s.err }

// Cancel stops the turn and closes its connection. Safe from any goroutine.
func (s *Stream) Cancel() { s.cancel() }

// Close releases the stream and its connection.
func (s *Stream) Close() error {
	s.timeCap.Stop()
	s.cancel()
	s.done = true
	s.closeConn()
	return nil
}

// RateLimits are the rate-limit headers of the answer.
func (s *Stream) RateLimits() RateLimits { return s.rateLimits }

// Model is the model that actually served the turn (openai-model header);
// "" when not reported.
func (s *Stream) Model() string { return s.servedModel }

// ConversationID is the conversation the turn belongs to.
func (s *Stream) ConversationID() string { return s.req.ConversationID }

// idleReader resets the idle timer whenever bytes arrive.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
	}
	return n, err
}
