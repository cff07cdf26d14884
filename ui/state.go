package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/usage"
)

// viewState is everything the tray and the windows show. Every view is a
// function of one viewState; the controller owns the current one.
type viewState struct {
	Now        time.Time
	Loc        *time.Location // for clock times; time.Local in the app
	HaveStatus bool
	Status     auth.Status

	Usage    *Usage
	UsageErr string
	// UsageSnap is the usage monitor's latest snapshot (windows with pace
	// and history, reset credits); nil without a monitor.
	UsageSnap *usage.Snapshot
	Models    *ModelList
	// ChosenModel is the default model the user picked ("" = the backend's).
	ChosenModel string

	RestoreReason string // non-empty when a restore is offered

	Busy       string // the running action, e.g. "Refreshing…"
	LastAction string // the sentence the last action ended with

	SnoozedUntil    time.Time // reminders are held back until then
	NotificationsOn bool
	StartAtLogin    *bool // nil until read
	HasBackend      bool
	HasLogin        bool
}

func (v viewState) loc() *time.Location {
	if v.Loc == nil {
		return time.Local
	}
	return v.Loc
}

// signedIn reports whether the login can be used (a token or an API key).
func (v viewState) signedIn() bool {
	switch v.Status.State {
	case auth.StateValid, auth.StateExpiring, auth.StateExpired, auth.StateAPIKey:
		return true
	}
	return false
}

// chosenModel is the model the chat uses by default: the user's choice, or
// the backend's default.
func (v viewState) chosenModel() string {
	if v.ChosenModel != "" {
		return v.ChosenModel
	}
	if v.Models != nil {
		return v.Models.Default
	}
	return ""
}

// accountLine is "ada@example.com · Plus", or what stands in for it.
func accountLine(v viewState) string {
	st := v.Status
	switch {
	case !v.HaveStatus:
		return "Reading the Codex login…"
	case st.Mode == "apikey":
		return "API key " + st.APIKey
	case st.Email != "" && st.Plan != "":
		return st.Email + " · " + auth.PlanName(st.Plan)
	case st.Email != "":
		return st.Email
	case st.State == auth.StateLoggedOut:
		return "Not signed in to Codex"
	case st.State == auth.StateError:
		return "Codex login unreadable"
	}
	return "Signed in to ChatGPT"
}

// tokenLine is the one-line state of the token, counted down from v.Now.
func tokenLine(v viewState) string {
	st := v.Status
	left := st.Expires.Sub(v.Now)
	switch st.State {
	case auth.StateValid:
		if st.Expires.IsZero() {
			return "Token valid · expiry unknown"
		}
		return "Token valid · expires in " + auth.HumanDuration(left)
	case auth.StateExpiring:
		if left <= 0 {
			return "Token expired just now"
		}
		return "Token expires in " + auth.HumanDuration(left)
	case auth.StateExpired:
		return "Token expired " + auth.HumanDuration(left) + " ago · refreshed on next use"
	case auth.StateReloginRequired:
		return "Sign in again: the token could not be refreshed"
	case auth.StateLoggedOut:
		return "Sign in with “codex login”"
	case auth.StateAPIKey:
		return "Codex uses an API key"
	case auth.StateError:
		return "Cannot read the Codex login"
	}
	return ""
}

// tooltip is the one-line status for the tray item's tooltip.
func tooltip(v viewState) string {
	if !v.HaveStatus {
		return "Codex Tray: reading the Codex login…"
	}
	return "Codex Tray: " + accountLine(v) + " · " + tokenLine(v)
}

// windowName is "5 h" for a 300-minute window, "Week" for a weekly one.
func windowName(minutes int) string {
	switch {
	case minutes <= 0:
		return "Usage"
	case minutes == 7*24*60:
		return "Week"
	case minutes == 24*60:
		return "Day"
	case minutes%60 == 0:
		return fmt.Sprintf("%d h", minutes/60)
	}
	return fmt.Sprintf("%d min", minutes)
}

// usageLine is "5 h: 42 % used · resets 14:05".
func usageLine(w UsageWindow, now time.Time, loc *time.Location) string {
	s := fmt.Sprintf("%s: %d %% used", windowName(w.Minutes), int(math.Round(w.UsedPercent)))
	if !w.ResetsAt.IsZero() {
		s += " · resets " + clock(w.ResetsAt, now, loc)
	}
	return s
}

// clock is "14:05" today, "Mon 09:00" within a week, else "12 Mar 09:00".
func clock(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Sub(now) < 6*24*time.Hour && t.After(now):
		return t.Format("Mon 15:04")
	}
	return t.Format("2 Jan 15:04")
}

// modelName is a model's display name, or its slug.
func modelName(m Model) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Slug
}

// firstLine keeps an error's first line, at most n runes, for a menu.
func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
