package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/codextray/codextray/core/scrub"
)

// ResetCredit is one rate-limit reset credit OpenAI granted the account
// (GET {base}/wham/rate-limit-reset-credits).
type ResetCredit struct {
	ID          string    `json:"id"`
	ResetType   string    `json:"reset_type,omitempty"`
	Status      string    `json:"status"` // available, redeeming or redeemed
	GrantedAt   time.Time `json:"granted_at,omitzero"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"` // zero: does not expire
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
}

// Reset-credit statuses.
const (
	CreditAvailable = "available"
	CreditRedeeming = "redeeming"
	CreditRedeemed  = "redeemed"
)

// ResetCredits is the account's reset credits.
type ResetCredits struct {
	Credits        []ResetCredit `json:"credits"`
	AvailableCount int           `json:"available_count"`
}

// Available lists the credits that can be redeemed now, the one expiring
// first first (credits without an expiry last).
func (r ResetCredits) Available(now time.Time) []ResetCredit {
	var out []ResetCredit
	for _, c := range r.Credits {
		if c.Status == CreditAvailable && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(now)) {
			out = append(out, c)
		}
	}
	for i := 1; i < len(out); i++ { // insertion sort: the list is short
		for j := i; j > 0 && expiresBefore(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func expiresBefore(a, b ResetCredit) bool {
	switch {
	case a.ExpiresAt.IsZero():
		return false
	case b.ExpiresAt.IsZero():
		return true
	}
	return a.ExpiresAt.Before(b.ExpiresAt)
}

// wire shape: times arrive as RFC 3339 strings or unix seconds, expires_at
// may be null.
type wireResetCredit struct {
	ID          flexString `json:"id"`
	ResetType   flexString `json:"reset_type"`
	Status      flexString `json:"status"`
	GrantedAt   flexTime   `json:"granted_at"`
	ExpiresAt   flexTime   `json:"expires_at"`
	Title       flexString `json:"title"`
	Description flexString `json:"description"`
}

// flexTime reads an RFC 3339 string, unix seconds, or null (zero).
type flexTime struct{ time.Time }

func (f *flexTime) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			f.Time = t
		}
	case float64:
		if x > 0 {
			f.Time = time.Unix(int64(x), 0)
		}
	}
	return nil
}

// ResetCredits fetches the account's reset credits (ChatGPT logins only).
func (c *Client) ResetCredits(ctx context.Context) (ResetCredits, error) {
	if err := c.needChatGPT(ctx, "Reset credits"); err != nil {
		return ResetCredits{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, ModelsTimeout)
	defer cancel()
	res, err := c.get(ctx, c.opts.ChatGPTBaseURL+"/wham/rate-limit-reset-credits", nil)
	if err != nil {
		return ResetCredits{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return ResetCredits{}, networkError(err)
	}
	var b struct {
		Credits        []wireResetCredit `json:"credits"`
		AvailableCount *int              `json:"available_count"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return ResetCredits{}, &Error{Kind: KindProtocol, Message: "The reset-credit answer from the backend is not readable.",
			Cause: fmt.Errorf("wham/rate-limit-reset-credits: %w", err)}
	}
	var out ResetCredits
	for _, w := range b.Credits {
		if w.ID == "" {
			continue // nothing could redeem it
		}
		// Titles and descriptions are shown and printed: scrubbed like any
		// text the server sends.
		out.Credits = append(out.Credits, ResetCredit{ID: string(w.ID), ResetType: string(w.ResetType), Status: string(w.Status),
			GrantedAt: w.GrantedAt.Time, ExpiresAt: w.ExpiresAt.Time, Title: scrub.String(string(w.Title)),
			Description: scrub.String(string(w.Description))})
	}
	if b.AvailableCount != nil {
		out.AvailableCount = max(*b.AvailableCount, 0)
	} else {
		out.AvailableCount = len(out.Available(c.opts.Now()))
	}
	return out, nil
}

// Answer codes of a consume request.
const (
	ConsumeReset           = "reset"
	ConsumeAlreadyRedeemed = "already_redeemed"
	ConsumeNothingToReset  = "nothing_to_reset"
	ConsumeNoCredit        = "no_credit"
)

// ConsumeResult is the backend's answer to a consume request.
type ConsumeResult struct {
	Code         string   `json:"code"`
	WindowsReset []string `json:"windows_reset,omitempty"`
	CreditID     string   `json:"credit_id,omitempty"`
}

// ConsumeResetCredit asks the backend to redeem a reset credit (the one
// given, or one it picks). redeemRequestID is the idempotency key: the
// caller must send the same one on every attempt until an answer arrives,
// so that a request whose answer was lost is not counted twice. The client
// itself retries 5xx answers and network errors with that same key.
func (c *Client) ConsumeResetCredit(ctx context.Context, redeemRequestID, creditID string) (ConsumeResult, error) {
	if redeemRequestID == "" {
		return ConsumeResult{}, fmt.Errorf("a reset-credit redeem needs an idempotency key")
	}
	if err := c.needChatGPT(ctx, "Reset credits"); err != nil {
		return ConsumeResult{}, err
	}
	body := map[string]string{"redeem_request_id": redeemRequestID}
	if creditID != "" {
		body["credit_id"] = creditID
	}
	payload, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := c.do(ctx, func(ctx context.Context, cr Credentials) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.ChatGPTBaseURL+"/wham/rate-limit-reset-credits/consume", bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		c.setCommonHeaders(req.Header, cr)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	}, "")
	if err != nil {
		return ConsumeResult{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		// The backend may have redeemed the credit: the caller retries
		// with the same key.
		return ConsumeResult{}, networkError(err)
	}
	var b struct {
		Code         flexString   `json:"code"`
		WindowsReset []flexString `json:"windows_reset"`
		CreditID     flexString   `json:"credit_id"`
	}
	if err := json.Unmarshal(data, &b); err != nil || b.Code == "" {
		if err == nil {
			err = fmt.Errorf("no code in %d bytes", len(data))
		}
		return ConsumeResult{}, &Error{Kind: KindProtocol, Retryable: true,
			Message: "The answer to the reset-credit redeem is not readable; it is asked again with the same request id, so no second credit is spent.",
			Cause:   fmt.Errorf("wham/rate-limit-reset-credits/consume: %w", err)}
	}
	out := ConsumeResult{Code: scrub.String(string(b.Code)), CreditID: string(b.CreditID)}
	for _, w := range b.WindowsReset {
		out.WindowsReset = append(out.WindowsReset, scrub.String(string(w)))
	}
	return out, nil
}

// needChatGPT refuses API-key logins, which have no usage windows.
func (c *Client) needChatGPT(ctx context.Context, what string) error {
	cr, err := c.credentials(ctx)
	if err != nil {
		return err
	}
	if cr.Mode != ModeChatGPT {
		return &Error{Kind: KindBadRequest, Message: what + " exist only for a ChatGPT login; Codex is signed in with an API key."}
	}
	return nil
}
