// Package host is the window host: a Fyne app the tray process starts on
// demand (`--window-host`) that shows the status, settings and sign-in
// windows and the chat, all drawn from one controller's State, and exits
// when no window is left open. It reads the tray's requests from stdin
// (core/winhost) and does no I/O of its own.
package host

import (
	"context"
	"io"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/codextray/codextray/assets"
	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/winhost"
	"github.com/codextray/codextray/ui/chatwin"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view"
)

// notifyLinger is how long a window host with nothing open stays after it
// showed a notification.
const notifyLinger = 5 * time.Second

// Host is the window host's windows and the rule for when it exits. Its
// fields are used on the UI goroutine only.
type Host struct {
	app  fyne.App
	ctx  context.Context // the process's: a sign-in ends with it
	c    *control.Controller
	chat chatwin.Deps
	idle func() // no window is open and nothing is running: exit

	status   *statusWindow
	settings *settingsWindow
	signIn   *signInWindow
	signOut  *signOutWindow
	chatWin  *chatwin.Window // nil until first opened
	chatUp   bool            // the chat is shown, or hidden mid-answer
}

// New is the window host on the Fyne app a, with the services of deps
// and the chat's own (history, images, streaming).
func New(a fyne.App, deps control.Deps, chat chatwin.Deps) *Host {
	h := &Host{app: a, ctx: context.Background(), c: control.New(deps, control.Host, a.Preferences()), chat: chat}
	if deps.Context != nil {
		h.ctx = deps.Context
	}
	if deps.UsageMonitor != nil && h.chat.Usage == nil {
		h.chat.Usage = h.c // the chat's redeem offer and streaming go to this host's monitor
	}
	h.status = &statusWindow{h: h}
	h.settings = &settingsWindow{h: h}
	h.signIn = &signInWindow{h: h}
	h.signOut = &signOutWindow{h: h}
	if deps.Codex != nil {
		// The chat's "Sign in again" opens the sign-in window too.
		h.chat.SignIn = func() error { fyne.Do(h.signIn.open); return nil }
	}
	// One seam for every window: each new State reaches them on the UI
	// goroutine; the chat takes it into its own state and draws at its pace.
	h.c.AddView(func(v view.State) { fyne.Do(func() { h.show(v) }) })
	return h
}

// Run runs the window host for the tray process that started it: it reads
// the tray's requests from in, answers on out, and returns when no window
// is left open or in ends. It must be called from the main goroutine.
func Run(deps control.Deps, chat chatwin.Deps, in io.Reader, out io.Writer) error {
	if err := control.CheckDisplay(runtime.GOOS, os.Getenv); err != nil {
		return err
	}
	a := app.NewWithID(appdata.AppID)
	a.SetIcon(assets.AppIcon)
	h := New(a, deps, chat)
	h.idle = func() {
		a.Quit()
		// Fyne 2.7.1 can hang in its own shutdown: the preferences' stop
		// hook is queued while the event loop drains and is never run, and
		// Run never returns (seen as a window host that outlives its last
		// window). Preferences are saved within a second of each change, so
		// a host still here 5 s after quitting ends itself.
		time.AfterFunc(5*time.Second, func() { os.Exit(0) })
	}

	parent := deps.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	h.ctx = ctx // a sign-in's app-server ends with the host
	stopQuit := context.AfterFunc(parent, func() { fyne.Do(a.Quit) })
	defer stopQuit()
	srv := winhost.NewServer(out)
	// A redeem here reset the windows: the tray reads them again at once.
	h.c.OnRedeemed = func() { srv.Event(winhost.EventUsage) }
	served := make(chan struct{})
	go func() { // ends when the tray closes the pipe
		defer close(served)
		_ = srv.Serve(in, func(r winhost.Request, done func()) {
			fyne.Do(func() { h.serve(r); done() })
		})
		fyne.Do(a.Quit) // the tray has quit
	}()
	ran := make(chan struct{})
	go func() { defer close(ran); h.c.Run(ctx, func(w view.Window) { fyne.Do(func() { h.Open(w) }) }) }()
	a.Run()
	cancel()
	h.signIn.shutdown() // the context ended the sign-ins: wait for their app-servers
	<-ran
	return nil
}

// serve carries out one request of the tray; UI goroutine.
func (h *Host) serve(r winhost.Request) {
	switch {
	case r.Notify != nil:
		h.app.SendNotification(fyne.NewNotification(r.Notify.Title, r.Notify.Body))
		// Fyne hands the notification to the OS in the background
		// (PowerShell on Windows): give it time before the host goes, if
		// nothing else is open then.
		time.AfterFunc(notifyLinger, func() { fyne.Do(h.windowClosed) })
	case r.Open != "":
		w, _ := view.ParseWindow(r.Open)
		h.Open(w)
	}
}

// Open shows a window; UI goroutine.
func (h *Host) Open(w view.Window) {
	switch w {
	case view.Status:
		h.status.open()
	case view.Settings:
		h.settings.open()
	case view.SignIn:
		h.signIn.open()
	case view.SignOut:
		h.signOut.open()
	default:
		h.openChat()
	}
}

func (h *Host) openChat() {
	if h.chatWin == nil {
		h.chatWin = chatwin.New(h.app, h.chat)
		h.chatWin.OnHidden(h.chatHidden)
		h.chatWin.Update(h.c.Snapshot())
	}
	h.chatUp = true
	h.chatWin.Show()
}

// show applies a State to the open windows; UI goroutine.
func (h *Host) show(v view.State) {
	if h.status.win != nil {
		h.status.show(v)
	}
	if h.settings.win != nil {
		h.settings.show(v)
	}
	if h.chatWin != nil {
		h.chatWin.Update(v)
	}
}

// onSignIn opens the sign-in window, which runs Codex's own sign-in and
// keeps the terminal as its fallback; UI goroutine.
func (h *Host) onSignIn() { h.signIn.open() }

// chatHidden is called when the chat window was hidden and has no answer
// streaming; UI goroutine.
func (h *Host) chatHidden() {
	h.chatUp = false
	h.windowClosed()
}

// windowClosed ends the window host when no window is left open and the
// chat streams nothing; UI goroutine.
func (h *Host) windowClosed() {
	if h.idle == nil || h.chatUp || h.status.win != nil || h.settings.win != nil || h.signIn.busy() || h.signOut.win != nil {
		return
	}
	h.idle()
}

// openWindow shows the window in *win, building it on first use: its
// content from build, filled by show before it is sized to its rows. When
// closed, *win is nil again and the host may exit. UI goroutine.
func (h *Host) openWindow(win *fyne.Window, title string, width float32, build func() fyne.CanvasObject, show func(view.State)) {
	if *win == nil {
		w := h.app.NewWindow(title)
		*win = w
		content := build()
		show(h.c.Snapshot()) // first, so the window is sized to the rows
		w.SetContent(content)
		w.Resize(fyne.NewSize(width, content.MinSize().Height))
		w.SetOnClosed(func() { *win = nil; h.windowClosed() })
	} else {
		show(h.c.Snapshot())
	}
	(*win).Show()
	(*win).RequestFocus()
}
