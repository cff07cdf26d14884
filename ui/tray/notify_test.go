package tray

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view/viewtest"
)

// newTestNotifier records what it sends through the test app, so that
// test.AssertNotificationSent sees it too.
func newTestNotifier(t *testing.T, now *time.Time) (*notifier, *[]*fyne.Notification) {
	a := test.NewTempApp(t)
	var sent []*fyne.Notification
	n := &notifier{prefs: a.Preferences(), now: func() time.Time { return *now }, send: func(note *fyne.Notification) {
		sent = append(sent, note)
		a.SendNotification(note)
	}}
	return n, &sent
}

func TestNotificationsOnTransitionsNotRepeats(t *testing.T) {
	now := viewtest.Now
	n, sent := newTestNotifier(t, &now)

	steps := []struct {
		st            auth.Status
		refreshFailed bool
		want          *fyne.Notification
	}{
		{viewtest.StatusFor(auth.StateValid), false, nil},
		{viewtest.StatusFor(auth.StateValid), false, nil},
		{viewtest.StatusFor(auth.StateExpiring), false, fyne.NewNotification("Codex login expires in 3 h 12 min",
			"The token of ada@example.com expires in 3 h 12 min. It is refreshed on next use; if that fails, sign in again with “codex login”.")},
		{viewtest.StatusFor(auth.StateExpiring), false, nil}, // the same state again: no news
		{viewtest.StatusFor(auth.StateExpired), false, nil},  // expired but refreshed on next use
		{viewtest.StatusFor(auth.StateExpired), true, fyne.NewNotification("Codex login expired",
			"The token of ada@example.com expired and could not be refreshed. Sign in again with “codex login” if it does not come back.")},
		{viewtest.StatusFor(auth.StateExpired), true, nil},
		{viewtest.StatusFor(auth.StateReloginRequired), false, fyne.NewNotification("Sign in to Codex again",
			"The token of ada@example.com could not be refreshed. Sign in again with “codex login”.")},
		{viewtest.StatusFor(auth.StateLoggedOut), false, fyne.NewNotification("Signed out of Codex",
			"Codex has no login any more. Sign in with “codex login”.")},
		{viewtest.StatusFor(auth.StateLoggedOut), false, nil},
		{viewtest.StatusFor(auth.StateValid), false, fyne.NewNotification("Signed in to Codex", "Signed in as ada@example.com (Plus).")},
		{viewtest.StatusFor(auth.StateAPIKey), false, nil}, // valid to API key is not a comeback
		{viewtest.StatusFor(auth.StateError), false, nil},
		{viewtest.StatusFor(auth.StateAPIKey), false, fyne.NewNotification("Signed in to Codex", "Codex uses an API key (sk-proj-***abcde).")},
	}
	for i, s := range steps {
		test.AssertNotificationSent(t, s.want, func() { n.observe(s.st, s.refreshFailed) })
		if t.Failed() {
			t.Fatalf("step %d (%s, refresh failed %v)", i, s.st.State, s.refreshFailed)
		}
	}
	if len(*sent) != 6 {
		t.Errorf("sent %d notifications, want 6", len(*sent))
	}
}

func TestFirstStatusRemindsButDoesNotWelcome(t *testing.T) {
	now := viewtest.Now
	n, sent := newTestNotifier(t, &now)
	n.observe(viewtest.StatusFor(auth.StateValid), false)
	if len(*sent) != 0 {
		t.Errorf("a valid login at start sent %v", (*sent)[0].Title)
	}
	n2, sent2 := newTestNotifier(t, &now)
	n2.observe(viewtest.StatusFor(auth.StateReloginRequired), false)
	if len(*sent2) != 1 || (*sent2)[0].Title != "Sign in to Codex again" {
		t.Errorf("a login needing a sign-in at start sent %d notifications, want the reminder", len(*sent2))
	}
}

func TestSnoozeHoldsRemindersBack(t *testing.T) {
	now := viewtest.Now
	n, sent := newTestNotifier(t, &now)
	n.observe(viewtest.StatusFor(auth.StateValid), false)

	control.SetSnooze(n.prefs, n.now(), time.Hour)
	if got := control.SnoozedUntil(n.prefs); !got.Equal(viewtest.Now.Add(time.Hour)) {
		t.Fatalf("snoozed until %v, want an hour from now", got)
	}
	n.observe(viewtest.StatusFor(auth.StateExpiring), false)
	if len(*sent) != 0 {
		t.Fatalf("a reminder was sent while snoozed: %q", (*sent)[0].Title)
	}
	// The comeback is news, not a reminder: a snooze does not hold it.
	n.observe(viewtest.StatusFor(auth.StateLoggedOut), false)
	n.observe(viewtest.StatusFor(auth.StateValid), false)
	if len(*sent) != 1 || (*sent)[0].Title != "Signed in to Codex" {
		t.Fatalf("while snoozed, sent %d notifications, want only the sign-in", len(*sent))
	}

	now = viewtest.Now.Add(61 * time.Minute) // the hour is over
	n.observe(viewtest.StatusFor(auth.StateExpiring), false)
	if len(*sent) != 2 || (*sent)[1].Title != "Codex login expires in 3 h 12 min" {
		t.Fatalf("after the snooze, sent %d, want the expiry reminder", len(*sent))
	}

	control.SetSnooze(n.prefs, n.now(), 24*time.Hour)
	if got := control.SnoozedUntil(n.prefs); !got.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("a 1-day snooze ends %v", got)
	}
	control.SetSnooze(n.prefs, n.now(), 0)
	if !control.SnoozedUntil(n.prefs).IsZero() {
		t.Error("resuming left a snooze in place")
	}
}

func TestNotificationsOff(t *testing.T) {
	now := viewtest.Now
	n, sent := newTestNotifier(t, &now)
	n.prefs.SetBool(appdata.PrefNotifications, false)
	n.observe(viewtest.StatusFor(auth.StateValid), false)
	n.observe(viewtest.StatusFor(auth.StateLoggedOut), false)
	n.observe(viewtest.StatusFor(auth.StateValid), false)
	if len(*sent) != 0 {
		t.Errorf("notifications off, yet %d were sent", len(*sent))
	}
}
