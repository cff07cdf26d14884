package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"
	"runtime"

	"github.com/codextray/codextray/assets"
)

// tray is the system tray item: its icon, tooltip and menu are a function
// of one viewState.
type tray struct {
	desk    desktop.App
	actions menuActions
	// menu is the one menu handed to Fyne, refilled on every change: Fyne
	// re-renders the first menu it was given once the tray is ready, which
	// would undo a change made before then if each change were a new menu.
	menu    *fyne.Menu
	key     string // what the menu shows now (menuKey)
	icon    string
	tooltip string
}

func newTray(desk desktop.App, a menuActions) *tray {
	return &tray{desk: desk, actions: a, menu: fyne.NewMenu("Codex Tray"), icon: "\x00"}
}

// update is the tray's fyne.Do seam.
func (t *tray) update(v viewState) { fyne.Do(func() { t.show(v) }) }

// show rebuilds the whole menu from v; it runs on the UI goroutine and
// leaves the tray host alone when nothing it shows changed.
func (t *tray) show(v viewState) {
	m := trayMenu(v, t.actions)
	if k := menuKey(m); k != t.key {
		t.key = k
		t.menu.Items = m.Items
		// The menu first: Fyne starts the tray item on the first menu.
		t.desk.SetSystemTrayMenu(t.menu)
	}
	icon := string(v.Status.State)
	if !v.HaveStatus {
		icon = ""
	}
	if icon != t.icon {
		t.icon = icon
		switch {
		case runtime.GOOS == "darwin" && icon != "":
			// A template image, tinted by the menu bar for light and dark.
			tpl := assets.TrayTemplateIcon(icon)
			systray.SetTemplateIcon(tpl, tpl)
		case icon == "":
			t.desk.SetSystemTrayIcon(assets.AppIcon)
		default:
			t.desk.SetSystemTrayIcon(assets.TrayIcon(icon))
		}
	}
	if tip := tooltip(v); tip != t.tooltip {
		t.tooltip = tip
		systray.SetTooltip(tip)
	}
}
