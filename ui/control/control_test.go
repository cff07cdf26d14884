package control

import (
	"errors"
	"testing"
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
