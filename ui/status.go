package ui

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/usageview"
)

// statusWindow shows everything `status --json` knows, readable, with the
// actions on the login and the reminder snooze.
type statusWindow struct {
	c   *controller
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
	last     viewState
}

// open shows the window, building it on first use; UI goroutine.
func (s *statusWindow) open() {
	if s.win == nil {
		s.win = s.c.app.NewWindow("Codex Tray — Status")
		content := s.build()
		s.show(s.c.snapshot()) // first, so the window is sized to the rows
		s.win.SetContent(content)
		if s.usage != nil {
			// The usage tab scrolls: a size most screens take.
			s.win.Resize(fyne.NewSize(600, 640))
		} else {
			s.win.Resize(fyne.NewSize(560, content.MinSize().Height))
		}
		s.win.SetOnClosed(func() { s.win = nil; s.c.windowClosed() })
	} else {
		s.show(s.c.snapshot())
	}
	s.win.Show()
	s.win.RequestFocus()
}

// update is the status window's fyne.Do seam.
func (s *statusWindow) update(v viewState) {
	fyne.Do(func() {
		if s.win != nil {
			s.show(v)
		}
	})
}

func (s *statusWindow) build() fyne.CanvasObject {
	s.headline = widget.NewLabel("")
	s.headline.Wrapping = fyne.TextWrapWord
	s.headline.TextStyle.Bold = true
	s.form = container.New(layout.NewFormLayout())
	s.action = widget.NewLabel("")
	s.action.Wrapping = fyne.TextWrapWord
	s.action.TextStyle.Italic = true
	s.refresh = widget.NewButton("Refresh now", s.c.onRefresh)
	s.restore = widget.NewButton("Restore Codex login", s.c.onRestore)
	s.signIn = widget.NewButton("Sign in again…", s.c.onSignIn)
	s.copyDiag = widget.NewButton("Copy diagnostics", s.onCopy)
	s.snooze1h = widget.NewButton("1 hour", func() { s.c.snooze(time.Hour) })
	s.snooze1d = widget.NewButton("1 day", func() { s.c.snooze(24 * time.Hour) })
	s.resume = widget.NewButton("Resume", func() { s.c.snooze(0) })
	box := container.NewVBox(
		s.headline,
		widget.NewSeparator(),
		s.form,
		s.action,
		widget.NewSeparator(),
		container.NewHBox(s.refresh, s.restore, s.signIn, layout.NewSpacer(), s.copyDiag),
		container.NewHBox(widget.NewLabel("Snooze reminders:"), s.snooze1h, s.snooze1d, s.resume),
	)
	if s.c.opts.UsageMonitor != nil {
		// Usage first: it is what changes from hour to hour.
		s.usage = usageview.NewPanel(s.c.usageActions())
		return container.NewAppTabs(
			container.NewTabItem("Usage", container.NewVScroll(container.NewPadded(s.usage.Object()))),
			container.NewTabItem("Login", container.NewPadded(box)),
		)
	}
	return container.NewPadded(box)
}

// show applies v; UI goroutine.
func (s *statusWindow) show(v viewState) {
	s.last = v
	s.headline.SetText(headline(v))
	rows := statusRows(v)
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
	s.action.SetText(actionLine(v))
	setVisible(s.action, s.action.Text != "")
	setEnabled(s.refresh, v.HasLogin && v.Busy == "" && v.Status.Mode == "chatgpt" && v.Status.State != auth.StateReloginRequired)
	setVisible(s.restore, v.HasLogin && v.RestoreReason != "")
	setEnabled(s.restore, v.Busy == "")
	snoozed := v.SnoozedUntil.After(v.Now)
	setVisible(s.resume, snoozed)
	if s.usage != nil {
		s.usage.Show(v.UsageSnap, v.Now, v.loc(), usage.Schedule{}.StaleAfter(), s.c.lowestThreshold())
	}
}

func headline(v viewState) string {
	if !v.HaveStatus {
		return "Reading the Codex login…"
	}
	return curlyQuotes(v.Status.Message)
}

// curlyQuotes turns core's `code` quotes into “code” for display.
func curlyQuotes(s string) string {
	var b strings.Builder
	open := true
	for _, r := range s {
		if r == '`' {
			if open {
				b.WriteString("“")
			} else {
				b.WriteString("”")
			}
			open = !open
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func actionLine(v viewState) string {
	switch {
	case v.Busy != "":
		return v.Busy
	case v.LastAction != "":
		return v.LastAction
	}
	return ""
}

// statusRows are the label/value pairs the window shows for v.
func statusRows(v viewState) [][2]string {
	st := v.Status
	var rows [][2]string
	add := func(k, val string) {
		if val != "" {
			rows = append(rows, [2]string{k, val})
		}
	}
	add("Account", st.Email)
	if st.Plan != "" {
		add("Plan", auth.PlanName(st.Plan))
	}
	add("API key", st.APIKey)
	add("State", stateName(st.State))
	if !st.Expires.IsZero() {
		left := st.Expires.Sub(v.Now)
		when := "in " + auth.HumanDuration(left)
		if left <= 0 {
			when = auth.HumanDuration(left) + " ago"
		}
		add("Token expires", st.Expires.In(v.loc()).Format("2006-01-02 15:04:05")+" ("+when+")")
	}
	if t, err := time.Parse(time.RFC3339Nano, st.LastRefresh); err == nil {
		add("Last refresh", t.In(v.loc()).Format("2006-01-02 15:04:05")+" ("+auth.HumanDuration(v.Now.Sub(t))+" ago)")
	} else {
		add("Last refresh", st.LastRefresh)
	}
	add("Codex home", st.CodexHome)
	if st.Store != "" || st.Source != "" {
		add("Store / source", st.Store+" / "+st.Source)
	}
	add("Keychain mirror", mirrorName(st.Mirror))
	if v.UsageSnap != nil {
		// The usage panel below shows the windows.
	} else if v.Usage != nil {
		for _, w := range v.Usage.Windows {
			line := usageLine(w, v.Now, v.loc())
			name, rest, _ := strings.Cut(line, ": ")
			add(name, rest)
		}
		if v.Usage.LimitReached {
			add("Usage", "limit reached")
		}
	} else if v.UsageErr != "" {
		add("Usage", "unavailable: "+firstLine(v.UsageErr, 120))
	}
	if v.Models != nil {
		name := v.chosenModel()
		if m, ok := v.Models.Find(name); ok {
			name = modelName(m)
		}
		add("Default model", name)
	}
	add("Restore", v.RestoreReason)
	add("Error", st.Error)
	if v.HaveStatus {
		add("Reminders", reminderLine(v))
	}
	return rows
}

func reminderLine(v viewState) string {
	if !v.NotificationsOn {
		return "notifications off"
	}
	if v.SnoozedUntil.After(v.Now) {
		return "snoozed until " + clock(v.SnoozedUntil, v.Now, v.loc())
	}
	return "on"
}

func stateName(s auth.State) string {
	switch s {
	case auth.StateValid:
		return "valid"
	case auth.StateExpiring:
		return "expiring"
	case auth.StateExpired:
		return "expired"
	case auth.StateReloginRequired:
		return "sign-in required"
	case auth.StateLoggedOut:
		return "signed out"
	case auth.StateAPIKey:
		return "API key"
	case auth.StateError:
		return "error"
	}
	return string(s)
}

func mirrorName(m string) string {
	switch m {
	case auth.MirrorInSync:
		return "in sync"
	case auth.MirrorStale:
		return "stale"
	case auth.MirrorAbsent:
		return "no copy yet"
	case auth.MirrorUnavailable:
		return "keychain unavailable"
	case auth.MirrorDisabled:
		return "off"
	}
	return m
}

// onCopy puts the diagnostics on the clipboard; UI goroutine.
func (s *statusWindow) onCopy() {
	s.c.app.Clipboard().SetContent(diagnostics(s.last, s.c.opts.Version))
	s.c.update(func(v *viewState) { v.LastAction = "Diagnostics copied to the clipboard." })
}

// diagnostics is the text "Copy diagnostics" copies: the status as `status
// --json` prints it (which never holds a token), the usage and the build.
func diagnostics(v viewState, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Codex Tray %s (%s/%s, %s)\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "time: %s\n", v.Now.UTC().Format(time.RFC3339))
	js, _ := json.MarshalIndent(v.Status, "", "  ")
	fmt.Fprintf(&b, "status: %s\n", js)
	if v.Usage != nil {
		for _, w := range v.Usage.Windows {
			fmt.Fprintf(&b, "usage: %s\n", usageLine(w, v.Now, time.UTC))
		}
	}
	if v.UsageErr != "" {
		fmt.Fprintf(&b, "usage error: %s\n", v.UsageErr)
	}
	if v.Models != nil {
		fmt.Fprintf(&b, "models: %d, default %s, chosen %s\n", len(v.Models.Models), v.Models.Default, v.ChosenModel)
	}
	if v.RestoreReason != "" {
		fmt.Fprintf(&b, "restore offered: %s\n", v.RestoreReason)
	}
	if v.LastAction != "" {
		fmt.Fprintf(&b, "last action: %s\n", v.LastAction)
	}
	return b.String()
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
