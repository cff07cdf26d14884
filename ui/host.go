package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/codextray/codextray/assets"
	"github.com/codextray/codextray/core/winhost"
)

// RunWindowHost runs the app's windows for the tray process (RunTray): it
// reads the tray's requests from in, answers on out, and returns when no
// window is left open or in ends. It must be called from the main
// goroutine.
func RunWindowHost(opts Options, in io.Reader, out io.Writer) error {
	if err := checkDisplay(runtime.GOOS, os.Getenv); err != nil {
		return err
	}
	a := app.NewWithID(AppID)
	a.SetIcon(assets.AppIcon)
	c := newController(a, opts)
	c.host = true
	c.hostIdle = a.Quit

	parent := opts.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	c.ctx = ctx
	stopQuit := context.AfterFunc(parent, func() { fyne.Do(a.Quit) })
	defer stopQuit()
	go func() {
		_ = winhost.Serve(in, out, func(r winhost.Request, done func()) {
			fyne.Do(func() {
				switch {
				case r.Notify != nil:
					a.SendNotification(fyne.NewNotification(r.Notify.Title, r.Notify.Body))
					done()
					// Fyne hands the notification to the OS in the background
					// (PowerShell on Windows): give it time before the host
					// goes, if nothing else is open then.
					time.AfterFunc(notifyLinger, func() { fyne.Do(c.windowClosed) })
				case r.Open != "":
					c.open(r.Open)
					done()
				default:
					done()
				}
			})
		})
		fyne.Do(a.Quit) // the tray has quit
	}()
	done := make(chan struct{})
	go func() { defer close(done); c.run(ctx) }()
	a.Run()
	cancel()
	c.signIn.shutdown() // no app-server outlives the window host
	<-done
	return nil
}

// notifyLinger is how long a window host with nothing open stays after it
// showed a notification.
const notifyLinger = 5 * time.Second

// ErrNoDisplay is returned by RunTray and RunWindowHost when there is no
// graphical session to show a tray in.
var ErrNoDisplay = errors.New(`no display found: the tray needs a graphical session; use "codextray status" on the command line`)
