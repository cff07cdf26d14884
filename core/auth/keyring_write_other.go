//go:build !linux

package auth

import (
	"context"

	"github.com/zalando/go-keyring"
)

// SetCodexEntry stores the secret under Codex's service and account. On
// macOS this is the same generic-password item the keyring crate uses.
func (SystemCodexKeyring) SetCodexEntry(_ context.Context, user, secret string) error {
	return keyring.Set(KeyringService, user, secret)
}
