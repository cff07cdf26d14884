package usage

import (
	"fmt"
	"sort"
	"time"

	"github.com/codextray/codextray/core/textfmt"
)

// Pace is how fast a window is being used up, from its recent samples.
type Pace struct {
	// Enough is false until the samples span MinPaceSpan with MinPaceSamples
	// readings in the current period; nothing else is set then.
	Enough      bool    `json:"enough"`
	PerHour     float64 `json:"percent_per_hour"` // percentage points an hour, ≥ 0
	Samples     int     `json:"samples"`
	SpanMinutes int     `json:"span_minutes"`
	// RunsOutAt is when the window reaches 100 % at this pace, if that is
	// before its reset (or the reset is unknown); zero when it lasts.
	RunsOutAt time.Time `json:"runs_out_at,omitzero"`
	// LastsUntilReset: at this pace the window does not run out before it
	// resets.
	LastsUntilReset bool `json:"lasts_until_reset"`
}

// The least history a pace is computed from: fewer or closer readings say
// more about noise than about a rate.
const (
	MinPaceSamples = 3
	MinPaceSpan    = 15 * time.Minute
)

// paceHorizon is how far back a window's pace looks: a third of the
// window, between 1 and 24 hours (the last 100 minutes of a 5 h window,
// the last day of a week).
func paceHorizon(minutes int) time.Duration {
	d := time.Duration(minutes) * time.Minute / 3
	return min(max(d, time.Hour), 24*time.Hour)
}

// sameReset: resets_at from reset_after_seconds moves by a second or two
// between readings; a new period moves it by the window's length.
const sameReset = 2 * time.Minute

// PaceOf computes w's pace at now from its samples (any order, any window;
// only w's samples of its current period count). Readings after now (a
// clock that jumped back) and readings of an earlier period are ignored;
// a drop in usage starts the run again, so a reset the backend reported
// without a new reset time does not read as negative burn.
func PaceOf(samples []Sample, w Window, now time.Time) Pace {
	horizon := paceHorizon(w.Minutes)
	var run []Sample
	for _, s := range sortedByTime(samples) {
		if s.Window != w.Key || s.At.After(now) || s.At.Before(now.Add(-horizon)) {
			continue
		}
		if !w.ResetsAt.IsZero() && !s.ResetsAt.IsZero() && absDur(s.ResetsAt.Sub(w.ResetsAt)) > sameReset {
			continue // another period
		}
		u := clampPercent(s.UsedPercent)
		if len(run) > 0 && u < clampPercent(run[len(run)-1].UsedPercent) {
			run = run[:0]
		}
		run = append(run, s)
	}
	// The window as read now is the latest reading, whether or not it was
	// recorded yet.
	if len(run) == 0 || run[len(run)-1].At.Before(now.Add(-time.Second)) {
		if len(run) > 0 && w.UsedPercent < clampPercent(run[len(run)-1].UsedPercent) {
			run = run[:0]
		}
		run = append(run, Sample{At: now, Window: w.Key, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt})
	}
	first, last := run[0], run[len(run)-1]
	span := last.At.Sub(first.At)
	p := Pace{Samples: len(run), SpanMinutes: int(span.Minutes())}
	if len(run) < MinPaceSamples || span < MinPaceSpan {
		return p
	}
	p.Enough = true
	p.PerHour = max(clampPercent(last.UsedPercent)-clampPercent(first.UsedPercent), 0) / span.Hours()
	used := w.UsedPercent
	switch {
	case used >= 100:
		p.RunsOutAt = last.At
	case p.PerHour < 0.01:
		p.LastsUntilReset = true
	default:
		out := now.Add(time.Duration((100 - used) / p.PerHour * float64(time.Hour)))
		if !w.ResetsAt.IsZero() && !out.Before(w.ResetsAt) {
			p.LastsUntilReset = true
		} else {
			p.RunsOutAt = out.Truncate(time.Minute)
		}
	}
	return p
}

// PaceSentence says what the pace means: "at this pace it runs out in
// 1 h 40 min, before it resets at 18:14", "at this pace it lasts until the
// reset", or that there are not enough samples yet; clock times in f.
func PaceSentence(p Pace, w Window, now time.Time, f textfmt.Format) string {
	switch {
	case !p.Enough:
		return fmt.Sprintf("pace: not enough samples yet (needs %d readings over %d min)", MinPaceSamples, int(MinPaceSpan.Minutes()))
	case w.UsedPercent >= 100:
		return "used up"
	case p.LastsUntilReset:
		return "at this pace it lasts until the reset"
	}
	s := "at this pace it runs out in " + textfmt.Duration(p.RunsOutAt.Sub(now))
	if !w.ResetsAt.IsZero() {
		s += ", before it resets at " + f.Clock(w.ResetsAt, now)
	}
	return s
}

// PaceShort is the pace for a tray line: "runs out in 1 h 40 min", "lasts",
// or "" while there are not enough samples.
func PaceShort(p Pace, w Window, now time.Time) string {
	switch {
	case !p.Enough || w.UsedPercent >= 100:
		return ""
	case p.LastsUntilReset:
		return "lasts to reset"
	}
	return "runs out in " + textfmt.Duration(p.RunsOutAt.Sub(now))
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func sortedByTime(s []Sample) []Sample {
	out := append([]Sample(nil), s...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
