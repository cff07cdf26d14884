package view_test

import (
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/ui/view"
	"github.com/codextray/codextray/ui/view/viewtest"
)

// The tray's countdown never shows a stale text: no line that counts time
// changes between v.Now and the due TrayClockDue gives, and the due is at
// most a second while the countdown counts seconds, a minute otherwise.
func TestTrayClockDueMissesNoChange(t *testing.T) {
	for _, state := range []auth.State{auth.StateValid, auth.StateExpiring, auth.StateExpired} {
		for _, left := range []time.Duration{
			-72 * time.Hour, -3*time.Minute - 20*time.Second, -2 * time.Minute, -61 * time.Second, -59 * time.Second,
			-time.Second, 0, time.Second, 59*time.Second + 999*time.Millisecond, time.Minute,
			time.Minute + time.Millisecond, 90 * time.Second, 2 * time.Minute, 42*time.Minute + 17*time.Second,
			47*time.Hour + 59*time.Minute + 30*time.Second, 10*24*time.Hour + 13*time.Second,
		} {
			v := viewtest.StateFor(auth.Status{State: state, Expires: viewtest.Now.Add(left)})
			v.Now = viewtest.Now.Add(7 * time.Second) // not on a whole minute
			v.Status.Expires = v.Now.Add(left)
			due := view.TrayClockDue(v)
			if due <= 0 || due > time.Minute {
				t.Fatalf("%s, %v left: due in %v, want within (0, 1 min]", state, left, due)
			}
			counting := !(state == auth.StateExpiring && left <= 0) // else "Token expired just now"
			if counting && left > -time.Minute && left < time.Minute && due > time.Second {
				t.Errorf("%s, %v left: due in %v, want at most 1 s while it counts seconds", state, left, due)
			}
			before := view.Tooltip(v)
			// The due may come up to a millisecond after the change it is for.
			held := due - time.Millisecond
			for step := time.Duration(0); step < held; step += 100 * time.Millisecond {
				w := v
				w.Now = v.Now.Add(step)
				if got := view.Tooltip(w); got != before {
					t.Fatalf("%s, %v left: the tooltip changed %v after v.Now, before the due (%v):\n %q\n %q",
						state, left, step, due, before, got)
				}
			}
			w := v
			if w.Now = v.Now.Add(held - time.Nanosecond); held > 0 && view.Tooltip(w) != before {
				t.Fatalf("%s, %v left: the tooltip changed just before the due (%v): %q → %q", state, left, due, before, view.Tooltip(w))
			}
			// The countdown's own change is not left for the clock's minute.
			if w.Now = v.Now.Add(due); due < time.Minute-7*time.Second && view.Tooltip(w) == before {
				t.Errorf("%s, %v left: woke at %v for no change of the countdown (%q)", state, left, due, before)
			}
		}
	}
}

// Without a countdown the tray wakes at the clock's whole minutes.
func TestTrayClockDueFollowsTheClockWithoutACountdown(t *testing.T) {
	v := viewtest.StateFor(viewtest.StatusFor(auth.StateLoggedOut))
	v.Now = viewtest.Now.Add(12*time.Second + 500*time.Millisecond)
	if got, want := view.TrayClockDue(v), 47*time.Second+500*time.Millisecond; got != want {
		t.Errorf("signed out: due in %v, want %v (the next whole minute)", got, want)
	}
	v.HaveStatus = false
	if got, want := view.TrayClockDue(v), 47*time.Second+500*time.Millisecond; got != want {
		t.Errorf("no status yet: due in %v, want %v", got, want)
	}
}
