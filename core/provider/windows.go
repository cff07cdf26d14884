package provider

import (
	"fmt"
	"sort"
)

// WindowLabel names a usage window by its length, the same way everywhere
// (tray, status window, chat meters, command line): "5 h", "day", "week",
// "month"; other lengths as "3 h", "2 d", "45 min". Windows are named by
// length, never by slot: a weekly window may come as the primary one
// (codex-today.md §4). 0 (length not reported) gives "".
func WindowLabel(minutes int) string {
	const day, week = 24 * 60, 7 * 24 * 60
	switch {
	case minutes <= 0:
		return ""
	case minutes == day:
		return "day"
	case minutes == week:
		return "week"
	case minutes >= 28*day && minutes <= 31*day:
		return "month"
	case minutes%day == 0:
		return fmt.Sprintf("%d d", minutes/day)
	case minutes%60 == 0:
		return fmt.Sprintf("%d h", minutes/60)
	}
	return fmt.Sprintf("%d min", minutes)
}

// LabeledWindow is a usage window with the name to show for it.
type LabeledWindow struct {
	Label  string // "5 h", "week"; for a named limit "Codex Spark · 5 h"
	Limit  string // the named limit's name ("" for the plan's own windows)
	Window *Window
}

// slotMinutes is the length assumed for a window whose length was not
// reported (old rate-limit headers): 5 h for the primary slot, a week for
// the secondary one, as Codex assumed before windows carried their length.
func slotMinutes(w *Window, secondary bool) int {
	if w.WindowMinutes > 0 {
		return w.WindowMinutes
	}
	if secondary {
		return 7 * 24 * 60
	}
	return 300
}

// Windows lists the windows of r for display: the plan's own windows
// shortest first, each named by its length, then every additional limit's
// windows under the limit's name.
func (r RateLimits) Windows() []LabeledWindow {
	var out []LabeledWindow
	add := func(limit string, ws ...*Window) {
		var own []LabeledWindow
		for i, w := range ws {
			if w == nil {
				continue
			}
			m := slotMinutes(w, i == 1)
			label := WindowLabel(m)
			if limit != "" {
				label = limit + " · " + label
			}
			cw := *w
			cw.WindowMinutes = m
			own = append(own, LabeledWindow{Label: label, Limit: limit, Window: &cw})
		}
		sort.SliceStable(own, func(i, j int) bool { return own[i].Window.WindowMinutes < own[j].Window.WindowMinutes })
		out = append(out, own...)
	}
	add("", r.Primary, r.Secondary)
	for _, l := range r.Additional {
		name := l.Name
		if name == "" {
			name = l.ID
		}
		add(name, l.Primary, l.Secondary)
	}
	return out
}
