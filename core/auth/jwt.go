package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Claims are the JWT claims Codex Tray reads. Signatures are not verified:
// the tokens come from the user's own login and are only read for display.
type Claims struct {
	Expires   time.Time // exp; zero when absent
	IssuedAt  time.Time // iat; zero when absent
	Email     string    // email, else https://api.openai.com/profile email
	Plan      string    // chatgpt_plan_type
	AccountID string    // chatgpt_account_id
	UserID    string    // chatgpt_user_id, else user_id
}

// DecodeClaims decodes the payload of a JWT. It accepts base64url with or
// without padding and never quotes the token in its errors.
func DecodeClaims(token Secret) (Claims, error) {
	var c Claims
	t := token.Reveal()
	if t == "" {
		return c, errors.New("the token is empty")
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("not a JWT: %d dot-separated parts, want 3", len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return c, fmt.Errorf("not a JWT: part %d of 3 is empty", i+1)
		}
	}
	payload, err := decodeSegment(parts[1])
	if err != nil {
		return c, fmt.Errorf("not a JWT: the payload is not base64url: %w", err)
	}
	var raw struct {
		Exp     json.Number `json:"exp"`
		Iat     json.Number `json:"iat"`
		Email   string      `json:"email"`
		Profile struct {
			Email string `json:"email"`
		} `json:"https://api.openai.com/profile"`
		Auth struct {
			Plan      string `json:"chatgpt_plan_type"`
			AccountID string `json:"chatgpt_account_id"`
			UserID    string `json:"chatgpt_user_id"`
			LegacyID  string `json:"user_id"`
		} `json:"https://api.openai.com/auth"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return c, errors.New("not a JWT: the payload is not a JSON object of claims")
	}
	if c.Expires, err = numericDate(raw.Exp); err != nil {
		return c, fmt.Errorf("bad exp claim: %w", err)
	}
	if c.IssuedAt, err = numericDate(raw.Iat); err != nil {
		return c, fmt.Errorf("bad iat claim: %w", err)
	}
	c.Email = raw.Email
	if c.Email == "" {
		c.Email = raw.Profile.Email
	}
	c.Plan = raw.Auth.Plan
	c.AccountID = raw.Auth.AccountID
	c.UserID = raw.Auth.UserID
	if c.UserID == "" {
		c.UserID = raw.Auth.LegacyID
	}
	return c, nil
}

func decodeSegment(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("invalid base64url data")
	}
	return b, nil
}

// numericDate converts a JWT NumericDate (seconds, possibly fractional).
func numericDate(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, errors.New("not a NumericDate")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
