package tray

import (
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/ui/control"
)

// notifier turns the stream of login states into notifications: one per
// transition, never one per repeat of the same state. The login watch and
// a finished "Refresh now" both report to it.
type notifier struct {
	prefs control.Prefs
	send  func(*fyne.Notification)
	now   func() time.Time
	// sendSignIn, when set, sends a notification that asks for a new
	// sign-in with a "Sign in…" button opening the sign-in window; false
	// when it could not, and send is used instead.
	sendSignIn func(*fyne.Notification) bool

	mu   sync.Mutex
	have bool
	last string // the last key seen; see noteKey
	// login names the last login seen (who, and its token's expiry), to
	// tell a new sign-in from the same login seen again.
	login string
}

// noteKey is the state as far as notifications care: an expired token
// whose refresh failed is its own state.
func noteKey(st auth.Status, refreshFailed bool) string {
	if st.State == auth.StateExpired && refreshFailed {
		return "expired_refresh_failed"
	}
	return string(st.State)
}

// badKey reports the states a returning login ends.
func badKey(k string) bool {
	switch k {
	case string(auth.StateLoggedOut), string(auth.StateReloginRequired), string(auth.StateError),
		"expired_refresh_failed":
		return true
	}
	return false
}

// observe notes a status and sends the notification its transition calls
// for, if any. refreshFailed says a refresh of this login has failed.
func (n *notifier) observe(st auth.Status, refreshFailed bool) {
	key := noteKey(st, refreshFailed)
	n.mu.Lock()
	prev, had := n.last, n.have
	n.last, n.have = key, true
	signedIn, took := n.signedInFromWindow(st)
	n.mu.Unlock()
	if took {
		if signedIn != nil {
			n.send(signedIn)
		}
		return
	}
	if had && prev == key {
		return
	}
	note, reminder := notificationFor(st, key, prev, had)
	if note == nil || !n.prefs.BoolWithFallback(appdata.PrefNotifications, true) {
		return
	}
	if reminder && n.now().Before(control.SnoozedUntil(n.prefs)) {
		return
	}
	if badKey(key) && n.sendSignIn != nil && n.sendSignIn(note) {
		return
	}
	n.send(note)
}

// notificationFor is the notification for entering key from prev (had is
// false at the first status). reminder says it asks the user to act, so a
// snooze holds it back.
func notificationFor(st auth.Status, key, prev string, had bool) (note *fyne.Notification, reminder bool) {
	who := st.Email
	if who == "" {
		who = "your ChatGPT account"
	}
	switch key {
	case string(auth.StateExpiring):
		left := "soon"
		if st.ExpiresInSeconds != nil {
			left = "in " + textfmt.Duration(time.Duration(*st.ExpiresInSeconds)*time.Second)
		}
		return fyne.NewNotification("Codex login expires "+left,
			"The token of "+who+" expires "+left+". It is refreshed on next use; if that fails, sign in again with “codex login”."), true
	case string(auth.StateReloginRequired):
		return fyne.NewNotification("Sign in to Codex again",
			"The token of "+who+" could not be refreshed. Sign in again with “codex login”."), true
	case string(auth.StateLoggedOut):
		return fyne.NewNotification("Signed out of Codex",
			"Codex has no login any more. Sign in with “codex login”."), true
	case "expired_refresh_failed":
		body := "The token of " + who + " expired and could not be refreshed."
		if st.Error != "" {
			body += " " + st.Error
		}
		return fyne.NewNotification("Codex login expired", body+" Sign in again with “codex login” if it does not come back."), true
	case string(auth.StateValid), string(auth.StateAPIKey):
		if had && badKey(prev) {
			return fyne.NewNotification("Signed in to Codex", signedInBody(st)), false
		}
	}
	return nil, false
}

func signedInBody(st auth.Status) string {
	if st.Mode == auth.ModeAPIKey {
		return "Codex uses an API key (" + st.APIKey + ")."
	}
	s := "Signed in as " + st.Email
	if st.Plan != "" {
		s += " (" + auth.PlanName(st.Plan) + ")"
	}
	return s + "."
}
