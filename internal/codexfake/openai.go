package codexfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

// Hosts the fake answers for.
const (
	AuthHost    = "auth.openai.com"
	ChatGPTHost = "chatgpt.com"
)

// The device code the fake hands out.
const (
	UserCode     = "ABCD-EFGH"
	deviceAuthID = "deviceauth_fake_0001"
	authCode     = "authcode_fake_0001"
)

// DeviceAnswer is how the fake answers a poll of the device code.
type DeviceAnswer int

const (
	DevicePending DeviceAnswer = iota // 403, as while the user has not entered the code
	DeviceAuthorized
	DeviceExpired // 410 {"error":"expired_token"}: no longer pending, the sign-in fails
)

// OpenAI is a fake of the parts of auth.openai.com and chatgpt.com that a
// sign-in through `codex app-server` uses (docs/codex-today.md §5): the device
// code start and its polling, the authorization-code exchange, refreshes,
// and the workspace routing discovery. Serve it behind a Proxy.
type OpenAI struct {
	// Email and Plan are the identity the issued id_token carries.
	Email, Plan string
	// Interval is the device code's polling interval in seconds (a JSON
	// string, as OpenAI sends it; default "1").
	Interval string

	mu            sync.Mutex
	deviceOff     bool
	answer        DeviceAnswer
	rtGen         int
	validRT       map[string]bool
	secrets       []string
	reqs          []Request
	polled        chan struct{}
	exchanged     chan struct{}
	noOrigin      bool
	tokenExchange int
}

// Request is one request the fake received (bodies are not kept: they
// carry secrets).
type Request struct {
	Host, Method, Path string
	Status             int
}

// NewOpenAI returns a fake with the default identity.
func NewOpenAI() *OpenAI {
	return &OpenAI{
		Email: authtest.Email, Plan: authtest.Plan, Interval: "1", validRT: map[string]bool{},
		polled: make(chan struct{}, 1000), exchanged: make(chan struct{}, 10),
	}
}

// DisableDeviceCode makes the device code start answer 404, as for a
// workspace whose admin has not enabled device sign-in.
func (o *OpenAI) DisableDeviceCode() { o.mu.Lock(); o.deviceOff = true; o.mu.Unlock() }

// SetDeviceAnswer sets how the next polls are answered.
func (o *OpenAI) SetDeviceAnswer(a DeviceAnswer) { o.mu.Lock(); o.answer = a; o.mu.Unlock() }

// OmitWorkspaceOrigin answers the routing discovery without a
// workspace_backend_origin (Codex then reports the sign-in failed).
func (o *OpenAI) OmitWorkspaceOrigin() { o.mu.Lock(); o.noOrigin = true; o.mu.Unlock() }

// Polled receives a value for each poll of the device code.
func (o *OpenAI) Polled() <-chan struct{} { return o.polled }

// Exchanged receives a value when an authorization code was exchanged for
// tokens (Codex is about to write the login).
func (o *OpenAI) Exchanged() <-chan struct{} { return o.exchanged }

// Requests returns the requests so far.
func (o *OpenAI) Requests() []Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Request(nil), o.reqs...)
}

// Secrets returns every token the fake issued, for checks that none leaks.
func (o *OpenAI) Secrets() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.secrets...)
}

// RefreshToken returns the refresh token issued last.
func (o *OpenAI) RefreshToken() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.secrets) - 1; i >= 0; i-- {
		if strings.HasPrefix(o.secrets[i], "rt_") {
			return o.secrets[i]
		}
	}
	return ""
}

// Accept makes a refresh token (of a login written by the test) valid.
func (o *OpenAI) Accept(rt string) { o.mu.Lock(); o.validRT[rt] = true; o.mu.Unlock() }

// AuthorizeURL answers the browser flow's authorize page as a signed-in
// user would see it: a redirect to the redirect_uri with a code and the
// state.
func (o *OpenAI) authorize(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		return writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
	}
	rq := redirect.Query()
	rq.Set("code", authCode)
	rq.Set("state", q.Get("state"))
	redirect.RawQuery = rq.Encode()
	w.Header().Set("Location", redirect.String())
	w.WriteHeader(http.StatusFound)
	return http.StatusFound
}

func (o *OpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	var status int
	switch {
	case host == AuthHost && r.Method == http.MethodPost && r.URL.Path == "/api/accounts/deviceauth/usercode":
		status = o.usercode(w, r)
	case host == AuthHost && r.Method == http.MethodPost && r.URL.Path == "/api/accounts/deviceauth/token":
		status = o.poll(w, r)
	case host == AuthHost && r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
		status = o.token(w, r)
	case host == AuthHost && r.Method == http.MethodGet && r.URL.Path == "/oauth/authorize":
		status = o.authorize(w, r)
	case host == ChatGPTHost && r.Method == http.MethodGet && r.URL.Path == "/backend-api/wham/accounts/check":
		status = o.accountsCheck(w)
	default:
		status = writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
	o.mu.Lock()
	o.reqs = append(o.reqs, Request{Host: host, Method: r.Method, Path: r.URL.Path, Status: status})
	o.mu.Unlock()
}

func (o *OpenAI) usercode(w http.ResponseWriter, r *http.Request) int {
	var body struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.ClientID != authtest.ClientID {
		return writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
	}
	o.mu.Lock()
	off := o.deviceOff
	o.mu.Unlock()
	if off {
		return writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"device_auth_id": deviceAuthID, "user_code": UserCode, "interval": o.Interval,
		"expires_at": time.Now().Add(15 * time.Minute).UTC().Format(time.RFC3339),
	})
}

func (o *OpenAI) poll(w http.ResponseWriter, r *http.Request) int {
	var body struct {
		DeviceAuthID string `json:"device_auth_id"`
		UserCode     string `json:"user_code"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.DeviceAuthID != deviceAuthID || body.UserCode != UserCode {
		return writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
	}
	select {
	case o.polled <- struct{}{}:
	default:
	}
	o.mu.Lock()
	a := o.answer
	o.mu.Unlock()
	switch a {
	case DeviceAuthorized:
		return writeJSON(w, http.StatusOK, map[string]any{
			"authorization_code": authCode, "code_challenge": "challenge_fake", "code_verifier": "verifier_fake",
		})
	case DeviceExpired:
		return writeJSON(w, http.StatusGone, map[string]any{"error": "expired_token", "error_description": "The device code has expired."})
	}
	return writeJSON(w, http.StatusForbidden, map[string]any{"error": "authorization_pending"})
}

// token answers the authorization-code exchange (form-encoded) and
// refreshes (JSON) with new tokens; refresh tokens are single use.
func (o *OpenAI) token(w http.ResponseWriter, r *http.Request) int {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	var grant, code, rt string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var b map[string]string
		_ = json.Unmarshal(raw, &b)
		grant, rt = b["grant_type"], b["refresh_token"]
	} else {
		v, _ := url.ParseQuery(string(raw))
		grant, code = v.Get("grant_type"), v.Get("code")
	}
	switch grant {
	case "authorization_code":
		if code != authCode {
			return writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant"})
		}
		status := writeJSON(w, http.StatusOK, o.issue())
		select {
		case o.exchanged <- struct{}{}:
		default:
		}
		return status
	case "refresh_token":
		o.mu.Lock()
		ok := o.validRT[rt]
		delete(o.validRT, rt)
		o.mu.Unlock()
		if !ok {
			return writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
				"code": "refresh_token_reused", "message": "Your refresh token has already been used to generate a new access token. Please try signing in again."}})
		}
		return writeJSON(w, http.StatusOK, o.issue())
	case "urn:ietf:params:oauth:grant-type:token-exchange":
		// The API-key exchange after a browser sign-in: a ChatGPT
		// subscription login has no API key to give.
		o.mu.Lock()
		o.tokenExchange++
		o.mu.Unlock()
		return writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_request"})
	}
	return writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
}

// issue makes a new token set for the fake identity.
func (o *OpenAI) issue() map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rtGen++
	login := authtest.Login{Expires: time.Now().Add(time.Hour), Email: o.Email, Plan: o.Plan}
	id := login.Claims()
	access := login.Claims()
	access["aud"] = []string{"https://api.openai.com/v1"}
	access["client_id"] = authtest.ClientID
	access["jti"] = time.Now().Format(time.RFC3339Nano)
	rt := "rt_fake_device_" + string(rune('a'+o.rtGen%26)) + time.Now().Format("150405.000000000")
	o.validRT[rt] = true
	idTok, accTok := authtest.JWT(id), authtest.JWT(access)
	o.secrets = append(o.secrets, idTok, accTok, rt)
	return map[string]any{"id_token": idTok, "access_token": accTok, "refresh_token": rt, "expires_in": 3600, "token_type": "Bearer"}
}

func (o *OpenAI) accountsCheck(w http.ResponseWriter) int {
	o.mu.Lock()
	noOrigin := o.noOrigin
	plan := o.Plan
	o.mu.Unlock()
	acct := map[string]any{"id": authtest.AccountID, "structure": "personal", "is_deactivated": false,
		"account_routing_override": "NO_CONSTRAINT", "plan_type": plan}
	if !noOrigin {
		acct["workspace_backend_origin"] = "https://chatgpt.com"
	}
	return writeJSON(w, http.StatusOK, map[string]any{"accounts": []any{acct}})
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}
