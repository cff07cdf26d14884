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
	ready   bool    // systray has started
	key     string  // what the menu shows now (menuKey)
	shape   string  // its items without their words (menuShape)
	slots   []*slot // its items, depth first, separators left out
	icon    string
	tooltip string
}

// slot is one item of the tray menu as systray has it, and what a click on
// it does now.
type slot struct {
	item     *systray.MenuItem
	label    string
	disabled bool
	act      func() // nil: none
}

func (t *sysTray) update(v view.State) {
	t.q.do(func() {
		if t.ready {
			t.show(v)
		}
	})
}

// show brings the menu to what v shows, and sets the icon and tooltip. A
// menu of the same shape (the token line counting down, a usage line
// moving) is updated item by item, so a tray host reading it meanwhile,
// or a user with the menu open, always sees a whole menu; only a new shape
// (signed in or out, a usage window more) rebuilds it.
func (t *sysTray) show(v view.State) {
	m := trayMenu(v, t.actions)
	if k := menuKey(m); k != t.key {
		t.key = k
		if sh := menuShape(m); sh == t.shape {
			t.updateItems(m)
		} else {
			t.shape = sh
			systray.ResetMenu()
			t.slots = t.slots[:0]
			t.addItems(m, nil)
		}
	}
	icon := string(v.Status.State)
	if !v.HaveStatus {
		icon = ""
	}
	if icon != t.icon {
		t.icon = icon
		if runtime.GOOS == "darwin" && icon != "" {
			// A template image, tinted by the menu bar for light and dark.
			tpl := assets.TrayTemplateIcon(icon)
			systray.SetTemplateIcon(tpl, tpl)
		} else {
			systray.SetIcon(osIcon(trayPicture(icon)))
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
		sl := &slot{item: item, label: it.Label, disabled: it.Disabled, act: it.Action}
		t.slots = append(t.slots, sl)
		if it.ChildMenu != nil {
			t.addItems(it.ChildMenu, item)
		}
		go func() {
			// Ends when a rebuild removes the item (systray closes the
			// channel); the action is read when the click is handled,
			// as an update may have changed it.
			for range item.ClickedCh {
				t.q.do(func() {
					if sl.act != nil {
						sl.act()
					}
				})
			}
		}()
	}
}

// updateItems gives the menu's items the words, states and actions of m,
// which has the menu's shape.
func (t *sysTray) updateItems(m *fyne.Menu) {
	i := 0
	var walk func(*fyne.Menu)
	walk = func(m *fyne.Menu) {
		for _, it := range m.Items {
			if it.IsSeparator {
				continue
			}
			sl := t.slots[i]
			i++
			if it.Label != sl.label {
				sl.label = it.Label
				sl.item.SetTitle(it.Label)
			}
			if it.Disabled != sl.disabled {
				sl.disabled = it.Disabled
				if it.Disabled {
					sl.item.Disable()
				} else {
					sl.item.Enable()
				}
			}
			sl.act = it.Action
			if it.ChildMenu != nil {
				walk(it.ChildMenu)
			}
		}
	}
	walk(m)
}
