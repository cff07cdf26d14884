package host

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/ui/view"
)

// statusWindow shows everything `status --json` knows, readable, with the
// actions on the login and the reminder snooze.
type statusWindow struct {
	h   *Host
	win fyne.Window

	headline *widget.Label
	form     *fyne.Container
	formKey  string
	action   *widget.Label
	refresh  *widget.Button
	restore  *widget.Button
	signIn   *widget.Button
	copyDiag *widget.Button
	snooze1h *widget.Button
	snooze1d *widget.Button
	resume   *widget.Button
	last     view.State
}

// open shows the window, building it on first use; UI goroutine.
func (s *statusWindow) open() {
	if s.win == nil {
		s.win = s.h.app.NewWindow("Codex Tray — Status")
		content := s.build()
		s.show(s.h.c.Snapshot()) // first, so the window is sized to the rows
		s.win.SetContent(content)
		s.win.Resize(fyne.NewSize(560, content.MinSize().Height))
		s.win.SetOnClosed(func() { s.win = nil; s.h.windowClosed() })
	} else {
		s.show(s.h.c.Snapshot())
	}
	s.win.Show()
	s.win.RequestFocus()
}

func (s *statusWindow) build() fyne.CanvasObject {
	s.headline = widget.NewLabel("")
	s.headline.Wrapping = fyne.TextWrapWord
	s.headline.TextStyle.Bold = true
	s.form = container.New(layout.NewFormLayout())
	s.action = widget.NewLabel("")
	s.action.Wrapping = fyne.TextWrapWord
	s.action.TextStyle.Italic = true
	s.refresh = widget.NewButton("Refresh now", s.h.c.Refresh)
	s.restore = widget.NewButton("Restore Codex login", s.h.c.Restore)
	s.signIn = widget.NewButton("Sign in again…", s.h.onSignIn)
	s.copyDiag = widget.NewButton("Copy diagnostics", s.onCopy)
	s.snooze1h = widget.NewButton("1 hour", func() { s.h.c.Snooze(time.Hour) })
	s.snooze1d = widget.NewButton("1 day", func() { s.h.c.Snooze(24 * time.Hour) })
	s.resume = widget.NewButton("Resume", func() { s.h.c.Snooze(0) })
	return container.NewPadded(container.NewVBox(
		s.headline,
		widget.NewSeparator(),
		s.form,
		s.action,
		widget.NewSeparator(),
		container.NewHBox(s.refresh, s.restore, s.signIn, layout.NewSpacer(), s.copyDiag),
		container.NewHBox(widget.NewLabel("Snooze reminders:"), s.snooze1h, s.snooze1d, s.resume),
	))
}

// show applies v; UI goroutine.
func (s *statusWindow) show(v view.State) {
	s.last = v
	s.headline.SetText(view.Headline(v))
	rows := view.StatusRows(v)
	key := ""
	for _, r := range rows {
		key += r[0] + "\n"
	}
	if key != s.formKey {
		// The set of rows changed: rebuild them.
		s.formKey = key
		objs := make([]fyne.CanvasObject, 0, 2*len(rows))
		for _, r := range rows {
			k := widget.NewLabel(r[0])
			k.TextStyle.Bold = true
			val := widget.NewLabel(r[1])
			val.Wrapping = fyne.TextWrapWord
			objs = append(objs, k, val)
		}
		s.form.Objects = objs
		s.form.Refresh()
	} else {
		for i, r := range rows {
			s.form.Objects[2*i+1].(*widget.Label).SetText(r[1])
		}
	}
	s.action.SetText(view.ActionLine(v))
	setVisible(s.action, s.action.Text != "")
	setEnabled(s.refresh, v.CanRefresh())
	setVisible(s.restore, v.HasLogin && v.RestoreReason != "")
	setEnabled(s.restore, v.Busy == "")
	snoozed := v.SnoozedUntil.After(v.Now)
	setVisible(s.resume, snoozed)
}

// onCopy puts the diagnostics on the clipboard; UI goroutine.
func (s *statusWindow) onCopy() {
	s.h.app.Clipboard().SetContent(view.Diagnostics(s.last, s.h.c.Deps().Version))
	s.h.c.Say("Diagnostics copied to the clipboard.")
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func setVisible(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}
