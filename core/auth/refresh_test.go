package auth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

// refreshFixture is a Codex home holding an expiring ChatGPT login, a token
// server that accepts its refresh token, and a Refresher between them.
type refreshFixture struct {
	t    *testing.T
	home string
	srv  *authtest.TokenServer
	r    *Refresher
	old  []byte // auth.json as written
	rt   string // its refresh token
}

func newRefreshFixture(t *testing.T) *refreshFixture {
	t.Helper()
	f := &refreshFixture{t: t, home: t.TempDir(), rt: "rt_fixture_" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	f.old = authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: f.rt, AuthMode: "chatgpt"}.Document()
	if err := authtest.WriteAtomic(f.authPath(), f.old); err != nil {
		t.Fatal(err)
	}
	f.srv = authtest.NewTokenServer(t, f.rt)
	f.r = f.refresher()
	t.Cleanup(f.noSecrets)
	return f
}

// refresher is a new Refresher on the fixture, as another process would have.
func (f *refreshFixture) refresher() *Refresher {
	return &Refresher{Loader: &Loader{Home: f.home}, TokenURL: f.srv.TokenURL(), Attempts: 3, Backoff: time.Millisecond,
		HTTP: &http.Client{Timeout: 10 * time.Second}, ReuseGrace: 100 * time.Millisecond}
}

func (f *refreshFixture) authPath() string { return filepath.Join(f.home, AuthFileName) }

func (f *refreshFixture) read() []byte {
	f.t.Helper()
	b, err := os.ReadFile(f.authPath())
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *refreshFixture) doc() *Document {
	f.t.Helper()
	d, err := ParseDocument(f.read())
	if err != nil {
		f.t.Fatalf("auth.json: %v", err)
	}
	return d
}

// texts collects what a test could print (error messages, statuses), to be
// checked for tokens when the test ends.
var printed struct {
	sync.Mutex
	texts []string
}

func shown(s string) string {
	printed.Lock()
	defer printed.Unlock()
	printed.texts = append(printed.texts, s)
	return s
}

// noSecrets fails the test if anything passed to shown holds a token the
// fixture or the token server knows.
func (f *refreshFixture) noSecrets() {
	printed.Lock()
	defer printed.Unlock()
	secrets := append(f.srv.Secrets(), f.rt)
	var doc map[string]any
	if json.Unmarshal(f.old, &doc) == nil {
		for _, v := range doc["tokens"].(map[string]any) {
			if s, ok := v.(string); ok && len(s) > 20 {
				secrets = append(secrets, s)
			}
		}
	}
	for _, text := range printed.texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				f.t.Errorf("a message holds a token (%d chars)", len(s))
			}
		}
	}
}

// errText is err's message, recorded for the token check.
func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return shown(err.Error())
}

// waitUntil polls cond every 2 ms until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// heldLock is util-linux flock(1) holding an exclusive flock on a file, in
// another process, until released.
type heldLock struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

// holdLock takes an exclusive flock on path in a child process and returns
// once it is held.
func holdLock(t *testing.T, path string) *heldLock {
	t.Helper()
	if _, err := exec.LookPath("flock"); err != nil {
		t.Fatal("the flock command is missing: the test holds Codex's lock from another process with it (Debian: util-linux)")
	}
	cmd := exec.Command("flock", "-x", path, "sh", "-c", "echo locked; exec cat >/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &heldLock{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
		h.done <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "locked" {
			t.Fatalf("flock %s did not take the lock", filepath.Base(path))
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("flock %s: not held within 10 s", filepath.Base(path))
	}
	t.Cleanup(h.release)
	return h
}

// release lets the child exit, which drops the lock, and waits for it.
func (h *heldLock) release() {
	if h.stdin == nil {
		return
	}
	_ = h.stdin.Close()
	h.stdin = nil
	<-h.done
}

// flockState reports, from /proc/locks, whether this process holds and
// whether it waits for a flock on path.
func flockState(t *testing.T, path string) (holds, waits bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		return false, false
	}
	ino := fi.Sys().(*syscall.Stat_t).Ino
	raw, err := os.ReadFile("/proc/locks")
	if err != nil {
		if runtime.GOOS != "linux" {
			t.Skipf("reads the kernel's lock table from /proc/locks, which %s does not have", runtime.GOOS)
		}
		t.Fatalf("/proc/locks is not readable: %v", err)
	}
	pid := strconv.Itoa(os.Getpid())
	suffix := ":" + strconv.FormatUint(ino, 10)
	for _, line := range strings.Split(string(raw), "\n") {
		fs := strings.Fields(line)
		// "1: FLOCK ADVISORY WRITE pid maj:min:ino 0 EOF", waiters with "->" after the number.
		waiter := len(fs) > 1 && fs[1] == "->"
		if waiter {
			fs = append(fs[:1], fs[2:]...)
		}
		if len(fs) < 6 || fs[1] != "FLOCK" || fs[4] != pid || !strings.HasSuffix(fs[5], suffix) {
			continue
		}
		if waiter {
			waits = true
		} else {
			holds = true
		}
	}
	return holds, waits
}

type refreshOutcome struct {
	res RefreshResult
	err error
}

func (f *refreshFixture) refreshAsync(r *Refresher, seen *Document) <-chan refreshOutcome {
	out := make(chan refreshOutcome, 1)
	go func() {
		res, err := r.Refresh(context.Background(), seen, "forced")
		out <- refreshOutcome{res, err}
	}()
	return out
}

func wait(t *testing.T, ch <-chan refreshOutcome, timeout time.Duration) refreshOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(timeout):
		t.Fatalf("Refresh did not return within %v", timeout)
		return refreshOutcome{}
	}
}

// TestRefreshSingleFlight: 50 concurrent Refresh calls in one process, all
// started before the first POST is answered, make exactly one POST and all
// get its tokens. It runs in a synctest bubble so that "all 50 are waiting"
// is known, not hoped for; the token server answers in memory.
func TestRefreshSingleFlight(t *testing.T) {
	f := newRefreshFixture(t)
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		var posts int
		var mu sync.Mutex
		r := f.refresher()
		r.TokenURL = "http://token.invalid/oauth/token"
		r.HTTP = &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			posts++
			mu.Unlock()
			<-gate // hold the answer until every caller has joined
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			return rec.Result(), nil
		})}
		const n = 50
		results := make([]refreshOutcome, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := r.Refresh(context.Background(), nil, "forced")
				results[i] = refreshOutcome{res, err}
			}()
		}
		synctest.Wait() // all 50 are blocked: one in the POST, 49 on the shared call
		mu.Lock()
		if posts != 1 {
			t.Errorf("%d POSTs in flight with %d callers waiting, want 1", posts, n)
		}
		mu.Unlock()
		close(gate)
		wg.Wait()
		for i, o := range results {
			if o.err != nil {
				t.Fatalf("caller %d: %s", i, errText(o.err))
			}
			if !o.res.Refreshed || o.res.Doc.Tokens.RefreshToken.Reveal() != f.srv.Current() {
				t.Errorf("caller %d: refreshed=%v, tokens are the new ones: %v", i, o.res.Refreshed, o.res.Doc.Tokens.RefreshToken.Reveal() == f.srv.Current())
			}
		}
	})
	if c := f.srv.Counts(); c.Calls != 1 || c.Issued != 1 {
		t.Errorf("token server: %v, want exactly one POST", c)
	}
	if got := f.doc(); got.Tokens.RefreshToken.Reveal() != f.srv.Current() {
		t.Errorf("auth.json does not hold the new refresh token")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRefreshConcurrentOverNetwork: 50 goroutines refresh the login they all
// read, over a real socket, released at once: one POST, one set of tokens,
// whether a caller joined the flight or adopted its result under the lock.
func TestRefreshConcurrentOverNetwork(t *testing.T) {
	f := newRefreshFixture(t)
	seen := f.doc()
	start := make(chan struct{})
	const n = 50
	out := make(chan refreshOutcome, n)
	for range n {
		go func() {
			<-start
			res, err := f.r.Refresh(context.Background(), seen, "forced")
			out <- refreshOutcome{res, err}
		}()
	}
	close(start)
	shared := 0
	for range n {
		o := wait(t, out, 30*time.Second)
		if o.err != nil {
			t.Fatalf("Refresh: %s", errText(o.err))
		}
		if o.res.Doc.Tokens.RefreshToken.Reveal() != f.srv.Current() {
			t.Errorf("a caller got tokens other than the one refresh's")
		}
		if o.res.Refreshed {
			shared++
		}
	}
	t.Logf("%d of %d callers shared the network refresh, the others adopted it", shared, n)
	if c := f.srv.Counts(); c.Calls != 1 || c.Issued != 1 {
		t.Errorf("token server: %v, want exactly one POST", c)
	}
}

// TestRefreshAdoption: another writer replaces auth.json after the caller
// read it and before the caller got the lock: the caller adopts the new
// tokens and makes no POST.
func TestRefreshAdoption(t *testing.T) {
	t.Run("seen passed in", func(t *testing.T) {
		f := newRefreshFixture(t)
		seen := f.doc()
		other := authtest.Login{Expires: time.Now().Add(time.Hour).Truncate(time.Second), RefreshToken: "rt_other_writer_0001"}.Document()
		if err := authtest.WriteAtomic(f.authPath(), other); err != nil {
			t.Fatal(err)
		}
		res, err := f.r.Refresh(context.Background(), seen, "forced")
		if err != nil {
			t.Fatalf("Refresh: %s", errText(err))
		}
		if res.Refreshed || res.Doc.Tokens.RefreshToken.Reveal() != "rt_other_writer_0001" {
			t.Errorf("refreshed=%v, adopted the other writer's tokens: %v", res.Refreshed, res.Doc.Tokens.RefreshToken.Reveal() == "rt_other_writer_0001")
		}
		if !bytes.Equal(f.read(), other) {
			t.Errorf("auth.json changed after the adoption")
		}
		if c := f.srv.Counts(); c.Calls != 0 {
			t.Errorf("token server: %v, want no POST", c)
		}
	})
	t.Run("read by Refresh, replaced while it waits for auth.lock", func(t *testing.T) {
		f := newRefreshFixture(t)
		lockPath := filepath.Join(f.home, "auth.lock")
		h := holdLock(t, lockPath)
		out := f.refreshAsync(f.r, nil)
		// Refresh reads auth.json and then blocks on auth.lock.
		waitUntil(t, 10*time.Second, "Refresh waits for auth.lock", func() bool { _, w := flockState(t, lockPath); return w })
		other := authtest.Login{Expires: time.Now().Add(time.Hour).Truncate(time.Second), RefreshToken: "rt_other_writer_0002"}.Document()
		if err := authtest.WriteAtomic(f.authPath(), other); err != nil {
			t.Fatal(err)
		}
		h.release()
		o := wait(t, out, 10*time.Second)
		if o.err != nil {
			t.Fatalf("Refresh: %s", errText(o.err))
		}
		if o.res.Refreshed || o.res.Doc.Tokens.RefreshToken.Reveal() != "rt_other_writer_0002" {
			t.Errorf("refreshed=%v, adopted: %v", o.res.Refreshed, o.res.Doc.Tokens.RefreshToken.Reveal() == "rt_other_writer_0002")
		}
		if c := f.srv.Counts(); c.Calls != 0 {
			t.Errorf("token server: %v, want no POST", c)
		}
	})
}

// TestRefreshFailureClassification follows docs/codex-protocol.md §3.3: the
// permanent failures need a new sign-in, with Codex's own sentences, and
// are not retried; the others are retried and leave the login alone.
func TestRefreshFailureClassification(t *testing.T) {
	cases := []struct {
		name      string
		fail      authtest.Failure
		closed    bool // nothing listens at the token URL
		permanent bool
		message   string
		posts     int
		// lost: the POST was sent and got no usable answer, so the token
		// may be spent and is never sent again.
		lost bool
	}{
		{"refresh_token_expired", authtest.FailExpired, false, true, msgRefreshExpired, 1, false},
		{"refresh_token_reused", authtest.FailReused, false, true, msgRefreshReused, 1, false},
		{"refresh_token_invalidated", authtest.FailInvalidated, false, true, msgRefreshRevoked, 1, false},
		{"top-level code refresh_token_expired", authtest.FailTopLevelCodeExpired, false, true, msgRefreshExpired, 1, false},
		{"400 invalid_grant", authtest.FailInvalidGrant, false, true, msgRefreshOther, 1, false},
		{"other 401", authtest.FailUnauthorized, false, true, msgRefreshOther, 1, false},
		// An error answer spent nothing, but a POST that reached the
		// server is not repeated under Codex's locks.
		{"500", authtest.FailServerError, false, false, "Failed to refresh token: 500: fake token server: internal error", 1, false},
		{"500 quoting the refresh token", authtest.FailEchoToken, false, false, "Failed to refresh token: 500: fake token server: cannot redeem [redacted]", 1, false},
		{"hang", authtest.FailHang, false, false, msgRefreshUnanswered, 1, true},
		{"spent, then answered too late", authtest.FailSpendThenHang, false, false, msgRefreshUnanswered, 1, true},
		{"spent, then 200 with garbage", authtest.FailSpendThenGarbage, false, false, msgRefreshUnreadable, 1, true},
		{"connection refused", authtest.FailNone, true, false, "Could not reach the sign-in server to refresh the token; will try again later.", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newRefreshFixture(t)
			f.r.Failures = NewFailureStore(t.TempDir())
			f.srv.SetFailure(c.fail)
			if c.fail == authtest.FailHang || c.fail == authtest.FailSpendThenHang {
				f.r.HTTP = &http.Client{Timeout: 150 * time.Millisecond}
			}
			if c.closed {
				dead := httptest.NewServer(http.NotFoundHandler())
				dead.Close()
				f.r.TokenURL = dead.URL + "/oauth/token"
			}
			started := time.Now()
			_, err := f.r.Refresh(context.Background(), nil, "forced")
			var re *RefreshError
			if !errors.As(err, &re) {
				t.Fatalf("Refresh: %v, want a *RefreshError", errText(err))
			}
			errText(err)
			if re.Permanent != c.permanent || re.Message != c.message {
				t.Errorf("permanent=%v message %q; want %v %q", re.Permanent, re.Message, c.permanent, c.message)
			}
			if errors.Is(err, ErrLoginNeeded) != c.permanent {
				t.Errorf("errors.Is(err, ErrLoginNeeded) = %v, want %v", !c.permanent, c.permanent)
			}
			if got := f.srv.Counts().Calls; got != c.posts {
				t.Errorf("%d POSTs, want %d", got, c.posts)
			}
			if !bytes.Equal(f.read(), f.old) {
				t.Errorf("auth.json changed after a failed refresh")
			}
			stored := f.r.Failures.Current()
			if c.permanent != (stored != nil) {
				t.Errorf("failure store holds %v, want a failure: %v", stored != nil, c.permanent)
			}
			t.Logf("failed in %v", time.Since(started).Round(time.Millisecond))
			if c.permanent {
				return
			}
			f.srv.SetFailure(authtest.FailNone)
			f.r.TokenURL = f.srv.TokenURL()
			f.r.HTTP = nil
			if c.lost {
				// The next attempt re-reads the login, finds the same
				// token, and does not send it again: the user is not
				// signed out by a second POST answered refresh_token_reused.
				_, err := f.r.Refresh(context.Background(), nil, "forced")
				if !errors.As(err, &re) || re.Permanent || re.Message != msgRefreshWasLost {
					t.Fatalf("second Refresh: %s, want %q", errText(err), msgRefreshWasLost)
				}
				if got := f.srv.Counts(); got.Calls != c.posts || got.Reused != 0 {
					t.Errorf("token server after the second try: %v, want no new POST", got)
				}
				if f.r.Failures.Current() != nil {
					t.Errorf("a lost answer was remembered as needing a new sign-in")
				}
				if !bytes.Equal(f.read(), f.old) {
					t.Errorf("auth.json changed")
				}
				return
			}
			// Transient: the login is untouched, so once the server works
			// again the same refresh token is redeemed.
			res, err := f.r.Refresh(context.Background(), nil, "forced")
			if err != nil || !res.Refreshed {
				t.Fatalf("Refresh after the server recovered: refreshed=%v err=%s", res.Refreshed, errText(err))
			}
			if c := f.srv.Counts(); c.Issued != 1 || c.Reused != 0 {
				t.Errorf("token server after recovery: %v", c)
			}
		})
	}
}

// TestClassifyRefreshFailureBodies covers the body shapes Codex's
// extract_refresh_token_error_code reads.
func TestClassifyRefreshFailureBodies(t *testing.T) {
	cases := []struct {
		status    int
		body      string
		permanent bool
		message   string
	}{
		{401, `{"error":{"code":"refresh_token_expired"}}`, true, msgRefreshExpired},
		{400, `{"error":{"code":"refresh_token_reused","message":"x","type":"invalid_request_error","param":null}}`, true, msgRefreshReused},
		{403, `{"error":"refresh_token_invalidated"}`, true, msgRefreshRevoked},
		{400, `{"code":"refresh_token_expired"}`, true, msgRefreshExpired},
		{400, `{"error":"invalid_grant","error_description":"bad"}`, true, msgRefreshOther},
		{401, `not json`, true, msgRefreshOther},
		{401, `{"error":{"message":"who are you"}}`, true, msgRefreshOther},
		{400, `{"error":"invalid_request"}`, false, "Failed to refresh token: 400: Bad Request"},
		{503, `{"error":{"message":"overloaded"}}`, false, "Failed to refresh token: 503: overloaded"},
		{502, ``, false, "Failed to refresh token: 502: Bad Gateway"},
	}
	for _, c := range cases {
		re := classifyRefreshFailure(c.status, []byte(c.body))
		if re.Permanent != c.permanent || re.Message != c.message {
			t.Errorf("%d %s: permanent=%v %q; want %v %q", c.status, c.body, re.Permanent, re.Message, c.permanent, c.message)
		}
	}
}

// TestRefreshPermanentFailureRemembered: after a permanent failure no
// further POST is made for that exact login, in this process or another
// sharing the FailureStore, and status says relogin_required; once the
// credentials change, refreshing works again.
func TestRefreshPermanentFailureRemembered(t *testing.T) {
	f := newRefreshFixture(t)
	store := NewFailureStore(t.TempDir())
	f.r.Failures = store
	f.srv.SetFailure(authtest.FailReused)
	if _, err := f.r.Refresh(context.Background(), nil, "forced"); !errors.Is(err, ErrLoginNeeded) {
		t.Fatalf("first Refresh: %s, want a permanent failure", errText(err))
	}
	f.srv.SetFailure(authtest.FailNone) // the server would now accept it: we must not ask

	statusNow := func() Status {
		s := (&Loader{Home: f.home}).Load(context.Background())
		st := NewStatus(s, StatusOptions{Now: time.Now(), Relogin: store.Current()})
		shown(st.Message + st.Error)
		return st
	}
	if st := statusNow(); st.State != StateReloginRequired || st.Error != msgRefreshReused {
		t.Errorf("status: %q error %q; want relogin_required, %q", st.State, st.Error, msgRefreshReused)
	}
	for name, r := range map[string]*Refresher{"same process": f.r, "another process": func() *Refresher { r := f.refresher(); r.Failures = store; return r }()} {
		_, err := r.Refresh(context.Background(), nil, "forced")
		var re *RefreshError
		if !errors.As(err, &re) || !re.Permanent || re.Message != msgRefreshReused {
			t.Errorf("%s: Refresh again: %s, want the remembered failure", name, errText(err))
		}
		if _, err := r.Fresh(context.Background()); !errors.Is(err, ErrLoginNeeded) {
			t.Errorf("%s: Fresh: %s, want ErrLoginNeeded", name, errText(err))
		}
	}
	if c := f.srv.Counts(); c.Calls != 1 {
		t.Errorf("token server: %v, want the one failed POST only", c)
	}

	// codex login: new credentials.
	f.srv.Allow("rt_after_relogin_0001")
	relogin := authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: "rt_after_relogin_0001"}.Document()
	if err := authtest.WriteAtomic(f.authPath(), relogin); err != nil {
		t.Fatal(err)
	}
	if st := statusNow(); st.State == StateReloginRequired {
		t.Errorf("status after a new sign-in is still relogin_required")
	}
	res, err := f.r.Refresh(context.Background(), nil, "forced")
	if err != nil || !res.Refreshed {
		t.Fatalf("Refresh after a new sign-in: refreshed=%v err=%s", res.Refreshed, errText(err))
	}
	if c := f.srv.Counts(); c.Calls != 2 || c.Issued != 1 {
		t.Errorf("token server: %v, want one more POST, answered", c)
	}
}

var lastRefreshRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`)

// TestRefreshWritesCodexFormat: field by field, what the refresh writes is
// what Codex writes: every field kept in place (auth_mode,
// OPENAI_API_KEY null, account_id, fields Codex Tray does not know), only
// the tokens that came back and last_refresh changed, two-space indent, no
// trailing newline, mode 0600, last_refresh in UTC with nanoseconds.
func TestRefreshWritesCodexFormat(t *testing.T) {
	for _, omitID := range []bool{false, true} {
		t.Run(fmt.Sprintf("id_token returned=%v", !omitID), func(t *testing.T) {
			f := newRefreshFixture(t)
			f.srv.OmitIDToken = omitID
			var doc map[string]any
			if err := json.Unmarshal(f.old, &doc); err != nil {
				t.Fatal(err)
			}
			// A document with every kind of field, written 0644 by an editor.
			in := []byte(`{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "x_top_field": {"nested": [1, 2, {"a": null}], "s": "<&>"},
  "tokens": {
    "id_token": "` + doc["tokens"].(map[string]any)["id_token"].(string) + `",
    "access_token": "` + doc["tokens"].(map[string]any)["access_token"].(string) + `",
    "refresh_token": "` + f.rt + `",
    "account_id": "acct-fake-0001",
    "x_tok_field": 42
  },
  "last_refresh": "2026-01-02T03:04:05.123456Z",
  "x_after": true
}`)
			if err := os.WriteFile(f.authPath(), in, 0o644); err != nil {
				t.Fatal(err)
			}
			before := time.Now().UTC()
			res, err := f.r.Refresh(context.Background(), nil, "forced")
			after := time.Now().UTC()
			if err != nil || !res.Refreshed {
				t.Fatalf("Refresh: refreshed=%v err=%s", res.Refreshed, errText(err))
			}
			out := f.read()
			fi, err := os.Stat(f.authPath())
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			if bytes.HasSuffix(out, []byte("\n")) {
				t.Errorf("auth.json ends with a newline; Codex writes none")
			}
			var compact, indented bytes.Buffer
			if err := json.Compact(&compact, out); err != nil {
				t.Fatalf("auth.json is not JSON: %v", err)
			}
			if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, indented.Bytes()) {
				t.Errorf("auth.json is not two-space indented JSON")
			}
			if bytes.Contains(out, []byte(`\u003c`)) {
				t.Errorf("auth.json has HTML-escaped characters; Codex writes them as they are")
			}

			keys := func(raw []byte) []string {
				t.Helper()
				var ks []string
				for _, fl := range mustFields(t, raw) {
					ks = append(ks, fl.key)
				}
				return ks
			}
			if got, want := keys(out), keys(in); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("top-level fields %v, want %v in that order", got, want)
			}
			changed := map[string]bool{"last_refresh": true, "tokens": true}
			inTop, outTop := fieldMap(t, in), fieldMap(t, out)
			for k, v := range inTop {
				if !changed[k] && !jsonEqual(v, outTop[k]) {
					t.Errorf("field %s changed", k)
				}
			}
			inTok, outTok := fieldMap(t, inTop["tokens"]), fieldMap(t, outTop["tokens"])
			if got, want := keys(outTop["tokens"]), keys(inTop["tokens"]); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("tokens fields %v, want %v in that order", got, want)
			}
			newTokens := map[string]bool{"access_token": true, "refresh_token": true, "id_token": !omitID}
			for k, v := range inTok {
				if jsonEqual(v, outTok[k]) == newTokens[k] {
					t.Errorf("tokens.%s: changed=%v, want %v", k, !jsonEqual(v, outTok[k]), newTokens[k])
				}
			}
			var lr string
			if err := json.Unmarshal(outTop["last_refresh"], &lr); err != nil || !lastRefreshRE.MatchString(lr) {
				t.Fatalf("last_refresh %s is not RFC 3339 UTC with 9 fractional digits", outTop["last_refresh"])
			}
			at, _ := time.Parse(time.RFC3339Nano, lr)
			if at.Before(before.Truncate(time.Microsecond)) || at.After(after) {
				t.Errorf("last_refresh %s is not the time of the refresh (%s .. %s)", lr, before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
			}
			var rt string
			_ = json.Unmarshal(outTok["refresh_token"], &rt)
			if rt != f.srv.Current() {
				t.Errorf("tokens.refresh_token is not the one the server issued")
			}
			// The result is what a reader of the file gets.
			if !sameTokens(res.Doc, f.doc()) {
				t.Errorf("the returned document differs from auth.json")
			}
			if m, _ := filepath.Glob(filepath.Join(f.home, ".auth-*")); len(m) != 0 {
				t.Errorf("temp files left behind: %v", m)
			}
		})
	}
}

func mustFields(t *testing.T, raw []byte) []field {
	t.Helper()
	fs, err := objectFields(raw)
	if err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	return fs
}

func fieldMap(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	m := map[string]json.RawMessage{}
	for _, f := range mustFields(t, raw) {
		m[f.key] = f.value
	}
	return m
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// TestRefreshWaitsForAuthJSONLock: while another process holds
// auth.json.lock, the refresh waits (and makes no POST); after the release
// it succeeds.
func TestRefreshWaitsForAuthJSONLock(t *testing.T) {
	f := newRefreshFixture(t)
	h := holdLock(t, filepath.Join(f.home, "auth.json.lock"))
	out := f.refreshAsync(f.r, nil)
	// It has auth.lock and polls auth.json.lock.
	waitUntil(t, 5*time.Second, "Refresh holds auth.lock", func() bool { held, _ := flockState(t, filepath.Join(f.home, "auth.lock")); return held })
	select {
	case o := <-out:
		t.Fatalf("Refresh returned while auth.json.lock was held: %s", errText(o.err))
	default:
	}
	if c := f.srv.Counts(); c.Calls != 0 {
		t.Errorf("POSTed before having the locks: %v", c)
	}
	h.release()
	o := wait(t, out, 10*time.Second)
	if o.err != nil || !o.res.Refreshed {
		t.Fatalf("Refresh after the release: refreshed=%v err=%s", o.res.Refreshed, errText(o.err))
	}
	if f.doc().Tokens.RefreshToken.Reveal() != f.srv.Current() {
		t.Errorf("auth.json does not hold the new tokens")
	}
}

// TestRefreshLockTimeout: auth.json.lock held past the lock timeout gives
// ErrLockTimeout, no POST, and auth.json unchanged.
func TestRefreshLockTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	f := newRefreshFixture(t)
	f.r.LockTimeout = timeout
	holdLock(t, filepath.Join(f.home, "auth.json.lock"))
	start := time.Now()
	_, err := f.r.Refresh(context.Background(), nil, "forced")
	took := time.Since(start)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("Refresh: %s, want ErrLockTimeout", errText(err))
	}
	if took < timeout || took > timeout+3*time.Second {
		t.Errorf("gave up after %v, want about %v", took, timeout)
	}
	if !bytes.Equal(f.read(), f.old) {
		t.Errorf("auth.json changed")
	}
	if c := f.srv.Counts(); c.Calls != 0 {
		t.Errorf("token server: %v, want no POST", c)
	}
}

// TestRefreshGivesUpOnAHeldAuthLock: auth.lock held past its bound (a
// stuck program: Codex holds it only around a write) gives ErrLockTimeout
// naming auth.lock, no POST, and auth.json unchanged.
func TestRefreshGivesUpOnAHeldAuthLock(t *testing.T) {
	const wait = 300 * time.Millisecond
	f := newRefreshFixture(t)
	f.r.OuterLockWait = wait
	holdLock(t, filepath.Join(f.home, "auth.lock"))
	start := time.Now()
	_, err := f.r.Refresh(context.Background(), nil, "forced")
	took := time.Since(start)
	if !errors.Is(err, ErrLockTimeout) || !strings.Contains(err.Error(), "auth.lock") {
		t.Fatalf("Refresh: %s, want ErrLockTimeout naming auth.lock", errText(err))
	}
	if took < wait || took > wait+3*time.Second {
		t.Errorf("gave up after %v, want about %v", took, wait)
	}
	if !bytes.Equal(f.read(), f.old) {
		t.Errorf("auth.json changed")
	}
	if c := f.srv.Counts(); c.Calls != 0 {
		t.Errorf("token server: %v, want no POST", c)
	}
}

// TestRefreshBlocksOnAuthLock: while another process holds auth.lock, the
// refresh blocks until it is released.
func TestRefreshBlocksOnAuthLock(t *testing.T) {
	f := newRefreshFixture(t)
	lockPath := filepath.Join(f.home, "auth.lock")
	h := holdLock(t, lockPath)
	out := f.refreshAsync(f.r, nil)
	waitUntil(t, 10*time.Second, "Refresh waits for auth.lock", func() bool { _, w := flockState(t, lockPath); return w })
	select {
	case o := <-out:
		t.Fatalf("Refresh returned while auth.lock was held: %s", errText(o.err))
	default:
	}
	if c := f.srv.Counts(); c.Calls != 0 {
		t.Errorf("POSTed without the locks: %v", c)
	}
	h.release()
	o := wait(t, out, 10*time.Second)
	if o.err != nil || !o.res.Refreshed {
		t.Fatalf("Refresh after the release: refreshed=%v err=%s", o.res.Refreshed, errText(o.err))
	}
	if c := f.srv.Counts(); c.Calls != 1 || c.Issued != 1 {
		t.Errorf("token server: %v", c)
	}
}

// TestRefreshStaleCopyGetsReused: the token server enforces single use: a
// stale copy of a login whose refresh token was already spent is refused
// with refresh_token_reused, which is permanent.
func TestRefreshStaleCopyGetsReused(t *testing.T) {
	f := newRefreshFixture(t)
	stale := t.TempDir()
	if err := authtest.WriteAtomic(filepath.Join(stale, AuthFileName), f.old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Refresh(context.Background(), nil, "forced"); err != nil {
		t.Fatalf("Refresh: %s", errText(err))
	}
	r := f.refresher()
	r.Loader = &Loader{Home: stale}
	_, err := r.Refresh(context.Background(), nil, "forced")
	var re *RefreshError
	if !errors.As(err, &re) || !re.Permanent || re.Message != msgRefreshReused {
		t.Fatalf("refreshing the stale copy: %s, want %q", errText(err), msgRefreshReused)
	}
	if c := f.srv.Counts(); c.Calls != 2 || c.Issued != 1 || c.Reused != 1 {
		t.Errorf("token server: %v, want 2 calls, 1 issued, 1 reused", c)
	}
}

// TestRefreshRequest: the POST is Codex's: JSON with client_id, grant_type,
// refresh_token and refresh_reason.
func TestRefreshRequest(t *testing.T) {
	f := newRefreshFixture(t)
	f.r.UserAgent = "codextray/test"
	if _, err := f.r.Refresh(context.Background(), nil, "forced"); err != nil {
		t.Fatalf("Refresh: %s", errText(err))
	}
	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	b := reqs[0].Body
	if b["client_id"] != clientID || b["grant_type"] != "refresh_token" || b["refresh_token"] != f.rt || b["refresh_reason"] != "forced" || len(b) != 4 {
		t.Errorf("body keys %d, client_id %q grant_type %q reason %q, refresh_token matches: %v", len(b), b["client_id"], b["grant_type"], b["refresh_reason"], b["refresh_token"] == f.rt)
	}
	h := reqs[0].Header
	if h.Get("Authorization") != "" || h.Get("User-Agent") != "codextray/test" || h.Get("originator") != "codex_cli_rs" {
		t.Errorf("headers: authorization set %v, user-agent %q, originator %q", h.Get("Authorization") != "", h.Get("User-Agent"), h.Get("originator"))
	}
	if c := f.srv.Counts(); c.Bad != 0 {
		t.Errorf("token server counted bad requests: %v", c)
	}
}

// TestRefreshReusedByConcurrentWriterIsAdopted: Codex re-reads and posts
// outside its locks, so it can spend the token while we hold them and then
// wait for the locks to write. Our POST gets refresh_token_reused; we must
// release the locks, let Codex write, and adopt its login instead of
// declaring that a new sign-in is needed.
func TestRefreshReusedByConcurrentWriterIsAdopted(t *testing.T) {
	f := newRefreshFixture(t)
	f.r.ReuseGrace = 5 * time.Second
	f.r.Failures = NewFailureStore(t.TempDir())
	seen := f.doc()
	// "Codex" redeems the token first.
	codex := f.refresher()
	tr, _, err := codex.post(context.Background(), seen.Tokens.RefreshToken, "forced", time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatalf("the other process's POST: %s", errText(err))
	}
	codexDoc, err := seen.WithRefreshedTokens(tr.IDToken, tr.AccessToken, tr.RefreshToken, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Keep our Refresh inside the locks until "Codex" waits for them.
	h := holdLock(t, filepath.Join(f.home, "auth.json.lock"))
	out := f.refreshAsync(f.r, seen)
	waitUntil(t, 5*time.Second, "Refresh holds auth.lock", func() bool { held, _ := flockState(t, filepath.Join(f.home, "auth.lock")); return held })
	// "Codex" now waits for the locks to write its login.
	wrote := make(chan error, 1)
	go func() {
		lock, err := lockForCommit(context.Background(), f.home, 0)
		if err != nil {
			wrote <- err
			return
		}
		defer lock.Unlock()
		data, _ := codexDoc.Marshal()
		wrote <- writeAuthFile(f.authPath(), data, nil)
	}()
	waitUntil(t, 5*time.Second, "the other writer waits for auth.lock", func() bool { _, w := flockState(t, filepath.Join(f.home, "auth.lock")); return w })
	h.release()
	o := wait(t, out, 10*time.Second)
	if err := <-wrote; err != nil {
		t.Fatalf("the other process's write: %v", err)
	}
	if o.err != nil {
		t.Fatalf("Refresh: %s, want the other process's login adopted", errText(o.err))
	}
	if o.res.Refreshed || !sameTokens(o.res.Doc, codexDoc) {
		t.Errorf("refreshed=%v, adopted the other process's tokens: %v", o.res.Refreshed, sameTokens(o.res.Doc, codexDoc))
	}
	if f.r.Failures.Current() != nil {
		t.Errorf("a failure was remembered")
	}
	if c := f.srv.Counts(); c.Issued != 1 || c.Reused != 1 {
		t.Errorf("token server: %v, want 1 issued (to the other process) and our 1 reuse", c)
	}
}

// TestRefreshHoldsCodexLocksWithinBudget: a token server that takes the
// POST and never answers must not keep Codex's locks (which Codex needs to
// write a refresh it has made) for longer than the lock budget, and the
// POST is not sent a second time under them.
func TestRefreshHoldsCodexLocksWithinBudget(t *testing.T) {
	f := newRefreshFixture(t)
	f.srv.SetFailure(authtest.FailSpendThenHang)
	const budget = 600 * time.Millisecond
	f.r.LockBudget = budget
	f.r.HTTP = nil // the default client: its own waits are far longer than the budget
	started := time.Now()
	out := f.refreshAsync(f.r, nil)
	waitUntil(t, 5*time.Second, "the token server got the POST", func() bool { return f.srv.Counts().Calls == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lock, err := lockForCommit(ctx, f.home, 0) // as Codex takes it to write
	if err != nil {
		t.Fatalf("taking Codex's lock: %v", err)
	}
	held := time.Since(started)
	lock.Unlock()
	o := <-out
	var re *RefreshError
	if !errors.As(o.err, &re) || re.Message != msgRefreshUnanswered {
		t.Errorf("Refresh: %s, want %q", errText(o.err), msgRefreshUnanswered)
	}
	// held counts from before the refresh started, so it carries the
	// start-up and the read settle too; the slack absorbs a loaded machine
	// while staying far under the default client's 10 s wait for headers,
	// which a refresh that ignored the budget would sit out.
	if held > budget+3*time.Second {
		t.Errorf("Codex's lock was free only after %v; the budget is %v", held.Round(time.Millisecond), budget)
	}
	if c := f.srv.Counts(); c.Calls != 1 {
		t.Errorf("token server: %v, want one POST", c)
	}
	if !bytes.Equal(f.read(), f.old) {
		t.Errorf("auth.json changed")
	}
}

// A token server answering with a redirect gets the refresh token no
// further: the POST is not followed, and it spent nothing.
func TestRefreshRedirectNotFollowed(t *testing.T) {
	f := newRefreshFixture(t)
	var elsewhere sync.Mutex
	got := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Lock()
		got++
		elsewhere.Unlock()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/oauth/token", http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	f.r.TokenURL, f.r.HTTP = front.URL+"/oauth/token", nil
	_, err := f.r.Refresh(context.Background(), nil, "forced")
	var re *RefreshError
	if !errors.As(err, &re) || re.Permanent || !strings.Contains(re.Message, "redirected") {
		t.Fatalf("Refresh: %s", errText(err))
	}
	elsewhere.Lock()
	defer elsewhere.Unlock()
	if got != 0 {
		t.Errorf("the redirect target got %d POSTs", got)
	}
	f.r.TokenURL = f.srv.TokenURL()
	if res, err := f.r.Refresh(context.Background(), nil, "forced"); err != nil || !res.Refreshed {
		t.Errorf("Refresh from the real server afterwards: %s", errText(err))
	}
}

// A lost answer is remembered on disk: another Codex Tray process does
// not send the token either. Once Codex (or a new sign-in) replaces the
// login, its new token is refreshed as usual.
func TestLostAnswerIsSharedAndEndsWithANewLogin(t *testing.T) {
	f := newRefreshFixture(t)
	journal := NewRefreshJournal(t.TempDir())
	first := f.refresher()
	first.Journal = journal
	f.srv.SetFailure(authtest.FailSpendThenGarbage)
	if _, err := first.Refresh(context.Background(), nil, "forced"); err == nil {
		t.Fatal("the refresh with a garbage answer succeeded")
	}
	f.srv.SetFailure(authtest.FailNone)
	second := f.refresher() // another process
	second.Journal = journal
	_, err := second.Refresh(context.Background(), nil, "forced")
	var re *RefreshError
	if !errors.As(err, &re) || re.Message != msgRefreshWasLost {
		t.Fatalf("another process's refresh: %s, want %q", errText(err), msgRefreshWasLost)
	}
	if c := f.srv.Counts(); c.Calls != 1 {
		t.Fatalf("token server: %v, want the one lost POST", c)
	}
	// Codex signs in again: a new refresh token, which the server knows.
	rt := "rt_after_signin_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.srv.Allow(rt)
	if err := authtest.WriteAtomic(f.authPath(), authtest.Login{Expires: time.Now().Add(2 * time.Minute).Truncate(time.Second), RefreshToken: rt, AuthMode: "chatgpt"}.Document()); err != nil {
		t.Fatal(err)
	}
	res, err := second.Refresh(context.Background(), nil, "forced")
	if err != nil || !res.Refreshed {
		t.Fatalf("refresh of the new login: refreshed=%v err=%s", res.Refreshed, errText(err))
	}
	if c := f.srv.Counts(); c.Calls != 2 || c.Reused != 0 {
		t.Errorf("token server: %v", c)
	}
	if _, ok := journal.unanswered(f.home); ok {
		t.Errorf("the stale mark was kept")
	}
}
