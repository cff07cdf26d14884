// Package authtest builds fake Codex logins for tests: JWTs shaped like
// OpenAI's (unsigned, with a dummy signature, as Codex accepts them) and
// auth.json documents written the ways real programs write them.
package authtest

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"time"

	"github.com/codextray/codextray/core/userfile"
)

// Fake identity values used by Login.
const (
	Email     = "probe@example.com"
	AccountID = "acct-fake-0001"
	UserID    = "user-fake-0001"
	Plan      = "plus"
)

// JWT returns header.payload.signature with base64url (no padding) parts and
// the non-empty dummy signature Codex requires.
func JWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims) + "." +
		base64.RawURLEncoding.EncodeToString([]byte("dummy-signature"))
}

// Login describes a fake ChatGPT login.
type Login struct {
	Expires      time.Time // access and id token exp
	Email        string    // default Email
	Plan         string    // default Plan
	RefreshToken string    // default "rt_fake_refresh_token_0001"
	AuthMode     string    // "" omits auth_mode, as files older than 2026-01
	LastRefresh  time.Time // default now
}

// Claims returns the id_token claims of l.
func (l Login) Claims() map[string]any {
	email, plan := l.Email, l.Plan
	if email == "" {
		email = Email
	}
	if plan == "" {
		plan = Plan
	}
	return map[string]any{
		"iss": "https://auth.openai.com", "aud": []string{"app_EMoamEEZ73f0CkXaXp7hrann"}, "sub": "auth0|fake",
		"iat": l.Expires.Add(-time.Hour).Unix(), "exp": l.Expires.Unix(), "email": email, "email_verified": true,
		"https://api.openai.com/auth": map[string]any{
			"chatgpt_plan_type": plan, "chatgpt_account_id": AccountID,
			"chatgpt_user_id": UserID, "user_id": UserID,
		},
	}
}

// Document returns l as auth.json bytes, formatted as Codex writes them.
func (l Login) Document() []byte {
	rt := l.RefreshToken
	if rt == "" {
		rt = "rt_fake_refresh_token_0001"
	}
	lr := l.LastRefresh
	if lr.IsZero() {
		lr = time.Now()
	}
	access := l.Claims()
	access["aud"] = []string{"https://api.openai.com/v1"}
	access["client_id"] = "app_EMoamEEZ73f0CkXaXp7hrann"
	type tokens struct {
		IDToken      string `json:"id_token"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		AccountID    string `json:"account_id"`
	}
	doc := struct {
		AuthMode    string  `json:"auth_mode,omitempty"`
		APIKey      *string `json:"OPENAI_API_KEY"`
		Tokens      tokens  `json:"tokens"`
		LastRefresh string  `json:"last_refresh"`
	}{l.AuthMode, nil, tokens{JWT(l.Claims()), JWT(access), rt, AccountID}, lr.UTC().Format(time.RFC3339Nano)}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

// APIKeyDocument is auth.json after `codex login --with-api-key`.
func APIKeyDocument(key string) []byte {
	b, _ := json.MarshalIndent(map[string]any{"auth_mode": "apikey", "OPENAI_API_KEY": key}, "", "  ")
	return b
}

// WriteAtomic replaces path the way Codex does: a .auth-XXXXXX temp file
// (0600) in the same directory, fsync, rename.
func WriteAtomic(path string, data []byte) error {
	return userfile.WriteAtomic(path, data, userfile.Atomic{Temp: ".auth-", Durable: true})
}

// WriteInPlace truncates and rewrites path, as editors and older Codex do.
func WriteInPlace(path string, data []byte) error {
	return os.WriteFile(path, data, 0o600)
}
