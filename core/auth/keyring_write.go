package auth

import "context"

// CodexKeyringWriter replaces the secret of Codex's own keyring entry
// (service "Codex Auth", account user), keeping the entry's label and
// attributes so that Codex keeps finding it.
type CodexKeyringWriter interface {
	SetCodexEntry(ctx context.Context, user, secret string) error
}

// SystemCodexKeyring writes Codex's entry in the OS keychain.
type SystemCodexKeyring struct{}
