package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/codextray/codextray/core/userfile"
)

// RefreshJournal keeps a refreshed login aside, in Codex Tray's own data
// directory, from the moment the token server answers until the login is
// written where Codex reads it. A refresh token is single use: once the
// server has answered, the new tokens exist only in this process, and a
// crash or a failed write before the rename would sign the user out. The
// next run under Codex's locks finishes the write from the journal (see
// Refresher.Recover). One file per Codex home; every read and write of it
// happens under that home's commit lock.
type RefreshJournal struct{ Dir string }

// NewRefreshJournal keeps its files in dir (the app's data directory).
func NewRefreshJournal(dir string) *RefreshJournal { return &RefreshJournal{Dir: dir} }

// PendingLogin is a refreshed login that may not have reached Codex's store.
type PendingLogin struct {
	Home   string // the Codex home it belongs to
	Source Source // where the refreshed login was read from (file or keyring)
	// SpentHash is the sha256 (hex) of the refresh token the refresh spent:
	// the login it replaces is the one that still holds that token.
	SpentHash string
	AccountID string
	SavedAt   time.Time
	// Document is the new login exactly as written to auth.json (the
	// keyring entry gets it compacted, as every keyring write does).
	Document Secret
}

// journalFile is the journal on disk. It holds tokens (in document) and is
// 0600, like auth.json.
type journalFile struct {
	Version   int       `json:"version"`
	CodexHome string    `json:"codex_home"`
	Source    Source    `json:"source"`
	SpentHash string    `json:"spent_refresh_token_sha256"`
	AccountID string    `json:"account_id,omitempty"`
	SavedAt   time.Time `json:"saved_at"`
	Document  string    `json:"document"`
}

const journalVersion = 1

// TokenHash names a refresh token without revealing it.
func TokenHash(s Secret) string {
	sum := sha256.Sum256([]byte(s.Reveal()))
	return hex.EncodeToString(sum[:])
}

// Path is the journal file of the Codex home: refresh-journal-<16 hex
// digits of the home's hash, as in Codex's keyring account>.json.
func (j *RefreshJournal) Path(home string) string { return journalPath(j.Dir, home) }

// Pending reports whether a journal exists for home, without reading it and
// without the lock: a hint that Recover has work to do. A nil journal has
// none.
func (j *RefreshJournal) Pending(home string) bool {
	if j == nil {
		return false
	}
	_, err := os.Lstat(j.Path(home))
	return !absent(err)
}

// absent: the error says the file does not exist, or cannot (a path
// component is not a directory).
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// errJournalCorrupt marks a journal file that cannot be what save wrote.
var errJournalCorrupt = errors.New("the refresh journal is corrupt")

// Load reads the journal of home; nil when there is none.
func (j *RefreshJournal) Load(home string) (*PendingLogin, error) {
	if j == nil {
		return nil, nil
	}
	raw, err := userfile.Read(j.Path(home), maxAuthFileSize*2)
	if absent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the refresh journal: %w", err)
	}
	var f journalFile
	// The JSON error could quote the file, which holds tokens: drop it.
	if json.Unmarshal(raw, &f) != nil || f.Version != journalVersion || f.SpentHash == "" || f.Document == "" {
		return nil, errJournalCorrupt
	}
	return &PendingLogin{Home: f.CodexHome, Source: f.Source, SpentHash: f.SpentHash, AccountID: f.AccountID,
		SavedAt: f.SavedAt, Document: NewSecret(f.Document)}, nil
}

// save replaces the journal of p.Home atomically and durably: a 0600 temp
// file in the same directory, fsync, rename, fsync of the directory.
func (j *RefreshJournal) save(p PendingLogin) error {
	raw, err := json.MarshalIndent(journalFile{Version: journalVersion, CodexHome: p.Home, Source: p.Source,
		SpentHash: p.SpentHash, AccountID: p.AccountID, SavedAt: p.SavedAt.UTC(), Document: p.Document.Reveal()}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(j.Dir, 0o700); err != nil {
		return fmt.Errorf("cannot save the refreshed login aside: %w", err)
	}
	if err := userfile.WriteAtomic(j.Path(p.Home), raw, userfile.Atomic{Durable: true}); err != nil {
		return fmt.Errorf("cannot save the refreshed login aside: %w", err)
	}
	return nil
}

// remove deletes the journal of home and any temp file a killed save left.
func (j *RefreshJournal) remove(home string) error {
	if j == nil {
		return nil
	}
	path := j.Path(home)
	temps, _ := filepath.Glob(filepath.Join(j.Dir, "."+filepath.Base(path)+".tmp-*"))
	for _, t := range temps {
		os.Remove(t)
	}
	if err := os.Remove(path); err != nil && !absent(err) {
		return fmt.Errorf("cannot delete the refresh journal: %w", err)
	}
	userfile.SyncDir(j.Dir)
	return nil
}

// The spent mark: a refresh answered refresh_token_reused leaves, for
// ReuseGrace, the hash of the token in the journal's directory. Another
// Codex Tray process about to post the same token waits for the new login
// instead: the token is gone, and a second POST would only be a second
// reuse counted against the login.

type spentMark struct {
	SpentHash string    `json:"spent_refresh_token_sha256"`
	At        time.Time `json:"at"`
}

func (j *RefreshJournal) spentPath(home string) string { return spentMarkPath(j.Dir, home) }

// markSpent notes that the token with hash was reported spent at; best
// effort.
func (j *RefreshJournal) markSpent(home, hash string, at time.Time) {
	if j == nil {
		return
	}
	raw, err := json.Marshal(spentMark{SpentHash: hash, At: at.UTC()})
	if err != nil || os.MkdirAll(j.Dir, 0o700) != nil {
		return
	}
	_ = userfile.WriteAtomic(j.spentPath(home), raw, userfile.Atomic{})
}

// spentSince reports whether the token with hash was reported spent after
// since.
func (j *RefreshJournal) spentSince(home, hash string, since time.Time) bool {
	if j == nil {
		return false
	}
	raw, err := userfile.Read(j.spentPath(home), 4<<10)
	if err != nil {
		return false
	}
	var m spentMark
	return json.Unmarshal(raw, &m) == nil && m.SpentHash == hash && m.At.After(since)
}

// The unanswered mark: a refresh whose POST was sent but got no usable
// answer (a timeout, a broken connection, a 200 that cannot be read)
// leaves the hash of its refresh token. The server may have spent that
// token, and a second POST of a spent token is answered
// refresh_token_reused, which signs the user out; so no Codex Tray process
// sends it again while the login holds it. Codex, or a new sign-in,
// replaces the login and makes the mark stale.

type unansweredMark struct {
	TokenHash string    `json:"refresh_token_sha256"`
	At        time.Time `json:"at"`
}

func (j *RefreshJournal) unansweredPath(home string) string { return unansweredMarkPath(j.Dir, home) }

// markUnanswered notes that a POST of the token with hash got no usable
// answer at at; best effort. Called under the home's commit lock.
func (j *RefreshJournal) markUnanswered(home, hash string, at time.Time) {
	raw, err := json.Marshal(unansweredMark{TokenHash: hash, At: at.UTC()})
	if err != nil || os.MkdirAll(j.Dir, 0o700) != nil {
		return
	}
	_ = userfile.WriteAtomic(j.unansweredPath(home), raw, userfile.Atomic{})
}

// unanswered is the hash in the home's unanswered mark, if there is one.
func (j *RefreshJournal) unanswered(home string) (string, bool) {
	raw, err := userfile.Read(j.unansweredPath(home), 4<<10)
	if err != nil {
		return "", false
	}
	var m unansweredMark
	if json.Unmarshal(raw, &m) != nil || m.TokenHash == "" {
		return "", false
	}
	return m.TokenHash, true
}

// clearUnanswered drops the home's unanswered mark.
func (j *RefreshJournal) clearUnanswered(home string) { _ = os.Remove(j.unansweredPath(home)) }
