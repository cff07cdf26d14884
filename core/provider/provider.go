// Package provider owns everything Codex Tray says to the backend: the
// streamed Responses turn (ChatGPT backend or the OpenAI API with a key), the
// model list with its disk cache, the usage windows and the rate-limit
// headers. It never imports Fyne; the chat window, the tray and the command
// line all use it the same way.
//
// In ChatGPT mode it speaks as Codex 0.171 does: the model's catalog entry
// picks the request's dialect (request.go; Responses-Lite or the full one),
// and every login's requests go where /wham/accounts/check routes its
// workspace (routing.go). The interop test in core/cli compares its requests
// with the real Codex CLI's, property by property.
package provider

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/webclient"
)

// Defaults, as Codex uses them (docs/codex-protocol.md §4–7).
const (
	DefaultChatGPTBaseURL = "https://chatgpt.com/backend-api"
	DefaultOpenAIBaseURL  = "https://api.openai.com/v1"

	// CodexClientVersion is the Codex release this build was checked
	// against. Codex Tray reports the newer of it and the installed Codex
	// CLI's version (Options.CodexVersion) as client_version and in the
	// version header: the backend hides models newer than the version it
	// is told.
	CodexClientVersion = "0.171.0"

	// DefaultOriginator is the originator header Codex's CLI sends.
	DefaultOriginator = "codex_cli_rs"

	DefaultIdleTimeout = 300 * time.Second
	// DefaultHeaderTimeout bounds the wait for the response headers: the
	// backend answers a turn's POST with its headers at once, and only
	// then thinks, streaming as it goes.
	DefaultHeaderTimeout = 60 * time.Second
	// DefaultMaxAnswerBytes caps the text (answer and reasoning summary)
	// of one turn: a long chat answer is tens of KiB, and a stream that
	// never ends must not fill the memory.
	DefaultMaxAnswerBytes = 8 << 20
	// DefaultMaxAnswerTime caps one streamed turn, from its request to its
	// last event: the longest reasoning turns take minutes, not hours.
	DefaultMaxAnswerTime = 30 * time.Minute
	DefaultMaxRetries    = 4
	DefaultRetryBase     = 200 * time.Millisecond
	ModelsTimeout        = 10 * time.Second
	ModelsCacheTTL       = 5 * time.Minute

	// MaxEventSize bounds one SSE event: a response.completed carrying the
	// whole response can be many megabytes.
	MaxEventSize = 32 << 20

	// DefaultInstructions is the system prompt of a plain chat; the backend
	// requires non-empty instructions.
	DefaultInstructions = "You are a helpful assistant in Codex Tray, a desktop chat for ChatGPT subscribers. " +
		"Answer clearly and concisely; use Markdown for code and lists."
)

// Environment variables that override the base URLs (docs/DESIGN.md).
const (
	EnvChatGPTBaseURL = "CODEXTRAY_CHATGPT_BASE_URL"
	EnvOpenAIBaseURL  = "CODEXTRAY_OPENAI_BASE_URL"
)

// Options configure a Client. Only Credentials is required.
type Options struct {
	Credentials CredentialSource

	// Base URLs without a trailing slash; see ResolveBaseURLs.
	ChatGPTBaseURL string // default DefaultChatGPTBaseURL
	OpenAIBaseURL  string // default DefaultOpenAIBaseURL

	// HTTPClient, when set, replaces the client New builds from the
	// timeouts below (and its deadlines are the caller's).
	HTTPClient   *http.Client
	AppVersion   string // Codex Tray's version, for User-Agent; default "dev"
	Originator   string // default DefaultOriginator
	Instructions string // default DefaultInstructions
	// CodexVersion is the version of the installed Codex CLI ("" when none
	// is found; see core/codexcli).
	CodexVersion string

	IdleTimeout    time.Duration // between bytes of an answer; default DefaultIdleTimeout
	HeaderTimeout  time.Duration // from a request sent to its response headers; default DefaultHeaderTimeout
	ConnectTimeout time.Duration // TCP connect, and the TLS handshake; default webclient's
	MaxEventSize   int           // one event of a stream; default MaxEventSize
	MaxAnswerBytes int64         // the text of one turn; default DefaultMaxAnswerBytes
	MaxAnswerTime  time.Duration // one streamed turn; default DefaultMaxAnswerTime
	MaxRetries     int           // retries of 5xx and network errors; default DefaultMaxRetries, <0 for none
	RetryBase      time.Duration // first backoff; default DefaultRetryBase

	// CacheDir holds the model cache; default os.UserCacheDir()/codextray.
	// "-" disables the disk cache.
	CacheDir string

	Now func() time.Time // default time.Now
}

// Client talks to the backend. It is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client

	mu         sync.Mutex
	rateLimits RateLimits // from the latest response that carried them
	// the credentials of the latest accepted request, without the token
	lastCreds     Credentials
	haveLastCreds bool
	routes        map[routeKey]Route // workspace routing, per account (routing.go)
}

// New returns a client with opts, filling in the defaults.
func New(opts Options) *Client {
	if opts.ChatGPTBaseURL == "" {
		opts.ChatGPTBaseURL = DefaultChatGPTBaseURL
	}
	if opts.OpenAIBaseURL == "" {
		opts.OpenAIBaseURL = DefaultOpenAIBaseURL
	}
	opts.ChatGPTBaseURL = strings.TrimRight(opts.ChatGPTBaseURL, "/")
	opts.OpenAIBaseURL = strings.TrimRight(opts.OpenAIBaseURL, "/")
	if opts.AppVersion == "" {
		opts.AppVersion = "dev"
	}
	if opts.Originator == "" {
		opts.Originator = DefaultOriginator
	}
	if opts.Instructions == "" {
		opts.Instructions = DefaultInstructions
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = DefaultHeaderTimeout
	}
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = MaxEventSize
	}
	if opts.MaxAnswerBytes <= 0 {
		opts.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if opts.MaxAnswerTime <= 0 {
		opts.MaxAnswerTime = DefaultMaxAnswerTime
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = DefaultMaxRetries
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			opts.CacheDir = filepath.Join(d, "codextray")
		} else {
			opts.CacheDir = "-"
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		// Codex keeps Cloudflare's cookies for the ChatGPT hosts; the jar
		// does the same (it only returns cookies to the hosts that set them).
		hc = webclient.NewWithCookies(webclient.Timeouts{Connect: opts.ConnectTimeout, TLS: opts.ConnectTimeout,
			Headers: opts.HeaderTimeout, Idle: opts.IdleTimeout})
	}
	return &Client{opts: opts, http: hc}
}

// ResolveBaseURLs picks the base URLs as docs/DESIGN.md says: the environment,
// then config.toml, then the defaults.
func ResolveBaseURLs(cfg auth.Config) (chatgpt, openai string) {
	pick := func(env, conf, def string) string {
		for _, v := range []string{os.Getenv(env), conf, def} {
			if v = strings.TrimSpace(v); v != "" {
				return strings.TrimRight(v, "/")
			}
		}
		return def
	}
	return pick(EnvChatGPTBaseURL, cfg.ChatGPTBaseURL, DefaultChatGPTBaseURL),
		pick(EnvOpenAIBaseURL, cfg.OpenAIBaseURL, DefaultOpenAIBaseURL)
}

// userAgent names Codex Tray, its version and the platform.
func (c *Client) userAgent() string {
	return "codextray/" + c.opts.AppVersion + " (" + runtime.GOOS + "; " + runtime.GOARCH + ") " +
		c.opts.Originator + "/" + c.clientVersion()
}

// setCommonHeaders sets the headers every backend request carries.
func (c *Client) setCommonHeaders(h http.Header, cr Credentials) {
	h.Set("Authorization", "Bearer "+cr.Token.Reveal())
	h.Set("User-Agent", c.userAgent())
	h.Set("originator", c.opts.Originator)
	if cr.Mode == ModeChatGPT {
		h.Set("version", c.clientVersion())
		if cr.AccountID != "" {
			h.Set("ChatGPT-Account-ID", cr.AccountID)
		}
		if cr.Fedramp {
			h.Set("X-OpenAI-Fedramp", "true")
		}
	}
}

// LastRateLimits returns the rate limits of the latest response that carried
// them (zero before any).
func (c *Client) LastRateLimits() RateLimits {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rateLimits
}

func (c *Client) noteRateLimits(rl RateLimits) {
	if rl.IsZero() {
		return
	}
	c.mu.Lock()
	c.rateLimits = rl
	c.mu.Unlock()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clientVersion is the newer of the installed Codex CLI's version and
// CodexClientVersion.
func (c *Client) clientVersion() string {
	return NewerVersion(c.opts.CodexVersion, CodexClientVersion)
}

// NewerVersion returns the newer of two MAJOR.MINOR.PATCH versions; a
// version that does not parse loses (b wins when neither parses).
func NewerVersion(a, b string) string {
	pa, oka := parseVersion(a)
	pb, okb := parseVersion(b)
	switch {
	case !oka:
		return b
	case !okb:
		return a
	}
	for i := range pa {
		if pa[i] != pb[i] {
			if pa[i] > pb[i] {
				return a
			}
			return b
		}
	}
	return b
}

// parseVersion reads "1.2.3" (a "-suffix" or "+build" is ignored).
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
