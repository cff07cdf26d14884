package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
// ETag in If-None-Match). ChatGPT: GET {chatgpt_base}/codex/models;
// API key: GET {openai_base}/models.
func (c *Client) Models(ctx context.Context) (ModelList, error) {
	cr, err := c.credentials(ctx)
	if err != nil {
		return ModelList{}, err
	}
	path := c.cachePath(cr)
	now := c.opts.Now()
	cached, haveCache := c.readCache(path, cr)
	if haveCache && !cached.FetchedAt.IsZero() && now.Sub(cached.FetchedAt) >= 0 && now.Sub(cached.FetchedAt) < ModelsCacheTTL {
		return buildList(cached, true), nil
	}
	ctx, cancel := context.WithTimeout(ctx, ModelsTimeout)
	defer cancel()
	u := c.opts.OpenAIBaseURL + "/models"
	if cr.Mode == ModeChatGPT {
		u = c.opts.ChatGPTBaseURL + "/codex/models?client_version=" + url.QueryEscape(CodexClientVersion)
	}
	h := http.Header{}
	if haveCache && cached.ETag != "" {
		h.Set("If-None-Match", cached.ETag)
	}
	res, err := c.get(ctx, u, h)
	if err != nil {
		return ModelList{}, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotModified && haveCache {
		cached.FetchedAt = now
		c.writeCache(path, cached)
		return buildList(cached, true), nil
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return ModelList{}, networkError(err)
	}
	models, err := parseModels(cr.Mode, data)
	if err != nil {
		return ModelList{}, &Error{Kind: KindProtocol, Message: "The model list from the backend is not readable.", Cause: err}
	}
	mc := modelsCache{FetchedAt: now, ETag: res.Header.Get("ETag"), ClientVersion: CodexClientVersion,
		BaseURL: c.baseFor(cr), Mode: cr.Mode, Models: models}
	c.writeCache(path, mc)
	return buildList(mc, false), nil
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

func buildList(mc modelsCache, fromCache bool) ModelList {
	l := ModelList{FetchedAt: mc.FetchedAt, FromCache: fromCache}
	for _, m := range mc.Models {
		if m.Visibility == "list" || (m.Visibility == "" && mc.Mode == ModeAPIKey) {
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
	if len(l.Models) > 0 {
		l.Default = l.Models[0].Slug
	} else if len(mc.Models) > 0 {
		l.Default = mc.Models[0].Slug
	}
	return l
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
	if mc.ClientVersion != CodexClientVersion || mc.BaseURL != c.baseFor(cr) || mc.Mode != cr.Mode {
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
	f, err := os.CreateTemp(filepath.Dir(path), ".models-*")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
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
