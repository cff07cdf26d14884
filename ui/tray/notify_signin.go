package tray

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
)

// signedInFromWindow returns the one "Signed in as …" notification when
// the watch sees a new login while the sign-in window runs a sign-in (the
// window host sets appdata.PrefSignInUntil), whatever the state before; took
// says it has handled st (the note is nil when notifications are off).
// The window host sends nothing itself. n.mu is held.
func (n *notifier) signedInFromWindow(st auth.Status) (note *fyne.Notification, took bool) {
	login := string(st.Mode) + "|" + st.AccountID + "|" + st.Email + "|" + st.ExpiresAt + "|" + st.APIKey
	prev := n.login
	n.login = login
	until, err := time.Parse(time.RFC3339, n.prefs.String(appdata.PrefSignInUntil))
	if err != nil || !n.now().Before(until) || login == prev {
		return nil, false
	}
	if st.State != auth.StateValid && st.State != auth.StateExpiring && st.State != auth.StateAPIKey {
		return nil, false
	}
	n.prefs.RemoveValue(appdata.PrefSignInUntil)
	if !n.prefs.BoolWithFallback(appdata.PrefNotifications, true) {
		return nil, true
	}
	return fyne.NewNotification("Signed in to Codex", signedInBody(st)), true
}
