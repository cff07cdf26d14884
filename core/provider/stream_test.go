package provider

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

const testToken = "access-token-for-tests"

func newTestClient(t *testing.T, srv *pt.Server, src CredentialSource, mod ...func(*Options)) *Client {
	t.Helper()
	if src == nil {
		src = StaticSource{Credentials{Mode: ModeChatGPT, Token: auth.NewSecret(testToken), AccountID: authtest.AccountID}}
	}
	o := Options{Credentials: src, ChatGPTBaseURL: srv.ChatGPTBaseURL, OpenAIBaseURL: srv.OpenAIBaseURL,
		AppVersion: "0.1.0-test", RetryBase: time.Millisecond, CacheDir: t.TempDir()}
	for _, m := range mod {
		m(&o)
	}
	return New(o)
}

func newServer(t *testing.T) *pt.Server {
	srv := pt.New(t, testToken)
	srv.ExpectAccountID(authtest.AccountID)
	return srv
}

func hello(conv string) TurnRequest {
	return TurnRequest{Model: "gpt-5.5", Effort: "medium", ConversationID: conv, Input: []Item{UserMessage("Hello")}}
}

// run streams r to the end and returns the turn and the error.
func run(t *testing.T, c *Client, r TurnRequest) (*Turn, []Event, error) {
	t.Helper()
	s, err := c.Stream(context.Background(), r)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var turn Turn
	var evs []Event
	for s.Next() {
		evs = append(evs, s.Event())
		turn.Add(s.Event())
	}
	return &turn, evs, s.Err()
}

func TestStreamTextReasoningUsage(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Hello there, friend.", pt.Usage{Input: 100, Cached: 40, Output: 30, Reasoning: 12})},
		Header: map[string]string{"x-codex-primary-used-percent": "12.5", "x-codex-primary-window-minutes": "300",
			"x-codex-primary-reset-at": "1900000000", "x-codex-secondary-used-percent": "40", "x-codex-secondary-window-minutes": "10080",
			"openai-model": "gpt-5.5-2026"}})
	c := newTestClient(t, srv, nil)
	s, err := c.Stream(context.Background(), hello("conv-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var turn Turn
	for s.Next() {
		turn.Add(s.Event())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if got := turn.Text.String(); got != "Hello there, friend." {
		t.Errorf("text %q", got)
	}
	if len(turn.Reasoning) != 1 || turn.Reasoning[0] != "Thinking about it." {
		t.Errorf("reasoning %q", turn.Reasoning)
	}
	want := Usage{InputTokens: 100, CachedInputTokens: 40, OutputTokens: 30, ReasoningTokens: 12, TotalTokens: 130}
	if !turn.Completed || turn.Usage != want || turn.ResponseID != "resp_1" {
		t.Errorf("completed %v usage %+v id %q", turn.Completed, turn.Usage, turn.ResponseID)
	}
	rl := s.RateLimits()
	if rl.Primary == nil || rl.Primary.UsedPercent != 12.5 || rl.Primary.WindowMinutes != 300 || !rl.Primary.ResetsAt.Equal(unix(1900000000)) ||
		rl.Secondary == nil || rl.Secondary.UsedPercent != 40 {
		t.Errorf("rate limits %+v", rl)
	}
	if c.LastRateLimits().Primary == nil || s.Model() != "gpt-5.5-2026" {
		t.Errorf("client rate limits %+v, model %q", c.LastRateLimits(), s.Model())
	}

	// The next turn sends the history back: the reasoning item with its
	// encrypted content, the answer as output_text.
	next := hello("conv-1")
	next.Input = append(append(next.Input, turn.History()...), UserMessage("And now?"))
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("Fine.", pt.Usage{})}})
	if _, _, err := run(t, c, next); err != nil {
		t.Fatal(err)
	}
	reqs := srv.RequestsTo("/codex/responses")
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	checkHeaders(t, reqs[0].Header, "conv-1")
	in := reqs[1].Conversation()
	if len(in) != 4 {
		t.Fatalf("second turn input has %d items: %v", len(in), in)
	}
	rs := in[1].(map[string]any)
	if rs["type"] != "reasoning" || rs["encrypted_content"] != "enc-reasoning-1" {
		t.Errorf("reasoning item not echoed: %v", rs)
	}
	as := in[2].(map[string]any)
	if as["role"] != "assistant" || as["content"].([]any)[0].(map[string]any)["type"] != "output_text" {
		t.Errorf("assistant item: %v", as)
	}
	body := reqs[0].JSON
	// gpt-5.5 is not Responses-Lite: the system prompt is the first
	// developer message, as Codex 0.171 sends it, not top-level instructions.
	dev := body["input"].([]any)[0].(map[string]any)
	if body["model"] != "gpt-5.5" || body["reasoning"].(map[string]any)["effort"] != "medium" || body["instructions"] != nil ||
		dev["role"] != "developer" || dev["content"].([]any)[0].(map[string]any)["text"] != DefaultInstructions {
		t.Errorf("body %v", body)
	}
}

func checkHeaders(t *testing.T, h http.Header, conv string) {
	t.Helper()
	want := map[string]string{
		"Authorization": "Bearer " + testToken, "ChatGPT-Account-ID": authtest.AccountID, "originator": DefaultOriginator,
		"version": CodexClientVersion, "session-id": conv, "thread-id": conv, "Accept": "text/event-stream",
		"Content-Type": "application/json",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "codextray/0.1.0-test (") {
		t.Errorf("User-Agent %q", ua)
	}
	if h.Get("X-OpenAI-Fedramp") != "" {
		t.Errorf("fedramp header sent for a normal account")
	}
}

func TestStreamFixtures(t *testing.T) {
	cases := []struct {
		name    string
		sse     string
		text    string
		kind    Kind
		itemTyp string
	}{
		{"cli_responses_fixture.sse", string(pt.Fixture(t, "cli_responses_fixture.sse")), "fixture hello", "", "message"},
		{"completed_template.json", pt.FixtureSSE(t, "completed_template.json", "resp_tpl"), "", "", ""},
		{"sse_apply_patch_update.json", pt.FixtureSSE(t, "sse_apply_patch_update.json", "call_1"), "", "", "function_call"},
		{"incomplete_sse.json", pt.FixtureSSE(t, "incomplete_sse.json", "x"), "", KindStreamEnded, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(pt.Reply{Chunks: []string{tc.sse}})
			turn, _, err := run(t, newTestClient(t, srv, nil), hello("c"))
			if tc.kind != "" {
				var e *Error
				if !errors.As(err, &e) || e.Kind != tc.kind {
					t.Fatalf("err %v, want kind %s", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if turn.Text.String() != tc.text || !turn.Completed {
				t.Errorf("text %q completed %v", turn.Text.String(), turn.Completed)
			}
			if tc.itemTyp != "" && (len(turn.Items) != 1 || turn.Items[0].Type != tc.itemTyp) {
				t.Errorf("items %+v", turn.Items)
			}
			if tc.itemTyp == "function_call" && (turn.Items[0].Name != "apply_patch" || turn.Items[0].CallID != "call_1") {
				t.Errorf("function call %+v", turn.Items[0])
			}
		})
	}
}

func TestStreamFailedCodes(t *testing.T) {
	cases := []struct {
		code string
		kind Kind
		want string
	}{
		{"context_length_exceeded", KindContextLength, "context window"},
		{"insufficient_quota", KindQuota, "Quota exceeded"},
		{"usage_not_included", KindUsageNotIncluded, "upgrade to Plus"},
		{"cyber_policy", KindPolicy, "server says no"},
		{"misalignment_policy_violation", KindPolicy, "server says no"},
		{"invalid_prompt", KindInvalidPrompt, "server says no"},
		{"bio_policy", KindPolicy, "biological-safety"},
		{"server_is_overloaded", KindOverloaded, "at capacity"},
		{"slow_down", KindRateLimited, "slow down"},
		{"rate_limit_exceeded", KindRateLimited, "rate limiting"},
		{"usage_limit_reached", KindUsageLimit, "usage limit"},
		{"server_error", KindFailed, "server says no"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.Failed(tc.code, "server says no", map[string]any{"plan_type": "plus", "resets_at": 1900000000}))}})
			_, _, err := run(t, newTestClient(t, srv, nil), hello("c"))
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || e.Code != tc.code || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %#v", err)
			}
			if tc.kind == KindUsageLimit && (!e.ResetsAt.Equal(unix(1900000000)) || e.PlanType != "plus") {
				t.Errorf("usage limit without reset/plan: %+v", e)
			}
			if len(srv.RequestsTo("/responses")) != 1 {
				t.Errorf("a response.failed was retried")
			}
		})
	}
}

func TestStreamIncompleteAndErrorEvent(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.TextDelta("Part"), pt.Incomplete("max_output_tokens"))}},
		pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.Error("server_error", "The server had an error"))}})
	c := newTestClient(t, srv, nil)
	turn, _, err := run(t, c, hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindIncomplete || !strings.Contains(e.Message, "max_output_tokens") || turn.Text.String() != "Part" {
		t.Fatalf("incomplete: %v, text %q", err, turn.Text.String())
	}
	_, _, err = run(t, c, hello("c"))
	if !errors.As(err, &e) || e.Code != "server_error" || !strings.Contains(e.Message, "The server had an error") {
		t.Fatalf("error event: %v", err)
	}
}

func TestStreamUsageLimit429(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Status: 429,
		Body: `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":1900000000}}`,
		Header: map[string]string{"x-codex-primary-used-percent": "100", "x-codex-primary-window-minutes": "300",
			"x-codex-primary-reset-at": "1900000000", "x-codex-secondary-used-percent": "64", "x-codex-active-limit": "codex",
			"x-request-id": "req-42"}})
	c := newTestClient(t, srv, nil)
	_, err := c.Stream(context.Background(), hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindUsageLimit || !IsUsageLimit(err) {
		t.Fatalf("got %v", err)
	}
	if !e.ResetsAt.Equal(unix(1900000000)) || e.PlanType != "plus" || e.Status != 429 || e.RequestID != "req-42" {
		t.Errorf("error %+v", e)
	}
	if e.RateLimits.Primary == nil || e.RateLimits.Primary.UsedPercent != 100 || e.RateLimits.ActiveLimit != "codex" {
		t.Errorf("rate limits on the 429: %+v", e.RateLimits)
	}
	if !strings.Contains(e.Message, "You've hit your usage limit") || !strings.Contains(e.Message, "Try again at") {
		t.Errorf("message %q", e.Message)
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("429 usage limit was retried (%d requests)", n)
	}
}

func TestStreamHTTPErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   Kind
		want   string
	}{
		{"400 detail", 400, `{"detail":"Unsupported parameter: foo"}`, KindBadRequest, "Unsupported parameter: foo"},
		{"unknown model", 400, `{"detail":"The 'gpt-9' model is not supported when using Codex with a ChatGPT account."}`, KindUnknownModel, "not available"},
		{"cloudflare", 403, `<html><title>Attention Required! | Cloudflare</title>Sorry, you have been blocked</html>`, KindBlocked, "Cloudflare"},
		{"context", 400, `{"error":{"code":"context_length_exceeded","message":"too long"}}`, KindContextLength, "context window"},
		{"overloaded", 503, `{"error":{"code":"server_is_overloaded","message":"busy"}}`, KindOverloaded, "at capacity"},
		{"usage not included", 429, `{"error":{"type":"usage_not_included"}}`, KindUsageNotIncluded, "Plus"},
		{"other 429", 429, `{"error":{"message":"slow"}}`, KindRateLimited, "Too many requests"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(pt.Reply{Status: tc.status, Body: tc.body})
			_, err := newTestClient(t, srv, nil).Stream(context.Background(), hello("c"))
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %v", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatal("the token is in the error")
			}
		})
	}
}

func TestStreamRetries5xx(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Status: 500, Body: `{}`}, pt.Reply{Status: 502, Body: `bad gateway`},
		pt.Reply{Chunks: []string{pt.Stream("ok", pt.Usage{})}})
	turn, _, err := run(t, newTestClient(t, srv, nil), hello("c"))
	if err != nil || turn.Text.String() != "ok" {
		t.Fatalf("%v %q", err, turn.Text.String())
	}
	if n := len(srv.RequestsTo("/responses")); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}

	// Five 500s: the first try and four retries, then a clear error.
	srv2 := newServer(t)
	srv2.SetFallback(pt.Reply{Status: 500, Body: `{"error":{"message":"internal"}}`})
	_, err = newTestClient(t, srv2, nil).Stream(context.Background(), hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindServer || !strings.Contains(e.Message, "5 attempts") {
		t.Fatalf("got %v", err)
	}
	if n := len(srv2.RequestsTo("/responses")); n != 5 {
		t.Errorf("%d requests, want 5", n)
	}
}

func TestStreamBrokenAfterFirstDelta(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.TextDelta("Half an an"))}, Abort: true})
	turn, _, err := run(t, newTestClient(t, srv, nil), hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNetwork || !strings.Contains(e.Message, "broke during the answer") {
		t.Fatalf("got %v", err)
	}
	if turn.Text.String() != "Half an an" {
		t.Errorf("text %q", turn.Text.String())
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("retried after text was streamed (%d requests)", n)
	}
}

// A turn the backend accepted is never sent again, even when its stream
// broke before the first word: the backend may be answering it already.
func TestStreamBrokenBeforeAnythingIsNotResent(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"))}, Abort: true}, pt.Reply{Chunks: []string{pt.Stream("again", pt.Usage{})}})
	_, _, err := run(t, newTestClient(t, srv, nil), hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNetwork || !strings.Contains(e.Message, "broke before the answer was complete") {
		t.Fatalf("got %v", err)
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("the turn was POSTed %d times", n)
	}
}

func TestStreamEndsWithoutCompleted(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.TextDelta("cut"))}})
	_, _, err := run(t, newTestClient(t, srv, nil), hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindStreamEnded {
		t.Fatalf("got %v", err)
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.TextDelta("wait"))}, Hang: true})
	c := newTestClient(t, srv, nil, func(o *Options) { o.IdleTimeout = 150 * time.Millisecond })
	_, _, err := run(t, c, hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindIdle {
		t.Fatalf("got %v", err)
	}
	select {
	case <-srv.Disconnected:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection stayed open after the idle timeout")
	}
}

func TestStreamCancelClosesConnection(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"), pt.TextDelta("first"))}, Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := newTestClient(t, srv, nil).Stream(ctx, hello("c"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
		if _, ok := s.Event().(TextDelta); ok {
			break
		}
	}
	done := make(chan bool)
	go func() { done <- s.Next() }() // blocks: the server sends nothing more
	cancelled := time.Now()
	cancel()
	select {
	case at := <-srv.Disconnected:
		if d := at.Sub(cancelled); d > 100*time.Millisecond {
			t.Errorf("the server saw the connection close %s after the cancel", d)
		}
	case <-time.After(100 * time.Millisecond):
		t.Fatal("the server's connection was not closed within 100 ms of the cancel")
	}
	if <-done {
		t.Fatal("Next returned true after cancel")
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("err %v", s.Err())
	}
}

func TestStreamUnauthorizedRereadsLogin(t *testing.T) {
	home := t.TempDir()
	authPath := filepath.Join(home, "auth.json")
	old := authtest.Login{Expires: time.Now().Add(time.Hour)}
	if err := os.WriteFile(authPath, old.Document(), 0o600); err != nil {
		t.Fatal(err)
	}
	src := LoginSource{Loader: &auth.Loader{Home: home}}
	cr, err := src.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := pt.New(t, cr.Token.Reveal())
	srv.ExpectAccountID(authtest.AccountID)
	// Another program refreshes the login while the request is on its way.
	fresh := authtest.Login{Expires: time.Now().Add(2 * time.Hour), RefreshToken: "rt_2"}
	var freshToken string
	srv.Enqueue(pt.Reply{Before: func(*http.Request) {
		if err := authtest.WriteAtomic(authPath, fresh.Document()); err != nil {
			t.Error(err)
		}
		next, err := src.Current(context.Background())
		if err != nil {
			t.Error(err)
		}
		freshToken = next.Token.Reveal()
		srv.SetToken(freshToken)
	}}, pt.Reply{Chunks: []string{pt.Stream("after refresh", pt.Usage{})}})
	turn, _, err := run(t, newTestClient(t, srv, src), hello("c"))
	if err != nil || turn.Text.String() != "after refresh" {
		t.Fatalf("%v", err)
	}
	reqs := srv.RequestsTo("/responses")
	if len(reqs) != 2 || reqs[1].Header.Get("Authorization") != "Bearer "+freshToken || freshToken == cr.Token.Reveal() {
		t.Fatalf("%d requests; second not signed with the new token", len(reqs))
	}

	// Unchanged on disk: a 401 is "sign in again", exit code 3.
	srv.SetToken("something-else")
	srv.Enqueue(pt.Reply{}, pt.Reply{})
	_, _, err = run(t, newTestClient(t, srv, src), hello("c"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAuth || !errors.Is(err, auth.ErrLoginNeeded) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), freshToken) {
		t.Fatal("the token is in the error")
	}
}

func TestStreamLoggedOut(t *testing.T) {
	srv := newServer(t)
	_, err := newTestClient(t, srv, LoginSource{Loader: &auth.Loader{Home: t.TempDir()}}).Stream(context.Background(), hello("c"))
	if !errors.Is(err, auth.ErrLoginNeeded) {
		t.Fatalf("got %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("a request went out without a login")
	}
}

func TestStreamAPIKeyMode(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "auth.json"), authtest.APIKeyDocument("sk-test-key-0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := pt.New(t, "sk-test-key-0123456789")
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("from the API", pt.Usage{})}})
	turn, _, err := run(t, newTestClient(t, srv, LoginSource{Loader: &auth.Loader{Home: home}}), hello("c"))
	if err != nil || turn.Text.String() != "from the API" {
		t.Fatalf("%v", err)
	}
	reqs := srv.RequestsTo("/v1/responses")
	if len(reqs) != 1 || reqs[0].Header.Get("ChatGPT-Account-ID") != "" {
		t.Fatalf("requests %d", len(reqs))
	}
}

func TestStreamImages(t *testing.T) {
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	webp := append([]byte("RIFF\x10\x00\x00\x00WEBPVP8 "), make([]byte, 16)...)
	for name, data := range map[string][]byte{"a.png": png, "b.webp": webp, "c.txt": []byte("hello, not an image")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, err := LoadImage(filepath.Join(dir, "a.png"))
	if err != nil || a.MIME != "image/png" {
		t.Fatal(a.MIME, err)
	}
	b, err := LoadImage(filepath.Join(dir, "b.webp"))
	if err != nil || b.MIME != "image/webp" {
		t.Fatal(b.MIME, err)
	}
	if _, err := LoadImage(filepath.Join(dir, "c.txt")); err == nil || !strings.Contains(err.Error(), "PNG, JPEG, GIF and WebP") {
		t.Fatalf("non-image: %v", err)
	}
	for data, mime := range map[string]string{"\xff\xd8\xff\xe0": "image/jpeg", "GIF89a..": "image/gif"} {
		if img, err := ImageFromBytes("x", []byte(data)); err != nil || img.MIME != mime {
			t.Errorf("%q: %v %v", data, img.MIME, err)
		}
	}
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("nice pictures", pt.Usage{})}})
	r := hello("c")
	r.Input = []Item{UserMessage("What is this?", a, b)}
	if _, _, err := run(t, newTestClient(t, srv, nil), r); err != nil {
		t.Fatal(err)
	}
	content := srv.RequestsTo("/responses")[0].Conversation()[0].(map[string]any)["content"].([]any)
	if len(content) != 3 || !strings.HasPrefix(content[1].(map[string]any)["image_url"].(string), "data:image/png;base64,") ||
		!strings.HasPrefix(content[2].(map[string]any)["image_url"].(string), "data:image/webp;base64,") {
		t.Fatalf("content %v", content)
	}
}

func TestRequestBodyRules(t *testing.T) {
	c := New(Options{Credentials: StaticSource{}})
	b, err := c.body(TurnRequest{Model: "m", Effort: "ultra", ConversationID: "k", Input: []Item{UserMessage("x"),
		{Type: ItemReasoning, ID: "rs_1", EncryptedContent: "e"}, {Type: ItemMessage, ID: "msg_1", Role: "assistant", Content: []Content{{Type: ContentOutputText, Text: "y"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"store":false`, `"stream":true`, `"include":["reasoning.encrypted_content"]`, `"parallel_tool_calls":false`,
		`"tool_choice":"auto"`, `"prompt_cache_key":"k"`, `"effort":"max"`, `"summary":"auto"`, `{"type":"reasoning","summary":[],"encrypted_content":"e"}`} {
		if !strings.Contains(s, want) {
			t.Errorf("body lacks %s: %s", want, s)
		}
	}
	for _, bad := range []string{"max_output_tokens", "temperature", "top_p", `"id"`} {
		if strings.Contains(s, bad) {
			t.Errorf("body has %s: %s", bad, s)
		}
	}
	if p := pt.CheckResponsesRequest(http.Header{"Accept": {"text/event-stream"}, "Content-Type": {"application/json"}}, b, false); len(p) != 0 {
		t.Errorf("fake backend rejects the body: %v", p)
	}
}
