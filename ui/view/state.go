package view

import (
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
)

// State is everything the tray and the windows show. Every view is a
// function of one State; the process's controller owns the current one.
type State struct {
	Now        time.Time
	Format     textfmt.Format // how times, durations, shares and usage lines are written
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
	HasCodex        bool // Codex's own sign-in and sign-out can run (control.Deps.Codex)
}

// SignedIn reports whether the login can be used (a token or an API key).
func (v State) SignedIn() bool {
	switch v.Status.State {
	case auth.StateValid, auth.StateExpiring, auth.StateExpired, auth.StateAPIKey:
		return true
	}
	return false
}

// CanSend reports whether the chat may send: until the first status a
// usable login is assumed, and an expired token is refreshed on use.
func (v State) CanSend() bool {
	if !v.HaveStatus {
		return true
	}
	switch v.Status.State {
	case auth.StateLoggedOut, auth.StateReloginRequired, auth.StateError:
		return false
	}
	return true
}

// CanRefresh reports whether "Refresh now" can run.
func (v State) CanRefresh() bool {
	return v.HasLogin && v.Busy == "" && auth.Mode(v.Status.Mode) == auth.ModeChatGPT &&
		v.Status.State != auth.StateReloginRequired
}

// ChosenModelSlug is the model the chat uses by default: the user's
// choice, or the backend's default.
func (v State) ChosenModelSlug() string {
	if v.ChosenModel != "" {
		return v.ChosenModel
	}
	if v.Models != nil {
		return v.Models.Default
	}
	return ""
}

// ModelName is a model's display name, or its slug.
func ModelName(m Model) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Slug
}

// AccountLine is "ada@example.com · Plus", or what stands in for it.
func AccountLine(v State) string {
	st := v.Status
	switch {
	case !v.HaveStatus:
		return "Reading the Codex login…"
	case auth.Mode(st.Mode) == auth.ModeAPIKey:
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

// TokenLine is the one-line state of the token, counted down from v.Now.
func TokenLine(v State) string {
	st := v.Status
	left := st.Expires.Sub(v.Now)
	switch st.State {
	case auth.StateValid:
		if st.Expires.IsZero() {
			return "Token valid · expiry unknown"
		}
		return "Token valid · expires in " + textfmt.Duration(left)
	case auth.StateExpiring:
		if left <= 0 {
			return "Token expired just now"
		}
		return "Token expires in " + textfmt.Duration(left)
	case auth.StateExpired:
		return "Token expired " + textfmt.Duration(left) + " ago · refreshed on next use"
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

// Tooltip is the one-line status for the tray item's tooltip.
func Tooltip(v State) string {
	if !v.HaveStatus {
		return "Codex Tray: reading the Codex login…"
	}
	return "Codex Tray: " + AccountLine(v) + " · " + TokenLine(v)
}

// Headline is the status window's first line.
func Headline(v State) string {
	if !v.HaveStatus {
		return "Reading the Codex login…"
	}
	return CurlyQuotes(v.Status.Message)
}

// ActionLine is the running action, or how the last one ended.
func ActionLine(v State) string {
	if v.Busy != "" {
		return v.Busy
	}
	return v.LastAction
}
