// Package providertest is a fake ChatGPT backend and OpenAI API for tests
// and benchmarks: an httptest server on 127.0.0.1 that checks every request
// the way the real backend would (docs/codex-protocol.md §4) and replays queued
// answers, built from the helpers here or from the Codex fixtures in the
// repository's testdata/codex/.
package providertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the fake backend. Its ChatGPT base URL is URL+"/backend-api",
// its OpenAI base URL URL+"/v1".
type Server struct {
	*httptest.Server
	t testing.TB

	ChatGPTBaseURL string
	OpenAIBaseURL  string

	// Disconnected receives the time a /responses handler saw its client go
	// away while it was waiting (Reply.Hang).
	Disconnected chan time.Time

	mu         sync.Mutex
	accept     func(token string) bool
	replies    []Reply
	fallback   *Reply
	requests   []Request
	token      string
	accountID  string
	models     []byte
	modelsETag string
	apiModels  []byte
	usage      []byte
	usageHdr   map[string]string
	resets     resetCredits
	// accountsCheck is the body of GET /backend-api/wham/accounts/check;
	// nil answers with the login's account and no routing constraint.
	accountsCheck []byte
	override      string                  // account_routing_override of the default accounts answer
	modelsErr     *Reply                  // answer to /codex/models instead of the catalog
	catalog       map[string]catalogEntry // from SetModels, by slug
	// quietRejects makes a rejected request a 400 only, not also a test
	// error (for tests that send bad requests on purpose).
	quietRejects bool
}

// catalogEntry is what the fake reads from a model's catalog entry.
type catalogEntry struct {
	Slug             string `json:"slug"`
	UseResponsesLite bool   `json:"use_responses_lite"`
}

// Request is a request the fake received.
type Request struct {
	Method, Path, Query string
	Host                string // the Host header: chatgpt.com through the CONNECT proxy
	// Encoding is the request's Content-Encoding ("zstd" from the real
	// Codex); Body is always the decoded body.
	Encoding string
	Header   http.Header
	Body     []byte
	JSON     map[string]any // the decoded body, for POST /responses
}

// Reply is one answer to POST /responses.
type Reply struct {
	Status int               // default 200
	Header map[string]string // extra response headers
	Body   string            // the body of a non-200 answer
	// Chunks are written one at a time, each flushed, for a 200 answer
	// (Content-Type text/event-stream).
	Chunks []string
	// Abort breaks the connection after Chunks, without a clean end.
	Abort bool
	// Hang waits after Chunks until the client goes away, then reports it
	// on Disconnected.
	Hang bool
	// Before runs first, e.g. to change the login on disk.
	Before func(*http.Request)
	// Silent takes the request and never answers: no status, no headers,
	// until the client goes away.
	Silent bool
	// Repeat is written again and again after Chunks, each time flushed,
	// until the client goes away: an answer that never ends.
	Repeat string
}

// New starts a fake backend that expects requests signed with token (any
// non-empty token when ""). It stops when the test ends.
func New(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{t: t, token: token, Disconnected: make(chan time.Time, 16)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("providertest: %v", err)
	}
	s.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	s.Start()
	s.ChatGPTBaseURL = s.URL + "/backend-api"
	s.OpenAIBaseURL = s.URL + "/v1"
	t.Cleanup(s.Close)
	return s
}

// SetToken changes the token the fake accepts (as after a refresh).
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
}

// ExpectAccountID makes the fake require this ChatGPT-Account-ID on
// ChatGPT requests.
func (s *Server) ExpectAccountID(id string) {
	s.mu.Lock()
	s.accountID = id
	s.mu.Unlock()
}

// Enqueue adds answers for the next POST /responses requests, in order.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	s.replies = append(s.replies, r...)
	s.mu.Unlock()
}

// SetFallback sets the answer given when the queue is empty (default: 500).
func (s *Server) SetFallback(r Reply) {
	s.mu.Lock()
	s.fallback = &r
	s.mu.Unlock()
}

// SetModels sets the body and ETag of GET /backend-api/codex/models.
func (s *Server) SetModels(body []byte, etag string) {
	var cat struct {
		Models []catalogEntry `json:"models"`
	}
	_ = json.Unmarshal(body, &cat)
	s.mu.Lock()
	s.models, s.modelsETag = body, etag
	s.catalog = map[string]catalogEntry{}
	for _, m := range cat.Models {
		s.catalog[m.Slug] = m
	}
	s.mu.Unlock()
}

// SetAccountsCheck sets the body of GET /backend-api/wham/accounts/check
// (workspace routing discovery); nil restores the default answer, which
// lists the requesting account with no routing constraint, served by this
// fake (workspace_backend_origin is its own origin).
func (s *Server) SetAccountsCheck(body []byte) {
	s.mu.Lock()
	s.accountsCheck = body
	s.mu.Unlock()
}

// SetModelsError makes GET /codex/models answer r (a status and a body)
// instead of the catalog; nil restores the catalog.
func (s *Server) SetModelsError(r *Reply) {
	s.mu.Lock()
	s.modelsErr = r
	s.mu.Unlock()
}

// SetRoutingOverride sets the account_routing_override of the default
// accounts answer ("us", "us_cr"; "" for NO_CONSTRAINT).
func (s *Server) SetRoutingOverride(o string) {
	s.mu.Lock()
	s.override = o
	s.mu.Unlock()
}

// QuietRejects makes the fake answer bad requests with a 400 without
// failing the test, for tests that send them on purpose.
func (s *Server) QuietRejects() {
	s.mu.Lock()
	s.quietRejects = true
	s.mu.Unlock()
}

// IsLite reports whether the catalog served by SetModels marks model as a
// Responses-Lite model, and whether the model is in it at all.
func (s *Server) IsLite(model string) (lite, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.catalog[model]
	return m.UseResponsesLite, ok
}

// ServeHTTP serves one request as the fake backend (the proxy hands it the
// requests it intercepted).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// SetAPIModels sets the body of GET /v1/models.
func (s *Server) SetAPIModels(body []byte) {
	s.mu.Lock()
	s.apiModels = body
	s.mu.Unlock()
}

// SetUsage sets the body and headers of GET /backend-api/wham/usage.
func (s *Server) SetUsage(body []byte, header map[string]string) {
	s.mu.Lock()
	s.usage, s.usageHdr = body, header
	s.mu.Unlock()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsTo returns the requests received so far whose path ends in suffix.
func (s *Server) RequestsTo(suffix string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	enc := r.Header.Get("Content-Encoding")
	if enc == "zstd" {
		d, err := zstdDecode(body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, []byte(`{"detail":"body is not valid zstd"}`))
			return
		}
		body = d
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host, Encoding: enc,
		Header: r.Header.Clone(), Body: body}
	if r.Method == http.MethodPost {
		_ = json.Unmarshal(body, &req.JSON)
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	token, account := s.token, s.accountID
	s.mu.Unlock()

	chatgpt := strings.HasPrefix(r.URL.Path, "/backend-api/")
	if r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		// The Responses WebSocket: 426 makes Codex fall back to HTTP + SSE
		// at once (docs/codex-today.md §1).
		writeJSON(w, http.StatusUpgradeRequired, []byte(`{"detail":"fake backend: no WebSocket; use HTTP"}`))
		return
	}
	var reply *Reply
	if r.Method == http.MethodPost && (r.URL.Path == "/backend-api/codex/responses" || r.URL.Path == "/v1/responses") {
		reply = s.nextReply()
		if reply.Before != nil {
			reply.Before(r)
		}
		s.mu.Lock()
		token = s.token
		s.mu.Unlock()
	}
	if !s.authorized(w, r, token) {
		return
	}
	var problems []string
	if chatgpt {
		problems = append(problems, checkChatGPTHeaders(r.URL.Path, r.Header, account)...)
	}
	switch {
	case reply != nil:
		problems = append(problems, CheckResponsesRequest(r.Header, body, chatgpt)...)
		if chatgpt {
			problems = append(problems, s.checkDialect(r.Header, body)...)
		}
		if s.reject(w, problems) {
			return
		}
		s.writeReply(w, r, reply)
	case r.Method == http.MethodGet && r.URL.Path == "/backend-api/codex/models":
		if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(r.URL.Query().Get("client_version")) {
			problems = append(problems, fmt.Sprintf("client_version %q is not MAJOR.MINOR.PATCH", r.URL.Query().Get("client_version")))
		}
		if s.reject(w, problems) {
			return
		}
		s.mu.Lock()
		models, etag, merr := s.models, s.modelsETag, s.modelsErr
		s.mu.Unlock()
		if merr != nil {
			writeJSON(w, merr.Status, []byte(merr.Body))
			return
		}
		if etag != "" {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		writeJSON(w, http.StatusOK, models)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		s.mu.Lock()
		models := s.apiModels
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, models)
	case r.URL.Path == "/backend-api/wham/rate-limit-reset-credits" || r.URL.Path == "/backend-api/wham/rate-limit-reset-credits/consume":
		if s.reject(w, problems) {
			return
		}
		s.serveResetCredits(w, r, req)
	case r.Method == http.MethodGet && r.URL.Path == "/backend-api/wham/accounts/check":
		if s.reject(w, problems) {
			return
		}
		s.mu.Lock()
		body, override := s.accountsCheck, s.override
		s.mu.Unlock()
		if override == "" {
			override = "NO_CONSTRAINT"
		}
		if body == nil {
			// The login's account, served right here: https through a
			// proxy (r.TLS), plain http when asked on 127.0.0.1 directly.
			origin := "http://" + r.Host
			if r.TLS != nil {
				origin = "https://" + r.Host
			}
			body = AccountsCheck(Account{ID: r.Header.Get("ChatGPT-Account-ID"), RoutingOverride: override, Origin: origin})
		}
		writeJSON(w, http.StatusOK, body)
	case r.Method == http.MethodGet && r.URL.Path == "/backend-api/wham/usage":
		if s.reject(w, problems) {
			return
		}
		s.mu.Lock()
		usage, hdr := s.usage, s.usageHdr
		s.mu.Unlock()
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		writeJSON(w, http.StatusOK, usage)
	default:
		writeJSON(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
	}
}

func (s *Server) nextReply() *Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.replies) > 0 {
		r := s.replies[0]
		s.replies = s.replies[1:]
		return &r
	}
	if s.fallback != nil {
		r := *s.fallback
		return &r
	}
	return &Reply{Status: http.StatusInternalServerError, Body: `{"error":{"message":"fake backend: no reply queued"}}`}
}

// authorized answers 401 unless the request carries the expected bearer.
// AcceptTokens makes the server accept exactly the bearer tokens for which
// accept returns true (a fake sign-in server's issued tokens, say),
// instead of the one token given to New or SetToken.
func (s *Server) AcceptTokens(accept func(token string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accept = accept
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	accept := s.accept
	s.mu.Unlock()
	if accept != nil {
		ok = ok && accept(got)
	} else {
		ok = ok && (token == "" || got == token)
	}
	if !ok || got == "" {
		w.Header().Set("x-openai-authorization-error", "invalid_token")
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":{"message":"Your authentication token is invalid.","type":"invalid_request_error","code":"invalid_api_key"}}`))
		return false
	}
	return true
}

func (s *Server) reject(w http.ResponseWriter, problems []string) bool {
	if len(problems) == 0 {
		return false
	}
	s.mu.Lock()
	quiet := s.quietRejects
	s.mu.Unlock()
	for _, p := range problems {
		if quiet {
			s.t.Logf("fake backend (rejecting on purpose): %s", p)
		} else {
			s.t.Errorf("fake backend: %s", p)
		}
	}
	b, _ := json.Marshal(map[string]string{"detail": strings.Join(problems, "; ")})
	writeJSON(w, http.StatusBadRequest, b)
	return true
}

func (s *Server) writeReply(w http.ResponseWriter, r *http.Request, reply *Reply) {
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	if reply.Silent {
		<-r.Context().Done()
		select {
		case s.Disconnected <- time.Now():
		default:
		}
		return
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		writeJSON(w, reply.Status, []byte(reply.Body))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	for _, c := range reply.Chunks {
		if _, err := io.WriteString(w, c); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	for reply.Repeat != "" {
		if _, err := io.WriteString(w, reply.Repeat); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	switch {
	case reply.Abort:
		panic(http.ErrAbortHandler) // the server closes the connection mid-body
	case reply.Hang:
		<-r.Context().Done()
		select {
		case s.Disconnected <- time.Now():
		default:
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// checkChatGPTHeaders checks the headers of a ChatGPT backend request. The
// originator and version headers are checked on /codex/ requests only: the
// real Codex 0.171 sends neither on /wham/accounts/check and no version on
// /wham/usage (docs/codex-today.md §2).
func checkChatGPTHeaders(path string, h http.Header, account string) []string {
	var p []string
	if account != "" && h.Get("ChatGPT-Account-ID") != account {
		p = append(p, fmt.Sprintf("ChatGPT-Account-ID is %q, want %q", h.Get("ChatGPT-Account-ID"), account))
	}
	if strings.HasPrefix(path, "/backend-api/codex/") {
		if h.Get("originator") == "" {
			p = append(p, "no originator header")
		}
		if h.Get("version") == "" {
			p = append(p, "no version header")
		}
	}
	// Codex Tray names itself; the real Codex (behind the proxy) names Codex.
	if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "codextray/") && !strings.HasPrefix(ua, "codex_") {
		p = append(p, fmt.Sprintf("User-Agent %q does not name codextray", ua))
	}
	return p
}

var dataURL = regexp.MustCompile(`^data:(image/(?:png|jpeg|gif|webp));base64,([A-Za-z0-9+/]*={0,2})$`)

// CheckResponsesRequest lists what is wrong with a POST /responses request
// by the rules of docs/codex-protocol.md §4.2–4.4; chatgpt adds the headers only
// the ChatGPT backend wants.
func CheckResponsesRequest(h http.Header, body []byte, chatgpt bool) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, fmt.Sprintf(f, a...)) }
	if got := h.Get("Accept"); got != "text/event-stream" {
		bad("Accept is %q, want text/event-stream", got)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		bad("Content-Type is %q, want application/json", got)
	}
	var b map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return append(p, "body is not a JSON object: "+err.Error())
	}
	if chatgpt {
		sid, tid := h.Get("session-id"), h.Get("thread-id")
		if sid == "" || tid == "" {
			bad("session-id %q / thread-id %q missing", sid, tid)
		}
		if b["prompt_cache_key"] != sid {
			bad("prompt_cache_key %v is not the session-id %q", b["prompt_cache_key"], sid)
		}
	} else if s, _ := b["prompt_cache_key"].(string); s == "" {
		bad("prompt_cache_key missing")
	}
	if s, _ := b["model"].(string); s == "" {
		bad("model missing")
	}
	if s, _ := b["instructions"].(string); strings.TrimSpace(s) == "" && !hasDeveloperMessage(b["input"]) {
		bad("Instructions are required (top-level instructions or a developer message)")
	}
	if v, ok := b["store"]; !ok || v != false {
		bad("Store must be set to false (got %v)", v)
	}
	if v, ok := b["stream"]; !ok || v != true {
		bad("Stream must be set to true (got %v)", v)
	}
	if _, ok := b["parallel_tool_calls"].(bool); !ok {
		bad("parallel_tool_calls must be a boolean (got %v)", b["parallel_tool_calls"])
	}
	if b["tool_choice"] != "auto" {
		bad("tool_choice must be \"auto\" (got %v)", b["tool_choice"])
	}
	inc, _ := b["include"].([]any)
	if len(inc) != 1 || inc[0] != "reasoning.encrypted_content" {
		bad("include must be [\"reasoning.encrypted_content\"] (got %v)", b["include"])
	}
	if r, ok := b["reasoning"].(map[string]any); ok {
		if v, ok := r["summary"]; ok && v != "auto" && v != "concise" && v != "detailed" {
			bad("reasoning.summary must be auto, concise or detailed (got %v)", v)
		}
	}
	for _, k := range []string{"max_output_tokens", "temperature", "top_p", "previous_response_id"} {
		if _, ok := b[k]; ok {
			bad("Unsupported parameter: %s", k)
		}
	}
	input, _ := b["input"].([]any)
	if len(input) == 0 {
		bad("input is empty")
	}
	for i, raw := range input {
		it, _ := raw.(map[string]any)
		// Codex 0.171 gives its input items ids of its own ("at_…"); the
		// ids of a stored response's items would not resolve with store
		// false, so those are refused.
		if id, _ := it["id"].(string); strings.HasPrefix(id, "resp_") {
			bad("input[%d] carries the id of a stored response item (%s)", i, id)
		}
		switch it["type"] {
		case "message":
			role, _ := it["role"].(string)
			content, _ := it["content"].([]any)
			if role == "" || len(content) == 0 {
				bad("input[%d]: message without role or content", i)
			}
			for j, rc := range content {
				c, _ := rc.(map[string]any)
				switch c["type"] {
				case "input_text", "output_text":
					if _, ok := c["text"].(string); !ok {
						bad("input[%d].content[%d]: no text", i, j)
					}
					if (c["type"] == "output_text") != (role == "assistant") {
						bad("input[%d].content[%d]: %v in a %s message", i, j, c["type"], role)
					}
				case "input_image":
					u, _ := c["image_url"].(string)
					if err := checkDataURL(u); err != "" {
						bad("input[%d].content[%d]: %s", i, j, err)
					}
				default:
					bad("input[%d].content[%d]: unknown type %v", i, j, c["type"])
				}
			}
		case "reasoning":
			if _, ok := it["summary"].([]any); !ok {
				bad("input[%d]: reasoning without a summary array", i)
			}
			if s, _ := it["encrypted_content"].(string); s == "" {
				bad("input[%d]: reasoning without encrypted_content", i)
			}
		case "function_call", "function_call_output", "additional_tools", "configuration_update":
		default:
			bad("input[%d]: unknown item type %v", i, it["type"])
		}
	}
	return p
}

func hasDeveloperMessage(input any) bool {
	items, _ := input.([]any)
	for _, raw := range items {
		it, _ := raw.(map[string]any)
		if it["type"] == "message" && (it["role"] == "developer" || it["role"] == "system") {
			return true
		}
	}
	return false
}

func checkDataURL(u string) string {
	m := dataURL.FindStringSubmatch(u)
	if m == nil {
		short := u
		if len(short) > 40 {
			short = short[:40] + "…"
		}
		return fmt.Sprintf("image_url %q is not a data:image/(png|jpeg|gif|webp);base64 URL", short)
	}
	data, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil {
		return "image data is not base64"
	}
	if got := sniff(data); got != m[1] {
		return fmt.Sprintf("image says %s but holds %q", m[1], got)
	}
	return ""
}

func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF8")):
		return "image/gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return http.DetectContentType(b)
}
