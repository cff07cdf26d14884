package view

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/textfmt"
)

// StatusRows are the label/value pairs the window shows for v.
func StatusRows(v State) [][2]string {
	st := v.Status
	var rows [][2]string
	add := func(k, val string) {
		if val != "" {
			rows = append(rows, [2]string{k, val})
		}
	}
	add("Account", st.Email)
	if st.Plan != "" {
		add("Plan", auth.PlanName(st.Plan))
	}
	add("API key", st.APIKey)
	add("State", StateName(st.State))
	if !st.Expires.IsZero() {
		left := st.Expires.Sub(v.Now)
		when := "in " + textfmt.Duration(left)
		if left <= 0 {
			when = textfmt.Duration(left) + " ago"
		}
		add("Token expires", v.Format.Stamp(st.Expires)+" ("+when+")")
	}
	if t, err := time.Parse(time.RFC3339Nano, st.LastRefresh); err == nil {
		add("Last refresh", v.Format.Stamp(t)+" ("+textfmt.Duration(v.Now.Sub(t))+" ago)")
	} else {
		add("Last refresh", st.LastRefresh)
	}
	add("Codex home", st.CodexHome)
	if st.Store != "" || st.Source != "" {
		add("Store / source", st.Store+" / "+st.Source)
	}
	add("Keychain mirror", MirrorName(st.Mirror))
	if v.UsageSnap != nil {
		// The status window's usage tab shows the windows.
	} else if v.Usage != nil {
		for _, w := range v.Usage.Windows {
			line := v.Format.UsageLine(w, v.Now)
			name, rest, _ := strings.Cut(line, ": ")
			add(name, rest)
		}
		if v.Usage.LimitReached {
			add("Usage", "limit reached")
		}
	} else if v.UsageErr != "" {
		add("Usage", "unavailable: "+FirstLine(v.UsageErr, 120))
	}
	if v.Models != nil {
		name := v.ChosenModelSlug()
		if m, ok := v.Models.Find(name); ok {
			name = ModelName(m)
		}
		add("Default model", name)
	}
	add("Restore", v.RestoreReason)
	add("Error", st.Error)
	if v.HaveStatus {
		add("Reminders", ReminderLine(v))
	}
	return rows
}

// ReminderLine says whether reminders are on, off or snoozed.
func ReminderLine(v State) string {
	if !v.NotificationsOn {
		return "notifications off"
	}
	if v.SnoozedUntil.After(v.Now) {
		return "snoozed until " + v.Format.Clock(v.SnoozedUntil, v.Now)
	}
	return "on"
}

// StateName is a login state in words.
func StateName(s auth.State) string {
	switch s {
	case auth.StateValid:
		return "valid"
	case auth.StateExpiring:
		return "expiring"
	case auth.StateExpired:
		return "expired"
	case auth.StateReloginRequired:
		return "sign-in required"
	case auth.StateLoggedOut:
		return "signed out"
	case auth.StateAPIKey:
		return "API key"
	case auth.StateError:
		return "error"
	}
	return string(s)
}

// MirrorName is the keychain mirror's state in words.
func MirrorName(m string) string {
	switch m {
	case auth.MirrorInSync:
		return "in sync"
	case auth.MirrorStale:
		return "stale"
	case auth.MirrorAbsent:
		return "no copy yet"
	case auth.MirrorUnavailable:
		return "keychain unavailable"
	case auth.MirrorDisabled:
		return "off"
	}
	return m
}

// Diagnostics is the text "Copy diagnostics" copies: the status as `status
// --json` prints it (which never holds a token), the usage and the build.
func Diagnostics(v State, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Codex Tray %s (%s/%s, %s)\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "time: %s\n", v.Now.UTC().Format(time.RFC3339))
	js, _ := json.MarshalIndent(v.Status, "", "  ")
	fmt.Fprintf(&b, "status: %s\n", js)
	if v.Usage != nil {
		for _, w := range v.Usage.Windows {
			fmt.Fprintf(&b, "usage: %s\n", textfmt.Format{Loc: time.UTC}.UsageLine(w, v.Now))
		}
	}
	if v.UsageErr != "" {
		fmt.Fprintf(&b, "usage error: %s\n", v.UsageErr)
	}
	if v.Models != nil {
		fmt.Fprintf(&b, "models: %d, default %s, chosen %s\n", len(v.Models.Models), v.Models.Default, v.ChosenModel)
	}
	if v.RestoreReason != "" {
		fmt.Fprintf(&b, "restore offered: %s\n", v.RestoreReason)
	}
	if v.LastAction != "" {
		fmt.Fprintf(&b, "last action: %s\n", v.LastAction)
	}
	return b.String()
}
