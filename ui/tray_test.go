package ui

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/auth"
)

var testNow = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// statusFor is a status in state as core would build it for Ada.
func statusFor(state auth.State) auth.Status {
	st := auth.Status{
		CodexHome: "/home/ada/.codex", Store: "file", Source: "file", Mode: "chatgpt", State: state,
		Email: "ada@example.com", Plan: "plus", AccountID: "acc-1", Mirror: auth.MirrorInSync,
		LastRefresh: "2026-05-03T09:00:00Z",
	}
	exp := func(d time.Duration) {
		st.Expires = testNow.Add(d)
		st.ExpiresAt = st.Expires.Format(time.RFC3339)
		secs := int64(d.Seconds())
		st.ExpiresInSeconds = &secs
	}
	switch state {
	case auth.StateValid:
		exp(3*24*time.Hour + 2*time.Hour)
		st.Message = "Signed in as ada@example.com (Plus) · token valid, expires in 3 d 2 h"
	case auth.StateExpiring:
		exp(3*time.Hour + 12*time.Minute)
		st.Message = "Signed in as ada@example.com (Plus) · token expires in 3 h 12 min"
	case auth.StateExpired:
		exp(-5 * time.Minute)
		st.Message = "Signed in as ada@example.com (Plus) · token expired 5 min ago; it is refreshed on next use"
	case auth.StateReloginRequired:
		exp(-time.Hour)
		st.Error = "the refresh token was already used"
		st.Message = "Signed in as ada@example.com (Plus) · sign in again with `codex login`: the token could not be refreshed"
	case auth.StateLoggedOut:
		st = auth.Status{CodexHome: "/home/ada/.codex", Store: "file", Source: "none", Mode: "none", State: state,
			Mirror: auth.MirrorInSync, Message: "Not signed in to Codex. Sign in with `codex login`."}
	case auth.StateAPIKey:
		st = auth.Status{CodexHome: "/home/ada/.codex", Store: "file", Source: "file", Mode: "apikey", State: state,
			APIKey: "sk-proj-***abcde", Mirror: auth.MirrorDisabled, Message: "Codex uses an API key (sk-proj-***abcde)."}
	case auth.StateError:
		st = auth.Status{CodexHome: "/home/ada/.codex", Store: "file", Source: "file", Mode: "none", State: state,
			Mirror: auth.MirrorAbsent, Error: "auth.json is not valid JSON",
			Message: "Cannot read the Codex login: auth.json is not valid JSON"}
	}
	return st
}

func testModels() *ModelList {
	return &ModelList{Default: "gpt-5.2-codex", Models: []Model{
		{Slug: "gpt-5.2-codex", Name: "GPT-5.2 Codex", Efforts: []string{"low", "medium", "high"}, DefaultEffort: "medium"},
		{Slug: "gpt-5.1-mini", Name: "GPT-5.1 Mini", Efforts: []string{"medium"}},
	}}
}

func testUsage() *Usage {
	return &Usage{Windows: []UsageWindow{
		{Minutes: 300, UsedPercent: 42, ResetsAt: testNow.Add(4*time.Hour + 5*time.Minute)},
		{Minutes: 7 * 24 * 60, UsedPercent: 12.4, ResetsAt: testNow.Add(3 * 24 * time.Hour)},
	}}
}

// viewFor is a full view state for st with models and usage loaded.
func viewFor(st auth.Status) viewState {
	return viewState{
		Now: testNow, Loc: time.UTC, HaveStatus: true, Status: st,
		Usage: testUsage(), Models: testModels(), HasBackend: true, HasLogin: true, NotificationsOn: true,
	}
}

type menuItemWant struct {
	label    string
	disabled bool
}

func TestTrayMenuForEveryState(t *testing.T) {
	test.NewTempApp(t)
	common := []menuItemWant{{"Open Chat", false}, {"Status…", false}}
	tail := []menuItemWant{{"Sign in again…", false}, {"Settings…", false}, {"", false}, {"Quit", false}}
	usage := []menuItemWant{{"5 h: 42 % used · resets 14:05", true}, {"week: 12 % used · resets Thu 10:00", true}}
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
			v := viewFor(statusFor(tc.state))
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
	v := viewFor(statusFor(auth.StateValid))
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
	m := trayMenu(viewState{HasLogin: true}, menuActions{})
	if m.Items[0].Label != "Reading the Codex login…" || !m.Items[0].Disabled {
		t.Errorf("first item before any status = %q", m.Items[0].Label)
	}
	v := viewFor(statusFor(auth.StateValid))
	v.Busy = "Refreshing…"
	m = trayMenu(v, menuActions{})
	if findItem(m, "Refreshing…") == nil || !findItem(m, "Refresh now").Disabled {
		t.Errorf("while refreshing: %v", flatMenu(m))
	}
}

func TestMenuKeyIgnoresNothingVisible(t *testing.T) {
	test.NewTempApp(t)
	v := viewFor(statusFor(auth.StateValid))
	v.Now = testNow.Add(-10 * time.Second)
	a := menuKey(trayMenu(v, menuActions{}))
	v.Now = testNow.Add(-20 * time.Second) // the same countdown text
	if menuKey(trayMenu(v, menuActions{})) != a {
		t.Error("the menu key changed though no label did")
	}
	v.Now = testNow.Add(2 * time.Hour)
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

func TestUsageLineAndClock(t *testing.T) {
	for _, tc := range []struct {
		w    UsageWindow
		want string
	}{
		{UsageWindow{Minutes: 300, UsedPercent: 42.4, ResetsAt: testNow.Add(4*time.Hour + 5*time.Minute)}, "5 h: 42 % used · resets 14:05"},
		{UsageWindow{Minutes: 10080, UsedPercent: 12}, "week: 12 % used"},
		{UsageWindow{Minutes: 10080, UsedPercent: 99.6, ResetsAt: testNow.Add(10 * 24 * time.Hour)}, "week: 100 % used · resets 14 May 10:00"},
		{UsageWindow{Minutes: 45, UsedPercent: 0}, "45 min: 0 % used"},
	} {
		if got := usageLine(tc.w, testNow, time.UTC); got != tc.want {
			t.Errorf("usageLine = %q, want %q", got, tc.want)
		}
	}
}

func TestCheckDisplay(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	for _, tc := range []struct {
		goos string
		vars map[string]string
		want error
	}{
		{"linux", nil, ErrNoDisplay},
		{"linux", map[string]string{"DISPLAY": ":0"}, nil},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, nil},
		{"freebsd", nil, ErrNoDisplay},
		{"darwin", nil, nil},
		{"windows", nil, nil},
	} {
		if err := checkDisplay(tc.goos, env(tc.vars)); !errors.Is(err, tc.want) {
			t.Errorf("checkDisplay(%s, %v) = %v, want %v", tc.goos, tc.vars, err, tc.want)
		}
	}
	const want = `no display found: the tray needs a graphical session; use "codextray status" on the command line`
	if ErrNoDisplay.Error() != want {
		t.Errorf("ErrNoDisplay = %q, want %q", ErrNoDisplay, want)
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

// Without the desktop's session bus there is no tray to show: RunTray says
// so at once rather than autolaunching a bus or running without an icon.
func TestRunTrayWithoutASessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session bus is Linux's and the BSDs'")
	}
	t.Setenv("DISPLAY", ":99")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if err := RunTray(Options{}); !errors.Is(err, ErrNoSessionBus) {
		t.Fatalf("RunTray without a session bus: %v, want ErrNoSessionBus", err)
	}
}
