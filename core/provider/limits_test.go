package provider

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	pt "github.com/codextray/codextray/core/provider/providertest"
)

// runWithin is run, failing the test if the turn has not ended by limit
// (today's code would wait forever).
func runWithin(t *testing.T, c *Client, limit time.Duration) (*Turn, error) {
	t.Helper()
	type result struct {
		turn *Turn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		turn, _, err := run(t, c, hello("c"))
		done <- result{turn, err}
	}()
	select {
	case r := <-done:
		return r.turn, r.err
	case <-time.After(limit):
		t.Fatalf("the turn was still waiting after %v", limit)
		return nil, nil
	}
}

// A backend that takes the POST and never answers (no status, no headers)
// ends the turn after the header timeout, with a sentence that says so, and
// the turn is not sent again.
func TestStreamNoHeadersTimesOut(t *testing.T) {
	srv := newServer(t)
	srv.SetFallback(pt.Reply{Silent: true})
	c := newTestClient(t, srv, nil, func(o *Options) { o.HeaderTimeout = 200 * time.Millisecond })
	_, err := runWithin(t, c, 10*time.Second)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTimeout || !strings.Contains(e.Message, "did not answer within 200ms") {
		t.Fatalf("got %v", err)
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("the turn was POSTed %d times", n)
	}
}

// An answer that never ends is cut off at the size cap, with its own
// sentence, instead of growing the memory without end.
func TestStreamEndlessAnswerIsCapped(t *testing.T) {
	srv := newServer(t)
	chunk := pt.SSE(pt.TextDelta(strings.Repeat("spam ", 4<<10)))
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"))}, Repeat: chunk})
	const limit = 1 << 20
	c := newTestClient(t, srv, nil, func(o *Options) { o.MaxAnswerBytes = limit })
	turn, err := runWithin(t, c, 20*time.Second)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAnswerTooLarge || !strings.Contains(e.Message, "limit of 1 MiB") {
		t.Fatalf("got %v", err)
	}
	if n := turn.Text.Len(); n > limit {
		t.Errorf("%d bytes of text reached the caller, over the %d limit", n, limit)
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("the turn was POSTed %d times", n)
	}
}

// An answer that trickles on forever is cut off at the time cap.
func TestStreamTimeCap(t *testing.T) {
	srv := newServer(t)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"))}, Repeat: pt.SSE(pt.TextDelta("."))})
	c := newTestClient(t, srv, nil, func(o *Options) { o.MaxAnswerTime = 300 * time.Millisecond; o.MaxAnswerBytes = 1 << 40 })
	_, err := runWithin(t, c, 20*time.Second)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindAnswerTooLong || !strings.Contains(e.Message, "longer than Codex Tray's limit of 300ms") {
		t.Fatalf("got %v", err)
	}
}

// One event over the event cap is reported as such, not as an unreachable
// backend, and the turn is not POSTed again.
func TestStreamEventTooLarge(t *testing.T) {
	srv := newServer(t)
	huge := pt.SSE(pt.TextDelta(strings.Repeat("x", 3<<20)))
	srv.SetFallback(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r")), huge, pt.Stream("after", pt.Usage{})}})
	c := newTestClient(t, srv, nil, func(o *Options) { o.MaxEventSize = 1 << 20 })
	_, err := runWithin(t, c, 20*time.Second)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindEventTooLarge || !strings.Contains(e.Message, "one event larger than Codex Tray's limit of 1 MiB") {
		t.Fatalf("got %v", err)
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("the turn was POSTed %d times", n)
	}
}

// recorder is a server on another port that notes what reaches it.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		buf := make([]byte, 1<<16)
		n, _ := req.Body.Read(buf)
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Clone(context.Background()))
		r.body = append(r.body, string(buf[:n]))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() ([]*http.Request, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...), append([]string(nil), r.body...)
}

// A POST is never redirected: a 307 would send the prompt (and the
// credentials) to wherever the answer points.
func TestStreamRedirectIsRefused(t *testing.T) {
	other := newRecorder(t)
	srv := newServer(t)
	srv.SetFallback(pt.Reply{Status: http.StatusTemporaryRedirect, Header: map[string]string{"Location": other.URL + "/steal"}, Body: `{}`})
	_, err := runWithin(t, newTestClient(t, srv, nil), 10*time.Second)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindProtocol || !strings.Contains(e.Message, "redirected") {
		t.Fatalf("got %v", err)
	}
	if reqs, _ := other.requests(); len(reqs) != 0 {
		t.Errorf("the redirect target got %d requests", len(reqs))
	}
	if n := len(srv.RequestsTo("/responses")); n != 1 {
		t.Errorf("the turn was POSTed %d times", n)
	}
}

// A GET redirected to another origin (another host, or only another
// port) arrives there without the bearer token and the account id.
func TestRedirectToAnotherOriginDropsCredentials(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			other := newRecorder(t)
			target := strings.Replace(other.URL, "127.0.0.1", host, 1) + "/backend-api/wham/usage"
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, http.StatusFound)
			}))
			defer front.Close()
			c := New(Options{Credentials: StaticSource{Credentials{Mode: ModeChatGPT, Token: authSecret(testToken), AccountID: "acct-secret-1"}},
				ChatGPTBaseURL: front.URL + "/backend-api", OpenAIBaseURL: front.URL + "/v1", CacheDir: "-", MaxRetries: -1})
			_, _ = c.Usage(context.Background())
			reqs, _ := other.requests()
			if len(reqs) != 1 {
				t.Fatalf("the redirect target got %d requests, want 1", len(reqs))
			}
			for _, h := range []string{"Authorization", "ChatGPT-Account-ID"} {
				if v := reqs[0].Header.Get(h); v != "" {
					t.Errorf("%s reached another origin (%d chars)", h, len(v))
				}
			}
		})
	}
}

// Whatever the backend echoes back of the credentials it was sent stays
// out of the error: the HTTP error body, response.failed and error events.
func TestServerEchoedTokenIsScrubbed(t *testing.T) {
	echo := "you sent Authorization: Bearer " + testToken + " for account, token " + testToken
	cases := map[string]pt.Reply{
		"400 body":        {Status: http.StatusBadRequest, Body: `{"error":{"message":"` + echo + `","type":"invalid_request_error"}}`},
		"400 plain":       {Status: http.StatusBadRequest, Body: echo},
		"response.failed": {Chunks: []string{pt.SSE(pt.Created("r"), pt.Failed("", echo, nil))}},
		"error event":     {Chunks: []string{pt.SSE(pt.Created("r"), pt.Error("invalid_prompt", echo))}},
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t)
			srv.Enqueue(reply)
			_, err := runWithin(t, newTestClient(t, srv, nil, func(o *Options) { o.MaxRetries = -1 }), 10*time.Second)
			if err == nil {
				t.Fatal("no error")
			}
			for _, text := range []string{err.Error(), ErrorMessage(err)} {
				if strings.Contains(text, testToken) {
					t.Errorf("the token reached the error: %q", text)
				}
			}
			if !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("the echo is not in the error, scrubbed: %q", err.Error())
			}
		})
	}
}

// BenchmarkEndlessStreamCapped reads an answer that never ends up to the
// default size cap: the memory it takes (B/op, and bytes allocated per
// byte of text kept) is what an endless stream costs now that it ends.
func BenchmarkEndlessStreamCapped(b *testing.B) {
	srv := pt.New(b, testToken)
	srv.SetFallback(pt.Reply{Chunks: []string{pt.SSE(pt.Created("r"))}, Repeat: pt.SSE(pt.TextDelta(strings.Repeat("spam ", 200)))})
	c := New(Options{Credentials: StaticSource{Credentials{Mode: ModeChatGPT, Token: authSecret(testToken)}},
		ChatGPTBaseURL: srv.ChatGPTBaseURL, OpenAIBaseURL: srv.OpenAIBaseURL, CacheDir: "-"})
	b.ReportAllocs()
	var text int
	for b.Loop() {
		s, err := c.Stream(context.Background(), hello("c"))
		if err != nil {
			b.Fatal(err)
		}
		var turn Turn
		for s.Next() {
			turn.Add(s.Event())
		}
		var e *Error
		if !errors.As(s.Err(), &e) || e.Kind != KindAnswerTooLarge {
			b.Fatalf("got %v", s.Err())
		}
		text = turn.Text.Len()
		s.Close()
	}
	b.ReportMetric(float64(text)/(1<<20), "text-MiB")
}
