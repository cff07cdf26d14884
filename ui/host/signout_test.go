package host

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
	"github.com/codextray/codextray/ui/control"
	"github.com/codextray/codextray/ui/view/viewtest"
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
	h := newTestHost(t, viewtest.StateFor(viewtest.StatusFor(auth.StateValid)), control.Deps{Codex: svc})
	h.signOut.open()
	if got := h.signOut.question.Text; got != signOutQuestion(h.c.Snapshot()) || h.c.Snapshot().Status.Email == "" {
		t.Fatalf("question %q", got)
	}
	// Cancel leaves the login alone.
	test.Tap(h.signOut.cancel)
	if h.signOut.win != nil {
		t.Fatal("Cancel did not close the window")
	}
	if _, err := os.Stat(authPath); err != nil {
		t.Fatalf("Cancel touched the login: %v", err)
	}

	h.signOut.open()
	test.Tap(h.signOut.confirm)
	// The test driver runs fyne.Do on the calling goroutine: poll what is
	// safe to read from here (the controller's state, the driver's windows).
	deadline := time.Now().Add(30 * time.Second)
	for h.c.Snapshot().LastAction == "" || signOutShown(h) {
		if time.Now().After(deadline) {
			t.Fatalf("the sign-out did not finish (last action %q)", h.c.Snapshot().LastAction)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(authPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("auth.json after signing out: %v", err)
	}
	if got := h.c.Snapshot().LastAction; got != "Signed out of Codex." {
		t.Errorf("last action %q", got)
	}
}

func signOutShown(h *Host) bool {
	for _, w := range h.app.Driver().AllWindows() {
		if w.Title() == "Codex Tray — Sign out" {
			return true
		}
	}
	return false
}
