package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/usageview"
)

// The usage monitor's wiring into the controller: the tray process runs
// the monitor that records every reading and notifies; the window host runs
// one that only reads, for its status window and the chat.

// startUsage starts the usage monitor, when Options has one, for as long
// as ctx; wg waits for its goroutines.
func (c *controller) startUsage(ctx context.Context, done func(func())) {
	if c.opts.UsageMonitor == nil {
		return
	}
	m := c.opts.UsageMonitor()
	if m == nil {
		return
	}
	m.Loc = c.state.loc()
	m.Publish = c.onUsage
	if !c.host {
		m.Record = true
		m.Notify = c.sendUsageNote
		m.Config = c.usageConfig
		done(func() {
			// Without a system bus the poller still sees a wake by the
			// wall clock's jump.
			_ = platform.WatchWakeAndNetwork(ctx, m.Kick)
		})
	}
	c.mu.Lock()
	c.usage = m
	c.mu.Unlock()
	done(func() { m.Run(ctx) })
}

// usageMonitor is the running monitor; nil without one.
func (c *controller) usageMonitor() *usage.Monitor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

// onUsage takes a snapshot from the monitor (its goroutine).
func (c *controller) onUsage(s usage.Snapshot) {
	c.update(func(v *viewState) {
		if v.Status.Mode != "chatgpt" || !v.signedIn() {
			v.UsageSnap = nil
			return
		}
		v.UsageSnap = &s
		if len(s.Windows) > 0 {
			u := usageFromSnapshot(s)
			v.Usage, v.UsageErr = &u, ""
		} else if s.Err != "" {
			v.UsageErr = s.Err
		}
	})
}

// usageFromSnapshot is the meters' shape of a snapshot.
func usageFromSnapshot(s usage.Snapshot) Usage {
	out := Usage{LimitReached: s.LimitReached}
	for _, w := range s.Windows {
		out.Windows = append(out.Windows, UsageWindow{Minutes: w.Minutes, UsedPercent: w.UsedPercent, ResetsAt: w.ResetsAt,
			Label: w.Label, Pace: w.PaceShort})
	}
	return out
}

// usageConfig is the notification settings now: Settings' thresholds and
// mutes, the notifications switch and the snooze.
func (c *controller) usageConfig() usage.NotifyConfig {
	ts, err := usage.ParseThresholds(c.prefs.String(appdata.PrefUsageThresholds))
	if err != nil {
		ts = usage.DefaultThresholds
	}
	return usage.NotifyConfig{
		Enabled:      c.prefs.BoolWithFallback(appdata.PrefNotifications, true),
		Thresholds:   ts,
		Muted:        usage.ParseMuted(c.prefs.String(appdata.PrefUsageMuted)),
		SnoozedUntil: c.notes.snoozedUntil(),
		Loc:          c.state.loc(),
	}
}

// sendUsageNote shows a usage notification (the monitor decided it).
func (c *controller) sendUsageNote(n usage.Note) {
	c.notes.send(fyne.NewNotification(n.Title, n.Body))
}

// lowestThreshold is drawn in the charts.
func (c *controller) lowestThreshold() float64 {
	ts, err := usage.ParseThresholds(c.prefs.String(appdata.PrefUsageThresholds))
	if err != nil || len(ts) == 0 {
		return usage.DefaultThresholds[0]
	}
	return ts[0]
}

// usageActions are the status window's redeem actions on the monitor.
func (c *controller) usageActions() usageview.Actions {
	return usageview.Actions{
		Preview: func() (string, string, bool) {
			m := c.usageMonitor()
			if m == nil {
				return "Usage is not read yet.", "", false
			}
			return m.Preview("")
		},
		Redeem: func(creditID string) (string, error) {
			m := c.usageMonitor()
			if m == nil {
				return "", errNoUsage
			}
			ctx, cancel := context.WithTimeout(c.ctx, 3*time.Minute)
			defer cancel()
			res, err := m.Redeem(ctx, creditID)
			return res.Sentence, err
		},
		Do: fyne.Do,
	}
}
