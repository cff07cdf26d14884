package auth

import (
	"fmt"
	"log/slog"

	"github.com/codextray/codextray/core/scrub"
)

const redacted = "[REDACTED]"

// Secret carries a token or key. Every way of printing, logging or encoding it
// shows a placeholder; only Reveal gives the value, for the one place that
// must send it (an Authorization header, auth.json, the keychain).
type Secret struct{ v string }

// NewSecret wraps s, and remembers it so that text a server sends back
// is scrubbed of it (see package scrub).
func NewSecret(s string) Secret {
	scrub.Remember(s)
	return Secret{v: s}
}

// Reveal returns the secret value. Callers must not log or display it.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Equal compares two secrets without revealing them.
func (s Secret) Equal(o Secret) bool { return s.v == o.v }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return "auth.Secret{" + redacted + "}" }

// Format covers every fmt verb, including %x and %q, which would otherwise
// bypass String for a struct.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }

// maskAPIKey masks an API key the way `codex login status` does: the first 8
// characters, "***", the last 5; keys of 13 characters or fewer become "***".
func maskAPIKey(key Secret) string {
	k := key.v
	if len(k) <= 13 {
		return "***"
	}
	return k[:8] + "***" + k[len(k)-5:]
}
