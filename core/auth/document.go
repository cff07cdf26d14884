package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// maxAuthFileSize is the largest auth.json Codex Tray reads. Real ones are a
// few kilobytes; anything bigger is not a Codex login.
const maxAuthFileSize = 1 << 20

// Document is auth.json (or the keyring secret, which holds the same JSON).
// The known fields are typed; every other field is kept verbatim, in order,
// so that writing the document back loses nothing.
type Document struct {
	AuthMode    string // "" when absent (files older than 2026-01)
	APIKey      Secret // OPENAI_API_KEY; zero when null or absent
	Tokens      *Tokens
	LastRefresh string // as Codex stored it; "" when absent

	fields []field // the top-level fields in file order
}

// Tokens is the "tokens" object.
type Tokens struct {
	IDToken      Secret
	AccessToken  Secret
	RefreshToken Secret
	AccountID    string // "" when null or absent

	fields []field
}

type field struct {
	key   string
	value json.RawMessage
}

// ParseDocument parses an auth.json document. The error never quotes the
// document, which holds tokens.
func ParseDocument(data []byte) (*Document, error) {
	if len(data) > maxAuthFileSize {
		return nil, fmt.Errorf("auth.json is %d bytes, more than the %d-byte limit; it is not a Codex login", len(data), maxAuthFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("auth.json is empty")
	}
	fields, err := objectFields(data)
	if err != nil {
		return nil, fmt.Errorf("auth.json is not valid JSON: %w", err)
	}
	d := &Document{fields: fields}
	for _, f := range fields {
		switch f.key {
		case "auth_mode":
			if d.AuthMode, err = optString(f.value); err != nil {
				return nil, fmt.Errorf("auth.json: auth_mode: %w", err)
			}
		case "OPENAI_API_KEY":
			k, err := optString(f.value)
			if err != nil {
				return nil, fmt.Errorf("auth.json: OPENAI_API_KEY: %w", err)
			}
			d.APIKey = NewSecret(k)
		case "last_refresh":
			if d.LastRefresh, err = optString(f.value); err != nil {
				return nil, fmt.Errorf("auth.json: last_refresh: %w", err)
			}
		case "tokens":
			if isNull(f.value) {
				continue
			}
			if d.Tokens, err = parseTokens(f.value); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

func parseTokens(raw json.RawMessage) (*Tokens, error) {
	fields, err := objectFields(raw)
	if err != nil {
		return nil, fmt.Errorf("auth.json: tokens: %w", err)
	}
	t := &Tokens{fields: fields}
	for _, f := range fields {
		var dst *Secret
		switch f.key {
		case "id_token":
			dst = &t.IDToken
		case "access_token":
			dst = &t.AccessToken
		case "refresh_token":
			dst = &t.RefreshToken
		case "account_id":
			if t.AccountID, err = optString(f.value); err != nil {
				return nil, fmt.Errorf("auth.json: tokens.account_id: %w", err)
			}
			continue
		default:
			continue
		}
		s, err := optString(f.value)
		if err != nil {
			return nil, fmt.Errorf("auth.json: tokens.%s: %w", f.key, err)
		}
		*dst = NewSecret(s)
	}
	return t, nil
}

// objectFields splits a JSON object into its fields, in order.
func objectFields(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, cleanJSONError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("expected a JSON object")
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, cleanJSONError(err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, cleanJSONError(err)
		}
		fields = append(fields, field{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, cleanJSONError(err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return fields, nil
}

// cleanJSONError keeps the position of a syntax error but never the
// offending text, which may be part of a token.
func cleanJSONError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	}
	if errors.Is(err, io.EOF) || err.Error() == "unexpected EOF" {
		return errors.New("the document ends early (truncated or half-written)")
	}
	return errors.New("malformed JSON")
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func optString(v json.RawMessage) (string, error) {
	if isNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errors.New("expected a string")
	}
	return s, nil
}

// Marshal writes the document the way Codex does: two-space indent, no
// trailing newline, no HTML escaping, fields in their original order.
func (d *Document) Marshal() ([]byte, error) {
	top := d.fields
	if d.Tokens != nil {
		tok, err := marshalFields(d.Tokens.fields)
		if err != nil {
			return nil, err
		}
		top = setField(top, "tokens", tok)
	}
	raw, err := marshalFields(top)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func setField(fs []field, key string, v json.RawMessage) []field {
	out := append([]field(nil), fs...)
	for i := range out {
		if out[i].key == key {
			out[i].value = v
			return out
		}
	}
	return append(out, field{key: key, value: v})
}

func marshalFields(fs []field) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalNoEscape(f.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		var c bytes.Buffer
		if err := json.Compact(&c, f.value); err != nil {
			return nil, err
		}
		b.Write(c.Bytes())
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// lastRefreshLayout is how Codex writes last_refresh: UTC, nanoseconds, Z.
const lastRefreshLayout = "2006-01-02T15:04:05.000000000Z"

// WithRefreshedTokens returns a copy of d with the tokens that came back from
// a refresh (empty ones are left alone) and last_refresh set to at. Every
// other field is kept as it was, in place.
func (d *Document) WithRefreshedTokens(id, access, refresh Secret, at time.Time) (*Document, error) {
	if d.Tokens == nil {
		return nil, errors.New("the login has no ChatGPT tokens to refresh")
	}
	n := *d
	t := *d.Tokens
	n.Tokens = &t
	set := func(fs []field, key string, v any) []field {
		raw, _ := marshalNoEscape(v)
		return setField(fs, key, raw)
	}
	for _, u := range []struct {
		key string
		dst *Secret
		v   Secret
	}{{"id_token", &t.IDToken, id}, {"access_token", &t.AccessToken, access}, {"refresh_token", &t.RefreshToken, refresh}} {
		if !u.v.IsZero() {
			*u.dst = u.v
			t.fields = set(t.fields, u.key, u.v.Reveal())
		}
	}
	n.LastRefresh = at.UTC().Format(lastRefreshLayout)
	n.fields = set(d.fields, "last_refresh", n.LastRefresh)
	return &n, nil
}

// sameTokens reports whether two documents hold the same login tokens.
func sameTokens(a, b *Document) bool {
	if a == nil || b == nil {
		return a == b
	}
	if (a.Tokens == nil) != (b.Tokens == nil) || !a.APIKey.Equal(b.APIKey) {
		return false
	}
	if a.Tokens == nil {
		return true
	}
	return a.Tokens.IDToken.Equal(b.Tokens.IDToken) && a.Tokens.AccessToken.Equal(b.Tokens.AccessToken) &&
		a.Tokens.RefreshToken.Equal(b.Tokens.RefreshToken)
}
