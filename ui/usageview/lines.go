// Package usageview shows the usage windows, their pace and history, and
// the reset credits: the tray menu's lines, the status window's panel
// (a chart per window, the credits, the two-step redeem), the chat's meter
// text and offer to redeem, and the Settings section for thresholds and
// mutes. It draws a core/usage Snapshot and calls back for every action;
// it does no I/O of its own, so it sits in whichever window hosts it.
package usageview

import (
	"fmt"
	"math"
	"time"

	"github.com/codextray/codextray/core/usage"
)

// WindowLine is "5 h: 42 % used · resets 18:14".
func WindowLine(w usage.WindowView, now time.Time, clock usage.ClockFunc) string {
	s := fmt.Sprintf("%s: %d %% used", w.Label, int(math.Round(w.UsedPercent)))
	if !w.ResetsAt.IsZero() {
		s += " · resets " + clock(w.ResetsAt, now)
	}
	return s
}

// MenuLine is the tray line of a window: WindowLine and, once there is a
// pace, what it means ("· runs out in 1 h 40 min").
func MenuLine(w usage.WindowView, now time.Time, clock usage.ClockFunc) string {
	s := WindowLine(w, now, clock)
	if w.PaceShort != "" {
		s += " · " + w.PaceShort
	}
	return s
}

// CreditsLine is "Reset credits: 2 · next expires Mon 18:00", "" when the
// account has none.
func CreditsLine(s *usage.Snapshot, now time.Time, clock usage.ClockFunc) string {
	if s == nil || s.CreditsAvailable <= 0 {
		return ""
	}
	line := fmt.Sprintf("Reset credits: %d", s.CreditsAvailable)
	if s.Credits != nil {
		if avail := s.Credits.Available(now); len(avail) > 0 && !avail[0].ExpiresAt.IsZero() {
			line += " · next expires " + clock(avail[0].ExpiresAt, now)
		}
	}
	return line
}

// StaleLine is "Usage updated 23 min ago" when the data is older than
// stale, with the failure when there is one; "" when fresh.
func StaleLine(s *usage.Snapshot, now time.Time, stale time.Duration) string {
	if s == nil {
		return ""
	}
	age := usage.UpdatedAge(s.UpdatedAt, now, stale)
	switch {
	case age != "" && s.Err != "":
		return "Usage " + age + " · " + firstLine(s.Err, 60)
	case age != "":
		return "Usage " + age
	}
	return ""
}

// MenuLines are the usage lines of the tray menu, in order.
func MenuLines(s *usage.Snapshot, now time.Time, clock usage.ClockFunc, stale time.Duration) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, w := range s.Windows {
		out = append(out, MenuLine(w, now, clock))
	}
	if l := CreditsLine(s, now, clock); l != "" {
		out = append(out, l)
	}
	if l := StaleLine(s, now, stale); l != "" {
		out = append(out, l)
	}
	return out
}

// MeterText is a chat meter's text: "5 h: 42 % used · resets 18:14 ·
// runs out in 1 h 40 min".
func MeterText(w usage.WindowView, now time.Time, clock usage.ClockFunc) string {
	return MenuLine(w, now, clock)
}

func firstLine(s string, n int) string {
	for i, r := range s {
		if r == '\n' {
			s = s[:i]
			break
		}
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
