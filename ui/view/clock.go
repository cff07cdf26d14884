package view

import (
	"time"

	"github.com/codextray/codextray/core/auth"
)

// TrayClockDue is how long the tray's texts that count time stay as they
// are from v.Now, so that the tray redraws when one changes and not every
// second: until the token's countdown next changes (each second in its
// last minute and its first after expiry, each minute otherwise) or the
// clock's next whole minute, whichever comes first.
// The usage lines' reset clocks, the credits' expiry and the usage's age
// change at whole minutes at most.
func TrayClockDue(v State) time.Duration {
	now := v.Now
	due := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	st := v.Status
	if !v.HaveStatus || st.Expires.IsZero() {
		return due
	}
	switch st.State {
	case auth.StateValid, auth.StateExpiring, auth.StateExpired:
	default:
		return due
	}
	left := st.Expires.Sub(now)
	if st.State == auth.StateExpiring && left <= 0 {
		return due // "Token expired just now", until the watch says expired
	}
	unit := time.Minute
	if left > -time.Minute && left < time.Minute {
		unit = time.Second
	}
	// textfmt.Duration writes whole seconds or minutes, rounded down: ahead
	// of the expiry, "3 min" lasts until just under 3 min are left; after
	// it, "3 min" starts at 3 min.
	next := unit - (-left)%unit
	if left > 0 {
		next = left%unit + time.Millisecond
	}
	return min(due, next)
}
