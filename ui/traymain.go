package ui

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
	"github.com/codextray/codextray/core/platform"
	"github.com/codextray/codextray/core/winhost"
)

// RunTray runs the tray item and its menu, and blocks until the user quits.
// It must be called from the main goroutine. The tray process uses
// fyne.io/systray alone, without a Fyne app: no GL context, no event loop
// ticking while it idles. Its windows open in the window host
// (RunWindowHost), a child process Options.WindowHost starts on demand.
func RunTray(opts Options) error {
	if err := checkDisplay(runtime.GOOS, os.Getenv); err != nil {
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

	parent := opts.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	quit := make(chan struct{})
	var quitOnce sync.Once
	quitFn := func() { quitOnce.Do(func() { close(quit) }) }
	var host *winhost.Client
	c := newControllerWith(opts, prefs, q.do, quitFn, func(n *fyne.Notification) {
		if err := platform.Notify(AppID, n.Title, n.Content, assets.AppIcon.Content()); errors.Is(err, platform.ErrNoNotify) {
			host.Notify(winhost.Notice{Title: n.Title, Body: n.Content})
		}
	})
	c.ctx = ctx
	c.notes.sendSignIn = func(n *fyne.Notification) bool {
		err := platform.NotifyAction(ctx, AppID, n.Title, n.Content, assets.AppIcon.Content(), "Sign in…",
			func() { q.do(c.onSignIn) })
		return err == nil
	}
	host = winhost.NewClient(opts.WindowHost, func(err error) {
		// No window can say it: the tray's own notification does.
		msg := "The window could not open: " + err.Error()
		c.update(func(v *viewState) { v.LastAction = msg })
		_ = platform.Notify(AppID, "Codex Tray could not open its window", err.Error(), assets.AppIcon.Content())
	})
	defer host.Close(5 * time.Second)
	c.remote = host.Open
	t := &sysTray{actions: c.menuActions(), q: q, icon: "\x00"}
	c.views = append(c.views, t)
	// A left click on the icon opens the chat. It must be set before the
	// tray item exists: the item says then whether it is only a menu.
	systray.SetOnTapped(func() { q.do(c.openChat) })
	stopQuit := context.AfterFunc(parent, quitFn)
	defer stopQuit()

	done := make(chan struct{})
	go func() { defer close(done); c.run(ctx) }()
	go c.followPrefs(ctx, prefs)
	ready := func() {
		q.do(func() {
			t.ready = true
			t.show(c.snapshot())
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

// ErrNoSessionBus is returned by RunTray on Linux and the BSDs when there is
// no D-Bus session bus: the tray item, the keychain and notifications all
// live on it.
var ErrNoSessionBus = errors.New(`no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set): the tray needs the desktop session's bus; use "codextray status" on the command line`)

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

// followPrefs applies what the window host's Settings window (Fyne) wrote
// to the preferences, as they change on disk.
func (c *controller) followPrefs(ctx context.Context, prefs *appdata.FilePrefs) {
	before := settingsFrom(c.prefs)
	prefs.Follow(ctx, func() {
		c.update(func(v *viewState) {
			v.ChosenModel = c.prefs.String(appdata.PrefDefaultModel)
			v.NotificationsOn = c.prefs.BoolWithFallback(appdata.PrefNotifications, true)
			v.SnoozedUntil = c.notes.snoozedUntil()
		})
		if now := settingsFrom(c.prefs); now != before {
			before = now
			c.onSettingsChanged()
		}
	})
}

// sysTray is the tray item through fyne.io/systray: its icon, tooltip and
// menu are a function of one viewState. It runs on the uiQueue.
type sysTray struct {
	actions menuActions
	q       *uiQueue
	ready   bool   // systray has started
	key     string // what the menu shows now (menuKey)
	icon    string
	tooltip string
}

func (t *sysTray) update(v viewState) {
	t.q.do(func() {
		if t.ready {
			t.show(v)
		}
	})
}

// show rebuilds the menu from v when what it shows changed, and sets the
// icon and tooltip.
func (t *sysTray) show(v viewState) {
	m := trayMenu(v, t.actions)
	if k := menuKey(m); k != t.key {
		t.key = k
		systray.ResetMenu()
		t.addItems(m, nil)
	}
	icon := string(v.Status.State)
	if !v.HaveStatus {
		icon = ""
	}
	if icon != t.icon {
		t.icon = icon
		switch {
		case runtime.GOOS == "darwin" && icon != "":
			// A template image, tinted by the menu bar for light and dark.
			tpl := assets.TrayTemplateIcon(icon)
			systray.SetTemplateIcon(tpl, tpl)
		case icon == "":
			systray.SetIcon(osIcon(assets.AppIcon.Content()))
		default:
			systray.SetIcon(osIcon(assets.TrayIcon(icon).Content()))
		}
	}
	if tip := tooltip(v); tip != t.tooltip {
		t.tooltip = tip
		systray.SetTooltip(tip)
	}
}

// addItems adds m's items to the tray menu, under parent when not nil.
func (t *sysTray) addItems(m *fyne.Menu, parent *systray.MenuItem) {
	for _, it := range m.Items {
		if it.IsSeparator {
			if parent != nil {
				parent.AddSeparator()
			} else {
				systray.AddSeparator()
			}
			continue
		}
		var item *systray.MenuItem
		switch {
		case parent != nil && it.Checked:
			item = parent.AddSubMenuItemCheckbox(it.Label, "", true)
		case parent != nil:
			item = parent.AddSubMenuItem(it.Label, "")
		case it.Checked:
			item = systray.AddMenuItemCheckbox(it.Label, "", true)
		default:
			item = systray.AddMenuItem(it.Label, "")
		}
		if it.Disabled {
			item.Disable()
		}
		if it.ChildMenu != nil {
			t.addItems(it.ChildMenu, item)
		}
		if act := it.Action; act != nil {
			go func() {
				// Closed when a rebuild removes the item.
				for range item.ClickedCh {
					t.q.do(act)
				}
			}()
		}
	}
}

var osIconOnce sync.Map // PNG → the OS's tray format, converted once

// osIcon is a PNG in the format the OS's tray takes: ICO on Windows (a PNG
// inside an ICO header), the PNG itself elsewhere.
func osIcon(png []byte) []byte {
	if runtime.GOOS != "windows" {
		return png
	}
	if ico, ok := osIconOnce.Load(string(png)); ok {
		return ico.([]byte)
	}
	ico := pngICO(png)
	osIconOnce.Store(string(png), ico)
	return ico
}

// pngICO wraps a PNG in a one-image ICO file (Windows Vista and later read
// PNG-compressed entries; a width and height of 0 mean 256 or more).
func pngICO(png []byte) []byte {
	w, h := 0, 0
	if len(png) >= 24 {
		w = int(png[16])<<24 | int(png[17])<<16 | int(png[18])<<8 | int(png[19])
		h = int(png[20])<<24 | int(png[21])<<16 | int(png[22])<<8 | int(png[23])
	}
	dim := func(n int) byte {
		if n <= 0 || n >= 256 {
			return 0
		}
		return byte(n)
	}
	n := len(png)
	hdr := []byte{
		0, 0, 1, 0, 1, 0, // reserved, type 1 (icon), one image
		dim(w), dim(h), 0, 0, 1, 0, 32, 0, // size, no palette, 1 plane, 32 bpp
		byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24),
		22, 0, 0, 0, // the image starts after this 22-byte header
	}
	return append(hdr, png...)
}
