package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// MirrorService is the keychain service of Codex Tray's own copy of the
// login: one entry per token plus a small metadata entry, because OS
// keychains limit the size of an entry.
const MirrorService = "codextray"

// mirrorParts are the secret entries of the mirror, besides "meta".
var mirrorParts = []string{"id_token", "access_token", "refresh_token", "api_key"}

// MirrorUser is the account name of one mirror entry for the Codex home:
// the same "cli|<hash>" key Codex uses, then "/" and the part ("meta",
// "id_token", "access_token", "refresh_token", "api_key"). A secret too
// long for one entry continues in MirrorUser(home, part)+"#2", "#3", …
// (see keychainEntryMax).
func MirrorUser(home, part string) string { return KeyringUser(home) + "/" + part }

// mirrorPieceUser is the account of piece i (1-based) of a part.
func mirrorPieceUser(home, part string, i int) string {
	if i == 1 {
		return MirrorUser(home, part)
	}
	return MirrorUser(home, part) + "#" + strconv.Itoa(i)
}

// CredentialBlobMax is the Windows Credential Manager's limit on a
// credential's secret (CRED_MAX_CREDENTIAL_BLOB_SIZE, 5*512 bytes);
// go-keyring refuses anything longer with ErrSetDataTooBig.
const CredentialBlobMax = 2560

// keychainEntryMax is the most bytes the mirror puts in one entry of this
// OS's keychain; 0 means no limit. ChatGPT's tokens can be longer than the
// Credential Manager's limit, and macOS's, where go-keyring passes the
// value base64-encoded on a 4 KB command line (about 2.9 KB of secret), is
// not much larger. The Secret Service has no limit: a Linux mirror keeps
// one entry per token, as it always did. Tests change it.
var keychainEntryMax = func() int {
	switch runtime.GOOS {
	case "windows", "darwin":
		return CredentialBlobMax
	}
	return 0
}()

// SplitSecret cuts v into pieces of at most max bytes each (max <= 0: no
// limit), never inside a UTF-8 sequence, so that each piece fits one
// keychain entry and their concatenation is v. An empty v is one empty
// piece.
func SplitSecret(v string, max int) []string {
	if max <= 0 || len(v) <= max {
		return []string{v}
	}
	if max < utf8.UTFMax {
		max = utf8.UTFMax // room for any one character
	}
	var pieces []string
	for len(v) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		pieces = append(pieces, v[:cut])
		v = v[cut:]
	}
	return append(pieces, v)
}

// MirrorMeta is the metadata entry of the mirror. Skeleton is the login
// document with every secret blanked, so a restore gives back every field.
type MirrorMeta struct {
	AccountID   string          `json:"account_id,omitempty"`
	LastRefresh string          `json:"last_refresh,omitempty"`
	DocHash     string          `json:"doc_sha256"`
	SavedAt     time.Time       `json:"saved_at"`
	Skeleton    json.RawMessage `json:"skeleton"`
	// Pieces is the number of entries of each part stored in more than
	// one (see SplitSecret); a part not named here is one entry.
	Pieces map[string]int `json:"pieces,omitempty"`
}

// KeyringStore is a keychain that can also write and delete.
type KeyringStore interface {
	Keyring
	Set(ctx context.Context, service, user, value string) error
	Delete(ctx context.Context, service, user string) error
}

// documentHash identifies a login document's content without revealing it.
func documentHash(d *Document) string {
	raw, err := d.Marshal()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// ProbeMirror reports the state of the keychain mirror for the login in s.
func ProbeMirror(ctx context.Context, k Keyring, s Snapshot) string {
	if k == nil {
		return MirrorUnavailable
	}
	meta, err := readMirrorMeta(ctx, k, s.Home)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return MirrorAbsent
	case err != nil:
		return MirrorUnavailable
	case s.Doc == nil || meta.DocHash != documentHash(s.Doc):
		return MirrorStale
	}
	return MirrorInSync
}

func readMirrorMeta(ctx context.Context, k Keyring, home string) (MirrorMeta, error) {
	var meta MirrorMeta
	v, err := k.Get(ctx, MirrorService, MirrorUser(home, "meta"))
	if err != nil {
		return meta, err
	}
	if err := json.Unmarshal([]byte(v), &meta); err != nil {
		return meta, fmt.Errorf("the keychain mirror's metadata is corrupt: %w", err)
	}
	return meta, nil
}

// Mirror keeps Codex Tray's copy of the login in the OS keychain.
type Mirror struct {
	Keyring KeyringStore
	Home    string
}

// Save stores doc: the secrets first, the metadata last, so a mirror whose
// metadata matches a document is complete.
func (m *Mirror) Save(ctx context.Context, doc *Document) error {
	if doc == nil {
		return errors.New("nothing to mirror")
	}
	meta, err := readMirrorMeta(ctx, m.Keyring, m.Home)
	if err == nil && meta.DocHash == documentHash(doc) {
		return nil // already in sync
	}
	if errors.Is(err, ErrKeyringUnavailable) {
		return err
	}
	values := map[string]Secret{"api_key": doc.APIKey}
	if doc.Tokens != nil {
		values["id_token"], values["access_token"], values["refresh_token"] = doc.Tokens.IDToken, doc.Tokens.AccessToken, doc.Tokens.RefreshToken
	}
	pieces := map[string]int{}
	for _, part := range mirrorParts {
		n := 0 // entries written
		if v := values[part]; !v.IsZero() {
			split := SplitSecret(v.Reveal(), keychainEntryMax)
			for i, piece := range split {
				if err := m.Keyring.Set(ctx, MirrorService, mirrorPieceUser(m.Home, part, i+1), piece); err != nil {
					return fmt.Errorf("cannot save %s in the keychain: %w", part, err)
				}
			}
			if n = len(split); n > 1 {
				pieces[part] = n
			}
		}
		// Entries beyond the new ones (a secret gone, or shorter than
		// before) would only confuse a later reader. Without a limit there
		// is never more than one.
		for i := n + 1; i == 1 || keychainEntryMax > 0; i++ {
			err := m.Keyring.Delete(ctx, MirrorService, mirrorPieceUser(m.Home, part, i))
			if errors.Is(err, keyring.ErrNotFound) && i > 1 {
				break
			}
			if err != nil && !errors.Is(err, keyring.ErrNotFound) {
				return err
			}
		}
	}
	skel, err := doc.skeleton()
	if err != nil {
		return err
	}
	meta = MirrorMeta{LastRefresh: doc.LastRefresh, DocHash: documentHash(doc), SavedAt: time.Now().UTC(), Skeleton: skel}
	if len(pieces) > 0 {
		meta.Pieces = pieces
	}
	if doc.Tokens != nil {
		meta.AccountID = doc.Tokens.AccountID
	}
	raw, _ := json.Marshal(meta)
	return m.Keyring.Set(ctx, MirrorService, MirrorUser(m.Home, "meta"), string(raw))
}

// Load rebuilds the mirrored document.
func (m *Mirror) Load(ctx context.Context) (*Document, MirrorMeta, error) {
	meta, err := readMirrorMeta(ctx, m.Keyring, m.Home)
	if err != nil {
		return nil, meta, err
	}
	doc, err := ParseDocument(meta.Skeleton)
	if err != nil {
		return nil, meta, fmt.Errorf("the keychain mirror is corrupt: %w", err)
	}
	vals := map[string]Secret{}
	for _, part := range mirrorParts {
		n := max(meta.Pieces[part], 1)
		var v strings.Builder
		for i := 1; i <= n; i++ {
			piece, err := m.Keyring.Get(ctx, MirrorService, mirrorPieceUser(m.Home, part, i))
			if err != nil && !errors.Is(err, keyring.ErrNotFound) {
				return nil, meta, err
			}
			v.WriteString(piece) // a missing piece shows as a hash mismatch below
		}
		vals[part] = NewSecret(v.String())
	}
	doc, err = doc.withSecrets(vals)
	if err != nil {
		return nil, meta, err
	}
	if documentHash(doc) != meta.DocHash {
		return nil, meta, errors.New("the keychain mirror is incomplete (its entries do not match its metadata)")
	}
	return doc, meta, nil
}

// skeleton is d with every secret replaced by "" (null stays null).
func (d *Document) skeleton() (json.RawMessage, error) {
	blank := map[string]Secret{}
	for _, p := range mirrorParts {
		blank[p] = NewSecret("")
	}
	s, err := d.withSecrets(blank)
	if err != nil {
		return nil, err
	}
	return s.Marshal()
}

// withSecrets returns a copy of d whose secret fields that are present in d
// take the given values (by mirror part name).
func (d *Document) withSecrets(vals map[string]Secret) (*Document, error) {
	n := *d
	set := func(fs []field, key string, v Secret) []field {
		for _, f := range fs {
			if f.key == key && !isNull(f.value) {
				raw, _ := marshalNoEscape(v.Reveal())
				return setField(fs, key, raw)
			}
		}
		return fs
	}
	n.fields = set(d.fields, "OPENAI_API_KEY", vals["api_key"])
	if !n.APIKey.IsZero() || vals["api_key"].Reveal() != "" {
		n.APIKey = vals["api_key"]
	}
	if d.Tokens != nil {
		t := *d.Tokens
		t.fields = set(t.fields, "id_token", vals["id_token"])
		t.fields = set(t.fields, "access_token", vals["access_token"])
		t.fields = set(t.fields, "refresh_token", vals["refresh_token"])
		t.IDToken, t.AccessToken, t.RefreshToken = vals["id_token"], vals["access_token"], vals["refresh_token"]
		n.Tokens = &t
	}
	// Re-parse so the typed fields and the raw fields agree exactly.
	raw, err := n.Marshal()
	if err != nil {
		return nil, err
	}
	return ParseDocument(raw)
}

// RestoreOffer says whether the mirror can give back a lost login.
type RestoreOffer struct {
	Doc    *Document
	Meta   MirrorMeta
	Reason string // why the file on disk needs it
}

// OfferRestore returns an offer when auth.json is gone or unreadable and the
// mirror holds a login at least as new as the one on disk. It never offers
// to replace a readable login.
func (m *Mirror) OfferRestore(ctx context.Context, l *Loader) (*RestoreOffer, error) {
	s := l.Load(ctx)
	if s.Doc != nil {
		return nil, nil
	}
	if s.Source == SourceKeyring {
		return nil, nil // Codex keeps this login in the keychain itself
	}
	doc, meta, err := m.Load(ctx)
	if err != nil {
		return nil, err
	}
	reason := "auth.json is missing"
	if s.Err != nil {
		reason = "auth.json is unreadable: " + s.Err.Error()
		if fi, err := os.Stat(l.AuthPath()); err == nil && fi.ModTime().After(meta.SavedAt) && !isParseError(s.Err) {
			return nil, nil
		}
	}
	return &RestoreOffer{Doc: doc, Meta: meta, Reason: reason}, nil
}

func isParseError(err error) bool {
	return err != nil && !errors.Is(err, fs.ErrPermission)
}

// Restore writes the mirrored login back to auth.json through Codex's locks
// and atomic write. Under the lock it checks again that no login appeared
// meanwhile; an unreadable file is kept beside as auth.json.unreadable-<time>.
func (m *Mirror) Restore(ctx context.Context, l *Loader) (*Document, error) {
	offer, err := m.OfferRestore(ctx, l)
	if err != nil {
		return nil, err
	}
	if offer == nil {
		return nil, errors.New("nothing to restore: Codex's login is readable, or the keychain holds no newer copy")
	}
	if err := os.MkdirAll(l.Home, 0o700); err != nil {
		return nil, err
	}
	lock, err := lockForCommit(ctx, l.Home, 0)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	s := l.Load(ctx)
	if s.Doc != nil {
		return nil, errors.New("a Codex login appeared meanwhile; nothing restored")
	}
	if s.Err != nil {
		aside := l.AuthPath() + ".unreadable-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(l.AuthPath(), aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cannot move the unreadable auth.json aside: %w", err)
		}
	}
	data, err := offer.Doc.Marshal()
	if err != nil {
		return nil, err
	}
	if err := writeAuthFile(l.AuthPath(), data, nil); err != nil {
		return nil, err
	}
	return offer.Doc, nil
}
