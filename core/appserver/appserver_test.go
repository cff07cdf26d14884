package appserver_test

// These tests run the real Codex CLI's app-server against local fakes of
// auth.openai.com and chatgpt.com, reached through a CONNECT proxy that
// terminates TLS with a throwaway CA (docs/codex-today.md §1, §5).

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appserver"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/internal/codexfake"
)

// world is one isolated user with the real Codex and the fakes.
type world struct {
	t      *testing.T
	codex  string
	openai *codexfake.OpenAI
	proxy  *codexfake.Proxy
	user   *codexfake.User
	stderr *bytes.Buffer
}

func newWorld(t *testing.T, extraEnv ...string) *world {
	t.Helper()
	return newWorldHosts(t, []string{codexfake.AuthHost, codexfake.ChatGPTHost}, extraEnv...)
}

// newWorldHosts intercepts only hosts: the proxy refuses the others, as a
// network without a way to OpenAI would.
func newWorldHosts(t *testing.T, hosts []string, extraEnv ...string) *world {
	t.Helper()
	codex := codexfake.RealCodex(t)
	ca, err := codexfake.NewCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := codexfake.NewOpenAI()
	p := codexfake.StartProxy(t, ca, o, hosts...)
	w := &world{t: t, codex: codex, openai: o, proxy: p, user: codexfake.NewUser(t, p, extraEnv...), stderr: &bytes.Buffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("app-server stderr:\n%s", w.stderr.String())
			t.Logf("requests: %+v", o.Requests())
		}
	})
	return w
}

func (w *world) opts() appserver.Options {
	return appserver.Options{Codex: w.codex, Env: w.user.Env, ClientVersion: "0.1.0-test", Stderr: &lockedWriter{b: w.stderr}}
}

type lockedWriter struct{ b *bytes.Buffer }

func (l *lockedWriter) Write(p []byte) (int, error) { return l.b.Write(p) }

// waitPoll waits until Codex polls the device code.
// startDeviceSignIn starts a device-code sign-in (for at most a minute)
// and waits until Codex polls for the code.
func (w *world) startDeviceSignIn(t *testing.T) *appserver.SignIn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	w.waitPoll()
	return s
}

func (w *world) waitPoll() {
	w.t.Helper()
	select {
	case <-w.openai.Polled():
	case <-time.After(30 * time.Second):
		w.t.Fatal("Codex did not poll the device code within 30 s")
	}
}

// gone fails the test unless the process and everything it started have
// ended.
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := codexfake.Descendants(pid)
		if !codexfake.Alive(pid) && len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("app-server (pid %d, alive %v) left processes behind: %v", pid, codexfake.Alive(pid), left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) codexRun(args ...string) (string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.codex, args...)
	cmd.Env = w.user.Env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return string(out), code
}

func TestDeviceSignInWritesCodexLogin(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if s.Prompt.URL != "https://auth.openai.com/codex/device" || s.Prompt.UserCode != codexfake.UserCode {
		t.Errorf("prompt = %+v, want the device page and code %s", s.Prompt, codexfake.UserCode)
	}
	if d := time.Until(s.Prompt.ExpiresAt); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("code expires in %v, want about 15 min", d)
	}
	w.waitPoll()
	w.openai.SetDeviceAnswer(codexfake.DeviceAuthorized)
	acct, err := s.Result()
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if acct.Email != w.openai.Email {
		t.Errorf("account = %+v, want email %s", acct, w.openai.Email)
	}
	gone(t, s.PID())

	data, err := os.ReadFile(filepath.Join(w.user.CodexHome, auth.AuthFileName))
	if err != nil {
		t.Fatalf("Codex wrote no auth.json: %v", err)
	}
	doc, err := auth.ParseDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Mode() != "chatgpt" || doc.Tokens == nil || doc.Tokens.RefreshToken.Reveal() != w.openai.RefreshToken() {
		t.Errorf("auth.json is not the login the fake issued (mode %s)", doc.Mode())
	}
	if out, code := w.codexRun("login", "status"); code != 0 || !strings.Contains(out, "Logged in using ChatGPT") {
		t.Errorf("codex login status: exit %d: %s", code, out)
	}
	// The sign-in reached routing discovery under our client name.
	var checked bool
	for _, r := range w.openai.Requests() {
		checked = checked || r.Path == "/backend-api/wham/accounts/check"
	}
	if !checked {
		t.Error("Codex never asked chatgpt.com for workspace routing")
	}
}

func TestDeviceSignInDisabledByAdmin(t *testing.T) {
	w := newWorld(t)
	w.openai.DisableDeviceCode()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if appserver.KindOf(err) != appserver.KindDeviceDisabled {
		var le *appserver.LoginError
		errors.As(err, &le)
		t.Fatalf("err = %v (kind %d) %#v, want device sign-in disabled", err, appserver.KindOf(err), le)
	}
	t.Logf("says: %v", err)
}

func TestDeviceSignInExpiredCode(t *testing.T) {
	w := newWorld(t)
	s := w.startDeviceSignIn(t)
	w.openai.SetDeviceAnswer(codexfake.DeviceExpired)
	_, err := s.Result()
	if appserver.KindOf(err) != appserver.KindExpired {
		t.Fatalf("err = %v, want the code expired", err)
	}
	t.Logf("says: %v", err)
	gone(t, s.PID())
	if _, err := os.Stat(filepath.Join(w.user.CodexHome, auth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("auth.json after an expired code: %v", err)
	}
}

func TestSignInCancelled(t *testing.T) {
	w := newWorld(t)
	s := w.startDeviceSignIn(t)
	s.Cancel()
	_, err := s.Result()
	if appserver.KindOf(err) != appserver.KindCancelled {
		t.Fatalf("err = %v, want cancelled", err)
	}
	gone(t, s.PID())
}

func TestSignInEndsWithItsContext(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	w.waitPoll()
	cancel() // the app quits
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the sign-in did not end with its context")
	}
	if _, err := s.Result(); appserver.KindOf(err) != appserver.KindCancelled {
		t.Errorf("err = %v, want cancelled", err)
	}
	gone(t, s.PID())
}

func TestAppServerCrashMidSignIn(t *testing.T) {
	w := newWorld(t)
	s := w.startDeviceSignIn(t)
	if err := syscall.Kill(s.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, err := s.Result()
	if appserver.KindOf(err) != appserver.KindCrashed {
		t.Fatalf("err = %v, want app-server crashed", err)
	}
	t.Logf("says: %v", err)
	gone(t, s.PID())
}

func TestSignInWithoutNetwork(t *testing.T) {
	w := newWorldHosts(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err == nil {
		_, err = s.Result()
	}
	if appserver.KindOf(err) != appserver.KindNetwork {
		t.Fatalf("err = %v, want a network failure", err)
	}
	t.Logf("says: %v", err)
}

func TestSignInFailsWhenCodexJudgesItFailed(t *testing.T) {
	// auth.json is written, but routing discovery lists no origin: Codex
	// reports the sign-in failed, and so does Codex Tray (§5 step 4).
	w := newWorld(t)
	w.openai.OmitWorkspaceOrigin()
	w.openai.SetDeviceAnswer(codexfake.DeviceAuthorized)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Result()
	if appserver.KindOf(err) != appserver.KindFailed || !strings.Contains(err.Error(), "routing") {
		t.Fatalf("err = %v, want Codex's failure (routing discovery)", err)
	}
	gone(t, s.PID())
}

func TestCodexTooOldForAppServer(t *testing.T) {
	// A Codex from before app-server: clap rejects the subcommand.
	old := filepath.Join(t.TempDir(), "codex")
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'codex-cli 0.20.0'; exit 0; fi\n" +
		"echo \"error: unrecognized subcommand '$1'\" >&2\nexit 2\n"
	if err := os.WriteFile(old, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := appserver.StartSignIn(ctx, appserver.Options{Codex: old, ClientVersion: "test"}, appserver.DeviceCode)
	if appserver.KindOf(err) != appserver.KindTooOld || !strings.Contains(err.Error(), "0.20.0") || !strings.Contains(err.Error(), appserver.MinVersion) {
		t.Fatalf("err = %v, want too old, naming 0.20.0 and %s", err, appserver.MinVersion)
	}
}

func TestBrowserSignIn(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.Browser)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.Prompt.URL)
	if err != nil || u.Host != codexfake.AuthHost || u.Path != "/oauth/authorize" {
		t.Fatalf("browser URL = %q, want auth.openai.com/oauth/authorize", s.Prompt.URL)
	}
	// The user's browser: auth.openai.com redirects back to Codex's
	// callback on localhost with a code.
	browser := w.proxy.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(s.Prompt.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Hostname() != "localhost" && back.Hostname() != "127.0.0.1" {
		t.Fatalf("authorize redirected to %q, want Codex's localhost callback", resp.Header.Get("Location"))
	}
	resp, err = (&http.Client{Timeout: 20 * time.Second}).Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	acct, err := s.Result()
	if err != nil {
		t.Fatalf("browser sign-in: %v", err)
	}
	if acct.Email != w.openai.Email {
		t.Errorf("account = %+v", acct)
	}
	gone(t, s.PID())
	if out, code := w.codexRun("login", "status"); code != 0 || !strings.Contains(out, "Logged in using ChatGPT") {
		t.Errorf("codex login status: exit %d: %s", code, out)
	}
}

func TestSignOut(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w.openai.SetDeviceAnswer(codexfake.DeviceAuthorized)
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Result(); err != nil {
		t.Fatal(err)
	}
	if err := appserver.SignOut(ctx, w.opts()); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if _, err := os.Stat(filepath.Join(w.user.CodexHome, auth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("auth.json after signing out: %v", err)
	}
	if out, code := w.codexRun("login", "status"); code == 0 || !strings.Contains(out, "Not logged in") {
		t.Errorf("codex login status after signing out: exit %d: %s", code, out)
	}
}

func TestDeviceSignInKeyringStore(t *testing.T) {
	if os.Getenv("CODEXTRAY_TEST_SECRET_SERVICE") != "1" {
		t.Fatal("needs the Secret Service of packaging/linux/test-session.sh (CODEXTRAY_TEST_SECRET_SERVICE=1)")
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatal("secret-tool is missing (Debian: libsecret-tools)")
	}
	w := newWorld(t)
	w.user.WriteConfig(t, "cli_auth_credentials_store = \"keyring\"\n")
	w.openai.SetDeviceAnswer(codexfake.DeviceAuthorized)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := appserver.StartSignIn(ctx, w.opts(), appserver.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Result(); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	gone(t, s.PID())
	user := auth.KeyringUser(w.user.CodexHome)
	out, err := exec.Command("secret-tool", "lookup", "service", "Codex Auth", "username", user).Output()
	if err != nil {
		t.Fatalf("Codex's keyring item (username %s) is missing: %v", user, err)
	}
	doc, err := auth.ParseDocument(out)
	if err != nil || doc.Tokens == nil || doc.Tokens.RefreshToken.Reveal() != w.openai.RefreshToken() {
		t.Fatalf("the keyring item is not the login the fake issued (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(w.user.CodexHome, auth.AuthFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keyring mode wrote auth.json: %v", err)
	}
	if out, code := w.codexRun("login", "status"); code != 0 || !strings.Contains(out, "Logged in using ChatGPT") {
		t.Errorf("codex login status: exit %d: %s", code, out)
	}
	// Signing out through app-server removes the item too.
	if err := appserver.SignOut(ctx, w.opts()); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("secret-tool", "lookup", "service", "Codex Auth", "username", user).Output(); err == nil && len(out) > 0 {
		t.Error("Codex's keyring item is still there after signing out")
	}
}
