//go:build linux && flatpak

package autostart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rymdport/portal/background"
)

// Inside Flatpak the sandbox cannot write the host's autostart directory:
// the Background portal writes (and removes) the entry for the app. The
// portal cannot be asked whether it is on, so a marker in the sandbox's own
// config directory remembers the last answer.

// Enabled reports whether the portal last agreed to start the app at login.
func Enabled() (bool, error) {
	_, err := os.Stat(markerPath())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Enable asks the Background portal to start the app at login. exe is
// ignored: the portal starts the Flatpak's own command.
func Enable(exe string) error {
	res, err := background.RequestBackground("", &background.RequestOptions{
		Reason:      "Start " + Name + " when you log in",
		Autostart:   true,
		Commandline: []string{"codextray"},
	})
	if err != nil {
		return fmt.Errorf("ask the desktop to start %s at login: %w", Name, err)
	}
	if res == nil || !res.Autostart {
		return errors.New("the desktop did not allow " + Name + " to start at login")
	}
	if err := os.MkdirAll(filepath.Dir(markerPath()), 0o755); err != nil {
		return err
	}
	return os.WriteFile(markerPath(), nil, 0o644)
}

// Disable asks the portal to remove the entry it wrote.
func Disable() error {
	if _, err := background.RequestBackground("", &background.RequestOptions{Autostart: false}); err != nil {
		return fmt.Errorf("ask the desktop to stop starting %s at login: %w", Name, err)
	}
	if err := os.Remove(markerPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func markerPath() string {
	dir, err := xdgConfigHome()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "codextray", "autostart-portal")
}
