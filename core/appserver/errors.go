package appserver

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Kind is what went wrong with a sign-in, a sign-out or a refresh through
// app-server; each has its own sentence for the user.
type Kind int

const (
	KindFailed         Kind = iota // anything else; Detail is Codex's message
	KindNoCodex                    // no Codex CLI found, or it cannot run
	KindDeviceDisabled             // the workspace admin has not enabled device-code sign-in
	KindExpired                    // the code expired before the user entered it
	KindCancelled                  // the user cancelled
	KindNetwork                    // OpenAI could not be reached
	KindTooOld                     // Codex's app-server lacks a method; Detail is its version, if known
	KindCrashed                    // app-server exited in the middle
	KindLoginNeeded                // Codex has no usable login (account/read found none)
)

// ErrNoCodex: no Codex CLI was given.
var ErrNoCodex = &LoginError{Kind: KindNoCodex}

// LoginError is a failure with the sentence the user sees.
type LoginError struct {
	Kind   Kind
	Detail string // scrubbed: safe to show
}

// InstallHint is how the Codex CLI is installed.
const InstallHint = "npm install -g @openai/codex"

func (e *LoginError) Error() string {
	switch e.Kind {
	case KindNoCodex:
		s := "The Codex CLI was not found. Install it with `" + InstallHint + "`, or set its path in Settings."
		if e.Detail != "" {
			s = "The Codex CLI could not be started (" + e.Detail + "). Install it with `" + InstallHint + "`, or set its path in Settings."
		}
		return s
	case KindDeviceDisabled:
		return "Signing in with a code is turned off for this workspace: ask its admin to enable device code sign-in, or sign in with the browser instead."
	case KindExpired:
		return "The sign-in code expired before it was entered. Start again to get a new code."
	case KindCancelled:
		return "Sign-in cancelled."
	case KindNetwork:
		return "Could not reach OpenAI to sign in (" + e.Detail + "). Check the network connection and try again."
	case KindTooOld:
		v := "This Codex CLI"
		if e.Detail != "" {
			v = "Codex " + e.Detail
		}
		return v + " is too old for signing in from Codex Tray: version " + MinVersion + " or newer is needed. Update it with `" + InstallHint + "@latest`."
	case KindCrashed:
		return "Codex stopped in the middle of the sign-in (" + e.Detail + "). Try again; if it happens again, sign in with `codex login` in a terminal."
	case KindLoginNeeded:
		return "Codex has no usable login: sign in again."
	}
	if e.Detail == "" {
		return "Signing in failed."
	}
	return "Signing in failed: " + e.Detail
}

// Is makes errors.Is(err, ErrNoCodex) and the like match by kind.
func (e *LoginError) Is(target error) bool {
	t, ok := target.(*LoginError)
	return ok && t.Detail == "" && t.Kind == e.Kind
}

// KindOf returns the kind of err (KindFailed for other errors, nil: -1).
func KindOf(err error) Kind {
	var le *LoginError
	if errors.As(err, &le) {
		return le.Kind
	}
	return KindFailed
}

// classify turns Codex's message about a failed sign-in into a LoginError.
func classify(msg string) *LoginError {
	l := strings.ToLower(msg)
	switch {
	case strings.Contains(l, "device code login is not enabled") || strings.Contains(l, "device code authorization is not enabled") ||
		strings.Contains(l, "not enabled") && strings.Contains(l, "device") || strings.Contains(l, "404") && strings.Contains(l, "usercode"):
		return &LoginError{Kind: KindDeviceDisabled}
	case strings.Contains(l, "expired") || strings.Contains(l, "timed out") || strings.Contains(l, "status 410"):
		// Codex gives up on a code after 15 minutes ("device auth timed
		// out"); a server that ends it earlier answers 410 Gone.
		return &LoginError{Kind: KindExpired}
	case strings.Contains(l, "cancel"):
		return &LoginError{Kind: KindCancelled}
	case strings.Contains(l, "error sending request") || strings.Contains(l, "dns error") || strings.Contains(l, "connection refused") ||
		strings.Contains(l, "connect error") || strings.Contains(l, "tcp connect") || strings.Contains(l, "network"):
		return &LoginError{Kind: KindNetwork, Detail: shorten(scrub(msg))}
	}
	return &LoginError{Kind: KindFailed, Detail: shorten(scrub(msg))}
}

var secretRE = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*|\b(rt|sk|sess)[-_][A-Za-z0-9_\-.]{8,}|[A-Za-z0-9_\-]{40,}`)

// scrub removes anything that looks like a token from a message a server
// or Codex sent, before it is shown.
func scrub(s string) string { return secretRE.ReplaceAllString(s, "[REDACTED]") }

func shorten(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

var _ = fmt.Sprintf
