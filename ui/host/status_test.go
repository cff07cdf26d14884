package host

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/ui/chatwin"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view"
	"github.com/codextray/codextray/ui/view/viewtest"
)

// fakeLogin records the actions it is asked for.
type fakeLogin struct {
	mu        sync.Mutex
	refreshed int
	err       error
	done      chan struct{}
}

func (f *fakeLogin) Refresh(context.Context) (string, error) {
	f.mu.Lock()
	f.refreshed++
	f.mu.Unlock()
	defer close(f.done)
	return "Refreshed: the token is valid until Fri 8 May 10:00.", f.err
}

func (f *fakeLogin) RestoreOffer(context.Context) (string, bool, error) {
	return "auth.json is missing", true, nil
}

func (f *fakeLogin) Restore(context.Context) (string, error) { return "Restored.", nil }

// newTestHost is a window host on the test app showing v.
func newTestHost(t *testing.T, v view.State, deps control.Deps) *Host {
	h := New(test.NewTempApp(t), deps, chatwin.Deps{})
	h.c.Update(func(s *view.State) { *s = v })
	return h
}

func TestStatusWindowForEveryState(t *testing.T) {
	for _, state := range []auth.State{
		auth.StateValid, auth.StateExpiring, auth.StateExpired, auth.StateReloginRequired,
		auth.StateLoggedOut, auth.StateAPIKey, auth.StateError,
	} {
		t.Run(string(state), func(t *testing.T) {
			v := viewtest.StateFor(viewtest.StatusFor(state))
			switch state {
			case auth.StateLoggedOut:
				v.Usage, v.Models, v.RestoreReason = nil, nil, "auth.json is missing"
			case auth.StateAPIKey:
				v.Usage = nil
			case auth.StateReloginRequired, auth.StateError:
				v.Usage = nil
			}
			h := newTestHost(t, v, control.Deps{Login: &fakeLogin{}})
			h.status.open()
			defer h.status.win.Close()
			test.AssertRendersToMarkup(t, "status_"+string(state)+".xml", h.status.win.Canvas())
		})
	}
}

func TestStatusWindowShowsSnoozeAndActionResult(t *testing.T) {
	v := viewtest.StateFor(viewtest.StatusFor(auth.StateExpiring))
	v.SnoozedUntil = viewtest.Now.Add(time.Hour)
	v.LastAction = "Refresh failed: the network is unreachable"
	rows := view.StatusRows(v)
	if got := rowValue(rows, "Reminders"); got != "snoozed until 11:00" {
		t.Errorf("Reminders row = %q, want snoozed until 11:00", got)
	}
	if got := view.ActionLine(v); got != "Refresh failed: the network is unreachable" {
		t.Errorf("action line = %q", got)
	}
	v.NotificationsOn = false
	if got := rowValue(view.StatusRows(v), "Reminders"); got != "notifications off" {
		t.Errorf("Reminders row with notifications off = %q", got)
	}
}

func TestStatusWindowRefreshRunsOffTheUIAndReportsBack(t *testing.T) {
	fl := &fakeLogin{done: make(chan struct{})}
	h := newTestHost(t, viewtest.StateFor(viewtest.StatusFor(auth.StateExpiring)), control.Deps{Login: fl})
	h.status.open()
	test.Tap(h.status.refresh)
	select {
	case <-fl.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Refresh now did not call the login's Refresh")
	}
	deadline := time.After(5 * time.Second)
	for h.c.Snapshot().LastAction == "" {
		select {
		case <-h.c.Rebuilt():
		case <-deadline:
			t.Fatal("the refresh result never reached the state")
		}
	}
	if got := h.c.Snapshot().LastAction; got != "Refreshed: the token is valid until Fri 8 May 10:00." {
		t.Errorf("last action = %q", got)
	}
}

func TestSnoozeButtonsStoreTheSnooze(t *testing.T) {
	h := newTestHost(t, viewtest.StateFor(viewtest.StatusFor(auth.StateExpiring)), control.Deps{})
	h.status.open()
	test.Tap(h.status.snooze1d)
	until := control.SnoozedUntil(h.c.Prefs())
	if d := time.Until(until); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("1 day snooze ends in %v", d)
	}
	if got := h.app.Preferences().String(control.PrefSnoozeUntil); got == "" {
		t.Error("the snooze is not in the preferences")
	}
	test.Tap(h.status.snooze1h)
	if d := time.Until(control.SnoozedUntil(h.c.Prefs())); d > 61*time.Minute {
		t.Errorf("1 hour snooze ends in %v", d)
	}
	test.Tap(h.status.resume)
	if !control.SnoozedUntil(h.c.Prefs()).IsZero() {
		t.Error("Resume left the snooze")
	}
}

func TestCopyDiagnosticsHasNoToken(t *testing.T) {
	h := newTestHost(t, viewtest.StateFor(viewtest.StatusFor(auth.StateValid)), control.Deps{Version: "1.2.3"})
	h.status.open()
	test.Tap(h.status.copyDiag)
	got := h.app.Clipboard().Content()
	for _, want := range []string{"Codex Tray 1.2.3", `"email": "ada@example.com"`, `"state": "valid"`, "usage: 5 h: 42 % used"} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"eyJ", "rt_", "access_token", "refresh_token"} {
		if strings.Contains(got, bad) {
			t.Errorf("diagnostics hold %q:\n%s", bad, got)
		}
	}
}

func TestSettingsWindowStoresTheSharedKeys(t *testing.T) {
	h := newTestHost(t, viewtest.StateFor(viewtest.StatusFor(auth.StateValid)), control.Deps{})
	h.settings.open()
	s := h.settings
	s.reminder.SetSelected("6 hours")
	s.keepAlive.SetSelected("1 day before expiry")
	s.mirror.SetChecked(false)
	s.notifications.SetChecked(false)
	s.model.SetSelected("GPT-5.1 Mini")
	s.effort.SetSelected("medium")
	s.codexPath.SetText(" /opt/codex/bin/codex ")

	p := h.app.Preferences()
	if got := p.String(appdata.PrefCodexPath); got != "/opt/codex/bin/codex" {
		t.Errorf("%s = %q, want the path set in Settings", appdata.PrefCodexPath, got)
	}
	if got := p.Float(appdata.PrefReminderHours); got != 6 {
		t.Errorf("%s = %v, want 6", appdata.PrefReminderHours, got)
	}
	if got := p.Float(appdata.PrefKeepAliveHours); got != 24 {
		t.Errorf("%s = %v, want 24", appdata.PrefKeepAliveHours, got)
	}
	if p.BoolWithFallback(appdata.PrefMirrorEnabled, true) || p.BoolWithFallback(appdata.PrefNotifications, true) {
		t.Error("mirror or notifications still on")
	}
	if got := p.String(appdata.PrefDefaultModel); got != "gpt-5.1-mini" {
		t.Errorf("%s = %q", appdata.PrefDefaultModel, got)
	}
	if got := p.String(appdata.PrefDefaultEffort); got != "medium" {
		t.Errorf("%s = %q", appdata.PrefDefaultEffort, got)
	}
	if got := s.effort.Options; len(got) != 2 || got[1] != "medium" {
		t.Errorf("efforts for GPT-5.1 Mini = %v", got)
	}
	set := login.SettingsFrom(p)
	if set.Reminder != 6*time.Hour || set.KeepAlive != 24*time.Hour || set.MirrorEnabled || !set.MaintainMirror {
		t.Errorf("login.SettingsFrom = %+v", set)
	}
	if !h.c.SettingsPending() {
		t.Error("changing the reminder did not ask for a restart of the login watch")
	}
	test.AssertRendersToMarkup(t, "settings.xml", s.win.Canvas())
}

type fakeStartAtLogin struct {
	on  bool
	err error
}

func (f *fakeStartAtLogin) Enabled() (bool, error) { return f.on, nil }
func (f *fakeStartAtLogin) SetEnabled(on bool) error {
	if f.err != nil {
		return f.err
	}
	f.on = on
	return nil
}

func TestSettingsStartAtLogin(t *testing.T) {
	sal := &fakeStartAtLogin{err: errors.New("no autostart directory")}
	h := newTestHost(t, viewtest.StateFor(viewtest.StatusFor(auth.StateValid)), control.Deps{StartAtLogin: sal})
	h.c.ReadStartAtLogin()
	h.settings.open()
	h.settings.show(h.c.Snapshot())
	if h.settings.startAtLogin == nil || h.settings.startAtLogin.Checked || h.settings.startAtLogin.Disabled() {
		t.Fatal("the Start at login check is missing, checked or disabled")
	}
	h.c.SetStartAtLogin(true)
	if got := h.c.Snapshot().LastAction; got != "Start at login: no autostart directory" {
		t.Errorf("a failed switch reports %q", got)
	}
	sal.err = nil
	h.c.SetStartAtLogin(true)
	h.settings.show(h.c.Snapshot())
	if !sal.on || !h.settings.startAtLogin.Checked {
		t.Error("switching Start at login on did not stick")
	}
}

func rowValue(rows [][2]string, key string) string {
	for _, r := range rows {
		if r[0] == key {
			return r[1]
		}
	}
	return ""
}

// The status window writes the usage windows as the tray menu and the chat
// do (viewtest.UsageLines), in 24 h and 12 h locales alike.
func TestStatusUsageRowsMatchEveryView(t *testing.T) {
	for _, hour12 := range []bool{false, true} {
		h := newTestHost(t, viewtest.StateIn(hour12), control.Deps{})
		h.status.open()
		var got []string
		objs := h.status.form.Objects
		for i := 0; i+1 < len(objs); i += 2 {
			k, v := objs[i].(*widget.Label).Text, objs[i+1].(*widget.Label).Text
			if k == "5 h" || k == "Week" {
				got = append(got, k+": "+v)
			}
		}
		if want := viewtest.UsageLines[hour12]; strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("12 h %v: status rows %q, want %q", hour12, got, want)
		}
		h.status.win.Close()
	}
}
