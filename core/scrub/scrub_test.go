package scrub

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	Remember("opaque-access-token-1234")
	cases := []struct{ in, gone string }{
		{`{"error":{"message":"token opaque-access-token-1234 rejected"}}`, "opaque-access-token-1234"},
		{`Authorization: Bearer abcdefghijklmnopqrst was invalid`, "abcdefghijklmnopqrst"},
		{`bad jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig-nature_x here`, "eyJzdWIiOiIxMjM0NTY3ODkwIn0"},
		{`key sk-proj-abcdefghijklmnopqrstuv is wrong`, "sk-proj-abcdefghijklmnopqrstuv"},
		{`refresh rt_abcdefghijklmnopqrstuvwxyz.0123 reused`, "rt_abcdefghijklmnopqrstuvwxyz"},
	}
	for _, c := range cases {
		got := String(c.in)
		if strings.Contains(got, c.gone) || !strings.Contains(got, Placeholder) {
			t.Errorf("String(%q) = %q", c.in, got)
		}
	}
	if got := String("the model gpt-5.5 is not available"); got != "the model gpt-5.5 is not available" {
		t.Errorf("ordinary text changed: %q", got)
	}
	// Known leaves credential-shaped examples in answers alone.
	if got := Known("a JWT looks like eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"); strings.Contains(got, Placeholder) {
		t.Errorf("Known changed an example: %q", got)
	}
}

func TestRememberIsBounded(t *testing.T) {
	for i := 0; i < 3*maxKnown; i++ {
		Remember(strings.Repeat("x", minSecret) + string(rune('A'+i%26)) + strings.Repeat("y", i))
	}
	known.RLock()
	n := len(known.list)
	known.RUnlock()
	if n > maxKnown {
		t.Errorf("%d secrets remembered, more than %d", n, maxKnown)
	}
}

func TestOrdinaryBearerSentenceIsKept(t *testing.T) {
	const s = "Bearer authentication is required"
	if got := String(s); got != s {
		t.Errorf("String(%q) = %q", s, got)
	}
}
