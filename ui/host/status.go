package host

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/usageview"
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
	usage    *usageview.Panel // nil without a usage monitor
	last     view.State
}

// open shows the window, building it on first use; UI goroutine.
func (s *statusWindow) open() {
	first := s.win == nil
	s.h.openWindow(&s.win, "Codex Tray — Status", 560, s.build, s.show)
	if first && s.usage != nil {
		// The usage tab scrolls: a size most screens take.
		s.win.Resize(fyne.NewSize(600, 640))
	}
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
	box := container.NewVBox(
		s.headline,
		widget.NewSeparator(),
		s.form,
		s.action,
		widget.NewSeparator(),
		container.NewHBox(s.refresh, s.restore, s.signIn, layout.NewSpacer(), s.copyDiag),
		container.NewHBox(widget.NewLabel("Snooze reminders:"), s.snooze1h, s.snooze1d, s.resume),
	)
	if s.h.c.Deps().UsageMonitor != nil {
		// Usage first, in its own tab: it is what changes from hour to hour.
		s.usage = usageview.NewPanel(usageview.Actions{Preview: s.h.c.PreviewRedeem, Redeem: s.h.c.Redeem, Do: fyne.Do})
		return container.NewAppTabs(
			container.NewTabItem("Usage", container.NewVScroll(container.NewPadded(s.usage.Object()))),
			container.NewTabItem("Login", container.NewPadded(box)),
		)
	}
	return container.NewPadded(box)
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
	if s.usage != nil {
		s.usage.Show(v.UsageSnap, v.Now, v.Format, usage.Schedule{}.StaleAfter(),
			control.Thresholds(s.h.c.Prefs())[0])
	}
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
