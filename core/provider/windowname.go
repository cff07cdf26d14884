package provider

// WindowKind is a usage window sorted by its length: the backend does not
// tie lengths to slots (a weekly window may arrive as primary_window), so
// every view names a window by what it lasts, never by where it came from.
type WindowKind string

const (
	WindowFiveHour WindowKind = "5h"
	WindowDay      WindowKind = "day"
	WindowWeek     WindowKind = "week"
	WindowMonth    WindowKind = "month"
	WindowOther    WindowKind = "other" // any other length; labelled by its length
)

// ClassifyWindow sorts a window by its length in minutes (the backend's
// limit_window_seconds, rounded up). Lengths within a tenth of a kind's
// count as that kind, so 30- and 31-day months are both months and a
// rounded-up 5 h window is still the 5 h one; 0 (unknown) is WindowOther.
func ClassifyWindow(minutes int) WindowKind {
	near := func(want int) bool { return minutes*10 >= want*9 && minutes*10 <= want*11 }
	switch {
	case minutes <= 0:
		return WindowOther
	case near(5 * 60):
		return WindowFiveHour
	case near(24 * 60):
		return WindowDay
	case near(7 * 24 * 60):
		return WindowWeek
	case minutes >= 27*24*60 && minutes <= 32*24*60:
		return WindowMonth
	}
	return WindowOther
}

// KindLabel is the name views give a window of kind k, capitalised for
// the start of a line: "5 h", "Day", "Week", "Month"; for WindowOther its
// length (WindowLabel), or "Usage" when the length is unknown.
func KindLabel(k WindowKind, minutes int) string {
	switch k {
	case WindowFiveHour:
		return "5 h"
	case WindowDay:
		return "Day"
	case WindowWeek:
		return "Week"
	case WindowMonth:
		return "Month"
	}
	l := WindowLabel(minutes)
	if l == "" {
		return "Usage"
	}
	return l
}
