package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
)

// signedInFromWindow sends the one "Signed in as …" notification when the
// watch sees a new login while the sign-in window runs a sign-in (the
// window host sets prefSignInUntil), whatever the state before; it
// reports whether it took st. The window host sends nothing itself.
func (n *notifier) signedInFromWindow(st auth.Status) bool {
	login := st.Mode + "|" + st.AccountID + "|" + st.Email + "|" + st.ExpiresAt + "|" + st.APIKey
	prev := n.login
	n.login = login
	until, err := time.Parse(time.RFC3339, n.prefs.String(prefSignInUntil))
	if err != nil || !n.now().Before(until) || login == prev {
		return false
	}
	if st.State != auth.StateValid && st.State != auth.StateExpiring && st.State != auth.StateAPIKey {
		return false
	}
	n.prefs.RemoveValue(prefSignInUntil)
	if n.prefs.BoolWithFallback(appdata.PrefNotifications, true) {
		n.send(fyne.NewNotification("Signed in to Codex", signedInBody(st)))
	}
	return true
}
