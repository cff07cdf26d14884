package login

// Where Codex's reads of the login cannot be watched (macOS, Windows, a
// login in the keyring), a refresh goes through the real Codex's app-server
// so that Codex's own code spends the token; without a Codex CLI the
// locked refresh stays.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appserver"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/codextray/codextray/internal/codexfake"
)

const rtBefore = "rt_login_via_codex_0001"

// codexUser makes this process's environment one user's, with a login
// that the token server will refresh once, and returns the token server.
func codexUser(t *testing.T, store string) (*authtest.TokenServer, string) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "codex-home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	srv := authtest.NewTokenServer(t, rtBefore)
	cfg := srv.CodexConfig()
	if store != "" {
		cfg += "cli_auth_credentials_store = \"" + store + "\"\n"
	}
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CODEX_HOME", home)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE", srv.TokenURL())
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"} {
		t.Setenv(k, "")
	}
	return srv, home
}

func withCodex(t *testing.T, path string, err error) {
	old := FindCodex
	FindCodex = func() (string, error) { return path, err }
	t.Cleanup(func() { FindCodex = old })
}

// newUnwatchedService is the service as on macOS: no read watch.
func newUnwatchedService(home string, keyring auth.Keyring) *Service {
	s := &Service{Home: home, version: "0.1.0-test"}
	s.Loader = &auth.Loader{Home: home, Keyring: keyring}
	s.Refresher = &auth.Refresher{Loader: s.Loader, KeyringWriter: auth.SystemCodexKeyring{}, Attempts: 1}
	s.Refresher.ViaCodex = s.refreshThroughCodex
	return s
}

// originators returns the originator header of each refresh the server got.
func originators(srv *authtest.TokenServer) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Header.Get("originator"))
	}
	return out
}

func TestRefreshWithoutReadWatchGoesThroughCodex(t *testing.T) {
	codex := codexfake.RealCodex(t)
	srv, home := codexUser(t, "")
	if err := authtest.WriteAtomic(filepath.Join(home, auth.AuthFileName), authtest.Login{Expires: time.Now().Add(time.Hour), RefreshToken: rtBefore}.Document()); err != nil {
		t.Fatal(err)
	}
	withCodex(t, codex, nil)
	s := newUnwatchedService(home, nil)
	s.Refresher.TokenURL = "http://127.0.0.1:9/never-used" // Codex Tray must not post itself

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Refresher.Refresh(ctx, nil, "forced")
	if err != nil {
		t.Fatalf("refresh: %v (server: %s)", err, srv.Counts())
	}
	if !res.Refreshed || res.Doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Fatalf("the login is not the refreshed one (refreshed %v, server: %s)", res.Refreshed, srv.Counts())
	}
	if got := originators(srv); len(got) != 1 || got[0] != appserver.ClientName {
		t.Errorf("refresh requests came from %q, want one from Codex's app-server as %q", got, appserver.ClientName)
	}
}

func TestRefreshWithoutCodexFallsBackToLockedRefresh(t *testing.T) {
	srv, home := codexUser(t, "")
	if err := authtest.WriteAtomic(filepath.Join(home, auth.AuthFileName), authtest.Login{Expires: time.Now().Add(time.Hour), RefreshToken: rtBefore}.Document()); err != nil {
		t.Fatal(err)
	}
	withCodex(t, "", exec.ErrNotFound)
	s := newUnwatchedService(home, nil)
	s.Refresher.TokenURL = srv.TokenURL()
	res, err := s.Refresher.Refresh(context.Background(), nil, "forced")
	if err != nil || !res.Refreshed {
		t.Fatalf("refresh: %v (refreshed %v)", err, res.Refreshed)
	}
	if got := originators(srv); len(got) != 1 || got[0] == appserver.ClientName {
		t.Errorf("refresh requests came from %q, want one made by Codex Tray itself", got)
	}
}

func TestRefreshOfKeyringLoginGoesThroughCodex(t *testing.T) {
	if os.Getenv("CODEXTRAY_TEST_SECRET_SERVICE") != "1" {
		t.Fatal("needs the Secret Service of packaging/linux/test-session.sh (CODEXTRAY_TEST_SECRET_SERVICE=1)")
	}
	codex := codexfake.RealCodex(t)
	srv, home := codexUser(t, "keyring")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	doc := authtest.Login{Expires: time.Now().Add(time.Hour), RefreshToken: rtBefore}.Document()
	compact, err := auth.ParseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := compact.Marshal()
	if err := (auth.SystemCodexKeyring{}).SetCodexEntry(ctx, auth.KeyringUser(home), string(data)); err != nil {
		t.Fatal(err)
	}
	withCodex(t, codex, nil)
	// Even with a read watch: no file watch sees a login in the keyring.
	s := newUnwatchedService(home, auth.SystemKeyring{})
	s.Refresher.TokenURL = "http://127.0.0.1:9/never-used"
	res, err := s.Refresher.Refresh(ctx, nil, "forced")
	if err != nil {
		t.Fatalf("refresh: %v (server: %s)", err, srv.Counts())
	}
	if !res.Refreshed || res.Doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Fatalf("the keyring login is not the refreshed one (server: %s)", srv.Counts())
	}
	if got := originators(srv); len(got) != 1 || got[0] != appserver.ClientName {
		t.Errorf("refresh requests came from %q, want one from Codex's app-server", got)
	}
	if _, err := os.Stat(filepath.Join(home, auth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a keyring login's refresh wrote auth.json: %v", err)
	}
}

func TestRefreshThroughCodexThatFailsIsNotRepeated(t *testing.T) {
	// Codex's refresh is refused for good: the tray reports a new sign-in
	// is needed and never posts the (maybe spent) token itself.
	codex := codexfake.RealCodex(t)
	srv, home := codexUser(t, "")
	srv.SetFailure(authtest.FailReused)
	if err := authtest.WriteAtomic(filepath.Join(home, auth.AuthFileName), authtest.Login{Expires: time.Now().Add(time.Hour), RefreshToken: rtBefore}.Document()); err != nil {
		t.Fatal(err)
	}
	withCodex(t, codex, nil)
	s := newUnwatchedService(home, nil)
	s.Refresher.TokenURL = srv.TokenURL()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := s.Refresher.Refresh(ctx, nil, "forced")
	if err == nil {
		t.Fatal("a refused refresh reported success")
	}
	t.Logf("says: %v (login needed: %v)", err, errors.Is(err, auth.ErrLoginNeeded))
	for _, o := range originators(srv) {
		if o != appserver.ClientName {
			t.Errorf("Codex Tray posted the refresh token itself after Codex's refresh failed (originators %q)", originators(srv))
		}
	}
}

func TestTwoProcessesRefreshingThroughCodexSpendOneToken(t *testing.T) {
	// Two Codex Tray processes (two Refreshers sharing the app data
	// folder) refresh at once: one asks Codex, the other adopts its login.
	codex := codexfake.RealCodex(t)
	srv, home := codexUser(t, "")
	if err := authtest.WriteAtomic(filepath.Join(home, auth.AuthFileName), authtest.Login{Expires: time.Now().Add(time.Hour), RefreshToken: rtBefore}.Document()); err != nil {
		t.Fatal(err)
	}
	withCodex(t, codex, nil)
	dir := t.TempDir()
	var services [2]*Service
	for i := range services {
		services[i] = newUnwatchedService(home, nil)
		services[i].Refresher.Journal = auth.NewRefreshJournal(dir)
		services[i].Refresher.TokenURL = "http://127.0.0.1:9/never-used"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type result struct {
		res auth.RefreshResult
		err error
	}
	results := make(chan result, 2)
	for _, s := range services {
		seen := s.Loader.Load(ctx).Doc // both saw the same login
		go func() {
			res, err := s.Refresher.Refresh(ctx, seen, "forced")
			results <- result{res, err}
		}()
	}
	for range services {
		r := <-results
		if r.err != nil {
			t.Fatalf("refresh: %v (server: %s)", r.err, srv.Counts())
		}
		if r.res.Doc.Tokens.RefreshToken.Reveal() != srv.Current() {
			t.Errorf("a process ended with a login other than the refreshed one (server: %s)", srv.Counts())
		}
	}
	if c := srv.Counts(); c.Calls != 1 || c.Reused != 0 {
		t.Errorf("token server: %s, want one refresh", c)
	}
}
