package tray

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/codextray/codextray/core/auth"
)

// Every picture the tray shows is tray-sized, the one before the first
// status too: a tray sends raw pixels over D-Bus for every read by the
// tray host, so the 512 px application icon there made each start
// allocate tens of megabytes.
func TestEveryTrayPictureIsTraySized(t *testing.T) {
	states := []auth.State{"", auth.StateLoggedOut, auth.StateAPIKey, auth.StateValid, auth.StateExpiring,
		auth.StateExpired, auth.StateReloginRequired, auth.StateError}
	for _, st := range states {
		cfg, err := png.DecodeConfig(bytes.NewReader(trayPicture(string(st))))
		if err != nil {
			t.Fatalf("state %q: not a PNG: %v", st, err)
		}
		if cfg.Width != 64 || cfg.Height != 64 {
			t.Errorf("state %q: the tray picture is %d×%d px, want 64×64", st, cfg.Width, cfg.Height)
		}
	}
}
