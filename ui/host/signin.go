package host

import (
	"context"
	"fmt"
	"image/color"
	"net/url"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/appserver"
)

// loginCommand is what signs Codex in from a terminal.
const loginCommand = "codex login"

// signInWindow runs Codex's own sign-in (codex app-server): it asks for a
// device code and shows the page and the code, with Copy and Open browser
// buttons and the time left; the browser flow is one click away. The
// sign-in (and its app-server) ends when the window closes.
type signInWindow struct {
	h   *Host
	win fyne.Window

	// The sign-in in progress; UI goroutine.
	session *appserver.SignIn
	cancel  context.CancelFunc
	gen     int // counts sign-ins, so a stale one's results are dropped
	ending  int // sign-ins being cancelled, whose app-server may still run
	// live counts the sign-ins whose app-server may run, for shutdown,
	// which must not touch the window's state (the UI loop is gone).
	live sync.WaitGroup

	heading   *widget.Label
	intro     *widget.Label
	url       *widget.Hyperlink
	urlRow    *fyne.Container
	code      *canvas.Text
	codeRow   *fyne.Container
	countdown *widget.Label
	progress  *widget.ProgressBarInfinite
	message   *widget.Label
	install   *fyne.Container
	copyURL   *widget.Button
	openURL   *widget.Button
	copyCode  *widget.Button
	retry     *widget.Button
	other     *widget.Button // the other flow
	terminal  *widget.Button
	cancelBtn *widget.Button
	flow      appserver.Flow
	expires   time.Time
}

// open shows the window and starts a device-code sign-in, unless one is
// running; UI goroutine.
func (s *signInWindow) open() {
	if s.win == nil {
		s.win = s.h.app.NewWindow("Codex Tray — Sign in to Codex")
		s.win.SetContent(s.build())
		s.win.Resize(fyne.NewSize(520, 0))
		s.win.SetOnClosed(s.onClosed)
		s.start(appserver.DeviceCode)
	}
	s.win.Show()
	s.win.RequestFocus()
}

// onClosed ends the sign-in and its app-server, then reports the window
// gone; UI goroutine.
func (s *signInWindow) onClosed() {
	s.win = nil
	s.endThen(s.stop(), s.h.windowClosed)
}

// endThen cancels sess off the UI goroutine and then calls then (may be
// nil) on it; the window host stays while it runs; UI goroutine.
func (s *signInWindow) endThen(sess *appserver.SignIn, then func()) {
	if sess == nil {
		if then != nil {
			then()
		}
		return
	}
	s.ending++
	go func() {
		sess.Cancel() // returns once app-server has exited
		fyne.Do(func() {
			s.ending--
			if then != nil {
				then()
			}
		})
	}()
}

// busy reports an open window, or a sign-in still ending; UI goroutine. A
// sign-in still starting when its window closed does not hold the host:
// its context is ended, so its app-server is killed, and the host's exit
// waits for it (shutdown).
func (s *signInWindow) busy() bool {
	return s.win != nil || s.session != nil || s.ending > 0
}

// stop ends the current sign-in's context and returns it, for the caller
// to wait on; UI goroutine.
func (s *signInWindow) stop() *appserver.SignIn {
	s.gen++
	sess := s.session
	s.session = nil
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
	return sess
}

// shutdown waits for the app-servers of the sign-ins, which the end of
// the host's context (h.ctx) has ended; after the UI loop has stopped.
func (s *signInWindow) shutdown() {
	done := make(chan struct{})
	go func() { s.live.Wait(); close(done) }() // ends once the sessions have
	select {
	case <-done:
	case <-time.After(5 * time.Second): // each is killed at once; do not hang the exit on one
	}
}

func (s *signInWindow) build() fyne.CanvasObject {
	s.heading = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.intro = widget.NewLabel("")
	s.intro.Wrapping = fyne.TextWrapWord
	s.url = widget.NewHyperlink("", nil)
	s.copyURL = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() { s.h.app.Clipboard().SetContent(s.url.Text) })
	s.openURL = widget.NewButtonWithIcon("Open browser", theme.ComputerIcon(), s.onOpenBrowser)
	s.openURL.Importance = widget.HighImportance
	s.urlRow = container.NewBorder(nil, nil, nil, container.NewHBox(s.copyURL, s.openURL), s.url)

	s.code = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	s.code.TextSize = 40
	s.code.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	s.code.Alignment = fyne.TextAlignCenter
	s.copyCode = widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() { s.h.app.Clipboard().SetContent(s.code.Text) })
	codeBox := container.NewStack(canvas.NewRectangle(codeBackground()), container.NewPadded(s.code))
	s.codeRow = container.NewVBox(codeBox, container.NewCenter(s.copyCode))

	s.countdown = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	s.progress = widget.NewProgressBarInfinite()
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Importance = widget.DangerImportance

	installCmd := widget.NewLabelWithStyle(appserver.InstallHint, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.install = container.NewBorder(nil, nil, nil,
		widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { s.h.app.Clipboard().SetContent(appserver.InstallHint) }), installCmd)

	s.retry = widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() { s.start(s.flow) })
	s.other = widget.NewButton("", func() {
		if s.flow == appserver.DeviceCode {
			s.start(appserver.Browser)
		} else {
			s.start(appserver.DeviceCode)
		}
	})
	s.terminal = widget.NewButtonWithIcon("Use a terminal", theme.ComputerIcon(), s.onTerminal)
	s.cancelBtn = widget.NewButton("Cancel", func() {
		if s.win != nil {
			s.win.Close()
		}
	})
	return container.NewPadded(container.NewVBox(
		s.heading,
		s.intro,
		s.install,
		s.urlRow,
		s.codeRow,
		s.countdown,
		s.progress,
		s.message,
		widget.NewSeparator(),
		container.NewHBox(s.other, s.terminal, layout.NewSpacer(), s.retry, s.cancelBtn),
	))
}

// codeBackground sets the code apart from the window.
func codeBackground() color.Color { return theme.Color(theme.ColorNameInputBackground) }

// start begins a sign-in with flow, ending any other; UI goroutine.
func (s *signInWindow) start(flow appserver.Flow) {
	s.endThen(s.stop(), nil)
	s.flow = flow
	s.gen++
	gen := s.gen
	s.showStarting()
	if s.h.c.Deps().Codex == nil {
		s.showFailed(appserver.ErrNoCodex)
		return
	}
	ctx, cancel := context.WithCancel(s.h.ctx)
	s.cancel = cancel
	s.h.c.Prefs().SetString(appdata.PrefSignInUntil, time.Now().Add(appserver.CodeLifetime+time.Minute).UTC().Format(time.RFC3339))
	codex := s.h.c.Deps().Codex
	s.live.Add(1)
	go func() { // ends when Codex has handed over the code, or failed to
		sess, err := codex.SignIn(ctx, flow)
		if sess == nil {
			s.live.Done()
		} else {
			go func() { <-sess.Done(); s.live.Done() }() // ends with the sign-in
		}
		fyne.Do(func() {
			if gen != s.gen {
				// The window closed, or another sign-in began, meanwhile.
				s.endThen(sess, s.h.windowClosed)
				return
			}
			if err != nil {
				s.showFailed(err)
				return
			}
			s.session = sess
			s.showPrompt(sess.Prompt)
			go s.follow(gen, sess)
		})
	}()
}

// follow waits for the end of the sign-in and ticks the countdown.
func (s *signInWindow) follow(gen int, sess *appserver.SignIn) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-sess.Done():
			_, err := sess.Result()
			fyne.Do(func() {
				if gen != s.gen {
					return
				}
				s.session = nil
				if err != nil {
					s.showFailed(err)
					return
				}
				// The watch picks up the new login; the tray says
				// "Signed in as …" (appdata.PrefSignInUntil) and the window goes.
				s.h.c.Say("Signed in to Codex.")
				if s.win != nil {
					w := s.win
					s.win = nil
					s.cancel = nil
					w.SetOnClosed(s.h.windowClosed)
					w.Close()
				}
			})
			return
		case <-tick.C:
			fyne.Do(func() {
				if gen == s.gen {
					s.showCountdown()
				}
			})
		}
	}
}

func (s *signInWindow) onOpenBrowser() {
	u, err := url.Parse(s.url.Text)
	if err != nil || u.Scheme != "https" {
		return
	}
	if err := s.h.app.OpenURL(u); err != nil {
		s.message.SetText("The browser could not be opened: " + err.Error() + ". Copy the link instead.")
		s.message.Show()
	}
}

// onTerminal opens a terminal running `codex login`, or shows the command
// when none can be opened.
func (s *signInWindow) onTerminal() {
	if s.h.c.Deps().SignIn == nil {
		s.showTerminalCommand()
		return
	}
	go func() { // ends when the terminal has been started, or could not be
		err := s.h.c.Deps().SignIn()
		fyne.Do(func() {
			if err != nil {
				s.showTerminalCommand()
				return
			}
			s.h.c.Say("Opened a terminal running “codex login”.")
			if s.win != nil {
				s.win.Close()
			}
		})
	}()
}

func (s *signInWindow) showTerminalCommand() {
	s.message.Importance = widget.MediumImportance
	s.message.SetText("No terminal could be opened. Run “" + loginCommand + "” in a terminal to sign Codex in.")
	s.message.Show()
	s.h.app.Clipboard().SetContent(loginCommand)
}

// The states of the window; UI goroutine.

func (s *signInWindow) showStarting() {
	s.heading.SetText("Sign in to Codex")
	if s.flow == appserver.Browser {
		s.intro.SetText("Starting the browser sign-in…")
	} else {
		s.intro.SetText("Asking OpenAI for a sign-in code…")
	}
	s.hide(s.urlRow, s.codeRow, s.countdown, s.message, s.install, s.retry)
	s.other.Show()
	s.progress.Show()
	s.progress.Start()
	s.setOther()
	s.resize()
}

func (s *signInWindow) showPrompt(p appserver.Prompt) {
	s.expires = p.ExpiresAt
	s.url.SetText(p.URL)
	if u, err := url.Parse(p.URL); err == nil {
		s.url.SetURL(u)
	}
	s.progress.Stop()
	s.hide(s.progress, s.message, s.install, s.retry)
	s.urlRow.Show()
	if p.Flow == appserver.DeviceCode {
		s.intro.SetText("Open this page on any device, sign in to ChatGPT, and enter the code below. Codex stores the login itself.")
		s.code.Text = p.UserCode
		s.code.Refresh()
		s.codeRow.Show()
	} else {
		s.intro.SetText("Sign in to ChatGPT in your browser on this computer; it hands the login back to Codex.")
		s.codeRow.Hide()
	}
	s.countdown.Show()
	s.showCountdown()
	s.resize()
}

func (s *signInWindow) showCountdown() {
	left := time.Until(s.expires).Round(time.Second)
	if left < 0 {
		left = 0
	}
	what := "The code expires in"
	if s.flow == appserver.Browser {
		what = "Waiting for the browser; this sign-in ends in"
	}
	s.countdown.SetText(fmt.Sprintf("%s %d:%02d", what, int(left.Minutes()), int(left.Seconds())%60))
}

func (s *signInWindow) showFailed(err error) {
	s.progress.Stop()
	s.hide(s.progress, s.urlRow, s.codeRow, s.countdown, s.install)
	s.message.Importance = widget.DangerImportance
	s.message.SetText(err.Error())
	s.message.Show()
	s.retry.Show()
	s.other.Show()
	switch appserver.KindOf(err) {
	case appserver.KindNoCodex:
		s.other.Hide() // neither flow runs without Codex
		s.intro.SetText("Codex Tray signs in through the Codex CLI, which is not installed (or not where Codex Tray looks). Install it with:")
		s.message.Importance = widget.MediumImportance
		s.message.SetText("Then click Try again, or set the path of the codex program in Settings.")
		s.install.Show()
	case appserver.KindCancelled:
		s.intro.SetText("The sign-in was cancelled.")
	default:
		s.intro.SetText("The sign-in did not finish.")
	}
	s.h.c.Prefs().RemoveValue(appdata.PrefSignInUntil) // no sign-in to announce
	s.setOther()
	s.resize()
}

func (s *signInWindow) setOther() {
	if s.flow == appserver.DeviceCode {
		s.other.SetText("Use the browser instead")
	} else {
		s.other.SetText("Use a code instead")
	}
}

func (s *signInWindow) hide(objs ...fyne.CanvasObject) {
	for _, o := range objs {
		o.Hide()
	}
}

// resize fits the window to what it shows now.
func (s *signInWindow) resize() {
	if s.win != nil {
		s.win.Resize(fyne.NewSize(520, s.win.Content().MinSize().Height))
	}
}
