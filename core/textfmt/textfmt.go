// Package textfmt writes what the user reads, one way for the command line
// and every window: clock times in the locale's 24 h or 12 h style, dates,
// durations ("3 h 12 min"), shares ("42 %"), counts ("12,345") and the
// usage line ("5 h: 42 % used · resets 14:05"). It has no state and no
// imports of the project's own, so core and ui alike format through it.
package textfmt

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Format writes clock times for one user: in Loc, 24 h or 12 h.
type Format struct {
	Loc    *time.Location // for clock times; time.Local when nil
	Hour12 bool           // "2:05 PM" rather than "14:05"
}

// Local is the Format of this process's user (FormatFor the environment).
func Local() Format { return FormatFor(os.Getenv) }

// FormatFor is the Format of the user's locale: LC_ALL, else LC_TIME, else
// LANG, as POSIX orders them. Locales whose clocks read 12 h (en_US and
// the few others below) get 12 h; everything else, and an unset or C
// locale, 24 h.
func FormatFor(env func(string) string) Format {
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_TIME", "LANG"} {
		if loc = env(k); loc != "" {
			break
		}
	}
	return Format{Loc: time.Local, Hour12: hour12(loc)}
}

// hour12Locales are the locales (language, or language_TERRITORY) whose
// usual clock is 12 h.
var hour12Locales = map[string]bool{
	"en": true, "en_US": true, "en_CA": true, "en_AU": true, "en_NZ": true, "en_PH": true, "en_IN": true,
	"hi": true, "ko": true, "ar": true, "bn": true, "ur": true,
}

func hour12(locale string) bool {
	locale, _, _ = strings.Cut(locale, ".") // en_US.UTF-8
	locale, _, _ = strings.Cut(locale, "@")
	if hour12Locales[locale] {
		return true
	}
	lang, _, _ := strings.Cut(locale, "_")
	return lang != "en" && hour12Locales[lang] // ko_KR, hi_IN, …; en_GB is 24 h
}

func (f Format) loc() *time.Location {
	if f.Loc == nil {
		return time.Local
	}
	return f.Loc
}

func (f Format) hm() string {
	if f.Hour12 {
		return "3:04 PM"
	}
	return "15:04"
}

// Clock is a moment near now: "14:05" today, "Mon 14:05" within the coming
// week, else "12 Mar 14:05" (12 h: "2:05 PM", …).
func (f Format) Clock(t, now time.Time) string {
	t, now = t.In(f.loc()), now.In(f.loc())
	switch {
	case sameDay(t, now):
		return t.Format(f.hm())
	case t.Sub(now) < 6*24*time.Hour && t.After(now):
		return t.Format("Mon " + f.hm())
	}
	return t.Format("2 Jan " + f.hm())
}

// Stamp is a full date and time, "2026-05-04 14:05:09" (12 h: "2:05:09 PM").
func (f Format) Stamp(t time.Time) string {
	if f.Hour12 {
		return t.In(f.loc()).Format("2006-01-02 3:04:05 PM")
	}
	return t.In(f.loc()).Format("2006-01-02 15:04:05")
}

// Ago says briefly when something in the past happened, for lists: "Just
// now", "Today 14:05", "Mon 14:05", "12 Mar", "12 Mar 2025".
func (f Format) Ago(t, now time.Time) string {
	t, now = t.In(f.loc()), now.In(f.loc())
	switch {
	case now.Sub(t) < time.Minute:
		return "Just now"
	case sameDay(t, now):
		return "Today " + t.Format(f.hm())
	case now.Sub(t) < 6*24*time.Hour:
		return t.Format("Mon " + f.hm())
	case t.Year() == now.Year():
		return t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// Duration is a span as every view writes it, its sign dropped: "42 s",
// "12 min", "3 h 12 min" (under two days), "3 d 4 h".
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	}
	days := int(d.Hours()) / 24
	if h := int(d.Hours()) % 24; h != 0 {
		return fmt.Sprintf("%d d %d h", days, h)
	}
	return fmt.Sprintf("%d d", days)
}

// Percent is a share as the meters, notifications and the command line
// write it: "42 %", rounded to a whole number, but never up to "100 %"
// before the window is used up (99.6 is "99 %").
func Percent(p float64) string {
	r := math.Round(p)
	if r >= 100 && p < 100 {
		r = 99
	}
	return fmt.Sprintf("%d %%", int(r))
}

// PercentExact is a share where a threshold is compared with it (`usage
// --check`): "91.5 %", whole numbers without a decimal.
func PercentExact(p float64) string {
	if p == math.Trunc(p) {
		return fmt.Sprintf("%d %%", int(p))
	}
	return fmt.Sprintf("%s %%", strconv.FormatFloat(p, 'f', 1, 64))
}

// Count is n with thousands separated: "12,345".
func Count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Usage is one usage window in the words of a usage line.
type Usage struct {
	Name        string // "5 h", "Week", "Codex Spark · 5 h"
	UsedPercent float64
	ResetsAt    time.Time // zero when unknown
	Pace        string    // "runs out in 1 h 40 min"; "" without a pace
}

// UsageParts are a usage window's words: how much is used ("42 % used")
// and when it resets ("resets 14:05", "" when unknown).
func (f Format) UsageParts(u Usage, now time.Time) (used, resets string) {
	used = Percent(u.UsedPercent) + " used"
	if !u.ResetsAt.IsZero() {
		resets = "resets " + f.Clock(u.ResetsAt, now)
	}
	return used, resets
}

// UsageLine is "5 h: 42 % used · resets 14:05 · runs out in 1 h 40 min",
// the same in the tray, the status window, the chat's meters and the
// command line.
func (f Format) UsageLine(u Usage, now time.Time) string {
	used, resets := f.UsageParts(u, now)
	s := u.Name + ": " + used
	if resets != "" {
		s += " · " + resets
	}
	if u.Pace != "" {
		s += " · " + u.Pace
	}
	return s
}
