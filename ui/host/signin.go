package host

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// loginCommand is what signs Codex in again.
const loginCommand = "codex login"

// signInWindow shows the sign-in command with a Copy button, for when no
// terminal could be opened.
type signInWindow struct {
	app    fyne.App
	win    fyne.Window
	closed func() // after the window closed
}

// open shows the window; UI goroutine.
func (s *signInWindow) open() {
	if s.win == nil {
		s.win = s.app.NewWindow("Codex Tray — Sign in again")
		s.win.SetContent(s.build())
		s.win.SetOnClosed(func() {
			s.win = nil
			if s.closed != nil {
				s.closed()
			}
		})
	}
	s.win.Show()
	s.win.RequestFocus()
}

func (s *signInWindow) build() fyne.CanvasObject {
	intro := widget.NewLabel("No terminal could be opened. Run this command in a terminal to sign Codex in again:")
	intro.Wrapping = fyne.TextWrapWord
	cmd := widget.NewLabelWithStyle(loginCommand, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	copyBtn := widget.NewButton("Copy", func() { s.app.Clipboard().SetContent(loginCommand) })
	closeBtn := widget.NewButton("Close", func() { s.win.Close() })
	return container.NewPadded(container.NewVBox(
		intro,
		container.NewBorder(nil, nil, nil, copyBtn, cmd),
		container.NewHBox(closeBtn),
	))
}
