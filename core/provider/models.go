package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/codextray/codextray/core/userfile"
)

// Model is one entry of the backend's model catalog.
type Model struct {
	Slug                  string           `json:"slug"`
	DisplayName           string           `json:"display_name"`
	Description           string           `json:"description,omitempty"`
	Priority              int              `json:"priority"`
	Visibility            string           `json:"visibility,omitempty"` // list, hide or none
	SupportedInAPI        bool             `json:"supported_in_api"`
	DefaultReasoningLevel string           `json:"default_reasoning_level,omitempty"`
	ReasoningLevels       []ReasoningLevel `json:"supported_reasoning_levels,omitempty"`
	ContextWindow         int64            `json:"context_window,omitempty"`
	InputModalities       []string         `json:"input_modalities,omitempty"`

	// The fields that decide the request's dialect, as Codex 0.171 reads
	// them (docs/codex-today.md §2–3).
	UseResponsesLite           bool  `json:"use_responses_lite,omitempty"`
	SupportsReasoningSummaries *bool `json:"supports_reasoning_summaries,omitempty"` // nil: not said, taken as true
	// SupportsReasoningSummaryParameter decides whether reasoning.summary
	// is sent: Codex 0.171 sends it unless this is false, whatever
	// supports_reasoning_summaries says (measured).
	SupportsReasoningSummaryParameter *bool  `json:"supports_reasoning_summary_parameter,omitempty"`
	SupportVerbosity                  bool   `json:"support_verbosity,omitempty"`
	DefaultVerbosity                  string `json:"default_verbosity,omitempty"`
	SupportsParallelToolCalls         bool   `json:"supports_parallel_tool_calls,omitempty"`
	SupportsImageDetailOriginal       bool   `json:"supports_image_detail_original,omitempty"`
	MinimalClientVersion              string `json:"minimal_client_version,omitempty"`
	// MultiAgentReasoningEffort is the effort Codex sends for "ultra"
	// ("maximum reasoning with automatic task delegation"): the effort of
	// the delegating root agent.
	MultiAgentReasoningEffort string `json:"multi_agent_reasoning_effort,omitempty"`

	// AvailableInPlans lists the plans that may use the model; empty means
	// every plan. Plans are an open set.
	AvailableInPlans []string      `json:"available_in_plans,omitempty"`
	ServiceTiers     []ServiceTier `json:"service_tiers,omitempty"`

	// Unavailable is set by Codex Tray, not the backend: the login's plan
	// is not in AvailableInPlans. Such a model is listed but not offered.
	Unavailable bool `json:"unavailable,omitempty"`
}

// ServiceTier is a speed tier a model offers, e.g. {"id": "priority",
// "name": "Fast"}.
type ServiceTier struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// ServiceTierPriority is the tier the chat's Fast toggle asks for.
const ServiceTierPriority = "priority"

// HasServiceTier reports whether the catalog offers tier for the model.
func (m Model) HasServiceTier(tier string) bool {
	for _, t := range m.ServiceTiers {
		if t.ID == tier {
			return true
		}
	}
	return false
}

// SupportsSummaries reports whether a request for the model asks for
// reasoning summaries: as Codex 0.171 decides it, from
// supports_reasoning_summary_parameter (true when the catalog does not say).
func (m Model) SupportsSummaries() bool {
	return m.SupportsReasoningSummaryParameter == nil || *m.SupportsReasoningSummaryParameter
}

// HasEffort reports whether the catalog lists effort for the model; a model
// without levels accepts any.
func (m Model) HasEffort(effort string) bool {
	if len(m.ReasoningLevels) == 0 {
		return true
	}
	for _, l := range m.ReasoningLevels {
		if l.Effort == effort {
			return true
		}
	}
	return false
}

// EffortFor is the effort to use for a saved choice: saved when the model
// has it, else the model's default; fellBack says the saved choice was
// replaced, so that the caller can say so.
func (m Model) EffortFor(saved string) (effort string, fellBack bool) {
	if saved == "" || m.HasEffort(saved) {
		if saved == "" {
			return m.DefaultReasoningLevel, false
		}
		return saved, false
	}
	return m.DefaultReasoningLevel, true
}

// AvailableTo reports whether a login on plan may use the model: the
// catalog lists no plans, or lists plan. An unknown plan ("") is allowed.
func (m Model) AvailableTo(plan string) bool {
	if len(m.AvailableInPlans) == 0 || plan == "" {
		return true
	}
	return slices.Contains(m.AvailableInPlans, plan)
}

// ReasoningLevel is a reasoning effort a model supports.
type ReasoningLevel struct {
	Effort      string `json:"effort"`
	Description string `json:"description,omitempty"`
}

// AcceptsImages reports whether the model takes images (the default when the
// catalog does not say).
func (m Model) AcceptsImages() bool {
	return len(m.InputModalities) == 0 || slices.Contains(m.InputModalities, "image")
}

// ModelList is what the model picker shows.
type ModelList struct {
	Models    []Model   // visible models, by priority
	Default   string    // the slug to use when the user chose none
	FetchedAt time.Time // when the backend was last asked
	FromCache bool      // the list came from the disk cache
}

// Find returns the model with slug, and whether it is listed.
func (l ModelList) Find(slug string) (Model, bool) {
	for _, m := range l.Models {
		if m.Slug == slug {
			return m, true
		}
	}
	return Model{}, false
}

// modelsCache is the disk cache of one login's catalog.
type modelsCache struct {
	FetchedAt     time.Time `json:"fetched_at"`
	ETag          string    `json:"etag,omitempty"`
	ClientVersion string    `json:"client_version"`
	BaseURL       string    `json:"base_url"`
	Mode          string    `json:"mode"`
	Models        []Model   `json:"models"`
}

// Models returns the models the login can use: from the disk cache when it
// is younger than ModelsCacheTTL, else from the backend (with the cached
// ETag in If-None-Match). ChatGPT: GET {routed base}/codex/models;
// API key: GET {openai_base}/models. Models whose available_in_plans
// leaves out the login's plan are listed with Unavailable set and are
// never the default.
func (c *Client) Models(ctx context.Context) (ModelList, error) {
	cr, err := c.credentials(ctx)
	if err != nil {
		return ModelList{}, err
	}
	mc, fromCache, err := c.catalog(ctx, cr)
	if err != nil {
		return ModelList{}, err
	}
	return buildList(mc, fromCache, cr.Plan), nil
}

// catalog returns the whole catalog of cr's login, hidden models included.
func (c *Client) catalog(ctx context.Context, cr Credentials) (modelsCache, bool, error) {
	path := c.cachePath(cr)
	now := c.opts.Now()
	cached, haveCache := c.readCache(path, cr)
	if haveCache && !cached.FetchedAt.IsZero() && now.Sub(cached.FetchedAt) >= 0 && now.Sub(cached.FetchedAt) < ModelsCacheTTL {
		return cached, true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ModelsTimeout)
	defer cancel()
	version := c.clientVersion()
	u := c.opts.OpenAIBaseURL + "/models"
	h := http.Header{}
	if cr.Mode == ModeChatGPT {
		rt, err := c.route(ctx, cr)
		if err != nil {
			return modelsCache{}, false, err
		}
		u = rt.Base + "/codex/models?client_version=" + url.QueryEscape(version)
		if rt.Override != "" {
			h.Set(HeaderRoutingOverride, rt.Override)
		}
	}
	if haveCache && cached.ETag != "" {
		h.Set("If-None-Match", cached.ETag)
	}
	res, err := c.getOnce(ctx, u, h, cr.Mode == ModeChatGPT)
	if err != nil {
		return modelsCache{}, false, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotModified && haveCache {
		cached.FetchedAt = now
		c.writeCache(path, cached)
		return cached, true, nil
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return modelsCache{}, false, networkError(err)
	}
	models, err := parseModels(cr.Mode, data)
	if err != nil {
		return modelsCache{}, false, &Error{Kind: KindProtocol, Message: "The model list from the backend is not readable.", Cause: err}
	}
	mc := modelsCache{FetchedAt: now, ETag: res.Header.Get("ETag"), ClientVersion: version,
		BaseURL: c.baseFor(cr), Mode: cr.Mode, Models: models}
	c.writeCache(path, mc)
	return mc, false, nil
}

// dialectFor finds model in the login's catalog (a stale cache will do
// when the backend cannot be asked), else in the catalog bundled with this
// build, as Codex falls back to its bundled models.json.
func (c *Client) dialectFor(ctx context.Context, cr Credentials, model string) dialect {
	mc, _, err := c.catalog(ctx, cr)
	if err != nil {
		mc, _ = c.readCache(c.cachePath(cr), cr)
	}
	for _, m := range mc.Models {
		if m.Slug == model {
			return dialect{known: true, model: m}
		}
	}
	if m, ok := bundledModel(model); ok {
		return dialect{known: true, model: m}
	}
	return dialect{}
}

func parseModels(mode string, data []byte) ([]Model, error) {
	if mode == ModeAPIKey {
		var b struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
		out := make([]Model, 0, len(b.Data))
		for _, m := range b.Data {
			if m.ID != "" {
				out = append(out, Model{Slug: m.ID, DisplayName: m.ID, Visibility: "list", SupportedInAPI: true})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Slug < out[j].Slug })
		for i := range out {
			out[i].Priority = i
		}
		return out, nil
	}
	var b struct {
		Models []Model `json:"models"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("codex/models: %w", err)
	}
	if b.Models == nil {
		return nil, fmt.Errorf("codex/models: no \"models\" array")
	}
	return b.Models, nil
}

// apiKeyPreferred are the default picks in API-key mode, best first.
var apiKeyPreferred = []string{"gpt-5.5", "gpt-5.2", "gpt-5", "gpt-4.1", "gpt-4o"}

func buildList(mc modelsCache, fromCache bool, plan string) ModelList {
	l := ModelList{FetchedAt: mc.FetchedAt, FromCache: fromCache}
	for _, m := range mc.Models {
		if m.Visibility == "list" || (m.Visibility == "" && mc.Mode == ModeAPIKey) {
			m.Unavailable = !m.AvailableTo(plan)
			l.Models = append(l.Models, m)
		}
	}
	sort.SliceStable(l.Models, func(i, j int) bool { return l.Models[i].Priority < l.Models[j].Priority })
	if mc.Mode == ModeAPIKey {
		for _, p := range apiKeyPreferred {
			if _, ok := l.Find(p); ok {
				l.Default = p
				return l
			}
		}
	}
	for _, m := range l.Models {
		if !m.Unavailable {
			l.Default = m.Slug
			return l
		}
	}
	if len(l.Models) == 0 && len(mc.Models) > 0 {
		l.Default = mc.Models[0].Slug
	}
	return l
}

// Offered is the models a picker offers: the listed ones the plan may use.
func (l ModelList) Offered() []Model {
	var out []Model
	for _, m := range l.Models {
		if !m.Unavailable {
			out = append(out, m)
		}
	}
	return out
}

func (c *Client) baseFor(cr Credentials) string {
	if cr.Mode == ModeChatGPT {
		return c.opts.ChatGPTBaseURL
	}
	return c.opts.OpenAIBaseURL
}

// cachePath is one cache file per backend and account, so that switching
// logins never shows another account's models.
func (c *Client) cachePath(cr Credentials) string {
	if c.opts.CacheDir == "-" {
		return ""
	}
	sum := sha256.Sum256([]byte(cr.Mode + "\x00" + c.baseFor(cr) + "\x00" + cr.AccountID))
	return filepath.Join(c.opts.CacheDir, "models-"+hex.EncodeToString(sum[:8])+".json")
}

func (c *Client) readCache(path string, cr Credentials) (modelsCache, bool) {
	var mc modelsCache
	if path == "" {
		return mc, false
	}
	data, err := userfile.Read(path, 16<<20)
	if err != nil || json.Unmarshal(data, &mc) != nil {
		return modelsCache{}, false
	}
	if mc.ClientVersion != c.clientVersion() || mc.BaseURL != c.baseFor(cr) || mc.Mode != cr.Mode {
		return modelsCache{}, false
	}
	return mc, true
}

// writeCache stores mc with a temp file and a rename, so that concurrent
// readers see the old or the new file, never half of one. The cache is best
// effort: errors are dropped.
func (c *Client) writeCache(path string, mc modelsCache) {
	if path == "" {
		return
	}
	data, err := json.Marshal(mc)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	_ = userfile.WriteAtomic(path, data, userfile.Atomic{Temp: ".models-"})
}

// noteModelsETag handles the X-Models-Etag of a /responses answer: the same
// ETag as the cache renews it, another one makes the next Models refetch.
func (c *Client) noteModelsETag(etag string) {
	c.mu.Lock()
	cr, ok := c.lastCreds, c.haveLastCreds
	c.mu.Unlock()
	if !ok {
		return
	}
	path := c.cachePath(cr)
	mc, have := c.readCache(path, cr)
	if !have {
		return
	}
	if strings.Trim(mc.ETag, `W/"`) == strings.Trim(etag, `W/"`) {
		mc.FetchedAt = c.opts.Now()
	} else {
		mc.FetchedAt = time.Time{}
	}
	c.writeCache(path, mc)
}

// getOnce is get for GET /codex/models. In ChatGPT mode a 401 from it alone
// does not mean the login is dead: /codex/models can answer 401
// token_expired on fresh logins while /codex/responses works
// (docs/codex-today.md §3), so it neither refreshes the token nor reports a
// login problem; the model list is just unavailable this time.
func (c *Client) getOnce(ctx context.Context, u string, header http.Header, chatgpt bool) (*http.Response, error) {
	if !chatgpt {
		return c.get(ctx, u, header)
	}
	res, err := c.doAuth(ctx, c.getRequest(u, header), "", false)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		return nil, &Error{Kind: KindModelsUnauthorized, Code: e.Code, Status: e.Status, RequestID: e.RequestID, Retryable: true,
			Message: "The backend did not hand out the model list this time (401); chats still work. The list is asked for again later.",
			Cause:   fmt.Errorf("codex/models: HTTP 401 (%s)", orSentence(e.Code, "no code"))}
	}
	return res, err
}
