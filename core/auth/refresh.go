package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codextray/codextray/core/scrub"
	"github.com/codextray/codextray/core/userfile"
	"github.com/codextray/codextray/core/webclient"
)

// clientID is Codex's OAuth client id.
const clientID = "app_EMoamEEZ73f0CkXaXp7hrann"

// defaultTokenURL is where ChatGPT tokens are refreshed.
const defaultTokenURL = "https://auth.openai.com/oauth/token"

// refreshWindow: a token that expires within it is refreshed before use, as
// Codex does (CHATGPT_ACCESS_TOKEN_REFRESH_WINDOW_MINUTES).
const refreshWindow = 5 * time.Minute

// Codex's own sentences for a refresh that failed for good (§3.3).
const (
	msgRefreshExpired = "Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again."
	msgRefreshReused  = "Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again."
	msgRefreshRevoked = "Your access token could not be refreshed because your refresh token was revoked. Please log out and sign in again."
	msgRefreshOther   = "Your access token could not be refreshed. Please log out and sign in again."
)

// RefreshError is a failed refresh. Permanent ones need a new sign-in and
// wrap ErrLoginNeeded; the others may work on a later try.
type RefreshError struct {
	Permanent bool
	Message   string // the sentence for the user
	Cause     error  // the technical cause, for the log; never holds a token
}

func (e *RefreshError) Error() string { return e.Message }
func (e *RefreshError) Unwrap() []error {
	if e.Permanent {
		return []error{ErrLoginNeeded, e.Cause}
	}
	return []error{e.Cause}
}

// Refresher refreshes the ChatGPT tokens without ever breaking Codex's own
// login: under Codex's locks it re-reads the login and adopts a refresh that
// another process made instead of spending the refresh token again. One
// Refresher per process; concurrent callers share one network refresh.
type Refresher struct {
	Loader *Loader
	// HTTP posts to the token server; nil: a webclient client (deadlines
	// for connecting, TLS and the answer). Every POST also has the deadline
	// that LockBudget leaves.
	HTTP     *http.Client
	TokenURL string // CODEX_REFRESH_TOKEN_URL_OVERRIDE, else defaultTokenURL, when empty
	// UserAgent names codextray and its version.
	UserAgent string
	// Failures remembers permanent failures across processes; may be nil.
	Failures *FailureStore
	// KeyringWriter writes Codex's keyring entry in keyring mode.
	KeyringWriter CodexKeyringWriter
	// Journal keeps a refreshed login aside from the token server's answer
	// until it is written, so that neither a crash nor a failed write
	// loses the tokens the spent refresh token bought; nil: no journal.
	Journal *RefreshJournal
	// Readers sees other programs read auth.json; a refresh yields to one
	// that did (see ReadWatch). Nil where reads cannot be watched.
	Readers *ReadWatch
	// WatchReaders starts Readers when it is nil at a refresh (CODEX_HOME
	// did not exist yet when the process started); may be nil.
	WatchReaders func() (*ReadWatch, error)
	// ViaCodex, when set, has Codex refresh the login with its own code
	// (app-server's account/read with refreshToken): used where Codex's
	// reads cannot be watched (refresh_codex.go). It returns
	// ErrCodexUnavailable when no Codex CLI can.
	ViaCodex func(ctx context.Context) error
	// Attempts and Backoff govern retries of a POST that never reached
	// the token server (it could not connect). A POST that was sent is
	// never repeated: the server may have spent the token.
	Attempts int
	Backoff  time.Duration
	// LockBudget bounds the time one refresh holds Codex's locks;
	// DefaultLockBudget when zero.
	LockBudget time.Duration
	// LockTimeout is how long the second of Codex's locks is retried;
	// DefaultCommitLockTimeout when zero (tests shorten it).
	LockTimeout time.Duration
	// OuterLockWait bounds the wait for the first of Codex's locks,
	// auth.lock; DefaultOuterLockWait when zero (tests shorten it).
	OuterLockWait time.Duration
	// ReuseGrace is how long a refresh answered refresh_token_reused waits
	// for the login of whoever spent the token; DefaultReuseGrace when zero.
	ReuseGrace time.Duration
	// BeforeRename, when set, runs once a refreshed login's temp file is
	// complete, just before it replaces auth.json: the worst moment for a
	// crash (tests).
	BeforeRename func()

	mu       sync.Mutex
	inflight *refreshCall
	failed   map[string]*RefreshError // document hash -> permanent failure
	// unanswered is the hash of the refresh token of a POST that got no
	// usable answer, for a Refresher without a Journal (which keeps it on
	// disk for every process).
	unanswered string
}

// DefaultLockBudget is how long one refresh may hold Codex's locks, from
// taking them to releasing them: the wait for another program's read, the
// POST and the write. Codex takes the same locks to write a refresh it has
// already made (its refresh token is spent by then), so a refresh of ours
// stuck on a slow token server must not keep Codex waiting long; 15 s
// leaves a token server about 13 s to answer, far more than it takes
// (under a second), and Codex's own lock wait is longer.
const DefaultLockBudget = 15 * time.Second

// Sentences for a refresh whose POST was sent but got no usable answer.
const (
	msgRefreshUnanswered = "The sign-in server did not answer the token refresh in time. It may have used up the refresh token, so Codex Tray will not send it again and left the Codex login as it is. If Codex cannot refresh either, sign in again with `codex login`."
	msgRefreshUnreadable = "The sign-in server sent an answer Codex Tray does not understand. It may have used up the refresh token, so Codex Tray will not send it again and left the Codex login as it is. If Codex cannot refresh either, sign in again with `codex login`."
	msgRefreshWasLost    = "An earlier token refresh got no usable answer from the sign-in server, which may have used up the refresh token, so Codex Tray does not send it again; the Codex login is left as it is. Run Codex once to let it refresh, or sign in again with `codex login`."
)

func (r *Refresher) lockBudget() time.Duration {
	if r.LockBudget > 0 {
		return r.LockBudget
	}
	return DefaultLockBudget
}

type refreshCall struct {
	done chan struct{}
	res  RefreshResult
	err  error
}

// RefreshResult says what Refresh did.
type RefreshResult struct {
	Doc       *Document // the login now on disk
	Refreshed bool      // false when another process's refresh was adopted
	// Recovered: the login is an earlier refresh's, which had not been
	// written (a crash or a failed write) and was finished from the journal.
	Recovered bool
}

// Refresh makes the login newer than seen, the document the caller last read
// (nil: read it now). If the login on disk already differs from seen, it is
// adopted without a network call. reason is sent as Codex sends it
// ("proactive_expiry", "forced", "scheduled"); it is informative only.
func (r *Refresher) Refresh(ctx context.Context, seen *Document, reason string) (RefreshResult, error) {
	r.mu.Lock()
	if c := r.inflight; c != nil {
		r.mu.Unlock()
		select {
		case <-c.done:
			return c.res, c.err
		case <-ctx.Done():
			return RefreshResult{}, ctx.Err()
		}
	}
	c := &refreshCall{done: make(chan struct{})}
	r.inflight = c
	r.mu.Unlock()

	// The shared call must not die with the first caller's context.
	c.res, c.err = r.routeRefresh(context.WithoutCancel(ctx), seen, reason)
	r.mu.Lock()
	r.inflight = nil
	r.mu.Unlock()
	close(c.done)
	return c.res, c.err
}

// refresh is one network refresh at most. yieldLimit ends the waiting for
// other readers of auth.json (zero: not started yet).
func (r *Refresher) refresh(ctx context.Context, seen *Document, reason string, yieldLimit time.Time) (RefreshResult, error) {
	home := r.Loader.Home
	if seen == nil {
		s := r.Loader.Load(ctx)
		if s.Err != nil {
			return RefreshResult{}, s.Err
		}
		seen = s.Doc
	}
	if seen == nil {
		return RefreshResult{}, fmt.Errorf("not signed in to Codex: %w", ErrLoginNeeded)
	}
	// A failure remembered for this login does not stand in the way of a
	// pending journal: the login it would finish is a newer one.
	if !r.Journal.Pending(home) {
		if err := r.knownFailure(seen); err != nil {
			return RefreshResult{Doc: seen}, err
		}
	}
	lock, err := r.lockForCommit(ctx, home)
	if err != nil {
		return RefreshResult{}, err
	}
	defer lock.Unlock()
	lockedAt := time.Now()
	s := r.Loader.Load(ctx)
	if s.Err != nil {
		return RefreshResult{}, s.Err
	}
	if s.Source == SourceFile {
		lock.removeStaleTemps(r.Loader.AuthPath())
	}
	// Checked again under the lock: another process's refresh may have
	// failed to write and left its journal since the check above.
	if r.Journal.Pending(home) {
		doc, err := r.recoverLocked(ctx, s)
		if err != nil {
			return RefreshResult{}, err
		}
		if doc != nil {
			return RefreshResult{Doc: doc, Recovered: true}, nil
		}
	}
	cur := s.Doc
	if cur == nil {
		return RefreshResult{}, fmt.Errorf("signed out of Codex meanwhile: %w", ErrLoginNeeded)
	}
	if !sameTokens(seen, cur) {
		return RefreshResult{Doc: cur}, nil // another process refreshed or signed in: adopt
	}
	if cur.Mode() != ModeChatGPT || cur.Tokens == nil || cur.Tokens.RefreshToken.IsZero() {
		return RefreshResult{Doc: cur}, errors.New("the Codex login has no refresh token: nothing to refresh")
	}
	if err := r.knownFailure(cur); err != nil {
		return RefreshResult{Doc: cur}, err
	}
	spent := TokenHash(cur.Tokens.RefreshToken)
	if r.Journal.spentSince(home, spent, time.Time{}) {
		// A Codex Tray process was told this token is spent: posting it
		// again would only be a second reuse, however long ago that was.
		// While the mark is fresh, wait with it for the login of whoever
		// spent the token; a new login makes the mark stale.
		fresh := r.Journal.spentSince(home, spent, time.Now().Add(-r.reuseGrace()))
		lock.Unlock()
		if fresh {
			if doc := r.awaitOtherWriter(ctx, cur); doc != nil {
				return RefreshResult{Doc: doc}, nil
			}
		}
		return RefreshResult{Doc: cur}, &RefreshError{Permanent: true, Message: msgRefreshReused,
			Cause: errors.New("this refresh token was already reported spent; not posted again")}
	}
	if s.Source == SourceFile && r.readers() != nil {
		if yieldLimit.IsZero() {
			yieldLimit = lockedAt.Add(maxYield)
		}
		if until := r.Readers.yieldUntil(ctx, lockedAt.Add(readSettle), yieldLimit); !until.IsZero() {
			// Another program read this login a moment ago: if it is Codex
			// refreshing, it is about to post this very refresh token, and
			// waits for our lock to write the answer. Let it, and adopt.
			lock.Unlock()
			r.Readers.awaitDocument(ctx, until)
			return r.refresh(ctx, cur, reason, yieldLimit)
		}
	}
	if r.lostAnswer(home, spent) {
		return RefreshResult{Doc: cur}, &RefreshError{Message: msgRefreshWasLost,
			Cause: errors.New("an earlier POST of this refresh token got no usable answer")}
	}
	// Whatever the POST takes comes out of the time under Codex's locks.
	// An eighth of it (about 2 s) is kept for writing the answer: the
	// journal, then auth.json or the keychain.
	postBy := lockedAt.Add(r.lockBudget() * 7 / 8)
	tr, outcome, err := r.post(ctx, cur.Tokens.RefreshToken, reason, postBy)
	if outcome == postLost {
		// The server got the token and may have spent it: never send it
		// again, from this process or another, while the login holds it.
		r.noteLostAnswer(home, spent)
		return RefreshResult{Doc: cur}, err
	}
	if err != nil {
		var re *RefreshError
		if errors.As(err, &re) && re.Permanent {
			if re.Message == msgRefreshReused {
				// Codex re-reads and posts outside its locks, taking them only
				// to write: it may have spent this token a moment ago and now
				// wait for our lock to write the new login. Let it, and adopt.
				r.Journal.markSpent(home, spent, time.Now())
				lock.Unlock()
				if doc := r.awaitOtherWriter(ctx, cur); doc != nil {
					return RefreshResult{Doc: doc}, nil
				}
			}
			r.remember(cur, re)
		}
		return RefreshResult{Doc: cur}, err
	}
	// The server has spent cur's refresh token: from here on the new
	// tokens exist nowhere else, so they go to the journal before anything
	// else can fail, and leave it only once written.
	next, err := cur.WithRefreshedTokens(tr.IDToken, tr.AccessToken, tr.RefreshToken, time.Now())
	if err != nil {
		return RefreshResult{Doc: cur}, err
	}
	data, err := next.Marshal()
	if err != nil {
		return RefreshResult{Doc: cur}, err
	}
	kept := r.keep(s, cur, data)
	if err := r.write(ctx, s.Source, data); err != nil {
		if kept != nil {
			return RefreshResult{Doc: cur}, fmt.Errorf("%w; keeping the new tokens aside failed too (%v)", err, kept)
		}
		return RefreshResult{Doc: cur}, fmt.Errorf("%w; Codex Tray kept the new tokens and will write them at the next refresh", err)
	}
	_ = r.Journal.remove(home) // a journal left behind is stale: the login no longer holds the spent token
	return RefreshResult{Doc: next, Refreshed: true}, nil
}

// readers returns the ReadWatch, starting it if it could not be started
// before. Called only by the one refresh in flight.
func (r *Refresher) readers() *ReadWatch {
	if r.Readers == nil && r.WatchReaders != nil {
		if w, err := r.WatchReaders(); err == nil {
			r.Readers = w
		}
	}
	return r.Readers
}

// keep saves the refreshed login (data) in the journal, with the hash of
// the refresh token of cur that the refresh spent.
func (r *Refresher) keep(s Snapshot, cur *Document, data []byte) error {
	if r.Journal == nil {
		return errors.New("no refresh journal")
	}
	return r.Journal.save(PendingLogin{Home: s.Home, Source: s.Source, SpentHash: TokenHash(cur.Tokens.RefreshToken),
		AccountID: cur.Tokens.AccountID, SavedAt: time.Now(), Document: NewSecret(string(data))})
}

// Recover finishes a refresh that an earlier run, or this one, could not
// write. When a journal is pending for the Codex home it takes Codex's
// locks and re-reads the login: if the login still holds the refresh token
// that refresh spent, the journal's login is written where Codex keeps it;
// otherwise Codex or the user changed the login since, and the stale
// journal is dropped without touching the newer login. It returns the
// login written, nil when there was nothing to finish.
func (r *Refresher) Recover(ctx context.Context) (*Document, error) {
	home := r.Loader.Home
	if !r.Journal.Pending(home) {
		return nil, nil
	}
	lock, err := r.lockForCommit(ctx, home)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	s := r.Loader.Load(ctx)
	if s.Err != nil {
		return nil, s.Err
	}
	if s.Source == SourceFile {
		lock.removeStaleTemps(r.Loader.AuthPath())
	}
	return r.recoverLocked(ctx, s)
}

// recoverLocked is Recover under the lock, s the login just read. An
// unreadable login (s.Err) never gets here: the journal waits until the
// login can be compared with it.
func (r *Refresher) recoverLocked(ctx context.Context, s Snapshot) (*Document, error) {
	p, err := r.Journal.Load(s.Home)
	switch {
	case errors.Is(err, errJournalCorrupt):
		return nil, r.Journal.remove(s.Home) // nothing in it can be written
	case err != nil:
		return nil, err
	case p == nil:
		return nil, nil
	}
	data := []byte(p.Document.Reveal())
	doc, perr := ParseDocument(data)
	if perr != nil || s.Doc == nil || s.Doc.Tokens == nil || TokenHash(s.Doc.Tokens.RefreshToken) != p.SpentHash {
		return nil, r.Journal.remove(s.Home) // stale: signed in again, refreshed, or signed out since
	}
	if err := r.write(ctx, s.Source, data); err != nil {
		return nil, fmt.Errorf("cannot finish an earlier refresh (its new tokens are kept for the next try): %w", err)
	}
	_ = r.Journal.remove(s.Home) // left behind, it is stale next time
	return doc, nil
}

// DefaultReuseGrace is how long a refresh answered refresh_token_reused waits for
// the process that spent the token to write the new login.
const DefaultReuseGrace = 3 * time.Second

// lockForCommit takes Codex's locks with this refresher's bounds.
func (r *Refresher) lockForCommit(ctx context.Context, home string) (*CommitLock, error) {
	wait := r.OuterLockWait
	if wait <= 0 {
		wait = DefaultOuterLockWait
	}
	return lockForCommitWithin(ctx, home, r.LockTimeout, wait)
}

func (r *Refresher) reuseGrace() time.Duration {
	if r.ReuseGrace > 0 {
		return r.ReuseGrace
	}
	return DefaultReuseGrace
}

// awaitOtherWriter polls the login until its tokens differ from cur, for at
// most the reuse grace; it returns the new login, or nil.
func (r *Refresher) awaitOtherWriter(ctx context.Context, cur *Document) *Document {
	deadline := time.Now().Add(r.reuseGrace())
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		if s := r.Loader.Load(ctx); s.Err == nil && s.Doc != nil && !sameTokens(cur, s.Doc) {
			return s.Doc
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	return nil
}

// write stores a login (data as written to auth.json) where it was read
// from: auth.json, or Codex's keyring entry.
func (r *Refresher) write(ctx context.Context, source Source, data []byte) error {
	if source == SourceKeyring {
		if r.KeyringWriter == nil {
			return errors.New("cannot write Codex's keychain entry: no keychain")
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			return err
		}
		return r.KeyringWriter.SetCodexEntry(ctx, KeyringUser(r.Loader.Home), compact.String())
	}
	return writeAuthFile(r.Loader.AuthPath(), data, r.BeforeRename)
}

type tokenResponse struct {
	IDToken, AccessToken, RefreshToken Secret
}

// lostAnswer reports whether a POST of the refresh token with hash got no
// usable answer (its token may be spent). A mark for another token is
// stale (the login changed since) and is dropped.
func (r *Refresher) lostAnswer(home, hash string) bool {
	if r.Journal == nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.unanswered == hash
	}
	m, ok := r.Journal.unanswered(home)
	if ok && m != hash {
		r.Journal.clearUnanswered(home)
	}
	return ok && m == hash
}

func (r *Refresher) noteLostAnswer(home, hash string) {
	if r.Journal == nil {
		r.mu.Lock()
		r.unanswered = hash
		r.mu.Unlock()
		return
	}
	r.Journal.markUnanswered(home, hash, time.Now())
}

// postOutcome says how far a POST of a refresh token got.
type postOutcome int

const (
	postNotSent  postOutcome = iota // it never reached the server: safe to send again
	postAnswered                    // the server answered, with tokens or with why not
	postLost                        // sent, but no usable answer: the token may be spent
)

// post sends the refresh token, by deadline. It tries again only when the
// request never reached the server.
func (r *Refresher) post(ctx context.Context, rt Secret, reason string, deadline time.Time) (tokenResponse, postOutcome, error) {
	attempts, backoff := r.Attempts, r.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if time.Until(deadline) <= 0 {
		return tokenResponse{}, postNotSent, &RefreshError{Message: "Codex's login was busy for too long to refresh it now; will try again later.",
			Cause: errors.New("no time left under Codex's locks")}
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := backoff << (i - 1)
			d += time.Duration(rand.Int64N(int64(d)/2 + 1))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return tokenResponse{}, postNotSent, last
			case <-t.C:
			}
		}
		tr, outcome, err := r.postOnce(ctx, rt, reason)
		if outcome != postNotSent {
			return tr, outcome, err
		}
		last = err
	}
	return tokenResponse{}, postNotSent, last
}

func (r *Refresher) tokenURL() string {
	if r.TokenURL != "" {
		return r.TokenURL
	}
	if u := os.Getenv("CODEX_REFRESH_TOKEN_URL_OVERRIDE"); u != "" {
		return u
	}
	return defaultTokenURL
}

// postOnce is one POST. Once its headers went out the server may have
// spent the token, whatever happens next; an error answer (a status that
// says why the refresh failed) spent nothing.
func (r *Refresher) postOnce(ctx context.Context, rt Secret, reason string) (tokenResponse, postOutcome, error) {
	body, _ := json.Marshal(map[string]string{
		"client_id": clientID, "grant_type": "refresh_token", "refresh_reason": reason, "refresh_token": rt.Reveal(),
	})
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.tokenURL(), bytes.NewReader(body))
	if err != nil {
		return tokenResponse{}, postNotSent, &RefreshError{Message: "The token address is not a valid URL.", Cause: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("originator", "codex_cli_rs")
	if r.UserAgent != "" {
		req.Header.Set("User-Agent", r.UserAgent)
	}
	client := r.HTTP
	if client == nil {
		client = tokenClient()
	}
	resp, err := client.Do(req)
	if err != nil && errors.Is(err, webclient.ErrRedirectRefused) {
		// The server answered with a redirect: it spent nothing, and the
		// token goes nowhere else.
		return tokenResponse{}, postAnswered, &RefreshError{Message: "The sign-in server redirected the token refresh to another address, which Codex Tray does not follow; will try again later.", Cause: redactURLError(err)}
	}
	if err != nil {
		if wrote.Load() {
			return tokenResponse{}, postLost, &RefreshError{Message: msgRefreshUnanswered, Cause: redactURLError(err)}
		}
		return tokenResponse{}, postNotSent, &RefreshError{Message: "Could not reach the sign-in server to refresh the token; will try again later.", Cause: redactURLError(err)}
	}
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		var tr struct {
			IDToken      string `json:"id_token"`
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		switch {
		case rerr != nil:
			return tokenResponse{}, postLost, &RefreshError{Message: msgRefreshUnanswered,
				Cause: fmt.Errorf("token endpoint: HTTP %d, reading the answer: %v", resp.StatusCode, redactURLError(rerr))}
		case json.Unmarshal(raw, &tr) != nil || tr.AccessToken == "":
			return tokenResponse{}, postLost, &RefreshError{Message: msgRefreshUnreadable,
				Cause: fmt.Errorf("token endpoint: HTTP %d with no access_token", resp.StatusCode)}
		}
		return tokenResponse{NewSecret(tr.IDToken), NewSecret(tr.AccessToken), NewSecret(tr.RefreshToken)}, postAnswered, nil
	}
	return tokenResponse{}, postAnswered, classifyRefreshFailure(resp.StatusCode, raw)
}

// tokenClient is the default client of the token server: it must answer
// quickly, so its waits are short (the POST's deadline bounds them too).
var tokenClient = sync.OnceValue(func() *http.Client {
	return webclient.New(webclient.Timeouts{Connect: 5 * time.Second, TLS: 5 * time.Second, Headers: 10 * time.Second, Idle: 5 * time.Second}, nil)
})

// classifyRefreshFailure follows Codex's extract_refresh_token_error_code.
func classifyRefreshFailure(status int, body []byte) *RefreshError {
	// The token server may quote the refresh token it was sent.
	body = []byte(scrub.String(string(body)))
	var doc struct {
		Error json.RawMessage `json:"error"`
		Code  string          `json:"code"`
	}
	_ = json.Unmarshal(body, &doc)
	code, detail := doc.Code, ""
	var obj struct{ Code, Message string }
	var str string
	if json.Unmarshal(doc.Error, &obj) == nil && (obj.Code != "" || obj.Message != "") {
		code, detail = obj.Code, obj.Message
	} else if json.Unmarshal(doc.Error, &str) == nil && str != "" {
		code = str
	}
	cause := fmt.Errorf("token endpoint: HTTP %d, code %q", status, code)
	switch {
	case code == "refresh_token_expired":
		return &RefreshError{Permanent: true, Message: msgRefreshExpired, Cause: cause}
	case code == "refresh_token_reused":
		return &RefreshError{Permanent: true, Message: msgRefreshReused, Cause: cause}
	case code == "refresh_token_invalidated":
		return &RefreshError{Permanent: true, Message: msgRefreshRevoked, Cause: cause}
	case code == "invalid_grant" || status == http.StatusUnauthorized:
		return &RefreshError{Permanent: true, Message: msgRefreshOther, Cause: cause}
	}
	if detail == "" {
		detail = http.StatusText(status)
	}
	return &RefreshError{Message: fmt.Sprintf("Failed to refresh token: %d: %s", status, detail), Cause: cause}
}

// redactURLError drops the request body and URL query (never tokens, but
// keep errors short) from a transport error.
func redactURLError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "?"); i >= 0 {
		msg = msg[:i]
	}
	return errors.New(msg)
}

func (r *Refresher) knownFailure(doc *Document) error {
	h := documentHash(doc)
	r.mu.Lock()
	re := r.failed[h]
	r.mu.Unlock()
	if re != nil {
		return re
	}
	if r.Failures != nil {
		if f, ok := r.Failures.Get(h); ok {
			return &RefreshError{Permanent: true, Message: f.Message, Cause: errors.New("remembered permanent refresh failure")}
		}
	}
	return nil
}

func (r *Refresher) remember(doc *Document, re *RefreshError) {
	h := documentHash(doc)
	r.mu.Lock()
	if r.failed == nil {
		r.failed = map[string]*RefreshError{}
	}
	r.failed[h] = re
	r.mu.Unlock()
	if r.Failures != nil {
		_ = r.Failures.Put(Failure{DocHash: h, Message: re.Message, At: time.Now().UTC()})
	}
}

// Failure is a permanent refresh failure of one exact login.
type Failure struct {
	DocHash string    `json:"doc_sha256"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// FailureStore keeps the last permanent failure in a small file in the app's
// data directory, so that `codextray status` and the tray agree.
type FailureStore struct{ Path string }

// NewFailureStore uses relogin.json in dir.
func NewFailureStore(dir string) *FailureStore {
	return &FailureStore{Path: filepath.Join(dir, reloginFile)}
}

// Get returns the failure remembered for the login with this hash.
func (s *FailureStore) Get(docHash string) (Failure, bool) {
	f := s.Current()
	if f == nil || f.DocHash != docHash {
		return Failure{}, false
	}
	return *f, true
}

// Current is the last permanent failure remembered, nil if none. A nil
// store has none.
func (s *FailureStore) Current() *Failure {
	if s == nil {
		return nil
	}
	var f Failure
	raw, err := userfile.Read(s.Path, 64<<10)
	if err != nil || json.Unmarshal(raw, &f) != nil || f.DocHash == "" {
		return nil
	}
	return &f
}

// Put remembers f, replacing any earlier failure (of an older login).
func (s *FailureStore) Put(f Failure) error {
	raw, _ := json.Marshal(f)
	return userfile.WriteAtomic(s.Path, raw, userfile.Atomic{})
}

// Fresh returns the login, refreshing it first when it is a ChatGPT login
// whose access token expires within refreshWindow. A failed proactive
// refresh that is not permanent is not an error: the old token is still
// good for a moment, as Codex also reasons. A refresh that an earlier run
// could not write is finished first.
func (r *Refresher) Fresh(ctx context.Context) (*Document, error) {
	// On failure the login on disk still serves until it needs a refresh,
	// which tries again and reports the error.
	_, _ = r.Recover(ctx)
	s := r.Loader.Load(ctx)
	if s.Err != nil {
		return nil, s.Err
	}
	if s.Doc == nil {
		return nil, fmt.Errorf("not signed in to Codex: %w", ErrLoginNeeded)
	}
	if err := r.knownFailure(s.Doc); err != nil {
		return nil, err
	}
	if !needsRefresh(s.Doc, time.Now(), refreshWindow) {
		return s.Doc, nil
	}
	res, err := r.Refresh(ctx, s.Doc, "proactive_expiry")
	var re *RefreshError
	if err != nil && errors.As(err, &re) && !re.Permanent {
		if exp := AccessExpiry(s.Doc); exp.After(time.Now()) {
			return s.Doc, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return res.Doc, nil
}

// AfterUnauthorized handles a 401 from the backend for the access token
// rejected: if the login on disk has changed since, use it; otherwise
// refresh.
func (r *Refresher) AfterUnauthorized(ctx context.Context, rejected Secret) (*Document, error) {
	s := r.Loader.Load(ctx)
	if s.Err != nil {
		return nil, s.Err
	}
	if s.Doc == nil {
		return nil, fmt.Errorf("not signed in to Codex: %w", ErrLoginNeeded)
	}
	if s.Doc.Mode() != ModeChatGPT {
		return nil, fmt.Errorf("the API key was rejected: %w", ErrLoginNeeded)
	}
	if s.Doc.Tokens != nil && !s.Doc.Tokens.AccessToken.Equal(rejected) {
		return s.Doc, nil
	}
	res, err := r.Refresh(ctx, s.Doc, "forced")
	if err != nil {
		return nil, err
	}
	return res.Doc, nil
}

// needsRefresh reports whether doc is a ChatGPT login whose access token
// expires within window of now. A token without a readable exp falls back to
// Codex's rule: last_refresh older than 8 days.
func needsRefresh(doc *Document, now time.Time, window time.Duration) bool {
	if doc == nil || doc.Mode() != ModeChatGPT || doc.Tokens == nil || doc.Tokens.RefreshToken.IsZero() {
		return false
	}
	if exp := AccessExpiry(doc); !exp.IsZero() {
		return exp.Sub(now) <= window
	}
	last, err := time.Parse(time.RFC3339Nano, doc.LastRefresh)
	return err == nil && now.Sub(last) > 8*24*time.Hour
}

// AccessExpiry is the access token's exp, zero when unknown.
func AccessExpiry(doc *Document) time.Time {
	if doc == nil || doc.Tokens == nil {
		return time.Time{}
	}
	c, err := DecodeClaims(doc.Tokens.AccessToken)
	if err != nil {
		return time.Time{}
	}
	return c.Expires
}

// KeepAlive refreshes the login whenever its access token is within
// `within` of expiry, checking every interval, until ctx ends. It is the
// opt-in keep-alive setting; errors are reported through onErr.
func (r *Refresher) KeepAlive(ctx context.Context, within, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s := r.Loader.Load(ctx)
		if s.Err == nil && needsRefresh(s.Doc, time.Now(), within) && r.knownFailure(s.Doc) == nil {
			if _, err := r.Refresh(ctx, s.Doc, "scheduled"); err != nil && onErr != nil {
				onErr(err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
