package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/codextray/codextray/core/scrub"
)

// Window is one usage window: the 5-hour one (primary) or the weekly one
// (secondary).
type Window struct {
	UsedPercent   float64   `json:"used_percent"`
	WindowMinutes int       `json:"window_minutes,omitempty"`
	ResetsAt      time.Time `json:"resets_at,omitzero"`
}

// Credits is the credit balance of the account.
type Credits struct {
	HasCredits bool   `json:"has_credits"`
	Unlimited  bool   `json:"unlimited"`
	Balance    string `json:"balance,omitempty"`
}

// Limit is one family of limits: "codex" (the plan's own) or a named one,
// e.g. a model-specific limit.
type Limit struct {
	ID        string  `json:"id"`
	Name      string  `json:"name,omitempty"`
	Primary   *Window `json:"primary,omitempty"`
	Secondary *Window `json:"secondary,omitempty"`
}

// RateLimits are the usage windows as the backend reports them on every
// response (x-codex-* headers) and on /wham/usage.
type RateLimits struct {
	PlanType     string   `json:"plan_type,omitempty"`     // /wham/usage only
	Primary      *Window  `json:"primary,omitempty"`       // the codex family's short window
	Secondary    *Window  `json:"secondary,omitempty"`     // the codex family's weekly window
	Credits      *Credits `json:"credits,omitempty"`       //
	Additional   []Limit  `json:"additional,omitempty"`    // other families
	ActiveLimit  string   `json:"active_limit,omitempty"`  // which family a 429 is about
	LimitReached bool     `json:"limit_reached,omitempty"` // /wham/usage only

	// SpendCap is a Business/Enterprise member's monthly credit cap
	// (spend_control.individual_limit); /wham/usage only.
	SpendCap *SpendCap `json:"spend_cap,omitempty"`
	// ResetCreditsAvailable counts the reset credits the account may
	// redeem (rate_limit_reset_credits.available_count); nil when the
	// backend did not say. /wham/usage only.
	ResetCreditsAvailable *int `json:"reset_credits_available,omitempty"`
}

// SpendCap is a monthly credit cap set by a workspace's owner. The amounts
// are the backend's strings (credits, not a currency Codex Tray knows).
type SpendCap struct {
	Limit       string    `json:"limit,omitempty"`
	Used        string    `json:"used,omitempty"`
	Remaining   string    `json:"remaining,omitempty"`
	UsedPercent float64   `json:"used_percent"`
	ResetsAt    time.Time `json:"resets_at,omitzero"`
	Reached     bool      `json:"reached,omitempty"`
}

// IsZero reports whether nothing was reported.
func (r RateLimits) IsZero() bool {
	return r.Primary == nil && r.Secondary == nil && r.Credits == nil && len(r.Additional) == 0 &&
		r.ActiveLimit == "" && r.PlanType == ""
}

// resetOfActive is the latest reset of a window that is used up, for a 429
// that does not say when the limit resets.
func (r RateLimits) resetOfActive() time.Time {
	var t time.Time
	for _, w := range []*Window{r.Primary, r.Secondary} {
		if w != nil && w.UsedPercent >= 100 && w.ResetsAt.After(t) {
			t = w.ResetsAt
		}
	}
	return t
}

// ParseRateLimits reads the x-codex-* rate-limit headers, and those of
// other families (x-<family>-primary-used-percent), from a response.
func ParseRateLimits(h http.Header) RateLimits {
	var r RateLimits
	r.Primary = parseWindow(h, "x-codex-primary")
	r.Secondary = parseWindow(h, "x-codex-secondary")
	if hc, ok := parseBool(h.Get("x-codex-credits-has-credits")); ok {
		r.Credits = &Credits{HasCredits: hc}
		r.Credits.Unlimited, _ = parseBool(h.Get("x-codex-credits-unlimited"))
		r.Credits.Balance = h.Get("x-codex-credits-balance")
	}
	r.ActiveLimit = h.Get("x-codex-active-limit")
	for k := range h {
		lk := strings.ToLower(k)
		fam, ok := strings.CutSuffix(lk, "-primary-used-percent")
		if !ok || fam == "x-codex" || !strings.HasPrefix(fam, "x-") {
			continue
		}
		l := Limit{ID: strings.ReplaceAll(strings.TrimPrefix(fam, "x-"), "-", "_"), Name: h.Get(fam + "-limit-name"),
			Primary: parseWindow(h, fam+"-primary"), Secondary: parseWindow(h, fam+"-secondary")}
		if l.Primary != nil || l.Secondary != nil {
			r.Additional = append(r.Additional, l)
		}
	}
	sort.Slice(r.Additional, func(i, j int) bool { return r.Additional[i].ID < r.Additional[j].ID })
	return r
}

func parseWindow(h http.Header, prefix string) *Window {
	used, err := strconv.ParseFloat(strings.TrimSpace(h.Get(prefix+"-used-percent")), 64)
	if err != nil || math.IsNaN(used) || math.IsInf(used, 0) {
		return nil
	}
	w := &Window{UsedPercent: used}
	w.WindowMinutes, _ = strconv.Atoi(strings.TrimSpace(h.Get(prefix + "-window-minutes")))
	if s, err := strconv.ParseInt(strings.TrimSpace(h.Get(prefix+"-reset-at")), 10, 64); err == nil && s > 0 {
		w.ResetsAt = time.Unix(s, 0)
	}
	if used == 0 && w.WindowMinutes == 0 && w.ResetsAt.IsZero() {
		return nil
	}
	return w
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// wham/usage response (docs/codex-protocol.md §6.2).
type usageWindow struct {
	UsedPercent        float64 `json:"used_percent"`
	LimitWindowSeconds int64   `json:"limit_window_seconds"`
	ResetAfterSeconds  int64   `json:"reset_after_seconds"`
	ResetAt            int64   `json:"reset_at"`
}

type usageRateLimit struct {
	Allowed         bool         `json:"allowed"`
	LimitReached    bool         `json:"limit_reached"`
	PrimaryWindow   *usageWindow `json:"primary_window"`
	SecondaryWindow *usageWindow `json:"secondary_window"`
}

type usageBody struct {
	PlanType  string          `json:"plan_type"`
	RateLimit *usageRateLimit `json:"rate_limit"`
	Credits   *struct {
		HasCredits bool       `json:"has_credits"`
		Unlimited  bool       `json:"unlimited"`
		Balance    flexString `json:"balance"`
	} `json:"credits"`
	SpendControl *struct {
		Reached         bool `json:"reached"`
		IndividualLimit *struct {
			Limit             flexString `json:"limit"`
			Used              flexString `json:"used"`
			Remaining         flexString `json:"remaining"`
			UsedPercent       float64    `json:"used_percent"`
			ResetAfterSeconds int64      `json:"reset_after_seconds"`
			ResetAt           int64      `json:"reset_at"`
		} `json:"individual_limit"`
	} `json:"spend_control"`
	ResetCredits *struct {
		AvailableCount int `json:"available_count"`
	} `json:"rate_limit_reset_credits"`
	AdditionalRateLimits []struct {
		LimitName      string          `json:"limit_name"`
		MeteredFeature string          `json:"metered_feature"`
		RateLimit      *usageRateLimit `json:"rate_limit"`
	} `json:"additional_rate_limits"`
}

func (w *usageWindow) window(now time.Time) *Window {
	if w == nil {
		return nil
	}
	out := &Window{UsedPercent: w.UsedPercent, WindowMinutes: int((w.LimitWindowSeconds + 59) / 60)}
	switch {
	case w.ResetAt > 0:
		out.ResetsAt = time.Unix(w.ResetAt, 0)
	case w.ResetAfterSeconds > 0:
		out.ResetsAt = now.Add(time.Duration(w.ResetAfterSeconds) * time.Second).Truncate(time.Second)
	}
	return out
}

// Usage fetches the usage windows of the ChatGPT plan (GET
// {chatgpt_base}/wham/usage). API keys have none.
func (c *Client) Usage(ctx context.Context) (RateLimits, error) {
	cr, err := c.credentials(ctx)
	if err != nil {
		return RateLimits{}, err
	}
	if cr.Mode != ModeChatGPT {
		return RateLimits{}, &Error{Kind: KindBadRequest, Message: "Usage windows exist only for a ChatGPT login; Codex is signed in with an API key."}
	}
	ctx, cancel := context.WithTimeout(ctx, ModelsTimeout)
	defer cancel()
	rt, err := c.route(ctx, cr)
	if err != nil {
		return RateLimits{}, err
	}
	var h http.Header
	if rt.Override != "" {
		h = http.Header{HeaderRoutingOverride: {rt.Override}}
	}
	res, err := c.get(ctx, rt.Base+"/wham/usage", h)
	if err != nil {
		return RateLimits{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return RateLimits{}, networkError(err)
	}
	var b usageBody
	if err := json.Unmarshal(data, &b); err != nil {
		return RateLimits{}, &Error{Kind: KindProtocol, Message: "The usage answer from the backend is not readable.", Cause: fmt.Errorf("wham/usage: %w", err)}
	}
	now := c.opts.Now()
	r := RateLimits{PlanType: b.PlanType}
	if rl := b.RateLimit; rl != nil {
		r.Primary, r.Secondary, r.LimitReached = rl.PrimaryWindow.window(now), rl.SecondaryWindow.window(now), rl.LimitReached
	}
	if b.Credits != nil {
		r.Credits = &Credits{HasCredits: b.Credits.HasCredits, Unlimited: b.Credits.Unlimited, Balance: string(b.Credits.Balance)}
	}
	if sc := b.SpendControl; sc != nil && sc.IndividualLimit != nil {
		il := sc.IndividualLimit
		cap := &SpendCap{Limit: scrub.String(string(il.Limit)), Used: scrub.String(string(il.Used)), Remaining: scrub.String(string(il.Remaining)),
			UsedPercent: il.UsedPercent, Reached: sc.Reached}
		cap.ResetsAt = (&usageWindow{ResetAt: il.ResetAt, ResetAfterSeconds: il.ResetAfterSeconds}).window(now).ResetsAt
		r.SpendCap = cap
	}
	if rc := b.ResetCredits; rc != nil {
		n := max(rc.AvailableCount, 0)
		r.ResetCreditsAvailable = &n
	}
	for _, a := range b.AdditionalRateLimits {
		l := Limit{ID: a.MeteredFeature, Name: a.LimitName}
		if a.RateLimit != nil {
			l.Primary, l.Secondary = a.RateLimit.PrimaryWindow.window(now), a.RateLimit.SecondaryWindow.window(now)
		}
		r.Additional = append(r.Additional, l)
	}
	return r, nil
}
