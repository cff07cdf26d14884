package cli

// `codextray refresh` as a real process: killed at the worst moment, and
// racing the real Codex CLI for one single-use refresh token.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codextray/codextray/core/appdata"
	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/auth/authtest"
)

// noDBus hides the session bus from a child: no keychain mirror, no
// Secret Service touched.
var noDBus = []string{"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR="}

// initialize does the app-server handshake.
func (a *appServer) initialize() {
	a.t.Helper()
	init := a.call(1, "initialize", map[string]any{"clientInfo": map[string]any{"name": "codextray-interop", "title": "codextray interop test", "version": "0.0.1"}}, 60*time.Second)
	if init["error"] != nil {
		a.t.Fatalf("initialize failed: %v", init["error"])
	}
	a.send(map[string]any{"method": "initialized"})
}

// expiringLogin writes an expiring ChatGPT login with refresh token rt and
// returns its bytes and its tokens.
func (e *interopEnv) expiringLogin(rt string) ([]byte, []string) {
	e.t.Helper()
	doc := authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt, LastRefresh: time.Now().Add(-time.Minute)}.Document()
	if err := authtest.WriteAtomic(e.authPath(), doc); err != nil {
		e.t.Fatal(err)
	}
	var d struct{ Tokens map[string]string }
	if err := json.Unmarshal(doc, &d); err != nil {
		e.t.Fatal(err)
	}
	return doc, []string{d.Tokens["id_token"], d.Tokens["access_token"], rt}
}

// readLogin parses auth.json, failing the test if it is not a whole document.
func (e *interopEnv) readLogin(when string) *auth.Document {
	e.t.Helper()
	doc, err := auth.ReadAuthFile(e.authPath())
	if err != nil {
		e.t.Fatalf("%s: auth.json is not a valid login: %v", when, err)
	}
	return doc
}

func (e *interopEnv) tempFiles() []string {
	m, _ := filepath.Glob(filepath.Join(e.home, ".auth-*"))
	return m
}

// failRename, with CODEXTRAY_TEST_FAIL_RENAME=1 (and CODEXTRAY_TEST_AS_CLI=1),
// makes every write of auth.json fail at its last step, after the token
// server answered, because the temp file is gone when the rename comes (as
// on a failing disk; the tests run as root, so a read-only directory would
// not do).
func failRename() {
	m, _ := filepath.Glob(filepath.Join(os.Getenv("CODEX_HOME"), ".auth-*"))
	for _, p := range m {
		os.Remove(p)
	}
}

// journal is the refresh journal codextray keeps for this Codex home, in
// its own data directory.
func (e *interopEnv) journal() *auth.RefreshJournal {
	return auth.NewRefreshJournal(filepath.Join(envValue(e.env, "XDG_CONFIG_HOME"), "fyne", appdata.AppID))
}

// pendingLogin checks the journal left by a refresh that spent spentRT and
// could not write its login: a 0600 file outside CODEX_HOME that names the
// spent token only by its hash and holds the refreshed login. It returns
// the login's bytes.
func (e *interopEnv) pendingLogin(spentRT, newRT string) []byte {
	e.t.Helper()
	j := e.journal()
	path := j.Path(e.home)
	fi, err := os.Stat(path)
	if err != nil {
		e.t.Fatalf("no refresh journal: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		e.t.Errorf("the journal's mode is %v, want 0600", fi.Mode().Perm())
	}
	if strings.HasPrefix(path, e.home+string(filepath.Separator)) {
		e.t.Errorf("the journal is inside CODEX_HOME")
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte(spentRT)) {
		e.t.Errorf("the journal holds the spent refresh token in clear")
	}
	p, err := j.Load(e.home)
	if err != nil || p == nil {
		e.t.Fatalf("the journal is not readable: %v", err)
	}
	doc, err := auth.ParseDocument([]byte(p.Document.Reveal()))
	if err != nil || doc.Tokens.RefreshToken.Reveal() != newRT {
		e.t.Fatalf("the journal does not hold the refreshed login (err %v)", err)
	}
	if p.SpentHash != auth.TokenHash(auth.NewSecret(spentRT)) || p.AccountID != authtest.AccountID {
		e.t.Errorf("the journal does not name the spent token (%v) or the account (%q)", p.SpentHash == auth.TokenHash(auth.NewSecret(spentRT)), p.AccountID)
	}
	return []byte(p.Document.Reveal())
}

// noJournal fails the test if a journal, or a temp file of one, is left.
func (e *interopEnv) noJournal(when string) {
	e.t.Helper()
	m, _ := filepath.Glob(filepath.Join(e.journal().Dir, "*refresh-journal-*"))
	if len(m) != 0 {
		e.t.Errorf("%s: refresh journal files left: %v", when, m)
	}
}

// killAtRename runs `codextray refresh` and kills it with SIGKILL after its
// new auth.json is complete in the temp file and before the rename: the
// token server has spent the refresh token and the new login is only in
// the temp file and the journal. It returns the temp file's bytes.
func (e *interopEnv) killAtRename(env []string, srv *authtest.TokenServer) []byte {
	t := e.t
	t.Helper()
	ready := filepath.Join(t.TempDir(), "before-rename")
	cmd := codextrayCmd(t, append(slices.Clone(env), e.env...), "refresh")
	cmd.Env = append(cmd.Env, "CODEXTRAY_TEST_BLOCK_BEFORE_RENAME="+ready)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-exited:
			e.record(out.String(), errb.String())
			t.Fatalf("codextray refresh ended (%v) before reaching the rename; stderr: %s", err, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("codextray refresh did not reach the rename within 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	temps := e.tempFiles()
	if len(temps) != 1 {
		t.Fatalf("%d temp files beside auth.json, want 1", len(temps))
	}
	tmp, err := os.ReadFile(temps[0])
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := auth.ParseDocument(tmp); err != nil || doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Fatalf("the temp file is not the whole new login (err %v)", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("codextray refresh: %v, want killed", err)
	}
	e.record(out.String(), errb.String())
	return tmp
}

// TestRefreshKilledBeforeRename: `codextray refresh` is killed with SIGKILL
// at the worst moment, after the token server answered and before the
// rename. auth.json must be the whole old document, and the journal must
// hold the new login byte for byte as it was about to be written. The next
// `codextray refresh` writes that login WITHOUT a second POST (the token
// server refuses a spent token, and this one counts the calls), removes
// the temp file and the journal, and the login it wrote refreshes normally.
func TestRefreshKilledBeforeRename(t *testing.T) {
	e := newTestEnv(t)
	const rt = "rt_kill9_original_0001"
	old, oldTokens := e.expiringLogin(rt)
	srv := authtest.NewTokenServer(t, rt)
	e.noTokens(func() []string { return append(oldTokens, srv.Secrets()...) })
	env := append([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}, noDBus...)

	tmp := e.killAtRename(env, srv)
	got, err := os.ReadFile(e.authPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, old) {
		t.Fatalf("auth.json after the kill is not the whole old document")
	}
	e.readLogin("after the kill")
	issued := srv.Current()
	if kept := e.pendingLogin(rt, issued); !bytes.Equal(kept, tmp) {
		t.Errorf("the journal's login differs from the temp file the killed run was about to rename")
	}

	stdout, stderr, code := runCodextray(t, append(env, e.env...), "refresh")
	e.record(stdout, stderr)
	if code != ExitOK || !strings.Contains(stdout, "Finished a refresh that an earlier run could not write") {
		t.Fatalf("codextray refresh after the kill: exit %d; stdout: %s; stderr: %s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(e.authPath()); !bytes.Equal(got, tmp) {
		t.Errorf("auth.json is not the login the killed run had refreshed")
	}
	if c := srv.Counts(); c.Calls != 1 || c.Issued != 1 {
		t.Errorf("token server: %v, want the killed run's POST only", c)
	}
	if m := e.tempFiles(); len(m) != 0 {
		t.Errorf("temp files left after the next run: %v", m)
	}
	e.noJournal("after the next run")

	// The login written is whole and current: it refreshes.
	stdout, stderr, code = runCodextray(t, append(env, e.env...), "refresh")
	e.record(stdout, stderr)
	if code != ExitOK || !strings.HasPrefix(stdout, "Refreshed") {
		t.Fatalf("codextray refresh of the finished login: exit %d; stdout: %s; stderr: %s", code, stdout, stderr)
	}
	if doc := e.readLogin("after the last run"); doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Errorf("auth.json does not hold the refresh token issued last")
	}
	if c := srv.Counts(); c.Calls != 2 || c.Issued != 2 || c.Reused != 0 || c.Unknown != 0 || c.Bad != 0 {
		t.Errorf("token server: %v", c)
	}
	e.noJournal("after the last run")
}

// TestRefreshKilledJournalStale: after the kill, the login changes before
// codextray runs again (Codex signed in afresh, or the user switched to an
// API key). The journal is stale: the next `codextray refresh` drops it and
// never writes the killed run's login over the newer one.
func TestRefreshKilledJournalStale(t *testing.T) {
	t.Run("signed in again", func(t *testing.T) {
		e := newTestEnv(t)
		const rt, other = "rt_stale_original_0001", "rt_stale_new_sign_in_0001"
		_, oldTokens := e.expiringLogin(rt)
		srv := authtest.NewTokenServer(t, rt)
		e.noTokens(func() []string { return append(oldTokens, srv.Secrets()...) })
		env := append([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}, noDBus...)
		e.killAtRename(env, srv)
		killed := srv.Current()
		e.pendingLogin(rt, killed)

		signIn := authtest.Login{Expires: time.Now().Add(time.Hour).Truncate(time.Second), RefreshToken: other}.Document()
		if err := authtest.WriteAtomic(e.authPath(), signIn); err != nil {
			t.Fatal(err)
		}
		srv.Allow(other)
		stdout, stderr, code := runCodextray(t, append(env, e.env...), "refresh")
		e.record(stdout, stderr)
		if code != ExitOK || !strings.HasPrefix(stdout, "Refreshed") {
			t.Fatalf("codextray refresh: exit %d; stdout: %s; stderr: %s", code, stdout, stderr)
		}
		reqs := srv.Requests()
		if len(reqs) != 2 || reqs[1].Body["refresh_token"] != other {
			t.Errorf("%d token requests; the second refreshed the new sign-in's token: %v", len(reqs), len(reqs) == 2 && reqs[1].Body["refresh_token"] == other)
		}
		doc := e.readLogin("after the run")
		if rt := doc.Tokens.RefreshToken.Reveal(); rt != srv.Current() || rt == killed {
			t.Errorf("auth.json does not hold the token refreshed from the new sign-in (it holds the killed run's: %v)", rt == killed)
		}
		e.noJournal("after the run")
	})
	t.Run("switched to an API key", func(t *testing.T) {
		e := newTestEnv(t)
		const rt = "rt_stale_original_0002"
		_, oldTokens := e.expiringLogin(rt)
		srv := authtest.NewTokenServer(t, rt)
		const key = "sk-stale-journal-api-key-0123456789"
		e.noTokens(func() []string { return append(append(oldTokens, key), srv.Secrets()...) })
		env := append([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}, noDBus...)
		e.killAtRename(env, srv)
		e.pendingLogin(rt, srv.Current())

		apiKey := authtest.APIKeyDocument(key)
		if err := authtest.WriteAtomic(e.authPath(), apiKey); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, code := runCodextray(t, append(env, e.env...), "refresh")
		e.record(stdout, stderr)
		if code != ExitOK || !strings.Contains(stdout, "API key") {
			t.Fatalf("codextray refresh: exit %d; stdout: %s; stderr: %s", code, stdout, stderr)
		}
		if got, _ := os.ReadFile(e.authPath()); !bytes.Equal(got, apiKey) {
			t.Errorf("auth.json changed: the stale journal was written over the API key login")
		}
		if c := srv.Counts(); c.Calls != 1 {
			t.Errorf("token server: %v, want the killed run's POST only", c)
		}
		e.noJournal("after the run")
	})
}

// TestRefreshWriteFailureKeepsJournal: the write of auth.json fails after
// the token server answered. `codextray refresh` fails (exit 1) saying the
// tokens were kept, auth.json is the old login, and the journal holds the
// new one; the next `codextray refresh` writes it without a second POST.
func TestRefreshWriteFailureKeepsJournal(t *testing.T) {
	e := newTestEnv(t)
	const rt = "rt_write_failure_original_0001"
	old, oldTokens := e.expiringLogin(rt)
	srv := authtest.NewTokenServer(t, rt)
	e.noTokens(func() []string { return append(oldTokens, srv.Secrets()...) })
	env := append([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}, noDBus...)

	stdout, stderr, code := runCodextray(t, append(append(slices.Clone(env), e.env...), "CODEXTRAY_TEST_FAIL_RENAME=1"), "refresh")
	e.record(stdout, stderr)
	if code != ExitFailure || !strings.Contains(stderr, "kept the new tokens") {
		t.Fatalf("codextray refresh with a failing write: exit %d, want %d saying the tokens were kept; stderr: %s", code, ExitFailure, stderr)
	}
	if got, _ := os.ReadFile(e.authPath()); !bytes.Equal(got, old) {
		t.Fatalf("auth.json changed although its write failed")
	}
	kept := e.pendingLogin(rt, srv.Current())

	stdout, stderr, code = runCodextray(t, append(env, e.env...), "refresh")
	e.record(stdout, stderr)
	if code != ExitOK || !strings.Contains(stdout, "Finished a refresh that an earlier run could not write") {
		t.Fatalf("codextray refresh after the failed write: exit %d; stdout: %s; stderr: %s", code, stdout, stderr)
	}
	if got, _ := os.ReadFile(e.authPath()); !bytes.Equal(got, kept) {
		t.Errorf("auth.json is not the journal's login")
	}
	if c := srv.Counts(); c.Calls != 1 || c.Issued != 1 {
		t.Errorf("token server: %v, want the failed run's POST only", c)
	}
	e.noJournal("after the next run")
}

// gatedRefresh is a `codextray refresh` process that has started and waits
// for a line on stdin before it runs.
type gatedRefresh struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	ready    string // created once the process waits at the gate
	out, err bytes.Buffer
	done     chan error
}

// startGatedRefresh starts a `codextray refresh` and returns once it is up
// and waits to be released.
func startGatedRefresh(t *testing.T, env []string) *gatedRefresh {
	t.Helper()
	g := &gatedRefresh{done: make(chan error, 1)}
	g.cmd = codextrayCmd(t, env, "refresh")
	g.ready = filepath.Join(t.TempDir(), "at-the-gate")
	g.cmd.Env = append(g.cmd.Env, "CODEXTRAY_TEST_START_GATE="+g.ready)
	var err error
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	g.cmd.Stdout, g.cmd.Stderr = &g.out, &g.err
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		_ = g.cmd.Process.Kill()
		<-g.done
		g.done <- nil
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(g.ready); err == nil {
			return g
		}
		select {
		case err := <-g.done:
			g.done <- err
			t.Fatalf("codextray refresh ended before its gate: %v; stderr: %s", err, g.err.String())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("codextray refresh did not reach its gate within 30 s")
		}
	}
}

func (g *gatedRefresh) release() {
	_, _ = g.stdin.Write([]byte("go\n"))
	_ = g.stdin.Close()
}

// wait returns the exit code.
func (g *gatedRefresh) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-g.done:
		g.done <- err // for the cleanup
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("codextray refresh did not end within %v", timeout)
		return -1
	}
}

// foreignReadsOver waits until the last read of auth.json by another
// program that a codextray process recorded is ForeignReadGrace old, so
// that a refresh now does not wait for it.
func (e *interopEnv) foreignReadsOver() {
	e.t.Helper()
	dir := e.journal().Dir
	raw, err := os.ReadFile(auth.ForeignReadPath(dir, e.home))
	if errors.Is(err, fs.ErrNotExist) {
		return
	} else if err != nil {
		e.t.Fatal(err)
	}
	var rec struct {
		At time.Time `json:"read_at"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		e.t.Fatalf("%s: %v", auth.ForeignReadPath(dir, e.home), err)
	}
	<-time.After(time.Until(rec.At.Add(auth.ForeignReadGrace)))
}

// TestInteropRefreshRace: 20 rounds in which two `codextray refresh`
// processes and the real Codex (a forced refresh through `codex app-server`)
// all try to refresh the same login at the same moment, against a token
// server that enforces single use. No refresh token may ever be redeemed
// twice, auth.json must be a whole valid login after every round, and the
// real Codex must accept the login at the end.
//
// The processes are up (watching who reads auth.json) when they are
// released, as the tray is when Codex refreshes. Codex re-reads auth.json
// outside its locks and posts 20 to 180 ms later: codextray sees that read
// and leaves the refresh to Codex. In some rounds Codex starts later, after
// codextray's refresh is written: Codex's own re-read then adopts it. So
// both orders are run, and each side must refresh in some round.
func TestInteropRefreshRace(t *testing.T) {
	e := newInteropEnv(t)
	const rt = "rt_race_original_0001"
	_, oldTokens := e.expiringLogin(rt)
	srv := authtest.NewTokenServer(t, rt)
	e.writeConfig(srv.CodexConfig())
	e.noTokens(func() []string { return append(oldTokens, srv.Secrets()...) })
	codexEnv := []string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}
	trayEnv := append(append(slices.Clone(codexEnv), noDBus...), e.env...)
	topKeys := func() string {
		raw, err := os.ReadFile(e.authPath())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("auth.json: %v", err)
		}
		var tok map[string]json.RawMessage
		_ = json.Unmarshal(m["tokens"], &tok)
		ks := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
			for k := range tok {
				if !yield("tokens." + k) {
					return
				}
			}
		})
		return strings.Join(ks, ",")
	}
	wantKeys := topKeys()

	const rounds = 20
	start := time.Now()
	var byCodex, byTray, adoptedByTray int
	postsPerRound := map[int]int{}
	reusedBy := map[string]int{}
	spentBy := map[int]string{} // token generation -> who redeemed it
	for round := 1; round <= rounds; round++ {
		before := srv.Counts()
		nreq := len(srv.Requests())
		a := e.startAppServer(codexEnv)
		a.initialize()
		p1, p2 := startGatedRefresh(t, trayEnv), startGatedRefresh(t, trayEnv)
		// Release all three together, rotating who goes first. In rounds
		// 10 and 20 Codex is asked 250 ms after the others, when codextray
		// has refreshed and written, and has not read the login for
		// ForeignReadGrace (codextray would wait for it otherwise).
		codexLate := round%10 == 0
		if codexLate {
			e.foreignReadsOver()
		}
		fire := []func(){
			func() {
				msg := map[string]any{"id": 2, "method": "account/read", "params": map[string]any{"refreshToken": true}}
				if codexLate {
					time.AfterFunc(250*time.Millisecond, func() { a.send(msg) })
				} else {
					a.send(msg)
				}
			},
			p1.release, p2.release,
		}
		roundStart := time.Now()
		for i := range fire {
			fire[(i+round)%len(fire)]()
		}
		for i, p := range []*gatedRefresh{p1, p2} {
			code := p.wait(t, 30*time.Second)
			e.record(p.out.String(), p.err.String())
			if code != ExitOK {
				t.Errorf("round %d: codextray refresh #%d: exit %d; stderr: %s", round, i+1, code, p.err.String())
			}
			if strings.Contains(p.out.String(), "Another program refreshed") {
				adoptedByTray++
			}
		}
		select {
		case <-a.reply(2):
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: codex app-server did not answer account/read", round)
		}
		a.stop()

		after := srv.Counts()
		var log []string
		for _, r := range srv.Requests()[nreq:] {
			who := "codex"
			if strings.HasPrefix(r.Header.Get("User-Agent"), "codextray/") {
				who = "codextray"
				byTray++
			} else {
				byCodex++
			}
			switch {
			case r.Reused:
				reusedBy[who]++
				if who == "codextray" && spentBy[r.Generation] == "codextray" {
					t.Errorf("round %d: codextray redeemed token #%d, which another codextray had spent", round, r.Generation)
				}
			case r.Status == 200:
				spentBy[r.Generation] = who
			}
			log = append(log, fmt.Sprintf("%s +%v %s redeemed token #%d: %d", who, r.At.Sub(roundStart).Round(time.Millisecond), r.Body["refresh_reason"], r.Generation, r.Status))
		}
		t.Logf("round %d: %s", round, strings.Join(log, "; "))
		if os.Getenv("DBGREADS") != "" && strings.Contains(strings.Join(log, "; "), "401") {
			t.Logf("P1: %s\nP2: %s", p1.err.String(), p2.err.String())
		}
		postsPerRound[after.Calls-before.Calls]++
		if after.Unknown != 0 || after.Bad != 0 || after.Failed != 0 {
			t.Errorf("round %d: token server: %v: a request was not Codex's refresh of a token it issued", round, after)
		}
		if after.Issued == before.Issued {
			t.Errorf("round %d: nobody refreshed", round)
		}
		doc := e.readLogin(fmt.Sprintf("round %d", round))
		if doc.Tokens.RefreshToken.Reveal() != srv.Current() {
			t.Fatalf("round %d: auth.json does not hold the only refresh token still valid", round)
		}
		if k := topKeys(); k != wantKeys {
			t.Errorf("round %d: auth.json fields %s, want %s", round, k, wantKeys)
		}
	}
	elapsed := time.Since(start)
	c := srv.Counts()
	t.Logf("%d rounds in %v: token server %v; POSTs by codex %d, by codextray %d; reused by codex %d, by codextray %d; codextray adopted another's refresh %d times; POSTs per round: %v",
		rounds, elapsed.Round(time.Millisecond), c, byCodex, byTray, reusedBy["codex"], reusedBy["codextray"], adoptedByTray, postsPerRound)
	if n := reusedBy["codex"] + reusedBy["codextray"]; n > 0 {
		t.Errorf("the token server saw %d reused refresh tokens (codex %d, codextray %d), want none", n, reusedBy["codex"], reusedBy["codextray"])
	}
	if byTray == 0 || byCodex <= 1 {
		t.Errorf("POSTs by codextray %d, by codex %d: the rounds should have had each side refresh first in some round", byTray, byCodex)
	}

	// The real Codex accepts what is on disk and can refresh from it.
	e.mustCodex("", "login", "status")
	a := e.startAppServer(codexEnv)
	a.initialize()
	before := srv.Counts()
	reply := a.call(2, "account/read", map[string]any{"refreshToken": true}, 30*time.Second)
	if res, ok := reply["result"].(map[string]any); ok && res["requiresOpenaiAuth"] == true && res["account"] == nil {
		t.Errorf("codex app-server account/read after the rounds: the login is not accepted")
	}
	if after := srv.Counts(); after.Issued != before.Issued+1 || after.Reused != before.Reused {
		t.Errorf("codex's forced refresh after the rounds: token server %v (before %v), want one more token issued", after, before)
	}
	if doc := e.readLogin("after codex's last refresh"); doc.Tokens.RefreshToken.Reveal() != srv.Current() {
		t.Errorf("auth.json does not hold codex's last refresh token")
	}
	st, code := e.status()
	if code != ExitOK || st.Mode != "chatgpt" || !srv.IsIssued(st.ExpiresAt) {
		t.Errorf("codextray status after the rounds: exit %d mode %q, expiry issued by the server: %v", code, st.Mode, srv.IsIssued(st.ExpiresAt))
	}
}

// TestRefreshProcessesRace: three `codextray refresh` processes released at
// the same moment, five times: codextray's own processes never spend a
// token twice (each either refreshes or adopts under Codex's locks).
func TestRefreshProcessesRace(t *testing.T) {
	e := newTestEnv(t)
	const rt = "rt_tray_race_original_0001"
	_, oldTokens := e.expiringLogin(rt)
	srv := authtest.NewTokenServer(t, rt)
	e.noTokens(func() []string { return append(oldTokens, srv.Secrets()...) })
	env := append(append([]string{"CODEX_REFRESH_TOKEN_URL_OVERRIDE=" + srv.TokenURL()}, noDBus...), e.env...)
	adopted := 0
	const rounds = 5
	for round := 1; round <= rounds; round++ {
		ps := []*gatedRefresh{startGatedRefresh(t, env), startGatedRefresh(t, env), startGatedRefresh(t, env)}
		for _, p := range ps {
			p.release()
		}
		for i, p := range ps {
			code := p.wait(t, 30*time.Second)
			e.record(p.out.String(), p.err.String())
			if code != ExitOK {
				t.Errorf("round %d: process %d: exit %d; stderr: %s", round, i+1, code, p.err.String())
			}
			if strings.Contains(p.out.String(), "Another program refreshed") {
				adopted++
			}
		}
		if c := srv.Counts(); c.Reused != 0 || c.Unknown != 0 || c.Bad != 0 {
			t.Fatalf("round %d: token server: %v", round, c)
		}
		if doc := e.readLogin(fmt.Sprintf("round %d", round)); doc.Tokens.RefreshToken.Reveal() != srv.Current() {
			t.Fatalf("round %d: auth.json does not hold the only refresh token still valid", round)
		}
	}
	t.Logf("%d rounds of 3 processes: token server %v; %d of %d runs adopted another's refresh", rounds, srv.Counts(), adopted, 3*rounds)
	e.noJournal("after the rounds")
}
