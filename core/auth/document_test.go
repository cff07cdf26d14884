package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth/authtest"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func chatgpt(exp time.Time) []byte { return authtest.Login{Expires: exp, LastRefresh: now}.Document() }

// authCases are the auth.json documents every parsing test runs over; the
// fuzz tests start from them too.
var authCases = []struct {
	name    string
	data    []byte
	state   State
	mode    Mode
	errPart string // in Status.Error
}{
	{"chatgpt valid", chatgpt(now.Add(72 * time.Hour)), StateValid, "chatgpt", ""},
	{"chatgpt expiring", chatgpt(now.Add(3 * time.Hour)), StateExpiring, "chatgpt", ""},
	{"chatgpt expired", chatgpt(now.Add(-time.Hour)), StateExpired, "chatgpt", ""},
	{"chatgpt with auth_mode", authtest.Login{Expires: now.Add(72 * time.Hour), AuthMode: "chatgpt"}.Document(), StateValid, "chatgpt", ""},
	{"apikey", authtest.APIKeyDocument("sk-test-nontmp-12345"), StateAPIKey, "apikey", ""},
	{"legacy apikey without auth_mode", []byte(`{"OPENAI_API_KEY":"sk-legacy-000000000000"}`), StateAPIKey, "apikey", ""},
	{"unknown shape", []byte(`{"foo":1}`), StateError, "chatgpt", "no ChatGPT tokens"},
	{"null tokens", []byte(`{"OPENAI_API_KEY":null,"tokens":null,"last_refresh":null}`), StateError, "chatgpt", "no ChatGPT tokens"},
	{"missing id_token", []byte(`{"tokens":{"access_token":"a.b.c","refresh_token":"r"}}`), StateError, "chatgpt", "no ChatGPT tokens"},
	{"corrupt id_token", []byte(`{"tokens":{"id_token":"not-a-jwt","access_token":"x","refresh_token":"r"}}`), StateError, "chatgpt", "id_token"},
	{"id_token with empty signature", []byte(`{"tokens":{"id_token":"eyJhbGciOiJub25lIn0.eyJleHAiOjF9.","access_token":"x"}}`), StateError, "chatgpt", "part 3 of 3 is empty"},
	{"opaque access token", []byte(`{"tokens":{"id_token":"` + authtest.JWT(map[string]any{"email": "a@b.c"}) + `","access_token":"opaque-access-token","refresh_token":"r"}}`), StateValid, "chatgpt", ""},
	{"truncated", chatgpt(now.Add(time.Hour))[:120], StateError, "none", "ends early"},
	{"empty", []byte{}, StateError, "none", "empty"},
	{"whitespace", []byte(" \n\t"), StateError, "none", "empty"},
	{"garbage", []byte("\x00\x01garbage\xff"), StateError, "none", "not valid JSON"},
	{"array", []byte(`[1,2]`), StateError, "none", "expected a JSON object"},
	{"trailing data", []byte(`{"auth_mode":"apikey","OPENAI_API_KEY":"sk-aaaaaaaaaaaaaaaa"} {}`), StateError, "none", "after the JSON object"},
	{"wrong type", []byte(`{"OPENAI_API_KEY":42}`), StateError, "none", "OPENAI_API_KEY"},
	{"unsupported mode", []byte(`{"auth_mode":"personalAccessToken","personal_access_token":"pat"}`), StateError, "none", "does not support"},
	{"too big", append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}`...), StateError, "none", "limit"},
}

func TestParseAndStatus(t *testing.T) {
	for _, tc := range authCases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := ParseDocument(tc.data)
			s := Snapshot{Home: "/h", Config: Config{Store: StoreFile}, Source: SourceFile, Doc: doc, Err: err}
			st := NewStatus(s, StatusOptions{Now: now})
			if st.State != tc.state {
				t.Fatalf("state = %s (%s), want %s", st.State, st.Error, tc.state)
			}
			if st.Mode != tc.mode {
				t.Errorf("mode = %s, want %s", st.Mode, tc.mode)
			}
			if tc.errPart != "" && !strings.Contains(st.Error, tc.errPart) {
				t.Errorf("error = %q, want it to mention %q", st.Error, tc.errPart)
			}
			if tc.errPart == "" && st.Error != "" {
				t.Errorf("unexpected error %q", st.Error)
			}
			if st.Message == "" {
				t.Error("empty message")
			}
			assertNoSecrets(t, tc.data, st)
		})
	}
}

func TestStatusFieldsChatGPT(t *testing.T) {
	exp := now.Add(3*time.Hour + 12*time.Minute)
	doc, err := ParseDocument(chatgpt(exp))
	if err != nil {
		t.Fatal(err)
	}
	st := NewStatus(Snapshot{Home: "/h", Config: Config{Store: StoreFile}, Source: SourceFile, Doc: doc}, StatusOptions{Now: now, Reminder: time.Hour})
	if st.State != StateValid || st.Email != authtest.Email || st.Plan != "plus" || st.AccountID != authtest.AccountID {
		t.Fatalf("status = %+v", st)
	}
	if st.ExpiresAt != exp.Format(time.RFC3339) || st.ExpiresInSeconds == nil || *st.ExpiresInSeconds != int64(exp.Sub(now).Seconds()) {
		t.Fatalf("expiry = %s / %v", st.ExpiresAt, st.ExpiresInSeconds)
	}
	if st.LastRefresh != now.Format(time.RFC3339Nano) {
		t.Errorf("last_refresh = %q", st.LastRefresh)
	}
	if want := "Signed in as probe@example.com (Plus) · token valid, expires in 3 h 12 min"; st.Message != want {
		t.Errorf("message = %q, want %q", st.Message, want)
	}
	if got := st.NextChange(time.Hour); !got.Equal(exp.Add(-time.Hour)) {
		t.Errorf("next change = %v", got)
	}
	// The JSON object has exactly docs/DESIGN.md's fields.
	var m map[string]any
	b, _ := json.Marshal(st)
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"codex_home", "store", "source", "mode", "state", "email", "plan", "account_id", "expires_at", "expires_in_seconds", "last_refresh", "mirror", "message", "codex_cli"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status JSON lacks %q: %s", k, b)
		}
	}
	if len(m) != 14 {
		t.Errorf("status JSON has %d fields, want 14: %s", len(m), b)
	}
}

func TestMaskAPIKey(t *testing.T) {
	// The pairs docs/real-codex.md saw `codex login status` print.
	for key, want := range map[string]string{
		"sk-test-123":          "***",
		"sk-test-nontmp-12345": "sk-test-***12345",
		"sk-test-keyring-auto": "sk-test-***-auto",
		"":                     "***",
	} {
		if got := maskAPIKey(NewSecret(key)); got != want {
			t.Errorf("maskAPIKey(%d chars) = %q, want %q", len(key), got, want)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("rt_supersecret")
	type holder struct{ T Secret }
	h := holder{s}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(f, s), fmt.Sprintf(f, h), fmt.Sprintf(f, &h))
	}
	j, _ := json.Marshal(h)
	outs = append(outs, string(j), s.String(), s.GoString(), s.LogValue().String())
	for _, o := range outs {
		if strings.Contains(o, "supersecret") || strings.Contains(o, fmt.Sprintf("%x", "rt_supersecret")) {
			t.Errorf("secret leaked: %q", o)
		}
	}
	if s.Reveal() != "rt_supersecret" {
		t.Error("Reveal lost the value")
	}
}

func TestRoundTripKeepsUnknownFields(t *testing.T) {
	in := []byte(`{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "a.b.c",
    "access_token": "d.e.f",
    "refresh_token": "rt_<&>",
    "account_id": "acct",
    "x_tok_field": {"nested": [1, 2]}
  },
  "last_refresh": "2026-11-28T11:45:54.477739760Z",
  "agent_identity": null,
  "x_future": true
}`)
	doc, err := ParseDocument(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "a.b.c",
    "access_token": "d.e.f",
    "refresh_token": "rt_<&>",
    "account_id": "acct",
    "x_tok_field": {
      "nested": [
        1,
        2
      ]
    }
  },
  "last_refresh": "2026-11-28T11:45:54.477739760Z",
  "agent_identity": null,
  "x_future": true
}`
	if string(out) != want {
		t.Errorf("round trip:\n%s\nwant\n%s", out, want)
	}
}

func TestDecodeClaims(t *testing.T) {
	good := authtest.JWT(map[string]any{"exp": 1795870045, "iat": 1795866385.5, "email": "", "https://api.openai.com/profile": map[string]any{"email": "p@x.y"},
		"https://api.openai.com/auth": map[string]any{"chatgpt_plan_type": "pro", "chatgpt_account_id": "acc", "user_id": "legacy"}})
	parts := strings.Split(good, ".")
	padded := parts[0] + "." + parts[1] + strings.Repeat("=", (4-len(parts[1])%4)%4) + "." + parts[2]
	for _, tok := range []string{good, padded} {
		c, err := DecodeClaims(NewSecret(tok))
		if err != nil {
			t.Fatal(err)
		}
		if c.Expires.Unix() != 1795870045 || c.Email != "p@x.y" || c.Plan != "pro" || c.AccountID != "acc" || c.UserID != "legacy" || c.IssuedAt.IsZero() {
			t.Errorf("claims = %+v", c)
		}
	}
	bad := map[string]string{
		"":                                  "empty",
		"a.b":                               "2 dot-separated parts",
		"a..c":                              "part 2 of 3 is empty",
		"a.!!!.c":                           "not base64url",
		"a." + b64("[1]") + ".c":            "not a JSON object",
		"a." + b64(`{"exp":"soon"}`) + ".c": "not a JSON object",
		"a." + b64(`{"exp":-5}`) + ".c":     "bad exp",
	}
	for tok, want := range bad {
		_, err := DecodeClaims(NewSecret(tok))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeClaims(%q) error = %v, want %q", tok, err, want)
		}
		if err != nil && len(tok) > 3 && strings.Contains(err.Error(), tok) {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}

func b64(s string) string { return rawURL(s) }

func TestReadAuthFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "auth.json")
	if _, err := ReadAuthFile(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(p, bytes.Repeat([]byte(" "), 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAuthFile(p); err == nil || !strings.Contains(err.Error(), "2.0 MiB, more than the 1 MiB limit") {
		t.Fatalf("2 MiB file: %v", err)
	}
	if err := os.WriteFile(p, chatgpt(now), 0o000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o000); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: the unreadable-file case is checked with a directory instead")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadAuthFile(p); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("directory: %v", err)
		}
		return
	}
	if _, err := ReadAuthFile(p); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("unreadable: %v", err)
	}
}

// assertNoSecrets fails if any string value of the document's tokens or key
// appears in the status.
func assertNoSecrets(t *testing.T, doc []byte, st Status) {
	t.Helper()
	out, _ := json.Marshal(st)
	text := string(out) + st.Message + st.Error
	// Values the status shows on purpose; a secret equal to one of them (as a
	// fuzzer may build) is not a leak.
	shown := strings.Join([]string{st.Email, st.Plan, st.AccountID, st.CodexHome, st.LastRefresh}, "\x00")
	for _, s := range secretStrings(doc) {
		if len(s) >= 8 && strings.Contains(text, s) && !strings.Contains(shown, s) {
			t.Errorf("status shows a secret (%d chars)", len(s))
		}
	}
}

func secretStrings(doc []byte) []string {
	var m struct {
		Key    *string        `json:"OPENAI_API_KEY"`
		Tokens map[string]any `json:"tokens"`
	}
	_ = json.Unmarshal(doc, &m)
	var out []string
	if m.Key != nil {
		out = append(out, *m.Key)
	}
	for _, k := range []string{"id_token", "access_token", "refresh_token"} {
		if v, ok := m.Tokens[k].(string); ok {
			out = append(out, v)
		}
	}
	return out
}

func rawURL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
