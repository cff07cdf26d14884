package view

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/codextray/codextray/core/provider"
)

// Format writes what the user reads: clock times in the locale's 24 h or
// 12 h style, usage windows, counts. Every view formats through the Format
// of its State, so the tray, the status window and the chat say the same
// thing the same way.
type Format struct {
	Loc    *time.Location // for clock times; time.Local when nil
	Hour12 bool           // "2:05 PM" rather than "14:05"
}

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

// WindowName is a usage window's name as every view shows it, capitalised
// to start a line: "5 h", "Day", "Week", "Month".
func WindowName(minutes int) string { return capitalise(windowLabel(minutes)) }

// capitalise starts s with a capital, to begin a line.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// windowLabel names a usage window by its length with the one labelling
// function of core/provider ("5 h", "day", "week", "month", "3 d",
// "45 min"); "usage" when the length is unknown.
func windowLabel(minutes int) string {
	if l := provider.WindowLabel(minutes); l != "" {
		return l
	}
	return "usage"
}

// Percent is a share as the meters show it: "42 %".
func Percent(p float64) string { return fmt.Sprintf("%d %%", int(math.Round(p))) }

// UsageWindowParts are a usage window's words: its name ("5 h"), how much
// is used ("42 % used") and when it resets ("resets 14:05", "" when
// unknown).
func (f Format) UsageWindowParts(w UsageWindow, now time.Time) (name, used, resets string) {
	name, used = WindowName(w.Minutes), Percent(w.UsedPercent)+" used"
	if w.Label != "" {
		name = capitalise(w.Label) // a named limit: "Codex Spark · 5 h"
	}
	if !w.ResetsAt.IsZero() {
		resets = "resets " + f.Clock(w.ResetsAt, now)
	}
	return name, used, resets
}

// UsageLine is "5 h: 42 % used · resets 14:05", the same in the tray, the
// status window and the chat's meters.
func (f Format) UsageLine(w UsageWindow, now time.Time) string {
	name, used, resets := f.UsageWindowParts(w, now)
	s := name + ": " + used
	if resets != "" {
		s += " · " + resets
	}
	if w.Pace != "" {
		s += " · " + w.Pace
	}
	return s
}

// Count is n with thousands separated: "12,345".
func Count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// FirstLine keeps a text's first line, at most n runes, for a menu.
func FirstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// CurlyQuotes turns core's `code` quotes into “code” for display.
func CurlyQuotes(s string) string {
	var b strings.Builder
	open := true
	for _, r := range s {
		if r == '`' {
			if open {
				b.WriteString("“")
			} else {
				b.WriteString("”")
			}
			open = !open
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
