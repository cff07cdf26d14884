package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appdata"
	pt "github.com/codextray/codextray/core/provider/providertest"
	"github.com/codextray/codextray/core/usage"
)

// businessUsageBody is a /wham/usage answer: a plan whose only own window is
// weekly (in the primary slot), a named extra limit, the spend cap and
// reset credits.
func businessUsageBody(weekUsed float64, weekReset time.Time) []byte {
	return fmt.Appendf(nil, `{"plan_type":"business","rate_limit":{"allowed":true,"limit_reached":false,
		"primary_window":{"used_percent":%g,"limit_window_seconds":604800,"reset_after_seconds":1,"reset_at":%d},
		"secondary_window":null},
		"additional_rate_limits":[{"limit_name":"GPT-5.3-Codex-Spark","metered_feature":"codex_bengalfox",
			"rate_limit":{"allowed":true,"limit_reached":false,"primary_window":{"used_percent":12,"limit_window_seconds":18000,"reset_at":null}}}],
		"spend_control":{"reached":false,"individual_limit":{"limit":"2000","used":"500","remaining":"1500","used_percent":25,"remaining_percent":75,"reset_at":%d}},
		"rate_limit_reset_credits":{"available_count":2}}`, weekUsed, weekReset.Unix(), weekReset.Add(20*24*time.Hour).Unix())
}

// usageDB opens the usage history the commands run with env use.
func usageDB(t *testing.T, env []string) *usage.Store {
	t.Helper()
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "XDG_CONFIG_HOME="); ok {
			t.Setenv("XDG_CONFIG_HOME", v)
		}
	}
	dir, err := appdata.Dir()
	if err != nil {
		t.Fatal(err)
	}
	st, err := usage.Open(context.Background(), usage.DefaultPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestUsageWindowsPaceAndCredits(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	reset := time.Now().Add(50 * time.Hour).Truncate(time.Second)
	srv.SetUsage(businessUsageBody(70, reset), nil)
	expires := time.Now().Add(30 * time.Hour).Truncate(time.Second)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_soon", Title: "Launch week", ExpiresAt: expires}, {ID: "rc_forever"}}, "week")

	// The first reading has no pace yet, and says so.
	out, errOut, code := runCodextray(t, env, "usage")
	if code != 0 || !strings.Contains(out, "Week: 70 % used · resets") || !strings.Contains(out, "GPT-5.3-Codex-Spark · 5 h: 12 % used") ||
		!strings.Contains(out, "Spend cap (500 of 2000 credits): 25 % used") || !strings.Contains(out, "pace: not enough samples yet") ||
		!strings.Contains(out, "Reset credits: 2") || !strings.Contains(out, "rc_soon “Launch week”, expires") || strings.Contains(out, "5 h: 70") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}

	// Earlier readings (as the tray stores them): 40 %/h on the week.
	st := usageDB(t, env)
	now := time.Now()
	for i, used := range []float64{50, 56.7, 63.3} {
		w := usage.Window{Key: "codex/week", Label: "Week", Minutes: 10080, UsedPercent: used, ResetsAt: reset}
		if err := st.Record(context.Background(), now.Add(time.Duration(i-3)*10*time.Minute), []usage.Window{w}); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code = runCodextray(t, env, "usage", "--json")
	var u struct {
		Windows []struct {
			Key, Label  string
			UsedPercent float64 `json:"used_percent"`
			Pace        *struct {
				Enough  bool
				PerHour float64 `json:"percent_per_hour"`
			}
			RunsOutAt *time.Time `json:"runs_out_at"`
			PaceText  string     `json:"pace_text"`
		}
		ResetCredits struct {
			AvailableCount int `json:"available_count"`
			Credits        []struct {
				ID        string
				ExpiresAt time.Time `json:"expires_at"`
			}
		} `json:"reset_credits"`
		ResetCreditsAvailable int `json:"reset_credits_available"`
		SpendCap              struct {
			Limit string
		} `json:"spend_cap"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &u) != nil {
		t.Fatalf("exit %d %s %s", code, out, errOut)
	}
	var keys []string
	for _, w := range u.Windows {
		keys = append(keys, w.Key)
	}
	if strings.Join(keys, " ") != "codex/week codex_bengalfox/5h spend_cap/month" {
		t.Fatalf("windows %v", keys)
	}
	wk := u.Windows[0]
	if wk.Pace == nil || !wk.Pace.Enough || wk.Pace.PerHour < 38 || wk.Pace.PerHour > 42 || wk.RunsOutAt == nil ||
		wk.RunsOutAt.Sub(now) < 40*time.Minute || wk.RunsOutAt.Sub(now) > 50*time.Minute ||
		!strings.HasPrefix(wk.PaceText, "at this pace it runs out in 4") || !strings.Contains(wk.PaceText, ", before it resets at") {
		t.Fatalf("%+v %s", wk, out)
	}
	if u.Windows[1].Pace != nil || u.Windows[1].RunsOutAt != nil {
		t.Fatalf("a pace from one sample: %+v", u.Windows[1])
	}
	if u.ResetCredits.AvailableCount != 2 || len(u.ResetCredits.Credits) != 2 || !u.ResetCredits.Credits[0].ExpiresAt.Equal(expires) ||
		!u.ResetCredits.Credits[1].ExpiresAt.IsZero() || u.ResetCreditsAvailable != 2 || u.SpendCap.Limit != "2000" {
		t.Fatalf("%+v", u)
	}

	// --history prints what was stored: 3 seeded readings and 2 commands
	// of 3 windows each.
	out, _, code = runCodextray(t, env, "usage", "--history", "--json")
	var h struct {
		Samples []usage.Sample
	}
	if code != 0 || json.Unmarshal([]byte(out), &h) != nil || len(h.Samples) != 9 {
		t.Fatalf("exit %d %s", code, out)
	}
	out, _, code = runCodextray(t, env, "usage", "--history", "--since", "15m", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &h) != nil || len(h.Samples) != 7 {
		t.Fatalf("--since 15m: exit %d %s", code, out)
	}
	out, _, code = runCodextray(t, env, "usage", "--history", "--since", "2d")
	if code != 0 || !strings.Contains(out, "Spend cap") || !strings.Contains(out, "TIME") {
		t.Fatalf("exit %d %s", code, out)
	}
	if _, _, code = runCodextray(t, env, "usage", "--history", "--since", "yesterday"); code != ExitUsage {
		t.Fatalf("bad --since: exit %d", code)
	}
}

func TestUsageCheck(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.SetUsage(businessUsageBody(91.5, time.Now().Add(time.Hour)), nil)
	out, _, code := runCodextray(t, env, "usage", "--check", "90")
	if code != ExitUsageLimit || strings.TrimSpace(out) != "At or above 90 %: Week: 91.5 % used" {
		t.Fatalf("exit %d %q", code, out)
	}
	out, _, code = runCodextray(t, env, "usage", "--check", "95%")
	if code != 0 || strings.TrimSpace(out) != "Every window is below 95 % (highest 91.5 %)." {
		t.Fatalf("exit %d %q", code, out)
	}
	out, _, code = runCodextray(t, env, "usage", "--check", "20")
	if code != ExitUsageLimit || !strings.Contains(out, "Week: 91.5 % used; Spend cap: 25 % used") {
		t.Fatalf("exit %d %q", code, out)
	}
	if _, _, code = runCodextray(t, env, "usage", "--check", "abc"); code != ExitUsage {
		t.Fatalf("bad --check: exit %d", code)
	}
	if len(srv.RequestsTo("/wham/rate-limit-reset-credits")) != 0 {
		t.Fatal("a check asked for the reset credits")
	}
}

func TestUsageRedeemCommand(t *testing.T) {
	srv, env, _ := backendEnv(t, chatgptLogin())
	srv.SetUsage(businessUsageBody(88, time.Now().Add(5*time.Hour)), nil)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1", Title: "Launch week"}, {ID: "rc_2"}}, "week")

	// Without --yes: says what it would do, does nothing.
	out, errOut, code := runCodextray(t, env, "usage", "redeem")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, "Redeem the reset credit “Launch week”? It resets Week (88 % used) to 0 %.") ||
		!strings.Contains(errOut, "add --yes") {
		t.Fatalf("exit %d %q %q", code, out, errOut)
	}
	if len(srv.RequestsTo("/consume")) != 0 {
		t.Fatal("redeemed without --yes")
	}

	// The answer is lost once: one credit, one sentence.
	srv.DropConsumeAnswers(1)
	out, errOut, code = runCodextray(t, env, "usage", "redeem", "--credit", "rc_1", "--yes")
	if code != 0 || strings.TrimSpace(out) != "Reset credit redeemed: week start again from 0 %." {
		t.Fatalf("exit %d %q %q", code, out, errOut)
	}
	if srv.CreditsSpent() != 1 || len(srv.RequestsTo("/consume")) != 2 {
		t.Fatalf("%v", srv.Consumptions())
	}

	// The same credit again: already redeemed, exit 1.
	out, _, code = runCodextray(t, env, "usage", "redeem", "--credit", "rc_1", "--yes", "--json")
	var ans struct{ Code, Message string }
	if code != ExitFailure || json.Unmarshal([]byte(out), &ans) != nil || ans.Code != "already_redeemed" || ans.Message == "" {
		t.Fatalf("exit %d %q", code, out)
	}
	// Nothing in use any more: the other credit is kept.
	out, _, code = runCodextray(t, env, "usage", "redeem", "--yes")
	if code != ExitFailure || !strings.Contains(out, "Nothing to reset") {
		t.Fatalf("exit %d %q", code, out)
	}
	if srv.CreditsSpent() != 1 {
		t.Fatalf("%v", srv.Consumptions())
	}
	if st := usageDB(t, env); st != nil {
		if _, pending, _ := st.Pending(context.Background()); pending {
			t.Fatal("a redeem is still pending after its answer")
		}
	}
}

// Every command that takes no arguments refuses one with exit 2 and says
// which, as the flag package does for a bad flag.
func TestCommandsSayWhichArgumentIsUnexpected(t *testing.T) {
	_, env, _ := backendEnv(t, chatgptLogin())
	for _, cmd := range [][]string{{"status"}, {"refresh"}, {"restore"}, {"login"}, {"models"}, {"usage"}, {"usage", "redeem"}} {
		args := append(append([]string{}, cmd...), "extra")
		out, errOut, code := runCodextray(t, env, args...)
		want := "codextray " + strings.Join(cmd, " ") + `: unexpected argument "extra"`
		if code != ExitUsage || out != "" || strings.TrimSpace(errOut) != want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, out, errOut, want)
		}
	}
}
