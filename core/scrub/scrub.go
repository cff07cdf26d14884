// Package scrub removes secrets from text a server sent back before Codex
// Tray prints, shows or stores it. A server may echo what it was sent: an
// error body quoting the Authorization header, a response.failed message
// with the prompt's API key, a token server error naming the refresh token.
//
// Every secret Codex Tray holds passes through auth.NewSecret, which
// remembers it here; String then replaces each remembered secret, and
// anything shaped like a bearer credential (a JWT, "Bearer …", an API key,
// a refresh token), with "[redacted]". Known removes only the remembered
// secrets, for answer text, where a JWT-shaped example is legitimate.
//
// Text enters through the provider's and the token client's decoders,
// which call String or Known once; nothing downstream scrubs again.
package scrub

import (
	"regexp"
	"strings"
	"sync"
)

// Placeholder replaces what is scrubbed.
const Placeholder = "[redacted]"

// minSecret: shorter values are not secrets worth matching (and would
// match ordinary words).
const minSecret = 12

// maxKnown bounds the remembered secrets: a process holds a few logins'
// tokens at a time, and the oldest are dropped first.
const maxKnown = 64

var known struct {
	sync.RWMutex
	list []string // oldest first
}

// Remember adds secret to the secrets String and Known remove.
func Remember(secret string) {
	if len(secret) < minSecret {
		return
	}
	known.Lock()
	defer known.Unlock()
	for i, s := range known.list {
		if s == secret {
			known.list = append(append(known.list[:i:i], known.list[i+1:]...), secret)
			return
		}
	}
	if len(known.list) >= maxKnown {
		known.list = known.list[1:]
	}
	known.list = append(known.list, secret)
}

// credentialShapes are strings that look like credentials whatever their
// value: JWTs (access and id tokens), bearer values, OpenAI API keys and
// refresh tokens.
var credentialShapes = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*` +
	`|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{16,}` +
	`|\bsk-[A-Za-z0-9_-]{16,}` +
	`|\brt_[A-Za-z0-9._-]{16,}`)

// String returns s without any remembered secret or credential-shaped
// string.
func String(s string) string {
	s = Known(s)
	if !credentialShapes.MatchString(s) {
		return s
	}
	return credentialShapes.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) > 6 && strings.EqualFold(m[:6], "bearer") {
			return m[:6] + " " + Placeholder
		}
		return Placeholder
	})
}

// Known returns s without any remembered secret.
func Known(s string) string {
	if len(s) < minSecret {
		return s
	}
	known.RLock()
	defer known.RUnlock()
	for _, secret := range known.list {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Placeholder)
		}
	}
	return s
}
