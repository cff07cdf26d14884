package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
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

// newTestController is a controller on the test app showing v.
func newTestController(t *testing.T, v viewState, opts Options) *controller {
	a := test.NewTempApp(t)
	c := newController(a, opts)
	c.now = func() time.Time { return testNow }
	c.state = v
	return c
}

func TestStatusWindowForEveryState(t *testing.T) {
	for _, state := range []auth.State{
		auth.StateValid, auth.StateExpiring, auth.StateExpired, auth.StateReloginRequired,
		auth.StateLoggedOut, auth.StateAPIKey, auth.StateError,
	} {
		t.Run(string(state), func(t *testing.T) {
			v := viewFor(statusFor(state))
			switch state {
			case auth.StateLoggedOut:
				v.Usage, v.Models, v.RestoreReason = nil, nil, "auth.json is missing"
			case auth.StateAPIKey:
				v.Usage = nil
			case auth.StateReloginRequired, auth.StateError:
				v.Usage = nil
			}
			c := newTestController(t, v, Options{Login: &fakeLogin{}})
			c.status.open()
			defer c.status.win.Close()
			test.AssertRendersToMarkup(t, "status_"+string(state)+".xml", c.status.win.Canvas())
		})
	}
}

func TestStatusWindowShowsSnoozeAndActionResult(t *testing.T) {
	v := viewFor(statusFor(auth.StateExpiring))
	v.SnoozedUntil = testNow.Add(time.Hour)
	v.LastAction = "Refresh failed: the network is unreachable"
	rows := statusRows(v)
	if got := rowValue(rows, "Reminders"); got != "snoozed until 11:00" {
		t.Errorf("Reminders row = %q, want snoozed until 11:00", got)
	}
	if got := actionLine(v); got != "Refresh failed: the network is unreachable" {
		t.Errorf("action line = %q", got)
	}
	v.NotificationsOn = false
	if got := rowValue(statusRows(v), "Reminders"); got != "notifications off" {
		t.Errorf("Reminders row with notifications off = %q", got)
	}
}

func TestStatusWindowRefreshRunsOffTheUIAndReportsBack(t *testing.T) {
	fl := &fakeLogin{done: make(chan struct{})}
	c := newTestController(t, viewFor(statusFor(auth.StateExpiring)), Options{Login: fl})
	c.status.open()
	test.Tap(c.status.refresh)
	select {
	case <-fl.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Refresh now did not call the login's Refresh")
	}
	deadline := time.After(5 * time.Second)
	for c.snapshot().LastAction == "" {
		select {
		case <-c.rebuild:
		case <-deadline:
			t.Fatal("the refresh result never reached the state")
		}
	}
	if got := c.snapshot().LastAction; got != "Refreshed: the token is valid until Fri 8 May 10:00." {
		t.Errorf("last action = %q", got)
	}
}

func TestSnoozeButtonsStoreTheSnooze(t *testing.T) {
	c := newTestController(t, viewFor(statusFor(auth.StateExpiring)), Options{})
	c.now = time.Now
	c.notes.now = time.Now
	c.status.open()
	test.Tap(c.status.snooze1d)
	until := c.notes.snoozedUntil()
	if d := time.Until(until); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("1 day snooze ends in %v", d)
	}
	if got := c.prefs.String(prefSnoozeUntil); got == "" {
		t.Error("the snooze is not in the preferences")
	}
	test.Tap(c.status.snooze1h)
	if d := time.Until(c.notes.snoozedUntil()); d > 61*time.Minute {
		t.Errorf("1 hour snooze ends in %v", d)
	}
	test.Tap(c.status.resume)
	if !c.notes.snoozedUntil().IsZero() {
		t.Error("Resume left the snooze")
	}
}

func TestCopyDiagnosticsHasNoToken(t *testing.T) {
	c := newTestController(t, viewFor(statusFor(auth.StateValid)), Options{Version: "1.2.3"})
	c.status.open()
	test.Tap(c.status.copyDiag)
	got := c.app.Clipboard().Content()
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
	c := newTestController(t, viewFor(statusFor(auth.StateValid)), Options{})
	c.settings.open()
	s := c.settings
	s.reminder.SetSelected("6 hours")
	s.keepAlive.SetSelected("1 day before expiry")
	s.mirror.SetChecked(false)
	s.notifications.SetChecked(false)
	s.model.SetSelected("GPT-5.1 Mini")
	s.effort.SetSelected("medium")

	p := c.app.Preferences()
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
	set := settingsFrom(p)
	if set.Reminder != 6*time.Hour || set.KeepAlive != 24*time.Hour || set.MirrorEnabled || !set.MaintainMirror {
		t.Errorf("settingsFrom = %+v", set)
	}
	select {
	case <-c.settingsChanged:
	default:
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
	c := newTestController(t, viewFor(statusFor(auth.StateValid)), Options{StartAtLogin: sal})
	c.readStartAtLogin(sal)
	c.settings.open()
	if c.settings.startAtLogin == nil || c.settings.startAtLogin.Checked || c.settings.startAtLogin.Disabled() {
		t.Fatal("the Start at login check is missing, checked or disabled")
	}
	c.setStartAtLogin(true)
	if got := c.snapshot().LastAction; got != "Start at login: no autostart directory" {
		t.Errorf("a failed switch reports %q", got)
	}
	sal.err = nil
	c.setStartAtLogin(true)
	c.settings.show(c.snapshot())
	if !sal.on || !c.settings.startAtLogin.Checked {
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
