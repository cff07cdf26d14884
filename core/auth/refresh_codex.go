package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrCodexUnavailable: no Codex CLI can refresh the login (none found, or
// one too old for app-server); the Refresher then refreshes itself.
var ErrCodexUnavailable = errors.New("no Codex CLI to refresh the login with")

// ErrCodexSignedOut: Codex reports no usable login after its refresh.
var ErrCodexSignedOut = fmt.Errorf("the login could not be refreshed by Codex and needs a new sign-in: %w", ErrLoginNeeded)

// viaCodex reports whether the refresh of the login in s goes through
// Codex's own code (Refresher.ViaCodex) rather than under Codex's locks:
// where Codex Tray cannot see Codex read the login before it refreshes
// (no read watch: macOS, Windows; or a login in the keyring, which no file
// watch sees), a refresh of its own could spend a token Codex has just
// read and is about to spend too.
func (r *Refresher) viaCodex(s Snapshot) bool {
	if r.ViaCodex == nil || s.Err != nil || s.Doc == nil || s.Doc.Mode() != "chatgpt" {
		return false
	}
	if r.Journal.Pending(r.Loader.Home) {
		return false // an earlier refresh of ours is to be finished first, under the locks
	}
	return s.Source == SourceKeyring || r.readers() == nil
}

// routeRefresh is Refresh's one network refresh: through Codex where
// viaCodex says so, else under Codex's locks.
func (r *Refresher) routeRefresh(ctx context.Context, seen *Document, reason string) (RefreshResult, error) {
	s := r.Loader.Load(ctx)
	if !r.viaCodex(s) {
		return r.refresh(ctx, seen, reason, time.Time{})
	}
	// One Codex Tray process at a time asks Codex to refresh: two
	// app-servers forced to refresh at once would both post the token.
	// The lock is Codex Tray's own: Codex needs its locks to write.
	if unlock, err := r.lockCodexRefresh(ctx); err == nil {
		defer unlock()
		s = r.Loader.Load(ctx) // what the process before us left
	}
	if seen == nil {
		seen = s.Doc
	}
	if !sameTokens(seen, s.Doc) {
		return RefreshResult{Doc: s.Doc}, nil // refreshed or signed in since the caller read it: adopt
	}
	if err := r.knownFailure(s.Doc); err != nil {
		return RefreshResult{Doc: s.Doc}, err
	}
	err := r.ViaCodex(ctx)
	if errors.Is(err, ErrCodexUnavailable) {
		return r.refresh(ctx, seen, reason, time.Time{})
	}
	// Judge by the login, not by the answer: Codex may have written new
	// tokens and still failed a later step (workspace routing).
	after := r.Loader.Load(ctx)
	if after.Err == nil && after.Doc != nil && !sameTokens(s.Doc, after.Doc) {
		return RefreshResult{Doc: after.Doc, Refreshed: true}, nil
	}
	if after.Err == nil && after.Doc == nil {
		return RefreshResult{}, fmt.Errorf("signed out of Codex meanwhile: %w", ErrLoginNeeded)
	}
	if errors.Is(err, ErrLoginNeeded) {
		re := &RefreshError{Message: msgCodexRefreshFailed, Permanent: true, Cause: err}
		r.remember(s.Doc, re)
		return RefreshResult{Doc: s.Doc}, re
	}
	if err == nil {
		err = errors.New("the login did not change after Codex's refresh")
	}
	// The token may have been spent: never post it ourselves now.
	return RefreshResult{Doc: s.Doc}, &RefreshError{Message: "Codex could not refresh the login (" + err.Error() + "). Try again in a moment.", Cause: err}
}

// lockCodexRefresh takes Codex Tray's cross-process lock on refreshing
// this Codex home through Codex (a file beside the refresh journal); it
// waits at most a minute.
func (r *Refresher) lockCodexRefresh(ctx context.Context) (func(), error) {
	if r.Journal == nil {
		return nil, errors.New("no app data folder for the lock")
	}
	path := codexRefreshLockPath(r.Journal.Dir, r.Loader.Home)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := flock(f, false)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, errLockBusy) || time.Now().After(deadline) {
			_ = f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// msgCodexRefreshFailed is shown when Codex's own refresh ended with no
// usable login.
const msgCodexRefreshFailed = "Codex could not refresh the login. Please sign in again."
