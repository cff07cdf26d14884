package auth

// The refresh journal: a refresh token is single use, so the tokens a
// refresh bought must survive a crash or a failed write between the token
// server's answer and the rename of auth.json. The kill -9 case runs as a
// real process in core/cli (TestRefreshKilledBeforeRename).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

// journaled gives the fixture a journal in its own directory and returns
// a constructor of Refreshers sharing it, as other processes of the same
// user would.
func (f *refreshFixture) journaled() (*RefreshJournal, func() *Refresher) {
	j := NewRefreshJournal(filepath.Join(f.t.TempDir(), "appdata"))
	f.r.Journal = j
	return j, func() *Refresher { r := f.refresher(); r.Journal = j; return r }
}

// failRenames makes every write of auth.json in home by r fail at the last step,
// as a full disk or a vanished directory would: the temp file is gone when
// the rename comes.
func failRenames(r *Refresher, home string) {
	r.BeforeRename = func() {
		m, _ := filepath.Glob(filepath.Join(home, ".auth-*"))
		for _, p := range m {
			os.Remove(p)
		}
	}
}

// pending reads the journal of the fixture's home, failing if there is none.
func (f *refreshFixture) pending(j *RefreshJournal) *PendingLogin {
	f.t.Helper()
	p, err := j.Load(f.home)
	if err != nil || p == nil {
		f.t.Fatalf("no readable journal (err %v)", err)
	}
	return p
}

// checkJournalFile checks the journal file as it lies on disk: 0600, the
// documented fields, and the spent refresh token only as its hash.
func (f *refreshFixture) checkJournalFile(j *RefreshJournal) {
	f.t.Helper()
	path := j.Path(f.home)
	fi, err := os.Stat(path)
	if err != nil {
		f.t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		f.t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		f.t.Fatalf("the journal is not JSON: %v", err)
	}
	for _, k := range []string{"version", "codex_home", "source", "spent_refresh_token_sha256", "account_id", "saved_at", "document"} {
		if _, ok := m[k]; !ok {
			f.t.Errorf("the journal has no %q", k)
		}
	}
	if bytes.Contains(raw, []byte(f.rt)) {
		f.t.Errorf("the journal holds the spent refresh token in clear")
	}
	p := f.pending(j)
	if p.SpentHash != TokenHash(NewSecret(f.rt)) || p.AccountID != authtest.AccountID || p.Home != f.home || p.Source != SourceFile {
		f.t.Errorf("journal: spent hash matches %v, account %q, home %q, source %q", p.SpentHash == TokenHash(NewSecret(f.rt)), p.AccountID, p.Home, p.Source)
	}
	if time.Since(p.SavedAt) > time.Minute || time.Since(p.SavedAt) < 0 {
		f.t.Errorf("journal saved_at %v is not the time of the refresh", p.SavedAt)
	}
	doc, err := ParseDocument([]byte(p.Document.Reveal()))
	if err != nil || doc.Tokens.RefreshToken.Reveal() != f.srv.Current() {
		f.t.Errorf("the journal's document is not the refreshed login (err %v)", err)
	}
	if s := shown(fmt.Sprintf("%v %+v %#v", p, *p, p)); strings.Contains(s, f.srv.Current()) {
		f.t.Errorf("printing a PendingLogin shows a token")
	}
}

// TestRefreshJournalKeptUntilWritten: at the rename the new login is in the
// journal, byte for byte what goes to auth.json; after the rename the
// journal is gone and nothing of it is left behind.
func TestRefreshJournalKeptUntilWritten(t *testing.T) {
	f := newRefreshFixture(t)
	j, _ := f.journaled()
	var atRename []byte
	f.r.BeforeRename = func() {
		f.checkJournalFile(j)
		atRename = []byte(f.pending(j).Document.Reveal())
	}
	res, err := f.r.Refresh(context.Background(), nil, "forced")
	if err != nil || !res.Refreshed || res.Recovered {
		t.Fatalf("Refresh: refreshed=%v recovered=%v err=%s", res.Refreshed, res.Recovered, errText(err))
	}
	if atRename == nil {
		t.Fatal("the write never reached the rename")
	}
	if !bytes.Equal(f.read(), atRename) {
		t.Errorf("auth.json differs from the journal's document")
	}
	if j.Pending(f.home) {
		t.Errorf("the journal is still there after the write")
	}
	if ents, _ := os.ReadDir(j.Dir); len(ents) != 0 {
		t.Errorf("files left in the data directory: %v", ents)
	}
}

// TestRefreshJournalFinishesFailedWrite: the write of auth.json fails after
// the token server answered. auth.json keeps the old login, the error says
// the tokens were kept, and every way the app next reaches the login
// writes the journal's login with no second POST, then drops the journal.
func TestRefreshJournalFinishesFailedWrite(t *testing.T) {
	ways := []struct {
		name string
		run  func(f *refreshFixture, r *Refresher) (*Document, error)
	}{
		{"Refresh of the login read afresh", func(f *refreshFixture, r *Refresher) (*Document, error) {
			res, err := r.Refresh(context.Background(), nil, "forced")
			if err == nil && (!res.Recovered || res.Refreshed) {
				f.t.Errorf("recovered=%v refreshed=%v, want recovered only", res.Recovered, res.Refreshed)
			}
			return res.Doc, err
		}},
		{"Refresh after a permanent failure was remembered for the spent login", func(f *refreshFixture, r *Refresher) (*Document, error) {
			r.Failures = NewFailureStore(f.t.TempDir())
			seen := f.doc()
			r.remember(seen, &RefreshError{Permanent: true, Message: msgRefreshReused, Cause: errors.New("test")})
			res, err := r.Refresh(context.Background(), seen, "forced")
			return res.Doc, err
		}},
		{"Fresh", func(f *refreshFixture, r *Refresher) (*Document, error) { return r.Fresh(context.Background()) }},
		{"AfterUnauthorized", func(f *refreshFixture, r *Refresher) (*Document, error) {
			return r.AfterUnauthorized(context.Background(), f.doc().Tokens.AccessToken)
		}},
		{"Recover", func(f *refreshFixture, r *Refresher) (*Document, error) { return r.Recover(context.Background()) }},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			f := newRefreshFixture(t)
			j, another := f.journaled()
			failRenames(f.r, f.home)
			_, err := f.r.Refresh(context.Background(), nil, "forced")
			if err == nil || !strings.Contains(errText(err), "kept the new tokens") {
				t.Fatalf("Refresh with a failing write: %s, want an error saying the tokens were kept", errText(err))
			}
			f.r.BeforeRename = nil
			if !bytes.Equal(f.read(), f.old) {
				t.Fatalf("auth.json changed although its write failed")
			}
			f.checkJournalFile(j)
			want := []byte(f.pending(j).Document.Reveal())

			doc, err := w.run(f, another())
			if err != nil {
				t.Fatalf("%s: %s", w.name, errText(err))
			}
			if doc == nil || doc.Tokens.RefreshToken.Reveal() != f.srv.Current() {
				t.Errorf("%s did not return the journal's login", w.name)
			}
			if !bytes.Equal(f.read(), want) {
				t.Errorf("auth.json is not the journal's document")
			}
			if c := f.srv.Counts(); c.Calls != 1 || c.Issued != 1 {
				t.Errorf("token server: %v, want the one POST of the failed refresh", c)
			}
			if j.Pending(f.home) {
				t.Errorf("the journal is still there")
			}
			// The login written is a good one: it refreshes normally.
			if res, err := another().Refresh(context.Background(), nil, "forced"); err != nil || !res.Refreshed {
				t.Errorf("refresh of the finished login: refreshed=%v err=%s", res.Refreshed, errText(err))
			}
		})
	}
}

// TestRefreshJournalStale: when the login no longer holds the refresh token
// the journal's refresh spent, the journal is dropped and the login on disk
// is left exactly as it is.
func TestRefreshJournalStale(t *testing.T) {
	cases := []struct {
		name   string
		change func(f *refreshFixture, journalDoc []byte) // nil content: auth.json removed
	}{
		{"signed in again", func(f *refreshFixture, _ []byte) {
			must(f.t, authtest.WriteAtomic(f.authPath(), authtest.Login{Expires: time.Now().Add(time.Hour).Truncate(time.Second), RefreshToken: "rt_new_sign_in_0001"}.Document()))
		}},
		{"switched to an API key", func(f *refreshFixture, _ []byte) {
			must(f.t, authtest.WriteAtomic(f.authPath(), authtest.APIKeyDocument("sk-test-stale-journal-0123456789")))
		}},
		{"signed out", func(f *refreshFixture, _ []byte) { must(f.t, os.Remove(f.authPath())) }},
		{"written, then killed before the journal was dropped", func(f *refreshFixture, doc []byte) {
			must(f.t, authtest.WriteAtomic(f.authPath(), doc))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newRefreshFixture(t)
			j, another := f.journaled()
			failRenames(f.r, f.home)
			if _, err := f.r.Refresh(context.Background(), nil, "forced"); err == nil {
				t.Fatal("the write did not fail")
			}
			f.r.BeforeRename = nil
			c.change(f, []byte(f.pending(j).Document.Reveal()))
			before, beforeErr := os.ReadFile(f.authPath())

			doc, err := another().Recover(context.Background())
			if err != nil || doc != nil {
				t.Errorf("Recover: wrote a login %v, err %s; want nothing written", doc != nil, errText(err))
			}
			after, afterErr := os.ReadFile(f.authPath())
			if !bytes.Equal(before, after) || (beforeErr == nil) != (afterErr == nil) {
				t.Errorf("the login on disk changed")
			}
			if j.Pending(f.home) {
				t.Errorf("the stale journal is still there")
			}
			if c := f.srv.Counts(); c.Calls != 1 {
				t.Errorf("token server: %v, want only the first POST", c)
			}
		})
	}
	t.Run("auth.json unreadable: the journal waits", func(t *testing.T) {
		f := newRefreshFixture(t)
		j, another := f.journaled()
		failRenames(f.r, f.home)
		if _, err := f.r.Refresh(context.Background(), nil, "forced"); err == nil {
			t.Fatal("the write did not fail")
		}
		f.r.BeforeRename = nil
		must(t, os.WriteFile(f.authPath(), []byte(`{"tokens": `), 0o600))
		if _, err := another().Recover(context.Background()); err == nil {
			t.Errorf("Recover with an unreadable auth.json: no error")
		}
		if got := f.read(); string(got) != `{"tokens": ` {
			t.Errorf("the unreadable auth.json was replaced")
		}
		if !j.Pending(f.home) {
			t.Errorf("the journal was dropped while the login could not be compared with it")
		}
	})
}

// fakeCodexKeyring is Codex's keyring entry in memory: the Loader reads it,
// the Refresher writes it (or fails to, while fail is set).
type fakeCodexKeyring struct {
	*memKeyring
	fail error
}

func (k *fakeCodexKeyring) SetCodexEntry(_ context.Context, user, secret string) error {
	if k.fail != nil {
		return k.fail
	}
	k.set(KeyringService, user, secret)
	return nil
}

// TestRefreshJournalKeyring: in keyring mode (Codex keeps the login in the
// OS keychain) a failed write of the entry is finished from the journal
// the same way, compacted as every keyring write is; a stale journal is
// dropped and the entry left alone.
func TestRefreshJournalKeyring(t *testing.T) {
	for _, stale := range []bool{false, true} {
		t.Run(fmt.Sprintf("stale=%v", stale), func(t *testing.T) {
			f := newRefreshFixture(t)
			j, another := f.journaled()
			must(t, os.WriteFile(filepath.Join(f.home, "config.toml"), []byte("cli_auth_credentials_store = \"keyring\"\n"), 0o600))
			must(t, os.Remove(f.authPath()))
			var compact bytes.Buffer
			must(t, json.Compact(&compact, f.old))
			kr := &fakeCodexKeyring{memKeyring: &memKeyring{}, fail: errors.New("the keychain is locked")}
			user := KeyringUser(f.home)
			kr.set(KeyringService, user, compact.String())
			inKeyring := func(r *Refresher) *Refresher {
				r.Loader = &Loader{Home: f.home, Keyring: kr}
				r.KeyringWriter = kr
				return r
			}
			if _, err := inKeyring(f.r).Refresh(context.Background(), nil, "forced"); err == nil || !strings.Contains(errText(err), "kept the new tokens") {
				t.Fatalf("Refresh with a failing keychain: %s", errText(err))
			}
			p := f.pending(j)
			if p.Source != SourceKeyring {
				t.Errorf("journal source %q, want keyring", p.Source)
			}
			kr.fail = nil
			var want string
			if stale {
				other := authtest.Login{Expires: time.Now().Add(time.Hour).Truncate(time.Second), RefreshToken: "rt_keyring_other_0001"}.Document()
				var c bytes.Buffer
				must(t, json.Compact(&c, other))
				want = c.String()
				kr.set(KeyringService, user, want)
			} else {
				var c bytes.Buffer
				must(t, json.Compact(&c, []byte(p.Document.Reveal())))
				want = c.String()
			}
			doc, err := inKeyring(another()).Recover(context.Background())
			if err != nil || (doc != nil) == stale {
				t.Fatalf("Recover: wrote a login %v, err %s", doc != nil, errText(err))
			}
			if got, _ := kr.Get(context.Background(), KeyringService, user); got != want {
				t.Errorf("Codex's keychain entry is not the expected login (stale=%v)", stale)
			}
			if _, err := os.Stat(f.authPath()); err == nil {
				t.Errorf("an auth.json was written in keyring mode")
			}
			if j.Pending(f.home) {
				t.Errorf("the journal is still there")
			}
			if c := f.srv.Counts(); c.Calls != 1 {
				t.Errorf("token server: %v, want only the first POST", c)
			}
		})
	}
}

// TestRefreshJournalUnusable: a journal that cannot be saved does not stop
// a refresh whose write works; when the write fails too, the error says
// both. A corrupt journal is dropped and the refresh goes on.
func TestRefreshJournalUnusable(t *testing.T) {
	t.Run("cannot save, write works", func(t *testing.T) {
		f := newRefreshFixture(t)
		blocker := filepath.Join(t.TempDir(), "a-file")
		must(t, os.WriteFile(blocker, nil, 0o600))
		f.r.Journal = NewRefreshJournal(filepath.Join(blocker, "appdata"))
		if res, err := f.r.Refresh(context.Background(), nil, "forced"); err != nil || !res.Refreshed {
			t.Fatalf("Refresh: refreshed=%v err=%s", res.Refreshed, errText(err))
		}
		if f.doc().Tokens.RefreshToken.Reveal() != f.srv.Current() {
			t.Errorf("auth.json does not hold the new tokens")
		}
	})
	t.Run("cannot save, write fails", func(t *testing.T) {
		f := newRefreshFixture(t)
		blocker := filepath.Join(t.TempDir(), "a-file")
		must(t, os.WriteFile(blocker, nil, 0o600))
		f.r.Journal = NewRefreshJournal(filepath.Join(blocker, "appdata"))
		failRenames(f.r, f.home)
		_, err := f.r.Refresh(context.Background(), nil, "forced")
		if msg := errText(err); !strings.Contains(msg, "cannot write the Codex login") || !strings.Contains(msg, "aside failed too") {
			t.Errorf("Refresh: %s, want both failures named", msg)
		}
	})
	t.Run("corrupt journal", func(t *testing.T) {
		f := newRefreshFixture(t)
		j, _ := f.journaled()
		must(t, os.MkdirAll(j.Dir, 0o700))
		must(t, os.WriteFile(j.Path(f.home), []byte(`{"version": 1, "document": `), 0o600))
		if res, err := f.r.Refresh(context.Background(), nil, "forced"); err != nil || !res.Refreshed {
			t.Fatalf("Refresh: refreshed=%v err=%s", res.Refreshed, errText(err))
		}
		if j.Pending(f.home) {
			t.Errorf("the corrupt journal is still there")
		}
	})
}

// TestRefreshSpentTokenIsNotPostedTwice: when one Codex Tray process is
// told its token is spent (Codex spent it outside its locks), a second
// process about to post the same token waits with it instead of posting:
// one reuse, not two.
func TestRefreshSpentTokenIsNotPostedTwice(t *testing.T) {
	f := newRefreshFixture(t)
	journal := NewRefreshJournal(t.TempDir())
	failures := NewFailureStore(t.TempDir())
	process := func() *Refresher {
		r := f.refresher()
		r.Journal, r.Failures, r.ReuseGrace = journal, failures, time.Second
		return r
	}
	seen := f.doc()
	// "Codex" redeems the token and has not written its login yet.
	if _, _, err := f.refresher().post(context.Background(), seen.Tokens.RefreshToken, "forced", time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("the other program's POST: %s", errText(err))
	}
	first := f.refreshAsync(process(), seen)
	waitUntil(t, 5*time.Second, "the first process told the token is spent", func() bool {
		_, err := os.Stat(journal.spentPath(f.home))
		return f.srv.Counts().Reused == 1 && err == nil
	})
	second := f.refreshAsync(process(), seen)
	for i, out := range []<-chan refreshOutcome{first, second} {
		o := wait(t, out, 10*time.Second)
		var re *RefreshError
		if !errors.As(o.err, &re) || !re.Permanent || re.Message != msgRefreshReused {
			t.Errorf("process %d: %s, want %q", i+1, errText(o.err), msgRefreshReused)
		}
	}
	if c := f.srv.Counts(); c.Calls != 2 || c.Reused != 1 {
		t.Errorf("token server: %v, want the other program's call and one reuse", c)
	}
	raw, err := os.ReadFile(journal.spentPath(f.home))
	if err != nil || strings.Contains(string(raw), f.rt) {
		t.Errorf("the spent mark (%v) holds the token in clear", err)
	}
}
