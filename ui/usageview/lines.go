// Package usageview shows the usage windows, their pace and history, and
// the reset credits: the tray menu's lines, the status window's panel
// (a chart per window, the credits, the two-step redeem), the chat's offer
// to redeem, and the Settings section for thresholds and mutes. Every line
// is written with core/textfmt, as the chat's meters are. It draws a core/usage Snapshot and calls back for every action;
// it does no I/O of its own, so it sits in whichever window hosts it.
package usageview

import (
	"fmt"
	"time"

	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/view"
)

// WindowLine is the status window's line of a window, "5 h: 42 % used ·
// resets 18:14" (its pace has a line of its own there).
func WindowLine(w usage.WindowView, now time.Time, f textfmt.Format) string {
	return f.UsageLine(textfmt.Usage{Name: w.Label, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt}, now)
}

// CreditsLine is "Reset credits: 2 · next expires Mon 18:00", "" when the
// account has none.
func CreditsLine(s *usage.Snapshot, now time.Time, f textfmt.Format) string {
	if s == nil || s.CreditsAvailable <= 0 {
		return ""
	}
	line := fmt.Sprintf("Reset credits: %d", s.CreditsAvailable)
	if s.Credits != nil {
		if avail := s.Credits.Available(now); len(avail) > 0 && !avail[0].ExpiresAt.IsZero() {
			line += " · next expires " + f.Clock(avail[0].ExpiresAt, now)
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
		return "Usage " + age + " · " + view.FirstLine(s.Err, 60)
	case age != "":
		return "Usage " + age
	}
	return ""
}

// MenuLines are the usage lines of the tray menu, in order: each window
// as the chat's meters write it (with its pace), the credits, the age.
func MenuLines(s *usage.Snapshot, now time.Time, f textfmt.Format, stale time.Duration) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, w := range view.UsageFromSnapshot(*s).Windows {
		out = append(out, f.UsageLine(w, now))
	}
	if l := CreditsLine(s, now, f); l != "" {
		out = append(out, l)
	}
	if l := StaleLine(s, now, stale); l != "" {
		out = append(out, l)
	}
	return out
}
