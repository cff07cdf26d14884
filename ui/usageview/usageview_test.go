package usageview

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func snapshot() *usage.Snapshot {
	reset5h := now.Add(6*time.Hour + 14*time.Minute)
	w5 := usage.WindowView{Window: usage.Window{Key: "codex/5h", Family: "codex", Label: "5 h", Minutes: 300, UsedPercent: 62, ResetsAt: reset5h}}
	w5.Pace = usage.Pace{Enough: true, PerHour: 20, RunsOutAt: now.Add(100 * time.Minute)}
	w5.PaceText = usage.PaceSentence(w5.Pace, w5.Window, now, utc)
	w5.PaceShort = usage.PaceShort(w5.Pace, w5.Window, now)
	wk := usage.WindowView{Window: usage.Window{Key: "codex/week", Family: "codex", Label: "Week", Minutes: 10080, UsedPercent: 30, ResetsAt: now.Add(80 * time.Hour)}}
	wk.PaceText = usage.PaceSentence(wk.Pace, wk.Window, now, utc)
	var hist []usage.Sample
	for h := 7 * 24; h >= 0; h-- {
		at := now.Add(-time.Duration(h) * time.Hour)
		hist = append(hist, usage.Sample{At: at, Window: "codex/5h", UsedPercent: float64((7*24 - h) % 5 * 20), ResetsAt: at.Add(time.Duration(5-(7*24-h)%5) * time.Hour)})
	}
	return &usage.Snapshot{Windows: []usage.WindowView{w5, wk}, CreditsAvailable: 2, UpdatedAt: now.Add(-20 * time.Minute),
		Credits: &provider.ResetCredits{AvailableCount: 2, Credits: []provider.ResetCredit{
			{ID: "rc_1", Status: "available", Title: "Launch week", ExpiresAt: now.Add(30 * time.Hour)},
			{ID: "rc_2", Status: "available"}}},
		History: map[string][]usage.Sample{"codex/5h": hist}}
}

func TestMenuLines(t *testing.T) {
	got := MenuLines(snapshot(), now, utc, 7*time.Minute)
	want := []string{
		"5 h: 62 % used · resets 18:14 · runs out in 1 h 40 min",
		"Week: 30 % used · resets Wed 20:00",
		"Reset credits: 2 · next expires Mon 18:00",
		"Usage updated 20 min ago",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%q", got)
	}
	if MenuLines(nil, now, utc, time.Minute) != nil {
		t.Fatal("lines without a snapshot")
	}
}

func TestPanelTwoStepRedeem(t *testing.T) {
	test.NewTempApp(t)
	var redeems atomic.Int32
	release := make(chan struct{})
	applied := make(chan struct{}, 1)
	var redeemed string
	p := NewPanel(Actions{
		Preview: func() (string, string, bool) {
			return "Redeem the reset credit “Launch week” (expires Mon 18:00)? It resets 5 h (62 % used) to 0 %.", "rc_1", true
		},
		Redeem: func(id string) (string, error) {
			redeems.Add(1)
			redeemed = id
			<-release
			return "Reset credit redeemed: 5 h start again from 0 %.", nil
		},
		// The answer is applied, then the test goes on: the test app has
		// no event loop to hand it to.
		Do: func(f func()) { f(); applied <- struct{}{} },
	})
	w := test.NewWindow(p.Object())
	defer w.Close()
	w.Resize(fyne.NewSize(560, 700))
	p.Show(snapshot(), now, utc, 7*time.Minute, 80)
	if !p.redeem.redeem.Visible() || p.redeem.confirm.Visible() {
		t.Fatal("the redeem button is not offered")
	}
	if txt := p.credits.Text; !strings.Contains(txt, "Reset credits: 2") || !strings.Contains(txt, "Launch week — expires Mon 18:00 (in 30 h)") ||
		!strings.Contains(txt, "does not expire") {
		t.Fatal(txt)
	}
	if r := p.rowOf["codex/5h"]; r.pace.Text != "At this pace it runs out in 1 h 40 min, before it resets at 18:14." {
		t.Fatal(r.pace.Text)
	}
	if r := p.rowOf["codex/week"]; !strings.HasPrefix(r.pace.Text, "Pace: not enough samples yet") {
		t.Fatal(r.pace.Text)
	}
	if !p.stale.Visible() || p.stale.Text != "Usage updated 20 min ago" {
		t.Fatal(p.stale.Text)
	}
	// Step one says what it would do and sends nothing.
	test.Tap(p.redeem.redeem)
	if !p.redeem.confirm.Visible() || !strings.Contains(p.redeem.confirmText.Text, "It resets 5 h (62 % used)") || redeems.Load() != 0 {
		t.Fatal("no confirmation")
	}
	// Step two, clicked three times: one redeem.
	test.Tap(p.redeem.confirmBtn)
	test.Tap(p.redeem.confirmBtn)
	test.Tap(p.redeem.confirmBtn)
	close(release)
	select {
	case <-applied:
	case <-time.After(5 * time.Second):
		t.Fatal("no answer shown")
	}
	if redeems.Load() != 1 || redeemed != "rc_1" || p.redeem.Result() != "Reset credit redeemed: 5 h start again from 0 %." {
		t.Fatalf("%d redeems of %q: %q", redeems.Load(), redeemed, p.redeem.Result())
	}
	// Cancel sends nothing.
	test.Tap(p.redeem.redeem)
	test.Tap(p.redeem.cancelBtn)
	if redeems.Load() != 1 || p.redeem.confirm.Visible() {
		t.Fatal("cancel")
	}
	// No credits: no button.
	s := snapshot()
	s.CreditsAvailable, s.Credits = 0, nil
	p.Show(s, now, utc, 7*time.Minute, 80)
	if p.redeem.redeem.Visible() || p.credits.Text != "Reset credits: none." {
		t.Fatal("a redeem without credits")
	}
}

func TestChartDrawsUsageAndResets(t *testing.T) {
	test.NewTempApp(t)
	c := NewChart()
	w := test.NewWindow(c)
	defer w.Close()
	w.Resize(fyne.NewSize(520, 80))
	s := snapshot()
	c.Set(s.History["codex/5h"], now.Add(-usage.HistorySpan), now, time.UTC, 80)
	r := test.WidgetRenderer(c)
	var bars, lines, labels, resets int
	for _, o := range r.Objects() {
		switch o := o.(type) {
		case *canvas.Rectangle:
			bars++
		case *canvas.Line:
			lines++
			if o.StrokeColor == theme.Color(theme.ColorNameSuccess) {
				resets++
			}
		case *canvas.Text:
			labels++
			if len(o.Text) != 3 && o.Text != "80 %" {
				t.Errorf("label %q", o.Text)
			}
		}
	}
	// 1 background + a bar per hour with a reading; lines for midnights,
	// the threshold, the usage and the resets; 8 day names (the partial days
	// at both ends too) and the threshold's.
	if bars < 150 || lines < 150 || labels != 9 {
		t.Fatalf("%d bars, %d lines, %d labels", bars, lines, labels)
	}
	// The history fills a 5 h period, then drops: one reset line each.
	if resets < 32 || resets > 34 {
		t.Fatalf("%d reset lines", resets)
	}
	c.Set(nil, now.Add(-usage.HistorySpan), now, time.UTC, 80)
	if n := len(test.WidgetRenderer(c).Objects()); n > 20 {
		t.Fatalf("an empty chart has %d objects", n)
	}
}

type mapPrefs map[string]string

func (m mapPrefs) String(k string) string { return m[k] }
func (m mapPrefs) SetString(k, v string)  { m[k] = v }

func TestSettingsSection(t *testing.T) {
	test.NewTempApp(t)
	p := mapPrefs{appdata.PrefUsageMuted: "codex/week"}
	s := NewSettings(p)
	w := test.NewWindow(s.Object())
	defer w.Close()
	if s.thresholds.Text != "80, 95" {
		t.Fatal(s.thresholds.Text)
	}
	test.Type(s.thresholds, "50, ")
	if p[appdata.PrefUsageThresholds] != "50, 80, 95" {
		t.Fatalf("%q", p[appdata.PrefUsageThresholds])
	}
	s.thresholds.SetText("abc")
	if p[appdata.PrefUsageThresholds] != "50, 80, 95" || s.thresholds.Validate() == nil {
		t.Fatal("a bad threshold was stored")
	}
	s.ShowWindows(snapshot().Windows)
	checks := s.mutes.Objects
	if len(checks) != 2 || !checks[0].(*widget.Check).Checked || checks[1].(*widget.Check).Checked {
		t.Fatal("mute checks do not follow the preferences")
	}
	if p[appdata.PrefUsageMuted] != "codex/week" {
		t.Fatalf("showing changed the preference: %q", p[appdata.PrefUsageMuted])
	}
	test.Tap(checks[0].(*widget.Check))
	if p[appdata.PrefUsageMuted] != "codex/5h,codex/week" {
		t.Fatalf("%q", p[appdata.PrefUsageMuted])
	}
}

// utc writes clock times in UTC, 24 h.
var utc = textfmt.Format{Loc: time.UTC}
