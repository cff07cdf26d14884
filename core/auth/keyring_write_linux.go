//go:build linux

package auth

import (
	"context"
	"fmt"

	ss "github.com/zalando/go-keyring/secret_service"
)

// SetCodexEntry replaces the secret of Codex's Secret Service item in place
// (as Codex's own refresh does), or creates the item with the attributes
// the keyring crate gives it (service, username, target, application).
// go-keyring's Set would create a second item with fewer attributes, which
// Codex would not read.
func (SystemCodexKeyring) SetCodexEntry(ctx context.Context, user, secret string) error {
	if !sessionBusReachable() {
		return fmt.Errorf("%w: no D-Bus session bus", ErrKeyringUnavailable)
	}
	done := make(chan error, 1)
	go func() { done <- setCodexEntry(user, secret) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func setCodexEntry(user, secret string) error {
	svc, err := ss.NewSecretService()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeyringUnavailable, err)
	}
	session, err := svc.OpenSession()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeyringUnavailable, err)
	}
	defer svc.Close(session)
	coll := svc.GetLoginCollection()
	if err := svc.Unlock(coll.Path()); err != nil {
		return fmt.Errorf("cannot unlock the keychain: %w", err)
	}
	items, err := svc.SearchItems(coll, map[string]string{"service": KeyringService, "username": user})
	if err != nil {
		return fmt.Errorf("cannot search the keychain: %w", err)
	}
	s := ss.NewSecret(session.Path(), secret)
	if len(items) > 0 {
		for _, it := range items {
			if call := svc.Object("org.freedesktop.secrets", it).Call("org.freedesktop.Secret.Item.SetSecret", 0, s); call.Err != nil {
				return fmt.Errorf("cannot update Codex's keychain entry: %w", call.Err)
			}
		}
		return nil
	}
	attrs := map[string]string{"service": KeyringService, "username": user, "target": "default", "application": "rust-keyring"}
	label := user + "@" + KeyringService + ":default (keyring v3.6.3)"
	if err := svc.CreateItem(coll, label, attrs, s); err != nil {
		return fmt.Errorf("cannot create Codex's keychain entry: %w", err)
	}
	return nil
}
