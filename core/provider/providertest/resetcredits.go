package providertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// ResetCredit is a reset credit the fake grants (docs/codex-today.md §4).
type ResetCredit struct {
	ID        string
	Status    string    // available (default), redeeming or redeemed
	GrantedAt time.Time // zero: an hour before the first request
	ExpiresAt time.Time // zero: null (never expires)
	Title     string
}

// ConsumeAnswer is what the fake decided for one redeem_request_id.
type ConsumeAnswer struct {
	Code         string   `json:"code"`
	WindowsReset []string `json:"windows_reset"`
	CreditID     string   `json:"credit_id,omitempty"`
}

type resetCredits struct {
	credits []ResetCredit
	// windows are the window ids a reset clears; empty: nothing to reset.
	windows []string
	// answers by redeem_request_id: the backend is idempotent per key.
	answers map[string]ConsumeAnswer
	// consumed counts the credits spent per redeem_request_id.
	consumed  map[string]int
	dropNext  int // answers to drop after deciding (lost in transit)
	failNext  int // 503s to give before deciding
	onConsume func()
}

// SetResetCredits sets the credits of GET /wham/rate-limit-reset-credits and
// the windows a redeem would reset (none: the answer is nothing_to_reset).
func (s *Server) SetResetCredits(credits []ResetCredit, windowsInUse ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resets.credits = append([]ResetCredit(nil), credits...)
	s.resets.windows = windowsInUse
}

// ResetCreditsNow returns the fake's credits as they are now.
func (s *Server) ResetCreditsNow() []ResetCredit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResetCredit(nil), s.resets.credits...)
}

// DropConsumeAnswers makes the next n consume requests redeem as usual but
// break the connection instead of answering: the answer is lost in transit.
func (s *Server) DropConsumeAnswers(n int) {
	s.mu.Lock()
	s.resets.dropNext = n
	s.mu.Unlock()
}

// FailConsume makes the next n consume requests answer 503 before anything
// is decided.
func (s *Server) FailConsume(n int) {
	s.mu.Lock()
	s.resets.failNext = n
	s.mu.Unlock()
}

// OnConsume runs f (under no lock) when a consume request arrives, before
// it is decided: a test changes the credit list mid-redeem with it.
func (s *Server) OnConsume(f func()) {
	s.mu.Lock()
	s.resets.onConsume = f
	s.mu.Unlock()
}

// Consumptions returns how many credits each redeem_request_id spent.
func (s *Server) Consumptions() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.resets.consumed {
		out[k] = v
	}
	return out
}

// CreditsSpent is the number of credits redeemed in total.
func (s *Server) CreditsSpent() int {
	n := 0
	for _, v := range s.Consumptions() {
		n += v
	}
	return n
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (s *Server) serveResetCredits(w http.ResponseWriter, r *http.Request, req Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/backend-api/wham/rate-limit-reset-credits" {
		s.mu.Lock()
		body := s.resetCreditsBody()
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/backend-api/wham/rate-limit-reset-credits/consume" {
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"detail":"Method Not Allowed"}`))
		return
	}
	key, _ := req.JSON["redeem_request_id"].(string)
	creditID, _ := req.JSON["credit_id"].(string)
	if !uuidRE.MatchString(key) {
		s.t.Errorf("fake backend: redeem_request_id %q is not a UUID", key)
		writeJSON(w, http.StatusUnprocessableEntity, []byte(`{"detail":"redeem_request_id must be a UUID"}`))
		return
	}
	s.mu.Lock()
	if s.resets.failNext > 0 {
		s.resets.failNext--
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"detail":"upstream unavailable"}`))
		return
	}
	hook := s.resets.onConsume
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.mu.Lock()
	if s.resets.answers == nil {
		s.resets.answers, s.resets.consumed = map[string]ConsumeAnswer{}, map[string]int{}
	}
	ans, seen := s.resets.answers[key]
	if !seen {
		ans = s.decideConsume(key, creditID)
		s.resets.answers[key] = ans
	}
	drop := s.resets.dropNext > 0
	if drop {
		s.resets.dropNext--
	}
	s.mu.Unlock()
	if drop {
		panic(http.ErrAbortHandler) // decided, but the answer never arrives
	}
	b, _ := json.Marshal(ans)
	writeJSON(w, http.StatusOK, b)
}

// decideConsume redeems a credit for a new key, as the backend does;
// s.mu is held.
func (s *Server) decideConsume(key, creditID string) ConsumeAnswer {
	rc := &s.resets
	pick := -1
	for i, c := range rc.credits {
		if creditID != "" && c.ID != creditID {
			continue
		}
		if creditID != "" && c.Status == "redeemed" {
			return ConsumeAnswer{Code: "already_redeemed", WindowsReset: []string{}, CreditID: c.ID}
		}
		if (c.Status == "" || c.Status == "available") && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(time.Now())) {
			pick = i
			break
		}
	}
	if pick < 0 {
		return ConsumeAnswer{Code: "no_credit", WindowsReset: []string{}}
	}
	if len(rc.windows) == 0 {
		return ConsumeAnswer{Code: "nothing_to_reset", WindowsReset: []string{}}
	}
	rc.credits[pick].Status = "redeemed"
	rc.consumed[key]++
	ans := ConsumeAnswer{Code: "reset", WindowsReset: append([]string(nil), rc.windows...), CreditID: rc.credits[pick].ID}
	rc.windows = nil
	return ans
}

// resetCreditsBody is the JSON of GET /wham/rate-limit-reset-credits; s.mu
// is held.
func (s *Server) resetCreditsBody() []byte {
	type wire struct {
		ID          string  `json:"id"`
		ResetType   string  `json:"reset_type"`
		Status      string  `json:"status"`
		GrantedAt   string  `json:"granted_at"`
		ExpiresAt   *string `json:"expires_at"`
		Title       string  `json:"title"`
		Description string  `json:"description"`
	}
	out := struct {
		Credits        []wire `json:"credits"`
		AvailableCount int    `json:"available_count"`
	}{Credits: []wire{}}
	for _, c := range s.resets.credits {
		st := c.Status
		if st == "" {
			st = "available"
		}
		g := c.GrantedAt
		if g.IsZero() {
			g = time.Now().Add(-time.Hour)
		}
		wc := wire{ID: c.ID, ResetType: "codex_rate_limits", Status: st, GrantedAt: g.UTC().Format(time.RFC3339), Title: c.Title,
			Description: fmt.Sprintf("Resets your Codex usage limits once (%s).", c.ID)}
		if !c.ExpiresAt.IsZero() {
			e := c.ExpiresAt.UTC().Format(time.RFC3339)
			wc.ExpiresAt = &e
		}
		if st == "available" && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(time.Now())) {
			out.AvailableCount++
		}
		out.Credits = append(out.Credits, wc)
	}
	b, _ := json.Marshal(out)
	return b
}
