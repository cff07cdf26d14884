package cli

// End-to-end tests of the real `codextray status` process against the real
// Codex CLI (docs/real-codex.md): Codex logs in, logs out and refreshes, and
// codextray must see every change, as Codex itself reports it, within 0.5 s,
// without ever printing a token.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
	"github.com/fsnotify/fsnotify"
)

// statusLatencyLimit is docs/DESIGN.md's bound from a change on disk to the
// status --watch line that reports it.
const statusLatencyLimit = 500 * time.Millisecond

var (
	realCodexOnce sync.Once
	realCodexPath string
	realCodexErr  error
)

// realCodex returns the path of the real Codex CLI: $CODEXTRAY_REAL_CODEX
// (make test sets it), else what the repository's
// packaging/linux/real-codex.sh installs into <repo>/.cache/codex. The CLI
// is a real part these tests need: without it they fail, saying why.
func realCodex(t *testing.T) string {
	t.Helper()
	findRealCodex()
	if realCodexErr != nil {
		t.Fatalf("the real Codex CLI is missing (make test installs it; or set CODEXTRAY_REAL_CODEX to a codex binary): %v", realCodexErr)
	}
	return realCodexPath
}

// mustRealCodex is realCodex (which now fails, never skips, for every test).
func mustRealCodex(t *testing.T) string {
	t.Helper()
	return realCodex(t)
}

func findRealCodex() {
	realCodexOnce.Do(func() {
		if p := os.Getenv("CODEXTRAY_REAL_CODEX"); p != "" {
			if _, err := os.Stat(p); err != nil {
				realCodexErr = fmt.Errorf("CODEXTRAY_REAL_CODEX names no binary: %v", err)
				return
			}
			realCodexPath = p
			return
		}
		root, err := repoRoot()
		if err != nil {
			realCodexErr = err
			return
		}
		script := filepath.Join(root, "packaging", "linux", "real-codex.sh")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, "bash", script, filepath.Join(root, ".cache", "codex"))
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			realCodexErr = fmt.Errorf("%s: %v: %s", script, err, strings.TrimSpace(errb.String()))
			return
		}
		realCodexPath = strings.TrimSpace(out.String())
		if realCodexPath == "" {
			realCodexErr = fmt.Errorf("%s printed no path", script)
		}
	})
}

// repoRoot is the nearest directory above the working directory with a go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// interopEnv is one isolated user: a temp HOME and a temp CODEX_HOME, shared
// by the codex and codextray processes of a test.
type interopEnv struct {
	t     *testing.T
	codex string // the real Codex binary
	home  string // CODEX_HOME
	env   []string

	mu      sync.Mutex
	outputs []string // every stdout/stderr codextray produced, for the token check
}

func newInteropEnv(t *testing.T) *interopEnv {
	t.Helper()
	codex := realCodex(t)
	e := newTestEnv(t)
	e.codex = codex
	return e
}

// newTestEnv is an isolated user for codextray alone (no real Codex).
func newTestEnv(t *testing.T) *interopEnv {
	t.Helper()
	e := &interopEnv{t: t, home: filepath.Join(t.TempDir(), "codex-home")}
	if err := os.Mkdir(e.home, 0o700); err != nil {
		t.Fatal(err)
	}
	userHome := t.TempDir()
	e.env = []string{
		"HOME=" + userHome,
		"CODEX_HOME=" + e.home,
		"XDG_CONFIG_HOME=" + filepath.Join(userHome, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(userHome, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(userHome, ".cache"),
	}
	return e
}

// baseEnv is the test's environment without anything that would make Codex
// or codextray use another login or another server.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CODEX_") || strings.HasPrefix(k, "OPENAI_") || strings.HasPrefix(k, "CODEXTRAY_") && k != "CODEXTRAY_TEST_SECRET_SERVICE" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (e *interopEnv) writeConfig(toml string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.home, "config.toml"), []byte(toml), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *interopEnv) authPath() string { return filepath.Join(e.home, auth.AuthFileName) }

// codexCmd is the real Codex CLI with this environment and extra variables.
func (e *interopEnv) codexCmd(ctx context.Context, extra []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.codex, args...)
	cmd.Env = append(append(baseEnv(), e.env...), extra...)
	cmd.Dir = e.home
	return cmd
}

// runCodex runs the real Codex CLI to completion, with stdin as its input,
// and returns its output, exit code and the moment it had exited.
func (e *interopEnv) runCodex(stdin string, args ...string) (stdout, stderr string, code int, exited time.Time) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.codexCmd(ctx, nil, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	exited = time.Now()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("codex %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code, exited
}

// mustCodex runs Codex and fails the test unless it exits with 0.
func (e *interopEnv) mustCodex(stdin string, args ...string) time.Time {
	e.t.Helper()
	out, errs, code, exited := e.runCodex(stdin, args...)
	if code != 0 {
		e.t.Fatalf("codex %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return exited
}

var codexMaskRE = regexp.MustCompile(`(?m)^API key configured - (\S+)\s*$`)

// codexMaskedKey is the masked API key as `codex login status` prints it.
func (e *interopEnv) codexMaskedKey() string {
	e.t.Helper()
	out, errs, code, _ := e.runCodex("", "login", "status")
	m := codexMaskRE.FindStringSubmatch(errs)
	if code != 0 || m == nil {
		e.t.Fatalf("codex login status: exit %d, no \"API key configured - …\" line\nstdout: %s\nstderr: %s", code, out, errs)
	}
	return m[1]
}

// status runs `codextray status --json` once.
func (e *interopEnv) status() (auth.Status, int) {
	e.t.Helper()
	out, errs, code := runCodextray(e.t, e.env, "status", "--json")
	e.record(out, errs)
	var st auth.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		e.t.Fatalf("status --json printed no JSON object (exit %d): %v\nstdout: %s\nstderr: %s", code, err, out, errs)
	}
	return st, code
}

func (e *interopEnv) watch() *statusWatch {
	e.t.Helper()
	w := startStatusWatch(e.t, e.env)
	// Cleanups run last-in first-out: this one runs after the watch has
	// stopped, so its stderr is complete.
	e.t.Cleanup(func() { e.record(w.dump(), w.stderr()) })
	return w
}

func (e *interopEnv) record(out ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.outputs = append(e.outputs, out...)
}

// noTokens fails the test if any output of codextray so far, or still to
// come before the test ends, contains one of secrets.
func (e *interopEnv) noTokens(secrets func() []string) {
	e.t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, s := range secrets() {
			if s == "" {
				continue
			}
			for _, out := range e.outputs {
				if strings.Contains(out, s) {
					e.t.Errorf("codextray printed a secret (%d chars, starting %.6q…) in:\n%s", len(s), s, out)
				}
			}
		}
	})
}

// latencies collects the delays from a Codex command's exit (or a token
// response) to the status --watch line reporting it, across the tests.
var latencies struct {
	sync.Mutex
	d map[string][]time.Duration
}

func recordLatency(t *testing.T, kind, what string, d time.Duration) {
	t.Helper()
	t.Logf("latency %s: %v", what, d.Round(time.Millisecond))
	latencies.Lock()
	defer latencies.Unlock()
	if latencies.d == nil {
		latencies.d = map[string][]time.Duration{}
	}
	latencies.d[kind] = append(latencies.d[kind], d)
	if d > statusLatencyLimit {
		t.Errorf("%s: status --watch reported the change after %v, more than %v", what, d, statusLatencyLimit)
	}
}

// TestInteropAPIKeyLoginLogout: `codex login --with-api-key` and
// `codex logout` while `codextray status --watch --json` runs.
func TestInteropAPIKeyLoginLogout(t *testing.T) {
	e := newInteropEnv(t)
	// Consecutive keys must mask differently, or the status would not change.
	keys := []string{"sk-test-nontmp-12345", "sk-abcdefghijk", "sk-abcdefghij"}
	e.noTokens(func() []string { return keys })

	w := e.watch()
	first, _ := w.next(10*time.Second, func(auth.Status) bool { return true })
	if first.State != auth.StateLoggedOut || first.Source != "none" || first.Mode != "none" {
		t.Fatalf("first line before any login: state %q source %q mode %q, want logged_out/none/none", first.State, first.Source, first.Mode)
	}
	if first.CodexHome != e.home {
		t.Errorf("codex_home = %q, want %q", first.CodexHome, e.home)
	}

	for i, key := range keys {
		exited := e.mustCodex(key, "login", "--with-api-key")
		l := w.nextLine(5*time.Second, func(s auth.Status) bool { return s.State == auth.StateAPIKey && s.APIKey != "" })
		recordLatency(t, "codex exit -> watch line", fmt.Sprintf("login #%d", i+1), l.at.Sub(exited))
		st := l.st

		want := e.codexMaskedKey()
		if st.APIKey != want {
			t.Errorf("login #%d: api_key = %q, codex login status says %q", i+1, st.APIKey, want)
		}
		if st.Mode != "apikey" || st.Source != "file" || st.Store != "file" {
			t.Errorf("login #%d: mode %q source %q store %q, want apikey/file/file", i+1, st.Mode, st.Source, st.Store)
		}
		once, code := e.status()
		if code != ExitOK || once.State != auth.StateAPIKey || once.APIKey != want {
			t.Errorf("login #%d: status --json: exit %d state %q api_key %q, want 0/api_key/%q", i+1, code, once.State, once.APIKey, want)
		}
	}

	exited := e.mustCodex("", "logout")
	l := w.nextLine(5*time.Second, func(s auth.Status) bool { return s.State == auth.StateLoggedOut })
	recordLatency(t, "codex exit -> watch line", "logout", l.at.Sub(exited))
	st := l.st
	if st.Source != "none" || st.Mode != "none" || st.APIKey != "" {
		t.Errorf("after logout: source %q mode %q api_key %q, want none/none/empty", st.Source, st.Mode, st.APIKey)
	}
	if _, err := os.Stat(e.authPath()); !os.IsNotExist(err) {
		t.Errorf("auth.json still exists after codex logout: %v", err)
	}
	if once, code := e.status(); code != ExitLoginNeeded || once.State != auth.StateLoggedOut {
		t.Errorf("status --json after logout: exit %d state %q, want %d/logged_out", code, once.State, ExitLoginNeeded)
	}
}

// replacements records when auth.json was (re)created in a directory.
type replacements struct {
	mu  sync.Mutex
	ats []time.Time
}

func watchReplacements(t *testing.T, dir string) *replacements {
	t.Helper()
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Add(dir); err != nil {
		t.Fatal(err)
	}
	r := &replacements{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range fw.Events {
			if filepath.Base(ev.Name) == auth.AuthFileName && ev.Op&fsnotify.Create != 0 {
				r.mu.Lock()
				r.ats = append(r.ats, time.Now())
				r.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { fw.Close(); <-done })
	return r
}

// lastBefore is the latest replacement at or before t; zero if none.
func (r *replacements) lastBefore(t time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var last time.Time
	for _, at := range r.ats {
		if !at.After(t) {
			last = at
		}
	}
	return last
}

// appServer is a running `codex app-server` driven over stdio JSON lines
// (docs/real-codex.md appendix C).
type appServer struct {
	t       *testing.T
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	mu      sync.Mutex
	replies map[float64]chan map[string]any
	stderr  bytes.Buffer

	stopOnce sync.Once
	stopped  func()
}

func (e *interopEnv) startAppServer(extra []string) *appServer {
	e.t.Helper()
	cmd := e.codexCmd(context.Background(), extra, "app-server")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so its children end with it
	a := &appServer{t: e.t, cmd: cmd, replies: map[float64]chan map[string]any{}}
	var err error
	if a.stdin, err = cmd.StdinPipe(); err != nil {
		e.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stderr = &lockedWriter{mu: &a.mu, w: &a.stderr}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			id, ok := m["id"].(float64)
			if !ok {
				continue // a notification
			}
			a.reply(id) <- m
		}
	}()
	a.stopped = func() {
		_ = a.stdin.Close()
		// End the app-server, and anything it started, by its process group id.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		<-done
		if e.t.Failed() {
			a.mu.Lock()
			e.t.Logf("codex app-server stderr:\n%s", a.stderr.String())
			a.mu.Unlock()
		}
	}
	e.t.Cleanup(a.stop)
	return a
}

// stop ends the app-server now (it is also ended when the test ends).
func (a *appServer) stop() { a.stopOnce.Do(a.stopped) }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (a *appServer) reply(id float64) chan map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch, ok := a.replies[id]
	if !ok {
		ch = make(chan map[string]any, 1)
		a.replies[id] = ch
	}
	return ch
}

func (a *appServer) send(msg map[string]any) {
	a.t.Helper()
	b, _ := json.Marshal(msg)
	if _, err := a.stdin.Write(append(b, '\n')); err != nil {
		a.t.Fatalf("writing to codex app-server: %v", err)
	}
}

// call sends a request and waits for its reply.
func (a *appServer) call(id int, method string, params any, timeout time.Duration) map[string]any {
	a.t.Helper()
	a.send(map[string]any{"id": id, "method": method, "params": params})
	select {
	case m := <-a.reply(float64(id)):
		return m
	case <-time.After(timeout):
		a.mu.Lock()
		defer a.mu.Unlock()
		a.t.Fatalf("codex app-server did not answer %s within %v; stderr:\n%s", method, timeout, a.stderr.String())
		return nil
	}
}

// TestInteropChatGPTRefresh: the real Codex refreshes a ChatGPT login that is
// about to expire, against a local token server; status --watch must report
// the new expiry.
func TestInteropChatGPTRefresh(t *testing.T) {
	e := newInteropEnv(t)
	const oldRT = "rt_interop_original_0001"
	oldExp := time.Now().Add(2 * time.Minute).Truncate(time.Second) // inside Codex's 5-minute proactive window
	doc := authtest.Login{Expires: oldExp, RefreshToken: oldRT, LastRefresh: time.Now().Add(-time.Minute)}.Document()
	if err := authtest.WriteAtomic(e.authPath(), doc); err != nil {
		t.Fatal(err)
	}
	var oldDoc struct {
		Tokens map[string]string `json:"tokens"`
	}
	if err := json.Unmarshal(doc, &oldDoc); err != nil {
		t.Fatal(err)
	}

	srv := authtest.NewTokenServer(t, oldRT)
	e.writeConfig(srv.CodexConfig())
	e.noTokens(func() []string {
		return append([]string{oldDoc.Tokens["id_token"], oldDoc.Tokens["access_token"], oldRT}, srv.Secrets()...)
	})

	w := e.watch()
	first, _ := w.next(10*time.Second, func(auth.Status) bool { return true })
	wantOld := oldExp.UTC().Format(time.RFC3339)
	if first.State != auth.StateExpiring || first.ExpiresAt != wantOld || first.Mode != "chatgpt" || first.Source != "file" ||
		first.Email != authtest.Email || first.Plan != authtest.Plan || first.AccountID != authtest.AccountID {
		t.Fatalf("before the refresh: %+v; want expiring, expires_at %s, chatgpt from file, %s on %s", first, wantOld, authtest.Email, authtest.Plan)
	}

	// When Codex renames its new auth.json into place: the change on disk
	// that the latency bound counts from.
	replaced := watchReplacements(t, e.home)
	a := e.startAppServer([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL(), "RUST_LOG=codex_login=debug"})
	init := a.call(1, "initialize", map[string]any{"clientInfo": map[string]any{"name": "codextray-interop", "title": "codextray interop test", "version": "0.0.1"}}, 60*time.Second)
	if init["error"] != nil {
		t.Fatalf("initialize failed: %v", init["error"])
	}
	a.send(map[string]any{"method": "initialized"})
	a.send(map[string]any{"id": 2, "method": "account/read", "params": map[string]any{"refreshToken": true}})

	select {
	case <-srv.Got():
	case <-time.After(30 * time.Second):
		t.Fatalf("codex app-server made no successful refresh within 30 s (token server: %v)", srv.Counts())
	}

	l := w.nextLine(5*time.Second, func(s auth.Status) bool { return s.ExpiresAt != wantOld && srv.IsIssued(s.ExpiresAt) })
	st := l.st
	if at := replaced.lastBefore(l.at); at.IsZero() {
		t.Errorf("status --watch reported the refresh, but no replacement of auth.json was seen before it")
	} else {
		recordLatency(t, "auth.json rename -> watch line", "refresh", l.at.Sub(at))
	}

	if st.State != auth.StateExpiring {
		t.Errorf("after the refresh: state %q, want expiring (a 1 h token with the default 24 h reminder)", st.State)
	}
	if st.Mode != "chatgpt" || st.Source != "file" || st.Email != authtest.Email || st.Plan != "pro" || st.AccountID != authtest.AccountID {
		t.Errorf("after the refresh: mode %q source %q email %q plan %q account %q; want chatgpt, file, %s, pro (from the new id_token), %s",
			st.Mode, st.Source, st.Email, st.Plan, st.AccountID, authtest.Email, authtest.AccountID)
	}
	if st.ExpiresInSeconds == nil || *st.ExpiresInSeconds < 3500 || *st.ExpiresInSeconds > 3600 {
		t.Errorf("after the refresh: expires_in_seconds = %v, want about 3600", st.ExpiresInSeconds)
	}
	if st.LastRefresh == "" || st.LastRefresh == first.LastRefresh {
		t.Errorf("after the refresh: last_refresh = %q, want Codex's new timestamp (was %q)", st.LastRefresh, first.LastRefresh)
	}

	// What Codex sent, and what it wrote.
	reqs := srv.Requests()
	req := reqs[0].Body
	current := srv.Current()
	for i, r := range reqs {
		t.Logf("token request %d: refresh_reason %q, answered %d", i+1, r.Body["refresh_reason"], r.Status)
	}
	if c := srv.Counts(); c.Reused != 0 || c.Bad != 0 || c.Unknown != 0 {
		t.Errorf("token server: %v", c)
	}
	if req["refresh_token"] != oldRT || !slices.Contains([]string{"forced", "proactive_expiry"}, req["refresh_reason"]) {
		t.Errorf("first refresh request: refresh_token matches: %v, refresh_reason %q", req["refresh_token"] == oldRT, req["refresh_reason"])
	}
	raw, err := os.ReadFile(e.authPath())
	if err != nil {
		t.Fatal(err)
	}
	var newDoc struct {
		Tokens map[string]string `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &newDoc); err != nil {
		t.Fatalf("auth.json after the refresh: %v", err)
	}
	if newDoc.Tokens["refresh_token"] != current {
		t.Errorf("auth.json after the refresh does not hold the rotated refresh token")
	}
	once, code := e.status()
	if code != ExitOK || !srv.IsIssued(once.ExpiresAt) {
		t.Errorf("status --json after the refresh: exit %d expires_at %q, want 0 and an expiry the token server issued", code, once.ExpiresAt)
	}
}

// TestInteropKeyring: Codex keeps the login in a real Secret Service
// (gnome-keyring) instead of auth.json; codextray must read it from there.
func TestInteropKeyring(t *testing.T) {
	needSecretService(t)
	for _, store := range []string{"keyring", "auto"} {
		t.Run(store, func(t *testing.T) {
			e := newInteropEnv(t)
			e.writeConfig(fmt.Sprintf("cli_auth_credentials_store = %q\n", store))
			key := "sk-test-keyring-" + store + "-interop"
			e.noTokens(func() []string { return []string{key} })
			t.Cleanup(func() { e.runCodex("", "logout") }) // removes the keyring item even if the test failed

			e.mustCodex(key, "login", "--with-api-key")
			if _, err := os.Stat(e.authPath()); !os.IsNotExist(err) {
				t.Fatalf("codex wrote auth.json in %s mode (stat: %v); the Secret Service is not in use", store, err)
			}
			want := e.codexMaskedKey()
			st, code := e.status()
			if code != ExitOK || st.State != auth.StateAPIKey || st.Source != "keyring" || st.Mode != "apikey" || st.Store != store || st.APIKey != want {
				t.Errorf("status --json: exit %d state %q source %q mode %q store %q api_key %q; want 0, api_key, keyring, apikey, %s, %q (error: %q)",
					code, st.State, st.Source, st.Mode, st.Store, st.APIKey, store, want, st.Error)
			}

			e.mustCodex("", "logout")
			st, code = e.status()
			if code != ExitLoginNeeded || st.State != auth.StateLoggedOut || st.Source != "none" {
				t.Errorf("status --json after codex logout: exit %d state %q source %q; want %d, logged_out, none (error: %q)",
					code, st.State, st.Source, ExitLoginNeeded, st.Error)
			}
		})
	}
}

// TestInteropZLatencySummary prints p50 and max of the latencies the other
// interop tests measured (run it last: go test runs tests in file order).
func TestInteropZLatencySummary(t *testing.T) {
	latencies.Lock()
	defer latencies.Unlock()
	if len(latencies.d) == 0 {
		t.Log("no latency measured: no interop test ran before this one (-run?)")
		return
	}
	for kind, ds := range latencies.d {
		s := slices.Clone(ds)
		slices.Sort(s)
		t.Logf("%s: n=%d p50=%v max=%v", kind, len(s), s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
	}
}
