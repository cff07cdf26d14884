// Package webclient builds the HTTP clients of every network call Codex
// Tray makes (the backend's responses stream, models and usage, the token
// server). Each client has a deadline for every phase a server can stall
// in: connecting, the TLS handshake, waiting for the response headers, and
// silence while the body arrives. None has an overall timeout: a streamed
// answer may rightly take minutes, so its length is capped by its caller.
//
// Redirects keep the request's secrets at home: a POST is never
// redirected (its body is the prompt or a refresh token), and a redirect to
// another origin (scheme, host or port) drops the Authorization and
// ChatGPT-Account-ID headers.
package webclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"time"
)

// Defaults of Timeouts.
const (
	DefaultConnect = 10 * time.Second
	DefaultTLS     = 10 * time.Second
	DefaultHeaders = 60 * time.Second
	DefaultIdle    = 60 * time.Second
)

// Timeouts are the deadlines of one client. Zero picks the default.
type Timeouts struct {
	Connect time.Duration // TCP connect
	TLS     time.Duration // TLS handshake
	Headers time.Duration // from the request sent to the response headers
	Idle    time.Duration // longest silence while the response body arrives
}

func (t Timeouts) withDefaults() Timeouts {
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return Timeouts{pick(t.Connect, DefaultConnect), pick(t.TLS, DefaultTLS), pick(t.Headers, DefaultHeaders), pick(t.Idle, DefaultIdle)}
}

// IdleError is the error a response body read returns after the server
// sent nothing for the idle timeout.
type IdleError struct{ After time.Duration }

func (e *IdleError) Error() string {
	return fmt.Sprintf("the server sent nothing for %s", e.After)
}

// ErrRedirectRefused is returned (wrapped) for a redirect of a POST.
var ErrRedirectRefused = errors.New("the server redirected a request that must not be redirected")

// New returns a client with the timeouts and the redirect policy of the
// package doc. jar may be nil.
func New(t Timeouts, jar http.CookieJar) *http.Client {
	t = t.withDefaults()
	dialer := &net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   t.TLS,
		ResponseHeaderTimeout: t.Headers,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          16,
	}
	return &http.Client{Transport: &idleTransport{base: base, idle: t.Idle}, Jar: jar, CheckRedirect: CheckRedirect}
}

// NewWithCookies is New with a cookie jar (Codex keeps Cloudflare's cookies
// for the ChatGPT hosts; a jar returns cookies only to the hosts that set
// them).
func NewWithCookies(t Timeouts) *http.Client {
	jar, _ := cookiejar.New(nil)
	return New(t, jar)
}

// CheckRedirect is the redirect policy of the package doc, for clients
// built elsewhere.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	first := via[0]
	if first.Method == http.MethodPost || req.Method == http.MethodPost {
		return fmt.Errorf("%w (to %s)", ErrRedirectRefused, req.URL.Redacted())
	}
	if !sameOrigin(first, req) {
		req.Header.Del("Authorization")
		req.Header.Del("ChatGPT-Account-ID")
		req.Header.Del("Cookie")
	}
	return nil
}

// sameOrigin: scheme, host and port all equal (a port left out is the
// scheme's default).
func sameOrigin(a, b *http.Request) bool {
	port := func(r *http.Request) string {
		if p := r.URL.Port(); p != "" {
			return p
		}
		if r.URL.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return a.URL.Scheme == b.URL.Scheme && a.URL.Hostname() == b.URL.Hostname() && port(a) == port(b)
}

// idleTransport ends a response whose body stays silent for idle.
type idleTransport struct {
	base *http.Transport
	idle time.Duration
}

func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	res, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	b := &idleBody{body: res.Body, cancel: cancel, idle: t.idle}
	b.timer = time.AfterFunc(t.idle, b.fire)
	res.Body = b
	return res, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (t *idleTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

type idleBody struct {
	body   io.ReadCloser
	cancel context.CancelFunc
	idle   time.Duration
	timer  *time.Timer

	mu    sync.Mutex
	fired bool
}

func (b *idleBody) fire() {
	b.mu.Lock()
	b.fired = true
	b.mu.Unlock()
	b.cancel()
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		b.mu.Lock()
		fired := b.fired
		b.mu.Unlock()
		if fired {
			return n, &IdleError{After: b.idle}
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel()
	return err
}
