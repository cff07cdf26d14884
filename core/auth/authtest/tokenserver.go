package authtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// ClientID is the OAuth client id Codex (and Codex Tray) refresh with.
const ClientID = "app_EMoamEEZ73f0CkXaXp7hrann"

// Failure makes the token server answer every refresh with an error
// (docs/codex-protocol.md §3.3) instead of new tokens. A failed request spends
// no token.
type Failure int

const (
	FailNone                Failure = iota
	FailExpired                     // 401 {"error":{"code":"refresh_token_expired",…}}
	FailReused                      // 401 {"error":{"code":"refresh_token_reused",…}}
	FailInvalidated                 // 401 {"error":{"code":"refresh_token_invalidated",…}}
	FailInvalidGrant                // 400 {"error":"invalid_grant",…} (RFC 6749)
	FailUnauthorized                // 401 with no known code
	FailServerError                 // 500 {"error":{"message":…}}
	FailHang                        // never answers until the client gives up
	FailTopLevelCodeExpired         // 401 {"code":"refresh_token_expired"} (top-level code)
	// The slow and broken servers below spend the refresh token (and
	// rotate it, as a success does) but the client never gets the new one.
	FailSpendThenHang    // spends the token, then answers only after the client gave up
	FailSpendThenGarbage // spends the token, then answers 200 with a body that is not JSON
	FailEchoToken        // 500 whose message quotes the refresh token it was sent
)

// TokenRequest is one request the token server received. Body holds the
// refresh token: never print it.
type TokenRequest struct {
	Body   map[string]string
	Header http.Header
	Status int // what the server answered
	At     time.Time
	// Generation names the refresh token sent without showing it: 0 for
	// one the server was given, n for the one the n-th refresh issued, -1
	// for one it never saw.
	Generation int
	// Reused: the token had been redeemed before (answered refresh_token_reused).
	Reused bool
}

// TokenCounts are the token server's counters.
type TokenCounts struct {
	Calls   int // POSTs to /oauth/token
	Issued  int // refreshes answered with new tokens
	Reused  int // refresh tokens redeemed a second time (answered refresh_token_reused)
	Unknown int // refresh tokens the server never issued
	Bad     int // requests that were not Codex's JSON refresh request
	Failed  int // requests answered with the configured Failure
}

func (c TokenCounts) String() string {
	return fmt.Sprintf("calls=%d issued=%d reused=%d unknown=%d bad=%d failed=%d", c.Calls, c.Issued, c.Reused, c.Unknown, c.Bad, c.Failed)
}

// TokenServer is a fake https://auth.openai.com/oauth/token on 127.0.0.1
// that enforces single use: each successful refresh rotates the refresh
// token, and a refresh token redeemed twice gets 401 refresh_token_reused,
// as OpenAI answers. It also stubs the ChatGPT and OpenAI backends so that
// the real Codex fails fast (docs/real-codex.md appendix B): point
// chatgpt_base_url at URL+"/backend-api/" and openai_base_url at URL+"/v1".
type TokenServer struct {
	*httptest.Server

	// TTL is the lifetime of the access and id tokens issued (default 1 h).
	TTL time.Duration
	// OmitIDToken answers refreshes without an id_token, as Codex's own
	// tests do: the old id_token must be kept.
	OmitIDToken bool

	mu      sync.Mutex
	gen     map[string]int  // refresh token -> Generation
	valid   map[string]bool // refresh tokens that may still be redeemed
	spent   map[string]bool // refresh tokens already redeemed
	current string          // the refresh token issued last
	fail    Failure
	counts  TokenCounts
	reqs    []TokenRequest
	secrets []string
	issued  map[string]bool // access-token exp (RFC 3339) of every refresh
	stop    chan struct{}   // closed when the server shuts down: hung requests end
	got     chan struct{}   // one value per successful refresh
}

// NewTokenServer starts a token server that accepts the given refresh
// tokens; it stops when the test ends.
func NewTokenServer(t testing.TB, refreshTokens ...string) *TokenServer {
	s := &TokenServer{
		TTL: time.Hour, gen: map[string]int{}, valid: map[string]bool{}, spent: map[string]bool{}, issued: map[string]bool{},
		stop: make(chan struct{}), got: make(chan struct{}, 10000),
	}
	for _, rt := range refreshTokens {
		s.valid[rt] = true
		s.gen[rt] = 0
		s.current = rt
	}
	s.Server = httptest.NewServer(s) // listens on 127.0.0.1
	t.Cleanup(func() {
		close(s.stop)
		s.Close()
	})
	return s
}

// TokenURL is the value for CODEX_REFRESH_TOKEN_URL_OVERRIDE.
func (s *TokenServer) TokenURL() string { return s.URL + "/oauth/token" }

// CodexConfig is a config.toml that keeps the real Codex's backend calls
// on this server.
func (s *TokenServer) CodexConfig() string {
	return fmt.Sprintf("chatgpt_base_url = %q\nopenai_base_url = %q\n", s.URL+"/backend-api/", s.URL+"/v1")
}

// Allow makes rt redeemable (again), e.g. a fixture's token.
func (s *TokenServer) Allow(rt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.valid[rt] = true
	delete(s.spent, rt)
	if _, ok := s.gen[rt]; !ok {
		s.gen[rt] = 0
	}
}

// SetFailure makes every later refresh fail as f (FailNone: succeed again).
func (s *TokenServer) SetFailure(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

// Counts returns the counters.
func (s *TokenServer) Counts() TokenCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Requests returns every token request so far.
func (s *TokenServer) Requests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRequest(nil), s.reqs...)
}

// Current is the refresh token issued last (the fixture's before any).
func (s *TokenServer) Current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Secrets returns every token the server accepted or issued, for checks
// that no output contains one.
func (s *TokenServer) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.secrets...)
	for rt := range s.valid {
		out = append(out, rt)
	}
	for rt := range s.spent {
		out = append(out, rt)
	}
	return out
}

// IsIssued reports whether a refresh issued an access token expiring at
// expiresAt (RFC 3339, UTC, seconds).
func (s *TokenServer) IsIssued(expiresAt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued[expiresAt]
}

// Got receives one value per successful refresh.
func (s *TokenServer) Got() <-chan struct{} { return s.got }

func (s *TokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	send := func(code int, v any) int {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
		return code
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/responses"):
		send(http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "fake backend: bad request", "type": "invalid_request_error"}})
		return
	default:
		send(http.StatusNotFound, map[string]any{"error": "not found"})
		return
	}

	req := TokenRequest{Header: r.Header.Clone(), At: time.Now()}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	jsonErr := json.Unmarshal(body, &req.Body)

	s.mu.Lock()
	s.counts.Calls++
	req.Generation = -1
	if g, ok := s.gen[req.Body["refresh_token"]]; ok {
		req.Generation = g
	}
	i := len(s.reqs)
	s.reqs = append(s.reqs, req)
	fail := s.fail
	s.mu.Unlock()
	status := s.answer(r.Context().Done(), w, send, ct, jsonErr, req.Body, fail, i)
	s.mu.Lock()
	s.reqs[i].Status = status
	s.mu.Unlock()
}

// answer checks the request and answers it; it returns the status sent.
func (s *TokenServer) answer(gone <-chan struct{}, w http.ResponseWriter, send func(int, any) int, ct string, jsonErr error, body map[string]string, fail Failure, i int) int {
	bad := func(code int, v any) int {
		s.mu.Lock()
		s.counts.Bad++
		s.mu.Unlock()
		return send(code, v)
	}
	switch {
	case ct != "application/json":
		return bad(http.StatusUnsupportedMediaType, map[string]any{"error": "invalid_request", "error_description": "the body must be JSON"})
	case jsonErr != nil:
		return bad(http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "the body is not a JSON object of strings"})
	case body["client_id"] != ClientID:
		return bad(http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
	case body["grant_type"] != "refresh_token":
		return bad(http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
	case body["refresh_token"] == "":
		return bad(http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "refresh_token is missing"})
	}

	if fail != FailNone && fail != FailSpendThenHang && fail != FailSpendThenGarbage {
		s.mu.Lock()
		s.counts.Failed++
		s.mu.Unlock()
		codeErr := func(status int, code string) int {
			return send(status, map[string]any{"error": map[string]any{
				"message": "fake token server: " + code, "type": "invalid_request_error", "param": nil, "code": code}})
		}
		switch fail {
		case FailExpired:
			return codeErr(http.StatusUnauthorized, "refresh_token_expired")
		case FailReused:
			return codeErr(http.StatusUnauthorized, "refresh_token_reused")
		case FailInvalidated:
			return codeErr(http.StatusUnauthorized, "refresh_token_invalidated")
		case FailInvalidGrant:
			return send(http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "fake token server: invalid grant"})
		case FailUnauthorized:
			return send(http.StatusUnauthorized, map[string]any{"error": map[string]any{"message": "fake token server: unauthorized"}})
		case FailTopLevelCodeExpired:
			return send(http.StatusUnauthorized, map[string]any{"code": "refresh_token_expired"})
		case FailEchoToken:
			return send(http.StatusInternalServerError, map[string]any{"error": map[string]any{"message": "fake token server: cannot redeem " + body["refresh_token"]}})
		case FailServerError:
			return send(http.StatusInternalServerError, map[string]any{"error": map[string]any{"message": "fake token server: internal error"}})
		case FailHang:
			// Hold the request until the client gives up or the server stops.
			select {
			case <-s.stop:
			case <-gone:
			}
			return 0
		}
	}

	rt := body["refresh_token"]
	s.mu.Lock()
	switch {
	case s.spent[rt]:
		s.counts.Reused++
		s.reqs[i].Reused = true
		s.mu.Unlock()
		return send(http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"message": "Your refresh token has already been used to generate a new access token. Please try signing in again.",
			"type":    "invalid_request_error", "param": nil, "code": "refresh_token_reused"}})
	case !s.valid[rt]:
		s.counts.Unknown++
		s.mu.Unlock()
		return send(http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"message": "fake token server: unknown refresh token", "type": "invalid_request_error", "param": nil, "code": "refresh_token_invalidated"}})
	}
	delete(s.valid, rt)
	s.spent[rt] = true
	s.counts.Issued++
	n := s.counts.Issued
	now := time.Now().Truncate(time.Second)
	exp := now.Add(s.TTL)
	login := Login{Expires: exp, Plan: "pro"}
	id := login.Claims()
	id["iat"] = now.Unix()
	access := login.Claims()
	access["iat"] = now.Unix()
	access["aud"] = []string{"https://api.openai.com/v1"}
	access["client_id"] = ClientID
	jti := fmt.Sprintf("tokenserver-%d-%d", n, time.Now().UnixNano()) // every token differs from any fixture's
	id["jti"], access["jti"] = jti, jti
	next := fmt.Sprintf("rt_tokenserver_%04d_%d", n, time.Now().UnixNano())
	resp := map[string]any{"access_token": JWT(access), "refresh_token": next, "expires_in": int(s.TTL.Seconds()), "token_type": "Bearer"}
	s.secrets = append(s.secrets, resp["access_token"].(string), next)
	if !s.OmitIDToken {
		resp["id_token"] = JWT(id)
		s.secrets = append(s.secrets, resp["id_token"].(string))
	}
	s.valid[next] = true
	s.gen[next] = n
	s.current = next
	s.issued[exp.UTC().Format(time.RFC3339)] = true
	s.mu.Unlock()
	switch fail {
	case FailSpendThenHang:
		// The answer is ready but comes too late: once the client has
		// given up, it is written to a connection nobody reads.
		select {
		case <-s.stop:
		case <-gone:
		}
		s.mu.Lock()
		s.counts.Failed++
		s.mu.Unlock()
		return send(http.StatusOK, resp)
	case FailSpendThenGarbage:
		s.mu.Lock()
		s.counts.Failed++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html><body>502 Bad Gateway (upstream hiccup)</body></html>")
		return http.StatusOK
	}
	code := send(http.StatusOK, resp)
	select {
	case s.got <- struct{}{}:
	default:
	}
	return code
}
