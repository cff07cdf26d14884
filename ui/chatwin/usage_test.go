package chatwin

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/view"
)

// monitorActions are the host controller's usage actions, on a monitor.
type monitorActions struct{ m *usage.Monitor }

func (a monitorActions) SetStreaming(on bool) { a.m.SetStreaming(on) }
func (a monitorActions) PreviewRedeem() (string, string, bool) {
	return a.m.Preview("")
}
func (a monitorActions) Redeem(id string) (string, error) {
	res, err := a.m.Redeem(context.Background(), id)
	return res.Sentence, err
}

// findButton finds the shown button labelled text under o.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch v := o.(type) {
	case *widget.Button:
		if v.Text == text && v.Visible() {
			return v
		}
	case *fyne.Container:
		if !v.Visible() {
			return nil
		}
		for _, c := range v.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

// The chat with the host's usage monitor: the meters show the pace, and a
// usage-limit error offers to redeem a reset credit, in two steps, once.
func TestChatUsagePaceAndRedeemOffer(t *testing.T) {
	m := &usage.Monitor{}
	h := newChatHarness(t, func(d *Deps) { d.Usage = monitorActions{m} })
	now := time.Now()
	reset := now.Add(time.Hour).Truncate(time.Second)
	h.srv.SetUsage(fmt.Appendf(nil, `{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":90,"limit_window_seconds":18000,"reset_at":%d},
		"secondary_window":{"used_percent":30,"limit_window_seconds":604800,"reset_at":%d}},
		"rate_limit_reset_credits":{"available_count":1}}`, reset.Unix(), now.Add(72*time.Hour).Unix()), nil)
	h.srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1", Title: "Thank-you credit"}}, "5 h", "week")
	st, err := usage.Open(context.Background(), filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i, used := range []float64{60, 70, 80} {
		w := usage.Window{Key: "codex/5h", Label: "5 h", Minutes: 300, UsedPercent: used, ResetsAt: reset}
		if err := st.Record(context.Background(), now.Add(time.Duration(i-3)*10*time.Minute), []usage.Window{w}); err != nil {
			t.Fatal(err)
		}
	}
	m.Source = provider.New(provider.Options{
		Credentials: provider.StaticSource{Credentials: provider.Credentials{
			Mode: provider.ModeChatGPT, Token: auth.NewSecret(chatTestToken), AccountID: authtest.AccountID}},
		ChatGPTBaseURL: h.srv.ChatGPTBaseURL, AppVersion: "0.1.0-test", MaxRetries: -1, CacheDir: "-"})
	m.Store = st
	snaps := make(chan usage.Snapshot, 8)
	m.Publish = func(s usage.Snapshot) { snaps <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	var snap usage.Snapshot
	select {
	case snap = <-snaps:
	case <-time.After(10 * time.Second):
		t.Fatal("no reading from the monitor")
	}
	// The host's State brings the monitor's reading, as its controller does.
	u := view.UsageFromSnapshot(snap)
	h.w.Update(view.State{Usage: &u, UsageSnap: &snap, Format: textfmt.Format{Loc: time.Local}})
	h.pump("the meters of the monitor", func() bool {
		return len(h.w.meterBars) > 0 && strings.Contains(h.w.meterBars[0].TextFormatter(), "5 h: 90 % used")
	})
	// 60 % an hour, 10 % left.
	if m := h.w.meterBars[0].TextFormatter(); !strings.Contains(m, "runs out in 9 min") && !strings.Contains(m, "runs out in 10 min") {
		t.Fatalf("meter %q", m)
	}

	// The 429 of a used-up plan: the answer fails, the offer appears.
	h.srv.Enqueue(pt.Reply{Status: 429, Body: `{"error":{"type":"usage_limit_reached","message":"You've hit your usage limit.","plan_type":"plus","resets_in_seconds":3600}}`})
	h.typeAndEnter("Hello")
	h.idle()
	h.pump("the redeem offer", func() bool { return h.w.redeem.box.Visible() })
	if !strings.Contains(h.w.redeem.label.Text, "You have a reset credit") {
		t.Fatal(h.w.redeem.label.Text)
	}
	test.Tap(findButton(h.w.redeem.box, "Redeem a reset credit…"))
	if len(h.srv.RequestsTo("/consume")) != 0 {
		t.Fatal("the first step redeemed")
	}
	confirm := findButton(h.w.redeem.box, "Redeem now")
	if confirm == nil {
		t.Fatal("no confirmation")
	}
	test.Tap(confirm)
	test.Tap(confirm)
	h.pump("the answer of the redeem", func() bool { return h.w.redeem.flow.Result() != "" })
	if got := h.w.redeem.flow.Result(); got != "Reset credit redeemed: 5 h, week start again from 0 %." {
		t.Fatal(got)
	}
	if h.srv.CreditsSpent() != 1 || len(h.srv.RequestsTo("/consume")) != 1 {
		t.Fatalf("%v", h.srv.Consumptions())
	}
}
