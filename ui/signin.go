package ui

import (
	"context"
	"fmt"
	"image/color"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appserver"
)

// loginCommand is what signs Codex in from a terminal.
const loginCommand = "codex login"

// prefSignInUntil tells the tray process that the window host is running a
// sign-in (RFC 3339, when it gives up): the tray then says "Signed in as …"
// once, when the watch sees the new login, whatever the state before.
const prefSignInUntil = "signin_until"

// signInWindow runs Codex's own sign-in (codex app-server): it asks for a
// device code and shows the page and the code, with Copy and Open browser
// buttons and the time left; the browser flow is one click away. The
// sign-in (and its app-server) ends when the window closes.
type signInWindow struct {
	c      *controller
	win    fyne.Window
	closed func() // after the window closed and its sign-in ended

	// The sign-in in progress; UI goroutine.
	session *appserver.SignIn
	cancel  context.CancelFunc
	gen     int // counts sign-ins, so a stale one's results are dropped
	ending  int // sign-ins being cancelled, whose app-server may still run

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
		s.win = s.c.app.NewWindow("Codex Tray — Sign in to Codex")
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
	s.endThen(s.stop(), s.closed)
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
		s.c.do(func() {
			s.ending--
			if then != nil {
				then()
			}
		})
	}()
}

// busy reports an open window or an app-server still running; UI goroutine.
func (s *signInWindow) busy() bool { return s.win != nil || s.session != nil || s.ending > 0 }

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

// shutdown ends a running sign-in and waits for its app-server (the app
// is quitting); any goroutine.
func (s *signInWindow) shutdown() {
	done := make(chan *appserver.SignIn, 1)
	s.c.do(func() { done <- s.stop() })
	select {
	case sess := <-done:
		if sess != nil {
			sess.Cancel()
		}
	case <-time.After(3 * time.Second): // the UI goroutine is gone: the context ended it
	}
}

func (s *signInWindow) build() fyne.CanvasObject {
	s.heading = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.intro = widget.NewLabel("")
	s.intro.Wrapping = fyne.TextWrapWord
	s.url = widget.NewHyperlink("", nil)
	s.copyURL = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() { s.c.app.Clipboard().SetContent(s.url.Text) })
	s.openURL = widget.NewButtonWithIcon("Open browser", theme.ComputerIcon(), s.onOpenBrowser)
	s.openURL.Importance = widget.HighImportance
	s.urlRow = container.NewBorder(nil, nil, nil, container.NewHBox(s.copyURL, s.openURL), s.url)

	s.code = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	s.code.TextSize = 40
	s.code.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	s.code.Alignment = fyne.TextAlignCenter
	s.copyCode = widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() { s.c.app.Clipboard().SetContent(s.code.Text) })
	codeBox := container.NewStack(canvas.NewRectangle(codeBackground()), container.NewPadded(s.code))
	s.codeRow = container.NewVBox(codeBox, container.NewCenter(s.copyCode))

	s.countdown = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	s.progress = widget.NewProgressBarInfinite()
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Importance = widget.DangerImportance

	installCmd := widget.NewLabelWithStyle(appserver.InstallHint, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.install = container.NewBorder(nil, nil, nil,
		widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { s.c.app.Clipboard().SetContent(appserver.InstallHint) }), installCmd)

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
	if s.c.opts.Codex == nil {
		s.showFailed(appserver.ErrNoCodex)
		return
	}
	ctx, cancel := context.WithCancel(s.c.ctx)
	s.cancel = cancel
	s.c.prefs.SetString(prefSignInUntil, time.Now().Add(appserver.CodeLifetime+time.Minute).UTC().Format(time.RFC3339))
	codex := s.c.opts.Codex
	go func() {
		sess, err := codex.SignIn(ctx, flow)
		s.c.do(func() {
			if gen != s.gen {
				s.endThen(sess, s.closed)
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
			s.c.do(func() {
				if gen != s.gen {
					return
				}
				s.session = nil
				if err != nil {
					s.showFailed(err)
					return
				}
				// The watch picks up the new login; the tray says
				// "Signed in as …" (prefSignInUntil) and the window goes.
				s.c.update(func(v *viewState) { v.LastAction = "Signed in to Codex." })
				if s.win != nil {
					w := s.win
					s.win = nil
					s.cancel = nil
					w.SetOnClosed(func() {
						if s.closed != nil {
							s.closed()
						}
					})
					w.Close()
				}
			})
			return
		case <-tick.C:
			s.c.do(func() {
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
	if err := s.c.app.OpenURL(u); err != nil {
		s.message.SetText("The browser could not be opened: " + err.Error() + ". Copy the link instead.")
		s.message.Show()
	}
}

// onTerminal opens a terminal running `codex login`, or shows the command.
func (s *signInWindow) onTerminal() {
	if s.c.opts.SignIn == nil {
		s.showTerminalCommand()
		return
	}
	go func() {
		err := s.c.opts.SignIn()
		s.c.do(func() {
			if err != nil {
				s.showTerminalCommand()
				return
			}
			s.c.update(func(v *viewState) { v.LastAction = "Opened a terminal running “codex login”." })
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
	s.c.app.Clipboard().SetContent(loginCommand)
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
	s.c.prefs.RemoveValue(prefSignInUntil) // no sign-in to announce
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

// newChatPlaceholder is the window "Open Chat" shows until the chat window
// exists; closed calls onClosed.
func newChatPlaceholder(a fyne.App, onClosed func()) fyne.Window {
	w := a.NewWindow("Codex Tray — Chat")
	msg := widget.NewLabel("The chat window is coming in a later version.\nMeanwhile, chat from a terminal: codextray chat \"your question\"")
	msg.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewPadded(msg))
	w.Resize(fyne.NewSize(420, 0))
	w.SetOnClosed(onClosed)
	return w
}
