package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/zalando/go-keyring"
)

// MirrorService is the keychain service of Codex Tray's own copy of the
// login: one entry per token plus a small metadata entry, because OS
// keychains limit the size of an entry.
const MirrorService = "codextray"

// MirrorUser is the account name of one mirror entry for the Codex home:
// the same "cli|<hash>" key Codex uses, then "/" and the part
// ("meta", "id_token", "access_token", "refresh_token", "api_key").
func MirrorUser(home, part string) string { return KeyringUser(home) + "/" + part }

// MirrorMeta is the metadata entry of the mirror.
type MirrorMeta struct {
	AccountID   string `json:"account_id,omitempty"`
	LastRefresh string `json:"last_refresh,omitempty"`
	DocHash     string `json:"doc_sha256"`
}

// DocumentHash identifies a login document's content without revealing it.
func DocumentHash(d *Document) string {
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
	v, err := k.Get(ctx, MirrorService, MirrorUser(s.Home, "meta"))
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return MirrorAbsent
	case err != nil:
		return MirrorUnavailable
	}
	var meta MirrorMeta
	if json.Unmarshal([]byte(v), &meta) != nil || s.Doc == nil || meta.DocHash != DocumentHash(s.Doc) {
		return MirrorStale
	}
	return MirrorInSync
}
