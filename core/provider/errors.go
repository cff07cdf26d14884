package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/scrub"
	"github.com/codextray/codextray/core/textfmt"
)

// Kind sorts errors by what the user can do about them.
type Kind string

const (
	KindAuth             Kind = "auth"                    // 401: sign in again
	KindBlocked          Kind = "blocked"                 // 403 from Cloudflare
	KindBadRequest       Kind = "bad_request"             // 400 and friends
	KindUnknownModel     Kind = "unknown_model"           // the model is not available
	KindUsageLimit       Kind = "usage_limit"             // usage_limit_reached: wait until ResetsAt
	KindUsageNotIncluded Kind = "usage_not_included"      // the plan has no Codex
	KindQuota            Kind = "insufficient_quota"      // API key out of quota
	KindRateLimited      Kind = "rate_limited"            // another 429
	KindContextLength    Kind = "context_length_exceeded" // the conversation is too long
	KindOverloaded       Kind = "server_is_overloaded"    // the model is at capacity
	KindPolicy           Kind = "policy"                  // refused by a policy
	KindServer           Kind = "server"                  // 5xx
	KindNetwork          Kind = "network"                 // cannot reach the backend, or the connection broke
	KindIdle             Kind = "idle_timeout"            // nothing arrived for IdleTimeout
	KindIncomplete       Kind = "incomplete"              // response.incomplete
	KindStreamEnded      Kind = "stream_ended"            // closed without response.completed
	KindFailed           Kind = "failed"                  // another response.failed or error event
	KindProtocol         Kind = "protocol"                // an answer Codex Tray cannot read
	KindAnswerTooLarge   Kind = "answer_too_large"        // the answer passed MaxAnswerBytes
	KindAnswerTooLong    Kind = "answer_time_limit"       // the answer took longer than MaxAnswerTime
	KindEventTooLarge    Kind = "event_too_large"         // one event of the stream passed MaxEventSize
	KindTimeout          Kind = "timeout"                 // the backend took the request and did not answer
	KindRouting          Kind = "workspace_routing"       // the workspace's backend cannot be found or used
	KindFlexUnavailable  Kind = "flex_unavailable"        // the flex tier has no capacity: terminal for this turn
	KindContentFilter    Kind = "content_filter"          // response.incomplete, reason content_filter
	KindInvalidPrompt    Kind = "invalid_prompt"          // the backend refuses the prompt itself
	// KindModelsUnauthorized: /codex/models answered 401; not a dead login.
	KindModelsUnauthorized Kind = "models_unauthorized"
)

// Error is a failed backend call: a sentence for the user (Message) and the
// technical cause for the log. It never holds a token.
type Error struct {
	Kind    Kind
	Message string // one or two sentences for the user
	Code    string // the backend's error code or type, when it sent one
	Status  int    // HTTP status; 0 for errors inside the stream or before any answer

	PlanType   string     // usage limits: the plan the limit belongs to
	ResetsAt   time.Time  // usage limits: when they reset; zero when unknown
	RateLimits RateLimits // the rate-limit headers of the response, if any
	RequestID  string     // x-request-id, for support
	Retryable  bool       // the call may succeed if repeated later
	// RetryAfter is how long the backend asked to wait before trying again
	// (Retry-After header, or said in a streamed error); 0 when not said.
	RetryAfter time.Duration
	// WindowMinutes is the length of the usage window that ran out
	// (limit_window_minutes); 0 when not said.
	WindowMinutes int
	Cause         error
}

func (e *Error) Error() string {
	s := e.Message
	if e.Cause != nil {
		s += " (" + e.Cause.Error() + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// ErrorMessage is the sentence to show for err: an *Error's Message, else
// err's text.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, auth.ErrLoginNeeded) {
		return "Not signed in to Codex. Sign in with `codex login`."
	}
	return err.Error()
}

// ErrorCode is the short code of err for machine-readable output: the
// backend's code, else the kind, else "error".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		return string(e.Kind)
	}
	if errors.Is(err, auth.ErrLoginNeeded) {
		return string(KindAuth)
	}
	return "error"
}

// IsUsageLimit reports whether err is a reached usage limit.
func IsUsageLimit(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindUsageLimit
}

// errorBody is what error answers carry: {"error":{…}} or FastAPI's
// {"detail": "…"}.
type errorBody struct {
	Error  *wireError      `json:"error"`
	Detail json.RawMessage `json:"detail"`
}

func (b errorBody) detail() string {
	if len(b.Detail) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(b.Detail, &s) == nil {
		return s
	}
	return string(b.Detail)
}

// classifyHTTP turns a non-2xx answer into an *Error.
func classifyHTTP(status int, h http.Header, body []byte, model string, now time.Time) *Error {
	// What the backend sent back enters Codex Tray here, without secrets.
	body = []byte(scrub.String(string(body)))
	var b errorBody
	_ = json.Unmarshal(body, &b) // not JSON: the raw body is used below
	var we wireError
	if b.Error != nil {
		we = *b.Error
	}
	code := string(we.Code)
	if code == "" {
		code = string(we.Type)
	}
	msg := string(we.Message)
	if msg == "" {
		msg = b.detail()
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
	}
	e := &Error{Status: status, Code: code, RateLimits: ParseRateLimits(h), RequestID: requestID(h),
		RetryAfter: retryAfterHeader(h, now), WindowMinutes: we.windowMinutes()}
	if e.RetryAfter == 0 {
		e.RetryAfter = we.retryAfter()
	}
	e.Cause = fmt.Errorf("HTTP %d %s: %s", status, http.StatusText(status), msg)
	if e.RequestID != "" {
		e.Cause = fmt.Errorf("%w (request id %s)", e.Cause, e.RequestID)
	}
	lower := strings.ToLower(msg)
	switch {
	case status == http.StatusUnauthorized:
		e.Kind = KindAuth
		e.Message = "The ChatGPT backend did not accept the Codex login. Sign in again with `codex login`."
		e.Cause = fmt.Errorf("%w: %w", e.Cause, auth.ErrLoginNeeded)
	case status == http.StatusTooManyRequests && string(we.Type) == "usage_limit_reached" || code == "usage_limit_reached":
		e.Kind, e.Code = KindUsageLimit, "usage_limit_reached"
		e.PlanType = string(we.PlanType)
		e.ResetsAt = we.resetsAt(now)
		if e.ResetsAt.IsZero() {
			e.ResetsAt = e.RateLimits.resetOfActive()
		}
		e.Message = usageLimitMessage(e.PlanType, e.ResetsAt, h, now, e.WindowMinutes)
	case isSpendLimit(code) || isSpendLimit(string(we.Type)):
		if code == "" || !isSpendLimit(code) {
			e.Code = string(we.Type)
		}
		e.Kind = KindUsageLimit
		e.ResetsAt = we.resetsAt(now)
		e.Message = spendLimitMessage(e.Code)
	case code == "flex_unavailable":
		e.Kind, e.Message = KindFlexUnavailable, flexUnavailableMessage
	case code == "slow_down":
		e.Kind, e.Retryable = KindRateLimited, true
		e.Message = slowDownMessage(e.RetryAfter)
	case code == "invalid_prompt":
		e.Kind, e.Message = KindInvalidPrompt, invalidPromptMessage(msg)
	case string(we.Type) == "usage_not_included" || code == "usage_not_included":
		e.Kind = KindUsageNotIncluded
		e.Message = "To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus."
	case code == "insufficient_quota":
		e.Kind = KindQuota
		e.Message = "Quota exceeded. Check your plan and billing details."
	case status == http.StatusTooManyRequests:
		e.Kind, e.Retryable = KindRateLimited, true
		e.Message = "Too many requests to the backend. " + waitSentence(e.RetryAfter)
	case status == http.StatusForbidden && strings.Contains(lower, "cloudflare"):
		e.Kind = KindBlocked
		e.Message = "Access blocked by Cloudflare. Check your network, VPN or proxy, then try again."
	case code == "context_length_exceeded":
		e.Kind = KindContextLength
		e.Message = contextLengthMessage
	case code == "server_is_overloaded":
		e.Kind = KindOverloaded
		e.Message = overloadedMessage
	case code == "cyber_policy" || code == "misalignment_policy_violation" || code == "bio_policy":
		e.Kind = KindPolicy
		e.Message = orSentence(string(we.Message), "The request was refused by a usage policy.")
	case isUnknownModel(status, code, lower):
		e.Kind = KindUnknownModel
		e.Message = fmt.Sprintf("The model %q is not available with this login. Pick another one (see `codextray models`).", model)
	case status >= 500:
		e.Kind, e.Retryable = KindServer, true
		e.Message = "We're currently experiencing high demand, which may cause temporary errors. Try again in a moment."
	case status == http.StatusForbidden:
		e.Kind = KindBadRequest
		e.Message = "The backend refused the request (403): " + msg
	default:
		e.Kind = KindBadRequest
		e.Message = "The backend rejected the request: " + msg
	}
	return e
}

const (
	flexUnavailableMessage = "The flex service tier has no capacity for this model right now. Send the message again later, or without the flex tier."
	contentFilterMessage   = "The answer was stopped by the content filter, so it is incomplete. Rephrase the message and send it again."
	contextLengthMessage   = "The conversation no longer fits in the model's context window. Start a new chat or remove earlier messages, then try again."
	overloadedMessage      = "Selected model is at capacity. Please try a different model."
)

// isSpendLimit reports the codes of an exhausted credit balance or spend
// cap: quota exhausted, handled like a usage limit (exit 4).
func isSpendLimit(code string) bool {
	switch code {
	case "credit_balance_exhausted", "organization_spend_limit_exceeded", "project_spend_limit_exceeded":
		return true
	}
	return false
}

func spendLimitMessage(code string) string {
	switch code {
	case "credit_balance_exhausted":
		return "Your Codex credit balance is used up. Buy more credits, or wait until your usage limit resets."
	case "organization_spend_limit_exceeded":
		return "Your organization has reached its Codex spend limit. Ask your workspace admin to raise it."
	default:
		return "This project has reached its Codex spend limit. Ask your workspace admin to raise it."
	}
}

func slowDownMessage(after time.Duration) string {
	return "The backend asks Codex Tray to slow down. " + waitSentence(after)
}

func invalidPromptMessage(msg string) string {
	return "The backend refused this prompt (" + orSentence(msg, "invalid prompt") + "). Change the message; sending it again as it is will fail the same way."
}

// waitSentence says how long to wait before trying again.
func waitSentence(after time.Duration) string {
	if after <= 0 {
		return "Wait a moment and try again."
	}
	if after < time.Second {
		after = time.Second
	}
	return "Try again in " + after.Round(time.Second).String() + "."
}

// retryAfterHeader reads Retry-After: seconds or an HTTP date.
func retryAfterHeader(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n <= 0 || n > 24*3600 {
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func isUnknownModel(status int, code, lower string) bool {
	if code == "model_not_found" || code == "unsupported_model" {
		return true
	}
	if status != http.StatusBadRequest && status != http.StatusNotFound {
		return false
	}
	return strings.Contains(lower, "model") && (strings.Contains(lower, "not supported") ||
		strings.Contains(lower, "does not exist") || strings.Contains(lower, "not found") ||
		strings.Contains(lower, "unknown") || strings.Contains(lower, "invalid model"))
}

// classifyFailed turns a response.failed into an *Error (docs/codex-protocol.md §5.5).
func classifyFailed(f Failed, model string) *Error {
	code := f.Code
	if code == "" {
		code = f.Type
	}
	e := &Error{Code: code, PlanType: f.PlanType, ResetsAt: f.ResetsAt, RetryAfter: f.RetryAfter, WindowMinutes: f.WindowMinutes,
		Cause: fmt.Errorf("response.failed: %s: %s", orSentence(code, "no code"), orSentence(f.Message, "no message"))}
	if isSpendLimit(f.Code) {
		code, e.Code = f.Code, f.Code
	}
	switch code {
	case "context_length_exceeded":
		e.Kind, e.Message = KindContextLength, contextLengthMessage
	case "insufficient_quota":
		e.Kind, e.Message = KindQuota, "Quota exceeded. Check your plan and billing details."
	case "usage_not_included":
		e.Kind, e.Message = KindUsageNotIncluded, "To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus."
	case "usage_limit_reached":
		e.Kind, e.Message = KindUsageLimit, usageLimitMessage(f.PlanType, f.ResetsAt, nil, time.Now(), f.WindowMinutes)
	case "credit_balance_exhausted", "organization_spend_limit_exceeded", "project_spend_limit_exceeded":
		e.Kind, e.Message = KindUsageLimit, spendLimitMessage(code)
	case "cyber_policy", "misalignment_policy_violation":
		e.Kind, e.Message = KindPolicy, orSentence(f.Message, "The request was refused by a usage policy")+"."
	case "bio_policy":
		e.Kind = KindPolicy
		e.Message = "The request was refused under the biological-safety usage policy. Rephrase it, or start a new chat."
	case "invalid_prompt":
		e.Kind, e.Message = KindInvalidPrompt, invalidPromptMessage(f.Message)
	case "flex_unavailable":
		e.Kind, e.Message = KindFlexUnavailable, flexUnavailableMessage
	case "server_is_overloaded":
		e.Kind, e.Message = KindOverloaded, overloadedMessage
	case "slow_down":
		e.Kind, e.Retryable = KindRateLimited, true
		e.Message = slowDownMessage(f.RetryAfter)
	case "rate_limit_exceeded":
		e.Kind, e.Retryable = KindRateLimited, true
		e.Message = "The backend is rate limiting this account. " + waitSentence(f.RetryAfter)
	case "model_not_found":
		e.Kind = KindUnknownModel
		e.Message = fmt.Sprintf("The model %q is not available with this login. Pick another one (see `codextray models`).", model)
	default:
		e.Kind, e.Retryable = KindFailed, true
		e.Message = "The backend could not finish the answer: " + orSentence(f.Message, "it reported "+orSentence(code, "an unknown error")) + ". Try again."
	}
	return e
}

func orSentence(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return strings.TrimRight(s, ".")
}

// usageLimitMessage is the sentence Codex shows for a reached usage limit,
// with the reset time as every view writes it (textfmt).
func usageLimitMessage(plan string, resets time.Time, h http.Header, now time.Time, windowMinutes int) string {
	msg := "You've hit your usage limit."
	if windowMinutes > 0 {
		msg = "You've hit your usage limit for the " + WindowLabel(windowMinutes) + " window."
	}
	if h != nil {
		switch h.Get("x-codex-rate-limit-reached-type") {
		case "workspace_owner_credits_depleted", "workspace_owner_usage_limit_reached":
			msg = "Your workspace has used up its Codex credits. Add credits to keep going."
		case "workspace_member_credits_depleted", "workspace_member_usage_limit_reached":
			msg = "Your workspace has used up its Codex credits. Ask your workspace admin for more."
		}
		if promo := h.Get("x-codex-promo-message"); promo != "" {
			msg += " " + promo
		}
	}
	switch plan {
	case "plus":
		msg += " Upgrade to Pro or buy credits to keep going."
	case "free", "go":
		msg += " Upgrade to Plus to keep going."
	case "pro", "prolite":
		msg += " Buy credits to keep going."
	case "team", "business", "self_serve_business_usage_based", "self_serve_business_prolite":
		msg += " Ask your workspace admin for more."
	}
	if !resets.IsZero() {
		msg += " Try again at " + textfmt.Local().Clock(resets, now) + "."
	} else {
		msg += " Try again later."
	}
	return msg
}

func requestID(h http.Header) string {
	for _, k := range []string{"x-request-id", "x-oai-request-id", "cf-ray"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}
