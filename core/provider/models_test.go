package provider

import (
	"context"
	"net/http"
	"testing"
	"time"

	pt "github.com/codextray/codextray/core/provider/providertest"
)

func TestModelsFromFixtureAndCache(t *testing.T) {
	srv := newServer(t)
	srv.SetModels(pt.Fixture(t, "models.json"), `"etag-1"`)
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	c := newTestClient(t, srv, nil, func(o *Options) { o.Now = func() time.Time { return now } })
	l, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, m := range l.Models {
		slugs = append(slugs, m.Slug)
	}
	want := []string{"gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5", "gpt-5.2"}
	if len(slugs) != len(want) {
		t.Fatalf("models %v, want %v", slugs, want)
	}
	for i := range want {
		if slugs[i] != want[i] {
			t.Fatalf("models %v, want %v", slugs, want)
		}
	}
	if l.Default != "gpt-5.6-sol" || l.FromCache {
		t.Errorf("default %q fromCache %v", l.Default, l.FromCache)
	}
	m, _ := l.Find("gpt-5.5")
	if m.DefaultReasoningLevel != "medium" || len(m.ReasoningLevels) != 4 || m.ReasoningLevels[3].Effort != "xhigh" || !m.AcceptsImages() {
		t.Errorf("gpt-5.5: %+v", m)
	}
	reqs := srv.RequestsTo("/codex/models")
	if len(reqs) != 1 || reqs[0].Query != "client_version="+CodexClientVersion || reqs[0].Header.Get("ChatGPT-Account-ID") == "" {
		t.Fatalf("requests %+v", reqs)
	}

	// Within 5 minutes: from the disk cache, even for a new client.
	now = now.Add(4 * time.Minute)
	c2 := newTestClient(t, srv, nil, func(o *Options) { o.Now = func() time.Time { return now }; o.CacheDir = c.opts.CacheDir })
	if l, err := c2.Models(context.Background()); err != nil || !l.FromCache || l.Default != "gpt-5.6-sol" {
		t.Fatalf("%v %+v", err, l.FromCache)
	}
	if n := len(srv.RequestsTo("/codex/models")); n != 1 {
		t.Fatalf("%d fetches within the TTL", n)
	}

	// After 5 minutes: revalidated with If-None-Match; 304 renews the cache.
	now = now.Add(2 * time.Minute)
	if l, err := c2.Models(context.Background()); err != nil || l.Default != "gpt-5.6-sol" {
		t.Fatal(err)
	}
	reqs = srv.RequestsTo("/codex/models")
	if len(reqs) != 2 || reqs[1].Header.Get("If-None-Match") != `"etag-1"` {
		t.Fatalf("revalidation: %d requests", len(reqs))
	}
	if _, err := c2.Models(context.Background()); err != nil || len(srv.RequestsTo("/codex/models")) != 2 {
		t.Fatal("a 304 did not renew the cache")
	}

	// A /responses answer with the same X-Models-Etag keeps the cache; a
	// different one makes the next Models refetch.
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("a", pt.Usage{})}, Header: map[string]string{"X-Models-Etag": `"etag-1"`}})
	if _, _, err := run(t, c2, hello("c")); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Models(context.Background()); err != nil || len(srv.RequestsTo("/codex/models")) != 2 {
		t.Fatal("same X-Models-Etag caused a refetch")
	}
	srv.SetModels(pt.Fixture(t, "models.json"), `"etag-2"`)
	srv.Enqueue(pt.Reply{Chunks: []string{pt.Stream("a", pt.Usage{})}, Header: map[string]string{"X-Models-Etag": `"etag-2"`}})
	if _, _, err := run(t, c2, hello("c")); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Models(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.RequestsTo("/codex/models")); n != 3 {
		t.Fatalf("new X-Models-Etag: %d fetches, want 3", n)
	}
}

func TestModelsAPIKey(t *testing.T) {
	srv := pt.New(t, "sk-key")
	srv.SetAPIModels([]byte(`{"object":"list","data":[{"id":"gpt-4o"},{"id":"gpt-5.5"},{"id":"babbage-002"}]}`))
	c := newTestClient(t, srv, StaticSource{Credentials{Mode: ModeAPIKey, Token: authSecret("sk-key")}})
	l, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Models) != 3 || l.Default != "gpt-5.5" {
		t.Fatalf("%+v", l)
	}
	if r := srv.RequestsTo("/v1/models"); len(r) != 1 || r[0].Header.Get("Authorization") != "Bearer sk-key" {
		t.Fatal("no authenticated /v1/models request")
	}
}

func TestUsage(t *testing.T) {
	srv := newServer(t)
	srv.SetUsage([]byte(`{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":3600,"reset_at":1900000000},
		"secondary_window":{"used_percent":7,"limit_window_seconds":604800,"reset_after_seconds":86400,"reset_at":1900500000}},
		"credits":{"has_credits":true,"unlimited":false,"balance":"12.5"},
		"additional_rate_limits":[{"limit_name":"GPT-5.6 Sol","metered_feature":"gpt_5_6_sol","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":3,"limit_window_seconds":18000,"reset_after_seconds":10,"reset_at":1900000100}}}]}`), nil)
	rl, err := newTestClient(t, srv, nil).Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rl.PlanType != "plus" || rl.Primary.UsedPercent != 42 || rl.Primary.WindowMinutes != 300 || !rl.Primary.ResetsAt.Equal(unix(1900000000)) ||
		rl.Secondary.WindowMinutes != 10080 || rl.Credits.Balance != "12.5" || len(rl.Additional) != 1 || rl.Additional[0].Name != "GPT-5.6 Sol" {
		t.Fatalf("%+v", rl)
	}
	if r := srv.RequestsTo("/wham/usage"); len(r) != 1 || r[0].Header.Get("ChatGPT-Account-ID") == "" {
		t.Fatal("usage request without account header")
	}
	_, err = newTestClient(t, srv, StaticSource{Credentials{Mode: ModeAPIKey, Token: authSecret("k")}}).Usage(context.Background())
	if err == nil {
		t.Fatal("usage in API-key mode")
	}
}

func TestParseRateLimitsFamilies(t *testing.T) {
	h := http.Header{}
	h.Set("x-codex-primary-used-percent", "0")
	h.Set("x-codex-primary-window-minutes", "0") // used 0, window 0, no reset: not reported
	h.Set("x-codex-secondary-used-percent", "55.5")
	h.Set("x-codex-secondary-reset-at", "1900000000")
	h.Set("x-codex-credits-has-credits", "1")
	h.Set("x-codex-credits-unlimited", "false")
	h.Set("x-gpt-5-6-sol-primary-used-percent", "80")
	h.Set("x-gpt-5-6-sol-primary-window-minutes", "300")
	h.Set("x-gpt-5-6-sol-limit-name", "Sol")
	rl := ParseRateLimits(h)
	if rl.Primary != nil || rl.Secondary == nil || rl.Secondary.UsedPercent != 55.5 || rl.Credits == nil || !rl.Credits.HasCredits {
		t.Fatalf("%+v", rl)
	}
	if len(rl.Additional) != 1 || rl.Additional[0].ID != "gpt_5_6_sol" || rl.Additional[0].Name != "Sol" || rl.Additional[0].Primary.UsedPercent != 80 {
		t.Fatalf("families %+v", rl.Additional)
	}
	if !ParseRateLimits(http.Header{}).IsZero() {
		t.Fatal("no headers, not zero")
	}
}
