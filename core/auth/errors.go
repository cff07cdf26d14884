package auth

import "errors"

// ErrLoginNeeded marks errors that only signing in again can fix (no login,
// or a refresh that failed for good). Commands exit with code 3 on it.
var ErrLoginNeeded = errors.New("sign in to Codex again with `codex login`")
