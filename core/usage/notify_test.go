package usage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
)

func w5(used float64, resets time.Time) Window {
	return Window{Key: "codex/5h", Family: FamilyCodex, Kind: provider.WindowFiveHour, Label: "5 h", Minutes: 300, UsedPercent: used, ResetsAt: resets}
}

func wWeek(used float64, resets time.Time) Window {
	return Window{Key: "codex/week", Family: FamilyCodex, Kind: provider.WindowWeek, Label: "Week", Minutes: 10080, UsedPercent: used, ResetsAt: resets}
}

type step struct {
	at      time.Duration // after t0
	ws      []Window
	credits []provider.ResetCredit
	cfg     func(*NotifyConfig)
	want    []string // "kind window" of each note
}

func on() NotifyConfig { return NotifyConfig{Enabled: true, Format: textfmt.Format{Loc: time.UTC}} }

func TestDecide(t *testing.T) {
	r1 := t0.Add(2 * time.Hour) // the 5 h window's reset
	r2 := r1.Add(5 * time.Hour) // the next one
	wr := t0.Add(72 * time.Hour)
	cases := []struct {
		name  string
		steps []step
	}{
		{"each threshold once, on its crossing", []step{
			{0, []Window{w5(50, r1)}, nil, nil, nil},
			{time.Minute, []Window{w5(81, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{2 * time.Minute, []Window{w5(85, r1)}, nil, nil, nil},
			{3 * time.Minute, []Window{w5(96, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{4 * time.Minute, []Window{w5(99, r1)}, nil, nil, nil},
		}},
		{"a jump over both thresholds notifies once", []step{
			{0, []Window{w5(10, r1)}, nil, nil, nil},
			{time.Minute, []Window{w5(97, r1)}, nil, nil, []string{"threshold codex/5h"}},
		}},
		{"a dip and a rise in one period does not repeat", []step{
			{0, []Window{w5(82, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{time.Minute, []Window{w5(20, r1)}, nil, nil, nil}, // a wrong reading before the reset time
			{2 * time.Minute, []Window{w5(83, r1)}, nil, nil, nil},
		}},
		{"reset: time passed and usage dropped; thresholds count again", []step{
			{0, []Window{w5(90, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{2*time.Hour + time.Minute, []Window{w5(3, r2)}, nil, nil, []string{"reset codex/5h"}},
			{3 * time.Hour, []Window{w5(85, r2)}, nil, nil, []string{"threshold codex/5h"}},
		}},
		{"reset time passed but no drop: no reset note", []step{
			{0, []Window{w5(40, r1)}, nil, nil, nil},
			{2*time.Hour + time.Minute, []Window{w5(40, r1)}, nil, nil, nil},
			{2*time.Hour + 2*time.Minute, []Window{w5(41, r2)}, nil, nil, nil},
		}},
		{"drop before the reset time (a reset credit) re-arms quietly", []step{
			{0, []Window{w5(90, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{time.Minute, []Window{w5(0, r2)}, nil, nil, nil},
			{time.Hour, []Window{w5(81, r2)}, nil, nil, []string{"threshold codex/5h"}},
		}},
		{"a missing window is not a reset, nor is its return", []step{
			{0, []Window{w5(90, r1), wWeek(30, wr)}, nil, nil, []string{"threshold codex/5h"}},
			{3 * time.Hour, []Window{wWeek(31, wr)}, nil, nil, nil},
			{3*time.Hour + time.Minute, []Window{wWeek(31, wr), w5(90, r1)}, nil, nil, nil},
		}},
		{"reordered windows keep their memory", []step{
			{0, []Window{w5(85, r1), wWeek(85, wr)}, nil, nil, []string{"threshold codex/5h", "threshold codex/week"}},
			{time.Minute, []Window{wWeek(86, wr), w5(86, r1)}, nil, nil, nil},
		}},
		{"null reset keeps the known one; no false reset", []step{
			{0, []Window{w5(50, r1)}, nil, nil, nil},
			{time.Minute, []Window{w5(50, time.Time{})}, nil, nil, nil},
			{3 * time.Hour, []Window{w5(2, time.Time{})}, nil, nil, []string{"reset codex/5h"}},
		}},
		{"never known reset time: a drop is not a reset", []step{
			{0, []Window{w5(90, time.Time{})}, nil, nil, []string{"threshold codex/5h"}},
			{10 * time.Hour, []Window{w5(5, time.Time{})}, nil, nil, nil},
		}},
		{"clock jumps forward: no reset without a drop, no repeat", []step{
			{0, []Window{w5(90, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{30 * time.Hour, []Window{w5(90, r1.Add(30*time.Hour))}, nil, nil, nil},
		}},
		{"clock jumps back: no reset", []step{
			{0, []Window{w5(90, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{-10 * time.Hour, []Window{w5(10, r1)}, nil, nil, nil},
		}},
		{"out-of-range values are clamped", []step{
			{0, []Window{w5(-20, r1)}, nil, nil, nil},
			{time.Minute, []Window{w5(400, r1)}, nil, nil, []string{"threshold codex/5h"}},
			{2 * time.Minute, []Window{w5(-1, r1)}, nil, nil, nil},
		}},
		{"snooze holds back and does not burst afterwards", []step{
			{0, []Window{w5(50, r1)}, nil, nil, nil},
			{time.Minute, []Window{w5(90, r1)}, nil, func(c *NotifyConfig) { c.SnoozedUntil = t0.Add(time.Hour) }, nil},
			{2 * time.Hour, []Window{w5(92, r1)}, nil, nil, nil},
		}},
		{"muted window never notifies, others do", []step{
			{0, []Window{w5(90, r1), wWeek(90, wr)}, nil, func(c *NotifyConfig) { c.Muted = map[string]bool{"codex/5h": true} },
				[]string{"threshold codex/week"}},
			{2*time.Hour + time.Minute, []Window{w5(1, r2)}, nil, func(c *NotifyConfig) { c.Muted = map[string]bool{"codex/5h": true} }, nil},
		}},
		{"notifications off", []step{
			{0, []Window{w5(99, r1)}, nil, func(c *NotifyConfig) { c.Enabled = false }, nil},
			{time.Minute, []Window{w5(99, r1)}, nil, nil, nil},
		}},
		{"custom thresholds", []step{
			{0, []Window{w5(55, r1)}, nil, func(c *NotifyConfig) { c.Thresholds = []float64{90, 50} }, []string{"threshold codex/5h"}},
			{time.Minute, []Window{w5(80, r1)}, nil, func(c *NotifyConfig) { c.Thresholds = []float64{90, 50} }, nil},
		}},
		{"a credit expiring within a day, once", []step{
			{0, nil, []provider.ResetCredit{
				{ID: "c1", Status: "available", ExpiresAt: t0.Add(30 * time.Hour)},
				{ID: "c2", Status: "available"},
				{ID: "c3", Status: "redeemed", ExpiresAt: t0.Add(time.Hour)}}, nil, nil},
			{7 * time.Hour, nil, []provider.ResetCredit{{ID: "c1", Status: "available", ExpiresAt: t0.Add(30 * time.Hour)}}, nil,
				[]string{"credit_expiry c1"}},
			{8 * time.Hour, nil, []provider.ResetCredit{{ID: "c1", Status: "available", ExpiresAt: t0.Add(30 * time.Hour)}}, nil, nil},
			{31 * time.Hour, nil, []provider.ResetCredit{{ID: "c1", Status: "available", ExpiresAt: t0.Add(30 * time.Hour)}}, nil, nil},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mem NotifyMemory
			for i, s := range c.steps {
				cfg := on()
				if s.cfg != nil {
					s.cfg(&cfg)
				}
				var notes []Note
				notes, mem = Decide(mem, s.ws, s.credits, cfg, t0.Add(s.at))
				var got []string
				for _, n := range notes {
					got = append(got, n.Kind+" "+n.Window)
					if n.Title == "" || n.Body == "" {
						t.Errorf("step %d: empty note %+v", i, n)
					}
				}
				if strings.Join(got, ",") != strings.Join(s.want, ",") {
					t.Fatalf("step %d: notes %v, want %v", i, got, s.want)
				}
			}
		})
	}
}

func TestDecideIsPure(t *testing.T) {
	mem := NotifyMemory{Windows: map[string]*WindowMemory{"codex/5h": {Used: 10, Fired: []float64{}}}}
	_, next := Decide(mem, []Window{w5(90, t0.Add(time.Hour))}, nil, on(), t0)
	if len(mem.Windows["codex/5h"].Fired) != 0 || mem.Windows["codex/5h"].Used != 10 {
		t.Fatal("Decide changed its input")
	}
	if len(next.Windows["codex/5h"].Fired) != 1 {
		t.Fatalf("%+v", next.Windows["codex/5h"])
	}
}

// A restart reads back what was sent: nothing repeats.
func TestNotifyMemorySurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	credits := []provider.ResetCredit{{ID: "c1", Status: "available", ExpiresAt: t0.Add(5 * time.Hour)}}
	notes, mem := Decide(st.LoadNotifyMemory(ctx), []Window{w5(90, t0.Add(time.Hour))}, credits, on(), t0)
	if len(notes) != 2 {
		t.Fatalf("%+v", notes)
	}
	if err := st.SaveNotifyMemory(ctx, mem); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	notes, _ = Decide(st.LoadNotifyMemory(ctx), []Window{w5(91, t0.Add(time.Hour))}, credits, on(), t0.Add(time.Minute))
	if len(notes) != 0 {
		t.Fatalf("repeated after a restart: %+v", notes)
	}
}

func TestNoteWording(t *testing.T) {
	notes, _ := Decide(NotifyMemory{}, []Window{w5(82, time.Date(2026, 11, 29, 18, 14, 0, 0, time.UTC))}, nil, on(), t0)
	if len(notes) != 1 || notes[0].Title != "Codex 5 h window above 80 %" || notes[0].Body != "82 % of the Codex 5 h window is used. It resets at 18:14." {
		t.Fatalf("%+v", notes)
	}
}
