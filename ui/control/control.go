// Package control owns the State of one process (the tray process or the
// window host) and the goroutines that change it: the login watch, the
// backend fetches and the user's actions on the login. Each process builds
// one Controller and draws every view it has from its snapshots; it does
// no I/O itself (the Deps do, off the UI goroutine) and never imports Fyne.
package control

import (
	"context"
	"errors"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/appserver"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/core/textfmt"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/view"
)

// backendEvery is how often models and usage are fetched again while the
// app runs (the menu cannot tell when it is opened).
const backendEvery = 5 * time.Minute

// Deps are the core services a process's views use, built once per
// process by the program's wiring. Everything that does I/O is here; the
// controller calls it off the UI goroutine.
type Deps struct {
	// Context ends the process when it is done (on SIGTERM); nil never does.
	Context context.Context

	// Version is the program's version, for display and diagnostics.
	Version string

	// Watch sends the login status at once and again at every change until
	// ctx ends, then closes out (login.Service.Watch). The controller starts
	// it with the settings from the preferences and restarts it when they
	// change.
	Watch func(ctx context.Context, set login.Settings, out chan<- auth.Status) error

	// Backend lists models and usage windows; nil hides them.
	Backend Backend
	// UsageMonitor returns the process's usage monitor (core/usage) with
	// its Source and Store set, the same one on every call; the controller
	// sets its callbacks and runs it. Nil: usage comes from Backend alone,
	// without pace, history, credits or usage notifications.
	UsageMonitor func() *usage.Monitor
	// Login runs the user's actions on the login; nil disables them.
	Login LoginActions

	// SignIn opens a terminal running `codex login`: the sign-in window's
	// fallback; when nil or when it fails, the command is shown instead.
	SignIn func() error

	// Codex runs Codex's own sign-in and sign-out (codex app-server) for
	// the sign-in window and "Sign out…"; nil: the window offers only the
	// terminal.
	Codex CodexAccount

	// StartAtLogin reads and switches starting the app at login; nil hides
	// the setting.
	StartAtLogin StartAtLogin

	// Requests are windows to open, handed over by later starts of the
	// program (tray process only).
	Requests <-chan view.Window

	// WindowHost, in the tray process, makes the command that starts the
	// window host; windows cannot open when nil.
	WindowHost func() *exec.Cmd

	// Format writes times and windows in the user's locale; the zero
	// Format is 24 h in local time.
	Format textfmt.Format
}

// CodexAccount signs Codex in and out through Codex itself (login.Service).
type CodexAccount interface {
	SignIn(ctx context.Context, flow appserver.Flow) (*appserver.SignIn, error)
	SignOut(ctx context.Context) error
}

// Backend is what the views need from the backend (core/provider).
type Backend interface {
	Models(ctx context.Context) (view.ModelList, error)
	Usage(ctx context.Context) (view.Usage, error)
}

// LoginActions are the user's commands on the login (core/login's
// use-cases). Each returns one sentence for the user.
type LoginActions interface {
	// Refresh refreshes the tokens now.
	Refresh(ctx context.Context) (string, error)
	// RestoreOffer says whether the keychain mirror can give back a lost
	// login, and why it is needed.
	RestoreOffer(ctx context.Context) (reason string, ok bool, err error)
	// Restore writes the mirrored login back to auth.json.
	Restore(ctx context.Context) (string, error)
}

// StartAtLogin is the OS's start-at-login entry for the app (core/autostart).
type StartAtLogin interface {
	Enabled() (bool, error)
	SetEnabled(on bool) error
}

// Prefs is the part of fyne.Preferences the controller uses. The window
// host passes Fyne's own preferences; the tray process, which runs no Fyne
// app, an appdata.FilePrefs on the same file.
type Prefs interface {
	String(key string) string
	SetString(key, value string)
	BoolWithFallback(key string, fallback bool) bool
	SetBool(key string, value bool)
	FloatWithFallback(key string, fallback float64) float64
	SetFloat(key string, value float64)
	RemoveValue(key string)
}

// Role says which process a controller serves.
type Role int

const (
	// Tray is the tray process: it keeps the keychain mirror and the
	// keep-alive and sends the notifications.
	Tray Role = iota
	// Host is the window host: it only shows.
	Host
)

// Controller owns the current State and the goroutines that change it.
// Views are drawn from snapshots; changes are coalesced through a channel
// of capacity one (as tailscale's tray rebuilds its menu).
type Controller struct {
	deps  Deps
	role  Role
	prefs Prefs
	now   func() time.Time
	ctx   context.Context // Deps.Context: background work stops with it

	// OnStatus, when set, sees every status with whether the last refresh
	// of the login failed (the tray's notifier); Run's goroutine.
	OnStatus func(st auth.Status, refreshFailed bool)
	// OnUsageNote, when set, shows a usage notification the monitor
	// decided (the tray's notifier); the monitor's goroutine.
	OnUsageNote func(usage.Note)
	// OnRedeemed, when set, hears that a reset credit was redeemed here
	// (the window host tells the tray, whose monitor reads again); the
	// redeeming goroutine.
	OnRedeemed func()

	mu            sync.Mutex
	state         view.State
	refreshFailed bool   // the last refresh of the current login failed
	loginKey      string // who is signed in, to refetch models and usage on a change
	views         []func(view.State)
	usage         *usage.Monitor // set once by startUsage; nil without one

	rebuild         chan struct{} // capacity 1
	settingsChanged chan struct{} // capacity 1
	fetching        atomic.Bool
}

// New is the controller of a process with role, on prefs.
func New(deps Deps, role Role, prefs Prefs) *Controller {
	ctx := deps.Context
	if ctx == nil {
		ctx = context.Background()
	}
	c := &Controller{
		deps: deps, role: role, prefs: prefs, now: time.Now, ctx: ctx,
		rebuild: make(chan struct{}, 1), settingsChanged: make(chan struct{}, 1),
	}
	c.state = view.State{
		Now: c.now(), Format: deps.Format, ChosenModel: prefs.String(appdata.PrefDefaultModel),
		SnoozedUntil: SnoozedUntil(prefs), NotificationsOn: prefs.BoolWithFallback(appdata.PrefNotifications, true),
		HasBackend: deps.Backend != nil, HasLogin: deps.Login != nil, HasCodex: deps.Codex != nil,
	}
	return c
}

// Deps are the services the controller was built with.
func (c *Controller) Deps() Deps { return c.deps }

// Prefs are the preferences the controller reads and writes.
func (c *Controller) Prefs() Prefs { return c.prefs }

// AddView adds a view; show is called with every new State on the render
// goroutine and applies it through the view's own UI seam. Call before Run.
func (c *Controller) AddView(show func(view.State)) { c.views = append(c.views, show) }

// Run follows the login, the clock, the backend and the requests until ctx
// ends; it owns the watch and the render goroutines and returns after they
// end. Requests are handed to open, on Run's goroutine.
func (c *Controller) Run(ctx context.Context, open func(view.Window)) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); c.render(ctx) }()
	c.startUsage(ctx, func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() })

	statuses, stopWatch := c.watch(ctx, &wg)
	defer func() { stopWatch() }()
	tick := time.NewTimer(c.clockDue())
	defer tick.Stop()
	poll := time.NewTicker(backendEvery)
	defer poll.Stop()
	requests := c.deps.Requests
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
			tick.Reset(c.clockDue()) // a new expiry counts down on its own minutes
		case <-c.settingsChanged:
			stopWatch()
			statuses, stopWatch = c.watch(ctx, &wg)
		case w, ok := <-requests:
			if !ok {
				requests = nil
				continue
			}
			open(w)
		case <-tick.C:
			c.Update(func(v *view.State) { v.Now = c.now() })
			tick.Reset(c.clockDue())
		case <-poll.C:
			c.FetchBackend()
		}
	}
}

// clockDue is when the views next need the clock. The window host's
// windows count seconds ("12 s ago"), so it reads the clock each second;
// the tray only when one of its lines would change (view.TrayClockDue),
// which with the token days from expiry is once a minute.
func (c *Controller) clockDue() time.Duration {
	if c.role == Host {
		return time.Second
	}
	v := c.Snapshot()
	v.Now = c.now()
	return view.TrayClockDue(v)
}

// watch starts Deps.Watch with the current settings; stop ends it.
func (c *Controller) watch(ctx context.Context, wg *sync.WaitGroup) (<-chan auth.Status, func()) {
	if c.deps.Watch == nil {
		return nil, func() {}
	}
	wctx, stop := context.WithCancel(ctx)
	out := make(chan auth.Status)
	set := login.SettingsFrom(c.prefs)
	if c.role == Host {
		// The tray process keeps the mirror and the keep-alive.
		set.MaintainMirror, set.KeepAlive = false, 0
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = c.deps.Watch(wctx, set, out) }()
	return out, stop
}

// render applies the latest state to every view each time it changes.
func (c *Controller) render(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.rebuild:
			v := c.Snapshot()
			for _, show := range c.views {
				show(v)
			}
		}
	}
}

// Snapshot is the current State.
func (c *Controller) Snapshot() view.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Update changes the state and asks for a rebuild; changes made before the
// rebuild runs are coalesced into it. Any goroutine.
func (c *Controller) Update(f func(*view.State)) {
	c.mu.Lock()
	f(&c.state)
	c.mu.Unlock()
	select {
	case c.rebuild <- struct{}{}:
	default:
	}
}

// Rebuilt is signalled when a rebuild is asked for; for tests that wait on
// a change without a view.
func (c *Controller) Rebuilt() <-chan struct{} { return c.rebuild }

// onStatus takes a new login status from the watch.
func (c *Controller) onStatus(st auth.Status) {
	key := string(st.Mode) + "|" + st.AccountID + "|" + st.APIKey
	var changedLogin, signedIn, failed bool
	c.Update(func(v *view.State) {
		v.Status, v.HaveStatus, v.Now = st, true, c.now()
		signedIn = v.SignedIn()
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
	if c.OnStatus != nil {
		c.OnStatus(st, failed)
	}
	if signedIn && changedLogin {
		c.FetchBackend()
		if m := c.UsageMonitor(); m != nil {
			m.Kick()
		}
	}
	if (st.State == auth.StateLoggedOut || st.State == auth.StateError) && c.deps.Login != nil {
		go c.checkRestore() // ends with c.ctx (30 s at most)
	}
}

// FetchBackend fetches models and usage in the background, one fetch at a
// time; the fetch ends with the process's context, within a minute.
func (c *Controller) FetchBackend() {
	if c.deps.Backend == nil || !c.fetching.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.fetching.Store(false)
		ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
		defer cancel()
		models, merr := c.deps.Backend.Models(ctx)
		var usage view.Usage
		var uerr error
		switch {
		case c.UsageMonitor() != nil:
			uerr = errUsageByMonitor
		case auth.Mode(c.Snapshot().Status.Mode) == auth.ModeChatGPT:
			usage, uerr = c.deps.Backend.Usage(ctx)
		default:
			uerr = errNoUsage
		}
		c.Update(func(v *view.State) {
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

func (c *Controller) checkRestore() {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	reason, ok, err := c.deps.Login.RestoreOffer(ctx)
	c.Update(func(v *view.State) {
		v.RestoreReason = ""
		if ok && err == nil {
			v.RestoreReason = reason
		}
	})
}

// ErrNoDisplay is returned by the tray and the window host when there is no
// graphical session to show a tray in.
var ErrNoDisplay = errors.New(`no display found: the tray needs a graphical session; use "codextray status" on the command line`)

// CheckDisplay reports ErrNoDisplay on the X11/Wayland platforms when
// neither DISPLAY nor WAYLAND_DISPLAY is set; Fyne would otherwise fail
// deep in GLFW.
func CheckDisplay(goos string, env func(string) string) error {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		if env("DISPLAY") == "" && env("WAYLAND_DISPLAY") == "" {
			return ErrNoDisplay
		}
	}
	return nil
}
