// Package ui owns everything the user sees: the tray icon and its menu (and,
// later, the status and chat windows). It does no file, keychain or network
// I/O; it shows what core sends it, applied through one fyne.Do seam.
package ui

import (
	"errors"
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/codextray/codextray/assets"
	"github.com/codextray/codextray/core/auth"
)

// AppID is the application ID, the same as in FyneApp.toml.
const AppID = "io.github.codextray.codextray"

// ErrNoDisplay is returned by Run when there is no graphical session to show
// a tray in.
var ErrNoDisplay = errors.New(`no display found: the tray needs a graphical session; use "codextray status" on the command line`)

// Options is what Run needs from the rest of the program.
type Options struct {
	// Status delivers the login status, first the current one and then one per
	// change. Run stops reading it when it is closed or the app quits.
	Status <-chan auth.Status
	// Version is the program's version, for display.
	Version string
}

// Run starts the tray app and blocks until the user quits it. It must be
// called from the main goroutine.
func Run(opts Options) error {
	if err := checkDisplay(runtime.GOOS, os.Getenv); err != nil {
		return err
	}

	a := app.NewWithID(AppID)
	desk, ok := a.(desktop.App)
	if !ok {
		return errors.New("this platform has no system tray: use \"codextray status\" on the command line")
	}
	a.SetIcon(assets.AppIcon)

	t := &tray{desk: desk, quit: a.Quit, menu: fyne.NewMenu("Codex Tray")}
	t.show(auth.Status{Message: "Reading the Codex login…"}, assets.AppIcon)

	done := make(chan struct{})
	go t.follow(opts.Status, done)
	a.Run()
	close(done)
	return nil
}

// tray is the system tray item: its icon and menu are a function of one
// auth.Status.
type tray struct {
	desk desktop.App
	quit func()
	// menu is the one menu handed to Fyne, refilled on every change: Fyne
	// re-renders the first menu it was given once the tray is ready, which
	// would undo a change made before then if each change were a new menu.
	menu *fyne.Menu
}

// follow applies each status from the channel on the UI goroutine until the
// channel closes or done is closed. It is the tray's only fyne.Do seam.
func (t *tray) follow(statuses <-chan auth.Status, done <-chan struct{}) {
	for {
		select {
		case st, ok := <-statuses:
			if !ok {
				return
			}
			fyne.Do(func() { t.show(st, assets.TrayIcon(string(st.State))) })
		case <-done:
			return
		}
	}
}

// show rebuilds the whole menu from st; it runs on the UI goroutine.
func (t *tray) show(st auth.Status, icon fyne.Resource) {
	t.menu.Items = trayMenu(st, t.quit).Items
	// The menu first: Fyne starts the tray item on the first menu.
	t.desk.SetSystemTrayMenu(t.menu)
	t.desk.SetSystemTrayIcon(icon)
}

// trayMenu is the tray menu for a login status: the status sentence as a
// disabled first item, then Quit.
func trayMenu(st auth.Status, onQuit func()) *fyne.Menu {
	status := fyne.NewMenuItem(statusLine(st), nil)
	status.Disabled = true

	quit := fyne.NewMenuItem("Quit", onQuit)
	quit.IsQuit = true

	return fyne.NewMenu("Codex Tray", status, fyne.NewMenuItemSeparator(), quit)
}

// statusLine is the sentence core wrote for st, or a fallback by state.
func statusLine(st auth.Status) string {
	if st.Message != "" {
		return st.Message
	}
	switch st.State {
	case auth.StateValid:
		return "Signed in to ChatGPT."
	case auth.StateExpiring:
		return "The ChatGPT login expires soon."
	case auth.StateExpired:
		return "The ChatGPT login has expired."
	case auth.StateReloginRequired, auth.StateLoggedOut:
		return "Sign in with `codex login`."
	case auth.StateAPIKey:
		return "Codex uses an API key."
	default:
		return "The Codex login could not be read."
	}
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
