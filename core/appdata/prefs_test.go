package appdata

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFilePrefsShareTheFileWithAnotherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fyne", AppID, "preferences.json")
	p := OpenPrefs(path) // no file yet
	if p.String(PrefDefaultModel) != "" || !p.BoolWithFallback(PrefNotifications, true) || p.FloatWithFallback(PrefReminderHours, 24) != 24 {
		t.Fatal("a missing file does not give the fallbacks")
	}
	p.SetString(PrefDefaultModel, "gpt-5.2-codex")

	// Fyne (the window host) writes the file as it does: one JSON object,
	// rewritten in place, with the tray's key kept and one of its own.
	if err := os.WriteFile(path, []byte(`{"default_model":"gpt-5.2-codex","reminder_hours":6,"notifications":false}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The tray changes one key before it reloads: Fyne's keys survive.
	p.SetString("snooze_until", "2026-11-28T18:00:00Z")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("the file is not one JSON object: %v\n%s", err, raw)
	}
	if m["reminder_hours"] != 6.0 || m["notifications"] != false || m["default_model"] != "gpt-5.2-codex" || m["snooze_until"] != "2026-11-28T18:00:00Z" {
		t.Errorf("file after the tray's write: %s", raw)
	}
	if p.FloatWithFallback(PrefReminderHours, 24) != 6 || p.BoolWithFallback(PrefNotifications, true) {
		t.Error("the tray does not see Fyne's values after its own write")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("preferences.json mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".preferences-*"))
	if len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}

	p.RemoveValue("snooze_until")
	if p.String("snooze_until") != "" {
		t.Error("RemoveValue kept the key")
	}
}

// Fyne rewrites preferences.json in place, so a reload can catch it half
// written: the values read before stay until the file is whole.
func TestFilePrefsReloadKeepsValuesOverAHalfWrittenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "preferences.json")
	whole := `{"default_model":"gpt-5.2-codex","notifications":false}`
	if err := os.WriteFile(path, []byte(whole), 0o600); err != nil {
		t.Fatal(err)
	}
	p := OpenPrefs(path)
	if err := os.WriteFile(path, []byte(whole[:20]), 0o600); err != nil {
		t.Fatal(err)
	}
	if p.Reload() {
		t.Error("Reload read a half-written file")
	}
	if p.String(PrefDefaultModel) != "gpt-5.2-codex" || p.BoolWithFallback(PrefNotifications, true) {
		t.Error("a half-written file lost the values read before")
	}
	if err := os.WriteFile(path, []byte(`{"default_model":"gpt-5.1-mini"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if !p.Reload() || p.String(PrefDefaultModel) != "gpt-5.1-mini" {
		t.Error("Reload did not take the whole file")
	}
}

// The root is Fyne's on every OS, so the window host's Fyne preferences and
// the tray's are one file.
func TestFyneRoot(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatalf("no home directory to put the preferences under (is HOME set?): %v", err)
	}
	for goos, want := range map[string]string{
		"darwin":  filepath.Join(home, "Library", "Preferences", "fyne"),
		"windows": filepath.Join(home, "AppData", "Roaming", "fyne"),
	} {
		if got, _ := fyneRoot(goos); got != want {
			t.Errorf("fyneRoot(%s) = %s, want %s", goos, got, want)
		}
	}
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg-config")
	if got, _ := fyneRoot("linux"); got != "/tmp/xdg-config/fyne" {
		t.Errorf("fyneRoot(linux) = %s", got)
	}
	path, err := PreferencesPath()
	if err != nil || !strings.HasSuffix(path, filepath.Join("fyne", AppID, "preferences.json")) {
		t.Errorf("PreferencesPath() = %s, %v", path, err)
	}
}

// Follow reloads what the Fyne side writes, and only a whole file.
func TestFilePrefsFollowTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "preferences.json")
	p := OpenPrefs(path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 8)
	go p.Follow(ctx, func() { changed <- struct{}{} })
	// The watch starts in the background: write until it is seen.
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		if err := os.WriteFile(path, []byte(`{"default_model":"gpt-5.1-mini"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		select {
		case <-changed:
			seen = true
		case <-time.After(300 * time.Millisecond):
		case <-deadline:
			t.Fatal("Follow never reported the change")
		}
	}
	if got := p.String(PrefDefaultModel); got != "gpt-5.1-mini" {
		t.Errorf("after Follow: default_model %q", got)
	}
}
