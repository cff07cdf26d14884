package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/auth"
)

func TestTrayMenuShowsStatusAndQuit(t *testing.T) {
	test.NewTempApp(t)

	quitted := 0
	m := trayMenu(auth.Status{State: auth.StateValid, Message: "Signed in as ada@example.com (Plus)."}, func() { quitted++ })

	if len(m.Items) != 3 {
		t.Fatalf("menu has %d items, want status, separator, Quit: %v", len(m.Items), labels(m))
	}
	first := m.Items[0]
	if first.Label != "Signed in as ada@example.com (Plus)." {
		t.Errorf("first item = %q, want the status message", first.Label)
	}
	if !first.Disabled {
		t.Error("the status item is enabled; it should be a disabled label")
	}
	if !m.Items[1].IsSeparator {
		t.Error("second item is not a separator")
	}
	quit := m.Items[len(m.Items)-1]
	if quit.Label != "Quit" || !quit.IsQuit {
		t.Fatalf("last item = %q (IsQuit %v), want Quit", quit.Label, quit.IsQuit)
	}
	quit.Action()
	if quitted != 1 {
		t.Errorf("Quit called onQuit %d times, want 1", quitted)
	}
}

func TestTrayMenuFallbackLine(t *testing.T) {
	for _, st := range []auth.State{
		auth.StateLoggedOut, auth.StateAPIKey, auth.StateValid, auth.StateExpiring,
		auth.StateExpired, auth.StateReloginRequired, auth.StateError, "",
	} {
		m := trayMenu(auth.Status{State: st}, func() {})
		if m.Items[0].Label == "" {
			t.Errorf("state %q: empty status line", st)
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

func labels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		out = append(out, it.Label)
	}
	return out
}
