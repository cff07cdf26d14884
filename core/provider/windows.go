package provider

import (
	"fmt"
)

// WindowLabel names a usage window by its length, the same way everywhere
// (tray, status window, chat meters, command line): "5 h", "day", "week",
// "month"; other lengths as "3 h", "2 d", "45 min". Windows are named by
// length, never by slot: a weekly window may come as the primary one
// (as Codex 0.171 sends them). 0 (length not reported) gives "".
func WindowLabel(minutes int) string {
	const day = 24 * 60
	switch ClassifyWindow(minutes) {
	case WindowFiveHour:
		return "5 h"
	case WindowDay:
		return "day"
	case WindowWeek:
		return "week"
	case WindowMonth:
		return "month"
	}
	switch {
	case minutes <= 0:
		return ""
	case minutes%day == 0:
		return fmt.Sprintf("%d d", minutes/day)
	case minutes%60 == 0:
		return fmt.Sprintf("%d h", minutes/60)
	}
	return fmt.Sprintf("%d min", minutes)
}
