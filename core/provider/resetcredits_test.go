package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	pt "github.com/codextray/codextray/core/provider/providertest"
)

// Ugly /wham/usage answers: nulls, missing windows, a weekly window in the
// primary slot, a reset only as reset_after_seconds, out-of-range values.
func TestUsageUglyAnswers(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	srv := newServer(t)
	c := newTestClient(t, srv, nil, func(o *Options) { o.Now = func() time.Time { return now } })
	for _, body := range []string{
		`{}`,
		`{"plan_type":null,"rate_limit":null,"credits":null,"spend_control":null,"additional_rate_limits":null,"rate_limit_reset_credits":null}`,
		`{"rate_limit":{"primary_window":null,"secondary_window":null}}`,
		`{"additional_rate_limits":[{"limit_name":null,"metered_feature":null,"rate_limit":null}]}`,
	} {
		srv.SetUsage([]byte(body), nil)
		if _, err := c.Usage(context.Background()); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	srv.SetUsage([]byte(`{"plan_type":"pro","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":-3,"limit_window_seconds":604800,"reset_after_seconds":7200,"reset_at":null},
		"secondary_window":{"used_percent":140.5,"limit_window_seconds":2592000,"reset_at":0}},
		"spend_control":{"reached":true,"individual_limit":{"limit":"1000","used":1000,"remaining":"0","used_percent":100,"reset_after_seconds":60}},
		"rate_limit_reset_credits":{"available_count":-2}}`), nil)
	rl, err := c.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rl.Primary.WindowMinutes != 10080 || !rl.Primary.ResetsAt.Equal(now.Add(2*time.Hour)) || rl.Secondary.WindowMinutes != 43200 ||
		!rl.Secondary.ResetsAt.IsZero() || ClassifyWindow(rl.Secondary.WindowMinutes) != WindowMonth {
		t.Fatalf("%+v %+v", rl.Primary, rl.Secondary)
	}
	if rl.SpendCap == nil || rl.SpendCap.Used != "1000" || !rl.SpendCap.Reached || !rl.SpendCap.ResetsAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("%+v", rl.SpendCap)
	}
	if rl.ResetCreditsAvailable == nil || *rl.ResetCreditsAvailable != 0 {
		t.Fatal("a negative count")
	}
}

func TestResetCreditsList(t *testing.T) {
	srv := newServer(t)
	c := newTestClient(t, srv, nil)
	// The fake writes RFC 3339; the parser also takes unix seconds and null.
	var w struct {
		Credits []wireResetCredit `json:"credits"`
	}
	if err := jsonUnmarshal(`{"credits":[{"id":"a","status":"available","granted_at":1900000000,"expires_at":null},
		{"id":"b","status":"redeemed","expires_at":"2030-01-02T03:04:05Z"},{"id":null,"status":"available"}]}`, &w); err != nil {
		t.Fatal(err)
	}
	if !w.Credits[0].GrantedAt.Equal(time.Unix(1900000000, 0)) || !w.Credits[0].ExpiresAt.IsZero() ||
		w.Credits[1].ExpiresAt.Year() != 2030 || w.Credits[2].ID != "" {
		t.Fatalf("%+v", w.Credits)
	}
	rc, err := c.ResetCredits(context.Background())
	if err != nil || rc.AvailableCount != 0 || len(rc.Credits) != 0 {
		t.Fatalf("%+v %v", rc, err)
	}
	// A title is shown and printed: scrubbed like any server text.
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1", Title: "for sk-proj-ABCDEFGHIJKLMNOPQRSTUV"}})
	if rc, err = c.ResetCredits(context.Background()); err != nil || len(rc.Credits) != 1 ||
		strings.Contains(rc.Credits[0].Title, "ABCDEFGHIJKLMNOP") || rc.AvailableCount != 1 {
		t.Fatalf("%+v %v", rc, err)
	}
	now := time.Now()
	list := ResetCredits{Credits: []ResetCredit{
		{ID: "never", Status: CreditAvailable},
		{ID: "late", Status: CreditAvailable, ExpiresAt: now.Add(48 * time.Hour)},
		{ID: "used", Status: CreditRedeemed, ExpiresAt: now.Add(time.Hour)},
		{ID: "expired", Status: CreditAvailable, ExpiresAt: now.Add(-time.Hour)},
		{ID: "soon", Status: CreditAvailable, ExpiresAt: now.Add(time.Hour)},
		{ID: "busy", Status: CreditRedeeming}}}
	var ids []string
	for _, c := range list.Available(now) {
		ids = append(ids, c.ID)
	}
	if len(ids) != 3 || ids[0] != "soon" || ids[1] != "late" || ids[2] != "never" {
		t.Fatal(ids)
	}
}

func TestConsumeNeedsAKeyAndChatGPT(t *testing.T) {
	srv := newServer(t)
	c := newTestClient(t, srv, nil)
	if _, err := c.ConsumeResetCredit(context.Background(), "", ""); err == nil {
		t.Fatal("a consume without an idempotency key")
	}
	k := newTestClient(t, srv, StaticSource{Credentials{Mode: ModeAPIKey, Token: authSecret("sk")}})
	if _, err := k.ConsumeResetCredit(context.Background(), "3f1c2d4e-0000-4000-8000-000000000000", ""); err == nil {
		t.Fatal("a consume with an API key")
	}
	if len(srv.RequestsTo("/consume")) != 0 {
		t.Fatal("a request went out")
	}
}
