package tray

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view"
	"github.com/codextray/codextray/ui/view/viewtest"
)

type menuItemWant struct {
	label    string
	disabled bool
}

func TestTrayMenuForEveryState(t *testing.T) {
	test.NewTempApp(t)
	common := []menuItemWant{{"Open Chat", false}, {"Status…", false}}
	tail := []menuItemWant{{"Sign in again…", false}, {"Settings…", false}, {"", false}, {"Quit", false}}
	usage := []menuItemWant{{"5 h: 42 % used · resets 14:05", true}, {"Week: 12 % used · resets Thu 10:00", true}}
	cat := func(parts ...[]menuItemWant) []menuItemWant {
		var out []menuItemWant
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		state   auth.State
		restore string
		want    []menuItemWant
	}{
		{auth.StateValid, "", cat([]menuItemWant{{"ada@example.com · Plus", true}, {"Token valid · expires in 3 d 2 h", true}}, usage,
			[]menuItemWant{{"", false}, {"Models", false}}, common, []menuItemWant{{"Refresh now", false}}, tail)},
		{auth.StateExpiring, "", cat([]menuItemWant{{"ada@example.com · Plus", true}, {"Token expires in 3 h 12 min", true}}, usage,
			[]menuItemWant{{"", false}, {"Models", false}}, common, []menuItemWant{{"Refresh now", false}}, tail)},
		{auth.StateExpired, "", cat([]menuItemWant{{"ada@example.com · Plus", true}, {"Token expired 5 min ago · refreshed on next use", true}}, usage,
			[]menuItemWant{{"", false}, {"Models", false}}, common, []menuItemWant{{"Refresh now", false}}, tail)},
		{auth.StateReloginRequired, "", cat([]menuItemWant{{"ada@example.com · Plus", true}, {"Sign in again: the token could not be refreshed", true}},
			[]menuItemWant{{"", false}}, common, []menuItemWant{{"Refresh now", true}}, tail)},
		{auth.StateLoggedOut, "auth.json is missing", cat([]menuItemWant{{"Not signed in to Codex", true}, {"Sign in with “codex login”", true}},
			[]menuItemWant{{"", false}}, common, []menuItemWant{{"Refresh now", true}, {"Restore Codex login", false}}, tail)},
		{auth.StateAPIKey, "", cat([]menuItemWant{{"API key sk-proj-***abcde", true}, {"Codex uses an API key", true}},
			[]menuItemWant{{"", false}, {"Models", false}}, common, []menuItemWant{{"Refresh now", true}}, tail)},
		{auth.StateError, "", cat([]menuItemWant{{"Codex login unreadable", true}, {"Cannot read the Codex login", true}},
			[]menuItemWant{{"", false}}, common, []menuItemWant{{"Refresh now", true}}, tail)},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			v := viewtest.StateFor(viewtest.StatusFor(tc.state))
			if tc.state == auth.StateAPIKey {
				v.Usage = nil // API keys have no usage windows
			}
			v.RestoreReason = tc.restore
			m := trayMenu(v, menuActions{})
			var got []menuItemWant
			for _, it := range m.Items {
				got = append(got, menuItemWant{it.Label, it.Disabled})
			}
			if strings.Join(flat(got), "\n") != strings.Join(flat(tc.want), "\n") {
				t.Errorf("menu:\n%s\nwant:\n%s", strings.Join(flat(got), "\n"), strings.Join(flat(tc.want), "\n"))
			}
			if q := m.Items[len(m.Items)-1]; !q.IsQuit {
				t.Error("the last item is not marked IsQuit")
			}
		})
	}
}

func flat(items []menuItemWant) []string {
	var out []string
	for _, it := range items {
		s := it.label
		if it.disabled {
			s += " (disabled)"
		}
		out = append(out, s)
	}
	return out
}

func TestTrayMenuModelsChecksTheDefaultAndChoosing(t *testing.T) {
	test.NewTempApp(t)
	v := viewtest.StateFor(viewtest.StatusFor(auth.StateValid))
	var chose []string
	models := findItem(trayMenu(v, menuActions{ChooseModel: func(s string) { chose = append(chose, s) }}), "Models")
	if models == nil || models.ChildMenu == nil {
		t.Fatal("no Models submenu")
	}
	checked := func(m *fyne.MenuItem) []string {
		var out []string
		for _, it := range m.ChildMenu.Items {
			if it.Checked {
				out = append(out, it.Label)
			}
		}
		return out
	}
	if got := checked(models); len(got) != 1 || got[0] != "GPT-5.2 Codex" {
		t.Errorf("checked models = %v, want the backend default GPT-5.2 Codex", got)
	}
	models.ChildMenu.Items[1].Action()
	if len(chose) != 1 || chose[0] != "gpt-5.1-mini" {
		t.Errorf("choosing GPT-5.1 Mini called ChooseModel with %v", chose)
	}
	v.ChosenModel = "gpt-5.1-mini"
	if got := checked(findItem(trayMenu(v, menuActions{}), "Models")); len(got) != 1 || got[0] != "GPT-5.1 Mini" {
		t.Errorf("after choosing, checked = %v, want GPT-5.1 Mini", got)
	}
}

func TestTrayMenuBeforeTheFirstStatusAndWhileBusy(t *testing.T) {
	test.NewTempApp(t)
	m := trayMenu(view.State{HasLogin: true}, menuActions{})
	if m.Items[0].Label != "Reading the Codex login…" || !m.Items[0].Disabled {
		t.Errorf("first item before any status = %q", m.Items[0].Label)
	}
	v := viewtest.StateFor(viewtest.StatusFor(auth.StateValid))
	v.Busy = "Refreshing…"
	m = trayMenu(v, menuActions{})
	if findItem(m, "Refreshing…") == nil || !findItem(m, "Refresh now").Disabled {
		t.Errorf("while refreshing: %v", flatMenu(m))
	}
}

func TestMenuKeyIgnoresNothingVisible(t *testing.T) {
	test.NewTempApp(t)
	v := viewtest.StateFor(viewtest.StatusFor(auth.StateValid))
	v.Now = viewtest.Now.Add(-10 * time.Second)
	a := menuKey(trayMenu(v, menuActions{}))
	v.Now = viewtest.Now.Add(-20 * time.Second) // the same countdown text
	if menuKey(trayMenu(v, menuActions{})) != a {
		t.Error("the menu key changed though no label did")
	}
	v.Now = viewtest.Now.Add(2 * time.Hour)
	if menuKey(trayMenu(v, menuActions{})) == a {
		t.Error("the menu key did not change with the countdown")
	}
	v.ChosenModel = "gpt-5.1-mini"
	b := menuKey(trayMenu(v, menuActions{}))
	v.ChosenModel = ""
	if menuKey(trayMenu(v, menuActions{})) == b {
		t.Error("the menu key ignores the checked model")
	}
}

// The menu keeps its shape while only words and enabled states change
// (it is then updated in place), and takes a new one when items come or go.
func TestMenuShapeFollowsItemsNotWords(t *testing.T) {
	test.NewTempApp(t)
	v := viewtest.StateFor(viewtest.StatusFor(auth.StateValid))
	shape := menuShape(trayMenu(v, menuActions{}))
	v.Now = viewtest.Now.Add(2 * time.Hour) // the countdown
	v.Usage.Windows[0].UsedPercent = 97     // a usage line
	if menuShape(trayMenu(v, menuActions{})) != shape {
		t.Error("the shape changed with the words")
	}
	signedOut := viewtest.StateFor(viewtest.StatusFor(auth.StateLoggedOut))
	if menuShape(trayMenu(signedOut, menuActions{})) == shape {
		t.Error("signed in and signed out have one shape")
	}
	v.Busy = "Refreshing the token…"
	if menuShape(trayMenu(v, menuActions{})) == shape {
		t.Error("a busy line more has the same shape")
	}
}

func findItem(m *fyne.Menu, label string) *fyne.MenuItem {
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	return nil
}

func flatMenu(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		out = append(out, it.Label)
	}
	return out
}

// Without the desktop's session bus there is no tray to show: Run says
// so at once rather than autolaunching a bus or running without an icon.
func TestRunTrayWithoutASessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session bus is Linux's and the BSDs'")
	}
	t.Setenv("DISPLAY", ":99")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if err := Run(control.Deps{}); !errors.Is(err, ErrNoSessionBus) {
		t.Fatalf("Run without a session bus: %v, want ErrNoSessionBus", err)
	}
}

// The menu writes the usage windows as the status window and the chat do
// (viewtest.UsageLines), in 24 h and 12 h locales alike.
func TestTrayMenuUsageLinesMatchEveryView(t *testing.T) {
	for _, hour12 := range []bool{false, true} {
		m := trayMenu(viewtest.StateIn(hour12), menuActions{})
		for _, want := range viewtest.UsageLines[hour12] {
			if findItem(m, want) == nil {
				t.Errorf("12 h %v: the menu lacks %q:\n%s", hour12, want, strings.Join(flatMenu(m), "\n"))
			}
		}
	}
}
