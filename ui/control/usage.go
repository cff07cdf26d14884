package control

import (
	"context"
	"errors"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/view"
)

// The usage monitor (core/usage) in a process: the tray process runs the
// one that records every reading and notifies; the window host runs one
// that only reads, for its status window and the chat.

// startUsage starts the monitor of Deps.UsageMonitor, if any, for as long
// as ctx; spawn runs a goroutine Run waits for.
func (c *Controller) startUsage(ctx context.Context, spawn func(func())) {
	if c.deps.UsageMonitor == nil {
		return
	}
	m := c.deps.UsageMonitor()
	if m == nil {
		return
	}
	m.Format = c.deps.Format
	m.Publish = c.onUsage
	if c.role == Tray {
		m.Record = true
		m.Notify = func(n usage.Note) {
			if c.OnUsageNote != nil {
				c.OnUsageNote(n)
			}
		}
		m.Config = c.usageConfig
		spawn(func() {
			// Without a system bus the poller still sees a wake by the wall
			// clock's jump.
			_ = platform.WatchWakeAndNetwork(ctx, m.Kick)
		})
	}
	c.mu.Lock()
	c.usage = m
	c.mu.Unlock()
	spawn(func() { m.Run(ctx) })
}

// UsageMonitor is the running monitor; nil without one.
func (c *Controller) UsageMonitor() *usage.Monitor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

// onUsage takes a snapshot from the monitor (its goroutine).
func (c *Controller) onUsage(s usage.Snapshot) {
	c.Update(func(v *view.State) {
		v.Now = c.now() // the tray reads the clock once a minute; the age is from now
		if auth.Mode(v.Status.Mode) != auth.ModeChatGPT || !v.SignedIn() {
			v.UsageSnap = nil
			return
		}
		v.UsageSnap = &s
		if len(s.Windows) > 0 {
			u := view.UsageFromSnapshot(s)
			v.Usage, v.UsageErr = &u, ""
		} else if s.Err != "" {
			v.UsageErr = s.Err
		}
	})
}

// usageConfig is the notification settings now: Settings' thresholds and
// mutes, the notifications switch and the snooze.
func (c *Controller) usageConfig() usage.NotifyConfig {
	return usage.NotifyConfig{
		Enabled:      c.prefs.BoolWithFallback(appdata.PrefNotifications, true),
		Thresholds:   Thresholds(c.prefs),
		Muted:        usage.ParseMuted(c.prefs.String(appdata.PrefUsageMuted)),
		SnoozedUntil: SnoozedUntil(c.prefs),
		Format:       c.deps.Format,
	}
}

// Thresholds are the used percents that notify (Settings), sorted.
func Thresholds(p Prefs) []float64 {
	ts, err := usage.ParseThresholds(p.String(appdata.PrefUsageThresholds))
	if err != nil || len(ts) == 0 {
		return usage.DefaultThresholds
	}
	return ts
}

// PreviewRedeem is the sentence of the redeem confirmation and the credit
// it is about (the one expiring first); ok is false with nothing to redeem.
func (c *Controller) PreviewRedeem() (sentence, creditID string, ok bool) {
	m := c.UsageMonitor()
	if m == nil {
		return "Usage is not read yet.", "", false
	}
	return m.Preview("")
}

// Redeem redeems the credit the confirmation named and returns the
// answer's sentence; it waits on the network (3 minutes at most), so it
// runs off the UI goroutine.
func (c *Controller) Redeem(creditID string) (string, error) {
	m := c.UsageMonitor()
	if m == nil {
		return "", errNoMonitor
	}
	ctx, cancel := context.WithTimeout(c.ctx, 3*time.Minute)
	defer cancel()
	res, err := m.Redeem(ctx, creditID)
	if err == nil && c.OnRedeemed != nil {
		c.OnRedeemed()
	}
	return res.Sentence, err
}

// KickUsage has the usage monitor read the usage at once (another process
// redeemed a reset credit); nothing without a monitor. Any goroutine.
func (c *Controller) KickUsage() {
	if m := c.UsageMonitor(); m != nil {
		m.Kick()
	}
}

var errNoMonitor = errors.New("usage is not read in this process")

// errUsageByMonitor: the usage monitor reads the usage, on its schedule.
var errUsageByMonitor = errors.New("usage is read by the usage monitor")

// SetStreaming says whether a chat answer is streaming: the monitor polls
// every minute meanwhile. Any goroutine.
func (c *Controller) SetStreaming(on bool) {
	if m := c.UsageMonitor(); m != nil {
		m.SetStreaming(on)
	}
}
