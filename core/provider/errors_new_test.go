package provider

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

// The errors of Codex 0.155+ each get their own sentence and retry rule.
func TestNewErrorCodes(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	type want struct {
		kind      Kind
		retryable bool
		after     time.Duration
		usage     bool // exit 4
		says      string
	}
	httpCases := map[string]struct {
		status int
		header http.Header
		body   string
		want   want
	}{
		"slow_down with Retry-After": {429, http.Header{"Retry-After": {"7"}}, `{"error":{"code":"slow_down","message":"slow down"}}`,
			want{KindRateLimited, true, 7 * time.Second, false, "Try again in 7s"}},
		"429 with an HTTP-date Retry-After": {429, http.Header{"Retry-After": {now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, `{"error":{"code":"rate_limit_exceeded"}}`,
			want{KindRateLimited, true, 90 * time.Second, false, "Try again in 1m30s"}},
		"usage limit with its window": {429, nil, `{"error":{"type":"usage_limit_reached","message":"x","plan_type":"plus","limit_window_minutes":10080}}`,
			want{KindUsageLimit, false, 0, true, "usage limit for the week window"}},
		"credits exhausted": {429, nil, `{"error":{"code":"credit_balance_exhausted","message":"x"}}`,
			want{KindUsageLimit, false, 0, true, "credit balance is used up"}},
		"organization spend cap": {429, nil, `{"error":{"code":"organization_spend_limit_exceeded"}}`,
			want{KindUsageLimit, false, 0, true, "organization has reached its Codex spend limit"}},
		"project spend cap": {400, nil, `{"error":{"type":"project_spend_limit_exceeded"}}`,
			want{KindUsageLimit, false, 0, true, "project has reached its Codex spend limit"}},
		"flex_unavailable": {429, nil, `{"error":{"code":"flex_unavailable"}}`,
			want{KindFlexUnavailable, false, 0, false, "flex service tier has no capacity"}},
		"bio_policy": {400, nil, `{"error":{"code":"bio_policy","message":"Refused."}}`,
			want{KindPolicy, false, 0, false, "Refused"}},
		"invalid_prompt": {400, nil, `{"error":{"code":"invalid_prompt","message":"Invalid prompt: bad"}}`,
			want{KindInvalidPrompt, false, 0, false, "Change the message"}},
	}
	check := func(name string, e *Error, w want) {
		t.Helper()
		if e.Kind != w.kind || e.Retryable != w.retryable || e.RetryAfter != w.after || IsUsageLimit(e) != w.usage || !strings.Contains(e.Message, w.says) {
			t.Errorf("%s: kind %s retryable %v after %v usage %v message %q; want %+v", name, e.Kind, e.Retryable, e.RetryAfter, IsUsageLimit(e), e.Message, w)
		}
	}
	for name, c := range httpCases {
		h := c.header
		if h == nil {
			h = http.Header{}
		}
		check(name, classifyHTTP(c.status, h, []byte(c.body), "m", now), c.want)
	}

	streamCases := map[string]struct {
		f    Failed
		want want
	}{
		"streamed slow_down, wait in the message": {Failed{Code: "slow_down", Message: "Please try again in 2.5s.", RetryAfter: retryAfterIn("Please try again in 2.5s.")},
			want{KindRateLimited, true, 2500 * time.Millisecond, false, "Try again in 3s"}},
		"streamed flex_unavailable": {Failed{Code: "flex_unavailable"}, want{KindFlexUnavailable, false, 0, false, "flex service tier"}},
		"streamed credits":          {Failed{Code: "credit_balance_exhausted"}, want{KindUsageLimit, false, 0, true, "credit balance"}},
		"streamed bio_policy":       {Failed{Code: "bio_policy"}, want{KindPolicy, false, 0, false, "biological-safety"}},
		"streamed invalid_prompt":   {Failed{Code: "invalid_prompt", Message: "bad"}, want{KindInvalidPrompt, false, 0, false, "refused this prompt (bad)"}},
		"streamed usage window":     {Failed{Type: "usage_limit_reached", WindowMinutes: 300}, want{KindUsageLimit, false, 0, true, "for the 5 h window"}},
	}
	for name, c := range streamCases {
		check(name, classifyFailed(c.f, "m"), c.want)
	}
}

// Through a real stream: the Retry-After of a streamed error, and
// response.incomplete for the content filter.
func TestStreamedRetryAfterAndContentFilter(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(
		pt.Reply{Chunks: []string{pt.SSE(pt.Created("r1"), map[string]any{"type": "error", "error": map[string]any{"code": "slow_down", "message": "Slow down.", "retry_after": 4}})}},
		pt.Reply{Chunks: []string{pt.SSE(pt.Created("r2"), pt.TextDelta("Partial"), pt.Incomplete("content_filter"))}},
	)
	c := newTestClient(t, srv, nil)
	_, _, err := run(t, c, hello("a"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRateLimited || e.RetryAfter != 4*time.Second || !strings.Contains(e.Message, "Try again in 4s") {
		t.Errorf("streamed slow_down: %v", err)
	}
	_, _, err = run(t, c, hello("b"))
	if !errors.As(err, &e) || e.Kind != KindContentFilter || !strings.Contains(e.Message, "content filter") {
		t.Errorf("content filter: %v", err)
	}
}

// A short Retry-After is waited out and the request sent again.
func TestShortRetryAfterIsWaitedOut(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Status: 429, Header: map[string]string{"Retry-After": "0.05"}, Body: `{"error":{"code":"slow_down"}}`},
		pt.Reply{Chunks: []string{pt.Stream("ok", pt.Usage{})}})
	if _, _, err := run(t, newTestClient(t, srv, nil), hello("c")); err != nil {
		t.Fatalf("after a 50 ms Retry-After: %v", err)
	}
	if n := len(srv.RequestsTo("/codex/responses")); n != 2 {
		t.Errorf("%d turn requests, want 2", n)
	}
}

// A 401 token_expired from /codex/models is not a dead login, and nothing is
// refreshed for it.
func TestModels401IsNotALoginProblem(t *testing.T) {
	srv := newServer(t)
	srv.SetModelsError(&pt.Reply{Status: 401, Body: `{"error":{"code":"token_expired","message":"Provided authentication token is expired."}}`})
	refused := 0
	src := countingSource{n: &refused}
	_, err := newTestClient(t, srv, src).Models(t.Context())
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindModelsUnauthorized || e.Code != "token_expired" || errors.Is(err, auth.ErrLoginNeeded) {
		t.Fatalf("models 401: %v", err)
	}
	if refused != 0 {
		t.Errorf("the credential source was asked %d times for other credentials; a models 401 must not refresh", refused)
	}
}

type countingSource struct{ n *int }

func (s countingSource) Current(ctx context.Context) (Credentials, error) {
	return StaticSource{Credentials{Mode: ModeChatGPT, Token: auth.NewSecret(testToken), AccountID: "acct-fake-0001"}}.Current(ctx)
}

func (s countingSource) AfterUnauthorized(ctx context.Context, c Credentials) (Credentials, error) {
	*s.n++
	return Credentials{}, errors.New("no")
}

// Windows are named by their length, with the tolerance of ClassifyWindow
// (a rounded-up 5 h window is still "5 h"), the same in every view.
func TestWindowLabelsByLength(t *testing.T) {
	for m, want := range map[int]string{300: "5 h", 1440: "day", 10080: "week", 43200: "month", 44640: "month", 120: "2 h", 2880: "2 d", 45: "45 min", 0: "",
		301: "5 h", 10081: "week", 40320: "month"} {
		if got := WindowLabel(m); got != want {
			t.Errorf("WindowLabel(%d) = %q, want %q", m, got, want)
		}
	}
}
