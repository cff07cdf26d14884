package usage

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/codextray/codextray/core/auth"
	"github.com/codextray/codextray/core/provider"
	pt "github.com/codextray/codextray/core/provider/providertest"
)

const testToken = "test-access-token"

func newFake(t *testing.T) (*pt.Server, *provider.Client) {
	t.Helper()
	srv := pt.New(t, testToken)
	return srv, clientFor(t, srv, 0)
}

func clientFor(t *testing.T, srv *pt.Server, retries int) *provider.Client {
	return provider.New(provider.Options{
		Credentials:    provider.StaticSource{Credentials: provider.Credentials{Mode: provider.ModeChatGPT, Token: auth.NewSecret(testToken), AccountID: "acct"}},
		ChatGPTBaseURL: srv.ChatGPTBaseURL, OpenAIBaseURL: srv.OpenAIBaseURL, AppVersion: "test", RetryBase: time.Millisecond,
		MaxRetries: retries, CacheDir: "-",
	})
}

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var noWait = RedeemOptions{Wait: func(context.Context, int) error { return nil }}

func consumeKeys(srv *pt.Server) []string {
	var out []string
	for _, r := range srv.RequestsTo("/wham/rate-limit-reset-credits/consume") {
		k, _ := r.JSON["redeem_request_id"].(string)
		out = append(out, k)
	}
	return out
}

func TestRedeemReset(t *testing.T) {
	srv, c := newFake(t)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1", Title: "Thanks credit", ExpiresAt: time.Now().Add(48 * time.Hour)}}, "5 h", "week")
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	defer st.Close()
	ctx := context.Background()
	list, err := c.ResetCredits(ctx)
	if err != nil || list.AvailableCount != 1 || len(list.Credits) != 1 || list.Credits[0].Title != "Thanks credit" || list.Credits[0].ExpiresAt.IsZero() {
		t.Fatalf("%+v %v", list, err)
	}
	res, err := Redeem(ctx, c, st, "rc_1", noWait)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != provider.ConsumeReset || res.Sentence != "Reset credit redeemed: 5 h, week start again from 0 %." || res.Resumed {
		t.Fatalf("%+v", res)
	}
	if srv.CreditsSpent() != 1 {
		t.Fatal(srv.Consumptions())
	}
	if _, pending, _ := st.Pending(ctx); pending {
		t.Fatal("the answered redeem is still pending")
	}
	// Redeeming again: the credit is gone.
	res, err = Redeem(ctx, c, st, "", noWait)
	if err != nil || res.Code != provider.ConsumeNoCredit || res.Sentence != "You have no reset credit to redeem; nothing was spent." {
		t.Fatalf("%+v %v", res, err)
	}
	keys := consumeKeys(srv)
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("two redeems must use two ids: %v", keys)
	}
}

// The backend redeems, then the connection breaks before the answer: the
// client asks again with the same id and gets the first answer; one credit.
func TestRedeemAnswerLostInTransit(t *testing.T) {
	srv, c := newFake(t)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1"}, {ID: "rc_2"}}, "5 h")
	srv.DropConsumeAnswers(2)
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	defer st.Close()
	res, err := Redeem(context.Background(), c, st, "", noWait)
	if err != nil || res.Code != provider.ConsumeReset {
		t.Fatalf("%+v %v", res, err)
	}
	keys := consumeKeys(srv)
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Fatalf("retries must reuse the id: %v", keys)
	}
	if srv.CreditsSpent() != 1 || len(srv.Consumptions()) != 1 {
		t.Fatalf("spent %v", srv.Consumptions())
	}
	if n := len(srv.ResetCreditsNow()); n != 2 || srv.ResetCreditsNow()[1].Status == "redeemed" {
		t.Fatalf("a second credit was touched: %+v", srv.ResetCreditsNow())
	}
}

// Codex Tray dies (or gives up) between the request and its answer: the id
// is on disk, and the next redeem, from a new process, sends it again.
func TestRedeemResumesAfterRestart(t *testing.T) {
	srv := pt.New(t, testToken)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1"}, {ID: "rc_2"}}, "5 h")
	srv.DropConsumeAnswers(100)
	path := filepath.Join(t.TempDir(), "usage.db")
	st := openStore(t, path)
	_, err := Redeem(context.Background(), clientFor(t, srv, -1), st, "rc_1", RedeemOptions{Attempts: 2, Wait: noWait.Wait})
	if !errors.Is(err, ErrRedeemUnconfirmed) {
		t.Fatalf("want unconfirmed, got %v", err)
	}
	p, pending, _ := st.Pending(context.Background())
	if !pending || p.CreditID != "rc_1" {
		t.Fatalf("the id was not kept: %+v", p)
	}
	st.Close()

	srv.DropConsumeAnswers(0)
	st = openStore(t, path)
	defer st.Close()
	// The user now asks for the other credit: the unanswered one is
	// finished first, and nothing else is spent.
	res, err := Redeem(context.Background(), clientFor(t, srv, 0), st, "rc_2", noWait)
	if err != nil || res.Code != provider.ConsumeReset || !res.Resumed || res.CreditID != "rc_1" {
		t.Fatalf("%+v %v", res, err)
	}
	for _, k := range consumeKeys(srv) {
		if k != p.ID {
			t.Fatalf("a new id was sent before the pending one was answered: %v", consumeKeys(srv))
		}
	}
	if srv.CreditsSpent() != 1 {
		t.Fatal(srv.Consumptions())
	}
}

// A double click: two redeems at once share one id.
func TestRedeemDoubleClick(t *testing.T) {
	srv, c := newFake(t)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1"}, {ID: "rc_2"}}, "5 h")
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	defer st.Close()
	// The first request is held until the second arrives: both clicks are
	// in flight together.
	var arrived sync.WaitGroup
	arrived.Add(2)
	srv.OnConsume(func() { arrived.Done(); arrived.Wait() })
	var wg sync.WaitGroup
	results := make([]RedeemResult, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = Redeem(context.Background(), c, st, "", noWait)
		}()
	}
	close(start)
	wg.Wait()
	if srv.CreditsSpent() != 1 || len(srv.Consumptions()) != 1 {
		t.Fatalf("a double click spent %v", srv.Consumptions())
	}
	if keys := consumeKeys(srv); len(keys) != 2 || keys[0] != keys[1] {
		t.Fatalf("the clicks sent different ids: %v", keys)
	}
	for i := range 2 {
		if errs[i] != nil || results[i].Code != provider.ConsumeReset {
			t.Fatalf("%d: %+v %v", i, results[i], errs[i])
		}
	}
}

// The credit list changes between the confirmation and the request: the
// credit was redeemed elsewhere.
func TestRedeemCreditListChangesMidRedeem(t *testing.T) {
	srv, c := newFake(t)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1"}}, "5 h")
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	defer st.Close()
	srv.OnConsume(func() { srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1", Status: "redeemed"}}, "5 h") })
	res, err := Redeem(context.Background(), c, st, "rc_1", noWait)
	if err != nil || res.Code != provider.ConsumeAlreadyRedeemed ||
		res.Sentence != "That reset credit was already redeemed (on another device, or by an earlier attempt whose answer was lost); no other credit was spent." {
		t.Fatalf("%+v %v", res, err)
	}
	if srv.CreditsSpent() != 0 {
		t.Fatal(srv.Consumptions())
	}
}

func TestRedeemNothingToResetAndServerErrors(t *testing.T) {
	srv, _ := newFake(t)
	srv.SetResetCredits([]pt.ResetCredit{{ID: "rc_1"}})
	srv.FailConsume(6) // more than the client's own retries: Redeem retries too
	st := openStore(t, filepath.Join(t.TempDir(), "usage.db"))
	defer st.Close()
	res, err := Redeem(context.Background(), clientFor(t, srv, 2), st, "", noWait)
	if err != nil || res.Code != provider.ConsumeNothingToReset ||
		res.Sentence != "Nothing to reset: no usage window is in use, so your reset credit was kept." {
		t.Fatalf("%+v %v", res, err)
	}
	keys := consumeKeys(srv)
	if len(keys) != 7 {
		t.Fatalf("%d requests", len(keys))
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("the id changed between retries: %v", keys)
		}
	}
	if srv.CreditsSpent() != 0 || srv.ResetCreditsNow()[0].Status == "redeemed" {
		t.Fatal("nothing to reset spent a credit")
	}
}

func TestConsumeSentences(t *testing.T) {
	seen := map[string]bool{}
	for _, code := range []string{"reset", "already_redeemed", "nothing_to_reset", "no_credit", "something_new"} {
		s := ConsumeSentence(provider.ConsumeResult{Code: code})
		if s == "" || seen[s] {
			t.Fatalf("%s: %q", code, s)
		}
		seen[s] = true
	}
}

func TestRedeemPreview(t *testing.T) {
	now := t0
	rc := provider.ResetCredits{Credits: []provider.ResetCredit{
		{ID: "late", Status: "available", Title: "Later", ExpiresAt: now.Add(72 * time.Hour)},
		{ID: "soon", Status: "available", Title: "Soon", ExpiresAt: now.Add(5 * time.Hour)},
		{ID: "gone", Status: "redeemed"}}}
	ws := []Window{w5(92, now.Add(time.Hour)), wWeek(40, now.Add(48*time.Hour)),
		{Key: "spend_cap/month", Family: FamilySpendCap, Label: "Spend cap", UsedPercent: 50}}
	s, id, ok := RedeemPreview(ws, rc, "", now, utc)
	if !ok || id != "soon" || s != "Redeem the reset credit “Soon” (expires 17:00)? It resets 5 h (92 % used) and Week (40 % used) to 0 %." {
		t.Fatal(s)
	}
	if s, _, ok := RedeemPreview(ws, rc, "gone", now, utc); ok || s == "" {
		t.Fatal(s)
	}
	if s, _, ok := RedeemPreview(ws, provider.ResetCredits{}, "", now, utc); ok || s != "You have no reset credit to redeem." {
		t.Fatal(s)
	}
	if s, id, ok := RedeemPreview([]Window{w5(0, now)}, rc, "late", now, utc); !ok || s == "" || id != "late" {
		t.Fatal(s)
	}
}
