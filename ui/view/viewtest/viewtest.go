// Package viewtest holds the States the views' tests draw: Ada's login in
// every state, with models and usage, at a fixed time.
package viewtest

import (
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/ui/view"
)

// Now is the tests' clock: Monday 4 May 2026, 10:00 UTC.
var Now = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// StatusFor is a status in state as core would build it for Ada.
func StatusFor(state auth.State) auth.Status {
	st := auth.Status{
		CodexHome: "/home/ada/.codex", Store: "file", Source: "file", Mode: auth.ModeChatGPT, State: state,
		Email: "ada@example.com", Plan: "plus", AccountID: "acc-1", Mirror: auth.MirrorInSync,
		LastRefresh: "2026-05-03T09:00:00Z",
	}
	exp := func(d time.Duration) {
		st.Expires = Now.Add(d)
		st.ExpiresAt = st.Expires.Format(time.RFC3339)
		secs := int64(d.Seconds())
		st.ExpiresInSeconds = &secs
	}
	switch state {
	case auth.StateValid:
		exp(3*24*time.Hour + 2*time.Hour)
		st.Message = "Signed in as ada@example.com (Plus) · token valid, expires in 3 d 2 h"
	case auth.StateExpiring:
		exp(3*time.Hour + 12*time.Minute)
		st.Message = "Signed in as ada@example.com (Plus) · token expires in 3 h 12 min"
	case auth.StateExpired:
		exp(-5 * time.Minute)
		st.Message = "Signed in as ada@example.com (Plus) · token expired 5 min ago; it is refreshed on next use"
	case auth.StateReloginRequired:
		exp(-time.Hour)
		st.Error = "the refresh token was already used"
		st.Message = "Signed in as ada@example.com (Plus) · sign in again with `codex login`: the token could not be refreshed"
	case auth.StateLoggedOut:
		st = auth.Status{CodexHome: "/home/ada/.codex", Store: "file", Source: "none", Mode: auth.ModeNone, State: state,
			Mirror: auth.MirrorInSync, Message: "Not signed in to Codex. Sign in with `codex login`."}
	case auth.StateAPIKey:
		st = auth.Status{CodexHome: "/home/ada/.codex", Store: "file", Source: "file", Mode: auth.ModeAPIKey, State: state,
			APIKey: "sk-proj-***abcde", Mirror: auth.MirrorDisabled, Message: "Codex uses an API key (sk-proj-***abcde)."}
	case auth.StateError:
		st = auth.Status{CodexHome: "/home/ada/.codex", Store: "file", Source: "file", Mode: auth.ModeNone, State: state,
			Mirror: auth.MirrorAbsent, Error: "auth.json is not valid JSON",
			Message: "Cannot read the Codex login: auth.json is not valid JSON"}
	}
	return st
}

// Models are two models, the first the default.
func Models() *view.ModelList {
	return &view.ModelList{Default: "gpt-5.2-codex", Models: []view.Model{
		{Slug: "gpt-5.2-codex", Name: "GPT-5.2 Codex", Efforts: []string{"low", "medium", "high"}, DefaultEffort: "medium"},
		{Slug: "gpt-5.1-mini", Name: "GPT-5.1 Mini", Efforts: []string{"medium"}},
	}}
}

// Usage is a 5 h and a weekly window, both with their reset times, as the
// backend reports them (the weekly one first, in the primary slot: views
// name and order windows by length).
func Usage() *view.Usage {
	u := view.UsageFromRateLimits(provider.RateLimits{
		Primary:   &provider.Window{WindowMinutes: 7 * 24 * 60, UsedPercent: 12.4, ResetsAt: Now.Add(3 * 24 * time.Hour)},
		Secondary: &provider.Window{WindowMinutes: 300, UsedPercent: 42, ResetsAt: Now.Add(4*time.Hour + 5*time.Minute)},
	})
	return &u
}

// StateFor is a full State for st with models and usage loaded, in UTC
// and 24 h.
func StateFor(st auth.Status) view.State {
	return view.State{
		Now: Now, Format: textfmt.Format{Loc: time.UTC}, HaveStatus: true, Status: st,
		Usage: Usage(), Models: Models(), HasBackend: true, HasLogin: true, NotificationsOn: true,
	}
}

// UsageLines are the lines of Usage() at Now as every view must write
// them (the tray menu, the status window, the chat's meters), in a 24 h
// locale (false) and a 12 h one (true).
var UsageLines = map[bool][]string{
	false: {"5 h: 42 % used · resets 14:05", "Week: 12 % used · resets Thu 10:00"},
	true:  {"5 h: 42 % used · resets 2:05 PM", "Week: 12 % used · resets Thu 10:00 AM"},
}

// StateIn is StateFor a valid login, written in a 12 h locale or a 24 h one.
func StateIn(hour12 bool) view.State {
	v := StateFor(StatusFor(auth.StateValid))
	v.Format.Hour12 = hour12
	return v
}
