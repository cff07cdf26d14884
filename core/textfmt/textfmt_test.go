package textfmt

import (
	"testing"
	"time"
)

var now = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) // a Monday

func TestUsageLineIn24hAnd12h(t *testing.T) {
	h24, h12 := Format{Loc: time.UTC}, Format{Loc: time.UTC, Hour12: true}
	for _, tc := range []struct {
		u          Usage
		want, am12 string
	}{
		{Usage{Name: "5 h", UsedPercent: 42.4, ResetsAt: now.Add(8*time.Hour + 14*time.Minute)},
			"5 h: 42 % used · resets 18:14", "5 h: 42 % used · resets 6:14 PM"},
		{Usage{Name: "Week", UsedPercent: 12}, "Week: 12 % used", "Week: 12 % used"},
		{Usage{Name: "Week", UsedPercent: 93, ResetsAt: now.Add(3 * 24 * time.Hour)},
			"Week: 93 % used · resets Thu 10:00", "Week: 93 % used · resets Thu 10:00 AM"},
		{Usage{Name: "Week", UsedPercent: 99.6, ResetsAt: now.Add(10 * 24 * time.Hour)},
			"Week: 99 % used · resets 14 May 10:00", "Week: 99 % used · resets 14 May 10:00 AM"},
		{Usage{Name: "Codex Spark · 5 h", UsedPercent: 100, Pace: "used up"},
			"Codex Spark · 5 h: 100 % used · used up", "Codex Spark · 5 h: 100 % used · used up"},
		{Usage{Name: "5 h", UsedPercent: 62, ResetsAt: now.Add(time.Hour), Pace: "runs out in 40 min"},
			"5 h: 62 % used · resets 11:00 · runs out in 40 min", "5 h: 62 % used · resets 11:00 AM · runs out in 40 min"},
	} {
		if got := h24.UsageLine(tc.u, now); got != tc.want {
			t.Errorf("24 h: UsageLine = %q, want %q", got, tc.want)
		}
		if got := h12.UsageLine(tc.u, now); got != tc.am12 {
			t.Errorf("12 h: UsageLine = %q, want %q", got, tc.am12)
		}
	}
}

func TestPercent(t *testing.T) {
	for p, want := range map[float64]string{0: "0 %", 42.4: "42 %", 42.5: "43 %", 99.4: "99 %", 99.6: "99 %", 100: "100 %", 120: "120 %"} {
		if got := Percent(p); got != want {
			t.Errorf("Percent(%v) = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[float64]string{90: "90 %", 91.5: "91.5 %", 94.64: "94.6 %"} {
		if got := PercentExact(p); got != want {
			t.Errorf("PercentExact(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42 * time.Second: "42 s", -12 * time.Minute: "12 min", 3*time.Hour + 12*time.Minute: "3 h 12 min",
		5 * time.Hour: "5 h", 47 * time.Hour: "47 h", 76 * time.Hour: "3 d 4 h", 72 * time.Hour: "3 d",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1234: "1,234", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatForReadsTheLocale(t *testing.T) {
	for _, tc := range []struct {
		env    map[string]string
		hour12 bool
	}{
		{nil, false},
		{map[string]string{"LANG": "C.UTF-8"}, false},
		{map[string]string{"LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "en_GB.UTF-8"}, false},
		{map[string]string{"LANG": "de_DE.UTF-8"}, false},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, true},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_TIME": "en_GB.UTF-8"}, false},
		{map[string]string{"LC_ALL": "en_US.UTF-8", "LC_TIME": "de_DE.UTF-8"}, true},
	} {
		f := FormatFor(func(k string) string { return tc.env[k] })
		if f.Hour12 != tc.hour12 {
			t.Errorf("FormatFor(%v).Hour12 = %v, want %v", tc.env, f.Hour12, tc.hour12)
		}
	}
}

func TestClockStampAndAgo(t *testing.T) {
	h24, h12 := Format{Loc: time.UTC}, Format{Loc: time.UTC, Hour12: true}
	at := now.Add(4*time.Hour + 5*time.Minute)
	if got := h24.Clock(at, now); got != "14:05" {
		t.Errorf("24 h Clock = %q", got)
	}
	if got := h12.Clock(at, now); got != "2:05 PM" {
		t.Errorf("12 h Clock = %q", got)
	}
	if got := h24.Stamp(at); got != "2026-05-04 14:05:00" {
		t.Errorf("24 h Stamp = %q", got)
	}
	if got := h12.Stamp(at); got != "2026-05-04 2:05:00 PM" {
		t.Errorf("12 h Stamp = %q", got)
	}
	for _, tc := range []struct {
		t          time.Time
		want, am12 string
	}{
		{now.Add(-30 * time.Second), "Just now", "Just now"},
		{now.Add(-2 * time.Hour), "Today 08:00", "Today 8:00 AM"},
		{now.Add(-2 * 24 * time.Hour), "Sat 10:00", "Sat 10:00 AM"},
		{now.Add(-20 * 24 * time.Hour), "14 Apr", "14 Apr"},
		{now.AddDate(-1, 0, 0), "4 May 2025", "4 May 2025"},
	} {
		if got := h24.Ago(tc.t, now); got != tc.want {
			t.Errorf("24 h Ago = %q, want %q", got, tc.want)
		}
		if got := h12.Ago(tc.t, now); got != tc.am12 {
			t.Errorf("12 h Ago = %q, want %q", got, tc.am12)
		}
	}
}
