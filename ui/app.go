// Package ui owns everything the user sees: the tray icon and its menu and
// the notifications (RunTray, the tray process, on fyne.io/systray alone),
// and the status, settings and chat windows (RunWindowHost, a Fyne app the
// tray starts on demand). It does no file, keychain or network I/O: core
// does that through Options, off the UI goroutine, and every result reaches
// the widgets through one seam per view (fyne.Do, or the tray's queue).
package ui

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/usage"
)

// AppID is the application ID, the same as in FyneApp.toml.
const AppID = appdata.AppID

// backendEvery is how often models and usage are fetched again while the
// app runs (the menu cannot tell when it is opened).
const backendEvery = 5 * time.Minute

// controller owns the current viewState and the goroutines that change it:
// the login watch, backend fetches and the user's actions. Views are
// rebuilt from snapshots, with changes coalesced through a channel of
// capacity one.
type controller struct {
	app   fyne.App // the window host's Fyne app; nil in the tray process
	prefs prefStore
	opts  Options
	now   func() time.Time
	ctx   context.Context // the app's lifetime; background work stops with it
	do    func(func())    // runs f on the UI goroutine
	quit  func()
	// remote, in the tray process, opens a window in the window host;
	// nil opens it here.
	remote func(what string)
	// host is the window host: the tray process sends the notifications
	// and keeps the mirror current, the host only shows.
	host     bool
	hostIdle func() // the host has no window open and nothing running

	mu            sync.Mutex
	state         viewState
	refreshFailed bool   // the last refresh of the current login failed
	loginKey      string // who is signed in, to refetch models and usage on a change

	rebuild         chan struct{} // capacity 1
	settingsChanged chan struct{} // capacity 1
	fetching        atomic.Bool

	notes    *notifier
	usage    *usage.Monitor // nil without Options.UsageMonitor; set once by startUsage
	views    []view
	status   *statusWindow
	settings *settingsWindow
	signIn   *signInWindow
	chat     fyne.Window // the placeholder until the chat window exists
	chatUp   bool        // the chat window is shown, or hidden mid-answer
}

// view is a window or the tray; update applies a state through the view's
// own fyne.Do seam.
type view interface{ update(viewState) }

func newController(a fyne.App, opts Options) *controller {
	c := newControllerWith(opts, a.Preferences(), fyne.Do, a.Quit, func(n *fyne.Notification) {
		fyne.Do(func() { a.SendNotification(n) })
	})
	c.app = a
	c.status = &statusWindow{c: c}
	c.settings = &settingsWindow{c: c}
	c.signIn = &signInWindow{app: a, closed: c.windowClosed}
	c.views = append(c.views, c.status, c.settings)
	return c
}

// newControllerWith is the controller without windows (the tray process
// adds its tray view, newController the windows).
func newControllerWith(opts Options, prefs prefStore, do func(func()), quit func(), send func(*fyne.Notification)) *controller {
	c := &controller{
		prefs: prefs, opts: opts, now: time.Now, ctx: context.Background(), do: do, quit: quit,
		rebuild: make(chan struct{}, 1), settingsChanged: make(chan struct{}, 1),
	}
	c.notes = &notifier{prefs: c.prefs, now: c.now, send: send}
	c.state = viewState{
		Now: c.now(), ChosenModel: c.prefs.String(appdata.PrefDefaultModel),
		SnoozedUntil: c.notes.snoozedUntil(), NotificationsOn: c.prefs.BoolWithFallback(appdata.PrefNotifications, true),
		HasBackend: opts.Backend != nil, HasLogin: opts.Login != nil,
	}
	return c
}

// settingsFrom reads the login settings the Settings window stores.
func settingsFrom(p prefStore) login.Settings {
	hours := func(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }
	return login.Settings{
		Reminder:       hours(p.FloatWithFallback(appdata.PrefReminderHours, 24)),
		MirrorEnabled:  p.BoolWithFallback(appdata.PrefMirrorEnabled, true),
		MaintainMirror: true,
		KeepAlive:      hours(p.FloatWithFallback(appdata.PrefKeepAliveHours, 0)),
	}
}

// run follows the login and the clock until ctx ends.
func (c *controller) run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); c.render(ctx) }()
	c.startUsage(ctx, func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() })

	statuses, stopWatch := c.watch(ctx, &wg)
	defer func() { stopWatch() }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	poll := time.NewTicker(backendEvery)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case st, ok := <-statuses:
			if !ok {
				statuses = nil
				continue
			}
			c.onStatus(st)
		case <-c.settingsChanged:
			stopWatch()
			statuses, stopWatch = c.watch(ctx, &wg)
		case r, ok := <-c.opts.Requests:
			if !ok {
				c.opts.Requests = nil
				continue
			}
			c.do(func() { c.open(r) })
		case <-tick.C:
			c.update(func(v *viewState) { v.Now = c.now() })
		case <-poll.C:
			c.fetchBackend()
		}
	}
}

// watch starts Options.Watch with the current settings; stop ends it.
func (c *controller) watch(ctx context.Context, wg *sync.WaitGroup) (<-chan auth.Status, func()) {
	if c.opts.Watch == nil {
		return nil, func() {}
	}
	wctx, stop := context.WithCancel(ctx)
	out := make(chan auth.Status)
	set := settingsFrom(c.prefs)
	if c.host {
		// The tray process keeps the mirror and the keep-alive.
		set.MaintainMirror, set.KeepAlive = false, 0
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = c.opts.Watch(wctx, set, out) }()
	return out, stop
}

// render applies the latest state to every view each time it changes.
func (c *controller) render(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.rebuild:
			v := c.snapshot()
			for _, vw := range c.views {
				vw.update(v)
			}
		}
	}
}

func (c *controller) snapshot() viewState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// update changes the state and asks for a rebuild; changes made before the
// rebuild runs are coalesced into it.
func (c *controller) update(f func(*viewState)) {
	c.mu.Lock()
	f(&c.state)
	c.mu.Unlock()
	select {
	case c.rebuild <- struct{}{}:
	default:
	}
}

// onStatus takes a new login status from the watch.
func (c *controller) onStatus(st auth.Status) {
	key := st.Mode + "|" + st.AccountID + "|" + st.APIKey
	var changedLogin, signedIn, failed bool
	c.update(func(v *viewState) {
		v.Status, v.HaveStatus, v.Now = st, true, c.now()
		signedIn = v.signedIn()
		if !signedIn {
			v.Usage, v.UsageErr = nil, ""
		}
		if st.State != auth.StateLoggedOut && st.State != auth.StateError {
			v.RestoreReason = ""
		}
		if st.State == auth.StateValid || st.State == auth.StateExpiring {
			c.refreshFailed = false // a fresh token ends any failure
		}
		changedLogin = key != c.loginKey
		c.loginKey = key
		failed = c.refreshFailed
	})
	if !c.host {
		c.notes.observe(st, failed)
	}
	if signedIn && changedLogin {
		c.fetchBackend()
		if m := c.usageMonitor(); m != nil {
			m.Kick()
		}
	}
	if (st.State == auth.StateLoggedOut || st.State == auth.StateError) && c.opts.Login != nil {
		go c.checkRestore()
	}
}

// fetchBackend fetches models and usage in the background, one fetch at a
// time.
func (c *controller) fetchBackend() {
	if c.opts.Backend == nil || !c.fetching.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.fetching.Store(false)
		ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
		defer cancel()
		models, merr := c.opts.Backend.Models(ctx)
		var usage Usage
		var uerr error
		switch {
		case c.usageMonitor() != nil:
			uerr = errUsageByMonitor
		case c.snapshot().Status.Mode == "chatgpt":
			usage, uerr = c.opts.Backend.Usage(ctx)
		default:
			uerr = errNoUsage
		}
		c.update(func(v *viewState) {
			if merr == nil {
				v.Models = &models
			}
			switch {
			case uerr == nil:
				v.Usage, v.UsageErr = &usage, ""
			case errors.Is(uerr, errUsageByMonitor):
			case errors.Is(uerr, errNoUsage):
				v.Usage, v.UsageErr = nil, ""
			default:
				v.UsageErr = uerr.Error()
			}
		})
	}()
}

var errNoUsage = errors.New("no usage windows for this login")

// errUsageByMonitor: the usage monitor reads the usage, on its schedule.
var errUsageByMonitor = errors.New("usage is read by the usage monitor")

func (c *controller) checkRestore() {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	reason, ok, err := c.opts.Login.RestoreOffer(ctx)
	c.update(func(v *viewState) {
		v.RestoreReason = ""
		if ok && err == nil {
			v.RestoreReason = reason
		}
	})
}

// The actions below run on the UI goroutine and do their work off it.

func (c *controller) menuActions() menuActions {
	return menuActions{
		OpenChat: c.openChat, Status: func() { c.open("status") }, Refresh: c.onRefresh, Restore: c.onRestore,
		SignIn: c.onSignIn, Settings: func() { c.open("settings") }, ChooseModel: c.chooseModel, Quit: c.quit,
	}
}

func (c *controller) onRefresh() {
	if c.opts.Login == nil {
		return
	}
	c.runAction("Refreshing…", func(ctx context.Context) (string, error) {
		msg, err := c.opts.Login.Refresh(ctx)
		if err != nil {
			return "", errors.New("Refresh failed: " + err.Error())
		}
		return msg, nil
	}, func(err error) {
		c.mu.Lock()
		c.refreshFailed = err != nil
		st := c.state.Status
		c.mu.Unlock()
		c.notes.observe(st, err != nil)
		if err == nil {
			c.fetchBackend()
		}
	})
}

func (c *controller) onRestore() {
	if c.opts.Login == nil {
		return
	}
	c.runAction("Restoring the login…", func(ctx context.Context) (string, error) {
		msg, err := c.opts.Login.Restore(ctx)
		if err != nil {
			return "", errors.New("Restore failed: " + err.Error())
		}
		return msg, nil
	}, nil)
}

// runAction runs do off the UI goroutine with busy shown meanwhile, then
// shows its sentence and calls after (off the UI goroutine too).
func (c *controller) runAction(busy string, do func(context.Context) (string, error), after func(error)) {
	if c.snapshot().Busy != "" {
		return
	}
	c.update(func(v *viewState) { v.Busy = busy })
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
		defer cancel()
		msg, err := do(ctx)
		if err != nil {
			msg = err.Error()
		}
		c.update(func(v *viewState) { v.Busy, v.LastAction = "", msg })
		if after != nil {
			after(err)
		}
	}()
}

func (c *controller) onSignIn() {
	if c.opts.SignIn == nil {
		c.open("signin")
		return
	}
	go func() {
		if err := c.opts.SignIn(); err != nil {
			c.do(func() { c.open("signin") })
			return
		}
		c.update(func(v *viewState) { v.LastAction = "Opened a terminal running “codex login”." })
	}()
}

func (c *controller) chooseModel(slug string) {
	c.prefs.SetString(appdata.PrefDefaultModel, slug)
	c.update(func(v *viewState) { v.ChosenModel = slug })
}

// readStartAtLogin reads the OS entry; off the UI goroutine.
func (c *controller) readStartAtLogin(sal StartAtLogin) {
	on, err := sal.Enabled()
	c.update(func(v *viewState) {
		v.StartAtLogin = &on
		if err != nil {
			v.LastAction = "Start at login: " + err.Error()
		}
	})
}

// setStartAtLogin switches the OS entry; off the UI goroutine.
func (c *controller) setStartAtLogin(on bool) {
	sal := c.opts.StartAtLogin
	if err := sal.SetEnabled(on); err != nil {
		c.update(func(v *viewState) { v.LastAction = "Start at login: " + err.Error() })
	}
	c.readStartAtLogin(sal)
}

// snooze holds reminders back for d (zero resumes them).
func (c *controller) snooze(d time.Duration) {
	c.notes.snooze(d)
	until := c.notes.snoozedUntil()
	c.update(func(v *viewState) { v.SnoozedUntil = until })
}

// onSettingsChanged restarts the login watch with the new settings.
func (c *controller) onSettingsChanged() {
	select {
	case c.settingsChanged <- struct{}{}:
	default:
	}
}

// open shows a window: "chat", "status", "settings" or "signin"; in the
// tray process, in the window host. UI goroutine.
func (c *controller) open(what string) {
	if what == "" {
		what = "chat" // a second plain start
	}
	if c.remote != nil {
		c.remote(what)
		return
	}
	switch what {
	case "status":
		c.status.open()
	case "settings":
		c.settings.open()
	case "signin":
		c.signIn.open()
	default:
		c.openChat()
	}
}

func (c *controller) openChat() {
	if c.remote != nil {
		c.remote("chat")
		return
	}
	c.chatUp = true
	if c.opts.OpenChat != nil {
		c.opts.OpenChat(c.chatHidden)
		return
	}
	if c.chat == nil {
		c.chat = newChatPlaceholder(c.app, func() { c.chat = nil; c.chatHidden() })
	}
	c.chat.Show()
	c.chat.RequestFocus()
}

// chatHidden is called when the chat window was hidden and has no answer
// streaming; UI goroutine.
func (c *controller) chatHidden() {
	c.chatUp = false
	c.windowClosed()
}

// windowClosed tells the window host's owner when no window is left open;
// UI goroutine.
func (c *controller) windowClosed() {
	if c.hostIdle == nil || c.chatUp || c.status.win != nil || c.settings.win != nil || c.signIn.win != nil {
		return
	}
	c.hostIdle()
}

// checkDisplay reports ErrNoDisplay on the X11/Wayland platforms when neither
// DISPLAY nor WAYLAND_DISPLAY is set; Fyne would otherwise fail deep in GLFW.
func checkDisplay(goos string, env func(string) string) error {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		if env("DISPLAY") == "" && env("WAYLAND_DISPLAY") == "" {
			return ErrNoDisplay
		}
	}
	return nil
}
