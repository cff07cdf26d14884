// Package tray is the tray process: the tray item through fyne.io/systray
// alone (no Fyne app, no GL context, no event loop ticking while it idles),
// its menu, a pure function of the State, and the notifications. Windows
// open in the window host (ui/host), a child process it starts on demand.
package tray

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/systray"

	"github.com/codextray/codextray/assets"
	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/core/winhost"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view"
)

// Run runs the tray item and its menu, and blocks until the user quits. It
// must be called from the main goroutine.
func Run(deps control.Deps) error {
	if err := control.CheckDisplay(runtime.GOOS, os.Getenv); err != nil {
		return err
	}
	if !platform.SessionBusReachable() {
		return ErrNoSessionBus
	}
	path, err := appdata.PreferencesPath()
	if err != nil {
		return err
	}
	prefs := appdata.OpenPrefs(path)
	q := newUIQueue()
	defer q.stop()

	parent := deps.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	quit := make(chan struct{})
	var quitOnce sync.Once
	quitFn := func() { quitOnce.Do(func() { close(quit) }) }
	c := control.New(deps, control.Tray, prefs)
	var host *winhost.Client
	notes := &notifier{prefs: prefs, now: time.Now, send: func(n *fyne.Notification) {
		if err := platform.Notify(appdata.AppID, n.Title, n.Content, assets.AppIcon.Content()); errors.Is(err, platform.ErrNoNotify) {
			host.Notify(winhost.Notice{Title: n.Title, Body: n.Content})
		}
	}}
	notes.sendSignIn = func(n *fyne.Notification) bool {
		err := platform.NotifyAction(ctx, appdata.AppID, n.Title, n.Content, assets.AppIcon.Content(), "Sign in…",
			func() { q.do(func() { host.Open(view.SignIn.String()) }) })
		return err == nil
	}
	c.OnStatus = notes.observe
	// The usage monitor decided these (thresholds, resets, credit expiry),
	// with the switch, the mutes and the snooze already applied.
	c.OnUsageNote = func(n usage.Note) { notes.send(fyne.NewNotification(n.Title, n.Body)) }
	host = winhost.NewClient(deps.WindowHost, func(err error) {
		// No window can say it: the tray's own notification does.
		c.Say("The window could not open: " + err.Error())
		_ = platform.Notify(appdata.AppID, "Codex Tray could not open its window", err.Error(), assets.AppIcon.Content())
	})
	// A redeem in the window host reset the windows: read them now, so the
	// menu does not show the old usage until the next poll.
	host.OnEvent = func(name string) {
		if name == winhost.EventUsage {
			c.KickUsage()
		}
	}
	defer host.Close(5 * time.Second)
	open := func(w view.Window) { host.Open(w.String()) }
	t := &sysTray{actions: menuActionsOf(c, q, open, quitFn), q: q, icon: "\x00"}
	c.AddView(t.update)
	// A left click on the icon opens the chat. It must be set before the
	// tray item exists: the item says then whether it is only a menu.
	systray.SetOnTapped(func() { q.do(func() { open(view.Chat) }) })
	stopQuit := context.AfterFunc(parent, quitFn)
	defer stopQuit()

	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, func(w view.Window) { q.do(func() { open(w) }) }) }()
	go followPrefs(ctx, c, prefs) // ends with ctx
	ready := func() {
		q.do(func() {
			t.ready = true
			t.show(c.Snapshot())
		})
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		// Over D-Bus, systray calls onReady before it exports the item, and
		// an icon or tooltip set in between is lost; its start returns once
		// the item is exported.
		start, end := systray.RunWithExternalLoop(nil, nil)
		start()
		ready()
		<-quit
		end()
	default:
		go func() { <-quit; systray.Quit() }()
		systray.Run(ready, nil)
	}
	cancel()
	<-done
	return nil
}

// ErrNoSessionBus is returned by Run on Linux and the BSDs when there is no
// D-Bus session bus: the tray item, the keychain and notifications all
// live on it.
var ErrNoSessionBus = errors.New(`no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): the tray needs the desktop session's bus; use "codextray status" on the command line`)

// menuActionsOf are the menu's handlers, run on q: windows open in the
// window host.
func menuActionsOf(c *control.Controller, q *uiQueue, open func(view.Window), quit func()) menuActions {
	return menuActions{
		OpenChat: func() { open(view.Chat) }, Status: func() { open(view.Status) },
		Refresh: c.Refresh, Restore: c.Restore,
		// The sign-in window runs Codex's own sign-in; the terminal is its
		// fallback.
		SignIn: func() { open(view.SignIn) }, SignOut: func() { open(view.SignOut) },
		Settings: func() { open(view.Settings) }, ChooseModel: c.ChooseModel, Quit: quit,
	}
}

// followPrefs applies what the window host's Settings window (Fyne) wrote
// to the preferences, as they change on disk, until ctx ends.
func followPrefs(ctx context.Context, c *control.Controller, prefs *appdata.FilePrefs) {
	before := login.SettingsFrom(prefs)
	prefs.Follow(ctx, func() {
		c.PrefsChanged()
		if now := login.SettingsFrom(prefs); now != before {
			before = now
			c.SettingsChanged()
		}
	})
}

// uiQueue runs the tray process's UI work (menu changes, menu actions) one
// at a time, in order, on one goroutine: the tray's stand-in for fyne.Do.
type uiQueue struct {
	funcs chan func()
	quit  chan struct{}
}

func newUIQueue() *uiQueue {
	q := &uiQueue{funcs: make(chan func(), 256), quit: make(chan struct{})}
	go func() {
		for {
			select {
			case f := <-q.funcs:
				f()
			case <-q.quit:
				return
			}
		}
	}()
	return q
}

func (q *uiQueue) do(f func()) {
	select {
	case q.funcs <- f:
	case <-q.quit:
	}
}

func (q *uiQueue) stop() { close(q.quit) }
