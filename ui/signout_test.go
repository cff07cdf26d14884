package ui

// Sign out… asks first, then has the real Codex CLI's app-server remove its
// login (account/logout), and the window goes.

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/core/login"
	"github.com/codextray/codextray/internal/codexfake"
)

func TestSignOutAsksThenCodexRemovesItsLogin(t *testing.T) {
	codex := codexfake.RealCodex(t)
	home := t.TempDir()
	t.Setenv("CODEX_HOME", home)
	t.Setenv("HOME", t.TempDir())
	authPath := filepath.Join(home, auth.AuthFileName)
	if err := authtest.WriteAtomic(authPath, authtest.Login{Expires: time.Now().Add(time.Hour)}.Document()); err != nil {
		t.Fatal(err)
	}
	old := login.FindCodex
	login.FindCodex = func() (string, error) { return codex, nil }
	t.Cleanup(func() { login.FindCodex = old })
	svc, err := login.New("test")
	if err != nil {
		t.Fatal(err)
	}
	c := newTestController(t, viewFor(statusFor(auth.StateValid)), Options{Codex: svc})
	c.signOut.open()
	if got := c.signOut.question.Text; got != signOutQuestion(c.snapshot()) || c.snapshot().Status.Email == "" {
		t.Fatalf("question %q", got)
	}
	// Cancel leaves the login alone.
	test.Tap(c.signOut.cancel)
	if c.signOut.win != nil {
		t.Fatal("Cancel did not close the window")
	}
	if _, err := os.Stat(authPath); err != nil {
		t.Fatalf("Cancel touched the login: %v", err)
	}

	c.signOut.open()
	test.Tap(c.signOut.confirm)
	// The test driver runs fyne.Do on the calling goroutine: poll what is
	// safe to read from here (the controller's state, the driver's windows).
	deadline := time.Now().Add(30 * time.Second)
	for c.snapshot().LastAction == "" || signOutShown(c) {
		if time.Now().After(deadline) {
			t.Fatalf("the sign-out did not finish (last action %q)", c.snapshot().LastAction)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(authPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("auth.json after signing out: %v", err)
	}
	if got := c.snapshot().LastAction; got != "Signed out of Codex." {
		t.Errorf("last action %q", got)
	}
}

func signOutShown(c *controller) bool {
	for _, w := range c.app.Driver().AllWindows() {
		if w.Title() == "Codex Tray — Sign out" {
			return true
		}
	}
	return false
}
