package control

import (
	"context"
	"errors"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/ui/view"
)

// The actions below are called on a UI goroutine and do their work off it;
// each background goroutine ends with the process's context, within a
// deadline.

// Refresh refreshes the tokens now ("Refresh now").
func (c *Controller) Refresh() {
	if c.deps.Login == nil {
		return
	}
	c.runAction("Refreshing…", func(ctx context.Context) (string, error) {
		msg, err := c.deps.Login.Refresh(ctx)
		if err != nil {
			return "", errors.New("Refresh failed: " + err.Error())
		}
		return msg, nil
	}, func(err error) {
		c.mu.Lock()
		c.refreshFailed = err != nil
		st := c.state.Status
		c.mu.Unlock()
		if c.OnStatus != nil {
			c.OnStatus(st, err != nil)
		}
		if err == nil {
			c.FetchBackend()
		}
	})
}

// Restore writes the keychain's copy of the login back to auth.json.
func (c *Controller) Restore() {
	if c.deps.Login == nil {
		return
	}
	c.runAction("Restoring the login…", func(ctx context.Context) (string, error) {
		msg, err := c.deps.Login.Restore(ctx)
		if err != nil {
			return "", errors.New("Restore failed: " + err.Error())
		}
		return msg, nil
	}, nil)
}

// runAction runs do off the UI goroutine with busy shown meanwhile, then
// shows its sentence and calls after (off the UI goroutine too).
func (c *Controller) runAction(busy string, do func(context.Context) (string, error), after func(error)) {
	if c.Snapshot().Busy != "" {
		return
	}
	c.Update(func(v *view.State) { v.Busy = busy })
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
		defer cancel()
		msg, err := do(ctx)
		if err != nil {
			msg = err.Error()
		}
		c.Update(func(v *view.State) { v.Busy, v.LastAction = "", msg })
		if after != nil {
			after(err)
		}
	}()
}

// SignIn opens a terminal running `codex login`; when none can be opened,
// fallback runs (off the UI goroutine: it posts to its own).
func (c *Controller) SignIn(fallback func()) {
	if c.deps.SignIn == nil {
		fallback()
		return
	}
	go func() {
		if err := c.deps.SignIn(); err != nil {
			fallback()
			return
		}
		c.Update(func(v *view.State) { v.LastAction = "Opened a terminal running “codex login”." })
	}()
}

// ChooseModel makes slug the default model ("" is the backend's).
func (c *Controller) ChooseModel(slug string) {
	c.prefs.SetString(appdata.PrefDefaultModel, slug)
	c.Update(func(v *view.State) { v.ChosenModel = slug })
}

// SetNotifications switches the notifications.
func (c *Controller) SetNotifications(on bool) {
	c.prefs.SetBool(appdata.PrefNotifications, on)
	c.Update(func(v *view.State) { v.NotificationsOn = on })
}

// Say shows msg as the last action's sentence.
func (c *Controller) Say(msg string) {
	c.Update(func(v *view.State) { v.LastAction = msg })
}

// ReadStartAtLogin reads the OS entry; off the UI goroutine.
func (c *Controller) ReadStartAtLogin() {
	sal := c.deps.StartAtLogin
	if sal == nil {
		return
	}
	on, err := sal.Enabled()
	c.Update(func(v *view.State) {
		v.StartAtLogin = &on
		if err != nil {
			v.LastAction = "Start at login: " + err.Error()
		}
	})
}

// SetStartAtLogin switches the OS entry; off the UI goroutine.
func (c *Controller) SetStartAtLogin(on bool) {
	if err := c.deps.StartAtLogin.SetEnabled(on); err != nil {
		c.Say("Start at login: " + err.Error())
	}
	c.ReadStartAtLogin()
}

// Snooze holds reminders back for d (zero resumes them).
func (c *Controller) Snooze(d time.Duration) {
	SetSnooze(c.prefs, c.now(), d)
	until := SnoozedUntil(c.prefs)
	c.Update(func(v *view.State) { v.SnoozedUntil = until })
}

// PrefSnoozeUntil is when held-back reminders may be shown again (RFC 3339).
const PrefSnoozeUntil = "snooze_until"

// SetSnooze stores a snooze of d from now in p; zero ends a snooze.
func SetSnooze(p Prefs, now time.Time, d time.Duration) {
	if d <= 0 {
		p.RemoveValue(PrefSnoozeUntil)
		return
	}
	p.SetString(PrefSnoozeUntil, now.Add(d).UTC().Format(time.RFC3339))
}

// SnoozedUntil is the end of the current snooze; zero when none.
func SnoozedUntil(p Prefs) time.Time {
	t, err := time.Parse(time.RFC3339, p.String(PrefSnoozeUntil))
	if err != nil {
		return time.Time{}
	}
	return t
}

// SettingsChanged restarts the login watch with the settings now in the
// preferences.
func (c *Controller) SettingsChanged() {
	select {
	case c.settingsChanged <- struct{}{}:
	default:
	}
}

// PrefsChanged takes what another process wrote to the preferences: the
// tray process follows the window host's Settings window this way.
func (c *Controller) PrefsChanged() {
	c.Update(func(v *view.State) {
		v.ChosenModel = c.prefs.String(appdata.PrefDefaultModel)
		v.NotificationsOn = c.prefs.BoolWithFallback(appdata.PrefNotifications, true)
		v.SnoozedUntil = SnoozedUntil(c.prefs)
	})
}

// SettingsPending reports, and takes, a pending restart of the login watch
// (tests; Run takes it otherwise).
func (c *Controller) SettingsPending() bool {
	select {
	case <-c.settingsChanged:
		return true
	default:
		return false
	}
}
