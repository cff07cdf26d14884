package usage

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/codextray/codextray/core/provider"
	"github.com/codextray/codextray/core/textfmt"
)

// Consumer redeems reset credits (provider.Client).
type Consumer interface {
	ConsumeResetCredit(ctx context.Context, redeemRequestID, creditID string) (provider.ConsumeResult, error)
}

// PendingRedeem is a redeem that was sent and has no answer yet. Its ID is
// sent again on every attempt, by any process, until an answer arrives: the
// backend counts one credit per ID, so a lost answer, a double click or a
// crash between the request and its answer never spends a second credit.
type PendingRedeem struct {
	ID       string    `json:"redeem_request_id"`
	CreditID string    `json:"credit_id,omitempty"`
	Since    time.Time `json:"since"`
}

const pendingKey = "pending_redeem"

// beginRedeem returns the pending redeem, creating one for creditID if
// none is pending. Two callers at once (a double click, the tray and the
// command line) get the same one: the insert is a single statement that
// only the first wins.
func (s *Store) beginRedeem(ctx context.Context, creditID string) (p PendingRedeem, created bool, err error) {
	fresh := PendingRedeem{ID: NewRequestID(), CreditID: creditID, Since: s.now().UTC()}
	raw, _ := json.Marshal(fresh)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, pendingKey, string(raw)); err != nil {
		return p, false, fmt.Errorf("cannot note the redeem before sending it: %w", err)
	}
	ok, err := s.getState(ctx, pendingKey, &p)
	if err != nil || !ok || p.ID == "" {
		return p, false, fmt.Errorf("cannot read back the pending redeem: %v", err)
	}
	return p, p.ID == fresh.ID, nil
}

// Pending returns the redeem waiting for its answer, if any.
func (s *Store) Pending(ctx context.Context) (PendingRedeem, bool, error) {
	var p PendingRedeem
	ok, err := s.getState(ctx, pendingKey, &p)
	return p, ok && p.ID != "", err
}

// endRedeem forgets the pending redeem id once its answer arrived.
func (s *Store) endRedeem(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM state WHERE key = ? AND json_extract(value, '$.redeem_request_id') = ?`, pendingKey, id)
	return err
}

// NewRequestID is a random (version 4) UUID.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// RedeemResult is the end of a redeem.
type RedeemResult struct {
	provider.ConsumeResult
	// Resumed: an earlier redeem had no answer and was finished instead of
	// starting the one asked for (which may be asked again now).
	Resumed  bool
	Sentence string
}

// RedeemOptions tune the retries; the zero value is the tray's.
type RedeemOptions struct {
	// Attempts of the whole consume call (each with the client's own
	// retries); default 4.
	Attempts int
	// Wait is the pause before attempt n (1-based); default 2 s × 2^(n-1).
	// Tests make it immediate.
	Wait func(ctx context.Context, n int) error
}

// ErrRedeemUnconfirmed is wrapped by a redeem whose answer never arrived:
// the credit may or may not have been spent, and the next redeem asks
// again with the same id.
var ErrRedeemUnconfirmed = errors.New("the redeem was sent but no answer arrived")

// Redeem redeems a reset credit (creditID, or one the backend picks when
// ""). The request id is stored before anything is sent and reused on every
// attempt, here and in any later call, until an answer arrives; a pending
// redeem of another credit is finished first, and the result says so.
func Redeem(ctx context.Context, api Consumer, s *Store, creditID string, o RedeemOptions) (RedeemResult, error) {
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Wait == nil {
		o.Wait = func(ctx context.Context, n int) error {
			t := time.NewTimer(2 * time.Second << min(n-1, 5))
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	p, created, err := s.beginRedeem(ctx, creditID)
	if err != nil {
		return RedeemResult{}, err
	}
	resumed := !created && p.CreditID != creditID
	var last error
	for n := 1; n <= o.Attempts; n++ {
		res, err := api.ConsumeResetCredit(ctx, p.ID, p.CreditID)
		if err == nil {
			if err := s.endRedeem(context.WithoutCancel(ctx), p.ID); err != nil {
				// The answer stands; the id is reused once more at worst,
				// and the backend answers it the same way.
				last = err
			}
			out := RedeemResult{ConsumeResult: res, Resumed: resumed, Sentence: ConsumeSentence(res)}
			if resumed {
				out.Sentence = "An earlier redeem had no answer yet; it was finished first: " + out.Sentence +
					" Nothing else was redeemed."
			}
			return out, nil
		}
		last = err
		var pe *provider.Error
		if errors.As(err, &pe) && pe.Kind == provider.KindBadRequest && pe.Status >= 400 && pe.Status < 500 {
			// Refused before anything was redeemed: a new redeem may take a
			// new id.
			_ = s.endRedeem(context.WithoutCancel(ctx), p.ID)
			return RedeemResult{}, fmt.Errorf("the backend refused the redeem: %s", provider.ErrorMessage(err))
		}
		if errors.As(err, &pe) && !pe.Retryable || ctx.Err() != nil {
			break
		}
		if n < o.Attempts {
			if werr := o.Wait(ctx, n); werr != nil {
				break
			}
		}
	}
	return RedeemResult{}, fmt.Errorf("%w (%s). Redeem again to ask once more: the same request id is sent, so no second credit can be spent: %w",
		ErrRedeemUnconfirmed, provider.ErrorMessage(last), last)
}

// ConsumeSentence says what a consume answer means, one sentence per code.
func ConsumeSentence(r provider.ConsumeResult) string {
	switch r.Code {
	case provider.ConsumeReset:
		if len(r.WindowsReset) > 0 {
			return "Reset credit redeemed: " + strings.Join(r.WindowsReset, ", ") + " start again from 0 %."
		}
		return "Reset credit redeemed: your usage windows start again from 0 %."
	case provider.ConsumeAlreadyRedeemed:
		return "That reset credit was already redeemed (on another device, or by an earlier attempt whose answer was lost); no other credit was spent."
	case provider.ConsumeNothingToReset:
		return "Nothing to reset: no usage window is in use, so your reset credit was kept."
	case provider.ConsumeNoCredit:
		return "You have no reset credit to redeem; nothing was spent."
	}
	return fmt.Sprintf("The backend answered “%s” to the redeem; whether a credit was spent is unknown. Check with “codextray usage”.", r.Code)
}

// RedeemPreview is the confirmation's sentence: which credit a redeem
// spends (creditID, or the one expiring first) and which windows it
// resets, with the id of that credit, for the redeem to name it. ok is
// false when there is nothing to redeem (no credit, or the credit asked
// for is not available).
func RedeemPreview(ws []Window, rc provider.ResetCredits, creditID string, now time.Time, f textfmt.Format) (sentence, credit string, ok bool) {
	avail := rc.Available(now)
	var c *provider.ResetCredit
	for i := range avail {
		if creditID == "" || avail[i].ID == creditID {
			c = &avail[i]
			break
		}
	}
	switch {
	case c == nil && creditID != "":
		return fmt.Sprintf("There is no available reset credit %q (%d available).", creditID, len(avail)), "", false
	case c == nil:
		return "You have no reset credit to redeem.", "", false
	}
	name := "a reset credit"
	if c.Title != "" {
		name = "the reset credit “" + c.Title + "”"
	}
	if !c.ExpiresAt.IsZero() {
		name += " (expires " + f.Clock(c.ExpiresAt, now) + ")"
	}
	var inUse []string
	for _, w := range ws {
		if w.Family == FamilyCodex && w.UsedPercent > 0 {
			inUse = append(inUse, w.Label+" ("+textfmt.Percent(w.UsedPercent)+" used)")
		}
	}
	if len(inUse) == 0 {
		return "Redeem " + name + "? No usage window is in use, so the backend would reset nothing and keep the credit.", c.ID, true
	}
	return "Redeem " + name + "? It resets " + strings.Join(inUse, " and ") + " to 0 %.", c.ID, true
}
