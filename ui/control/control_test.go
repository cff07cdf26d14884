package control

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/ui/view"
)

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
		if err := CheckDisplay(tc.goos, env(tc.vars)); !errors.Is(err, tc.want) {
			t.Errorf("CheckDisplay(%s, %v) = %v, want %v", tc.goos, tc.vars, err, tc.want)
		}
	}
	const want = `no display found: the tray needs a graphical session; use "codextray status" on the command line`
	if ErrNoDisplay.Error() != want {
		t.Errorf("ErrNoDisplay = %q, want %q", ErrNoDisplay, want)
	}
}

// The tray reads the clock when one of its lines would change (once a
// minute with the token days from expiry), the window host each second.
func TestClockDueByRole(t *testing.T) {
	prefs := appdata.OpenPrefs(filepath.Join(t.TempDir(), "prefs.json"))
	now := time.Date(2026, 5, 4, 10, 0, 12, 0, time.UTC)
	for _, tc := range []struct {
		role    Role
		expires time.Duration
		want    time.Duration
	}{
		{Tray, 10*24*time.Hour + 50*time.Second, 48 * time.Second}, // the clock's next minute
		{Tray, 5*time.Minute + 30*time.Second, 30*time.Second + time.Millisecond},
		{Tray, 30*time.Second + 400*time.Millisecond, 401 * time.Millisecond}, // counting seconds
		{Host, 10 * 24 * time.Hour, time.Second},
	} {
		c := New(Deps{}, tc.role, prefs)
		c.now = func() time.Time { return now }
		c.Update(func(v *view.State) {
			v.HaveStatus, v.Status = true, auth.Status{State: auth.StateValid, Expires: now.Add(tc.expires)}
		})
		if got := c.clockDue(); got != tc.want {
			t.Errorf("role %d, token expiring in %v: clock due in %v, want %v", tc.role, tc.expires, got, tc.want)
		}
	}
}
