package webclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// hangingServer answers with what respond writes, then holds the
// connection until the client leaves.
func hangingServer(t *testing.T, respond func(http.ResponseWriter)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		respond(w)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHeaderTimeout(t *testing.T) {
	srv := hangingServer(t, func(http.ResponseWriter) {})
	c := New(Timeouts{Headers: 150 * time.Millisecond}, nil)
	start := time.Now()
	_, err := c.Get(srv.URL)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("GET to a server that never answers: %v after %v", err, time.Since(start))
	}
}

func TestIdleTimeoutInTheBody(t *testing.T) {
	srv := hangingServer(t, func(w http.ResponseWriter) {
		_, _ = io.WriteString(w, "first bytes")
		w.(http.Flusher).Flush()
	})
	c := New(Timeouts{Idle: 150 * time.Millisecond}, nil)
	res, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(res.Body); done <- err }()
	select {
	case err := <-done:
		var idle *IdleError
		if !errors.As(err, &idle) {
			t.Fatalf("reading a silent body: %v, want an IdleError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the silent body was read for 5 s")
	}
}

func TestRedirectPolicy(t *testing.T) {
	var got http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	c := New(Timeouts{}, nil)

	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, front.URL, strings.NewReader("prompt"))
	if _, err := c.Do(req); !errors.Is(err, ErrRedirectRefused) {
		t.Fatalf("POST redirected: %v, want ErrRedirectRefused", err)
	}
	if got != nil {
		t.Fatal("the POST reached the redirect target")
	}

	req, _ = http.NewRequestWithContext(context.Background(), http.MethodGet, front.URL, nil)
	req.Header.Set("Authorization", "Bearer secret-token-value")
	req.Header.Set("ChatGPT-Account-ID", "acct")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got.Get("Authorization") != "" || got.Get("ChatGPT-Account-ID") != "" {
		t.Errorf("credentials followed a redirect to another port: %v", got)
	}
}
