package host

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/ui/usageview"
	"github.com/codextray/codextray/ui/view"
)

// hourChoice is one entry of a duration picker stored in hours.
type hourChoice struct {
	label string
	hours float64
}

var reminderChoices = []hourChoice{
	{"1 hour", 1}, {"3 hours", 3}, {"6 hours", 6}, {"12 hours", 12},
	{"1 day", 24}, {"2 days", 48}, {"3 days", 72},
}

var keepAliveChoices = []hourChoice{
	{"Off", 0}, {"1 hour before expiry", 1}, {"6 hours before expiry", 6},
	{"1 day before expiry", 24}, {"2 days before expiry", 48},
}

const (
	backendDefault = "Backend default"
	modelDefault   = "Model default"
)

// settingsWindow edits the user's settings, kept in Fyne preferences under
// the appdata keys so the command line reads the same values.
type settingsWindow struct {
	h   *Host
	win fyne.Window

	reminder      *widget.Select
	keepAlive     *widget.Select
	mirror        *widget.Check
	notifications *widget.Check
	startAtLogin  *widget.Check
	model         *widget.Select
	effort        *widget.Select
	codexPath     *widget.Entry
	models        *view.ModelList
	usageAlerts   *usageview.Settings // nil without a usage monitor
	slugs         map[string]string   // model select label → slug
}

// open shows the window, building it on first use; UI goroutine.
func (s *settingsWindow) open() {
	s.h.openWindow(&s.win, "Codex Tray — Settings", 480, s.build, s.show)
}

func (s *settingsWindow) build() fyne.CanvasObject {
	p := s.h.c.Prefs()
	s.reminder = widget.NewSelect(choiceLabels(reminderChoices), nil)
	set := login.SettingsFrom(p)
	s.reminder.SetSelected(choiceLabel(reminderChoices, set.Reminder.Hours(), "1 day"))
	s.reminder.OnChanged = func(l string) { s.setHours(appdata.PrefReminderHours, reminderChoices, l) }

	s.keepAlive = widget.NewSelect(choiceLabels(keepAliveChoices), nil)
	s.keepAlive.SetSelected(choiceLabel(keepAliveChoices, set.KeepAlive.Hours(), "Off"))
	s.keepAlive.OnChanged = func(l string) { s.setHours(appdata.PrefKeepAliveHours, keepAliveChoices, l) }

	s.mirror = widget.NewCheck("Keep a copy of the login in the keychain", nil)
	s.mirror.SetChecked(set.MirrorEnabled)
	s.mirror.OnChanged = func(on bool) {
		p.SetBool(appdata.PrefMirrorEnabled, on)
		s.h.c.SettingsChanged()
	}

	s.notifications = widget.NewCheck("Show notifications", nil)
	s.notifications.SetChecked(s.h.c.Snapshot().NotificationsOn)
	s.notifications.OnChanged = s.h.c.SetNotifications

	s.model = widget.NewSelect([]string{backendDefault}, s.onModel)
	s.effort = widget.NewSelect([]string{modelDefault}, s.onEffort)
	// Where the Codex CLI is, for signing in and for the catalog's version:
	// empty searches PATH and the usual npm, nvm, Homebrew folders.
	s.codexPath = widget.NewEntry()
	s.codexPath.SetPlaceHolder("Found on PATH and the usual folders")
	s.codexPath.SetText(p.String(appdata.PrefCodexPath))
	s.codexPath.OnChanged = func(v string) { p.SetString(appdata.PrefCodexPath, strings.TrimSpace(v)) }
	form := widget.NewForm(
		widget.NewFormItem("Remind me", s.reminder),
		widget.NewFormItem("Keep-alive refresh", s.keepAlive),
		widget.NewFormItem("Keychain", s.mirror),
		widget.NewFormItem("Notifications", s.notifications),
		widget.NewFormItem("Default model", s.model),
		widget.NewFormItem("Reasoning effort", s.effort),
		widget.NewFormItem("Codex CLI", s.codexPath),
	)
	if s.h.c.Deps().UsageMonitor != nil {
		s.usageAlerts = usageview.NewSettings(p)
		form.Append("Usage alerts", s.usageAlerts.Object())
	}
	if s.h.c.Deps().StartAtLogin != nil {
		s.startAtLogin = widget.NewCheck("Start Codex Tray when I log in", nil)
		s.startAtLogin.Disable() // until the current setting is read
		form.Append("Startup", s.startAtLogin)
		go s.h.c.ReadStartAtLogin() // a quick OS read; reports through the State
	}
	return container.NewPadded(form)
}

// show refreshes the start-at-login check and the model pickers from v;
// UI goroutine.
func (s *settingsWindow) show(v view.State) {
	if s.startAtLogin != nil && v.StartAtLogin != nil {
		s.startAtLogin.OnChanged = nil
		s.startAtLogin.SetChecked(*v.StartAtLogin)
		s.startAtLogin.OnChanged = s.onStartAtLogin
		s.startAtLogin.Enable()
	}
	if v.UsageSnap != nil && s.usageAlerts != nil {
		s.usageAlerts.ShowWindows(v.UsageSnap.Windows)
	}
	if v.Models == s.models && s.slugs != nil {
		return
	}
	s.models = v.Models
	opts := []string{backendDefault}
	s.slugs = map[string]string{backendDefault: ""}
	if v.Models != nil {
		for _, m := range v.Models.Models {
			opts = append(opts, view.ModelName(m))
			s.slugs[view.ModelName(m)] = m.Slug
		}
	}
	chosen := backendDefault
	for l, slug := range s.slugs {
		if slug != "" && slug == v.ChosenModel {
			chosen = l
		}
	}
	if v.ChosenModel != "" && chosen == backendDefault {
		// A model chosen earlier that the list no longer shows stays chosen.
		opts = append(opts, v.ChosenModel)
		s.slugs[v.ChosenModel] = v.ChosenModel
		chosen = v.ChosenModel
	}
	s.model.OnChanged = nil
	s.model.Options = opts
	s.model.SetSelected(chosen)
	s.model.OnChanged = s.onModel
	s.fillEfforts(s.slugs[chosen])
}

// fillEfforts offers the reasoning efforts of the model with slug.
func (s *settingsWindow) fillEfforts(slug string) {
	opts := []string{modelDefault}
	if s.models != nil {
		if slug == "" {
			slug = s.models.Default
		}
		if m, ok := s.models.Find(slug); ok {
			opts = append(opts, m.Efforts...)
		}
	}
	cur := s.h.c.Prefs().String(appdata.PrefDefaultEffort)
	sel := modelDefault
	for _, o := range opts {
		if o == cur && cur != "" {
			sel = o
		}
	}
	s.effort.OnChanged = nil
	s.effort.Options = opts
	s.effort.SetSelected(sel)
	s.effort.OnChanged = s.onEffort
}

// onStartAtLogin switches the OS entry off the UI goroutine; the result
// comes back through update.
func (s *settingsWindow) onStartAtLogin(want bool) {
	s.startAtLogin.Disable()
	go s.h.c.SetStartAtLogin(want) // reports through the State
}

func (s *settingsWindow) onModel(label string) {
	slug := s.slugs[label]
	s.h.c.ChooseModel(slug)
	s.fillEfforts(slug)
}

func (s *settingsWindow) onEffort(label string) {
	if label == modelDefault {
		label = ""
	}
	s.h.c.Prefs().SetString(appdata.PrefDefaultEffort, label)
}

func (s *settingsWindow) setHours(key string, choices []hourChoice, label string) {
	for _, c := range choices {
		if c.label == label {
			s.h.c.Prefs().SetFloat(key, c.hours)
		}
	}
	s.h.c.SettingsChanged()
}

func choiceLabels(cs []hourChoice) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.label
	}
	return out
}

// choiceLabel is the label of the choice for hours, or def.
func choiceLabel(cs []hourChoice, hours float64, def string) string {
	for _, c := range cs {
		if c.hours == hours {
			return c.label
		}
	}
	return def
}
