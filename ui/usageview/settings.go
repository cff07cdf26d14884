package usageview

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/usage"
)

// Prefs is the preference store the Settings window writes (Fyne's, or
// appdata.FilePrefs).
type Prefs interface {
	String(key string) string
	SetString(key, value string)
}

// Settings is the Settings window's usage section: the thresholds that
// notify, and a check per window to mute it.
type Settings struct {
	prefs      Prefs
	thresholds *widget.Entry
	hint       *widget.Label
	mutes      *fyne.Container
	keys       string
	root       *fyne.Container
}

// NewSettings builds the section from the stored preferences; UI goroutine.
func NewSettings(p Prefs) *Settings {
	s := &Settings{prefs: p}
	s.thresholds = widget.NewEntry()
	s.thresholds.SetPlaceHolder("80, 95")
	ts, err := usage.ParseThresholds(p.String(appdata.PrefUsageThresholds))
	if err != nil {
		ts = usage.DefaultThresholds
	}
	s.thresholds.SetText(usage.FormatThresholds(ts))
	s.hint = widget.NewLabel("Notify once per window and reset period when usage reaches these percents.")
	s.hint.Wrapping = fyne.TextWrapWord
	s.hint.Importance = widget.LowImportance
	s.thresholds.Validator = func(v string) error { _, err := usage.ParseThresholds(v); return err }
	s.thresholds.OnChanged = func(v string) {
		if ts, err := usage.ParseThresholds(v); err == nil {
			p.SetString(appdata.PrefUsageThresholds, usage.FormatThresholds(ts))
		}
	}
	s.mutes = container.NewVBox(widget.NewLabel("The windows appear here once usage was read."))
	s.root = container.NewVBox(s.thresholds, s.hint, s.mutes)
	return s
}

// Object is the section, for a form item "Usage alerts".
func (s *Settings) Object() fyne.CanvasObject { return s.root }

// ShowWindows lists the windows with a check each (checked: notifies);
// UI goroutine.
func (s *Settings) ShowWindows(ws []usage.WindowView) {
	keys := ""
	for _, w := range ws {
		keys += w.Key + "=" + w.Label + "\n"
	}
	if keys == s.keys || len(ws) == 0 {
		return
	}
	s.keys = keys
	muted := usage.ParseMuted(s.prefs.String(appdata.PrefUsageMuted))
	s.mutes.Objects = s.mutes.Objects[:0]
	for _, w := range ws {
		key := w.Key
		c := widget.NewCheck("Notify about "+w.Label, nil)
		c.SetChecked(!muted[key])
		c.OnChanged = func(on bool) {
			m := usage.ParseMuted(s.prefs.String(appdata.PrefUsageMuted))
			m[key] = !on
			s.prefs.SetString(appdata.PrefUsageMuted, usage.FormatMuted(m))
		}
		s.mutes.Objects = append(s.mutes.Objects, c)
	}
	s.mutes.Refresh()
}
