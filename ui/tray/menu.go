package tray

import (
	"fyne.io/fyne/v2"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/usage"
	"github.com/codextray/codextray/ui/usageview"
	"github.com/codextray/codextray/ui/view"
)

// menuActions are the handlers the tray menu calls; they run on the UI
// goroutine.
type menuActions struct {
	OpenChat    func()
	Status      func()
	Refresh     func()
	Restore     func()
	SignIn      func()
	SignOut     func()
	Settings    func()
	ChooseModel func(slug string)
	Quit        func()
}

// trayMenu is the whole tray menu for one view state: a pure function, so
// every change rebuilds it from scratch (as tailscale's tray does).
func trayMenu(v view.State, a menuActions) *fyne.Menu {
	label := func(s string) *fyne.MenuItem {
		it := fyne.NewMenuItem(s, nil)
		it.Disabled = true
		return it
	}
	items := []*fyne.MenuItem{label(view.AccountLine(v))}
	if v.HaveStatus {
		items = append(items, label(view.TokenLine(v)))
	}
	if v.Busy != "" {
		items = append(items, label(v.Busy))
	}
	switch {
	case v.UsageSnap != nil && v.SignedIn():
		// The monitor's windows with their pace, the reset credits, and
		// the data's age once it is stale.
		for _, l := range usageview.MenuLines(v.UsageSnap, v.Now, v.Format, usage.Schedule{}.StaleAfter()) {
			items = append(items, label(l))
		}
	case v.Usage != nil && v.SignedIn():
		for _, w := range v.Usage.Windows {
			items = append(items, label(v.Format.UsageLine(w, v.Now)))
		}
	}
	items = append(items, fyne.NewMenuItemSeparator())

	if v.Models != nil && len(v.Models.Models) > 0 && v.SignedIn() {
		chosen := v.ChosenModelSlug()
		var sub []*fyne.MenuItem
		for _, m := range v.Models.Models {
			slug := m.Slug
			it := fyne.NewMenuItem(view.ModelName(m), func() { a.ChooseModel(slug) })
			it.Checked = slug == chosen
			sub = append(sub, it)
		}
		models := fyne.NewMenuItem("Models", nil)
		models.ChildMenu = fyne.NewMenu("Models", sub...)
		items = append(items, models)
	}
	items = append(items,
		fyne.NewMenuItem("Open Chat", a.OpenChat),
		fyne.NewMenuItem("Status…", a.Status),
	)
	refresh := fyne.NewMenuItem("Refresh now", a.Refresh)
	refresh.Disabled = !v.CanRefresh()
	items = append(items, refresh)
	if v.RestoreReason != "" && v.HasLogin {
		restore := fyne.NewMenuItem("Restore Codex login", a.Restore)
		restore.Disabled = v.Busy != ""
		items = append(items, restore)
	}
	items = append(items, fyne.NewMenuItem("Sign in again…", a.SignIn))
	if v.HasCodex && v.HaveStatus && v.Status.State != auth.StateLoggedOut {
		items = append(items, fyne.NewMenuItem("Sign out…", a.SignOut))
	}
	items = append(items,
		fyne.NewMenuItem("Settings…", a.Settings),
		fyne.NewMenuItemSeparator(),
	)
	quit := fyne.NewMenuItem("Quit", a.Quit)
	quit.IsQuit = true
	items = append(items, quit)
	return fyne.NewMenu("Codex Tray", items...)
}

// menuKey describes what a menu shows, to skip re-sending an unchanged menu
// to the tray host on every clock tick.
func menuKey(m *fyne.Menu) string { return menuText(m, true) }

// menuShape describes a menu without its words and enabled states: two
// menus of one shape differ only in what systray can change in place.
func menuShape(m *fyne.Menu) string { return menuText(m, false) }

func menuText(m *fyne.Menu, words bool) string {
	var b []byte
	var walk func(*fyne.Menu)
	walk = func(m *fyne.Menu) {
		for _, it := range m.Items {
			if words {
				b = append(b, it.Label...)
			}
			if it.Disabled && words {
				b = append(b, "\x01d"...)
			}
			if it.Checked {
				b = append(b, "\x01c"...)
			}
			if it.IsSeparator {
				b = append(b, "\x01-"...)
			}
			if it.ChildMenu != nil {
				b = append(b, '[')
				walk(it.ChildMenu)
				b = append(b, ']')
			}
			b = append(b, '\n')
		}
	}
	walk(m)
	return string(b)
}
