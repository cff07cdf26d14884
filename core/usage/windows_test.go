package usage

import (
	"math"
	"testing"
	"time"

	"github.com/codextray/codextray/core/provider"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func win(used float64, minutes int, resets time.Time) *provider.Window {
	return &provider.Window{UsedPercent: used, WindowMinutes: minutes, ResetsAt: resets}
}

func keys(ws []Window) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Key+"="+w.Label)
	}
	return out
}

func TestWindowsByLength(t *testing.T) {
	cases := []struct {
		name string
		rl   provider.RateLimits
		want []string
	}{
		{"5 h and week", provider.RateLimits{Primary: win(10, 300, t0), Secondary: win(5, 10080, t0)},
			[]string{"codex/5h=5 h", "codex/week=Week"}},
		{"reordered: the week in the primary slot", provider.RateLimits{Primary: win(10, 10080, t0), Secondary: win(5, 300, t0)},
			[]string{"codex/5h=5 h", "codex/week=Week"}},
		{"only a weekly window", provider.RateLimits{Primary: win(10, 10080, t0)}, []string{"codex/week=Week"}},
		{"day and month", provider.RateLimits{Primary: win(1, 1440, t0), Secondary: win(2, 43200, t0)},
			[]string{"codex/day=Day", "codex/month=Month"}},
		{"31-day month, rounded-up 5 h", provider.RateLimits{Primary: win(1, 301, t0), Secondary: win(2, 31*1440, t0)},
			[]string{"codex/5h=5 h", "codex/month=Month"}},
		{"headers without lengths", provider.RateLimits{Primary: win(1, 0, t0), Secondary: win(2, 0, t0)},
			[]string{"codex/5h=5 h", "codex/week=Week"}},
		{"none", provider.RateLimits{}, nil},
		{"additional by name, spend cap last", provider.RateLimits{
			Secondary: win(5, 10080, t0),
			Additional: []provider.Limit{
				{ID: "codex_bengalfox", Name: "GPT-5.3-Codex-Spark", Primary: win(3, 300, t0), Secondary: win(4, 10080, t0)},
				{ID: "alpha", Name: "Alpha", Secondary: win(1, 10080, t0)},
			},
			SpendCap: &provider.SpendCap{UsedPercent: 40, Limit: "100"}},
			[]string{"codex/week=Week", "alpha/week=Alpha · Week", "codex_bengalfox/5h=GPT-5.3-Codex-Spark · 5 h",
				"codex_bengalfox/week=GPT-5.3-Codex-Spark · Week", "spend_cap/month=Spend cap"}},
		{"two windows of one length keep apart", provider.RateLimits{Primary: win(1, 300, t0), Secondary: win(2, 300, t0)},
			[]string{"codex/5h=5 h", "codex/5h-2=5 h"}},
		{"odd length", provider.RateLimits{Primary: win(1, 120, t0)}, []string{"codex/2h=2 h"}},
	}
	for _, c := range cases {
		got := keys(Windows(c.rl))
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

func TestWindowsBadValues(t *testing.T) {
	ws := Windows(provider.RateLimits{Primary: win(-5, 300, time.Time{}), Secondary: win(250, 10080, t0),
		Additional: []provider.Limit{{ID: "x", Name: "X", Primary: win(math.NaN(), 300, t0)}}})
	if len(ws) != 2 || ws[0].UsedPercent != 0 || ws[1].UsedPercent != 100 || !ws[0].ResetsAt.IsZero() {
		t.Fatalf("%+v", ws)
	}
	if MaxUsed(ws) != 100 {
		t.Fatal(MaxUsed(ws))
	}
}

func TestClassifyWindow(t *testing.T) {
	for m, want := range map[int]provider.WindowKind{0: provider.WindowOther, -3: provider.WindowOther, 300: provider.WindowFiveHour,
		1440: provider.WindowDay, 10080: provider.WindowWeek, 43200: provider.WindowMonth, 40320: provider.WindowMonth, 44640: provider.WindowMonth,
		60: provider.WindowOther, 3 * 1440: provider.WindowOther} {
		if got := provider.ClassifyWindow(m); got != want {
			t.Errorf("%d min: %s, want %s", m, got, want)
		}
	}
}

func TestThresholdAndMuteSettings(t *testing.T) {
	for in, want := range map[string]string{"": "80, 95", "95,80": "80, 95", " 50 ; 75%  90 ": "50, 75, 90", "70,70": "70"} {
		got, err := ParseThresholds(in)
		if err != nil || FormatThresholds(got) != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "101", "abc", "10,20,30,40,50", "-5"} {
		if _, err := ParseThresholds(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	m := ParseMuted(" codex/week, ,codex/5h")
	if !m["codex/week"] || !m["codex/5h"] || len(m) != 2 || FormatMuted(m) != "codex/5h,codex/week" {
		t.Fatal(m)
	}
}
