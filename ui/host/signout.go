package host

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/ui/view"
)

// signOutWindow asks before signing Codex out through Codex itself
// (app-server's account/logout), so that Codex removes its login from
// every store it used.
type signOutWindow struct {
	h   *Host
	win fyne.Window

	question *widget.Label
	message  *widget.Label
	progress *widget.ProgressBarInfinite
	confirm  *widget.Button
	cancel   *widget.Button
	running  bool
}

// open shows the confirmation; UI goroutine.
func (s *signOutWindow) open() {
	if s.win == nil {
		s.win = s.h.app.NewWindow("Codex Tray — Sign out")
		s.win.SetContent(s.build())
		s.win.SetOnClosed(func() { s.win = nil; s.h.windowClosed() })
	}
	s.question.SetText(signOutQuestion(s.h.c.Snapshot()))
	s.win.Resize(fyne.NewSize(440, s.win.Content().MinSize().Height))
	s.win.Show()
	s.win.RequestFocus()
}

func signOutQuestion(v view.State) string {
	who := "the current account"
	if v.Status.Email != "" {
		who = v.Status.Email
	}
	return "Sign " + who + " out of Codex? Codex removes its login from every place it keeps it (auth.json and the keychain). " +
		"The Codex CLI, and Codex Tray, then need a new sign-in."
}

func (s *signOutWindow) build() fyne.CanvasObject {
	s.question = widget.NewLabel("")
	s.question.Wrapping = fyne.TextWrapWord
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.message.Importance = widget.DangerImportance
	s.message.Hide()
	s.progress = widget.NewProgressBarInfinite()
	s.progress.Stop()
	s.progress.Hide()
	s.confirm = widget.NewButtonWithIcon("Sign out", theme.LogoutIcon(), s.onConfirm)
	s.confirm.Importance = widget.DangerImportance
	s.cancel = widget.NewButton("Cancel", func() { s.win.Close() })
	return container.NewPadded(container.NewVBox(
		s.question, s.progress, s.message,
		container.NewHBox(layout.NewSpacer(), s.cancel, s.confirm),
	))
}

func (s *signOutWindow) onConfirm() {
	if s.running {
		return
	}
	if s.h.c.Deps().Codex == nil {
		s.message.SetText("Signing out needs the Codex CLI. Run “codex logout” in a terminal.")
		s.message.Show()
		return
	}
	s.running = true
	s.confirm.Disable()
	s.message.Hide()
	s.progress.Show()
	s.progress.Start()
	codex := s.h.c.Deps().Codex
	go func() {
		ctx, cancel := context.WithTimeout(s.h.ctx, time.Minute)
		err := codex.SignOut(ctx)
		cancel()
		fyne.Do(func() {
			s.running = false
			s.progress.Stop()
			s.progress.Hide()
			s.confirm.Enable()
			if err != nil {
				s.message.SetText(err.Error())
				s.message.Show()
				return
			}
			s.h.c.Say("Signed out of Codex.")
			if s.win != nil {
				s.win.Close()
			}
		})
	}()
}
