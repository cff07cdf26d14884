package provider

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"strconv"
	"strings"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"github.com/codextray/codextray/core/scrub"
)

// Event is one event of a streamed turn, named after the Responses stream
// events: TextDelta, ReasoningSummaryDelta, ItemDone, Completed, and the
// terminal Failed, Incomplete and ErrorEvent. A Stream turns the terminal
// failures into an *Error; Decode yields them as events.
type Event interface{ isEvent() }

// Created is response.created.
type Created struct{ ResponseID string }

// TextDelta is response.output_text.delta: more answer text.
type TextDelta struct {
	ItemID       string
	OutputIndex  int
	ContentIndex int
	Delta        string
}

// ReasoningSummaryDelta is response.reasoning_summary_text.delta: more text
// of reasoning-summary paragraph SummaryIndex.
type ReasoningSummaryDelta struct {
	ItemID       string
	SummaryIndex int
	Delta        string
}

// ItemDone is response.output_item.done: the authoritative finished item (a
// message, a reasoning item to keep for the next turn, a function call).
type ItemDone struct{ Item Item }

// Completed is response.completed: the turn succeeded.
type Completed struct {
	ResponseID string
	Usage      Usage
	EndTurn    *bool // the backend's hint, when sent
}

// Usage is the token count of a turn.
type Usage struct {
	InputTokens       int64 `json:"input_tokens"`
	CachedInputTokens int64 `json:"cached_input_tokens"`
	OutputTokens      int64 `json:"output_tokens"`
	ReasoningTokens   int64 `json:"reasoning_output_tokens"`
	TotalTokens       int64 `json:"total_tokens"`
}

// Failed is response.failed.
type Failed struct {
	ResponseID string
	Type       string // error.type, e.g. usage_limit_reached
	Code       string // error.code, e.g. context_length_exceeded
	Message    string
	PlanType   string
	ResetsAt   time.Time // zero when not sent
	// RetryAfter is how long the backend asks to wait (retry_after, or
	// "try again in 12.5s" in the message); 0 when not said.
	RetryAfter time.Duration
	// WindowMinutes is limit_window_minutes of a usage limit: the length of
	// the window that ran out; 0 when not said.
	WindowMinutes int
}

// Incomplete is response.incomplete.
type Incomplete struct {
	ResponseID string
	Reason     string
}

// ErrorEvent is a top-level {"type":"error"} event.
type ErrorEvent struct {
	Code          string
	Message       string
	Param         string
	RetryAfter    time.Duration // as in Failed
	WindowMinutes int           // as in Failed
	PlanType      string
	ResetsAt      time.Time
}

func (Created) isEvent()               {}
func (TextDelta) isEvent()             {}
func (ReasoningSummaryDelta) isEvent() {}
func (ItemDone) isEvent()              {}
func (Completed) isEvent()             {}
func (Failed) isEvent()                {}
func (Incomplete) isEvent()            {}
func (ErrorEvent) isEvent()            {}

// EventTooLargeError: one event of the stream is longer than the limit.
type EventTooLargeError struct{ Limit int }

func (e *EventTooLargeError) Error() string {
	return fmt.Sprintf("an event of the stream is larger than %s", humanSize(int64(e.Limit)))
}

// humanSize is n bytes for a sentence: "32 MiB", "512 KiB", "100 bytes".
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// DecodeConfig configures Decode.
type DecodeConfig struct {
	MaxEventSize int // default MaxEventSize
}

// Decode reads a Responses SSE stream and yields its events in order,
// dispatching on the JSON "type" (the event: line is ignored, as Codex does).
// Payloads that are not JSON, unknown types and items of unknown shape are
// skipped. It ends at EOF or at the first read error, which it yields; it
// does not stop after response.completed, the caller does. A final event
// without its blank line is still delivered, as Codex's reader does.
func Decode(r io.Reader, cfg DecodeConfig) iter.Seq2[Event, error] {
	if cfg.MaxEventSize <= 0 {
		cfg.MaxEventSize = MaxEventSize
	}
	return func(yield func(Event, error) bool) {
		src := io.MultiReader(r, strings.NewReader("\n\n"))
		for ev, err := range sse.Read(src, &sse.ReadConfig{MaxEventSize: cfg.MaxEventSize}) {
			if err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					err = &EventTooLargeError{Limit: cfg.MaxEventSize}
				}
				yield(nil, fmt.Errorf("reading the event stream: %w", err))
				return
			}
			e, ok := parseEvent(ev.Data)
			if !ok {
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// wireEvent is the union of the fields of the events Codex Tray reads.
type wireEvent struct {
	Type         string        `json:"type"`
	Delta        string        `json:"delta"`
	ItemID       string        `json:"item_id"`
	OutputIndex  int           `json:"output_index"`
	ContentIndex int           `json:"content_index"`
	SummaryIndex int           `json:"summary_index"`
	Item         *Item         `json:"item"`
	Response     *wireResponse `json:"response"`
	Code         flexString    `json:"code"`
	Message      flexString    `json:"message"`
	Param        flexString    `json:"param"`
	Error        *wireError    `json:"error"` // the wrapped form {"type":"error","error":{…}}
}

type wireResponse struct {
	ID                string     `json:"id"`
	Usage             *wireUsage `json:"usage"`
	Error             *wireError `json:"error"`
	IncompleteDetails *struct {
		Reason flexString `json:"reason"`
	} `json:"incomplete_details"`
	EndTurn *bool `json:"end_turn"`
}

type wireUsage struct {
	InputTokens        int64 `json:"input_tokens"`
	InputTokensDetails *struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int64 `json:"output_tokens"`
	OutputTokensDetails *struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int64 `json:"total_tokens"`
}

// wireError is the error object of response.failed and of HTTP error bodies.
type wireError struct {
	Type            flexString `json:"type"`
	Code            flexString `json:"code"`
	Message         flexString `json:"message"`
	PlanType        flexString `json:"plan_type"`
	ResetsAt        flexString `json:"resets_at"`
	ResetsInSeconds flexString `json:"resets_in_seconds"`
	RetryAfter      flexString `json:"retry_after"` // seconds
	RetryAfterSecs  flexString `json:"retry_after_seconds"`
	WindowMinutes   flexString `json:"limit_window_minutes"`
}

var tryAgainIn = regexp.MustCompile(`(?i)try again in (\d+(?:\.\d+)?)\s*(ms|s|seconds?)\b`)

// retryAfter is retry_after (seconds), else "try again in 1.5s" in the
// message, as Codex reads a streamed rate limit; 0 when neither.
func (w *wireError) retryAfter() time.Duration {
	for _, f := range []flexString{w.RetryAfter, w.RetryAfterSecs} {
		if n, err := strconv.ParseFloat(string(f), 64); err == nil && n > 0 && n < 24*3600 {
			return time.Duration(n * float64(time.Second))
		}
	}
	return retryAfterIn(string(w.Message))
}

func retryAfterIn(msg string) time.Duration {
	m := tryAgainIn.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n <= 0 {
		return 0
	}
	if strings.EqualFold(m[2], "ms") {
		return time.Duration(n * float64(time.Millisecond))
	}
	return time.Duration(n * float64(time.Second))
}

func (w *wireError) windowMinutes() int {
	n, err := strconv.Atoi(strings.TrimSpace(string(w.WindowMinutes)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// resetsAt is resets_at (unix seconds), else now + resets_in_seconds.
func (w *wireError) resetsAt(now time.Time) time.Time {
	if n, err := strconv.ParseFloat(string(w.ResetsAt), 64); err == nil && n > 0 {
		return time.Unix(int64(n), 0)
	}
	if n, err := strconv.ParseFloat(string(w.ResetsInSeconds), 64); err == nil && n > 0 {
		return now.Add(time.Duration(n) * time.Second).Truncate(time.Second)
	}
	return time.Time{}
}

// flexString accepts a JSON string, number, bool or null, so that an
// unexpected type in a field does not lose the whole event.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		*f = flexString(b)
	default:
		*f = flexString(b)
	}
	return nil
}

func parseEvent(data string) (Event, bool) {
	if data == "" {
		return nil, false
	}
	// The backend may echo what it was sent: no secret of Codex Tray's
	// goes further than here (error texts also lose anything shaped
	// like a credential, below).
	data = scrub.Known(data)
	var w wireEvent
	if json.Unmarshal([]byte(data), &w) != nil {
		return nil, false
	}
	switch w.Type {
	case "response.created":
		if w.Response != nil {
			return Created{ResponseID: w.Response.ID}, true
		}
		return Created{}, true
	case "response.output_text.delta":
		return TextDelta{ItemID: w.ItemID, OutputIndex: w.OutputIndex, ContentIndex: w.ContentIndex, Delta: w.Delta}, true
	case "response.reasoning_summary_text.delta":
		return ReasoningSummaryDelta{ItemID: w.ItemID, SummaryIndex: w.SummaryIndex, Delta: w.Delta}, true
	case "response.output_item.done":
		if w.Item == nil || w.Item.Type == "" {
			return nil, false
		}
		return ItemDone{Item: *w.Item}, true
	case "response.completed":
		c := Completed{}
		if r := w.Response; r != nil {
			c.ResponseID, c.EndTurn = r.ID, r.EndTurn
			if u := r.Usage; u != nil {
				c.Usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.TotalTokens}
				if u.InputTokensDetails != nil {
					c.Usage.CachedInputTokens = u.InputTokensDetails.CachedTokens
				}
				if u.OutputTokensDetails != nil {
					c.Usage.ReasoningTokens = u.OutputTokensDetails.ReasoningTokens
				}
			}
		}
		return c, true
	case "response.failed":
		f := Failed{}
		if r := w.Response; r != nil {
			f.ResponseID = r.ID
			if e := r.Error; e != nil {
				f.Type, f.Code, f.Message, f.PlanType = string(e.Type), string(e.Code), scrub.String(string(e.Message)), string(e.PlanType)
				f.ResetsAt = e.resetsAt(time.Now())
				f.RetryAfter, f.WindowMinutes = e.retryAfter(), e.windowMinutes()
			}
		}
		return f, true
	case "response.incomplete":
		in := Incomplete{}
		if r := w.Response; r != nil {
			in.ResponseID = r.ID
			if r.IncompleteDetails != nil {
				in.Reason = scrub.String(string(r.IncompleteDetails.Reason))
			}
		}
		return in, true
	case "error":
		e := ErrorEvent{Code: string(w.Code), Message: string(w.Message), Param: string(w.Param)}
		if w.Error != nil {
			e.RetryAfter, e.WindowMinutes = w.Error.retryAfter(), w.Error.windowMinutes()
			e.PlanType, e.ResetsAt = string(w.Error.PlanType), w.Error.resetsAt(time.Now())
			if e.Code == "" {
				e.Code = string(w.Error.Code)
				if e.Code == "" {
					e.Code = string(w.Error.Type)
				}
			}
			if e.Message == "" {
				e.Message = string(w.Error.Message)
			}
		}
		if e.RetryAfter == 0 {
			e.RetryAfter = retryAfterIn(e.Message)
		}
		e.Message, e.Param = scrub.String(e.Message), scrub.String(e.Param)
		return e, true
	}
	return nil, false
}
