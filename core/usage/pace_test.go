package usage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/codextray/codextray/core/textfmt"
)

func samplesOf(key string, resets time.Time, pts ...[2]float64) []Sample {
	var out []Sample
	for _, p := range pts {
		out = append(out, Sample{At: t0.Add(time.Duration(p[0]) * time.Minute), Window: key, UsedPercent: p[1], ResetsAt: resets})
	}
	return out
}

func TestPace(t *testing.T) {
	reset := time.Date(2026, 11, 29, 18, 14, 0, 0, time.UTC)
	w := w5(40, reset) // t0 = 12:00; 30 min in, 40 %
	now := t0.Add(30 * time.Minute)

	// 20 % → 40 % in 30 min: 40 %/h; 60 % left: 1 h 30 min, before 18:14.
	s := samplesOf("codex/5h", reset, [2]float64{0, 20}, [2]float64{10, 27}, [2]float64{20, 33}, [2]float64{30, 40})
	p := PaceOf(s, w, now)
	if !p.Enough || p.PerHour < 39.9 || p.PerHour > 40.1 || !p.RunsOutAt.Equal(now.Add(90*time.Minute)) || p.LastsUntilReset {
		t.Fatalf("%+v", p)
	}
	if got := PaceSentence(p, w, now, utc); got != "at this pace it runs out in 1 h 30 min, before it resets at 18:14" {
		t.Fatal(got)
	}

	// Slow: 1 %/h lasts until the reset.
	slow := samplesOf("codex/5h", reset, [2]float64{0, 39.5}, [2]float64{15, 39.75}, [2]float64{30, 40})
	if p := PaceOf(slow, w, now); !p.Enough || !p.LastsUntilReset || !p.RunsOutAt.IsZero() ||
		PaceSentence(p, w, now, utc) != "at this pace it lasts until the reset" {
		t.Fatalf("%+v", p)
	}

	// Too few, or too close together: not shown, and said so.
	few := samplesOf("codex/5h", reset, [2]float64{25, 30}, [2]float64{30, 40})
	if p := PaceOf(few, w, now); p.Enough || PaceSentence(p, w, now, utc) == "" || PaceShort(p, w, now) != "" {
		t.Fatalf("%+v", p)
	}
	close3 := samplesOf("codex/5h", reset, [2]float64{25, 30}, [2]float64{27, 35}, [2]float64{30, 40})
	if p := PaceOf(close3, w, now); p.Enough {
		t.Fatalf("5 minutes made a pace: %+v", p)
	}

	// Samples of the previous period (another reset time), of another
	// window, or from the future (the clock jumped back) do not count.
	var mixed []Sample
	mixed = append(mixed, samplesOf("codex/5h", reset.Add(-5*time.Hour), [2]float64{0, 95}, [2]float64{10, 99})...)
	mixed = append(mixed, samplesOf("codex/week", reset, [2]float64{0, 1}, [2]float64{10, 2}, [2]float64{20, 3})...)
	mixed = append(mixed, samplesOf("codex/5h", reset, [2]float64{90, 100})...)
	if p := PaceOf(mixed, w, now); p.Enough {
		t.Fatalf("foreign samples made a pace: %+v", p)
	}

	// A drop restarts the run: no negative burn after a reset that kept
	// its reset time.
	drop := samplesOf("codex/5h", reset, [2]float64{0, 90}, [2]float64{10, 95}, [2]float64{15, 2}, [2]float64{30, 40})
	if p := PaceOf(drop, w, now); p.Enough || p.PerHour < 0 {
		t.Fatalf("%+v", p)
	}

	// Unknown reset time: runs out is still told.
	if p := PaceOf(s, w5(40, time.Time{}), now); !p.Enough || p.RunsOutAt.IsZero() {
		t.Fatalf("%+v", p)
	}

	// Used up.
	full := samplesOf("codex/5h", reset, [2]float64{0, 80}, [2]float64{15, 90}, [2]float64{30, 100})
	if p := PaceOf(full, w5(100, reset), now); PaceSentence(p, w5(100, reset), now, utc) != "used up" {
		t.Fatalf("%+v", p)
	}
}

func TestStoreSamples(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	old := t0.Add(-91 * 24 * time.Hour)
	if err := st.Record(ctx, old, []Window{w5(5, t0)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Samples(ctx, time.Time{}); len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	ws := []Window{w5(40, t0.Add(time.Hour)), wWeek(10, time.Time{})}
	if err := st.Record(ctx, t0, ws); err != nil {
		t.Fatal(err)
	}
	if err := st.Record(ctx, t0, ws); err != nil { // the same reading twice
		t.Fatal(err)
	}
	got, err := st.Samples(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("not pruned after 90 days, or recorded twice: %+v", got)
	}
	if got[0].Window != "codex/5h" || got[0].UsedPercent != 40 || !got[0].ResetsAt.Equal(t0.Add(time.Hour)) || got[0].Label != "5 h" ||
		got[1].Window != "codex/week" || !got[1].ResetsAt.IsZero() || !got[1].At.Equal(t0) {
		t.Fatalf("%+v", got)
	}
	if got, _ := st.Samples(ctx, t0.Add(time.Second)); len(got) != 0 {
		t.Fatalf("since: %+v", got)
	}
	if got, _ := st.Samples(ctx, time.Time{}, "codex/week"); len(got) != 1 {
		t.Fatalf("by window: %+v", got)
	}
}

func TestStoreUnreadableMovedAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "usage.db")
	if err := os.WriteFile(path, []byte("not a database, but the user's bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Recovered == "" {
		t.Fatal("no sentence about the unreadable file")
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("moved aside: %v", aside)
	}
	if b, _ := os.ReadFile(aside[0]); string(b) != "not a database, but the user's bytes" {
		t.Fatal("the old file was not kept as it was")
	}
}

// Only a damaged file is set aside: a sound one in use by another process
// (the tray and the command line at once) opens as it is.
func TestStoreSoundFileIsNeverSetAside(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Record(ctx, t0, []Window{w5(10, t0)}); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, _ := b.Samples(ctx, time.Time{}); len(got) != 1 || b.Recovered != "" {
		t.Fatalf("%+v %q", got, b.Recovered)
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 0 {
		t.Fatalf("set aside: %v", aside)
	}
}

// utc writes clock times in UTC, 24 h.
var utc = textfmt.Format{Loc: time.UTC}
