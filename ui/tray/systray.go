package tray

import (
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/systray"

	"github.com/codextray/codextray/assets"
	"github.com/codextray/codextray/ui/view"
)

// sysTray is the tray item through fyne.io/systray: its icon, tooltip and
// menu are a function of one view.State. It runs on the uiQueue.
type sysTray struct {
	actions menuActions
	q       *uiQueue
	ready   bool   // systray has started
	key     string // what the menu shows now (menuKey)
	icon    string
	tooltip string
}

func (t *sysTray) update(v view.State) {
	t.q.do(func() {
		if t.ready {
			t.show(v)
		}
	})
}

// show rebuilds the menu from v when what it shows changed, and sets the
// icon and tooltip.
func (t *sysTray) show(v view.State) {
	m := trayMenu(v, t.actions)
	if k := menuKey(m); k != t.key {
		t.key = k
		systray.ResetMenu()
		t.addItems(m, nil)
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
			systray.SetIcon(osIcon(assets.AppIcon.Content()))
		default:
			systray.SetIcon(osIcon(assets.TrayIcon(icon).Content()))
		}
	}
	if tip := view.Tooltip(v); tip != t.tooltip {
		t.tooltip = tip
		systray.SetTooltip(tip)
	}
}

// addItems adds m's items to the tray menu, under parent when not nil.
func (t *sysTray) addItems(m *fyne.Menu, parent *systray.MenuItem) {
	for _, it := range m.Items {
		if it.IsSeparator {
			if parent != nil {
				parent.AddSeparator()
			} else {
				systray.AddSeparator()
			}
			continue
		}
		var item *systray.MenuItem
		switch {
		case parent != nil && it.Checked:
			item = parent.AddSubMenuItemCheckbox(it.Label, "", true)
		case parent != nil:
			item = parent.AddSubMenuItem(it.Label, "")
		case it.Checked:
			item = systray.AddMenuItemCheckbox(it.Label, "", true)
		default:
			item = systray.AddMenuItem(it.Label, "")
		}
		if it.Disabled {
			item.Disable()
		}
		if it.ChildMenu != nil {
			t.addItems(it.ChildMenu, item)
		}
		if act := it.Action; act != nil {
			go func() {
				// Closed when a rebuild removes the item.
				for range item.ClickedCh {
					t.q.do(act)
				}
			}()
		}
	}
}
