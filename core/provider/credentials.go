package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/codextray/codextray/core/auth"
)

// Credential modes.
const (
	ModeChatGPT = "chatgpt"
	ModeAPIKey  = "apikey"
)

// Credentials are what one request is signed with.
type Credentials struct {
	Mode      string      // ModeChatGPT or ModeAPIKey
	Token     auth.Secret // the access token (chatgpt) or the API key
	AccountID string      // ChatGPT-Account-ID; chatgpt mode only
	Fedramp   bool        // the id_token's chatgpt_account_is_fedramp
	Plan      string      // the id_token's chatgpt_plan_type (chatgpt mode)
}

// CredentialSource hands out credentials. The token refresh plugs in here.
type CredentialSource interface {
	// Current returns the credentials to use for the next request.
	Current(ctx context.Context) (Credentials, error)
	// AfterUnauthorized is called after the backend answered 401 to a
	// request signed with rejected. It returns other credentials to retry
	// with, or an error wrapping auth.ErrLoginNeeded when there are none.
	AfterUnauthorized(ctx context.Context, rejected Credentials) (Credentials, error)
}

// LoginSource reads the credentials from the Codex login through Loader,
// every time, so that a login another program refreshed is used at once.
type LoginSource struct{ Loader *auth.Loader }

var _ CredentialSource = LoginSource{}

// Current reads the login.
func (s LoginSource) Current(ctx context.Context) (Credentials, error) {
	snap := s.Loader.Load(ctx)
	return CredentialsFrom(snap)
}

// AfterUnauthorized re-reads the login; if it still holds the rejected
// token, only signing in again (or, later, a refresh) can help.
func (s LoginSource) AfterUnauthorized(ctx context.Context, rejected Credentials) (Credentials, error) {
	cur, err := s.Current(ctx)
	if err != nil {
		return Credentials{}, err
	}
	if cur.Mode == rejected.Mode && cur.Token.Equal(rejected.Token) {
		return Credentials{}, fmt.Errorf("the backend rejected the Codex login: %w", auth.ErrLoginNeeded)
	}
	return cur, nil
}

// CredentialsFrom turns a snapshot of the login into credentials.
func CredentialsFrom(snap auth.Snapshot) (Credentials, error) {
	if snap.Err != nil {
		return Credentials{}, fmt.Errorf("cannot read the Codex login: %w", snap.Err)
	}
	d := snap.Doc
	if d == nil {
		return Credentials{}, fmt.Errorf("not signed in to Codex: %w", auth.ErrLoginNeeded)
	}
	switch mode := d.Mode(); mode {
	case ModeAPIKey:
		if d.APIKey.IsZero() {
			return Credentials{}, fmt.Errorf("the Codex login has no API key: %w", auth.ErrLoginNeeded)
		}
		return Credentials{Mode: ModeAPIKey, Token: d.APIKey}, nil
	case ModeChatGPT:
		if d.Tokens == nil || d.Tokens.AccessToken.IsZero() {
			return Credentials{}, fmt.Errorf("the Codex login holds no ChatGPT tokens: %w", auth.ErrLoginNeeded)
		}
		cr := Credentials{Mode: ModeChatGPT, Token: d.Tokens.AccessToken, AccountID: d.Tokens.AccountID}
		if c, err := auth.DecodeClaims(d.Tokens.IDToken); err == nil {
			if cr.AccountID == "" {
				cr.AccountID = c.AccountID
			}
			cr.Plan = c.Plan
		}
		cr.Fedramp = fedramp(d.Tokens.IDToken)
		return cr, nil
	default:
		return Credentials{}, fmt.Errorf("the Codex login is of kind %q, which Codex Tray cannot use: %w", mode, auth.ErrLoginNeeded)
	}
}

// fedramp reads chatgpt_account_is_fedramp from an id_token; false when
// anything is off.
func fedramp(idToken auth.Secret) bool {
	parts := strings.Split(idToken.Reveal(), ".")
	if len(parts) != 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return false
	}
	var claims struct {
		Auth struct {
			Fedramp bool `json:"chatgpt_account_is_fedramp"`
		} `json:"https://api.openai.com/auth"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return false
	}
	return claims.Auth.Fedramp
}

// StaticSource always returns the same credentials; a 401 ends in
// auth.ErrLoginNeeded. For tests and for keys given on the command line.
type StaticSource struct{ Credentials Credentials }

func (s StaticSource) Current(context.Context) (Credentials, error) { return s.Credentials, nil }

func (s StaticSource) AfterUnauthorized(context.Context, Credentials) (Credentials, error) {
	return Credentials{}, fmt.Errorf("the backend rejected the credentials: %w", auth.ErrLoginNeeded)
}

var errNoCredentials = errors.New("no credential source configured")

// RefreshingSource reads the Codex login through a Refresher: a ChatGPT
// token about to expire is refreshed before the request, and a 401 is
// answered by re-reading the login and, if it did not change, refreshing it,
// all under Codex's own lock protocol.
type RefreshingSource struct{ Refresher *auth.Refresher }

var _ CredentialSource = RefreshingSource{}

// Current returns fresh credentials.
func (s RefreshingSource) Current(ctx context.Context) (Credentials, error) {
	doc, err := s.Refresher.Fresh(ctx)
	if err != nil {
		return Credentials{}, err
	}
	return CredentialsFrom(auth.Snapshot{Doc: doc})
}

// AfterUnauthorized re-reads, then refreshes, the rejected login.
func (s RefreshingSource) AfterUnauthorized(ctx context.Context, rejected Credentials) (Credentials, error) {
	if rejected.Mode != ModeChatGPT {
		return LoginSource{Loader: s.Refresher.Loader}.AfterUnauthorized(ctx, rejected)
	}
	doc, err := s.Refresher.AfterUnauthorized(ctx, rejected.Token)
	if err != nil {
		return Credentials{}, err
	}
	return CredentialsFrom(auth.Snapshot{Doc: doc})
}
