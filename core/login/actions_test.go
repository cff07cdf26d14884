package login

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
)

// "Refresh now" finishes a refresh an earlier run could not write before
// anything else, for the tray as for the command line: its refresh token
// is spent, so refreshing again could only fail. No second POST is made.
func TestRefreshNowFinishesAnInterruptedRefreshFirst(t *testing.T) {
	home := t.TempDir()
	authPath := filepath.Join(home, auth.AuthFileName)
	const rt = "rt_login_refresh_now_0001"
	if err := authtest.WriteAtomic(authPath, authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt}.Document()); err != nil {
		t.Fatal(err)
	}
	srv := authtest.NewTokenServer(t, rt)
	loader := &auth.Loader{Home: home}
	journal := auth.NewRefreshJournal(t.TempDir())
	s := &Service{Home: home, Loader: loader, Mirror: &auth.Mirror{Home: home, Keyring: noKeyring{}},
		Refresher: &auth.Refresher{Loader: loader, TokenURL: srv.TokenURL(), Journal: journal, Attempts: 1}}
	// The write fails at its last step: the temp file is gone at the rename.
	s.Refresher.BeforeRename = func() {
		m, _ := filepath.Glob(filepath.Join(home, ".auth-*"))
		for _, p := range m {
			os.Remove(p)
		}
	}
	_, err := s.Refresher.Refresh(context.Background(), nil, "forced")
	s.Refresher.BeforeRename = nil
	if err == nil || !journal.Pending(home) {
		t.Fatalf("the failed write left no journal (err %v)", err)
	}

	out, err := s.RefreshNow(context.Background())
	if err != nil || out.Kind != Recovered {
		t.Fatalf("RefreshNow = %+v, %v; want the interrupted refresh finished", out, err)
	}
	if out.Expires.IsZero() {
		t.Error("the outcome has no expiry of the refreshed login")
	}
	if c := srv.Counts(); c.Calls != 1 {
		t.Errorf("token server: %v, want the failed refresh's POST only", c)
	}
	if journal.Pending(home) {
		t.Error("the journal is still there")
	}
}

func TestRefreshNowWithoutALoginOrWithAnAPIKey(t *testing.T) {
	home := t.TempDir()
	loader := &auth.Loader{Home: home}
	s := &Service{Home: home, Loader: loader, Mirror: &auth.Mirror{Home: home, Keyring: noKeyring{}},
		Refresher: &auth.Refresher{Loader: loader, Journal: auth.NewRefreshJournal(t.TempDir())}}
	if _, err := s.RefreshNow(context.Background()); !errors.Is(err, auth.ErrLoginNeeded) {
		t.Errorf("without a login: %v, want ErrLoginNeeded", err)
	}
	if err := os.WriteFile(filepath.Join(home, auth.AuthFileName), []byte(`{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test-000000000000"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := s.RefreshNow(context.Background()); err != nil || out.Kind != NoTokenAPIKey {
		t.Errorf("with an API key: %+v, %v", out, err)
	}
}

// noKeyring is a session without a keychain: the mirror is unavailable.
type noKeyring struct{}

func (noKeyring) Get(context.Context, string, string) (string, error) {
	return "", auth.ErrKeyringUnavailable
}
func (noKeyring) Set(context.Context, string, string, string) error {
	return auth.ErrKeyringUnavailable
}
func (noKeyring) Delete(context.Context, string, string) error { return auth.ErrKeyringUnavailable }

// mapPrefs is preferences as Fyne's file holds them.
type mapPrefs map[string]any

func (p mapPrefs) FloatWithFallback(k string, def float64) float64 {
	if v, ok := p[k].(float64); ok {
		return v
	}
	return def
}

func (p mapPrefs) BoolWithFallback(k string, def bool) bool {
	if v, ok := p[k].(bool); ok {
		return v
	}
	return def
}

func TestSettingsFromPreferencesAndDefaults(t *testing.T) {
	want := Settings{Reminder: 24 * time.Hour, MirrorEnabled: true, MaintainMirror: true}
	if got := SettingsFrom(mapPrefs{}); got != want {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}
	got := SettingsFrom(mapPrefs{appdata.PrefReminderHours: 6.0, appdata.PrefMirrorEnabled: false, appdata.PrefKeepAliveHours: 1.0})
	want = Settings{Reminder: 6 * time.Hour, MaintainMirror: true, KeepAlive: time.Hour}
	if got != want {
		t.Errorf("stored: %+v, want %+v", got, want)
	}
}
